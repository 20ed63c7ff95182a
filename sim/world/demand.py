"""Exogenous demand: orders arrive as a non-homogeneous Poisson process.

The rate is piecewise constant by the hour: ``orders_per_day`` x the hour's share of
``daily_profile`` x the product of the multipliers of the promotion peaks covering the day.
Within an hour the count is Poisson and the arrival times uniform, which is the exact NHPP
for a piecewise-constant rate (no thinning needed). Everything here draws from the ``demand``
stream only, so a routing or packing policy never changes which orders arrive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from sim.log.events import Event, EventType
from sim.world.catalog import Catalog
from sim.world.context import MINUTES_PER_DAY, Context
from sim.world.geography import ZONE_NAMES, World
from sim.world.orders import OPTIONS, DeliveryOption, Order
from sim.world.pickup import site_window


def day_multiplier(scenario, day: int) -> float:
    """Product of the multipliers of the peaks that cover ``day`` (1 on an ordinary day)."""
    m = 1.0
    for p in scenario.demand.peaks:
        if p.start_day <= day < p.start_day + p.days:
            m *= p.multiplier
    return m


def hourly_rates(scenario, day: int) -> np.ndarray:
    """Expected orders in each hour of ``day``."""
    d = scenario.demand
    profile = np.asarray(d.daily_profile, dtype=float)
    return d.orders_per_day * day_multiplier(scenario, day) * profile / profile.sum()


def arrival_times(scenario, days: int, rng: np.random.Generator, scale: float = 1.0) -> Iterator[float]:
    """Arrival times over ``days`` days of the NHPP whose hourly rates are ``scale`` x
    :func:`hourly_rates`: a Poisson count per hour, uniform times within it, in order."""
    for day in range(days):
        rates = hourly_rates(scenario, day) * scale
        for hour in range(24):
            n = int(rng.poisson(rates[hour]))
            if not n:
                continue
            t0 = day * MINUTES_PER_DAY + hour * 60.0
            for t in np.sort(t0 + 60.0 * rng.random(n)):
                yield float(t)


def delivery_window(scenario, option: DeliveryOption, placed: float, u: float) -> tuple[float, float]:
    """The window [ready, due] (minutes since start) an order placed at ``placed`` gets.

    Expedited: opens ``expedited_lead_hours`` later at the next full hour, the same day if
    the window still fits the delivery day, else at the next day's start. Standard: the next
    day, in a slot starting on a whole hour chosen by the uniform ``u`` among those that fit. Green slot:
    the next day's consolidated slot, the same for every order (centred in the delivery day).
    """
    d = scenario.demand
    width = getattr(d.window_hours, option.value) * 60.0
    start, end = d.delivery_start_hour * 60.0, d.delivery_end_hour * 60.0
    day = math.floor(placed / MINUTES_PER_DAY)
    if option is DeliveryOption.EXPEDITED:
        opens = math.ceil((placed + d.expedited_lead_hours * 60.0) / 60.0) * 60.0
        day = math.floor(opens / MINUTES_PER_DAY)
        minute = opens - day * MINUTES_PER_DAY
        if minute < start:
            opens = day * MINUTES_PER_DAY + start
        elif minute + width > end:
            opens = (day + 1) * MINUTES_PER_DAY + start
        return opens, opens + width
    base = (day + 1) * MINUTES_PER_DAY
    if option is DeliveryOption.STANDARD and d.promise == "day_definite":
        return day_definite_window(d, placed)
    if option is DeliveryOption.GREEN_SLOT:
        opens = base + start + (end - start - width) / 2.0
        return opens, opens + width
    slots = int((end - width - start) // 60.0) + 1
    opens = base + start + 60.0 * min(slots - 1, int(u * slots))
    return opens, opens + width


def renew_promise(ctx: Context, order: Order, reason: str) -> None:
    """Promise ``order`` a new window as if it were placed now (its stock arrived late, say),
    when the old promise can no longer be kept: it is what a shop tells the customer, and
    on-time is measured against it from then on. Logs ``promise_renewed``."""
    ready, due = delivery_window(ctx.scenario, order.option, ctx.now, 0.0)
    if order.site is not None:
        ready, due = site_window(ctx.scenario.pickup, ready, due)
    if due <= order.promised_due:
        return  # the first promise still holds
    previous = order.promised_due
    order.ready, order.due, order.promised_due = ready, due, due
    ctx.record(
        Event(
            t=ctx.now,
            type=EventType.PROMISE_RENEWED,
            order_id=order.id,
            lateness=due - previous,
            data={"window": [ready, due], "previous_due": previous, "reason": reason},
        )
    )


def day_definite_window(d, placed: float) -> tuple[float, float]:
    """A day-definite promise (JD 211 style): placed before ``cutoff_hour``, delivered that day
    by ``delivery_end_hour``; later, the next day by ``next_day_due_hour``. The window opens at
    the delivery day's start, or at once for an order placed during it (the first wave that
    can load it takes it)."""
    day = math.floor(placed / MINUTES_PER_DAY)
    minute = placed - day * MINUTES_PER_DAY
    start = d.delivery_start_hour * 60.0
    if minute < d.cutoff_hour * 60.0:
        base = day * MINUTES_PER_DAY
        return base + max(start, minute), base + d.delivery_end_hour * 60.0
    base = (day + 1) * MINUTES_PER_DAY
    return base + start, base + max(d.next_day_due_hour * 60.0, start)


class Demand:
    """Draws orders and hands each to ``on_order`` at its arrival time."""

    def __init__(self, ctx: Context, world: World, catalog: Catalog, on_order: Callable[[Order], None]) -> None:
        self.ctx = ctx
        self.world = world
        self.catalog = catalog
        self.on_order = on_order
        # arrivals and order contents draw from separate streams, and every order draws the
        # same number of values whatever its option: a policy that changes delivery shares
        # keeps the same arrival times, customers and baskets (common random numbers)
        self.arrivals = ctx.streams.get("arrivals")
        self.rng = ctx.streams.get("orders")
        self._cum_pop = np.cumsum(catalog.popularity)
        self._cum_pop[-1] = 1.0
        shares = scenario_shares(ctx.scenario)
        self._cum_opt = np.cumsum(shares)
        self._cum_opt[-1] = 1.0
        self.next_id = 1
        self.orders: list[Order] = []

    def process(self, days: int):
        """The SimPy process: orders over ``days`` days, then stop."""
        env = self.ctx.env
        for t in arrival_times(self.ctx.scenario, days, self.arrivals):
            yield env.timeout(t - env.now)
            self.on_order(self.new_order(t))

    def new_order(self, t: float) -> Order:
        """Draw one order placed at ``t`` and record ``order_placed``."""
        rng, ctx, cust = self.rng, self.ctx, self.world.customers
        d = ctx.scenario.demand
        customer = int(rng.integers(len(cust)))
        n_items = 1 + int(rng.poisson(d.items_per_order - 1.0))
        picks = sorted(np.searchsorted(self._cum_pop, rng.random(n_items), side="right").tolist())
        lines = tuple((p, picks.count(p)) for p in dict.fromkeys(picks))
        u_option, u_slot = rng.random(2)
        option = OPTIONS[int(np.searchsorted(self._cum_opt, u_option, side="right"))]
        absent_u = rng.random(d.max_attempts)
        # the travel noise of the arc to this customer, per attempt, belongs to the order
        # (not to whichever route serves it), so routing policies face the same traffic
        travel_z = rng.standard_normal(d.max_attempts)
        pickup = ctx.pickup
        site = pickup.choose(customer, offered=option is not DeliveryOption.EXPEDITED) if pickup is not None else None
        order = place_order(
            ctx,
            self.world,
            self.catalog,
            order_id=self.next_id,
            t=t,
            customer=customer,
            lines=lines,
            option=option,
            u_slot=float(u_slot),
            absent_u=absent_u,
            travel_z=travel_z,
            site=site,
        )
        self.next_id += 1
        self.orders.append(order)
        return order


def place_order(
    ctx: Context,
    world: World,
    catalog: Catalog,
    *,
    order_id: int,
    t: float,
    customer: int,
    lines: tuple[tuple[int, int], ...],
    option: DeliveryOption,
    u_slot: float,
    absent_u: np.ndarray,
    travel_z: np.ndarray,
    site: int | None = None,
    data: dict | None = None,
) -> Order:
    """Build the order (window from ``u_slot``, nobody-home per attempt from ``absent_u``),
    count it and record ``order_placed`` (``data`` adds to the event's data). An order for a
    pickup ``site`` goes to the site's place, in its opening hours."""
    cust = world.customers
    d = ctx.scenario.demand
    ready, due = delivery_window(ctx.scenario, option, t, u_slot)
    x, y = float(cust.x[customer]), float(cust.y[customer])
    if site is not None:
        assert world.sites is not None  # the site was chosen among them
        ready, due = site_window(ctx.scenario.pickup, ready, due)
        x, y = world.sites.place(site)
    items = sum(q for _, q in lines)
    weight = float(sum(catalog.unit_kg[p] * q for p, q in lines))
    volume = float(sum(catalog.unit_l[p] * q for p, q in lines))
    value = float(sum(catalog.price[p] * q for p, q in lines))
    green_units = sum(q for p, q in lines if catalog.green[p])
    order = Order(
        id=order_id,
        customer=customer,
        depot=int(cust.depot[customer]),
        x=x,
        y=y,
        placed=t,
        lines=lines,
        option=option,
        ready=ready,
        due=due,
        items=items,
        weight_kg=weight,
        volume_l=volume,
        absent=tuple(bool(u < d.failed_attempt_share) for u in absent_u),
        travel_z=tuple(float(z) for z in travel_z),
        site=site,
    )
    ctx.counters.orders += 1
    ctx.counters.open_orders += 1
    ctx.record(
        Event(
            t=t,
            type=EventType.ORDER_PLACED,
            order_id=order.id,
            consumer_id=customer,
            quantity=float(items),
            load=weight,
            data={
                "option": option.value,
                "window": [ready, due],
                "lines": [list(line) for line in lines],
                "zone": ZONE_NAMES[int(cust.zone[customer])],
                "depot": order.depot,
                "volume_l": volume,
                "value": round(value, 2),
                "green_units": green_units,
                "x": order.x,
                "y": order.y,
                **({"site": site} if site is not None else {}),
                **(data or {}),
            },
        )
    )
    return order


def scenario_shares(scenario) -> np.ndarray:
    s = scenario.demand.delivery_shares
    return np.array([getattr(s, o.value) for o in OPTIONS], dtype=float)
