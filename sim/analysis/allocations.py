"""One run's last-mile emissions under each allocation rule, side by side (issue 15, item 2):
``carbonsim kpis --allocations``.

The rounds a run drove do not depend on how their kg CO2e are shared afterwards, so the log of
one run holds everything the three rules need, and this module rebuilds each from it:

* ``demand_share`` (seed paper eq. 5): each arc's kg over the parcels on board by mass; an empty
  arc over all the round's parcels (:func:`labels.apportion.apportion`);
* ``tonne_km`` (per round): the round's kg by mass x shortest feasible distance (SFD) from the
  station (the same function);
* ``toc_tonne_km`` (ISO 14083 5.6, the baseline's): a day's rounds of one vehicle type pooled as
  a transport operation category, its kg by tonne-km over the SFD (:func:`labels.apportion.allocate`).

Each rule shares the same kg, so the run's total and the mean a parcel are the same under all
three; what moves is which parcel pays. The rows give, per band of shortest feasible distance
from the station (a round serves one station's zone, so a zone's sum is a round's under both
per-round rules: distance is what tells them apart), the mean kg a parcel under each rule (kg
at the vehicles' factors, before the scope conversion) and the share of parcels whose last mile
moves by more than a quarter between eq. 5 and the pooled rule.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import asdict, dataclass

from labels.apportion import DrivenArc, DrivenRoute, allocate, apportion
from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field

RULES = ("demand_share", "tonne_km", "toc_tonne_km")
#: A parcel's last mile "moves" when the pooled rule charges it this much more or less than eq. 5.
MOVED = 0.25
MINUTES_PER_DAY = 1440.0


@dataclass(frozen=True)
class AllocationRow:
    group: str  # a band of SFD km, or "all"
    parcels: int
    sfd_km: float  # mean shortest feasible distance from the station, km
    demand_share: float  # mean last-mile kg CO2e a parcel under each rule
    tonne_km: float
    toc_tonne_km: float
    moved_share: float  # parcels whose pooled figure differs from eq. 5's by more than MOVED

    def to_dict(self) -> dict:
        return asdict(self)


def last_mile_by_rule(log: EventLog, run_id: int) -> dict[int, dict[str, float]]:
    """Each parcel's last-mile kg (summed over the rounds it rode) under each rule, and its SFD
    (``sfd_km``, of its last round)."""
    db = log.db
    mass = dict(db.execute("SELECT order_id, load FROM events WHERE run_id = ? AND type = 'packed'", [run_id]))
    rounds: dict[int, tuple[str, float, list[int]]] = {}
    for route, t, vtype, orders in db.execute(
        f"SELECT route_id, t, {json_field(K.VEHICLE_TYPE)}, {json_field(K.ORDERS)} FROM events"
        " WHERE run_id = ? AND type = 'vehicle_departed'",
        [run_id],
    ):
        rounds[route] = (vtype, t, json.loads(orders))
    sfd: dict[tuple[int, int], float] = {}
    for order, data in db.execute(  # the chain alone, cut out by SQLite (sim.analysis.ileap reads it so too)
        f"SELECT order_id, {json_field(K.TCES)} FROM events WHERE run_id = ? AND type = 'footprint_computed'", [run_id]
    ):
        for t in json.loads(data or "[]"):
            if t["part"] == "last_mile":
                sfd[(t["ref"], order)] = t["sfd_km"]
    # the arcs of each round as driven: who was on board, from the arrivals and the drops in log order
    arcs: dict[int, list[DrivenArc]] = defaultdict(list)
    on_board: dict[int, dict[int, float]] = {r: {o: mass[o] for o in orders} for r, (_, _, orders) in rounds.items()}
    for route, typ, order, km, kg in db.execute(
        "SELECT route_id, type, order_id, km, kg_co2e FROM events WHERE run_id = ? AND route_id IS NOT NULL"
        " AND type IN ('arrived', 'delivered') ORDER BY seq",
        [run_id],
    ):
        if route not in on_board:
            continue
        if typ == "arrived":
            arcs[route].append(DrivenArc(km or 0.0, kg or 0.0, dict(on_board[route])))
        else:
            on_board[route].pop(order, None)
    out: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys((*RULES, "sfd_km"), 0.0))
    pools: dict[tuple[str, int], tuple[list[float], dict[tuple[int, int], float]]] = {}
    for route, (vtype, t, orders) in rounds.items():
        if not orders:
            continue
        m = {o: mass[o] for o in orders}
        d = {o: sfd.get((route, o), 0.0) for o in orders}
        driven = DrivenRoute(tuple(arcs[route]), mass_kg=m, sfd_km=d)
        for rule in ("demand_share", "tonne_km"):
            for o, kg in apportion(driven, rule).items():
                out[o][rule] += kg
        for o in orders:
            out[o]["sfd_km"] = d[o]
        kg_sum, activity = pools.setdefault((vtype, int(t // MINUTES_PER_DAY)), ([], {}))
        kg_sum.append(driven.kg_co2e)
        for o in orders:
            activity[(route, o)] = m[o] / 1000.0 * d[o]
    for kg_sum, activity in pools.values():
        for (_, o), kg in allocate(math.fsum(kg_sum), activity).items():
            out[o]["toc_tonne_km"] += kg
    return dict(out)


#: Upper ends of the distance bands, km (ours: a tricycle's street, a district, a van's town, beyond).
BANDS_KM = (2.0, 5.0, 10.0, math.inf)


def _band(km: float) -> str:
    low = 0.0
    for high in BANDS_KM:
        if km <= high:
            return f"{low:g}-{high:g} km" if math.isfinite(high) else f"over {low:g} km"
        low = high
    raise AssertionError("unreachable")


def allocation_rows(log: EventLog, run_id: int) -> list[AllocationRow]:
    """Per band of SFD and for the whole run, the mean last mile a delivered parcel under each rule."""
    per = last_mile_by_rule(log, run_id)
    delivered = {o for (o,) in log.db.execute("SELECT order_id FROM events WHERE run_id = ? AND type = 'delivered'", [run_id])}
    groups: dict[str, list[dict[str, float]]] = defaultdict(list)
    for o, figures in per.items():
        if o in delivered:
            groups[_band(figures["sfd_km"])].append(figures)
            groups["all"].append(figures)
    order = [_band(h - 1e-9) if math.isfinite(h) else _band(math.inf) for h in BANDS_KM] + ["all"]
    rows = []
    for name in [g for g in order if g in groups]:
        items = groups[name]
        n = len(items)
        moved = sum(1 for f in items if abs(f["toc_tonne_km"] - f["demand_share"]) > MOVED * max(f["demand_share"], 1e-12))
        rows.append(
            AllocationRow(
                group=name,
                parcels=n,
                sfd_km=math.fsum(f["sfd_km"] for f in items) / n,
                demand_share=math.fsum(f["demand_share"] for f in items) / n,
                tonne_km=math.fsum(f["tonne_km"] for f in items) / n,
                toc_tonne_km=math.fsum(f["toc_tonne_km"] for f in items) / n,
                moved_share=moved / n,
            )
        )
    return rows
