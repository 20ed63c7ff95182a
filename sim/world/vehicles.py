"""A vehicle driving one planned route as a SimPy process.

The plan fixes the order of the stops; the drive is what really happens: each arc's travel
time is the congestion-dependent time at the moment the vehicle leaves (the same road model
the router plans with, ``RoutingInstance.leg``) times a lognormal noise factor with mean 1
(``world.travel_time_cv``), drawn per order and attempt when the order is placed, so two
routing policies meet the same traffic on the way to a customer. The vehicle waits when
early, is penalised when late (eq. 7), and a parcel nobody is home for rides back, so the
load (and the kg CO2e of every later arc) is the load really carried. Every arc is an
``arrived`` event with its km, kg CO2e and the load on board, the return leg included, so
``vehicle_returned``'s totals can be checked against the arcs from the log alone. A pickup
site's parcels are one stop: the first is driven to and takes the site's service time, the rest
arrive there with no arc (0 km) and are never "nobody home". At the
depot the route's kg CO2e is apportioned to the orders it carried (``labels.method``: eq. 5
demand share or ISO 14083 tonne-km); the shares ride in ``vehicle_returned.data.shares``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from labels.apportion import DrivenArc, DrivenRoute, apportion, route_method
from optimizer import RoutingInstance
from optimizer.units import KG_PER_CAPACITY_UNIT
from sim.log.events import Event, EventType
from sim.world.context import Context
from sim.world.orders import Order, OrderStatus, record_failure


@dataclass(frozen=True)
class RoutePlan:
    """One route of a wave's chosen plan, ready to drive."""

    route_id: int
    wave_id: int
    depot: int
    vehicle_id: str
    vehicle_type: int  # index into instance.vehicle_types
    instance: RoutingInstance  # times relative to the wave's start
    start: float  # simulated time of the wave (instance time 0)
    stops: tuple[tuple[int, Order], ...]  # (instance node, order) in driving order
    kwh: float = 0.0  # battery energy the drive used (set by drive, for the charger)


def noise_factor(z: float, cv: float) -> float:
    """The lognormal factor with mean 1 and coefficient of variation ``cv`` for the standard
    normal draw ``z`` (1.0 when cv = 0)."""
    if cv <= 0.0:
        return 1.0
    s2 = math.log1p(cv * cv)
    return math.exp(-s2 / 2.0 + math.sqrt(s2) * z)


def travel_noise(rng: np.random.Generator, cv: float) -> float:
    """A lognormal factor with mean 1 and coefficient of variation ``cv`` drawn from ``rng``."""
    return noise_factor(float(rng.standard_normal()), cv)


@dataclass(frozen=True)
class RouteTrace:
    """What a round did, for the carbon accounting: when it left, what it drove and emitted,
    and for each parcel its shortest feasible distance from the station, the km driven to its
    drop and the time it got there."""

    route_id: int
    start: float
    km: float
    empty_km: float  # km driven with nothing on board
    kg_model: float  # kg CO2e at the vehicle's factors
    load_kg: float  # mass on board at departure
    capacity_kg: float
    sfd_km: dict[int, float]
    stop_km: dict[int, float]
    stop_t: dict[int, float]


