"""The scenario schema: one frozen dataclass per TOML table, every field with its unit, default and source."""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import ClassVar, Literal

from labels.canonical import canonical_json
from labels.carriers import ELECTRICITY, carriers, vehicle_carrier
from labels.grades import LETTERS as GRADE_LETTERS
from labels.materials import DEFAULT_MATERIAL, MATERIALS_FILE, Material, materials
from optimizer.algorithms import ALGORITHM_NAMES
from optimizer.generate import ZONE_NAMES
from optimizer.model import HEAVY_TRUCK, LIGHT_TRUCK, MEDIUM_TRUCK, VehicleType
from optimizer.units import KG_PER_CAPACITY_UNIT, MINUTES_PER_DAY
from sim.scenario.fields import Section, field_spec, from_mapping, num, shares, unique
from sim.scenario.loading import (
    apply_override,
    flat,
    leaves,
    load_chain,
    merge,
    parse,
    parse_override,
    resolve_extends,
    source_of,
)
from sim.scenario.problems import Path_, Problem, ScenarioError, clip
from sim.scenario.toml_text import dumps_toml, plain
from sim.scenario.work import Work

#: The calendar a run may start in (ours: far enough for any study, and day 0 plus the longest
#: horizon and drain stays a valid date).
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True)
class SimulationConfig(Section):
    """``[simulation]``: the horizon and the seed of a run."""

    days: int = field_spec(7, unit="days", ge=1, le=3650, doc="Simulated horizon; day 0 starts at midnight of `start_date`.")
    seed: int = field_spec(
        0,
        unit="-",
        ge=0,
        le=2**63 - 1,
        doc=(
            "Root seed; every subsystem (demand, travel noise, choice, optimizer) gets its own stream spawned from it. "
            "`carbonsim run --seed` overrides it."
        ),
    )
    start_date: date = field_spec(
        date(2024, 6, 13),
        unit="calendar date",
        allowed=f"{FIRST_DATE} to {LAST_DATE}",
        why="ours",
        doc='Date of day 0 (weekdays and festival dates are read from it); a TOML date `2024-06-13` or the string "2024-06-13".',
    )
    drain_days: int = field_spec(
        3,
        unit="days",
        ge=0,
        le=60,
        doc=(
            "After the horizon no new orders arrive and the world runs up to this many more days so orders in flight can "
            "finish; what is still open then ends `delivery_failed` (reason `run_ended`)."
        ),
    )

    def _rules(self) -> Iterator[Problem]:
        if not FIRST_DATE <= self.start_date <= LAST_DATE:
            yield Problem(("start_date",), f"must be between {FIRST_DATE} and {LAST_DATE}", self.start_date)


@dataclass(frozen=True)
class DepotConfig(Section):
    """One depot (distribution centre) on the plane."""

    x: float = field_spec(
        0.0, unit="km", ge=-5000.0, le=5000.0, why="ours: a plane about as wide as China", doc="East coordinate of the depot."
    )
    y: float = field_spec(
        0.0, unit="km", ge=-5000.0, le=5000.0, why="ours: a plane about as wide as China", doc="North coordinate of the depot."
    )


@dataclass(frozen=True)
class ZoneSharesConfig(Section):
    """``[world.zones]``: how customers split over the delivery zones of paper Table 7.

    Table 7 reports average route lengths of 12.8, 18.6, 27.5, 35.9 and 43.4 km for the five
    zones; the world builder places each zone's customers at matching distances from the depots.
    """

    urban_core: float = field_spec(
        0.35, unit="share", ge=0.0, le=1.0, doc="Urban core distribution zone (Table 7: 12.84 km average route)."
    )
    urban_suburban_transition: float = field_spec(
        0.25, unit="share", ge=0.0, le=1.0, doc="Urban-suburban transition zone (18.63 km)."
    )
    urban_rural_integration: float = field_spec(
        0.20, unit="share", ge=0.0, le=1.0, doc="Urban-rural integration zone (27.48 km)."
    )
    remote_county: float = field_spec(0.12, unit="share", ge=0.0, le=1.0, doc="Remote county-level delivery zone (35.92 km).")
    cross_region_hub: float = field_spec(0.08, unit="share", ge=0.0, le=1.0, doc="Cross-region hub aggregation zone (43.37 km).")

    def _rules(self) -> Iterator[Problem]:
        return shares(self, ())


@dataclass(frozen=True)
class ZoneDensityConfig(Section):
    """``[network.density]``: parcels a km² a day this operator delivers in each zone's station areas.

    Ours, derived: one carrier's share of a city's parcels (several carriers serve every street).
    Central London van rounds drive about 0.17 km a drop (Allen et al. 2018); with a route of n
    drops over an area A the tour is about 0.7 sqrt(n A) (Beardwood-Halton-Hammersley) times the
    road circuity, so 0.1-0.2 km a drop means some 40-100 parcels a km² a day in the urban core;
    the outer zones fall off to the 1-3 a km² of a county at about 2.7 km a parcel.
    """

    urban_core: float = field_spec(60.0, unit="parcels/km²/day", gt=0.0, le=1e6, doc="Urban core station areas.")
    urban_suburban_transition: float = field_spec(
        25.0, unit="parcels/km²/day", gt=0.0, le=1e6, doc="Urban-suburban transition station areas."
    )
    urban_rural_integration: float = field_spec(
        8.0, unit="parcels/km²/day", gt=0.0, le=1e6, doc="Urban-rural integration station areas."
    )
    remote_county: float = field_spec(2.0, unit="parcels/km²/day", gt=0.0, le=1e6, doc="Remote county station areas.")
    cross_region_hub: float = field_spec(1.0, unit="parcels/km²/day", gt=0.0, le=1e6, doc="Cross-region hub zone station areas.")


@dataclass(frozen=True)
class NetworkConfig(Section):
    """``[network]``: the parcel network. `depots` is the seed paper's world (``world.depots``
    serve customers spread over the Table 7 zones); `stations` is a sortation hub feeding
    delivery stations by line-haul truck, each station serving a disc at ``density``."""

    layout: Literal["depots", "stations"] = field_spec(
        "depots",
        unit="-",
        doc=(
            "`depots`: `world.depots` serve every zone (paper world, no line-haul). `stations`: a hub and delivery "
            "stations per zone (`world.depots` is then not used), parcels go hub -> station by truck at `linehaul_hours`."
        ),
    )
    hub_x: float = field_spec(0.0, unit="km", ge=-5000.0, le=5000.0, why="ours", doc="East coordinate of the sortation hub.")
    hub_y: float = field_spec(0.0, unit="km", ge=-5000.0, le=5000.0, why="ours", doc="North coordinate of the sortation hub.")
    station_parcels_per_day: float = field_spec(
        2000.0,
        unit="parcels/day",
        gt=0.0,
        le=1e6,
        why="ours: a delivery station of a Chinese express network sorts a few thousand parcels a day for 20-40 couriers",
        doc="Parcels a day a station is sized for: a zone gets round(its parcels / this) stations, at least one.",
    )
    density: ZoneDensityConfig = field_spec(
        factory=ZoneDensityConfig, unit="parcels/km²/day", default_doc="see rows below", doc="Delivery density per zone."
    )
    linehaul_hours: tuple[float, ...] = field_spec(
        (5.0, 11.5),
        unit="hours of day",
        max_len=24,
        item_ge=0.0,
        item_le=23.99,
        allowed="at least one; distinct hours in increasing order",
        why="ours: the night sort's trucks reach the stations before the morning wave, a second run before the midday one",
        doc="Departures of the line-haul trucks from the hub to every station with parcels waiting.",
    )
    linehaul_capacity_kg: float = field_spec(
        12000.0,
        unit="kg",
        gt=0.0,
        le=60000.0,
        why="ours: the heavy truck of optimizer.model (paper Table 2's 8.5 t average load at about 70 %)",
        doc="Payload of one line-haul truck; more parcels than this take more trucks.",
    )
    linehaul_empty_kg_per_km: float = field_spec(
        0.68, unit="kg CO2e/km", ge=0.0, le=100.0, why="seed paper Table 2, heavy truck", doc="Line-haul truck factor when empty."
    )
    linehaul_full_kg_per_km: float = field_spec(
        0.95,
        unit="kg CO2e/km",
        ge=0.0,
        le=100.0,
        why="seed paper Table 2, heavy truck (DEFRA: rigid > 17 t about 0.9-1.0)",
        doc="Line-haul truck factor at full payload (linear in between).",
    )
    linehaul_cost_per_km: float = field_spec(
        3.2, unit="yuan/km", ge=0.0, le=1000.0, why="ours", doc="Line-haul cost per road km."
    )
    hub_kwh_per_parcel: float = field_spec(
        0.0017,
        unit="kWh/parcel",
        ge=0.0,
        le=100.0,
        why="ours: 100 kWh would light a house for a week",
        doc=(
            "Electricity the sortation hub uses a parcel (stations layout), times `fleet.grid_kg_per_kwh`: its hub operation"
            " category, split by mass over the day's parcels. Default: GLEC v3's transshipment default, 0.6 kg CO2e/t, at a"
            " 1.56 kg parcel and 0.55 kg/kWh (labels/hub_operations.toml)."
        ),
    )
    station_kwh_per_parcel: float = field_spec(
        0.0017,
        unit="kWh/parcel",
        ge=0.0,
        le=100.0,
        why="ours: 100 kWh would light a house for a week",
        doc=(
            "Electricity a delivery station uses a parcel (stations layout): unloading, sorting to rounds, the office."
            " Default as `hub_kwh_per_parcel` (transshipment, labels/hub_operations.toml)."
        ),
    )

    def _rules(self) -> Iterator[Problem]:
        if self.layout == "stations" and not self.linehaul_hours:
            yield Problem(("linehaul_hours",), "the stations layout needs at least one line-haul departure", self.linehaul_hours)
        if any(b <= a for a, b in zip(self.linehaul_hours, self.linehaul_hours[1:])):
            yield Problem(("linehaul_hours",), "hours must be distinct and increasing", self.linehaul_hours)
        if self.linehaul_full_kg_per_km < self.linehaul_empty_kg_per_km:
            yield Problem(("linehaul_full_kg_per_km",), "must be >= linehaul_empty_kg_per_km", self.linehaul_full_kg_per_km)


