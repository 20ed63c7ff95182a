"""Exogenous demand: the NHPP's rates, peaks, windows and common random numbers."""

from __future__ import annotations

import numpy as np
import pytest

from sim.log.events import EventType
from sim.world.catalog import build_catalog
from sim.world.demand import Demand, day_multiplier, delivery_window, hourly_rates
from sim.world.geography import build_world
from sim.world.orders import DeliveryOption


def _orders(scenario, make_context, days, seed=0):
    ctx, events = make_context(scenario, seed)
    world = build_world(scenario, ctx.streams.get("world"))
    catalog = build_catalog(scenario, ctx.streams.get("catalog"))
    got = []
    demand = Demand(ctx, world, catalog, got.append)
    ctx.env.process(demand.process(days))
    ctx.env.run()
    return got, events


def test_hourly_counts_follow_the_profile(tiny, make_context):
    """Over 60 days at 240 orders/day, the orders per hour of day match the profile's rates
    within 4 standard errors (Poisson), and the daily total within 2%."""
    s = tiny("demand.orders_per_day=240")
    orders, _ = _orders(s, make_context, 60)
    hours = np.bincount([int(o.placed % 1440 // 60) for o in orders], minlength=24)
    expected = hourly_rates(s, 0) * 60
    assert np.all(np.abs(hours - expected) <= 4 * np.sqrt(expected) + 1)
    assert len(orders) == pytest.approx(240 * 60, rel=0.02)
    assert hours[21] > 5 * hours[3]  # the evening peak is in the shape


def test_peaks_multiply_the_day(tiny, make_context):
    """A 3x peak on day 1 (and an overlapping 2x) gives about 6x the orders of day 0."""
    s = tiny(
        "demand.orders_per_day=200",
        'demand.peaks=[{name = "618", start_day = 1, days = 1, multiplier = 3.0}, '
        '{name = "extra", start_day = 1, days = 2, multiplier = 2.0}]',
    )
    assert [day_multiplier(s, d) for d in range(4)] == [1.0, 6.0, 2.0, 1.0]
    orders, _ = _orders(s, make_context, 3)
    per_day = np.bincount([int(o.placed // 1440) for o in orders], minlength=3)
    assert per_day[1] / per_day[0] == pytest.approx(6.0, rel=0.2)
    assert per_day[2] / per_day[0] == pytest.approx(2.0, rel=0.2)


def test_windows_by_option(tiny):
    """Expedited: 2 h after the order at the next full hour, or tomorrow 08:00 when it would
    end after 21:00; standard: tomorrow, 4 h inside 08-21; green slot: tomorrow's shared slot."""
    s = tiny()
    day = 1440.0
    assert delivery_window(s, DeliveryOption.EXPEDITED, 9 * 60 + 10, 0.5) == (12 * 60, 14 * 60)
    assert delivery_window(s, DeliveryOption.EXPEDITED, 2 * 60, 0.5) == (8 * 60, 10 * 60)
    assert delivery_window(s, DeliveryOption.EXPEDITED, 18 * 60 + 30, 0.5) == (day + 8 * 60, day + 10 * 60)
    for u in (0.0, 0.3, 0.999):
        a, b = delivery_window(s, DeliveryOption.STANDARD, 15 * 60, u)
        assert day + 8 * 60 <= a and b <= day + 21 * 60 and b - a == 240 and a % 60 == 0
    assert delivery_window(s, DeliveryOption.STANDARD, 15 * 60, 0.0)[0] == day + 8 * 60
    assert delivery_window(s, DeliveryOption.STANDARD, 15 * 60, 0.999)[1] == day + 21 * 60
    g1 = delivery_window(s, DeliveryOption.GREEN_SLOT, 60, 0.1)
    g2 = delivery_window(s, DeliveryOption.GREEN_SLOT, 1000, 0.9)
    assert g1 == g2 == (day + 10.5 * 60, day + 18.5 * 60)


def test_order_placed_events_describe_the_order(tiny, make_context):
    """Each order is one order_placed event with its items, weight, option and window."""
    orders, events = _orders(tiny(), make_context, 1)
    placed = [e for e in events if e.type is EventType.ORDER_PLACED]
    assert len(placed) == len(orders) > 30
    for o, e in zip(orders, placed):
        assert (e.order_id, e.consumer_id, e.t) == (o.id, o.customer, o.placed)
        assert e.quantity == o.items == sum(q for _, q in o.lines)
        assert e.data["window"] == [o.ready, o.due] and e.data["option"] == o.option.value
        assert o.placed < o.ready < o.due


def test_delivery_shares_do_not_move_the_orders(tiny, make_context):
    """Common random numbers: a scenario with other delivery shares sees the same arrival
    times, customers and baskets; only the options (and so the windows) differ."""
    a, _ = _orders(tiny(), make_context, 1, seed=5)
    b, _ = _orders(tiny("demand.delivery_shares={standard = 0.5, expedited = 0.2, green_slot = 0.3}"), make_context, 1, seed=5)
    assert [(o.placed, o.customer, o.lines) for o in a] == [(o.placed, o.customer, o.lines) for o in b]
    assert any(o.option is DeliveryOption.GREEN_SLOT for o in b)
    assert not any(o.option is DeliveryOption.GREEN_SLOT for o in a)
