"""Tests for optimizer.solution.evaluate on small instances computed by hand.

The square instance: depot (0, 0), customers 101 at (3, 0), 102 at (3, 4), 103 at (0, 4),
so the arcs 0-101, 101-102, 102-103 and 103-0 are 3, 4, 3 and 4 km and the diagonals
0-102 and 101-103 are 5 km (3-4-5 triangles). Demands 2, 3, 5; service 1 each; unit
speed (one minute per km). Van: capacity 10, 1.0 kg/km empty, 2.0 kg/km full, 2 per km,
fixed 50, 0.5 per minute.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer.instance import RoutingInstance
from optimizer.layout import MINUTES
from optimizer.model import ROAD_GRADES, CongestionProfile, PenaltyModel, VehicleType
from optimizer.solution import Route, evaluate, routes_from_ids

VAN = VehicleType("van", 10.0, 2, 1.0, 2.0, cost_per_km=2.0, fixed_cost=50.0, cost_per_minute=0.5)
SMALL = VehicleType("small", 8.0, 1, 1.0, 2.0, cost_per_km=2.0, fixed_cost=50.0, cost_per_minute=0.5)


def square(hard: bool = False, depot_due: float = 100.0, fleet=(VAN,)) -> RoutingInstance:
    return RoutingInstance(
        name="square",
        x=[0.0, 3.0, 3.0, 0.0],
        y=[0.0, 0.0, 4.0, 4.0],
        demand=[0.0, 2.0, 3.0, 5.0],
        ready=[0.0, 5.0, 0.0, 14.0],
        due=[depot_due, 10.0, 8.0, 20.0],
        service=[0.0, 1.0, 1.0, 1.0],
        vehicle_types=fleet,
        customer_ids=[0, 101, 102, 103],
        unit_speed=True,
        penalty=PenaltyModel(hard_windows=hard),
    )


def test_distances_are_3_4_5():
    """The square's arcs are 3, 4 and 5 km as drawn."""
    d = square().distance
    assert_allclose([d[0, 1], d[1, 2], d[2, 3], d[3, 0], d[0, 2], d[1, 3]], [3, 4, 3, 4, 5, 5])


def test_one_route_soft_windows_by_hand():
    """Route 101-102-103: 14 km, 21.7 kg, penalty 0.3*2 + 1.5*2 = 3.6, 19 minutes, cost 87.5."""
    inst = square(hard=False)
    ev = evaluate(inst, [Route(0, (1, 2, 3))])
    # arcs carry 10, 8, 5, 0 units: factors 1 + load/10 = 2.0, 1.8, 1.5, 1.0 kg/km
    kg = 2.0 * 3 + 1.8 * 4 + 1.5 * 3 + 1.0 * 4
    # 101: arrive 3, early by 2, start 5, leave 6; 102: arrive 10, late by 2, leave 11;
    # 103: arrive 14, on time, leave 15; depot at 19
    pen = 0.3 * (5 - 3) + 1.5 * (10 - 8)
    cost = 2.0 * 14 + 50.0 + 0.5 * 19
    assert_allclose([ev.distance_km, ev.emissions_kg, ev.penalty, ev.cost], [14.0, kg, pen, cost], rtol=1e-12)
    assert_allclose([kg, pen, cost], [21.7, 3.6, 87.5])
    assert_allclose(ev.objectives, [87.5, 21.7, 3.6])
    assert ev.feasible and ev.vehicles == 1
    r = ev.routes[0]
    assert_allclose(r.duration, 19.0)
    assert r.load == 10.0 and r.overload == 0.0
    assert_allclose(r.lateness, 2.0)
    assert_allclose(r.arrival, [3, 10, 14, 19])
    assert_allclose(r.service_start, [5, 10, 14, 19])  # waits for 101 to open, not for 102
    assert_allclose(r.arc_load, [10, 8, 5, 0])
    assert_allclose(r.arc_km, [3, 4, 3, 4])
    assert_allclose(r.arc_kg, [6.0, 7.2, 4.5, 4.0])


