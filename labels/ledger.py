"""A tamper-evident ledger of a run: a hash chain in the SQLite table ``ledger``.

Each entry stores the SHA-256 of its own canonical content (``content_hash``), the hash of
the entry before it in the same run (``prev_hash``; 64 zeros for the first), and its own
``entry_hash`` = SHA-256 over (format version, run_id, seq, t, kind, subject, prev_hash,
content_hash): every column of the row is covered. A run's chain holds three kinds of
entries:

* the label records the caller appends (``order_label``, ``product_grade``: each label and
  grade change, content for content);
* ``events``: one per flushed batch of the run's events, written in the batch's own
  transaction, holding the batch's seq range and, per event type, how many rows it has and
  the SHA-256 of their canonical bytes (:func:`rows_digest`), so every row of ``events``
  is covered and a killed run's committed batches stay verifiable;
* ``run``: the seal, written at the end in the same transaction as the run's final status:
  the ``runs`` row (:data:`SEALED_RUN_COLUMNS`), how many events the digests cover, and the
  digest of the run's ``product_labels`` rows, column by column. Nothing follows a seal.

:func:`verify_run` recomputes all of it from the file. Changing any event, the sealed runs
fields, scenario_json (against its scenario_hash) or product_labels breaks a digest;
changing an entry breaks its hashes; deleting, inserting or reordering entries breaks the
chain. Rewriting the ledger consistently (every digest and hash recomputed after an edit)
is detectable only against a copy of a later hash: the head (the run's last entry_hash),
published or recorded elsewhere when the run ends.

The schema is managed by its own sqlite-utils migration set (``carbonsim.ledger``), so the
table can live in the simulation's event-log file without this package importing ``sim``;
the tables it seals (``events``, ``runs``, ``product_labels``) are the event log's.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database, Migrations

from labels.canonical import canonical_json

GENESIS = "0" * 64
MIGRATION_SET = "carbonsim.ledger"

#: Entry kinds the ledger writes itself; every other kind is a record the caller appended.
BATCH_KIND = "events"
SEAL_KIND = "run"
#: Bump when the canonical bytes of rows (:func:`rows_digest`) or a digest entry's layout change.
DIGEST_FORMAT = "carbonsim.digests/1"
#: The columns of ``runs`` a seal covers. Not scenario_json (covered through scenario_hash,
#: which must be its SHA-256), nor columns a live run keeps updating (pid, heartbeat_at).
SEALED_RUN_COLUMNS = (
    "run_id",
    "scenario",
    "scenario_hash",
    "seed",
    "version",
    "status",
    "started_at",
    "finished_at",
    "wall_seconds",
    "routing_seconds",
    "error",
)
#: Statuses of a run that has not been sealed yet, legitimately: it is still being written,
#: or its process died before it could finish.
UNSEALED_STATUSES = frozenset({"running", "abandoned"})


def _m001_create_ledger(db: Database) -> None:
    db.execute("""
        CREATE TABLE ledger (
            run_id       INTEGER NOT NULL,
            seq          INTEGER NOT NULL,
            t            REAL NOT NULL,
            kind         TEXT NOT NULL,
            subject      ANY,
            content      TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            prev_hash    TEXT NOT NULL,
            entry_hash   TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) STRICT
    """)


def migrations() -> Migrations:
    m = Migrations(MIGRATION_SET)
    m(name="m001_create_ledger")(_m001_create_ledger)
    return m


def canonical(content: Mapping[str, Any]) -> str:
    return canonical_json(content)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Bump when the hashed serialisation of an entry changes.
HASH_FORMAT = "carbonsim.ledger/2"


def entry_hash(run_id: int, seq: int, t: float, kind: str, subject: Any, prev_hash: str, content_hash: str) -> str:
    head = json.dumps([HASH_FORMAT, run_id, seq, float(t).hex(), kind, subject], separators=(",", ":"))
    return sha256(f"{head}|{prev_hash}|{content_hash}")


# --------------------------------------------------------------------------------------------
# Canonical bytes of table rows
# --------------------------------------------------------------------------------------------

# pickle's BINFLOAT of -0.0 and of 0.0: SQLite stores a REAL -0.0 as 0.0, so the rows a
# writer hashes and the rows read back differ there and nowhere else
_NEGATIVE_ZERO = b"G\x80" + bytes(7)
_ZERO = b"G" + bytes(8)


def canonical_rows(rows: Sequence[tuple]) -> bytes:
    """The bytes :func:`rows_digest` hashes: the tuple of ``rows`` (tuples of None, int,
    float, str) as pickle protocol 2 without memo, with every -0.0 written as 0.0.

    That encoding depends on the values only (not on which objects hold them), is frozen
    (protocol 2 dates from 2003; tests pin it against a reference encoder written from the
    opcodes), and costs one C call for a whole batch, a fraction of a microsecond a row; a
    JSON array a row would cost several microseconds, all in float and string formatting.
    Tuples, not lists: pickle writes a list's items in batches whose layout differs between
    its C and Python implementations.
    """
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=2)
    pickler.fast = True  # no memo: a repeated object (one str for every "arrived") is written out each time
    pickler.dump(tuple(rows))
    data = buffer.getvalue()
    return data.replace(_NEGATIVE_ZERO, _ZERO) if _NEGATIVE_ZERO in data else data


def rows_digest(rows: Sequence[tuple]) -> str:
    """SHA-256 (hex) of :func:`canonical_rows`."""
    return hashlib.sha256(canonical_rows(rows)).hexdigest()


def batch_digests(rows: Sequence[tuple], type_index: int) -> dict[str, list]:
    """``{event type: [rows, digest of those rows in order]}`` of one batch of event rows,
    so that a broken batch names the type of event that changed."""
    groups: dict[str, list[tuple]] = {}
    for row in rows:
        group = groups.get(row[type_index])
        if group is None:
            group = groups[row[type_index]] = []
        group.append(row)
    return {type_: [len(group), rows_digest(group)] for type_, group in groups.items()}


def column_digests(columns: Sequence[str], rows: Sequence[tuple]) -> dict[str, str]:
    """``{column: digest of its values in row order}``: a broken table names the column."""
    values = list(zip(*rows)) if rows else [()] * len(columns)
    return {name: rows_digest((col,)) for name, col in zip(columns, values)}


def table_columns(db: Database, table: str) -> tuple[str, ...]:
    """The columns of ``table`` in the table's order (empty if there is no such table)."""
    return tuple(row[1] for row in db.execute(f'PRAGMA table_info("{table}")'))


