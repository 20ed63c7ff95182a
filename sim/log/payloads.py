"""What each event type carries in its ``data`` column: one declaration per type, and the key
constants every reader uses instead of literal strings.

An event's measured figures are columns (:data:`sim.log.events.FIGURE_FIELDS`); the rest of what
it records is a JSON object in ``data``. :data:`PAYLOADS` declares, per event type, each key it
may hold, the JSON kinds of its value and whether it is always there. :func:`payload_problems`
checks one payload against its declaration; the tests check every event of real runs, and a run
with ``check_events`` (``carbonsim --debug run``, or CARBONSIM_CHECK_EVENTS=1) checks each event
as it is written. SQL readers name a key through :func:`json_field` (``json_field(K.SESSION)``
is ``json_extract(data, '$.session')``), so a key that is renamed or misspelt fails at import,
not as a silent NULL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.log.events import EventType


class K:
    """The ``data`` keys, one constant each (the value is the key as stored)."""

    ALGORITHM = "algorithm"
    ATTEMPT = "attempt"
    BACKORDER = "backorder"
    BALANCE = "balance"
    BATTERY_KWH = "battery_kwh"
    BOUNCED = "bounced"
    BOX = "box"
    BUDGET_LEFT = "budget_left"
    CAPACITY_KG = "capacity_kg"
    CAPACITY_M3 = "capacity_m3"
    CATEGORY = "category"
    CATEGORY_MEDIAN = "category_median"
    CHOSEN = "chosen"
    DELIVERED = "delivered"
    DEPOT = "depot"
    DURATION = "duration"
    ELECTRIC = "electric"
    EXPOSURE = "exposure"
    EXPOSURE_GREEN = "exposure_green"
    FALLBACK = "fallback"
    FINAL = "final"
    FROM = "from"
    FRONT = "front"
    GREEN = "green"
    GREEN_SLOTS = "green_slots"
    GREEN_UNITS = "green_units"
    HUB = "hub"
    HOURS = "hours"
    HELD_OUT = "held_out"
    HIT_RATE_LEARNED = "hit_rate_learned"
    HIT_RATE_POPULARITY = "hit_rate_popularity"
    INCLUDE_PRODUCTION = "include_production"
    INITIAL = "initial"
    INTERACTIONS = "interactions"
    ITERATIONS = "iterations"
    K = "k"
    KWH = "kwh"
    KG_CO2E = "kg_co2e"
    LAST_MILE = "last_mile"
    LAST_MILE_MODEL = "last_mile_model"
    LEAD_DAYS = "lead_days"
    LINEHAUL = "linehaul"
    LINEHAUL_MODEL = "linehaul_model"
    LINES = "lines"
    LOW_CARBON = "low_carbon"
    METHOD = "method"
    MODE = "mode"
    MODEL = "model"
    OPTION = "option"
    ORDER = "order"
    ORDERS = "orders"
    PACKAGING = "packaging"
    PENALTY = "penalty"
    POINTS_REDEEMED = "points_redeemed"
    POSITION = "position"
    PRODUCT = "product"
    PRODUCTION = "production"
    PREVIOUS_DUE = "previous_due"
    PRODUCTS = "products"
    PURCHASES = "purchases"
    RATIO = "ratio"
    REASON = "reason"
    RELAXED_WINDOWS = "relaxed_windows"
    RETURNED = "returned"
    RETURN_KM = "return_km"
    ROUTES = "routes"
    SCOPE = "scope"
    SCOPES = "scopes"
    SEED = "seed"
    SERVING = "serving"
    SESSION = "session"
    SITE = "site"
    SHARES = "shares"
    SLATES = "slates"
    SLOTS = "slots"
    STATION = "station"
    SUPPLIER = "supplier"
    T = "t"
    TIME_CAPPED = "time_capped"
    TO = "to"
    TOTAL = "total"
    TRUCK = "truck"
    TRUNK = "trunk"
    TRUNK_LEGS = "trunk_legs"
    VALUE = "value"
    VEHICLE_TYPE = "vehicle_type"
    VEHICLES = "vehicles"
    VOLUME_L = "volume_l"
    VOLUME_M3 = "volume_m3"
    WAITED = "waited"
    WINDOW = "window"
    X = "x"
    Y = "y"
    ZONE = "zone"

    HANDLING = "handling"
    TCES = "tces"
    BASE = "base"
    DAY = "day"
    KIND = "kind"
    PART = "part"
    CARRIER = "carrier"
    ALLOCATED = "allocated"
    OPERATIONS = "operations"
    ELEMENTS = "elements"
    KG_MODEL = "kg_model"
    WTW = "wtw"
    TTW = "ttw"
    ACTIVITY = "activity"
    UNIT = "unit"
    KM = "km"
    EMPTY_KM = "empty_km"
    LOAD_KG = "load_kg"


@dataclass(frozen=True)
class Field:
    """One key of a payload: the JSON kinds its value may have, and whether it may be absent."""

    kinds: tuple[type, ...]
    optional: bool = False

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):  # a bool is an int to Python, not to JSON
            return bool in self.kinds
        return isinstance(value, self.kinds)


_INT = Field((int,))
_NUM = Field((int, float))
_STR = Field((str,))
_BOOL = Field((bool,))
_LIST = Field((list,))
_MAYBE_NUM = Field((int, float, type(None)))
_MAYBE_STR = Field((str, type(None)))
_SESSION_KEYS = {K.SESSION: Field((int,), optional=True), K.POINTS_REDEEMED: Field((int, float), optional=True)}

#: Event type -> its payload's keys (None: the event has no ``data``).
PAYLOADS: dict[EventType, dict[str, Field] | None] = {
    EventType.SESSION_STARTED: {K.SESSION: _INT},
    EventType.SLATE_SHOWN: {
        K.SESSION: _INT,
        K.PRODUCTS: _LIST,
        K.GREEN: _INT,
        K.EXPOSURE_GREEN: _NUM,
        K.EXPOSURE: _NUM,
        K.MODEL: _STR,
    },
    EventType.PRODUCT_CLICKED: {K.SESSION: _INT, K.POSITION: _INT},
    # one an hour: the sessions of the hour ending at t that neither clicked nor bought (their count is
    # the event's quantity), of which `bounced` had no shopping intent and saw no slate; the slates the
    # rest were shown, their slots and green slots, and their position-weighted (green) exposure
    EventType.SESSIONS_COUNTED: {
        K.BOUNCED: _INT,
        K.SLATES: _INT,
        K.SLOTS: _INT,
        K.GREEN_SLOTS: _INT,
        K.EXPOSURE: _NUM,
        K.EXPOSURE_GREEN: _NUM,
    },
    EventType.ORDER_PLACED: {
        K.OPTION: _STR,
        K.WINDOW: _LIST,
        K.LINES: _LIST,
        K.ZONE: _STR,
        K.DEPOT: _INT,
        K.VOLUME_L: _NUM,
        K.VALUE: _NUM,
        K.GREEN_UNITS: _INT,
        # the customer's position, km (the frame of the depots and stations); logs before the
        # route map lack it
        K.X: Field((int, float), optional=True),
        K.Y: Field((int, float), optional=True),
        K.SITE: Field((int,), optional=True),  # a pickup point's order (x, y are then the site's)
        **_SESSION_KEYS,
    },
    EventType.RECOMMENDER_TRAINED: {
        K.SERVING: _STR,
        K.INTERACTIONS: _INT,
        K.PURCHASES: _INT,
        K.HELD_OUT: _INT,
        K.K: _INT,
        K.HIT_RATE_POPULARITY: _MAYBE_NUM,
        K.HIT_RATE_LEARNED: _MAYBE_NUM,
    },
    EventType.STOCK_RESERVED: {K.BACKORDER: Field((bool,), optional=True)},
    EventType.BACKORDERED: None,
    EventType.PROMISE_RENEWED: {K.WINDOW: _LIST, K.PREVIOUS_DUE: _NUM, K.REASON: _STR},
    EventType.REPLENISHMENT_ORDERED: {K.MODE: _STR, K.SUPPLIER: _INT, K.LEAD_DAYS: _NUM, K.POSITION: _INT},
    EventType.REPLENISHMENT_RECEIVED: {K.MODE: Field((str,), optional=True), K.INITIAL: Field((bool,), optional=True)},
    EventType.PICKED: None,
    EventType.PACKED: {K.BOX: _STR},
    EventType.WAVE_PLANNED: {
        K.DEPOT: _INT,
        K.ALGORITHM: _STR,
        K.SEED: _INT,
        K.ITERATIONS: _INT,
        K.TIME_CAPPED: _BOOL,
        K.FALLBACK: _MAYBE_STR,
        K.RELAXED_WINDOWS: _INT,
        K.CHOSEN: _INT,
        K.VEHICLES: _INT,
        K.PENALTY: _NUM,
        K.FRONT: _LIST,
        K.SITE: Field((list,), optional=True),  # [x, y] of the depot (station), km
    },
    # capacity_m3 is None for a type without a volume capacity; volume_m3 the parcels' m³ on board
    EventType.VEHICLE_DEPARTED: {
        K.VEHICLE_TYPE: _STR,
        K.CAPACITY_KG: _NUM,
        K.CAPACITY_M3: _MAYBE_NUM,
        K.BATTERY_KWH: _MAYBE_NUM,
        K.VOLUME_M3: _NUM,
        K.DEPOT: _INT,
        K.ORDERS: _LIST,
    },
    EventType.ARRIVED: {K.DEPOT: Field((int,), optional=True), K.SITE: Field((int,), optional=True)},
    EventType.DELIVERED: {
        K.ATTEMPT: _INT,
        K.OPTION: _STR,
        K.WAITED: _NUM,
        K.SITE: Field((int,), optional=True),  # left at a pickup point or locker
        K.FALLBACK: Field((bool,), optional=True),  # ... after nobody was home
    },
    EventType.PICKUP_COLLECTED: {K.SITE: _INT, K.HOURS: _NUM},
    EventType.DELIVERY_FAILED: {K.ATTEMPT: _INT, K.FINAL: _BOOL, K.REASON: _STR},
    # kwh: battery energy the drive used (0 for a type without kWh per km)
    EventType.VEHICLE_RETURNED: {
        K.DURATION: _NUM,
        K.PENALTY: _NUM,
        K.RETURNED: _LIST,
        K.ELECTRIC: _BOOL,
        K.KWH: _NUM,
        K.SHARES: _LIST,
    },
    EventType.LINEHAUL_ARRIVED: {
        K.STATION: _INT,
        K.TRUCK: _INT,
        K.RETURN_KM: _NUM,
        K.ORDERS: _LIST,
        K.SHARES: _LIST,
        K.HUB: Field((list,), optional=True),  # [x, y] of the sortation hub the truck left, km
    },
    EventType.FOOTPRINT_COMPUTED: {
        K.LAST_MILE: _NUM,
        K.LINEHAUL: _NUM,
        K.TRUNK: _NUM,
        K.PACKAGING: _NUM,
        K.PRODUCTION: _NUM,
        K.SCOPE: _STR,
        # {"wtw": {...}, "ttw": {...}}: last_mile, linehaul, trunk, transport, total in each scope
        # (logs before issue 15 lack it)
        K.SCOPES: Field((dict,), optional=True),
        # [{mode, km, mass_kg}]: the supplier legs of its units (logs of the first issue 15 version)
        K.TRUNK_LEGS: Field((list,), optional=True),
        K.HANDLING: Field((int, float), optional=True),  # the warehouse, hub and station (HOCs)
        # the transport chain elements in the order the parcel passed them: part, category (TOC or
        # HOC id of the day), mass_kg, km, sfd_km, activity (tkm or t), t0, t1, ref, wtw, ttw
        K.TCES: Field((list,), optional=True),
        K.INCLUDE_PRODUCTION: _BOOL,
        K.TOTAL: _NUM,
        K.METHOD: _STR,
        K.LAST_MILE_MODEL: _NUM,
        K.LINEHAUL_MODEL: _NUM,
        K.ROUTES: _LIST,
        K.DELIVERED: _BOOL,
    },
    # an operation category's day, closed: its vehicles' or sites' kg and how they were shared
    EventType.CATEGORY_CLOSED: {
        K.CATEGORY: _STR,
        K.BASE: _STR,
        K.DAY: _INT,
        K.KIND: _STR,
        K.PART: _STR,
        K.CARRIER: _STR,
        K.ALLOCATED: _BOOL,
        K.OPERATIONS: _INT,
        K.ELEMENTS: _INT,
        K.KG_MODEL: _NUM,
        K.WTW: _NUM,
        K.TTW: _NUM,
        K.ACTIVITY: _NUM,
        K.UNIT: _STR,
        K.KM: _NUM,
        K.EMPTY_KM: _NUM,
        K.LOAD_KG: _NUM,
        K.CAPACITY_KG: _NUM,
    },
    EventType.LABEL_ISSUED: {
        K.ORDER: _INT,
        K.T: _NUM,
        K.KG_CO2E: _NUM,
        K.LAST_MILE: _NUM,
        K.LINEHAUL: _NUM,
        K.TRUNK: _NUM,
        K.HANDLING: Field((int, float), optional=True),
        K.PACKAGING: _NUM,
        K.PRODUCTION: _NUM,
        K.SCOPE: _STR,
        K.METHOD: _STR,
    },
    EventType.GRADE_CHANGED: {
        K.PRODUCT: _INT,
        K.CATEGORY: _STR,
        K.T: _NUM,
        K.FROM: _MAYBE_STR,
        K.TO: _STR,
        K.RATIO: _MAYBE_NUM,
        K.VALUE: _NUM,
        K.CATEGORY_MEDIAN: _NUM,
        K.LOW_CARBON: _BOOL,
        K.GREEN: _BOOL,
    },
    EventType.POINTS_EARNED: {K.REASON: _STR, K.BALANCE: _INT, K.BUDGET_LEFT: _INT},
    EventType.POINTS_REDEEMED: {K.BALANCE: _INT},
}


def payload_problems(event_type: EventType | str, data: dict[str, Any] | None) -> list[str]:
    """What is wrong with ``data`` as the payload of an ``event_type`` event (empty: nothing)."""
    kind = EventType(event_type)
    declared = PAYLOADS[kind]
    if declared is None:
        return [] if data is None else [f"{kind}: has no data, got keys {sorted(data)}"]
    if data is None:
        required = sorted(k for k, f in declared.items() if not f.optional)
        return [f"{kind}: data missing (expected keys {required})"] if required else []
    problems = [f"{kind}: unknown data key {k!r} (declared: {', '.join(declared)})" for k in data if k not in declared]
    for key, spec in declared.items():
        if key not in data:
            if not spec.optional:
                problems.append(f"{kind}: data key {key!r} missing")
        elif not spec.accepts(data[key]):
            allowed = "/".join("null" if t is type(None) else t.__name__ for t in spec.kinds)
            problems.append(f"{kind}: data key {key!r} = {data[key]!r} is not {allowed}")
    return problems


def json_field(key: str, table: str = "") -> str:
    """The SQL expression reading ``key`` of an event's data (``table``: the events table's alias)."""
    return f"json_extract({table + '.' if table else ''}data, '$.{key}')"
