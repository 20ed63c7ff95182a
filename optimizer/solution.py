"""Plans (lists of routes) and their evaluation: cost, kg CO2, penalty, loads, feasibility."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .instance import RoutingInstance

FEAS_TOL = 1e-6


@dataclass(frozen=True)
class Route:
    """One vehicle's trip: a vehicle type index and customers as internal node indices (1..n)."""

    vehicle_type: int
    customers: tuple[int, ...]


@dataclass(frozen=True)
class RouteResult:
    """A route's objectives and its profile: per stop (arrival, service start; the last stop
    is the depot) and per arc (load carried, km, kg CO2; arc p ends at stop p)."""

    route: Route
    cost: float
    emissions_kg: float
    penalty: float
    distance_km: float
    duration: float
    load: float
    overload: float
    lateness: float
    #: m³ on board leaving the depot; ``overload`` counts an excess of it (kernels.excess)
    volume: float
    arrival: np.ndarray = field(repr=False)
    service_start: np.ndarray = field(repr=False)
    arc_load: np.ndarray = field(repr=False)
    arc_km: np.ndarray = field(repr=False)
    arc_kg: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class Evaluation:
    """A plan's totals, per-route results and feasibility, with the reasons it fails if it does."""

    cost: float
    emissions_kg: float
    penalty: float
    distance_km: float
    vehicles: int
    routes: tuple[RouteResult, ...]
    problems: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        return not self.problems

    @property
    def objectives(self) -> np.ndarray:
        """(C, E, T) as minimised by the search."""
        return np.array([self.cost, self.emissions_kg, self.penalty])


def evaluate(instance: RoutingInstance, routes: list[Route] | tuple[Route, ...], *, compiled: bool = True) -> Evaluation:
    """Evaluate a plan with the compiled kernel; see :func:`optimizer.reference.evaluate_route`.

    Feasibility: every customer served exactly once, no vehicle over capacity, no type
    used more often than its count and, with hard windows, no late arrival at a customer
    or back at the depot; and every total a finite number (coordinates or times so large
    that distances overflow give none).

    ``compiled=False`` runs the same arithmetic in plain Python on arcs computed from the
    coordinates (:meth:`RoutingInstance.arcs_between`): no numba compilation and no (N, N)
    arrays, for a plan that must be returned before either is ready.
    """
    results = []
    problems: list[str] = []
    nodes = None if compiled else _NodeLists(instance)
    seen = np.zeros(instance.n_customers + 1, dtype=np.int64)
    used = np.zeros(len(instance.vehicle_types), dtype=np.int64)
    for ri, r in enumerate(routes):
        seq = np.asarray(r.customers, dtype=np.int64)
        if seq.size and (seq.min() < 1 or seq.max() > instance.n_customers):
            raise ValueError(f"route {ri}: customer index out of range 1..{instance.n_customers}")
        if not 0 <= r.vehicle_type < len(instance.vehicle_types):
            raise ValueError(f"route {ri}: vehicle type {r.vehicle_type} does not exist")
        np.add.at(seen, seq, 1)  # counts a customer repeated within one route too
        if seq.size:
            used[r.vehicle_type] += 1
        res = _route_compiled(instance, r, seq) if nodes is None else _route_python(instance, r, seq, nodes)
        results.append(res)
        vt = instance.vehicle_types[r.vehicle_type]
        if res.overload > FEAS_TOL:
            heavy = res.load > vt.capacity
            bulky = res.volume > vt.capacity_m3
            flat = not (heavy or bulky) and math.isfinite(vt.battery_kwh)  # what is left is energy
            if heavy or not (bulky or flat):
                problems.append(f"route {ri}: load {res.load:g} exceeds capacity {vt.capacity:g} of {vt.name}")
            if bulky:
                problems.append(f"route {ri}: volume {res.volume:g} m³ exceeds capacity {vt.capacity_m3:g} m³ of {vt.name}")
            if flat:
                problems.append(f"route {ri}: needs more than the {vt.battery_kwh:g} kWh battery of {vt.name}")
        if instance.penalty.hard_windows and res.lateness > FEAS_TOL:
            problems.append(f"route {ri}: late by {res.lateness:.4g} in total (hard time windows)")
    missing = np.flatnonzero(seen[1:] == 0) + 1
    dup = np.flatnonzero(seen[1:] > 1) + 1
    assert instance.customer_ids is not None  # set by RoutingInstance.__post_init__
    if missing.size:
        problems.append(f"{missing.size} customer(s) not served, e.g. id {instance.customer_ids[missing[0]]}")
    if dup.size:
        problems.append(f"{dup.size} customer(s) served more than once, e.g. id {instance.customer_ids[dup[0]]}")
    for k, vt in enumerate(instance.vehicle_types):
        if used[k] > vt.count:
            problems.append(f"{used[k]} routes on {vt.name} but only {vt.count} available")
    totals = dict(
        cost=sum(r.cost for r in results),
        emissions_kg=sum(r.emissions_kg for r in results),
        penalty=sum(r.penalty for r in results),
        distance_km=sum(r.distance_km for r in results),
    )
    bad = [name for name, v in totals.items() if not math.isfinite(v)]
    if bad:
        problems.append(f"{', '.join(bad)} not a finite number (coordinates or times too large for the arithmetic)")
    return Evaluation(**totals, vehicles=int(used.sum()), routes=tuple(results), problems=tuple(problems))


