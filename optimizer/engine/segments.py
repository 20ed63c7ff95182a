"""Route segments that concatenate in O(1): load, distance, emission sums, duration, time warp.

A segment is a run of consecutive stops summarised by a small float vector. Two segments
joined by one arc give the summary of the joined run without looking inside either, so a
move that cuts routes into pieces and glues them back together is scored from the pieces'
summaries (Vidal et al. 2013; the time part is the classic duration / time-warp algebra).

Fields (indices below):

* DIST, CKM: km, and km x grade cost factor (the cost per km is applied per vehicle type).
* GD: grade-weighted km, sum over arcs of g L.
* WL: load-weighted km, sum over arcs of g L x demand served later in the segment.  The
  emission of a route at the load it carries is ``e * GD + (f - e) / Q * WL``, and joining
  s1 + arc (g L) + s2 gives ``WL = WL1 + (GD1 + g L) * LOAD2 + WL2``: every arc of s1 and the
  joining arc also carry s2's demand.
* LOAD: total demand.
* DUR, TW, EARLY, LATE: minimum duration (travel, service and waiting), time warp (time the
  vehicle would have to travel back to be on time), earliest and latest start of service
  at the first stop that achieve them.
* TRAV: travel plus service time, so waiting = DUR - TRAV.
* FIRST, LAST: first and last node (stored as floats to keep one array).

A route starts with the depot's *start* segment, whose window is the single instant of the
depot's ready time: :func:`optimizer.kernels.route_eval` leaves the depot at that time, so
with the start pinned the concatenated duration, waiting and time warp are those of the
exact forward walk whenever the route is on time (time warp 0). Travel times are the
free-flow ones: with time-of-day congestion the concatenated times are only a screen (see
:mod:`optimizer.engine.objective`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

DIST, CKM, GD, WL, LOAD, DUR, TW, EARLY, LATE, TRAV, FIRST, LAST = range(12)
NSEG = 12


@njit(cache=True)
def node_segment(i, nodes, out):
    """The segment of customer i alone: its demand, service time and window."""
    out[:] = 0.0
    out[LOAD] = nodes[i, 0]
    out[DUR] = nodes[i, 3]
    out[TRAV] = nodes[i, 3]
    out[EARLY] = nodes[i, 1]
    out[LATE] = nodes[i, 2]
    out[FIRST] = i
    out[LAST] = i


@njit(cache=True)
def depot_start_segment(nodes, out):
    """The depot as a route's first stop: the start pinned to the depot's ready time."""
    out[:] = 0.0
    out[EARLY] = nodes[0, 1]
    out[LATE] = nodes[0, 1]


@njit(cache=True)
def depot_end_segment(nodes, out):
    """The depot as a route's last stop: any arrival up to the depot's due time."""
    out[:] = 0.0
    out[EARLY] = nodes[0, 1]
    out[LATE] = nodes[0, 2]


@njit(cache=True)
def merge(a, b, arcs, out):
    """Summary of segment a, then the arc a.LAST -> b.FIRST, then segment b, into out.

    ``out`` may be the same array as ``a`` (the fields of a are read before any write).
    """
    i = int(a[LAST])
    j = int(b[FIRST])
    km = arcs[0, i, j]
    t = arcs[1, i, j]
    gl = arcs[2, i, j] * km
    # time: start a as late as its window allows; a's service ends delta after its start
    delta = a[DUR] - a[TW] + t
    wait = max(b[EARLY] - delta - a[LATE], 0.0)
    warp = max(a[EARLY] + delta - b[LATE], 0.0)
    dur = a[DUR] + b[DUR] + t + wait
    tw = a[TW] + b[TW] + warp
    early = max(b[EARLY] - delta, a[EARLY]) - wait
    late = min(b[LATE] - delta, a[LATE]) + warp
    wl = a[WL] + (a[GD] + gl) * b[LOAD] + b[WL]
    out[DIST] = a[DIST] + km + b[DIST]
    out[CKM] = a[CKM] + km * arcs[3, i, j] + b[CKM]
    out[GD] = a[GD] + gl + b[GD]
    out[WL] = wl
    out[LOAD] = a[LOAD] + b[LOAD]
    out[DUR] = dur
    out[TW] = tw
    out[EARLY] = early
    out[LATE] = late
    out[TRAV] = a[TRAV] + t + b[TRAV]
    out[FIRST] = a[FIRST]
    out[LAST] = b[LAST]


@njit(cache=True)
def route_segment(seq, nodes, arcs, out):
    """Summary of the whole route depot -> seq... -> depot, folded left to right."""
    tmp = np.empty(NSEG)
    depot_start_segment(nodes, out)
    for c in seq:
        node_segment(c, nodes, tmp)
        merge(out, tmp, arcs, out)
    depot_end_segment(nodes, tmp)
    merge(out, tmp, arcs, out)


@njit(cache=True)
def segment_objectives(seg, k, veh, cfg):
    """(cost, kg CO2, window penalty, km, duration, overload, time warp) of a whole route
    summarised by ``seg`` on vehicle type k, as :func:`optimizer.kernels.route_eval` counts
    them: exact when the route has no time warp and no congestion. The route must have at
    least one customer (an empty route costs nothing; callers skip it).

    The penalty is eq. 7's early part (weight x waiting) plus its late part on the time warp;
    with soft windows the exact walk charges lateness that propagates, so there it is a
    screen.
    """
    cap = veh[k, 0]
    e = veh[k, 2]
    emis = e * seg[GD] + (veh[k, 3] - e) / cap * seg[WL]
    cost = seg[CKM] * veh[k, 4] + veh[k, 5] + veh[k, 6] * seg[DUR]
    pen = cfg[1] * (seg[DUR] - seg[TRAV]) + cfg[0] * seg[TW]
    over = seg[LOAD] - cap if seg[LOAD] > cap else 0.0
    return cost, emis, pen, seg[DIST], seg[DUR], over, seg[TW]
