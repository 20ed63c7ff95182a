"""The router's front door: ``solve(instance, algorithm=..., seed=...) -> ParetoFront``."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Literal

import numpy as np

from .greedy import nearest_neighbour
from .indicators import normalise
from .instance import RoutingInstance
from .model import Weights
from .problem import RoutingProblem
from .search import Callbacks, SearchResult, Termination
from .solution import Evaluation, Route, evaluate

ALGORITHMS = ("mogwo", "nsga2", "mopso", "moaco", "greedy")
JSON_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PlanSolution:
    """One plan of a front: its routes and their full evaluation."""

    routes: tuple[Route, ...]
    evaluation: Evaluation

    @property
    def objectives(self) -> np.ndarray:
        return self.evaluation.objectives


@dataclass(frozen=True)
class ParetoFront:
    """The non-dominated plans an algorithm found, sorted by cost, and the one to execute.

    Attributes
    ----------
    chosen
        Index of the plan picked by ``choose`` (see :func:`choose_plan`).
    history
        Per iteration: (iteration, seconds, front size, min cost, min kg CO2, min penalty).
    """

    instance: RoutingInstance
    algorithm: str
    seed: int
    seconds: float
    iterations: int
    evaluations: int
    solutions: tuple[PlanSolution, ...]
    chosen: int
    history: list = field(default_factory=list, repr=False)

    @property
    def F(self) -> np.ndarray:
        """Objectives (cost, kg CO2, penalty), one row per plan."""
        return np.array([s.objectives for s in self.solutions]).reshape(-1, 3)

    @property
    def best(self) -> PlanSolution:
        """The chosen plan."""
        return self.solutions[self.chosen]

    def to_dict(self) -> dict:
        """The documented JSON form (see README, "The route JSON file")."""
        inst = self.instance
        names = [v.name for v in inst.vehicle_types]
        sols = []
        for i, s in enumerate(self.solutions):
            ev = s.evaluation
            sols.append(
                {
                    "cost": ev.cost,
                    "emissions_kg": ev.emissions_kg,
                    "penalty": ev.penalty,
                    "distance_km": ev.distance_km,
                    "vehicles": ev.vehicles,
                    "feasible": ev.feasible,
                    "chosen": i == self.chosen,
                    "routes": [
                        {
                            "vehicle_type": names[r.vehicle_type],
                            "customers": [int(inst.customer_ids[c]) for c in r.customers],
                        }
                        for r in s.routes
                    ],
                }
            )
        return {
            "format_version": JSON_FORMAT_VERSION,
            "instance": inst.name,
            "source": inst.source,
            "algorithm": self.algorithm,
            "seed": self.seed,
            "seconds": self.seconds,
            "iterations": self.iterations,
            "evaluations": self.evaluations,
            "solutions": sols,
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")


def choose_plan(F: np.ndarray, weights: Weights = Weights(), method: Literal["weights", "knee"] = "weights") -> int:
    """Pick the plan to execute from a front.

    ``weights``: argmin of ``w1 (C + T)~ + w2 E~``, the penalty counted as cost as in eq. 6
    and each term min-max normalised over the front, so kg are never added to currency
    (:class:`optimizer.model.Weights`). ``knee``: the plan nearest the ideal point in the
    normalised (C, E, T) space. Ties go to the lower cost.
    """
    F = np.asarray(F, dtype=float)
    if F.shape[0] == 1:
        return 0
    N = normalise(F, F.min(axis=0), F.max(axis=0))
    if method == "weights":
        ct = F[:, 0] + weights.penalty * F[:, 2]
        span = ct.max() - ct.min()
        ct = (ct - ct.min()) / (span if span > 0 else 1.0)
        score = weights.cost * ct + weights.emissions * N[:, 1]
    elif method == "knee":
        score = np.sqrt((N**2).sum(axis=1))
    else:
        raise ValueError(f"choose must be 'weights' or 'knee', got {method!r}")
    order = np.lexsort((F[:, 0], score))
    return int(order[0])


def _run(algorithm: str, problem: RoutingProblem, rng: np.random.Generator, term: Termination, population: int | None, callbacks: Callbacks) -> SearchResult:
    if algorithm == "mogwo":
        from .mogwo import MOGWOParams, mogwo

        params = MOGWOParams(population=population or 100, iterations=term.iterations or 200)
        return mogwo(problem, rng, params, term, callbacks)
    if algorithm == "nsga2":
        from .nsga2 import nsga2

        return nsga2(problem, rng, population or 100, term, callbacks)
    if algorithm == "mopso":
        from .mopso import mopso

        return mopso(problem, rng, population or 100, term, callbacks)
    if algorithm == "moaco":
        from .moaco import moaco

        return moaco(problem, rng, population or 100, term, callbacks)
    raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")


def solve(
    instance: RoutingInstance,
    *,
    algorithm: str = "mogwo",
    seed: int = 0,
    time_limit: float | None = None,
    iterations: int | None = None,
    population: int | None = None,
    weights: Weights = Weights(),
    choose: Literal["weights", "knee"] = "weights",
    ls_passes: int = 50,
    callbacks: Callbacks | None = None,
    progress: Callable[[float], None] | None = None,
) -> ParetoFront:
    """Route an instance and return the Pareto front with the chosen plan marked.

    Parameters
    ----------
    instance
        The routing instance.
    algorithm
        ``mogwo`` (default), ``nsga2``, ``mopso``, ``moaco`` or ``greedy`` (the
        single-plan nearest-neighbour baseline).
    seed
        Seed of the one random generator the search uses; the same seed and the same
        iteration budget give the same front.
    time_limit
        Wall-clock budget in seconds (a run may overshoot by one decoding chunk).
    iterations
        Iteration budget; with neither budget, the paper's 200 iterations.
    population
        Population (pack, swarm, colony) size; default 100.
    weights, choose
        How the plan to execute is picked (:func:`choose_plan`).
    ls_passes
        Local-search sweeps per decoded solution (0 disables local search).
    callbacks
        Hooks called by the search (:class:`optimizer.search.Callbacks`).
    progress
        Shorthand for a callback receiving the fraction done after each iteration.
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    t0 = time.perf_counter()
    if algorithm == "greedy":
        routes = nearest_neighbour(instance)
        ev = evaluate(instance, routes)
        return ParetoFront(instance, "greedy", seed, time.perf_counter() - t0, 1, 1, (PlanSolution(tuple(routes), ev),), 0)
    if iterations is None and time_limit is None:
        iterations = 200
    cb = callbacks or Callbacks()
    if progress is not None:
        inner = cb

        class _Progress(Callbacks):
            def on_start(self, a):
                inner.on_start(a)

            def on_iteration(self, it, frac, F):
                inner.on_iteration(it, frac, F)
                progress(frac)

            def on_end(self, r):
                inner.on_end(r)

        cb = _Progress()
    rng = np.random.default_rng(seed)
    problem = RoutingProblem(instance, ls_passes=ls_passes)
    term = Termination(iterations, time_limit)
    result = _run(algorithm, problem, rng, term, population, cb)
    return front_from_result(instance, result, seed, weights, choose, time.perf_counter() - t0)


def front_from_result(
    instance: RoutingInstance, result: SearchResult, seed: int, weights: Weights, choose: str, seconds: float
) -> ParetoFront:
    """Turn a search's final set into a ParetoFront of evaluated plans, sorted by cost."""
    m = result.members
    order = np.lexsort((m.F[:, 2], m.F[:, 1], m.F[:, 0]))
    sols = []
    for i in order:
        routes = tuple(m.routes(int(i)))
        sols.append(PlanSolution(routes, evaluate(instance, routes)))
    F = np.array([s.objectives for s in sols])
    chosen = choose_plan(F, weights, choose)  # type: ignore[arg-type]
    return ParetoFront(
        instance, result.algorithm, seed, seconds, result.iterations, result.evaluations, tuple(sols), chosen, result.history
    )
