"""The "traditional" single-objective baseline: Solomon's time-oriented nearest neighbour.

Solomon (1987), heuristic NN: a route grows by the unrouted customer closest in a blend of
distance (0.4), time gap (0.4) and urgency (0.2), among those it can still reach on time
with the capacity left; when none fits, a new vehicle starts. Vehicle types are taken in
the fleet's order (the first listed type until its vehicles run out), as a dispatcher with
a standard vehicle would. With soft windows, when no vehicle can reach a customer on time
the customer still gets a route and its lateness is penalised; with hard windows the
customer is left unserved, and the plan reports it.

This is the simulation's baseline routing policy, the reference against which the
emission cut of MOGWO's chosen plan is measured, and the start plan every search falls
back to when its time limit leaves no room for more. It needs neither the instance's
(N, N) arrays nor the compiled kernels: each step computes the arcs it looks at from the
coordinates (bit for bit the values the kernels use), so it answers in well under a second
at 5,000 customers. Under a deadline, the customers still unrouted when it passes are
planned by :func:`due_order_fill`, which takes O(1) per customer.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .deadline import Deadline
from .instance import RoutingInstance
from .solution import Route

DELTA_DIST, DELTA_TIME, DELTA_URGENCY = 0.4, 0.4, 0.2
#: Deadline checks: every this many customers placed.
CHECK_EVERY = 32
EPS = 1e-9


@dataclass(frozen=True)
class Construction:
    """A constructed plan, and whether the deadline cut the nearest neighbour short."""

    routes: list[Route]
    completed: bool


class _Fleet:
    """Vehicles in the fleet's order; the largest type once all are used (so nothing is
    silently dropped; the plan is then reported infeasible: fleet exceeded)."""

    def __init__(self, inst: RoutingInstance) -> None:
        self._types: Iterator[int] = itertools.chain.from_iterable(
            itertools.repeat(k, v.count) for k, v in enumerate(inst.vehicle_types)
        )
        self._capacity = [v.capacity for v in inst.vehicle_types]
        self._capacity_m3 = [v.capacity_m3 for v in inst.vehicle_types]
        self._largest = int(np.argmax(self._capacity))
        self._spare: list[int] = []  # vehicles passed over as too small, in fleet order

    def give_back(self, k: int) -> None:
        """Return an unused vehicle, to be handed out first next time."""
        self._spare.insert(0, k)

    def _fits(self, k: int, demand: float, volume: float) -> bool:
        return self._capacity[k] >= demand - EPS and self._capacity_m3[k] >= volume - EPS

    def next(self, demand: float = 0.0, volume: float = 0.0) -> int:
        """The next vehicle (its type) that can carry ``demand`` and ``volume`` m³."""
        for i, k in enumerate(self._spare):
            if self._fits(k, demand, volume):
                return self._spare.pop(i)
        for k in self._types:
            if self._fits(k, demand, volume):
                return k
            self._spare.append(k)
        return self._largest


def _energy(inst: RoutingInstance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per type: kWh per grade-km empty, the extra kWh per grade-km and capacity unit, and
    the battery; and per node the grade-weighted km back to the depot. A route's kWh is
    ``(e + s L) GD`` with its whole load L over every arc (kernels.route_kwh, the worst case)."""
    vt = inst.vehicle_types
    e = np.array([v.kwh_per_km_empty for v in vt])
    s = np.array([(v.kwh_per_km_full - v.kwh_per_km_empty) / v.capacity for v in vt])
    battery = np.array([v.battery_kwh for v in vt])
    nodes = np.arange(inst.n_customers + 1)
    km, _, g, _ = inst.arcs_between(nodes, np.zeros_like(nodes))
    return e, s, battery, g * km


def _grade_km(inst: RoutingInstance, frm: np.ndarray, to: np.ndarray) -> np.ndarray:
    km, _, g, _ = inst.arcs_between(frm, to)
    return g * km


def _fits_battery(kwh: np.ndarray, battery: np.ndarray | float) -> np.ndarray:
    return kwh <= battery * (1.0 + 1e-12)


def _home_minutes(inst: RoutingInstance) -> np.ndarray:
    """Free-flow minutes from every node back to the depot (the return check of both heuristics)."""
    nodes = np.arange(inst.n_customers + 1)
    return inst.arcs_between(nodes, np.zeros_like(nodes))[1]


