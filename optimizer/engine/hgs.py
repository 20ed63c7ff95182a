"""A compact hybrid genetic search (Vidal 2012/2022) around the granular local search.

Population of giant tours; order crossover (OX); Split; education by the local search;
infeasible children repaired with tenfold penalties half of the time; feasible and
infeasible subpopulations ranked by biased fitness (cost rank plus diversity rank, the
diversity being the broken-pairs distance to the closest individuals); penalty weights
adapted so a target share of children is feasible. All randomness comes from the numpy
Generator passed in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import numpy as np

from . import local_search as ls
from .neighbourhood import granular_neighbours
from .objective import HARD, PEN_LOAD, PEN_TW, needs_exact_check
from .penalties import PenaltyManager
from .split import assign_slots, split_giant_tour

if TYPE_CHECKING:
    from ..instance import KernelData


@dataclass
class HGSParams:
    """Population sizes and rates (defaults after Vidal 2022, scaled for short runs)."""

    mu: int = 25
    lam: int = 40
    n_elite: int = 4
    n_close: int = 5
    repair_rate: float = 0.5
    n_initial: int = 25
    granular_k: int = 40
    swap_star: bool = True
    max_moves: int = 1_000_000


@dataclass
class Individual:
    routes: np.ndarray  # (R, width) slot routes, depot at both ends
    rlen: np.ndarray
    base: float  # objective without penalties
    overload: float
    timewarp: float
    succ: np.ndarray = field(repr=False)
    pred: np.ndarray = field(repr=False)
    fitness: float = 0.0

    @property
    def feasible(self) -> bool:
        return self.overload <= 1e-9 and self.timewarp <= 1e-9

    def cost(self, pm: PenaltyManager) -> float:
        return self.base + pm.load * self.overload + pm.tw * self.timewarp

    def giant_tour(self) -> np.ndarray:
        parts = [self.routes[r, 1 : 1 + self.rlen[r]] for r in range(self.rlen.size) if self.rlen[r]]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


class Engine:
    """The instance's arrays, neighbour lists and slots, shared by every step of a run."""

    def __init__(self, instance, obj0: np.ndarray, params: HGSParams):
        self.inst = instance
        self.kd: KernelData = instance.kernel_data
        self.params = params
        self.n = instance.n_customers
        self.obj0 = obj0.copy()  # objective weights, penalties zero
        self.exact = needs_exact_check(self.kd)
        self.neigh = granular_neighbours(self.kd, params.granular_k)
        self.xy = np.ascontiguousarray(np.stack([instance.x, instance.y], axis=1))
        self.slot_type = np.repeat(np.arange(len(instance.vehicle_types)), [v.count for v in instance.vehicle_types]).astype(
            np.int64
        )
        self.width = self.n + 2
        # what the local search needs beyond the routes, once per instance (O(N^2))
        self.ls_sym, self.ls_bits = ls.instance_context(self.neigh, self.kd.arcs)

    def obj(self, pm: PenaltyManager, factor: float = 1.0) -> np.ndarray:
        o = self.obj0.copy()
        o[PEN_LOAD] = pm.load * factor
        o[PEN_TW] = pm.tw * factor
        return o

    def from_tour(self, tour: np.ndarray, pm: PenaltyManager) -> tuple[np.ndarray, np.ndarray]:
        rstart = np.zeros(self.n + 1, dtype=np.int64)
        rtype = np.zeros(self.n, dtype=np.int64)
        nr = split_giant_tour(tour, self.obj(pm), self.kd.nodes, self.kd.arcs, self.kd.veh, self.kd.cfg, rstart, rtype)
        return assign_slots(tour, rstart, rtype, nr, self.slot_type, self.width)

    def educate(self, routes, rlen, pm: PenaltyManager, rng, factor: float = 1.0) -> None:
        order = (rng.permutation(self.n) + 1).astype(np.int64)
        ls.search_ctx(
            routes,
            rlen,
            self.slot_type,
            self.obj(pm, factor),
            self.exact,
            self.neigh,
            order,
            self.params.swap_star,
            self.xy,
            self.params.max_moves,
            *self.kd,
            self.ls_sym,
            self.ls_bits,
        )

    def individual(self, routes, rlen) -> Individual:
        vals = ls.penalised_values(routes, rlen, self.slot_type, self.obj0, self.exact, *self.kd)
        succ = np.zeros(self.n + 1, dtype=np.int64)
        pred = np.zeros(self.n + 1, dtype=np.int64)
        for r in range(rlen.size):
            m = rlen[r]
            if m:
                seq = routes[r, : m + 2]
                succ[seq[1:-1]] = seq[2:]
                pred[seq[1:-1]] = seq[:-2]
        return Individual(
            routes.copy(), rlen.copy(), float(vals[:, 0].sum()), float(vals[:, 1].sum()), float(vals[:, 2].sum()), succ, pred
        )


