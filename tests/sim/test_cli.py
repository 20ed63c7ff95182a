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
    assert set(doc) == {"format_version", "instance", "source", "algorithm", "seed", "seconds", "iterations", "evaluations", "solutions"}
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


def test_route_table_marks_the_chosen_plan():
    """The table lists the front and the line under it names the chosen plan."""
    res = CliRunner().invoke(main, ["route", str(C101), "-a", "greedy"])
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
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["algorithm"] == "greedy" and len(doc["solutions"]) == 1
