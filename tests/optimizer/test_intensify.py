"""The engine's archive-driven step between population updates (optimizer.intensify), as every
algorithm runs it through optimizer.solve."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimizer import ALGORITHMS, paper_instance, read_solomon, solve
from optimizer.archive import Archive, ArchiveParams
from optimizer.deadline import Deadline
from optimizer.intensify import Intensifier, IntensifyParams
from optimizer.problem import RoutingProblem, simplex_weights
from optimizer.solution import evaluate

DATA = Path(__file__).resolve().parent.parent / "data"

SEARCHES = [name for name, spec in ALGORITHMS.items() if spec.searches]


@pytest.fixture(scope="module")
def small():
    return paper_instance(20, np.random.default_rng(4))


@pytest.mark.parametrize("algorithm", SEARCHES)
def test_every_algorithm_runs_the_step_and_returns_valid_plans(small, algorithm):
    params = IntensifyParams(children=0.5)
    front = solve(small, algorithm=algorithm, seed=3, iterations=2, population=8, intensify=params)
    plain = solve(small, algorithm=algorithm, seed=3, iterations=2, population=8, intensify=None)
    # four children per iteration and after the first population, on top of the same decodes
    assert front.evaluations == plain.evaluations + 4 * (front.iterations + 1)
    for sol in front.solutions:
        served = sorted(c for r in sol.routes for c in r.customers)
        assert served == list(range(1, small.n_customers + 1))
        again = evaluate(small, list(sol.routes))
        assert again.cost == pytest.approx(sol.evaluation.cost, rel=1e-12)


def test_same_seed_same_front(small):
    a = solve(small, seed=9, iterations=3, population=10, intensify=IntensifyParams())
    b = solve(small, seed=9, iterations=3, population=10, intensify=IntensifyParams())
    np.testing.assert_array_equal(a.F, b.F)


def test_children_improve_on_the_archive_they_came_from():
    """On R105 the educated children of a Split-only population are better at both ends than
    the population's best plans (the engine's search is what the step adds)."""
    inst = read_solomon(DATA / "solomon" / "R105.txt")
    problem = RoutingProblem(inst, ls_passes=0)
    rng = np.random.default_rng(2)
    weights = simplex_weights(rng, 8, True)
    batch = problem.decode(rng.random((8, problem.n)), weights)
    archive = Archive(ArchiveParams(), rng)
    archive.update(batch)
    ints = Intensifier(problem, weights, IntensifyParams(children=1.0, extreme_share=1.0), rng)
    kids = ints.step(archive, Deadline(None))
    assert kids is not None and len(kids.keys) == 8
    assert kids.F[:, 0].min() < archive.F[:, 0].min()
    assert kids.F[:, 1].min() < archive.F[:, 1].min()


def test_a_passed_deadline_makes_no_children(small):
    problem = RoutingProblem(small)
    rng = np.random.default_rng(0)
    weights = simplex_weights(rng, 4, False)
    archive = Archive(ArchiveParams(), rng)
    archive.update(problem.decode(rng.random((4, problem.n)), weights))
    ints = Intensifier(problem, weights, IntensifyParams(), rng)
    assert ints.step(archive, Deadline.after(1e-9)) is None
    assert ints.children_made == 0


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("children", 0.0, "children must be > 0"),
        ("extreme_share", 1.5, r"extreme_share must be in \[0, 1\]"),
        ("granular_k", 0, "granular_k must be >= 1"),
    ],
)
def test_bad_parameters_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        IntensifyParams(**{field: value})