def test_reversed_route_by_hand():
    """Route 103-102-101 carries the heavy load on the 4 km arc first: 20.3 kg, penalty 37.5, cost 91.5."""
    ev = evaluate(square(), [Route(0, (3, 2, 1))])
    # loads 10, 5, 2, 0 on arcs of 4, 3, 4, 3 km
    kg = 2.0 * 4 + 1.5 * 3 + 1.2 * 4 + 1.0 * 3
    # 103: arrive 4, early by 10, leave 15; 102: arrive 18, late by 10, leave 19;
    # 101: arrive 23, late by 13, leave 24; depot at 27
    pen = 0.3 * 10 + 1.5 * 10 + 1.5 * 13
    assert_allclose([ev.emissions_kg, ev.penalty, ev.cost, ev.distance_km], [kg, pen, 28 + 50 + 0.5 * 27, 14.0])
    assert_allclose([kg, pen], [20.3, 37.5])
    assert_allclose(ev.routes[0].service_start, [14, 18, 23, 27])


def test_two_routes_totals_by_hand():
    """Routes (101) and (102, 103) total cost 150, 24.1 kg, penalty 2.1, 18 km, 2 vehicles, feasible even with hard windows."""
    for hard in (False, True):
        ev = evaluate(square(hard=hard), [Route(0, (1,)), Route(0, (2, 3))])
        # (101): 3 km at load 2 (1.2 kg/km) + 3 km empty; arrive 3, wait to 5, back at 9
        # (102, 103): 5 km at load 8 (1.8), 3 km at load 5 (1.5), 4 km empty; 103 early by 5; back at 19
        assert_allclose(ev.routes[0].cost, 2 * 6 + 50 + 0.5 * 9)
        assert_allclose(ev.routes[1].cost, 2 * 12 + 50 + 0.5 * 19)
        assert_allclose(ev.routes[1].emissions_kg, 1.8 * 5 + 1.5 * 3 + 1.0 * 4)
        assert_allclose([ev.cost, ev.emissions_kg, ev.penalty, ev.distance_km], [150.0, 24.1, 0.3 * 2 + 0.3 * 5, 18.0])
        assert ev.vehicles == 2
        assert ev.feasible, ev.problems


def test_hard_window_late_is_infeasible():
    """With hard windows, arriving 2 late at customer 102 makes the plan infeasible (penalty still reported)."""
    ev = evaluate(square(hard=True), [Route(0, (1, 2, 3))])
    assert not ev.feasible
    assert len(ev.problems) == 1 and "route 0: late by 2" in ev.problems[0]
    assert_allclose(ev.penalty, 3.6)


def test_late_back_at_depot():
    """Returning at 19 to a depot closing at 18 is infeasible with hard windows and costs 1.5 with soft ones."""
    hard = evaluate(square(hard=True, depot_due=18.0), [Route(0, (1,)), Route(0, (2, 3))])
    assert not hard.feasible and "late by 1" in hard.problems[0]
    soft = evaluate(square(hard=False, depot_due=18.0), [Route(0, (1,)), Route(0, (2, 3))])
    assert soft.feasible
    assert_allclose(soft.penalty, 2.1 + 1.5 * 1.0)
    assert_allclose(soft.routes[1].lateness, 1.0)


def test_capacity_infeasible():
    """Loading 10 units on the 8-unit vehicle is reported as over capacity, with the load charged."""
    inst = square(fleet=(VAN, SMALL))
    ev = evaluate(inst, [Route(1, (1, 2, 3))])
    assert not ev.feasible
    assert ev.problems == ("route 0: load 10 exceeds capacity 8 of small",)
    assert_allclose(ev.routes[0].overload, 2.0)
    # emissions interpolate on the small vehicle's capacity: factors 1 + load / 8
    assert_allclose(ev.emissions_kg, (1 + 10 / 8) * 3 + (1 + 8 / 8) * 4 + (1 + 5 / 8) * 3 + 1.0 * 4)


