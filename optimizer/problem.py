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

from .deadline import Deadline
from .greedy import nearest_neighbour
from .instance import ROW_BLOCK_CELLS, RoutingInstance
from .solution import Evaluation, Route, evaluate, flat_to_routes

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

    def take(self, idx: np.ndarray) -> Batch:
        return Batch(
            self.keys[idx], self.tours[idx], self.rstarts[idx], self.rtypes[idx], self.nrs[idx], self.records[idx], self.hard
        )


def concat(a: Batch | None, b: Batch) -> Batch:
    if a is None:
        return b
    keys, tours, rstarts, rtypes, nrs, records = (
        np.concatenate([getattr(a, f), getattr(b, f)]) for f in ("keys", "tours", "rstarts", "rtypes", "nrs", "records")
    )
    return Batch(keys, tours, rstarts, rtypes, nrs, records, hard=b.hard)


def neighbour_lists(instance: RoutingInstance, size: int, deadline: Deadline | None = None) -> np.ndarray:
    """For each customer, its ``size`` nearest customers, weighting in time-window compatibility.

    The proximity of v to u is the road distance plus the waiting or lateness that a vehicle
    going from u to v would incur (the time-window term of Vidal et al.'s granular
    neighbourhoods, 2013), so customers close in space but far in time rank lower. Ties go to
    the lower index. Built by row blocks (a partial sort each), checking ``deadline`` between
    blocks (:class:`optimizer.deadline.OutOfTime` once it has passed).
    """
    deadline = deadline or Deadline(None)
    n1 = instance.n_customers + 1
    size = max(1, min(size, n1 - 2))
    kd = instance.kernel_data
    ready, due, serv = instance.ready, instance.due, instance.service
    out = np.zeros((n1, size), dtype=np.int64)
    step = max(1, ROW_BLOCK_CELLS // n1)
    for lo in range(1, n1, step):
        deadline.check("building the neighbour lists")
        hi = min(n1, lo + step)
        tt = kd.arcs[1, lo:hi]
        arrive = ready[lo:hi, None] + serv[lo:hi, None] + tt
        wait = np.maximum(ready[None, :] - (due[lo:hi, None] + serv[lo:hi, None] + tt), 0.0)
        late = np.maximum(arrive - due[None, :], 0.0)
        prox = kd.arcs[0, lo:hi] + 0.2 * wait + 1.0 * late
        prox[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        prox[:, 0] = np.inf
        out[lo:hi] = _smallest(prox, size)
    return out


def _smallest(prox: np.ndarray, size: int) -> np.ndarray:
    """Per row, the indices of the ``size`` smallest values in increasing order, ties to the
    lower index: what a stable argsort's first ``size`` columns are, in O(N) per row."""
    if size >= prox.shape[1]:
        return np.argsort(prox, axis=1, kind="stable")[:, :size]
    kth = np.partition(prox, size - 1, axis=1)[:, size - 1 : size]
    below = prox < kth
    picked = np.empty((prox.shape[0], size), dtype=np.int64)
    for r in range(prox.shape[0]):
        # all values below the size-th smallest, then the lowest indices among those equal to it
        idx = np.concatenate([np.flatnonzero(below[r]), np.flatnonzero(prox[r] == kth[r, 0])])[:size]
        picked[r] = idx[np.argsort(prox[r, idx], kind="stable")]
    return picked


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
    start
        The evaluated nearest-neighbour plan, when the caller has it already (it sets the
        objective scales); computed here otherwise.
    deadline
        Raise :class:`optimizer.deadline.OutOfTime` if preparing the (N, N) arrays cannot
        finish by then (about a second at 5,000 customers).
    intensify
        The engine's archive-driven step between two population updates
        (:class:`optimizer.intensify.IntensifyParams`); None turns it off.
    """

    def __init__(
        self,
        instance: RoutingInstance,
        *,
        granularity: int = 20,
        ls_passes: int = 50,
        start: Evaluation | None = None,
        deadline: Deadline | None = None,
        intensify=None,
    ) -> None:
        self.instance = instance
        self.intensify = intensify
        self.n = instance.n_customers
        t0 = time.perf_counter()
        self.kd = instance.prepare_kernel_data(deadline)
        #: Seconds building the four (N, N) arc arrays took here (0 if the instance had them):
        #: what another few (N, N) arrays will cost, for an algorithm that needs them.
        self.prep_seconds = time.perf_counter() - t0
        self.neigh = neighbour_lists(instance, granularity, deadline)
        self.xy = np.ascontiguousarray(np.stack([instance.x, instance.y], axis=1))
        # a plan never has more routes than customers, whatever the fleet says (the kernels
        # size their route tables by this bound)
        self.max_routes = min(instance.fleet_size, self.n)
        self.ls_passes = ls_passes
        self.hard = 1.0 if instance.penalty.hard_windows else 0.0
        self.evaluations = 0
        self.cut_short = False
        #: Seconds to evaluate one final plan (set by the caller under a deadline): the time a
        #: decoded row will cost at the end, kept free before a chunk is started.
        self.plan_seconds = 0.0
        self._wave_seconds: dict[int, float] = {}
        greedy = start if start is not None else evaluate(instance, nearest_neighbour(instance))
        self.greedy = greedy
        # Objective scales so that scalarising weights mean "share of a typical value".
        c = max(greedy.cost, 1e-9)
        e = max(greedy.emissions_kg, 1e-9)
        t = max(greedy.penalty, 0.05 * c, 1e-9)
        self.scale = np.array([c, e, t])

    def weights(self, w: np.ndarray) -> np.ndarray:
        """Weights on the simplex -> kernel weights on raw objectives."""
        return np.ascontiguousarray(np.atleast_2d(w) / self.scale)

    def _alloc(self, P: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """tours, rstarts, rtypes, nrs, records, keys: the columns of a Batch (keys last)."""
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
        self,
        keys: np.ndarray,
        w: np.ndarray,
        ls_passes: int | None = None,
        deadline: Deadline | float | None = None,
    ) -> Batch:
        """Decode and improve a population of key vectors with per-row simplex weights.

        With a ``deadline`` (a :class:`~optimizer.deadline.Deadline`, or a
        ``time.perf_counter()`` value) rows are decoded in chunks, and a chunk starts only when
        the time measured so far per row says it ends before the deadline: a compiled kernel
        cannot be interrupted, so this is how a limit is kept. With nothing measured yet, a
        row is first decoded by Split alone (milliseconds), and from it the cost of a
        local-search sweep and of the full sweeps is bounded (:meth:`_estimate`); what is not
        expected to fit is measured on a wave at one sweep before, or instead of, the full
        sweeps, and when nothing more fits the rows so probed are returned as they are. The
        returned batch then holds only the rows decoded, in order, and ``cut_short`` is set.
        """
        if not isinstance(deadline, Deadline):
            deadline = Deadline(deadline)
        keys = np.ascontiguousarray(keys, dtype=np.float64)
        P = keys.shape[0]
        out = self._alloc(P)
        kw = self.weights(w)
        passes = self.ls_passes if ls_passes is None else ls_passes
        if not deadline.limited:
            self._decode_rows(keys, kw, passes, out, 0, P)
            return Batch(out[5], *out[:5], self.hard)
        threads = max(1, kernels_threads())
        done = probed = 0
        while done < P:
            rows = self._rows_that_fit(P - done, passes, threads, deadline)
            if rows:
                self._decode_rows(keys, kw, passes, out, done, done + rows, threads)
                done += rows
                probed = 0
                continue
            # the full sweeps do not fit as far as is known: measure a cheaper level first
            level = next((lv for lv in (0, 1) if lv < passes and lv not in self._wave_seconds), None)
            rows = 1 if level == 0 else min(threads, P - done)
            if level is None or not self._fits(SAFETY * (self._estimate(level) or 0.0), rows, deadline):
                break
            probed = rows
            self._decode_rows(keys, kw, level, out, done, done + probed, threads)
        # rows probed at a lower level than asked are kept when nothing better fits
        done += probed
        if done < P:
            self.cut_short = True
        b = Batch(out[5], *out[:5], self.hard)
        return b if done == P else b.take(np.arange(done))

    def _estimate(self, passes: int) -> float | None:
        """Expected seconds per wave (``threads`` rows side by side) at ``passes`` sweeps: as
        measured in this run, else extrapolated from a cheaper level measured (Split alone x
        SPLIT_TO_SWEEP for one sweep, one sweep x PROBE_FACTOR for the full ones); None when
        nothing is measured (Split alone is then taken as free: it is the first probe)."""
        known = self._wave_seconds
        if passes in known:
            return known[passes]
        if passes == 0:
            return 0.0
        if 1 in known:
            return known[1] * min(passes, PROBE_FACTOR)
        if 0 in known:
            return known[0] * SPLIT_TO_SWEEP * min(passes, PROBE_FACTOR)
        return None

    def _rows_that_fit(self, left: int, passes: int, threads: int, deadline: Deadline) -> int:
        """How many rows to decode next: waves of ``threads`` rows, each expected to take
        :meth:`_estimate` seconds, together at most half the time left (so a misjudged chunk
        costs little); 0 when not even one wave is expected to end in time."""
        per_wave = self._estimate(passes)
        if per_wave is None:
            return 0
        if not self._fits(per_wave * SAFETY, min(left, threads), deadline):
            return 0
        if per_wave <= 0:
            return left
        remaining = deadline.remaining() - min(ARCHIVE_CAP, self.evaluations + left) * self.plan_seconds
        waves = max(1, int(0.5 * remaining / per_wave))
        return min(left, waves * threads)

    def _fits(self, seconds: float, rows: int, deadline: Deadline) -> bool:
        """Whether decoding ``rows`` more rows in ``seconds`` leaves time to evaluate every plan
        the archive may then hold."""
        members = min(ARCHIVE_CAP, self.evaluations + rows)
        return deadline.fits(seconds + members * self.plan_seconds)

    def _decode_rows(self, keys, kw, passes: int, out: tuple, lo: int, hi: int, threads: int = 0) -> float:
        """Decode rows lo..hi into ``out`` and return the seconds taken; given the thread count,
        also update the seconds per wave measured for ``passes`` sweeps."""
        # numba loads here (or in optimizer.warmup's thread), not when optimizer is imported
        from . import kernels

        tours, rstarts, rtypes, nrs, recs, kout = out
        sl = slice(lo, hi)
        t0 = time.perf_counter()
        kernels.decode_batch(
            keys[sl],
            kw[sl],
            self.max_routes,
            passes,
            self.neigh,
            self.xy,
            *self.kd,
            tours[sl],
            rstarts[sl],
            rtypes[sl],
            nrs[sl],
            recs[sl],
            kout[sl],
        )
        seconds = time.perf_counter() - t0
        self.evaluations += hi - lo
        if threads:
            measured = seconds / -(-(hi - lo) // threads)
            old = self._wave_seconds.get(passes, measured)
            # lean to the slower of the two: an underestimate is what breaks a limit
            self._wave_seconds[passes] = max(measured, 0.5 * (old + measured))
        return seconds


def kernels_threads() -> int:
    """Threads numba decodes a batch with (rows decoded side by side)."""
    import numba

    return numba.get_num_threads()


#: Full local search takes at most this many times one sweep (measured: 3-5 times, at 100 to
#: 5,000 customers, as later sweeps revisit only what changed).
PROBE_FACTOR = 6
#: One local-search sweep takes at most this many times Split alone (measured: 10-30 times).
SPLIT_TO_SWEEP = 40
#: Margin on a predicted chunk time before it is started.
SAFETY = 1.25
#: Most plans a search's archive holds (ArchiveParams' default), each evaluated at the end.
ARCHIVE_CAP = 100


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
