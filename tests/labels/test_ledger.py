"""The label ledger's hash chain, and tampering caught in a real SQLite file."""

from __future__ import annotations

import hashlib
import sqlite3
import struct

import pytest
from sqlite_utils import Database

from labels.ledger import GENESIS, Ledger, batch_digests, canonical_rows, rows_digest, verify, verify_run


@pytest.fixture
def db_path(tmp_path):
    path = tmp_path / "ledger.db"
    db = Database(path)
    for run in (1, 2):
        led = Ledger(db, run)
        for i in range(10):
            led.append(float(i), "order_label", i, {"order": i, "kg_co2e": 0.1 * i, "run": run})
        led.flush()
    db.close()
    return path


def _verify(path):
    return verify(Database(path))


def test_an_untouched_chain_verifies(db_path):
    n, bad = _verify(db_path)
    assert (n, bad) == (20, None)
    con = sqlite3.connect(db_path)
    assert con.execute("SELECT prev_hash FROM ledger WHERE run_id = 1 AND seq = 1").fetchone()[0] == GENESIS


def test_an_append_stopped_by_a_signal_leaves_no_gap_in_the_chain(db_path, monkeypatch):
    """A Ctrl-C lands between any two bytecodes: an append it stops is either in the chain
    or leaves no trace (a killed run once verified with 'expected entry 1157 here')."""
    db = Database(db_path)
    led = Ledger(db, 1)
    real = Ledger._entry

    def interrupted(self, *args):
        raise KeyboardInterrupt

    monkeypatch.setattr(Ledger, "_entry", interrupted)
    with pytest.raises(KeyboardInterrupt):
        led.append(11.0, "grade", "p1", {"grade": "B"})
    monkeypatch.setattr(Ledger, "_entry", real)
    assert led.seq == 10
    led.append(12.0, "grade", "p2", {"grade": "C"})
    led.flush()
    assert verify(db) == (21, None)


def test_appending_later_continues_the_chain(db_path):
    db = Database(db_path)
    led = Ledger(db, 1)
    assert led.seq == 10
    led.append(11.0, "grade", "p1", {"grade": "B"})
    led.flush()
    assert verify(db) == (21, None)


@pytest.mark.parametrize(
    ("sql", "seq", "reason"),
    [
        ("UPDATE ledger SET content = replace(content, '0.4', '0.3') WHERE run_id = 1 AND seq = 5", 5, "edited"),
        ("DELETE FROM ledger WHERE run_id = 1 AND seq = 4", 5, "missing or moved"),
        (
            "UPDATE ledger SET seq = -3 WHERE run_id = 1 AND seq = 3; UPDATE ledger SET seq = 3 WHERE run_id = 1 AND seq = 4;"
            " UPDATE ledger SET seq = 4 WHERE run_id = 1 AND seq = -3",
            3,
            "chain",
        ),
    ],
    ids=["changed", "deleted", "reordered"],
)
def test_tampering_is_caught_at_the_first_bad_entry(db_path, sql, seq, reason):
    con = sqlite3.connect(db_path)
    con.executescript(sql)
    con.commit()
    con.close()
    n, bad = _verify(db_path)
    assert bad is not None and (bad.run_id, bad.seq) == (1, seq) and reason in bad.reason


def test_a_consistent_rewrite_of_content_and_its_hash_is_still_caught(db_path):
    """Re-hashing the edited content is not enough: the entry hash (and every later prev_hash)
    no longer match."""
    import hashlib
    import json

    con = sqlite3.connect(db_path)
    content = json.dumps({"kg_co2e": 0.0, "order": 5, "run": 1}, sort_keys=True, separators=(",", ":"))
    con.execute(
        "UPDATE ledger SET content = ?, content_hash = ? WHERE run_id = 1 AND seq = 6",
        [content, hashlib.sha256(content.encode()).hexdigest()],
    )
    con.commit()
    _, bad = _verify(db_path)
    assert (bad.seq, bad.reason) == (6, "entry hash does not match (edited)")


def test_every_column_is_covered_by_the_hash(db_path):
    """Changing an entry's time, kind or subject (not its content) is caught too."""
    for sql in (
        "UPDATE ledger SET t = -1 WHERE run_id = 2 AND seq = 3",
        "UPDATE ledger SET kind = 'product_grade' WHERE run_id = 2 AND seq = 3",
        "UPDATE ledger SET subject = 999 WHERE run_id = 2 AND seq = 3",
    ):
        import shutil

        copy = db_path.with_name("copy.db")
        shutil.copy(db_path, copy)
        con = sqlite3.connect(copy)
        con.execute(sql)
        con.commit()
        con.close()
        _, bad = _verify(copy)
        assert (bad.run_id, bad.seq) == (2, 3), sql


