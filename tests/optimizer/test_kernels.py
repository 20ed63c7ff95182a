"""Tests for optimizer.kernels against the plain-Python twin and against brute force.

The numba kernels are checked three ways: against ``optimizer.reference`` (an independent
re-implementation of route evaluation), against their own uncompiled Python
(``kernel.py_func``), and, for Split, against enumeration of every way to cut a small
giant tour. Decoder properties run through hypothesis on Solomon R101 (hard windows) and
a generated instance (soft windows, congestion, three vehicle types).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import njit
from numpy.testing import assert_allclose, assert_array_equal

from optimizer import kernels, reference
from optimizer.generate import paper_instance
from optimizer.instance import RoutingInstance
from optimizer.layout import DUE, MINUTES, READY
from optimizer.model import DEFAULT_PROFILE, PenaltyModel, VehicleType
from optimizer.problem import OBJ_LATE, OBJ_OVERLOAD, RoutingProblem, neighbour_lists, simplex_weights
from optimizer.solution import Route, evaluate

INF = kernels.INF
SETTINGS = settings(deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- helpers


@st.composite
def small_instances(draw, max_n: int = 7) -> RoutingInstance:
    """A random instance of 2..max_n customers: unit or road speed, hard or soft, 1-3 types."""
    n = draw(st.integers(2, max_n))
    K = draw(st.integers(1, 3))
    unit = draw(st.booleans())
    hard = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    caps = rng.uniform(5.0, 20.0, K)
    fleet = []
    for k in range(K):
        e = rng.uniform(0.1, 1.0)
        fleet.append(
            VehicleType(
                f"t{k}",
                float(caps[k]),
                int(rng.integers(1, 4)),
                e,
                e + rng.uniform(0.0, 1.0),
                cost_per_km=rng.uniform(0.5, 3.0),
                fixed_cost=rng.uniform(0, 100),
                cost_per_minute=rng.uniform(0, 1),
            )
        )
    ready = rng.uniform(0.0, 200.0, n)
    return RoutingInstance(
        name="hyp",
        x=rng.uniform(0.0, 30.0, n + 1),
        y=rng.uniform(0.0, 30.0, n + 1),
        demand=np.concatenate([[0.0], rng.uniform(0.0, caps.max(), n)]),
        ready=np.concatenate([[0.0], ready]),
        due=np.concatenate([[rng.uniform(300.0, 2000.0)], ready + rng.uniform(0.0, 150.0, n)]),
        service=np.concatenate([[0.0], rng.uniform(0.0, 10.0, n)]),
        vehicle_types=tuple(fleet),
        circuity=float(rng.uniform(1.0, 1.5)),
        road_grade=rng.integers(0, 4, (n + 1, n + 1)),
        unit_speed=unit,
        congestion=DEFAULT_PROFILE,
        start_minute=float(rng.uniform(0.0, 1440.0)),
        penalty=PenaltyModel(hard_windows=hard),
    )


def random_routes(rng: np.random.Generator, inst: RoutingInstance, max_routes: int = 8) -> list[Route]:
    """A random permutation of the customers cut into random routes on random vehicle types."""
    n = inst.n_customers
    perm = rng.permutation(np.arange(1, n + 1))
    m = int(rng.integers(1, min(max_routes, n) + 1))
    cuts = np.sort(rng.choice(np.arange(1, n), m - 1, replace=False)) if m > 1 else []
    K = len(inst.vehicle_types)
    return [Route(int(rng.integers(K)), tuple(int(c) for c in part)) for part in np.split(perm, cuts)]


def check_route_against_twin(inst: RoutingInstance, customers, k: int) -> None:
    seq = np.asarray(customers, dtype=np.int64)
    n = seq.size
    kd = inst.kernel_data
    got = kernels.route_eval(seq, 0, n, k, *kd)
    tr = reference.evaluate_route(inst, list(customers), k)
    want = (tr.cost, tr.emissions_kg, tr.penalty, tr.distance_km, tr.duration, tr.overload, tr.lateness)
    assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    if n == 0:
        assert tr.arrival == [] and got == (0.0,) * 7
        return
    arrays = [np.zeros(n + 1) for _ in range(5)]
    kernels.route_detail(seq, 0, n, k, *kd, *arrays)
    for a, b in zip(arrays, (tr.arrival, tr.service_start, tr.arc_load, tr.arc_km, tr.arc_kg)):
        assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def prefix_state(inst: RoutingInstance, seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A one-route matrix holding seq and its schedule state as local search keeps it."""
    kd = inst.kernel_data
    W = seq.size + 2
    routes = np.zeros((1, W), dtype=np.int64)
    routes[0, : seq.size] = seq
    rlen = np.array([seq.size], dtype=np.int64)
    # numba does not bounds-check: leave room for a state row per stop plus the depot and
    # for more state fields than cand_score reads (7), so _refresh never writes past the end
    stt = np.zeros((1, W, 16))
    kernels._refresh(0, routes, rlen, stt, kd.nodes, kd.arcs, kd.grade, kd.cong, kd.cfg)
    return routes, stt


