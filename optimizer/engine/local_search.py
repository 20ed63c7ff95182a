"""Granular local search on segment summaries: relocate, swap, 2-opt, 2-opt*, SWAP*, type moves.

A solution is a set of vehicle *slots*, one per vehicle of the fleet (``rtype`` fixed per
slot), each holding a route, possibly empty. So a plan can never use more vehicles of a type
than the fleet has: a vehicle-type change is moving a route to an empty slot of another type.

Route r is stored as ``routes[r, 0..rlen[r]+1]`` with the depot (0) at both ends. For each
route the search keeps the prefix summaries ``fwd[r, p]`` (stops 0..p) and the suffix
summaries ``bwd[r, p]`` (stops p..end), so a candidate route, described as pieces of the
current routes (a prefix, a few moved customers, a suffix), is scored by a handful of
:func:`segments.merge` calls. Only intra-route moves walk a middle run of stops.

When the segment values are only a screen (congestion, soft windows; see
:mod:`optimizer.engine.objective`) the stored route values are exact, and a move the screen
finds improving is re-scored on the changed routes with the exact walk before it is applied.

Pieces: ``P[slot, q] = (route, first position, last position, reversed)``, q < ``npieces``;
the first piece of a candidate starts at a depot and the last ends at one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import kernels
from . import segments as sg
from .objective import exact_route_value, segment_value

EPS = 1e-7


# ---------------------------------------------------------------------------- state upkeep


@njit(cache=True)
def refresh_route(r, S, obj, exact, I):
    """Recompute route r's prefix / suffix summaries, positions and value after a change."""
    routes, rlen, rtype, fwd, bwd, rval, route_of, pos_of, nodeseg = S
    nodes, arcs, grade, cong, veh, cfg = I
    n = rlen[r]
    routes[r, 0] = 0
    routes[r, n + 1] = 0
    acc = sg.depot_start_t(nodes)
    sg.store_t(acc, fwd, r, 0)
    for p in range(1, n + 1):
        c = routes[r, p]
        route_of[c] = r
        pos_of[c] = p
        acc = sg.merge_t(acc, sg.node_t(c, nodes), arcs)
        sg.store_t(acc, fwd, r, p)
    end = sg.depot_end_t(nodes)
    acc = sg.merge_t(acc, end, arcs)
    sg.store_t(acc, fwd, r, n + 1)
    sg.store_t(acc, bwd, r, 0)
    back = end
    sg.store_t(back, bwd, r, n + 1)
    for p in range(n, 0, -1):
        back = sg.merge_t(sg.node_t(routes[r, p], nodes), back, arcs)
        sg.store_t(back, bwd, r, p)
    if exact:
        rval[r] = exact_route_value(routes[r], 1, n, rtype[r], obj, nodes, arcs, grade, cong, veh, cfg)
    else:
        rval[r] = segment_value(acc, n, rtype[r], obj, veh, cfg)


# ---------------------------------------------------------------------------- candidates


@njit(cache=True, inline="always")
def piece_value(P, slot, npieces, k, S, obj, I, acc_unused, tmp_unused):
    """Screen value of the route made of pieces ``P[slot, :npieces]`` on vehicle type k."""
    # only the arrays needed: each one taken out of a tuple costs a reference count update
    routes, rlen, fwd, bwd = S[0], S[1], S[3], S[4]
    nodes, arcs, veh, cfg = I[0], I[1], I[4], I[5]
    r, b = P[slot, 0, 0], P[slot, 0, 2]
    acc = sg.load_t(fwd, r, b)
    length = b
    for q in range(1, npieces):
        r, a, b, rev = P[slot, q, 0], P[slot, q, 1], P[slot, q, 2], P[slot, q, 3]
        if a > b:
            continue
        if rev == 0 and b == rlen[r] + 1:
            acc = sg.merge_t(acc, sg.load_t(bwd, r, a), arcs)
            length += b - a
            continue
        length += b - a + 1
        for s in range(b - a + 1):
            c = routes[r, b - s] if rev else routes[r, a + s]
            acc = sg.merge_t(acc, sg.node_t(c, nodes), arcs)
    return segment_value(acc, length, k, obj, veh, cfg)


