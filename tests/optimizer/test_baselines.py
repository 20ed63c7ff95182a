"""Tests for the baseline searches (NSGA-II, MOPSO, MOACO): valid fronts, determinism,
time limits, and the algorithm-specific helpers (velocity clamp, tour construction)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from optimizer.api import solve
from optimizer.generate import paper_instance
from optimizer.indicators import non_dominated
from optimizer.moaco import construct_tours, heuristic, member_arcs, tours_to_keys
from optimizer.mopso import constrained_dominates, move, mutate, velocity_update
from optimizer.problem import RoutingProblem
from optimizer.solomon import read_solomon

BASELINES = ("nsga2", "mopso", "moaco")
RUN = dict(iterations=3, population=12)


@pytest.fixture(scope="module")
def paper():
    return paper_instance(25, np.random.default_rng(3))


@pytest.fixture(scope="module")
def c101():
    return read_solomon("tests/data/solomon/C101.txt")


@pytest.fixture(scope="module")
def runs(paper, c101):
    """One small run per (algorithm, instance, seed), shared by the tests below."""
    cache = {}

    def get(algorithm, which="paper", seed=1):
        key = (algorithm, which, seed)
        if key not in cache:
            inst = paper if which == "paper" else c101
            cache[key] = solve(inst, algorithm=algorithm, seed=seed, **RUN)
        return cache[key]

    return get


def _search_trace(front):
    """The run history without wall-clock times."""
    return [(h[0], h[2], h[3], h[4], h[5]) for h in front.history]


# ---------------------------------------------------------------- whole runs


@pytest.mark.parametrize("which", ["paper", "c101"])
@pytest.mark.parametrize("algorithm", BASELINES)
def test_front_plans_serve_every_customer_once_and_are_feasible(runs, algorithm, which):
    """Every plan of the front visits each customer exactly once and is feasible."""
    front = runs(algorithm, which)
    n = front.instance.n_customers
    assert len(front.solutions) >= 1
    for sol in front.solutions:
        served = sorted(c for r in sol.routes for c in r.customers)
        assert served == list(range(1, n + 1))
        assert sol.evaluation.feasible, sol.evaluation.problems


@pytest.mark.parametrize("which", ["paper", "c101"])
@pytest.mark.parametrize("algorithm", BASELINES)
def test_front_is_mutually_non_dominated(runs, algorithm, which):
    """No plan of the returned front dominates (or duplicates) another."""
    front = runs(algorithm, which)
    assert non_dominated(front.F).all()


@pytest.mark.parametrize("algorithm", BASELINES)
def test_run_records_history_and_iterations(runs, algorithm):
    """The run reports its iteration budget and one history row per iteration plus the start."""
    front = runs(algorithm)
    assert front.algorithm == algorithm
    assert front.iterations == RUN["iterations"]
    assert [h[0] for h in front.history] == list(range(RUN["iterations"] + 1))
    # every member decoded, plus the engine's children (a quarter of the population), each time
    children = round(0.25 * RUN["population"])
    assert front.evaluations == (RUN["population"] + children) * (RUN["iterations"] + 1)


@pytest.mark.parametrize("algorithm", BASELINES)
def test_same_seed_gives_identical_front(runs, paper, algorithm):
    """Same seed and iteration budget give the same front and the same search trace."""
    first = runs(algorithm)
    again = solve(paper, algorithm=algorithm, seed=1, **RUN)
    assert_array_equal(first.F, again.F)
    assert _search_trace(first) == _search_trace(again)


@pytest.mark.parametrize("algorithm", BASELINES)
def test_different_seed_gives_different_run(runs, algorithm):
    """Another seed gives another search trace or another front."""
    a, b = runs(algorithm, seed=1), runs(algorithm, seed=2)
    same_front = a.F.shape == b.F.shape and np.array_equal(a.F, b.F)
    assert not (same_front and _search_trace(a) == _search_trace(b))


@pytest.mark.parametrize("algorithm", BASELINES)
def test_time_limit_stops_the_run(paper, algorithm):
    """A 1 s time limit ends the run long before a 100,000-iteration budget, with a feasible front."""
    front = solve(paper, algorithm=algorithm, seed=4, time_limit=1.0, iterations=100_000)
    assert front.iterations < 100_000  # may be 0 on a slow machine: the initial population alone can use the budget
    assert len(front.solutions) >= 1
    assert all(s.evaluation.feasible for s in front.solutions)


def test_population_below_two_rejected(paper):
    """A population below 2 is refused by every baseline."""
    from optimizer.moaco import moaco
    from optimizer.mopso import mopso
    from optimizer.nsga2 import nsga2
    from optimizer.search import Termination

    problem = RoutingProblem(paper)
    for fn in (nsga2, mopso, moaco):
        with pytest.raises(ValueError, match="population"):
            fn(problem, np.random.default_rng(0), 1, Termination(1, None), None)


# ---------------------------------------------------------------- MOPSO helpers

arrays = st.integers(1, 6).flatmap(lambda p: st.integers(1, 12).map(lambda n: (p, n)))


@settings(max_examples=60, deadline=None)
@given(shape=arrays, scale=st.floats(0.0, 1e6), w=st.floats(0.0, 2.0), seed=st.integers(0, 2**32 - 1))
def test_mopso_velocity_is_clamped(shape, scale, w, seed):
    """Every updated velocity component lies within +-0.2, however large the pull."""
    rng = np.random.default_rng(seed)
    V, X, pb, ld = (scale * (rng.random(shape) * 2 - 1) for _ in range(4))
    out = velocity_update(V, X, pb, ld, w, rng)
    assert out.shape == V.shape
    assert np.all(np.abs(out) <= 0.2)


@settings(max_examples=60, deadline=None)
@given(shape=arrays, seed=st.integers(0, 2**32 - 1), frac=st.floats(0.0, 1.0))
def test_mopso_move_and_mutation_stay_in_unit_box(shape, seed, frac):
    """Moved and mutated keys stay in [0, 1]; a component that left the box flips its velocity."""
    rng = np.random.default_rng(seed)
    X = rng.random(shape)
    V = rng.uniform(-0.2, 0.2, shape)
    Y, V2 = move(X, V)
    assert np.all((Y >= 0) & (Y <= 1))
    left = (X + V < 0) | (X + V > 1)
    assert_array_equal(V2, np.where(left, -V, V))
    Z = mutate(Y, frac, rng)
    assert np.all((Z >= 0) & (Z <= 1))


def test_mopso_mutation_schedule():
    """Mutation hits every particle at the start and nothing after 10% of the run."""
    rng = np.random.default_rng(0)
    X = rng.random((20, 30))
    assert (mutate(X, 0.0, rng) != X).any(axis=1).all()
    assert_array_equal(mutate(X, 0.1, rng), X)
    assert_array_equal(mutate(X, 0.7, rng), X)


def test_constrained_domination():
    """Feasible beats infeasible, less violation beats more, else Pareto dominance."""
    F = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [1.0, 3.0, 1.0]])
    feas = np.zeros(3)
    assert constrained_dominates(F[[0]], feas[:1], F[[1]], feas[:1])[0]
    assert not constrained_dominates(F[[0]], feas[:1], F[[0]], feas[:1])[0]
    assert not constrained_dominates(F[[1]], feas[:1], F[[2]], feas[:1])[0]
    assert constrained_dominates(F[[1]], np.zeros(1), F[[0]], np.ones(1))[0]
    assert constrained_dominates(F[[1]], np.ones(1), F[[0]], np.full(1, 2.0))[0]


# ---------------------------------------------------------------- MOACO helpers


@st.composite
def colonies(draw):
    n = draw(st.integers(1, 25))
    P = draw(st.integers(1, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    spread = draw(st.floats(0.0, 12.0))  # log10 range of pheromone values
    rng = np.random.default_rng(seed)
    tau_c = 10.0 ** (-spread * rng.random((n + 1, n + 1)))
    tau_e = 10.0 ** (-spread * rng.random((n + 1, n + 1)))
    xy = rng.random((n + 1, 2)) * draw(st.sampled_from([0.0, 1e-9, 1.0, 1e4]))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    lam = rng.random(P)
    q0 = draw(st.sampled_from([0.0, 0.9, 1.0]))
    xi = draw(st.sampled_from([0.0, 0.1]))
    return tau_c, tau_e, heuristic(d), lam, rng, q0, xi


@settings(max_examples=80, deadline=None)
@given(colony=colonies())
def test_moaco_construction_yields_permutations(colony):
    """Every ant's giant tour visits each customer 1..n exactly once."""
    tau_c, tau_e, eta, lam, rng, q0, xi = colony
    n = tau_c.shape[0] - 1
    tours = construct_tours(tau_c, tau_e, eta, lam, rng, q0=q0, xi=xi, tau0=1.0 / n)
    assert tours.shape == (lam.size, n)
    assert_array_equal(np.sort(tours, axis=1), np.tile(np.arange(1, n + 1), (lam.size, 1)))
    keys = tours_to_keys(tours)
    assert_array_equal(np.argsort(keys, axis=1, kind="stable") + 1, tours)


