"""The warehouse: stock per product, (s, S) replenishment over road or rail trunk legs,
backorders, picking and packing.

Stock is reserved line by line when an order arrives; a line that cannot be served from
stock on hand joins its product's backorder queue (first come, first served) and is
served when a replenishment arrives, never dropped. Replenishment is continuous review on
the inventory position (on hand + on order - backordered, DOMAIN.md section 5): when it
falls to ``s`` (reorder_point days of forecast demand) an order brings it up to ``S``
(order_up_to days). The forecast is simple exponential smoothing of each product's daily
demand, started at the expected rate. A trunk leg longer than ``rail_over_km`` goes by rail
when ``road_to_rail`` is on (longer lead time, lower intensity); its kg CO2e is mass x
distance x intensity (GLEC default-intensity route).

Stock events carry ``stock_level`` (on hand after the event) so ``carbonsim check`` can
replay the balance from the log: opening stock is a ``replenishment_received`` with
``data.initial``.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import numpy as np
import simpy

from sim.log.events import Event, EventType
from sim.world.catalog import Catalog
from sim.world.context import MINUTES_PER_DAY, Context
from sim.world.demand import renew_promise
from sim.world.orders import Order, OrderStatus
from sim.world.packing import choose_box


class Warehouse:
    """Stock per product and the warehouse's processes: reserves each new order's lines or
    backorders them (:meth:`receive`), reviews each product's stock position and orders
    replenishment from its supplier by road or rail (:meth:`review`), receives it after the lead
    time and serves the backlog, then picks and packs each fully reserved order (its box and
    packaging kg CO2e) and hands it to ``on_packed``, the dispatcher."""

    def __init__(
        self,
        ctx: Context,
        catalog: Catalog,
        on_packed: Callable[[Order], None],
        demand_share: np.ndarray | None = None,
    ) -> None:
        """``demand_share``: each product's expected share of units sold, which sizes the
        opening stock and starts the forecast (the catalog's popularity by default)."""
        self.ctx = ctx
        self.catalog = catalog
        self.on_packed = on_packed
        sc = ctx.scenario
        self.cfg = w = sc.warehouse
        rng = ctx.streams.get("warehouse")
        n = len(catalog)
        share = catalog.popularity if demand_share is None else demand_share
        self.forecast = sc.demand.orders_per_day * sc.demand.items_per_order * share
        self.stock = np.maximum(1, np.ceil(w.order_up_to * self.forecast)).astype(np.int64)
        self.on_order = np.zeros(n, dtype=np.int64)
        self.backlog: list[deque[tuple[Order, int]]] = [deque() for _ in range(n)]
        self.backlog_qty = np.zeros(n, dtype=np.int64)
        self.demand_today = np.zeros(n)
        self.supplier = rng.integers(len(w.supplier_km), size=n)
        self.pickers = simpy.Resource(ctx.env, capacity=w.pickers)
        self.stockouts = 0
        # which products may travel in a mailer (every line of a mailer order must)
        soft = [i for i, name in enumerate(catalog.categories) if name in sc.packing.mailer_categories]
        self.mailer_ok = np.isin(catalog.category, soft)

    # -- stock ------------------------------------------------------------------------------

    def open(self) -> None:
        """Record the opening stock (t = 0) as receipts, so the log alone balances."""
        rec = self.ctx.record
        for p in range(len(self.catalog)):
            q = float(self.stock[p])
            rec(
                Event(
                    t=0.0,
                    type=EventType.REPLENISHMENT_RECEIVED,
                    product_id=p,
                    quantity=q,
                    stock_level=q,
                    km=0.0,
                    kg_co2e=0.0,
                    data={"initial": True},
                )
            )

    def receive(self, order: Order) -> None:
        """Reserve stock for each line of a new order, backordering what is short."""
        ctx = self.ctx
        t = ctx.now
        for p, q in order.lines:
            self.demand_today[p] += q
            if not self.backlog[p] and self.stock[p] >= q:
                self.stock[p] -= q
                ctx.record(
                    Event(
                        t=t,
                        type=EventType.STOCK_RESERVED,
                        order_id=order.id,
                        product_id=p,
                        quantity=float(q),
                        stock_level=float(self.stock[p]),
                    )
                )
            else:
                self.backlog[p].append((order, q))
                self.backlog_qty[p] += q
                order.unreserved += 1
                self.stockouts += 1
                ctx.record(
                    Event(
                        t=t,
                        type=EventType.BACKORDERED,
                        order_id=order.id,
                        product_id=p,
                        quantity=float(q),
                        stock_level=float(self.stock[p]),
                    )
                )
            self.review(p)
        if order.unreserved == 0:
            self._start_picking(order)

    def in_stock(self) -> np.ndarray:
        """Which products have units on hand now (bool per product)."""
        return self.stock > 0

    def position(self, p: int) -> int:
        """Inventory position of product p: on hand + on order - backordered."""
        return int(self.stock[p] + self.on_order[p] - self.backlog_qty[p])

    def review(self, p: int) -> None:
        """Reorder product p up to S when its inventory position is at or below s."""
        w = self.cfg
        f = self.forecast[p]
        ip = self.position(p)
        if ip > w.reorder_point * f:
            return
        q = max(1, math.ceil(w.order_up_to * f - ip))
        self.on_order[p] += q
        km = float(w.supplier_km[self.supplier[p]])
        rail = w.road_to_rail and km > w.rail_over_km
        lead = w.lead_time_days + (w.rail_extra_days if rail else 0.0)
        self.ctx.record(
            Event(
                t=self.ctx.now,
                type=EventType.REPLENISHMENT_ORDERED,
                product_id=p,
                quantity=float(q),
                km=km,
                stock_level=float(self.stock[p]),
                data={"mode": "rail" if rail else "road", "supplier": int(self.supplier[p]), "lead_days": lead, "position": ip},
            )
        )
        self.ctx.env.process(self._replenish(p, q, km, rail, lead))

    def _replenish(self, p: int, q: int, km: float, rail: bool, lead_days: float):
        ctx, w = self.ctx, self.cfg
        yield ctx.env.timeout(lead_days * MINUTES_PER_DAY)
        self.stock[p] += q
        self.on_order[p] -= q
        mass_kg = q * float(self.catalog.unit_kg[p])
        kg = mass_kg / 1000.0 * km * (w.rail_kg_per_tkm if rail else w.road_kg_per_tkm)
        ctx.record(
            Event(
                t=ctx.now,
                type=EventType.REPLENISHMENT_RECEIVED,
                product_id=p,
                quantity=float(q),
                stock_level=float(self.stock[p]),
                km=km,
                kg_co2e=kg,
                load=mass_kg,
                data={"mode": "rail" if rail else "road"},
            )
        )
        queue = self.backlog[p]
        while queue and self.stock[p] >= queue[0][1]:
            order, qty = queue.popleft()
            self.stock[p] -= qty
            self.backlog_qty[p] -= qty
            order.unreserved -= 1
            ctx.record(
                Event(
                    t=ctx.now,
                    type=EventType.STOCK_RESERVED,
                    order_id=order.id,
                    product_id=p,
                    quantity=float(qty),
                    stock_level=float(self.stock[p]),
                    data={"backorder": True},
                )
            )
            if order.unreserved == 0:
                if ctx.scenario.demand.repromise_backorders:
                    renew_promise(ctx, order, "backorder")
                self._start_picking(order)
        self.review(p)

    def forecasting(self):
        """The SimPy process: at each midnight, smooth the day's demand into the forecast."""
        alpha = self.cfg.alpha
        while True:
            yield self.ctx.env.timeout(MINUTES_PER_DAY)
            self.forecast = alpha * self.demand_today + (1.0 - alpha) * self.forecast
            self.demand_today[:] = 0.0

    # -- picking and packing ------------------------------------------------------------------

    def _start_picking(self, order: Order) -> None:
        order.status = OrderStatus.PICKING
        self.ctx.env.process(self._pick_and_pack(order))

    def _pick_and_pack(self, order: Order):
        ctx = self.ctx
        with self.pickers.request() as slot:
            yield slot
            yield ctx.env.timeout(self.cfg.pick_minutes_per_item * order.items)
        ctx.record(Event(t=ctx.now, type=EventType.PICKED, order_id=order.id, quantity=float(order.items)))
        packing = ctx.scenario.packing
        soft = all(self.mailer_ok[p] for p, _ in order.lines)
        # its own stream: the draw moves no other subsystem's numbers, and none is made at share 0
        reusable = packing.reusable_share > 0 and ctx.streams.get("packing").random() < packing.reusable_share
        choice = choose_box(packing, order.volume_l, soft=soft, reusable=reusable)
        order.box, order.boxes, order.packaging_kg_co2e = choice.box, choice.count, choice.kg_co2e
        order.parcel_l = choice.volume_l
        order.weight_kg += choice.weight_kg
        ctx.record(
            Event(
                t=ctx.now,
                type=EventType.PACKED,
                order_id=order.id,
                kg_co2e=choice.kg_co2e,
                load=order.weight_kg,
                quantity=float(choice.count),
                data={"box": choice.box},
            )
        )
        order.status = OrderStatus.READY
        self.on_packed(order)
