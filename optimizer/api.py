"""The router's front door: ``solve(instance, algorithm=..., seed=...) -> ParetoFront``."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np

from .algorithms import ALGORITHMS  # noqa: F401  (ALGORITHMS: re-exported)
from .algorithms import algorithm as algorithm_spec
from .deadline import Deadline, OutOfTime, check_time_limit
from .greedy import construct
from .indicators import non_dominated, normalise
from .instance import RoutingInstance
from .intensify import IntensifyParams
from .model import Weights
from .problem import RoutingProblem
from .search import Callbacks, SearchResult, Termination
from .solution import Evaluation, Route, evaluate
from .warmup import KERNELS

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
    fallback
        None when the plans are the search's; otherwise why the time limit left the start
        plan (nearest neighbour, finished in due-date order if the limit cut even that) as
        the answer, alone or among the few plans the search decoded in time.
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
    fallback: str | None = None

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
        assert inst.customer_ids is not None  # set by RoutingInstance.__post_init__
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
            "fallback": self.fallback,
            "solutions": sols,
        }

    def to_json(self) -> str:
        """The JSON text of :meth:`to_dict`: strict JSON, a figure that is not a finite number
        (distances overflowing on absurd coordinates) written as null; such a plan is also
        marked ``"feasible": false``, its evaluation saying why."""
        return json.dumps(_finite_or_null(self.to_dict()), indent=2, allow_nan=False)

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json() + "\n")


def _finite_or_null(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite_or_null(v) for v in value]
    return value


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
    if not np.isfinite(F).all():
        # plans whose figures overflowed cannot be weighed: pick among the others, if any
        ok = np.flatnonzero(np.isfinite(F).all(axis=1))
        return int(ok[choose_plan(F[ok], weights, method)]) if ok.size else 0
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


def _run(
    algorithm: str,
    problem: RoutingProblem,
    rng: np.random.Generator,
    term: Termination,
    population: int | None,
    callbacks: Callbacks,
) -> SearchResult:
    spec = algorithm_spec(algorithm)
    if spec.driver is None:
        raise ValueError(f"{algorithm} builds one plan and has no search to run")
    return spec.driver(problem, rng, population, term, callbacks)


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
    intensify: IntensifyParams | None = IntensifyParams(),
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
        Wall-clock budget in seconds for the whole call, in (0, 86400]: preparing the
        instance, loading (or, on first use, compiling) the numba kernels, the start plan,
        the search and evaluating the front. When the search cannot start or decode
        anything in time, the start plan is returned and ``fallback`` says why.
    iterations
        Iteration budget; with neither budget, the paper's 200 iterations.
    population
        Population (pack, swarm, colony) size; default 100.
    weights, choose
        How the plan to execute is picked (:func:`choose_plan`).
    ls_passes
        Local-search sweeps per decoded solution (0 disables local search).
    intensify
        The engine's archive-driven step between two updates of the population
        (:class:`optimizer.intensify.IntensifyParams`: by default a quarter of the
        population in educated children of archive members per iteration); None runs the
        algorithm alone, each plan improved by the decoder's local search only.
    callbacks
        Hooks called by the search (:class:`optimizer.search.Callbacks`).
    progress
        Shorthand for a callback receiving the fraction done after each iteration.
    """
    spec = algorithm_spec(algorithm)
    time_limit = check_time_limit(time_limit)
    t0 = time.perf_counter()
    deadline = Deadline.after(time_limit, t0)
    if not deadline.limited:
        KERNELS.settle()  # the kernels are called from this thread: not alongside the loading's
    built = construct(instance, deadline)
    if deadline.limited and spec.searches:
        # loads (or compiles) in the background while the (N, N) arrays are built; started
        # after the construction, whose many small steps would compete with it for the GIL
        KERNELS.start()
    start = _plan(instance, built.routes, compiled=_kernels_usable(instance, deadline))
    cut = None if built.completed else CUT_CONSTRUCTION
    if not spec.searches:
        return _single(instance, algorithm, seed, t0, start, cut)
    if cut is not None:
        return _single(instance, algorithm, seed, t0, start, cut)
    if iterations is None and time_limit is None:
        iterations = 200
    cb = _with_progress(callbacks or Callbacks(), progress)
    try:
        problem = RoutingProblem(instance, ls_passes=ls_passes, start=start.evaluation, deadline=deadline, intensify=intensify)
        if deadline.limited and not KERNELS.ready(deadline.remaining()):
            raise OutOfTime(NOT_COMPILED)
        problem.plan_seconds = _plan_seconds(instance, start, deadline)
        term = Termination(iterations, time_limit, start=t0, deadline=deadline)
        result = _run(algorithm, problem, np.random.default_rng(seed), term, population, cb)
    except OutOfTime as exc:
        return _single(instance, algorithm, seed, t0, start, f"time limit reached while {exc}; returned the start plan")
    if result.members is None:
        return _single(instance, algorithm, seed, t0, start, NOTHING_DECODED)
    front = front_from_result(instance, result, seed, weights, choose, time.perf_counter() - t0)
    if problem.cut_short and result.iterations == 0:
        # the limit cut the first population: the start plan competes with what was decoded
        front = _with_plan(front, start, weights, choose, CUT_FIRST_POPULATION)
    return replace(front, seconds=time.perf_counter() - t0)