@njit(cache=True)
def piece_bound(P, slot, npieces, k, routes, fwd, arcs, veh, obj, sym):
    """A lower bound on the candidate's value from its arcs alone: km, cost-km and the empty
    vehicle's emission, which every objective prices at no less than this (duration, load
    emission, penalties are all >= 0). O(pieces): a piece's internal sums are differences of
    prefix sums, read the same backwards when the arcs are symmetric (else it counts 0).

    Takes the arrays themselves, not the state tuples: taking an array out of a tuple costs
    a reference count update, which at this call rate is most of the time."""
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
            total += c_km * (fwd[r, b, 0] - fwd[r, a, 0]) + c_ckm * (fwd[r, b, 1] - fwd[r, a, 1]) + c_gd * (fwd[r, b, 2] - fwd[r, a, 2])
        first = routes[r, b] if rev else routes[r, a]
        if prev >= 0:
            km = arcs[0, prev, first]
            total += km * (c_km + c_ckm * arcs[3, prev, first] + c_gd * arcs[2, prev, first])
        prev = routes[r, a] if rev else routes[r, b]
        length += b - a + 1
    if length <= 2:
        return 0.0
    return total + obj[0] * veh[k, 5]


@njit(cache=True)
def candidate_bound(P, na, ra, nb, rb, routes, rtype, fwd, arcs, veh, obj, sym):
    """Lower bound on the value of both candidate routes (rb only when nb > 0)."""
    lb = piece_bound(P, 0, na, rtype[ra], routes, fwd, arcs, veh, obj, sym)
    if nb > 0:
        lb += piece_bound(P, 1, nb, rtype[rb], routes, fwd, arcs, veh, obj, sym)
    return lb


@njit(cache=True, inline="always")
def materialise(P, slot, npieces, S, buf):
    """Write the customers of the candidate ``P[slot]`` into buf; returns their number."""
    routes = S[0]
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


@njit(cache=True, inline="always")
def try_apply(P, na, ra, nb, rb, S, obj, exact, I, work):
    """Apply the candidate (route ra from ``P[0, :na]``, and route rb from ``P[1, :nb]`` when
    nb > 0) if it lowers the penalised value; returns True if applied."""
    rtype, rval = S[2], S[5]
    old = rval[ra] + (rval[rb] if nb > 0 else 0.0)
    if candidate_bound(P, na, ra, nb, rb, S[0], rtype, S[3], I[1], I[4], obj, work[4]) >= old - EPS:
        return False
    va = piece_value(P, 0, na, rtype[ra], S, obj, I, work[0], work[1])
    if va >= old - EPS:
        return False
    vb = 0.0
    if nb > 0:
        vb = piece_value(P, 1, nb, rtype[rb], S, obj, I, work[0], work[1])
    if va + vb >= old - EPS:
        return False
    return _apply(P, na, ra, nb, rb, va, vb, old, S, obj, exact, I, work)


@njit(cache=True)
def _apply(P, na, ra, nb, rb, va, vb, old, S, obj, exact, I, work):
    """Second half of try_apply, out of line: the exact check and the rewrite of the routes."""
    routes, rlen, rtype, fwd, bwd, rval, route_of, pos_of, nodeseg = S
    nodes, arcs, grade, cong, veh, cfg = I
    bufa, bufb = work[2], work[3]
    la = materialise(P, 0, na, S, bufa)
    lb = materialise(P, 1, nb, S, bufb) if nb > 0 else 0
    if exact:
        va = exact_route_value(bufa, 0, la, rtype[ra], obj, nodes, arcs, grade, cong, veh, cfg)
        if nb > 0:
            vb = exact_route_value(bufb, 0, lb, rtype[rb], obj, nodes, arcs, grade, cong, veh, cfg)
        if va + vb >= old - EPS:
            return False
    for p in range(la):
        routes[ra, p + 1] = bufa[p]
    rlen[ra] = la
    refresh_route(ra, S, obj, exact, I)
    if nb > 0:
        for p in range(lb):
            routes[rb, p + 1] = bufb[p]
        rlen[rb] = lb
        refresh_route(rb, S, obj, exact, I)
    return True


