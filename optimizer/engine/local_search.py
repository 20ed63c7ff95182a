"""Granular local search on segment summaries: relocate, swap, 2-opt, 2-opt*, SWAP*, type moves.

A solution is a set of vehicle *slots*, one per vehicle of the fleet (``rtype`` fixed per
slot), each holding a route, possibly empty. So a plan can never use more vehicles of a type
than the fleet has: a vehicle-type change is moving a route to an empty slot of another type.

Route r is stored as ``routes[r, 0..rlen[r]+1]`` with the depot (0) at both ends. The search
keeps, per customer c, the summary of its route's prefix up to c (``F[c]``) and of the
suffix from c (``B[c]``); ``F[0]`` is the depot's start and ``B[0]`` its end, the same for
every route, and row ``N + r`` of both holds route r whole. So the prefix through position p
of route r is row ``routes[r, p]`` of F (row ``N + r`` past the last stop), and a candidate
route described as pieces of the current routes (a prefix, a few moved customers, a suffix)
is scored by a handful of :func:`segments.merge_t` calls. Only intra-route moves walk a
middle run of stops. The layout is (customers + slots) rows, not slots x positions: at 1,000
customers and 250 slots that is 120 kB instead of 24 MB, allocated per call.

When the segment values are only a screen (congestion, soft windows; see
:mod:`optimizer.engine.objective`) the stored route values are exact, and a move the screen
finds improving is re-scored on the changed routes with the exact walk before it is applied.

Pieces: ``P[slot, q] = (route, first position, last position, reversed)``, q < ``npieces``;
the first piece of a candidate starts at a depot and the last ends at one.

Speed (numba): the hot loop (:func:`scan_customer`) takes every array as an argument of its
own and calls only helpers inlined into it, so no array changes hands per candidate: taking
an array out of a tuple, or passing it to a function that is not inlined, costs two atomic
reference-count updates, which used to be most of the time. What does not depend on the
routes (whether the arcs are symmetric, the granular neighbour sets as bits) is built once
per instance by :func:`instance_context` and passed to :func:`search_ctx`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import kernels
from . import segments as sg
from .objective import exact_route_value, segment_value

EPS = 1e-7


# ---------------------------------------------------------------------------- per instance


@njit(cache=True)
def arcs_symmetric(arcs):
    """Whether km, grade and cost factors read the same both ways: then a reversed piece's
    arc sums are prefix differences too (see :func:`piece_bound`)."""
    N = arcs.shape[1]
    for f in (0, 2, 3):
        for i in range(N):
            for j in range(i):
                if arcs[f, i, j] != arcs[f, j, i]:
                    return False
    return True


@njit(cache=True)
def neighbour_bits(neigh, n_nodes):
    """(n_nodes, words) int64 bit matrix: bit v of row u is set when v is among u's granular
    neighbours or u among v's (the pairs SWAP* tries)."""
    words = (n_nodes + 63) // 64
    bits = np.zeros((n_nodes, words), dtype=np.int64)
    for c in range(1, neigh.shape[0]):
        for v in neigh[c]:
            bits[c, v >> 6] |= np.int64(1) << (v & 63)
            bits[v, c >> 6] |= np.int64(1) << (c & 63)
    return bits


@njit(cache=True, inline="always")
def is_neighbour(bits, u, v):
    return (bits[u, v >> 6] >> (v & 63)) & 1 != 0


@njit(cache=True)
def instance_context(neigh, arcs):
    """What :func:`search_ctx` needs beyond the routes, computed once per instance:
    ``(sym, bits)``, see :func:`arcs_symmetric` and :func:`neighbour_bits`."""
    return arcs_symmetric(arcs), neighbour_bits(neigh, arcs.shape[1])


# ---------------------------------------------------------------------------- state upkeep


@njit(cache=True, inline="always")
def frow(routes, rlen, N, r, p):
    """Row of F holding route r's prefix through position p."""
    return routes[r, p] if p <= rlen[r] else N + r


@njit(cache=True, inline="always")
def brow(routes, N, r, p):
    """Row of B holding route r's suffix from position p."""
    return routes[r, p] if p >= 1 else N + r


@njit(cache=True)
def init_summaries(F, B, N, R, nodes, arcs):
    """The rows every route shares (depot start and end) and empty routes' whole rows."""
    start = sg.depot_start_t(nodes)
    end = sg.depot_end_t(nodes)
    sg.store_row_t(start, F, 0)
    sg.store_row_t(end, B, 0)
    empty = sg.merge_t(start, end, arcs)
    for r in range(R):
        sg.store_row_t(empty, F, N + r)
        sg.store_row_t(empty, B, N + r)


@njit(cache=True)
def refresh_route(r, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg):
    """Recompute route r's prefix / suffix summaries, positions and value after a change."""
    N = nodes.shape[0]
    n = rlen[r]
    routes[r, 0] = 0
    routes[r, n + 1] = 0
    acc = sg.depot_start_t(nodes)
    for p in range(1, n + 1):
        c = routes[r, p]
        route_of[c] = r
        pos_of[c] = p
        acc = sg.merge_t(acc, sg.node_t(c, nodes), arcs)
        sg.store_row_t(acc, F, c)
    end = sg.depot_end_t(nodes)
    acc = sg.merge_t(acc, end, arcs)
    sg.store_row_t(acc, F, N + r)
    sg.store_row_t(acc, B, N + r)
    back = end
    for p in range(n, 0, -1):
        back = sg.merge_t(sg.node_t(routes[r, p], nodes), back, arcs)
        sg.store_row_t(back, B, routes[r, p])
    if exact:
        rval[r] = exact_route_value(routes[r], np.int64(1), n, rtype[r], obj, nodes, arcs, grade, cong, veh, cfg)
    else:
        rval[r] = segment_value(acc, n, rtype[r], obj, veh, cfg)


# ---------------------------------------------------------------------------- candidates


@njit(cache=True, inline="always")
def piece_value(P, slot, npieces, k, routes, rlen, F, B, obj, nodes, arcs, veh, cfg):
    """Screen value of the route made of pieces ``P[slot, :npieces]`` on vehicle type k."""
    N = nodes.shape[0]
    r, b = P[slot, 0, 0], P[slot, 0, 2]
    acc = sg.row_t(F, frow(routes, rlen, N, r, b))
    length = b
    for q in range(1, npieces):
        r, a, b, rev = P[slot, q, 0], P[slot, q, 1], P[slot, q, 2], P[slot, q, 3]
        if a > b:
            continue
        if rev == 0 and b == rlen[r] + 1:
            nxt = sg.row_t(B, brow(routes, N, r, a))
            i, j = int(acc[sg.LAST]), int(nxt[sg.FIRST])
            acc = sg.merge_arc_t(acc, nxt, arcs[0, i, j], arcs[1, i, j], arcs[2, i, j], arcs[3, i, j])
            length += b - a
            continue
        length += b - a + 1
        for s in range(b - a + 1):
            c = routes[r, b - s] if rev else routes[r, a + s]
            i = int(acc[sg.LAST])
            acc = sg.merge_arc_t(acc, sg.node_t(c, nodes), arcs[0, i, c], arcs[1, i, c], arcs[2, i, c], arcs[3, i, c])
    return segment_value(acc, length, k, obj, veh, cfg)


