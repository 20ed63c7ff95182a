"""`carbonsim compare`: replications with common random numbers, intervals, the results table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from sim.cli import main
from sim.experiments import KPIS, compare, interval
from sim.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SMALL = ["simulation.days=1", "demand.orders_per_day=60", "world.customers=200", "catalog.products=40"]


def test_interval_is_the_student_t_interval():
    got = interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) x sd 1 / sqrt(3)
    assert (got.mean, got.n) == (2.0, 3)
    assert got.low == pytest.approx(2.0 - half) and got.high == pytest.approx(2.0 + half)
    one = interval([5.0])
    assert one.low == one.high == one.mean == 5.0


def test_results_do_not_depend_on_the_number_of_workers(tmp_path):
    """Two scenarios x two seeds, once in the parent and once on two spawned workers: the same
    KPIs, one results row per run, and the paired difference is the mean of per-seed differences."""
    # MOGWO decodes on numba threads: all the cores in the parent, cores / J in each worker
    mogwo = ["routing.policy=mogwo", "routing.iterations=30", "routing.population=20", "routing.time_limit=0"]
    scenarios = {
        "base": Scenario().apply_overrides([*SMALL, *mogwo]),
        "boxes": Scenario().apply_overrides([*SMALL, *mogwo, "packing.policy=smart"]),
    }
    one = compare(scenarios, [1, 2], jobs=1, results_db=tmp_path / "r1.db", swept={"x": "1"})
    two = compare(scenarios, [1, 2], jobs=2, results_db=tmp_path / "r2.db")
    strip = lambda runs: [{k: v for k, v in r.items() if k != "wall_seconds" and k != "routing_seconds"} for r in runs]  # noqa: E731
    for name in scenarios:
        assert strip(one.runs[name]) == strip(two.runs[name])
    # common random numbers: smart packing changes boxes, not who orders what
    assert [r["orders"] for r in one.runs["base"]] == [r["orders"] for r in one.runs["boxes"]]
    d = one.diffs["kg_co2e_per_order_packaging"]["boxes"]
    per_seed = [
        b["kg_co2e_per_order_packaging"] - a["kg_co2e_per_order_packaging"] for a, b in zip(one.runs["base"], one.runs["boxes"])
    ]
    assert d.mean == pytest.approx(sum(per_seed) / 2) and d.mean < 0
    rows = list(Database(tmp_path / "r1.db")["results"].rows)
    assert len(rows) == 4 and {r["scenario"] for r in rows} == {"base", "boxes"}
    assert {r["seed"] for r in rows} == {1, 2} and all(r["param_x"] == "1" for r in rows)
    assert set(KPIS) <= rows[0].keys()


def test_cli_compare_json(tmp_path):
    db = tmp_path / "results.db"
    args = [
        "compare",
        str(SCENARIOS / "baseline.toml"),
        str(SCENARIOS / "green.toml"),
        "--seeds",
        "2",
        "--first-seed",
        "3",
        "--db",
        str(db),
        "--json",
        "--set",
        "routing.policy=greedy",
        *[a for s in SMALL for a in ("--set", s)],
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["scenarios"] == ["baseline", "green"] and doc["seeds"] == [3, 4]
    green_slot = doc["kpis"]["green_slot_uptake"]
    assert green_slot["scenarios"]["baseline"]["mean"] == 0.0
    assert green_slot["difference_vs_baseline"]["green"]["mean"] > 0.1
    assert Database(db)["results"].count == 4


def test_compare_table_prints_shares_in_percent(tmp_path):
    args = [
        "--tables",
        "compare",
        str(SCENARIOS / "baseline.toml"),
        "--seeds",
        "1",
        "--db",
        str(tmp_path / "r.db"),
        *[a for s in SMALL for a in ("--set", s)],
    ]
    res = CliRunner().invoke(main, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    on_time = next(line for line in res.stdout.splitlines() if "on time" in line)
    import re

    assert re.search(r"│\s+\d{1,3}\.\d % \[\d{1,3}\.\d, \d{1,3}\.\d\]", on_time), on_time  # 95.0 % [95.0, 95.0], not 0.950


def test_grid_and_value_splitting():
    from sim.experiments import grid, split_values

    assert split_values("0,0.2, 0.4") == ["0", "0.2", "0.4"]
    assert split_values("[1, 2],[3]") == ["[1, 2]", "[3]"] and split_values('"a,b",c') == ['"a,b"', "c"]
    assert grid(["a=1,2", "b=x,y,z"]) == [{"a": a, "b": b} for a in ("1", "2") for b in ("x", "y", "z")]
    assert grid([]) == [{}]
    with pytest.raises(ValueError, match="FIELD=VALUE"):
        grid(["nonsense"])


def test_cli_sweep_writes_one_row_per_run_and_point(tmp_path):
    db = tmp_path / "sweep.db"
    args = [
        "sweep",
        str(SCENARIOS / "baseline.toml"),
        "--set",
        "packing.policy=fixed,smart",
        "--set",
        "routing.w2=0.4",
        "--seeds",
        "2",
        "--db",
        str(db),
        "--json",
        *[a for s in SMALL for a in ("--set", s)],
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["scenarios"]) == 2 and doc["scenarios"][0].startswith("baseline[policy=fixed")
    rows = list(Database(db)["results"].rows)
    assert len(rows) == 4
    assert sorted((r["param_packing.policy"], r["seed"]) for r in rows) == [
        ("fixed", 1),
        ("fixed", 2),
        ("smart", 1),
        ("smart", 2),
    ]
    packaging = doc["kpis"]["kg_co2e_per_order_packaging"]["difference_vs_baseline"]
    assert list(packaging.values())[0]["mean"] < 0  # smart boxes are lighter than the fixed L box


def test_dask_cluster_gives_the_same_results_as_local_workers(tmp_path):
    """The distributed executor on a 2-worker LocalCluster on loopback: the same KPIs as the
    parent process, logs kept where asked, and progress reported once per run."""
    distributed = pytest.importorskip("distributed")
    scenarios = {
        "base": Scenario().apply_overrides(SMALL),
        "ev": Scenario().apply_overrides([*SMALL, "fleet.ev_share=0.5"]),
    }
    local = compare(scenarios, [1, 2], jobs=1)
    ticks = []
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        remote = compare(
            scenarios,
            [1, 2],
            scheduler=cluster.scheduler_address,
            logs=tmp_path / "logs",
            results_db=tmp_path / "r.db",
            progress=lambda done, total: ticks.append((done, total)),
        )
    strip = lambda runs: [{k: v for k, v in r.items() if k not in ("wall_seconds", "routing_seconds")} for r in runs]  # noqa: E731
    for name in scenarios:
        assert strip(local.runs[name]) == strip(remote.runs[name])
    assert ticks == [(1, 4), (2, 4), (3, 4), (4, 4)]
    rows = list(Database(tmp_path / "r.db")["results"].rows)
    assert sorted(Path(r["log"]).name for r in rows) == [
        f"{n}-seed{k}-{remote.compare_id}.db" for n in ("base", "ev") for k in (1, 2)
    ]
    assert all(Path(r["log"]).parent == (tmp_path / "logs").resolve() and _run_of(r).seed == r["seed"] for r in rows)


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match=r"--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler"):
        compare({"base": Scenario().apply_overrides(SMALL)}, [1], scheduler="tcp://127.0.0.1:9", connect_timeout=1)


# --- issue 16: logs are never deleted or reused, names stay inside --logs, workers die with the parent ---

GREEDY = [*SMALL, "routing.policy=greedy"]
GREEDY_SETS = [a for s in GREEDY for a in ("--set", s)]


def _run_of(row: dict):
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(row["log"]) as log:
        return log.get_run(row["log_run_id"])


def test_rerun_into_one_logs_folder_keeps_every_log_and_each_row_names_its_own_run(tmp_path):
    """Two compares into the same --logs and --db: nothing is unlinked or reused; each row's log
    and log_run_id name the very run the row's KPIs came from (wall_seconds tells runs apart)."""
    logs, db = tmp_path / "logs", tmp_path / "r.db"
    args = [
        "compare",
        str(SCENARIOS / "baseline.toml"),
        "--seeds",
        "1",
        "--db",
        str(db),
        "--logs",
        str(logs),
        "--json",
        *GREEDY_SETS,
    ]
    for _ in range(2):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output
    rows = list(Database(db)["results"].rows_where(order_by="run_id"))
    assert len(rows) == 2
    assert rows[0]["log"] != rows[1]["log"], "the second compare reused the first one's log"
    assert rows[0]["compare_id"] != rows[1]["compare_id"] and all(r["compare_started_at"] for r in rows)
    assert sorted(p.name for p in logs.iterdir() if p.suffix == ".db") == sorted(Path(r["log"]).name for r in rows)
    for r in rows:
        assert Path(r["log"]).is_absolute() and Path(r["log"]).parent == logs.resolve()
        assert r["compare_id"] in Path(r["log"]).name
        run = _run_of(r)
        assert (run.scenario, run.seed, run.status.value) == (r["scenario"], r["seed"], "completed")
        assert run.wall_seconds == r["wall_seconds"]


