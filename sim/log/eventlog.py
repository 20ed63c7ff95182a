"""The simulation's event log: one SQLite file, written through sqlite-utils.

Everything that happens in a run is one row of ``events``; ``runs`` records each run's
provenance (scenario and its hash, seed, version), its status and its timings::

    with EventLog.open("run.db") as log:
        with log.run(scenario="baseline", scenario_json=s.canonical_json(), seed=7) as run_id:
            log.record(Event(t=0.0, type=EventType.ORDER_PLACED, order_id=1))
            ...
        log.events(run_id, type=EventType.DELIVERED)

Guarantees:

* The schema is created and upgraded by named migrations (sqlite-utils ``Migrations``, set
  ``carbonsim.eventlog``, recorded in ``_sqlite_migrations``), each applied once, in order.
* WAL journal: readers (``carbonsim check``, Datasette) can read while a run writes.
* ``record`` validates an event and buffers it; every ``flush_every`` events, and at the end of
  a run, the buffer is written inside ONE transaction (``db.atomic()``). sqlite-utils 4
  commits any write made outside a transaction at once, so without it a failure in the middle
  of a flush would leave half a batch; with it the file holds all of a batch or none of it,
  and a failed flush keeps the buffer, so nothing is written twice or lost silently.
* ``run()`` marks the run completed on normal exit, interrupted on Ctrl-C, failed (with the
  traceback) on any other exception, after flushing what was recorded. A process killed
  outright (SIGKILL, power loss) leaves status ``running`` and every batch committed so far.
* ``canonical_hash(run_id)`` digests the ordered event rows (not run ids or wall-clock
  fields): the same scenario and seed must give the same hash.

One writer per file; there is no module-level state: everything hangs off the instance.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import operator
import os
import sqlite3
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

try:
    from sqlite_utils import Database, Migrations
except ImportError as exc:  # pragma: no cover - depends on the installed version
    raise ImportError("sim.log.eventlog needs sqlite-utils >= 4.0 (Migrations, Database.atomic)") from exc

from labels.canonical import canonical_json
from sim.errors import LOCK_WAIT_SECONDS, FileProblem, NotFound, file_problem
from sim.log.events import FIGURE_FIELDS, ID_FIELDS, Event, EventType, ObjectId
from sim.log.liveness import current_process, writer_gone
from sim.log.payloads import payload_problems
from sim.signals import signals_held
from sim.version import package_version

__all__ = ["EventLog", "RunRecord", "RunStatus", "MIGRATION_SET", "DEFAULT_FLUSH_EVERY", "schema_migrations"]

#: Name of this schema's migration set in ``_sqlite_migrations``.
MIGRATION_SET = "carbonsim.eventlog"
#: Events buffered before ``record`` flushes them in one transaction.
DEFAULT_FLUSH_EVERY = 5_000
#: Wall seconds between two heartbeats of a run being written (ours: cheap, and far below
#: the staleness threshold of :data:`sim.log.liveness.STALE_HEARTBEAT_SECONDS`).
HEARTBEAT_SECONDS = 10.0
#: Prefix of the canonical serialisation; bump it when that serialisation changes.
_HASH_FORMAT = b"carbonsim.events/1\n"
_INT64 = 2**63


class RunStatus(StrEnum):
    """A run's status in ``runs.status``."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    #: never stored: what readers report for a run still marked running whose writing
    #: process is gone (killed, crashed, its machine down), see :mod:`sim.log.liveness`
    ABANDONED = "abandoned"


