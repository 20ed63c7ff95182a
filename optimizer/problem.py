"""What every search algorithm shares: keys -> routes decoding, local search, scaling, results.

The decoder chain (DOMAIN.md 1.3) is continuous keys -> permutation (random keys, Bean
1994) -> giant tour -> Split (Prins 2004, bounded fleet, best vehicle type per route) ->
local search -> canonical routes, with the improved order written back into the keys.
MOGWO, NSGA-II, MOPSO and MOACO all go through this one decoder, so a comparison between
them measures the search strategy and nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from . import kernels
from .greedy import nearest_neighbour
from .instance import RoutingInstance
from .solution import Route, evaluate, flat_to_routes

#: Column order of an objective record: the three objectives, then diagnostics.
OBJ_COST, OBJ_EMIS, OBJ_PEN, OBJ_DIST, OBJ_OVERLOAD, OBJ_LATE, OBJ_FLEET = range(7)


@dataclass
class Batch:
    """Decoded solutions of a population, in the kernels' flat form."""

    keys: np.ndarray  # (P, n) written-back keys
    tours: np.ndarray  # (P, n)
    rstarts: np.ndarray  # (P, n + 2)
    rtypes: np.ndarray  # (P, n + 1)
    nrs: np.ndarray  # (P,)
    records: np.ndarray  # (P, 7) totals, see OBJ_*

    @property
    def F(self) -> np.ndarray:
        """Objectives (C, E, T) per row."""
        return self.records[:, :3]

    @property
    def violation(self) -> np.ndarray:
        """Constraint violation per row (0 when feasible): overload, hard lateness, fleet excess."""
        return self.records[:, OBJ_OVERLOAD] + self.records[:, OBJ_LATE] * self.hard + self.records[:, OBJ_FLEET]

    hard: float = 1.0

    def routes(self, i: int) -> list[Route]:
        return flat_to_routes(self.tours[i], self.rstarts[i], self.rtypes[i], int(self.nrs[i]))

    def take(self, idx: np.ndarray) -> "Batch":
        return Batch(
            self.keys[idx], self.tours[idx], self.rstarts[idx], self.rtypes[idx], self.nrs[idx], self.records[idx], self.hard
        )


def concat(a: Batch | None, b: Batch) -> Batch:
    if a is None:
        return b
    return Batch(
        *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in ("keys", "tours", "rstarts", "rtypes", "nrs", "records")),
        hard=b.hard,
    )


def neighbour_lists(instance: RoutingInstance, size: int) -> np.ndarray:
    """For each customer, its ``size`` nearest customers, weighting in time-window compatibility.

    The proximity of v to u is the road distance plus the waiting or lateness that a vehicle
    going from u to v would incur (the time-window term of Vidal et al.'s granular
    neighbourhoods, 2013), so customers close in space but far in time rank lower.
    """
    n1 = instance.n_customers + 1
    size = max(1, min(size, n1 - 2))
    kd = instance.kernel_data
    d = instance.distance
    ready, due, serv = instance.ready, instance.due, instance.service
    arrive = ready[:, None] + serv[:, None] + kd.arcs[1]
    wait = np.maximum(ready[None, :] - (due[:, None] + serv[:, None] + kd.arcs[1]), 0.0)
    late = np.maximum(arrive - due[None, :], 0.0)
    prox = d + 0.2 * wait + 1.0 * late
    np.fill_diagonal(prox, np.inf)
    prox[:, 0] = np.inf
    out = np.zeros((n1, size), dtype=np.int64)
    out[1:] = np.argsort(prox[1:], axis=1, kind="stable")[:, :size]
    return out


