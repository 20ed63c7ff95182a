"""Adaptive penalty weights on excess load and time warp (Vidal et al. 2012).

The search is allowed into infeasible space, priced by these weights. After each batch of
children the weight of a violation goes up when too few children avoid it and down when
nearly all do, steering the share of feasible children to a target (43 %, as HGS-CVRP).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PenaltyManager:
    """Current weights and the feasibility record since the last update."""

    load: float
    tw: float
    target: float = 0.43
    up: float = 1.34
    down: float = 0.32**0.1  # about 0.89: gentle decrease, sharp increase
    floor: float = 1e-3
    ceiling: float = 1e6
    _load_ok: list = field(default_factory=list)
    _tw_ok: list = field(default_factory=list)

    @classmethod
    def initial(cls, kd, obj0: np.ndarray, *, hard: bool) -> PenaltyManager:
        """Start the weights at the objective's scale: a unit of load over capacity costs
        about the value of the longest arc per unit of the largest demand; a unit of time
        warp costs the value of an arc per unit of its travel time."""
        km = kd.arcs[0]
        veh = kd.veh
        per_km = obj0[3] + obj0[0] * float(veh[:, 4].max()) + obj0[1] * float(veh[:, 3].max())
        per_km = per_km if per_km > 0 else 1.0
        max_dem = float(max(kd.nodes[:, 0].max(), 1e-9))
        load = per_km * float(km.max()) / max_dem
        tt = float(kd.arcs[1].mean())
        tw = per_km * float(km.mean()) / tt if (hard and tt > 0) else 0.0
        return cls(load=float(np.clip(load, 1e-2, 1e5)), tw=float(np.clip(tw, 0.0, 1e5)) if hard else 0.0)

    def record(self, load_ok: bool, tw_ok: bool) -> None:
        self._load_ok.append(load_ok)
        self._tw_ok.append(tw_ok)

    def _step(self, w: float, ok: list) -> float:
        if not ok or w == 0.0:
            return w
        share = float(np.mean(ok))
        if share < self.target - 0.05:
            w *= self.up
        elif share > self.target + 0.05:
            w *= self.down
        return float(np.clip(w, self.floor, self.ceiling))

    def adapt(self) -> None:
        """Update both weights from the record and start a new one."""
        self.load = self._step(self.load, self._load_ok)
        self.tw = self._step(self.tw, self._tw_ok)
        self._load_ok.clear()
        self._tw_ok.clear()
