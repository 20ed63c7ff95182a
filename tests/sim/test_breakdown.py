"""Per-station and per-zone KPIs and the report's route map (issue 14, item 6), on real runs:
a small stations network and the paper's one-depot world, each simulated once into SQLite."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.analysis.breakdown import breakdown, total
from sim.analysis.summary import summarize
from sim.cli import main
from sim.errors import NotFound
from sim.export.report import build_report
from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field
from sim.scenario import Scenario
from sim.simulation import run

STATIONS = """
[simulation]
days = 2
[world]
customers = 400
[network]
layout = "stations"
station_parcels_per_day = 40.0
[demand]
orders_per_day = 150
promise = "day_definite"
[catalog]
products = 40
[routing]
wave_hours = [7.5, 12.5]
"""
PAPER = ["simulation.days=1", "demand.orders_per_day=60", "world.customers=200", "catalog.products=40"]


@pytest.fixture(scope="module")
def dbs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("breakdown")
    run(Scenario.from_toml(STATIONS), db_path=tmp / "stations.db", seed=2, name="stations")
    run(Scenario().apply_overrides(PAPER), db_path=tmp / "paper.db", seed=1, name="paper")
    return {"stations": tmp / "stations.db", "paper": tmp / "paper.db", "dir": tmp}


@pytest.mark.parametrize("world", ["stations", "paper"])
@pytest.mark.parametrize("by", ["station", "zone"])
def test_the_rows_add_up_to_the_run(dbs, world, by):
    with EventLog.open_existing(dbs[world]) as log:
        rows = breakdown(log, 1, by)
        s = summarize(log, 1)
    assert sum(r.orders for r in rows) == s.orders
    assert sum(r.delivered for r in rows) == s.delivered
    assert sum(r.routes for r in rows) == pytest.approx(s.routes)
    assert sum(r.km for r in rows) == pytest.approx(s.km)
    assert sum(r.kg_co2e_last_mile for r in rows) == pytest.approx(s.kg_co2e_last_mile)
    all_row = total(rows)
    assert all_row is not None
    assert all_row.stops_per_route == pytest.approx(s.stops_per_route)
    assert all_row.km_per_parcel == pytest.approx(s.km_per_parcel)
    assert all_row.on_time_share == pytest.approx(s.on_time_share)
    assert all_row.kg_co2e_last_mile_per_parcel == pytest.approx(s.kg_co2e_last_mile_per_order)
    if world == "stations":
        assert sum(r.kg_co2e_linehaul or 0.0 for r in rows) == pytest.approx(s.kg_co2e_linehaul)
        assert all(r.routes == int(r.routes) for r in rows), "a station serves one zone: routes stay whole"
    else:
        assert all(r.kg_co2e_linehaul is None for r in rows), "no line-haul in the paper world"


def test_stations_are_the_depots_and_carry_their_zone(dbs):
    with EventLog.open_existing(dbs["stations"]) as log:
        rows = breakdown(log, 1, "station")
        zones = {r.key: r for r in breakdown(log, 1, "zone")}
        s = summarize(log, 1)
    assert [r.station for r in rows] == list(range(len(rows))) and len(rows) >= s.stations > 3
    assert all(r.zone is not None for r in rows)
    # the zones' rows are their stations' rows added up (a station serves one zone)
    for zone, z in zones.items():
        mine = [r for r in rows if r.zone == zone]
        assert z.delivered == sum(r.delivered for r in mine)
        assert z.km == pytest.approx(sum(r.km for r in mine))


def test_kpis_by_json_shape(dbs):
    res = CliRunner().invoke(main, ["kpis", str(dbs["stations"]), "--by", "station", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert set(doc) == {"run_id", "scenario", "by", "groups", "total"} and doc["by"] == "station"
    fields = {
        "by", "key", "station", "zone", "orders", "delivered", "on_time_share", "routes", "stops", "stops_per_route",
        "km", "km_per_parcel", "kg_co2e_last_mile", "kg_co2e_last_mile_per_parcel", "kg_co2e_linehaul",
        "kg_co2e_linehaul_per_parcel",
    }  # fmt: skip
    assert all(set(g) == fields for g in doc["groups"]) and set(doc["total"]) == fields
    assert doc["total"]["key"] == "all" and doc["total"]["routes"] == sum(g["routes"] for g in doc["groups"])


def test_kpis_by_table_and_a_bad_value(dbs):
    res = CliRunner().invoke(main, ["--tables", "kpis", str(dbs["paper"]), "--by", "zone"])
    assert res.exit_code == 0, res.output
    assert "urban core" in res.output and "all" in res.output and "line-haul" not in res.output
    bad = CliRunner().invoke(main, ["kpis", str(dbs["paper"]), "--by", "depot"])
    assert bad.exit_code == 2
    assert "Invalid value for '--by': 'depot' is not one of 'station', 'zone'" in bad.output


def _wave_routes(db: Path, wave: int) -> tuple[int, int]:
    with EventLog.open_existing(db) as log:
        routes = log.db.execute(
            "SELECT COUNT(*) FROM events WHERE run_id = 1 AND type = 'vehicle_departed' AND wave_id = ?", [wave]
        ).fetchone()[0]
        stations = log.db.execute(
            f"SELECT COUNT(DISTINCT {json_field(K.DEPOT)}) FROM events WHERE run_id = 1 AND type = 'wave_planned'"
        ).fetchone()[0]
    return routes, stations


def _map_svg(page: str) -> str:
    start = page.index('<svg id="r1-map-root"')
    return page[start : page.index("</svg>", start)]


@pytest.mark.parametrize("world", ["stations", "paper"])
def test_the_map_draws_each_route_of_the_wave_and_each_station(dbs, world):
    with EventLog.open_existing(dbs[world]) as log:
        busiest = log.db.execute(
            "SELECT wave_id FROM events WHERE run_id = 1 AND type = 'wave_planned' ORDER BY quantity DESC, seq LIMIT 1"
        ).fetchone()[0]
    for wave in (None, 1):
        out = build_report([(dbs[world], None)], dbs["dir"] / f"{world}-{wave}.html", overwrite=True, wave=wave)
        page = out.read_text()
        svg = _map_svg(page)
        drawn = busiest if wave is None else wave
        assert f"<figcaption>Wave {drawn}, " in page
        routes, stations = _wave_routes(dbs[world], drawn)
        assert routes > 0
        assert len(re.findall(r'<g id="r1-map-route-[^"]+"', svg)) == routes
        assert len(set(re.findall(r'<g id="r1-map-station-(\d+)"', svg))) == stations
        assert len(re.findall(r'<g id="r1-map-station-\d+"', svg)) == stations, "one marker per station"
        assert ('<g id="r1-map-hub"' in svg) == (world == "stations")


def test_the_report_tables_and_a_missing_wave(dbs):
    page = build_report([(dbs["stations"], None)], dbs["dir"] / "tables.html", overwrite=True).read_text()
    assert 'class="by-station"' in page and 'class="by-zone"' in page
    assert 'data-station="all"' in page and 'data-zone="urban_core"' in page
    with pytest.raises(NotFound, match="has no wave 99999"):
        build_report([(dbs["stations"], None)], dbs["dir"] / "missing.html", overwrite=True, wave=99999)
    res = CliRunner().invoke(main, ["report", str(dbs["stations"]), "-o", str(dbs["dir"] / "cli.html"), "--wave", "99999"])
    assert res.exit_code != 0 and "has no wave 99999" in res.output


@pytest.mark.parametrize("world", ["stations", "paper"])
def test_the_log_holds_the_map_coordinates(dbs, world):
    with EventLog.open_existing(dbs[world]) as log:
        db = log.db
        missing = db.execute(
            f"SELECT COUNT(*) FROM events WHERE run_id = 1 AND type = 'order_placed' AND ({json_field(K.X)} IS NULL"
            f" OR {json_field(K.Y)} IS NULL)"
        ).fetchone()[0]
        sites = db.execute(
            f"SELECT {json_field(K.DEPOT)}, COUNT(DISTINCT {json_field(K.SITE)}) FROM events"
            " WHERE run_id = 1 AND type = 'wave_planned' GROUP BY 1"
        ).fetchall()
        hubs = db.execute(
            f"SELECT COUNT(DISTINCT {json_field(K.HUB)}) FROM events WHERE run_id = 1 AND type = 'linehaul_arrived'"
        ).fetchone()[0]
    assert missing == 0, "every order carries its customer's x/y"
    assert sites and all(n == 1 for _, n in sites), "one site per station"
    assert hubs == (1 if world == "stations" else 0)