def _quoted(columns: Iterable[str]) -> str:
    return ", ".join('"' + c.replace('"', '""') + '"' for c in columns)


def product_labels_digest(db: Database, run_id: int) -> dict | None:
    """The run's ``product_labels`` rows (by product) as ``{"rows": n, "columns": {name:
    digest}}``; None when the file has no such table."""
    columns = [c for c in table_columns(db, "product_labels") if c != "run_id"]
    if not columns:
        return None
    rows = db.execute(f"SELECT {_quoted(columns)} FROM product_labels WHERE run_id = ? ORDER BY product_id", [run_id]).fetchall()
    return {"rows": len(rows), "columns": column_digests(columns, rows)}


def _runs_row(db: Database, run_id: int) -> dict | None:
    row = db.execute(f"SELECT {_quoted(SEALED_RUN_COLUMNS)} FROM runs WHERE run_id = ?", [run_id]).fetchone()
    return None if row is None else dict(zip(SEALED_RUN_COLUMNS, row))


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------

_INSERT = "INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"


@dataclass(slots=True)
class _Pending:
    """What the open transaction holds: the first ``records`` buffered entries, then maybe
    one entry of the ledger's own (a batch digest, or the seal)."""

    records: int
    entry: tuple | None = None
    last_event: int = 0  # a batch entry's last seq


