"""Plumbing shared by the search algorithms: stopping rule, callbacks, result record."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .deadline import Deadline, check_time_limit
from .problem import Batch


class Termination:
    """Stop after ``iterations`` iterations or ``time_limit`` seconds, whichever comes first.

    ``progress()`` is the fraction done in [0, 1] (the larger of the two fractions), which
    drives a progress bar directly. With a time limit and no iteration count the iteration
    budget is unbounded, and MOGWO's ``a`` schedule runs on elapsed time instead.

    ``start`` is when the clock started (default: now; :func:`optimizer.solve` passes its own
    start, so construction counts against the limit) and ``deadline`` when the search must
    be done (default: ``start + time_limit``).
    """

    def __init__(
        self,
        iterations: int | None,
        time_limit: float | None,
        *,
        start: float | None = None,
        deadline: Deadline | None = None,
    ) -> None:
        if iterations is None and time_limit is None:
            raise ValueError("give an iteration count, a time limit, or both")
        if iterations is not None and iterations < 1:
            raise ValueError(f"iterations must be >= 1, got {iterations}")
        self.iterations = iterations
        self.time_limit = check_time_limit(time_limit)
        self.start = time.perf_counter() if start is None else start
        self.deadline = deadline if deadline is not None else Deadline.after(self.time_limit, self.start)
        self.done = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def time_fraction(self) -> float:
        """Share of the time from start to the deadline used so far (0 without a time limit)."""
        if not self.deadline.limited:
            return 0.0
        assert self.deadline.at is not None  # limited
        span = self.deadline.at - self.start
        return 1.0 if span <= 0 else self.elapsed() / span

    def progress(self) -> float:
        f = 0.0
        if self.iterations is not None:
            f = max(f, self.done / self.iterations)
        f = max(f, self.time_fraction())
        return min(f, 1.0)

    def has_next(self) -> bool:
        return self.progress() < 1.0

    def step(self) -> None:
        self.done += 1


class Callbacks:
    """No-op hooks; subclass to observe a search (progress bars, logging the front)."""

    def on_start(self, algorithm: str) -> None:
        pass

    def on_iteration(self, iteration: int, progress: float, front: np.ndarray) -> None:
        pass

    def on_end(self, result: SearchResult) -> None:
        pass


@dataclass
class SearchResult:
    """What an algorithm returns: its final non-dominated set and how it got there."""

    algorithm: str
    members: Batch | None  # None when the deadline cut the first population before its first row
    iterations: int
    evaluations: int
    seconds: float
    history: list[tuple[int, float, int, float, float, float]] = field(default_factory=list)
    """Per iteration: (iteration, seconds, archive size, min cost, min kg CO2, min penalty)."""


def record(history: list, it: int, term: Termination, F: np.ndarray) -> None:
    mins = F.min(axis=0) if len(F) else np.full(3, np.nan)
    history.append((it, term.elapsed(), len(F), float(mins[0]), float(mins[1]), float(mins[2])))


class SearchRun:
    """The bookkeeping every algorithm shares: budget, hooks, per-slot weights, archive, history.

    Each search agent (wolf, individual, particle, ant) has a fixed weight vector steering
    its local search (:func:`optimizer.problem.simplex_weights`), and every decoded batch
    goes into one external archive, so all algorithms report the same way.
    """

    def __init__(
        self,
        name: str,
        problem,
        rng: np.random.Generator,
        population: int,
        term: Termination | None,
        callbacks: Callbacks | None,
        archive_params=None,
        default_iterations: int = 200,
    ) -> None:
        from .archive import Archive, ArchiveParams
        from .problem import simplex_weights

        if population < 2:
            raise ValueError(f"population must be >= 2, got {population}")
        self.name = name
        self.problem = problem
        self.callbacks = callbacks or Callbacks()
        self.term = term or Termination(default_iterations, None)
        problem.cut_short = False  # a problem may serve several runs; each has its own deadline
        self.callbacks.on_start(name)
        self.weights = simplex_weights(rng, population, problem.hard > 0)
        self.archive = Archive(archive_params or ArchiveParams(), rng)
        self.deadline = self.term.deadline
        self.history: list = []
        self.iteration = 0
        self.intensifier = None
        if getattr(problem, "intensify", None) is not None:
            from .intensify import Intensifier

            self.intensifier = Intensifier(problem, self.weights, problem.intensify, rng)

    def intensify(self) -> None:
        """The engine's step between two updates (:mod:`optimizer.intensify`), when the
        problem asks for one: children of archive members, educated, into the archive."""
        if self.intensifier is None or self.problem.cut_short:
            return
        batch = self.intensifier.step(self.archive, self.deadline)
        if batch is not None:
            self.archive.update(batch)

    def started(self) -> None:
        """After the initial population: the engine's step, then record the state."""
        self.intensify()
        record(self.history, 0, self.term, self.archive.F)

    def next_iteration(self) -> bool:
        """True while the budget allows another iteration (whose number is then ``iteration``);
        False too once the deadline has cut a decoded batch short."""
        if self.problem.cut_short or not self.term.has_next():
            return False
        self.iteration += 1
        return True

    def iteration_done(self) -> None:
        self.intensify()
        record(self.history, self.iteration, self.term, self.archive.F)
        self.term.step()
        self.callbacks.on_iteration(self.iteration, self.term.progress(), self.archive.F)

    def finish(self) -> SearchResult:
        result = SearchResult(
            self.name, self.archive.members, self.iteration, self.problem.evaluations, self.term.elapsed(), self.history
        )
        self.callbacks.on_end(result)
        return result
