"""The HTML report (sim.export.report): self-contained, true to the log, and it renders offline.

Two small real runs (2 days, 60 orders a day; the second with half the light trucks
electric) are simulated once into two SQLite files; the reports of one run and of both are
built once and inspected as text, parsed as HTML, and opened in headless Chromium.
"""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.glec import GlecReport, glec_report
from sim.analysis.summary import summarize
from sim.export.report import build_report
from sim.log.eventlog import EventLog
from sim.scenario import Scenario
from sim.simulation import run

TINY = ["simulation.days=2", "demand.orders_per_day=60", "world.customers=200", "catalog.products=40"]
CHARTS_PER_RUN = 5  # emissions, Pareto fronts, load factors, green shares, route map
#: the only URLs a page may contain: the SVG and XLink namespace names, which are never fetched
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("report")
    a, b = tmp / "a.db", tmp / "b.db"
    run(Scenario().apply_overrides(TINY), db_path=a, seed=1, name="tiny")
    run(Scenario().apply_overrides([*TINY, "fleet.ev_share=0.5"]), db_path=b, seed=1, name="tiny-ev")
    return {"a": a, "b": b, "dir": tmp}


@pytest.fixture(scope="module")
def one(logs) -> Path:
    return build_report([(logs["a"], None)], logs["dir"] / "one.html")


@pytest.fixture(scope="module")
def two(logs) -> Path:
    return build_report([(logs["a"], 1), (logs["b"], None)], logs["dir"] / "two.html")


class _Page(HTMLParser):
    """The parts of a report the tests read: charts (and whether each sits in a <figure> and
    which section holds it), the KPI cells per section, the body's attributes."""

    def __init__(self, text: str):
        super().__init__()
        self.stack: list[tuple[str, dict]] = []
        self.charts: list[dict] = []
        self.svgs = 0
        self.cells: dict[str, dict[str, list[str]]] = {}  # section id -> data-kpi/data-diff/data-total -> texts
        self.body: dict = {}
        self.scripts: list[dict] = []
        self._cell: tuple[str, str] | None = None
        self.feed(text)

    def _section(self) -> str:
        return next((a.get("id", "") for t, a in reversed(self.stack) if t == "section"), "")

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svgs += 1
            if "chart" in (a.get("class") or "").split():
                self.charts.append({"in_figure": any(t == "figure" for t, _ in self.stack), "section": self._section()})
        if tag == "body":
            self.body = a
        if tag == "script":
            self.scripts.append(a)
        for attr in ("data-kpi", "data-diff", "data-total"):
            if attr in a:
                self._cell = (self._section(), f"{attr}:{a[attr]}")
        if tag not in ("meta", "br", "path", "use", "rect", "stop", "img", "link") or tag == "svg":
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_startendtag(self, tag, attrs):
        if tag == "svg":
            self.handle_starttag(tag, attrs)
            self.handle_endtag(tag)

    def handle_data(self, data):
        if self._cell is not None:
            section, key = self._cell
            self.cells.setdefault(section, {}).setdefault(key, []).append(data.strip())
            self._cell = None


def _page(path: Path) -> tuple[str, _Page]:
    text = path.read_text(encoding="utf-8")
    return text, _Page(text)


# --------------------------------------------------------------------------------------------
# self-contained
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which, runs", [("one", 1), ("two", 2)])
def test_the_page_is_self_contained_and_every_chart_an_inline_svg(which, runs, request):
    path = request.getfixturevalue(which)
    text, page = _page(path)
    lowered = text.lower()
    for needle in ("<script src", "<link", "url(http", 'src="http', "@import", "<img", "<iframe", 'href="http'):
        assert needle not in lowered, f"{which}: the page refers outside itself ({needle})"
    assert set(re.findall(r"https?://[^\s\"'<>)]+", text)) <= NAMESPACES
    assert all(not s.get("src") for s in page.scripts) and len(page.scripts) == 1
    expected = CHARTS_PER_RUN * runs + (1 if runs > 1 else 0)
    assert len(page.charts) == expected
    assert page.svgs == expected, "an svg that is not a chart"
    assert all(c["in_figure"] for c in page.charts)
    assert page.body.get("data-charts") == str(expected)
    comparison_charts = sum(c["section"] == "comparison" for c in page.charts)
    assert comparison_charts == (1 if runs > 1 else 0)
    for i in range(1, runs + 1):
        assert sum(c["section"] == f"run-{i}" for c in page.charts) == CHARTS_PER_RUN
    # ids are unique across the charts (matplotlib gives every chart the same glyph ids)
    ids = re.findall(r'\sid="([^"]+)"', text)
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------------------------
# true to the log
# --------------------------------------------------------------------------------------------