@dataclass(frozen=True)
class PickupConfig(Section):
    """``[pickup]``: pickup points and parcel lockers (Cainiao-style community stations).

    Each depot (delivery station) gets ``sites_per_station`` sites, placed at the centres of its
    customers (k-means), each customer's site being the nearest one of its own station. At the
    order, a consumer takes the parcel to the site instead of the door by a binary logit:
    ``asc - utility_per_km x km to the site`` plus the points the site earns (valued as a discount,
    as the green slot's are); expedited orders always go to the door. A route serves all the parcels
    of a site it carries in one stop. A parcel nobody was home for goes to the customer's site the
    next day (``fallback``) where there is room; there it waits to be collected, about
    ``collect_hours`` later. 0 sites: no pickup points (the paper's world)."""

    sites_per_station: int = field_spec(
        0,
        unit="sites/station",
        ge=0,
        le=500,
        why="ours: a few community stations and locker banks around each delivery station",
        doc="Pickup points and lockers per station (depot); 0 turns pickup off.",
    )
    capacity: int = field_spec(
        150,
        unit="parcels",
        ge=1,
        le=100_000,
        why="ours: the shelves of a community station, or a bank of 100-150 locker compartments",
        doc=(
            "Parcels a site holds: one promised to it counts from the order until it is collected; a full site sends "
            "new orders to the door."
        ),
    )
    open_hour: float = field_spec(
        9.0,
        unit="hour of day",
        ge=0.0,
        le=23.99,
        why="ours: community stations keep shop hours",
        doc="A site takes parcels from this hour.",
    )
    close_hour: float = field_spec(
        21.0, unit="hour of day", gt=0.0, le=24.0, why="ours", doc="... until this hour (a stop there is due by then)."
    )
    asc: float = field_spec(
        0.5,
        unit="utility",
        ge=-20.0,
        le=20.0,
        why=(
            "ours, calibrated: about a quarter of the baseline's parcels to sites "
            "(published: 8.9 % lockers in Beijing 2018, up to 43 % in China, IPC)"
        ),
        doc="Preference for a site at the door over home delivery, before distance and points.",
    )
    utility_per_km: float = field_spec(
        1.2,
        unit="utility/km",
        ge=0.0,
        le=100.0,
        why="ours: distance to the locker is the strongest attribute of locker choice (Iannaccone, Marcucci, Gatta 2021)",
        doc="Utility lost per km between the customer and the site (road km).",
    )
    service_minutes: float = field_spec(
        5.0,
        unit="minutes",
        ge=0.0,
        le=240.0,
        why="ours: parking and the hand-over at the counter or the locker's screen",
        doc="Time a route spends at a site, whatever it drops there ...",
    )
    service_minutes_per_parcel: float = field_spec(
        0.3,
        unit="minutes/parcel",
        ge=0.0,
        le=60.0,
        why="ours: a scan and a shelf or a compartment",
        doc="... plus this per parcel.",
    )
    collect_hours: float = field_spec(
        10.0,
        unit="hours",
        gt=0.0,
        le=24.0 * 30,
        why="ours: most parcels are collected the evening they arrive or the next day (lockers charge after 12-24 h)",
        doc="Mean time from drop-off to collection (exponential): the parcel holds its place until then.",
    )
    fallback: bool = field_spec(
        True,
        unit="-",
        why="couriers leave a parcel they cannot hand over in a nearby locker (DHL, on China's lockers)",
        doc="A parcel nobody was home for goes to the customer's site the next day, where it has room.",
    )

    def _rules(self) -> Iterator[Problem]:
        if self.close_hour <= self.open_hour:
            yield Problem(("close_hour",), f"must be after open_hour ({self.open_hour:g})", self.close_hour)


@cache
def faker_locales() -> tuple[str, ...]:
    """The locales Faker can generate names and addresses in (``faker.config.AVAILABLE_LOCALES``)."""
    from faker.config import AVAILABLE_LOCALES  # about 70 ms: only when a world is validated

    return tuple(AVAILABLE_LOCALES)


#: Most customer x depot pairs a world may have (ours: the nearest-depot search holds a few
#: float arrays of that size, 80 MB each at this cap).
MAX_CUSTOMER_DEPOT_PAIRS = 10_000_000


@dataclass(frozen=True)
class WorldConfig(Section):
    """``[world]``: where the depots and customers are, and how roads bend."""

    depots: int | tuple[DepotConfig, ...] = field_spec(
        1,
        unit="count, or km coordinates",
        ge=1,
        le=100,
        min_len=1,
        max_len=100,
        doc=(
            "Either how many depots the world builder places (spread around the centre), or an array of `{x, y}` tables "
            "placing them."
        ),
        allowed="a count between 1 and 100, or 1 to 100 `[[world.depots]]` tables",
        why="ours",
    )
    zones: ZoneSharesConfig = field_spec(
        factory=ZoneSharesConfig,
        unit="shares",
        doc="Share of customers living in each zone of paper Table 7.",
        allowed="the five shares sum to 1",
        default_doc="see rows below",
    )
    circuity: float = field_spec(
        1.3, unit="ratio", ge=1.0, le=3.0, doc="Road km per straight-line km (the polyline coefficient of the routing model)."
    )
    customers: int = field_spec(
        3000,
        unit="consumers",
        ge=1,
        le=1_000_000,
        doc="Size of the consumer population (names and addresses from Faker, seeded).",
    )
    locale: str = field_spec(
        "zh_CN",
        unit="Faker locale",
        allowed="a name in faker.config.AVAILABLE_LOCALES, e.g. `zh_CN`, `en_US`, `de_DE`",
        doc="Locale of the generated names and addresses.",
    )
    travel_time_cv: float = field_spec(
        0.1,
        unit="coefficient of variation",
        ge=0.0,
        le=2.0,
        doc=(
            "Spread of driven travel times around the planned ones (lognormal factor with mean 1 on each arc); 0 drives "
            "exactly the plan."
        ),
    )

    def _rules(self) -> Iterator[Problem]:
        locales = faker_locales()
        if self.locale not in locales:
            by_key = {name.lower(): name for name in locales}  # zh-cn, ZH_CN and zh_CM all mean zh_CN
            close = difflib.get_close_matches(self.locale.replace("-", "_").lower(), list(by_key), n=1, cutoff=0.6)
            hint = f"did you mean {by_key[close[0]]!r}? " if close else ""
            yield Problem(("locale",), f"not a Faker locale; {hint}allowed: {', '.join(locales)}", self.locale)
        depots = self.depots if isinstance(self.depots, int) else len(self.depots)
        if self.customers * depots > MAX_CUSTOMER_DEPOT_PAIRS:
            yield Problem(
                ("customers",),
                f"{self.customers:,} customers x {depots} depots is more than {MAX_CUSTOMER_DEPOT_PAIRS:,} pairs"
                " (the world builder finds each customer's nearest depot over all pairs at once); fewer customers or depots",
                self.customers,
            )


@dataclass(frozen=True)
class PeakConfig(Section):
    """One promotion peak: a run of days on which the order rate is multiplied."""

    name: str = field_spec("peak", unit="text", doc="Label used in reports and the event log.")
    start_day: int = field_spec(
        0, unit="day index", ge=0, le=3650, why="the longest horizon", doc="First day of the peak, counted from 0 = `start_date`."
    )
    days: int = field_spec(1, unit="days", ge=1, le=3650, why="the longest horizon", doc="How many days the peak lasts.")
    multiplier: float = field_spec(
        2.0, unit="ratio", gt=0.0, le=100.0, doc="Factor on the day's order rate (overlapping peaks multiply)."
    )


@dataclass(frozen=True)
class DeliverySharesConfig(Section):
    """``[demand.delivery_shares]``: how often each delivery option is chosen."""

    standard: float = field_spec(0.8, unit="share", ge=0.0, le=1.0, doc="Standard delivery.")
    expedited: float = field_spec(0.2, unit="share", ge=0.0, le=1.0, doc="Expedited delivery (narrower window, more urgent).")
    green_slot: float = field_spec(
        0.0, unit="share", ge=0.0, le=1.0, doc="Green consolidated slot (wider window, earns points when incentives are on)."
    )

    def _rules(self) -> Iterator[Problem]:
        return shares(self, ())


