"""Dispatch waves: every ``wave_interval_minutes`` the packed orders due soon become one
routing instance per depot, the scenario's policy plans them through ``optimizer.solve``,
and each route of the chosen plan is driven by an idle vehicle.

A wave takes the orders whose window opens within ``lookahead_minutes``, most urgent
first (earliest due), up to ``max_orders_per_wave`` and to 90% of the idle fleet's
capacity (at least one vehicle's worth) by weight and by volume, each no heavier and no
bulkier than the largest idle vehicle; the rest wait for a later wave. An order's volume is
its parcel's (:attr:`Order.parcel_m3`: the boxes' litres, or the goods' where unpacked), a
second capacity resource of the instance beside its weight. A node of the instance is a stop
(:meth:`Dispatcher.stops`): an order's door, or a pickup site with the wave's parcels for it
(their weight, volume and tightest window; the site's service time), so a plan routes the site
once for all of them. The instance is the road model of the routing
issue: circuity, road grades by where an arc runs (``optimizer.generate.road_grades``),
Table 6 speeds and the hourly congestion profile, with time 0 at the wave and
``start_minute`` its minute of the day, soft or hard windows as the scenario says. A plan
route that would overload its vehicle by weight or volume (it cannot happen with a feasible
plan, but the guard keeps the capacity invariant unconditional) is trimmed from its end;
trimmed orders wait. A parcel nobody was home for tries again the next day, at the customer's
pickup site when the scenario has one with room (``pickup.fallback``).

With ``fleet.shift_hours`` the instance's depot closes when the shortest shift left among the
depot's available vehicles ends (:meth:`FleetPool.shortest_shift_left`): a route returning
later is a late depot return, infeasible with hard windows and priced with soft ones, where a
planned route still returning too late is trimmed from its end until it is back in time.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np

from optimizer import ROAD_GRADES, PenaltyModel, Route, RoutingInstance, Weights, evaluate, solve
from optimizer.algorithms import ALGORITHMS
from optimizer.generate import road_grades
from optimizer.intensify import IntensifyParams
from optimizer.model import DEFAULT_PROFILE
from optimizer.units import KG_PER_CAPACITY_UNIT
from sim.log.events import Event, EventType
from sim.world.context import MINUTES_PER_DAY, Context, minutes_until_hour
from sim.world.fleet import FleetPool
from sim.world.geography import World
from sim.world.orders import Order, OrderStatus, record_failure
from sim.world.pickup import site_window
from sim.world.vehicles import RoutePlan, RouteTrace, drive

if TYPE_CHECKING:
    from sim.world.labelling import Labeller

#: Share of the idle fleet's capacity a wave fills at most (bin-packing slack for the plan).
FILL_LIMIT = 0.9
#: Depot closing time in an instance, minutes after the wave (only binds with hard windows).
DEPOT_HORIZON = 2 * MINUTES_PER_DAY
#: Least time handed to the router when building a wave's instance used up its limit: the
#: start plan is then returned at once.
MIN_SOLVE_SECONDS = 1e-3
#: Free-flow speed of the fastest road grade: a lower bound on the time to reach a customer.
MAX_SPEED_KMH = max(g.speed_kmh for g in ROAD_GRADES)


class Dispatcher:
    """The dispatch process: holds the packed orders waiting for a vehicle and, every
    ``routing.wave_interval_minutes``, plans one wave per depot (:meth:`wave`: select the orders,
    build the routing instance, solve it with the scenario's policy, hand each route of the
    chosen plan to an idle vehicle) and logs ``wave_planned``. Orders a plan does not carry, or
    that no idle vehicle can take, wait for a later wave."""

    def __init__(self, ctx: Context, world: World, fleet: FleetPool) -> None:
        self.ctx = ctx
        self.world = world
        self.fleet = fleet
        self.pending: list[list[Order]] = [[] for _ in world.depots]
        self.closed = False
        self.next_wave = 1
        self.next_route = 1
        self.travel_rng = ctx.streams.get("travel")
        self._relaxed = 0
        self.labeller: Labeller | None = None  # set by the simulation: receives each returned route's shares

    def can_carry(self, order: Order) -> bool:
        """Whether some vehicle of the fleet can take the order at all (weight and volume)."""
        return any(vt.count > 0 and self.fleet.fits(k, order.weight_kg, order.parcel_m3) for k, vt in enumerate(self.fleet.types))

    def add(self, order: Order) -> None:
        """A packed order joins its depot's queue for the next wave; one heavier than every
        vehicle of the fleet (or too bulky for every one) can never ship and ends ``delivery_failed``
        (reason ``too_heavy`` or ``too_bulky``)."""
        if not self.can_carry(order):
            reason = "too_heavy" if order.weight_kg > self.fleet.max_capacity_kg else "too_bulky"
            record_failure(self.ctx, order, reason=reason, final=True, load=order.weight_kg)
            return
        order.status = OrderStatus.READY
        self.pending[order.depot].append(order)

    def waiting(self) -> int:
        return sum(len(p) for p in self.pending)

    def process(self):
        """The SimPy process: a wave every interval until the dispatcher is closed."""
        while True:
            yield self.ctx.env.timeout(self.until_next_wave())
            if self.closed:
                return
            for depot in range(len(self.world.depots)):
                self.wave(depot)

    def until_next_wave(self) -> float:
        """Minutes from now to the next wave: ``routing.wave_interval_minutes``, or the next of
        ``routing.wave_hours`` (today's if one is still ahead, else tomorrow's first)."""
        r = self.ctx.scenario.routing
        if not r.wave_hours:
            return r.wave_interval_minutes
        return minutes_until_hour(self.ctx.now, r.wave_hours)

    # -- one wave -----------------------------------------------------------------------------

    def select(self, depot: int) -> list[Order]:
        """The orders this wave plans for ``depot`` (see the module docstring)."""
        ctx, r = self.ctx, self.ctx.scenario.routing
        counts = self.fleet.idle_counts(depot)
        idle = [k for k, c in enumerate(counts) if c > 0]
        largest = max((self.fleet.capacity_kg(k) for k in idle), default=0.0)
        # the fill limit leaves the plan slack, but never below what one vehicle carries
        room = max(FILL_LIMIT * sum(counts[k] * self.fleet.capacity_kg(k) for k in idle), largest)
        if room <= 0:
            return []
        # the same by volume (infinite when an idle type has no volume capacity)
        roomiest = max((self.fleet.capacity_m3(k) for k in idle), default=0.0)
        room_m3 = max(FILL_LIMIT * sum(counts[k] * self.fleet.capacity_m3(k) for k in idle), roomiest)
        horizon = ctx.now + r.lookahead_minutes
        due_soon = sorted((o for o in self.pending[depot] if o.ready <= horizon), key=lambda o: (o.due, o.id))
        chosen: list[Order] = []
        weight = m3 = 0.0
        for o in due_soon:
            if len(chosen) >= r.max_orders_per_wave:
                break
            v = o.parcel_m3
            if not any(self.fleet.fits(k, o.weight_kg, v) for k in idle):
                continue
            if weight + o.weight_kg <= room and m3 + v <= room_m3:
                chosen.append(o)
                weight += o.weight_kg
                m3 += v
        return chosen

    def stops(self, depot: int, orders: list[Order], types: list[int]) -> list[list[Order]]:
        """The wave's orders as stops: one for each door, one for the parcels of a pickup site (in
        as many as it takes for each to fill at most half the roomiest idle vehicle, by weight
        and by volume, so a route can still carry other stops)."""
        doors = [[o] for o in orders if o.site is None]
        by_site: dict[int, list[Order]] = {}
        for o in orders:
            if o.site is not None:
                by_site.setdefault(o.site, []).append(o)
        if not by_site:
            return doors
        half_kg = 0.5 * max(self.fleet.capacity_kg(k) for k in types)
        half_m3 = 0.5 * max(self.fleet.capacity_m3(k) for k in types)
        sites: list[list[Order]] = []
        for parcels in by_site.values():
            chunk: list[Order] = []
            kg = m3 = 0.0
            for o in parcels:
                if chunk and (kg + o.weight_kg > half_kg or m3 + o.parcel_m3 > half_m3):
                    sites.append(chunk)
                    chunk, kg, m3 = [], 0.0, 0.0
                chunk.append(o)
                kg += o.weight_kg
                m3 += o.parcel_m3
            sites.append(chunk)
        return doors + sites

    def instance(self, depot: int, stops: list[list[Order]], types: list[int]) -> RoutingInstance:
        """The routing instance of a wave: the depot and one node per stop (an order at its door,
        or a pickup site's parcels: its window the tightest of theirs, their weight and volume,
        the site's service time), times from now."""
        ctx, sc = self.ctx, self.ctx.scenario
        r, pk = sc.routing, sc.pickup
        now = ctx.now
        dx, dy = self.world.depots[depot]
        x = np.array([dx] + [s[0].x for s in stops])
        y = np.array([dy] + [s[0].y for s in stops])
        ready = np.array([0.0] + [max(0.0, max(o.ready for o in s) - now) for s in stops])
        close = min(DEPOT_HORIZON, self.fleet.shortest_shift_left(depot))
        due = np.array([close] + [max(0.0, min(o.due for o in s) - now) for s in stops])
        due = np.maximum(due, ready)
        service = [
            r.service_minutes if s[0].site is None else pk.service_minutes + pk.service_minutes_per_parcel * len(s) for s in stops
        ]
        # An order that can no longer be reached in its window even on a direct trip at the
        # fastest free-flow speed (or that an earlier plan left out) has its window opened to
        # the depot's closing, so it is served in this wave, late, and the drive records the
        # real lateness against its promise. With hard windows it would make every plan
        # infeasible and be left out forever, first in the queue; with soft ones a route
        # builder would give each such order a vehicle of its own (Solomon's nearest
        # neighbour opens a route for every customer it cannot reach on time), which at a
        # station's wave of hundreds of parcels with a backlog uses up the fleet on rounds
        # of one stop. Its lateness so far is sunk either way.
        reach = np.hypot(x[1:] - dx, y[1:] - dy) * sc.world.circuity / MAX_SPEED_KMH * 60.0
        lost = (due[1:] < reach) | np.array([any(o.unplanned > 0 for o in s) for s in stops])
        due[1:][lost] = min(DEPOT_HORIZON / 2.0, close)
        self._relaxed = int(lost.sum())
        counts = self.fleet.idle_counts(depot)
        fleet = tuple(self.fleet.types[k].replace(count=counts[k]) for k in types)
        return RoutingInstance(
            name=f"wave{self.next_wave}-depot{depot}",
            x=x,
            y=y,
            demand=np.array([0.0] + [sum(o.weight_kg for o in s) / KG_PER_CAPACITY_UNIT for s in stops]),
            volume=np.array([0.0] + [sum(o.parcel_m3 for o in s) for s in stops]),
            ready=ready,
            due=due,
            service=np.array([0.0] + service),
            vehicle_types=fleet,
            # a site's stop goes by the id of its first parcel (ids stay unique)
            customer_ids=np.array([0] + [s[0].id for s in stops]),
            circuity=sc.world.circuity,
            road_grade=road_grades(x, y),
            unit_speed=False,
            congestion=DEFAULT_PROFILE,
            start_minute=now % MINUTES_PER_DAY,
            penalty=PenaltyModel(late_weight=r.late_weight, early_weight=r.early_weight, hard_windows=r.hard_windows),
            source=f"wave {self.next_wave} (depot {depot}, t={now:g} min)",
        )

    def wave(self, depot: int) -> None:
        """Plan one wave for one depot and send its vehicles out."""
        ctx, r = self.ctx, self.ctx.scenario.routing
        orders = self.select(depot)
        if not orders:
            return
        t0 = time.perf_counter()  # the wave's time limit covers building its instance too
        counts = self.fleet.idle_counts(depot)
        types = [k for k, c in enumerate(counts) if c > 0]
        stops_of = self.stops(depot, orders, types)
        inst = self.instance(depot, stops_of, types)
        wave_id = self.next_wave
        self.next_wave += 1
        seed = ctx.streams.seed_for("routing", wave_id)
        searches = ALGORITHMS[r.policy].searches
        if not searches:
            front = solve(inst, algorithm=r.policy, seed=seed)
        else:
            left = max(r.time_limit - (time.perf_counter() - t0), MIN_SOLVE_SECONDS) if r.time_limit else None
            front = solve(
                inst,
                algorithm=r.policy,
                seed=seed,
                time_limit=left,
                iterations=r.iterations,
                population=r.population,
                ls_passes=r.ls_passes,
                intensify=IntensifyParams(children=r.engine_children) if r.engine_children > 0 else None,
                weights=Weights(cost=r.w1, emissions=r.w2),
                choose=r.choose,
            )
        seconds = time.perf_counter() - t0
        ctx.counters.routing_seconds += seconds
        ctx.counters.waves += 1
        # MOGWO's step schedule follows elapsed time whenever a time limit is set and time
        # runs ahead of iterations; flag every wave where it may have (with a factor 2 margin
        # for uneven iterations), not just those cut short, so no machine-dependent plan passes
        # as reproducible; a wave that fell back to the start plan (kernels still compiling,
        # or no room for the search) is flagged too
        capped = (
            searches
            and r.time_limit > 0
            and (
                front.fallback is not None
                or front.iterations < r.iterations
                or seconds / r.time_limit > 0.5 * front.iterations / r.iterations
            )
        )
        ctx.counters.waves_time_capped += int(capped)
        best = front.best.evaluation
        ctx.record(
            Event(
                t=ctx.now,
                type=EventType.WAVE_PLANNED,
                wave_id=wave_id,
                quantity=float(len(orders)),
                # floats even for a plan with no route (a shift too short for any order: sum of nothing is int 0)
                km=float(best.distance_km),
                kg_co2e=float(best.emissions_kg),
                cost=float(best.cost),
                data={
                    "depot": depot,
                    "algorithm": front.algorithm,
                    "seed": seed,
                    "iterations": front.iterations,
                    "time_capped": capped,
                    "fallback": front.fallback,
                    "relaxed_windows": self._relaxed,
                    "chosen": front.chosen,
                    "vehicles": best.vehicles,
                    "penalty": best.penalty,
                    "front": [[s.evaluation.cost, s.evaluation.emissions_kg, s.evaluation.penalty] for s in front.solutions],
                    "site": [float(v) for v in self.world.depots[depot]],
                },
            )
        )
        dispatched: set[int] = set()
        for rr in best.routes:
            k_local = self._vehicle_for(depot, types, rr.route.vehicle_type, rr.load * KG_PER_CAPACITY_UNIT, rr.volume)
            if k_local is None:
                continue  # no idle vehicle can take the route: its orders wait for the next wave
            k = types[k_local]
            stops, load, m3 = [], 0.0, 0.0
            full = False
            for node in rr.route.customers:
                for o in stops_of[node - 1]:
                    if not self.fleet.fits(k, load + o.weight_kg, m3 + o.parcel_m3):
                        full = True
                        break
                    stops.append((int(node), o))
                    load += o.weight_kg
                    m3 += o.parcel_m3
                if full:
                    break
            stops = self._within_shift(inst, k_local, stops)
            if not stops:
                continue
            plan = RoutePlan(
                route_id=self.next_route,
                wave_id=wave_id,
                depot=depot,
                vehicle_id=self.fleet.take(depot, k),
                vehicle_type=k_local,
                instance=inst,
                start=ctx.now,
                stops=tuple(stops),
            )
            self.next_route += 1
            for _, o in stops:
                o.status = OrderStatus.ON_ROUTE
                dispatched.add(o.id)
            ctx.counters.routes += 1
            ctx.counters.on_road += 1
            if self.labeller is not None:
                self.labeller.route_departed(plan.start, [o for _, o in stops])
            ctx.env.process(drive(ctx, plan, self.travel_rng, self._returned))
        for o in orders:
            if o.id not in dispatched:
                o.unplanned += 1
        self.pending[depot] = [o for o in self.pending[depot] if o.id not in dispatched]

    def _within_shift(self, inst: RoutingInstance, k_local: int, stops: list[tuple[int, Order]]) -> list[tuple[int, Order]]:
        """The stops cut from the end until the planned route is back by the depot's closing
        time (only with a shift limit; a feasible plan with hard windows is never cut) and,
        for a type with a battery, within it (kernels.route_kwh's worst case)."""
        vt = inst.vehicle_types[k_local]
        if math.isinf(self.fleet.shift_minutes) and math.isinf(vt.battery_kwh):
            return stops
        close = float(inst.due[0]) if not math.isinf(self.fleet.shift_minutes) else math.inf
        while stops:
            # a site's parcels are one node: evaluated whole (a trimmed site stop counts as full)
            rr = evaluate(inst, [Route(k_local, tuple(dict.fromkeys(node for node, _ in stops)))]).routes[0]
            # weight and volume were trimmed already: what overload is left is the battery's
            if rr.duration <= close + 1e-9 and rr.overload <= 1e-9:
                break
            last = stops[-1][0]
            while stops and stops[-1][0] == last:  # the last stop goes whole
                stops = stops[:-1]
        return stops

    def _vehicle_for(self, depot: int, types: list[int], planned: int, load_kg: float, m3: float = 0.0) -> int | None:
        """The instance's vehicle type that drives a planned route: the planned one while one
        is idle; else (the plan used more vehicles of a type than are idle, which a plan may
        do when no feasible plan exists) the smallest idle type that carries the load (weight and m³), or
        the largest idle one (the route is then trimmed to fit). The drive is charged at the
        type really used. None when no vehicle is idle."""
        if self.fleet.available(depot, types[planned]):
            return planned
        idle = [kl for kl, k in enumerate(types) if self.fleet.available(depot, k)]
        if not idle:
            return None
        fits = [kl for kl in idle if self.fleet.fits(types[kl], load_kg, m3)]
        pool = fits or idle
        pick = min if fits else max
        return pick(pool, key=lambda kl: (self.fleet.capacity_kg(types[kl]), kl))

    def _returned(self, plan: RoutePlan, carried_back: list[Order], shares: dict[int, float], trace: RouteTrace) -> None:
        """A vehicle is back: its emissions go to the labeller, it is idle again, and parcels
        nobody was home for try again the next day."""
        self.ctx.counters.on_road -= 1
        self.fleet.release(plan.vehicle_id, plan.start, self.ctx.now - plan.start, plan.kwh)
        if self.labeller is not None:
            vehicle = plan.instance.vehicle_types[plan.vehicle_type]
            self.labeller.route_returned(trace, [o for _, o in plan.stops], shares, vehicle)
        next_day = (self.ctx.now // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY
        pickup = self.ctx.pickup
        for o in carried_back:
            if o.status is OrderStatus.FAILED:
                continue
            # the same slot of the day, on the day after the failed attempt
            width = o.due - o.ready
            o.ready = next_day + o.ready % MINUTES_PER_DAY
            o.due = o.ready + width
            if pickup is not None and o.site is None and (site := pickup.take(o.customer)) is not None:
                # the fallback: the next try is the customer's pickup site, which is always open to take it
                o.site, o.fallback = site, True
                o.x, o.y = pickup.sites.place(site)
                o.ready, o.due = site_window(self.ctx.scenario.pickup, o.ready, o.due)
            self.add(o)