@njit(cache=True, inline="always")
def piece_bound(P, slot, npieces, k, routes, rlen, F, N, arcs, veh, obj, sym):
    """A lower bound on the candidate's value from its arcs alone: km, cost-km and the empty
    vehicle's emission, which every objective prices at no less than this (duration, load
    emission, penalties are all >= 0). O(pieces): a piece's internal sums are differences of
    prefix sums, read the same backwards when the arcs are symmetric (else it counts 0)."""
    c_km = obj[3]
    c_ckm = obj[0] * veh[k, 4]
    c_gd = obj[1] * veh[k, 2]
    total = 0.0
    length = 0
    prev = -1
    for q in range(npieces):
        r, a, b, rev = P[slot, q, 0], P[slot, q, 1], P[slot, q, 2], P[slot, q, 3]
        if a > b:
            continue
        if rev == 0 or sym:
            fb = frow(routes, rlen, N, r, b)
            fa = frow(routes, rlen, N, r, a)
            total += c_km * (F[fb, 0] - F[fa, 0]) + c_ckm * (F[fb, 1] - F[fa, 1]) + c_gd * (F[fb, 2] - F[fa, 2])
        first = routes[r, b] if rev else routes[r, a]
        if prev >= 0:
            km = arcs[0, prev, first]
            total += km * (c_km + c_ckm * arcs[3, prev, first] + c_gd * arcs[2, prev, first])
        prev = routes[r, a] if rev else routes[r, b]
        length += b - a + 1
    if length <= 2:
        return 0.0
    return total + obj[0] * veh[k, 5]


@njit(cache=True, inline="always")
def materialise(P, slot, npieces, routes, buf):
    """Write the customers of the candidate ``P[slot]`` into buf; returns their number."""
    m = 0
    for q in range(npieces):
        r, a, b, rev = P[slot, q, 0], P[slot, q, 1], P[slot, q, 2], P[slot, q, 3]
        for s in range(max(b - a + 1, 0)):
            c = routes[r, b - s] if rev else routes[r, a + s]
            if c != 0:
                buf[m] = c
                m += 1
    return m


@njit(cache=True, inline="always")
def set_piece(P, slot, q, r, a, b, rev):
    P[slot, q, 0] = r
    P[slot, q, 1] = a
    P[slot, q, 2] = b
    P[slot, q, 3] = rev


@njit(cache=True)
def apply_candidate(
    P,
    na,
    ra,
    nb,
    rb,
    va,
    vb,
    old,
    routes,
    rlen,
    rtype,
    F,
    B,
    rval,
    route_of,
    pos_of,
    bufa,
    bufb,
    obj,
    exact,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
):
    """Rewrite route ra from ``P[0, :na]`` (and rb from ``P[1, :nb]`` when nb > 0), after the
    exact check when the segments are only a screen; True if applied. Out of line: it runs
    once per applied move, the scan around it once per candidate."""
    la = materialise(P, 0, na, routes, bufa)
    lb = materialise(P, 1, nb, routes, bufb) if nb > 0 else np.int64(0)
    if exact:
        va = exact_route_value(bufa, np.int64(0), la, rtype[ra], obj, nodes, arcs, grade, cong, veh, cfg)
        if nb > 0:
            vb = exact_route_value(bufb, np.int64(0), lb, rtype[rb], obj, nodes, arcs, grade, cong, veh, cfg)
        if va + vb >= old - EPS:
            return False
    for p in range(la):
        routes[ra, p + 1] = bufa[p]
    rlen[ra] = la
    refresh_route(ra, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg)
    if nb > 0:
        for p in range(lb):
            routes[rb, p + 1] = bufb[p]
        rlen[rb] = lb
        refresh_route(rb, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg)
    return True


@njit(cache=True)
def try_apply(
    P,
    na,
    ra,
    nb,
    rb,
    routes,
    rlen,
    rtype,
    F,
    B,
    rval,
    route_of,
    pos_of,
    bufa,
    bufb,
    obj,
    exact,
    sym,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
):
    """Apply the candidate (route ra from ``P[0, :na]``, and route rb from ``P[1, :nb]`` when
    nb > 0) if it lowers the penalised value; returns True if applied. For the rarer moves
    (empty vehicle, SWAP*); the granular scan has its own inlined copy."""
    N = nodes.shape[0]
    old = rval[ra] + (rval[rb] if nb > 0 else 0.0)
    lb = piece_bound(P, 0, na, rtype[ra], routes, rlen, F, N, arcs, veh, obj, sym)
    if nb > 0:
        lb += piece_bound(P, 1, nb, rtype[rb], routes, rlen, F, N, arcs, veh, obj, sym)
    if lb >= old - EPS:
        return False
    va = piece_value(P, 0, na, rtype[ra], routes, rlen, F, B, obj, nodes, arcs, veh, cfg)
    if va >= old - EPS:
        return False
    vb = 0.0
    if nb > 0:
        vb = piece_value(P, 1, nb, rtype[rb], routes, rlen, F, B, obj, nodes, arcs, veh, cfg)
    if va + vb >= old - EPS:
        return False
    return apply_candidate(
        P,
        na,
        ra,
        nb,
        rb,
        va,
        vb,
        old,
        routes,
        rlen,
        rtype,
        F,
        B,
        rval,
        route_of,
        pos_of,
        bufa,
        bufb,
        obj,
        exact,
        nodes,
        arcs,
        grade,
        cong,
        veh,
        cfg,
    )


# ---------------------------------------------------------------------------- operators


# A candidate is a tuple of six pieces (route, first, last, reversed): route a's pieces
# first (up to five for intra-route moves, three for inter-route ones), route b's from index
# 3. Built from scalars only, so building one costs no array reference; unused pieces are
# empty (first > last). Each operator family is a list of candidate ids scored by one loop.

N_INTER = 16
N_INTRA = 7
SLOT_B = 3
NONE = (0, 1, 0, 0)