def first_late_stop(inst: RoutingInstance, seq, k: int) -> int:
    """Index of the first customer reached after its due time (len(seq) if none)."""
    tr = reference.evaluate_route(inst, list(seq), k)
    for p, c in enumerate(seq):
        if tr.arrival[p] - inst.due[c] > 1e-9:
            return p
    return len(seq)


def weighted(w: np.ndarray, vals) -> float:
    return float(w[0] * vals[kernels.COST] + w[1] * vals[kernels.EMIS] + w[2] * vals[kernels.PEN])


def check_cand_scores(inst: RoutingInstance, seq, k: int, w: np.ndarray, late_prefixes: bool) -> int:
    """cand_score resumed after every prefix equals the full route's score; returns prefixes checked.

    ``late_prefixes`` selects the prefixes checked: False, those with no late customer
    (every prefix with soft windows); True, with hard windows, those that contain one.
    """
    kd = inst.kernel_data
    seq = np.asarray(seq, dtype=np.int64)
    L = seq.size
    routes, stt = prefix_state(inst, seq)
    full = kernels.route_score(seq, 0, L, k, w, *kd)
    vals = kernels.route_eval(seq, 0, L, k, *kd)
    feasible = vals[kernels.OVERLOAD] <= 1e-9 and not (inst.penalty.hard_windows and vals[kernels.LATE] > 1e-9)
    if feasible:
        assert_allclose(full, weighted(w, vals), rtol=1e-9)
    else:
        assert full >= INF
    late_at = first_late_stop(inst, seq, k) if inst.penalty.hard_windows else L
    checked = 0
    for f in range(L + 1):
        if (f > late_at) != late_prefixes:
            continue
        mids = np.array([[0, f, L, 0], [0, 0, 0, 0], [0, 0, 0, 0]], dtype=np.int64)
        rlen = np.array([L], dtype=np.int64)
        got = kernels.cand_score(routes, rlen, stt, 0, f, mids, 1, -1, 0, k, w, *kd)
        if full >= INF:
            assert got >= INF, f"prefix {f} of {list(seq)} on type {k}: {got} instead of INF"
        else:
            assert_allclose(got, full, rtol=1e-9, err_msg=f"prefix {f}")
        checked += 1
    return checked


# ---------------------------------------------------------------- route_eval / route_detail vs twin


@pytest.mark.parametrize("which", ["r101", "paper30"])
def test_route_eval_matches_twin_on_random_plans(which, request):
    """route_eval and route_detail agree with reference.evaluate_route to 1e-9 on random routes."""
    inst = request.getfixturevalue(which)
    rng = np.random.default_rng(101)
    n_routes = 0
    for _ in range(40):
        for r in random_routes(rng, inst, max_routes=12):
            check_route_against_twin(inst, r.customers, r.vehicle_type)
            n_routes += 1
    assert n_routes > 40


