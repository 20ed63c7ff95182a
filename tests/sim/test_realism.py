"""The station network against the published bands (issue 14): a city day, scaled down to
4,000 parcels a day so the suite stays fast, must fall inside every band the world already
models, so realism cannot drift back.

Figures not asserted yet, with the reason (move each into INSIDE when its item lands):
stops per route (the scaled-down outer stations run small rounds, and the greedy baseline's
later vans take one or two stops), load factor by weight and by volume (the same short rounds
leave 11 m³ vans mostly empty), pickup share (no pickup points yet: item 4).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.analysis.bands import load_bands
from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]

INSIDE = (
    "km_per_parcel",
    "kg_co2e_last_mile_per_order",
    "kg_co2e_per_order",
    "cost_per_order",
    "conversion",
    "kg_co2e_per_order_packaging",
    "compensation_per_order",
    "shift_hours_max",
)


@pytest.fixture(scope="module")
def city_day(tmp_path_factory):
    db = tmp_path_factory.mktemp("realism") / "city.db"
    args = ["run", str(ROOT / "scenarios" / "city.toml"), "-d", "1", "--db", str(db), "--json"]
    args += ["--set", "demand.orders_per_day=4000", "--set", "world.customers=12000", "--set", "fleet.vehicles[0].count=40"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    cal = CliRunner().invoke(main, ["calibrate", str(db), "--json"])
    assert cal.exit_code == 0, cal.output
    return {r["key"]: r for r in json.loads(cal.stdout)}


@pytest.mark.parametrize("key", INSIDE)
def test_a_city_day_is_inside_the_band(city_day, key):
    r = city_day[key]
    assert r["inside"] is True, f"{key} = {r['value']} outside {r['low']}..{r['high']} ({r['source']})"


def test_every_band_is_either_asserted_or_listed_as_not_yet():
    not_yet = {"stops_per_route", "load_factor_weight", "load_factor_volume", "pickup_share"}
    # failed first attempts depend on a 3 % draw over one scaled-down day: checked on the week elsewhere
    noisy = {"failed_first_attempt_share"}
    assert {b.key for b in load_bands()} == set(INSIDE) | not_yet | noisy
