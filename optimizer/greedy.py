"""The "traditional" single-objective baseline: Solomon's time-oriented nearest neighbour.

Solomon (1987), heuristic NN: a route grows by the unrouted customer closest in a blend of
distance (0.4), time gap (0.4) and urgency (0.2), among those it can still reach on time
with the capacity left; when none fits, a new vehicle starts. Vehicle types are taken in
the fleet's order (the first listed type until its vehicles run out), as a dispatcher with
a standard vehicle would. With soft windows, when no vehicle can reach a customer on time
the customer still gets a route and its lateness is penalised; with hard windows the
customer is left unserved, and the plan reports it.

This is the simulation's baseline routing policy and the reference against which the
emission cut of MOGWO's chosen plan is measured.
"""

from __future__ import annotations

import numpy as np

from .instance import RoutingInstance
from .solution import Route

DELTA_DIST, DELTA_TIME, DELTA_URGENCY = 0.4, 0.4, 0.2


def _travel(inst: RoutingInstance, i: int, js: np.ndarray, t: float) -> np.ndarray:
    kd = inst.kernel_data
    base = kd.arcs[1, i, js]
    if inst.unit_speed:
        return base
    nper = int(kd.cfg[5])
    p = int((t + kd.cfg[4]) // kd.cfg[3]) % nper
    return base * kd.cong[kd.grade[i, js], p]


def nearest_neighbour(instance: RoutingInstance) -> list[Route]:
    """Plan every customer with the time-oriented nearest-neighbour heuristic."""
    inst = instance
    hard = inst.penalty.hard_windows
    n = inst.n_customers
    dem, ready, due, serv = inst.demand, inst.ready, inst.due, inst.service
    dist = inst.distance
    unrouted = np.ones(n + 1, dtype=bool)
    unrouted[0] = False
    types = [k for k, v in enumerate(inst.vehicle_types) for _ in range(v.count)]
    routes: list[Route] = []
    while unrouted.any():
        if types:
            k = types.pop(0)
        else:
            # fleet exhausted: keep planning on the largest type so nothing is silently
            # dropped; the plan is then reported infeasible (fleet exceeded)
            k = int(np.argmax([v.capacity for v in inst.vehicle_types]))
        cap = inst.vehicle_types[k].capacity
        here, t, load, seq = 0, float(ready[0]), 0.0, []
        while True:
            cand = np.flatnonzero(unrouted & (dem <= cap - load + 1e-9))
            if cand.size == 0:
                break
            arr = t + _travel(inst, here, cand, t)
            start = np.maximum(arr, ready[cand])
            ok = arr <= due[cand] + 1e-9
            # must still get home by the depot's due time
            back = start + serv[cand] + dist[cand, 0] * (1.0 if inst.unit_speed else 0.0)
            if not inst.unit_speed:
                back = start + serv[cand] + inst.kernel_data.arcs[1, cand, 0]
            ok &= back <= due[0] + 1e-9
            if not ok.any():
                if seq or hard:
                    break
                ok = np.ones_like(ok)  # soft windows, empty vehicle: serve late rather than never
            score = (
                DELTA_DIST * dist[here, cand]
                + DELTA_TIME * (start - t)
                + DELTA_URGENCY * (due[cand] - arr)
            )
            score[~ok] = np.inf
            j = int(cand[int(np.argmin(score))])
            seq.append(j)
            unrouted[j] = False
            load += dem[j]
            t = max(t + float(_travel(inst, here, np.array([j]), t)[0]), float(ready[j])) + float(serv[j])
            here = j
        if not seq:
            break  # nothing reachable even from an empty vehicle (hard windows)
        routes.append(Route(k, tuple(seq)))
    return routes