def test_fleet_count_infeasible():
    """Three routes on a type with two vehicles is reported as exceeding the fleet."""
    ev = evaluate(square(), [Route(0, (1,)), Route(0, (2,)), Route(0, (3,))])
    assert ev.vehicles == 3
    assert ev.problems == ("3 routes on van but only 2 available",)


def test_empty_route_uses_no_vehicle():
    """An empty route costs nothing and does not count as a vehicle."""
    ev = evaluate(square(), [Route(0, (1, 2, 3)), Route(0, ())])
    assert ev.vehicles == 1
    assert ev.routes[1].cost == 0.0 and ev.routes[1].arrival.shape == (1,)
    assert_allclose(ev.cost, 87.5)


def test_missing_and_duplicate_customers_reported_by_id():
    """A customer left out, or served twice, is reported with its id as numbered in the source."""
    inst = square()
    ev = evaluate(inst, routes_from_ids(inst, [(0, [101, 102])]))
    assert ev.problems == ("1 customer(s) not served, e.g. id 103",)
    ev = evaluate(inst, routes_from_ids(inst, [("van", [101, 102]), ("van", [102, 103])]))
    assert ev.problems == ("1 customer(s) served more than once, e.g. id 102",)


def test_customer_repeated_within_one_route_reported():
    """A customer visited twice in the same route is reported as served more than once."""
    roomy = VAN.replace(capacity=20.0)
    ev = evaluate(square(fleet=(roomy,)), [Route(0, (1, 2, 2, 3))])
    assert not ev.feasible
    assert "1 customer(s) served more than once, e.g. id 102" in ev.problems


def test_bad_route_arguments_raise():
    """A customer index outside 1..n or an unknown vehicle type raises ValueError."""
    inst = square()
    with pytest.raises(ValueError, match="out of range"):
        evaluate(inst, [Route(0, (0, 1))])
    with pytest.raises(ValueError, match="vehicle type 3"):
        evaluate(inst, [Route(3, (1,))])
    with pytest.raises(KeyError):
        routes_from_ids(inst, [(0, [104])])


# ---------------------------------------------------------------- road grades and congestion

EXPRESSWAY, URBAN_LOCAL = ROAD_GRADES[0], ROAD_GRADES[2]


def road(start_minute: float, shape=(2.0, 0.0)) -> RoutingInstance:
    """Depot and one customer 7.56 km east (9.828 road km at circuity 1.3); out on the
    expressway, back on an urban local road; congestion alternates every 5 minutes."""
    return RoutingInstance(
        name="road",
        x=[0.0, 7.56],
        y=[0.0, 0.0],
        demand=[0.0, 4.0],
        ready=[0.0, 10.0],
        due=[1000.0, 100.0],
        service=[0.0, 5.0],
        vehicle_types=(VAN,),
        circuity=1.3,
        road_grade=[[1, 0], [2, 1]],
        unit_speed=False,
        congestion=CongestionProfile(shape=tuple(shape) * 144, period_minutes=5.0),  # tiles the day
        start_minute=start_minute,
        penalty=PenaltyModel(hard_windows=False),
    )


def test_grade_constants_used_below():
    """The Table 6 figures the hand computation below relies on."""
    assert (EXPRESSWAY.speed_kmh, EXPRESSWAY.congestion, EXPRESSWAY.emission_factor) == (75.6, 1.05, 0.8898)
    assert (URBAN_LOCAL.speed_kmh, URBAN_LOCAL.congestion, URBAN_LOCAL.emission_factor) == (32.8, 1.32, 1.1186)
    assert EXPRESSWAY.cost_factor == 0.8898 and URBAN_LOCAL.cost_factor == 1.1186