# ---------------------------------------------------------------------------- operators


# Each operator family is a loop over candidate ids that fills the pieces, with a single
# call of the (inlined) scorer: one call site keeps compile time down and avoids paying a
# function call with fifteen array arguments per candidate.

N_INTER = 16


@njit(cache=True)
def inter_candidate(c, U, V, i, j, nu, nv, P):
    """Pieces of inter-route candidate c for u = U[i], v = V[j]; returns the piece counts
    (na, nb), or (0, 0) when the candidate does not apply."""
    if c < 10:
        # relocate a chain of 1-3 starting at u, after v or before v, kept or reversed
        if c < 2:
            L, after, rev = 1, c, 0
        else:
            L = 2 if c < 6 else 3
            after = (c - 2) % 4 // 2
            rev = (c - 2) % 2
        if i + L - 1 > nu:
            return 0, 0
        at = j if after == 1 else j - 1
        set_piece(P, 0, 0, U, 0, i - 1, 0)
        set_piece(P, 0, 1, U, i + L, nu + 1, 0)
        set_piece(P, 1, 0, V, 0, at, 0)
        set_piece(P, 1, 1, U, i, i + L - 1, rev)
        set_piece(P, 1, 2, V, at + 1, nv + 1, 0)
        return 2, 3
    if c < 14:
        # swap a chain of 1-2 at u with a chain of 1-2 at v
        L1 = 1 + (c - 10) // 2
        L2 = 1 + (c - 10) % 2
        if i + L1 - 1 > nu or j + L2 - 1 > nv:
            return 0, 0
        set_piece(P, 0, 0, U, 0, i - 1, 0)
        set_piece(P, 0, 1, V, j, j + L2 - 1, 0)
        set_piece(P, 0, 2, U, i + L1, nu + 1, 0)
        set_piece(P, 1, 0, V, 0, j - 1, 0)
        set_piece(P, 1, 1, U, i, i + L1 - 1, 0)
        set_piece(P, 1, 2, V, j + L2, nv + 1, 0)
        return 3, 3
    # 2-opt*: exchange the tails after u and after v (or after v's predecessor)
    jj = j if c == 14 else j - 1
    set_piece(P, 0, 0, U, 0, i, 0)
    set_piece(P, 0, 1, V, jj + 1, nv + 1, 0)
    set_piece(P, 1, 0, V, 0, jj, 0)
    set_piece(P, 1, 1, U, i + 1, nu + 1, 0)
    return 2, 2


@njit(cache=True)
def inter_moves(u, v, S, obj, exact, I, P, work):
    """Moves between u's and v's routes (different routes); True when one was applied."""
    routes, rlen, rtype, fwd, rval, route_of, pos_of = S[0], S[1], S[2], S[3], S[5], S[6], S[7]
    arcs, veh, sym = I[1], I[4], work[4]
    U, V = route_of[u], route_of[v]
    i, j = pos_of[u], pos_of[v]
    nu, nv = rlen[U], rlen[V]
    old = rval[U] + rval[V] - EPS
    for c in range(N_INTER):
        na, nb = inter_candidate(c, U, V, i, j, nu, nv, P)
        if na == 0 or candidate_bound(P, na, U, nb, V, routes, rtype, fwd, arcs, veh, obj, sym) >= old:
            continue
        if try_apply(P, na, U, nb, V, S, obj, exact, I, work):
            return True
    return False


N_INTRA = 7


