"""Archive-driven iterated search between the updates of a population algorithm.

MOGWO (and NSGA-II, MOPSO, MOACO) move their population by the paper's rules and decode
every member; between two updates, this step spends a small budget on the engine
(:mod:`optimizer.engine`): ``children`` new plans, each made by crossing two archive
members and educating the child with the granular local search of the engine, steered by
one search direction. The children enter the external archive, where the next update picks
its leaders, so the pack follows what the engine found. This is what the issue calls an
archive-driven iterated search; the pack itself keeps the decoder's own local search.

For each child (all choices drawn from the run's one generator):

- a direction on the (C, E, T) simplex: with probability ``extreme_share`` a single
  objective (cost and CO2 in turn; the ends of the front are what an analyst compares
  with single-objective references), else one of the pack's own weight vectors;
- parent A: the archive member best on that direction (objectives min-max normalised over
  the archive); parent B: the better, on that direction, of two other members drawn at
  random (a random giant tour while the archive has one member);
- order crossover (OX) of their giant tours, penalised Split into the fleet's vehicle
  slots, granular local search (relocate, swap, 2-opt, 2-opt*, SWAP*, type moves) with
  penalties on excess load and time warp; an infeasible result is searched again at ten
  times the penalties (repair), and the penalty weights adapt so that about 43 % of the
  children are feasible before repair (Vidal et al. 2012).

The step is deterministic for a given generator state and iteration count (the count of
children is a share of the population, not of the time), so the same seed and iteration
budget still give the same front.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .deadline import Deadline
from .problem import SAFETY, Batch, RoutingProblem, kernels_threads


@dataclass(frozen=True)
class IntensifyParams:
    """How much engine search runs between two population updates, and how."""

    children: float = 0.25
    """Children per iteration, as a share of the population (at least one)."""
    extreme_share: float = 0.34
    """Share of the children steered by a single objective (cost and CO2 in turn)."""
    granular_k: int = 20
    """Neighbours per customer the engine's moves pair it with."""
    swap_star: bool = True
    repair: bool = True
    max_moves: int = 1_000_000

    def __post_init__(self) -> None:
        if not self.children > 0:
            raise ValueError(f"intensify children must be > 0, got {self.children}")
        if not 0.0 <= self.extreme_share <= 1.0:
            raise ValueError(f"extreme_share must be in [0, 1], got {self.extreme_share}")
        if self.granular_k < 1:
            raise ValueError(f"granular_k must be >= 1, got {self.granular_k}")


#: Penalty factor of the repair search (HGS's).
REPAIR_FACTOR = 10.0
#: Parent B is drawn among this many archive members next best to A on the child's direction
#: (plans near each other on the front share most of their structure, so OX of the two
#: keeps good routes: the archive plays the part of HGS's population around that direction).
NEAR = 4
#: Children recorded before the penalty weights are adapted.
ADAPT_EVERY = 50
#: Until a wave of children is measured, its time is guessed as this many times a wave of
#: the decoder's full local search (measured: the engine from a crossover child takes 1-4x).
FIRST_GUESS = 4.0


