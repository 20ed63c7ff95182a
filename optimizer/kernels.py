"""The hot loops of the router, compiled with numba: route evaluation, Split, local search.

Everything the search repeats millions of times lives here and only here. The functions
take the instance as the plain arrays of :class:`optimizer.instance.KernelData` (columns
named in :mod:`optimizer.layout`) and hold no state and no random generator: randomness
stays in the Python drivers, so a batch run in parallel threads gives the same result as a
serial one.

The physics of one arc (travel time under congestion, km, kg CO2 at the load carried,
cost) and of one arrival (the eq. 7 window penalty) is written once, in the inline helpers
below (:func:`travel`, :func:`arc`, :func:`arrive` and the route totals :func:`route_kg`,
:func:`route_cost`), and every kernel is built from them. :data:`python` holds the same
helpers run as plain Python: :meth:`optimizer.instance.RoutingInstance.leg` drives an arc
with ``python.arc``, so a simulation drives a plan with the code the planner scored it with.

Each kernel has a plain-Python twin: ``optimizer.reference`` re-implements route evaluation
independently, and every kernel here can be run uncompiled through ``kernel.py_func`` (or
the whole package with ``NUMBA_DISABLE_JIT=1``); tests compare them.

A solution in "flat" form is ``tour`` (customers route after route), ``rstart`` (route r
is ``tour[rstart[r]:rstart[r + 1]]``), ``rtype`` (vehicle type per route) and ``nr``.
"""

from __future__ import annotations

import types

import numpy as np
from numba import njit

from .layout import (
    BATTERY_KWH,
    CAPACITY,
    CAPACITY_M3,
    COST_FACTOR,
    COST_PER_KM,
    COST_PER_MINUTE,
    COUNT,
    DEMAND,
    DUE,
    EARLY_WEIGHT,
    EMISSION_FACTOR,
    EMPTY_KG_PER_KM,
    FIXED_COST,
    FULL_KG_PER_KM,
    HARD_WINDOWS,
    KM,
    KWH_EMPTY,
    KWH_FULL,
    LATE_WEIGHT,
    MINUTES,
    PERIOD_MINUTES,
    PERIODS,
    READY,
    SERVICE,
    START_MINUTE,
    TOTAL_COST,
    TOTAL_DIST,
    TOTAL_EMIS,
    TOTAL_FIELDS,
    TOTAL_FLEET,
    TOTAL_LATE,
    TOTAL_OVERLOAD,
    TOTAL_PEN,
    VOLUME,
)

INF = 1e300

# Columns of the per-route objective record returned by route_eval.
COST, EMIS, PEN, DIST, DURATION, OVERLOAD, LATE = 0, 1, 2, 3, 4, 5, 6

# Columns of the schedule state local search keeps after each stop (see _refresh).
ST_TIME, ST_CKM, ST_GKM, ST_GKM_DELIVERED, ST_PEN, ST_DELIVERED, ST_LATE, ST_TAIL_MIN, ST_TAIL_READY, ST_VOLUME = range(10)
ST_FIELDS = 10

# Margin on a lower-bound arrival before a hard window calls a candidate late: the bound's
# sums are taken in another order than the exact walk's, so they may round differently.
BOUND_LATE_TOL = 1e-6
# Relative margin on a candidate's lower bound before it rejects a move (rounding, as above).
BOUND_SLACK = 1e-10

# Columns of a middle piece of a candidate route (see cand_score): route, first and one past
# the last position taken from it, and 1 when the piece is driven in reverse.
MID_ROUTE, MID_START, MID_END, MID_REVERSED = range(4)
MID_FIELDS = 4


# ---------------------------------------------------------------------------- one arc, one arrival


