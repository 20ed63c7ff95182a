"""The warehouse, traced event by event: reservations, an (s, S) replenishment cycle,
a backorder served by the receipt, picking by a limited crew and packing."""

from __future__ import annotations

import pytest

from sim.log.events import EventType
from sim.world.catalog import build_catalog
from sim.world.orders import DeliveryOption, Order, OrderStatus
from sim.world.warehouse import Warehouse

ONE_PRODUCT = [
    'catalog.categories=["books"]',
    "catalog.products=1",
    "catalog.green_share=0",
    "demand.orders_per_day=10",
    "demand.items_per_order=1",
    "warehouse.reorder_point=1",
    "warehouse.order_up_to=3",
    "warehouse.lead_time_days=2",
    "warehouse.pickers=1",
    "warehouse.pick_minutes_per_item=1",
    "warehouse.supplier_km=[1200.0]",
]


def order(i: int, qty: int = 1) -> Order:
    return Order(
        id=i,
        customer=0,
        depot=0,
        x=1.0,
        y=1.0,
        placed=0.0,
        lines=((0, qty),),
        option=DeliveryOption.STANDARD,
        ready=600.0,
        due=840.0,
        items=qty,
        weight_kg=0.5 * qty,
        volume_l=1.0 * qty,
        absent=(False,),
        travel_z=(0.0,),
    )


def _warehouse(tiny, make_context, *extra):
    s = tiny(*ONE_PRODUCT, *extra)
    ctx, events = make_context(s)
    catalog = build_catalog(s, ctx.streams.get("catalog"))
    packed = []
    return Warehouse(ctx, catalog, packed.append), ctx, events, packed


def test_replenishment_cycle(tiny, make_context):
    """Forecast 10/day: S = 30 (opening stock), s = 10. The 20th unit brings the position to
    s and orders 20; a 15-unit order then waits as a backorder; the receipt two days later
    fills it first, and the log's stock levels follow every step."""
    wh, ctx, events, packed = _warehouse(tiny, make_context)
    wh.open()
    assert wh.stock[0] == 30
    orders = [order(i) for i in range(1, 22)]
    for o in orders:
        wh.receive(o)
    big = order(99, 15)
    wh.receive(big)
    kinds = [(e.type, e.stock_level) for e in events]
    assert kinds[0] == (EventType.REPLENISHMENT_RECEIVED, 30.0)
    assert kinds[1:21] == [(EventType.STOCK_RESERVED, float(30 - i)) for i in range(1, 21)]
    assert kinds[21] == (EventType.REPLENISHMENT_ORDERED, 10.0) and events[21].quantity == 20.0
    assert kinds[22] == (EventType.STOCK_RESERVED, 9.0)
    assert kinds[23] == (EventType.BACKORDERED, 9.0) and events[23].order_id == 99
    assert wh.position(0) == 9 + 20 - 15
    ctx.env.run(until=2 * 1440 + 1)
    receipt = next(e for e in events if e.type is EventType.REPLENISHMENT_RECEIVED and e.t > 0)
    assert receipt.t == 2 * 1440 and receipt.stock_level == 29.0 and receipt.quantity == 20.0
    # road, 1200 km, 20 units of the product's weight at 0.08 kg/tkm
    assert receipt.kg_co2e == pytest.approx(20 * wh.catalog.unit_kg[0] / 1000 * 1200 * 0.08)
    filled = events[events.index(receipt) + 1]
    assert (filled.type, filled.order_id, filled.stock_level, filled.data) == (
        EventType.STOCK_RESERVED,
        99,
        14.0,
        {"backorder": True},
    )
    assert big.status is OrderStatus.PICKING  # 15 items take the picker 15 minutes
    ctx.env.run(until=2 * 1440 + 16)
    assert big.status is OrderStatus.READY and len(packed) == 22


def test_picking_queues_for_the_crew_and_packing_adds_the_box(tiny, make_context):
    """One picker at 1 min per item: three one-item orders are picked at t = 1, 2, 3; each is
    then packed in the fixed L box, whose weight joins the parcel's."""
    wh, ctx, events, packed = _warehouse(tiny, make_context)
    for i in (1, 2, 3):
        wh.receive(order(i))
    ctx.env.run(until=10)
    assert [e.t for e in events if e.type is EventType.PICKED] == [1.0, 2.0, 3.0]
    pk = [e for e in events if e.type is EventType.PACKED]
    assert [e.data["box"] for e in pk] == ["L"] * 3 and [e.kg_co2e for e in pk] == [pytest.approx(0.65 * 0.491)] * 3
    assert [o.weight_kg for o in packed] == [pytest.approx(0.5 + 0.65)] * 3


def test_rail_for_long_legs_when_allowed(tiny, make_context):
    """With road-to-rail on, the 1200 km leg goes by rail: a day longer and at the rail intensity."""
    wh, ctx, events, _ = _warehouse(tiny, make_context, "warehouse.road_to_rail=true")
    for i in range(1, 21):
        wh.receive(order(i))
    ordered = next(e for e in events if e.type is EventType.REPLENISHMENT_ORDERED)
    assert ordered.data["mode"] == "rail" and ordered.data["lead_days"] == 3.0
    ctx.env.run(until=3 * 1440 + 1)
    receipt = [e for e in events if e.type is EventType.REPLENISHMENT_RECEIVED][-1]
    assert receipt.t == 3 * 1440
    assert receipt.kg_co2e == pytest.approx(20 * wh.catalog.unit_kg[0] / 1000 * 1200 * 0.022)


def test_forecast_smooths_daily_demand(tiny, make_context):
    """After a day with 20 units sold against a forecast of 10, alpha 0.3 gives 13."""
    wh, ctx, events, _ = _warehouse(tiny, make_context)
    ctx.env.process(wh.forecasting())
    for i in range(1, 21):
        wh.receive(order(i))
    ctx.env.run(until=1440 + 1)
    assert wh.forecast[0] == pytest.approx(0.3 * 20 + 0.7 * 10)
