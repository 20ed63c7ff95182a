"""The engine's batch education: valid plans in the decoder's flat form, records equal to the
evaluator's, slot filling equal to its Python form, results independent of the threads."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.engine.educate import educate_batch, fill_slots
from optimizer.engine.split import assign_slots, split_giant_tour
from optimizer.intensify import Intensifier, IntensifyParams
from optimizer.problem import OBJ_COST, OBJ_DIST, OBJ_EMIS, OBJ_FLEET, RoutingProblem, simplex_weights
from optimizer.solution import evaluate

from .conftest import generated

CASES = {
    "soft": generated(14, 21),
    "hard": generated(14, 22, hard=True),
    "congested": generated(14, 23, congestion=True),
}


def _educate(inst, rows: int, seed: int):
    """Educate ``rows`` random giant tours through an Intensifier's own arrays."""
    problem = RoutingProblem(inst)
    rng = np.random.default_rng(seed)
    weights = simplex_weights(rng, rows, problem.hard > 0)
    ints = Intensifier(problem, weights, IntensifyParams(granular_k=6), rng)
    n = problem.n
    dirs = np.arange(rows)
    tours = np.stack([(rng.permutation(n) + 1).astype(np.int64) for _ in range(rows)])
    orders = np.stack([(rng.permutation(n) + 1).astype(np.int64) for _ in range(rows)])
    out = (
        np.zeros((rows, n), dtype=np.int64),
        np.zeros((rows, n + 2), dtype=np.int64),
        np.zeros((rows, n + 1), dtype=np.int64),
        np.zeros(rows, dtype=np.int64),
        np.zeros((rows, 7)),
        np.zeros((rows, n)),
        np.zeros((rows, 2), dtype=np.bool_),
    )
    educate_batch(
        tours,
        ints._objectives(dirs, 1.0),
        ints._objectives(dirs, 10.0),
        True,
        ints.slot_type,
        ints.exact,
        ints.neigh,
        orders,
        True,
        problem.xy,
        1_000_000,
        *problem.kd,
        *ints.context(),
        *out,
    )
    return problem, out


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(sorted(CASES)), st.integers(0, 10_000))
def test_educated_plans_serve_everyone_within_the_fleet_and_records_match_the_evaluator(name, seed):
    inst = CASES[name]
    problem, (tours, rstarts, rtypes, nrs, records, keys, _) = _educate(inst, 3, seed)
    from optimizer.problem import Batch

    batch = Batch(keys, tours, rstarts, rtypes, nrs, records, problem.hard)
    for i in range(3):
        np.testing.assert_array_equal(np.sort(tours[i]), np.arange(1, problem.n + 1))
        routes = batch.routes(i)
        used = np.bincount([r.vehicle_type for r in routes], minlength=len(inst.vehicle_types))
        assert (used <= [v.count for v in inst.vehicle_types]).all()
        assert records[i, OBJ_FLEET] == 0
        ev = evaluate(inst, routes)
        assert records[i, OBJ_COST] == pytest.approx(ev.cost, rel=1e-9)
        assert records[i, OBJ_EMIS] == pytest.approx(ev.emissions_kg, rel=1e-9)
        assert records[i, OBJ_DIST] == pytest.approx(ev.distance_km, rel=1e-9)
        # the keys decode to the plan's order (Lamarckian write-back)
        np.testing.assert_array_equal(np.argsort(keys[i], kind="mergesort") + 1, tours[i])


def test_results_do_not_depend_on_the_number_of_threads():
    import numba

    inst = CASES["congested"]
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        _, one = _educate(inst, 4, 5)
        numba.set_num_threads(before)
        _, many = _educate(inst, 4, 5)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(sorted(CASES)))
def test_fill_slots_is_assign_slots(seed, name):
    """The compiled slot filling and the Python one (the engine's HGS) agree, including when
    Split makes more routes than the fleet has vehicles (tiny capacities)."""
    inst = CASES[name]
    kd = inst.kernel_data
    rng = np.random.default_rng(seed)
    n = inst.n_customers
    tour = (rng.permutation(n) + 1).astype(np.int64)
    obj = np.array([1.0, 0.0, 1.0, 0.0, rng.uniform(0, 100), 1.0, kd.cfg[2]])
    rstart = np.zeros(n + 1, dtype=np.int64)
    rtype = np.zeros(n, dtype=np.int64)
    nr = split_giant_tour(tour, obj, kd.nodes, kd.arcs, kd.veh, kd.cfg, rstart, rtype)
    slot_type = np.repeat(np.arange(len(inst.vehicle_types)), [v.count for v in inst.vehicle_types]).astype(np.int64)
    if seed % 2:
        slot_type = slot_type[: max(1, nr // 2)]  # fewer vehicles than routes: the surplus merges
    want_routes, want_len = assign_slots(tour, rstart, rtype, nr, slot_type, n + 2)
    routes = np.zeros((slot_type.size, n + 2), dtype=np.int64)
    rlen = np.zeros(slot_type.size, dtype=np.int64)
    fill_slots(tour, rstart, rtype, nr, slot_type, routes, rlen)
    np.testing.assert_array_equal(rlen, want_len)
    np.testing.assert_array_equal(routes, want_routes)
    py_routes, py_len = np.zeros_like(routes), np.zeros_like(rlen)
    fill_slots.py_func(tour, rstart, rtype, nr, slot_type, py_routes, py_len)
    np.testing.assert_array_equal(py_routes, want_routes)
