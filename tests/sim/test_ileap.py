"""``carbonsim export-ileap`` (issue 15, item 4): a run's shipment footprints, TOCs and PACT
wrappers, validated against the official iLEAP JSON schemas (tests/data/ileap, MIT licensed) with
jsonschema, and their sums against the labels of the same run."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from sim import EventLog, Scenario, run
from sim.cli import main

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "ileap"

WORLD = (Path(__file__).resolve().parents[1] / "data" / "stations_small.toml").read_text()


def _schema(name: str) -> jsonschema.Draft7Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    return jsonschema.Draft7Validator(schema)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ileap")
    db = tmp / "run.db"
    run(Scenario.from_toml(WORLD), db_path=db, seed=3)
    out = tmp / "out"
    res = CliRunner().invoke(main, ["export-ileap", str(db), str(out), "--json"])
    assert res.exit_code == 0, res.output
    with EventLog.open(db) as log:
        footprints = {e.order_id: e.data for e in log.events(1, type="footprint_computed") if e.data["delivered"]}
    return db, out, json.loads(res.stdout), footprints


def test_every_record_is_valid_against_the_official_schemas(exported):
    _, out, counts, _ = exported
    shipments = json.loads((out / "shipment-footprints.json").read_text())
    tocs = json.loads((out / "tocs.json").read_text())
    hocs = json.loads((out / "hocs.json").read_text())
    assert {h["hocId"].split("@")[0] for h in hocs} == {"warehouse", "hub", "station"}
    assert len(shipments) == counts["shipments"] > 100 and len(tocs) == counts["tocs"]
    for validator, records in (
        (_schema("shipment-footprint.json"), shipments),
        (_schema("toc.json"), tocs),
        (_schema("hoc.json"), hocs),
    ):
        for r in records:
            errors = list(validator.iter_errors(r))
            assert not errors, (r.get("shipmentId") or r.get("tocId") or r.get("hocId"), errors[0].message)
    pact = _schema("pcf-shipment-footprint.json")
    files = sorted((out / "pact").glob("*.json"))
    assert len(files) == len(shipments)
    for f in files:
        pf = json.loads(f.read_text())
        errors = list(pact.iter_errors(pf))
        assert not errors, (f.name, errors[0].message)


def test_tces_add_up_to_the_labels_chain_in_both_scopes(exported):
    _, out, _, footprints = exported
    shipments = json.loads((out / "shipment-footprints.json").read_text())
    assert {int(s["shipmentId"]) for s in shipments} == set(footprints)
    for s in shipments:
        scopes = footprints[int(s["shipmentId"])]["scopes"]
        for key, scope in (("co2eWTW", "wtw"), ("co2eTTW", "ttw")):
            total = sum(float(t[key]) for t in s["tces"])
            assert total == pytest.approx(scopes[scope]["chain"], rel=1e-9, abs=1e-12), (s["shipmentId"], scope)
            assert scopes[scope]["chain"] == pytest.approx(scopes[scope]["transport"] + scopes[scope]["handling"], rel=1e-12)


def test_tces_chain_in_order_and_name_existing_categories(exported):
    """Trunk, warehouse, hub, line-haul, station, last mile, in that order; every TCE names a TOC
    or a HOC of the files; under toc_tonne_km every leg's kg are its tonne-km (mass x shortest
    feasible distance) x its TOC day's intensity, and a site's its tonnes x its HOC's."""
    _, out, _, _ = exported
    shipments = json.loads((out / "shipment-footprints.json").read_text())
    tocs = {t["tocId"]: t for t in json.loads((out / "tocs.json").read_text())}
    hocs = {h["hocId"]: h for h in json.loads((out / "hocs.json").read_text())}
    bases = {t.split("@")[0] for t in tocs}
    assert {"trunk-road", "trunk-rail", "linehaul-truck", "last-mile-e_tricycle", "last-mile-mini_van"} <= bases
    per_toc: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    order = ["trunk-", "warehouse", "hub", "linehaul-truck", "station", "last-mile"]
    for s in shipments:
        ids = [t["tceId"] for t in s["tces"]]
        assert len(set(ids)) == len(ids)
        steps = []
        for prev, t in zip([None, *ids], s["tces"]):
            assert t["prevTceIds"] == ([] if prev is None else [prev])
            assert t["shipmentId"] == s["shipmentId"] and (t["tocId"] is None) != (t["hocId"] is None)
            cid = t["tocId"] or t["hocId"]
            steps.append(next(i for i, b in enumerate(order) if cid.startswith(b)))
            if t["hocId"] is not None:
                assert t["hocId"] in hocs
                tonnes = Decimal(t["mass"]) / 1000
                assert float(t["co2eWTW"]) == pytest.approx(
                    float(tonnes * Decimal(hocs[t["hocId"]]["co2eIntensityWTW"])), rel=1e-9
                )
                continue
            assert t["tocId"] in tocs
            sfd = Decimal(t["distance"]["sfd"])
            assert Decimal(t["transportActivity"]) == pytest.approx(Decimal(t["mass"]) / 1000 * sfd)
            per_toc[t["tocId"]][0] += Decimal(t["co2eWTW"])
            per_toc[t["tocId"]][1] += Decimal(t["transportActivity"])
            if t["tocId"].startswith("last-mile-e_tricycle"):
                assert Decimal(t["co2eTTW"]) == 0 and Decimal(t["co2eWTW"]) > 0  # electric: never 0 kg WTW
            if not t["tocId"].startswith("trunk-"):  # pooled by day: the TOC's intensity x the leg's tkm
                intensity = float(tocs[t["tocId"]]["co2eIntensityWTW"])
                assert float(t["co2eWTW"]) == pytest.approx(intensity * float(t["transportActivity"]), rel=1e-9)
        assert steps == sorted(steps) and order[steps[-1]] == "last-mile"
    for toc_id, (wtw, tkm) in per_toc.items():
        assert float(tocs[toc_id]["co2eIntensityWTW"]) == pytest.approx(float(wtw / tkm), rel=1e-9)
    assert {t["energyCarriers"][0]["energyCarrier"] for k, t in tocs.items() if k.startswith("last-mile-mini_van")} == {"Petrol"}
    for k, t in tocs.items():
        if k.startswith("linehaul-truck"):
            assert 0 < float(t["loadFactor"]) <= 1
            assert float(t["emptyDistanceFactor"]) == pytest.approx(0.5)  # back empty on the same road


