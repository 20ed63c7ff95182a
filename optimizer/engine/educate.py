"""Education of a batch of giant tours by the engine, in parallel threads.

Each row: penalised Split of the giant tour (:func:`.split.split_giant_tour`) -> vehicle
slots -> granular local search with that row's objective (:func:`.local_search.search`)
-> if still infeasible, the search again at the repair penalties -> the plan in the
decoder's flat form (routes ordered by the polar angle of their centroid, keys rewritten as
ranks of that order, as :func:`optimizer.kernels.decode_one` does), evaluated exactly by
:func:`optimizer.kernels.solution_eval`. Rows are independent, so results do not depend on
the number of threads; the kernel draws no random numbers (the visiting orders are passed in).
"""

from __future__ import annotations

# numba caches this module's kernels keyed on this file alone, with the segment and kernel
# helpers they call compiled in: edited with optimizer/engine/segments.py and optimizer/kernels.py
# (issue 14: the volume and battery resources), so caches built before those changes are dropped.
import numpy as np
from numba import njit

from .. import kernels
from . import local_search as ls
from .split import split_giant_tour

#: Overload and time warp below this count as none.
FEAS_EPS = 1e-9


@njit(cache=True)
def fill_slots(tour, rstart, rtype, nr, slot_type, routes, rlen):
    """Numba form of :func:`.split.assign_slots` into zeroed ``routes`` / ``rlen``: each split
    route on a free slot of its type, else any free slot; surplus routes join the last one
    placed (infeasible, priced, for the search to repair)."""
    R = slot_type.shape[0]
    free = np.ones(R, dtype=np.bool_)
    pending = np.empty(nr, dtype=np.int64)
    npend = 0
    for r in range(nr):
        s: int | np.intp = -1  # a slot index (np.argmax gives one below)
        for q in range(R):
            if free[q] and slot_type[q] == rtype[r]:
                s = q
                break
        if s < 0:
            pending[npend] = r
            npend += 1
            continue
        free[s] = False
        m = rstart[r + 1] - rstart[r]
        for p in range(m):
            routes[s, 1 + p] = tour[rstart[r] + p]
        rlen[s] = m
    last = -1
    for t in range(npend):
        r = pending[t]
        s = -1
        for q in range(R):
            if free[q]:
                s = q
                break
        if s >= 0:
            free[s] = False
            last = s
        else:
            s = last
            if s < 0:
                s = np.argmax(rlen)
        m = rstart[r + 1] - rstart[r]
        for p in range(m):
            routes[s, 1 + rlen[s] + p] = tour[rstart[r] + p]
        rlen[s] += m


@njit(cache=True)
def violations(routes, rlen, rtype, obj, exact, nodes, arcs, grade, cong, veh, cfg):
    """(overload, time infeasibility) summed over slot routes; both 0 when feasible."""
    vals = ls.penalised_values(routes, rlen, rtype, obj, exact, nodes, arcs, grade, cong, veh, cfg)
    return vals[:, 1].sum(), vals[:, 2].sum()


@njit(cache=True)
def to_flat(routes, rlen, rtype, xy, tour_out, rstart_out, rtype_out, keys_out):
    """Slot routes -> the flat form, routes in polar-angle order; returns the route count."""
    R = rlen.shape[0]
    n = tour_out.shape[0]
    used = np.empty(R, dtype=np.int64)
    ang = np.empty(R)
    nr = 0
    for r in range(R):
        if rlen[r] == 0:
            continue
        sx = 0.0
        sy = 0.0
        for p in range(1, rlen[r] + 1):
            sx += xy[routes[r, p], 0] - xy[0, 0]
            sy += xy[routes[r, p], 1] - xy[0, 1]
        used[nr] = r
        ang[nr] = np.arctan2(sy, sx)
        nr += 1
    ro = np.argsort(ang[:nr], kind="mergesort")
    m = 0
    for q in range(nr):
        r = used[ro[q]]
        rstart_out[q] = m
        rtype_out[q] = rtype[r]
        for p in range(1, rlen[r] + 1):
            c = routes[r, p]
            tour_out[m] = c
            keys_out[c - 1] = (m + 0.5) / n
            m += 1
    rstart_out[nr] = m
    return nr