def drive(
    ctx: Context,
    plan: RoutePlan,
    rng: np.random.Generator,
    on_return: Callable[[RoutePlan, list[Order], dict[int, float], RouteTrace], None],
):
    """The SimPy process of one route: depart, serve each stop, return; records every step."""
    env, rec, sc = ctx.env, ctx.record, ctx.scenario
    inst, k = plan.instance, plan.vehicle_type
    vt = inst.vehicle_types[k]
    cv = sc.world.travel_time_cv
    late_w, early_w = sc.routing.late_weight, sc.routing.early_weight
    ids: dict[str, Any] = {"vehicle_id": plan.vehicle_id, "route_id": plan.route_id}
    t0 = ctx.now
    load = sum(o.weight_kg for _, o in plan.stops)
    volume = sum(o.parcel_m3 for _, o in plan.stops)
    rec(
        Event(
            t=t0,
            type=EventType.VEHICLE_DEPARTED,
            wave_id=plan.wave_id,
            load=load,
            **ids,
            quantity=float(len(plan.stops)),
            data={
                "vehicle_type": vt.name,
                "capacity_kg": vt.capacity * KG_PER_CAPACITY_UNIT,
                "capacity_m3": vt.capacity_m3 if math.isfinite(vt.capacity_m3) else None,
                "battery_kwh": vt.battery_kwh if math.isfinite(vt.battery_kwh) else None,
                "volume_m3": volume,
                "depot": plan.depot,
                "orders": [o.id for _, o in plan.stops],
            },
        )
    )
    km = kg = km_cost = penalty = kwh = 0.0
    arcs_g = inst.kernel_data.arcs[2]  # the grade factor g_r per arc: kWh per km scale with it as kg
    kwh_empty = vt.kwh_per_km_empty
    kwh_slope = (vt.kwh_per_km_full - vt.kwh_per_km_empty) / vt.capacity
    carried_back: list[Order] = []
    on_board = {o.id: o.weight_kg for _, o in plan.stops}
    arcs: list[DrivenArc] = []
    stop_km: dict[int, float] = {}
    stop_t: dict[int, float] = {}
    prev = 0
    pickup = ctx.pickup
    for node, order in plan.stops:
        if node == prev:
            # the next parcel of the same pickup site: no driving, and the stop's time is spent
            leg_km = leg_kg = 0.0
        else:
            leg = inst.leg(prev, node, k, load / KG_PER_CAPACITY_UNIT, ctx.now - plan.start)
            yield env.timeout(leg.minutes * noise_factor(order.travel_z[order.attempts], cv))
            kwh += (kwh_empty + kwh_slope * load / KG_PER_CAPACITY_UNIT) * float(arcs_g[prev, node]) * leg.km
            km += leg.km
            kg += leg.kg_co2e
            km_cost += leg.cost
            arcs.append(DrivenArc(leg.km, leg.kg_co2e, dict(on_board)))
            leg_km, leg_kg = leg.km, leg.kg_co2e
        arrival = ctx.now
        stop_km.setdefault(order.id, km)
        stop_t.setdefault(order.id, arrival)
        rec(
            Event(
                t=arrival,
                type=EventType.ARRIVED,
                order_id=order.id,
                km=leg_km,
                kg_co2e=leg_kg,
                load=load,
                lateness=arrival - order.due,
                **ids,
                data={"site": order.site} if order.site is not None else None,
            )
        )
        wait = max(0.0, order.ready - arrival) if node != prev else 0.0  # a site's stop waits once
        late = max(0.0, arrival - order.due)
        penalty += early_w * wait + late_w * late
        if node != prev:
            yield env.timeout(wait + float(inst.service[node]))
        order.attempts += 1
        if order.site is None and order.absent[order.attempts - 1]:
            record_failure(
                ctx, order, reason="nobody_home", final=order.attempts >= len(order.absent), lateness=arrival - order.due, **ids
            )
            carried_back.append(order)
        else:
            # lateness against the first promise: a parcel delivered at the second attempt is late
            rec(
                Event(
                    t=ctx.now,
                    type=EventType.DELIVERED,
                    order_id=order.id,
                    load=order.weight_kg,
                    lateness=arrival - order.promised_due,
                    **ids,
                    data={
                        "attempt": order.attempts,
                        "option": order.option.value,
                        "waited": wait,
                        **({"site": order.site, "fallback": order.fallback} if order.site is not None else {}),
                    },
                )
            )
            if order.site is not None and pickup is not None:
                pickup.dropped(order)
            load -= order.weight_kg
            del on_board[order.id]
            if not on_board:
                load = 0.0  # no float residue once the last parcel is off
            order.status = OrderStatus.DELIVERED
            ctx.counters.delivered += 1
            ctx.counters.open_orders -= 1
        prev = node
    leg = inst.leg(prev, 0, k, load / KG_PER_CAPACITY_UNIT, ctx.now - plan.start)
    yield env.timeout(leg.minutes * travel_noise(rng, cv))
    kwh += (kwh_empty + kwh_slope * load / KG_PER_CAPACITY_UNIT) * float(arcs_g[prev, 0]) * leg.km
    km += leg.km
    kg += leg.kg_co2e
    km_cost += leg.cost
    arcs.append(DrivenArc(leg.km, leg.kg_co2e, dict(on_board)))
    rec(Event(t=ctx.now, type=EventType.ARRIVED, km=leg.km, kg_co2e=leg.kg_co2e, load=load, **ids, data={"depot": plan.depot}))
    duration = ctx.now - t0
    cost = km_cost + vt.fixed_cost + vt.cost_per_minute * duration
    driven = DrivenRoute(
        tuple(arcs),
        mass_kg={o.id: o.weight_kg for _, o in plan.stops},
        sfd_km={o.id: float(inst.distance[0, node]) for node, o in plan.stops},
    )
    shares = apportion(driven, route_method(sc.labels.method))
    rec(
        Event(
            t=ctx.now,
            type=EventType.VEHICLE_RETURNED,
            km=km,
            kg_co2e=kg,
            cost=cost,
            **ids,
            load=sum(o.weight_kg for _, o in plan.stops),
            data={
                "duration": duration,
                "penalty": penalty,
                "returned": [o.id for o in carried_back],
                "electric": vt.electric,
                "kwh": kwh,
                "shares": [[o.id, shares[o.id]] for _, o in plan.stops],
            },
        )
    )
    object.__setattr__(plan, "kwh", kwh)  # frozen: the one field the drive fills in
    trace = RouteTrace(
        route_id=plan.route_id,
        start=plan.start,
        km=km,
        empty_km=math.fsum(a.km for a in arcs if not any(m > 0.0 for m in a.on_board.values())),
        kg_model=driven.kg_co2e,
        load_kg=sum(o.weight_kg for _, o in plan.stops),
        capacity_kg=vt.capacity * KG_PER_CAPACITY_UNIT,
        sfd_km=dict(driven.sfd_km),
        stop_km=stop_km,
        stop_t=stop_t,
    )
    on_return(plan, carried_back, shares, trace)
