"""Multi-objective grey wolf optimizer (Mirjalili, Saremi, Mirjalili, Coelho 2016) for VRPTW.

Each wolf is a vector of continuous keys in [0, 1]^n, one per customer, decoded by
:class:`optimizer.problem.RoutingProblem` into routes (keys -> giant tour -> Split ->
local search), with the improved order written back into its keys. The position update
is the paper's (seed 004 eqs. 8-9):

    a = 2 - 2 t / T,  A = 2 a r1 - a,  C = 2 r2   (r1, r2 ~ U(0, 1) per dimension)
    D_L = |C . X_L - X|,  X_L' = X_L - A . D_L,  X(t + 1) = (X_alpha' + X_beta' + X_delta') / 3

with the three leaders drawn from the external archive (:class:`optimizer.archive.Archive`).
Where this implementation decides something the paper leaves open:

- keys leaving [0, 1] are reflected back in rather than clipped (clipping piles many keys on
  0 and 1, and equal keys decode to an arbitrary index order);
- each wolf carries a fixed weight vector on the (C, E, T) simplex that steers its local
  search, so the pack covers the whole front (a memetic variant; the paper's node
  exchange / insertion / reversal moves are part of that local search);
- with a time limit, ``t / T`` is the larger of the iteration share and the elapsed share
  of the time, so ``a`` reaches 0 by the end of whichever budget binds first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .archive import ArchiveParams
from .problem import RoutingProblem
from .search import Callbacks, SearchResult, SearchRun, Termination


@dataclass(frozen=True)
class MOGWOParams:
    """MOGWO settings; defaults are the paper's (population 100, 200 iterations)."""

    population: int = 100
    iterations: int = 200
    archive: ArchiveParams = field(default_factory=ArchiveParams)

    def __post_init__(self) -> None:
        if self.population < 2:
            raise ValueError(f"population must be >= 2, got {self.population}")


def reflect(X: np.ndarray) -> np.ndarray:
    """Fold values back into [0, 1] by reflection at the bounds."""
    X = np.abs(X)
    X = np.where(X > 1.0, 2.0 - X, X)
    return np.clip(X, 0.0, 1.0)


def mogwo(
    problem: RoutingProblem,
    rng: np.random.Generator,
    params: MOGWOParams = MOGWOParams(),
    termination: Termination | None = None,
    callbacks: Callbacks | None = None,
) -> SearchResult:
    """Run MOGWO on a prepared problem and return the final archive."""
    run = SearchRun("mogwo", problem, rng, params.population, termination, callbacks, params.archive, params.iterations)
    term, weights, archive, deadline = run.term, run.weights, run.archive, run.deadline
    P, n = params.population, problem.n
    X = rng.random((P, n))
    batch = problem.decode(X, weights, deadline=deadline)
    X[: len(batch.keys)] = batch.keys
    archive.update(batch)
    run.started()
    while run.next_iteration():
        it = run.iteration
        # a runs 2 -> 0 over whichever budget binds first (iterations, or the time limit)
        frac = 0.0 if term.iterations is None else it / term.iterations
        frac = max(frac, term.time_fraction())
        a = 2.0 - 2.0 * min(frac, 1.0)
        lead = np.array([archive.leaders() for _ in range(P)])  # (P, 3): alpha, beta, delta
        assert archive.members is not None  # an iteration follows a first population of P rows
        LK = archive.members.keys
        new = np.zeros_like(X)
        for j in range(3):
            XL = LK[lead[:, j]]
            A = 2.0 * a * rng.random((P, n)) - a
            C = 2.0 * rng.random((P, n))
            new += XL - A * np.abs(C * XL - X)
        X = reflect(new / 3.0)
        batch = problem.decode(X, weights, deadline=deadline)
        X[: len(batch.keys)] = batch.keys
        archive.update(batch)
        run.iteration_done()
    return run.finish()
