"""`carbonsim route` on VRPLIB files: the bundled Gehring-Homberger R1_10_1, and a bad one."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sim.cli import main

GH1000 = Path(__file__).resolve().parent.parent / "data" / "vrplib" / "R1_10_1.vrp"


def test_route_reads_a_vrplib_file(tmp_path):
    """The greedy plan of the 1,000-customer VRPLIB file serves every customer id once."""
    out = tmp_path / "front.json"
    res = CliRunner().invoke(main, ["route", str(GH1000), "-a", "greedy", "--json", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["instance"] == "R1_10_1" and doc["source"] == str(GH1000)
    (plan,) = doc["solutions"]
    served = sorted(c for r in plan["routes"] for c in r["customers"])
    assert served == list(range(1, 1001))
    assert plan["feasible"] and plan["vehicles"] <= 250


def test_route_rejects_a_bad_vrplib_file_with_one_line(tmp_path):
    bad = tmp_path / "bad.vrp"
    bad.write_text(GH1000.read_text().replace("CAPACITY : 200", "CAPACITY : lots"))
    res = CliRunner().invoke(main, ["route", str(bad)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.vrp: line 5: field 'CAPACITY'" in lines[0]
    assert "Traceback" not in res.output