#: The statuses a run row can hold (ABANDONED is derived by readers, never written).
_STORED_STATUSES = (RunStatus.RUNNING, RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.INTERRUPTED)


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One row of ``runs``. Times are ISO 8601 UTC text; durations are wall-clock seconds."""

    run_id: int
    scenario: str
    scenario_hash: str
    scenario_json: str
    seed: int
    version: str
    status: RunStatus
    started_at: str
    finished_at: str | None
    wall_seconds: float | None
    routing_seconds: float | None
    error: str | None
    #: the writing process (None in logs written before carbonsim recorded it)
    host: str | None = None
    pid: int | None = None
    pid_start: int | None = None
    heartbeat_at: str | None = None

    @property
    def finished(self) -> bool:
        """Whether the run ended normally: its figures are complete."""
        return self.status is RunStatus.COMPLETED


# --------------------------------------------------------------------------------------------
# Schema: migrations, applied in order, each once
# --------------------------------------------------------------------------------------------

_RUN_COLUMNS = tuple(f for f in RunRecord.__dataclass_fields__)
#: Column order of ``events`` rows everywhere (buffer, INSERT, SELECT, hash).
_EVENT_COLUMNS = ("run_id", "seq", "t", "type", *ID_FIELDS, *FIGURE_FIELDS, "data")
_STATUS_CHECK = ", ".join(f"'{s.value}'" for s in _STORED_STATUSES)


def _m001_create_runs(db: Database) -> None:
    db.execute(f"""
        CREATE TABLE runs (
            run_id          INTEGER PRIMARY KEY AUTOINCREMENT,
            scenario        TEXT NOT NULL,
            scenario_hash   TEXT NOT NULL,
            scenario_json   TEXT NOT NULL,
            seed            INTEGER NOT NULL,
            version         TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ({_STATUS_CHECK})),
            started_at      TEXT NOT NULL,
            finished_at     TEXT,
            wall_seconds    REAL,
            routing_seconds REAL,
            error           TEXT
        ) STRICT
    """)


def _m002_create_events(db: Database) -> None:
    # STRICT: a wrong type is an error, not a silent conversion. Ids are ANY so an int id stays
    # an int and a str id a str. WITHOUT ROWID: rows are stored in (run_id, seq) order.
    ids = ",\n".join(f"            {name} ANY" for name in ID_FIELDS)
    figures = ",\n".join(f"            {name} REAL" for name in FIGURE_FIELDS)
    db.execute(f"""
        CREATE TABLE events (
            run_id  INTEGER NOT NULL REFERENCES runs(run_id),
            seq     INTEGER NOT NULL,
            t       REAL NOT NULL,
            type    TEXT NOT NULL,
{ids},
{figures},
            data    TEXT,
            PRIMARY KEY (run_id, seq)
        ) STRICT, WITHOUT ROWID
    """)
    db.execute("CREATE INDEX events_run_type ON events (run_id, type)")
    db.execute("CREATE INDEX events_run_order ON events (run_id, order_id)")
    db.execute("CREATE INDEX events_run_vehicle ON events (run_id, vehicle_id)")


def _m003_index_events(db: Database) -> None:
    # the queries of check, summary and (later) trace select by type or follow one object
    db.execute("CREATE INDEX events_type ON events (run_id, type)")
    db.execute("CREATE INDEX events_order ON events (run_id, order_id) WHERE order_id IS NOT NULL")
    db.execute("CREATE INDEX events_route ON events (run_id, route_id) WHERE route_id IS NOT NULL")


def _m004_create_product_labels(db: Database) -> None:
    # a report table, derived at the end of a run: every product's grade and its evidence
    # then (the events hold the changes; this holds the state they lead to)
    db.execute("""
        CREATE TABLE product_labels (
            run_id          INTEGER NOT NULL REFERENCES runs(run_id),
            product_id      INTEGER NOT NULL,
            category        TEXT NOT NULL,
            grade           TEXT,
            value           REAL NOT NULL,
            category_median REAL NOT NULL,
            ratio           REAL,
            low_carbon      INTEGER NOT NULL,
            green           INTEGER NOT NULL,
            PRIMARY KEY (run_id, product_id)
        ) STRICT
    """)


def _m005_run_process(db: Database) -> None:
    # who writes the run, and when it last showed signs of life: readers can then tell a
    # run that is still going from one whose process was killed (status left 'running')
    for column, kind in (("host", "TEXT"), ("pid", "INTEGER"), ("pid_start", "INTEGER"), ("heartbeat_at", "TEXT")):
        db.execute(f"ALTER TABLE runs ADD COLUMN {column} {kind}")


def _m006_drop_duplicate_indexes(db: Database) -> None:
    # m003 re-created what m002 already had: events_type is events_run_type again, and
    # events_order covers a subset of events_run_order's rows on the same columns. Each index
    # costs every insert; these two bought no query anything.
    db.execute("DROP INDEX IF EXISTS events_type")
    db.execute("DROP INDEX IF EXISTS events_order")


def schema_migrations() -> Migrations:
    """The event log's migration set, newest last. Never edit an applied one: append."""
    migrations = Migrations(MIGRATION_SET)
    migrations(name="m001_create_runs")(_m001_create_runs)
    migrations(name="m002_create_events")(_m002_create_events)
    migrations(name="m003_index_events")(_m003_index_events)
    migrations(name="m004_create_product_labels")(_m004_create_product_labels)
    migrations(name="m005_run_process")(_m005_run_process)
    migrations(name="m006_drop_duplicate_indexes")(_m006_drop_duplicate_indexes)
    return migrations