@njit(cache=True)
def educate_one(
    tour,
    obj,
    repair_obj,
    repair,
    slot_type,
    exact,
    neigh,
    order,
    use_swap_star,
    xy,
    max_moves,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
    sym,
    bits,
    tour_out,
    rstart_out,
    rtype_out,
    keys_out,
):
    """Educate one giant tour; returns (route count, load feasible, time feasible), the two
    flags as they were before any repair. ``(sym, bits)`` is the instance's search context
    (:func:`optimizer.engine.local_search.instance_context`), built once by the caller."""
    n = tour.shape[0]
    rstart = np.zeros(n + 1, dtype=np.int64)
    rtype = np.zeros(n, dtype=np.int64)
    nr = split_giant_tour(tour, obj, nodes, arcs, veh, cfg, rstart, rtype)
    R = slot_type.shape[0]
    routes = np.zeros((R, n + 2), dtype=np.int64)
    rlen = np.zeros(R, dtype=np.int64)
    fill_slots(tour, rstart, rtype, nr, slot_type, routes, rlen)
    ls.search_ctx(
        routes,
        rlen,
        slot_type,
        obj,
        exact,
        neigh,
        order,
        use_swap_star,
        xy,
        max_moves,
        nodes,
        arcs,
        grade,
        cong,
        veh,
        cfg,
        sym,
        bits,
    )
    over, late = violations(routes, rlen, slot_type, obj, exact, nodes, arcs, grade, cong, veh, cfg)
    if repair and (over > FEAS_EPS or late > FEAS_EPS):
        ls.search_ctx(
            routes,
            rlen,
            slot_type,
            repair_obj,
            exact,
            neigh,
            order,
            use_swap_star,
            xy,
            max_moves,
            nodes,
            arcs,
            grade,
            cong,
            veh,
            cfg,
            sym,
            bits,
        )
    nr = to_flat(routes, rlen, slot_type, xy, tour_out, rstart_out, rtype_out, keys_out)
    return nr, over <= FEAS_EPS, late <= FEAS_EPS


@njit(cache=True, nogil=True)
def educate_rows(
    lo,
    hi,
    tours,
    objs,
    repair_objs,
    repair,
    slot_type,
    exact,
    neigh,
    orders,
    use_swap_star,
    xy,
    max_moves,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
    sym,
    bits,
    tours_out,
    rstarts,
    rtypes,
    nrs,
    records,
    keys_out,
    feasible,
):
    """:func:`educate_one` for rows lo..hi-1 (see :func:`educate_batch`); releases the GIL."""
    for i in range(lo, hi):
        nr, load_ok, time_ok = educate_one(
            tours[i],
            objs[i],
            repair_objs[i],
            repair,
            slot_type,
            exact,
            neigh,
            orders[i],
            use_swap_star,
            xy,
            max_moves,
            nodes,
            arcs,
            grade,
            cong,
            veh,
            cfg,
            sym,
            bits,
            tours_out[i],
            rstarts[i],
            rtypes[i],
            keys_out[i],
        )
        nrs[i] = nr
        feasible[i, 0] = load_ok
        feasible[i, 1] = time_ok
        records[i] = kernels.solution_eval(tours_out[i], rstarts[i], rtypes[i], nr, nodes, arcs, grade, cong, veh, cfg)


def educate_batch(
    tours,
    objs,
    repair_objs,
    repair,
    slot_type,
    exact,
    neigh,
    orders,
    use_swap_star,
    xy,
    max_moves,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
    sym,
    bits,
    tours_out,
    rstarts,
    rtypes,
    nrs,
    records,
    keys_out,
    feasible,
):
    """:func:`educate_one` for every row, in parallel threads (:mod:`optimizer.rows`);
    ``records[i]`` gets the totals of :func:`optimizer.kernels.solution_eval` and
    ``feasible[i]`` whether the row kept the capacities and the windows before its repair
    (what the penalty adaptation counts)."""
    from ..rows import run_rows

    run_rows(
        educate_rows,
        tours.shape[0],
        tours,
        objs,
        repair_objs,
        bool(repair),
        slot_type,
        bool(exact),
        neigh,
        orders,
        bool(use_swap_star),
        xy,
        np.int64(max_moves),
        nodes,
        arcs,
        grade,
        cong,
        veh,
        cfg,
        sym,
        bits,
        tours_out,
        rstarts,
        rtypes,
        nrs,
        records,
        keys_out,
        feasible,
    )
