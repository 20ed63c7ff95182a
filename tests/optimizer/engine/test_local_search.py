"""Granular local search: it only improves, keeps every customer exactly once, keeps the
fleet's counts, and its compiled and plain-Python forms agree."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optimizer.engine import local_search as ls
from optimizer.engine.hgs import Engine, HGSParams
from optimizer.engine.objective import objective_vector
from optimizer.engine.penalties import PenaltyManager

from .conftest import generated

CASES = {
    "soft": generated(14, 11),
    "hard": generated(14, 12, hard=True),
    "congested": generated(14, 13, congestion=True),
}


def _engine(inst, distance=False):
    kd = inst.kernel_data
    if distance:
        obj0 = objective_vector(kd, w_cost=0.0, w_emis=0.0, w_dist=1.0, pen_load=0.0, pen_tw=0.0)
    else:
        obj0 = objective_vector(kd, w_cost=1.0, w_emis=0.5, w_dist=0.0, pen_load=0.0, pen_tw=0.0)
    eng = Engine(inst, obj0, HGSParams(granular_k=6))
    pm = PenaltyManager.initial(kd, obj0, hard=obj0[6] > 0.5)
    return eng, pm


def _penalised(eng, pm, routes, rlen):
    vals = ls.penalised_values(routes, rlen, eng.slot_type, eng.obj(pm), eng.exact, *eng.kd)
    return vals[:, 0].sum()


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(CASES)), st.integers(0, 10_000), st.booleans())
def test_search_improves_and_keeps_customers_and_fleet(name, seed, distance):
    inst = CASES[name]
    eng, pm = _engine(inst, distance)
    rng = np.random.default_rng(seed)
    routes, rlen = eng.from_tour((rng.permutation(eng.n) + 1).astype(np.int64), pm)
    before = _penalised(eng, pm, routes, rlen)
    eng.educate(routes, rlen, pm, rng)
    after = _penalised(eng, pm, routes, rlen)
    assert after <= before + 1e-6
    served = np.sort(np.concatenate([routes[r, 1 : 1 + rlen[r]] for r in range(rlen.size)]))
    np.testing.assert_array_equal(served, np.arange(1, eng.n + 1))
    # depots at both ends of every slot, and slots never exceed the fleet
    assert (routes[:, 0] == 0).all()
    assert all(routes[r, rlen[r] + 1] == 0 for r in range(rlen.size))
    assert rlen.size == inst.fleet_size


def test_search_reaches_a_local_optimum():
    """A second search from the result of the first applies no move."""
    inst = CASES["hard"]
    eng, pm = _engine(inst, True)
    rng = np.random.default_rng(1)
    routes, rlen = eng.from_tour((rng.permutation(eng.n) + 1).astype(np.int64), pm)
    eng.educate(routes, rlen, pm, rng)
    order = (rng.permutation(eng.n) + 1).astype(np.int64)
    moves = ls.search(routes, rlen, eng.slot_type, eng.obj(pm), eng.exact, eng.neigh, order, True, eng.xy, 10**9, *eng.kd)
    assert moves == 0


def test_plain_python_search_matches_compiled():
    """search.py_func (the driver loop as plain Python over the compiled helpers) makes the
    same moves as the compiled search."""
    for name in ("hard", "congested"):
        inst = CASES[name]
        eng, pm = _engine(inst, name == "hard")
        rng = np.random.default_rng(5)
        tour = (rng.permutation(eng.n) + 1).astype(np.int64)
        order = (rng.permutation(eng.n) + 1).astype(np.int64)
        out = []
        for fn in (ls.search, ls.search.py_func):
            routes, rlen = eng.from_tour(tour, pm)
            m = fn(routes, rlen, eng.slot_type, eng.obj(pm), eng.exact, eng.neigh, order, True, eng.xy, 10**9, *eng.kd)
            out.append((m, routes, rlen))
        assert out[0][0] == out[1][0]
        np.testing.assert_array_equal(out[0][1], out[1][1])
        np.testing.assert_array_equal(out[0][2], out[1][2])


def test_mixed_fleet_uses_type_moves():
    """With two vehicle types and the objective favouring the lighter one, routes end on it."""
    inst = CASES["soft"]
    eng, pm = _engine(inst)
    assert len(inst.vehicle_types) >= 1
    rng = np.random.default_rng(2)
    routes, rlen = eng.from_tour((rng.permutation(eng.n) + 1).astype(np.int64), pm)
    eng.educate(routes, rlen, pm, rng)
    used = np.bincount(eng.slot_type[rlen > 0], minlength=len(inst.vehicle_types))
    counts = np.array([v.count for v in inst.vehicle_types])
    assert (used <= counts).all()