@dataclass(frozen=True)
class DeliveryWindowsConfig(Section):
    """``[demand.window_hours]``: the width of the delivery time window promised per option."""

    standard: float = field_spec(4.0, unit="hours", gt=0.0, le=72.0, doc="Window of a standard delivery.")
    expedited: float = field_spec(2.0, unit="hours", gt=0.0, le=72.0, doc="Window of an expedited delivery.")
    green_slot: float = field_spec(8.0, unit="hours", gt=0.0, le=72.0, doc="Window of a green consolidated slot.")


_DAILY_PROFILE = (
    0.50,
    0.30,
    0.20,
    0.15,
    0.15,
    0.20,  # 00-06
    0.40,
    0.80,
    1.20,
    1.50,
    1.70,
    1.60,  # 06-12
    1.30,
    1.30,
    1.40,
    1.40,
    1.30,
    1.20,  # 12-18
    1.30,
    1.60,
    1.90,
    2.00,
    1.60,
    1.00,  # 18-24
)


@dataclass(frozen=True)
class DemandConfig(Section):
    """``[demand]``: how many orders arrive, when, and which delivery option they take."""

    mode: Literal["sessions", "exogenous"] = field_spec(
        "sessions",
        unit="-",
        doc=(
            "`sessions`: consumers arrive, see a recommendation slate and a choice model decides what they buy and how it is"
            " delivered; `exogenous`: orders arrive as a non-homogeneous Poisson process with fixed product and delivery "
            "shares (no recommender, no points)."
        ),
    )
    orders_per_day: int = field_spec(
        600,
        unit="orders/day",
        ge=0,
        le=1_000_000,
        doc=(
            "Mean number of orders on an ordinary day (before peaks). In `sessions` mode the session rate is this divided by"
            " the expected conversion of a reference shop (a trained popularity ranking, no boost, no labels, no points), so"
            " the same seed gives every policy the same sessions and a policy that changes conversion changes the orders."
        ),
    )
    daily_profile: tuple[float, ...] = field_spec(
        _DAILY_PROFILE,
        unit="relative weight per hour",
        length=24,
        item_ge=0.0,
        item_le=1e6,
        allowed="sum > 0",
        doc="Arrival intensity by hour of day, 00-01 first; normalised, so only the shape matters.",
        default_doc="evening-peaked curve, see baseline.toml",
    )
    peaks: tuple[PeakConfig, ...] = field_spec(
        (),
        unit="-",
        max_len=1000,
        allowed="unique names",
        why="ours",
        doc="Promotion peaks (`[[demand.peaks]]` tables); none by default.",
        default_doc="none",
    )
    items_per_order: float = field_spec(
        1.8, unit="items/order", ge=1.0, le=50.0, doc="Mean number of items in an order (1 + Poisson)."
    )
    delivery_shares: DeliverySharesConfig = field_spec(
        factory=DeliverySharesConfig,
        unit="shares",
        allowed="the three shares sum to 1",
        default_doc="see rows below",
        doc=(
            "Probability of each delivery option. In `sessions` mode these are the propensities of a consumer of average "
            "green affinity before points: a 0 share means the option is not offered."
        ),
    )
    window_hours: DeliveryWindowsConfig = field_spec(
        factory=DeliveryWindowsConfig, unit="hours", default_doc="see rows below", doc="Delivery window width per option."
    )
    delivery_start_hour: float = field_spec(8.0, unit="hour of day", ge=0.0, lt=24.0, doc="Earliest start of a delivery window.")
    delivery_end_hour: float = field_spec(
        21.0,
        unit="hour of day",
        gt=0.0,
        le=24.0,
        allowed="> delivery_start_hour + the widest window",
        doc="Latest end of a delivery window.",
    )
    expedited_lead_hours: float = field_spec(
        2.0,
        unit="hours",
        ge=0.0,
        le=48.0,
        doc="An expedited window opens this long after the order, at the next full hour (same day when it fits).",
    )
    promise: Literal["slots", "day_definite"] = field_spec(
        "slots",
        unit="-",
        why="JD 211 service rules (jd.com delivery promise: order by 11:00, delivered the same day; by 23:00, next day by 15:00)",
        doc=(
            "How a standard order's window is promised. `slots`: the next day, in a slot of `window_hours.standard` "
            "(the seed paper's world). `day_definite`: ordered by `cutoff_hour`, delivered the same day by "
            "`delivery_end_hour`; later, the next day by `next_day_due_hour` (JD-211 style). Expedited and green-slot "
            "orders keep their windows in both."
        ),
    )
    cutoff_hour: float = field_spec(
        11.0,
        unit="hour of day",
        ge=0.0,
        lt=24.0,
        why="JD 211: orders placed by 11:00 are delivered the same day (JD service rules, weak source)",
        doc="`day_definite`: a standard order placed before this hour is promised for the same day.",
    )
    next_day_due_hour: float = field_spec(
        15.0,
        unit="hour of day",
        gt=0.0,
        le=24.0,
        allowed="> delivery_start_hour",
        why="JD 211: orders placed by 23:00 are delivered the next day by 15:00 (JD service rules, weak source)",
        doc="`day_definite`: a standard order placed after `cutoff_hour` is promised for the next day by this hour.",
    )
    repromise_backorders: bool = field_spec(
        False,
        unit="-",
        why="ours: a shop tells the customer a new date when the stock arrives, rather than keeping a promise it broke",
        doc=(
            "A backordered order gets a new promise (as if ordered when its last line is reserved, event "
            "`promise_renewed`) instead of keeping the one its stock-out broke; its delay is then a warehouse figure "
            "(stock-out delay) and not lateness the routing pays for."
        ),
    )
    late_compensation_yuan: float = field_spec(
        5.0,
        unit="yuan/late order",
        ge=0.0,
        le=10_000.0,
        why="JD pays about 5 yuan for a late self-operated order (JD rules, weak source)",
        doc=(
            "The most a late delivery costs the shop in compensation (yuan a late order); with "
            "late_compensation_yuan_per_hour 0 it is paid in full from the first minute late, as JD's rule does. "
            "Reported, not routed."
        ),
    )
    late_compensation_yuan_per_hour: float = field_spec(
        0.0,
        unit="yuan/h late",
        ge=0.0,
        le=10_000.0,
        why="JD's rule is flat (0 here); a rate models a policy that pays by the hour late, up to the cap (ours)",
        doc=(
            "Compensation that grows with the hours a delivery is late, capped at late_compensation_yuan; "
            "0 pays the cap for any lateness."
        ),
    )
    failed_attempt_share: float = field_spec(
        0.03,
        unit="share",
        ge=0.0,
        le=1.0,
        doc=(
            "Chance that a delivery attempt fails (nobody home); the parcel rides back and waits for the next day's window. "
            "Assumption, not sourced."
        ),
    )
    max_attempts: int = field_spec(
        2, unit="attempts", ge=1, le=10, doc="Attempts before an order ends `delivery_failed` (returned to the warehouse)."
    )

    def _rules(self) -> Iterator[Problem]:
        if sum(self.daily_profile) <= 0:
            yield Problem(("daily_profile",), "weights must not all be 0", self.daily_profile)
        yield from unique(("peaks",), [p.name for p in self.peaks], "peak name")
        widest = max(self.window_hours.standard, self.window_hours.expedited, self.window_hours.green_slot)
        if self.delivery_end_hour - self.delivery_start_hour < widest:
            yield Problem(
                ("delivery_end_hour",),
                (
                    f"the delivery day {num(self.delivery_start_hour)}-{num(self.delivery_end_hour)} h is shorter than the "
                    f"widest window ({num(widest)} h)"
                ),
                self.delivery_end_hour,
            )
        if self.promise == "day_definite" and self.cutoff_hour >= self.delivery_end_hour:
            yield Problem(
                ("cutoff_hour",),
                f"must be earlier than delivery_end_hour ({num(self.delivery_end_hour)}) for a same-day promise",
                self.cutoff_hour,
            )
        if self.next_day_due_hour <= self.delivery_start_hour:
            yield Problem(
                ("next_day_due_hour",),
                f"must be later than delivery_start_hour ({num(self.delivery_start_hour)})",
                self.next_day_due_hour,
            )


_CATEGORIES = ("electronics", "apparel", "home", "beauty", "food", "books", "sports", "toys")


