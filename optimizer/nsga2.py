"""NSGA-II baseline (Deb, Pratap, Agarwal, Meyarivan 2002) on the shared decoder, via pymoo.

The seed paper compares MOGWO with NSGA-II (seed 004 sections 3.5, 3.6, 3.9). This is
pymoo 0.6.2's ``NSGA2`` (Blank & Deb 2020) driven through its ask/tell interface, so the
genetic machinery is pymoo's and only the evaluation is ours:

    pop = algorithm.ask()                      # offspring keys in [0, 1]^n
    batch = problem.decode(X, weights, ...)    # keys -> giant tour -> Split -> local search
    pop.set("X", batch.keys)                   # Lamarckian write-back, as in MOGWO
    F = (C, E, T), G = constraint violation    # a single column, <= 0 feasible
    algorithm.tell(infills=pop)

evaluated the way pymoo's "problem-independent ask and tell" guide does it
(``StaticProblem`` + the algorithm's ``Evaluator``).

Parameters (pymoo's ``NSGA2`` defaults unless marked):

- population ``population`` (default 100, as MOGWO), offspring per generation = population;
- selection: binary tournament by constrained domination, then crowding distance
  (pymoo's ``comp_by_dom_and_crowding``); survival: rank and crowding (``RankAndCrowding``);
- SBX crossover, probability 0.9 per mating, eta 15, each variable crossed with
  probability 0.5 (pymoo's default ``SBX(eta=15, prob=0.9)``, ``prob_var=0.5``);
- polynomial mutation, eta 20, probability 1/n per variable. pymoo's default ``PM(eta=20)``
  applies it to an individual with probability 0.9 only; we set ``prob=1.0`` so every
  offspring goes through it, which is Deb's NSGA-II setting (marked deviation from pymoo);
- keys live in [0, 1] (``xl = 0``, ``xu = 1``; SBX and PM clamp to the bounds);
- pymoo's duplicate elimination (on keys) stays on.

Where this differs from a textbook NSGA-II, for a fair comparison with MOGWO:

- every decoded solution goes through the shared local search, steered by a fixed weight
  vector per offspring *slot* (row ``i`` of every batch uses ``weights[i]`` from
  :func:`optimizer.problem.simplex_weights`); weights do not follow lineage, since SBX
  children have two parents;
- the improved keys are written back into the individuals before ``tell`` (Lamarckian);
- the reported front is the shared external :class:`optimizer.archive.Archive`
  (``ArchiveParams()`` defaults) fed with every decoded batch, not pymoo's population;
- G is the decoder's violation (overload + hard lateness + fleet excess) with values up to
  the archive's feasibility tolerance (1e-6) set to 0, so pymoo and the archive agree on
  what is feasible;
- under a time limit only the rows decoded before the deadline are told to pymoo (and
  the run then stops); pymoo's own termination is set to an unreachable generation count
  and our :class:`optimizer.search.Termination` decides when to stop.

Randomness: pymoo's generator is seeded with one integer drawn from the ``rng`` passed in,
so the same seed and iteration budget give the same front.
"""

from __future__ import annotations

import numpy as np
from pymoo.algorithms.moo.nsga2 import NSGA2
from pymoo.core.problem import Problem
from pymoo.operators.crossover.sbx import SBX
from pymoo.operators.mutation.pm import PM
from pymoo.problems.static import StaticProblem

from .archive import FEAS_TOL
from .problem import Batch, RoutingProblem
from .search import Callbacks, SearchResult, SearchRun, Termination

#: SBX: probability per mating, distribution index (Deb et al. 2002; pymoo default).
SBX_PROB, SBX_ETA = 0.9, 15.0
#: Polynomial mutation: distribution index; the per-variable probability is 1/n.
PM_ETA = 20.0
#: pymoo's generation limit, never reached: our Termination stops the loop.
_NEVER = 10**9


def constraint_column(batch: Batch) -> np.ndarray:
    """The decoder's violation as pymoo's single inequality constraint (<= 0 is feasible)."""
    v = batch.violation
    return np.where(v <= FEAS_TOL, 0.0, v)[:, None]


def nsga2(
    problem: RoutingProblem,
    rng: np.random.Generator,
    population: int = 100,
    term: Termination | None = None,
    callbacks: Callbacks | None = None,
) -> SearchResult:
    """Run NSGA-II (pymoo, ask/tell) on a prepared problem and return the final archive."""
    run = SearchRun("nsga2", problem, rng, population, term, callbacks)
    term, weights = run.term, run.weights
    P, n = population, problem.n
    archive, deadline = run.archive, run.deadline

    space = Problem(n_var=n, n_obj=3, n_ieq_constr=1, xl=np.zeros(n), xu=np.ones(n), vtype=float)
    algorithm = NSGA2(
        pop_size=P,
        n_offsprings=P,
        crossover=SBX(prob=SBX_PROB, eta=SBX_ETA),
        mutation=PM(prob=1.0, eta=PM_ETA),  # per-variable probability: pymoo's 1/n
        eliminate_duplicates=True,
    )
    algorithm.setup(space, termination=("n_gen", _NEVER), seed=int(rng.integers(2**31 - 1)), verbose=False)

    def evaluate(pop) -> bool:
        """Decode, write back, evaluate and tell; False when the deadline cut the batch short."""
        X = pop.get("X")
        batch = problem.decode(X, weights[: len(X)], deadline=deadline)
        k = len(batch.keys)
        if k == 0:
            return False
        told = pop[:k] if k < len(pop) else pop
        told.set("X", batch.keys)
        algorithm.evaluator.eval(StaticProblem(space, F=batch.F.copy(), G=constraint_column(batch)), told)
        algorithm.tell(infills=told)
        archive.update(batch)
        return k == len(pop)

    complete = evaluate(algorithm.ask())
    run.started()
    while complete and term.has_next():
        pop = algorithm.ask()
        if pop is None or len(pop) == 0:
            break  # pymoo could not create a single new (non-duplicate) offspring
        run.iteration += 1
        complete = evaluate(pop)
        run.iteration_done()
    return run.finish()