def test_twin_sees_lateness_and_penalty_on_real_instances(r101, paper30):
    """The random routes used above exercise lateness, early arrival and several vehicle types."""
    rng = np.random.default_rng(101)
    late = pen = 0.0
    types = set()
    for inst in (r101, paper30):
        for r in random_routes(rng, inst, max_routes=12):
            tr = reference.evaluate_route(inst, list(r.customers), r.vehicle_type)
            late += tr.lateness
            pen += tr.penalty
            types.add((inst.name, r.vehicle_type))
    assert late > 0 and pen > 0
    assert len(types) >= 3


@SETTINGS
@given(inst=small_instances(), seed=st.integers(0, 2**32 - 1))
def test_route_eval_matches_twin_on_generated_instances(inst, seed):
    """On hypothesis-generated instances every route of a random plan agrees with the twin."""
    rng = np.random.default_rng(seed)
    for r in random_routes(rng, inst):
        check_route_against_twin(inst, r.customers, r.vehicle_type)
    check_route_against_twin(inst, (), 0)


def test_solution_eval_sums_routes(paper30):
    """solution_eval totals equal evaluate()'s totals and count fleet excess per type."""
    rng = np.random.default_rng(5)
    kd = paper30.kernel_data
    for _ in range(10):
        routes = random_routes(rng, paper30, max_routes=12)
        tour = np.array([c for r in routes for c in r.customers], dtype=np.int64)
        rstart = np.concatenate([[0], np.cumsum([len(r.customers) for r in routes])]).astype(np.int64)
        rtype = np.array([r.vehicle_type for r in routes], dtype=np.int64)
        tot = kernels.solution_eval(tour, rstart, rtype, len(routes), *kd)
        ev = evaluate(paper30, routes)
        assert_allclose(tot[:4], [ev.cost, ev.emissions_kg, ev.penalty, ev.distance_km], rtol=1e-12)
        used = np.bincount(rtype, minlength=3)
        counts = np.array([v.count for v in paper30.vehicle_types])
        assert tot[6] == np.maximum(used - counts, 0).sum()


# ---------------------------------------------------------------- cand_score (prefix-state resume)


def _routes_for_tail(inst: RoutingInstance, rng: np.random.Generator, count: int):
    """Random routes of 1-10 customers plus the (feasible) routes of decoded solutions."""
    out = []
    for _ in range(count):
        L = int(rng.integers(1, min(10, inst.n_customers) + 1))
        out.append(rng.choice(np.arange(1, inst.n_customers + 1), L, replace=False))
    prob = RoutingProblem(inst, ls_passes=5)
    b = prob.decode(rng.random((2, inst.n_customers)), simplex_weights(rng, 2, inst.penalty.hard_windows))
    for i in range(2):
        out.extend(np.array(r.customers) for r in b.routes(i))
    return out


@pytest.mark.parametrize("which", ["r101", "paper30"])
def test_cand_score_resumes_from_every_on_time_prefix(which, request):
    """cand_score after any on-time prefix equals route_score (w.(C,E,T) or INF) of the whole route."""
    inst = request.getfixturevalue(which)
    rng = np.random.default_rng(7)
    checked = 0
    for seq in _routes_for_tail(inst, rng, 30):
        w = rng.dirichlet([1.0, 1.0, 1.0])
        for k in range(len(inst.vehicle_types)):
            checked += check_cand_scores(inst, seq, k, w, late_prefixes=False)
    assert checked > 100


@SETTINGS
@given(inst=small_instances(), seed=st.integers(0, 2**32 - 1))
def test_cand_score_resumes_on_generated_instances(inst, seed):
    """On generated instances cand_score from every on-time prefix equals the full route's score."""
    rng = np.random.default_rng(seed)
    for r in random_routes(rng, inst):
        w = rng.dirichlet([1.0, 1.0, 1.0])
        for k in range(len(inst.vehicle_types)):
            check_cand_scores(inst, r.customers, k, w, late_prefixes=False)


def test_cand_score_is_inf_after_a_late_prefix(r101):
    """With hard windows, cand_score resumed after a prefix that is already late returns INF."""
    rng = np.random.default_rng(7)
    checked = 0
    for seq in _routes_for_tail(r101, rng, 30):
        checked += check_cand_scores(r101, seq, 0, np.array([0.5, 0.3, 0.2]), late_prefixes=True)
    assert checked > 0


