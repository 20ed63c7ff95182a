"""A dispatch wave keeps routing.time_limit (issue 16): building its instance counts, and a
wave the limit leaves no room to search gets the start plan, flagged as time-capped."""

from __future__ import annotations

import numpy as np

from sim.log.events import EventType
from sim.world.dispatch import Dispatcher
from sim.world.fleet import FleetPool
from sim.world.geography import build_world
from sim.world.orders import DeliveryOption, Order, OrderStatus


def _order(i, x, y):
    return Order(
        id=i,
        customer=0,
        depot=0,
        x=x,
        y=y,
        placed=0.0,
        lines=((0, 1),),
        option=DeliveryOption.STANDARD,
        ready=30.0,
        due=300.0,
        items=1,
        weight_kg=5.0,
        volume_l=1.0,
        absent=(False,),
        travel_z=(0.0,),
    )


def _wave(tiny, make_context, limit):
    s = tiny("routing.policy=mogwo", f"routing.time_limit={limit}", "routing.population=6", "routing.iterations=2")
    ctx, events = make_context(s)
    d = Dispatcher(ctx, build_world(s, np.random.default_rng(0)), FleetPool(s, 1))
    rng = np.random.default_rng(1)
    orders = [_order(i, *rng.uniform(-8, 8, 2)) for i in range(1, 41)]
    for o in orders:
        d.add(o)
    d.wave(0)
    planned = [e for e in events if e.type is EventType.WAVE_PLANNED]
    assert len(planned) == 1
    return planned[0], orders


def test_a_wave_with_no_room_to_search_dispatches_the_start_plan(tiny, make_context):
    """A 1 ms limit: the wave still plans and sends every order out, and its event says the
    start plan was used and that the plan depends on machine speed."""
    ev, orders = _wave(tiny, make_context, 0.001)
    assert ev.data["fallback"] and "time limit" in ev.data["fallback"]
    assert ev.data["time_capped"] is True and ev.data["iterations"] == 0
    assert all(o.status is OrderStatus.ON_ROUTE for o in orders)


def test_a_wave_without_a_limit_searches(tiny, make_context):
    """routing.time_limit = 0 (no cap): the iteration budget runs, nothing falls back."""
    ev, _ = _wave(tiny, make_context, 0)
    assert ev.data["fallback"] is None and ev.data["iterations"] == 2 and ev.data["time_capped"] is False
