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


def test_plain_python_search_matches_compiled(monkeypatch):
    """search_ctx.py_func, with the granular scan as plain Python too (the driver and the
    scan's written-out bound and values interpreted, the small helpers compiled), makes the
    same moves as the compiled search."""
    monkeypatch.setattr(ls, "scan_customer", ls.scan_customer.py_func)
    for name in ("hard", "congested"):
        inst = CASES[name]
        eng, pm = _engine(inst, name == "hard")
        rng = np.random.default_rng(5)
        tour = (rng.permutation(eng.n) + 1).astype(np.int64)
        order = (rng.permutation(eng.n) + 1).astype(np.int64)
        out = []
        for fn in (ls.search_ctx, ls.search_ctx.py_func):
            routes, rlen = eng.from_tour(tour, pm)
            m = fn(
                routes,
                rlen,
                eng.slot_type,
                eng.obj(pm),
                eng.exact,
                eng.neigh,
                order,
                True,
                eng.xy,
                10**9,
                *eng.kd,
                eng.ls_sym,
                eng.ls_bits,
            )
            out.append((m, routes, rlen))
        assert out[0][0] == out[1][0] > 0
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


def _state(eng, pm, routes, rlen):
    """The search's state, built as search_ctx() builds it: (F, B, rval, route_of, pos_of), obj."""
    obj = eng.obj(pm)
    return ls.initial_state(routes, rlen, eng.slot_type, obj, eng.exact, *eng.kd), obj


def _pieces(c, U, V, i, j, rlen, P):
    """Fill P with candidate c (inter-route when U != V); returns (na, nb)."""
    if U != V:
        na, nb, pieces = ls.inter_candidate(c, U, V, i, j, rlen[U], rlen[V])
    else:
        na, nb, pieces = ls.intra_candidate(c, U, i, j, rlen[U])
    ls.candidate_pieces(na, nb, pieces, P)
    return na, nb


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(CASES)), st.integers(0, 10_000), st.booleans())
def test_bound_is_below_value_and_value_matches_materialised_route(name, seed, distance):
    """For every candidate move: the arc bound <= the segment value, and the segment value of
    the pieces equals the value of the materialised route folded from scratch; where windows
    are hard and there is no congestion it also equals the exact walk's value."""
    from optimizer.engine import segments as sg
    from optimizer.engine.objective import exact_route_value, segment_value

    inst = CASES[name]
    eng, pm = _engine(inst, distance)
    rng = np.random.default_rng(seed)
    routes, rlen = eng.from_tour((rng.permutation(eng.n) + 1).astype(np.int64), pm)
    (F, B, rval, route_of, pos_of), obj = _state(eng, pm, routes, rlen)
    kd = eng.kd
    P = np.zeros((2, 6, 4), dtype=np.int64)
    buf = np.empty(routes.shape[1], dtype=np.int64)
    seg = np.empty(sg.NSEG)
    sym = ls.arcs_symmetric(kd.arcs)
    N = kd.nodes.shape[0]
    for _ in range(40):
        u, v = (int(x) for x in rng.choice(np.arange(1, eng.n + 1), size=2, replace=False))
        U, V = route_of[u], route_of[v]
        i, j = pos_of[u], pos_of[v]
        c = int(rng.integers(ls.N_INTER if U != V else ls.N_INTRA))
        na, nb = _pieces(c, U, V, i, j, rlen, P)
        cands = [(0, na, U), (1, nb, V)] if na else []
        for slot, npieces, r in cands:
            if npieces == 0:
                continue
            k = eng.slot_type[r]
            val = ls.piece_value(P, slot, npieces, k, routes, rlen, F, B, obj, kd.nodes, kd.arcs, kd.veh, kd.cfg)
            bound = ls.piece_bound(P, slot, npieces, k, routes, rlen, F, N, kd.arcs, kd.veh, obj, sym)
            m = ls.materialise(P, slot, npieces, routes, buf)
            sg.route_segment(buf[:m].copy(), kd.nodes, kd.arcs, seg)
            direct = segment_value(seg, m, k, obj, kd.veh, kd.cfg)
            exact = exact_route_value(buf, 0, m, k, obj, *kd)
            assert bound <= val + 1e-7 and bound <= exact + 1e-7
            assert np.isclose(val, direct, rtol=1e-10, atol=1e-7)
            if name == "hard" and seg[sg.TW] <= 1e-9:
                assert np.isclose(val, exact, rtol=1e-10, atol=1e-7)