def _route_compiled(instance: RoutingInstance, r: Route, seq: np.ndarray) -> RouteResult:
    # here, not at import: numba takes 0.3 s to load, and plain-Python plans need none of it
    from . import kernels

    kd = instance.kernel_data
    n = seq.size
    vals = kernels.route_eval(seq, 0, n, r.vehicle_type, *kd)
    vol = instance.volume
    assert vol is not None  # set by RoutingInstance.__post_init__
    arrays = [np.zeros(n + 1) for _ in range(5)]
    if n:
        kernels.route_detail(seq, 0, n, r.vehicle_type, *kd, *arrays)
    return RouteResult(
        r,
        vals[kernels.COST],
        vals[kernels.EMIS],
        vals[kernels.PEN],
        vals[kernels.DIST],
        vals[kernels.DURATION],
        float(instance.demand[seq].sum()) if n else 0.0,
        vals[kernels.OVERLOAD],
        vals[kernels.LATE],
        float(vol[seq].sum()) if n else 0.0,
        *arrays,
    )


class _NodeLists:
    """Per-node data as Python lists (indexing a list is what a Python loop does fastest)."""

    def __init__(self, inst: RoutingInstance) -> None:
        self.demand, self.ready, self.due, self.service = (a.tolist() for a in (inst.demand, inst.ready, inst.due, inst.service))


def _route_python(instance: RoutingInstance, r: Route, seq: np.ndarray, nodes: _NodeLists) -> RouteResult:
    """kernels.route_eval and kernels.route_detail in plain Python, operation for operation
    (same order, so the same floating-point results)."""
    inst = instance
    n = seq.size
    arrays = [np.zeros(n + 1) for _ in range(5)]
    if n == 0:
        return RouteResult(r, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, *arrays)
    arrival, service_start, arc_load, arc_km, arc_kg = arrays
    stops = np.concatenate([seq, [0]])
    km, minutes, g_emis, g_cost = (a.tolist() for a in inst.arcs_between(np.concatenate([[0], seq]), stops))
    assert inst.road_grade is not None  # set by RoutingInstance.__post_init__
    grade = [0] * (n + 1) if inst.unit_speed else inst.road_grade[np.concatenate([[0], seq]), stops].tolist()
    vt = inst.vehicle_types[r.vehicle_type]
    cap, e = float(vt.capacity), float(vt.empty_kg_per_km)
    slope = (float(vt.full_kg_per_km) - e) / cap
    lw, ew = float(inst.penalty.late_weight), float(inst.penalty.early_weight)
    demand, ready, due, service = nodes.demand, nodes.ready, nodes.due, nodes.service
    load = 0.0
    for c in seq.tolist():
        load += demand[c]
    t = ready[0]
    t0 = t
    dist = cost_km = emis = pen = late = gd = 0.0
    cur = load
    for p, nxt in enumerate(stops.tolist()):
        d = km[p]
        gd += g_emis[p] * d
        dist += d
        cost_km += d * g_cost[p]
        kg = (e + slope * cur) * g_emis[p] * d
        emis += kg
        arc_load[p], arc_km[p], arc_kg[p] = cur, d, kg
        t += minutes[p] * inst.congestion_at(grade[p], t)
        arrival[p] = t
        b = due[nxt]
        if t > b:
            pen += lw * (t - b)
            late += t - b
        if nxt != 0:
            a = ready[nxt]
            if t < a:
                pen += ew * (a - t)
                t = a
            service_start[p] = t
            t += service[nxt]
            cur -= demand[nxt]
        else:
            service_start[p] = t
    duration = t - t0
    cost = cost_km * float(vt.cost_per_km) + float(vt.fixed_cost) + float(vt.cost_per_minute) * duration
    assert inst.volume is not None  # set by RoutingInstance.__post_init__
    vol = 0.0
    for v in inst.volume[seq].tolist():
        vol += v
    overload = load - cap if load > cap else 0.0
    capv = float(vt.capacity_m3)
    if vol > capv:  # kernels.excess, as plain Python (no numba loaded here)
        overload += (vol - capv) / capv * cap
    ke = float(vt.kwh_per_km_empty)
    kwh = (ke + (float(vt.kwh_per_km_full) - ke) / cap * load) * gd  # kernels.route_kwh: the worst case
    battery = float(vt.battery_kwh)
    if kwh > battery:  # kernels.energy_excess
        overload += (kwh - battery) / battery * cap
    return RouteResult(r, cost, emis, pen, dist, duration, float(inst.demand[seq].sum()), overload, late, vol, *arrays)


def routes_from_ids(instance: RoutingInstance, plan: list[tuple[str | int, list[int]]]) -> list[Route]:
    """Routes from (vehicle type name or index, customer ids as numbered in the source)."""
    names = [v.name for v in instance.vehicle_types]
    out = []
    for vt, ids in plan:
        k = names.index(vt) if isinstance(vt, str) else int(vt)
        out.append(Route(k, tuple(instance.index_of(i) for i in ids)))
    return out


def flat_to_routes(tour: np.ndarray, rstart: np.ndarray, rtype: np.ndarray, nr: int) -> list[Route]:
    """Routes from the kernels' flat form."""
    return [
        Route(int(rtype[r]), tuple(int(c) for c in tour[rstart[r] : rstart[r + 1]]))
        for r in range(nr)
        if rstart[r + 1] > rstart[r]
    ]
