"""Tests for optimizer.mogwo: determinism, bounds, feasibility, the front, budgets and history."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.api import solve
from optimizer.indicators import non_dominated
from optimizer.mogwo import MOGWOParams, mogwo, reflect
from optimizer.problem import PREFERENCE, RoutingProblem, simplex_weights
from optimizer.search import Termination
from optimizer.solution import evaluate

RUN = dict(iterations=3, population=10)


@pytest.fixture(scope="module")
def r101_runs(r101):
    """R101 solved twice with seed 7 and once with seed 8 (3 iterations, 10 wolves)."""
    return solve(r101, seed=7, **RUN), solve(r101, seed=7, **RUN), solve(r101, seed=8, **RUN)


@pytest.fixture(scope="module")
def paper60_run(paper60):
    """The 60-customer generated instance solved with seed 7."""
    return solve(paper60, seed=7, **RUN)


def _plans(front):
    return [s.routes for s in front.solutions]


def test_same_seed_same_front(r101_runs):
    """The same seed and budget give identical objectives and identical routes."""
    a, b, _ = r101_runs
    assert_array_equal(a.F, b.F)
    assert _plans(a) == _plans(b)
    assert a.chosen == b.chosen


def test_same_seed_same_front_generated(paper60, paper60_run):
    """Determinism holds on a soft-window, congested, 3-type instance too."""
    again = solve(paper60, seed=7, **RUN)
    assert_array_equal(again.F, paper60_run.F)
    assert _plans(again) == _plans(paper60_run)


def test_different_seed_different_front(r101_runs):
    """Another seed gives a different front."""
    a, _, c = r101_runs
    assert a.F.shape != c.F.shape or not np.array_equal(a.F, c.F)
    assert _plans(a) != _plans(c)


@pytest.mark.parametrize("which", ["r101", "paper60"])
def test_all_plans_feasible_and_complete(which, r101_runs, paper60_run):
    """Every plan on the front serves each customer once, within capacity, fleet and (R101) hard windows."""
    front = r101_runs[0] if which == "r101" else paper60_run
    n = front.instance.n_customers
    assert len(front.solutions) >= 1
    for s in front.solutions:
        assert s.evaluation.feasible, s.evaluation.problems
        served = sorted(c for r in s.routes for c in r.customers)
        assert served == list(range(1, n + 1))
        assert s.evaluation.vehicles <= front.instance.fleet_size


@pytest.mark.parametrize("which", ["r101", "paper60"])
def test_front_is_non_dominated_and_evaluated(which, r101_runs, paper60_run):
    """The returned front has no dominated or duplicate plan, is sorted by cost, and F re-evaluates from its routes."""
    front = r101_runs[0] if which == "r101" else paper60_run
    F = front.F
    assert non_dominated(F).all()
    assert np.unique(F, axis=0).shape[0] == F.shape[0]
    assert (np.diff(F[:, 0]) >= 0).all()
    for s, f in zip(front.solutions, F):
        assert_allclose(evaluate(front.instance, list(s.routes)).objectives, f, rtol=1e-12)


def test_history_one_row_per_iteration(r101_runs):
    """History has iterations + 1 rows (the initial pack, then each iteration) and the best cost never rises."""
    front = r101_runs[0]
    h = front.history
    assert front.iterations == 3
    assert len(h) == 3 + 1
    assert [row[0] for row in h] == [0, 1, 2, 3]
    assert h[-1][2] == len(front.solutions)
    # no pruning at this size (archive 100 > 4 x 10 decoded), so the archive minima cannot rise
    assert all(h[i + 1][3] <= h[i][3] for i in range(3))
    assert all(h[i + 1][4] <= h[i][4] for i in range(3))


def test_evaluations_counted(r101_runs):
    """One decode per wolf for the initial pack and per iteration, and the engine's 2 children
    (a quarter of 10, rounded) each time: (10 + 2) x (3 + 1) evaluations."""
    assert r101_runs[0].evaluations == 48


def test_time_limit_stops_the_run(c101):
    """A 2 s time limit ends the run long before a 100,000-iteration budget; history has one row per iteration + 1."""
    front = solve(c101, seed=1, time_limit=2, iterations=100_000, population=10)
    assert front.iterations < 100_000  # may be 0 on a slow machine: the initial population alone can use the budget
    # on a loaded machine the limit may leave no room to search: the start plan, said so
    assert front.fallback is not None or len(front.history) == front.iterations + 1
    assert all(s.evaluation.feasible for s in front.solutions)


def test_mogwo_direct_and_progress_callback(paper60):
    """mogwo() on a prepared problem runs the given iterations; solve(progress=) reports fractions up to 1."""
    prob = RoutingProblem(paper60, ls_passes=5)
    res = mogwo(prob, np.random.default_rng(3), MOGWOParams(population=6, iterations=2), Termination(2, None))
    assert res.algorithm == "mogwo" and res.iterations == 2
    assert res.evaluations == 6 * 3
    assert len(res.history) == 3
    assert non_dominated(res.members.F).all()
    seen = []
    solve(paper60, seed=1, iterations=2, population=4, ls_passes=2, progress=seen.append)
    assert_allclose(seen, [0.5, 1.0])


def test_population_must_be_at_least_two():
    """A pack of one wolf is rejected."""
    with pytest.raises(ValueError, match="population"):
        MOGWOParams(population=1)


@settings(deadline=None, max_examples=60)
@given(X=arrays(np.float64, st.integers(1, 50), elements=st.floats(-1.0, 2.0)))
def test_reflect_stays_in_unit_interval(X):
    """reflect() maps any position reachable by one update into [0, 1], keeping in-range values."""
    Y = reflect(X)
    assert Y.shape == X.shape
    assert ((Y >= 0.0) & (Y <= 1.0)).all()
    inside = (X >= 0.0) & (X <= 1.0)
    assert_array_equal(Y[inside], X[inside])
    below = X < 0.0
    assert_allclose(Y[below], -X[below])
    above = X > 1.0
    assert_allclose(Y[above], 2.0 - X[above])


def test_reflect_far_outside_is_clipped():
    """Values more than one unit outside are still returned within [0, 1]."""
    Y = reflect(np.array([-5.0, 3.5, 1e9, -1e9]))
    assert ((Y >= 0.0) & (Y <= 1.0)).all()


# ---------------------------------------------------------------- search directions


def test_simplex_weights_on_simplex():
    """Each wolf's weight vector is non-negative and sums to 1; with hard windows it is the plain Dirichlet draw."""
    for hard in (True, False):
        w = simplex_weights(np.random.default_rng(1), 200, hard)
        assert w.shape == (200, 3)
        assert (w >= 0).all()
        assert_allclose(w.sum(axis=1), 1.0)
    assert_array_equal(simplex_weights(np.random.default_rng(1), 50, True), np.random.default_rng(1).dirichlet(PREFERENCE, 50))


def test_simplex_weights_soft_penalty_floor():
    """With soft windows every weight vector keeps at least 0.1 on the penalty, as documented."""
    w = simplex_weights(np.random.default_rng(0), 1000, False)
    assert w[:, 2].min() >= 0.1 - 1e-12