@njit(cache=True)
def intra_candidate(c, U, i, j, n, P):
    """Pieces of intra-route candidate c for u at i and v at j; the piece count or 0."""
    if c < 5:
        # relocate a chain of 1-3 starting at u to just after v, kept or reversed
        if c == 0:
            L, rev = 1, 0
        else:
            L = 2 if c < 3 else 3
            rev = (c - 1) % 2
        if i + L - 1 > n or (j >= i - 1 and j <= i + L - 1):
            return 0
        if j > i:
            set_piece(P, 0, 0, U, 0, i - 1, 0)
            set_piece(P, 0, 1, U, i + L, j, 0)
            set_piece(P, 0, 2, U, i, i + L - 1, rev)
            set_piece(P, 0, 3, U, j + 1, n + 1, 0)
        else:
            set_piece(P, 0, 0, U, 0, j, 0)
            set_piece(P, 0, 1, U, i, i + L - 1, rev)
            set_piece(P, 0, 2, U, j + 1, i - 1, 0)
            set_piece(P, 0, 3, U, i + L, n + 1, 0)
        return 4
    a, b = min(i, j), max(i, j)
    if c == 5:
        # swap u and v
        set_piece(P, 0, 0, U, 0, a - 1, 0)
        set_piece(P, 0, 1, U, b, b, 0)
        set_piece(P, 0, 2, U, a + 1, b - 1, 0)
        set_piece(P, 0, 3, U, a, a, 0)
        set_piece(P, 0, 4, U, b + 1, n + 1, 0)
        return 5
    # 2-opt: reverse the run between them so the earlier one is followed by the later one
    if b <= a + 1:
        return 0
    set_piece(P, 0, 0, U, 0, a, 0)
    set_piece(P, 0, 1, U, a + 1, b, 1)
    set_piece(P, 0, 2, U, b + 1, n + 1, 0)
    return 3


@njit(cache=True)
def intra_moves(u, v, S, obj, exact, I, P, work):
    """Moves inside the route u and v share; True when one was applied."""
    routes, rlen, rtype, fwd, rval, route_of, pos_of = S[0], S[1], S[2], S[3], S[5], S[6], S[7]
    arcs, veh, sym = I[1], I[4], work[4]
    U = route_of[u]
    i, j = pos_of[u], pos_of[v]
    n = rlen[U]
    old = rval[U] - EPS
    for c in range(N_INTRA):
        na = intra_candidate(c, U, i, j, n, P)
        if na == 0 or candidate_bound(P, na, U, 0, U, routes, rtype, fwd, arcs, veh, obj, sym) >= old:
            continue
        if try_apply(P, na, U, 0, U, S, obj, exact, I, work):
            return True
    return False


@njit(cache=True)
def empty_route_move(u, S, obj, exact, I, P, work, first_empty):
    """Move u alone to an empty vehicle (the first empty slot of each type)."""
    routes, rlen, rtype, fwd, bwd, rval, route_of, pos_of, nodeseg = S
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
        if try_apply(P, 2, U, 3, e, S, obj, exact, I, work):
            return True
    return False


@njit(cache=True)
def swap_star(U, V, S, obj, exact, I, P, work, neigh_ok):
    """SWAP* (Vidal 2022) between routes U and V: exchange u in U and v in V, each re-inserted
    at its best place in the other route rather than in the other's old position.

    The best place is chosen by the km detour (the cheap part of Vidal's preprocessing),
    then the pair of routes is scored with segments like any other move. Only pairs marked
    in ``neigh_ok`` (granular neighbours) are tried.
    """
    routes, rlen, rtype, fwd, rval = S[0], S[1], S[2], S[3], S[5]
    arcs, veh, sym = I[1], I[4], work[4]
    km = arcs[0]
    nu, nv = rlen[U], rlen[V]
    old = rval[U] + rval[V] - EPS
    for i in range(1, nu + 1):
        u = routes[U, i]
        for j in range(1, nv + 1):
            v = routes[V, j]
            if not neigh_ok[u, v]:
                continue
            # best place for u in V without v: after position a (a != j - 1 handled as "in place")
            best_a, best_da = -1, 1e300
            for a in range(0, nv + 1):
                if a == j:
                    continue
                p = routes[V, a]
                q = routes[V, a + 1] if a + 1 != j else routes[V, j + 1]
                d = km[p, u] + km[u, q] - km[p, q]
                if d < best_da:
                    best_da, best_a = d, a
            best_b, best_db = -1, 1e300
            for b in range(0, nu + 1):
                if b == i:
                    continue
                p = routes[U, b]
                q = routes[U, b + 1] if b + 1 != i else routes[U, i + 1]
                d = km[p, v] + km[v, q] - km[p, q]
                if d < best_db:
                    best_db, best_b = d, b
            # V' : v removed, u after position best_a (positions relative to V)
            _swap_star_pieces(P, 1, V, j, U, i, best_a, nv)
            _swap_star_pieces(P, 0, U, i, V, j, best_b, nu)
            if candidate_bound(P, 4, U, 4, V, routes, rtype, fwd, arcs, veh, obj, sym) >= old:
                continue
            if try_apply(P, 4, U, 4, V, S, obj, exact, I, work):
                return True
    return False