class Ledger:
    """Appends the entries of one run to its chain; an event log companion.

    With :meth:`sim.log.eventlog.EventLog.add_companion`, each flush of events calls
    :meth:`write` with the batch's rows inside its transaction (the label records appended
    since the last flush, then the batch's digest entry), the run's final status update calls
    :meth:`finish` in its transaction (the seal), and :meth:`committed` follows each commit.
    Without a log, :meth:`flush` writes the appended records in a transaction of their own.
    """

    def __init__(self, db: Database, run_id: int, *, columns: Sequence[str] | None = None) -> None:
        """``columns``: the names of the values in the rows :meth:`write` gets (default:
        the ``events`` table's columns in table order, as the event log writes them)."""
        migrations().apply(db)
        self.db = db
        self.run_id = run_id
        self.columns = tuple(columns) if columns is not None else table_columns(db, "events")
        row = db.execute("SELECT seq, entry_hash FROM ledger WHERE run_id = ? ORDER BY seq DESC LIMIT 1", [run_id]).fetchone()
        # the last committed entry's (seq, hash); the chain's tip is that or the last buffered
        # entry's (_tip), so no counter can run ahead of the entries an interrupt leaves behind
        self._committed_tip = (row[0], row[1]) if row else (0, GENESIS)
        self._buffer: list[tuple] = []
        self._pending: _Pending | None = None
        # where the committed batches end: the next batch must start right after
        row = db.execute(
            f"SELECT json_extract(content, '$.last'), t FROM ledger WHERE run_id = ? AND kind = '{BATCH_KIND}'"
            " ORDER BY seq DESC LIMIT 1",
            [run_id],
        ).fetchone()
        self._last_event: int
        self._last_t: float
        self._last_event, self._last_t = (int(row[0]), row[1]) if row else (0, 0.0)
        self._sealed = (
            db.execute(f"SELECT 1 FROM ledger WHERE run_id = ? AND kind = '{SEAL_KIND}'", [run_id]).fetchone() is not None
        )

    def _entry(self, seq: int, prev: str, t: float, kind: str, subject: Any, content: Mapping[str, Any]) -> tuple:
        text = canonical(content)
        c_hash = sha256(text)
        return (
            self.run_id,
            seq,
            float(t),
            kind,
            subject,
            text,
            c_hash,
            prev,
            entry_hash(self.run_id, seq, t, kind, subject, prev, c_hash),
        )

    def append(self, t: float, kind: str, subject: Any, content: Mapping[str, Any]) -> str:
        """Chain one record; returns its entry hash. Not between :meth:`write` and :meth:`committed`."""
        if kind in (BATCH_KIND, SEAL_KIND):
            raise ValueError(f"ledger kind {kind!r} is the ledger's own; records need another kind")
        if self._sealed:
            raise RuntimeError(f"run {self.run_id}'s ledger is sealed: nothing can follow")
        seq, head = self._tip()
        entry = self._entry(seq + 1, head, t, kind, subject, content)
        # the one step that chains the record: a signal raised before it leaves no trace
        self._buffer.append(entry)
        return entry[-1]

    @property
    def seq(self) -> int:
        """Seq of the chain's last entry (buffered or committed)."""
        return self._tip()[0]

    @property
    def head(self) -> str:
        """Entry hash of the chain's last entry (buffered or committed)."""
        return self._tip()[1]

    def _tip(self) -> tuple[int, str]:
        """(seq, entry hash) of the chain's last entry, buffered or committed."""
        if self._buffer:
            last = self._buffer[-1]
            return last[1], last[-1]
        return self._committed_tip

    def write(self, db: Database | None = None, rows: Sequence[tuple] = ()) -> None:
        """Insert the pending records, and the digest entry of ``rows`` (a batch of event rows
        the caller inserts in the same transaction), inside the caller's transaction."""
        entry = last_event = None
        if rows:
            entry, last_event = self._batch_entry(rows)
        self._pending = _Pending(len(self._buffer), entry, last_event or 0)
        entries = self._buffer if entry is None else [*self._buffer, entry]
        if entries:
            (db or self.db).conn.executemany(_INSERT, entries)

    def _batch_entry(self, rows: Sequence[tuple]) -> tuple[tuple, int]:
        seq_i, t_i, type_i = (self.columns.index(c) for c in ("seq", "t", "type"))
        first, last = rows[0][seq_i], rows[-1][seq_i]
        if first != self._last_event + 1 or last - first + 1 != len(rows):
            raise ValueError(
                f"run {self.run_id}: a batch of events must continue the run's seqs "
                f"(expected {self._last_event + 1} to {self._last_event + len(rows)}, got {first} to {last})"
            )
        content = {
            "format": DIGEST_FORMAT,
            "first": first,
            "last": last,
            "columns": list(self.columns),
            "types": batch_digests(rows, type_i),
        }
        seq, head = self._tip()
        return self._entry(seq + 1, head, rows[-1][t_i], BATCH_KIND, f"{first}-{last}", content), last

    def finish(self, db: Database | None = None) -> None:
        """Insert the seal inside the transaction that sets the run's final status, after that
        update and after the run's product_labels rows are in.

        Records still buffered belong to events the final flush could not write (the event
        log then drops those events): they are dropped too, so the ledger keeps recording
        exactly the events in the file.
        """
        db = db or self.db
        self._buffer.clear()
        seq, head = self._committed_tip
        run = _runs_row(db, self.run_id)
        if run is None:
            raise KeyError(f"no run {self.run_id} in runs to seal")
        content = {
            "format": DIGEST_FORMAT,
            "events": self._last_event,
            "runs": run,
            "product_labels": product_labels_digest(db, self.run_id),
        }
        entry = self._entry(seq + 1, head, self._last_t, SEAL_KIND, self.run_id, content)
        self._pending = _Pending(0, entry)
        db.conn.execute(_INSERT, entry)

    def committed(self) -> None:
        """The transaction holding the written entries committed: forget them."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        if pending.records:
            last = self._buffer[pending.records - 1]
            self._committed_tip = (last[1], last[-1])
            del self._buffer[: pending.records]
        entry = pending.entry
        if entry is not None:
            self._committed_tip = (entry[1], entry[-1])
            if entry[3] == SEAL_KIND:
                self._sealed = True
            else:
                self._last_event, self._last_t = pending.last_event, entry[2]

    def flush(self) -> None:
        """Write the pending records in a transaction of their own."""
        with self.db.atomic():
            self.write()
        self.committed()


# --------------------------------------------------------------------------------------------
# Verifying
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tampered:
    """The first entry whose record does not hold, and why."""

    run_id: int
    seq: int
    reason: str


def _chain(db: Database, run_id: int) -> Iterator[tuple[tuple, str | None]]:
    """Each entry of the run's chain in order, with the reason it does not hold (or None)."""
    prev, expect_seq = GENESIS, 1
    for row in db.execute(
        "SELECT seq, t, kind, subject, content, content_hash, prev_hash, entry_hash FROM ledger WHERE run_id = ? ORDER BY seq",
        [run_id],
    ):
        seq, t, kind, subject, content, c_hash, p_hash, e_hash = row
        if seq != expect_seq:
            yield row, f"expected entry {expect_seq} here (entries missing or moved)"
        elif sha256(content) != c_hash:
            yield row, "content does not match its content hash (edited)"
        elif p_hash != prev:
            yield row, "does not chain to the entry before it (removed, inserted or reordered)"
        elif entry_hash(run_id, seq, t, kind, subject, p_hash, c_hash) != e_hash:
            yield row, "entry hash does not match (edited)"
        else:
            yield row, None
        prev, expect_seq = e_hash, seq + 1


