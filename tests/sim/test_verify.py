"""`carbonsim verify` against tampering with a real run's file (issue 16, item 7).

Each case edits a copy of one real run's event log with sqlite3, as a user could, and
`verify` must fail naming the run and what broke; where the edit moves a KPI the test shows
that it does, since that is why it matters. An untouched run verifies, its printed head
passes --head and another head fails, and a consistent rewrite of the whole ledger passes
everything but --head. Old logs, killed runs and a failed final flush are reported, not
crashes.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from labels.ledger import GENESIS, SEALED_RUN_COLUMNS, Ledger, batch_digests, canonical, entry_hash, product_labels_digest, sha256
from sim import EventLog, check_run, run
from sim.analysis.summary import summarize
from sim.cli import main
from sim.scenario import Scenario
from sim.simulation import FinalRows, Simulation

ROOT = Path(__file__).resolve().parents[2]
# two days of the tiny world, some failed attempts (so some deliveries are late), sessions
# mode (so there are session events), flushed every 400 events (so the run has several digests)
SCENARIO = [
    "simulation.days=2",
    "demand.orders_per_day=60",
    "world.customers=200",
    "catalog.products=40",
    "demand.failed_attempt_share=0.1",
]
FLUSH_EVERY = 400


def _scenario(*extra: str) -> Scenario:
    return Scenario().apply_overrides([*SCENARIO, *extra])


@pytest.fixture(scope="module")
def logged(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("verify") / "run.db"
    run(_scenario(), db_path=db, seed=3, flush_every=FLUSH_EVERY)
    return db


def _copy(db: Path, to: Path) -> Path:
    with sqlite3.connect(db) as src, sqlite3.connect(to) as dst:
        src.backup(dst)
    return to


def _tamper(db: Path, tmp_path: Path, *sql: str) -> Path:
    """A copy of ``db`` with each statement applied by a plain sqlite3 connection; each must
    change something, or the case would test nothing."""
    copy = _copy(db, tmp_path / "tampered.db")
    con = sqlite3.connect(copy)
    for statement in sql:
        assert con.execute(statement).rowcount > 0, statement
    con.commit()
    con.close()
    return copy


def _verify(path: Path, *args: str) -> tuple[int, dict]:
    res = CliRunner().invoke(main, ["verify", str(path), "--json", *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    return res.exit_code, json.loads(res.stdout)


def _verify_text(path: Path, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(main, ["--tables", "verify", str(path), *args])
    return res.exit_code, res.stdout


def _kpis(path: Path) -> dict:
    with EventLog.open_existing(path) as log:
        return summarize(log, 1).to_dict()


def _run_1(doc: dict) -> dict:
    return next(r for r in doc["runs"] if r["run_id"] == 1)


# -- an untouched run ------------------------------------------------------------------------


def test_an_untouched_run_verifies_every_event_the_runs_row_and_product_labels(logged):
    code, doc = _verify(logged)
    assert code == 0 and doc["ok"], doc
    r = _run_1(doc)
    con = sqlite3.connect(logged)
    events, labels = con.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM product_labels) FROM events").fetchone()
    assert r["state"] == "verified" and r["problem"] is None
    assert r["events"] == events and r["digests"] == -(-events // FLUSH_EVERY) and r["digests"] > 3
    assert r["product_labels"] == labels > 0
    assert (
        len(r["head"]) == 64 and r["head"] == con.execute("SELECT entry_hash FROM ledger ORDER BY seq DESC LIMIT 1").fetchone()[0]
    )
    code, text = _verify_text(logged)
    assert code == 0 and f"run 1 (scenario, seed 3, completed): verified: {events:,} events" in text
    assert f"head {r['head']}" in text
    with EventLog.open_existing(logged) as log:
        assert all(c.ok for c in check_run(log, 1))


def test_the_ledger_still_records_exactly_the_label_grade_and_category_events(logged):
    con = sqlite3.connect(logged)
    kinds = dict(con.execute("SELECT kind, COUNT(*) FROM ledger GROUP BY kind").fetchall())
    types = dict(
        con.execute(
            "SELECT type, COUNT(*) FROM events WHERE type IN ('label_issued', 'grade_changed', 'category_closed') GROUP BY type"
        )
    )
    assert kinds.pop("order_label") == types["label_issued"] and kinds.pop("product_grade") == types["grade_changed"]
    assert kinds.pop("category_total") == types["category_closed"] > 0
    assert kinds.pop("run") == 1 and kinds.pop("events") > 3 and not kinds


# -- each tampering --------------------------------------------------------------------------

_FIRST = "(SELECT MIN(seq) FROM events WHERE run_id = 1 AND type = '{}')"

TAMPERINGS = [
    # (id, SQL, what verify must say, a KPI the edit moves or None)
    (
        "packaging kg",
        ["UPDATE events SET kg_co2e = kg_co2e / 2 WHERE type = 'packed'"],
        "the packed events do not match their digest (edited)",
        "kg_co2e_packaging",
    ),
    (
        "route cost",
        [f"UPDATE events SET cost = cost / 2 WHERE seq = {_FIRST.format('vehicle_returned')}"],
        "the vehicle_returned events do not match their digest (edited)",
        "cost_per_order",
    ),
    (
        "lateness",
        ["UPDATE events SET lateness = 0 WHERE type = 'delivered' AND lateness > 0"],
        "the delivered events do not match their digest (edited)",
        "on_time_share",
    ),
    (
        "trunk kg",
        ["UPDATE events SET kg_co2e = kg_co2e / 10 WHERE type = 'replenishment_received'"],
        "the replenishment_received events do not match their digest (edited)",
        "kg_co2e_trunk",
    ),
    (
        "session event",
        ["UPDATE events SET data = json_set(data, '$.exposure_green', 0) WHERE type = 'slate_shown'"],
        "the slate_shown events do not match their digest (edited)",
        "green_exposure_share",
    ),
    (
        "session event retyped",
        [f"UPDATE events SET type = 'session_started' WHERE seq = {_FIRST.format('product_clicked')}"],
        "where the digest recorded",
        "sessions",
    ),
    (
        "delivery time",
        [f"UPDATE events SET t = t + 600 WHERE seq = {_FIRST.format('delivered')}"],
        "the delivered events do not match their digest (edited)",
        None,
    ),
    (
        "grade",
        [
            "UPDATE events SET data = json_set(data, '$.to', 'A') WHERE seq = "
            "(SELECT MIN(seq) FROM events WHERE type = 'grade_changed' AND json_extract(data, '$.to') != 'A')"
        ],
        "the grade_changed events do not match their digest (edited)",
        None,
    ),
    ("seed", ["UPDATE runs SET seed = seed + 1"], "runs.seed: sealed 3, now 4 (edited)", "seed"),
    ("status", ["UPDATE runs SET status = 'failed'"], "runs.status: sealed 'completed', now 'failed' (edited)", "status"),
    ("wall seconds", ["UPDATE runs SET wall_seconds = 0.5"], "runs.wall_seconds: sealed", "wall_seconds"),
    (
        "scenario",
        ["UPDATE runs SET scenario_json = replace(scenario_json, '\"days\":2', '\"days\":3')"],
        "runs.scenario_json does not match runs.scenario_hash (edited)",
        "days",
    ),
    (
        "product_labels row",
        [
            "UPDATE product_labels SET grade = 'A' WHERE product_id = "
            "(SELECT MIN(product_id) FROM product_labels WHERE grade != 'A')"
        ],
        "product_labels.grade does not match the seal (edited)",
        None,
    ),
    (
        "product_labels row deleted",
        ["DELETE FROM product_labels WHERE product_id = (SELECT MIN(product_id) FROM product_labels)"],
        "(deleted)",
        None,
    ),
    ("event deleted", ["DELETE FROM events WHERE run_id = 1 AND seq = 100"], "event 100 is missing (deleted)", "events"),
    (
        "event moved to another run",
        ["UPDATE events SET run_id = 7 WHERE run_id = 1 AND seq = 5"],
        "event 5 is missing (deleted)",
        "events",
    ),
    (
        "event added",
        [
            "INSERT INTO events SELECT run_id, (SELECT MAX(seq) + 1 FROM events), t, type, order_id, vehicle_id,"
            " product_id, route_id, consumer_id, wave_id, label_id, km, kg_co2e, load, lateness, stock_level,"
            " quantity, cost, data FROM events WHERE type = 'packed' LIMIT 1"
        ],
        "no digest covers (from event",
        "kg_co2e_packaging",
    ),
    ("seal removed", ["DELETE FROM ledger WHERE kind = 'run'"], "marked completed but was never sealed", None),
    (
        "digest edited",
        ["UPDATE ledger SET content = replace(content, '\"first\":1,', '\"first\":2,') WHERE kind = 'events'"],
        "content does not match its content hash (edited)",
        None,
    ),
]


@pytest.mark.parametrize(("sql", "problem", "kpi"), [t[1:] for t in TAMPERINGS], ids=[t[0] for t in TAMPERINGS])
def test_verify_names_the_run_and_what_broke(logged, tmp_path, sql, problem, kpi):
    copy = _tamper(logged, tmp_path, *sql)
    if kpi is not None:  # the edit matters: it moves what users read
        assert _kpis(copy)[kpi] != _kpis(logged)[kpi]
    code, doc = _verify(copy)
    r = _run_1(doc)
    assert code == 1 and not doc["ok"] and r["state"] == "tampered" and problem in r["problem"], r
    assert doc["tampered"] == {"run_id": 1, "problem": r["problem"]}
    code, text = _verify_text(copy)
    assert code == 1 and "run 1 (scenario, seed" in text and f"TAMPERED: {r['problem']}" in text
    # check catches it too, in its ledger check
    with EventLog.open_existing(copy) as log:
        assert not {c.name: c for c in check_run(log, 1)}["ledger_chain"].ok


def test_a_run_row_deleted_leaves_orphans_that_verify_reports(logged, tmp_path):
    copy = _tamper(logged, tmp_path, "UPDATE events SET run_id = 7 WHERE run_id = 1 AND seq = 5")
    code, doc = _verify(copy)
    assert code == 1 and doc["orphan_runs"] == [7]
    code, text = _verify_text(copy)
    assert "run 7: TAMPERED: it has events or ledger entries but no row in runs (deleted)" in text


# -- heads -----------------------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", "--tables", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )


def test_verify_head_passes_with_the_printed_head_and_fails_with_another(logged):
    out = _cli("verify", str(logged))
    assert out.returncode == 0, out.stderr
    head = next(line.split()[1] for line in out.stdout.splitlines() if line.strip().startswith("head "))
    ok = _cli("verify", str(logged), "--head", head)
    assert ok.returncode == 0 and f"head {head} matches run 1" in ok.stdout
    other = ("0" if head[0] != "0" else "1") + head[1:]
    bad = _cli("verify", str(logged), "--head", other)
    assert bad.returncode == 1 and f"head {other} is not the head of any run" in bad.stdout
    assert _cli("verify", str(logged), "--head", "abc").returncode == 2


def _rewrite_ledger(path: Path, run_id: int = 1) -> None:
    """What a careful forger does after editing the tables: recompute every digest of the
    run's ledger from the tables as they are now, then every hash of its chain."""
    db = Database(path)
    prev = GENESIS
    for seq, t, kind, subject, content in db.execute(
        "SELECT seq, t, kind, subject, content FROM ledger WHERE run_id = ? ORDER BY seq", [run_id]
    ).fetchall():
        doc = json.loads(content)
        if kind == "events":
            columns = ", ".join(doc["columns"])
            rows = db.execute(
                f"SELECT {columns} FROM events WHERE run_id = ? AND seq BETWEEN ? AND ? ORDER BY seq",
                [run_id, doc["first"], doc["last"]],
            ).fetchall()
            doc["types"] = batch_digests(rows, doc["columns"].index("type"))
        elif kind == "run":
            row = db.execute(f"SELECT {', '.join(SEALED_RUN_COLUMNS)} FROM runs WHERE run_id = ?", [run_id]).fetchone()
            doc["runs"] = dict(zip(SEALED_RUN_COLUMNS, row))
            doc["product_labels"] = product_labels_digest(db, run_id)
        text = canonical(doc)
        c_hash = sha256(text)
        e_hash = entry_hash(run_id, seq, t, kind, subject, prev, c_hash)
        db.execute(
            "UPDATE ledger SET content = ?, content_hash = ?, prev_hash = ?, entry_hash = ? WHERE run_id = ? AND seq = ?",
            [text, c_hash, prev, e_hash, run_id, seq],
        )
        prev = e_hash
    db.conn.commit()
    db.close()


