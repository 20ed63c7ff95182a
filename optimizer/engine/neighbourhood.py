"""Granular neighbourhoods: for each customer, the k customers a move may pair it with."""

from __future__ import annotations

import numpy as np


def granular_neighbours(kd, k: int = 40) -> np.ndarray:
    """(N, k) the k nearest customers of each customer (row 0, the depot, is unused).

    "Nearest" is km plus how badly the windows fit (Vidal et al. 2013's correlation): the
    waiting time or the time warp incurred when one customer follows the other, whichever
    order is better, so customers far apart in time are not paired just for being close.
    """
    nodes, arcs = kd.nodes, kd.arcs
    n1 = nodes.shape[0]
    k = max(1, min(k, n1 - 2))
    km, tt = arcs[0], arcs[1]
    ready, due, serv = nodes[:, 1], nodes[:, 2], nodes[:, 3]
    # i then j: arrival at j = ready_i + serv_i + t_ij at the earliest
    arrive = ready[:, None] + serv[:, None] + tt
    wait = np.maximum(ready[None, :] - (due[:, None] + serv[:, None] + tt), 0.0)
    warp = np.maximum(arrive - due[None, :], 0.0)
    prox = km + 0.2 * wait + 1.0 * warp
    prox = np.minimum(prox, prox.T)
    np.fill_diagonal(prox, np.inf)
    prox[:, 0] = np.inf
    prox[0, :] = np.inf
    order = np.argsort(prox[:, 1:], axis=1, kind="stable")[:, :k] + 1
    order[0] = 0
    return np.ascontiguousarray(order.astype(np.int64))
