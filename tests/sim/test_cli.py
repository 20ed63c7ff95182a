"""End-to-end tests of the ``carbonsim`` command line, through click's runner and a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from optimizer import read_solomon, reference
from sim.cli import main

DATA = Path(__file__).resolve().parent.parent / "data"
C101 = DATA / "solomon" / "C101.txt"


@pytest.fixture(scope="module")
def c101():
    return read_solomon(C101)


def test_route_json_is_documented_and_recheckable(tmp_path, c101):
    """--json writes the documented keys, one chosen plan, and routes an independent evaluator reproduces."""
    out = tmp_path / "front.json"
    res = CliRunner().invoke(main, ["route", str(C101), "-i", "2", "-p", "6", "-s", "3", "--json", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert set(doc) == {
        "format_version",
        "instance",
        "source",
        "algorithm",
        "seed",
        "seconds",
        "iterations",
        "evaluations",
        "fallback",
        "solutions",
    }
    assert doc["instance"] == "C101" and doc["algorithm"] == "mogwo" and doc["seed"] == 3
    assert sum(s["chosen"] for s in doc["solutions"]) == 1
    for sol in doc["solutions"]:
        assert set(sol) == {"cost", "emissions_kg", "penalty", "distance_km", "vehicles", "feasible", "chosen", "routes"}
        served = sorted(c for r in sol["routes"] for c in r["customers"])
        assert served == list(range(1, 101))
        cost = emis = pen = km = 0.0
        for r in sol["routes"]:
            assert r["vehicle_type"] == "light_truck"
            idx = [c101.index_of(c) for c in r["customers"]]
            tr = reference.evaluate_route(c101, idx, 0)
            cost, emis, pen, km = cost + tr.cost, emis + tr.emissions_kg, pen + tr.penalty, km + tr.distance_km
        assert cost == pytest.approx(sol["cost"], rel=1e-9)
        assert emis == pytest.approx(sol["emissions_kg"], rel=1e-9)
        assert pen == pytest.approx(sol["penalty"], rel=1e-9, abs=1e-9)
        assert km == pytest.approx(sol["distance_km"], rel=1e-9)
        assert sol["vehicles"] == len(sol["routes"])


@pytest.mark.parametrize("share, children", [("0", 0), ("0.5", 3), (None, 2)])
def test_route_engine_children_sets_the_engine_step(share, children):
    """--engine-children is the share of the pack the engine adds per iteration (default a
    quarter, 0 none): the plans decoded count them, (6 + children) x (2 iterations + 1)."""
    args = ["route", str(C101), "-i", "2", "-p", "6", "-s", "3", "--json", "-"]
    if share is not None:
        args += ["--engine-children", share]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["evaluations"] == (6 + children) * 3


def test_route_table_marks_the_chosen_plan():
    """The table lists the front and the line under it names the chosen plan."""
    res = CliRunner().invoke(main, ["--tables", "route", str(C101), "-a", "greedy"])
    assert res.exit_code == 0, res.output
    assert "C101: greedy" in res.output
    assert "chosen plan #0" in res.output
    assert "*" in res.output


def test_route_rejects_unknown_format_with_one_line(tmp_path):
    """A file that is not a Solomon instance gives one error line naming the file, and exit code 2."""
    bad = tmp_path / "bad.txt"
    bad.write_text('{"not": "solomon"}\n')
    res = CliRunner().invoke(main, ["route", str(bad)])
    assert res.exit_code == 2
    assert "bad.txt" in res.output and "unknown file format" in res.output
    assert "Traceback" not in res.output


def test_route_rejects_bad_options():
    """Option values out of range are refused by the parser with a usage error."""
    res = CliRunner().invoke(main, ["route", str(C101), "--time-limit", "-1"])
    assert res.exit_code == 2
    assert "time-limit" in res.output


def test_console_script_runs_as_a_process(tmp_path):
    """The installed entry point routes a file in a real process and writes JSON to stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "sim.cli", "route", str(C101), "-a", "greedy", "--json", "-"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["algorithm"] == "greedy" and len(doc["solutions"]) == 1


