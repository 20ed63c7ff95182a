"""The dispatcher's choices: which orders a wave takes and which vehicle drives a route."""

from __future__ import annotations

import numpy as np

from sim.world.dispatch import Dispatcher
from sim.world.fleet import FleetPool
from sim.world.geography import build_world
from sim.world.orders import DeliveryOption, Order

FLEET = (
    'fleet.vehicles=[{name = "light", capacity_kg = 100.0, count = 1}, '
    '{name = "medium", capacity_kg = 500.0, count = 1}, {name = "heavy", capacity_kg = 2000.0, count = 1}]'
)


def _dispatcher(tiny, make_context, *extra):
    s = tiny(FLEET, *extra)
    ctx, events = make_context(s)
    world = build_world(s, np.random.default_rng(0))
    return Dispatcher(ctx, world, FleetPool(s, 1)), ctx, events


def _order(i, ready, due, kg):
    return Order(
        id=i,
        customer=0,
        depot=0,
        x=5.0,
        y=0.0,
        placed=0.0,
        lines=((0, 1),),
        option=DeliveryOption.STANDARD,
        ready=ready,
        due=due,
        items=1,
        weight_kg=kg,
        volume_l=1.0,
        absent=(False,),
        travel_z=(0.0,),
    )


def test_excess_routes_go_to_the_smallest_idle_vehicle_that_fits(tiny, make_context):
    """A plan with two light-truck routes and one light truck idle: the second route goes to
    the medium truck (smallest that carries it), a 700 kg route to the heavy one, and with
    nothing idle the route waits."""
    d, _, _ = _dispatcher(tiny, make_context)
    types = [0, 1, 2]
    assert d._vehicle_for(0, types, 0, 80.0) == 0
    d.fleet.take(0, 0)
    assert d._vehicle_for(0, types, 0, 80.0) == 1
    assert d._vehicle_for(0, types, 0, 700.0) == 2
    d.fleet.take(0, 1)
    d.fleet.take(0, 2)
    assert d._vehicle_for(0, types, 0, 80.0) is None


def test_a_wave_takes_urgent_orders_first_within_the_lookahead(tiny, make_context):
    """At t = 0 with a 120 min lookahead: orders opening later wait; the others are taken
    most urgent first, up to max_orders_per_wave; one heavier than the whole fleet's largest
    vehicle never queues (it ends delivery_failed, too_heavy)."""
    d, _, events = _dispatcher(tiny, make_context, "routing.max_orders_per_wave=2")
    orders = [
        _order(1, 60, 300, 5.0),
        _order(2, 30, 200, 5.0),
        _order(3, 500, 700, 5.0),
        _order(4, 0, 100, 2500.0),
        _order(5, 0, 250, 5.0),
    ]
    for o in orders:
        d.add(o)
    assert [o.id for o in d.select(0)] == [2, 5]
    assert [(e.order_id, e.data["reason"]) for e in events] == [(4, "too_heavy")]
    d2, _, _ = _dispatcher(tiny, make_context)
    for o in orders:
        d2.add(o)
    assert [o.id for o in d2.select(0)] == [2, 5, 1]


def test_late_orders_of_a_soft_window_wave_share_rounds(tiny, make_context):
    """Soft windows, a backlog of 40 orders whose windows closed before the wave: their windows
    open to the depot's closing, so the plan carries them on as few rounds as capacity allows
    rather than one vehicle each (Solomon's nearest neighbour opens a route for every customer
    it cannot reach on time, which once used up a station's fleet on rounds of one stop)."""
    d, ctx, _ = _dispatcher(tiny, make_context, "routing.hard_windows=false", "routing.policy='greedy'")
    late = [_order(i, 0.0, 1.0, 1.0) for i in range(1, 41)]
    ctx.env.run(until=600.0)  # every window closed hours ago
    for o in late:
        d.add(o)
    orders = d.select(0)
    inst = d.instance(0, d.stops(0, orders, [0, 1, 2]), [0, 1, 2])
    assert d._relaxed == len(orders) == 40
    assert (inst.due[1:] > 60.0).all()
    d.wave(0)
    assert d.waiting() == 0
    assert ctx.counters.routes == 1  # 40 kg fits the light truck