@njit(cache=True, inline="always")
def inter_candidate(c, U, V, i, j, nu, nv):
    """Inter-route candidate c for u = U[i], v = V[j]: (na, nb, pieces), na = 0 when the
    candidate does not apply."""
    if c < 10:
        # relocate a chain of 1-3 starting at u, after v or before v, kept or reversed
        if c < 2:
            L, after, rev = 1, c, 0
        else:
            L = 2 if c < 6 else 3
            after = (c - 2) % 4 // 2
            rev = (c - 2) % 2
        if i + L - 1 > nu:
            return 0, 0, (NONE, NONE, NONE, NONE, NONE, NONE)
        at = j if after == 1 else j - 1
        return (
            2,
            3,
            ((U, 0, i - 1, 0), (U, i + L, nu + 1, 0), NONE, (V, 0, at, 0), (U, i, i + L - 1, rev), (V, at + 1, nv + 1, 0)),
        )
    if c < 14:
        # swap a chain of 1-2 at u with a chain of 1-2 at v
        L1 = 1 + (c - 10) // 2
        L2 = 1 + (c - 10) % 2
        if i + L1 - 1 > nu or j + L2 - 1 > nv:
            return 0, 0, (NONE, NONE, NONE, NONE, NONE, NONE)
        return (
            3,
            3,
            (
                (U, 0, i - 1, 0),
                (V, j, j + L2 - 1, 0),
                (U, i + L1, nu + 1, 0),
                (V, 0, j - 1, 0),
                (U, i, i + L1 - 1, 0),
                (V, j + L2, nv + 1, 0),
            ),
        )
    # 2-opt*: exchange the tails after u and after v (or after v's predecessor)
    jj = j if c == 14 else j - 1
    return 2, 2, ((U, 0, i, 0), (V, jj + 1, nv + 1, 0), NONE, (V, 0, jj, 0), (U, i + 1, nu + 1, 0), NONE)


@njit(cache=True, inline="always")
def intra_candidate(c, U, i, j, n):
    """Intra-route candidate c for u at i and v at j: (na, 0, pieces), na = 0 when the
    candidate does not apply."""
    if c < 5:
        # relocate a chain of 1-3 starting at u to just after v, kept or reversed
        if c == 0:
            L, rev = 1, 0
        else:
            L = 2 if c < 3 else 3
            rev = (c - 1) % 2
        if i + L - 1 > n or (j >= i - 1 and j <= i + L - 1):
            return 0, 0, (NONE, NONE, NONE, NONE, NONE, NONE)
        if j > i:
            return 4, 0, ((U, 0, i - 1, 0), (U, i + L, j, 0), (U, i, i + L - 1, rev), (U, j + 1, n + 1, 0), NONE, NONE)
        return 4, 0, ((U, 0, j, 0), (U, i, i + L - 1, rev), (U, j + 1, i - 1, 0), (U, i + L, n + 1, 0), NONE, NONE)
    a, b = min(i, j), max(i, j)
    if c == 5:
        # swap u and v
        return 5, 0, ((U, 0, a - 1, 0), (U, b, b, 0), (U, a + 1, b - 1, 0), (U, a, a, 0), (U, b + 1, n + 1, 0), NONE)
    # 2-opt: reverse the run between them so the earlier one is followed by the later one
    if b <= a + 1:
        return 0, 0, (NONE, NONE, NONE, NONE, NONE, NONE)
    return 3, 0, ((U, 0, a, 0), (U, a + 1, b, 1), (U, b + 1, n + 1, 0), NONE, NONE, NONE)


@njit(cache=True, inline="always")
def span_w(b0, b1, b2, a0, a1, a2, c_km, c_ckm, c_gd):
    """:func:`piece_bound`'s term for a piece read forwards: weighted prefix differences."""
    return c_km * (b0 - a0) + c_ckm * (b1 - a1) + c_gd * (b2 - a2)


@njit(cache=True, inline="always")
def arc_w(km, cost_factor, grade_factor, c_km, c_ckm, c_gd):
    """:func:`piece_bound`'s term for one arc."""
    return km * (c_km + c_ckm * cost_factor + c_gd * grade_factor)


