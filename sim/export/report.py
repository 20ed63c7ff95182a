"""An HTML report of one or more runs, read from their event logs.

:func:`build_report` writes ONE self-contained file: the charts are matplotlib figures saved
as SVG and pasted inline, the style sheet and the one small script are inline too, so the
page opens offline, can be mailed or archived as it is, and loads nothing from anywhere.

Per run: emissions over time by part, every wave's cost/CO2 Pareto front with the chosen
plan, the vehicles' load factors, the green shares over time, a table of the run's KPIs and its
GLEC / ISO 14083 figures (:func:`sim.analysis.glec.glec_report`, what ``carbonsim kpis --glec`` prints).
With several runs, a comparison of their KPIs against the first run comes first.

Every figure comes from the log: the KPI table is :func:`sim.analysis.summary.summarize`; the charts
are queries over the run's events (``footprint_computed``, ``wave_planned``,
``vehicle_departed``, ``order_placed``, ``slate_shown``, ``sessions_counted``).

Charts are drawn on :class:`matplotlib.figure.Figure` objects, never through pyplot, so
building a report touches no global figure registry and can run in any thread or process.
"""

from __future__ import annotations

import html
import io
import json
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from optimizer.units import MINUTES_PER_DAY
from sim.analysis.breakdown import GroupKpis, breakdown, total
from sim.analysis.glec import GlecReport, glec_report
from sim.analysis.kpis import BREAKDOWN, COMPARED, GROUPS, Kpi, in_group, kpi
from sim.analysis.summary import RunSummary, summarize
from sim.errors import NotFound
from sim.export.outputs import check_output, write_output
from sim.log.eventlog import EventLog, RunRecord, package_version
from sim.log.payloads import K, json_field

__all__ = ["build_report"]

#: Above this many waves the Pareto chart draws the fronts of an evenly spaced subset
#: (every chosen plan is still marked): thousands of overlapping fronts say no more than 40.
MAX_FRONT_WAVES = 40

# Okabe-Ito: distinguishable with the common colour-vision deficiencies
_PART_COLOURS = {"last_mile": "#E69F00", "trunk": "#0072B2", "packaging": "#009E73"}
_PART_LABELS = {"last_mile": "last mile", "trunk": "trunk legs", "packaging": "packaging"}
#: Route colours by vehicle type: Okabe-Ito without the orange that marks the wave's station
_VEHICLE_COLOURS = ["#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#F0E442"]
_STATION_COLOUR = "#D55E00"
_RUN_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


# --------------------------------------------------------------------------------------------
# KPI formatting
# --------------------------------------------------------------------------------------------


def _pct(v: float) -> str:
    return f"{100 * v:.1f}"


def _value(summary: RunSummary, key: str) -> float | None:
    return getattr(summary, key)


def _formatted(summary: RunSummary, key: str) -> str:
    value = _value(summary, key)
    return kpi(key).format(value)


# --------------------------------------------------------------------------------------------
# Reading a run
# --------------------------------------------------------------------------------------------


@dataclass
class _WaveMap:
    """One wave as the route map draws it: every station's site, the hub, and the wave's routes
    as driven (the depot, each stop in the order the vehicle reached it, the depot)."""

    wave_id: int
    t: float
    depot: int
    orders: int  # planned in the wave
    asked: bool  # the reader named the wave (--wave); else the busiest wave was picked
    waves: int  # waves in the run
    sites: dict[int, tuple[float, float] | None]  # station (depot) index -> its site, km
    hub: tuple[float, float] | None
    routes: list[tuple[object, str, list[tuple[float | None, float | None]], float]]  # id, vehicle type, stops, km

    @property
    def site(self) -> tuple[float, float] | None:
        return self.sites.get(self.depot)

    @property
    def drawable(self) -> bool:
        """Whether the log has the coordinates (logs written before the route map lack them)."""
        stops = [p for _, _, path, _ in self.routes for p in path]
        return self.site is not None and all(x is not None and y is not None for x, y in stops)


@dataclass
class _RunData:
    """What the report shows of one run, read once from its log."""

    path: Path
    record: RunRecord
    summary: RunSummary
    label: str = ""
    footprints: np.ndarray = field(default_factory=lambda: np.empty((0, 5)))  # t, last_mile, trunk, packaging, production
    waves: list[tuple[float, np.ndarray, int, str]] = field(
        default_factory=list
    )  # t, front (cost, kg, penalty), chosen, algorithm
    departures: list[tuple[str, float, float]] = field(default_factory=list)  # vehicle type, load kg, capacity kg
    orders: np.ndarray = field(default_factory=lambda: np.empty((0, 4)))  # t, units, green units, green slot (0/1)
    slates: np.ndarray = field(default_factory=lambda: np.empty((0, 3)))  # t, exposure, green exposure
    wave_map: _WaveMap | None = None  # the route map's wave (None: the run planned no wave)
    by_station: list[GroupKpis] = field(default_factory=list)
    by_zone: list[GroupKpis] = field(default_factory=list)
    glec: GlecReport | None = None

    @property
    def bucket_minutes(self) -> float:
        # a one-day run has one daily bar: hours say more
        return 60.0 if self.summary.days <= 1 else MINUTES_PER_DAY

    @property
    def bucket_unit(self) -> str:
        return "hour" if self.summary.days <= 1 else "day"