def _travel(inst: RoutingInstance, i: int, js: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
    """(km, minutes) from i to each of js leaving at time t: the values of the kernels' arc
    arrays (see RoutingInstance.arcs_between), computed from one row of coordinates."""
    assert inst.road_grade is not None  # set by RoutingInstance.__post_init__
    if inst.kernel_data_ready:
        kd = inst.kernel_data
        km, minutes = kd.arcs[0, i, js], kd.arcs[1, i, js]
    else:
        dx = inst.x[i] - inst.x[js]
        dy = inst.y[i] - inst.y[js]
        km = np.sqrt(dx * dx + dy * dy) * inst.circuity
        minutes = km
        if not inst.unit_speed:
            minutes = km / _speeds(inst)[inst.road_grade[i, js]] * 60.0
    if not inst.unit_speed:
        grade = inst.road_grade[i, js]
        minutes = minutes * np.array([inst.congestion_at(g, t) for g in range(len(inst.grades))])[grade]
    return km, minutes


def _speeds(inst: RoutingInstance) -> np.ndarray:
    return np.array([g.speed_kmh for g in inst.grades])


def nearest_neighbour(instance: RoutingInstance, deadline: Deadline | None = None) -> list[Route]:
    """Plan every customer with the time-oriented nearest-neighbour heuristic (see the module
    docstring; with a ``deadline``, those left when it passes are planned in due-date order)."""
    return construct(instance, deadline).routes


def construct(instance: RoutingInstance, deadline: Deadline | None = None) -> Construction:
    """The nearest-neighbour plan, completed by :func:`due_order_fill` if ``deadline`` passes."""
    inst = instance
    deadline = deadline or Deadline(None)
    hard = inst.penalty.hard_windows
    n = inst.n_customers
    dem, ready, due, serv = inst.demand, inst.ready, inst.due, inst.service
    vol = inst.volume
    assert vol is not None  # set by RoutingInstance.__post_init__
    home = _home_minutes(inst)
    e_kwh, s_kwh, battery, home_gkm = _energy(inst)
    unrouted = np.ones(n + 1, dtype=bool)
    unrouted[0] = False
    fleet = _Fleet(inst)
    routes: list[Route] = []
    placed = 0
    while unrouted.any():
        if deadline.passed():
            rest = np.flatnonzero(unrouted)
            return Construction(routes + due_order_fill(inst, rest, fleet), False)
        k = fleet.next()
        cap = inst.vehicle_types[k].capacity
        cap_m3 = inst.vehicle_types[k].capacity_m3
        seq: list[int]
        here, t, load, m3, seq = 0, float(ready[0]), 0.0, 0.0, []
        gd = 0.0  # grade-km so far (the route's kWh, see _energy)
        limited = bool(np.isfinite(battery[k]))
        gkm = np.zeros(0)
        while True:
            cand = np.flatnonzero(unrouted & (dem <= cap - load + EPS) & (vol <= cap_m3 - m3 + EPS))
            if cand.size == 0:
                break
            km, minutes = _travel(inst, here, cand, t)
            arr = t + minutes
            start = np.maximum(arr, ready[cand])
            ok = arr <= due[cand] + EPS
            # must still get home by the depot's due time
            ok &= start + serv[cand] + home[cand] <= due[0] + EPS
            if limited:
                gkm = _grade_km(inst, np.full(cand.shape, here), cand)
                kwh = (e_kwh[k] + s_kwh[k] * (load + dem[cand])) * (gd + gkm + home_gkm[cand])
                ok &= _fits_battery(kwh, battery[k])
            if not ok.any():
                if seq or hard:
                    break
                ok = np.ones_like(ok)  # soft windows, empty vehicle: serve late rather than never
            score = DELTA_DIST * km + DELTA_TIME * (start - t) + DELTA_URGENCY * (due[cand] - arr)
            score[~ok] = np.inf
            best = int(np.argmin(score))
            j = int(cand[best])
            seq.append(j)
            unrouted[j] = False
            load += dem[j]
            m3 += vol[j]
            if limited:
                gd += float(gkm[best])
            t = max(t + float(minutes[best]), float(ready[j])) + float(serv[j])
            here = j
            placed += 1
            if placed % CHECK_EVERY == 0 and deadline.passed():
                break
        if not seq:
            break  # nothing reachable even from an empty vehicle (hard windows)
        routes.append(Route(k, tuple(seq)))
    return Construction(routes, True)


def due_order_fill(instance: RoutingInstance, customers: np.ndarray, fleet: _Fleet | None = None) -> list[Route]:
    """Routes for ``customers`` taken in order of due time, each appended to the open route
    that reaches it on time with the least distance and idle time (capacity and the return
    to the depot by its due time respected), or starting a new vehicle when none does.

    The fast end of the construction: one vectorised look at the open routes' last stops
    per customer (O(routes) instead of the nearest neighbour's O(n)), used for what the
    nearest neighbour had no time left for. As there, soft windows serve a customer late
    from an empty vehicle rather than never, and hard windows leave one that even an empty
    vehicle reaches late unserved (the plan then says so).
    """
    inst = instance
    fleet = fleet or _Fleet(inst)
    hard = inst.penalty.hard_windows
    dem, ready, due, serv = inst.demand, inst.ready, inst.due, inst.service
    vol = inst.volume
    assert vol is not None  # set by RoutingInstance.__post_init__
    home = _home_minutes(inst)
    e_kwh, s_kwh, battery, home_gkm = _energy(inst)
    limited = bool(np.isfinite(battery).any())
    order = np.asarray(customers, dtype=np.int64)
    order = order[np.lexsort((order, due[order]))]
    cap = np.array([v.capacity for v in inst.vehicle_types])
    cap_m3 = np.array([v.capacity_m3 for v in inst.vehicle_types])
    # the open routes: type, stops, and the state at their last stop
    types: list[int] = []
    stops: list[list[int]] = []
    last = np.zeros(0, dtype=np.int64)
    clock = np.zeros(0)
    load = np.zeros(0)
    m3 = np.zeros(0)
    gd = np.zeros(0)
    for j in (int(c) for c in order):
        if stops:
            km, minutes = _arcs_to(inst, last, j, clock)
            arr = clock + minutes
            start = np.maximum(arr, ready[j])
            ok = (
                (load + dem[j] <= cap[types] + EPS)
                & (m3 + vol[j] <= cap_m3[types] + EPS)
                & (arr <= due[j] + EPS)
                & (start + serv[j] + home[j] <= due[0] + EPS)
            )
            if limited:
                tt = np.asarray(types)
                gkm = _grade_km(inst, last, np.full(last.shape, j))
                kwh = (e_kwh[tt] + s_kwh[tt] * (load + dem[j])) * (gd + gkm + home_gkm[j])
                ok &= _fits_battery(kwh, battery[tt])
        if stops and ok.any():
            score = np.where(ok, DELTA_DIST * km + DELTA_TIME * (start - clock), np.inf)
            r = int(np.argmin(score))
            t = float(start[r])
        else:
            k = fleet.next(float(dem[j]), float(vol[j]))
            minutes0 = float(_arcs_to(inst, np.zeros(1, dtype=np.int64), j, np.array([float(ready[0])]))[1][0])
            arr = float(ready[0]) + minutes0
            if hard and (arr > due[j] + EPS or max(arr, ready[j]) + serv[j] + home[j] > due[0] + EPS):
                fleet.give_back(k)
                continue  # late even from the depot: left unserved, and the plan says so
            types.append(k)
            stops.append([])
            last, clock, load = np.append(last, 0), np.append(clock, float(ready[0])), np.append(load, 0.0)
            m3 = np.append(m3, 0.0)
            gd = np.append(gd, 0.0)
            r = len(stops) - 1
            t = max(arr, float(ready[j]))
        stops[r].append(j)
        if limited:
            gd[r] += float(_grade_km(inst, last[r : r + 1], np.array([j]))[0])
        last[r], clock[r] = j, t + float(serv[j])
        load[r] += dem[j]
        m3[r] += vol[j]
    return [Route(k, tuple(seq)) for k, seq in zip(types, stops)]


def _arcs_to(inst: RoutingInstance, frm: np.ndarray, j: int, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(km, minutes) of the arcs frm[r] -> j, each leaving at t[r]."""
    km, minutes, _, _ = inst.arcs_between(frm, np.full(frm.shape, j))
    if not inst.unit_speed:
        assert inst.road_grade is not None  # set by RoutingInstance.__post_init__
        minutes = minutes * inst.congestion_many(inst.road_grade[frm, j], t)
    return km, minutes