@njit(cache=True, inline="always")
def travel(i, j, depart, arcs, grade, cong, cfg):
    """Arc i -> j before any vehicle or load: (road km, minutes when leaving at ``depart``,
    km x emission factor g_r, km x cost factor).

    The minutes are the free-flow time times the congestion coefficient of the arc's grade
    in the period of the day of the departure. The last two values are the arc's share of
    the sums that price a route per vehicle type: its kg CO2 (:func:`route_kg`) and its
    distance cost (:func:`route_cost`).
    """
    # every array is read before the branch: numba then drops the reference counting of
    # the arrays where this is inlined (an incref and a decref per array and call otherwise)
    km = arcs[KM, i, j]
    free = arcs[MINUTES, i, j]
    gkm = arcs[EMISSION_FACTOR, i, j] * km
    ckm = km * arcs[COST_FACTOR, i, j]
    g = grade[i, j]
    nper = int(cfg[PERIODS])
    start = cfg[START_MINUTE]
    period = cfg[PERIOD_MINUTES]
    if nper == 1:
        return km, free * cong[g, 0], gkm, ckm
    # periods tile the day exactly (CongestionProfile checks it), so the period of the day
    # is the period count modulo the number of periods: no float modulo in the hot loop
    p = int((depart + start) // period) % nper
    return km, free * cong[g, p], gkm, ckm


@njit(cache=True, inline="always")
def kg_per_km(k, load, veh):
    """kg CO2 per road km (before the grade factor) of vehicle type k carrying ``load``:
    linear from empty to full (seed paper eq. 4, load interpolated)."""
    # the arrays first, then the division (which checks for zero: a branch, see travel)
    e = veh[k, EMPTY_KG_PER_KM]
    full = veh[k, FULL_KG_PER_KM]
    cap = veh[k, CAPACITY]
    return e + (full - e) / cap * load


@njit(cache=True, inline="always")
def arc(i, j, k, load, depart, arcs, grade, cong, veh, cfg):
    """Drive arc i -> j on vehicle type k with ``load`` on board, leaving at ``depart``:
    (road km, minutes, kg CO2, km x cost factor, distance cost).

    Minutes as :func:`travel`; kg is :func:`kg_per_km` at the load times g_r times km; the
    distance cost is km x cost factor x the type's cost per km (a route total prices the
    summed km x cost factor once, :func:`route_cost`).
    """
    # the arrays first, travel's branch last (see travel)
    cost_per_km = veh[k, COST_PER_KM]
    g_emission = arcs[EMISSION_FACTOR, i, j]
    per_km = kg_per_km(k, load, veh) * g_emission
    km, minutes, _, ckm = travel(i, j, depart, arcs, grade, cong, cfg)
    return km, minutes, per_km * km, ckm, ckm * cost_per_km


@njit(cache=True, inline="always")
def arrive(c, t, nodes, cfg):
    """Reach node c at time t: (eq. 7 penalty, lateness, start of service).

    Past the due time: late weight x lateness. Before the ready time of a customer: early
    weight x the wait, and service starts at the ready time. At the depot (c = 0) the route
    ends on arrival, so only lateness counts.
    """
    # the arrays first, the branches after (see travel)
    due = nodes[c, DUE]
    ready = nodes[c, READY]
    late_weight = cfg[LATE_WEIGHT]
    early_weight = cfg[EARLY_WEIGHT]
    if t > due:
        return late_weight * (t - due), t - due, t
    if t < ready and c != 0:
        return early_weight * (ready - t), 0.0, ready
    return 0.0, 0.0, t


@njit(cache=True, inline="always")
def excess(k, load, volume, veh):
    """Load over vehicle type k's capacities, in capacity units: the weight over its
    capacity plus the m³ over its volume capacity as the same share of the weight capacity
    (10 % too much volume counts as 10 % too much weight). 0 when both fit; a type with an
    infinite volume capacity (Solomon / VRPLIB) never counts volume."""
    cap = veh[k, CAPACITY]
    capv = veh[k, CAPACITY_M3]
    over = load - cap if load > cap else 0.0
    if volume > capv:
        over += (volume - capv) / capv * cap
    return over


@njit(cache=True, inline="always")
def route_kwh(k, gkm, load, veh):
    """kWh a route on type k may use: the kWh per km interpolated by load and times the grade
    factor (as the kg), with the route's whole ``load`` on board over every arc, the return
    included: the worst case, every parcel carried back (nobody home), so a drive of a plan
    within the battery can never run flat. ``gkm``: sum over arcs of g_r x km. 0 without."""
    e = veh[k, KWH_EMPTY]
    full = veh[k, KWH_FULL]
    cap = veh[k, CAPACITY]
    return (e + (full - e) / cap * load) * gkm


@njit(cache=True, inline="always")
def energy_excess(k, kwh, veh):
    """kWh over type k's battery as the same share of its weight capacity (as
    :func:`excess` prices volume); 0 within it or without a battery (infinite)."""
    battery = veh[k, BATTERY_KWH]
    if kwh > battery:
        return (kwh - battery) / battery * veh[k, CAPACITY]
    return 0.0


@njit(cache=True, inline="always")
def route_kg(k, gkm, load_gkm, veh):
    """kg CO2 of a route on type k from its sums over arcs of g_r x km (``gkm``) and of
    g_r x km x load carried (``load_gkm``): the sum of :func:`arc`'s kg, regrouped."""
    e = veh[k, EMPTY_KG_PER_KM]
    full = veh[k, FULL_KG_PER_KM]
    cap = veh[k, CAPACITY]
    return e * gkm + (full - e) / cap * load_gkm


@njit(cache=True, inline="always")
def route_cost(k, ckm, duration, veh):
    """Cost of a route on type k: summed km x cost factor at the type's cost per km, its
    fixed cost, and the driver's minutes from departure to return."""
    return ckm * veh[k, COST_PER_KM] + veh[k, FIXED_COST] + veh[k, COST_PER_MINUTE] * duration


def _plain_python(*helpers):
    """The helpers' own code (each one's ``py_func``) as Python functions that call each
    other as Python too: ``arc.py_func`` alone would call the compiled :func:`travel`."""
    namespace = dict(globals())
    forms = {}
    for helper in helpers:
        fn = getattr(helper, "py_func", helper)  # with NUMBA_DISABLE_JIT=1 it is the function
        forms[fn.__name__] = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    namespace.update(forms)
    return types.SimpleNamespace(**forms)


#: :func:`travel`, :func:`kg_per_km`, :func:`arc`, :func:`arrive`, :func:`excess`, :func:`route_kg`
#: and :func:`route_cost` as plain Python (the same code objects the kernels compile), for
#: callers outside the kernels: ``python.arc(i, j, k, load, depart, arcs, grade, cong,
#: veh, cfg)`` drives one arc without numba compiling anything.
python = _plain_python(travel, kg_per_km, arc, arrive, excess, route_kwh, energy_excess, route_kg, route_cost)


# ---------------------------------------------------------------------------- routes


@njit(cache=True)
def route_eval(seq, start, length, k, nodes, arcs, grade, cong, veh, cfg):
    """Objectives of one route: customers ``seq[start:start+length]`` on vehicle type k.

    Returns (cost, kg CO2, time-window penalty, km, duration, overload, lateness), where
    lateness sums the time past due at customers and at the depot return (hard-window
    violation) and overload is the load above capacity, weight and volume (:func:`excess`).
    The vehicle leaves the depot at
    its ready time with the whole route's demand on board; each arc is charged at the load
    it carries (the return leg empty).
    """
    if length == 0:
        return 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    load = 0.0
    vol = 0.0
    for p in range(length):
        load += nodes[seq[start + p], DEMAND]
        vol += nodes[seq[start + p], VOLUME]
    t = nodes[0, READY]
    t0 = t
    prev = 0
    dist = 0.0
    cost_km = 0.0
    emis = 0.0
    pen = 0.0
    late = 0.0
    gd = 0.0
    cur = load
    for p in range(length + 1):
        nxt = seq[start + p] if p < length else 0
        km, minutes, kg, ckm, _ = arc(prev, nxt, k, cur, t, arcs, grade, cong, veh, cfg)
        gd += arcs[EMISSION_FACTOR, prev, nxt] * km
        dist += km
        cost_km += ckm
        emis += kg
        pen_a, late_a, t = arrive(nxt, t + minutes, nodes, cfg)
        pen += pen_a
        late += late_a
        if nxt != 0:
            t += nodes[nxt, SERVICE]
            cur -= nodes[nxt, DEMAND]
        prev = nxt
    duration = t - t0
    cost = route_cost(k, cost_km, duration, veh)
    overload = excess(k, load, vol, veh) + energy_excess(k, route_kwh(k, gd, load, veh), veh)
    return cost, emis, pen, dist, duration, overload, late


@njit(cache=True)
def route_detail(seq, start, length, k, nodes, arcs, grade, cong, veh, cfg, arrival, service_start, arc_load, arc_km, arc_kg):
    """Per-stop arrival and service start, and per-arc load, km and kg CO2 of one route.

    Arc p leaves stop p-1 (the depot for p = 0) for stop p; arc ``length`` returns to the
    depot, whose arrival time is ``arrival[length]``. Fills the given arrays.
    """
    if length == 0:
        return
    load = 0.0
    for p in range(length):
        load += nodes[seq[start + p], DEMAND]
    t = nodes[0, READY]
    prev = 0
    cur = load
    for p in range(length + 1):
        nxt = seq[start + p] if p < length else 0
        km, minutes, kg, _, _ = arc(prev, nxt, k, cur, t, arcs, grade, cong, veh, cfg)
        arc_load[p] = cur
        arc_km[p] = km
        arc_kg[p] = kg
        t += minutes
        arrival[p] = t
        _, _, t = arrive(nxt, t, nodes, cfg)
        service_start[p] = t
        if nxt != 0:
            t += nodes[nxt, SERVICE]
            cur -= nodes[nxt, DEMAND]
        prev = nxt


@njit(cache=True)
def route_score(seq, start, length, k, w, nodes, arcs, grade, cong, veh, cfg):
    """Scalarised route value ``w . (C, E, T)``; infinite when the route is infeasible.

    Same arithmetic as :func:`route_eval`, but it stops at the first sign of infeasibility
    (load over capacity by weight or volume, or with hard windows a late arrival), which is where local search
    spends most of its time: most candidate moves break a time window.
    """
    if length == 0:
        return 0.0
    load = 0.0
    vol = 0.0
    for p in range(length):
        load += nodes[seq[start + p], DEMAND]
        vol += nodes[seq[start + p], VOLUME]
    if excess(k, load, vol, veh) > 1e-9:
        return INF
    hard = cfg[HARD_WINDOWS] > 0.5
    t = nodes[0, READY]
    t0 = t
    prev = 0
    cost_km = 0.0
    emis = 0.0
    pen = 0.0
    gd = 0.0
    cur = load
    for p in range(length + 1):
        nxt = seq[start + p] if p < length else 0
        km, minutes, kg, ckm, _ = arc(prev, nxt, k, cur, t, arcs, grade, cong, veh, cfg)
        gd += arcs[EMISSION_FACTOR, prev, nxt] * km
        cost_km += ckm
        emis += kg
        pen_a, late_a, t = arrive(nxt, t + minutes, nodes, cfg)
        if hard and late_a > 1e-9:
            return INF
        pen += pen_a
        if nxt != 0:
            t += nodes[nxt, SERVICE]
            cur -= nodes[nxt, DEMAND]
        prev = nxt
    if energy_excess(k, route_kwh(k, gd, load, veh), veh) > 1e-9:
        return INF
    cost = route_cost(k, cost_km, t - t0, veh)
    return w[0] * cost + w[1] * emis + w[2] * pen


@njit(cache=True)
def best_type(seq, start, length, w, used, nodes, arcs, grade, cong, veh, cfg, exclude):
    """The vehicle type with spare count giving the lowest score for a route, and the score."""
    best = -1
    best_s = INF
    for k in range(veh.shape[0]):
        if k == exclude or used[k] >= veh[k, COUNT]:
            continue
        s = route_score(seq, start, length, k, w, nodes, arcs, grade, cong, veh, cfg)
        if s < best_s:
            best_s = s
            best = k
    return best, best_s


# ---------------------------------------------------------------------------- Split


@njit(cache=True)
def _segment_scores(tour, i, n, w, nodes, arcs, grade, cong, veh, cfg, maxcap, seg_s, seg_k):
    """Score and best type of every route tour[i:j] for j > i, extended one customer at a time.

    Load, time and the emission sums are updated incrementally (a customer appended at the
    end raises the load of every earlier arc by its demand), so all segments starting at i
    cost O(length x types). Returns the last j reached (segments stop at capacity or, with
    hard windows, at the first late customer).
    """
    K = veh.shape[0]
    hard = cfg[HARD_WINDOWS] > 0.5
    maxvol = 0.0
    for k in range(K):
        if veh[k, COUNT] >= 1 and veh[k, CAPACITY_M3] > maxvol:
            maxvol = veh[k, CAPACITY_M3]
    t0 = nodes[0, READY]
    t = t0
    load = 0.0
    vol = 0.0
    cost_km = 0.0
    gd = 0.0  # sum of g_r * km over arcs so far (to the last customer)
    wl = 0.0  # sum of g_r * km * load carried, over arcs so far
    pen = 0.0
    prev = 0
    jmax = i
    for j in range(i + 1, n + 1):
        c = tour[j - 1]
        q = nodes[c, DEMAND]
        v = nodes[c, VOLUME]
        if load + q > maxcap + 1e-9 or vol + v > maxvol * (1.0 + 1e-12):
            break
        load += q
        vol += v
        _, minutes, gkm, ckm = travel(prev, c, t, arcs, grade, cong, cfg)
        cost_km += ckm
        gd += gkm
        wl += q * gd
        pen_a, late_a, t = arrive(c, t + minutes, nodes, cfg)
        if hard and late_a > 0.0:
            break
        pen += pen_a
        t += nodes[c, SERVICE]
        prev = c
        # close the route back to the depot
        _, minutes0, gkm0, ckm0 = travel(c, 0, t, arcs, grade, cong, cfg)
        pen_d, late_d, tr = arrive(0, t + minutes0, nodes, cfg)
        if hard and late_d > 0.0:
            jmax = j
            seg_s[j] = INF
            seg_k[j] = -1
            continue
        pen_r = pen + pen_d
        dur = tr - t0
        gd_r = gd + gkm0
        ckm_r = cost_km + ckm0
        best = INF
        bk = -1
        for k in range(K):
            if veh[k, COUNT] < 1 or excess(k, load, vol, veh) + energy_excess(k, route_kwh(k, gd_r, load, veh), veh) > 1e-9:
                continue
            s = w[0] * route_cost(k, ckm_r, dur, veh) + w[1] * route_kg(k, gd_r, wl, veh) + w[2] * pen_r
            if s < best:
                best = s
                bk = k
        seg_s[j] = best
        seg_k[j] = bk
        jmax = j
    return jmax


@njit(cache=True)
def split_free(tour, w, nodes, arcs, grade, cong, veh, cfg, rstart, rtype):
    """Prins' Split with no bound on the number of routes: O(n x route length x types).

    Fills rstart / rtype and returns the number of routes, or -1 if some customer cannot
    be served on time by any route.
    """
    n = tour.shape[0]
    maxcap = 0.0
    for k in range(veh.shape[0]):
        if veh[k, COUNT] >= 1 and veh[k, CAPACITY] > maxcap:
            maxcap = veh[k, CAPACITY]
    V = np.full(n + 1, INF)
    P = np.full(n + 1, -1, dtype=np.int64)
    PK = np.full(n + 1, -1, dtype=np.int64)
    V[0] = 0.0
    seg_s = np.empty(n + 1)
    seg_k = np.empty(n + 1, dtype=np.int64)
    for i in range(n):
        if V[i] >= INF:
            continue
        jmax = _segment_scores(tour, i, n, w, nodes, arcs, grade, cong, veh, cfg, maxcap, seg_s, seg_k)
        for j in range(i + 1, jmax + 1):
            s = seg_s[j]
            if s < INF and V[i] + s < V[j]:
                V[j] = V[i] + s
                P[j] = i
                PK[j] = seg_k[j]
    if V[n] >= INF:
        return -1
    nr = 0
    j = n
    while j > 0:
        nr += 1
        j = P[j]
    j = n
    r = nr
    while j > 0:
        rstart[r - 1] = P[j]
        rtype[r - 1] = PK[j]
        j = P[j]
        r -= 1
    rstart[nr] = n
    return nr


@njit(cache=True)
def split(tour, w, max_routes, nodes, arcs, grade, cong, veh, cfg, rstart, rtype):
    """Prins' Split of a giant tour into routes, with a bound on the number of routes.

    Shortest path over the DAG of route boundaries (Bellman labels per route count), each
    route on its best vehicle type. Fills rstart / rtype and returns the number of routes,
    or -1 when no split with at most ``max_routes`` feasible routes exists.
    """
    n = tour.shape[0]
    maxcap = 0.0
    for k in range(veh.shape[0]):
        if veh[k, COUNT] >= 1 and veh[k, CAPACITY] > maxcap:
            maxcap = veh[k, CAPACITY]
    R = max_routes
    V = np.full((R + 1, n + 1), INF)
    P = np.full((R + 1, n + 1), -1, dtype=np.int64)
    PK = np.full((R + 1, n + 1), -1, dtype=np.int64)
    V[0, 0] = 0.0
    seg_s = np.empty(n + 1)
    seg_k = np.empty(n + 1, dtype=np.int64)
    best_r = -1
    for i in range(n):
        # does any route count reach boundary i?
        reach = False
        for r in range(R):
            if V[r, i] < INF:
                reach = True
                break
        if not reach:
            continue
        jmax = _segment_scores(tour, i, n, w, nodes, arcs, grade, cong, veh, cfg, maxcap, seg_s, seg_k)
        for j in range(i + 1, jmax + 1):
            s = seg_s[j]
            if s >= INF:
                continue
            for r in range(R):
                v = V[r, i]
                if v < INF and v + s < V[r + 1, j]:
                    V[r + 1, j] = v + s
                    P[r + 1, j] = i
                    PK[r + 1, j] = seg_k[j]
    best = INF
    for r in range(1, R + 1):
        if V[r, n] < best:
            best = V[r, n]
            best_r = r
    if best_r < 0:
        return -1
    j = n
    r = best_r
    while r > 0:
        i = P[r, j]
        rstart[r - 1] = i
        rtype[r - 1] = PK[r, j]
        j = i
        r -= 1
    rstart[best_r] = n
    return best_r


@njit(cache=True)
def repair_types(tour, rstart, rtype, nr, w, nodes, arcs, grade, cong, veh, cfg):
    """Reassign vehicle types so no type is used more than its count; returns the excess left.

    Split picks each route's best type on its own; when a type is over-used, the routes
    whose move to another type with spare vehicles costs least are moved first.
    """
    K = veh.shape[0]
    used = np.zeros(K, dtype=np.int64)
    for r in range(nr):
        used[rtype[r]] += 1
    for _ in range(nr):
        over = -1
        for k in range(K):
            if used[k] > veh[k, COUNT]:
                over = k
                break
        if over < 0:
            return 0
        best_r = -1
        best_k = -1
        best_d = INF
        for r in range(nr):
            if rtype[r] != over:
                continue
            s0 = route_score(tour, rstart[r], rstart[r + 1] - rstart[r], over, w, nodes, arcs, grade, cong, veh, cfg)
            k2, s2 = best_type(tour, rstart[r], rstart[r + 1] - rstart[r], w, used, nodes, arcs, grade, cong, veh, cfg, over)
            if k2 >= 0 and s2 < INF and s2 - s0 < best_d:
                best_d = s2 - s0
                best_r = r
                best_k = k2
        if best_r < 0:
            break
        used[over] -= 1
        used[best_k] += 1
        rtype[best_r] = best_k
    excess = 0
    for k in range(K):
        if used[k] > veh[k, COUNT]:
            excess += used[k] - int(veh[k, COUNT])
    return excess


# ---------------------------------------------------------------------------- local search


@njit(cache=True)
def _refresh(r, routes, rlen, st, nodes, arcs, grade, cong, cfg):
    """Schedule state after each stop of route r, ``st[r, p, ST_*]``: departure time, sum of
    km x cost factor, sum of g_r x km, sum of g_r x km x load delivered before the arc,
    penalty, load delivered, lateness, m³ delivered; ``st[r, rlen]`` is the state back at the depot. None
    of it depends on the vehicle type or on the total load, so any route sharing a prefix or
    a suffix with route r can reuse it."""
    t = nodes[0, READY]
    ckm = 0.0
    gd = 0.0
    gdd = 0.0
    pen = 0.0
    dl = 0.0
    dv = 0.0
    late = 0.0
    prev = 0
    n = rlen[r]
    for p in range(n + 1):
        c = routes[r, p] if p < n else 0
        _, minutes, gkm, ckm_a = travel(prev, c, t, arcs, grade, cong, cfg)
        ckm += ckm_a
        gd += gkm
        gdd += gkm * dl
        pen_a, late_a, t = arrive(c, t + minutes, nodes, cfg)
        pen += pen_a
        late += late_a
        if c != 0:
            t += nodes[c, SERVICE]
            dl += nodes[c, DEMAND]
            dv += nodes[c, VOLUME]
        st[r, p, ST_TIME] = t
        st[r, p, ST_CKM] = ckm
        st[r, p, ST_GKM] = gd
        st[r, p, ST_GKM_DELIVERED] = gdd
        st[r, p, ST_PEN] = pen
        st[r, p, ST_DELIVERED] = dl
        st[r, p, ST_LATE] = late
        st[r, p, ST_VOLUME] = dv
        prev = c
    # tail bounds, back to front: from an arrival at stop p at time X the route is back at
    # the depot no earlier than max(X + TAIL_MIN[p], TAIL_READY[p]) (cand_bound)
    low = lowest_congestion(cong)
    tail = 0.0
    latest = -INF
    nxt = 0
    for p in range(n - 1, -1, -1):
        c = routes[r, p]
        tail += nodes[c, SERVICE] + min_minutes(c, nxt, arcs, grade, low)
        latest = max(latest, nodes[c, READY] + tail)
        st[r, p, ST_TAIL_MIN] = tail
        st[r, p, ST_TAIL_READY] = latest
        nxt = c


@njit(cache=True)
def lowest_congestion(cong):
    """Per road grade, the smallest congestion coefficient of any period of the day."""
    G, P = cong.shape
    low = np.empty(G)
    for g in range(G):
        m = cong[g, 0]
        for q in range(1, P):
            m = min(m, cong[g, q])
        low[g] = m
    return low


@njit(cache=True, inline="always")
def min_minutes(i, j, arcs, grade, low):
    """The fewest minutes arc i -> j takes at any time of day (:func:`travel` at the least
    congested period)."""
    free = arcs[MINUTES, i, j]
    g = grade[i, j]
    return free * low[g]


#: What :func:`candidate_start` found: walk on, an empty route (value 0), or infeasible.
START_WALK, START_EMPTY, START_INFEASIBLE = 0, 1, 2


@njit(cache=True)
def candidate_volume(routes, rlen, st, r0, f, mids, nmid, sr, sp, nodes):
    """m³ of a candidate route assembled as in :func:`cand_score`: prefix and suffix from the
    stored state (``ST_VOLUME``, as the load), the middle pieces walked."""
    vol = st[r0, f - 1, ST_VOLUME] if f > 0 else 0.0
    for m in range(nmid):
        rr = mids[m, MID_ROUTE]
        for p in range(mids[m, MID_START], mids[m, MID_END]):
            vol += nodes[routes[rr, p], VOLUME]
    if sr >= 0:
        ns = rlen[sr]
        if sp < ns:
            vol += st[sr, ns - 1, ST_VOLUME] - (st[sr, sp - 1, ST_VOLUME] if sp > 0 else 0.0)
    return vol


@njit(cache=True, inline="always")
def candidate_start(routes, rlen, st, r0, f, mids, nmid, sr, sp, k, nodes, veh, cfg):
    """Where :func:`cand_score` and :func:`cand_bound` start a candidate (see cand_score for
    its pieces): the stored state after its prefix, and its total load for the capacity
    check before any walking. Returns (START_*, time, cost-km, gkm, load-weighted gkm,
    penalty, load delivered, last node, total load); infeasible when the prefix is already
    late under hard windows or the load exceeds type k's capacity, by weight or (when the
    type has a finite one) by volume, summed over the candidate's stops."""
    hard = cfg[HARD_WINDOWS] > 0.5
    if f > 0:
        t = st[r0, f - 1, ST_TIME]
        ckm = st[r0, f - 1, ST_CKM]
        gd = st[r0, f - 1, ST_GKM]
        gdd = st[r0, f - 1, ST_GKM_DELIVERED]
        pen = st[r0, f - 1, ST_PEN]
        dl = st[r0, f - 1, ST_DELIVERED]
        prev = routes[r0, f - 1]
        late = hard and st[r0, f - 1, ST_LATE] > 1e-9
    else:
        t = nodes[0, READY]
        ckm = 0.0
        gd = 0.0
        gdd = 0.0
        pen = 0.0
        dl = 0.0
        prev = 0
        late = False
    load = dl
    for m in range(nmid):
        rr = mids[m, MID_ROUTE]
        for p in range(mids[m, MID_START], mids[m, MID_END]):
            load += nodes[routes[rr, p], DEMAND]
    if sr >= 0:
        ns = rlen[sr]
        if sp < ns:
            load += st[sr, ns - 1, ST_DELIVERED] - (st[sr, sp - 1, ST_DELIVERED] if sp > 0 else 0.0)
    count = f + (rlen[sr] - sp if sr >= 0 else 0)
    for m in range(nmid):
        count += mids[m, MID_END] - mids[m, MID_START]
    if late:
        state = START_INFEASIBLE
    elif count == 0:
        state = START_EMPTY
    elif load > veh[k, CAPACITY] + 1e-9:
        state = START_INFEASIBLE
    elif (
        veh[k, CAPACITY_M3] < INF
        and excess(k, load, candidate_volume(routes, rlen, st, r0, f, mids, nmid, sr, sp, nodes), veh) > 1e-9
    ):
        state = START_INFEASIBLE
    else:
        state = START_WALK
    return state, t, ckm, gd, gdd, pen, dl, prev, load


@njit(cache=True)
def cand_bound(routes, rlen, st, r0, f, mids, nmid, sr, sp, k, w, low, nodes, arcs, grade, veh, cfg):
    """A lower bound on :func:`cand_score` of the same candidate, in O(1) beyond the middle
    pieces: the unchanged suffix is never walked.

    Exact in everything but time: the prefix is the stored state, km, cost-km and the
    load-weighted emission sums of the suffix concatenate from its route's stored sums (the
    load still on board over a suffix arc is what the rest of the suffix delivers, as in its
    own route). Times are lower bounds: every arc at its least congested period
    (:func:`lowest_congestion`), the suffix's return from its stored tail bounds; the
    penalty counts the prefix's only. With hard windows a bound arrival past a due time (by
    more than BOUND_LATE_TOL) is infeasible for sure. Local search screens moves with it,
    so only a move that may improve is walked exactly; the moves taken do not change.
    """
    hard = cfg[HARD_WINDOWS] > 0.5
    state, t, ckm, gd, gdd, pen, dl, prev, load = candidate_start(routes, rlen, st, r0, f, mids, nmid, sr, sp, k, nodes, veh, cfg)
    if state != START_WALK:
        return 0.0 if state == START_EMPTY else INF
    has_suffix = sr >= 0 and sp < rlen[sr]
    ns = rlen[sr] if sr >= 0 else 0
    for m in range(nmid):
        rr, s0, s1, rev = mids[m, MID_ROUTE], mids[m, MID_START], mids[m, MID_END], mids[m, MID_REVERSED]
        for q in range(s1 - s0):
            p = s1 - 1 - q if rev == 1 else s0 + q
            c = routes[rr, p]
            gkm = arcs[EMISSION_FACTOR, prev, c] * arcs[KM, prev, c]
            ckm += arcs[KM, prev, c] * arcs[COST_FACTOR, prev, c]
            gd += gkm
            gdd += gkm * dl
            t += min_minutes(prev, c, arcs, grade, low)
            if hard and t > nodes[c, DUE] + BOUND_LATE_TOL:
                return INF
            t = max(t, nodes[c, READY]) + nodes[c, SERVICE]
            dl += nodes[c, DEMAND]
            prev = c
    nxt = routes[sr, sp] if has_suffix else 0
    gkm = arcs[EMISSION_FACTOR, prev, nxt] * arcs[KM, prev, nxt]
    ckm += arcs[KM, prev, nxt] * arcs[COST_FACTOR, prev, nxt]
    gd += gkm
    gdd += gkm * dl
    t += min_minutes(prev, nxt, arcs, grade, low)
    if has_suffix:
        if hard and t > nodes[nxt, DUE] + BOUND_LATE_TOL:
            return INF
        # the suffix's own arcs, from its route's sums (see the docstring)
        before = st[sr, sp - 1, ST_DELIVERED] if sp > 0 else 0.0
        dgd = st[sr, ns, ST_GKM] - st[sr, sp, ST_GKM]
        gdd += (dl - before) * dgd + st[sr, ns, ST_GKM_DELIVERED] - st[sr, sp, ST_GKM_DELIVERED]
        gd += dgd
        ckm += st[sr, ns, ST_CKM] - st[sr, sp, ST_CKM]
        t = max(t + st[sr, sp, ST_TAIL_MIN], st[sr, sp, ST_TAIL_READY])
    if hard and t > nodes[0, DUE] + BOUND_LATE_TOL:
        return INF
    if energy_excess(k, route_kwh(k, gd, load, veh), veh) > 1e-9:
        return INF  # the battery would run flat (the sums are exact in the bound too)
    emis = route_kg(k, gd, load * gd - gdd, veh)
    cost = route_cost(k, ckm, t - nodes[0, READY], veh)
    return w[0] * cost + w[1] * emis + w[2] * pen


@njit(cache=True, inline="always")
def bound_rejects(bound, current, eps):
    """Whether a candidate whose value is at least ``bound`` cannot beat ``current`` by more
    than ``eps`` (the acceptance test of local search), with BOUND_SLACK for rounding."""
    return bound - BOUND_SLACK * abs(bound) >= current - eps


@njit(cache=True)
def cand_score(routes, rlen, st, r0, f, mids, nmid, sr, sp, k, w, nodes, arcs, grade, cong, veh, cfg):
    """Scalarised value of a candidate route assembled from pieces of current routes.

    The candidate is: the first f stops of route r0, then ``nmid`` middle pieces
    (``mids[i, MID_*]`` = route, start, end, reversed), then the suffix ``routes[sr, sp:]``
    of an unchanged route (none when sr < 0). Only the changed part is walked: the prefix
    state comes from ``st[r0, f - 1]`` and, as soon as the vehicle leaves a suffix stop at
    the same time as in the suffix's own route (it waited for a window opening, say), the
    rest is taken from that route's stored sums instead of being walked. Infinite when over
    capacity or, with hard windows, late. Equals :func:`route_score` of the assembled route.
    """
    hard = cfg[HARD_WINDOWS] > 0.5
    state, t, ckm, gd, gdd, pen, dl, prev, load = candidate_start(routes, rlen, st, r0, f, mids, nmid, sr, sp, k, nodes, veh, cfg)
    if state != START_WALK:
        return 0.0 if state == START_EMPTY else INF
    # walk the middle pieces, then the unchanged suffix (the last piece, which may merge)
    merged = False
    npieces = nmid + (1 if sr >= 0 else 0)
    for m in range(npieces):
        suffix = m == nmid
        if suffix:
            rr, s0, s1, rev = sr, sp, rlen[sr], 0
        else:
            rr, s0, s1, rev = mids[m, MID_ROUTE], mids[m, MID_START], mids[m, MID_END], mids[m, MID_REVERSED]
        for q in range(s1 - s0):
            p = s1 - 1 - q if rev == 1 else s0 + q
            c = routes[rr, p]
            _, minutes, gkm, ckm_a = travel(prev, c, t, arcs, grade, cong, cfg)
            ckm += ckm_a
            gd += gkm
            gdd += gkm * dl
            pen_a, late_a, t = arrive(c, t + minutes, nodes, cfg)
            if hard and late_a > 1e-9:
                return INF
            pen += pen_a
            t += nodes[c, SERVICE]
            dl += nodes[c, DEMAND]
            prev = c
            if suffix and t == st[sr, p, ST_TIME]:
                # same departure as in route sr from here on: add its remaining sums
                ns = s1
                if hard and st[sr, ns, ST_LATE] - st[sr, p, ST_LATE] > 1e-9:
                    return INF
                ddl = dl - st[sr, p, ST_DELIVERED]
                dgd = st[sr, ns, ST_GKM] - st[sr, p, ST_GKM]
                ckm += st[sr, ns, ST_CKM] - st[sr, p, ST_CKM]
                gdd += st[sr, ns, ST_GKM_DELIVERED] - st[sr, p, ST_GKM_DELIVERED] + ddl * dgd
                gd += dgd
                pen += st[sr, ns, ST_PEN] - st[sr, p, ST_PEN]
                t = st[sr, ns, ST_TIME]
                merged = True
                break
    if not merged:
        _, minutes, gkm, ckm_a = travel(prev, 0, t, arcs, grade, cong, cfg)
        ckm += ckm_a
        gd += gkm
        gdd += gkm * dl
        pen_a, late_a, t = arrive(0, t + minutes, nodes, cfg)
        if hard and late_a > 1e-9:
            return INF
        pen += pen_a
    # the load carried over an arc is the total minus what was delivered before it
    if energy_excess(k, route_kwh(k, gd, load, veh), veh) > 1e-9:
        return INF  # the battery would run flat (the sums are exact in the bound too)
    emis = route_kg(k, gd, load * gd - gdd, veh)
    cost = route_cost(k, ckm, t - nodes[0, READY], veh)
    return w[0] * cost + w[1] * emis + w[2] * pen


@njit(cache=True)
def _materialize(routes, rlen, r0, f, mids, nmid, sr, sp, buf):
    """Write the candidate route described as in :func:`cand_score` into buf; returns its length."""
    m = 0
    for p in range(f):
        buf[m] = routes[r0, p]
        m += 1
    for i in range(nmid):
        rr = mids[i, MID_ROUTE]
        s0 = mids[i, MID_START]
        s1 = mids[i, MID_END]
        for q in range(s1 - s0):
            buf[m] = routes[rr, s1 - 1 - q] if mids[i, MID_REVERSED] == 1 else routes[rr, s0 + q]
            m += 1
    if sr >= 0:
        for p in range(sp, rlen[sr]):
            buf[m] = routes[sr, p]
            m += 1
    return m


@njit(cache=True, inline="always")
def _set_mid(mids, i, r, s0, s1, rev):
    mids[i, MID_ROUTE] = r
    mids[i, MID_START] = s0
    mids[i, MID_END] = s1
    mids[i, MID_REVERSED] = rev


@njit(cache=True)
def local_search(routes, rlen, rtype, nr, w, neigh, max_passes, nodes, arcs, grade, cong, veh, cfg):
    """First-improvement local search on a solution held as a route matrix, in place.

    Neighbourhoods, on granular candidate lists (``neigh[u]``: the customers nearest u in
    space and time): relocate of u after or before a neighbour v, of the pair (u, next)
    kept or reversed and of three customers after v; swap of u and v; 2-opt* between two
    routes (both tail exchanges); 2-opt inside a route; moving u to an unused vehicle; and
    changing a route's vehicle type. A move is taken when it lowers the scalarised value
    ``w . (C, E, T)`` of the routes it touches; routes stay within capacity and, with hard
    windows, on time. Candidates are scored by :func:`cand_score` without being built;
    only an accepted move is written. Returns the number of routes.
    """
    # integer constants handed to a kernel as typed int64 values: numba compiles a callee once
    # per distinct literal argument otherwise (cand_score four times, measured on a cold cache)
    zero, one, no_route = np.int64(0), np.int64(1), np.int64(-1)
    n1 = nodes.shape[0]
    K = veh.shape[0]
    R = routes.shape[0]
    W = routes.shape[1]
    where_r = np.full(n1, -1, dtype=np.int64)
    where_i = np.full(n1, -1, dtype=np.int64)
    rs = np.zeros(R)
    st = np.zeros((R, W + 1, ST_FIELDS))
    used = np.zeros(K, dtype=np.int64)
    ma = np.zeros((3, MID_FIELDS), dtype=np.int64)
    mb = np.zeros((3, MID_FIELDS), dtype=np.int64)
    for r in range(nr):
        for i in range(rlen[r]):
            where_r[routes[r, i]] = r
            where_i[routes[r, i]] = i
        _refresh(r, routes, rlen, st, nodes, arcs, grade, cong, cfg)
        rs[r] = cand_score(
            routes, rlen, st, r, rlen[r], ma, zero, no_route, zero, rtype[r], w, nodes, arcs, grade, cong, veh, cfg
        )
        if rlen[r] > 0:
            used[rtype[r]] += 1
    bufA = np.empty(W, dtype=np.int64)
    bufB = np.empty(W, dtype=np.int64)
    low = lowest_congestion(cong)
    G = neigh.shape[1]
    eps = 1e-9
    # Don't-look bits by time stamps: the moves of u depend only on the routes of u and of
    # its neighbours, so u is skipped while none of them changed since u's last full scan
    # without an improvement (exact: the skipped moves would all be rejected again).
    stamp = one
    mod = np.ones(R, dtype=np.int64)
    scanned = np.zeros(n1, dtype=np.int64)
    for _pass in range(max_passes):
        improved = False
        for u in range(1, n1):
            ru = where_r[u]
            if ru < 0:
                continue
            if scanned[u] > 0 and mod[ru] <= scanned[u]:
                fresh = False
                for gi in range(G):
                    rv = where_r[neigh[u, gi]]
                    if rv >= 0 and mod[rv] > scanned[u]:
                        fresh = True
                        break
                if not fresh:
                    continue
            moved = False
            for gi in range(G):
                v = neigh[u, gi]
                ru = where_r[u]
                rv = where_r[v]
                if ru < 0 or rv < 0 or v == u:
                    continue
                iu = where_i[u]
                iv = where_i[v]
                la = rlen[ru]
                two = ru != rv
                applied = False
                for mv in range(9):
                    # candidate A: (ru, fa, ma[:na], sra, spa); candidate B likewise (inter-route)
                    fa = 0
                    na = 0
                    sra = ru
                    spa = 0
                    fb = 0
                    nb = 0
                    srb = rv
                    spb = 0
                    if mv <= 4:
                        if mv <= 1:
                            L, rev, before = 1, 0, mv == 1
                        elif mv == 2:
                            L, rev, before = 2, 0, False
                        elif mv == 3:
                            L, rev, before = 2, 1, False
                        else:
                            L, rev, before = 3, 0, False
                        if iu + L > la:
                            continue
                        ins = iv if before else iv + 1
                        if two:
                            fa = iu
                            spa = iu + L
                            fb = ins
                            _set_mid(mb, 0, ru, iu, iu + L, rev)
                            nb = 1
                            spb = ins
                        else:
                            if ins >= iu and ins <= iu + L:
                                continue  # v inside the chain, or no change
                            if ins > iu:
                                fa = iu
                                _set_mid(ma, 0, ru, iu + L, ins, 0)
                                _set_mid(ma, 1, ru, iu, iu + L, rev)
                                na = 2
                                spa = ins
                            else:
                                fa = ins
                                _set_mid(ma, 0, ru, iu, iu + L, rev)
                                _set_mid(ma, 1, ru, ins, iu, 0)
                                na = 2
                                spa = iu + L
                    elif mv == 5:
                        if two:
                            fa = iu
                            _set_mid(ma, 0, rv, iv, iv + 1, 0)
                            na = 1
                            spa = iu + 1
                            fb = iv
                            _set_mid(mb, 0, ru, iu, iu + 1, 0)
                            nb = 1
                            spb = iv + 1
                        else:
                            i0 = min(iu, iv)
                            j0 = max(iu, iv)
                            fa = i0
                            _set_mid(ma, 0, ru, j0, j0 + 1, 0)
                            _set_mid(ma, 1, ru, i0 + 1, j0, 0)
                            _set_mid(ma, 2, ru, i0, i0 + 1, 0)
                            na = 3
                            spa = j0 + 1
                    elif mv == 6 or mv == 7:
                        if not two:
                            continue
                        if mv == 6:
                            # 2-opt*, u -> v: A = a[:iu+1] + b[iv:], B = b[:iv] + a[iu+1:]
                            fa = iu + 1
                            sra = rv
                            spa = iv
                            fb = iv
                            srb = ru
                            spb = iu + 1
                        else:
                            # 2-opt*, v -> u: A = a[:iu] + b[iv+1:], B = b[:iv+1] + a[iu:]
                            fa = iu
                            sra = rv
                            spa = iv + 1
                            fb = iv + 1
                            srb = ru
                            spb = iu
                    else:
                        # 2-opt inside a route: u followed by v
                        if two or iu + 1 >= iv:
                            continue
                        fa = iu + 1
                        _set_mid(ma, 0, ru, iu + 1, iv + 1, 1)
                        na = 1
                        spa = iv + 1
                    # screen with the bounds first: most candidates are rejected without a walk
                    la_b = cand_bound(routes, rlen, st, ru, fa, ma, na, sra, spa, rtype[ru], w, low, nodes, arcs, grade, veh, cfg)
                    if la_b >= INF:
                        continue
                    if two:
                        lb_b = cand_bound(
                            routes, rlen, st, rv, fb, mb, nb, srb, spb, rtype[rv], w, low, nodes, arcs, grade, veh, cfg
                        )
                        if lb_b >= INF or bound_rejects(la_b + lb_b, rs[ru] + rs[rv], eps):
                            continue
                    elif bound_rejects(la_b, rs[ru], eps):
                        continue
                    sa = cand_score(routes, rlen, st, ru, fa, ma, na, sra, spa, rtype[ru], w, nodes, arcs, grade, cong, veh, cfg)
                    if sa >= INF:
                        continue
                    if two:
                        sb = cand_score(
                            routes, rlen, st, rv, fb, mb, nb, srb, spb, rtype[rv], w, nodes, arcs, grade, cong, veh, cfg
                        )
                        if sa + sb >= rs[ru] + rs[rv] - eps:
                            continue
                        lenA = _materialize(routes, rlen, ru, fa, ma, na, sra, spa, bufA)
                        lenB = _materialize(routes, rlen, rv, fb, mb, nb, srb, spb, bufB)
                        for p in range(lenB):
                            routes[rv, p] = bufB[p]
                        if lenB == 0 and rlen[rv] > 0:
                            used[rtype[rv]] -= 1
                        rlen[rv] = lenB
                        rs[rv] = sb
                    else:
                        if sa >= rs[ru] - eps:
                            continue
                        lenA = _materialize(routes, rlen, ru, fa, ma, na, sra, spa, bufA)
                    for p in range(lenA):
                        routes[ru, p] = bufA[p]
                    if lenA == 0 and la > 0:
                        used[rtype[ru]] -= 1
                    rlen[ru] = lenA
                    rs[ru] = sa
                    applied = True
                    break
                if applied:
                    improved = True
                    moved = True
                    stamp += 1
                    mod[ru] = stamp
                    mod[rv] = stamp
                    for p in range(rlen[ru]):
                        where_r[routes[ru, p]] = ru
                        where_i[routes[ru, p]] = p
                    _refresh(ru, routes, rlen, st, nodes, arcs, grade, cong, cfg)
                    if two:
                        for p in range(rlen[rv]):
                            where_r[routes[rv, p]] = rv
                            where_i[routes[rv, p]] = p
                        _refresh(rv, routes, rlen, st, nodes, arcs, grade, cong, cfg)
            scanned[u] = 0 if moved else stamp
            # --- move u alone to an unused vehicle
            ru = where_r[u]
            iu = where_i[u]
            la = rlen[ru]
            if la > 1:
                empty = -1
                for r2 in range(R):
                    if r2 >= nr or rlen[r2] == 0:
                        empty = r2
                        break
                if empty >= 0:
                    _set_mid(mb, 0, ru, iu, iu + 1, 0)
                    kk = -1
                    sb = INF
                    for k in range(K):
                        if used[k] >= veh[k, COUNT]:
                            continue
                        s = cand_score(
                            routes, rlen, st, ru, zero, mb, one, no_route, zero, k, w, nodes, arcs, grade, cong, veh, cfg
                        )
                        if s < sb:
                            sb = s
                            kk = k
                    if kk >= 0:
                        sa = cand_score(
                            routes, rlen, st, ru, iu, ma, zero, ru, iu + 1, rtype[ru], w, nodes, arcs, grade, cong, veh, cfg
                        )
                        if sa + sb < rs[ru] - eps:
                            lenA = _materialize(routes, rlen, ru, iu, ma, zero, ru, iu + 1, bufA)
                            for p in range(lenA):
                                routes[ru, p] = bufA[p]
                            rlen[ru] = lenA
                            rs[ru] = sa
                            routes[empty, 0] = u
                            rlen[empty] = 1
                            rtype[empty] = kk
                            rs[empty] = sb
                            used[kk] += 1
                            if empty >= nr:
                                nr = empty + 1
                            for p in range(lenA):
                                where_i[routes[ru, p]] = p
                            where_r[u] = empty
                            where_i[u] = 0
                            _refresh(ru, routes, rlen, st, nodes, arcs, grade, cong, cfg)
                            _refresh(empty, routes, rlen, st, nodes, arcs, grade, cong, cfg)
                            stamp += 1
                            mod[ru] = stamp
                            mod[empty] = stamp
                            improved = True
        # --- vehicle type of each route (the stored sums make each check O(1))
        if K > 1:
            for r in range(nr):
                if rlen[r] == 0:
                    continue
                used[rtype[r]] -= 1
                best = rtype[r]
                best_s = rs[r]
                for k in range(K):
                    if k == rtype[r] or used[k] >= veh[k, COUNT]:
                        continue
                    s2 = cand_score(
                        routes, rlen, st, r, rlen[r], ma, zero, no_route, zero, k, w, nodes, arcs, grade, cong, veh, cfg
                    )
                    if s2 < best_s - eps:
                        best_s = s2
                        best = k
                if best != rtype[r]:
                    rtype[r] = best
                    rs[r] = best_s
                    stamp += 1
                    mod[r] = stamp
                    improved = True
                used[rtype[r]] += 1
        if not improved:
            break
    # compact: drop empty routes
    m = 0
    for r in range(nr):
        if rlen[r] > 0:
            if m != r:
                for p in range(rlen[r]):
                    routes[m, p] = routes[r, p]
                rlen[m] = rlen[r]
                rtype[m] = rtype[r]
            m += 1
    return m


# ---------------------------------------------------------------------------- whole solutions


@njit(cache=True)
def solution_eval(tour, rstart, rtype, nr, nodes, arcs, grade, cong, veh, cfg):
    """Totals of a flat solution: (cost, kg CO2, penalty, km, overload, lateness, fleet excess)."""
    tot = np.zeros(TOTAL_FIELDS)
    K = veh.shape[0]
    used = np.zeros(K)
    for r in range(nr):
        ln = rstart[r + 1] - rstart[r]
        if ln == 0:
            continue
        used[rtype[r]] += 1
        res = route_eval(tour, rstart[r], ln, rtype[r], nodes, arcs, grade, cong, veh, cfg)
        tot[TOTAL_COST] += res[COST]
        tot[TOTAL_EMIS] += res[EMIS]
        tot[TOTAL_PEN] += res[PEN]
        tot[TOTAL_DIST] += res[DIST]
        tot[TOTAL_OVERLOAD] += res[OVERLOAD]
        tot[TOTAL_LATE] += res[LATE]
    for k in range(K):
        if used[k] > veh[k, COUNT]:
            tot[TOTAL_FLEET] += used[k] - veh[k, COUNT]
    return tot


@njit(cache=True)
def _route_angles(routes, rlen, nr, nodes_xy):
    ang = np.empty(nr)
    for r in range(nr):
        sx = 0.0
        sy = 0.0
        for p in range(rlen[r]):
            sx += nodes_xy[routes[r, p], 0] - nodes_xy[0, 0]
            sy += nodes_xy[routes[r, p], 1] - nodes_xy[0, 1]
        ang[r] = np.arctan2(sy, sx)
    return ang


@njit(cache=True)
def decode_one(
    keys, w, max_routes, ls_passes, neigh, xy, nodes, arcs, grade, cong, veh, cfg, tour_out, rstart_out, rtype_out, keys_out
):
    """Keys -> giant tour -> Split -> local search -> canonical flat solution and new keys.

    The giant tour is the customers sorted by key (stable, so ties resolve by index). After
    local search the routes are ordered by the polar angle of their centroid around the
    depot, and the keys are rewritten as evenly spaced ranks of that order (Lamarckian
    write-back), so a wolf's position always encodes the solution it stands for.
    Returns the number of routes.
    """
    n = keys.shape[0]
    order = np.argsort(keys, kind="mergesort")
    tour = order + 1
    rstart = np.zeros(n + 2, dtype=np.int64)
    rtype = np.zeros(n + 1, dtype=np.int64)
    nr = split_free(tour, w, nodes, arcs, grade, cong, veh, cfg, rstart, rtype)
    if nr > max_routes:
        nr = split(tour, w, max_routes, nodes, arcs, grade, cong, veh, cfg, rstart, rtype)
    if nr < 0:
        # no feasible split within the fleet: one route per customer-chunk regardless of count
        rstart2 = np.zeros(n + 2, dtype=np.int64)
        rtype2 = np.zeros(n + 1, dtype=np.int64)
        nr = split_free(tour, w, nodes, arcs, grade, cong, veh, cfg, rstart2, rtype2)
        if nr < 0:
            # even single-customer routes fail (hard windows too tight): keep one per customer
            nr = n
            for r in range(n + 1):
                rstart2[r] = r
            for r in range(n):
                rtype2[r] = 0
        rstart = rstart2
        rtype = rtype2
    repair_types(tour, rstart, rtype, nr, w, nodes, arcs, grade, cong, veh, cfg)
    R = max(nr, max_routes) + 1
    routes = np.zeros((R, n + 1), dtype=np.int64)
    rlen = np.zeros(R, dtype=np.int64)
    rt = np.zeros(R, dtype=np.int64)
    for r in range(nr):
        rlen[r] = rstart[r + 1] - rstart[r]
        rt[r] = rtype[r]
        for p in range(rlen[r]):
            routes[r, p] = tour[rstart[r] + p]
    if ls_passes > 0:
        nr = local_search(routes, rlen, rt, nr, w, neigh, ls_passes, nodes, arcs, grade, cong, veh, cfg)
    ang = _route_angles(routes, rlen, nr, xy)
    ro = np.argsort(ang, kind="mergesort")
    m = 0
    for q in range(nr):
        r = ro[q]
        rstart_out[q] = m
        rtype_out[q] = rt[r]
        for p in range(rlen[r]):
            c = routes[r, p]
            tour_out[m] = c
            keys_out[c - 1] = (m + 0.5) / n
            m += 1
    rstart_out[nr] = m
    return nr


@njit(cache=True, nogil=True)
def decode_rows(
    lo,
    hi,
    keys,
    wts,
    max_routes,
    ls_passes,
    neigh,
    xy,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
    tours,
    rstarts,
    rtypes,
    nrs,
    objs,
    keys_out,
):
    """decode_one for rows lo..hi-1 of ``keys``, then the totals of :func:`solution_eval`
    into ``objs``; releases the GIL, so :func:`decode_batch` runs rows in threads."""
    for i in range(lo, hi):
        nr = decode_one(
            keys[i],
            wts[i],
            max_routes,
            ls_passes,
            neigh,
            xy,
            nodes,
            arcs,
            grade,
            cong,
            veh,
            cfg,
            tours[i],
            rstarts[i],
            rtypes[i],
            keys_out[i],
        )
        nrs[i] = nr
        objs[i] = solution_eval(tours[i], rstarts[i], rtypes[i], nr, nodes, arcs, grade, cong, veh, cfg)


def decode_batch(
    keys, wts, max_routes, ls_passes, neigh, xy, nodes, arcs, grade, cong, veh, cfg, tours, rstarts, rtypes, nrs, objs, keys_out
):
    """decode_one for every row of ``keys`` in parallel threads, then evaluate each solution.

    ``objs[i]`` receives the totals of :func:`solution_eval`. Rows are independent, so
    results do not depend on the number of threads (:mod:`optimizer.rows`).
    """
    from .rows import run_rows

    run_rows(
        decode_rows,
        keys.shape[0],
        keys,
        wts,
        np.int64(max_routes),
        np.int64(ls_passes),
        neigh,
        xy,
        nodes,
        arcs,
        grade,
        cong,
        veh,
        cfg,
        tours,
        rstarts,
        rtypes,
        nrs,
        objs,
        keys_out,
    )