def _read_run(path: str | os.PathLike, run_id: int | None, wave: int | None = None) -> _RunData:
    path = Path(path)
    with EventLog.open_existing(path) as log:
        record = log.pick_run(run_id, source=path)
        rid = record.run_id
        data = _RunData(path=path, record=record, summary=summarize(log, rid))
        data.by_station = breakdown(log, rid, "station")
        data.by_zone = breakdown(log, rid, "zone")
        data.glec = glec_report(log, rid)
        db = log.db
        data.wave_map = _read_wave_map(db, rid, wave, path)
        data.footprints = np.array(
            db.execute(
                f"SELECT t, {json_field(K.LAST_MILE)}, {json_field(K.TRUNK)},"
                f" {json_field(K.PACKAGING)}, {json_field(K.PRODUCTION)}"
                " FROM events WHERE run_id = ? AND type = 'footprint_computed' ORDER BY seq",
                [rid],
            ).fetchall(),
            dtype=float,
        ).reshape(-1, 5)
        data.footprints = np.nan_to_num(data.footprints)  # a part a footprint lacks counts as zero
        for t, front, chosen, algorithm in db.execute(
            f"SELECT t, {json_field(K.FRONT)}, {json_field(K.CHOSEN)}, {json_field(K.ALGORITHM)}"
            " FROM events WHERE run_id = ? AND type = 'wave_planned' ORDER BY seq",
            [rid],
        ):
            points = np.array(_json_list(front), dtype=float).reshape(-1, 3)
            if len(points):
                data.waves.append((t, points, int(chosen or 0), algorithm or "?"))
        data.departures = [
            (vtype or "?", float(load or 0.0), float(capacity or 0.0))
            for vtype, load, capacity in db.execute(
                f"SELECT {json_field(K.VEHICLE_TYPE)}, load, {json_field(K.CAPACITY_KG)}"
                " FROM events WHERE run_id = ? AND type = 'vehicle_departed' ORDER BY seq",
                [rid],
            )
        ]
        data.orders = np.array(
            db.execute(
                f"SELECT t, COALESCE(quantity, 0), COALESCE({json_field(K.GREEN_UNITS)}, 0),"
                f" COALESCE({json_field(K.OPTION)} = 'green_slot', 0)"
                " FROM events WHERE run_id = ? AND type = 'order_placed' ORDER BY seq",
                [rid],
            ).fetchall(),
            dtype=float,
        ).reshape(-1, 4)
        data.slates = np.array(
            db.execute(
                # an hour's sessions_counted (stamped at the hour's end) goes with the hour it counts
                "SELECT CASE type WHEN 'sessions_counted' THEN t - 30.0 ELSE t END,"
                f" COALESCE({json_field(K.EXPOSURE)}, 0), COALESCE({json_field(K.EXPOSURE_GREEN)}, 0)"
                " FROM events WHERE run_id = ? AND type IN ('slate_shown', 'sessions_counted') ORDER BY seq",
                [rid],
            ).fetchall(),
            dtype=float,
        ).reshape(-1, 3)
    return data


def _read_wave_map(db, rid: int, wave: int | None, source: object) -> _WaveMap | None:
    """The route map's wave: ``wave`` (NotFound, a KeyError, if the run has no such wave), else the
    one that planned the most orders (the first of them); None if the run planned no wave."""
    waves = db.execute("SELECT COUNT(*) FROM events WHERE run_id = ? AND type = 'wave_planned'", [rid]).fetchone()[0]
    pick = "AND wave_id = ?" if wave is not None else ""
    row = db.execute(
        f"SELECT wave_id, t, {json_field(K.DEPOT)}, quantity FROM events WHERE run_id = ? AND type = 'wave_planned' {pick}"
        " ORDER BY quantity DESC, seq LIMIT 1",
        [rid, *([wave] if wave is not None else [])],
    ).fetchone()
    if row is None:
        if wave is not None:
            known = f"its waves are 1 to {waves}" if waves else "it planned no wave"
            raise NotFound(f"{source}: run {rid} has no wave {wave} ({known})")
        return None
    wave_id, t, depot, orders = row
    sites: dict[int, tuple[float, float] | None] = {}
    for d, site in db.execute(
        f"SELECT {json_field(K.DEPOT)}, {json_field(K.SITE)} FROM events WHERE run_id = ? AND type = 'wave_planned' ORDER BY seq",
        [rid],
    ):
        xy = _json_list(site)
        if sites.get(d) is None:
            sites[d] = (float(xy[0]), float(xy[1])) if len(xy) == 2 else None
    hub_row = db.execute(
        f"SELECT {json_field(K.HUB)} FROM events WHERE run_id = ? AND type = 'linehaul_arrived'"
        f" AND {json_field(K.HUB)} IS NOT NULL LIMIT 1",
        [rid],
    ).fetchone()
    hub_xy = _json_list(hub_row[0]) if hub_row else []
    routes: dict[object, tuple[str, list, list]] = {}
    for route, vtype in db.execute(
        f"SELECT route_id, {json_field(K.VEHICLE_TYPE)} FROM events WHERE run_id = ? AND type = 'vehicle_departed'"
        " AND wave_id = ? ORDER BY seq",
        [rid, wave_id],
    ):
        routes[route] = (vtype or "?", [], [0.0])
    # the stops as driven: each arrival at an order (failed attempts too), in log order
    # materialised one table at a time: as one join the planner walked the run's events for each
    # arrival (ORDER BY seq led it to the primary key), 2.5 minutes on a week
    for route, x, y in db.execute(
        "WITH r AS MATERIALIZED (SELECT route_id FROM events WHERE run_id = :run AND type = 'vehicle_departed'"
        " AND wave_id = :wave),"
        " a AS MATERIALIZED (SELECT seq, route_id, order_id FROM events WHERE run_id = :run AND type = 'arrived'"
        " AND route_id IN (SELECT route_id FROM r)),"
        f" o AS MATERIALIZED (SELECT order_id, {json_field(K.X)} AS x, {json_field(K.Y)} AS y FROM events"
        " WHERE run_id = :run AND type = 'order_placed' AND order_id IN (SELECT order_id FROM a))"
        " SELECT a.route_id, o.x, o.y FROM a JOIN o ON o.order_id = a.order_id ORDER BY a.seq",
        {"run": rid, "wave": wave_id},
    ):
        routes[route][1].append((x, y))
    for route, km in db.execute(
        "SELECT route_id, km FROM events WHERE run_id = ? AND type = 'vehicle_returned' AND route_id IN"
        " (SELECT route_id FROM events WHERE run_id = ? AND type = 'vehicle_departed' AND wave_id = ?)",
        [rid, rid, wave_id],
    ):
        routes[route][2][0] = float(km or 0.0)
    return _WaveMap(
        wave_id=int(wave_id),
        t=float(t),
        depot=int(depot),
        orders=int(orders or 0),
        asked=wave is not None,
        waves=int(waves),
        sites=sites,
        hub=(float(hub_xy[0]), float(hub_xy[1])) if len(hub_xy) == 2 else None,
        routes=[(r, v, stops, km[0]) for r, (v, stops, km) in routes.items()],
    )


def _json_list(text: str | None) -> list:
    return json.loads(text) if text else []