def test_the_pact_wrapper_follows_the_ileap_mapping(exported):
    _, out, _, _ = exported
    s = json.loads((out / "shipment-footprints.json").read_text())[0]
    pf = json.loads((out / "pact" / f"{s['shipmentId']}.json").read_text())
    assert pf["productCategoryCpc"] == "83117"
    assert pf["productIds"] == [f"urn:pathfinder:product:customcode:vendor-assigned:shipment:{s['shipmentId']}"]
    pcf = pf["pcf"]
    assert pcf["declaredUnit"] == "ton kilometer" and pcf["packagingEmissionsIncluded"] is False
    assert Decimal(pcf["unitaryProductAmount"]) == sum(Decimal(t["transportActivity"]) for t in s["tces"])
    assert Decimal(pcf["pCfExcludingBiogenic"]) == sum(Decimal(t["co2eWTW"]) for t in s["tces"])
    assert pf["extensions"][0]["data"] == s
    assert "Modelled" in pf["comment"] and pcf["primaryDataShare"] == 0.0


def test_an_existing_folder_needs_force_and_a_file_is_refused(exported, tmp_path):
    db, out, _, _ = exported
    again = CliRunner().invoke(main, ["export-ileap", str(db), str(out)])
    assert again.exit_code == 2 and "already exists; add --force" in again.output
    before = (out / "tocs.json").read_text()
    forced = CliRunner().invoke(main, ["export-ileap", str(db), str(out), "--force", "--json"])
    assert forced.exit_code == 0, forced.output
    assert (out / "tocs.json").read_text() == before  # the same run gives the same files
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".out.")]  # no temporary folder left
    a_file = tmp_path / "f.json"
    a_file.write_text("{}")
    res = CliRunner().invoke(main, ["export-ileap", str(db), str(a_file), "--force"])
    assert res.exit_code == 2


