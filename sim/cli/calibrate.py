"""``carbonsim calibrate``: a run's realism figures beside the published bands (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from sim.cli.app import main
from sim.cli.options import RUN_DB, RUN_OPTION
from sim.cli.output import as_json, warn_partial

_STATUS_STYLE = {"inside": "[green]inside[/]", "outside": "[red]outside[/]", "not modelled": "[dim]not modelled[/]"}


@main.command("calibrate")
@RUN_DB
@RUN_OPTION
@click.option(
    "--json", "json_out", is_flag=True, help="Print a JSON list of {key, label, unit, value, low, high, inside, source}."
)
def calibrate_command(db: Path, run_id, json_out: bool) -> None:
    """Hold a run's realism figures against real-world bands, each with its source.

    Every figure (stops per route, km and kg CO2e per parcel, cost, load factors, conversion,
    packaging, the longest vehicle-day ...) beside its band, whether it falls inside, and where
    the band comes from (sim/analysis/realism_bands.toml; a weak source is marked). A figure the
    world does not model yet is "not modelled", never a pass. A report: exit code 0 whatever
    the verdict; 2 when the file or run is bad.

    \b
    Examples:
      carbonsim calibrate carbonsim.db
      carbonsim calibrate carbonsim.db --run 2 --json
    """
    from sim.analysis.bands import load_bands
    from sim.analysis.calibrate import calibrate
    from sim.analysis.summary import summarize
    from sim.log.eventlog import EventLog

    bands = load_bands()
    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        summary = summarize(log, run.run_id)
    warn_partial(db, run)
    verdicts = calibrate(summary.to_dict(), bands)
    if as_json(json_out):
        click.echo(json.dumps([v.to_dict() for v in verdicts]))
        return
    Console(highlight=False).print(_table(db, summary, verdicts))


def _table(db: Path, summary, verdicts) -> Table:
    from sim.analysis.calibrate import format_band, format_value

    counts = {s: sum(v.status == s for v in verdicts) for s in _STATUS_STYLE}
    table = Table(
        title=(
            f"{db}: run {summary.run_id} ({summary.scenario}, seed {summary.seed}, {summary.days} days): "
            f"{counts['inside']} inside, {counts['outside']} outside, {counts['not modelled']} not modelled"
        ),
        title_justify="left",
    )
    table.add_column("figure", style="bold")
    table.add_column("run", justify="right")
    table.add_column("band", justify="right")
    table.add_column("verdict")
    table.add_column("source", overflow="fold")
    for v in verdicts:
        b = v.band
        unit = "" if b.share else f" {b.unit}"
        value = format_value(b, v.value) + (unit if v.value is not None else "")
        # the whole citation, the link, the arithmetic and the note are in --json
        source = b.cite + (" [dim](weak)[/]" if b.weak and "weak" not in b.cite else "")
        table.add_row(b.label, value, format_band(b) + unit, _STATUS_STYLE[v.status], source)
    return table