def _asymmetric(inst, seed):
    """The instance with its arcs made asymmetric (km and grade factors one way differ from
    the other), so reversed pieces' sums do not count in the bound."""
    kd = inst.kernel_data
    arcs = kd.arcs.copy()
    rng = np.random.default_rng(seed)
    arcs[0] *= 1.0 + 0.3 * np.triu(rng.random(arcs[0].shape), 1)
    arcs[2] *= 1.0 + 0.2 * np.tril(rng.random(arcs[2].shape), -1)
    return kd._replace(arcs=arcs)


def _dealt(eng, rng, parts):
    """A random plan of ``parts`` routes of about equal length (on the first slots, whatever
    their vehicle type), so every test sees inter-route pairs."""
    routes = np.zeros((eng.slot_type.size, eng.width), dtype=np.int64)
    rlen = np.zeros(eng.slot_type.size, dtype=np.int64)
    for r, chunk in enumerate(np.array_split(rng.permutation(eng.n) + 1, parts)):
        routes[r, 1 : 1 + chunk.size] = chunk
        rlen[r] = chunk.size
    return routes, rlen


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(sorted(CASES)), st.integers(0, 10_000), st.booleans(), st.booleans())
def test_inter_bounds_equal_the_piece_bounds_bit_for_bit(name, seed, distance, asymmetric):
    """inter_bounds (all 16 inter-route bounds of a pair at once, from shared prefix sums) is
    piece_bound of each candidate's pieces, to the last bit: the search's decisions, and so
    its moves, are those of the candidate-by-candidate bound. Mixed fleets price a moved
    chain on the receiving vehicle; asymmetric arcs leave reversed chains out."""
    inst = CASES[name]
    eng, pm = _engine(inst, distance)
    kd = _asymmetric(inst, seed) if asymmetric else eng.kd
    rng = np.random.default_rng(seed)
    routes, rlen = _dealt(eng, rng, 3)
    obj = eng.obj(pm)
    F, B, rval, route_of, pos_of = ls.initial_state(routes, rlen, eng.slot_type, obj, eng.exact, *kd)
    sym = ls.arcs_symmetric(kd.arcs)
    assert sym != asymmetric
    N = kd.nodes.shape[0]
    P = np.zeros((2, 6, 4), dtype=np.int64)
    pre = np.zeros((2, 6, 3))
    lbs = np.empty(ls.N_INTER)
    pairs = 0
    for u in range(1, eng.n + 1):
        for v in range(1, eng.n + 1):
            U, V = route_of[u], route_of[v]
            if U == V:
                continue
            i, j = pos_of[u], pos_of[v]
            ls.inter_bounds(U, V, i, j, routes, rlen, eng.slot_type, F, kd.arcs, kd.veh, obj, sym, pre, lbs)
            for c in range(ls.N_INTER):
                na, nb = _pieces(c, U, V, i, j, rlen, P)
                if na == 0:
                    assert lbs[c] == np.inf
                    continue
                want = 0.0
                want += ls.piece_bound(P, 0, na, eng.slot_type[U], routes, rlen, F, N, kd.arcs, kd.veh, obj, sym)
                want += ls.piece_bound(P, 1, nb, eng.slot_type[V], routes, rlen, F, N, kd.arcs, kd.veh, obj, sym)
                assert lbs[c] == want, (u, v, c)
            pairs += 1
    assert pairs > 0
    assert len(set(eng.slot_type[:3])) > 1  # the dealt routes sit on two vehicle types
