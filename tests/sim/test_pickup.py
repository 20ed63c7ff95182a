"""Pickup points and parcel lockers (issue 14, item 4): where the sites are, who chooses them, one
route stop for a site's parcels, the fallback after a failed doorstep attempt, collection and
the site's capacity, on real runs checked by ``carbonsim check``."""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.units import MINUTES_PER_DAY
from recommender.choice import pickup_utility
from sim import EventLog, Scenario, ScenarioError, check_run, run
from sim.world.geography import build_world
from sim.world.pickup import PickupPoints, site_window

STATIONS = """
[simulation]
days = 2
[world]
customers = 600
[network]
layout = "stations"
station_parcels_per_day = 60.0
[demand]
orders_per_day = 240
promise = "day_definite"
failed_attempt_share = {absent}
[catalog]
products = 40
[routing]
wave_hours = [7.5, 12.5]
[pickup]
sites_per_station = 3
capacity = {capacity}
asc = 1.5
"""


def stations(absent: float = 0.03, capacity: int = 150, *overrides: str) -> Scenario:
    return Scenario.from_toml(STATIONS.format(absent=absent, capacity=capacity), overrides=overrides)


# -- the sites ------------------------------------------------------------------------------------


def test_each_station_gets_its_sites_and_each_customer_the_nearest_of_its_own_station():
    s = stations()
    w = build_world(s, np.random.default_rng(3))
    sites, c = w.sites, w.customers
    assert sites is not None
    assert len(sites) == 3 * len(w.depots)
    assert np.bincount(sites.depot).tolist() == [3] * len(w.depots)
    for i in range(len(c)):
        own = np.flatnonzero(sites.depot == c.depot[i])
        d = np.hypot(sites.x[own] - c.x[i], sites.y[own] - c.y[i])
        assert sites.customer_site[i] == own[np.argmin(d)]
        assert sites.customer_km[i] == pytest.approx(d.min() * s.world.circuity)
    # k-means centres sit among the station's customers, not at the station
    for k in range(len(sites)):
        served = sites.customer_site == k
        assert served.any()
        assert math.hypot(sites.x[k] - c.x[served].mean(), sites.y[k] - c.y[served].mean()) < 0.5


def test_sites_leave_the_customers_where_they_were():
    with_sites = build_world(stations(), np.random.default_rng(5))
    without = build_world(stations().apply_overrides(["pickup.sites_per_station=0"]), np.random.default_rng(5))
    assert without.sites is None
    assert np.array_equal(with_sites.customers.x, without.customers.x)
    assert np.array_equal(with_sites.customers.depot, without.customers.depot)


def test_the_paper_world_can_have_sites_too():
    s = Scenario().apply_overrides(["world.customers=300", "world.depots=2", "pickup.sites_per_station=4"])
    w = build_world(s, np.random.default_rng(1))
    assert w.sites is not None and len(w.sites) == 8
    assert (w.sites.depot[w.sites.customer_site] == w.customers.depot).all()


# -- the choice -----------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    km=st.floats(0.0, 20.0),
    more=st.floats(0.01, 5.0),
    points=st.floats(0.0, 50.0),
    basket=st.floats(1.0, 2000.0),
)
def test_a_site_further_away_is_less_attractive_and_points_pull(km, more, points, basket):
    near = pickup_utility(0.5, 1.2, km)
    assert pickup_utility(0.5, 1.2, km + more) < near
    paid = pickup_utility(0.5, 1.2, km, price_sensitivity=2.0, kappa=0.6, points_value=points, basket_value=basket)
    assert paid >= near - 1e-12
    if points > 1e-3:
        assert paid > near


