"""``carbonsim kpis --allocations`` (sim/analysis/allocations.py): one run's last mile under eq. 5,
tonne-km a round and tonne-km of a day's rounds of a vehicle type, rebuilt from its log. Each rule
rebuilt must equal what the run's own labeller charged when the run used it, and all three share
the same kg."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim import EventLog, Scenario, run
from sim.analysis.allocations import RULES, allocation_rows, last_mile_by_rule
from sim.cli import main

WORLD = (Path(__file__).resolve().parents[1] / "data" / "stations_small.toml").read_text()


@pytest.fixture(scope="module", params=["demand_share", "toc_tonne_km"])
def logged(request, tmp_path_factory):
    db = tmp_path_factory.mktemp("alloc") / "run.db"
    text = WORLD.replace('method = "toc_tonne_km"', f'method = "{request.param}"')
    run(Scenario.from_toml(text), db_path=db, seed=5)
    return request.param, db


def test_the_rule_the_run_used_rebuilds_its_labels(logged):
    method, db = logged
    with EventLog.open(db) as log:
        per = last_mile_by_rule(log, 1)
        charged = {e.order_id: e.data["last_mile_model"] for e in log.events(1, type="footprint_computed")}
    assert charged and per.keys() == charged.keys()
    for oid, kg in charged.items():
        assert per[oid][method] == pytest.approx(kg, rel=1e-9, abs=1e-12), oid


def test_every_rule_shares_the_same_kg_and_they_differ_by_distance(logged):
    _, db = logged
    with EventLog.open(db) as log:
        per = last_mile_by_rule(log, 1)
        driven = log.db.execute("SELECT TOTAL(kg_co2e) FROM events WHERE type = 'vehicle_returned'").fetchone()[0]
        rows = allocation_rows(log, 1)
    for rule in RULES:
        assert math.fsum(f[rule] for f in per.values()) == pytest.approx(driven, rel=1e-9)
    everyone = rows[-1]
    assert everyone.group == "all" and everyone.parcels == sum(r.parcels for r in rows[:-1])
    assert everyone.demand_share == pytest.approx(everyone.toc_tonne_km, rel=1e-9)
    # tonne-km charges the far parcels of a round more than eq. 5 does, the near ones less
    near, far = rows[0], rows[-2]
    assert near.sfd_km < far.sfd_km
    assert near.tonne_km / near.demand_share < far.tonne_km / far.demand_share


def test_the_cli_prints_the_rules_side_by_side(logged):
    method, db = logged
    res = CliRunner().invoke(main, ["kpis", str(db), "--allocations", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["method"] == method and doc["rows"][-1]["group"] == "all"
    table = CliRunner().invoke(main, ["--tables", "kpis", str(db), "--allocations"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "demand_share (eq. 5)" in table.output and "toc_tonne_km a day" in table.output
    both = CliRunner().invoke(main, ["kpis", str(db), "--allocations", "--glec"])
    assert both.exit_code == 2 and "pick one" in both.output
