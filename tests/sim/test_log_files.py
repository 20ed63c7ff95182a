"""The event log never harms a file it was not meant to touch, and every SQLite or OS failure
is one line naming the file (issue 16, items 2, 5 and 6): real files, real processes."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.errors import FileProblem
from sim.log.eventlog import EventLog, RunStatus
from sim.log.events import Event, EventType


def _write_run(path: Path, events: int = 3) -> int:
    with EventLog.open(path) as log:
        with log.run(scenario="s", scenario_json={"a": 1}, seed=1) as run_id:
            for i in range(events):
                log.record(Event(t=float(i), type=EventType.ORDER_PLACED, order_id=i))
    return run_id


def _one_line_exit_2(res) -> str:
    assert res.exit_code == 2, res.output
    err = res.stderr.strip()
    assert err.count("\n") == 0, err
    return err


# -- foreign files are refused, read-only opens change nothing ----------------------------


def test_run_refuses_a_sqlite_file_that_is_not_a_log(tmp_path, tiny):
    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers VALUES (1, 'Ada')")
    conn.close()
    before = other.read_bytes()
    with pytest.raises(FileProblem, match=r"app.db: a SQLite database that is not a carbonsim event log \(tables: customers\)"):
        EventLog.open(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    with pytest.raises(FileProblem, match="notes.txt: not a carbonsim event log .not a SQLite file."):
        EventLog.open(text)
    assert other.read_bytes() == before and text.read_text() == "hello\n"
    assert not (tmp_path / "app.db-wal").exists()
    scenario = tmp_path / "s.toml"
    scenario.write_text("[simulation]\ndays = 1\n")
    err = _one_line_exit_2(CliRunner().invoke(main, ["run", str(scenario), "--db", str(other)]))
    assert "not a carbonsim event log" in err
    assert other.read_bytes() == before


def test_an_empty_file_becomes_a_log(tmp_path):
    empty = tmp_path / "new.db"
    empty.touch()
    assert _write_run(empty) == 1


def test_reading_never_modifies_the_file(tmp_path, tiny):
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:  # has a runs table, but is someone else's
        conn.execute("CREATE TABLE runs (x)")
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(
        FileProblem, match="foreign.db: not a complete carbonsim event log: table events, product_labels is missing"
    ):
        EventLog.open_existing(foreign)
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db"]  # no -wal, no -shm left
    from sim.simulation import run

    log_path = tmp_path / "log.db"
    run(tiny(), db_path=log_path, name="tiny")
    before = log_path.read_bytes()
    for args in (
        ["kpis", str(log_path), "--json"],
        ["check", str(log_path), "--json"],
        ["events", str(log_path), "--json"],
        ["verify", str(log_path), "--json"],
    ):
        res = CliRunner().invoke(main, args)
        assert res.exit_code in (0, 1), res.output
    assert log_path.read_bytes() == before


def test_a_read_only_log_cannot_be_written_through(tmp_path):
    path = tmp_path / "log.db"
    _write_run(path)
    with EventLog.open_existing(path) as log:
        assert log.read_only
        with pytest.raises(RuntimeError, match="opened read-only"):
            log.start_run(scenario="x", scenario_json={}, seed=0)


@pytest.fixture
def mount_point(tmp_path):
    """A small tmpfs of our own (root in CI and here); skipped where mounting is not allowed."""
    point = tmp_path / "mnt"
    point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(point)], capture_output=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.decode().strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], capture_output=True)


def test_logs_on_a_read_only_filesystem_are_read_and_checked(mount_point):
    path = mount_point / "log.db"
    run_id = _write_run(path, events=10)
    assert subprocess.run(["mount", "-o", "remount,ro", str(mount_point)]).returncode == 0
    with EventLog.open_existing(path) as log:  # a WAL log there cannot get its -shm: immutable=1
        assert log.get_run(run_id).status is RunStatus.COMPLETED
        assert len(log.events(run_id)) == 10
    res = CliRunner().invoke(main, ["events", str(path), "--json", "--limit", "0"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)) == 10, res.output
    res = CliRunner().invoke(main, ["verify", str(path), "--json"])  # a log without a ledger: read, not crashed
    assert res.exit_code == 1 and json.loads(res.stdout)["runs"][0]["state"] == "legacy", res.output
    err = _one_line_exit_2(CliRunner().invoke(main, ["run", "scenarios/baseline.toml", "--db", str(mount_point / "new.db")]))
    assert "new.db" in err and "read-only" in err


def test_a_full_disk_is_one_line(mount_point, tiny):
    scenario = mount_point.parent / "big.toml"
    scenario.write_text(tiny("simulation.days=3", "demand.orders_per_day=400").to_toml())
    res = CliRunner().invoke(main, ["run", str(scenario), "--db", str(mount_point / "full.db"), "--json"])
    err = _one_line_exit_2(res)
    assert "full.db" in err and "disk is full" in err


# -- failures of the file itself ------------------------------------------------------------


def test_missing_folder_damaged_file_and_dropped_table(tmp_path):
    err = _one_line_exit_2(CliRunner().invoke(main, ["run", "scenarios/baseline.toml", "--db", str(tmp_path / "nodir" / "r.db")]))
    assert "r.db: cannot open: the folder" in err and "does not exist" in err
    path = tmp_path / "log.db"
    _write_run(path, events=2_000)
    dropped = tmp_path / "dropped.db"
    shutil.copy(path, dropped)
    with sqlite3.connect(dropped) as conn:
        conn.execute("DROP TABLE product_labels")
    conn.close()
    err = _one_line_exit_2(CliRunner().invoke(main, ["kpis", str(dropped)]))
    assert "dropped.db: not a complete carbonsim event log: table product_labels is missing" in err
    damaged = tmp_path / "damaged.db"
    raw = bytearray(path.read_bytes())
    page = 4096
    raw[2 * page : len(raw)] = b"\xff" * (len(raw) - 2 * page)  # every page after the second
    damaged.write_bytes(bytes(raw))
    err = _one_line_exit_2(CliRunner().invoke(main, ["check", str(damaged)]))
    assert "damaged.db" in err and "damaged" in err


def test_a_locked_log_waits_then_says_so(tmp_path):
    path = tmp_path / "log.db"
    _write_run(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises((FileProblem, sqlite3.OperationalError)) as info:
            with EventLog.open(path, lock_wait=0.2) as log:
                log.start_run(scenario="s", scenario_json={}, seed=0)
        if isinstance(info.value, FileProblem):
            assert "log.db: locked by another writer, still after waiting 0.2 s" in str(info.value)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_ids_past_sqlite_integers_are_refused(tmp_path):
    path = tmp_path / "log.db"
    _write_run(path)
    res = CliRunner().invoke(main, ["kpis", str(path), "--run", str(2**64)])
    assert res.exit_code == 2 and "9223372036854775807" in res.output
    res = CliRunner().invoke(main, ["trace", str(2**63), str(path)])
    assert res.exit_code == 2 and "9223372036854775807" in res.output


# -- several processes create one new log at once ------------------------------------------


def _open_and_write(path: str) -> int:
    return _write_run(Path(path), events=5)


def test_many_processes_create_one_log_at_once(tmp_path):
    path = tmp_path / "shared.db"
    with multiprocessing.get_context("fork").Pool(16) as pool:
        run_ids = pool.map(_open_and_write, [str(path)] * 48)
    assert sorted(run_ids) == list(range(1, 49))
    with EventLog.open_existing(path) as log:
        assert [m for m in log.applied_migrations()] == [
            "m001_create_runs",
            "m002_create_events",
            "m003_index_events",
            "m004_create_product_labels",
            "m005_run_process",
            "m006_drop_duplicate_indexes",
        ]
        assert all(r.status is RunStatus.COMPLETED for r in log.runs())
        assert log.db.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 48 * 5


# -- a run records its writer; a dead writer's run is abandoned ----------------------------


def test_a_run_whose_process_died_is_abandoned(tmp_path):
    path = tmp_path / "log.db"
    code = (
        "import os, sys\n"
        "from sim.log.eventlog import EventLog\n"
        "from sim.log.events import Event, EventType\n"
        f"log = EventLog.open({str(path)!r}, flush_every=1)\n"
        "from sim.scenario import Scenario\n"
        "log.start_run(scenario='s', scenario_json=Scenario().canonical_json(), seed=0)\n"
        "log.record(Event(t=0.0, type=EventType.ORDER_PLACED, order_id=1))\n"
        "log.record(Event(t=1.0, type=EventType.ORDER_PLACED, order_id=2))\n"
        "print(os.getpid(), flush=True)\n"
        "os._exit(0)  # no cleanup: as if killed\n"
    )
    out = subprocess.run(
        [os.sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    pid = int(out.stdout.strip())
    with sqlite3.connect(path) as conn:
        stored = conn.execute("SELECT status, pid, host, heartbeat_at FROM runs").fetchone()
    conn.close()
    assert stored[0] == "running" and stored[1] == pid and stored[2] and stored[3]
    with EventLog.open_existing(path) as log:
        run = log.get_run(1)
        assert run.status is RunStatus.ABANDONED and not run.finished
        assert len(log.events(1)) == 1  # the committed event is there; the buffered one was lost
    res = CliRunner().invoke(main, ["check", str(path), "--json"])
    assert res.exit_code != 0
    res = CliRunner().invoke(main, ["kpis", str(path), "--json"])
    assert res.exit_code == 0 and "abandoned" in res.stderr and "partial" in res.stderr