def test_the_figures_are_the_logs(logs, two):
    text, page = _page(two)
    with EventLog.open(logs["a"]) as log:
        sa = summarize(log, 1)
        parts = log.db.execute(
            "SELECT TOTAL(json_extract(data, '$.last_mile')), TOTAL(json_extract(data, '$.trunk')),"
            " TOTAL(json_extract(data, '$.packaging')) FROM events WHERE run_id = 1 AND type = 'footprint_computed'"
        ).fetchone()
    with EventLog.open(logs["b"]) as log:
        sb = summarize(log, log.runs()[-1].run_id)
    assert sa.kg_co2e_per_order != sb.kg_co2e_per_order  # the electric vans changed something to compare
    run1 = page.cells["run-1"]
    assert run1["data-kpi:kg_co2e_per_order"] == [f"{sa.kg_co2e_per_order:.3f}"]
    assert run1["data-kpi:orders"] == [f"{sa.orders:,}"]
    assert run1["data-kpi:on_time_share"] == [f"{100 * sa.on_time_share:.1f}"]
    assert run1["data-kpi:km"] == [f"{sa.km:,.0f}"]
    assert run1["data-kpi:green_sales_share"] == [f"{100 * sa.green_sales_share:.1f}"]
    assert page.cells["run-2"]["data-kpi:kg_co2e_per_order"] == [f"{sb.kg_co2e_per_order:.3f}"]
    for part, total in zip(("last_mile", "trunk", "packaging"), parts):
        assert run1[f"data-total:{part}"] == [f"{total:,.1f}"]
    # the comparison: both runs' values, and b - a
    cmp = page.cells["comparison"]
    assert cmp["data-kpi:kg_co2e_per_order"] == [f"{sa.kg_co2e_per_order:.3f}", f"{sb.kg_co2e_per_order:.3f}"]
    diff = sb.kg_co2e_per_order - sa.kg_co2e_per_order
    assert cmp["data-diff:kg_co2e_per_order"] == [f"{'-' if diff < 0 else '+'}{abs(diff):.3f}"]
    assert cmp["data-diff:on_time_share"] == [f"{100 * (sb.on_time_share - sa.on_time_share):+.1f} pp"]
    # each run's heading names the file, run id, scenario, seed, days and status
    for i, (path, s) in enumerate([(logs["a"], sa), (logs["b"], sb)], start=1):
        section = re.search(rf'<section class="run" id="run-{i}"(.*?)</section>', text, re.S).group(0)
        meta = re.sub(r"<[^>]+>", " ", section[: section.index("<h3>")])
        for needle in (path.name, f"run {s.run_id}", s.scenario, f"seed {s.seed}", f"{s.days} days", f"status {s.status}"):
            assert needle in meta, needle


def test_the_last_run_is_the_default_and_a_run_without_waves_has_captions_not_charts(tmp_path):
    path = tmp_path / "empty.db"
    scenario = Scenario().apply_overrides(TINY)
    with EventLog.open(path) as log:
        for seed in (5, 6):  # two runs that logged nothing: no orders, no waves, no sessions
            with log.run(scenario="idle", scenario_json=scenario.canonical_json(), seed=seed):
                pass
    text, page = _page(build_report([(path, None)], tmp_path / "empty.html"))
    assert "seed 6" in text and "seed 5" not in text
    assert "No waves in this run" in text
    assert "No order footprints in this run" in text
    assert "No vehicle departures in this run" in text
    assert "No orders in this run" in text
    assert page.charts == [] and page.body.get("data-charts") == "0"
    assert page.cells["run-1"]["data-kpi:orders"] == ["0"]
    assert "No delivered shipment in this run, so no transport chains" in text  # the GLEC section without TOCs
    assert _glec_cells(text)["shipments"] == ("0", "0")


# --------------------------------------------------------------------------------------------
# GLEC / ISO 14083: glec.py's figures, not the report's own
# --------------------------------------------------------------------------------------------