# ---------------------------------------------------------------- uncompiled Python twins


def _small_cases():
    hard = paper_instance(12, np.random.default_rng(12), hard_windows=True)
    soft = paper_instance(12, np.random.default_rng(13))
    return [soft, hard]


def test_py_func_route_eval_identical():
    """route_eval.py_func (uncompiled) returns exactly what the compiled kernel returns."""
    rng = np.random.default_rng(3)
    for inst in _small_cases():
        kd = inst.kernel_data
        for _ in range(10):
            for r in random_routes(rng, inst):
                seq = np.array(r.customers, dtype=np.int64)
                a = kernels.route_eval(seq, 0, seq.size, r.vehicle_type, *kd)
                b = kernels.route_eval.py_func(seq, 0, seq.size, r.vehicle_type, *kd)
                assert tuple(a) == tuple(b)


def test_py_func_split_free_identical():
    """split_free.py_func cuts giant tours exactly like the compiled kernel."""
    rng = np.random.default_rng(4)
    for inst in _small_cases():
        kd = inst.kernel_data
        n = inst.n_customers
        for _ in range(10):
            tour = rng.permutation(np.arange(1, n + 1)).astype(np.int64)
            w = rng.dirichlet([1.0, 1.0, 1.0])
            out = [(np.zeros(n + 2, np.int64), np.zeros(n + 1, np.int64)) for _ in range(2)]
            a = kernels.split_free(tour, w, *kd, *out[0])
            b = kernels.split_free.py_func(tour, w, *kd, *out[1])
            assert a == b
            assert_array_equal(out[0][0], out[1][0])
            assert_array_equal(out[0][1], out[1][1])


def test_py_func_decode_one_identical():
    """decode_one.py_func decodes keys to the same routes, types and written-back keys as the compiled kernel."""
    rng = np.random.default_rng(5)
    for inst in _small_cases():
        prob = RoutingProblem(inst, ls_passes=5)
        n = inst.n_customers
        for ls in (0, 5):
            for _ in range(4):
                keys = rng.random(n)
                w = prob.weights(simplex_weights(rng, 1, inst.penalty.hard_windows))[0]
                outs = [
                    (np.zeros(n, np.int64), np.zeros(n + 2, np.int64), np.zeros(n + 1, np.int64), np.zeros(n)) for _ in range(2)
                ]
                args = (keys, w, prob.max_routes, ls, prob.neigh, prob.xy, *prob.kd)
                a = kernels.decode_one(*args, *outs[0])
                b = kernels.decode_one.py_func(*args, *outs[1])
                assert a == b
                for x, y in zip(*outs):
                    assert_array_equal(x, y)


# ---------------------------------------------------------------- the arc physics, compiled and as Python


@njit
def _arc_compiled(i, j, k, load, depart, arcs, grade, cong, veh, cfg):
    return kernels.arc(i, j, k, load, depart, arcs, grade, cong, veh, cfg)


@njit
def _arrive_compiled(c, t, nodes, cfg):
    return kernels.arrive(c, t, nodes, cfg)


@njit
def _totals_compiled(k, gkm, load_gkm, ckm, duration, veh):
    return kernels.route_kg(k, gkm, load_gkm, veh), kernels.route_cost(k, ckm, duration, veh)


def _departures(rng: np.random.Generator, inst: RoutingInstance, count: int) -> np.ndarray:
    """Departure times: random over three days, and on, one ulp before and one ulp after
    the start of congestion periods (where the period, hence the travel time, changes)."""
    period = inst.congestion.period_minutes
    edges = np.arange(0, 3 * 1440.0, period) - inst.start_minute
    edges = edges[edges >= 0]
    return np.concatenate(
        [
            rng.uniform(0.0, 3 * 1440.0, count),
            edges,
            np.nextafter(edges, -np.inf)[edges > 0],
            np.nextafter(edges, np.inf),
        ]
    )