def _in_a_terminal(args: list[str]) -> str:
    """Run ``python -m sim.cli ARGS`` with stdout on a pseudo-terminal; return what it printed."""
    import os
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", *args], stdout=follower, stderr=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "160"}
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=300) == 0
    return b"".join(chunks).decode()


def test_tables_on_a_terminal_json_in_a_pipe(tmp_path):
    """The same command prints a table on a terminal and JSON into a pipe; --tables (or
    CARBONSIM_TABLES=1) keeps the table in a pipe."""
    from sim.scenario import Scenario
    from sim.simulation import run

    db = tmp_path / "run.db"
    run(
        Scenario().apply_overrides(
            ["simulation.days=1", "demand.orders_per_day=40", "world.customers=100", "catalog.products=30"]
        ),
        db_path=db,
        seed=1,
    )
    piped = subprocess.run([sys.executable, "-m", "sim.cli", "check", str(db)], capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["ok"] is True
    terminal = _in_a_terminal(["check", str(db)])
    assert "first violation" in terminal and not terminal.lstrip().startswith("{")
    forced = subprocess.run(
        [sys.executable, "-m", "sim.cli", "--tables", "check", str(db)], capture_output=True, text=True, timeout=300
    )
    assert "first violation" in forced.stdout
    events = subprocess.run(
        [sys.executable, "-m", "sim.cli", "events", str(db), "--limit", "3", "--csv"], capture_output=True, text=True, timeout=300
    )
    assert events.stdout.splitlines()[0].startswith("seq,t,type")  # an explicit --csv wins over the pipe's JSON


# -- carbonsim run / check -----------------------------------------------------------------

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
TINY_SET = ["--set", "demand.orders_per_day=50", "--set", "world.customers=150", "--set", "catalog.products=30"]
SUMMARY_KEYS = {
    "orders",
    "delivered",
    "on_time_share",
    "km",
    "kg_co2e_transport",
    "kg_co2e_packaging",
    "kg_co2e_per_order",
    "cost_per_order",
    "load_factor",
    "stockouts",
    "wall_seconds",
    "routing_seconds",
}


def test_run_json_then_check(tmp_path):
    """`run --json` prints one JSON object with the documented keys; `check` on its file passes."""
    db = tmp_path / "cli.db"
    res = CliRunner().invoke(
        main, ["run", str(SCENARIOS / "baseline.toml"), "--days", "1", "--seed", "3", "--db", str(db), "--json", *TINY_SET]
    )
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert SUMMARY_KEYS <= summary.keys()
    assert summary["scenario"] == "baseline" and summary["seed"] == 3 and summary["days"] == 1
    assert summary["delivered"] + summary["failed"] == summary["orders"] > 0
    res = CliRunner().invoke(main, ["check", str(db)])
    assert res.exit_code == 0, res.output
    assert "route_emissions" in res.stdout and "FAILED" not in res.stdout


#: The recommender metrics issue 5 names, under these keys.
RECOMMENDER_KEYS = {
    "green_exposure_share",
    "ctr",
    "conversion",
    "green_sales_share",
    "green_slot_uptake",
    "points_issued",
    "points_redeemed",
}


def test_green_run_json_carries_the_recommender_metrics_and_checks_out(tmp_path):
    """The green policy (greedy routing here, for speed) over two days: the metrics are
    present and in range, points flow both ways, and every check (points included) passes."""
    db = tmp_path / "green.db"
    res = CliRunner().invoke(
        main,
        [
            "run",
            str(SCENARIOS / "green.toml"),
            "--days",
            "2",
            "--db",
            str(db),
            "--json",
            *TINY_SET,
            "--set",
            "routing.policy=greedy",
            "--set",
            "incentives.points_per_green_purchase=1000",
        ],
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert RECOMMENDER_KEYS <= s.keys()
    for key in ("green_exposure_share", "ctr", "conversion", "green_sales_share", "green_slot_uptake"):
        assert 0.0 < s[key] < 1.0, key
    assert s["points_issued"] > s["points_redeemed"] > 0
    assert s["points_liability"] == pytest.approx((s["points_issued"] - s["points_redeemed"]) * 0.01)
    assert s["sessions"] > s["orders"] > 0 and s["demand_mode"] == "sessions"
    res = CliRunner().invoke(main, ["check", str(db)])
    assert res.exit_code == 0, res.output
    assert "points_balances" in res.stdout and "FAILED" not in res.stdout


def test_exogenous_run_has_no_session_metrics(tmp_path):
    res = CliRunner().invoke(
        main,
        [
            "run",
            str(SCENARIOS / "baseline.toml"),
            "-d",
            "1",
            "--db",
            str(tmp_path / "x.db"),
            "--json",
            *TINY_SET,
            "--set",
            "demand.mode=exogenous",
        ],
    )
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["sessions"] == 0 and s["ctr"] is None and s["conversion"] is None and s["green_exposure_share"] is None
    assert s["green_sales_share"] > 0 and s["points_issued"] == 0


def test_run_table_names_the_kpis(tmp_path):
    res = CliRunner().invoke(
        main, ["--tables", "run", str(SCENARIOS / "baseline.toml"), "-d", "1", "--db", str(tmp_path / "t.db"), *TINY_SET]
    )
    assert res.exit_code == 0, res.output
    for label in (
        "orders",
        "on time",
        "vehicles used",
        "kg CO2e per order",
        "cost per order",
        "load factor",
        "stock-outs",
        "sessions",
        "conversion",
        "click-through",
        "green share of exposure",
        "green share of units sold",
    ):
        assert label in res.stdout
    assert "carbonsim check" in res.stdout


def test_check_catches_a_tampered_log(tmp_path):
    """Editing one arc's kg CO2e in the file breaks route_emissions; deleting a delivery breaks
    orders_end; check exits 1 and names the check."""
    db = tmp_path / "tamper.db"
    assert (
        CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.toml"), "-d", "1", "--db", str(db), *TINY_SET]).exit_code == 0
    )
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("UPDATE events SET kg_co2e = kg_co2e + 0.5 WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'arrived')")
    con.execute("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events WHERE type = 'delivered')")
    con.commit()
    con.close()
    res = CliRunner().invoke(main, ["check", str(db), "--json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    bad = {c["name"] for c in doc["checks"] if not c["ok"]}
    # the deleted delivery also leaves a footprint for an order that never ended; and the
    # ledger's digests of the events no longer match
    assert bad == {"route_emissions", "orders_end", "footprints_match_shares", "ledger_chain"} and doc["ok"] is False


def test_run_rejects_a_bad_override_in_one_line(tmp_path):
    res = CliRunner().invoke(
        main, ["run", str(SCENARIOS / "baseline.toml"), "--set", "routing.w2=2", "--db", str(tmp_path / "x.db")]
    )
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "routing.w2" in res.stderr and "between 0 and 1" in res.stderr
    assert not (tmp_path / "x.db").exists()


def test_check_of_a_missing_run(tmp_path):
    db = tmp_path / "empty.db"
    assert (
        CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.toml"), "-d", "1", "--db", str(db), *TINY_SET]).exit_code == 0
    )
    res = CliRunner().invoke(main, ["check", str(db), "--run", "9"])
    assert res.exit_code == 2 and "no run 9" in res.stderr


def test_ctrl_c_marks_the_run_interrupted(tmp_path):
    """A real SIGINT to a running `carbonsim run` process: exit 130, the run is marked
    interrupted, and the events flushed before it are in the file and readable."""
    import signal
    import sqlite3
    import time

    db = tmp_path / "sigint.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "run", str(SCENARIOS / "baseline.toml"), "--days", "60", "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:  # wait until the first batch of events is committed
            time.sleep(0.2)
            if db.exists():
                try:
                    with sqlite3.connect(db) as con:
                        if con.execute("SELECT COUNT(*) FROM events").fetchone()[0] > 0:
                            break
                except sqlite3.OperationalError:
                    pass  # schema not created yet
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    with sqlite3.connect(db) as con:
        status, error = con.execute("SELECT status, error FROM runs").fetchone()
        n = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert status == "interrupted" and "KeyboardInterrupt" in error and n >= 5000


def test_every_command_is_in_the_readme_tour():
    """A command missing from the README's tour of the commands fails this test."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## A tour of the commands") :]
    missing = [name for name in main.commands if f"### `carbonsim {name}" not in tour]
    assert not missing, f"not in the README's command tour: {missing}"


def _small_run(tmp_path) -> Path:
    db = tmp_path / "inspect.db"
    res = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.toml"), "-d", "1", "--db", str(db), *TINY_SET])
    assert res.exit_code == 0, res.output
    return db


def test_events_filters_are_bound_and_combine(tmp_path):
    db = _small_run(tmp_path)
    res = CliRunner().invoke(
        main, ["events", str(db), "--type", "delivered", "--from", "0.5d", "--to", "2d", "--limit", "0", "--json"]
    )
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert rows and all(r["type"] == "delivered" and 720 <= r["t"] < 2880 for r in rows)
    vehicle = rows[0]["vehicle_id"]
    res = CliRunner().invoke(main, ["events", str(db), "--vehicle", vehicle, "--csv", "--limit", "0"])
    lines = res.stdout.splitlines()
    assert lines[0].startswith("seq,t,type,order_id") and len(lines) > 2
    assert all(f",{vehicle}," in line for line in lines[1:])
    # a filter value is data, not SQL
    res = CliRunner().invoke(main, ["events", str(db), "--vehicle", "x' OR '1'='1", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout) == []
    res = CliRunner().invoke(main, ["events", str(db), "--type", "teleported"])
    assert res.exit_code == 2 and "not an event type" in res.output


def test_trace_follows_an_order_from_session_to_label(tmp_path):
    db = _small_run(tmp_path)
    res = CliRunner().invoke(main, ["trace", "3", str(db), "--json"])
    assert res.exit_code == 0, res.output
    types = [r["type"] for r in json.loads(res.stdout)]
    for t in (
        "session_started",
        "slate_shown",
        "product_clicked",
        "order_placed",
        "packed",
        "vehicle_departed",
        "delivered",
        "vehicle_returned",
        "footprint_computed",
        "label_issued",
    ):
        assert t in types, t
    assert types.index("session_started") < types.index("order_placed") < types.index("delivered") < types.index("label_issued")
    res = CliRunner().invoke(main, ["trace", "999999", str(db)])
    assert res.exit_code == 2 and "no order 999999" in res.output


def test_kpis_recomputes_the_run_summary(tmp_path):
    db = tmp_path / "k.db"
    res = CliRunner().invoke(main, ["run", str(SCENARIOS / "baseline.toml"), "-d", "1", "--db", str(db), "--json", *TINY_SET])
    printed = json.loads(res.stdout)
    res = CliRunner().invoke(main, ["kpis", str(db), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == printed


def test_every_command_help_has_an_example():
    missing = [name for name, cmd in main.commands.items() if "Example" not in (cmd.help or "")]
    assert not missing, f"no example in the help of: {missing}"


@pytest.mark.parametrize("command", [["events"], ["kpis"], ["check"], ["trace", "1"], ["labels"], ["verify"]])
def test_a_file_that_is_not_a_run_database_is_one_line_and_exit_2(tmp_path, command):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database\n" * 100)
    res = CliRunner().invoke(main, [*command, str(bogus)])
    assert res.exit_code == 2
    assert res.stderr.strip().count("\n") == 0 and "notes.txt: not a carbonsim event log" in res.stderr
