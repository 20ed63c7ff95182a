"""What the engine minimises: one number per route, from a segment (screen) or the exact walk.

``obj`` is a float vector (see the index names) built by :func:`objective_vector`:

* ``w_cost, w_emis, w_pen, w_dist``: weights on route cost, kg CO2, the eq. 7 window
  penalty and km. A weighted scalarisation is (w, w_emis, w, 0); the Solomon /
  Gehring-Homberger convention (distance only) is (0, 0, 0, 1).
* ``pen_load, pen_tw``: penalty per unit of load over capacity and per unit of time warp
  (hard windows only), the weights HGS adapts so the search may cross infeasible space.
* ``hard``: 1 when windows are hard (late = infeasible), else lateness is only priced.

The segment value is exact (equal to the exact value) when there is no congestion and
windows are hard; otherwise it is a screen, and :func:`exact_route_value` decides.
"""

from __future__ import annotations

# numba caches this module's kernels keyed on this file alone, with the segment and kernel
# helpers they call compiled in: edited with optimizer/engine/segments.py and optimizer/kernels.py
# (issue 14: the volume and battery resources), so caches built before those changes are dropped.
import numpy as np
from numba import njit

from .. import kernels
from .segments import segment_objectives

W_COST, W_EMIS, W_PEN, W_DIST, PEN_LOAD, PEN_TW, HARD = range(7)
NOBJ = 7


def objective_vector(kd, *, w_cost: float, w_emis: float, w_dist: float, pen_load: float, pen_tw: float) -> np.ndarray:
    """The ``obj`` vector for an instance's kernel data; the window penalty is priced with
    the cost weight (eq. 7 is a cost), and only where windows are soft or early arrival is
    charged."""
    hard = 1.0 if kd.cfg[2] > 0.5 else 0.0
    return np.array([w_cost, w_emis, w_cost, w_dist, pen_load, pen_tw, hard], dtype=np.float64)


def needs_exact_check(kd) -> bool:
    """True when concatenated values are only a screen: congestion makes travel times depend
    on the departure time, and soft windows charge lateness that carries down the route."""
    return int(kd.cfg[5]) > 1 or kd.cfg[2] < 0.5


@njit(cache=True, inline="always")
def segment_value(seg, length, k, obj, veh, cfg):
    """Penalised value of a whole route summarised by ``seg`` (``length`` customers) on type k."""
    if length == 0:
        return 0.0
    cost, emis, pen, km, dur, over, tw = segment_objectives(seg, k, veh, cfg)
    v = obj[0] * cost + obj[1] * emis + obj[2] * pen + obj[3] * km + obj[4] * over
    if obj[6] > 0.5:
        v += obj[5] * tw
    return v


@njit(cache=True)
def exact_route_value(seq, start, length, k, obj, nodes, arcs, grade, cong, veh, cfg):
    """Penalised value of a route from the exact walk (kernels.route_eval): congestion and
    soft-window lateness as the evaluator counts them; hard-window lateness is priced at the
    time-warp weight."""
    if length == 0:
        return 0.0
    cost, emis, pen, km, dur, over, late = kernels.route_eval(seq, start, length, k, nodes, arcs, grade, cong, veh, cfg)
    v = obj[0] * cost + obj[1] * emis + obj[2] * pen + obj[3] * km + obj[4] * over
    if obj[6] > 0.5:
        v += obj[5] * late
    return v
