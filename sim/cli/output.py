"""How commands print: a table on a terminal, JSON or CSV for a program."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
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
        self.task: TaskID | None = None

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
        assert self.task is not None  # added with the bar above
        self.progress.update(self.task, completed=fraction)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def summary_table(summary) -> Table:
    """A run's KPIs by group, labels, units and formats from :mod:`sim.analysis.kpis`; a KPI of
    a mode or policy the run did not use (sessions, points, the learned recommender) is left out."""
    from sim.analysis.kpis import GROUPS, in_group

    s = summary
    table = Table(
        title=f"run {s.run_id}: {s.scenario}, seed {s.seed}, {s.days} days ({s.status}); labels in scope {s.footprint_scope}",
        title_justify="left",
    )
    table.add_column("", style="bold")
    table.add_column("value", justify="right")
    for group in GROUPS:
        shown = [k for k in in_group(group) if k.shown_for(s)]
        if not shown:
            continue
        table.add_row(f"[dim]{group}[/dim]", "", end_section=False)
        for k in shown:
            table.add_row(f"  {k.label}", k.text(getattr(s, k.key)))
    return table


def breakdown_table(rows, all_row, title: str) -> Table:
    """Per-station or per-zone rows (:mod:`sim.analysis.breakdown`) under the registry's headings
    (:data:`sim.analysis.kpis.BREAKDOWN`), the totals last; line-haul only where the run had it."""
    from sim.analysis.kpis import BREAKDOWN

    shown = [k for k in BREAKDOWN if not k.optional or any(getattr(r, k.key) is not None for r in rows)]
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        padding=(0, 1),
        caption="kg: kg CO2e; on time in %",
        caption_justify="left",
    )
    by = rows[0].by if rows else "station"
    table.add_column(by, no_wrap=True)
    if by == "station":
        table.add_column("zone", no_wrap=True)
    for k in shown:
        # the labels carry their units; a long one takes two lines, and no cell wraps, so the
        # table's width is what it needs (the caller widens the console to it)
        heading = k.label.replace(" ", "\n", 1) if len(k.label) > 11 else k.label
        table.add_column(heading, justify="right", no_wrap=True)
    for r in [*rows, *([all_row] if all_row else [])]:
        # zone names break at their words, not inside one
        cells = [r.key.replace("_", " ")] + ([(r.zone or "").replace("_", " ")] if by == "station" else [])
        table.add_row(*cells, *(k.format(getattr(r, k.key)) for k in shown), end_section=r is rows[-1])
    return table


def print_wide(table: Table) -> Console:
    """Print ``table`` never narrower than it can be (rich would cut off the columns that do not
    fit the terminal); the console, for what follows it."""
    console = Console(highlight=False)
    needed = console.measure(table, options=console.options.update_width(1000)).maximum
    console.width = max(console.width, needed)
    console.print(table)
    return console


def fmt(x: float) -> str:
    a = abs(x)
    return f"{x:,.0f}" if a >= 1000 else f"{x:.1f}" if a >= 100 else f"{x:.3f}"


def warn_partial(db: Path, run) -> None:
    """A plain warning on stderr when a run's figures do not cover a whole run."""
    if not run.finished:
        why = {
            "running": "is still being written",
            "abandoned": "was abandoned (its process is gone)",
            "interrupted": "was interrupted",
            "failed": "failed",
        }.get(run.status.value, run.status.value)
        click.echo(f"warning: {db}: run {run.run_id} {why}: these figures are partial, they cover only what it logged", err=True)


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