# -- canonical bytes of rows and the batch digests (issue 16) --------------------------------


def _reference_item(value) -> bytes:
    """Pickle protocol 2, written from the opcodes (pickletools), for the values a log holds."""
    if value is None:
        return b"N"
    if isinstance(value, float):
        return b"G" + struct.pack(">d", value + 0.0)  # + 0.0: -0.0 becomes 0.0
    if isinstance(value, int):
        if 0 <= value <= 0xFF:
            return b"K" + bytes([value])
        if 0 <= value <= 0xFFFF:
            return b"M" + value.to_bytes(2, "little")
        if -(2**31) <= value < 2**31:
            return b"J" + value.to_bytes(4, "little", signed=True)
        n = (value.bit_length() >> 3) + 1
        raw = value.to_bytes(n, "little", signed=True)
        if value < 0 and n > 1 and raw[-1] == 0xFF and raw[-2] & 0x80:
            raw = raw[:-1]
        return b"\x8a" + bytes([len(raw)]) + raw
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        return b"X" + len(data).to_bytes(4, "little") + data
    if isinstance(value, tuple):
        items = b"".join(_reference_item(v) for v in value)
        if not value:
            return b")"
        if len(value) <= 3:
            return items + bytes([0x84 + len(value)])
        return b"(" + items + b"t"
    raise TypeError(type(value))


def _reference(rows) -> bytes:
    return b"\x80\x02" + _reference_item(tuple(rows)) + b"."


EDGE_ROWS = [
    (
        1,
        1,
        0.0,
        "order_placed",
        7,
        None,
        "p-1",
        2**40,
        -1,
        -(2**31),
        2**31,
        -0.0,
        1e-320,
        -2.5,
        1.7976931348623157e308,
        None,
        255,
        256,
        '{"a":"é 𝄞 \\u0000"}',
    ),
    (1, 2, 1.5, "", 65535, 65536, -(2**63), 2**63 - 1, "", "x" * 300, "\ud800", 0.1, None, None, None, None, None, None, None),
    (),
    (None,),
    (1, "two"),
    ("a", "b", "c"),
]


def test_the_canonical_bytes_are_pickle_protocol_2_as_written_from_the_opcodes():
    """Pins the hashed format: if a Python release ever pickled these differently, logs
    written before would stop verifying, and this test says so first."""
    assert canonical_rows(EDGE_ROWS) == _reference(EDGE_ROWS)
    for row in EDGE_ROWS:
        assert canonical_rows([row]) == _reference([row])
    assert canonical_rows([]) == _reference([])
    many = [(i, float(i) / 3, f"s{i}") for i in range(2_345)]  # more than pickle's batch of 1,000
    assert canonical_rows(many) == _reference(many)


def test_digests_depend_on_values_not_on_objects_and_see_every_change():
    a = "arrived"
    b = "".join(["arr", "ived"])
    assert a is not b and rows_digest([(a, a)]) == rows_digest([(a, b)])
    base = [(1, 1, 0.0, "x", None), (1, 2, 1.0, "y", 5)]
    for changed in (
        [(1, 1, 0.0, "x", None), (1, 2, 1.0, "y", "5")],  # an int id is not its str spelling
        [(1, 1, 0.0, "x", None), (1, 2, 1.0, "y", 5.0)],
        [(1, 1, 0.0, "x", 0), (1, 2, 1.0, "y", 5)],  # None is not 0
        [(1, 2, 1.0, "y", 5), (1, 1, 0.0, "x", None)],  # order counts
        [(1, 1, 0.0, "x", None)],
    ):
        assert rows_digest(changed) != rows_digest(base)
    assert rows_digest([(-0.0,)]) == rows_digest([(0.0,)])  # SQLite keeps no -0.0 in a REAL column