def verify(db: Database, run_ids: Iterable[int] | None = None) -> tuple[int, Tampered | None]:
    """Recompute the chain of each run (all runs by default) and return (entries checked,
    the first tampered entry or None). Only the hashes: :func:`verify_run` checks the
    digests against the tables too."""
    if "ledger" not in db.table_names():
        return 0, None
    if run_ids is None:
        run_ids = [r[0] for r in db.execute("SELECT DISTINCT run_id FROM ledger ORDER BY run_id")]
    checked = 0
    for run_id in run_ids:
        for row, reason in _chain(db, run_id):
            checked += 1
            if reason is not None:
                return checked, Tampered(run_id, row[0], reason)
    return checked, None


#: RunVerification.state values.
VERIFIED, TAMPERED, UNSEALED, LEGACY = "verified", "tampered", "unsealed", "legacy"


@dataclass(frozen=True)
class RunVerification:
    """What :func:`verify_run` found for one run.

    ``state``: ``verified`` (every event, the runs row and product_labels match the chain),
    ``tampered`` (``problem`` says the first thing that does not hold), ``unsealed`` (the run
    is running or its process died: its committed events verify, the runs row and
    product_labels are not covered yet) or ``legacy`` (written before the ledger digested
    events: only its label records are covered).
    """

    run_id: int
    state: str
    problem: str | None
    entries: int  # ledger entries checked
    records: int  # entries the caller appended (label and grade records)
    events: int  # events covered by batch digests
    batches: int
    product_labels: int | None  # rows sealed (None when not sealed)
    head: str | None  # the last entry_hash of the run's chain
    records_by_kind: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state == VERIFIED


