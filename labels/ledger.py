"""A tamper-evident ledger of label records: a hash chain in the SQLite table ``ledger``.

Each entry stores the SHA-256 of its own canonical content (``content_hash``), the hash of
the entry before it in the same run (``prev_hash``; 64 zeros for the first), and its own
``entry_hash`` = SHA-256 over (format version, run_id, seq, t, kind, subject, prev_hash,
content_hash): every column of the row is covered. Changing any entry's
content breaks its content hash; deleting, inserting or reordering entries breaks the chain
at the first entry after the change; rewriting a whole suffix consistently is detectable
only against a copy of a later hash (publish the head hash, as the seed's blockchain
evidence stores do).

The schema is managed by its own sqlite-utils migration set (``carbonsim.ledger``), so the
table can live in the simulation's event-log file without this package importing ``sim``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database, Migrations

GENESIS = "0" * 64
MIGRATION_SET = "carbonsim.ledger"


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
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


#: Bump when the hashed serialisation changes.
HASH_FORMAT = "carbonsim.ledger/2"


def entry_hash(run_id: int, seq: int, t: float, kind: str, subject: Any, prev_hash: str, content_hash: str) -> str:
    head = json.dumps([HASH_FORMAT, run_id, seq, float(t).hex(), kind, subject], separators=(",", ":"))
    return sha256(f"{head}|{prev_hash}|{content_hash}")


@dataclass(frozen=True)
class Tampered:
    """The first entry whose record does not hold, and why."""

    run_id: int
    seq: int
    reason: str


class Ledger:
    """Appends label records of one run to the chain; buffered, written in transactions."""

    def __init__(self, db: Database, run_id: int) -> None:
        migrations().apply(db)
        self.db = db
        self.run_id = run_id
        row = db.execute("SELECT seq, entry_hash FROM ledger WHERE run_id = ? ORDER BY seq DESC LIMIT 1", [run_id]).fetchone()
        self.seq, self.head = (row[0], row[1]) if row else (0, GENESIS)
        self._buffer: list[tuple] = []
        self._written = 0

    def append(self, t: float, kind: str, subject: Any, content: Mapping[str, Any]) -> str:
        """Chain one record; returns its entry hash."""
        text = canonical(content)
        c_hash = sha256(text)
        self.seq += 1
        e_hash = entry_hash(self.run_id, self.seq, t, kind, subject, self.head, c_hash)
        self._buffer.append((self.run_id, self.seq, float(t), kind, subject, text, c_hash, self.head, e_hash))
        self.head = e_hash
        return e_hash

    def write(self, db: Database | None = None) -> None:
        """Insert the pending entries inside the caller's transaction (see :meth:`committed`)."""
        if self._buffer:
            (db or self.db).conn.executemany("INSERT INTO ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", self._buffer)
            self._written = len(self._buffer)

    def committed(self) -> None:
        """The transaction holding the written entries committed: forget them."""
        del self._buffer[: getattr(self, "_written", 0)]
        self._written = 0

    def flush(self) -> None:
        """Write the pending entries in a transaction of their own."""
        with self.db.atomic():
            self.write()
        self.committed()


def verify(db: Database, run_ids: Iterable[int] | None = None) -> tuple[int, Tampered | None]:
    """Recompute the chain of each run (all runs by default) and return (entries checked,
    the first tampered entry or None)."""
    if "ledger" not in db.table_names():
        return 0, None
    if run_ids is None:
        run_ids = [r[0] for r in db.execute("SELECT DISTINCT run_id FROM ledger ORDER BY run_id")]
    checked = 0
    for run_id in run_ids:
        prev, expect_seq = GENESIS, 1
        for seq, t, kind, subject, content, c_hash, p_hash, e_hash in db.execute(
            "SELECT seq, t, kind, subject, content, content_hash, prev_hash, entry_hash FROM ledger"
            " WHERE run_id = ? ORDER BY seq", [run_id]
        ):
            checked += 1
            if seq != expect_seq:
                return checked, Tampered(run_id, seq, f"expected entry {expect_seq} here (entries missing or moved)")
            if sha256(content) != c_hash:
                return checked, Tampered(run_id, seq, "content does not match its content hash (edited)")
            if p_hash != prev:
                return checked, Tampered(run_id, seq, "does not chain to the entry before it (removed, inserted or reordered)")
            if entry_hash(run_id, seq, t, kind, subject, p_hash, c_hash) != e_hash:
                return checked, Tampered(run_id, seq, "entry hash does not match (edited)")
            prev, expect_seq = e_hash, seq + 1
    return checked, None