def test_choice_share_follows_the_logit_and_a_full_site_is_not_offered(make_context):
    s = stations(capacity=100_000)
    ctx, _ = make_context(s)
    w = build_world(s, np.random.default_rng(3))
    points = PickupPoints(ctx, w.sites)
    customer = 7
    v = s.pickup.asc - s.pickup.utility_per_km * float(w.sites.customer_km[customer])
    n = 4000
    chosen = sum(points.choose(customer) is not None for _ in range(n))
    p = 1.0 / (1.0 + math.exp(-v))
    assert abs(chosen / n - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert all(points.choose(customer, offered=False) is None for _ in range(50))  # expedited: the door
    site = int(w.sites.customer_site[customer])
    assert points.held[site] == chosen
    points.held[site] = s.pickup.capacity
    assert all(points.choose(customer) is None for _ in range(50))


def test_windows_are_narrowed_to_the_opening_hours():
    p = stations().pickup  # 09:00-21:00
    day = 2 * MINUTES_PER_DAY
    assert site_window(p, day + 8 * 60, day + 21 * 60) == (day + 9 * 60, day + 21 * 60)
    assert site_window(p, day + 10 * 60, day + 22 * 60) == (day + 10 * 60, day + 21 * 60)
    # a window wholly after closing moves to the next opening day, one before opening to the day's hours
    assert site_window(p, day + 21.5 * 60, day + 23 * 60) == (day + MINUTES_PER_DAY + 9 * 60, day + MINUTES_PER_DAY + 21 * 60)
    assert site_window(p, day + 5 * 60, day + 6 * 60) == (day + 9 * 60, day + 21 * 60)
    # ready after closing moves to the next opening, due stays where it is when that is inside the hours
    assert site_window(p, day + 21.5 * 60, day + MINUTES_PER_DAY + 15 * 60) == (
        day + MINUTES_PER_DAY + 9 * 60,
        day + MINUTES_PER_DAY + 15 * 60,
    )


@settings(max_examples=200, deadline=None)
@given(ready=st.floats(0.0, 10 * MINUTES_PER_DAY), width=st.floats(0.0, 3 * MINUTES_PER_DAY))
def test_a_site_window_is_never_empty_and_opens_and_closes_in_the_hours(ready, width):
    p = stations().pickup
    a, b = site_window(p, ready, ready + width)
    assert a <= b and a >= ready
    for t in (a, b):
        assert p.open_hour * 60.0 - 1e-6 <= t % MINUTES_PER_DAY <= p.close_hour * 60.0 + 1e-6


def test_closing_before_opening_is_refused_by_name():
    with pytest.raises(ScenarioError, match=r"pickup\.close_hour.*after open_hour"):
        Scenario.from_toml("[pickup]\nopen_hour = 10.0\nclose_hour = 9.0\n")


# -- runs -----------------------------------------------------------------------------------------


def _run(tmp_path_factory, name: str, scenario: Scenario, seed: int = 2):
    db = tmp_path_factory.mktemp(name) / "run.db"
    summary = run(scenario, db_path=db, seed=seed)
    with EventLog.open(db) as log:
        events = log.events(1)
        checks = {c.name: c for c in check_run(log, 1)}
    return summary, events, checks


@pytest.fixture(scope="module")
def site_run(tmp_path_factory):
    return _run(tmp_path_factory, "pickup", stations())


@pytest.fixture(scope="module")
def absent_run(tmp_path_factory):
    """Half the doors find nobody home, and sites so small some fill up."""
    return _run(tmp_path_factory, "absent", stations(absent=0.5, capacity=6))


@pytest.mark.parametrize("which", ["site_run", "absent_run"])
def test_every_check_holds_with_sites(which, request):
    summary, _, checks = request.getfixturevalue(which)
    assert "pickup_capacity" in checks
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert summary.delivered + summary.failed == summary.orders


def test_a_sites_parcels_are_one_stop_of_the_route(site_run):
    summary, events, _ = site_run
    at_site = [e for e in events if e.type == "arrived" and e.data and "site" in e.data]
    assert at_site, "some parcels go to sites"
    by_route: dict = defaultdict(list)
    for e in events:
        if e.type == "arrived" and e.order_id is not None:
            by_route[e.route_id].append(e)
    stops = 0
    for arrivals in by_route.values():
        prev_site = None
        for e in arrivals:
            site = (e.data or {}).get("site")
            if site is not None and site == prev_site:
                assert e.km == 0 and e.kg_co2e == 0  # the same stop: no arc of its own
            else:
                # a new stop: a site is driven to; a door may be the last one's (a second order of one customer)
                assert e.km > 0 or site is None
                stops += 1
            prev_site = site
    assert summary.stops_per_route == pytest.approx(stops / summary.routes)
    # the route map's positions: a site's orders were placed at the site
    placed = {e.order_id: e.data for e in events if e.type == "order_placed"}
    some = at_site[0]
    assert placed[some.order_id]["site"] == some.data["site"]


def test_site_parcels_are_collected_after_they_are_left_and_the_share_is_reported(site_run):
    summary, events, _ = site_run
    left = {e.order_id: e for e in events if e.type == "delivered" and e.data and "site" in e.data}
    collected = [e for e in events if e.type == "pickup_collected"]
    assert collected
    for e in collected:
        assert e.order_id in left and e.t > left[e.order_id].t
        assert e.data["site"] == left[e.order_id].data["site"]
        assert e.t - left[e.order_id].t == pytest.approx(e.data["hours"] * 60.0)
    assert summary.pickup_share == pytest.approx(len(left) / summary.delivered)
    assert 0.05 < summary.pickup_share < 0.9
    # nobody-home failures are doorstep ones only
    failed = [e for e in events if e.type == "delivery_failed" and e.data["reason"] == "nobody_home"]
    assert all(e.order_id not in left or left[e.order_id].data["fallback"] for e in failed)


def test_nobody_home_falls_back_to_the_customers_site(absent_run):
    summary, events, _ = absent_run
    fallbacks = [e for e in events if e.type == "delivered" and e.data.get("fallback")]
    assert fallbacks, "with half the doors empty, parcels go to sites"
    failed_first = {e.order_id for e in events if e.type == "delivery_failed" and e.data["attempt"] == 1}
    placed = {e.order_id: e for e in events if e.type == "order_placed"}
    for e in fallbacks:
        assert e.order_id in failed_first and e.data["attempt"] == 2
        assert "site" not in placed[e.order_id].data  # it was a doorstep order
    assert summary.failed_first_attempt_share > 0.3  # doorstep attempts only


def test_a_full_site_sends_orders_to_the_door(absent_run, site_run):
    full, _, _ = absent_run
    roomy, _, _ = site_run
    assert full.pickup_share < roomy.pickup_share  # capacity 6 refuses what 150 takes


def test_routing_policy_does_not_change_who_chooses_a_site(tmp_path):
    """Exogenous demand: the same orders under two routing policies, so the same site choices."""
    base = stations().apply_overrides(['demand.mode="exogenous"', "simulation.days=1"])
    sites = []
    for policy in ("greedy", "mogwo"):
        s = base.apply_overrides([f'routing.policy="{policy}"', "routing.iterations=2", "routing.population=6"])
        run(s, db_path=tmp_path / f"{policy}.db", seed=4)
        with EventLog.open(tmp_path / f"{policy}.db") as log:
            sites.append({e.order_id: (e.data or {}).get("site") for e in log.events(1) if e.type == "order_placed"})
    assert sites[0] == sites[1]
    assert any(v is not None for v in sites[0].values())