class _Broken(Exception):
    """Internal: the first problem found, as the message."""


def _json(content: str, what: str) -> dict:
    try:
        doc = json.loads(content)
    except ValueError:
        raise _Broken(f"{what}: content is not JSON") from None
    if not isinstance(doc, dict) or doc.get("format") != DIGEST_FORMAT:
        raise _Broken(f"{what}: content is not a {DIGEST_FORMAT} entry")
    return doc


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def _check_batch(db: Database, run_id: int, seq: int, doc: dict, expect_first: int, events_columns: set[str]) -> int:
    """Recompute one batch's digests from ``events``; return its last seq."""
    try:
        first, last, columns, types = doc["first"], doc["last"], doc["columns"], doc["types"]
        if not (
            isinstance(first, int)
            and isinstance(last, int)
            and isinstance(types, dict)
            and isinstance(columns, list)
            and {"seq", "type"} <= set(columns)
        ):
            raise TypeError
    except (KeyError, TypeError):
        raise _Broken(f"entry {seq}: not a well-formed events digest") from None
    span = f"events {first:,}-{last:,}"
    if first != expect_first:
        raise _Broken(f"entry {seq}: {span} do not continue the digests before (expected event {expect_first:,} next)")
    unknown = [c for c in columns if c not in events_columns]
    if unknown:
        raise _Broken(f"{span}: the digest covers columns the events table does not have: {', '.join(map(str, unknown))}")
    try:
        rows = db.execute(
            f"SELECT {_quoted(columns)} FROM events WHERE run_id = ? AND seq BETWEEN ? AND ? ORDER BY seq", [run_id, first, last]
        ).fetchall()
    except sqlite3.Error as exc:
        raise _Broken(f"{span} cannot be read back (SQLite says: {exc}): edited") from None
    seq_i, type_i = columns.index("seq"), columns.index("type")
    for expected, row in zip(range(first, last + 1), rows):
        if row[seq_i] != expected:
            raise _Broken(f"event {expected:,} is missing (deleted)")
    if len(rows) < last - first + 1:
        raise _Broken(f"event {first + len(rows):,} is missing (deleted)")
    got = batch_digests(rows, type_i)
    for type_ in sorted(set(types) | set(got), key=str):
        recorded = types.get(type_, [0, None])
        now = got.get(type_, [0, None])
        if recorded == now:
            continue
        if recorded[0] != now[0]:
            raise _Broken(
                f"{span}: {_count(now[0], str(type_) + ' event')} where the digest recorded "
                f"{recorded[0]:,} (an event's type was changed)"
            )
        raise _Broken(f"{span}: the {type_} events do not match their digest (edited)")
    return last


def _check_seal(db: Database, run_id: int, seq: int, doc: dict, events: int) -> int | None:
    """Compare the seal with the runs row and product_labels; return product_labels rows."""
    sealed_runs, sealed_labels = doc.get("runs"), doc.get("product_labels")
    if not isinstance(sealed_runs, dict) or doc.get("events") != events:
        raise _Broken(f"entry {seq}: the seal covers {doc.get('events')} events, the digests {events:,}")
    run = _runs_row(db, run_id)
    assert run is not None  # verify_run found the runs row before the chain was read
    for column in SEALED_RUN_COLUMNS:
        if column in sealed_runs and sealed_runs[column] != run[column]:
            raise _Broken(f"runs.{column}: sealed {sealed_runs[column]!r}, now {run[column]!r} (edited)")
    now = product_labels_digest(db, run_id)
    if sealed_labels is None:
        if now is not None and now["rows"]:
            raise _Broken(f"product_labels: {now['rows']:,} rows where the seal recorded no table (added)")
        return None
    if now is None:
        raise _Broken("product_labels: the table is gone (dropped)")
    if now["rows"] != sealed_labels.get("rows"):
        what = "deleted" if now["rows"] < sealed_labels.get("rows", 0) else "added"
        raise _Broken(f"product_labels: {now['rows']:,} rows where the seal recorded {sealed_labels.get('rows')} ({what})")
    for column, digest in (sealed_labels.get("columns") or {}).items():
        if now["columns"].get(column) != digest:
            raise _Broken(f"product_labels.{column} does not match the seal (edited)")
    return now["rows"]


