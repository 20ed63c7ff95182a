"""A run's shipment footprints in the iLEAP format (Smart Freight Centre and SINE; ISO 14083 and
the GLEC Framework v3), read off its log: what ``carbonsim export-ileap`` writes
(:mod:`sim.export.ileap`) and ``carbonsim kpis --glec`` sums (:mod:`sim.analysis.glec`).

Every delivered order is one **ShipmentFootprint** whose TCEs (transport chain elements) are the
elements its footprint was charged for (``footprint_computed.data.tces``, built by
:mod:`sim.world.labelling`), in the order the parcel passed them (``prevTceIds``): the supplier
trunk legs, the warehouse, the sortation hub, the line-haul truck, the delivery station and the
last-mile rounds. Each TCE's ``co2eWTW`` and ``co2eTTW`` are the footprint's, so a shipment's
TCEs add up to its footprint's chain (transport + handling) in each scope; packaging is not a
transport emission (iLEAP's PACT mapping: ``packagingEmissionsIncluded = false``).

A **TOC** (transport operation category) is one vehicle type's rounds of one day
(``last-mile-<type>@<day>``), the day's line-haul trucks (``linehaul-truck@<day>``), or the trunk
by road or by rail (``trunk-road``, at the scenario's intensity); a **HOC** (hub operation
category) one site's day (``warehouse@<day>``, ``hub@<day>``, ``station@<day>``): the
``category_closed`` events give their kg, activity, load factor and empty-distance factor, and
labels/hub_operations.toml each site's hub type. Decimals travel as strings, as the standard
requires.

Layout of ``OUT_DIR``: ``shipment-footprints.json``, ``tocs.json``, ``hocs.json`` (each a JSON
array of records) and ``pact/`` (one PACT ProductFootprint per shipment, ``<shipmentId>.json``,
the ShipmentFootprint in its ``extensions``).
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from labels.carriers import ELECTRICITY, Carrier, carrier
from labels.hubs import hub_operations
from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field

#: The URL iLEAP's PACT mapping names as the ShipmentFootprint's schema (spec, PACT mapping table).
SHIPMENT_SCHEMA_URL = "https://api.ileap.sine.dev/shipment-footprint.json"
#: The CPC code of logistics services, required by the PACT mapping.
LOGISTICS_CPC = "83117"
#: iLEAP's names of our carriers (EnergyCarrierType).
ILEAP_CARRIER = {"diesel": "Diesel", "petrol": "Petrol", "cng": "CNG", ELECTRICITY: "Electric"}
_NAMESPACE = uuid.UUID("6f1c8c1e-3b0e-4f3a-9c55-1d2a8e6b9a10")  # ours: the namespace of carbonsim's PACT ids


def dec(x: float) -> str:
    """A float as iLEAP's Decimal: plain digits, every digit of its repr, no exponent."""
    text = repr(float(x))
    if "e" in text or "n" in text:  # 1e-05, 1e+16 (and nan, inf, which Decimal refuses with a clear error)
        text = format(Decimal(text), "f")
    return "0" if text in ("-0", "-0.0") else text


@dataclass
class _Toc:
    """An operation category of the run: a TOC (``kind`` toc) or a HOC (``kind`` hoc)."""

    toc_id: str
    mode: str
    carrier: Carrier
    description: str
    wtw: float = 0.0
    ttw: float = 0.0
    tkm: float = 0.0  # the activity: tonne-km of a TOC, tonnes handled of a HOC
    load_factor: float | None = None
    empty_distance_factor: float | None = None
    kind: str = "toc"
    base: str = ""  # the category without its day (last-mile-e_tricycle, hub, trunk-road, ...)


@dataclass
class Chains:
    """What :func:`collect` reads off a run: the shipments with their TCEs, the operation
    categories with their totals, and what the PACT wrappers need."""

    shipments: list[dict]
    tocs: list[_Toc]
    grid: float
    run_id: int
    scenario_name: str
    scenario: dict
    at: Callable[[float | None], str | None]
    hocs: list[_Toc] = field(default_factory=list)


class ChainsMissing(ValueError):
    """The run's log has no transport chain elements (written before they were logged)."""


