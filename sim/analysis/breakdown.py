"""Per-station and per-zone KPIs (issue 14, item 6), computed from the event log alone.

:func:`breakdown` splits a run's delivery figures over its stations (the depots of the paper
world) or over the zones of paper Table 7. What belongs to which:

* an order belongs to the station and the zone ``order_placed`` names (``data.depot``,
  ``data.zone``); orders, delivered and on-time share count by the order;
* a route belongs to the station it left (``vehicle_departed.data.depot``): its km and last-mile
  kg CO2e (``vehicle_returned``) go with it, and its stops (arrivals at a door, failed
  attempts included, or at a pickup site: :data:`sim.analysis.queries.STOP_ARRIVAL`, as in the
  run summary). By zone, a route is shared over the zones of its
  stops in proportion to them, so a route of the paper world that serves two zones counts half
  in each; in the stations layout a station serves one zone, so every share is whole;
* line-haul kg CO2e (``linehaul_arrived``) goes to its station by ``data.station`` and to the
  zones by the per-parcel ``data.shares`` the trucks logged; None where the run had no line-haul.

Per parcel is per delivered order, as in :mod:`sim.analysis.summary`, so the rows' counts, routes,
km and kg add up to the run's totals.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass

from optimizer.generate import ZONES
from sim.analysis.queries import STOP_ARRIVAL
from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field

#: What :func:`breakdown` can group by.
BY: tuple[str, ...] = ("station", "zone")


@dataclass(frozen=True)
class GroupKpis:
    """The delivery figures of one station or zone. Units: km, kg CO2e; shares in [0, 1]."""

    by: str  # "station" or "zone"
    key: str  # the station's index ("0", "1", ...) or the zone's name
    station: int | None  # the station's index (None in a zone row)
    zone: str | None  # the zone (a station's: the one its orders all come from, else None)
    orders: int  # placed
    delivered: int
    on_time_share: float  # on-time deliveries / delivered
    routes: float  # whole for a station; by zone, a route counts by its share of stops
    stops: float
    stops_per_route: float
    km: float
    km_per_parcel: float
    kg_co2e_last_mile: float
    kg_co2e_last_mile_per_parcel: float
    kg_co2e_linehaul: float | None  # None: the run had no line-haul (the paper world)
    kg_co2e_linehaul_per_parcel: float | None

    def to_dict(self) -> dict:
        return asdict(self)


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def breakdown(log: EventLog, run_id: int, by: str) -> list[GroupKpis]:
    """The run's figures per station (in index order) or per zone (in Table 7's order, then
    any other zone name); only stations and zones that have an order or a route appear."""
    if by not in BY:
        raise ValueError(f"cannot break a run down by {by!r}; choose one of: {', '.join(BY)}")
    db = log.db
    placed: dict[int, tuple[int | None, str | None]] = {}
    for order, depot, zone in db.execute(
        f"SELECT order_id, {json_field(K.DEPOT)}, {json_field(K.ZONE)} FROM events WHERE run_id = ? AND type = 'order_placed'",
        [run_id],
    ):
        placed[order] = (depot, zone)

    def group_of(order: int) -> str | None:
        depot, zone = placed.get(order, (None, None))
        return (None if depot is None else str(depot)) if by == "station" else zone

    orders: dict[str | None, float] = defaultdict(float)
    for order in placed:
        orders[group_of(order)] += 1
    delivered: dict[str | None, float] = defaultdict(float)
    on_time: dict[str | None, float] = defaultdict(float)
    for order, lateness in db.execute("SELECT order_id, lateness FROM events WHERE run_id = ? AND type = 'delivered'", [run_id]):
        g = group_of(order)
        delivered[g] += 1
        on_time[g] += (lateness or 0.0) <= 1e-9
    # each route's share per group: its station, or its stops' zones
    route_depot = dict(
        db.execute(f"SELECT route_id, {json_field(K.DEPOT)} FROM events WHERE run_id = ? AND type = 'vehicle_departed'", [run_id])
    )
    stops_by: dict[object, dict[str | None, float]] = defaultdict(lambda: defaultdict(float))
    for route, order in db.execute(f"SELECT route_id, order_id FROM events WHERE run_id = ? AND {STOP_ARRIVAL}", [run_id]):
        stops_by[route][group_of(order)] += 1
    share: dict[object, dict[str | None, float]] = {}
    for route, depot in route_depot.items():
        if by == "station":
            share[route] = {None if depot is None else str(depot): 1.0}
        else:
            counts = stops_by.get(route) or {None: 1.0}
            total = sum(counts.values())
            share[route] = {g: n / total for g, n in counts.items()}
    routes: dict[str | None, float] = defaultdict(float)
    stops: dict[str | None, float] = defaultdict(float)
    for route, parts in share.items():
        n_stops = sum(stops_by.get(route, {}).values())
        for g, w in parts.items():
            routes[g] += w
            stops[g] += w * n_stops
    km: dict[str | None, float] = defaultdict(float)
    kg: dict[str | None, float] = defaultdict(float)
    for route, route_km, route_kg in db.execute(
        "SELECT route_id, km, kg_co2e FROM events WHERE run_id = ? AND type = 'vehicle_returned'", [run_id]
    ):
        for g, w in share.get(route, {None: 1.0}).items():
            km[g] += w * (route_km or 0.0)
            kg[g] += w * (route_kg or 0.0)
    linehaul: dict[str | None, float] = defaultdict(float)
    trucks = 0
    for station, truck_kg, shares in db.execute(
        f"SELECT {json_field(K.STATION)}, kg_co2e, {json_field(K.SHARES)}"
        " FROM events WHERE run_id = ? AND type = 'linehaul_arrived'",
        [run_id],
    ):
        trucks += 1
        if by == "station":
            linehaul[str(station)] += truck_kg or 0.0
        else:
            for order, part in json.loads(shares or "[]"):
                linehaul[group_of(order)] += part
    zone_of_station: dict[str, set[str | None]] = defaultdict(set)
    for depot, zone in placed.values():
        zone_of_station[str(depot)].add(zone)

    keys = set(orders) | set(routes) | set(linehaul)
    rows = []
    for g in sorted(keys, key=lambda k: _order_key(by, k)):
        d = delivered[g]
        zones = zone_of_station.get(g or "", set())
        rows.append(
            GroupKpis(
                by=by,
                key="—" if g is None else g,
                station=int(g) if by == "station" and g is not None else None,
                zone=(next(iter(zones)) if len(zones) == 1 else None) if by == "station" else g,
                orders=int(orders[g]),
                delivered=int(d),
                on_time_share=_ratio(on_time[g], d),
                routes=routes[g],
                stops=stops[g],
                stops_per_route=_ratio(stops[g], routes[g]),
                km=km[g],
                km_per_parcel=_ratio(km[g], d),
                kg_co2e_last_mile=kg[g],
                kg_co2e_last_mile_per_parcel=_ratio(kg[g], d),
                kg_co2e_linehaul=linehaul[g] if trucks else None,
                kg_co2e_linehaul_per_parcel=_ratio(linehaul[g], d) if trucks else None,
            )
        )
    return rows


def total(rows: list[GroupKpis]) -> GroupKpis | None:
    """The rows added up (key ``all``): the run's totals, which the tests hold against the summary."""
    if not rows:
        return None
    d = sum(r.delivered for r in rows)
    routes, stops, km = sum(r.routes for r in rows), sum(r.stops for r in rows), sum(r.km for r in rows)
    kg = sum(r.kg_co2e_last_mile for r in rows)
    lh = None if rows[0].kg_co2e_linehaul is None else sum(r.kg_co2e_linehaul or 0.0 for r in rows)
    return GroupKpis(
        by=rows[0].by,
        key="all",
        station=None,
        zone=None,
        orders=sum(r.orders for r in rows),
        delivered=d,
        on_time_share=_ratio(sum(r.on_time_share * r.delivered for r in rows), d),
        routes=routes,
        stops=stops,
        stops_per_route=_ratio(stops, routes),
        km=km,
        km_per_parcel=_ratio(km, d),
        kg_co2e_last_mile=kg,
        kg_co2e_last_mile_per_parcel=_ratio(kg, d),
        kg_co2e_linehaul=lh,
        kg_co2e_linehaul_per_parcel=None if lh is None else _ratio(lh, d),
    )


#: Zone names in paper Table 7's order, for sorting.
_ZONE_ORDER = tuple(z[0] for z in ZONES)


def _order_key(by: str, key: str | None) -> tuple:
    if key is None:
        return (2, 0, "")
    if by == "station":
        return (0, int(key), "") if key.lstrip("-").isdigit() else (1, 0, key)
    return (0, _ZONE_ORDER.index(key), "") if key in _ZONE_ORDER else (1, 0, key)