@dataclass(frozen=True)
class CatalogConfig(Section):
    """``[catalog]``: the products on sale."""

    categories: tuple[str, ...] = field_spec(
        _CATEGORIES,
        unit="names",
        min_len=1,
        max_len=100,
        allowed="unique, non-empty names",
        why="ours: every consumer holds a taste per category",
        doc="Product categories; labels grade a product against its category.",
        default_doc="8 categories, see baseline.toml",
    )
    products: int = field_spec(
        400, unit="products", ge=1, le=1_000_000, allowed="at least one per category", doc="Number of products in the catalog."
    )
    green_share: float = field_spec(
        0.2, unit="share", ge=0.0, le=1.0, doc="Share of products that come in a green-certified variant."
    )
    green_premium: float = field_spec(
        0.05, unit="fraction of price", ge=0.0, le=1.0, doc="Price premium of a green variant (0.05 = 5% dearer, seed 000)."
    )
    green_footprint_cut: float = field_spec(
        0.3,
        unit="share",
        ge=0.0,
        le=1.0,
        doc="A green variant's production footprint is this much below its conventional twin's (assumption, not sourced).",
    )
    green_uptake: float = field_spec(
        0.25,
        unit="share",
        ge=0.0,
        le=1.0,
        doc="`exogenous` mode: share of purchases of a product with a green variant that take the green variant.",
    )

    def _rules(self) -> Iterator[Problem]:
        for i, name in enumerate(self.categories):
            if not name.strip():
                yield Problem(("categories", i), "must be a non-empty name", name)
        yield from unique(("categories",), self.categories, "category")
        if self.products < len(self.categories):
            yield Problem(("products",), f"must be >= the number of categories ({len(self.categories)})", self.products)


@dataclass(frozen=True)
class WarehouseConfig(Section):
    """``[warehouse]``: stock, forecasting, replenishment and the trunk legs from suppliers."""

    policy: Literal["sS"] = field_spec(
        "sS", unit="-", doc="Replenishment policy: `sS` reorders up to S when the stock position falls to s."
    )
    reorder_point: float = field_spec(
        3.0,
        unit="days of forecast demand",
        ge=0.0,
        le=365.0,
        doc="s: reorder when stock on hand plus on order covers this many days.",
    )
    order_up_to: float = field_spec(
        10.0,
        unit="days of forecast demand",
        gt=0.0,
        le=365.0,
        allowed=">= reorder_point",
        doc="S: a replenishment tops the stock position up to this many days; also the initial stock.",
    )
    lead_time_days: float = field_spec(
        2.0,
        unit="days",
        ge=0.0,
        le=90.0,
        doc="Time from a replenishment order to its receipt (road; rail legs add `rail_extra_days`).",
    )
    forecast: Literal["exp_smoothing"] = field_spec(
        "exp_smoothing", unit="-", doc="Demand forecast per product: simple exponential smoothing of daily sales."
    )
    alpha: float = field_spec(0.3, unit="-", gt=0.0, le=1.0, doc="Smoothing constant of the forecast (weight of the newest day).")
    supplier_km: tuple[float, ...] = field_spec(
        (250.0, 1200.0),
        unit="km",
        min_len=1,
        max_len=1000,
        item_gt=0.0,
        item_le=20000.0,
        why="20,000 km is half the Earth's circumference; the number of suppliers is ours",
        doc="Trunk distance from each supplier to the warehouse; each product gets one supplier at random (warehouse stream).",
    )
    rail_over_km: float = field_spec(
        800.0,
        unit="km",
        gt=0.0,
        le=20000.0,
        why="half the Earth's circumference",
        doc="Trunk legs longer than this go by rail when `road_to_rail` is on.",
    )
    road_to_rail: bool = field_spec(False, unit="-", doc="Allow the road-to-rail shift of long trunk legs.")
    rail_extra_days: float = field_spec(1.0, unit="days", ge=0.0, le=30.0, doc="Extra lead time of a rail leg over road.")
    pick_minutes_per_item: float = field_spec(
        1.0, unit="minutes/item", ge=0.0, le=60.0, doc="Picking time per item before an order can be packed."
    )
    pickers: int = field_spec(
        6, unit="pickers", ge=1, le=10_000, doc="Pickers working in parallel; an order waits for a free one."
    )
    kwh_per_parcel: float = field_spec(
        0.050,
        unit="kWh/parcel",
        ge=0.0,
        le=100.0,
        why="ours: 100 kWh would light a house for a week",
        doc=(
            "Electricity the warehouse uses a parcel it stores, picks and packs, times `fleet.grid_kg_per_kwh`: its hub"
            " operation category, split by mass over the day's parcels. Default: GLEC v3's ambient warehouse default, 17.5 kg"
            " CO2e/t, at a 1.56 kg parcel and 0.55 kg/kWh (labels/hub_operations.toml)."
        ),
    )
    road_kg_per_tkm: float = field_spec(
        0.08,
        unit="kg CO2e/tkm",
        ge=0.0,
        le=2.0,
        doc="Trunk leg by road, articulated truck (GLEC-style default intensity, DOMAIN.md 3.3; verify for your region).",
    )
    rail_kg_per_tkm: float = field_spec(
        0.022, unit="kg CO2e/tkm", ge=0.0, le=2.0, doc="Trunk leg by rail (indicative default intensity; verify for your region)."
    )

    def _rules(self) -> Iterator[Problem]:
        if self.order_up_to < self.reorder_point:
            yield Problem(("order_up_to",), f"must be >= reorder_point ({num(self.reorder_point)})", self.order_up_to)


@dataclass(frozen=True)
class BoxConfig(Section):
    """One packing box type (or mailer bag): its size, weight and material; its kg CO2e follow from them."""

    name: str = field_spec("box", unit="text", doc="Identifier of the box type.")
    volume_l: float = field_spec(20.0, unit="litres", gt=0.0, le=10000.0, why="ours: 10 m³", doc="Inner volume.")
    weight_kg: float = field_spec(
        0.3, unit="kg", gt=0.0, le=1000.0, why="ours", doc="Weight of the empty box (it rides with the order)."
    )
    material: str = field_spec(
        DEFAULT_MATERIAL,
        unit="-",
        allowed=f"a material of sim/world/{MATERIALS_FILE} ({', '.join(materials())})",
        doc=(
            "What the box is made of; its footprint a parcel is `weight_kg` x the material's kg CO2e per kg"
            f" (sim/world/{MATERIALS_FILE}, with the sources), amortised over the trips of a reusable one."
            " A material of form `mailer` is a soft bag, used only for `packing.mailer_categories`."
        ),
    )

    @property
    def made_of(self) -> Material:
        """The box's material (checked to exist when the box is built)."""
        return materials()[self.material]

    @property
    def kg_co2e(self) -> float:
        """kg CO2e one parcel in this box is charged (the amortised figure for a reusable box)."""
        return self.made_of.kg_co2e_per_trip(self.weight_kg)

    def _rules(self) -> Iterator[Problem]:
        known = materials()
        if self.material not in known:
            yield Problem(
                ("material",),
                f"unknown packaging material; allowed: {', '.join(known)} (sim/world/{MATERIALS_FILE})",
                self.material,
            )


# ours: four corrugated boxes; their weights are about what a regular slotted case of that size
# weighs in single-wall board (scenarios/baseline.toml states a real operation's carton mix)
_BOXES = (
    BoxConfig("S", 6.0, 0.15),
    BoxConfig("M", 20.0, 0.35),
    BoxConfig("L", 45.0, 0.65),
    BoxConfig("XL", 90.0, 1.10),
)
#: Categories whose goods travel in a plastic mailer when they fit (ours: clothes, cosmetics,
#: books, toys and sports goods are soft or packed by their maker; electronics, home goods and
#: food need a rigid box). In the baseline about 40 % of parcels then ship in a bag, the
#: share China Post reported for 2014 (5.6 bn bags vs 6.7 bn cartons, weak: REALISM.md).
_MAILER_CATEGORIES = ("apparel", "beauty", "books", "sports", "toys")


@dataclass(frozen=True)
class PackingConfig(Section):
    """``[packing]``: which box an order ships in."""

    policy: Literal["fixed", "smart"] = field_spec(
        "fixed",
        unit="-",
        doc=(
            "`fixed`: every order ships in `fixed_box` (several if needed); `smart`: the smallest box that fits"
            " (a mailer for soft goods that fit one, a reusable box for `reusable_share` of the boxed orders)."
        ),
    )
    boxes: tuple[BoxConfig, ...] = field_spec(
        _BOXES,
        unit="-",
        min_len=1,
        max_len=100,
        allowed="unique names",
        why="ours",
        default_doc="S 6 L, M 20 L, L 45 L, XL 90 L, corrugated",
        doc="The box catalog (`[[packing.boxes]]` tables), mailers and reusable boxes included.",
    )
    fixed_box: str = field_spec("L", unit="box name", allowed="a name in `boxes`", doc="The box used by the `fixed` policy.")
    fill_ratio: float = field_spec(
        0.8,
        unit="share of box volume",
        gt=0.0,
        le=1.0,
        doc="Usable share of a box's volume: items fit when their volume is at most this share of it.",
    )
    mailer_categories: tuple[str, ...] = field_spec(
        _MAILER_CATEGORIES,
        unit="category names",
        max_len=100,
        allowed="category names (a name not in `catalog.categories` matches nothing)",
        why="ours",
        default_doc=", ".join(_MAILER_CATEGORIES),
        doc=(
            "`smart` policy: an order whose lines are all of these categories ships in the smallest mailer"
            " (a box of a `mailer` material) that holds it; other orders, and soft ones too big for a mailer,"
            " get a box. Ours: soft goods or goods packed by their maker; about 40 % of Chinese parcels"
            " went in plastic bags in 2014 (China Post, weak)."
        ),
    )
    reusable_share: float = field_spec(
        0.0,
        unit="share of boxed orders",
        ge=0.0,
        le=1.0,
        doc=(
            "`smart` policy: share of the orders that would get a single-use box which ship in the smallest"
            " reusable box (a box of a reusable material) that holds them, drawn per order from the `packing`"
            " stream; the parcel carries the box's amortised footprint. 0: none."
        ),
    )

    def _rules(self) -> Iterator[Problem]:
        names = [b.name for b in self.boxes]
        yield from unique(("boxes",), names, "box name")
        yield from unique(("mailer_categories",), self.mailer_categories, "category")
        if self.fixed_box not in names:
            yield Problem(("fixed_box",), f"must name a box in packing.boxes; allowed: {', '.join(names)}", self.fixed_box)
        known = materials()
        kinds = [known[b.material] for b in self.boxes if b.material in known]
        if len(kinds) == len(self.boxes) and not any(not k.mailer and not k.reusable for k in kinds):
            yield Problem(
                ("boxes",),
                "must hold a single-use box (not a mailer, not reusable): an order that fits nothing else ships in it",
                names,
            )
        if self.reusable_share > 0 and len(kinds) == len(self.boxes) and not any(k.reusable for k in kinds):
            reusable = ", ".join(k.name for k in known.values() if k.reusable)
            yield Problem(
                ("reusable_share",),
                f"needs a box of a reusable material in packing.boxes (materials: {reusable})",
                self.reusable_share,
            )


