"""The last-mile fleet (issue 14, item 2): ready-made vans and tricycles, and driver shifts."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from optimizer.model import E_TRICYCLE, PRESETS
from sim.errors import InputError
from sim.scenario import Scenario, ScenarioError
from sim.scenario.schema import VehicleConfig
from sim.world.fleet import MIN_SHIFT_LEFT_MINUTES, FleetPool, deal

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
FIELDS = (
    "capacity",
    "capacity_m3",
    "count",
    "empty_kg_per_km",
    "full_kg_per_km",
    "cost_per_km",
    "fixed_cost",
    "cost_per_minute",
    "battery_kwh",
    "kwh_per_km_empty",
    "kwh_per_km_full",
)


def test_vans_scenario_writes_out_the_presets():
    """scenarios/vans.toml's vehicles are optimizer.model.PRESETS, figure for figure."""
    s = Scenario.from_file(SCENARIOS / "vans.toml")
    types = s.fleet.vehicle_types()
    assert [v.name for v in types] == ["diesel_van", "electric_van", "e_tricycle"]
    for v in types:
        p = PRESETS[v.name]
        assert v.electric is p.electric
        for f in FIELDS:
            assert math.isclose(getattr(v, f), getattr(p, f), rel_tol=1e-9), (v.name, f)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip_through_the_scenario(name):
    vt = PRESETS[name]
    back = VehicleConfig.from_model(vt).to_model()
    assert back == vt


def test_presets_are_in_the_bands_of_the_issue():
    van, ev, tri = PRESETS["diesel_van"], PRESETS["electric_van"], E_TRICYCLE
    assert 10.0 <= van.capacity <= 12.0 and 10.0 <= van.capacity_m3 <= 12.0  # 1,000-1,200 kg, 10-12 m³
    assert van.empty_kg_per_km == 0.196
    assert ev.electric and tri.electric and not van.electric
    assert 2.0 <= tri.capacity <= 3.0 and 1.5 <= tri.capacity_m3 <= 2.0  # 200-300 kg, 1.5-2 m³


def test_a_vehicle_day_counts_against_the_shift(tiny):
    """A 3 h shift: 2.5 h on a route leaves 30 min, under the hour a route needs, so the van
    sits out the rest of its day and is available again the next."""
    s = tiny('fleet.vehicles=[{name = "van", capacity_kg = 100.0, count = 2}]', "fleet.shift_hours=3")
    now = [0.0]
    pool = FleetPool(s, 1, clock=lambda: now[0])
    vid = pool.take(0, 0)
    assert pool.idle_counts(0) == [1]
    now[0] = 9 * 60.0
    pool.release(vid, departed=6.5 * 60.0, minutes=150.0)
    assert pool.shift_left(vid) == 30.0 < MIN_SHIFT_LEFT_MINUTES
    assert pool.idle_counts(0) == [1] and pool.shortest_shift_left(0) == 180.0
    now[0] = 1440.0 + 6 * 60.0
    assert pool.idle_counts(0) == [2] and pool.shift_left(vid) == 180.0


def test_a_vehicle_charges_before_it_leaves_again(tiny):
    """7 kW: back at 10:00 having used 14 kWh, the van is available again at 12:00."""
    s = tiny('fleet.vehicles=[{name = "van", capacity_kg = 100.0, count = 1}]', "fleet.charger_kw=7")
    now = [10 * 60.0]
    pool = FleetPool(s, 1, clock=lambda: now[0])
    vid = pool.take(0, 0)
    pool.release(vid, departed=8 * 60.0, minutes=120.0, kwh=14.0)
    assert pool.idle_counts(0) == [0]
    now[0] = 12 * 60.0
    assert pool.idle_counts(0) == [1]


@pytest.mark.parametrize(
    ("count", "weights", "dealt"),
    [
        (10, [1.0, 1.0], [5, 5]),
        (10, [3.0, 1.0], [8, 2]),  # 7.5 and 2.5: the tie goes to the first
        (3, [1.0, 5.0, 2.0, 1.0], [1, 1, 1, 0]),  # the heaviest stations first
        (7, [1000.0, 10.0, 10.0], [5, 1, 1]),  # every station one van before shares
        (0, [1.0, 2.0], [0, 0]),
    ],
)
def test_vehicles_are_dealt_by_station_volume(count, weights, dealt):
    assert deal(count, weights) == dealt


def test_a_stations_fleet_follows_its_parcels(tiny):
    s = tiny('fleet.vehicles=[{name = "van", capacity_kg = 1000.0, count = 12}]')
    pool = FleetPool(s, 3, weights=[600.0, 300.0, 100.0])
    assert [pool.based(d) for d in range(3)] == [7, 4, 1]
    assert sorted(pool.depot_of) == [f"van-{i:02d}" for i in range(1, 13)]
    with pytest.raises(ValueError, match="2 depot weights for 3 depots"):
        FleetPool(s, 3, weights=[1.0, 1.0])


def test_a_type_with_zones_goes_to_those_stations_only(tiny):
    s = tiny(
        'fleet.vehicles=[{name = "trike", capacity_kg = 250.0, count = 6, zones = ["urban_core"]},'
        ' {name = "van", capacity_kg = 1000.0, count = 4}]'
    )
    zones = ["urban_core", "urban_core", "remote_county"]
    pool = FleetPool(s, 3, weights=[200.0, 100.0, 100.0], zones=zones)
    trikes = [pool.depot_of[v] for v in pool.depot_of if v.startswith("trike")]
    assert sorted(trikes) == [0, 0, 0, 0, 1, 1]  # 2:1 over the two urban stations, none in the county
    assert [pool.based(d) for d in range(3)] == [6, 3, 1]
    with pytest.raises(InputError, match="stations 2 \\(remote_county\\) get no vehicle"):
        FleetPool(
            tiny('fleet.vehicles=[{name = "trike", count = 6, zones = ["urban_core"]}]'), 3, weights=[2.0, 1.0, 1.0], zones=zones
        )
    with pytest.raises(InputError, match="serves zones cross_region_hub, where no station is"):
        FleetPool(
            tiny('fleet.vehicles=[{name = "trike", count = 6, zones = ["cross_region_hub"]}]'),
            3,
            weights=[2.0, 1.0, 1.0],
            zones=zones,
        )


def test_zone_names_are_checked(tiny):
    with pytest.raises(ScenarioError, match="zones\\[0\\].*must be a zone name; allowed: urban_core"):
        tiny('fleet.vehicles=[{name = "trike", count = 6, zones = ["downtown"]}]')
