"""The run summary (KPIs), computed from the event log alone.

Everything here is a query over ``events`` (and the run's row in ``runs``), so the summary a
run prints and the one recomputed later from its file are the same numbers by construction.
Per-order figures divide by the orders delivered: emissions of trunk legs and packaging go
with the goods that reached customers.

The realism figures of issue 14 (``stops_per_route`` ... ``shift_hours_max``) are the ones
``carbonsim calibrate`` holds against published bands. A figure the world does not model yet
(pickup points; volume where no vehicle type has a volume capacity) is None, never a made-up zero, so
a reader can tell "not modelled" from "zero".

The consumer figures (sessions mode, :mod:`sim.world.sessions`) add the sessions that are logged
(those that clicked or bought) to those counted in the hourly ``sessions_counted`` events:

* ``sessions``: ``session_started`` events + the ``quantity`` (sessions) of ``sessions_counted``;
* ``conversion``: ``order_placed`` events with a session / ``sessions`` (every visit, bounces
  included);
* ``ctr``: ``product_clicked`` events / products shown, products shown = the ``quantity`` of
  ``slate_shown`` + the ``slots`` of ``sessions_counted`` (a bounce is shown no slate);
* ``green_exposure_share``: the position-weighted green exposure / the exposure, each summed
  over ``slate_shown`` and ``sessions_counted``;
* ``hit_rate_*``: from ``recommender_trained``, weighted by the purchases each scored.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass

from optimizer.units import MINUTES_PER_DAY
from sim.analysis.queries import STOP_ARRIVAL
from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field


@dataclass(frozen=True)
class RunSummary:
    """Key figures of one run. Units: km, kg CO2e, yuan, minutes; shares in [0, 1]."""

    run_id: int
    scenario: str
    seed: int
    status: str
    days: int
    orders: int
    delivered: int
    failed: int
    open_orders: int
    on_time_share: float
    mean_lateness_minutes: float  # over late deliveries
    failed_first_attempt_share: float  # doorstep first attempts that failed / doorstep first attempts
    stockout_delay_hours: float  # mean wait from an order's first stock-out to its last line reserved (resupplied orders)
    compensation_per_order: float | None  # yuan: late deliveries' capped compensation / delivered
    late_minutes_per_order: float  # minutes late summed over deliveries / delivered (on-time ones count 0)
    pickup_share: float | None  # parcels delivered to a pickup point or locker / delivered; None: the run had no sites
    waves: int
    waves_time_capped: int
    routes: int
    vehicles_used: int
    stations: int  # depots that dispatched at least one route
    stops_per_route: float  # stops made (arrivals at a door, or at a pickup site however many parcels) / routes
    km_per_parcel: float  # km driven on routes / delivered
    shift_hours_max: float  # longest vehicle-day on the road: route hours summed per vehicle and day of departure
    load_factor_volume: float | None  # m³ carried / m³ capacity over departures of types with one; None if none has
    km: float
    kg_co2e_last_mile: float
    kg_co2e_linehaul: float  # hub -> station trucks, round trips (stations layout; 0 in the paper world)
    kg_co2e_trunk: float
    kg_co2e_transport: float
    kg_co2e_packaging: float
    kg_co2e_total: float
    kg_co2e_per_order: float
    kg_co2e_per_order_transport: float
    kg_co2e_last_mile_per_order: float
    kg_co2e_per_order_packaging: float
    cost: float
    cost_per_order: float
    penalty_per_order: float
    load_factor: float  # by payload weight; also in to_dict() as load_factor_weight (issue 14's name)
    stockouts: int
    backordered_orders: int
    replenishments: int
    rail_share_tkm: float
    labels_issued: int
    grade_changes: int
    footprint_scope: str
    footprint_last_mile_per_order: float  # mean order footprint by part (label scope), delivered orders
    footprint_linehaul_per_order: float
    footprint_trunk_per_order: float
    footprint_handling_per_order: float  # the warehouse, hub and stations (hub operation categories)
    footprint_packaging_per_order: float
    footprint_production_per_order: float
    footprint_total_per_order: float
    footprint_wtw_per_order: (
        float | None
    )  # mean order footprint well-to-wheel, whatever the label scope (None: a log before issue 15)
    footprint_ttw_per_order: float | None  # ... and tank-to-wheel
    # consumers, recommendations and points (sessions mode; None where the run had no sessions)
    demand_mode: str
    sessions: int  # every visit: logged (clicked or bought) + counted
    green_exposure_share: float | None  # position-weighted share of slate exposure on green products
    ctr: float | None  # clicks / products shown (on the slates served; bounces saw none)
    conversion: float | None  # sessions that placed an order / sessions
    green_sales_share: float  # green units / units ordered
    green_slot_uptake: float  # orders with the green slot / orders
    points_issued: int
    points_redeemed: int
    points_cost_per_order: float  # yuan of points issued per order (what the incentive costs the platform)
    points_liability: float  # yuan of points issued and not redeemed at the end of the run
    hit_rate_learned: float | None  # hit rate at slate_size on purchases the model had not seen
    hit_rate_popularity: float | None
    events: int
    wall_seconds: float
    routing_seconds: float

    @property
    def partial(self) -> bool:
        """Whether the figures cover less than a whole run (it did not complete)."""
        return self.status != "completed"

    @property
    def load_factor_weight(self) -> float:
        """The load factor by payload weight under issue 14's name (the same number as
        ``load_factor``, which keeps its name for the tables and results files that read it)."""
        return self.load_factor

    def to_dict(self) -> dict:
        return {**asdict(self), "load_factor_weight": self.load_factor_weight, "partial": self.partial}


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def summarize(log: EventLog, run_id: int) -> RunSummary:
    """The summary of ``run_id`` in ``log``, from its events."""
    run = log.get_run(run_id)
    db = log.db

    def one(sql: str, *params):
        return db.execute(sql, [run_id, *params]).fetchone()

    counts = dict(db.execute("SELECT type, COUNT(*) FROM events WHERE run_id = ? GROUP BY type", [run_id]).fetchall())
    failed = one(f"SELECT COUNT(*) FROM events WHERE run_id = ? AND type = 'delivery_failed' AND {json_field(K.FINAL)}")[0]
    on_time, late_n, late_sum = one(
        "SELECT SUM(lateness <= 1e-9), SUM(lateness > 1e-9), SUM(CASE WHEN lateness > 1e-9 THEN lateness END)"
        " FROM events WHERE run_id = ? AND type = 'delivered'"
    )
    scenario = json.loads(run.scenario_json)
    compensation = _compensation(scenario, lambda cap, rate: one(_COMPENSATION_SQL, cap, rate / 60.0)[0])
    km, kg_lm, cost, penalty = one(
        f"SELECT TOTAL(km), TOTAL(kg_co2e), TOTAL(cost), TOTAL({json_field(K.PENALTY)})"
        " FROM events WHERE run_id = ? AND type = 'vehicle_returned'"
    )
    vehicles, load, capacity, stations = one(
        f"SELECT COUNT(DISTINCT vehicle_id), TOTAL(load), TOTAL({json_field(K.CAPACITY_KG)}),"
        f" COUNT(DISTINCT {json_field(K.DEPOT)}) FROM events WHERE run_id = ? AND type = 'vehicle_departed'"
    )
    # by volume, over the departures of types with a volume capacity (capacity_m3 not null)
    volume, capacity_m3 = one(
        f"SELECT TOTAL({json_field(K.VOLUME_M3)}), SUM({json_field(K.CAPACITY_M3)})"
        f" FROM events WHERE run_id = ? AND type = 'vehicle_departed' AND {json_field(K.CAPACITY_M3)} IS NOT NULL"
    )
    stops = one(f"SELECT COUNT(*) FROM events WHERE run_id = ? AND {STOP_ARRIVAL}")[0]
    at_sites = one(f"SELECT COUNT(*) FROM events WHERE run_id = ? AND type = 'delivered' AND {json_field(K.SITE)} IS NOT NULL")[0]
    first_failed, first_attempts = one(
        "SELECT TOTAL(type = 'delivery_failed'), COUNT(*) FROM events WHERE run_id = ?"
        f" AND type IN ('delivered', 'delivery_failed') AND route_id IS NOT NULL AND {json_field(K.ATTEMPT)} = 1"
        f" AND {json_field(K.SITE)} IS NULL"  # doorstep attempts: a pickup site is never "nobody home"
    )
    # a route belongs to the day it left on; a vehicle-day's hours are its routes' durations
    shift_minutes = one(
        f"SELECT MAX(minutes) FROM (SELECT TOTAL({json_field(K.DURATION)}) AS minutes FROM events"
        " WHERE run_id = ? AND type = 'vehicle_returned'"
        f" GROUP BY vehicle_id, CAST((t - {json_field(K.DURATION)}) / ? AS INTEGER))",
        MINUTES_PER_DAY,
    )[0]
    # an order waits for stock from its first backordered line until its last one is reserved;
    # orders still waiting when the run ends are left out (their delay is not known yet)
    stock_wait = one(
        "SELECT AVG(done - began) FROM (SELECT MIN(CASE WHEN type = 'backordered' THEN t END) AS began,"
        " MAX(CASE WHEN type = 'stock_reserved' THEN t END) AS done,"
        " SUM(type = 'backordered') AS lines, SUM(type = 'stock_reserved') AS resupplied"
        " FROM events WHERE run_id = ? AND (type = 'backordered' OR (type = 'stock_reserved'"
        f" AND {json_field(K.BACKORDER)})) GROUP BY order_id) WHERE resupplied = lines",
    )[0]
    kg_trunk, tkm, rail_tkm = one(
        f"SELECT TOTAL(kg_co2e), TOTAL(load * km), TOTAL(CASE WHEN {json_field(K.MODE)} = 'rail'"
        " THEN load * km END) FROM events WHERE run_id = ? AND type = 'replenishment_received'"
    )
    kg_pack = one("SELECT TOTAL(kg_co2e) FROM events WHERE run_id = ? AND type = 'packed'")[0]
    kg_linehaul, linehaul_cost = one(
        "SELECT TOTAL(kg_co2e), TOTAL(cost) FROM events WHERE run_id = ? AND type = 'linehaul_arrived'"
    )
    backordered_orders = one("SELECT COUNT(DISTINCT order_id) FROM events WHERE run_id = ? AND type = 'backordered'")[0]
    capped = one(f"SELECT COUNT(*) FROM events WHERE run_id = ? AND type = 'wave_planned' AND {json_field(K.TIME_CAPPED)}")[0]
    fp = one(
        f"SELECT AVG({json_field(K.LAST_MILE)}), AVG({json_field(K.TRUNK)}),"
        f" AVG({json_field(K.PACKAGING)}), AVG({json_field(K.PRODUCTION)}), AVG(kg_co2e), AVG({json_field(K.LINEHAUL)}),"
        f" AVG(COALESCE({json_field(K.HANDLING)}, 0))"
        f" FROM events WHERE run_id = ? AND type = 'footprint_computed' AND {json_field(K.DELIVERED)}"
    )
    fp_wtw, fp_ttw = one(
        "SELECT AVG(json_extract(data, '$.scopes.wtw.total')), AVG(json_extract(data, '$.scopes.ttw.total'))"
        f" FROM events WHERE run_id = ? AND type = 'footprint_computed' AND {json_field(K.DELIVERED)}"
    )
    units, green_units, green_slot, session_orders = one(
        f"SELECT TOTAL(quantity), TOTAL({json_field(K.GREEN_UNITS)}),"
        f" TOTAL({json_field(K.OPTION)} = 'green_slot'), TOTAL({json_field(K.SESSION)} IS NOT NULL)"
        " FROM events WHERE run_id = ? AND type = 'order_placed'"
    )
    shown, exposure, exposure_green = one(
        f"SELECT TOTAL(quantity), TOTAL({json_field(K.EXPOSURE)}), TOTAL({json_field(K.EXPOSURE_GREEN)})"
        " FROM events WHERE run_id = ? AND type = 'slate_shown'"
    )
    counted, counted_slots, counted_exposure, counted_green = one(
        f"SELECT TOTAL(quantity), TOTAL({json_field(K.SLOTS)}), TOTAL({json_field(K.EXPOSURE)}),"
        f" TOTAL({json_field(K.EXPOSURE_GREEN)}) FROM events WHERE run_id = ? AND type = 'sessions_counted'"
    )
    shown, exposure, exposure_green = shown + counted_slots, exposure + counted_exposure, exposure_green + counted_green
    issued, issued_yuan = one("SELECT TOTAL(quantity), TOTAL(cost) FROM events WHERE run_id = ? AND type = 'points_earned'")
    redeemed, redeemed_yuan = one("SELECT TOTAL(quantity), TOTAL(cost) FROM events WHERE run_id = ? AND type = 'points_redeemed'")
    held, hits_learned, hits_pop = one(
        f"SELECT TOTAL(quantity), TOTAL(quantity * {json_field(K.HIT_RATE_LEARNED)}),"
        f" TOTAL(quantity * {json_field(K.HIT_RATE_POPULARITY)})"
        f" FROM events WHERE run_id = ? AND type = 'recommender_trained' AND {json_field(K.HIT_RATE_LEARNED)} IS NOT NULL"
    )
    sessions = counts.get("session_started", 0) + int(counted)
    orders = counts.get("order_placed", 0)
    delivered = counts.get("delivered", 0)
    transport = kg_lm + kg_linehaul + kg_trunk
    cost += linehaul_cost
    total = transport + kg_pack
    return RunSummary(
        run_id=run_id,
        scenario=run.scenario,
        seed=run.seed,
        status=run.status.value,
        days=int(scenario["simulation"]["days"]),
        orders=orders,
        delivered=delivered,
        failed=failed,
        open_orders=orders - delivered - failed,
        on_time_share=_ratio(on_time or 0, delivered),
        mean_lateness_minutes=_ratio(late_sum or 0.0, late_n or 0),
        failed_first_attempt_share=_ratio(first_failed, first_attempts),
        stockout_delay_hours=(stock_wait or 0.0) / 60.0,
        compensation_per_order=_ratio(compensation, delivered) if compensation is not None else None,
        late_minutes_per_order=_ratio(late_sum or 0.0, delivered),
        pickup_share=_ratio(at_sites, delivered) if scenario.get("pickup", {}).get("sites_per_station") else None,
        waves=counts.get("wave_planned", 0),
        waves_time_capped=capped,
        routes=counts.get("vehicle_departed", 0),
        vehicles_used=vehicles,
        stations=stations,
        stops_per_route=_ratio(stops, counts.get("vehicle_departed", 0)),
        km_per_parcel=_ratio(km, delivered),
        shift_hours_max=(shift_minutes or 0.0) / 60.0,
        load_factor_volume=_ratio(volume, capacity_m3) if capacity_m3 else None,
        km=km,
        kg_co2e_last_mile=kg_lm,
        kg_co2e_linehaul=kg_linehaul,
        kg_co2e_trunk=kg_trunk,
        kg_co2e_transport=transport,
        kg_co2e_packaging=kg_pack,
        kg_co2e_total=total,
        kg_co2e_per_order=_ratio(total, delivered),
        kg_co2e_per_order_transport=_ratio(transport, delivered),
        kg_co2e_last_mile_per_order=_ratio(kg_lm, delivered),
        kg_co2e_per_order_packaging=_ratio(kg_pack, delivered),
        cost=cost,
        cost_per_order=_ratio(cost, delivered),
        penalty_per_order=_ratio(penalty, delivered),
        load_factor=_ratio(load, capacity),
        stockouts=counts.get("backordered", 0),
        backordered_orders=backordered_orders,
        replenishments=counts.get("replenishment_ordered", 0),
        rail_share_tkm=_ratio(rail_tkm or 0.0, tkm),
        labels_issued=counts.get("label_issued", 0),
        grade_changes=counts.get("grade_changed", 0),
        footprint_scope=scenario["labels"]["scope"],
        footprint_last_mile_per_order=fp[0] or 0.0,
        footprint_linehaul_per_order=fp[5] or 0.0,
        footprint_trunk_per_order=fp[1] or 0.0,
        footprint_handling_per_order=fp[6] or 0.0,
        footprint_packaging_per_order=fp[2] or 0.0,
        footprint_production_per_order=fp[3] or 0.0,
        footprint_total_per_order=fp[4] or 0.0,
        footprint_wtw_per_order=fp_wtw,
        footprint_ttw_per_order=fp_ttw,
        demand_mode=scenario["demand"]["mode"],
        sessions=sessions,
        green_exposure_share=_ratio(exposure_green, exposure) if sessions else None,
        ctr=_ratio(counts.get("product_clicked", 0), shown) if sessions else None,
        conversion=_ratio(session_orders, sessions) if sessions else None,
        green_sales_share=_ratio(green_units, units),
        green_slot_uptake=_ratio(green_slot, orders),
        points_issued=int(issued),
        points_redeemed=int(redeemed),
        points_cost_per_order=_ratio(issued_yuan, orders),
        points_liability=issued_yuan - redeemed_yuan,
        hit_rate_learned=_ratio(hits_learned, held) if held else None,
        hit_rate_popularity=_ratio(hits_pop, held) if held else None,
        events=sum(counts.values()),
        wall_seconds=run.wall_seconds or 0.0,
        routing_seconds=run.routing_seconds or 0.0,
    )


#: Compensation of the late deliveries: each pays its hours late x the hourly rate, at most the
#: cap; a rate of 0 pays the cap from the first minute.
_COMPENSATION_SQL = (
    "SELECT TOTAL(CASE WHEN ?3 > 0 THEN MIN(?2, ?3 * lateness) ELSE ?2 END)"
    " FROM events WHERE run_id = ?1 AND type = 'delivered' AND lateness > 1e-9"
)


def _compensation(scenario: dict, total: Callable[[float, float], float]) -> float | None:
    """Late-delivery compensation of the run, yuan: ``demand.late_compensation_yuan`` a late
    delivery at most, ``demand.late_compensation_yuan_per_hour`` x its hours late below that
    (a rate of 0, JD's flat rule, pays the cap for any lateness); None for a log written before
    the fields existed. ``total(cap, rate)`` sums it over the run's late deliveries."""
    demand = scenario.get("demand", {})
    cap = demand.get("late_compensation_yuan")
    if cap is None:
        return None
    return float(total(float(cap), float(demand.get("late_compensation_yuan_per_hour", 0.0))))
