"""A run's shipment footprints in the iLEAP format (Smart Freight Centre and SINE; ISO 14083 and
the GLEC Framework v3), read off its log: what ``carbonsim export-ileap`` writes
(:mod:`sim.export.ileap`) and ``carbonsim kpis --glec`` sums (:mod:`sim.analysis.glec`).

Every delivered order is one **ShipmentFootprint** whose TCEs (transport chain elements) are
the legs its footprint was charged for, in the order it rode them (``prevTceIds``):

* a **trunk** TCE per supplier leg of its units (``footprint_computed.data.trunk_legs``: mode,
  km, goods mass; tonne-km x the scenario's road or rail intensity, diesel);
* a **line-haul** TCE per hub -> station truck it rode (``linehaul_arrived``: its share of the
  truck's kg, the outbound km);
* a **last-mile** TCE per route it rode (``footprint_computed.data.routes``; its share in
  ``vehicle_returned.data.shares``, the km the route drove from the station to its stop).

Each TCE's ``co2eWTW`` and ``co2eTTW`` are its kg CO2e converted by the energy carrier of what
carried it (:mod:`labels.carriers`), so a shipment's TCEs add up to its footprint's transport
part in each scope (``data.scopes``; packaging is not a transport emission, and iLEAP's PACT
mapping says ``packagingEmissionsIncluded = false``). A **TOC** (transport operation category)
is a vehicle type of the last mile, the line-haul truck, or the trunk by road or by rail: its
energy carrier with the carrier file's factors, the load factor and empty-distance factor of its
operations in the log (where the log has them), and its intensities: its TCEs' kg over their
tonne-km. HOCs (hub operation categories) are not modelled yet (issue 15, item 2): ``hocs.json``
is an empty array and no TCE names one. Decimals travel as strings, as the standard requires.

Layout of ``OUT_DIR``: ``shipment-footprints.json``, ``tocs.json``, ``hocs.json`` (each a JSON
array of records) and ``pact/`` (one PACT ProductFootprint per shipment, ``<shipmentId>.json``,
the ShipmentFootprint in its ``extensions``).
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from labels.carriers import ELECTRICITY, Carrier, carrier, vehicle_carrier
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
    d = Decimal(repr(float(x)))
    text = format(d, "f")
    return "0" if text in ("-0", "-0.0") else text


@dataclass
class _Toc:
    toc_id: str
    mode: str
    carrier: Carrier
    description: str
    wtw: float = 0.0
    ttw: float = 0.0
    tkm: float = 0.0
    load_factor: float | None = None
    empty_distance_factor: float | None = None


@dataclass
class Chains:
    """What :func:`collect` reads off a run: the shipments with their TCEs, the TOCs with
    their totals, and what the PACT wrappers need."""

    shipments: list[dict]
    tocs: list[_Toc]
    grid: float
    run_id: int
    scenario_name: str
    scenario: dict
    at: Callable[[float | None], str | None]


def build_ileap(log: EventLog, run_id: int) -> tuple[list[dict], list[dict], list[dict], list[dict]]:
    """(shipment footprints, TOCs, HOCs, PACT product footprints) of a run, from its log."""
    c = collect(log, run_id)
    toc_records = [_toc_record(t, c.grid) for t in c.tocs]
    pact = [_product_footprint(s, c.run_id, c.scenario_name, c.scenario, c.at) for s in c.shipments]
    return c.shipments, toc_records, [], pact


def collect(log: EventLog, run_id: int) -> Chains:
    """The transport chains of a run's delivered orders and the TOCs they use, from its log."""
    run = log.get_run(run_id)
    scenario = json.loads(run.scenario_json)
    db = log.db
    start = datetime.combine(datetime.fromisoformat(str(scenario["simulation"]["start_date"])).date(), time(), UTC)

    def at(t: float | None) -> str | None:
        return None if t is None else (start + timedelta(minutes=float(t))).isoformat().replace("+00:00", "Z")

    grid = float(scenario["fleet"]["grid_kg_per_kwh"])
    stated = {v["name"]: v.get("energy_carrier", "auto") for v in scenario["fleet"]["vehicles"]}
    tocs: dict[str, _Toc] = {}

    def toc(toc_id: str, mode: str, fuel: Carrier, description: str) -> _Toc:
        if toc_id not in tocs:
            tocs[toc_id] = _Toc(toc_id, mode, fuel, description)
        return tocs[toc_id]

    diesel = carrier("diesel")
    # the last mile, one pass over the departures (type, time, load, capacity) and one over the
    # returns (the shares, and whether the vehicle was electric)
    route_type: dict[int, str] = {}
    departed: dict[int, float] = {}
    loads: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for route, t, vtype, load, capacity in db.execute(
        f"SELECT route_id, t, {json_field(K.VEHICLE_TYPE)}, load, {json_field(K.CAPACITY_KG)}"
        " FROM events WHERE run_id = ? AND type = 'vehicle_departed'",
        [run_id],
    ):
        route_type[route] = vtype
        departed[route] = t
        loads[vtype][0] += load or 0.0
        loads[vtype][1] += capacity or 0.0
    shares_of: dict[int, dict[int, float]] = {}
    fuel_of: dict[int, Carrier] = {}
    for route, data in db.execute("SELECT route_id, data FROM events WHERE run_id = ? AND type = 'vehicle_returned'", [run_id]):
        d = json.loads(data)
        shares_of[route] = {int(k): v for k, v in d["shares"]}
        fuel_of[route] = carrier(vehicle_carrier(stated.get(route_type[route], "auto"), bool(d["electric"])))

    # for each order the km its route drove up to its stop, and the arrival there
    rode: dict[tuple[int, int], tuple[float, float]] = {}  # (route, order) -> (km from the station, arrival)
    km_so_far: dict[int, float] = defaultdict(float)
    empty_km: dict[str, float] = defaultdict(float)
    all_km: dict[str, float] = defaultdict(float)
    for route, order, km, load, t in db.execute(
        "SELECT route_id, order_id, km, load, t FROM events WHERE run_id = ? AND type = 'arrived' AND route_id IS NOT NULL"
        " ORDER BY seq",
        [run_id],
    ):
        km_so_far[route] += km or 0.0
        vtype = route_type[route]
        all_km[vtype] += km or 0.0
        if (load or 0.0) <= 1e-9:
            empty_km[vtype] += km or 0.0
        if order is not None and (route, order) not in rode:
            rode[(route, order)] = (km_so_far[route], t)
    # line-haul: each parcel's truck arrival, share and outbound km
    linehaul: dict[int, list[tuple[float, float, float]]] = defaultdict(list)  # order -> [(t, km out, share)]
    lh_km = lh_empty = lh_load = 0.0
    lh_capacity = float(scenario["network"]["linehaul_capacity_kg"])
    lh_trips = 0
    for t, km, load, data in db.execute(
        "SELECT t, km, load, data FROM events WHERE run_id = ? AND type = 'linehaul_arrived' ORDER BY seq", [run_id]
    ):
        d = json.loads(data)
        out = km - d["return_km"]
        lh_km += km
        lh_empty += d["return_km"]
        lh_load += load
        lh_trips += 1
        for oid, share in d["shares"]:
            linehaul[int(oid)].append((t, out, share))

    w = scenario["warehouse"]
    trunk_intensity = {"road": float(w["road_kg_per_tkm"]), "rail": float(w["rail_kg_per_tkm"])}
    shipments: list[dict] = []
    # the parcel's mass as shipped: goods and packaging, from its packing
    packed = dict(db.execute("SELECT order_id, load FROM events WHERE run_id = ? AND type = 'packed'", [run_id]))
    for order, data in db.execute(
        "SELECT order_id, data FROM events"
        f" WHERE run_id = ? AND type = 'footprint_computed' AND {json_field(K.DELIVERED)} ORDER BY seq",
        [run_id],
    ):
        mass = packed[order]
        fp = json.loads(data)
        sid = str(order)
        tces: list[dict] = []

        for leg in fp.get("trunk_legs") or []:
            mode = leg["mode"]
            ttw = leg["mass_kg"] / 1000.0 * leg["km"] * trunk_intensity[mode]
            wtw = diesel.scopes(ttw)[0]
            t_toc = toc(f"trunk-{mode}", "Rail" if mode == "rail" else "Road", diesel, f"supplier trunk leg by {mode}, diesel")
            _add_tce(tces, sid, t_toc, leg["mass_kg"], leg["km"], wtw, ttw, None, None, at)
        for t, out, share in linehaul.get(order, []):
            wtw, ttw = diesel.scopes(share)
            lh = toc("linehaul-truck", "Road", diesel, "hub -> station line-haul truck, diesel")
            _add_tce(tces, sid, lh, mass, out, wtw, ttw, None, t, at)
        for route in fp["routes"]:
            fuel = fuel_of[route]
            wtw, ttw = fuel.scopes(shares_of[route][order])
            vtype = route_type[route]
            lm = toc(f"last-mile-{vtype}", "Road", fuel, f"last-mile rounds by {vtype}, {fuel.name}")
            km, arrival = rode.get((route, order), (0.0, None))
            _add_tce(tces, sid, lm, mass, km, wtw, ttw, departed.get(route), arrival, at)
        shipments.append({"shipmentId": sid, "mass": dec(mass), "volume": None, "tces": tces})

    for t in tocs.values():
        if t.toc_id.startswith("last-mile-"):
            vtype = t.toc_id.removeprefix("last-mile-")
            if loads[vtype][1] > 0:
                t.load_factor = loads[vtype][0] / loads[vtype][1]
            if all_km[vtype] > 0:
                t.empty_distance_factor = empty_km[vtype] / all_km[vtype]
        elif t.toc_id == "linehaul-truck" and lh_trips:
            t.load_factor = lh_load / (lh_trips * lh_capacity)
            t.empty_distance_factor = lh_empty / lh_km if lh_km else None
    return Chains(shipments, list(tocs.values()), grid, run_id, run.scenario, scenario, at)