def test_python_form_is_the_kernels_own_code():
    """kernels.python runs the code objects the kernels compile, calling each other as Python."""
    for name in ("travel", "kg_per_km", "arc", "arrive", "route_kg", "route_cost"):
        plain = getattr(kernels.python, name)
        assert plain.__code__ is getattr(kernels, name).py_func.__code__
        assert not hasattr(plain, "py_func")  # a plain function, not a numba dispatcher
    assert kernels.python.arc.__globals__["travel"] is kernels.python.travel


@pytest.mark.parametrize("which", ["paper30", "r101"])
def test_arc_helpers_compiled_equal_their_python_form(which, request):
    """arc, arrive, route_kg and route_cost give bit-identical results compiled and as plain
    Python, on random arcs, vehicle types, loads and departures including period boundaries."""
    inst = request.getfixturevalue(which)
    kd = inst.kernel_data
    rng = np.random.default_rng(77)
    n1 = inst.n_customers + 1
    K = len(inst.vehicle_types)
    departures = _departures(rng, inst, 400)
    minutes = set()
    for depart in departures:
        i, j, k = int(rng.integers(n1)), int(rng.integers(n1)), int(rng.integers(K))
        load = float(rng.uniform(0.0, inst.vehicle_types[k].capacity))
        args = (i, j, k, load, float(depart), kd.arcs, kd.grade, kd.cong, kd.veh, kd.cfg)
        got, want = _arc_compiled(*args), kernels.python.arc(*args)
        assert got == tuple(want)
        minutes.add(got[1] / kd.arcs[MINUTES, i, j] if i != j else 1.0)
        c = int(rng.integers(n1))
        for t in (float(depart), float(kd.nodes[c, DUE]), float(kd.nodes[c, READY]), float(kd.nodes[c, READY]) - 1.0):
            assert _arrive_compiled(c, t, kd.nodes, kd.cfg) == tuple(kernels.python.arrive(c, t, kd.nodes, kd.cfg))
        sums = tuple(float(x) for x in rng.uniform(0.0, 500.0, 4))
        assert _totals_compiled(k, *sums, kd.veh) == (
            kernels.python.route_kg(k, sums[0], sums[1], kd.veh),
            kernels.python.route_cost(k, sums[2], sums[3], kd.veh),
        )
    if not inst.unit_speed:
        assert len({round(m, 9) for m in minutes}) > 10  # congestion coefficients of many periods and grades


@SETTINGS
@given(inst=small_instances(), seed=st.integers(0, 2**32 - 1))
def test_legs_equal_route_detail_on_generated_instances(inst, seed):
    """RoutingInstance.leg (kernels.arc as Python) replays route_detail's km, kg and arrival
    of every arc bit for bit, on random fleets (where a different rounding of the load
    interpolation shows) and random clocks."""
    rng = np.random.default_rng(seed)
    kd = inst.kernel_data
    for r in random_routes(rng, inst):
        seq = np.asarray(r.customers, dtype=np.int64)
        n = seq.size
        arrival, service_start, arc_load, arc_km, arc_kg = (np.zeros(n + 1) for _ in range(5))
        kernels.route_detail(seq, 0, n, r.vehicle_type, *kd, arrival, service_start, arc_load, arc_km, arc_kg)
        prev, depart = 0, float(inst.ready[0])
        for p, node in enumerate([*seq.tolist(), 0]):
            leg = inst.leg(prev, node, r.vehicle_type, float(arc_load[p]), depart)
            assert (leg.km, leg.kg_co2e, depart + leg.minutes) == (arc_km[p], arc_kg[p], arrival[p])
            if node:
                depart = float(service_start[p] + inst.service[node])
            prev = node


# ---------------------------------------------------------------- Split against brute force


def _brute_split(inst: RoutingInstance, tour: np.ndarray, w: np.ndarray, max_routes: int) -> float:
    """Lowest total score over every way to cut the tour into at most max_routes routes."""
    kd = inst.kernel_data
    n = tour.size
    K = len(inst.vehicle_types)

    def seg(i, j):
        return min(kernels.route_score(tour, i, j - i, k, w, *kd) for k in range(K) if inst.vehicle_types[k].count >= 1)

    best = INF
    for m in range(0, min(n, max_routes)):
        for cuts in itertools.combinations(range(1, n), m):
            bounds = (0, *cuts, n)
            s = 0.0
            for i, j in zip(bounds, bounds[1:]):
                v = seg(i, j)
                if v >= INF:
                    s = INF
                    break
                s += v
            best = min(best, s)
    return best