def test_road_grade_and_congestion_by_hand():
    """Travel minutes are km / speed * 60 * (1 + (c - 1) * shape[period]) at each departure time."""
    ev = evaluate(road(start_minute=600.0), [Route(0, (1,))])
    km = 7.56 * 1.3
    # leave at minute 600: period 120, even -> shape 2.0 -> 1 + 0.05 * 2 = 1.1
    out = km / 75.6 * 60 * (1 + (1.05 - 1) * 2.0)
    assert_allclose(out, 8.58)
    # arrive 8.58, early by 1.42, start 10, leave 15 = minute 615: period 123, odd -> shape 0
    back = km / 32.8 * 60 * (1 + (1.32 - 1) * 0.0)
    r = ev.routes[0]
    assert_allclose(r.arrival, [8.58, 15.0 + back], rtol=1e-12)
    assert_allclose(r.service_start, [10.0, 15.0 + back], rtol=1e-12)
    assert_allclose(ev.distance_km, 2 * km, rtol=1e-12)
    assert_allclose(ev.penalty, 0.3 * (10.0 - 8.58), rtol=1e-12)
    # outbound at load 4 (1.4 kg/km) on g = 0.8898, return empty on g = 1.1186
    kg = 1.4 * 0.8898 * km + 1.0 * 1.1186 * km
    assert_allclose(ev.emissions_kg, kg, rtol=1e-12)
    assert_allclose(r.arc_kg, [1.4 * 0.8898 * km, 1.1186 * km], rtol=1e-12)
    cost = 2.0 * (0.8898 * km + 1.1186 * km) + 50.0 + 0.5 * (15.0 + back)
    assert_allclose(ev.cost, cost, rtol=1e-12)


def test_congestion_period_follows_departure_time():
    """Leaving in a free-flow period (minute 605) the outbound leg takes the free-flow 7.8 minutes."""
    ev = evaluate(road(start_minute=605.0), [Route(0, (1,))])
    km = 7.56 * 1.3
    assert_allclose(ev.routes[0].arrival[0], km / 75.6 * 60, rtol=1e-12)
    assert_allclose(ev.routes[0].arrival[0], 7.8)
    # service 10..15 ends at minute 620: period 124, even -> shape 2 -> 1 + 0.32 * 2 on the way back
    back = km / 32.8 * 60 * (1 + 0.32 * 2.0)
    assert_allclose(ev.routes[0].arrival[1], 15.0 + back, rtol=1e-12)
    assert_allclose(ev.penalty, 0.3 * (10.0 - 7.8), rtol=1e-12)


def test_unit_speed_ignores_grades():
    """With unit_speed the road grades and congestion are ignored: minutes equal km, factors 1."""
    inst = road(start_minute=600.0).replace(unit_speed=True, circuity=1.0)
    ev = evaluate(inst, [Route(0, (1,))])
    assert_allclose(ev.routes[0].arrival, [7.56, 15.0 + 7.56])
    assert_allclose(ev.emissions_kg, 1.4 * 7.56 + 1.0 * 7.56)
    assert_allclose(ev.cost, 2.0 * 2 * 7.56 + 50 + 0.5 * (15.0 + 7.56))


def test_evaluate_matches_random_plan_totals(paper30):
    """Plan totals are the sums of the per-route results (random plan on a generated instance)."""
    rng = np.random.default_rng(11)
    perm = rng.permutation(np.arange(1, paper30.n_customers + 1))
    cuts = np.sort(rng.choice(np.arange(1, paper30.n_customers), 5, replace=False))
    routes = [Route(int(rng.integers(3)), tuple(int(c) for c in part)) for part in np.split(perm, cuts)]
    ev = evaluate(paper30, routes)
    assert_allclose(ev.cost, sum(r.cost for r in ev.routes))
    assert_allclose(ev.emissions_kg, sum(r.arc_kg.sum() for r in ev.routes))
    assert_allclose(ev.distance_km, sum(r.arc_km.sum() for r in ev.routes))
    assert ev.vehicles == 6


# -- driving a plan leg by leg (what the simulation's vehicles do) ----------------------