def test_kpis_glec_is_the_exports_figures_with_the_data_quality_statement(exported):
    db, out, _, footprints = exported
    res = CliRunner().invoke(main, ["kpis", str(db), "--glec", "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    shipments = json.loads((out / "shipment-footprints.json").read_text())
    wtw: dict[str, float] = defaultdict(float)
    tkm: dict[str, float] = defaultdict(float)
    for s in shipments:
        for t in s["tces"]:
            base = (t["tocId"] or t["hocId"]).split("@")[0]
            wtw[base] += float(t["co2eWTW"])
            tkm[base] += float(t["transportActivity"]) if t["tocId"] else float(t["mass"]) / 1000
    rows = {r["toc_id"]: r for r in rep["tocs"]}
    assert rows.keys() == wtw.keys()
    for toc_id, r in rows.items():
        # the day categories summed over the run: kg, and g per tkm (kg per tonne at a site)
        assert r["kg_co2e_wtw"] == pytest.approx(wtw[toc_id], rel=1e-9)
        per = 1000 if r["kind"] == "toc" else 1
        assert r["g_co2e_per_tkm_wtw"] == pytest.approx(per * wtw[toc_id] / tkm[toc_id], rel=1e-9)
        assert r["kg_co2e_ttw"] <= r["kg_co2e_wtw"]
    assert rows["last-mile-e_tricycle"]["kg_co2e_ttw"] == 0 < rows["last-mile-e_tricycle"]["kg_co2e_wtw"]
    assert rows["hub"]["kind"] == "hoc" and rows["hub"]["activity_unit"] == "t"
    mean = sum(f["scopes"]["wtw"]["chain"] for f in footprints.values()) / len(footprints)
    assert rep["kg_co2e_wtw_per_parcel"] == pytest.approx(mean, rel=1e-9)
    assert rep["data_quality"].startswith("Modelled data")
    both = CliRunner().invoke(main, ["kpis", str(db), "--glec", "--by", "zone"])
    assert both.exit_code == 2 and "pick one" in both.output
    table = CliRunner().invoke(main, ["--tables", "kpis", str(db), "--glec"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "g/tkm WTW" in table.output and "data quality: Modelled" in table.output


def test_the_files_are_the_compact_json_of_the_records_byte_for_byte(exported, tmp_path):
    """The writer splices each shipment's bytes into its PACT file instead of encoding it twice:
    every file is still exactly json's compact encoding of its record, also when a PACT record
    does not share its shipment's dict (then it is encoded whole)."""
    import copy

    from sim.analysis.ileap import build_ileap
    from sim.export.ileap import write_records

    db, out, _, _ = exported
    with EventLog.open(db) as log:
        shipments, tocs, hocs, pact = build_ileap(log, 1)
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
    for name, records in (("shipment-footprints.json", shipments), ("tocs.json", tocs), ("hocs.json", hocs)):
        assert (out / name).read_bytes() == (encode(records) + "\n").encode(), name
    assert sorted(p.name for p in (out / "pact").iterdir()) == sorted(f"{s['shipmentId']}.json" for s in shipments)
    for pf in pact:
        sid = pf["extensions"][0]["data"]["shipmentId"]
        assert (out / "pact" / f"{sid}.json").read_bytes() == (encode(pf) + "\n").encode(), sid
    apart = tmp_path / "apart"
    apart.mkdir()
    write_records(apart, shipments, tocs, hocs, copy.deepcopy(pact[:20]))
    for pf in pact[:20]:
        sid = pf["extensions"][0]["data"]["shipmentId"]
        assert (apart / "pact" / f"{sid}.json").read_bytes() == (out / "pact" / f"{sid}.json").read_bytes()


def test_the_files_do_not_depend_on_the_number_of_workers(exported, tmp_path):
    """export_ileap slices the log over worker processes: three workers write exactly the files
    one writes (the shipments in log order, the trunk totals summed exactly)."""
    from sim.export.ileap import export_ileap

    db, out, counts, _ = exported
    with EventLog.open_existing(db) as log:
        three = export_ileap(log, 1, tmp_path / "three", jobs=3)
    assert three.shipments == counts["shipments"] and three.tces == counts["tces"]
    for name in ("shipment-footprints.json", "tocs.json", "hocs.json"):
        assert (tmp_path / "three" / name).read_bytes() == (out / name).read_bytes(), name
    files = sorted(p.name for p in (out / "pact").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "three" / "pact").iterdir())
    for f in files:
        assert (tmp_path / "three" / "pact" / f).read_bytes() == (out / "pact" / f).read_bytes(), f