#: Why a front is (or holds) the start plan (ParetoFront.fallback).
CUT_CONSTRUCTION = (
    "time limit reached while building the nearest-neighbour plan; the remaining customers were planned in due-date order"
)
NOT_COMPILED = "loading the numba kernels (compiling them on first use takes about 40 s)"
NOTHING_DECODED = "time limit reached before the search decoded a plan; returned the start plan"
CUT_FIRST_POPULATION = "time limit reached within the first population; the start plan is among the plans"
#: Margin on the measured time of one evaluation, when keeping time to evaluate the front.
RESERVE_MARGIN = 1.5


def _kernels_usable(instance: RoutingInstance, deadline: Deadline) -> bool:
    """Evaluate with the compiled kernels? Without a limit always (compiling if need be); under
    one only when they are loaded and the instance's arrays exist, so nothing waits on them."""
    return not deadline.limited or (KERNELS.ready() and instance.kernel_data_ready)


def _plan(instance: RoutingInstance, routes, compiled: bool) -> PlanSolution:
    return PlanSolution(tuple(routes), evaluate(instance, routes, compiled=compiled))


def _plan_seconds(instance: RoutingInstance, plan: PlanSolution, deadline: Deadline) -> float:
    """Seconds evaluating one plan of the final front will take (timed on the start plan,
    with a margin), so the search keeps that time free for every plan it adds."""
    if not deadline.limited:
        return 0.0
    t = time.perf_counter()
    evaluate(instance, plan.routes)
    return RESERVE_MARGIN * (time.perf_counter() - t)


def _single(instance: RoutingInstance, algorithm: str, seed: int, t0: float, plan: PlanSolution, why: str | None) -> ParetoFront:
    """A front of one plan: the greedy baseline, or the start plan a search fell back to."""
    return ParetoFront(instance, algorithm, seed, time.perf_counter() - t0, 0 if why else 1, 1, (plan,), 0, fallback=why)


def _with_plan(front: ParetoFront, plan: PlanSolution, weights: Weights, choose: str, why: str) -> ParetoFront:
    """The front with ``plan`` added where it is not dominated (feasible plans first, as the
    archive ranks them), sorted by cost, the plan to execute chosen again."""
    sols = list(front.solutions) + [plan]
    if any(s.evaluation.feasible for s in sols):
        sols = [s for s in sols if s.evaluation.feasible]
    F = np.array([s.objectives for s in sols])
    keep = non_dominated(F)
    sols = [s for s, k in zip(sols, keep) if k]
    sols.sort(key=lambda s: tuple(s.objectives))
    F = np.array([s.objectives for s in sols])
    chosen = choose_plan(F, weights, choose)  # type: ignore[arg-type]
    return replace(front, solutions=tuple(sols), chosen=chosen, fallback=why if any(s is plan for s in sols) else None)


def _with_progress(cb: Callbacks, progress: Callable[[float], None] | None) -> Callbacks:
    if progress is None:
        return cb
    inner = cb

    class _Progress(Callbacks):
        def on_start(self, a):
            inner.on_start(a)

        def on_iteration(self, it, frac, F):
            inner.on_iteration(it, frac, F)
            assert progress is not None  # returned above when None
            progress(frac)

        def on_end(self, r):
            inner.on_end(r)

    return _Progress()


def front_from_result(
    instance: RoutingInstance, result: SearchResult, seed: int, weights: Weights, choose: str, seconds: float
) -> ParetoFront:
    """Turn a search's final set into a ParetoFront of evaluated plans, sorted by cost."""
    m = result.members
    assert m is not None  # the caller falls back to the start plan when nothing was decoded
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