@dataclass(frozen=True)
class VehicleConfig(Section):
    """One vehicle type of the fleet (optimizer.model.VehicleType, with the payload in kg)."""

    name: str = field_spec("van", unit="text", doc="Identifier of the type.")
    capacity_kg: float = field_spec(
        1500.0,
        unit="kg",
        gt=0.0,
        le=100_000.0,
        why="ours: four times the payload of a 40 t articulated truck",
        doc="Payload capacity.",
    )
    count: int = field_spec(
        1,
        unit="vehicles",
        ge=0,
        le=100_000,
        doc=(
            "How many vehicles of the type the fleet has; with several depots they are dealt over them in turn, "
            "and delivery stations get them in proportion to their planned parcels a day."
        ),
    )
    empty_kg_per_km: float = field_spec(
        0.18,
        unit="kg CO2e/km",
        ge=0.0,
        le=10.0,
        why="ours: ten times a loaded heavy truck (paper Table 2: 0.95)",
        doc="Emission factor when empty (paper Table 2).",
    )
    full_kg_per_km: float = field_spec(
        0.26,
        unit="kg CO2e/km",
        ge=0.0,
        le=10.0,
        allowed=">= empty_kg_per_km",
        why="ours: ten times a loaded heavy truck",
        doc="Emission factor at full load (paper Table 2).",
    )
    cost_per_km: float = field_spec(1.2, unit="yuan/km", ge=0.0, le=1000.0, why="ours", doc="Operating cost per road km.")
    fixed_cost: float = field_spec(
        50.0, unit="yuan/route", ge=0.0, le=1_000_000.0, why="ours", doc="Cost charged once per vehicle dispatched on a route."
    )
    cost_per_minute: float = field_spec(
        0.5, unit="yuan/min", ge=0.0, le=1000.0, why="ours", doc="Driver cost from departure to return."
    )
    capacity_m3: float = field_spec(
        0.0,
        unit="m³",
        ge=0.0,
        le=1000.0,
        allowed="0 (no volume limit) or > 0",
        why="ours: ten times a 13.6 m semi-trailer (about 90 m³)",
        doc=(
            "Volume capacity: the parcels' outer volume (box litres x boxes, or the goods' volume of an unpacked order)"
            " a route may carry, a second capacity beside the payload in the router, the dispatch trims and the"
            " `capacity` check; 0 means the volume never binds (and the type adds nothing to `load_factor_volume`)."
            " optimizer.model's trucks: 16 / 37 / 54 m³, the inner boxes of China's standard 4.2 / 6.8 / 9.6 m bodies (ours)."
        ),
    )
    electric: bool = field_spec(
        False,
        unit="-",
        doc=(
            "Battery-electric: its kg CO2e per km are kWh per km x the grid's intensity (written out in the two factors), and"
            " its routes' emissions are labelled as electric. optimizer.model.PRESETS has ready-made vans and e-tricycles"
            " (scenarios/vans.toml writes them out, with their sources)."
        ),
    )
    battery_kwh: float = field_spec(
        0.0,
        unit="kWh",
        ge=0.0,
        le=2000.0,
        allowed="0 (no range limit) or > 0",
        why="ours: about three times the largest electric truck packs (about 600 kWh)",
        doc=(
            "Usable battery: the kWh one route may use, charged full at the station between routes (`fleet.charger_kw`)."
            " A route that would need more is infeasible in the router (a third capacity resource, beside kg and m³), and"
            " the `battery` check asserts no drive ran flat. Real range is 60-70 % of the official (WLTP) figure"
            " (Arval / Millbrook test, Fleet News 2021): state the usable kWh at real consumption. 0: no limit."
        ),
    )
    kwh_per_km_empty: float = field_spec(
        0.0,
        unit="kWh/km",
        ge=0.0,
        le=5.0,
        doc="Consumption when empty (with a battery), times the road grade's factor as the kg.",
    )
    kwh_per_km_full: float = field_spec(
        0.0, unit="kWh/km", ge=0.0, le=5.0, allowed=">= kwh_per_km_empty", doc="Consumption at full payload."
    )

    zones: tuple[str, ...] = field_spec(
        (),
        unit="zone names",
        max_len=len(ZONE_NAMES),
        allowed=f"zone names: {', '.join(ZONE_NAMES)}",
        why="tricycles serve dense urban rounds and vans the sparse ones (REALISM.md, last mile)",
        doc=(
            "In the stations layout, the zones whose stations get vehicles of this type (dealt over them by their"
            " parcels a day); empty: every station. Ignored in the depots layout."
        ),
        default_doc="every zone",
    )
    energy_carrier: str = field_spec(
        "auto",
        unit="-",
        allowed="auto, or a carrier of labels/energy_carriers.toml (diesel, petrol, cng, electricity)",
        doc=(
            "What the type runs on, for the well-to-wheel and tank-to-wheel scopes of its kg CO2e"
            " (labels/energy_carriers.toml, with the sources): `auto` is electricity for an electric type, else diesel."
        ),
    )

    @property
    def carrier(self) -> str:
        """The energy carrier, `auto` resolved."""
        if self.energy_carrier == ELECTRICITY:
            return ELECTRICITY  # stated without electric = true: _rules names the mismatch
        return vehicle_carrier(self.energy_carrier, self.electric)

    def _rules(self) -> Iterator[Problem]:
        known = carriers()
        if self.energy_carrier != "auto" and self.energy_carrier not in known:
            yield Problem(
                ("energy_carrier",),
                f"unknown carrier; allowed: auto, {', '.join(known)} (labels/energy_carriers.toml)",
                self.energy_carrier,
            )
        elif self.energy_carrier != "auto" and (self.carrier == ELECTRICITY) != self.electric:
            yield Problem(
                ("energy_carrier",),
                "electricity goes with electric = true, and an electric type runs on electricity",
                self.energy_carrier,
            )
        for i, zone in enumerate(self.zones):
            if zone not in ZONE_NAMES:
                yield Problem(("zones", i), f"must be a zone name; allowed: {', '.join(ZONE_NAMES)}", zone)
        yield from unique(("zones",), self.zones, "zone")
        if self.full_kg_per_km < self.empty_kg_per_km:
            yield Problem(("full_kg_per_km",), f"must be >= empty_kg_per_km ({num(self.empty_kg_per_km)})", self.full_kg_per_km)
        if self.kwh_per_km_full < self.kwh_per_km_empty:
            yield Problem(
                ("kwh_per_km_full",), f"must be >= kwh_per_km_empty ({num(self.kwh_per_km_empty)})", self.kwh_per_km_full
            )
        if self.battery_kwh > 0 and self.kwh_per_km_full <= 0:
            yield Problem(
                ("kwh_per_km_full",), "a battery needs a consumption (kwh_per_km_empty / _full > 0)", self.kwh_per_km_full
            )

    @classmethod
    def from_model(cls, vt: VehicleType) -> VehicleConfig:
        return cls(
            vt.name,
            vt.capacity * KG_PER_CAPACITY_UNIT,
            vt.count,
            vt.empty_kg_per_km,
            vt.full_kg_per_km,
            vt.cost_per_km,
            vt.fixed_cost,
            vt.cost_per_minute,
            vt.capacity_m3 if math.isfinite(vt.capacity_m3) else 0.0,
            vt.electric,
            vt.battery_kwh if math.isfinite(vt.battery_kwh) else 0.0,
            vt.kwh_per_km_empty,
            vt.kwh_per_km_full,
        )

    def to_model(self, count: int | None = None) -> VehicleType:
        """The optimizer's VehicleType (capacity in units of 100 kg)."""
        return VehicleType(
            self.name,
            self.capacity_kg / KG_PER_CAPACITY_UNIT,
            self.count if count is None else count,
            self.empty_kg_per_km,
            self.full_kg_per_km,
            self.cost_per_km,
            self.fixed_cost,
            self.cost_per_minute,
            capacity_m3=self.capacity_m3 if self.capacity_m3 > 0 else math.inf,
            electric=self.electric,
            battery_kwh=self.battery_kwh if self.battery_kwh > 0 else math.inf,
            kwh_per_km_empty=self.kwh_per_km_empty,
            kwh_per_km_full=self.kwh_per_km_full,
        )