def test_moaco_greedy_ants_follow_strongest_arcs():
    """With q0 = 1 an ant always takes the arc with the largest tau^lambda tau^(1-lambda) eta^beta."""
    n = 5
    tau = np.full((n + 1, n + 1), 0.01)
    chain = [0, 3, 1, 5, 2, 4]
    for a, b in zip(chain, chain[1:]):
        tau[a, b] = 1.0
    tours = construct_tours(tau, tau.copy(), np.ones_like(tau), np.array([0.0, 0.5, 1.0]), np.random.default_rng(0), q0=1.0)
    assert_array_equal(tours, np.tile(chain[1:], (3, 1)))


def test_moaco_member_arcs_cover_routes_and_junctions(paper):
    """A plan deposits on depot->first, consecutive, last->depot arcs and the giant-tour junctions."""
    problem = RoutingProblem(paper, ls_passes=0)
    batch = problem.decode(np.random.default_rng(0).random((1, problem.n)), np.array([[0.4, 0.4, 0.2]]))
    src, dst = member_arcs(batch, 0)
    arcs = set(zip(src.tolist(), dst.tolist()))
    routes = batch.routes(0)
    expected = set()
    for r in routes:
        seq = [0, *r.customers, 0]
        expected |= set(zip(seq, seq[1:]))
    for a, b in zip(routes, routes[1:]):
        expected.add((a.customers[-1], b.customers[0]))
    assert arcs == expected
    assert len(src) == len(expected)
