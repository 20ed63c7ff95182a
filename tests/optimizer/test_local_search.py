"""The local search's candidate scoring: pieces of current routes scored without being built."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer import kernels as K
from optimizer import paper_instance, read_solomon

DATA = Path(__file__).resolve().parent.parent / "data"


def _random_routes(rng, n, n_routes):
    perm = rng.permutation(n) + 1
    cuts = np.sort(rng.choice(np.arange(1, n), size=n_routes - 1, replace=False))
    parts = np.split(perm, cuts)
    R, W = len(parts) + 1, n + 1
    routes = np.zeros((R, W), np.int64)
    rlen = np.zeros(R, np.int64)
    for r, p in enumerate(parts):
        routes[r, : len(p)] = p
        rlen[r] = len(p)
    return routes, rlen, len(parts)


@pytest.mark.parametrize(
    "make",
    [
        lambda: read_solomon(DATA / "solomon" / "R101.txt"),  # hard windows, unit speed
        lambda: paper_instance(40, np.random.default_rng(2)),  # soft windows, congestion, 3 types
    ],
    ids=["R101-hard", "paper-soft"],
)
def test_cand_score_equals_score_of_the_built_route(make):
    """cand_score of any prefix + middle pieces + suffix equals route_score of that route once built."""
    inst = make()
    kd = inst.kernel_data
    rng = np.random.default_rng(11)
    n = inst.n_customers
    low = K.lowest_congestion(kd.cong)
    checked = tight = 0
    for _ in range(150):
        routes, rlen, nr = _random_routes(rng, n, 7)
        st = np.zeros((routes.shape[0], routes.shape[1] + 1, K.ST_FIELDS))
        for r in range(nr):
            K._refresh(r, routes, rlen, st, kd.nodes, kd.arcs, kd.grade, kd.cong, kd.cfg)
        w = rng.dirichlet([1, 1, 1]) / np.array([1000.0, 200.0, 100.0])
        mids = np.zeros((3, 4), np.int64)
        buf = np.zeros(routes.shape[1] * 3, np.int64)
        for _ in range(20):
            r0 = int(rng.integers(nr))
            f = int(rng.integers(0, rlen[r0] + 1))
            nmid = int(rng.integers(0, 4))
            for m in range(nmid):
                rr = int(rng.integers(nr))
                a = int(rng.integers(0, rlen[rr] + 1))
                b = int(rng.integers(a, rlen[rr] + 1))
                mids[m] = [rr, a, b, rng.integers(2)]
            sr = int(rng.integers(-1, nr))
            sp = int(rng.integers(0, rlen[sr] + 1)) if sr >= 0 else 0
            k = int(rng.integers(len(inst.vehicle_types)))
            got = K.cand_score(routes, rlen, st, r0, f, mids, nmid, sr, sp, k, w, *kd)
            length = K._materialize(routes, rlen, r0, f, mids, nmid, sr, sp, buf)
            want = K.route_score(buf, 0, length, k, w, *kd)
            if want >= K.INF:
                assert got >= K.INF
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12)
            # the screen's bound never exceeds the value (else it would reject a better move)
            bound = K.cand_bound(
                routes, rlen, st, r0, f, mids, nmid, sr, sp, k, w, low, kd.nodes, kd.arcs, kd.grade, kd.veh, kd.cfg
            )
            if bound >= K.INF:
                assert want >= K.INF
            else:
                assert bound - K.BOUND_SLACK * abs(bound) <= want + 1e-12
                tight += bound >= (1 - 1e-9) * want
            checked += 1
    assert checked == 3000
    # and it is the exact value where time plays no part: some candidates are bound tightly
    assert tight > 0


def test_refresh_end_state_matches_route_eval():
    """The stored state back at the depot carries the route's km-cost, penalty and duration."""
    inst = paper_instance(30, np.random.default_rng(5))
    kd = inst.kernel_data
    rng = np.random.default_rng(3)
    routes, rlen, nr = _random_routes(rng, inst.n_customers, 4)
    st = np.zeros((routes.shape[0], routes.shape[1] + 1, K.ST_FIELDS))
    for r in range(nr):
        K._refresh(r, routes, rlen, st, kd.nodes, kd.arcs, kd.grade, kd.cong, kd.cfg)
        res = K.route_eval(routes[r], 0, rlen[r], 0, *kd)
        end = st[r, rlen[r]]
        assert end[4] == pytest.approx(res[K.PEN], rel=1e-12)
        assert end[0] - kd.nodes[0, 1] == pytest.approx(res[K.DURATION], rel=1e-12)
        assert end[6] == pytest.approx(res[K.LATE], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", ["R101", "C201"])
def test_local_search_keeps_customers_and_never_worsens(name):
    """Local search from split solutions keeps every customer once and never raises the weighted score."""
    inst = read_solomon(DATA / "solomon" / f"{name}.txt")
    kd = inst.kernel_data
    n = inst.n_customers
    rng = np.random.default_rng(5)
    from optimizer.problem import neighbour_lists

    neigh = neighbour_lists(inst, 15)
    for _ in range(5):
        tour = (rng.permutation(n) + 1).astype(np.int64)
        w = rng.dirichlet([1, 1, 1]) / np.array([1000.0, 200.0, 100.0])
        rstart = np.zeros(n + 2, np.int64)
        rtype = np.zeros(n + 1, np.int64)
        nr = K.split_free(tour, w, *kd, rstart, rtype)
        assert nr > 0
        R = nr + inst.fleet_size + 1
        routes = np.zeros((R, n + 1), np.int64)
        rlen = np.zeros(R, np.int64)
        rt = np.zeros(R, np.int64)
        before = 0.0
        for r in range(nr):
            rlen[r] = rstart[r + 1] - rstart[r]
            routes[r, : rlen[r]] = tour[rstart[r] : rstart[r + 1]]
            before += K.route_score(routes[r], 0, rlen[r], 0, w, *kd)
        m = K.local_search(routes, rlen, rt, nr, w, neigh, 50, *kd)
        after = sum(K.route_score(routes[r], 0, rlen[r], rt[r], w, *kd) for r in range(m))
        served = np.sort(np.concatenate([routes[r, : rlen[r]] for r in range(m)]))
        np.testing.assert_array_equal(served, np.arange(1, n + 1))
        assert after <= before + 1e-9
        assert after < K.INF