_VEHICLES = tuple(VehicleConfig.from_model(vt) for vt in (LIGHT_TRUCK, MEDIUM_TRUCK, HEAVY_TRUCK))


@dataclass(frozen=True)
class FleetConfig(Section):
    """``[fleet]``: the vehicle types and how many of them are electric."""

    vehicles: tuple[VehicleConfig, ...] = field_spec(
        _VEHICLES,
        unit="-",
        min_len=1,
        max_len=100,
        allowed="unique names; at least one vehicle in all",
        why="ours",
        doc=(
            "Vehicle types (`[[fleet.vehicles]]` tables); by default optimizer.model's light, medium and heavy trucks (paper"
            " Table 2)."
        ),
        default_doc="light 10 x 1500 kg / 16 m³, medium 5 x 5000 kg / 37 m³, heavy 2 x 12000 kg / 54 m³",
    )
    ev_share: float = field_spec(
        0.0,
        unit="share",
        ge=0.0,
        le=1.0,
        doc="Share of the `ev_replaces` vehicles swapped for electric vans of the same payload (rounded to whole vehicles).",
    )
    ev_replaces: str = field_spec(
        "light_truck",
        unit="vehicle name",
        allowed="a name in `vehicles` when ev_share > 0",
        doc="Which vehicle type the electric vans replace.",
    )
    grid_kg_per_kwh: float = field_spec(
        0.55, unit="kg CO2e/kWh", ge=0.0, le=2.0, doc="Carbon intensity of the grid that charges the electric vans."
    )
    ev_kwh_per_km_empty: float = field_spec(0.20, unit="kWh/km", gt=0.0, le=5.0, doc="Electric van consumption when empty.")
    ev_kwh_per_km_full: float = field_spec(
        0.28, unit="kWh/km", gt=0.0, le=5.0, allowed=">= ev_kwh_per_km_empty", doc="Electric van consumption at full load."
    )
    charger_kw: float = field_spec(
        0.0,
        unit="kW",
        ge=0.0,
        le=1000.0,
        allowed="0 (charged at once) or > 0",
        why="ours: above the fastest DC chargers (about 350 kW)",
        doc=(
            "Charging power at the station for vehicles with a `battery_kwh`: back from a route, a vehicle is available"
            " again once the kWh it used are back in (kWh / kW hours later). 0: charged at once."
        ),
    )
    shift_hours: float = field_spec(
        0.0,
        unit="h",
        ge=0.0,
        le=24.0,
        allowed="0 (no limit) or > 0",
        why="a day has 24 h; real courier shifts are 8-12 h (issue 14)",
        doc=(
            "Driver shift: the most hours a vehicle spends on routes in a day (by the day each route leaves)."
            " A wave plans with the depot closing when the shortest shift left among the idle vehicles ends (a later"
            " return is a late depot return, infeasible with hard windows, priced and then trimmed with soft ones);"
            " a vehicle with less than an hour left sits the day out. 0: no limit."
        ),
    )

    def _rules(self) -> Iterator[Problem]:
        names = [v.name for v in self.vehicles]
        yield from unique(("vehicles",), names, "vehicle name")
        if sum(v.count for v in self.vehicles) < 1:
            yield Problem(("vehicles",), "the fleet needs at least one vehicle (all counts are 0)", self.vehicles)
        if self.ev_share > 0 and self.ev_replaces not in names:
            yield Problem(("ev_replaces",), f"must name a vehicle type; allowed: {', '.join(names)}", self.ev_replaces)
        if self.ev_share > 0 and "electric_van" in names:
            yield Problem(
                ("vehicles",),
                "a vehicle type may not be named electric_van when ev_share > 0 (the electric vans take that name)",
                names,
            )
        if self.ev_kwh_per_km_full < self.ev_kwh_per_km_empty:
            yield Problem(
                ("ev_kwh_per_km_full",),
                f"must be >= ev_kwh_per_km_empty ({num(self.ev_kwh_per_km_empty)})",
                self.ev_kwh_per_km_full,
            )

    def _split(self) -> list[tuple[VehicleConfig, int, bool]]:
        """(configured type, vehicles, electric split) per fleet type, in order: ``ev_replaces``
        loses round(count x ev_share) vehicles to an electric van type of its payload."""
        out = []
        for v in self.vehicles:
            n_ev = math.floor(v.count * self.ev_share + 0.5) if v.name == self.ev_replaces else 0
            if v.count - n_ev > 0:
                out.append((v, v.count - n_ev, False))
            if n_ev:
                out.append((v, n_ev, True))
        return out

    def vehicle_zones(self) -> tuple[tuple[str, ...], ...]:
        """The ``zones`` of each of :meth:`vehicle_types` (an electric split keeps its type's)."""
        return tuple(v.zones for v, _, _ in self._split())

    def vehicle_types(self) -> tuple[VehicleType, ...]:
        """The fleet as optimizer VehicleTypes, with the electric vans split off ``ev_replaces``."""
        return tuple(
            VehicleType.electric_van(
                v.capacity_kg / KG_PER_CAPACITY_UNIT,
                n,
                grid_kg_per_kwh=self.grid_kg_per_kwh,
                kwh_per_km_empty=self.ev_kwh_per_km_empty,
                kwh_per_km_full=self.ev_kwh_per_km_full,
                capacity_m3=v.capacity_m3 if v.capacity_m3 > 0 else math.inf,
            )
            if electric
            else v.to_model(n)
            for v, n, electric in self._split()
        )


@dataclass(frozen=True)
class RoutingConfig(Section):
    """``[routing]``: how each dispatch wave is planned (paper section 2)."""

    policy: Literal[ALGORITHM_NAMES] = field_spec(  # type: ignore[valid-type]  # the router's registry
        "greedy",
        unit="-",
        doc=(
            "The routing algorithm of every wave, any of `optimizer.ALGORITHMS`: `greedy`, the nearest-neighbour baseline "
            "(one plan); `mogwo`, the multi-objective grey wolf optimizer (a Pareto front); `nsga2`, `mopso`, `moaco`, the "
            "paper's comparison algorithms on the same decoding."
        ),
    )
    w1: float = field_spec(
        0.6,
        unit="weight",
        ge=0.0,
        le=1.0,
        allowed="w1 + w2 > 0",
        doc="Weight of cost (plus time-window penalty) when picking the plan to execute (eq. 6).",
    )
    w2: float = field_spec(
        0.4,
        unit="weight",
        ge=0.0,
        le=1.0,
        allowed="w1 + w2 > 0",
        doc="Weight of emissions when picking the plan to execute (eq. 6).",
    )
    choose: Literal["weights", "knee"] = field_spec(
        "weights", unit="-", doc="Pick the plan by the weights, or the plan nearest the front's ideal point."
    )
    time_limit: float = field_spec(
        1.0,
        unit="seconds per wave",
        ge=0.0,
        le=3600.0,
        doc=(
            "Wall-clock cap on one wave's search; 0 = no cap. When it binds, results depend on machine speed: use 0 and "
            "`iterations` for reproducible logs."
        ),
    )
    wave_interval_minutes: float = field_spec(
        60.0,
        unit="minutes",
        ge=5.0,
        le=MINUTES_PER_DAY,
        doc="Time between dispatch waves; orders that miss a wave wait for the next.",
    )
    wave_hours: tuple[float, ...] = field_spec(
        (),
        unit="hours of day",
        max_len=24,
        item_ge=0.0,
        item_le=23.99,
        allowed="distinct hours in increasing order",
        why="a delivery station loads its vans in one to three waves a day (issue 14; REALISM.md, last mile)",
        doc=(
            "Loading waves at these hours of every day (e.g. `[7.5, 12.5]`) instead of one every "
            "`wave_interval_minutes`; empty: the interval."
        ),
        default_doc="none (waves every `wave_interval_minutes`)",
    )
    lookahead_minutes: float = field_spec(
        120.0,
        unit="minutes",
        ge=0.0,
        le=2880.0,
        doc="A wave takes the packed orders whose window opens within this time; later ones wait for a later wave.",
    )
    max_orders_per_wave: int = field_spec(
        300, unit="orders", ge=1, le=100_000, doc="Cap on one wave's orders (most urgent first); the rest wait for the next wave."
    )
    service_minutes: float = field_spec(
        5.0, unit="minutes/stop", ge=0.0, le=240.0, doc="Time at each customer to hand over a parcel."
    )
    population: int = field_spec(100, unit="wolves", ge=2, le=10_000, doc="MOGWO population size (paper: 100).")
    iterations: int = field_spec(200, unit="iterations per wave", ge=1, le=100_000, doc="MOGWO iteration budget (paper: 200).")
    ls_passes: int = field_spec(
        50,
        unit="sweeps",
        ge=0,
        le=1000,
        doc=(
            "MOGWO only: local-search sweeps per decoded plan (0 = none). The search's cost grows with it and with the "
            "wave's size; a few sweeps keep most of the gain."
        ),
    )
    engine_children: float = field_spec(
        0.25,
        unit="share of the population per iteration",
        ge=0.0,
        le=10.0,
        why="ours: measured best of 0.25 and 0.5 (BENCHMARKS.md j)",
        doc=(
            "Searching policies only: plans the routing engine makes between two updates of the population, each a crossover"
            " of two archive members educated by its granular local search (`optimizer.intensify`); 0 = none, the algorithm "
            "alone."
        ),
    )
    hard_windows: bool = field_spec(
        False, unit="-", doc="`true`: a late arrival makes a plan infeasible; `false`: lateness is penalised (eq. 7)."
    )
    late_weight: float = field_spec(
        1.5, unit="yuan/min", ge=0.0, le=1000.0, why="ours", doc="lambda of eq. 7: penalty per minute late."
    )
    early_weight: float = field_spec(
        0.3, unit="yuan/min", ge=0.0, le=1000.0, why="ours", doc="mu of eq. 7: penalty per minute early (the vehicle waits)."
    )

    def _rules(self) -> Iterator[Problem]:
        if self.w1 + self.w2 <= 0:
            yield Problem(("w2",), "w1 + w2 must be > 0 (both weights are 0)", self.w2)
        if any(b <= a for a, b in zip(self.wave_hours, self.wave_hours[1:])):
            yield Problem(("wave_hours",), "hours must be distinct and increasing", self.wave_hours)