def test_legs_replay_the_planned_route_exactly(paper30):
    """Driving each route of a plan with RoutingInstance.leg (plain Python) from the planned
    departure times reproduces the kernel's per-arc km, kg, arrival times and the route cost."""
    from optimizer.api import solve

    front = solve(paper30, algorithm="greedy", seed=0)
    for rr in front.best.evaluation.routes:
        k = rr.route.vehicle_type
        nodes = [paper30.index_of(c) for c in rr.route.customers]
        load = float(sum(paper30.demand[n] for n in nodes))
        t = float(paper30.ready[0])
        prev, km_cost = 0, 0.0
        for p, node in enumerate([*nodes, 0]):
            leg = paper30.leg(prev, node, k, load, t)
            km_cost += leg.cost
            assert leg.km == pytest.approx(rr.arc_km[p], rel=1e-12)
            assert leg.kg_co2e == pytest.approx(rr.arc_kg[p], rel=1e-12)
            t += leg.minutes
            assert t == pytest.approx(rr.arrival[p], rel=1e-12)
            if node:
                t = max(t, float(paper30.ready[node])) + float(paper30.service[node])
                load -= float(paper30.demand[node])
            prev = node
        v = paper30.vehicle_types[k]
        cost = km_cost + v.fixed_cost + v.cost_per_minute * (t - float(paper30.ready[0]))
        assert cost == pytest.approx(rr.cost, rel=1e-9)


def test_leg_congestion_follows_the_clock(paper30):
    """The same arc takes longer in the 08:00 rush than at 03:00 (times are from start_minute)."""
    rush = 8 * 60 - paper30.start_minute
    night = 3 * 60 + 24 * 60 - paper30.start_minute
    a, b = paper30.leg(0, 1, 0, 0.0, rush), paper30.leg(0, 1, 0, 0.0, night)
    assert a.minutes > b.minutes and a.km == b.km and a.kg_co2e == b.kg_co2e


def test_legs_equal_route_detail_bit_for_bit_on_a_congested_instance(paper30):
    """Replaying random routes of the congested paper instance leg by leg, leaving each stop
    when route_detail says service there ends, gives route_detail's km, kg and arrival of
    every arc exactly (not just closely: both run kernels.arc), across congestion periods;
    the legs' costs add up to route_eval's cost."""
    from optimizer import kernels

    kd = paper30.kernel_data
    rng = np.random.default_rng(12)
    coefficients = set()
    arcs = 0
    for _ in range(40):
        k = int(rng.integers(len(paper30.vehicle_types)))
        seq = rng.choice(np.arange(1, paper30.n_customers + 1), int(rng.integers(1, 9)), replace=False)
        n = seq.size
        arrival, service_start, arc_load, arc_km, arc_kg = (np.zeros(n + 1) for _ in range(5))
        kernels.route_detail(seq, 0, n, k, *kd, arrival, service_start, arc_load, arc_km, arc_kg)
        cost, *_, duration, _, _ = kernels.route_eval(seq, 0, n, k, *kd)
        prev, depart, km_cost = 0, float(paper30.ready[0]), 0.0
        for p, node in enumerate([*seq.tolist(), 0]):
            leg = paper30.leg(prev, node, k, float(arc_load[p]), depart)
            assert (leg.km, leg.kg_co2e, depart + leg.minutes) == (arc_km[p], arc_kg[p], arrival[p])
            coefficients.add(round(leg.minutes / float(kd.arcs[MINUTES, prev, node]), 9))
            km_cost += leg.cost
            arcs += 1
            if node:
                depart = float(service_start[p] + paper30.service[node])
            prev = node
        v = paper30.vehicle_types[k]
        assert km_cost + v.fixed_cost + v.cost_per_minute * duration == pytest.approx(cost, rel=1e-12)
    assert arcs > 150
    assert len(coefficients) >= 4  # the replay crossed congestion periods and road grades
