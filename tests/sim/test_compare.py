"""`carbonsim compare`: replications with common random numbers, intervals, the results table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from sim.cli import main
from sim.compare import KPIS, compare, interval
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
    per_seed = [b["kg_co2e_per_order_packaging"] - a["kg_co2e_per_order_packaging"]
                for a, b in zip(one.runs["base"], one.runs["boxes"])]
    assert d.mean == pytest.approx(sum(per_seed) / 2) and d.mean < 0
    rows = list(Database(tmp_path / "r1.db")["results"].rows)
    assert len(rows) == 4 and {r["scenario"] for r in rows} == {"base", "boxes"}
    assert {r["seed"] for r in rows} == {1, 2} and all(r["param_x"] == "1" for r in rows)
    assert set(KPIS) <= rows[0].keys()


def test_cli_compare_json(tmp_path):
    db = tmp_path / "results.db"
    args = ["compare", str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "green.toml"), "--seeds", "2", "--first-seed", "3", "--db", str(db),
            "--json", "--set", "routing.policy=greedy", *[a for s in SMALL for a in ("--set", s)]]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["scenarios"] == ["baseline", "green"] and doc["seeds"] == [3, 4]
    green_slot = doc["kpis"]["green_slot_uptake"]
    assert green_slot["scenarios"]["baseline"]["mean"] == 0.0
    assert green_slot["difference_vs_baseline"]["green"]["mean"] > 0.1
    assert Database(db)["results"].count == 4


def test_compare_table_prints_shares_in_percent(tmp_path):
    args = ["--tables", "compare", str(SCENARIOS / "baseline.toml"), "--seeds", "1", "--db", str(tmp_path / "r.db"),
            *[a for s in SMALL for a in ("--set", s)]]
    res = CliRunner().invoke(main, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    on_time = next(line for line in res.stdout.splitlines() if "on time" in line)
    import re

    assert re.search(r"│\s+\d{1,3}\.\d % \[\d{1,3}\.\d, \d{1,3}\.\d\]", on_time), on_time  # 95.0 % [95.0, 95.0], not 0.950


def test_grid_and_value_splitting():
    from sim.compare import grid, split_values

    assert split_values("0,0.2, 0.4") == ["0", "0.2", "0.4"]
    assert split_values("[1, 2],[3]") == ["[1, 2]", "[3]"] and split_values('"a,b",c') == ['"a,b"', "c"]
    assert grid(["a=1,2", "b=x,y,z"]) == [{"a": a, "b": b} for a in ("1", "2") for b in ("x", "y", "z")]
    assert grid([]) == [{}]
    with pytest.raises(ValueError, match="FIELD=VALUE"):
        grid(["nonsense"])


def test_cli_sweep_writes_one_row_per_run_and_point(tmp_path):
    db = tmp_path / "sweep.db"
    args = ["sweep", str(SCENARIOS / "baseline.toml"), "--set", "packing.policy=fixed,smart", "--set", "routing.w2=0.4",
            "--seeds", "2", "--db", str(db), "--json", *[a for s in SMALL for a in ("--set", s)]]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert len(doc["scenarios"]) == 2 and doc["scenarios"][0].startswith("baseline[policy=fixed")
    rows = list(Database(db)["results"].rows)
    assert len(rows) == 4
    assert sorted((r["param_packing.policy"], r["seed"]) for r in rows) == [("fixed", 1), ("fixed", 2), ("smart", 1), ("smart", 2)]
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
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        remote = compare(scenarios, [1, 2], scheduler=cluster.scheduler_address, logs=tmp_path / "logs",
                         results_db=tmp_path / "r.db", progress=lambda done, total: ticks.append((done, total)))
    strip = lambda runs: [{k: v for k, v in r.items() if k not in ("wall_seconds", "routing_seconds")} for r in runs]  # noqa: E731
    for name in scenarios:
        assert strip(local.runs[name]) == strip(remote.runs[name])
    assert ticks == [(1, 4), (2, 4), (3, 4), (4, 4)]
    rows = list(Database(tmp_path / "r.db")["results"].rows)
    assert sorted(Path(r["log"]).name for r in rows) == ["base-seed1.db", "base-seed2.db", "ev-seed1.db", "ev-seed2.db"]
    assert all(Path(r["log"]).exists() for r in rows)


def test_unreachable_scheduler_is_a_clear_error():
    pytest.importorskip("distributed")
    with pytest.raises(ValueError, match=r"--scheduler tcp://127.0.0.1:9: cannot reach the Dask scheduler"):
        compare({"base": Scenario().apply_overrides(SMALL)}, [1], scheduler="tcp://127.0.0.1:9", connect_timeout=1)
