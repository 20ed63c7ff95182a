"""External archive of non-dominated solutions with Mirjalili's adaptive grid.

Follows the reference MOGWO code (Mirjalili et al. 2016, with Coello Coello's MOPSO grid),
as DOMAIN.md section 1.2 describes it:

- grid: ``n_grid`` cells per objective, inflated by ``inflation`` of the range on each
  side, outer cells open to +-inf; rebuilt when the archive overflows (as the reference
  code does) and, our addition, whenever a member falls in an open outer cell, so a front
  that has moved far from the grid does not pile up in the boundary cells;
- leader selection: roulette over occupied cells with ``p_i ~ N_i^-beta`` (beta = 4), then a
  uniform member of the chosen cell;
- pruning: roulette with ``p_i ~ N_i^gamma`` (gamma = 2), a uniform member of the chosen
  cell is deleted, repeated until the archive fits.

Members are deduplicated by objective vector before cells are counted (the reference code
lets identical vectors pile up). Only feasible solutions are kept once one is known; until
then the archive holds the least-violating solution, so the search always has a leader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from .indicators import non_dominated
from .problem import Batch, concat

FEAS_TOL = 1e-6


@dataclass(frozen=True)
class ArchiveParams:
    """Archive and grid parameters (reference-code defaults)."""

    size: int = 100
    n_grid: int = 10
    inflation: float = 0.1
    beta: float = 4.0
    gamma: float = 2.0

    def __post_init__(self) -> None:
        if self.size < 1 or self.n_grid < 1:
            raise ValueError("archive size and n_grid must be >= 1")


class Archive:
    """The external archive: members in a :class:`~optimizer.problem.Batch`, plus the grid."""

    def __init__(self, params: ArchiveParams, rng: np.random.Generator) -> None:
        self.params = params
        self.rng = rng
        self.members: Batch | None = None
        self.lower: np.ndarray | None = None
        self.upper: np.ndarray | None = None
        self.cells: np.ndarray = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return 0 if self.members is None else self.members.keys.shape[0]

    @property
    def F(self) -> np.ndarray:
        return self.members.F if self.members is not None else np.zeros((0, 3))

    @property
    def feasible(self) -> bool:
        return self.members is not None and bool((self.members.violation <= FEAS_TOL).all())

    # ------------------------------------------------------------------ grid
    def _build_grid(self) -> None:
        F = self.F
        lo, hi = F.min(axis=0), F.max(axis=0)
        span = np.where(hi - lo > 0, hi - lo, np.maximum(np.abs(hi), 1.0) * 1e-6)
        lo = lo - self.params.inflation * span
        hi = hi + self.params.inflation * span
        cuts = np.linspace(lo, hi, self.params.n_grid - 1).T  # (M, n_grid - 1)
        self.upper = cuts

    def _index(self, F: np.ndarray) -> np.ndarray:
        """Linear cell id per row: per objective, the first cell whose upper bound exceeds f."""
        assert self.upper is not None  # update() builds the grid before it indexes
        M = F.shape[1]
        g = self.params.n_grid
        subs = np.empty((F.shape[0], M), dtype=np.int64)
        for j in range(M):
            subs[:, j] = np.searchsorted(self.upper[j], F[:, j], side="right")
        # an array of ids for a 2-D index array (numpy's stubs pick the one-index overload)
        return cast(np.ndarray, np.ravel_multi_index(subs.T, (g,) * M))

    def _outside(self) -> bool:
        if self.upper is None:
            return True
        g = self.params.n_grid
        subs = np.stack([np.searchsorted(self.upper[j], self.F[:, j], side="right") for j in range(self.F.shape[1])])
        return bool(((subs == 0) | (subs == g - 1)).any())

    # ------------------------------------------------------------------ update
    def update(self, batch: Batch) -> int:
        """Merge a population into the archive; returns how many of its rows entered."""
        n_before = len(self)
        if len(batch.keys) == 0:
            return 0  # a batch the deadline cut before its first row
        union = concat(self.members, batch)
        viol = union.violation
        feas = viol <= FEAS_TOL
        if feas.any():
            idx = np.flatnonzero(feas)
        else:
            idx = np.array([int(np.argmin(viol))])
        cand = union.take(idx)
        # dedupe by objective vector, keeping the earliest (archive members come first)
        _, first = np.unique(np.round(cand.F, 9), axis=0, return_index=True)
        first = np.sort(first)
        cand = cand.take(first)
        nd = np.flatnonzero(non_dominated(cand.F))
        self.members = cand.take(nd)
        new_rows = int(np.sum(idx[first][nd] >= n_before))
        if len(self) > self.params.size:
            if self.upper is None:
                self._build_grid()
            self._prune()
            self._build_grid()
        elif self._outside():
            self._build_grid()
        self.cells = self._index(self.F)
        return new_rows

    def _prune(self) -> None:
        assert self.members is not None  # called only when the archive overflows
        extra = len(self) - self.params.size
        keep = np.ones(len(self), dtype=bool)
        cells = self._index(self.F)
        for _ in range(extra):
            occ, counts = np.unique(cells[keep], return_counts=True)
            p = counts.astype(float) ** self.params.gamma
            cell = occ[self._roulette(p)]
            members = np.flatnonzero(keep & (cells == cell))
            keep[members[self.rng.integers(members.size)]] = False
        self.members = self.members.take(np.flatnonzero(keep))

    def _roulette(self, p: np.ndarray) -> int:
        c = np.cumsum(p / p.sum())
        return min(int(np.searchsorted(c, self.rng.random(), side="left")), len(c) - 1)

    # ------------------------------------------------------------------ leaders
    def select(self, allowed: np.ndarray | None = None) -> int:
        """A leader index by the grid roulette (sparse cells favoured, p ~ N^-beta)."""
        mask = np.ones(len(self), dtype=bool) if allowed is None else allowed
        cells = self.cells
        occ, counts = np.unique(cells[mask], return_counts=True)
        p = counts.astype(float) ** (-self.params.beta)
        cell = occ[self._roulette(p)]
        members = np.flatnonzero(mask & (cells == cell))
        return int(members[self.rng.integers(members.size)])

    def leaders(self) -> tuple[int, int, int]:
        """(alpha, beta, delta) as the reference code picks them: delta first from the whole
        archive, then beta and alpha each from the members not at an earlier leader's position."""
        m = len(self)
        delta = self.select()
        if m <= 1:
            return delta, delta, delta
        assert self.members is not None  # m > 1 members
        K = self.members.keys
        allowed = ~np.all(K == K[delta], axis=1)
        beta = self.select(allowed) if allowed.any() else delta
        if m <= 2:
            return beta, beta, delta
        allowed &= ~np.all(K == K[beta], axis=1)
        alpha = self.select(allowed) if allowed.any() else beta
        return alpha, beta, delta