class RoutingProblem:
    """An instance prepared for search: kernel arrays, neighbour lists and objective scales.

    Parameters
    ----------
    instance
        The routing instance.
    granularity
        Neighbour-list length for local search.
    ls_passes
        Maximum local-search sweeps per decoded solution (0 turns local search off).
    """

    def __init__(self, instance: RoutingInstance, *, granularity: int = 20, ls_passes: int = 50) -> None:
        self.instance = instance
        self.n = instance.n_customers
        self.kd = instance.kernel_data
        self.neigh = neighbour_lists(instance, granularity)
        self.xy = np.ascontiguousarray(np.stack([instance.x, instance.y], axis=1))
        self.max_routes = instance.fleet_size
        self.ls_passes = ls_passes
        self.hard = 1.0 if instance.penalty.hard_windows else 0.0
        self.evaluations = 0
        greedy = evaluate(instance, nearest_neighbour(instance))
        self.greedy = greedy
        # Objective scales so that scalarising weights mean "share of a typical value".
        c = max(greedy.cost, 1e-9)
        e = max(greedy.emissions_kg, 1e-9)
        t = max(greedy.penalty, 0.05 * c, 1e-9)
        self.scale = np.array([c, e, t])

    def weights(self, w: np.ndarray) -> np.ndarray:
        """Weights on the simplex -> kernel weights on raw objectives."""
        return np.ascontiguousarray(np.atleast_2d(w) / self.scale)

    def _alloc(self, P: int) -> tuple[np.ndarray, ...]:
        n = self.n
        return (
            np.zeros((P, n), dtype=np.int64),
            np.zeros((P, n + 2), dtype=np.int64),
            np.zeros((P, n + 1), dtype=np.int64),
            np.zeros(P, dtype=np.int64),
            np.zeros((P, 7)),
            np.zeros((P, n)),
        )

    def decode(
        self, keys: np.ndarray, w: np.ndarray, ls_passes: int | None = None, deadline: float | None = None
    ) -> Batch:
        """Decode and improve a population of key vectors with per-row simplex weights.

        With a ``deadline`` (a ``time.perf_counter()`` value) the rows are decoded in chunks
        and decoding stops after the chunk that passes it, so a wall-clock limit is kept to
        within one chunk; the returned batch then holds only the first rows.
        """
        keys = np.ascontiguousarray(keys, dtype=np.float64)
        P = keys.shape[0]
        tours, rstarts, rtypes, nrs, recs, kout = self._alloc(P)
        kw = self.weights(w)
        passes = self.ls_passes if ls_passes is None else ls_passes
        chunk = P if deadline is None else max(4, P // 10)
        done = 0
        while done < P:
            sl = slice(done, min(P, done + chunk))
            kernels.decode_batch(
                keys[sl], kw[sl], self.max_routes, passes, self.neigh, self.xy, *self.kd,
                tours[sl], rstarts[sl], rtypes[sl], nrs[sl], recs[sl], kout[sl],
            )
            done = sl.stop
            if deadline is not None and time.perf_counter() > deadline:
                break
        self.evaluations += done
        b = Batch(kout, tours, rstarts, rtypes, nrs, recs, self.hard)
        return b if done == P else b.take(np.arange(done))


#: Dirichlet concentration of the search directions over (C, E, T): half as many wolves lean
#: on the penalty as on cost or emissions, since plans that minimise waiting alone at any
#: distance are rarely the ones a dispatcher picks; the front still spans all three.
PREFERENCE = np.array([1.0, 1.0, 0.5])


def simplex_weights(rng: np.random.Generator, P: int, hard: bool) -> np.ndarray:
    """P weight vectors on the (C, E, T) simplex, drawn from Dirichlet(PREFERENCE).

    With soft windows every vector keeps at least 0.1 on the penalty, so no search
    direction treats lateness as free.
    """
    w = rng.dirichlet(PREFERENCE, size=P)
    if not hard:
        pen = np.maximum(w[:, 2], 0.1)
        rest = w[:, :2].sum(axis=1)
        w[:, :2] *= ((1.0 - pen) / np.where(rest > 0, rest, 1.0))[:, None]
        w[:, 2] = pen
    return w