@njit(cache=True)
def inter_bounds(U, V, i, j, routes, rlen, rtype, F, arcs, veh, obj, sym, pre, lbs):
    """The arc bound of the 16 inter-route candidates of u = U[i], v = V[j] into lbs (inf
    where a candidate does not apply): bit for bit :func:`piece_bound` of
    :func:`inter_candidate`'s pieces, summed in the same order, but each piece's weighted
    prefix difference computed once for the pair instead of once per candidate. ``pre`` is
    (2, 6, 3) work space: the prefix sums around u (U's positions i-1 .. i+3, then the whole
    route) and around v (V's positions j-1 .. j+2, then the whole route).

    When the arcs are symmetric every arc is read from the row of its end on u's side (u's
    route near u): the few rows around u stay in cache while u meets its neighbours, where
    reading v's rows would miss the cache once per arc at 1,000 customers."""
    N = F.shape[0] - routes.shape[0]
    nu, nv = rlen[U], rlen[V]
    kU, kV = rtype[U], rtype[V]
    c_km = obj[3]
    u_ckm, u_gd, u_fix = obj[0] * veh[kU, 4], obj[1] * veh[kU, 2], obj[0] * veh[kU, 5]
    v_ckm, v_gd, v_fix = obj[0] * veh[kV, 4], obj[1] * veh[kV, 2], obj[0] * veh[kV, 5]
    for t in range(5):
        p = i - 1 + t
        if p <= nu + 1:
            row = routes[U, p] if p <= nu else N + U
            pre[0, t, 0], pre[0, t, 1], pre[0, t, 2] = F[row, 0], F[row, 1], F[row, 2]
    for t in range(4):
        p = j - 1 + t
        if p <= nv + 1:
            row = routes[V, p] if p <= nv else N + V
            pre[1, t, 0], pre[1, t, 1], pre[1, t, 2] = F[row, 0], F[row, 1], F[row, 2]
    for s in range(2):
        row = N + (U if s == 0 else V)
        pre[s, 5, 0], pre[s, 5, 1], pre[s, 5, 2] = F[row, 0], F[row, 1], F[row, 2]
    z0, z1, z2 = F[0, 0], F[0, 1], F[0, 2]
    # km only (cost and CO2 unweighted): an arc's weight is km x c_km to the last bit, as
    # the factors are finite (RoutingInstance checks its inputs) and 0 x factor adds exact
    # zeros; the two other arc arrays are then not read at all
    km_only = obj[0] == 0.0 and obj[1] == 0.0
    for c in range(N_INTER):
        lbs[c] = np.inf
    # relocate chains of L = 1..3 from u: route U without the chain, the same for all four
    # variants of each L
    for L in range(1, 4):
        if i + L - 1 > nu:
            break
        total = 0.0
        total += span_w(pre[0, 0, 0], pre[0, 0, 1], pre[0, 0, 2], z0, z1, z2, c_km, u_ckm, u_gd)
        total += span_w(
            pre[0, 5, 0], pre[0, 5, 1], pre[0, 5, 2], pre[0, L + 1, 0], pre[0, L + 1, 1], pre[0, L + 1, 2], c_km, u_ckm, u_gd
        )
        p, f = routes[U, i - 1], routes[U, i + L]
        total += arcs[0, p, f] * c_km if km_only else arc_w(arcs[0, p, f], arcs[3, p, f], arcs[2, p, f], c_km, u_ckm, u_gd)
        b_u = total + u_fix if nu + 2 - L > 2 else 0.0
        # the chain's own arcs priced on V's vehicle
        w_chain = span_w(pre[0, L, 0], pre[0, L, 1], pre[0, L, 2], pre[0, 1, 0], pre[0, 1, 1], pre[0, 1, 2], c_km, v_ckm, v_gd)
        for after in range(2):
            at = j if after == 1 else j - 1
            t = at - j + 1
            w_head = span_w(pre[1, t, 0], pre[1, t, 1], pre[1, t, 2], z0, z1, z2, c_km, v_ckm, v_gd)
            w_tail = span_w(
                pre[1, 5, 0], pre[1, 5, 1], pre[1, 5, 2], pre[1, t + 1, 0], pre[1, t + 1, 1], pre[1, t + 1, 2], c_km, v_ckm, v_gd
            )
            for rev in range(2 if L > 1 else 1):
                first = routes[U, i + L - 1] if rev else routes[U, i]
                last = routes[U, i] if rev else routes[U, i + L - 1]
                total = 0.0
                total += w_head
                if rev == 0 or sym:
                    total += w_chain
                # read from the row of u's side (see above): the same value when symmetric
                x, y = (first, routes[V, at]) if sym else (routes[V, at], first)
                total += (
                    arcs[0, x, y] * c_km if km_only else arc_w(arcs[0, x, y], arcs[3, x, y], arcs[2, x, y], c_km, v_ckm, v_gd)
                )
                total += w_tail
                f = routes[V, at + 1]
                total += (
                    arcs[0, last, f] * c_km
                    if km_only
                    else arc_w(arcs[0, last, f], arcs[3, last, f], arcs[2, last, f], c_km, v_ckm, v_gd)
                )
                lb = 0.0
                lb += b_u
                lb += total + v_fix
                lbs[after if L == 1 else 2 + 4 * (L - 2) + 2 * after + rev] = lb
    # swap a chain of L1 at u with a chain of L2 at v
    for L1 in range(1, 3):
        for L2 in range(1, 3):
            if i + L1 - 1 > nu or j + L2 - 1 > nv:
                continue
            total = 0.0
            total += span_w(pre[0, 0, 0], pre[0, 0, 1], pre[0, 0, 2], z0, z1, z2, c_km, u_ckm, u_gd)
            total += span_w(
                pre[1, L2, 0], pre[1, L2, 1], pre[1, L2, 2], pre[1, 1, 0], pre[1, 1, 1], pre[1, 1, 2], c_km, u_ckm, u_gd
            )
            p, f = routes[U, i - 1], routes[V, j]
            total += arcs[0, p, f] * c_km if km_only else arc_w(arcs[0, p, f], arcs[3, p, f], arcs[2, p, f], c_km, u_ckm, u_gd)
            total += span_w(
                pre[0, 5, 0],
                pre[0, 5, 1],
                pre[0, 5, 2],
                pre[0, L1 + 1, 0],
                pre[0, L1 + 1, 1],
                pre[0, L1 + 1, 2],
                c_km,
                u_ckm,
                u_gd,
            )
            p, f = (routes[U, i + L1], routes[V, j + L2 - 1]) if sym else (routes[V, j + L2 - 1], routes[U, i + L1])
            total += arcs[0, p, f] * c_km if km_only else arc_w(arcs[0, p, f], arcs[3, p, f], arcs[2, p, f], c_km, u_ckm, u_gd)
            lb = 0.0
            if nu + 2 + L2 - L1 > 2:
                lb += total + u_fix
            total = 0.0
            total += span_w(pre[1, 0, 0], pre[1, 0, 1], pre[1, 0, 2], z0, z1, z2, c_km, v_ckm, v_gd)
            total += span_w(
                pre[0, L1, 0], pre[0, L1, 1], pre[0, L1, 2], pre[0, 1, 0], pre[0, 1, 1], pre[0, 1, 2], c_km, v_ckm, v_gd
            )
            p, f = (routes[U, i], routes[V, j - 1]) if sym else (routes[V, j - 1], routes[U, i])
            total += arcs[0, p, f] * c_km if km_only else arc_w(arcs[0, p, f], arcs[3, p, f], arcs[2, p, f], c_km, v_ckm, v_gd)
            total += span_w(
                pre[1, 5, 0],
                pre[1, 5, 1],
                pre[1, 5, 2],
                pre[1, L2 + 1, 0],
                pre[1, L2 + 1, 1],
                pre[1, L2 + 1, 2],
                c_km,
                v_ckm,
                v_gd,
            )
            p, f = routes[U, i + L1 - 1], routes[V, j + L2]
            total += arcs[0, p, f] * c_km if km_only else arc_w(arcs[0, p, f], arcs[3, p, f], arcs[2, p, f], c_km, v_ckm, v_gd)
            if nv + 2 + L1 - L2 > 2:
                lb += total + v_fix
            lbs[10 + 2 * (L1 - 1) + (L2 - 1)] = lb
    # 2-opt*: U's head with V's tail after jj, V's head up to jj with U's tail
    for c in range(14, 16):
        jj = j if c == 14 else j - 1
        t = jj - j + 1
        total = 0.0
        total += span_w(pre[0, 1, 0], pre[0, 1, 1], pre[0, 1, 2], z0, z1, z2, c_km, u_ckm, u_gd)
        total += span_w(
            pre[1, 5, 0], pre[1, 5, 1], pre[1, 5, 2], pre[1, t + 1, 0], pre[1, t + 1, 1], pre[1, t + 1, 2], c_km, u_ckm, u_gd
        )
        p, f = routes[U, i], routes[V, jj + 1]
        total += arcs[0, p, f] * c_km if km_only else arc_w(arcs[0, p, f], arcs[3, p, f], arcs[2, p, f], c_km, u_ckm, u_gd)
        lb = 0.0
        if i + 1 + nv + 1 - jj > 2:
            lb += total + u_fix
        total = 0.0
        total += span_w(pre[1, t, 0], pre[1, t, 1], pre[1, t, 2], z0, z1, z2, c_km, v_ckm, v_gd)
        total += span_w(pre[0, 5, 0], pre[0, 5, 1], pre[0, 5, 2], pre[0, 2, 0], pre[0, 2, 1], pre[0, 2, 2], c_km, v_ckm, v_gd)
        p, f = (routes[U, i + 1], routes[V, jj]) if sym else (routes[V, jj], routes[U, i + 1])
        total += arcs[0, p, f] * c_km if km_only else arc_w(arcs[0, p, f], arcs[3, p, f], arcs[2, p, f], c_km, v_ckm, v_gd)
        if jj + 1 + nu + 1 - i > 2:
            lb += total + v_fix
        lbs[c] = lb