@njit(cache=True)
def _swap_star_pieces(P, slot, R, out_pos, src, src_pos, after, n):
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
    return True


@njit(cache=True)
def type_moves(S, obj, exact, I, first_empty):
    """Move each route to an empty vehicle of another type when that is cheaper."""
    routes, rlen, rtype, fwd, bwd, rval, route_of, pos_of, nodeseg = S
    nodes, arcs, grade, cong, veh, cfg = I
    moved = False
    for r in range(rlen.shape[0]):
        n = rlen[r]
        if n == 0:
            continue
        for e in first_empty:
            if e < 0 or rlen[e] != 0 or rtype[e] == rtype[r]:
                continue
            v = segment_value(fwd[r, n + 1], n, rtype[e], obj, veh, cfg)
            if v >= rval[r] - EPS:
                continue
            if exact:
                v = exact_route_value(routes[r], 1, n, rtype[e], obj, nodes, arcs, grade, cong, veh, cfg)
                if v >= rval[r] - EPS:
                    continue
            for p in range(n + 2):
                routes[e, p] = routes[r, p]
            rlen[e] = n
            rlen[r] = 0
            refresh_route(e, S, obj, exact, I)
            refresh_route(r, S, obj, exact, I)
            moved = True
            break
    return moved


@njit(cache=True)
def _first_empty(rlen, rtype, K, out):
    out[:] = -1
    for r in range(rlen.shape[0]):
        if rlen[r] == 0 and out[rtype[r]] < 0:
            out[rtype[r]] = r


# ---------------------------------------------------------------------------- driver


@njit(cache=True)
def _polar_overlap(U, V, routes, rlen, xy):
    """Whether the angular sectors of two routes around the depot overlap (SWAP* filter)."""
    lo = np.empty(2)
    hi = np.empty(2)
    for s, R in enumerate((U, V)):
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
        lo[s] = a0 + mn
        hi[s] = a0 + mx
    for shift in (-2 * np.pi, 0.0, 2 * np.pi):
        if lo[1] + shift <= hi[0] + 1e-9 and lo[0] <= hi[1] + shift + 1e-9:
            return True
    return False