def build_ileap(log: EventLog, run_id: int) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """(shipment footprints, TOCs, HOCs, PACT product footprints) of a run, from its log."""
    c = collect(log, run_id)
    toc_records = [toc_record(t, c.grid) for t in c.tocs]
    hoc_records = [hoc_record(h, c.grid) for h in c.hocs]
    pact = [product_footprint(s, c.run_id, c.scenario_name, c.scenario, c.at) for s in c.shipments]
    return c.shipments, toc_records, hoc_records, pact


_MODES = {"trunk-rail": "Rail"}


def clock(scenario: dict) -> Callable[[float | None], str | None]:
    """Simulated minutes -> the ISO time iLEAP wants, from the scenario's start date (memoised:
    a round's departure or a truck's arrival is many parcels' time)."""
    start = datetime.combine(datetime.fromisoformat(str(scenario["simulation"]["start_date"])).date(), time(), UTC)
    stamps: dict[float, str] = {}

    def at(t: float | None) -> str | None:
        if t is None:
            return None
        text = stamps.get(t)
        if text is None:
            text = stamps[t] = (start + timedelta(minutes=float(t))).isoformat().replace("+00:00", "Z")
        return text

    return at


def collect(log: EventLog, run_id: int) -> Chains:
    """The transport chains of a run's delivered orders and the categories they use, from its log."""
    c = categories(log, run_id)
    c.shipments, trunk = shipment_chains(log, run_id, c.at)
    add_trunk(c, trunk)
    return c


def categories(log: EventLog, run_id: int) -> Chains:
    """The run's operation categories of its closed days (no shipments, no trunk TOCs yet: those
    come from the chains, :func:`shipment_chains` and :func:`add_trunk`)."""
    run = log.get_run(run_id)
    scenario = json.loads(run.scenario_json)
    db = log.db
    grid = float(scenario["fleet"]["grid_kg_per_kwh"])
    tocs: dict[str, _Toc] = {}
    hocs: dict[str, _Toc] = {}
    hub_types = hub_operations()
    for data in db.execute("SELECT data FROM events WHERE run_id = ? AND type = 'category_closed' ORDER BY seq", [run_id]):
        d = json.loads(data[0])
        fuel = carrier(d["carrier"])
        cat = _Toc(d["category"], "Road", fuel, "", d["wtw"], d["ttw"], d["activity"], kind=d["kind"], base=d["base"])
        if d["kind"] == "hoc":
            cat.mode = "Hub"
            cat.description = f"{hub_types[d['base']].hub_type.lower()} at the {d['base']}, day {d['day']}: electricity"
            hocs[cat.toc_id] = cat
            continue
        what = (
            "line-haul trucks hub -> station"
            if d["base"] == "linehaul-truck"
            else f"last-mile rounds by {d['base'].removeprefix('last-mile-')}"
        )
        cat.description = f"{what}, day {d['day']}, {fuel.name}"
        if d["capacity_kg"] > 0:
            cat.load_factor = d["load_kg"] / d["capacity_kg"]
        if d["km"] > 0:
            cat.empty_distance_factor = d["empty_km"] / d["km"]
        tocs[cat.toc_id] = cat
    if (
        not tocs
        and not hocs
        and db.execute("SELECT 1 FROM events WHERE run_id = ? AND type = 'footprint_computed' LIMIT 1", [run_id]).fetchone()
    ):
        raise ChainsMissing(f"run {run_id} was logged before its transport chain elements were (carbonsim < issue 15): re-run it")
    return Chains([], list(tocs.values()), grid, run_id, run.scenario, scenario, clock(scenario), list(hocs.values()))


#: A trunk TOC's legs from the chains: ([kg WTW], [kg TTW], [tonne-km]), summed exactly by
#: :func:`add_trunk` (math.fsum), so the totals do not depend on how the chains were sliced.
TrunkSums = dict[str, tuple[list[float], list[float], list[float]]]