def test_a_consistent_rewrite_of_the_whole_ledger_is_caught_only_with_head(logged, tmp_path):
    """The documented limit: whoever can write the file can recompute every digest and hash
    after an edit; only a head recorded elsewhere tells."""
    _, doc = _verify(logged)
    published = _run_1(doc)["head"]
    copy = _tamper(
        logged,
        tmp_path,
        f"UPDATE events SET cost = cost / 2 WHERE seq = {_FIRST.format('vehicle_returned')}",
        "UPDATE runs SET seed = 4",
    )
    assert _verify(copy)[0] == 1
    _rewrite_ledger(copy)
    code, doc = _verify(copy)
    assert code == 0 and _run_1(doc)["state"] == "verified" and _run_1(doc)["head"] != published
    code, doc = _verify(copy, "--head", published)
    assert code == 1 and doc["heads"] == [{"head": published, "run_id": None}]


# -- runs the ledger cannot fully cover ------------------------------------------------------


class _OldLedger(Ledger):
    """The ledger as carbonsim wrote it before issue 16: label records only, no digests, no seal."""

    def write(self, db=None, rows=()):
        super().write(db)

    def finish(self, db=None):
        pass


def test_an_old_log_without_digests_is_reported_not_covered(tmp_path):
    db = tmp_path / "old.db"
    s = _scenario("simulation.days=1")
    with EventLog.open(db) as log:
        run_id = log.start_run(scenario="old", scenario_json=s.canonical_json(), seed=0)
        ledger = _OldLedger(log.db, run_id)
        log.add_companion(ledger)
        sim = Simulation.build(s, log.record, ledger)
        sim.run()
        log.db["product_labels"].insert_all([{"run_id": run_id, **r} for r in sim.labeller.evidence()])
        log.finish_run("completed")
    code, doc = _verify(db)
    r = _run_1(doc)
    assert code == 1 and r["state"] == "legacy" and "older carbonsim" in r["problem"] and doc["tampered"] is None
    assert r["records"] > 0 and r["head"] is not None
    code, text = _verify_text(db)
    assert code == 1 and "run 1 (old, seed 0, completed): NOT COVERED: written before the ledger digested events" in text
    with EventLog.open_existing(db) as log:  # its label records still match
        assert {c.name: c for c in check_run(log, 1)}["ledger_chain"].ok
    # and tampering with its label records is still caught
    copy = _tamper(
        db,
        tmp_path,
        "UPDATE events SET data = json_set(data, '$.kg_co2e', 0.0) WHERE seq = "
        "(SELECT MIN(seq) FROM events WHERE type = 'label_issued')",
    )
    code, doc = _verify(copy)
    assert code == 1 and _run_1(doc)["state"] == "tampered" and "label_issued record" in _run_1(doc)["problem"]