def test_reserved_log_names_are_exclusive_and_never_touch_an_existing_file(tmp_path):
    """The same (name, seed, invocation id) twice still gives two files; a file already at the
    first name (someone else's log) is left as it was."""
    from sim.experiments import reserve_log

    first = reserve_log(tmp_path, "base", 1, "ID")
    assert first.parent == tmp_path.resolve() and first.stat().st_size == 0
    first.write_bytes(b"someone else's log")
    second = reserve_log(tmp_path, "base", 1, "ID")
    assert second != first and second.exists() and first.read_bytes() == b"someone else's log"
    assert second.name == "base-seed1-ID-2.db"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "base-seed1-ID-3.db").symlink_to(tmp_path / "elsewhere" / "target.db")  # dangling, at the next name
    third = reserve_log(tmp_path, "base", 1, "ID")
    assert third.name == "base-seed1-ID-4.db" and not (tmp_path / "elsewhere" / "target.db").exists()


def test_sweep_value_with_dot_dot_stays_inside_logs(tmp_path):
    """The issue's case: a swept value holding ``/../../`` used to write its log outside --logs."""
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    logs = work / "logs"
    args = [
        "sweep",
        str(SCENARIOS / "baseline.toml"),
        "--seeds",
        "1",
        "--db",
        str(work / "r.db"),
        "--logs",
        str(logs),
        "--json",
        *GREEDY_SETS,
        "--set",
        'demand.peaks=[{name="x/../../../escaped"}]',
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    outside = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != logs and p.name != "r.db"]
    assert outside == []
    (row,) = Database(work / "r.db")["results"].rows
    assert Path(row["log"]).parent == logs.resolve() and _run_of(row).scenario == row["scenario"]