def shipment_chains(
    log: EventLog, run_id: int, at: Callable[[float | None], str | None], seqs: tuple[int, int] | None = None
) -> tuple[list[dict], TrunkSums]:
    """The ShipmentFootprints of the run's delivered orders (those whose footprint's log seq is
    in ``seqs``, both ends in, when given: a slice for one worker) and their trunk legs' totals."""
    where = "" if seqs is None else " AND seq BETWEEN ? AND ?"
    shipments: list[dict] = []
    trunk: TrunkSums = {}
    for order, data in log.db.execute(  # the chain alone: SQLite cuts it out of the footprint faster than Python parses it
        f"SELECT order_id, {json_field(K.TCES)} FROM events"
        f" WHERE run_id = ? AND type = 'footprint_computed' AND {json_field(K.DELIVERED)}{where} ORDER BY seq",
        [run_id, *(seqs or ())],
    ):
        sid = str(order)
        tces: list[dict] = []
        mass = 0.0
        for t in json.loads(data):
            if t["part"] == "trunk":
                wtw, ttw, tkm = trunk.setdefault(t["category"], ([], [], []))
                wtw.append(t["wtw"])
                ttw.append(t["ttw"])
                tkm.append(t["activity"])
            else:
                mass = t["mass_kg"]  # the parcel as shipped: goods and packaging
            tces.append(_tce(sid, len(tces), t, at))
        shipments.append({"shipmentId": sid, "mass": dec(mass), "volume": None, "tces": tces})
    return shipments, trunk


def trunk_legs(log: EventLog, run_id: int) -> tuple[TrunkSums, int]:
    """The delivered orders' trunk legs (what :func:`shipment_chains` gathers, read by SQLite
    without building the shipments) and how many delivered orders there are."""
    trunk: TrunkSums = {}
    for category, wtw, ttw, tkm in log.db.execute(
        "SELECT json_extract(t.value, '$.category'), json_extract(t.value, '$.wtw'), json_extract(t.value, '$.ttw'),"
        " json_extract(t.value, '$.activity')"
        f" FROM events f, json_each(f.data, '$.tces') t WHERE f.run_id = ? AND f.type = 'footprint_computed'"
        f" AND {json_field(K.DELIVERED, 'f')} AND json_extract(t.value, '$.part') = 'trunk' ORDER BY f.seq",
        [run_id],
    ):
        into = trunk.setdefault(category, ([], [], []))
        into[0].append(wtw)
        into[1].append(ttw)
        into[2].append(tkm)
    n = log.db.execute(
        f"SELECT COUNT(*) FROM events WHERE run_id = ? AND type = 'footprint_computed' AND {json_field(K.DELIVERED)}", [run_id]
    ).fetchone()[0]
    return trunk, n


def add_trunk(chains: Chains, *parts: TrunkSums) -> None:
    """Add the trunk TOCs (diesel, the scenario's intensity) with the totals of the chains' parts."""
    diesel = carrier("diesel")
    legs: dict[str, tuple[list[float], list[float], list[float]]] = {}
    for part in parts:
        for cid, values in part.items():
            into = legs.setdefault(cid, ([], [], []))
            for mine, theirs in zip(into, values, strict=True):
                mine.extend(theirs)
    for cid in sorted(legs):
        wtw, ttw, tkm = (math.fsum(v) for v in legs[cid])
        mode = cid.removeprefix("trunk-")
        chains.tocs.append(
            _Toc(cid, _MODES.get(cid, "Road"), diesel, f"supplier trunk leg by {mode}, diesel", wtw, ttw, tkm, base=cid)
        )


def _tce(sid: str, i: int, t: dict, at) -> dict:
    """The iLEAP TCE of a footprint's chain element ``t``, the ``i``-th of its shipment."""
    hoc = t["part"] == "handling"
    distance = {"actual": dec(t["km"] if t["km"] is not None else 0.0)}
    if t["sfd_km"] is not None:
        distance["sfd"] = dec(t["sfd_km"])
    return {
        "tceId": f"{sid}-{i + 1}",
        "prevTceIds": [f"{sid}-{i}"] if i else [],
        "tocId": None if hoc else t["category"],
        "hocId": t["category"] if hoc else None,
        "shipmentId": sid,
        "mass": dec(t["mass_kg"]),
        "distance": distance,
        "transportActivity": "0" if hoc else dec(t["activity"]),
        "co2eWTW": dec(t["wtw"]),
        "co2eTTW": dec(t["ttw"]),
        "departureAt": at(t["t0"]),
        "arrivalAt": at(t["t1"]),
    }