def _bucket_sums(t: np.ndarray, values: np.ndarray, width: float, n: int) -> np.ndarray:
    index = np.minimum((t // width).astype(int), n - 1)
    return np.bincount(index, weights=values, minlength=n)


def _bucket_count(run: _RunData, t: np.ndarray) -> int:
    horizon = run.summary.days * MINUTES_PER_DAY
    last = float(t.max()) if len(t) else 0.0
    return max(1, math.ceil(max(horizon, last + 1e-9) / run.bucket_minutes))


# --------------------------------------------------------------------------------------------
# Charts: each returns (inline svg or None, caption html)
# --------------------------------------------------------------------------------------------


def _bucket_ticks(ax, n: int, unit: str) -> None:
    step = 6 if unit == "hour" else max(1, math.ceil(n / 16))  # a tick per day, or every 6 hours
    ax.set_xticks(np.arange(0, n, step))


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.set_facecolor("white")
    return fig


_ID_REF = re.compile(r'((?<![\w:-])id="|href="#|url\(#)([^")]+)')
_ROOT_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')


def _inline_svg(fig: Figure, key: str, title: str) -> str:
    """``fig`` as an ``<svg class="chart">`` element to paste into HTML."""
    buf = io.StringIO()
    # no metadata block: it would only carry matplotlib's URL and a date into the page
    fig.savefig(buf, format="svg", metadata={"Creator": None, "Date": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]  # the XML prolog and DOCTYPE are not allowed inside HTML
    # every chart defines the same glyph ids (DejaVuSans-xx) and its own clip paths: ids are
    # document-wide in HTML, so each chart gets its own prefix
    text = _ID_REF.sub(lambda m: f"{m.group(1)}{key}-{m.group(2)}", text)
    # a viewBox without width/height scales with its container (the CSS sets the width)
    text = _ROOT_SIZE.sub(lambda m: f'<svg{m.group(1)} class="chart" role="img" aria-label="{html.escape(title)}"', text, count=1)
    # matplotlib's style rule is written for a standalone file; keep it inside this chart
    text = text.replace("*{stroke-linejoin", f"#{key}-root *{{stroke-linejoin", 1)
    text = text.replace("<svg ", f'<svg id="{key}-root" ', 1)
    return text


def _emissions_chart(run: _RunData, key: str) -> tuple[str | None, str]:
    fp = run.footprints
    if not len(fp):
        return None, "No order footprints in this run, so no emissions over time."
    width, unit = run.bucket_minutes, run.bucket_unit
    n = _bucket_count(run, fp[:, 0])
    x = np.arange(n)
    fig = _figure(9, 3.4)
    ax = fig.add_subplot()
    bottom = np.zeros(n)
    totals = {}
    for col, part in enumerate(("last_mile", "trunk", "packaging"), start=1):
        sums = _bucket_sums(fp[:, 0], fp[:, col], width, n)
        totals[part] = float(fp[:, col].sum())
        ax.bar(x, sums, bottom=bottom, width=0.8, color=_PART_COLOURS[part], label=_PART_LABELS[part])
        bottom += sums
    horizon = run.summary.days * MINUTES_PER_DAY / width
    if n > horizon:  # the drain: orders in flight finish, no new ones arrive
        ax.axvspan(horizon - 0.5, n - 0.5, color="#000000", alpha=0.06, lw=0, label="after the horizon (drain)")
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_xlabel(f"simulated {unit} (0 = first)")
    ax.set_ylabel(f"kg CO2e per {unit}")
    _bucket_ticks(ax, n, unit)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i].startswith("after"))  # the drain last
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left", ncols=4, frameon=False, fontsize=9)
    ax.set_ylim(0, max(bottom.max(), 1e-9) * 1.18)  # headroom for the legend
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    s = run.summary
    caption = (
        f"Emissions charged to orders, in kg CO2e per simulated {unit}, by part, dated when each order's "
        f"footprint was computed (when its route returned): {len(fp):,} footprints. "
        f'Totals: last mile <span data-total="last_mile">{totals["last_mile"]:,.1f}</span> kg, '
        f'trunk <span data-total="trunk">{totals["trunk"]:,.1f}</span> kg, '
        f'packaging <span data-total="packaging">{totals["packaging"]:,.1f}</span> kg. '
        f"Trunk is each order's share of the inbound legs as its label apportions it, so it need not equal "
        f"the {s.kg_co2e_trunk:,.1f} kg the trunk legs emitted in the run. Production "
        f"({float(fp[:, 4].sum()):,.0f} kg, embodied in the goods) is not drawn."
    )
    return _inline_svg(fig, key, "emissions over time by part"), caption


def _sample(n: int, k: int) -> np.ndarray:
    return np.arange(n) if n <= k else np.unique(np.linspace(0, n - 1, k).round().astype(int))


def _pareto_chart(run: _RunData, key: str) -> tuple[str | None, str]:
    waves = run.waves
    if not waves:
        return None, "No waves in this run, so no Pareto fronts."
    n = len(waves)
    shown = _sample(n, MAX_FRONT_WAVES)
    norm = Normalize(1, max(n, 2))
    # the relative panel is where a front's trade-off shows; fronts of one plan (greedy) have none
    relative = [i for i in shown if len(waves[i][1]) > 1 and np.all(waves[i][1][waves[i][2], :2] > 0)]
    fig = _figure(9, 3.8)
    axes = fig.subplots(1, 2, width_ratios=[1.15, 1]) if relative else [fig.add_subplot()]
    points = _draw_fronts(axes[0], waves, shown, norm)
    if relative:
        _draw_relative_fronts(axes[1], waves, relative, norm)
    bar = fig.colorbar(points, ax=list(axes), label="wave, in time order", shrink=0.9, pad=0.01)
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    sizes = np.array([len(front) for _, front, _, _ in waves])
    cheapest = sum(chosen == int(np.argmin(front[:, 0])) for _, front, chosen, _ in waves)
    cleanest = sum(chosen == int(np.argmin(front[:, 1])) for _, front, chosen, _ in waves)
    algorithms = ", ".join(sorted({a for *_, a in waves}))
    subset = (
        f"The fronts of {len(shown)} of the {n} waves are drawn (evenly spaced in time); the chosen plans of all {n} are marked. "
        if len(shown) < n
        else ""
    )
    panels = (
        "Left: absolute values per wave; right: each front relative to its chosen plan, in %, where the "
        "trade-off within a wave is visible (the fronts also trade off the time-window penalty, so in this "
        "projection some plans look dominated). "
        if relative
        else "Every front drawn has a single plan, so there is no trade-off within a wave to show. "
    )
    caption = (
        f"Cost (yuan) against emissions (kg CO2e) of the plans on each dispatch wave's Pareto front "
        f"(router: {html.escape(algorithms)}); light dots are the front's plans, diamonds the plan executed, "
        f"colour the wave's position in time. {panels}{subset}"
        f"{n} waves, {sizes.mean():.1f} plans per front on average, {int((sizes > 1).sum())} with more than one; "
        f"the chosen plan is the cheapest on {cheapest} and the lowest-emission on {cleanest}."
    )
    return _inline_svg(fig, key, "Pareto fronts of the dispatch waves"), caption


def _draw_fronts(ax, waves: list, shown: np.ndarray, norm: Normalize):
    """Every shown wave's front, light, and every wave's chosen plan; returns the chosen
    plans' scatter (its colours are the colour bar's)."""
    for i in shown:
        front = waves[i][1]
        ax.scatter(front[:, 0], front[:, 1], c=np.full(len(front), i + 1), cmap="viridis", norm=norm, s=12, alpha=0.45, lw=0)
    chosen = np.array([front[c, :2] for _, front, c, _ in waves])
    points = ax.scatter(
        chosen[:, 0],
        chosen[:, 1],
        c=np.arange(1, len(waves) + 1),
        cmap="viridis",
        norm=norm,
        s=26,
        marker="D",
        edgecolors="black",
        linewidths=0.6,
        label="chosen plan",
        zorder=3,
    )
    if chosen.min() > 0 and chosen.max(axis=0).min() / chosen.min(axis=0).max() > 8:
        ax.set_xscale("log")  # wave sizes span decades: a linear axis crushes the small waves
        ax.set_yscale("log")
    ax.set_xlabel("transport cost of the wave's plan (yuan)")
    ax.set_ylabel("kg CO2e of the plan")
    ax.set_title("fronts and chosen plans", fontsize=10)
    ax.legend(loc="upper left", frameon=False, fontsize=9)
    ax.grid(alpha=0.3)
    return points


def _draw_relative_fronts(ax, waves: list, relative: list[int], norm: Normalize) -> None:
    for i in relative:
        _, front, chosen, _ = waves[i]
        x, y = 100 * (front[:, 0] / front[chosen, 0] - 1), 100 * (front[:, 1] / front[chosen, 1] - 1)
        order = np.argsort(x)
        ax.plot(x[order], y[order], lw=0.6, alpha=0.35, color="#777777", zorder=1)
        ax.scatter(x, y, c=np.full(len(front), i + 1), cmap="viridis", norm=norm, s=12, alpha=0.6, lw=0, zorder=2)
    ax.scatter([0], [0], marker="D", s=40, facecolors="white", edgecolors="black", zorder=4)
    ax.axhline(0, color="black", lw=0.5)
    ax.axvline(0, color="black", lw=0.5)
    ax.set_xlabel("cost vs the chosen plan (%)")
    ax.set_ylabel("kg CO2e vs the chosen plan (%)")
    ax.set_title("each front relative to its chosen plan", fontsize=10)
    ax.grid(alpha=0.3)


def _load_chart(run: _RunData, key: str) -> tuple[str | None, str]:
    deps = [(v, load / cap) for v, load, cap in run.departures if cap > 0]
    if not deps:
        return None, "No vehicle departures in this run, so no load factors."
    types = sorted({v for v, _ in deps})
    values = [100 * np.array([f for v, f in deps if v == t]) for t in types]
    fig = _figure(9, 1.1 + 0.55 * len(types))
    ax = fig.add_subplot()
    ax.boxplot(
        values,
        orientation="horizontal",
        widths=0.55,
        showfliers=False,
        medianprops={"color": "black"},
        boxprops={"color": "#555555"},
        whiskerprops={"color": "#555555"},
        capprops={"color": "#555555"},
    )
    rng = np.random.default_rng(0)  # fixed jitter: the same log draws the same picture
    for row, v in enumerate(values, start=1):
        ax.scatter(v, row + rng.uniform(-0.18, 0.18, len(v)), s=9, alpha=0.45, color=_RUN_COLOURS[(row - 1) % 8], lw=0)
    ax.set_yticks(range(1, len(types) + 1), [f"{t}\n({len(v)} routes)" for t, v in zip(types, values)])
    ax.set_xlabel("load at departure / payload capacity (%, by kg)")
    ax.set_xlim(left=0)
    ax.grid(axis="x", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    means = "; ".join(f"{html.escape(t)} mean {v.mean():.1f} %, max {v.max():.1f} %" for t, v in zip(types, values))
    caption = (
        f"Load factor of each route at departure (kg loaded / the vehicle's payload in kg), by vehicle type: "
        f"boxes span the quartiles, dots are routes. {means}. Over all routes the load factor is "
        f"{100 * run.summary.load_factor:.1f} % (total kg / total capacity). Parcels are light, so payload "
        f"kg is rarely what fills a van; the log records no volumes."
    )
    return _inline_svg(fig, key, "vehicle load factors"), caption


def _green_chart(run: _RunData, key: str) -> tuple[str | None, str]:
    orders = run.orders
    if not len(orders):
        return None, "No orders in this run, so no green shares."
    width, unit = run.bucket_minutes, run.bucket_unit
    n = _bucket_count(run, orders[:, 0])
    n = min(n, math.ceil(orders[:, 0].max() / width + 1e-9) or 1)  # orders stop at the horizon
    x = np.arange(n)
    units = _bucket_sums(orders[:, 0], orders[:, 1], width, n)
    count = _bucket_sums(orders[:, 0], np.ones(len(orders)), width, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        green = 100 * _bucket_sums(orders[:, 0], orders[:, 2], width, n) / units
        slot = 100 * _bucket_sums(orders[:, 0], orders[:, 3], width, n) / count
    fig = _figure(9, 3.2)
    ax = fig.add_subplot()
    s = run.summary
    lines: list[tuple[str, Any, str, float | None]] = [("green share of units sold", green, "#009E73", s.green_sales_share)]
    if orders[:, 3].any() or s.green_slot_uptake:
        lines.append(("green delivery slot share of orders", slot, "#56B4E9", s.green_slot_uptake))
    if len(run.slates):
        with np.errstate(invalid="ignore", divide="ignore"):
            exposure = 100 * (
                _bucket_sums(run.slates[:, 0], run.slates[:, 2], width, n)
                / _bucket_sums(run.slates[:, 0], run.slates[:, 1], width, n)
            )
        lines.append(("green share of slate exposure", exposure, "#CC79A7", s.green_exposure_share))
    for label, y, colour, overall in lines:
        ax.plot(x, y, marker="o", ms=4, color=colour, label=label)
        if overall is not None:
            ax.axhline(100 * overall, color=colour, lw=0.8, ls="--", alpha=0.7)
    ax.set_xlabel(f"simulated {unit} (0 = first)")
    ax.set_ylabel("share (%)")
    ax.set_ylim(0, max(5.0, float(np.nanmax([np.nanmax(np.append(y, 0)) for _, y, _, _ in lines]))) * 1.3)
    ax.set_xlim(-0.5, n - 0.5)
    _bucket_ticks(ax, n, unit)
    ax.legend(loc="upper left", ncols=3, frameon=False, fontsize=9)
    ax.grid(alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    slot_note = "" if len(lines) > 1 and lines[1][0].startswith("green delivery") else " No order took a green delivery slot."
    caption = (
        f"Per simulated {unit}: the share of units sold that are green variants"
        + (", the share of orders delivered in the green slot" if slot_note == "" else "")
        + (", and the position-weighted green share of what the recommender showed" if len(run.slates) else "")
        + f". Dashed lines: the whole run ({_pct(s.green_sales_share)} % of units sold).{slot_note}"
    )
    return _inline_svg(fig, key, "green shares over time"), caption


def _clock_text(t: float) -> str:
    day, minute = divmod(t, MINUTES_PER_DAY)
    return f"day {int(day)} {int(minute // 60):02d}:{int(minute % 60):02d}"


def _route_map(run: _RunData, key: str) -> tuple[str | None, str]:
    """The wave's routes as driven around their station, beside the whole network (the hub, every
    station and the line-haul legs) when there is more than one site. Each route is one line
    (SVG id ``route-<route id>``), each station one marker (``station-<index>``), the hub ``hub``."""
    m = run.wave_map
    if m is None:
        return None, "No dispatch wave in this run, so no route map."
    if not m.drawable:
        return None, (
            f"Wave {m.wave_id}: this log has no coordinates of stops or stations (it was written before the "
            "route map: order_placed.x/y, wave_planned.site), so no route map."
        )
    site = m.site
    assert site is not None  # drawable
    known = {d: xy for d, xy in m.sites.items() if xy is not None}
    overview = len(known) > 1 or m.hub is not None
    fig = _figure(10 if overview else 6.5, 5.6)
    axes = fig.subplots(1, 2, width_ratios=[1, 1.35]) if overview else [fig.add_subplot()]
    zoom = axes[-1]
    types = sorted({v for _, v, _, _ in m.routes})
    colour = {v: _VEHICLE_COLOURS[i % len(_VEHICLE_COLOURS)] for i, v in enumerate(types)}
    net_ax = axes[0]
    if m.hub is not None:
        for x, y in known.values():
            net_ax.plot([m.hub[0], x], [m.hub[1], y], color="#999999", lw=0.8, ls="--", zorder=1)
        (hub,) = net_ax.plot(*m.hub, marker="*", ms=15, color="#000000", ls="none", zorder=3, label="sortation hub")
        hub.set_gid("hub")
    for d, (x, y) in sorted(known.items()):
        mine = d == m.depot
        (marker,) = net_ax.plot(
            x,
            y,
            marker="s",
            ms=9 if mine else 7,
            color=_STATION_COLOUR if mine else "#333333",
            ls="none",
            zorder=4,
            label="this wave's station" if mine else None,
        )
        marker.set_gid(f"station-{d}")
        if overview:
            net_ax.annotate(str(d), (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    km = 0.0
    stops = 0
    for route, vtype, path, route_km in m.routes:
        xs = [site[0], *(float(p[0]) for p in path), site[0]]  # type: ignore[arg-type]
        ys = [site[1], *(float(p[1]) for p in path), site[1]]  # type: ignore[arg-type]
        (line,) = zoom.plot(xs, ys, color=colour[vtype], lw=1.1, alpha=0.85, zorder=2)
        line.set_gid(f"route-{route}")
        zoom.scatter(xs[1:-1], ys[1:-1], s=10, color=colour[vtype], zorder=3, lw=0)
        km += route_km
        stops += len(path)
    if overview:
        zoom.plot(*site, marker="s", ms=9, color=_STATION_COLOUR, ls="none", zorder=4)
        net_ax.set_title("the network: hub, stations, line-haul" if m.hub is not None else "the depots", fontsize=10)
        net_ax.set_aspect("equal", adjustable="datalim")
    zoom.set_title(f"wave {m.wave_id}: station {m.depot}, {_clock_text(m.t)}", fontsize=10)
    handles = [
        zoom.plot([], [], color=colour[v], lw=1.6, label=_routes_label(v, sum(r[1] == v for r in m.routes)))[0] for v in types
    ]
    # legends under the maps, where they hide no station and no stop
    below: dict[str, Any] = {"bbox_to_anchor": (0.5, -0.12), "fontsize": 8, "frameon": False}
    zoom.legend(handles=handles, loc="upper center", ncols=min(3, len(handles)), **below)
    if overview and net_ax.get_legend_handles_labels()[0]:
        net_ax.legend(loc="upper center", ncols=2, **below)
    for ax in axes:
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("km")
        ax.grid(alpha=0.25)
    axes[0].set_ylabel("km")
    how = (
        "the wave asked for"
        if m.asked
        else f"the busiest of the run's {m.waves:,} waves (most orders planned; "
        "<code>carbonsim report --wave N</code> picks another)"
    )
    caption = (
        f"Wave {m.wave_id}, {how}: {m.orders:,} orders planned at station {m.depot} on {_clock_text(m.t)}; "
        f"{_plural(len(m.routes), 'route')} as driven, {_plural(stops, 'stop')} (failed attempts included), "
        f"{km:,.1f} km, each line from the station through its stops in the order they were reached and back, "
        "coloured by vehicle type "
        "(days count from 0). "
        + (
            f"Left: the {len(known)} stations"
            + (" and the sortation hub, with the line-haul legs dashed" if m.hub is not None else "")
            + "; the wave's station in orange."
            if overview
            else ""
        )
    )
    return _inline_svg(fig, key, f"route map of wave {m.wave_id}"), caption


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _routes_label(vehicle_type: str, n: int) -> str:
    return f"{vehicle_type} ({_plural(n, 'route')})"


def _breakdown_table(rows: list[GroupKpis]) -> str:
    """Per-station or per-zone KPIs (columns from :data:`sim.analysis.kpis.BREAKDOWN`) and their total."""
    if not rows:
        return '<p class="empty">No orders or routes in this run, so nothing to break down.</p>'
    by = rows[0].by
    shown = [k for k in BREAKDOWN if not k.optional or any(getattr(r, k.key) is not None for r in rows)]
    head = f"<th>{_e(by)}</th>" + ("<th>zone</th>" if by == "station" else "")
    head += "".join(f'<th class="num">{_e(k.label)}</th>' for k in shown)
    body = []
    all_row = total(rows)
    for r in [*rows, *([all_row] if all_row else [])]:
        cells = f"<td>{_e(r.key)}</td>" + (f"<td>{_e(r.zone or '')}</td>" if by == "station" else "")
        cells += "".join(f'<td class="num" data-col="{k.key}">{_e(k.format(getattr(r, k.key)))}</td>' for k in shown)
        body.append(f'<tr data-{by}="{_e(r.key)}">{cells}</tr>')
    return (
        f'<div class="kpi-wrap"><table class="by-{by}"><thead><tr>{head}</tr></thead><tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></div>"
    )


def _difference_chart(runs: list[_RunData], key: str) -> tuple[str | None, str]:
    base, others = runs[0], runs[1:]
    kpis = [k.key for k in COMPARED if any(_relative(base.summary, o.summary, k.key) is not None for o in others)]
    if not kpis:
        return None, "No KPI has a non-zero value in the first run, so no relative differences."
    height = 0.5 + 0.28 * len(kpis) * max(1, len(others) * 0.75)
    fig = _figure(9, height)
    ax = fig.add_subplot()
    y = np.arange(len(kpis))
    bar = 0.8 / len(others)
    for j, other in enumerate(others):
        rel = [_relative(base.summary, other.summary, k) for k in kpis]
        pos = y - 0.4 + bar * (j + 0.5)
        vals = np.array([np.nan if r is None else r for r in rel])
        ax.barh(pos, np.nan_to_num(vals), height=bar * 0.9, color=_RUN_COLOURS[(j + 1) % 8], label=other.label)
        for p, v in zip(pos, vals):
            ax.annotate(
                "n/a" if np.isnan(v) else f"{v:+.1f} %",
                (0 if np.isnan(v) else v, p),
                xytext=(3 if np.isnan(v) or v >= 0 else -3, 0),
                textcoords="offset points",
                ha="left" if np.isnan(v) or v >= 0 else "right",
                va="center",
                fontsize=7.5,
            )
    ax.axvline(0, color="black", lw=0.7)
    ax.set_yticks(y, [kpi(k).heading for k in kpis])
    ax.invert_yaxis()
    ax.set_xlabel(f"difference vs {base.label} (% of its value)")
    lo, hi = ax.get_xlim()
    pad = 0.15 * (hi - lo)  # room for the value labels
    ax.set_xlim(lo - pad, hi + pad)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=min(4, len(others)), frameon=False, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    caption = (
        f"Relative difference of each run's KPIs against the first run, {html.escape(base.label)}: "
        f"(run − first) / first, in %. Shares (on time, load factor, green shares, conversion) are compared "
        f"relatively too; the table gives their differences in percentage points. n/a: the first run's value "
        f"is zero or missing."
    )
    return _inline_svg(fig, key, "differences vs the first run"), caption


def _relative(a: RunSummary, b: RunSummary, key: str) -> float | None:
    va, vb = _value(a, key), _value(b, key)
    if va is None or vb is None or va == 0:
        return None
    return 100.0 * (vb - va) / abs(va)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_CSS = """
:root { --ink: #1d232a; --muted: #5b6470; --rule: #d8dde3; --accent: #0f6b4f; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); background: #f5f7f8; }
main { max-width: 1000px; margin: 0 auto; padding: 24px 28px 60px; background: #fff; }
h1 { margin: 0 0 4px; font-size: 28px; color: var(--accent); }
h2 { margin: 40px 0 6px; padding-top: 12px; border-top: 2px solid var(--accent); font-size: 21px; }
h3 { margin: 26px 0 6px; font-size: 16px; }
.meta, figcaption, .note { color: var(--muted); font-size: 13.5px; }
.meta span + span::before { content: " · "; }
.warn { color: #a33; }
nav ul { margin: 6px 0; padding-left: 20px; }
figure { margin: 10px 0 18px; }
svg.chart { display: block; width: 100%; height: auto; }
figcaption { margin-top: 4px; }
p.empty { padding: 14px; border: 1px dashed var(--rule); color: var(--muted); }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid var(--rule); text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.group th { padding-top: 12px; color: var(--accent); border-bottom: 1px solid var(--accent); }
td.unit { color: var(--muted); white-space: nowrap; }
table.compare td:first-child { min-width: 13em; }
td.better { color: #0f6b4f; } td.worse { color: #b3261e; }
.kpi-wrap { overflow-x: auto; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; }
"""

# counts the charts the browser actually laid out (a chart with an empty box did not render)
_SCRIPT = """
window.addEventListener("load", function () {
  var rendered = 0;
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    try {
      var box = svg.getBBox();
      if (box.width > 0 && box.height > 0) { rendered += 1; }
    } catch (e) { /* not rendered */ }
  });
  document.body.setAttribute("data-charts-rendered", String(rendered));
});
"""


def _e(text: object) -> str:
    return html.escape(str(text))


def _figure_html(chart: tuple[str | None, str]) -> str:
    svg, caption = chart
    if svg is None:
        return f'<p class="empty">{caption}</p>'
    return f"<figure>\n{svg}\n<figcaption>{caption}</figcaption>\n</figure>"


def _kpi_table(s: RunSummary) -> str:
    rows = []
    for group in GROUPS:
        shown = [k for k in in_group(group) if k.shown_for(s)]
        if not shown:
            continue
        rows.append(f'<tr class="group"><th colspan="3">{_e(group)}</th></tr>')
        for k in shown:
            label = k.label + (f" ({s.footprint_scope})" if k.key == "footprint_total_per_order" else "")
            rows.append(
                f'<tr><td>{_e(label)}</td><td class="num" data-kpi="{k.key}">{_e(_formatted(s, k.key))}</td>'
                f'<td class="unit">{_e(k.unit)}</td></tr>'
            )
    return (
        '<div class="kpi-wrap"><table class="kpis"><thead><tr><th>figure</th><th class="num">value</th>'
        "<th>unit</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table></div>"
    )


def _run_section(run: _RunData, index: int) -> str:
    s, r = run.summary, run.record
    key = f"r{index}"
    head = (
        f'<section class="run" id="run-{index}" data-file="{_e(run.path)}" data-run-id="{r.run_id}">\n'
        f"<h2>{_e(run.label)}: {_e(s.scenario)}</h2>\n"
        f'<p class="meta"><span>file <code>{_e(run.path)}</code></span><span>run {r.run_id}</span>'
        f"<span>scenario {_e(s.scenario)}</span><span>seed {s.seed}</span><span>{s.days} days</span>"
        f"<span>status {_e(s.status)}</span><span>demand {_e(s.demand_mode)}</span>"
        f"<span>carbonsim {_e(r.version)}</span><span>started {_e(r.started_at)}</span></p>\n"
    )
    if s.status != "completed":
        head += (
            f'<p class="note warn">This run did not complete (status {_e(s.status)}): the figures cover '
            f"what it logged before it stopped.</p>\n"
        )
    parts = [
        head,
        "<h3>Emissions over time</h3>",
        _figure_html(_emissions_chart(run, f"{key}-emissions")),
        "<h3>Cost and CO2 of the dispatch plans</h3>",
        _figure_html(_pareto_chart(run, f"{key}-pareto")),
        "<h3>Vehicle load factors</h3>",
        _figure_html(_load_chart(run, f"{key}-load")),
        "<h3>Green choices over time</h3>",
        _figure_html(_green_chart(run, f"{key}-green")),
        "<h3>Route map</h3>",
        _figure_html(_route_map(run, f"{key}-map")),
        "<h3>Key figures</h3>",
        _kpi_table(s),
        "<h3>By station</h3>",
        '<p class="note">Orders by the station that serves them; routes, their km and last-mile kg CO2e by the '
        "station they left; kg is kg CO2e, per parcel is per delivered order, on time in %.</p>",
        _breakdown_table(run.by_station),
        "<h3>By zone</h3>",
        '<p class="note">A route counts in the zones of its stops, in proportion to them.</p>',
        _breakdown_table(run.by_zone),
        "<h3>GLEC / ISO 14083</h3>",
        _glec_section(run, index),
        "</section>",
    ]
    return "\n".join(parts)


#: How the GLEC tables head and format the fields of glec.py's rows (heading, unit, format); a
#: field not named here (a HOC row's, say) is still shown, under its own name
_GLEC_COLUMNS: dict[str, tuple[str, str, str]] = {
    "toc_id": ("TOC", "", "text"),
    "hoc_id": ("HOC", "", "text"),
    "mode": ("mode", "", "text"),
    "energy_carrier": ("energy carrier", "", "text"),
    "tkm": ("transport activity", "tkm", ",.1f"),
    "kg_co2e_wtw": ("WTW", "kg CO2e", ",.2f"),
    "kg_co2e_ttw": ("TTW", "kg CO2e", ",.2f"),
    "g_co2e_per_tkm_wtw": ("WTW intensity", "g CO2e / tkm", ",.1f"),
    "g_co2e_per_tkm_ttw": ("TTW intensity", "g CO2e / tkm", ",.1f"),
    "load_factor": ("load factor", "%", "share"),
    "empty_distance_factor": ("empty distance", "% of km", "share"),
    "description": ("what it is", "", "text"),
    "shipments": ("delivered shipments", "", ","),
    "kg_co2e_wtw_per_parcel": ("per parcel, well-to-wheel", "kg CO2e", ".3f"),
    "kg_co2e_ttw_per_parcel": ("per parcel, tank-to-wheel", "kg CO2e", ".3f"),
}


def _glec_cell(name: str, value: object, where: str) -> str:
    """One figure of glec.py's report, formatted, its exact value in ``data-value`` (the tests
    compare it with glec.py's, and a reader can copy it unrounded)."""
    spec = _GLEC_COLUMNS.get(name, (name, "", ""))[2]
    if value is None:
        return f'<td class="num" data-glec="{_e(where)}">—</td>'
    if isinstance(value, bool) or not isinstance(value, int | float) or spec == "text":
        return f'<td data-glec="{_e(where)}">{_e(value)}</td>'
    shown = _pct(value) if spec == "share" else format(value, spec or ",.4g")
    return f'<td class="num" data-glec="{_e(where)}" data-value="{value!r}">{_e(shown)}</td>'


def _glec_heading(name: str) -> str:
    heading, unit, spec = _GLEC_COLUMNS.get(name, (name, "", ""))
    cls = "" if spec == "text" else ' class="num"'
    return f"<th{cls}>{_e(heading)}" + (f'<br><span class="unit">{_e(unit)}</span>' if unit else "") + "</th>"


def _glec_table(name: str, rows: Sequence[Any], totals: GlecReport | None) -> str:
    """glec.py's rows of one kind (``tocs``; ``hocs`` when it has them) with every field of the
    row type as a column, and the report's totals under the columns they share a name with."""
    cols = [f.name for f in fields(rows[0])]
    head = "".join(_glec_heading(c) for c in cols)
    body = []
    for row in rows:
        key = getattr(row, cols[0])  # the row's id (toc_id, hoc_id), its first field
        cells = "".join(_glec_cell(c, getattr(row, c), f"{name}.{key}.{c}") for c in cols)
        body.append(f'<tr data-{_e(name)}="{_e(key)}">{cells}</tr>')
    if totals is not None:
        cells = "".join(
            "<th>all</th>" if i == 0 else (_glec_cell(c, getattr(totals, c), f"all.{c}") if hasattr(totals, c) else "<td></td>")
            for i, c in enumerate(cols)
        )
        body.append(f'<tr class="total">{cells}</tr>')
    return (
        f'<div class="kpi-wrap"><table class="glec-{_e(name)}"><thead><tr>{head}</tr></thead><tbody>\n'
        + "\n".join(body)
        + "\n</tbody></table></div>"
    )


def _glec_section(run: _RunData, index: int) -> str:
    """The run's GLEC / ISO 14083 figures, as :func:`sim.analysis.glec.glec_report` gives them:
    a table per kind of operation category it returns (every tuple of rows in the report),
    the per-parcel figures, the data-quality statement and what the chains leave out."""
    rep = run.glec
    if rep is None:
        return '<p class="empty">No GLEC figures for this run.</p>'
    parts = [
        f'<div class="glec" id="run-{index}-glec">',
        '<p class="note">Per transport operation category (TOC), after the GLEC Framework v3 and ISO 14083: '
        "WTW is well-to-wheel (fuel or grid supply included), TTW tank-to-wheel (what the vehicle emits); the "
        "figures are the iLEAP export's chains (<code>carbonsim export-ileap</code>, <code>carbonsim kpis "
        "--glec</code>).</p>",
    ]
    tables = [(f.name, getattr(rep, f.name)) for f in fields(rep)]
    tables = [(n, v) for n, v in tables if isinstance(v, tuple) and v and all(is_dataclass(r) for r in v)]
    for name, rows in tables:
        parts.append(_glec_table(name, rows, rep if name == "tocs" else None))
    if not tables:
        parts.append('<p class="empty">No delivered shipment in this run, so no transport chains to report.</p>')
    rows = []
    for key in ("shipments", "kg_co2e_wtw_per_parcel", "kg_co2e_ttw_per_parcel"):
        label, unit, _ = _GLEC_COLUMNS[key]
        rows.append(f'<tr><td>{_e(label)}</td>{_glec_cell(key, getattr(rep, key), key)}<td class="unit">{_e(unit)}</td></tr>')
    parts += [
        '<div class="kpi-wrap"><table class="glec-parcel"><tbody>\n' + "\n".join(rows) + "\n</tbody></table></div>",
        '<p class="note">The transport chain only: packaging is part of the order\'s label, not a transport emission.</p>',
        '<p class="glec-quality"><strong>Data quality:</strong> '
        f'<span data-glec="data_quality">{_e(rep.data_quality)}</span></p>',
        "<p><strong>Not included:</strong></p>",
        '<ul class="glec-exclusions">' + "".join(f"<li>{_e(x)}</li>" for x in rep.exclusions) + "</ul>",
        "</div>",
    ]
    return "\n".join(parts)


def _compare_section(runs: list[_RunData]) -> str:
    base = runs[0].summary
    others = runs[1:]
    head = ["<th>KPI</th><th>unit</th>"]
    head += [f'<th class="num">{_e(r.label)}</th>' for r in runs]
    for r in others:
        head += [f'<th class="num">Δ {_e(r.label)}</th>', '<th class="num">Δ %</th>']
    rows = []
    for figure in COMPARED:
        key = figure.key
        cells = [f"<td>{_e(figure.label)}</td>", f'<td class="unit">{_e(figure.unit)}</td>']
        cells += [f'<td class="num" data-kpi="{key}">{_e(_formatted(r.summary, key))}</td>' for r in runs]
        for r in others:
            va, vb = _value(base, key), _value(r.summary, key)
            if va is None or vb is None:
                cells += ['<td class="num">—</td>', '<td class="num">—</td>']
                continue
            diff = vb - va
            tone = "" if not figure.better or diff == 0 else (" better" if diff * figure.better > 0 else " worse")
            shown = f"{100 * diff:+.1f} pp" if figure.share else _signed(figure, diff)
            rel = _relative(base, r.summary, key)
            cells.append(f'<td class="num{tone}" data-diff="{key}">{_e(shown)}</td>')
            cells.append(f'<td class="num{tone}">{"n/a" if rel is None else f"{rel:+.1f} %"}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = (
        '<div class="kpi-wrap"><table class="compare"><thead><tr>'
        + "".join(head)
        + "</tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table></div>"
    )
    same = len({r.summary.scenario for r in runs}) == 1 and len({r.summary.seed for r in runs}) == len(runs)
    note = (
        '<p class="note">All runs are the same scenario with different seeds: the differences are '
        "replication noise, not a policy effect (<code>carbonsim compare</code> gives intervals).</p>"
        if same
        else ""
    )
    return "\n".join(
        [
            '<section id="comparison">',
            f"<h2>Comparison against {_e(runs[0].label)}</h2>",
            '<p class="note">Green: better than the first run; red: worse (for KPIs with a direction). '
            "Δ is the run minus the first run; shares in percentage points (pp).</p>",
            note,
            table,
            _figure_html(_difference_chart(runs, "cmp-diff")),
            "</section>",
        ]
    )


def _signed(figure: Kpi, diff: float) -> str:
    text = figure.format(abs(diff))
    return ("-" if diff < 0 else "+") + text


def _labels(runs: list[_RunData]) -> None:
    names = [f"{r.path.name} run {r.record.run_id}" for r in runs]
    clash = len(set(names)) < len(names)
    for i, (r, name) in enumerate(zip(runs, names), start=1):
        r.label = f"#{i} {name}" if clash else name


def _page(runs: list[_RunData]) -> str:
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    nav = "".join(
        f'<li><a href="#run-{i}">{_e(r.label)}</a>: {_e(r.summary.scenario)}, seed {r.summary.seed}, '
        f"{r.summary.days} days, {_e(r.summary.status)}</li>"
        for i, r in enumerate(runs, start=1)
    )
    if len(runs) > 1:
        nav = f'<li><a href="#comparison">comparison against {_e(runs[0].label)}</a></li>' + nav
    body = [_compare_section(runs)] if len(runs) > 1 else []
    body += [_run_section(r, i) for i, r in enumerate(runs, start=1)]
    content = "\n".join(body)
    charts = content.count('class="chart"')
    title = "carbonsim report: " + ", ".join(r.label for r in runs)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="carbonsim {_e(package_version())}">
<title>{_e(title)}</title>
<style>{_CSS}</style>
</head>
<body data-charts="{charts}" data-charts-rendered="0">
<main>
<h1>carbonsim report</h1>
<p class="meta"><span>generated {generated}</span><span>carbonsim {_e(package_version())}</span>
<span>{len(runs)} run{"s" if len(runs) != 1 else ""}</span><span>{charts} charts</span></p>
<p class="note">A simulated green e-commerce supply chain: every figure is read from the runs' event logs.
Units: kg CO2e (kg of CO2-equivalent), yuan, km; shares in %.</p>
<nav><ul>{nav}</ul></nav>
{content}
<footer>Made by <code>carbonsim report</code>; this page is self-contained and loads nothing from the network.</footer>
</main>
<script>{_SCRIPT}</script>
</body>
</html>
"""


def build_report(
    runs: Sequence[tuple[str | os.PathLike, int | None]],
    out: str | os.PathLike,
    *,
    overwrite: bool = False,
    wave: int | None = None,
) -> Path:
    """Write an HTML report of ``runs`` to ``out`` and return its path.

    ``runs``: ``(event log path, run id)`` pairs; a run id of None means the last run in that
    file. The first run is the reference of the comparison shown when there are several.

    The page is one self-contained file (inline SVG charts, inline CSS, one inline script
    that sets ``<body data-charts-rendered>`` to the number of charts the browser laid out).
    Per run: emissions over time by part, the waves' cost/CO2 Pareto fronts with the chosen
    plans, vehicle load factors, green shares over time, the route map of one wave (``wave``, a
    ``wave_planned`` wave id; default the busiest wave), the KPI table, the KPIs per station
    and per zone, and the GLEC / ISO 14083 figures (:mod:`sim.analysis.glec`); with several runs,
    a comparison table and a chart of the relative differences against the first run.

    ``out`` must not exist unless ``overwrite`` (FileExistsError), and is never one of the
    logs read, even with ``overwrite``; it is written under a temporary name and renamed into
    place (:mod:`sim.export.outputs`), so a link at ``out`` is replaced, not its target.

    Raises ValueError for an empty ``runs``, a missing file, a file that is not a carbonsim
    event log or holds no runs, or a run id that is not an int; KeyError for a run id the
    file does not hold, or for a ``wave`` a run does not have. Each message names the file and the run.
    """
    items = list(runs)
    if not items:
        raise ValueError("build_report needs at least one (event log, run id) pair")
    pairs = []
    for item in items:
        try:
            path, run_id = item
        except (TypeError, ValueError):
            raise ValueError(f"each run must be a (path, run id) pair, got {item!r}") from None
        pairs.append((path, run_id))
    inputs = [path for path, _ in pairs]
    check_output(out, overwrite=overwrite, inputs=inputs)  # before the work, not after
    data = [_read_run(path, run_id, wave) for path, run_id in pairs]
    _labels(data)
    page = _page(data)

    def write(tmp_name: str) -> None:
        Path(tmp_name).write_text(page, encoding="utf-8")

    return write_output(out, write, overwrite=overwrite, inputs=inputs)