class _GlecCells(HTMLParser):
    """Every ``data-glec`` cell of a page, per run section: where -> (data-value or None, text)."""

    def __init__(self, text: str):
        super().__init__()
        self.runs: list[dict[str, tuple[str | None, str]]] = []
        self._open: tuple[str, str | None] | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and "run" in (a.get("class") or ""):
            self.runs.append({})
        if "data-glec" in a:
            self._open = (a["data-glec"], a.get("data-value"))
            self.runs[-1][a["data-glec"]] = (a.get("data-value"), "")

    def handle_data(self, data):
        if self._open is not None:
            where, value = self._open
            self.runs[-1][where] = (value, self.runs[-1][where][1] + data)

    def handle_endtag(self, tag):
        if tag in ("td", "span"):
            self._open = None


def _glec_cells(text: str, run: int = 1) -> dict[str, tuple[str | None, str]]:
    return _GlecCells(text).runs[run - 1]


def _assert_glec_section_is(cells: dict[str, tuple[str | None, str]], rep: GlecReport) -> None:
    """Every figure of ``rep`` is in the section, its exact value in data-value, and nothing else is."""
    expected: dict[str, object] = {}
    for row in rep.tocs:
        for f in dataclasses.fields(row):
            expected[f"tocs.{row.toc_id}.{f.name}"] = getattr(row, f.name)
    for key in ("tkm", "kg_co2e_wtw", "kg_co2e_ttw", "g_co2e_per_tkm_wtw", "g_co2e_per_tkm_ttw"):
        expected[f"all.{key}"] = getattr(rep, key)
    for key in ("shipments", "kg_co2e_wtw_per_parcel", "kg_co2e_ttw_per_parcel", "data_quality"):
        expected[key] = getattr(rep, key)
    assert cells.keys() == expected.keys()
    for where, want in expected.items():
        value, shown = cells[where]
        if want is None:
            assert value is None and shown == "—", where
        elif isinstance(want, str):
            assert value is None and shown == want, where
        else:
            assert value is not None and type(want)(value) == want, (where, value, want)  # the same float, unrounded


@pytest.fixture(scope="module")
def stations(logs) -> Path:
    """A run on the stations network (hub, line-haul, stations), beside the one-depot world of ``logs``."""
    db = logs["dir"] / "stations.db"
    run(Scenario().apply_overrides([*TINY, "network.layout=stations"]), db_path=db, seed=2, name="tiny-stations")
    return db


def test_the_glec_section_is_glec_pys_figures_with_and_without_stations(logs, two, stations, tmp_path):
    text, _ = _page(two)
    for i, db in enumerate((logs["a"], logs["b"]), start=1):
        with EventLog.open(db) as log:
            rep = glec_report(log, log.runs()[-1].run_id)
        assert rep.tocs and not any(t.toc_id == "linehaul-truck" for t in rep.tocs)  # one depot: no line-haul
        _assert_glec_section_is(_glec_cells(text, i), rep)
    section = re.search(r'<div class="glec" id="run-1-glec">(.*?)</div>\n</section>', text, re.S)
    assert section is not None
    assert "GLEC / ISO 14083" in text and "Modelled data" in section.group(1)
    for exclusion in rep.exclusions:
        assert html.escape(exclusion) in section.group(1)
    with EventLog.open(stations) as log:
        rep = glec_report(log, 1)
    assert "linehaul-truck" in {t.toc_id for t in rep.tocs}
    text, page = _page(build_report([(stations, None)], tmp_path / "stations.html"))
    _assert_glec_section_is(_glec_cells(text), rep)
    ids = re.findall(r'\sid="([^"]+)"', text)
    assert len(page.charts) == CHARTS_PER_RUN and len(ids) == len(set(ids))  # still a valid page


