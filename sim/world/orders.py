"""The order: what a consumer bought, where it goes, when, and how far it has come."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sim.log.events import Event, EventType

if TYPE_CHECKING:
    from sim.world.context import Context


class DeliveryOption(StrEnum):
    STANDARD = "standard"
    EXPEDITED = "expedited"
    GREEN_SLOT = "green_slot"


OPTIONS: tuple[DeliveryOption, ...] = tuple(DeliveryOption)


class OrderStatus(StrEnum):
    PLACED = "placed"  # waiting for stock
    PICKING = "picking"
    READY = "ready"  # packed, waiting for a wave
    ON_ROUTE = "on_route"
    DELIVERED = "delivered"
    FAILED = "failed"


TERMINAL = (OrderStatus.DELIVERED, OrderStatus.FAILED)


@dataclass(slots=True, eq=False)
class Order:
    """One order. Times are simulated minutes since the start of the run."""

    id: int
    customer: int
    depot: int
    x: float
    y: float
    placed: float
    lines: tuple[tuple[int, int], ...]  # (product id, quantity)
    option: DeliveryOption
    ready: float  # delivery window [ready, due]
    due: float
    items: int
    weight_kg: float  # goods plus packaging once packed
    volume_l: float
    absent: tuple[bool, ...]  # nobody home at attempt 1, 2, ... (drawn when the order is placed)
    travel_z: tuple[float, ...]  # standard normal draw of the travel noise on the arc to it, per attempt
    promised_due: float = 0.0  # end of the first window, the promise on-time is measured against
    status: OrderStatus = OrderStatus.PLACED
    unreserved: int = 0  # lines still waiting for stock
    attempts: int = 0
    unplanned: int = 0  # waves whose plan left this order out
    box: str | None = None
    boxes: int = 0
    packaging_kg_co2e: float = 0.0
    parcel_l: float = 0.0  # outer volume of its boxes once packed (0 before packing)
    site: int | None = None  # the pickup point or locker it goes to (x, y are then the site's); None: the door
    fallback: bool = False  # sent to the site after nobody was home

    def __post_init__(self) -> None:
        if not self.promised_due:
            self.promised_due = self.due

    @property
    def parcel_m3(self) -> float:
        """What the order takes in a vehicle: its boxes' volume once packed, else the goods' volume."""
        return (self.parcel_l if self.parcel_l > 0 else self.volume_l) / 1000.0

    @property
    def open(self) -> bool:
        return self.status not in TERMINAL


def record_failure(ctx: Context, order: Order, *, reason: str, final: bool, **fields: Any) -> None:
    """Record a ``delivery_failed`` event for ``order``; a final one also ends the order.

    ``fields`` are further Event fields (vehicle_id, route_id, lateness, load ...).
    """
    ctx.record(
        Event(
            t=ctx.now,
            type=EventType.DELIVERY_FAILED,
            order_id=order.id,
            data={"attempt": order.attempts, "final": final, "reason": reason},
            **fields,
        )
    )
    if final:
        if order.site is not None and ctx.pickup is not None:
            ctx.pickup.release(order.site)
        order.status = OrderStatus.FAILED
        ctx.counters.failed += 1
        ctx.counters.open_orders -= 1