def broken_pairs(a: Individual, others_succ: np.ndarray, others_pred: np.ndarray) -> np.ndarray:
    """Share of customers whose neighbours in ``a`` are neither neighbour in each other
    solution (broken-pairs distance, Prins 2009), against a stack of others at once."""
    diff = (a.succ[None, 1:] != others_succ[:, 1:]) & (a.succ[None, 1:] != others_pred[:, 1:])
    return diff.mean(axis=1)


class SubPopulation:
    """Feasible or infeasible individuals with biased fitness and survivor selection; the
    pairwise distances are kept up to date as individuals come and go."""

    def __init__(self, params: HGSParams):
        self.params = params
        self.items: list[Individual] = []
        self.dist = np.zeros((0, 0))

    def add(self, ind: Individual, pm: PenaltyManager) -> None:
        if self.items:
            d = broken_pairs(ind, np.stack([x.succ for x in self.items]), np.stack([x.pred for x in self.items]))
        else:
            d = np.zeros(0)
        m = len(self.items)
        new = np.zeros((m + 1, m + 1))
        new[:m, :m] = self.dist
        new[m, :m] = d
        new[:m, m] = d
        self.dist = new
        self.items.append(ind)
        if len(self.items) > self.params.mu + self.params.lam:
            while len(self.items) > self.params.mu:
                self._remove_worst(pm)

    def update_fitness(self, pm: PenaltyManager) -> None:
        m = len(self.items)
        if m <= 1:
            for x in self.items:
                x.fitness = 0.0
            return
        costs = np.array([x.cost(pm) for x in self.items])
        d = self.dist + np.diag(np.full(m, np.inf))
        close = np.sort(d, axis=1)[:, : min(self.params.n_close, m - 1)].mean(axis=1)
        rc = np.empty(m)
        rc[np.argsort(costs, kind="stable")] = np.arange(m)
        rd = np.empty(m)
        rd[np.argsort(-close, kind="stable")] = np.arange(m)
        w = 1.0 - min(self.params.n_elite, m) / m
        fit = rc / (m - 1) + w * rd / (m - 1)
        for i, x in enumerate(self.items):
            x.fitness = float(fit[i])

    def _remove_worst(self, pm: PenaltyManager) -> None:
        self.update_fitness(pm)
        m = len(self.items)
        d = self.dist + np.diag(np.full(m, np.inf))
        clone = (d.min(axis=1) == 0.0).astype(float)
        # a clone goes first: it adds nothing to the population
        key = clone * 10.0 + np.array([x.fitness for x in self.items])
        worst = int(np.argmax(key))
        self.items.pop(worst)
        self.dist = np.delete(np.delete(self.dist, worst, axis=0), worst, axis=1)