@njit(cache=True)
def candidate_pieces(na, nb, pieces, P):
    """Write a candidate tuple into the piece array P (slot 0: route a, slot 1: route b)."""
    for q in range(na):
        set_piece(P, 0, q, pieces[q][0], pieces[q][1], pieces[q][2], pieces[q][3])
    for q in range(nb):
        t = pieces[SLOT_B + q]
        set_piece(P, 1, q, t[0], t[1], t[2], t[3])


@njit(cache=True)
def scan_customer(
    u,
    tested,
    stamp,
    moves,
    max_moves,
    last_mod,
    neigh,
    routes,
    rlen,
    rtype,
    F,
    B,
    rval,
    route_of,
    pos_of,
    P,
    bufa,
    bufb,
    pre,
    lbs,
    obj,
    exact,
    sym,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
):
    """The granular moves of u: for each neighbour v (in the list's order) whose routes
    changed since u was last tried, the inter-route candidates (u and v in different routes)
    or the intra-route ones, the first improving one applied. Returns (stamp, moves).

    The inter-route bounds come from :func:`inter_bounds`, once per pair; the intra-route
    bound and the segment values are written out here rather than called (they are
    :func:`piece_bound` and :func:`piece_value`, which the tests hold this to): an inlined
    function's array arguments are reference-counted on every call."""
    N = nodes.shape[0]
    c_km = obj[3]
    for v in neigh[u]:
        if moves >= max_moves:
            break
        U, V = route_of[u], route_of[v]
        if max(last_mod[U], last_mod[V]) <= tested:
            continue
        i, j = pos_of[u], pos_of[v]
        inter = U != V
        old = rval[U] + rval[V] if inter else rval[U]
        ncand = N_INTER if inter else N_INTRA
        if inter:
            inter_bounds(U, V, i, j, routes, rlen, rtype, F, arcs, veh, obj, sym, pre, lbs)
        for c in range(ncand):
            if inter:
                if lbs[c] >= old - EPS:
                    continue
                na, nb, pieces = inter_candidate(c, U, V, i, j, rlen[U], rlen[V])
            else:
                na, nb, pieces = intra_candidate(c, U, i, j, rlen[U])
            if na == 0:
                continue
            # -- lower bound from the arcs (piece_bound); inter_bounds did the inter-route ones
            lb = lbs[c] if inter else 0.0
            for slot in range(0 if inter else 1):
                npieces = na if slot == 0 else nb
                base = 0 if slot == 0 else SLOT_B
                k = rtype[U] if slot == 0 else rtype[V]
                c_ckm = obj[0] * veh[k, 4]
                c_gd = obj[1] * veh[k, 2]
                total = 0.0
                length = 0
                prev = -1
                for q in range(npieces):
                    r, a, b, rev = pieces[base + q]
                    if a > b:
                        continue
                    if rev == 0 or sym:
                        fb = routes[r, b] if b <= rlen[r] else N + r
                        fa = routes[r, a] if a <= rlen[r] else N + r
                        total += c_km * (F[fb, 0] - F[fa, 0]) + c_ckm * (F[fb, 1] - F[fa, 1]) + c_gd * (F[fb, 2] - F[fa, 2])
                    first = routes[r, b] if rev else routes[r, a]
                    if prev >= 0:
                        km = arcs[0, prev, first]
                        total += km * (c_km + c_ckm * arcs[3, prev, first] + c_gd * arcs[2, prev, first])
                    prev = routes[r, a] if rev else routes[r, b]
                    length += b - a + 1
                if length > 2:
                    lb += total + obj[0] * veh[k, 5]
            if lb >= old - EPS:
                continue
            if inter:
                # a floor under both values: the bound plus the weight overload penalty (volume
                # only adds to the values, so leaving it out keeps the floor below; the loads
                # summed in the order the merges will sum them) and, with hard windows, the
                # time warp the prefix and suffix carry already (joining only adds to it).
                # A candidate is dropped here only if the floor, less a margin far above
                # rounding, is not below the threshold: the values would not be either
                floor = lb
                for slot in range(2):
                    npieces = na if slot == 0 else nb
                    base = 0 if slot == 0 else SLOT_B
                    k = rtype[U] if slot == 0 else rtype[V]
                    r, _, b, _ = pieces[base]
                    fb = routes[r, b] if b <= rlen[r] else N + r
                    load = F[fb, sg.LOAD]
                    warp = F[fb, sg.TW]
                    for q in range(1, npieces):
                        r, a, b, rev = pieces[base + q]
                        if a > b:
                            continue
                        if rev == 0 and b == rlen[r] + 1:
                            br = routes[r, a] if a >= 1 else N + r
                            load = load + B[br, sg.LOAD]
                            warp += B[br, sg.TW]
                        else:
                            for t in range(b - a + 1):
                                load = load + nodes[routes[r, b - t] if rev else routes[r, a + t], 0]
                    cap = veh[k, 0]
                    if load > cap:
                        floor += obj[4] * (load - cap)
                    if obj[6] > 0.5:
                        floor += obj[5] * warp
                if floor - 1e-9 * (abs(old) + 1.0) >= old - EPS:
                    continue
            # -- segment values (piece_value), route a first
            va = 0.0
            vb = 0.0
            improving = True
            for slot in range(2 if nb > 0 else 1):
                npieces = na if slot == 0 else nb
                base = 0 if slot == 0 else SLOT_B
                k = rtype[U] if slot == 0 else rtype[V]
                r, _, b, _ = pieces[base]
                fb = routes[r, b] if b <= rlen[r] else N + r
                acc = (
                    F[fb, 0],
                    F[fb, 1],
                    F[fb, 2],
                    F[fb, 3],
                    F[fb, 4],
                    F[fb, 5],
                    F[fb, 6],
                    F[fb, 7],
                    F[fb, 8],
                    F[fb, 9],
                    F[fb, 10],
                    F[fb, 11],
                    F[fb, 12],
                )
                length = b
                for q in range(1, npieces):
                    r, a, b, rev = pieces[base + q]
                    if a > b:
                        continue
                    x = int(acc[sg.LAST])
                    if rev == 0 and b == rlen[r] + 1:
                        br = routes[r, a] if a >= 1 else N + r
                        y = int(B[br, sg.FIRST])
                        acc = sg.merge_arc_t(
                            acc,
                            (
                                B[br, 0],
                                B[br, 1],
                                B[br, 2],
                                B[br, 3],
                                B[br, 4],
                                B[br, 5],
                                B[br, 6],
                                B[br, 7],
                                B[br, 8],
                                B[br, 9],
                                B[br, 10],
                                B[br, 11],
                                B[br, 12],
                            ),
                            arcs[0, x, y],
                            arcs[1, x, y],
                            arcs[2, x, y],
                            arcs[3, x, y],
                        )
                        length += b - a
                        continue
                    length += b - a + 1
                    for s in range(b - a + 1):
                        y = routes[r, b - s] if rev else routes[r, a + s]
                        node = sg.node_vals_t(y, nodes[y, 0], nodes[y, 1], nodes[y, 2], nodes[y, 3], nodes[y, 4])
                        acc = sg.merge_arc_t(acc, node, arcs[0, x, y], arcs[1, x, y], arcs[2, x, y], arcs[3, x, y])
                        x = y
                value = segment_value(acc, length, k, obj, veh, cfg)
                if slot == 0:
                    va = value
                    if va >= old - EPS:
                        improving = False
                        break
                else:
                    vb = value
                    if va + vb >= old - EPS:
                        improving = False
            if not improving:
                continue
            candidate_pieces(na, nb, pieces, P)
            if apply_candidate(
                P,
                na,
                U,
                nb,
                V,
                va,
                vb,
                old,
                routes,
                rlen,
                rtype,
                F,
                B,
                rval,
                route_of,
                pos_of,
                bufa,
                bufb,
                obj,
                exact,
                nodes,
                arcs,
                grade,
                cong,
                veh,
                cfg,
            ):
                stamp += 1
                last_mod[U] = stamp
                last_mod[V] = stamp
                moves += 1
                break
    return stamp, moves


