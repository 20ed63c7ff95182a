"""Plans (lists of routes) and their evaluation: cost, kg CO2, penalty, loads, feasibility."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import kernels
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


def evaluate(instance: RoutingInstance, routes: list[Route] | tuple[Route, ...]) -> Evaluation:
    """Evaluate a plan with the compiled kernel; see :func:`optimizer.reference.evaluate_route`.

    Feasibility: every customer served exactly once, no vehicle over capacity, no type
    used more often than its count and, with hard windows, no late arrival at a customer
    or back at the depot.
    """
    kd = instance.kernel_data
    results = []
    problems: list[str] = []
    seen = np.zeros(instance.n_customers + 1, dtype=np.int64)
    used = np.zeros(len(instance.vehicle_types), dtype=np.int64)
    for ri, r in enumerate(routes):
        seq = np.asarray(r.customers, dtype=np.int64)
        if seq.size and (seq.min() < 1 or seq.max() > instance.n_customers):
            raise ValueError(f"route {ri}: customer index out of range 1..{instance.n_customers}")
        if not 0 <= r.vehicle_type < len(instance.vehicle_types):
            raise ValueError(f"route {ri}: vehicle type {r.vehicle_type} does not exist")
        np.add.at(seen, seq, 1)  # counts a customer repeated within one route too
        n = seq.size
        vals = kernels.route_eval(seq, 0, n, r.vehicle_type, *kd)
        arrays = [np.zeros(n + 1) for _ in range(5)]
        if n:
            used[r.vehicle_type] += 1
            kernels.route_detail(seq, 0, n, r.vehicle_type, *kd, *arrays)
        res = RouteResult(
            r,
            vals[kernels.COST],
            vals[kernels.EMIS],
            vals[kernels.PEN],
            vals[kernels.DIST],
            vals[kernels.DURATION],
            float(instance.demand[seq].sum()) if n else 0.0,
            vals[kernels.OVERLOAD],
            vals[kernels.LATE],
            *arrays,
        )
        results.append(res)
        vt = instance.vehicle_types[r.vehicle_type]
        if res.overload > FEAS_TOL:
            problems.append(f"route {ri}: load {res.load:g} exceeds capacity {vt.capacity:g} of {vt.name}")
        if instance.penalty.hard_windows and res.lateness > FEAS_TOL:
            problems.append(f"route {ri}: late by {res.lateness:.4g} in total (hard time windows)")
    missing = np.flatnonzero(seen[1:] == 0) + 1
    dup = np.flatnonzero(seen[1:] > 1) + 1
    if missing.size:
        problems.append(f"{missing.size} customer(s) not served, e.g. id {instance.customer_ids[missing[0]]}")
    if dup.size:
        problems.append(f"{dup.size} customer(s) served more than once, e.g. id {instance.customer_ids[dup[0]]}")
    for k, vt in enumerate(instance.vehicle_types):
        if used[k] > vt.count:
            problems.append(f"{used[k]} routes on {vt.name} but only {vt.count} available")
    return Evaluation(
        cost=sum(r.cost for r in results),
        emissions_kg=sum(r.emissions_kg for r in results),
        penalty=sum(r.penalty for r in results),
        distance_km=sum(r.distance_km for r in results),
        vehicles=int(used.sum()),
        routes=tuple(results),
        problems=tuple(problems),
    )


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