def verify_run(db: Database, run_id: int) -> RunVerification:
    """Verify one run of an event-log file: its chain, every event against the batch
    digests, and (once sealed) the runs row and product_labels against the seal. The
    caller checks that the records (label entries) match the events they record."""
    run = db.execute("SELECT status, scenario_json, scenario_hash FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if run is None:
        raise KeyError(f"no run {run_id} in this event log")
    status, scenario_json, scenario_hash = run
    entries = records = batches = 0
    by_kind: dict[str, int] = {}
    events, labels_rows, seal, head = 0, None, None, None
    has_ledger = "ledger" in db.table_names()
    events_columns = set(table_columns(db, "events"))

    def result(state: str, problem: str | None) -> RunVerification:
        return RunVerification(
            run_id, state, problem, entries, records, events, batches, labels_rows if state == VERIFIED else None, head, by_kind
        )

    try:
        if hashlib.sha256(str(scenario_json).encode("utf-8")).hexdigest() != scenario_hash:
            raise _Broken("runs.scenario_json does not match runs.scenario_hash (edited)")
        for row, reason in _chain(db, run_id) if has_ledger else ():
            seq, _, kind, _, content, *_, e_hash = row
            entries += 1
            head = e_hash
            if reason is not None:
                raise _Broken(f"entry {seq}: {reason}")
            if seal is not None:
                raise _Broken(f"entry {seq}: follows the run's seal (added)")
            if kind == BATCH_KIND:
                events = _check_batch(db, run_id, seq, _json(content, f"entry {seq}"), events + 1, events_columns)
                batches += 1
            elif kind == SEAL_KIND:
                seal = (seq, _json(content, f"entry {seq}"))
            else:
                records += 1
                by_kind[kind] = by_kind.get(kind, 0) + 1
        stored = db.execute("SELECT COUNT(*), MAX(seq) FROM events WHERE run_id = ?", [run_id]).fetchone()
        if batches == 0 and seal is None:
            if stored[0] == 0 and status in UNSEALED_STATUSES:
                return result(
                    UNSEALED,
                    f"the run is {status} (still being written, or its process was killed) and has no events committed yet",
                )
            return result(
                LEGACY,
                "written before the ledger digested events (an older carbonsim): only its label "
                "records are covered, not its events, runs row or product_labels",
            )
        if stored[0] != events:
            extra = db.execute("SELECT MIN(seq) FROM events WHERE run_id = ? AND seq > ?", [run_id, events]).fetchone()[0]
            where = f"from event {extra:,}" if extra is not None else "outside the digests' range"
            raise _Broken(f"{_count(stored[0] - events, 'event')} no digest covers ({where}): added")
        if seal is None:
            if status not in UNSEALED_STATUSES:
                raise _Broken(f"the run is marked {status} but was never sealed (its seal was removed, or its status edited)")
            return result(
                UNSEALED,
                f"the run is {status} (still being written, or its process was killed); "
                f"its {events:,} committed events verify, its runs row and product_labels "
                "are not covered until it is sealed",
            )
        labels_rows = _check_seal(db, run_id, seal[0], seal[1], events)
    except _Broken as broken:
        return result(TAMPERED, str(broken))
    except sqlite3.Error as exc:
        return result(TAMPERED, f"the ledger or the run's rows cannot be read (SQLite says: {exc})")
    return result(VERIFIED, None)


def orphan_runs(db: Database) -> list[int]:
    """Run ids that have ledger entries or events but no row in ``runs`` (its row deleted)."""
    sources = ["SELECT DISTINCT run_id FROM events"] if "events" in db.table_names() else []
    if "ledger" in db.table_names():
        sources.append("SELECT DISTINCT run_id FROM ledger")
    if not sources:
        return []
    return [
        r[0]
        for r in db.execute(
            f"SELECT run_id FROM ({' UNION '.join(sources)}) WHERE run_id NOT IN (SELECT run_id FROM runs) ORDER BY run_id"
        )
    ]