@dataclass(frozen=True)
class LabelsConfig(Section):
    """``[labels]``: per-order footprints and the carbon labels shown on products."""

    method: Literal["toc_tonne_km", "demand_share", "tonne_km"] = field_spec(
        "demand_share",
        unit="-",
        doc=(
            "How vehicles' emissions are split over the parcels: `toc_tonne_km` (ISO 14083 5.6: a day's routes of one vehicle"
            " type, and a day's line-haul trucks, pooled as a transport operation category and split by tonne-km over each"
            " parcel's shortest feasible distance), `demand_share` (seed eq. 5: each arc of a route by the demand on board) or"
            " `tonne_km` (one route by tonne-km)."
        ),
    )
    grade_thresholds: tuple[float, ...] = field_spec(
        (0.6, 0.85, 1.15, 1.5),
        unit="ratio to the category median",
        min_len=1,
        max_len=len(GRADE_LETTERS) - 1,
        item_gt=0.0,
        item_le=100.0,
        allowed="strictly increasing",
        why="one grade letter A..Z per band; the 100 is ours",
        doc=(
            "Upper bounds of grades A, B, C, ...: a product whose footprint / category median is <= the first value gets A; "
            "above the last, the last grade (E by default)."
        ),
    )
    scope: Literal["ttw", "wtw"] = field_spec(
        "wtw",
        unit="-",
        why="ISO 14083 and the GLEC Framework v3 report well-to-wheel",
        doc=(
            "Scope of the labels: well-to-wheel (fuel and electricity supply in; an electric parcel is never 0 kg) or"
            " tank-to-wheel. Every footprint records both (`footprint_computed.data.scopes`)."
        ),
    )
    display: bool = field_spec(
        True,
        unit="-",
        doc=(
            "Show the carbon label (grade) on products in `sessions` mode; `false` removes the label term from consumers' "
            "choices (the control arm)."
        ),
    )
    rolling_days: int = field_spec(14, unit="days", ge=1, le=365, doc="Window of the rolling product label.")
    hysteresis: float = field_spec(
        0.05,
        unit="fraction of a threshold",
        ge=0.0,
        le=1.0,
        doc="A product changes grade only when its ratio is past a grade boundary by more than this fraction of it (no flicker).",
    )
    low_carbon_max_grade: str = field_spec(
        "B",
        unit="grade letter",
        allowed="a grade the thresholds define (A, B, ...)",
        doc="Products graded this or better carry the low-carbon flag.",
    )
    include_production: bool = field_spec(
        False, unit="-", doc="Count the items' production footprint in an order's label total (it is always reported as a part)."
    )

    def _rules(self) -> Iterator[Problem]:
        t = self.grade_thresholds
        if any(b <= a for a, b in zip(t, t[1:])):
            yield Problem(("grade_thresholds",), "must be strictly increasing", t)
        letters = GRADE_LETTERS[: len(t) + 1]
        if len(self.low_carbon_max_grade) != 1 or self.low_carbon_max_grade not in letters:
            yield Problem(("low_carbon_max_grade",), f"must be one of the grades {', '.join(letters)}", self.low_carbon_max_grade)


@dataclass(frozen=True)
class ConsumersConfig(Section):
    """``[consumers]``: the population's preferences and the choice model (`sessions` mode).

    Utility of a shown product (recommender/choice.py)::

        V = taste[category] + match - price_sensitivity * log(price_paid / category price)
            + intention_gap * affinity * beta_green * green + display * trust * affinity * beta_label * label
            + log(attention at its slate position)
    """

    trust_share: float = field_spec(
        0.45,
        unit="share",
        ge=0.0,
        le=1.0,
        doc=(
            "Share of consumers who fully trust the platform's green labels (about 45%, seed 000); the others trust them "
            "uniformly between 0 and 0.5."
        ),
    )
    price_sensitivity: float = field_spec(
        2.0,
        unit="utility per log price ratio",
        gt=0.0,
        le=50.0,
        doc=(
            "Mean coefficient on the log of price over the category's typical price (lognormal over consumers). 2 makes a 5%"
            " premium cost about 0.1 utility."
        ),
    )
    price_sensitivity_spread: float = field_spec(
        0.4, unit="sd of log", ge=0.0, le=3.0, doc="Spread of price sensitivity over consumers (lognormal sigma)."
    )
    green_affinity: float = field_spec(
        0.4,
        unit="share",
        gt=0.0,
        lt=1.0,
        doc="Mean green affinity in [0, 1] (Beta with concentration 5); scales the green and the label terms.",
    )
    beta_green: float = field_spec(
        1.0,
        unit="utility",
        ge=0.0,
        le=20.0,
        doc="Stated utility of a green-certified product (or the green slot) at full affinity.",
    )
    intention_gap: float = field_spec(
        0.3,
        unit="share",
        ge=0.0,
        le=1.0,
        doc="Share of the stated green preference that shows in choices (BCG 2022: up to 80% concerned, 1-7% paid a premium).",
    )
    beta_label: float = field_spec(
        0.25,
        unit="utility per grade step",
        ge=0.0,
        le=10.0,
        doc=(
            "Utility of each grade step better than the middle grade (A = +2 ... E = -2 with five grades) for a fully "
            "trusting consumer of full affinity."
        ),
    )
    match_spread: float = field_spec(
        0.7,
        unit="utility (sd)",
        ge=0.0,
        le=5.0,
        doc=(
            "Spread of the consumer-product match term (latent factors): the personal taste a learned recommender can find "
            "and popularity cannot."
        ),
    )
    intent_share: float = field_spec(
        0.08,
        unit="share of sessions",
        gt=0.0,
        le=1.0,
        doc=(
            "Share of sessions (visits) with shopping intent: they are served a slate and choose by the logit; the rest "
            "leave without considering one and are only counted. Ours, from published funnels: 6.4-7.9 % of e-commerce "
            "sessions add to cart (Dynamic Yield benchmarks 2023-24, via Opensend 2025, weak). 0.08 x the logit's purchase "
            "probability given intent (about 0.44 at `no_buy` 2.5) makes about 3.5 % of sessions buy, inside 2.6 % (global "
            "average, Invesp 2023) to 13 % (Amazon non-Prime, Millward Brown Digital via Digital Commerce 360, 2015). "
            "1 is the pre-issue-14 model, where every session had intent."
        ),
    )
    no_buy: float = field_spec(
        2.5,
        unit="utility",
        ge=-10.0,
        le=20.0,
        doc="Utility of leaving without buying; sets the purchase probability of a session with intent (about 0.44 at 2.5).",
    )
    browse_click: float = field_spec(
        0.3,
        unit="probability",
        ge=0.0,
        le=1.0,
        doc="Chance that a session with intent that buys nothing still clicks a product (which one follows the same logit).",
    )
    points_kappa: float = field_spec(
        0.6,
        unit="share of cash value",
        ge=0.0,
        le=1.0,
        doc="What a point is worth to a consumer relative to its cash value (DOMAIN.md 4.4: 0.5-0.8, an assumption).",
    )


