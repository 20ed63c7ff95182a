"""The simulation's event vocabulary and the one record type every state change becomes.

The log is *object-centric* (DESIGN.md "Event vocabulary", EVENTLOG.md): an event names every
object it touches through its id fields (order, vehicle, product, route, consumer, wave, label),
so it can be exported to OCEL 2.0 as it is, each filled id field becoming one event-to-object
relation qualified by the field's name. Its measured figures are typed fields of their own (so
``carbonsim check`` can sum and compare them in SQL); anything else, such as a wave's Pareto front
and the chosen plan, goes in ``data``, a JSON object stored as canonical text.

Units: ``t`` in simulated minutes since the start of the run, ``km`` in kilometres, ``kg_co2e``
in kg CO2-equivalent, ``load`` in kg carried, ``lateness`` in minutes (negative = early),
``stock_level`` and ``quantity`` in units of a product, ``cost`` in currency units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """What happened. The value is the name stored in the log's ``type`` column."""

    # consumers and the recommender
    SESSION_STARTED = "session_started"
    SLATE_SHOWN = "slate_shown"
    SESSIONS_COUNTED = "sessions_counted"
    PRODUCT_CLICKED = "product_clicked"
    ORDER_PLACED = "order_placed"
    RECOMMENDER_TRAINED = "recommender_trained"
    # warehouse and stock
    STOCK_RESERVED = "stock_reserved"
    BACKORDERED = "backordered"
    PROMISE_RENEWED = "promise_renewed"
    REPLENISHMENT_ORDERED = "replenishment_ordered"
    REPLENISHMENT_RECEIVED = "replenishment_received"
    PICKED = "picked"
    PACKED = "packed"
    # dispatch and delivery
    WAVE_PLANNED = "wave_planned"
    VEHICLE_DEPARTED = "vehicle_departed"
    ARRIVED = "arrived"
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    VEHICLE_RETURNED = "vehicle_returned"
    LINEHAUL_ARRIVED = "linehaul_arrived"
    PICKUP_COLLECTED = "pickup_collected"
    # carbon accounting and incentives
    CATEGORY_CLOSED = "category_closed"
    FOOTPRINT_COMPUTED = "footprint_computed"
    LABEL_ISSUED = "label_issued"
    GRADE_CHANGED = "grade_changed"
    POINTS_EARNED = "points_earned"
    POINTS_REDEEMED = "points_redeemed"


#: An object id: an int (fits SQLite's signed 64 bits) or a str. The log keeps which one it was.
ObjectId = int | str

#: The id fields, in the log's column order. Each names one OCEL object type.
ID_FIELDS: tuple[str, ...] = (
    "order_id",
    "vehicle_id",
    "product_id",
    "route_id",
    "consumer_id",
    "wave_id",
    "label_id",
)
#: The figure fields, in the log's column order (floats; None where the event has none).
FIGURE_FIELDS: tuple[str, ...] = (
    "km",
    "kg_co2e",
    "load",
    "lateness",
    "stock_level",
    "quantity",
    "cost",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One state change of the simulated world at simulated time ``t`` (minutes since start).

    Only ``t`` and ``type`` are required; every other field is None unless the event touches
    that object or has that figure. ``data`` is a dict that must survive a JSON round trip
    unchanged (str keys; lists, not tuples; finite numbers): it is stored as canonical JSON.
    Equality compares every field, ``data`` included; hashing leaves ``data`` out.
    """

    t: float
    type: EventType
    order_id: ObjectId | None = None
    vehicle_id: ObjectId | None = None
    product_id: ObjectId | None = None
    route_id: ObjectId | None = None
    consumer_id: ObjectId | None = None
    wave_id: ObjectId | None = None
    label_id: ObjectId | None = None
    km: float | None = None
    kg_co2e: float | None = None
    load: float | None = None
    lateness: float | None = None
    stock_level: float | None = None
    quantity: float | None = None
    cost: float | None = None
    data: dict[str, Any] | None = field(default=None, hash=False)

    def objects(self) -> dict[str, ObjectId]:
        """The objects this event touches, as ``{id field: id}`` (the OCEL E2O relations)."""
        return {name: value for name in ID_FIELDS if (value := getattr(self, name)) is not None}