def _add_tce(tces: list[dict], sid: str, toc: _Toc, mass_kg: float, km: float, wtw: float, ttw: float, dep, arr, at) -> None:
    """Append a TCE of ``mass_kg`` over ``km`` (driven: GLEC's ``actual`` distance) to the
    shipment's chain, after the last one, and count it in its TOC."""
    tkm = mass_kg / 1000.0 * km
    toc.wtw += wtw
    toc.ttw += ttw
    toc.tkm += tkm
    tces.append(
        {
            "tceId": f"{sid}-{len(tces) + 1}",
            "prevTceIds": [tces[-1]["tceId"]] if tces else [],
            "tocId": toc.toc_id,
            "hocId": None,
            "shipmentId": sid,
            "mass": dec(mass_kg),
            "distance": {"actual": dec(km)},
            "transportActivity": dec(tkm),
            "co2eWTW": dec(wtw),
            "co2eTTW": dec(ttw),
            "departureAt": at(dep),
            "arrivalAt": at(arr),
        }
    )


def _toc_record(t: _Toc, grid: float) -> dict:
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


def _product_footprint(shipment: dict, run_id: int, scenario_name: str, scenario: dict, at) -> dict:
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
                "Well-to-wheel transport chain of the shipment (supplier trunk, line-haul, last mile), GLEC-style;"
                " modelled by simulation. Hub and station operations are not modelled yet."
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
