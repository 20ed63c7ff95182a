"""Volume as a second capacity resource (and battery energy as a third): every evaluator, the greedy, Split and the HGS engine
count a route's m³ against its vehicle type's ``capacity_m3`` beside its weight, the compiled
kernels and their plain-Python twins agree, and an instance without volumes is unchanged."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer import RoutingInstance, VehicleType, evaluate, kernels, paper_instance
from optimizer.engine import segments as sg
from optimizer.engine import solve_scalar
from optimizer.engine.hgs import HGSParams
from optimizer.greedy import nearest_neighbour
from optimizer.model import NO_CONGESTION
from optimizer.reference import evaluate_route
from optimizer.solution import Route

#: a van that is full by volume long before it is full by weight
BULKY = VehicleType("van", 100.0, 6, 0.2, 0.3, 1.0, 10.0, 0.1, capacity_m3=1.0)


def line(volume, fleet=(BULKY,), hard=False) -> RoutingInstance:
    n = len(volume)
    return RoutingInstance(
        name="line",
        x=np.arange(n + 1, dtype=float),
        y=np.zeros(n + 1),
        demand=np.array([0.0] + [1.0] * n),
        ready=np.zeros(n + 1),
        due=np.array([1000.0] * (n + 1)),
        service=np.zeros(n + 1),
        vehicle_types=fleet,
        volume=np.array([0.0, *volume]),
    )


def with_volume(inst: RoutingInstance, rng: np.random.Generator, cap_m3: float = 1.0) -> RoutingInstance:
    """The instance with parcel volumes (0.05-0.5 m³) and every type holding ``cap_m3``."""
    vol = np.concatenate([[0.0], rng.uniform(0.05, 0.5, inst.n_customers)])
    fleet = tuple(v.replace(capacity_m3=cap_m3, count=max(v.count, 8)) for v in inst.vehicle_types)
    return inst.replace(volume=vol, vehicle_types=fleet)


def test_volume_overload_is_priced_as_a_share_of_the_weight_capacity():
    """1.2 m³ on a 1 m³ van is 20 % over: overload 0.2 x 100 units, and the plan says why."""
    inst = line([0.6, 0.6])
    ev = evaluate(inst, [Route(0, (1, 2))])
    assert not ev.feasible
    assert ev.routes[0].volume == pytest.approx(1.2)
    assert ev.routes[0].overload == pytest.approx(20.0)
    assert ev.problems == ("route 0: volume 1.2 m³ exceeds capacity 1 m³ of van",)
    assert evaluate(inst, [Route(0, (1,)), Route(0, (2,))]).feasible


@pytest.mark.parametrize("volume", [[0.6, 0.6], [0.3, 0.3], [0.9, 0.05, 0.3]])
def test_compiled_plain_python_and_reference_agree(volume):
    """kernels.route_eval, its plain-Python twin (evaluate(compiled=False)) and the reference
    evaluator give the same overload, weight and volume together."""
    inst = line(volume, fleet=(BULKY.replace(capacity=2.5),))
    route = Route(0, tuple(range(1, len(volume) + 1)))
    a = evaluate(inst, [route]).routes[0]
    b = evaluate(inst, [route], compiled=False).routes[0]
    ref = evaluate_route(inst, list(route.customers), 0)
    assert a.overload == pytest.approx(b.overload, abs=1e-12)
    assert a.overload == pytest.approx(ref.overload, abs=1e-12)
    assert a.volume == b.volume
    over_w = max(0.0, len(volume) - 2.5)
    over_v = max(0.0, sum(volume) - 1.0) * 2.5
    assert a.overload == pytest.approx(over_w + over_v)
    k = kernels.python.excess(0, float(len(volume)), float(sum(volume)), inst.kernel_data.veh)
    assert k == pytest.approx(a.overload)


def test_segment_summary_carries_volume():
    """The engine's segment of a route sums its volume, and its overload is route_eval's."""
    inst = line([0.4, 0.5, 0.3])
    kd = inst.kernel_data
    seg = np.empty(sg.NSEG)
    sg.route_segment(np.array([1, 2, 3]), kd.nodes, kd.arcs, seg)
    assert seg[sg.VOL] == pytest.approx(1.2)
    over = sg.segment_objectives(seg, 0, kd.veh, kd.cfg)[5]
    res = kernels.route_eval(np.array([1, 2, 3]), 0, 3, 0, *kd)
    assert over == pytest.approx(res[kernels.OVERLOAD]) and over == pytest.approx(20.0)


def test_route_score_and_split_refuse_a_route_over_volume():
    inst = line([0.6, 0.6])
    kd = inst.kernel_data
    w = np.array([1.0, 0.0, 0.0])
    assert kernels.route_score(np.array([1, 2]), 0, 2, 0, w, *kd) >= kernels.INF
    rstart = np.zeros(3, dtype=np.int64)
    rtype = np.zeros(2, dtype=np.int64)
    nr = kernels.split_free(np.array([1, 2]), w, *kd, rstart, rtype)
    assert nr == 2


def test_greedy_respects_volume():
    inst = line([0.4] * 7)
    routes = nearest_neighbour(inst)
    ev = evaluate(inst, routes)
    assert ev.feasible, ev.problems
    assert all(r.volume <= 1.0 + 1e-9 for r in ev.routes)
    assert max(len(r.customers) for r in routes) == 2


def test_no_volume_means_no_change():
    """An instance without volumes gives the same plan and values with a finite volume
    capacity that never binds as with none (so Solomon / VRPLIB results cannot move)."""
    base = paper_instance(12, np.random.default_rng(2)).replace(congestion=NO_CONGESTION)
    inst = base.replace(vehicle_types=tuple(v.replace(capacity_m3=math.inf) for v in base.vehicle_types))
    roomy = base.replace(vehicle_types=tuple(v.replace(capacity_m3=0.5) for v in base.vehicle_types))
    a, eva = solve_scalar(inst, (1.0, 0.5), seed=1, iterations=10, params=HGSParams(mu=6, lam=6, granular_k=8))
    b, evb = solve_scalar(roomy, (1.0, 0.5), seed=1, iterations=10, params=HGSParams(mu=6, lam=6, granular_k=8))
    assert a == b and eva.cost == evb.cost and eva.emissions_kg == evb.emissions_kg


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["soft", "hard"]))
def test_returned_feasible_plans_fit_both_capacities(seed, kind):
    """Property: a plan the engine or the greedy returns as feasible carries no route over its
    type's weight or volume capacity (volume binds here: about 3-4 parcels a van)."""
    rng = np.random.default_rng(seed)
    inst = paper_instance(12, rng, hard_windows=kind == "hard").replace(congestion=NO_CONGESTION)
    inst = with_volume(inst, rng)
    for routes in (
        solve_scalar(inst, (1.0, 0.2), seed=seed, iterations=12, params=HGSParams(mu=6, lam=6, granular_k=8))[0],
        nearest_neighbour(inst),
    ):
        ev = evaluate(inst, routes)
        if not ev.feasible:
            assert ev.problems
            continue
        for rr in ev.routes:
            vt = inst.vehicle_types[rr.route.vehicle_type]
            assert rr.load <= vt.capacity + 1e-9
            assert rr.volume <= vt.capacity_m3 + 1e-9
            assert rr.volume == pytest.approx(float(inst.volume[list(rr.route.customers)].sum()))


