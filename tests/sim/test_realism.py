"""The default scenario against the published bands (issue 14): three days of
scenarios/baseline.toml, the station network at 4,000 parcels a day, must fall inside every band
of sim/analysis/realism_bands.toml, so realism cannot drift back.

Not asserted, with the reason: failed first attempts depend on a 3 % draw (checked on the week
elsewhere).
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
    "stops_per_route",
    "load_factor_weight",
    "load_factor_volume",
    "km_per_parcel",
    "kg_co2e_last_mile_per_order",
    "footprint_wtw_per_order",
    "cost_per_order",
    "conversion",
    "kg_co2e_per_order_packaging",
    "compensation_per_order",
    "shift_hours_max",
    "pickup_share",
)


@pytest.fixture(scope="module")
def baseline_days(tmp_path_factory):
    db = tmp_path_factory.mktemp("realism") / "baseline.db"
    # three days, not two: day 0 starts with an empty queue (its 07:30 wave sees only the night's
    # orders) and the drain days run short rounds of leftovers; a week gives about 70 stops a route
    args = ["run", str(ROOT / "scenarios" / "baseline.toml"), "-d", "3", "--db", str(db), "--json"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    cal = CliRunner().invoke(main, ["calibrate", str(db), "--json"])
    assert cal.exit_code == 0, cal.output
    return {r["key"]: r for r in json.loads(cal.stdout)}


@pytest.mark.parametrize("key", INSIDE)
def test_the_baseline_is_inside_the_band(baseline_days, key):
    r = baseline_days[key]
    assert r["inside"] is True, f"{key} = {r['value']} outside {r['low']}..{r['high']} ({r['source']})"


def test_every_band_is_either_asserted_or_listed_as_not_yet():
    not_yet: set[str] = set()
    # failed first attempts depend on a 3 % draw over three days: checked on the week elsewhere
    noisy = {"failed_first_attempt_share"}
    assert {b.key for b in load_bands()} == set(INSIDE) | not_yet | noisy