@njit(cache=True)
def empty_route_move(
    u,
    first_empty,
    P,
    routes,
    rlen,
    rtype,
    F,
    B,
    rval,
    route_of,
    pos_of,
    bufa,
    bufb,
    obj,
    exact,
    sym,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
):
    """Move u alone to an empty vehicle (the first empty slot of each type)."""
    U = route_of[u]
    i = pos_of[u]
    nu = rlen[U]
    for e in first_empty:
        if e < 0 or e == U or rlen[e] != 0:
            continue
        set_piece(P, 0, 0, U, 0, i - 1, 0)
        set_piece(P, 0, 1, U, i + 1, nu + 1, 0)
        set_piece(P, 1, 0, e, 0, 0, 0)
        set_piece(P, 1, 1, U, i, i, 0)
        set_piece(P, 1, 2, e, 1, 1, 0)
        if try_apply(
            P,
            np.int64(2),
            U,
            np.int64(3),
            e,
            routes,
            rlen,
            rtype,
            F,
            B,
            rval,
            route_of,
            pos_of,
            bufa,
            bufb,
            obj,
            exact,
            sym,
            nodes,
            arcs,
            grade,
            cong,
            veh,
            cfg,
        ):
            return True
    return False


@njit(cache=True)
def insertion_top3(c, R, n, routes, km, pos, val, row):
    """The three cheapest places (by km detour) to insert c into route R (n stops), into
    ``pos[row]`` and ``val[row]``: place a is between stops a and a + 1. Sorted by (detour,
    place), so ties keep the first place."""
    for t in range(3):
        pos[row, t] = -1
        val[row, t] = np.inf
    for a in range(n + 1):
        p = routes[R, a]
        q = routes[R, a + 1]
        d = km[p, c] + km[c, q] - km[p, q]
        if d < val[row, 2]:
            if d < val[row, 1]:
                pos[row, 2], val[row, 2] = pos[row, 1], val[row, 1]
                if d < val[row, 0]:
                    pos[row, 1], val[row, 1] = pos[row, 0], val[row, 0]
                    pos[row, 0], val[row, 0] = a, d
                else:
                    pos[row, 1], val[row, 1] = a, d
            else:
                pos[row, 2], val[row, 2] = a, d


@njit(cache=True, inline="always")
def best_insertion_without(c, R, j, routes, km, pos, val, row):
    """Cheapest place for c in route R once R's stop j is removed, from c's top three places
    in R as it is (``pos[row]``, ``val[row]``): the first of them not next to j, or j's own
    gap (between its neighbours), whichever has the smaller (detour, place). The same place
    as scanning R without j, at O(1)."""
    p = routes[R, j - 1]
    q = routes[R, j + 1]
    best_a = j - 1
    best_d = km[p, c] + km[c, q] - km[p, q]
    for t in range(3):
        a = pos[row, t]
        if a < 0:
            break
        if a == j - 1 or a == j:
            continue
        if val[row, t] < best_d or (val[row, t] == best_d and a < best_a):
            best_a = a
        break
    return best_a