# --------------------------------------------------------------------------------------------
# Validation and canonical text
# --------------------------------------------------------------------------------------------


def _data_text(data: Any) -> str | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise TypeError(f"Event.data must be a dict or None, got {type(data).__name__}")
    try:
        text = canonical_json(data)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"Event.data is not JSON-serialisable: {exc}") from exc
    if json.loads(text) != data:
        raise ValueError(
            "Event.data must survive a JSON round trip unchanged (str keys, lists rather than tuples, JSON scalars only)"
        )
    return text


def _object_id(name: str, value: Any) -> ObjectId | None:
    cls = value.__class__
    if value is None or cls is str:
        return value
    if cls is int and -_INT64 <= value < _INT64:
        return value
    if isinstance(value, bool):
        raise TypeError(f"Event.{name} must be an int or a str, not a bool")
    if isinstance(value, str):
        return str(value)
    try:
        value = operator.index(value)  # numpy integers and other int-likes
    except TypeError:
        raise TypeError(f"Event.{name} must be an int or a str, got {cls.__name__}") from None
    if not -_INT64 <= value < _INT64:
        raise OverflowError(f"Event.{name} = {value} does not fit SQLite's 64-bit integers")
    return value


def _number(name: str, value: Any) -> float:
    if value.__class__ is not float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"Event.{name} must be a real number, got {type(value).__name__}")
        value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"Event.{name} must be finite, got {value}")
    return value


def _event_values(event: Event) -> tuple:
    """``event`` as the tail of an ``events`` row (everything after run_id, seq), validated."""
    return (
        _number("t", event.t),
        EventType(event.type).value,
        *(_object_id(name, getattr(event, name)) for name in ID_FIELDS),
        *(None if (v := getattr(event, name)) is None else _number(name, v) for name in FIGURE_FIELDS),
        _data_text(event.data),
    )


#: An event's id and figure fields in column order, read in one C call (the trusted path).
_ID_AND_FIGURES = operator.attrgetter(*ID_FIELDS, *FIGURE_FIELDS)


def _trusted_values(event: Event) -> tuple:
    """The same tail as :func:`_event_values` for an event the package built itself: no checks,
    the data encoded once (no round trip). Equal to the validated tail for every event the
    world writes; a run with ``check_events`` compares the two for each event."""
    data = event.data
    return (event.t, event.type.value, *_ID_AND_FIGURES(event), None if data is None else canonical_json(data))


_ROW_FIELDS = ("t", "type", *ID_FIELDS, *FIGURE_FIELDS, "data")


def _row_to_event(row: tuple) -> Event:
    """An ``events`` row from ``seq`` on (seq, t, type, ids..., figures..., data) as an Event."""
    values = dict(zip(_ROW_FIELDS, row[1:]))
    values["type"] = EventType(values["type"])
    data = values["data"]
    values["data"] = None if data is None else json.loads(data)
    return Event(**values)


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_sqlite_file(head: bytes) -> bool:
    return head.startswith(b"SQLite format 3\x00")