def order_crossover(a: np.ndarray, b: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """OX: a random slice of parent a, the rest in parent b's order from after the slice."""
    n = a.size
    i, j = sorted(rng.choice(n + 1, size=2, replace=False))
    child = np.empty(n, dtype=np.int64)
    child[i:j] = a[i:j]
    taken = np.zeros(n + 1, dtype=bool)
    taken[a[i:j]] = True
    rest = np.roll(b, -j)
    rest = rest[~taken[rest]]
    pos = (np.arange(n - (j - i)) + j) % n
    child[pos] = rest
    return child


def hgs(
    instance,
    obj0: np.ndarray,
    *,
    rng: np.random.Generator,
    time_limit: float | None = None,
    iterations: int | None = None,
    params: HGSParams | None = None,
) -> Individual:
    """Run HGS until the time limit (seconds) or the iteration count; returns the best
    feasible individual found, or the least penalised one if none is feasible. The first
    individual is always built, so a time limit spent before the start still returns a plan."""
    if time_limit is None and iterations is None:
        raise ValueError("give a time_limit or an iteration count")
    if iterations is not None and iterations < 1:
        raise ValueError(f"iterations = {iterations}: HGS needs at least 1 (one individual is its smallest plan)")
    params = params or HGSParams()
    eng = Engine(instance, obj0, params)
    pm = PenaltyManager.initial(eng.kd, obj0, hard=obj0[HARD] > 0.5)
    feas, infeas = SubPopulation(params), SubPopulation(params)
    t0 = time.perf_counter()
    best: Individual | None = None
    best_any: Individual | None = None

    def done(it: int) -> bool:
        if iterations is not None and it >= iterations:
            return True
        return time_limit is not None and time.perf_counter() - t0 >= time_limit

    def insert(routes, rlen) -> None:
        nonlocal best, best_any
        ind = eng.individual(routes, rlen)
        pm.record(ind.overload <= 1e-9, ind.timewarp <= 1e-9)
        (feas if ind.feasible else infeas).add(ind, pm)
        if ind.feasible and (best is None or ind.base < best.base - 1e-9):
            best = ind
        if best_any is None or ind.cost(pm) < best_any.cost(pm):
            best_any = ind
        if not ind.feasible and rng.random() < params.repair_rate:
            r2, l2 = ind.routes.copy(), ind.rlen.copy()
            eng.educate(r2, l2, pm, rng, factor=10.0)
            rep = eng.individual(r2, l2)
            if rep.feasible:
                feas.add(rep, pm)
                if best is None or rep.base < best.base - 1e-9:
                    best = rep

    it = 0
    n_init = max(1, params.n_initial)  # the crossover needs a parent
    while it < n_init and (it == 0 or not done(it)):
        tour = (rng.permutation(eng.n) + 1).astype(np.int64)
        routes, rlen = eng.from_tour(tour, pm)
        eng.educate(routes, rlen, pm, rng)
        insert(routes, rlen)
        it += 1
        if it % 100 == 0:
            pm.adapt()
    while not done(it):
        feas.update_fitness(pm)
        infeas.update_fitness(pm)
        pool = feas.items + infeas.items
        pa = _tournament(pool, rng)
        pb = _tournament(pool, rng)
        child = order_crossover(pa.giant_tour(), pb.giant_tour(), rng)
        routes, rlen = eng.from_tour(child, pm)
        eng.educate(routes, rlen, pm, rng)
        insert(routes, rlen)
        it += 1
        if it % 100 == 0:
            pm.adapt()
    if best is None and best_any is not None:
        # no feasible child within the budget: repair the least penalised one with
        # escalating penalties (a short run starts with weights the adaptation never raised)
        for factor in (10.0, 100.0, 1e3, 1e4, 1e5):
            r2, l2 = best_any.routes.copy(), best_any.rlen.copy()
            eng.educate(r2, l2, pm, rng, factor=factor)
            rep = eng.individual(r2, l2)
            if rep.feasible:
                best = rep
                break
    result = cast(Individual, best if best is not None else best_any)  # the first individual is always built
    result.fitness = float(it)  # iterations done, for reports
    return result


def _tournament(pool: list[Individual], rng: np.random.Generator) -> Individual:
    a = pool[int(rng.integers(len(pool)))]
    b = pool[int(rng.integers(len(pool)))]
    return a if a.fitness <= b.fitness else b