def test_the_glec_section_shows_every_kind_of_rows_glec_py_returns(logs, tmp_path, monkeypatch):
    """Rows glec.py may gain (hub operation categories) are shown with their own fields, unnamed
    ones under their field name, without a change to the report."""
    import sim.export.report as report

    @dataclasses.dataclass(frozen=True)
    class HocRow:
        hoc_id: str
        kg_co2e_wtw: float
        throughput_t: float
        note: str | None

    @dataclasses.dataclass(frozen=True)
    class WithHocs(GlecReport):
        hocs: tuple[HocRow, ...] = ()

    def with_hocs(log, run_id):
        base = glec_report(log, run_id)
        fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
        return WithHocs(**fields, hocs=(HocRow("station-sort", 1.25, 3.5, None),))

    monkeypatch.setattr(report, "glec_report", with_hocs)
    text, _ = _page(build_report([(logs["a"], None)], tmp_path / "hocs.html"))
    cells = _glec_cells(text)
    assert cells["hocs.station-sort.kg_co2e_wtw"][0] == "1.25" and cells["hocs.station-sort.throughput_t"] == ("3.5", "3.5")
    assert cells["hocs.station-sort.note"] == (None, "—")
    assert '<table class="glec-hocs">' in text and "<th>HOC</th>" in text and "throughput_t" in text
    assert any(k.startswith("tocs.") for k in cells)  # the TOCs still there


# --------------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------------


def test_a_bad_run_id_or_file_is_a_clear_error(logs, tmp_path):
    out = tmp_path / "r.html"
    with pytest.raises(KeyError, match=r"a\.db: no run 99 in this event log \(its runs: 1\)"):
        build_report([(logs["a"], 99)], out)
    with pytest.raises(ValueError, match=r"missing\.db: no such event log file"):
        build_report([(tmp_path / "missing.db", None)], out)
    assert not (tmp_path / "missing.db").exists()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(ValueError, match=r"other\.db: not a carbonsim event log"):
        build_report([(other, None)], out)
    with sqlite3.connect(other) as conn:  # left as it was: no event-log tables added
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["t"]
    with pytest.raises(ValueError, match=r"a\.db: run id must be an int or None, got '1'"):
        build_report([(logs["a"], "1")], out)
    with pytest.raises(ValueError, match="at least one"):
        build_report([], out)
    assert not out.exists()


# --------------------------------------------------------------------------------------------
# a real browser, offline
# --------------------------------------------------------------------------------------------


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.skip("no chromium or chromium-browser on PATH: the report's browser test needs one (apt install chromium)")
    return found


def _browse(tmp_path: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{name}"
    command = [
        _chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_chromium_renders_every_chart_offline(two, tmp_path):
    expected = 2 * CHARTS_PER_RUN + 1
    done = _browse(tmp_path, "dom", "--virtual-time-budget=2000", "--dump-dom", two.resolve().as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body is not None, done.stdout[:500]
    rendered = re.search(r'data-charts-rendered="(\d+)"', body.group(1))
    assert rendered is not None and int(rendered.group(1)) == expected  # the page says 0 until its script ran


def test_chromium_screenshot_is_not_blank(two, tmp_path):
    from matplotlib.image import imread

    png = tmp_path / "two.png"
    done = _browse(
        tmp_path, "shot", "--hide-scrollbars", f"--screenshot={png}", "--window-size=1200,3000", two.resolve().as_uri()
    )
    assert done.returncode == 0 and png.is_file(), done.stderr[-2000:]
    image = imread(png)
    assert image.shape[:2] == (3000, 1200)
    pixels = image[..., :3].reshape(-1, 3)
    colours = np.unique((pixels * 255).round().astype(np.uint8), axis=0)
    assert len(colours) > 50  # text, bars, markers and a colour bar, not one flat colour
    white = (pixels > 0.97).all(axis=1)
    assert white.mean() < 0.95


def test_cli_report_takes_files_and_file_colon_run(logs, tmp_path):
    from click.testing import CliRunner

    from sim.cli import main

    out = tmp_path / "cli.html"
    res = CliRunner().invoke(main, ["report", str(logs["a"]) + ":1", str(logs["b"]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert f"wrote {out}" in res.stdout and "2 run(s)" in res.stdout
    _, page = _page(out)
    assert len(page.charts) == 2 * CHARTS_PER_RUN + 1
    missing = CliRunner().invoke(main, ["report", str(tmp_path / "nope.db"), "-o", str(out)])
    assert missing.exit_code == 2 and "no such run database" in missing.output
    bad_run = CliRunner().invoke(main, ["report", str(logs["a"]) + ":99", "-o", str(tmp_path / "x.html")])
    assert bad_run.exit_code == 2 and "no run 99" in bad_run.stderr