def hoc_record(h: _Toc, grid: float) -> dict:
    return {
        "hocId": h.toc_id,
        "description": h.description,
        "hubType": hub_operations()[h.base].hub_type,
        "temperatureControl": "ambient",
        "energyCarriers": [
            {"energyCarrier": "Electric", "emissionFactorWTW": dec(grid), "emissionFactorTTW": "0", "relativeShare": "1"}
        ],
        "co2eIntensityWTW": dec(h.wtw / h.tkm if h.tkm else 0.0),
        "co2eIntensityTTW": dec(h.ttw / h.tkm if h.tkm else 0.0),
        "hubActivityUnit": "tonnes",
    }


def toc_record(t: _Toc, grid: float) -> dict:
    fuel = t.carrier
    wtw_factor = grid if fuel.electric else fuel.ttw + (fuel.wtt or 0.0)
    return {
        "tocId": t.toc_id,
        "description": t.description,
        "mode": t.mode,
        "loadFactor": None if t.load_factor is None else dec(t.load_factor),
        "emptyDistanceFactor": None if t.empty_distance_factor is None else dec(t.empty_distance_factor),
        "energyCarriers": [
            {
                "energyCarrier": ILEAP_CARRIER.get(fuel.name, fuel.name),
                "emissionFactorWTW": dec(wtw_factor),
                "emissionFactorTTW": dec(fuel.ttw),
                "relativeShare": "1",
            }
        ],
        "co2eIntensityWTW": dec(t.wtw / t.tkm if t.tkm else 0.0),
        "co2eIntensityTTW": dec(t.ttw / t.tkm if t.tkm else 0.0),
        "transportActivityUnit": "tkm",
    }


def product_footprint(shipment: dict, run_id: int, scenario_name: str, scenario: dict, at) -> dict:
    tkm = sum(Decimal(t["transportActivity"]) for t in shipment["tces"])
    wtw = sum(Decimal(t["co2eWTW"]) for t in shipment["tces"])
    days = int(scenario["simulation"]["days"]) + int(scenario["simulation"].get("drain_days", 0))
    sid = shipment["shipmentId"]
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"{scenario_name}/{run_id}/{sid}")),
        "specVersion": "2.0.0",
        "version": 0,
        "created": at(0.0),
        "status": "Active",
        "companyName": f"carbonsim simulated operator ({scenario_name})",
        "companyIds": [f"urn:carbonsim:operator:{scenario_name}"],
        "productDescription": f"Logistics emissions of simulated shipment {sid} (run {run_id})",
        "productIds": [f"urn:pathfinder:product:customcode:vendor-assigned:shipment:{sid}"],
        "productCategoryCpc": LOGISTICS_CPC,
        "productNameCompany": f"Shipment {sid}",
        "comment": "Modelled data from a carbonsim simulation run, not primary data of a real operation.",
        "pcf": {
            "declaredUnit": "ton kilometer",
            "unitaryProductAmount": format(tkm, "f"),
            "pCfExcludingBiogenic": format(wtw, "f"),
            "fossilGhgEmissions": format(wtw, "f"),
            "fossilCarbonContent": "0",
            "biogenicCarbonContent": "0",
            "characterizationFactors": "AR5",
            "ipccCharacterizationFactorsSources": ["AR5"],
            "crossSectoralStandardsUsed": ["GHG Protocol Product standard"],
            "boundaryProcessesDescription": (
                "Well-to-wheel transport chain of the shipment (supplier trunk, warehouse, sortation hub, line-haul,"
                " delivery station, last mile), GLEC-style; modelled by simulation."
            ),
            "referencePeriodStart": at(0.0),
            "referencePeriodEnd": at(days * 24 * 60.0),
            "exemptedEmissionsPercent": 0.0,
            "exemptedEmissionsDescription": "",
            "packagingEmissionsIncluded": False,
            "primaryDataShare": 0.0,
        },
        "extensions": [{"specVersion": "2.0.0", "dataSchema": SHIPMENT_SCHEMA_URL, "data": shipment}],
    }
