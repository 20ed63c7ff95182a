"""The parcel network of the stations layout (issue 14, item 1): stations sized by density,
customers in their discs, and line-haul trucks whose emissions reach the parcels' labels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizer.generate import ZONES
from sim import EventLog, Scenario, ScenarioError, check_run, run
from sim.log.events import EventType
from sim.world.geography import build_world
from sim.world.network import ZONE_NAMES, plan_network

CITY = Scenario().apply_overrides(["network.layout=stations", "demand.orders_per_day=20000"])


def test_stations_per_zone_follow_volume_and_size():
    net = plan_network(CITY)
    shares = np.array([getattr(CITY.world.zones, z) for z in ZONE_NAMES])
    for z, (name, hub_km, _) in enumerate(ZONES):
        mine = [s for s in net.stations if s.zone == z]
        parcels = 20000 * shares[z] / shares.sum()
        assert len(mine) == max(1, round(parcels / CITY.network.station_parcels_per_day))
        for s in mine:
            assert s.parcels_per_day == pytest.approx(parcels / len(mine))
            # the disc holds the station's parcels at the zone's density
            assert s.area_km2 * getattr(CITY.network.density, name) == pytest.approx(s.parcels_per_day)
            assert math.hypot(s.x, s.y) == pytest.approx(hub_km)  # Table 7's distance from the hub
    assert sum(s.parcels_per_day for s in net.stations) == pytest.approx(20000)
    assert [s.index for s in net.stations] == list(range(len(net.stations)))


def test_customers_live_in_their_stations_disc():
    w = build_world(CITY, np.random.default_rng(4))
    c = w.customers
    assert w.network is not None and len(w.depots) == len(w.network.stations)
    for i in range(len(c)):
        s = w.network.stations[c.depot[i]]
        assert s.zone == c.zone[i]
        assert math.hypot(c.x[i] - s.x, c.y[i] - s.y) <= s.radius_km + 1e-9
    assert set(np.unique(c.depot)) == set(range(len(w.depots)))  # every station serves someone


def test_the_stations_layout_needs_a_departure():
    with pytest.raises(ScenarioError, match="linehaul_hours.*at least one line-haul departure"):
        Scenario.from_toml('[network]\nlayout = "stations"\nlinehaul_hours = []\n')
    with pytest.raises(ScenarioError, match="linehaul_hours .*distinct and increasing"):
        Scenario.from_toml("[network]\nlinehaul_hours = [11.0, 5.0]\n")


@pytest.fixture(scope="module")
def station_run(tmp_path_factory):
    """Two days of a small stations network, with trucks small enough to need several a trip."""
    s = Scenario.from_toml(
        """
        [simulation]
        days = 2
        [world]
        customers = 400
        [network]
        layout = "stations"
        station_parcels_per_day = 40.0
        linehaul_capacity_kg = 150.0
        [demand]
        orders_per_day = 150
        promise = "day_definite"
        [catalog]
        products = 40
        [routing]
        wave_hours = [7.5, 12.5]
        """
    )
    db = tmp_path_factory.mktemp("network") / "run.db"
    summary = run(s, db_path=db, seed=2)
    with EventLog.open(db) as log:
        events = log.events(1)
        checks = {c.name: c for c in check_run(log, 1)}
    return s, summary, events, checks


def test_every_check_holds_on_a_station_network(station_run):
    _, summary, _, checks = station_run
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert {"linehaul_shares_add_up", "linehaul_before_dispatch"} <= set(checks)
    assert summary.stations > 3 and summary.delivered + summary.failed == summary.orders


def test_trucks_carry_within_capacity_at_the_stated_hours(station_run):
    s, _, events, _ = station_run
    trucks = [e for e in events if e.type == EventType.LINEHAUL_ARRIVED]
    assert trucks
    cap = s.network.linehaul_capacity_kg
    heavy = max(e.load for e in trucks)
    assert all(e.load <= cap + 1e-9 or e.quantity == 1 for e in trucks)
    assert heavy > cap / 2, "small trucks: some trips fill most of one"
    per_day: dict[tuple[int, float], int] = {}
    for e in trucks:
        key = (e.data["station"], e.t // 1440.0)
        per_day[key] = per_day.get(key, 0) + 1
    # two departures a day: more than two trucks to a station in a day means a load was split
    assert max(per_day.values()) > 2, "more parcels than one truck takes make several trucks"
    assert all(e.km > 0 and e.kg_co2e > 0 and e.data["return_km"] < e.km for e in trucks)


def test_linehaul_kg_reaches_the_labels_by_mass(station_run):
    _, summary, events, _ = station_run
    trucks = [e for e in events if e.type == EventType.LINEHAUL_ARRIVED]
    charged: dict[int, float] = {}
    for e in trucks:
        mass = {o: None for o in e.data["orders"]}
        shares = dict(map(tuple, e.data["shares"]))
        assert set(shares) == set(mass)
        assert sum(shares.values()) == pytest.approx(e.kg_co2e, rel=1e-12)
        for o, kg in shares.items():
            charged[o] = charged.get(o, 0.0) + kg
    footprints = {e.order_id: e for e in events if e.type == EventType.FOOTPRINT_COMPUTED}
    for o, kg in charged.items():
        if o in footprints:
            fp = footprints[o].data
            assert fp["linehaul_model"] == pytest.approx(kg, rel=1e-12)
            assert fp["scopes"]["ttw"]["linehaul"] == pytest.approx(kg)  # tank-to-wheel, diesel: the model's kg
            assert fp["linehaul"] == pytest.approx(kg * 3.24 / 2.67)  # the label is well-to-wheel
    assert summary.kg_co2e_linehaul == pytest.approx(sum(e.kg_co2e for e in trucks))
    assert summary.footprint_linehaul_per_order > 0
    assert summary.kg_co2e_transport == pytest.approx(
        summary.kg_co2e_last_mile + summary.kg_co2e_linehaul + summary.kg_co2e_trunk
    )


def test_the_paper_world_has_no_linehaul(tiny, tmp_path):
    s = run(tiny(), db_path=tmp_path / "r.db", seed=1)
    assert s.kg_co2e_linehaul == 0 and s.footprint_linehaul_per_order == 0
