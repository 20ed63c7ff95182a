"""The label ledger's hash chain, and tampering caught in a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from labels.ledger import GENESIS, Ledger, verify


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
        ("UPDATE ledger SET seq = -3 WHERE run_id = 1 AND seq = 3; UPDATE ledger SET seq = 3 WHERE run_id = 1 AND seq = 4;"
         " UPDATE ledger SET seq = 4 WHERE run_id = 1 AND seq = -3", 3, "chain"),
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
    con.execute("UPDATE ledger SET content = ?, content_hash = ? WHERE run_id = 1 AND seq = 6",
                [content, hashlib.sha256(content.encode()).hexdigest()])
    con.commit()
    _, bad = _verify(db_path)
    assert (bad.seq, bad.reason) == (6, "entry hash does not match (edited)")


def test_every_column_is_covered_by_the_hash(db_path):
    """Changing an entry's time, kind or subject (not its content) is caught too."""
    for sql in ("UPDATE ledger SET t = -1 WHERE run_id = 2 AND seq = 3",
                "UPDATE ledger SET kind = 'product_grade' WHERE run_id = 2 AND seq = 3",
                "UPDATE ledger SET subject = 999 WHERE run_id = 2 AND seq = 3"):
        import shutil

        copy = db_path.with_name("copy.db")
        shutil.copy(db_path, copy)
        con = sqlite3.connect(copy)
        con.execute(sql)
        con.commit()
        con.close()
        _, bad = _verify(copy)
        assert (bad.run_id, bad.seq) == (2, 3), sql
