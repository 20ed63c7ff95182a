"""The KPI registry (sim.analysis.kpis) is the one home of a KPI's label, unit and format: the
run table, the report and compare read it, so they cannot disagree."""

from __future__ import annotations

import dataclasses
import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.analysis.kpis import BY_KEY, COMPARED, GROUPS, KPIS, Kpi, in_group, kpi
from sim.analysis.summary import RunSummary
from sim.cli import main
from sim.experiments import KPIS as COMPARED_KEYS
from sim.export.report import build_report

ROOT = Path(__file__).resolve().parents[2]
TINY = ["--set", "demand.orders_per_day=50", "--set", "world.customers=150", "--set", "catalog.products=30"]


def test_every_kpi_is_a_summary_field_in_a_known_group():
    fields = {f.name: f for f in dataclasses.fields(RunSummary)}
    assert len(BY_KEY) == len(KPIS)
    for k in KPIS:
        assert k.key in fields, k.key
        assert k.group in GROUPS and k.better in (-1, 0, 1)
        assert not k.share or k.unit == "%", k.key
    assert [k.key for k in KPIS] == [k.key for g in GROUPS for k in in_group(g)]  # grouped in order


def test_formats():
    share = Kpi("x", "x", "%", GROUPS[0], 1, share=True)
    assert share.format(0.9512) == "95.1" and share.text(0.9512) == "95.1 %"
    assert kpi("orders").text(12345) == "12,345"
    assert kpi("km").text(12345.6) == "12,346 km"
    assert kpi("kg_co2e_per_order").text(0.12345) == "0.123 kg CO2e/order"
    assert kpi("conversion").text(None) == "—"
    assert kpi("cost_per_order").heading == "transport cost per order (yuan/order)"
    with pytest.raises(KeyError, match="no KPI 'nope'"):
        kpi("nope")


def test_compare_compares_the_registrys_kpis():
    assert COMPARED_KEYS == tuple(k.key for k in COMPARED) and len(COMPARED) >= 10


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kpis")
    db = folder / "run.db"
    res = CliRunner().invoke(
        main,
        ["--tables", "run", str(ROOT / "scenarios" / "baseline.toml"), "-d", "1", "--db", str(db), *TINY],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    return db, res.stdout, folder


def test_run_table_and_report_show_the_same_labels_and_values(tiny_run):
    db, table_text, folder = tiny_run
    report = build_report([(db, None)], folder / "r.html").read_text()
    res = CliRunner().invoke(main, ["kpis", str(db), "--json"])
    data = json.loads(res.stdout)
    summary = RunSummary(**{f.name: data[f.name] for f in dataclasses.fields(RunSummary)})
    shown = [k for k in KPIS if k.shown_for(summary)]
    assert any(not k.shown_for(summary) for k in KPIS)  # the baseline gives no points: their rows are left out
    for k in shown:
        if k.key in ("wall_seconds", "routing_seconds", "events"):  # the table's run vs kpis recomputed
            continue
        value = k.text(getattr(summary, k.key))
        assert re.search(rf"{re.escape(k.label)}\s+│?\s*{re.escape(value)}", table_text), (k.key, value)
        cell = re.search(rf'data-kpi="{k.key}">([^<]*)<', report)
        assert cell and html.unescape(cell.group(1)) == k.format(getattr(summary, k.key)), k.key
        assert html.escape(k.label) in report