def test_rows_read_back_from_sqlite_hash_as_they_were_written(tmp_path):
    """The writer digests the rows it inserts; verify digests what SQLite gives back. The
    log's column types (REAL, ANY, TEXT; STRICT) must give back the same values."""
    con = sqlite3.connect(tmp_path / "round.db")
    con.execute(
        "CREATE TABLE events (run_id INTEGER, seq INTEGER, t REAL NOT NULL, type TEXT NOT NULL, a ANY, b ANY,"
        " km REAL, kg REAL, data TEXT) STRICT"
    )
    rows = [
        (1, 1, 0.0, "t", 1, "1", -0.0, 5.0, None),
        (1, 2, -0.0, "t", 2**62, None, 1e300, None, '{"x":-0.0}'),
        (1, 3, 1e-310, "tt", -5, "é", 0.1 + 0.2, -(2.0**63), "\u2028"),
    ]
    con.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    back = con.execute("SELECT * FROM events ORDER BY seq").fetchall()
    assert repr(back) != repr(rows)  # SQLite did turn -0.0 into 0.0 (equal under ==, not as bytes)
    assert canonical_rows(back) == canonical_rows(rows)
    assert batch_digests(back, 3) == batch_digests(rows, 3)


def _events_db(tmp_path):
    db = Database(tmp_path / "log.db")
    db.execute(
        "CREATE TABLE runs (run_id INTEGER PRIMARY KEY, scenario TEXT, scenario_hash TEXT, scenario_json TEXT,"
        " seed INTEGER, version TEXT, status TEXT, started_at TEXT, finished_at TEXT, wall_seconds REAL,"
        " routing_seconds REAL, error TEXT)"
    )
    db.execute("CREATE TABLE events (run_id INTEGER, seq INTEGER, t REAL, type TEXT, data TEXT, PRIMARY KEY (run_id, seq))")
    db.execute(
        "INSERT INTO runs VALUES (1, 's', ?, '{}', 0, 'v', 'running', 'now', NULL, NULL, NULL, NULL)",
        [hashlib.sha256(b"{}").hexdigest()],
    )
    return db


def _insert(db, ledger, rows, fail=False):
    """One flush as the event log does it: the rows and the ledger's entries in one
    transaction; ``fail`` rolls it back (a write error after the inserts)."""
    try:
        with db.atomic():
            db.conn.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", rows)
            ledger.write(db, rows)
            if fail:
                raise OSError("disk full")
    except OSError:
        return
    ledger.committed()


def test_a_rolled_back_flush_leaves_no_digest_and_the_retry_covers_its_rows(tmp_path):
    db = _events_db(tmp_path)
    ledger = Ledger(db, 1)
    first = [(1, 1, 0.0, "a", None), (1, 2, 1.0, "b", '{"x":1}')]
    _insert(db, ledger, first)
    ledger.append(2.0, "order_label", 3, {"order": 3})
    batch = [(1, 3, 2.0, "a", None)]
    _insert(db, ledger, batch, fail=True)
    assert db.execute("SELECT COUNT(*) FROM ledger").fetchone()[0] == 1  # the failed flush wrote nothing
    ledger.append(3.0, "order_label", 4, {"order": 4})
    _insert(db, ledger, [*batch, (1, 4, 3.0, "b", None)])  # the event log retries with the kept buffer
    kinds = [r[0] for r in db.execute("SELECT kind FROM ledger ORDER BY seq")]
    assert kinds == ["events", "order_label", "order_label", "events"]
    result = verify_run(db, 1)
    assert (result.state, result.events, result.batches, result.records) == ("unsealed", 4, 2, 2), result


def test_the_seal_drops_records_whose_events_were_never_written_and_ends_the_chain(tmp_path):
    db = _events_db(tmp_path)
    ledger = Ledger(db, 1)
    _insert(db, ledger, [(1, 1, 0.0, "a", None)])
    ledger.append(1.0, "order_label", 2, {"order": 2})  # its event is in a final flush that failed
    with db.atomic():
        db.execute("UPDATE runs SET status = 'failed' WHERE run_id = 1")
        ledger.finish(db)
    ledger.committed()
    assert [r[0] for r in db.execute("SELECT kind FROM ledger ORDER BY seq")] == ["events", "run"]
    result = verify_run(db, 1)
    assert result.state == "verified" and result.records == 0 and result.product_labels is None, result
    with pytest.raises(RuntimeError, match="sealed"):
        ledger.append(2.0, "order_label", 3, {"order": 3})
    with pytest.raises(RuntimeError, match="sealed"):
        Ledger(db, 1).append(2.0, "order_label", 3, {"order": 3})
    with pytest.raises(ValueError, match="the ledger's own"):
        Ledger(db, 2).append(0.0, "run", 1, {})


def test_a_batch_that_does_not_continue_the_runs_seqs_is_refused(tmp_path):
    db = _events_db(tmp_path)
    ledger = Ledger(db, 1)
    with pytest.raises(ValueError, match="must continue the run's seqs"):
        ledger.write(db, [(1, 2, 0.0, "a", None)])
