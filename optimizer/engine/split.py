"""Split a giant tour into routes (Prins 2004) on penalised segment values, then into slots.

Unlike :func:`optimizer.kernels.split_free`, infeasible routes are allowed and priced by the
load and time-warp penalties, as HGS does: the local search that follows repairs them, and
a split that stopped at the first late customer would leave it no room to.
"""

from __future__ import annotations

# numba caches this module's kernels keyed on this file alone, with the segment and kernel
# helpers they call compiled in: edited with optimizer/engine/segments.py and optimizer/kernels.py
# (issue 14: the volume and battery resources), so caches built before those changes are dropped.
import numpy as np
from numba import njit

from . import segments as sg
from .objective import segment_value


@njit(cache=True)
def split_giant_tour(tour, obj, nodes, arcs, veh, cfg, rstart, rtype):
    """Cheapest cut of ``tour`` into routes, each on its best vehicle type (counts ignored;
    :func:`assign_slots` enforces them). Routes stop growing at 1.5 x the largest capacity.
    Fills rstart (route r is ``tour[rstart[r]:rstart[r+1]]``) and rtype; returns the route count.
    """
    n = tour.shape[0]
    K = veh.shape[0]
    maxcap = 0.0
    for k in range(K):
        if veh[k, 1] >= 1:
            maxcap = max(maxcap, veh[k, 0])
    V = np.full(n + 1, 1e300)
    P = np.zeros(n + 1, dtype=np.int64)
    PK = np.zeros(n + 1, dtype=np.int64)
    V[0] = 0.0
    acc = np.empty(sg.NSEG)
    tmp = np.empty(sg.NSEG)
    end = np.empty(sg.NSEG)
    closed = np.empty(sg.NSEG)
    sg.depot_end_segment(nodes, end)
    for i in range(n):
        sg.depot_start_segment(nodes, acc)
        for j in range(i + 1, n + 1):
            sg.node_segment(tour[j - 1], nodes, tmp)
            sg.merge(acc, tmp, arcs, acc)
            if acc[sg.LOAD] > 1.5 * maxcap and j > i + 1:
                break
            sg.merge(acc, end, arcs, closed)
            for k in range(K):
                if veh[k, 1] < 1:
                    continue
                v = V[i] + segment_value(closed, j - i, k, obj, veh, cfg)
                if v < V[j]:
                    V[j] = v
                    P[j] = i
                    PK[j] = k
    nr = 0
    j = n
    while j > 0:
        nr += 1
        j = P[j]
    j = n
    for r in range(nr - 1, -1, -1):
        rstart[r] = P[j]
        rtype[r] = PK[j]
        j = P[j]
    rstart[nr] = n
    return nr


def assign_slots(tour, rstart, rtype, nr, slot_type, width):
    """Put split routes into vehicle slots: each on a free slot of its type if one is left,
    else on any free slot; with more routes than vehicles the surplus joins the last route
    (infeasible, priced, for the local search to repair). Returns (routes, rlen)."""
    R = slot_type.shape[0]
    routes = np.zeros((R, width), dtype=np.int64)
    rlen = np.zeros(R, dtype=np.int64)
    free = np.ones(R, dtype=bool)
    pending = []
    for r in range(nr):
        hits = np.flatnonzero(free & (slot_type == rtype[r]))
        if hits.size:
            s = int(hits[0])
            free[s] = False
            seq = tour[rstart[r] : rstart[r + 1]]
            routes[s, 1 : 1 + seq.size] = seq
            rlen[s] = seq.size
        else:
            pending.append(r)
    last = -1
    for r in pending:
        seq = tour[rstart[r] : rstart[r + 1]]
        hits = np.flatnonzero(free)
        if hits.size:
            s = int(hits[0])
            free[s] = False
            last = s
        else:
            s = last if last >= 0 else int(np.argmax(rlen))
        routes[s, 1 + rlen[s] : 1 + rlen[s] + seq.size] = seq
        rlen[s] += seq.size
    return routes, rlen