def _refuse_foreign(path: Path) -> None:
    """Refuse to write into an existing file unless it is empty or a carbonsim log: read it
    read-only first, so someone else's database is never given our tables."""
    try:
        if not path.exists() or path.stat().st_size == 0:
            return
        if not path.is_file():
            raise FileProblem(f"{path}: not a file")
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as exc:
        raise file_problem(path, exc) from exc
    if not _is_sqlite_file(head):
        raise FileProblem(f"{path}: not a carbonsim event log (not a SQLite file); give --db a new file or an existing log")
    conn = _connect_read_only(path)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        ours = False
        if "_sqlite_migrations" in tables:
            ours = (
                conn.execute("SELECT 1 FROM _sqlite_migrations WHERE migration_set = ? LIMIT 1", [MIGRATION_SET]).fetchone()
                is not None
            )
    except sqlite3.Error as exc:
        raise file_problem(path, exc) from exc
    finally:
        conn.close()
    if tables and not ours:
        raise FileProblem(
            f"{path}: a SQLite database that is not a carbonsim event log (tables: {', '.join(sorted(tables)[:5])});"
            " carbonsim will not add its tables to it: give --db a new file or an existing log"
        )


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection that never writes to ``path``: mode=ro, and where the file's
    folder or medium is read-only (a WAL log then cannot get its -shm file) immutable=1,
    which reads the file as it is."""
    uri = path.resolve().as_uri()
    try:
        conn = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=LOCK_WAIT_SECONDS)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.OperationalError as exc:
        if "unable to open" not in str(exc) and "readonly" not in str(exc).lower():
            raise file_problem(path, exc, writing=False) from exc
    except sqlite3.DatabaseError as exc:
        raise file_problem(path, exc, writing=False) from exc
    try:
        conn = sqlite3.connect(f"{uri}?immutable=1", uri=True)
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.Error as exc:
        raise file_problem(path, exc, writing=False) from exc


def _apply_migrations(db: Database) -> None:
    """Apply pending migrations holding the write lock, so processes creating one new file
    at once apply each migration once (the others wait, then find nothing pending)."""
    migrations = schema_migrations()
    if "_sqlite_migrations" in db.table_names() and not list(migrations.pending(db)):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db)  # its transactions nest as savepoints inside ours
        db.execute("COMMIT")
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise


# --------------------------------------------------------------------------------------------
# The log
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _ActiveRun:
    run_id: int
    next_seq: int
    started: float  # time.perf_counter() at start_run
    routing_seconds: float | None = None


_INSERT_EVENTS = "INSERT INTO events ({}) VALUES ({})".format(", ".join(_EVENT_COLUMNS), ", ".join("?" * len(_EVENT_COLUMNS)))
_SELECT_EVENTS = "SELECT {} FROM events".format(", ".join(_EVENT_COLUMNS[1:]))


class EventLog:
    """An open event-log file: writes one run at a time, reads any run. Use :meth:`open`."""

    def __init__(
        self,
        db: Database,
        *,
        flush_every: int = DEFAULT_FLUSH_EVERY,
        path: str | os.PathLike[str] | None = None,
        read_only: bool = False,
    ) -> None:
        #: Check every event given to :meth:`record_trusted` as :meth:`record` would, and its
        #: data against its type's declaration (:mod:`sim.log.payloads`): tests and debug runs.
        self.check_events = False
        flush_every = operator.index(flush_every)
        if flush_every < 1:
            raise ValueError(f"flush_every must be >= 1, got {flush_every}")
        self._db: Database | None = db
        self._flush_every = flush_every
        self._buffer: list[tuple] = []
        self._active: _ActiveRun | None = None
        self._companions: list[Any] = []
        self.path = None if path is None else Path(path)
        self.read_only = read_only
        self._last_beat = 0.0
        present = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
        # a log written before m005 (read as it is) lacks the process columns
        self._run_columns = tuple(c for c in _RUN_COLUMNS if c in present)
        self._select_runs = "SELECT {} FROM runs".format(", ".join(self._run_columns))

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, flush_every: int = DEFAULT_FLUSH_EVERY, lock_wait: float = LOCK_WAIT_SECONDS
    ) -> EventLog:
        """Open the log at ``path`` for writing runs, creating it if needed: WAL on, pending
        migrations applied. A write lock held by another process is waited for up to
        ``lock_wait`` seconds.

        Refused with a :class:`~sim.errors.FileProblem` naming the file: a file that is not
        SQLite, or a SQLite database of someone else's (it would get the log's tables), and
        every SQLite or OS failure (missing folder, read-only, disk full, locked). Several
        processes may create the same new file at once: the schema is applied under the
        write lock, each migration once.
        """
        path = Path(path)
        _refuse_foreign(path)
        try:
            conn = sqlite3.connect(path, timeout=lock_wait)
        except sqlite3.Error as exc:
            raise file_problem(path, exc, lock_wait=lock_wait) from exc
        db = Database(conn)
        try:
            db.execute("PRAGMA journal_mode = wal")
            db.execute("PRAGMA synchronous = NORMAL")  # durable at each checkpoint; never corrupt in WAL
            db.execute("PRAGMA foreign_keys = ON")
            _apply_migrations(db)
            return cls(db, flush_every=flush_every, path=path)
        except sqlite3.Error as exc:
            db.close()
            raise file_problem(path, exc, lock_wait=lock_wait) from exc
        except BaseException:
            db.close()
            raise

    @classmethod
    def open_existing(cls, path: str | os.PathLike[str], *, flush_every: int = DEFAULT_FLUSH_EVERY) -> EventLog:
        """Open a log that must already exist, for reading it back, read-only: the file is
        never modified (no WAL switch, no migration), and a log on a read-only filesystem or
        medium is read as it is. ValueError naming the file when it is missing, not SQLite,
        or not a carbonsim log."""
        path = Path(path)
        if not path.is_file():
            raise FileProblem(f"{path}: no such event log file")
        try:
            with open(path, "rb") as f:
                head = f.read(16)
        except OSError as exc:
            raise file_problem(path, exc, writing=False) from exc
        if not _is_sqlite_file(head):
            raise FileProblem(f"{path}: not a carbonsim event log (not a SQLite file)")
        conn = _connect_read_only(path)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "runs" not in tables:
                raise FileProblem(f"{path}: not a carbonsim event log (it has no runs table)")
            missing = [t for t in ("events", "product_labels") if t not in tables]
            if missing:
                raise FileProblem(f"{path}: not a complete carbonsim event log: table {', '.join(missing)} is missing")
            return cls(Database(conn), flush_every=flush_every, path=path, read_only=True)
        except sqlite3.Error as exc:
            conn.close()
            raise file_problem(path, exc, writing=False) from exc
        except BaseException:
            conn.close()
            raise

    # -- plumbing -------------------------------------------------------------------------

    @property
    def db(self) -> Database:
        """The underlying sqlite-utils Database (read-only use, please)."""
        if self._db is None:
            raise RuntimeError("the event log is closed")
        return self._db

    def applied_migrations(self) -> list[str]:
        """Names of this schema's applied migrations, in the order they were applied."""
        return [m.name for m in schema_migrations().applied(self.db)]

    @property
    def active_run_id(self) -> int | None:
        """The run being written, or None."""
        return None if self._active is None else self._active.run_id

    @property
    def pending(self) -> int:
        """Events recorded but not yet flushed."""
        return len(self._buffer)

    def close(self) -> None:
        """Close the file. A run still active is flushed and marked interrupted first."""
        if self._db is None:
            return
        try:
            if self._active is not None:
                self.finish_run(RunStatus.INTERRUPTED, error="the event log was closed while the run was active")
        finally:
            self._db.close()
            self._db = None

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing --------------------------------------------------------------------------

    def start_run(
        self,
        *,
        scenario: str,
        scenario_json: str | Mapping[str, Any],
        seed: int,
        version: str | None = None,
    ) -> int:
        """Insert a ``running`` row in ``runs`` and make it the run that :meth:`record` writes to.

        ``scenario_json`` (JSON text or a mapping) is stored canonicalised (sorted keys, compact),
        and ``scenario_hash`` is the SHA-256 of that text, so it equals
        ``Scenario.canonical_hash()`` for ``Scenario.canonical_json()``.
        """
        if self._active is not None:
            raise RuntimeError(f"run {self._active.run_id} is still active: finish it first")
        if not isinstance(scenario, str):
            raise TypeError(f"scenario must be a str (the scenario's name), got {type(scenario).__name__}")
        data = json.loads(scenario_json) if isinstance(scenario_json, str) else scenario_json
        text = canonical_json(dict(data))
        seed = operator.index(seed)
        db = self.db
        if self.read_only:
            raise RuntimeError(f"{self.path}: opened read-only (open_existing); open it with EventLog.open to write")
        me = current_process()
        now = _utc_now()
        with db.atomic():
            cursor = db.execute(
                "INSERT INTO runs (scenario, scenario_hash, scenario_json, seed, version, status, started_at,"
                " host, pid, pid_start, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    scenario,
                    hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    text,
                    seed,
                    version if version is not None else package_version(),
                    RunStatus.RUNNING.value,
                    now,
                    me.host,
                    me.pid,
                    me.start_ticks,
                    now,
                ],
            )
        assert cursor.lastrowid is not None  # an INSERT always sets it
        run_id = int(cursor.lastrowid)
        self._active = _ActiveRun(run_id=run_id, next_seq=1, started=time.perf_counter())
        return run_id

    def record(self, event: Event) -> int:
        """Validate ``event``, give it the run's next ``seq`` (1, 2, ...) and buffer it.

        A bad event raises here (TypeError / ValueError naming the field) and uses no seq.
        When ``flush_every`` events are buffered, the next record flushes them first. Returns
        the event's seq.
        """
        run = self._active
        if run is None:
            raise RuntimeError("no active run: call start_run() or use run() first")
        return self._buffer_row(run, _event_values(event))

    def _buffer_row(self, run: _ActiveRun, values: tuple) -> int:
        # a full buffer is flushed BEFORE this event joins it: whatever the caller adds to
        # its companions right after this call (a ledger entry for this event) then lands in
        # the same transaction as the event
        if len(self._buffer) >= self._flush_every:
            self.flush()
        seq = run.next_seq
        run.next_seq = seq + 1
        self._buffer.append((run.run_id, seq, *values))
        return seq

    def record_trusted(self, event: Event) -> int:
        """Buffer an event the package built itself (the world's processes): as :meth:`record`,
        without the defensive checks, which cost more than the rest of the write. The caller
        promises plain Python values (int or str ids, float figures, JSON-ready data); with
        :attr:`check_events` on, each event is checked and a broken promise raises ValueError."""
        run = self._active
        if run is None:
            raise RuntimeError("no active run: call start_run() or use run() first")
        values = _trusted_values(event)
        if self.check_events:
            self._check_trusted(event, values)
        return self._buffer_row(run, values)

    @staticmethod
    def _check_trusted(event: Event, values: tuple) -> None:
        checked = _event_values(event)
        problems = payload_problems(event.type, event.data)
        wrong = [
            f"{name} = {v!r} ({type(v).__name__}), stored as {c!r}"
            for name, v, c in zip(_ROW_FIELDS, values, checked)
            if v != c or type(v) is not type(c)
        ]
        if wrong or problems:
            raise ValueError(f"event {event.type} at t={event.t} is not as the package promises: " + "; ".join(wrong + problems))

    def heartbeat(self, *, every: float = HEARTBEAT_SECONDS) -> None:
        """Refresh the active run's ``heartbeat_at`` (at most once per ``every`` wall seconds),
        so a reader on another host can tell a run that is still going from an abandoned one."""
        if self._active is None:
            return
        now = time.monotonic()
        if now - self._last_beat < every:
            return
        self._last_beat = now
        db = self.db
        with db.atomic():
            db.execute("UPDATE runs SET heartbeat_at = ? WHERE run_id = ?", [_utc_now(), self._active.run_id])

    def add_routing_seconds(self, seconds: float) -> None:
        """Add wall-clock time spent in the router to the active run's ``routing_seconds``."""
        if self._active is None:
            raise RuntimeError("no active run")
        self._active.routing_seconds = (self._active.routing_seconds or 0.0) + float(seconds)

    def add_companion(self, companion: Any) -> None:
        """Write ``companion``'s pending rows in the same transaction as each flush of events.

        A companion (the label ledger, say) has ``write(db, rows)``, which inserts what it has
        pending (given the batch's event rows, to digest them) without committing,
        ``finish(db)``, which does the same inside the transaction that sets the run's final
        status, after that update, and ``committed()``, called once either transaction has
        committed; so the events and their companion rows are in the file together or not at all.
        """
        self._companions.append(companion)

    def flush(self) -> int:
        """Write the buffer (and the companions' rows) in one transaction and return how many
        event rows were written.

        On any error (or KeyboardInterrupt) the transaction is rolled back, so none of the batch
        is in the file, and the buffer is kept, so a later flush can write it all.
        """
        if not self._buffer and not self._companions:
            return 0
        with signals_held():  # an interrupt lands before the commit or after the bookkeeping
            rows = self._buffer
            db = self.db
            with db.atomic():
                if rows:
                    db.conn.executemany(_INSERT_EVENTS, rows)
                for companion in self._companions:
                    companion.write(db, rows)
            self._buffer = []
            for companion in self._companions:
                companion.committed()
        return len(rows)

    def finish_run(
        self,
        status: RunStatus | str,
        *,
        error: str | None = None,
        wall_seconds: float | None = None,
        routing_seconds: float | None = None,
    ) -> None:
        """Flush, then set the active run's status, finish time and timings; the run is no longer active.

        ``wall_seconds`` defaults to the time since :meth:`start_run`; ``routing_seconds`` to the
        sum passed to :meth:`add_routing_seconds` (None if never called). If the final flush
        fails, its batch is dropped, the run is marked failed with the reason, and the flush's
        exception is raised.
        """
        run = self._active
        if run is None:
            raise RuntimeError("no active run to finish")
        status = RunStatus(status)
        if status is RunStatus.RUNNING:
            raise ValueError("finish_run needs a final status: completed, failed or interrupted")
        flush_error: BaseException | None = None
        try:
            self.flush()
        except Exception as exc:
            flush_error = exc
            lost, self._buffer = len(self._buffer), []
            status = RunStatus.FAILED
            note = f"final flush failed, {lost} buffered events were not written: {exc!r}"
            error = f"{error}\n{note}" if error else note
        if wall_seconds is None:
            wall_seconds = time.perf_counter() - run.started
        if routing_seconds is None:
            routing_seconds = run.routing_seconds
        with signals_held():  # the status, the seal and the bookkeeping after them: all or nothing
            db = self.db
            with db.atomic():
                db.execute(
                    "UPDATE runs SET status = ?, finished_at = ?, wall_seconds = ?, routing_seconds = ?, error = ?"
                    " WHERE run_id = ?",
                    [
                        status.value,
                        _utc_now(),
                        float(wall_seconds),
                        None if routing_seconds is None else float(routing_seconds),
                        error,
                        run.run_id,
                    ],
                )
                for companion in self._companions:
                    companion.finish(db)
            for companion in self._companions:
                companion.committed()
            self._active = None
            self._companions = []
        if flush_error is not None:
            raise flush_error

    @contextmanager
    def run(
        self,
        *,
        scenario: str,
        scenario_json: str | Mapping[str, Any],
        seed: int,
        version: str | None = None,
    ) -> Iterator[int]:
        """Start a run (see :meth:`start_run`), yield its id, and always finish it.

        Normal exit: completed. KeyboardInterrupt (and SystemExit): interrupted. Any other
        exception: failed, with its traceback in ``runs.error``. What was recorded is flushed in
        every case, and the exception is re-raised.
        """
        run_id = self.start_run(scenario=scenario, scenario_json=scenario_json, seed=seed, version=version)
        try:
            yield run_id
        except Exception as exc:
            self._finish_after(run_id, RunStatus.FAILED, exc)
            raise
        except BaseException as exc:  # KeyboardInterrupt, SystemExit, GeneratorExit
            self._finish_after(run_id, RunStatus.INTERRUPTED, exc)
            raise
        else:
            if self.active_run_id == run_id:
                self.finish_run(RunStatus.COMPLETED)

    def _finish_after(self, run_id: int, status: RunStatus, exc: BaseException) -> None:
        if self.active_run_id != run_id:  # the body finished it already
            return
        try:
            self.finish_run(status, error="".join(traceback.format_exception(exc)))
        except Exception as inner:  # keep the original exception the one that propagates
            exc.add_note(f"while marking run {run_id} {status.value}: {inner!r}")

    # -- reading --------------------------------------------------------------------------

    def iter_events(
        self,
        run_id: int,
        *,
        type: EventType | str | Iterable[EventType | str] | None = None,
        order_id: ObjectId | None = None,
        vehicle_id: ObjectId | None = None,
        t_from: float | None = None,
        t_to: float | None = None,
        limit: int | None = None,
    ) -> Iterator[tuple[int, Event]]:
        """Stream ``(seq, event)`` pairs of a run in seq order; filters as in :meth:`events`.

        Only flushed events are visible. The query runs when this is called (so bad filters
        raise here); rows are fetched as the iterator is consumed.
        """
        where = ["run_id = ?"]
        params: list[Any] = [operator.index(run_id)]
        if type is not None:
            types = [type] if isinstance(type, str) else list(type)
            for value in types:
                if not isinstance(value, str):
                    raise TypeError(f"type filter values must be str or EventType, got {value.__class__.__name__}")
            where.append("type IN ({})".format(", ".join("?" * len(types))))
            params.extend(str(value) for value in types)
        for column, wanted in (("order_id", order_id), ("vehicle_id", vehicle_id)):
            if wanted is not None:
                where.append(f"{column} = ?")
                params.append(wanted)
        if t_from is not None:
            where.append("t >= ?")
            params.append(float(t_from))
        if t_to is not None:
            where.append("t < ?")
            params.append(float(t_to))
        sql = f"{_SELECT_EVENTS} WHERE {' AND '.join(where)} ORDER BY seq"
        if limit is not None:
            limit = operator.index(limit)
            if limit < 0:
                raise ValueError(f"limit must be >= 0, got {limit}")
            sql += " LIMIT ?"
            params.append(limit)
        cursor = self.db.execute(sql, params)
        return ((row[0], _row_to_event(row)) for row in cursor)

    def query_events(self, where: str, params: list[Any]) -> Iterator[tuple[int, Event]]:
        """``(seq, event)`` pairs matching a WHERE clause written by this package, with its
        values bound as ``params`` (never pasted into the SQL), in seq order."""
        return ((row[0], _row_to_event(row)) for row in self.db.execute(f"{_SELECT_EVENTS} WHERE {where} ORDER BY seq", params))

    def events(
        self,
        run_id: int,
        *,
        type: EventType | str | Iterable[EventType | str] | None = None,
        order_id: ObjectId | None = None,
        vehicle_id: ObjectId | None = None,
        t_from: float | None = None,
        t_to: float | None = None,
        limit: int | None = None,
    ) -> list[Event]:
        """A run's flushed events in seq order, filtered (all filters AND-ed, values bound):

        ``type`` one type or several; ``order_id`` / ``vehicle_id`` exact match (an int id never
        matches its str spelling); ``t_from <= t < t_to``; at most ``limit`` events.
        """
        return [
            event
            for _, event in self.iter_events(
                run_id,
                type=type,
                order_id=order_id,
                vehicle_id=vehicle_id,
                t_from=t_from,
                t_to=t_to,
                limit=limit,
            )
        ]

    def runs(self) -> list[RunRecord]:
        """Every run in the file, oldest first."""
        return [self._run_record(row) for row in self.db.execute(f"{self._select_runs} ORDER BY run_id")]

    def get_run(self, run_id: int) -> RunRecord:
        """One run; :class:`~sim.errors.NotFound` (a KeyError) if the file has no such run."""
        row = self.db.execute(f"{self._select_runs} WHERE run_id = ?", [operator.index(run_id)]).fetchone()
        if row is None:
            raise NotFound(f"no run {run_id} in this event log")
        return self._run_record(row)

    def pick_run(self, run_id: int | None = None, *, source: object = "this event log") -> RunRecord:
        """The run ``run_id``, or the file's last run when None. The errors name ``source``
        (the file, say) and list the runs it holds: :class:`~sim.errors.NotFound` (a KeyError) for
        an empty log or an unknown id, ValueError for an id that is not an integer."""
        if run_id is None:
            runs = self.runs()
            if not runs:
                raise NotFound(f"{source}: the event log holds no runs")
            return runs[-1]
        try:
            if isinstance(run_id, bool):
                raise TypeError
            run_id = operator.index(run_id)  # numpy integers are fine too
        except TypeError:
            raise ValueError(f"{source}: run id must be an int or None, got {run_id!r}") from None
        try:
            return self.get_run(run_id)
        except KeyError:
            known = ", ".join(str(r.run_id) for r in self.runs()) or "none"
            raise NotFound(f"{source}: no run {run_id} in this event log (its runs: {known})") from None

    def _run_record(self, row: tuple) -> RunRecord:
        values = dict(zip(self._run_columns, row))
        status = RunStatus(values["status"])
        if status is RunStatus.RUNNING and (self._active is None or self._active.run_id != values["run_id"]):
            if writer_gone(values.get("host"), values.get("pid"), values.get("pid_start"), values.get("heartbeat_at")):
                status = RunStatus.ABANDONED
        values["status"] = status
        return RunRecord(**values)

    def canonical_hash(self, run_id: int) -> str:
        """SHA-256 (hex) of the run's flushed event rows in seq order.

        Each row (seq, t, type, ids, figures, data; not run_id) is one compact JSON array per
        line, floats written exactly, int ids distinct from str ids. Nothing else of the run
        (ids, scenario, wall-clock fields) enters, so two runs with the same events hash equal,
        in one file or two.
        """
        self.get_run(run_id)  # KeyError for an unknown run rather than the hash of nothing
        digest = hashlib.sha256(_HASH_FORMAT)
        for row in self.db.execute(f"{_SELECT_EVENTS} WHERE run_id = ? ORDER BY seq", [operator.index(run_id)]):
            digest.update(json.dumps(row, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))
            digest.update(b"\n")
        return digest.hexdigest()