def _split_score(inst, tour, w, nr, rstart, rtype) -> float:
    kd = inst.kernel_data
    return sum(kernels.route_score(tour, rstart[r], rstart[r + 1] - rstart[r], rtype[r], w, *kd) for r in range(nr))


@SETTINGS
@given(inst=small_instances(max_n=7), seed=st.integers(0, 2**32 - 1), max_routes=st.integers(1, 4))
def test_split_is_optimal_against_enumeration(inst, seed, max_routes):
    """split_free and split return the best cut of the giant tour (or -1 exactly when none is feasible)."""
    rng = np.random.default_rng(seed)
    n = inst.n_customers
    kd = inst.kernel_data
    tour = rng.permutation(np.arange(1, n + 1)).astype(np.int64)
    w = rng.dirichlet([1.0, 1.0, 1.0])
    rstart = np.zeros(n + 2, np.int64)
    rtype = np.zeros(n + 1, np.int64)

    nr = kernels.split_free(tour, w, *kd, rstart, rtype)
    best = _brute_split(inst, tour, w, n)
    if best >= INF:
        assert nr == -1
    else:
        assert 1 <= nr <= n and rstart[0] == 0 and rstart[nr] == n
        assert_allclose(_split_score(inst, tour, w, nr, rstart, rtype), best, rtol=1e-9)

    nr = kernels.split(tour, w, max_routes, *kd, rstart, rtype)
    best = _brute_split(inst, tour, w, max_routes)
    if best >= INF:
        assert nr == -1
    else:
        assert 1 <= nr <= max_routes and rstart[nr] == n
        assert_allclose(_split_score(inst, tour, w, nr, rstart, rtype), best, rtol=1e-9)


# ---------------------------------------------------------------- decoder properties


@pytest.fixture(scope="module")
def problems(r101, paper30):
    """Prepared problems: R101 (hard windows, one type) and paper30 (soft, congestion, three types)."""
    return {"r101": RoutingProblem(r101, ls_passes=5), "paper30": RoutingProblem(paper30, ls_passes=5)}


def _decode(prob: RoutingProblem, keys: np.ndarray, w: np.ndarray, ls: int):
    return prob.decode(keys[None, :], w[None, :], ls_passes=ls)


weights_st = st.tuples(*[st.floats(0.01, 1.0)] * 3).map(lambda t: np.array(t) / sum(t))


@SETTINGS
@given(which=st.sampled_from(["r101", "paper30"]), seed=st.integers(0, 2**32 - 1), w=weights_st, ls=st.sampled_from([0, 5]))
def test_decoder_properties(problems, which, seed, w, ls):
    """Decoding serves each customer once, within capacity, and with no violation is on time and within the fleet."""
    prob = problems[which]
    inst = prob.instance
    n = prob.n
    keys = np.random.default_rng(seed).random(n)
    b = _decode(prob, keys, w, ls)
    nr = int(b.nrs[0])
    tour, rstart = b.tours[0], b.rstarts[0]
    assert sorted(tour.tolist()) == list(range(1, n + 1))
    assert rstart[0] == 0 and rstart[nr] == n and (np.diff(rstart[: nr + 1]) > 0).all()
    assert_array_equal(np.argsort(b.keys[0], kind="stable") + 1, tour)
    routes = b.routes(0)
    ev = evaluate(inst, routes)
    assert all(r.overload <= 1e-9 for r in ev.routes)
    assert b.records[0, OBJ_OVERLOAD] <= 1e-9
    assert_allclose(b.records[0, :4], [ev.cost, ev.emissions_kg, ev.penalty, ev.distance_km], rtol=1e-9)
    if b.violation[0] == 0:
        assert b.records[0, OBJ_LATE] == 0 or not inst.penalty.hard_windows
        assert nr <= inst.fleet_size
        assert ev.feasible, ev.problems


