"""The KPI registry: one declaration per figure of a run, read by every table that shows one.

A KPI is a field of :class:`sim.analysis.summary.RunSummary` with its label, unit, number
format, whether it is a share in [0, 1] (printed in %, its differences in percentage points),
which direction is better, and the group it is shown in. The run table (``carbonsim run`` and
``kpis``), the HTML report and ``compare``/``sweep`` all read this list, so a new KPI is one
line here plus its query in the summary, and a label cannot drift between two tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.analysis.summary import RunSummary


@dataclass(frozen=True)
class Kpi:
    """One figure of a run (``key`` is a :class:`RunSummary` field)."""

    key: str
    label: str
    unit: str  # what the number counts: "orders", "km", "kg CO2e/order"; "%" for a share
    group: str
    digits: int = 0  # decimals shown (of the percentage, for a share)
    share: bool = False
    better: int = 0  # +1: higher is better, -1: lower is better, 0: neither
    #: Shown only when it has a value (None) or is not zero: figures of a mode or a policy the
    #: run may not use (sessions, points, the learned recommender).
    optional: bool = False
    #: One of the KPIs compared across runs (compare, sweep and the report's comparison).
    compared: bool = False

    def format(self, value: Any) -> str:
        """The number as a table shows it, without the unit; a dash for a missing value."""
        if value is None:
            return "—"
        if self.share:
            return f"{100 * value:.{self.digits}f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return f"{value:,.{self.digits}f}"

    def text(self, value: Any) -> str:
        """The number with its unit where the unit is not already the label's noun (a count of
        orders is "1,234", a share "95.0 %", a mass "12.3 kg CO2e")."""
        shown = self.format(value)
        if value is None:
            return shown
        if self.share:
            return f"{shown} %"
        return shown if self.unit in _COUNT_UNITS else f"{shown} {self.unit}"

    @property
    def heading(self) -> str:
        """The label with its unit, for a column or a row whose cells are bare numbers."""
        return self.label if self.unit in _COUNT_UNITS else f"{self.label} ({self.unit})"

    def shown_for(self, summary: RunSummary) -> bool:
        value = getattr(summary, self.key)
        return not self.optional or bool(value)


#: Units that name what a count counts: the label already says it.
_COUNT_UNITS = frozenset({"orders", "waves", "routes", "vehicles", "stations", "lines", "sessions", "points", "events", "labels"})

#: The groups, in the order tables show them.
GROUPS: tuple[str, ...] = ("orders and service", "fleet", "emissions", "consumers and green choices", "the run itself")

_SERVICE, _FLEET, _EMISSIONS, _CONSUMERS, _RUN = GROUPS

KPIS: tuple[Kpi, ...] = (
    Kpi("orders", "orders", "orders", _SERVICE, compared=True),
    Kpi("delivered", "delivered", "orders", _SERVICE, compared=True),
    Kpi("failed", "failed", "orders", _SERVICE, better=-1),
    Kpi("on_time_share", "on time", "%", _SERVICE, 1, share=True, better=+1, compared=True),
    Kpi("mean_lateness_minutes", "mean lateness of late deliveries", "min", _SERVICE, better=-1),
    Kpi("late_minutes_per_order", "minutes late per delivered order", "min/order", _SERVICE, better=-1),
    Kpi("failed_first_attempt_share", "failed first delivery attempts", "%", _SERVICE, 1, share=True, better=-1),
    Kpi("pickup_share", "delivered to pickup points", "%", _SERVICE, 1, share=True, optional=True),
    Kpi("compensation_per_order", "late-delivery compensation per order", "yuan/order", _SERVICE, 2, better=-1, optional=True),
    Kpi("stockouts", "stock-outs", "lines", _SERVICE, better=-1, compared=True),
    Kpi("backordered_orders", "backordered orders", "orders", _SERVICE, better=-1),
    Kpi("stockout_delay_hours", "mean wait for stock (backordered orders)", "h", _SERVICE, 1, better=-1),
    Kpi("waves", "dispatch waves", "waves", _FLEET),
    Kpi("routes", "routes", "routes", _FLEET),
    Kpi("vehicles_used", "vehicles used", "vehicles", _FLEET),
    Kpi("stations", "stations dispatching", "stations", _FLEET),
    Kpi("stops_per_route", "stops per route", "stops/route", _FLEET, 1, better=+1),
    Kpi("km", "distance driven", "km", _FLEET, better=-1, compared=True),
    Kpi("km_per_parcel", "distance per delivered parcel", "km/order", _FLEET, 2, better=-1),
    Kpi("shift_hours_max", "longest vehicle-day on the road", "h", _FLEET, 1, better=-1),
    Kpi("load_factor", "load factor by payload weight", "%", _FLEET, 1, share=True, better=+1, compared=True),
    Kpi("load_factor_volume", "load factor by volume", "%", _FLEET, 1, share=True, better=+1, optional=True),
    Kpi("cost_per_order", "transport cost per order", "yuan/order", _FLEET, 2, better=-1, compared=True),
    Kpi("penalty_per_order", "time-window penalty per order", "yuan/order", _FLEET, 2, better=-1, compared=True),
    Kpi("kg_co2e_last_mile", "last mile", "kg CO2e", _EMISSIONS, 1, better=-1),
    Kpi("kg_co2e_linehaul", "line-haul hub to stations", "kg CO2e", _EMISSIONS, 1, better=-1, optional=True),
    Kpi("kg_co2e_trunk", "trunk legs", "kg CO2e", _EMISSIONS, 1, better=-1),
    Kpi("kg_co2e_packaging", "packaging", "kg CO2e", _EMISSIONS, 1, better=-1),
    Kpi("kg_co2e_total", "total emissions", "kg CO2e", _EMISSIONS, 1, better=-1),
    Kpi("kg_co2e_per_order", "kg CO2e per order", "kg CO2e/order", _EMISSIONS, 3, better=-1, compared=True),
    Kpi("kg_co2e_per_order_transport", "of which transport", "kg CO2e/order", _EMISSIONS, 3, better=-1, compared=True),
    Kpi("kg_co2e_last_mile_per_order", "transport: last mile", "kg CO2e/order", _EMISSIONS, 3, better=-1),
    Kpi("kg_co2e_per_order_packaging", "of which packaging", "kg CO2e/order", _EMISSIONS, 3, better=-1, compared=True),
    Kpi("footprint_total_per_order", "order label (mean)", "kg CO2e/order", _EMISSIONS, 3, better=-1, compared=True),
    Kpi("footprint_wtw_per_order", "footprint, well-to-wheel", "kg CO2e/order", _EMISSIONS, 3, better=-1, optional=True),
    Kpi("footprint_ttw_per_order", "footprint, tank-to-wheel", "kg CO2e/order", _EMISSIONS, 3, better=-1, optional=True),
    Kpi("footprint_last_mile_per_order", "label: last mile", "kg CO2e/order", _EMISSIONS, 3, better=-1),
    Kpi("footprint_linehaul_per_order", "label: line-haul", "kg CO2e/order", _EMISSIONS, 3, better=-1, optional=True),
    Kpi("footprint_trunk_per_order", "label: trunk legs", "kg CO2e/order", _EMISSIONS, 3, better=-1, compared=True),
    Kpi(
        "footprint_handling_per_order",
        "label: warehouse, hub, stations",
        "kg CO2e/order",
        _EMISSIONS,
        3,
        better=-1,
        compared=True,
    ),
    Kpi("footprint_packaging_per_order", "label: packaging", "kg CO2e/order", _EMISSIONS, 3, better=-1),
    Kpi("footprint_production_per_order", "production per order (not in the label)", "kg CO2e/order", _EMISSIONS, 3),
    Kpi("rail_share_tkm", "rail share of trunk tkm", "%", _EMISSIONS, 0, share=True, better=+1),
    Kpi("labels_issued", "labels issued", "labels", _EMISSIONS),
    Kpi("grade_changes", "grade changes", "labels", _EMISSIONS),
    Kpi("sessions", "sessions", "sessions", _CONSUMERS, optional=True),
    Kpi("conversion", "conversion", "%", _CONSUMERS, 1, share=True, better=+1, optional=True),
    Kpi("ctr", "click-through per product shown", "%", _CONSUMERS, 1, share=True, better=+1, optional=True),
    Kpi("green_exposure_share", "green share of exposure", "%", _CONSUMERS, 1, share=True, better=+1, optional=True),
    Kpi("green_sales_share", "green share of units sold", "%", _CONSUMERS, 1, share=True, better=+1, compared=True),
    Kpi("green_slot_uptake", "green slot uptake", "%", _CONSUMERS, 1, share=True, better=+1, compared=True),
    Kpi("points_issued", "points issued", "points", _CONSUMERS, optional=True, compared=True),
    Kpi("points_redeemed", "points redeemed", "points", _CONSUMERS, optional=True),
    Kpi("points_cost_per_order", "points cost per order", "yuan/order", _CONSUMERS, 2, better=-1, optional=True),
    Kpi("points_liability", "points liability at the end", "yuan", _CONSUMERS, 2, better=-1, optional=True),
    Kpi("hit_rate_learned", "hit rate, learned recommender", "%", _CONSUMERS, 1, share=True, better=+1, optional=True),
    Kpi("hit_rate_popularity", "hit rate, popularity", "%", _CONSUMERS, 1, share=True, optional=True),
    Kpi("events", "events logged", "events", _RUN),
    Kpi("wall_seconds", "wall-clock time", "s", _RUN, 1),
    Kpi("routing_seconds", "of which routing", "s", _RUN, 1),
)

BY_KEY: dict[str, Kpi] = {k.key: k for k in KPIS}

#: The KPIs compared across runs, in table order.
COMPARED: tuple[Kpi, ...] = tuple(k for k in KPIS if k.compared)


def kpi(key: str) -> Kpi:
    """The KPI ``key``; a KeyError names the known keys."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"no KPI {key!r}; known: {', '.join(BY_KEY)}") from None