@njit(cache=True)
def swap_star(
    U,
    V,
    bits,
    P,
    top_u,
    top_uv,
    top_v,
    top_vv,
    seen_u,
    seen_v,
    routes,
    rlen,
    rtype,
    F,
    B,
    rval,
    route_of,
    pos_of,
    bufa,
    bufb,
    obj,
    exact,
    sym,
    nodes,
    arcs,
    grade,
    cong,
    veh,
    cfg,
):
    """SWAP* (Vidal 2022) between routes U and V: exchange u in U and v in V, each re-inserted
    at its best place in the other route rather than in the other's old position.

    The best place is chosen by the km detour, from each customer's three cheapest places in
    the other route (Vidal's preprocessing), computed the first time the customer is paired
    and valid for the whole pair of routes; then the pair of routes is scored with segments
    like any other move. Only granular neighbours (``bits``) are paired.
    """
    km = arcs[0]
    N = nodes.shape[0]
    nu, nv = rlen[U], rlen[V]
    old = rval[U] + rval[V] - EPS
    seen_u[: nu + 1] = False
    seen_v[: nv + 1] = False
    for i in range(1, nu + 1):
        u = routes[U, i]
        for j in range(1, nv + 1):
            v = routes[V, j]
            if not is_neighbour(bits, u, v):
                continue
            if not seen_u[i]:
                insertion_top3(u, V, nv, routes, km, top_u, top_uv, i)
                seen_u[i] = True
            if not seen_v[j]:
                insertion_top3(v, U, nu, routes, km, top_v, top_vv, j)
                seen_v[j] = True
            best_a = best_insertion_without(u, V, j, routes, km, top_u, top_uv, i)
            best_b = best_insertion_without(v, U, i, routes, km, top_v, top_vv, j)
            # V' : v removed, u after position best_a (positions relative to V)
            swap_star_pieces(P, 1, V, j, U, i, best_a, nv)
            swap_star_pieces(P, 0, U, i, V, j, best_b, nu)
            lb = piece_bound(P, 0, 4, rtype[U], routes, rlen, F, N, arcs, veh, obj, sym)
            lb += piece_bound(P, 1, 4, rtype[V], routes, rlen, F, N, arcs, veh, obj, sym)
            if lb >= old:
                continue
            if try_apply(
                P,
                np.int64(4),
                U,
                np.int64(4),
                V,
                routes,
                rlen,
                rtype,
                F,
                B,
                rval,
                route_of,
                pos_of,
                bufa,
                bufb,
                obj,
                exact,
                sym,
                nodes,
                arcs,
                grade,
                cong,
                veh,
                cfg,
            ):
                return True
    return False


@njit(cache=True, inline="always")
def swap_star_pieces(P, slot, R, out_pos, src, src_pos, after, n):
    """Pieces of route R with its stop ``out_pos`` removed and ``src[src_pos]`` inserted after
    position ``after`` (a position of R's current stops). Always four pieces."""
    if after < out_pos:
        set_piece(P, slot, 0, R, 0, after, 0)
        set_piece(P, slot, 1, src, src_pos, src_pos, 0)
        set_piece(P, slot, 2, R, after + 1, out_pos - 1, 0)
        set_piece(P, slot, 3, R, out_pos + 1, n + 1, 0)
    else:
        set_piece(P, slot, 0, R, 0, out_pos - 1, 0)
        set_piece(P, slot, 1, R, out_pos + 1, after, 0)
        set_piece(P, slot, 2, src, src_pos, src_pos, 0)
        set_piece(P, slot, 3, R, after + 1, n + 1, 0)


@njit(cache=True)
def type_moves(first_empty, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg):
    """Move each route to an empty vehicle of another type when that is cheaper."""
    N = nodes.shape[0]
    moved = False
    for r in range(rlen.shape[0]):
        n = rlen[r]
        if n == 0:
            continue
        for e in first_empty:
            if e < 0 or rlen[e] != 0 or rtype[e] == rtype[r]:
                continue
            v = segment_value(F[N + r], n, rtype[e], obj, veh, cfg)
            if v >= rval[r] - EPS:
                continue
            if exact:
                v = exact_route_value(routes[r], np.int64(1), n, rtype[e], obj, nodes, arcs, grade, cong, veh, cfg)
                if v >= rval[r] - EPS:
                    continue
            for p in range(n + 2):
                routes[e, p] = routes[r, p]
            rlen[e] = n
            rlen[r] = 0
            refresh_route(e, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg)
            refresh_route(r, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg)
            moved = True
            break
    return moved


@njit(cache=True)
def first_empty_slots(rlen, rtype, out):
    """The first empty slot of each vehicle type (-1 when none is left), into out."""
    out[:] = -1
    for r in range(rlen.shape[0]):
        if rlen[r] == 0 and out[rtype[r]] < 0:
            out[rtype[r]] = r


# ---------------------------------------------------------------------------- driver


@njit(cache=True)
def polar_sector(R, routes, rlen, xy, out):
    """The angular sector of route R around the depot, as (low, high) angles into out."""
    a0 = np.arctan2(xy[routes[R, 1], 1] - xy[0, 1], xy[routes[R, 1], 0] - xy[0, 0])
    mn, mx = 0.0, 0.0
    for p in range(2, rlen[R] + 1):
        a = np.arctan2(xy[routes[R, p], 1] - xy[0, 1], xy[routes[R, p], 0] - xy[0, 0]) - a0
        if a > np.pi:
            a -= 2 * np.pi
        elif a < -np.pi:
            a += 2 * np.pi
        mn = min(mn, a)
        mx = max(mx, a)
    out[0] = a0 + mn
    out[1] = a0 + mx


@njit(cache=True, inline="always")
def sectors_overlap(lo0, hi0, lo1, hi1):
    """Whether two sectors overlap, modulo a turn (the SWAP* filter)."""
    for shift in (-2 * np.pi, 0.0, 2 * np.pi):
        if lo1 + shift <= hi0 + 1e-9 and lo0 <= hi1 + shift + 1e-9:
            return True
    return False


@njit(cache=True)
def search(routes, rlen, rtype, obj, exact, neigh, order, use_swap_star, xy, max_moves, nodes, arcs, grade, cong, veh, cfg):
    """Improve the routes in place until no move of the neighbourhood improves (or
    ``max_moves`` moves were applied); returns the number of moves applied.

    ``order`` is the order customers are visited in (the caller's random permutation: the
    kernel draws no random numbers). ``routes`` must have room for every customer in one
    route plus two depot stops. Builds the per-instance context each call (O(N^2)); a caller
    that searches the same instance many times should build it once with
    :func:`instance_context` and call :func:`search_ctx`.
    """
    sym, bits = instance_context(neigh, arcs)
    return search_ctx(
        routes, rlen, rtype, obj, exact, neigh, order, use_swap_star, xy, max_moves, nodes, arcs, grade, cong, veh, cfg, sym, bits
    )


@njit(cache=True)
def initial_state(routes, rlen, rtype, obj, exact, nodes, arcs, grade, cong, veh, cfg):
    """The search's view of the routes: (F, B, rval, route_of, pos_of), see the module
    docstring. Empty routes cost nothing to set up."""
    R = routes.shape[0]
    N = nodes.shape[0]
    F = np.empty((N + R, sg.NSEG))
    B = np.empty((N + R, sg.NSEG))
    init_summaries(F, B, N, R, nodes, arcs)
    rval = np.zeros(R)
    route_of = np.full(N, -1, dtype=np.int64)
    pos_of = np.zeros(N, dtype=np.int64)
    for r in range(R):
        if rlen[r] > 0 or routes[r, 0] != 0 or routes[r, 1] != 0:
            refresh_route(r, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg)
    return F, B, rval, route_of, pos_of


