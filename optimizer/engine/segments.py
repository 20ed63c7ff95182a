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
* VOL: total volume (m³), the second capacity resource (0 on instances without volumes).

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

from ..kernels import energy_excess, excess, route_kwh

DIST, CKM, GD, WL, LOAD, DUR, TW, EARLY, LATE, TRAV, FIRST, LAST, VOL = range(13)
NSEG = 13


# The core works on segments as 13-tuples of floats: they live in registers, so the hot loop
# of the local search creates no array views (each view costs a reference count update).
# The array functions below wrap the tuple ones for callers that keep summaries in arrays.


@njit(cache=True, inline="always")
def node_t(i, nodes):
    """The segment of customer i alone: its demand, service time, window and volume."""
    s = nodes[i, 3]
    return (0.0, 0.0, 0.0, 0.0, nodes[i, 0], s, 0.0, nodes[i, 1], nodes[i, 2], s, float(i), float(i), nodes[i, 4])


@njit(cache=True, inline="always")
def node_vals_t(i, demand, ready, due, service, volume):
    """:func:`node_t` from the node's row given as scalars (no array argument)."""
    return (0.0, 0.0, 0.0, 0.0, demand, service, 0.0, ready, due, service, float(i), float(i), volume)


@njit(cache=True, inline="always")
def depot_start_t(nodes):
    """The depot as a route's first stop: the start pinned to the depot's ready time."""
    a = nodes[0, 1]
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, a, a, 0.0, 0.0, 0.0, 0.0)


@njit(cache=True, inline="always")
def depot_end_t(nodes):
    """The depot as a route's last stop: any arrival up to the depot's due time."""
    return (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, nodes[0, 1], nodes[0, 2], 0.0, 0.0, 0.0, 0.0)


@njit(cache=True, inline="always")
def merge_t(a, b, arcs):
    """Summary of segment a, then the arc a.LAST -> b.FIRST, then segment b."""
    i = int(a[LAST])
    j = int(b[FIRST])
    return merge_arc_t(a, b, arcs[0, i, j], arcs[1, i, j], arcs[2, i, j], arcs[3, i, j])


@njit(cache=True, inline="always")
def merge_arc_t(a, b, km, t, grade_factor, cost_factor):
    """:func:`merge_t` with the joining arc's km, travel time, grade factor and cost factor
    given: scalars only, so a hot loop that already read the arc pays no array argument."""
    gl = grade_factor * km
    # time: start a as late as its window allows; a's service ends delta after its start
    delta = a[DUR] - a[TW] + t
    wait = max(b[EARLY] - delta - a[LATE], 0.0)
    warp = max(a[EARLY] + delta - b[LATE], 0.0)
    return (
        a[DIST] + km + b[DIST],
        a[CKM] + km * cost_factor + b[CKM],
        a[GD] + gl + b[GD],
        a[WL] + (a[GD] + gl) * b[LOAD] + b[WL],
        a[LOAD] + b[LOAD],
        a[DUR] + b[DUR] + t + wait,
        a[TW] + b[TW] + warp,
        max(b[EARLY] - delta, a[EARLY]) - wait,
        min(b[LATE] - delta, a[LATE]) + warp,
        a[TRAV] + t + b[TRAV],
        a[FIRST],
        b[LAST],
        a[VOL] + b[VOL],
    )


@njit(cache=True, inline="always")
def load_t(arr, r, p):
    """Segment stored at ``arr[r, p]`` of a (R, M, NSEG) array, as a tuple."""
    return (
        arr[r, p, 0],
        arr[r, p, 1],
        arr[r, p, 2],
        arr[r, p, 3],
        arr[r, p, 4],
        arr[r, p, 5],
        arr[r, p, 6],
        arr[r, p, 7],
        arr[r, p, 8],
        arr[r, p, 9],
        arr[r, p, 10],
        arr[r, p, 11],
        arr[r, p, 12],
    )


@njit(cache=True, inline="always")
def row_t(arr, i):
    """Segment stored at ``arr[i]`` of an (n, NSEG) array, as a tuple."""
    return (
        arr[i, 0],
        arr[i, 1],
        arr[i, 2],
        arr[i, 3],
        arr[i, 4],
        arr[i, 5],
        arr[i, 6],
        arr[i, 7],
        arr[i, 8],
        arr[i, 9],
        arr[i, 10],
        arr[i, 11],
        arr[i, 12],
    )


@njit(cache=True, inline="always")
def store_row_t(t, arr, i):
    """Write segment tuple t to ``arr[i]``."""
    for f in range(NSEG):
        arr[i, f] = t[f]


@njit(cache=True, inline="always")
def store_t(t, arr, r, p):
    """Write segment tuple t to ``arr[r, p]``."""
    for f in range(NSEG):
        arr[r, p, f] = t[f]


@njit(cache=True)
def _as_t(a):
    return (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12])


@njit(cache=True)
def _put(t, out):
    for f in range(NSEG):
        out[f] = t[f]


@njit(cache=True)
def node_segment(i, nodes, out):
    """Array form of :func:`node_t`."""
    _put(node_t(i, nodes), out)


@njit(cache=True)
def depot_start_segment(nodes, out):
    """Array form of :func:`depot_start_t`."""
    _put(depot_start_t(nodes), out)


@njit(cache=True)
def depot_end_segment(nodes, out):
    """Array form of :func:`depot_end_t`."""
    _put(depot_end_t(nodes), out)


@njit(cache=True)
def merge(a, b, arcs, out):
    """Array form of :func:`merge_t`: a, arc, b into out (out may be a or b)."""
    _put(merge_t(_as_t(a), _as_t(b), arcs), out)


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


@njit(cache=True, inline="always")
def segment_objectives(seg, k, veh, cfg):
    """(cost, kg CO2, window penalty, km, duration, overload (weight and volume,
    :func:`optimizer.kernels.excess`), time warp) of a whole route
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
    over = excess(k, seg[LOAD], seg[VOL], veh) + energy_excess(k, route_kwh(k, seg[GD], seg[LOAD], veh), veh)
    return cost, emis, pen, seg[DIST], seg[DUR], over, seg[TW]