@SETTINGS
@given(which=st.sampled_from(["r101", "paper30"]), seed=st.integers(0, 2**32 - 1), w=weights_st)
def test_local_search_never_worsens_split(problems, which, seed, w):
    """Local search never raises the weighted score w.(C,E,T) of the split solution it starts from."""
    prob = problems[which]
    keys = np.random.default_rng(seed).random(prob.n)
    b0 = _decode(prob, keys, w, 0)
    b5 = _decode(prob, keys, w, 5)
    rec0 = b0.records[0]
    # local search scores routes as INF when they are late (hard) or over capacity; from such
    # a start it has no finite value to improve on
    if rec0[OBJ_OVERLOAD] > 0 or (prob.hard and rec0[OBJ_LATE] > 0):
        return
    kw = prob.weights(w)[0]
    s0 = float(kw @ b0.F[0])
    s5 = float(kw @ b5.F[0])
    assert s5 <= s0 + 1e-9 * abs(s0)


def test_local_search_improves_r101_split(problems):
    """On R101 local search turns over-fleet splits into plans within the 25 vehicles with a lower score."""
    prob = problems["r101"]
    rng = np.random.default_rng(0)
    keys = rng.random((6, prob.n))
    w = simplex_weights(rng, 6, True)
    b0 = prob.decode(keys, w, ls_passes=0)
    b5 = prob.decode(keys, w, ls_passes=5)
    kw = prob.weights(w)
    assert ((kw * b5.F).sum(axis=1) < (kw * b0.F).sum(axis=1)).all()
    assert (b5.violation == 0).all() and (b5.nrs <= 25).all()


@pytest.mark.parametrize("which", ["r101", "paper30"])
def test_decode_batch_rows_equal_decode_one(problems, which):
    """decode_batch (parallel threads) gives each row exactly what decode_one gives it alone."""
    prob = problems[which]
    n = prob.n
    P = 6
    rng = np.random.default_rng(9)
    keys = rng.random((P, n))
    kw = prob.weights(simplex_weights(rng, P, prob.hard > 0))
    tours, rstarts, rtypes, nrs, objs, kout = prob._alloc(P)
    kernels.decode_batch(keys, kw, prob.max_routes, 5, prob.neigh, prob.xy, *prob.kd, tours, rstarts, rtypes, nrs, objs, kout)
    for i in range(P):
        t, rs, rt, ko = np.zeros(n, np.int64), np.zeros(n + 2, np.int64), np.zeros(n + 1, np.int64), np.zeros(n)
        nr = kernels.decode_one(keys[i], kw[i], prob.max_routes, 5, prob.neigh, prob.xy, *prob.kd, t, rs, rt, ko)
        assert nr == nrs[i]
        assert_array_equal(t, tours[i])
        assert_array_equal(rs, rstarts[i])
        assert_array_equal(rt, rtypes[i])
        assert_array_equal(ko, kout[i])
        assert_array_equal(objs[i], kernels.solution_eval(t, rs, rt, nr, *prob.kd))


def test_decode_is_a_fixed_point_of_its_written_back_keys(problems):
    """Decoding the written-back keys without local search reproduces the same giant tour."""
    prob = problems["paper30"]
    rng = np.random.default_rng(21)
    keys = rng.random((4, prob.n))
    w = simplex_weights(rng, 4, False)
    b = prob.decode(keys, w)
    again = prob.decode(b.keys, w, ls_passes=0)
    assert_array_equal(np.sort(again.tours, axis=1), np.sort(b.tours, axis=1))
    assert_array_equal(np.argsort(b.keys, axis=1, kind="stable") + 1, b.tours)


@pytest.mark.parametrize("size", [5, 20, 500])
def test_neighbour_lists_are_other_customers(r101, size):
    """Each customer's candidate list holds distinct other customers (never itself or the depot), clipped to n - 1."""
    nb = neighbour_lists(r101, size)
    n = r101.n_customers
    assert nb.shape == (n + 1, min(size, n - 1))
    for u in range(1, n + 1):
        row = nb[u]
        assert len(set(row.tolist())) == row.size
        assert u not in row and 0 not in row
        assert ((row >= 1) & (row <= n)).all()