@njit(cache=True)
def search_ctx(
    routes, rlen, rtype, obj, exact, neigh, order, use_swap_star, xy, max_moves, nodes, arcs, grade, cong, veh, cfg, sym, bits
):
    """:func:`search` with the per-instance context ``(sym, bits)`` of :func:`instance_context`
    given. Allocates its own work arrays (O(customers + slots^2)), shares nothing mutable:
    safe to call from parallel threads on different routes."""
    R, M = routes.shape
    N = nodes.shape[0]
    K = veh.shape[0]
    F, B, rval, route_of, pos_of = initial_state(routes, rlen, rtype, obj, exact, nodes, arcs, grade, cong, veh, cfg)
    P = np.zeros((2, 6, 4), dtype=np.int64)
    bufa = np.empty(M, dtype=np.int64)
    bufb = np.empty(M, dtype=np.int64)
    pre = np.zeros((2, 6, 3))
    lbs = np.empty(N_INTER)
    first_empty = np.full(K, -1, dtype=np.int64)
    empties_stale = True
    # SWAP* work: top-3 insertion places per position, and each route's polar sector
    top_u = np.empty((M, 3), dtype=np.int64)
    top_uv = np.empty((M, 3))
    top_v = np.empty((M, 3), dtype=np.int64)
    top_vv = np.empty((M, 3))
    seen_u = np.zeros(M, dtype=np.bool_)
    seen_v = np.zeros(M, dtype=np.bool_)
    sector = np.zeros((R, 2))
    sector_at = np.zeros(R, dtype=np.int64)
    # a pair (u, v) needs a new look only if one of their routes changed since u was tried
    last_mod = np.ones(R, dtype=np.int64)
    last_test = np.zeros(N, dtype=np.int64)
    last_pair = np.zeros((R, R), dtype=np.int64)
    # int64 from the start, not literals: numba would compile scan_customer for (1, 0) too
    stamp = np.int64(1)
    moves = np.int64(0)
    improved = True
    while improved and moves < max_moves:
        improved = False
        for u in order:
            tested = last_test[u]
            last_test[u] = stamp
            before = moves
            stamp, moves = scan_customer(
                u,
                tested,
                stamp,
                moves,
                max_moves,
                last_mod,
                neigh,
                routes,
                rlen,
                rtype,
                F,
                B,
                rval,
                route_of,
                pos_of,
                P,
                bufa,
                bufb,
                pre,
                lbs,
                obj,
                exact,
                sym,
                nodes,
                arcs,
                grade,
                cong,
                veh,
                cfg,
            )
            if moves > before:
                improved = True
                # a move may have emptied a route (never filled one: u and v were in theirs)
                empties_stale = True
            if rlen[route_of[u]] > 1:
                if empties_stale:
                    first_empty_slots(rlen, rtype, first_empty)
                    empties_stale = False
                U = route_of[u]
                if empty_route_move(
                    u,
                    first_empty,
                    P,
                    routes,
                    rlen,
                    rtype,
                    F,
                    B,
                    rval,
                    route_of,
                    pos_of,
                    bufa,
                    bufb,
                    obj,
                    exact,
                    sym,
                    nodes,
                    arcs,
                    grade,
                    cong,
                    veh,
                    cfg,
                ):
                    stamp += 1
                    last_mod[U] = stamp
                    last_mod[route_of[u]] = stamp
                    moves += 1
                    improved = True
                    empties_stale = True
        if use_swap_star and moves < max_moves:
            for U in range(R):
                for V in range(U + 1, R):
                    if rlen[U] == 0 or rlen[V] == 0:
                        continue
                    if last_pair[U, V] >= max(last_mod[U], last_mod[V]):
                        continue
                    last_pair[U, V] = stamp
                    for W in (U, V):
                        if sector_at[W] < last_mod[W]:
                            polar_sector(W, routes, rlen, xy, sector[W])
                            sector_at[W] = last_mod[W]
                    if not sectors_overlap(sector[U, 0], sector[U, 1], sector[V, 0], sector[V, 1]):
                        continue
                    if swap_star(
                        U,
                        V,
                        bits,
                        P,
                        top_u,
                        top_uv,
                        top_v,
                        top_vv,
                        seen_u,
                        seen_v,
                        routes,
                        rlen,
                        rtype,
                        F,
                        B,
                        rval,
                        route_of,
                        pos_of,
                        bufa,
                        bufb,
                        obj,
                        exact,
                        sym,
                        nodes,
                        arcs,
                        grade,
                        cong,
                        veh,
                        cfg,
                    ):
                        stamp += 1
                        last_mod[U] = stamp
                        last_mod[V] = stamp
                        moves += 1
                        improved = True
                        empties_stale = True
        if K > 1:
            if empties_stale:
                first_empty_slots(rlen, rtype, first_empty)
                empties_stale = False
            if type_moves(
                first_empty, routes, rlen, rtype, F, B, rval, route_of, pos_of, obj, exact, nodes, arcs, grade, cong, veh, cfg
            ):
                stamp += 1
                last_mod[:] = stamp
                improved = True
                empties_stale = True
    return moves


@njit(cache=True)
def penalised_values(routes, rlen, rtype, obj, exact, nodes, arcs, grade, cong, veh, cfg):
    """Per route: penalised value, overload, and time infeasibility (time warp, or with the
    exact walk the lateness; 0 where windows are soft), for ranking and penalty updates."""
    R = routes.shape[0]
    out = np.zeros((R, 3))
    seg = np.empty(sg.NSEG)
    hard = obj[6] > 0.5
    for r in range(R):
        n = rlen[r]
        if n == 0:
            continue
        k = rtype[r]
        if exact:
            out[r, 0] = exact_route_value(routes[r], np.int64(1), n, k, obj, nodes, arcs, grade, cong, veh, cfg)
            res = kernels.route_eval(routes[r], np.int64(1), n, k, nodes, arcs, grade, cong, veh, cfg)
            out[r, 1] = res[5]
            out[r, 2] = res[6] if hard else 0.0
        else:
            sg.route_segment(routes[r, 1 : n + 1], nodes, arcs, seg)
            out[r, 0] = segment_value(seg, n, k, obj, veh, cfg)
            out[r, 1] = kernels.excess(k, seg[sg.LOAD], seg[sg.VOL], veh) + kernels.energy_excess(
                k, kernels.route_kwh(k, seg[sg.GD], seg[sg.LOAD], veh), veh
            )
            out[r, 2] = seg[sg.TW] if hard else 0.0
    return out
