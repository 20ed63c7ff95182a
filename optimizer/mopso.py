"""MOPSO baseline (Coello Coello, Pulido, Lechuga 2004) on the shared decoder.

The seed paper compares MOGWO with PSO (seed 004 sections 3.6, 3.9); this is the
multi-objective PSO of Coello Coello, Pulido & Lechuga, "Handling multiple objectives
with particle swarm optimization", IEEE Trans. Evol. Comput. 8(3), 2004:

- particles: positions ``X`` (continuous keys in [0, 1]^n, decoded by
  :meth:`optimizer.problem.RoutingProblem.decode`) and velocities ``V`` (start at 0);
- repository: the shared external :class:`optimizer.archive.Archive` (``ArchiveParams()``
  defaults: Mirjalili's version of Coello's adaptive grid, 10 cells per objective);
  each particle draws its own leader every iteration with ``archive.select()`` (roulette
  over occupied cells, sparse cells favoured);
- velocity: ``V = w V + c1 r1 (pbest - X) + c2 r2 (leader - X)``, ``r1, r2 ~ U(0, 1)``
  per dimension, with w = 0.5 damped by 0.99 per iteration, c1 = 1, c2 = 2 (Kalami Heris's
  MOPSO defaults, Yarpiz 2015; Coello's paper and reference code use w = 0.4, c1 = c2 = 1);
- velocity clamp: each component within +-0.2 of the key range [0, 1] (our setting; the
  paper does not clamp);
- position ``X + V``; a key leaving [0, 1] is reflected back in
  (:func:`optimizer.mogwo.reflect`) and that velocity component changes sign (the paper
  puts it on the bound and flips the sign);
- mutation, rate mu = 0.1, with the schedule of Coello's reference code: at progress
  ``f = (t - 1) / T``, while ``f < mu``, a particle mutates with probability
  ``m = (1 - f / mu) ** 1.5``, and its mutated keys are re-drawn uniformly within
  ``+- m / 2`` of their value (clipped to [0, 1]); so early on all particles mutate over
  the whole range, and mutation stops after the first 10% of the run.
  Deviation: the reference code re-draws one dimension; we re-draw a random subset of
  ``ceil(mu n)`` dimensions, since one random key moves only one customer in the tour;
- personal best: replaced when the new (decoded) position dominates it, kept when it is
  dominated, replaced with probability 1/2 otherwise. Domination is Deb's constrained
  domination (a feasible plan beats an infeasible one, less violation beats more).

As in :mod:`optimizer.mogwo`, each particle carries a fixed weight vector on the (C, E, T)
simplex that steers the decoder's local search, and the improved keys are written back
into its position (Lamarckian). Under a time limit with no iteration count, ``t / T`` is
the elapsed share of the time. All randomness comes from the ``rng`` passed in.
"""

from __future__ import annotations

import math

import numpy as np

from .archive import FEAS_TOL
from .mogwo import reflect
from .problem import RoutingProblem
from .search import Callbacks, SearchResult, SearchRun, Termination

#: Inertia weight, its damping per iteration, personal and social coefficients.
W, W_DAMP, C1, C2 = 0.5, 0.99, 1.0, 2.0
#: Velocity limit as a share of the key range [0, 1].
V_MAX = 0.2
#: Mutation rate: share of the run with mutation, share of keys re-drawn.
MUTATION_RATE = 0.1


def velocity_update(
    V: np.ndarray,
    X: np.ndarray,
    pbest: np.ndarray,
    leader: np.ndarray,
    w: float,
    rng: np.random.Generator,
    c1: float = C1,
    c2: float = C2,
    vmax: float = V_MAX,
) -> np.ndarray:
    """New velocities ``w V + c1 r1 (pbest - X) + c2 r2 (leader - X)``, clamped to +-vmax."""
    r1 = rng.random(X.shape)
    r2 = rng.random(X.shape)
    V = w * V + c1 * r1 * (pbest - X) + c2 * r2 * (leader - X)
    return np.clip(V, -vmax, vmax)


def move(X: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions ``X + V`` reflected into [0, 1]; velocity components that left flip sign."""
    Y = X + V
    out = (Y < 0.0) | (Y > 1.0)
    return reflect(Y), np.where(out, -V, V)


def mutate(X: np.ndarray, frac: float, rng: np.random.Generator, rate: float = MUTATION_RATE) -> np.ndarray:
    """Coello's shrinking-range mutation at progress ``frac`` in [0, 1] (see module docstring)."""
    if frac >= rate:
        return X
    m = (1.0 - frac / rate) ** 1.5
    P, n = X.shape
    hit = rng.random(P) < m
    k = max(1, math.ceil(rate * n))
    X = X.copy()
    for i in np.flatnonzero(hit):
        dims = rng.choice(n, size=k, replace=False)
        lo = np.maximum(X[i, dims] - m / 2.0, 0.0)
        hi = np.minimum(X[i, dims] + m / 2.0, 1.0)
        X[i, dims] = lo + rng.random(k) * (hi - lo)
    return X


def constrained_dominates(Fa: np.ndarray, va: np.ndarray, Fb: np.ndarray, vb: np.ndarray) -> np.ndarray:
    """Row-wise: does (Fa, va) dominate (Fb, vb) under Deb's constrained domination?"""
    fa, fb = va <= FEAS_TOL, vb <= FEAS_TOL
    pareto = np.all(Fa <= Fb, axis=1) & np.any(Fa < Fb, axis=1)
    return np.where(fa & fb, pareto, np.where(fa != fb, fa, (va < vb) | ((va == vb) & pareto)))


def mopso(
    problem: RoutingProblem,
    rng: np.random.Generator,
    population: int = 100,
    term: Termination | None = None,
    callbacks: Callbacks | None = None,
) -> SearchResult:
    """Run MOPSO on a prepared problem and return the final archive (the repository)."""
    run = SearchRun("mopso", problem, rng, population, term, callbacks)
    term, weights = run.term, run.weights
    P, n = population, problem.n
    archive, deadline = run.archive, run.deadline

    X = rng.random((P, n))
    V = np.zeros((P, n))
    batch = problem.decode(X, weights, deadline=deadline)
    k = len(batch.keys)
    X[:k] = batch.keys
    archive.update(batch)
    # personal bests; rows cut off by the deadline start as "infinitely bad"
    pbest = X.copy()
    pF = np.full((P, 3), np.inf)
    pV = np.full(P, np.inf)
    pF[:k], pV[:k] = batch.F, batch.violation
    w = W
    run.started()
    while run.next_iteration():
        it = run.iteration
        frac = (it - 1) / term.iterations if term.iterations is not None else term.time_fraction()
        assert archive.members is not None  # an iteration follows a first population of P rows
        leaders = archive.members.keys[[archive.select() for _ in range(P)]]
        V = velocity_update(V, X, pbest, leaders, w, rng)
        X, V = move(X, V)
        X = mutate(X, min(frac, 1.0), rng)
        batch = problem.decode(X, weights, deadline=deadline)
        k = len(batch.keys)
        X[:k] = batch.keys
        archive.update(batch)
        # personal best: new dominates -> replace; old dominates -> keep; else a coin flip
        F, viol = batch.F, batch.violation
        new_wins = constrained_dominates(F, viol, pF[:k], pV[:k])
        old_wins = constrained_dominates(pF[:k], pV[:k], F, viol)
        coin = rng.random(k) < 0.5
        repl = np.flatnonzero(new_wins | (~old_wins & coin))
        pbest[repl], pF[repl], pV[repl] = X[repl], F[repl], viol[repl]
        w *= W_DAMP
        run.iteration_done()
    return run.finish()