@njit(cache=True)
def search(routes, rlen, rtype, obj, exact, neigh, order, use_swap_star, xy, max_moves, nodes, arcs, grade, cong, veh, cfg):
    """Improve the routes in place until no move of the neighbourhood improves (or
    ``max_moves`` moves were applied); returns the number of moves applied.

    ``order`` is the order customers are visited in (the caller's random permutation: the
    kernel draws no random numbers). ``routes`` must have room for every customer in one
    route plus two depot stops.
    """
    R, M = routes.shape
    N = nodes.shape[0]
    K = veh.shape[0]
    I = (nodes, arcs, grade, cong, veh, cfg)
    fwd = np.empty((R, M, sg.NSEG))
    bwd = np.empty((R, M, sg.NSEG))
    rval = np.zeros(R)
    route_of = np.full(N, -1, dtype=np.int64)
    pos_of = np.zeros(N, dtype=np.int64)
    nodeseg = np.empty((N, sg.NSEG))
    for c in range(N):
        sg.node_segment(c, nodes, nodeseg[c])
    S = (routes, rlen, rtype, fwd, bwd, rval, route_of, pos_of, nodeseg)
    for r in range(R):
        refresh_route(r, S, obj, exact, I)
    P = np.zeros((2, 6, 4), dtype=np.int64)
    # the arcs read the same both ways (km, grade and cost factors): reversed pieces' sums
    # are then prefix differences too (see piece_bound)
    sym = True
    for f in (0, 2, 3):
        for i in range(N):
            for j in range(i):
                if arcs[f, i, j] != arcs[f, j, i]:
                    sym = False
    work = (np.empty(sg.NSEG), np.empty(sg.NSEG), np.empty(M, dtype=np.int64), np.empty(M, dtype=np.int64), sym)
    neigh_ok = np.zeros((N, N), dtype=np.bool_)
    for c in range(1, N):
        for v in neigh[c]:
            neigh_ok[c, v] = True
            neigh_ok[v, c] = True
    first_empty = np.full(K, -1, dtype=np.int64)
    # a pair (u, v) needs a new look only if one of their routes changed since u was tried
    last_mod = np.ones(R, dtype=np.int64)
    last_test = np.zeros(N, dtype=np.int64)
    last_pair = np.zeros((R, R), dtype=np.int64)
    stamp = 1
    moves = 0
    improved = True
    while improved and moves < max_moves:
        improved = False
        for u in order:
            tested = last_test[u]
            last_test[u] = stamp
            for v in neigh[u]:
                if moves >= max_moves:
                    break
                U, V = route_of[u], route_of[v]
                if max(last_mod[U], last_mod[V]) <= tested:
                    continue
                if U != V:
                    ok = inter_moves(u, v, S, obj, exact, I, P, work)
                else:
                    ok = intra_moves(u, v, S, obj, exact, I, P, work)
                if ok:
                    stamp += 1
                    last_mod[U] = stamp
                    last_mod[V] = stamp
                    moves += 1
                    improved = True
            if rlen[route_of[u]] > 1:
                _first_empty(rlen, rtype, K, first_empty)
                U = route_of[u]
                if empty_route_move(u, S, obj, exact, I, P, work, first_empty):
                    stamp += 1
                    last_mod[U] = stamp
                    last_mod[route_of[u]] = stamp
                    moves += 1
                    improved = True
        if use_swap_star and moves < max_moves:
            for U in range(R):
                for V in range(U + 1, R):
                    if rlen[U] == 0 or rlen[V] == 0:
                        continue
                    if last_pair[U, V] >= max(last_mod[U], last_mod[V]):
                        continue
                    last_pair[U, V] = stamp
                    if not _polar_overlap(U, V, routes, rlen, xy):
                        continue
                    if swap_star(U, V, S, obj, exact, I, P, work, neigh_ok):
                        stamp += 1
                        last_mod[U] = stamp
                        last_mod[V] = stamp
                        moves += 1
                        improved = True
        if K > 1:
            _first_empty(rlen, rtype, K, first_empty)
            if type_moves(S, obj, exact, I, first_empty):
                stamp += 1
                last_mod[:] = stamp
                improved = True
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
            out[r, 0] = exact_route_value(routes[r], 1, n, k, obj, nodes, arcs, grade, cong, veh, cfg)
            res = kernels.route_eval(routes[r], 1, n, k, nodes, arcs, grade, cong, veh, cfg)
            out[r, 1] = res[5]
            out[r, 2] = res[6] if hard else 0.0
        else:
            sg.route_segment(routes[r, 1 : n + 1], nodes, arcs, seg)
            out[r, 0] = segment_value(seg, n, k, obj, veh, cfg)
            out[r, 1] = max(seg[sg.LOAD] - veh[k, 0], 0.0)
            out[r, 2] = seg[sg.TW] if hard else 0.0
    return out