def test_path_hostile_scenario_names_stay_inside_logs(tmp_path):
    from sim.experiments import log_file_stem

    names = ["../../escaped", "a/b\\c", "nul\0..x", "é" * 200]
    stems = [log_file_stem(n) for n in names]
    for stem in stems:
        assert not set(stem) & set("/\\\0") and ".." not in stem and not stem.startswith(".")
        assert len(stem.encode()) <= 120
    assert len(set(stems)) == len(stems)
    logs = tmp_path / "deep" / "logs"
    scenario = Scenario().apply_overrides(GREEDY)
    compare({n: scenario for n in names[:2]}, [1], logs=logs, results_db=tmp_path / "r.db")
    assert {p.parent for p in tmp_path.rglob("*.db") if p.name != "r.db"} == {logs.resolve()}
    assert len(list(logs.glob("*.db"))) == 2


@pytest.mark.parametrize("where", ["nodir/r.db", "file/r.db"])
def test_results_file_that_cannot_be_opened_fails_before_simulating(tmp_path, where):
    (tmp_path / "file").write_text("not a folder")
    db, logs = tmp_path / where, tmp_path / "logs"
    args = [
        "compare",
        str(SCENARIOS / "baseline.toml"),
        "--seeds",
        "1",
        "--db",
        str(db),
        "--logs",
        str(logs),
        "--json",
        *GREEDY_SETS,
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and str(db) in lines[0], res.stderr
    assert not logs.exists() or not any(logs.iterdir()), "it simulated before finding out"


def test_logs_folder_that_cannot_be_created_fails_before_simulating(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    db, logs = tmp_path / "r.db", tmp_path / "file" / "logs"
    args = [
        "compare",
        str(SCENARIOS / "baseline.toml"),
        "--seeds",
        "1",
        "--jobs",
        "2",
        "--db",
        str(db),
        "--logs",
        str(logs),
        "--json",
        *GREEDY_SETS,
    ]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: --logs ") and str(logs) in lines[0], res.stderr
    assert not db.exists() or "results" not in Database(db).table_names() or Database(db)["results"].count == 0


def _store_one_row(path: str, barrier, i: int) -> None:
    from sim.experiments import prepare_results, store_results

    barrier.wait(timeout=60)
    prepare_results(path)
    store_results(
        path,
        [
            {
                "compare_id": f"c{i}",
                "scenario": f"s{i}",
                "seed": i,
                "kg": i / 10,
                f"param_p{i % 3}": "v",
                "log": None,
                "log_run_id": None,
            }
        ],
    )


def test_many_processes_create_one_results_file_at_once(tmp_path):
    """Sixteen real processes released by one barrier create and fill a new results file: none
    fails (the table and its columns were created by whoever looked first; 11 of 16 crashed on
    "database is locked" or a missing column)."""
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")  # a clean process per writer, imports paid once
    ctx.set_forkserver_preload(["sim.experiments"])
    n, path = 16, str(tmp_path / "r.db")
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=_store_one_row, args=(path, barrier, i)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * n
    rows = list(Database(path)["results"].rows)
    assert sorted(r["seed"] for r in rows) == list(range(n))
    assert {"param_p0", "param_p1", "param_p2", "kg"} <= rows[0].keys()


def _children(pid: int) -> set[int]:
    """The pids of ``pid``'s children, from /proc (psutil is not a dependency)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for init to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _run_statuses(log: Path) -> list[str]:
    """The status of every run in ``log``; none for a file whose run never got to start."""
    import sqlite3

    conn = sqlite3.connect(f"{log.as_uri()}?mode=ro", uri=True)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone():
            return []
        return [status for (status,) in conn.execute("SELECT status FROM runs")]
    finally:
        conn.close()


def _a_run_started(logs: Path) -> bool:
    import sqlite3

    for log in logs.glob("*.db") if logs.is_dir() else ():
        try:
            if _run_statuses(log):
                return True
        except sqlite3.Error:  # a log being created
            pass
    return False


def _wait_for(predicate, seconds: float) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads children from /proc")
@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM", "SIGINT"])
def test_compare_workers_stop_when_the_parent_dies_or_is_stopped(tmp_path, sig):
    """A real `compare -j 2` stopped once its first run has started: its worker processes do not
    outlive it, and they start no new run after it."""
    import os
    import signal
    import subprocess
    import sys

    logs, db = tmp_path / "logs", tmp_path / "r.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SCENARIOS.parent), os.environ.get("PYTHONPATH", "")])}
    seeds = 8
    cmd = [
        sys.executable,
        "-m",
        "sim.cli",
        "compare",
        str(SCENARIOS / "baseline.toml"),
        "--seeds",
        str(seeds),
        "-j",
        "2",
        "--db",
        str(db),
        "--logs",
        str(logs),
        "--json",
        *GREEDY_SETS,
    ]
    with open(tmp_path / "stderr.txt", "wb") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    workers: set[int] = set()
    try:
        assert _wait_for(lambda: _a_run_started(logs) or proc.poll() is not None, 120)
        assert proc.poll() is None, (tmp_path / "stderr.txt").read_text()
        workers = _children(proc.pid)
        assert workers, "no worker processes found"
        proc.send_signal(getattr(signal, sig))
        proc.wait(timeout=60)
        started = len(list(logs.glob("*.db")))
        assert _wait_for(lambda: not any(_alive(w) for w in workers), 60), (
            f"workers still running after the parent's {sig}: {sorted(w for w in workers if _alive(w))}"
        )
        assert len(list(logs.glob("*.db"))) <= started + 1 < seeds, "workers went on starting new runs"
        statuses = [status for log in logs.glob("*.db") for status in _run_statuses(log)]
        assert statuses and set(statuses) <= {"completed", "interrupted"}, statuses  # none left "running"
        if sig != "SIGKILL":
            assert proc.returncode == 128 + getattr(signal, sig), (tmp_path / "stderr.txt").read_text()
            assert not db.exists() or "results" not in Database(db).table_names() or Database(db)["results"].count < seeds
    finally:
        for pid in [proc.pid, *workers]:  # only what this test started
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=10)