class Intensifier:
    """The engine step of one search run (see the module docstring)."""

    def __init__(self, problem: RoutingProblem, weights: np.ndarray, params: IntensifyParams, rng: np.random.Generator):
        from .engine.neighbourhood import granular_neighbours
        from .engine.objective import HARD, NOBJ, PEN_LOAD, PEN_TW, W_COST, W_EMIS, W_PEN, needs_exact_check
        from .engine.penalties import PenaltyManager

        self.problem = problem
        self.params = params
        self.rng = rng
        kd = problem.kd
        inst = problem.instance
        self.kd = kd
        self.hard = problem.hard > 0
        self.exact = needs_exact_check(kd)
        self.neigh = granular_neighbours(kd, params.granular_k)
        self._ctx: tuple[np.ndarray, np.ndarray] | None = None  # the search context, built on first use
        self.slot_type = np.repeat(np.arange(len(inst.vehicle_types)), [v.count for v in inst.vehicle_types]).astype(np.int64)
        #: the pack's directions, then pure cost and pure CO2
        self.directions = np.vstack([weights, [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        raw = problem.weights(self.directions)
        D = len(self.directions)
        objs = np.zeros((D, NOBJ))
        objs[:, W_COST] = raw[:, 0]
        objs[:, W_EMIS] = raw[:, 1]
        objs[:, W_PEN] = raw[:, 2]
        objs[:, HARD] = 1.0 if self.hard else 0.0
        base = np.zeros((D, 2))
        for d in range(D):
            pm = PenaltyManager.initial(kd, objs[d], hard=self.hard)
            base[d] = pm.load, pm.tw
        self._objs, self._base = objs, base
        self._pen = (PEN_LOAD, PEN_TW)
        # multipliers on each direction's starting penalties, adapted on the children's record
        self.penalties = PenaltyManager(load=1.0, tw=1.0 if self.hard else 0.0)
        self._wave_seconds: float | None = None
        self.children_made = 0

    def context(self) -> tuple[np.ndarray, np.ndarray]:
        """The local search's per-instance context (symmetric arcs, neighbour bits), O(N^2)
        to build, so built once for all the run's children."""
        if self._ctx is None:
            from .engine.local_search import instance_context

            self._ctx = instance_context(self.neigh, self.kd.arcs)
        return self._ctx

    def count(self, population: int) -> int:
        return max(1, int(round(self.params.children * population)))

    def _objectives(self, dirs: np.ndarray, factor: float) -> np.ndarray:
        o = self._objs[dirs].copy()
        pl, pt = self._pen
        o[:, pl] = self._base[dirs, 0] * self.penalties.load * factor
        o[:, pt] = self._base[dirs, 1] * self.penalties.tw * factor
        return o

    def _parents(self, F: np.ndarray, tours: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        from .engine.hgs import order_crossover

        m, n = tours.shape
        lo, hi = F.min(axis=0), F.max(axis=0)
        N = (F - lo) / np.where(hi > lo, hi - lo, 1.0)
        children = np.empty((len(dirs), n), dtype=np.int64)
        for c, d in enumerate(dirs):
            score = N @ self.directions[d]
            a = int(np.argmin(score))
            if m == 1:
                other = (self.rng.permutation(n) + 1).astype(np.int64)
            else:
                ranked = np.argsort(score, kind="stable")[1 : 1 + NEAR]
                other = tours[int(ranked[self.rng.integers(ranked.size)])]
            children[c] = order_crossover(tours[a], other, self.rng)
        return children

    def step(self, archive, deadline: Deadline) -> Batch | None:
        """Make and educate this iteration's children from ``archive``; None when the
        archive is empty or the deadline leaves no time for them."""
        members = archive.members
        if members is None or len(members.keys) == 0:
            return None
        problem = self.problem
        P = len(self.directions) - 2
        count = self.count(P)
        threads = max(1, kernels_threads())
        waves = -(-count // threads)
        if deadline.limited:
            per_wave = self._wave_seconds
            if per_wave is None:
                known = problem._estimate(problem.ls_passes)
                if known is None:
                    return None
                per_wave = FIRST_GUESS * known
            if not problem._fits(SAFETY * per_wave * waves, count, deadline):
                # fewer children, whatever fits; none if not even one wave does
                waves = int(max(0.0, deadline.remaining()) / (SAFETY * per_wave)) // 2
                count = min(count, waves * threads)
                if count == 0 or not problem._fits(SAFETY * per_wave * waves, count, deadline):
                    return None
        extreme = self.rng.random(count) < self.params.extreme_share
        dirs = np.where(extreme, P + (np.arange(count) % 2), self.rng.integers(P, size=count))
        tours_in = self._parents(members.F, members.tours, dirs)
        n = problem.n
        orders = np.stack([(self.rng.permutation(n) + 1).astype(np.int64) for _ in range(count)])
        objs = self._objectives(dirs, 1.0)
        repair_objs = self._objectives(dirs, REPAIR_FACTOR)
        # the decoder's output arrays, and per child whether it was feasible before its repair
        out = (*problem._alloc(count), np.zeros((count, 2), dtype=np.bool_))
        from .engine.educate import educate_batch

        kd = self.kd
        t0 = time.perf_counter()
        educate_batch(
            tours_in,
            objs,
            repair_objs,
            self.params.repair,
            self.slot_type,
            self.exact,
            self.neigh,
            orders,
            self.params.swap_star,
            problem.xy,
            self.params.max_moves,
            *kd,
            *self.context(),
            *out,
        )
        measured = (time.perf_counter() - t0) / (-(-count // threads))
        old = self._wave_seconds if self._wave_seconds is not None else measured
        self._wave_seconds = max(measured, 0.5 * (old + measured))
        problem.evaluations += count
        self.children_made += count
        for load_ok, time_ok in out[6]:
            self.penalties.record(bool(load_ok), bool(time_ok))
        if len(self.penalties._load_ok) >= ADAPT_EVERY:
            self.penalties.adapt()
        tours, rstarts, rtypes, nrs, records, keys = out[:6]
        return Batch(keys, tours, rstarts, rtypes, nrs, records, problem.hard)
