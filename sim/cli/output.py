"""How commands print: a table on a terminal, JSON or CSV for a program."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optimizer.units import MINUTES_PER_DAY


def as_json(json_out: bool, csv_out: bool = False) -> bool:
    """Whether a command prints JSON: asked with --json, or no format was asked and stdout
    is not a terminal (a pipe or a file wants something a program can read)."""
    if json_out or csv_out:
        return json_out
    obj = click.get_current_context().find_root().obj or {}
    return not obj.get("tables") and not sys.stdout.isatty()


class LazyProgress:
    """A progress bar on stderr that appears only once a run has lasted more than a second."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.label = label
        self.enabled = enabled
        self.start = time.perf_counter()
        self.progress: Progress | None = None
        self.task = None

    def __call__(self, fraction: float) -> None:
        if not self.enabled:
            return
        if self.progress is None:
            if time.perf_counter() - self.start < 1.0:
                return
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(self.label, total=1.0)
        self.progress.update(self.task, completed=fraction)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def summary_table(summary) -> Table:
    s = summary
    table = Table(title=f"run {s.run_id}: {s.scenario}, seed {s.seed}, {s.days} days ({s.status})", title_justify="left")
    table.add_column("", style="bold")
    table.add_column("value", justify="right")
    rows = [
        ("orders", f"{s.orders:,}"),
        ("delivered", f"{s.delivered:,}"),
        ("failed", f"{s.failed:,}"),
        ("on time", f"{100 * s.on_time_share:.1f} %"),
        ("waves / routes", f"{s.waves:,} / {s.routes:,}"),
        ("vehicles used", f"{s.vehicles_used:,}"),
        ("km", f"{s.km:,.0f}"),
        ("kg CO2e last mile", f"{s.kg_co2e_last_mile:,.1f}"),
        ("kg CO2e trunk legs", f"{s.kg_co2e_trunk:,.1f}"),
        ("kg CO2e packaging", f"{s.kg_co2e_packaging:,.1f}"),
        ("kg CO2e per order", f"{s.kg_co2e_per_order:.3f}"),
        ("  of which transport", f"{s.kg_co2e_per_order_transport:.3f}"),
        ("  of which packaging", f"{s.kg_co2e_per_order_packaging:.3f}"),
        ("cost per order (yuan)", f"{s.cost_per_order:.2f}"),
        ("window penalty per order", f"{s.penalty_per_order:.2f}"),
        ("load factor (kg)", f"{100 * s.load_factor:.1f} %"),
        ("stock-outs (lines)", f"{s.stockouts:,} in {s.backordered_orders:,} orders"),
        ("rail share of trunk tkm", f"{100 * s.rail_share_tkm:.0f} %"),
        (f"order label, kg CO2e ({s.footprint_scope})", f"{s.footprint_total_per_order:.3f}"),
        ("  last mile / trunk", f"{s.footprint_last_mile_per_order:.3f} / {s.footprint_trunk_per_order:.3f}"),
        ("  packaging / production", f"{s.footprint_packaging_per_order:.3f} / {s.footprint_production_per_order:.3f}"),
        ("labels / grade changes", f"{s.labels_issued:,} / {s.grade_changes:,}"),
    ]
    if s.sessions:
        rows += [
            ("sessions / conversion", f"{s.sessions:,} / {_pct(s.conversion)}"),
            ("click-through (per product shown)", _pct(s.ctr)),
            ("green share of exposure", _pct(s.green_exposure_share)),
        ]
    rows += [
        ("green share of units sold", _pct(s.green_sales_share)),
        ("green slot uptake", _pct(s.green_slot_uptake)),
    ]
    if s.points_issued or s.points_redeemed:
        rows.append(("points issued / redeemed", f"{s.points_issued:,} / {s.points_redeemed:,}"))
        rows.append(("points cost per order (yuan)", f"{s.points_cost_per_order:.2f}"))
        rows.append(("points liability at the end (yuan)", f"{s.points_liability:,.2f}"))
    if s.hit_rate_learned is not None:
        rows.append(("hit rate: learned / popularity", f"{_pct(s.hit_rate_learned)} / {_pct(s.hit_rate_popularity)}"))
    rows += [
        ("events", f"{s.events:,}"),
        ("wall / routing seconds", f"{s.wall_seconds:.1f} / {s.routing_seconds:.1f}"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table


def fmt(x: float) -> str:
    a = abs(x)
    return f"{x:,.0f}" if a >= 1000 else f"{x:.1f}" if a >= 100 else f"{x:.3f}"


def warn_partial(db: Path, run) -> None:
    """A plain warning on stderr when a run's figures do not cover a whole run."""
    if not run.finished:
        why = {"running": "is still being written", "abandoned": "was abandoned (its process is gone)",
               "interrupted": "was interrupted", "failed": "failed"}.get(run.status.value, run.status.value)
        click.echo(f"warning: {db}: run {run.run_id} {why}: these figures are partial, "
                   "they cover only what it logged", err=True)


def _clock(t: float) -> str:
    day, minute = divmod(t, MINUTES_PER_DAY)
    return f"d{int(day)} {int(minute // 60):02d}:{int(minute % 60):02d}"


#: What a spreadsheet takes for the start of a formula (OWASP, "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value):
    """A CSV cell a spreadsheet cannot run: text that would start a formula gets a leading
    apostrophe (the OWASP advice); numbers, negative ones included, stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(rows: list[dict], fieldnames: list[str]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=fieldnames, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv_safe(v) for k, v in r.items()})


def emit_rows(rows: list[dict], json_out: bool, csv_out: bool, title: str) -> None:
    from sim.analysis.queries import COLUMNS

    if as_json(json_out, csv_out):
        click.echo(json.dumps(rows))
        return
    if csv_out:
        write_csv([{**r, "data": json.dumps(r["data"]) if r["data"] is not None else ""} for r in rows], list(COLUMNS))
        return
    table = Table(title=title, title_justify="left")
    for col in ("seq", "time", "type", "objects", "figures", "data"):
        table.add_column(col, overflow="fold")
    figures = ("km", "kg_co2e", "load", "lateness", "stock_level", "quantity", "cost")
    ids = ("order_id", "vehicle_id", "product_id", "route_id", "consumer_id", "wave_id", "label_id")
    for r in rows:
        objs = " ".join(f"{k[:-3]}={r[k]}" for k in ids if r[k] is not None)
        figs = " ".join(f"{k}={r[k]:.4g}" for k in figures if r[k] is not None)
        data = json.dumps(r["data"]) if r["data"] is not None else ""
        table.add_row(str(r["seq"]), _clock(r["t"]), r["type"], objs, figs, data if len(data) <= 120 else data[:117] + "...")
    Console(highlight=False).print(table)