@dataclass(frozen=True)
class RecommenderConfig(Section):
    """``[recommender]``: what consumers are shown (`sessions` mode)."""

    model: Literal["popularity", "learned"] = field_spec(
        "popularity",
        unit="-",
        doc=(
            "Ranking model serving the slates: `popularity` (weighted clicks and purchases) or `learned` (item-item "
            "similarity over the logged implicit feedback). Both are trained and evaluated in every run."
        ),
    )
    green_boost: float = field_spec(
        0.0,
        unit="fraction of score",
        ge=0.0,
        le=10.0,
        doc=(
            "Green re-rank: a green product's score is multiplied by 1 + green_boost x (the consumer's green-likely score / "
            "its prior mean)."
        ),
    )
    slate_size: int = field_spec(
        10,
        unit="products",
        ge=1,
        le=100,
        allowed="<= candidates",
        doc="Products shown per slate, one slate a session with intent (also the k of the hit rate at k).",
    )
    candidates: int = field_spec(
        50,
        unit="products",
        ge=1,
        le=10_000,
        doc=(
            "Products retrieved per session with intent (sampled by appeal and the consumer's category taste) that the model "
            "ranks to fill the slate."
        ),
    )
    explore_share: float = field_spec(
        0.05,
        unit="share of sessions with intent",
        ge=0.0,
        le=1.0,
        doc=(
            "Sessions with intent shown their retrieval sample unranked (an exploration bucket, the same whatever the model); "
            "their purchases are the held-out set both models' hit rates are measured on."
        ),
    )
    retrain_days: int = field_spec(
        1,
        unit="days",
        ge=1,
        le=365,
        doc=(
            "Days between retrainings (at midnight); each retraining first scores the previous models on the purchases made "
            "since."
        ),
    )


@dataclass(frozen=True)
class IncentivesConfig(Section):
    """``[incentives]``: points for green choices (none in the baseline)."""

    points_per_green_purchase: int = field_spec(
        0, unit="points/unit", ge=0, le=1_000_000, doc="Points for each unit of a green product bought (`sessions` mode)."
    )
    points_per_green_slot: int = field_spec(
        0,
        unit="points/order",
        ge=0,
        le=1_000_000,
        doc="Points for choosing the green consolidated delivery slot (`sessions` mode).",
    )
    points_per_pickup: int = field_spec(
        0,
        unit="points/order",
        ge=0,
        le=1_000_000,
        doc="Points for taking an order to a pickup point or locker instead of the door (`sessions` mode).",
    )
    budget: int = field_spec(
        0,
        unit="points per run",
        ge=0,
        le=10**12,
        allowed="> 0 when any points are offered",
        why="ours",
        doc="Total points that may be issued over the run; offers stop when it is spent.",
    )
    point_value: float = field_spec(
        0.01,
        unit="yuan/point",
        ge=0.0,
        le=100.0,
        doc="Cash value of a point: what it takes off a price when redeemed, and its cost to the platform.",
    )
    max_redeem_share: float = field_spec(
        0.2, unit="share of order value", ge=0.0, le=1.0, doc="At most this share of an order's value may be paid with points."
    )

    def _rules(self) -> Iterator[Problem]:
        if (self.points_per_green_purchase or self.points_per_green_slot or self.points_per_pickup) and self.budget == 0:
            yield Problem(("budget",), "points are offered but the budget is 0; set a budget in points", self.budget)


#: Largest catalog `sessions` mode accepts (its item-item similarity is dense).
SESSIONS_MAX_PRODUCTS = 5000


@dataclass(frozen=True)
class Scenario(Section):
    """A complete, validated scenario: one field per TOML table."""

    simulation: SimulationConfig = field(default_factory=SimulationConfig)
    world: WorldConfig = field(default_factory=WorldConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    demand: DemandConfig = field(default_factory=DemandConfig)
    catalog: CatalogConfig = field(default_factory=CatalogConfig)
    warehouse: WarehouseConfig = field(default_factory=WarehouseConfig)
    packing: PackingConfig = field(default_factory=PackingConfig)
    fleet: FleetConfig = field(default_factory=FleetConfig)
    routing: RoutingConfig = field(default_factory=RoutingConfig)
    labels: LabelsConfig = field(default_factory=LabelsConfig)
    consumers: ConsumersConfig = field(default_factory=ConsumersConfig)
    recommender: RecommenderConfig = field(default_factory=RecommenderConfig)
    incentives: IncentivesConfig = field(default_factory=IncentivesConfig)
    pickup: PickupConfig = field(default_factory=PickupConfig)

    def _rules(self) -> Iterator[Problem]:
        depots = self.world.depots if isinstance(self.world.depots, int) else len(self.world.depots)
        vehicles = sum(v.count for v in self.fleet.vehicles)
        if self.network.layout == "depots" and vehicles < depots:
            yield Problem(
                ("fleet", "vehicles"),
                f"the fleet has {vehicles} vehicles for {depots} depots; every depot needs at least one",
                vehicles,
            )
        if self.demand.mode == "sessions" and self.catalog.products > SESSIONS_MAX_PRODUCTS:
            yield Problem(
                ("catalog", "products"),
                f"must be <= {SESSIONS_MAX_PRODUCTS} in `sessions` mode (the learned recommender keeps a dense"
                ' product x product similarity); use demand.mode = "exogenous" for larger catalogs',
                self.catalog.products,
            )
        if self.recommender.slate_size > self.recommender.candidates:
            yield Problem(
                ("recommender", "slate_size"),
                f"must be <= recommender.candidates ({self.recommender.candidates}): the slate is filled from the candidates",
                self.recommender.slate_size,
            )

    TABLES: ClassVar[tuple[str, ...]] = (
        "simulation",
        "world",
        "network",
        "demand",
        "catalog",
        "warehouse",
        "packing",
        "fleet",
        "routing",
        "labels",
        "consumers",
        "recommender",
        "incentives",
        "pickup",
    )

    # -- loading --------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike, overrides: Sequence[str] = (), *, allow_large: bool = False) -> Scenario:
        """Load a TOML scenario, resolving ``extends`` and applying ``table.key=value`` overrides.

        A scenario whose :meth:`expected_work` passes :data:`MAX_EXPECTED_EVENTS` is refused
        unless ``allow_large`` (the CLI's ``--allow-large``): the file states what a user is
        about to run, so this is where a typo's 1.7 TB of log is stopped."""
        path = Path(path)
        scenario = cls._load(load_chain(path, str(path), ()), overrides, str(path))
        if not allow_large:
            problem = scenario.expected_work().problem()
            if problem is not None:
                raise ScenarioError.of([problem], str(path))
        return scenario

    @classmethod
    def from_toml(
        cls, text: str, *, source: str = "<string>", overrides: Sequence[str] = (), base: str | os.PathLike = "."
    ) -> Scenario:
        """Load scenario text; ``extends`` is resolved relative to ``base``.

        No cap on expected work here: text is how an accepted scenario travels to a compare
        worker (sim.experiments.Job); the cap is applied where a user names a file."""
        raw = parse(text, source)
        chain = resolve_extends(raw, source, Path(base) / "<string>", ())
        return cls._load(chain, overrides, source)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "<dict>") -> Scenario:
        """A validated scenario from plain data (as produced by :meth:`to_dict`)."""
        if not isinstance(data, dict):
            raise ScenarioError.of([Problem((), "a scenario must be a table (dict)", data)], source)
        try:
            return from_mapping(cls, data)
        except ScenarioError as exc:
            raise ScenarioError.of([dataclasses.replace(p, source=source) for p in exc.problems]) from None

    @classmethod
    def _load(cls, chain: list[tuple[str, dict]], overrides: Sequence[str], top: str) -> Scenario:
        merged: dict = {}
        prov: dict[Path_, tuple[int, str]] = {}
        for rank, (label, raw) in enumerate(chain):
            merged = merge(merged, raw)
            for leaf in leaves(raw):
                prov[leaf] = (rank, label)
        problems: list[Problem] = []
        rank = len(chain)
        for text in overrides:
            label = f"{top} (--set {clip(text)})"
            try:
                parts, value = parse_override(text, cls)
                merged = apply_override(merged, parts, value, cls)
            except ScenarioError as exc:
                problems.extend(dataclasses.replace(p, source=label) for p in exc.problems)
                continue
            prov[flat(parts)] = (rank, label)
        try:
            scenario = from_mapping(cls, merged)
        except ScenarioError as exc:
            problems.extend(dataclasses.replace(p, source=source_of(p.path, prov, top)) for p in exc.problems)
            scenario = None
        if problems:
            raise ScenarioError.of(problems)
        return scenario

    def apply_overrides(self, overrides: Sequence[str]) -> Scenario:
        """A copy with ``table.key=value`` overrides applied and validated."""
        return Scenario._load([("<scenario>", self.to_dict())], overrides, "<scenario>")

    def expected_work(self) -> Work:
        """The expected orders, sessions and logged events of a run (see :class:`Work`)."""
        return Work.of(self)

    # -- output ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Plain JSON-ready data (tables as dicts, arrays as lists, the date as ISO text)."""
        return plain(self, dates_as_text=True)

    def canonical_json(self) -> str:
        """Sorted-key compact JSON of :meth:`to_dict`, the input of :meth:`canonical_hash`."""
        return canonical_json(self.to_dict())

    def canonical_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON: equal scenarios hash equal, whatever file they came from."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML text (loads back to an equal scenario)."""
        return dumps_toml(plain(self))