#: The columns of a per-station or per-zone breakdown (:mod:`sim.analysis.breakdown`; each key
#: is a :class:`~sim.analysis.breakdown.GroupKpis` field), in table order; ``optional`` ones are
#: shown only when the run has them (line-haul). The labels are column headings, short, with their
#: units in them (kg is kg CO2e); ``unit`` is the unit as everywhere else.
BREAKDOWN: tuple[Kpi, ...] = (
    Kpi("orders", "orders", "orders", _SERVICE),
    Kpi("delivered", "delivered", "orders", _SERVICE),
    Kpi("on_time_share", "on time", "%", _SERVICE, 1, share=True, better=+1),
    Kpi("routes", "routes", "routes", _FLEET, 0),
    Kpi("stops_per_route", "stops/route", "stops/route", _FLEET, 1, better=+1),
    Kpi("km", "km", "km", _FLEET, 0, better=-1),
    Kpi("km_per_parcel", "km/parcel", "km/order", _FLEET, 2, better=-1),
    Kpi("kg_co2e_last_mile_per_parcel", "kg/parcel last mile", "kg CO2e/order", _EMISSIONS, 3, better=-1),
    Kpi("kg_co2e_linehaul_per_parcel", "kg/parcel line-haul", "kg CO2e/order", _EMISSIONS, 3, better=-1, optional=True),
)


def in_group(group: str) -> tuple[Kpi, ...]:
    return tuple(k for k in KPIS if k.group == group)
