"""Plain-Python twin of the route evaluator in :mod:`optimizer.kernels`.

Written independently of the kernel, from the model's definition, for readability rather
than speed: tests check that both agree to 1e-9 on many random solutions, so a change to
either that alters the model is caught.
"""

from __future__ import annotations

from dataclasses import dataclass

from .instance import RoutingInstance


@dataclass
class RouteTrace:
    """Everything the evaluator knows about one route; lists run over stops / arcs in order."""

    cost: float
    emissions_kg: float
    penalty: float
    distance_km: float
    duration: float
    overload: float
    lateness: float
    arrival: list[float]
    service_start: list[float]
    arc_load: list[float]
    arc_km: list[float]
    arc_kg: list[float]


def _coefficient(inst: RoutingInstance, i: int, j: int, t: float) -> float:
    """Congestion coefficient for leaving i towards j at time t."""
    if inst.unit_speed:
        return 1.0
    assert inst.road_grade is not None  # set by RoutingInstance.__post_init__
    grade = inst.grades[int(inst.road_grade[i, j])]
    shape = inst.congestion.shape
    periods_since_midnight = int((t + inst.start_minute) // inst.congestion.period_minutes)
    period = periods_since_midnight % len(shape)
    return 1.0 + (grade.congestion - 1.0) * shape[period]


def evaluate_route(inst: RoutingInstance, customers: list[int], vehicle_type: int) -> RouteTrace:
    """Evaluate one route given as internal node indices (1..n) on a vehicle type index."""
    vt = inst.vehicle_types[vehicle_type]
    if not customers:
        return RouteTrace(0, 0, 0, 0, 0, 0, 0, [], [], [], [], [])
    lam, mu = inst.penalty.late_weight, inst.penalty.early_weight
    dist = inst.distance
    stops = list(customers) + [0]
    on_board = sum(float(inst.demand[c]) for c in customers)
    total = on_board
    overload = max(0.0, on_board - vt.capacity)
    assert inst.volume is not None  # set by RoutingInstance.__post_init__
    volume = sum(float(inst.volume[c]) for c in customers)
    if volume > vt.capacity_m3:  # the volume excess as the same share of the weight capacity
        overload += (volume - vt.capacity_m3) / vt.capacity_m3 * vt.capacity
    clock = float(inst.ready[0])
    depart = clock
    here = 0
    tr = RouteTrace(0.0, 0.0, 0.0, 0.0, 0.0, overload, 0.0, [], [], [], [], [])
    km_cost = 0.0
    gd = 0.0
    for there in stops:
        km = float(dist[here, there])
        if inst.unit_speed:
            minutes, g_emis, g_cost = km, 1.0, 1.0
        else:
            assert inst.road_grade is not None  # set by RoutingInstance.__post_init__
            grade = inst.grades[int(inst.road_grade[here, there])]
            minutes = km / grade.speed_kmh * 60.0 * _coefficient(inst, here, there, clock)
            g_emis, g_cost = grade.emission_factor, grade.cost_factor
        factor = vt.empty_kg_per_km + (vt.full_kg_per_km - vt.empty_kg_per_km) * on_board / vt.capacity
        kg = factor * g_emis * km
        gd += g_emis * km
        tr.arc_load.append(on_board)
        tr.arc_km.append(km)
        tr.arc_kg.append(kg)
        tr.distance_km += km
        tr.emissions_kg += kg
        km_cost += km * g_cost
        clock += minutes
        tr.arrival.append(clock)
        late = max(0.0, clock - float(inst.due[there]))
        tr.lateness += late
        tr.penalty += lam * late
        if there != 0:
            early = max(0.0, float(inst.ready[there]) - clock)
            tr.penalty += mu * early
            clock = max(clock, float(inst.ready[there]))
            tr.service_start.append(clock)
            clock += float(inst.service[there])
            on_board -= float(inst.demand[there])
        else:
            tr.service_start.append(clock)
        here = there
    tr.duration = clock - depart
    # the worst case, every parcel on board to the end (kernels.route_kwh)
    kwh = (vt.kwh_per_km_empty + (vt.kwh_per_km_full - vt.kwh_per_km_empty) / vt.capacity * total) * gd
    if kwh > vt.battery_kwh:  # the battery's excess as the same share of the weight capacity
        tr.overload += (kwh - vt.battery_kwh) / vt.battery_kwh * vt.capacity
    tr.cost = km_cost * vt.cost_per_km + vt.fixed_cost + vt.cost_per_minute * tr.duration
    return tr