KILLED_CHILD = """
import sys
from sim import run
from sim.scenario import Scenario
s = Scenario().apply_overrides({scenario!r})
run(s, db_path=sys.argv[1], seed=1, flush_every=200)
"""


def _digests(db: Path) -> int:
    try:
        with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM ledger WHERE kind = 'events'").fetchone()[0]
    except sqlite3.Error:  # not created yet
        return 0


def test_a_killed_run_verifies_what_it_committed_and_says_it_is_not_sealed(tmp_path):
    db = tmp_path / "killed.db"
    code = KILLED_CHILD.format(scenario=[*SCENARIO, "simulation.days=60"])
    child = subprocess.Popen([sys.executable, "-c", code, str(db)], env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    try:
        deadline = time.monotonic() + 300  # a bound on waiting (numba may compile first), not a timing assertion
        while _digests(db) < 3 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.poll() is None, "the run ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    con = sqlite3.connect(db)
    status, events, labels = con.execute(
        "SELECT status, (SELECT COUNT(*) FROM events), (SELECT COUNT(*) FROM product_labels) FROM runs"
    ).fetchone()
    assert status == "running" and events >= 600 and labels == 0  # product_labels only comes with the final status
    code, doc = _verify(db)
    r = _run_1(doc)
    assert code == 1 and r["state"] == "unsealed" and r["events"] == events and doc["tampered"] is None, r
    code, text = _verify_text(db)
    assert "NOT SEALED: the run is running" in text and f"its {events:,} committed events verify" in text
    assert f"head {r['head']}" in text
    copy = _tamper(db, tmp_path, "UPDATE events SET km = km * 2 WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'arrived')")
    code, doc = _verify(copy)
    assert code == 1 and "the arrived events do not match their digest (edited)" in _run_1(doc)["problem"]


def test_product_labels_come_with_the_final_status_not_before_the_last_flush(tmp_path):
    """The final flush fails (a trigger stands in for a full disk): before issue 16 the run
    had product_labels from before that flush but not the events they sum up; now a run has
    them only once it is completed, in the same transaction, and the seal covers that."""
    db = tmp_path / "full.db"
    EventLog.open(db).close()
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TRIGGER disk_full BEFORE INSERT ON events WHEN NEW.seq > 100"
        " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    con.commit()
    con.close()
    with pytest.raises(sqlite3.DatabaseError, match="disk is full"):
        run(_scenario("simulation.days=1"), db_path=db, seed=3)
    con = sqlite3.connect(db)
    status, error = con.execute("SELECT status, error FROM runs").fetchone()
    assert status == "failed" and "final flush failed" in error
    assert con.execute("SELECT COUNT(*) FROM product_labels").fetchone()[0] == 0
    code, doc = _verify(db)
    assert code == 0 and _run_1(doc)["state"] == "verified" and _run_1(doc)["product_labels"] == 0


def test_final_rows_wait_for_a_completed_status(tmp_path):
    """FinalRows inserts nothing for a run that ends interrupted (Ctrl-C after the rows were set)."""
    db = tmp_path / "int.db"
    with EventLog.open(db) as log:
        run_id = log.start_run(scenario="x", scenario_json={}, seed=0)
        rows = FinalRows("product_labels", run_id)
        rows.rows = [
            {
                "run_id": run_id,
                "product_id": 1,
                "category": "c",
                "grade": "A",
                "value": 1.0,
                "category_median": 1.0,
                "ratio": 1.0,
                "low_carbon": 1,
                "green": 0,
            }
        ]
        log.add_companion(rows)
        log.finish_run("interrupted")
        assert log.db.execute("SELECT COUNT(*) FROM product_labels").fetchone()[0] == 0
        run_id = log.start_run(scenario="x", scenario_json={}, seed=0)
        rows = FinalRows("product_labels", run_id)
        rows.rows = [
            {
                "run_id": run_id,
                "product_id": 1,
                "category": "c",
                "grade": "A",
                "value": 1.0,
                "category_median": 1.0,
                "ratio": 1.0,
                "low_carbon": 1,
                "green": 0,
            }
        ]
        log.add_companion(rows)
        log.finish_run("completed")
        assert log.db.execute("SELECT run_id FROM product_labels").fetchall() == [(run_id,)]