@pytest.mark.parametrize("seed", [0, 1])
def test_mogwo_front_plans_fit_both_capacities(seed):
    """The pack's decoder and kernel local search (candidate volumes from the stored state)
    return plans that evaluate feasible and within both capacities."""
    from optimizer import solve

    rng = np.random.default_rng(seed)
    inst = with_volume(paper_instance(14, rng).replace(congestion=NO_CONGESTION), rng, cap_m3=0.8)
    front = solve(inst, seed=seed, iterations=3, population=6)
    for s in front.solutions:
        ev = s.evaluation
        assert ev.feasible, ev.problems
        for rr in ev.routes:
            vt = inst.vehicle_types[rr.route.vehicle_type]
            assert rr.volume <= vt.capacity_m3 + 1e-9 and rr.load <= vt.capacity + 1e-9


# -- battery energy: a third resource of the same kind ---------------------------------------

#: 1 kWh, 0.1 kWh/km empty and 0.2 at full load: a few km of range
EV = VehicleType("ev", 10.0, 6, 0.0, 0.0, 1.0, 0.0, 0.0, battery_kwh=1.0, kwh_per_km_empty=0.1, kwh_per_km_full=0.2)


def test_a_route_that_would_run_flat_is_infeasible_everywhere():
    """Stops at 1, 2, 3 km (unit speed, grade factor 1): 6 km there and back with 3 of 10
    units on board is 6 x (0.1 + 0.1 x 0.3) = 0.78 kWh in the worst case (all carried back
    all the way): within 1 kWh; a fourth stop makes 8 x 0.14 = 1.12 kWh, 12 % over."""
    fits = line([0.0] * 3, fleet=(EV,))
    over = line([0.0] * 4, fleet=(EV,))
    assert evaluate(fits, [Route(0, (1, 2, 3))]).feasible
    ev = evaluate(over, [Route(0, (1, 2, 3, 4))])
    assert not ev.feasible and ev.problems == ("route 0: needs more than the 1 kWh battery of ev",)
    assert ev.routes[0].overload == pytest.approx(0.12 * 10.0)
    py = evaluate(over, [Route(0, (1, 2, 3, 4))], compiled=False).routes[0]
    ref = evaluate_route(over, [1, 2, 3, 4], 0)
    assert py.overload == pytest.approx(ev.routes[0].overload) and ref.overload == pytest.approx(py.overload)
    kd = over.kernel_data
    seg = np.empty(sg.NSEG)
    sg.route_segment(np.array([1, 2, 3, 4]), kd.nodes, kd.arcs, seg)
    assert sg.segment_objectives(seg, 0, kd.veh, kd.cfg)[5] == pytest.approx(ev.routes[0].overload)
    assert kernels.route_score(np.array([1, 2, 3, 4]), 0, 4, 0, np.array([1.0, 0.0, 0.0]), *kd) >= kernels.INF


def test_greedy_engine_and_pack_keep_within_the_battery():
    """Stops 0.4 km apart up to 3.6 km out: each reachable alone, not all on one battery."""
    base = line([0.0] * 9, fleet=(EV,))
    inst = base.replace(x=base.x * 0.4)
    plans = [nearest_neighbour(inst), solve_scalar(inst, (1.0, 0.0), seed=1, iterations=10, params=HGSParams(mu=6, lam=6))[0]]
    from optimizer import solve

    plans += [s.routes for s in solve(inst, seed=1, iterations=3, population=6).solutions]
    for routes in plans:
        ev = evaluate(inst, routes)
        assert ev.feasible, ev.problems
    assert len(plans[0]) >= 2  # the battery, not the load (9 of 10 units), splits the route
