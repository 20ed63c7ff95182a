"""``carbonsim compare`` and ``carbonsim sweep``: replications with common random numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from sim.cli.app import main
from sim.cli.options import ALLOW_LARGE, SCHEDULER_HELP
from sim.cli.output import LazyProgress, as_json, fmt


def _cell(i, kpi, diff: bool = False) -> str:
    """An interval as a table cell; a share in % (a difference of shares in percentage points)."""
    if kpi.share:
        unit = " pp" if diff else " %"
        return f"{100 * i.mean:.1f}{unit} [{100 * i.low:.1f}, {100 * i.high:.1f}]"
    return f"{fmt(i.mean)} [{fmt(i.low)}, {fmt(i.high)}]"


def _comparison_table(cmp) -> Table:
    from sim.analysis.kpis import COMPARED

    first = cmp.scenarios[0]
    table = Table(
        title=f"{len(cmp.seeds)} seeds each ({cmp.seeds[0]}..{cmp.seeds[-1]}, common random numbers); mean [95% CI]",
        title_justify="left",
    )
    table.add_column("KPI", style="bold")
    for name in cmp.scenarios:
        table.add_column(escape(name), justify="right")
    for name in cmp.scenarios[1:]:
        table.add_column(escape(f"{name} - {first}"), justify="right")
    for kpi in COMPARED:
        cells = [_cell(i, kpi) for i in cmp.stats[kpi.key].values()]
        cells += [_cell(i, kpi, diff=True) for i in cmp.diffs[kpi.key].values()]
        table.add_row(kpi.label if kpi.share else kpi.heading, *cells)
    return table


def _replicate(scenarios: dict, what: str, seeds: range, jobs: int, scheduler, logs, db: Path, json_out: bool, **store):
    """compare/sweep's common part: say what will run, run it with a bar of finished runs on
    stderr, and return the Comparison (``store``: the parameter columns of the results rows).
    Ctrl-C, SIGTERM and SIGHUP stop every worker; the runs they had going are marked
    interrupted in their logs and no results row is written (exit 130, 143, 129)."""
    from sim.experiments import compare
    from sim.signals import Terminated, stop_on_signals

    if not as_json(json_out):
        where = scheduler or f"{jobs} worker(s)"
        click.echo(f"{len(scenarios)} {what} x {len(seeds)} seeds = {len(scenarios) * len(seeds)} runs on {where} ...", err=True)
    bar = LazyProgress("runs", sys.stderr.isatty())
    stopped = (
        "Interrupted: no run goes on (those that were going are marked interrupted in their logs); no results row was written."
    )
    try:
        with stop_on_signals():
            return compare(
                scenarios,
                list(seeds),
                jobs=jobs,
                logs=logs,
                results_db=db,
                scheduler=scheduler,
                progress=lambda done, total: bar(done / total),
                **store,
            )
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP as Terminated
        bar.close()
        click.echo(stopped, err=True)
        sys.exit(exc.exit_code if isinstance(exc, Terminated) else 130)
    finally:
        bar.close()


def _invocation_note(logs, result) -> str:
    """The results line's tail: which rows are this invocation's, and where its logs are."""
    tail = f"this invocation's rows have compare_id {result.compare_id}"
    if logs is not None:
        tail += f"; its logs in {logs} have it in their names"
    return tail


@main.command("compare")
@click.argument(
    "scenario_files", metavar="SCENARIO...", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--seeds",
    "-n",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Replications per scenario: seeds F..F+N-1 (F = --first-seed), the same for every scenario.",
)
@click.option(
    "--first-seed",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="First seed of the replications (another block of seeds gives independent replications).",
)
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help=SCHEDULER_HELP)
@click.option("--days", "-d", type=click.IntRange(min=1, max=3650), help="Days to simulate (default: each scenario's).")
@click.option("--set", "overrides", multiple=True, metavar="FIELD=VALUE", help="Override a field in every scenario (repeatable).")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("carbonsim-results.db"),
    show_default=True,
    help="Results file: one row per run in its table `results`.",
)
@click.option(
    "--logs",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep each run's event log in this folder (default: discarded after the run).",
)
@click.option("--json", "json_out", is_flag=True, help="Print the comparison as JSON on stdout.")
@ALLOW_LARGE
def compare_command(
    scenario_files,
    seeds: int,
    first_seed: int,
    jobs: int,
    scheduler,
    days,
    overrides,
    db: Path,
    logs,
    json_out: bool,
    allow_large: bool,
) -> None:
    """Compare scenarios over N replications with common random numbers.

    The first scenario is the baseline: each KPI gets every scenario's mean with a 95%
    confidence interval and the paired difference against the baseline with its interval.

    \b
    Example:
      carbonsim compare scenarios/baseline.toml scenarios/green.toml --seeds 10 --jobs 2
    """
    from sim.scenario import Scenario
    from sim.simulation import scenario_name

    overrides = [*overrides, *([f"simulation.days={days}"] if days is not None else [])]
    scenarios = {}
    for path in scenario_files:
        sc = Scenario.from_file(path, overrides, allow_large=allow_large)
        name, k = scenario_name(path), 2
        while name in scenarios:  # two files with one stem
            name, k = f"{scenario_name(path)}-{k}", k + 1
        scenarios[name] = sc
    result = _replicate(
        scenarios,
        "scenarios",
        range(first_seed, first_seed + seeds),
        jobs,
        scheduler,
        logs,
        db,
        json_out,
        swept=dict(o.split("=", 1) for o in overrides),
    )
    if as_json(json_out):
        click.echo(json.dumps(result.to_dict()))
        return
    console = Console(highlight=False)
    console.print(_comparison_table(result))
    console.print(f"results: {db} (table results, one row per run; {_invocation_note(logs, result)})")


@main.command("sweep")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="FIELD=V1,V2,...",
    help="A grid axis: the field takes each value in turn (repeatable; a single value is a fixed override).",
)
@click.option(
    "--seeds",
    "-n",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Replications per grid point: seeds F..F+N-1 (F = --first-seed).",
)
@click.option("--first-seed", type=click.IntRange(min=0), default=1, show_default=True, help="First seed of the replications.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help=SCHEDULER_HELP)
@click.option("--days", "-d", type=click.IntRange(min=1, max=3650), help="Days to simulate (default: the scenario's).")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("carbonsim-results.db"),
    show_default=True,
    help="Results file: one row per run (grid point, seed) in its table `results`.",
)
@click.option("--logs", type=click.Path(file_okay=False, path_type=Path), help="Keep each run's event log in this folder.")
@click.option("--json", "json_out", is_flag=True, help="Print the comparison of the grid points as JSON.")
@ALLOW_LARGE
def sweep_command(
    scenario_file: Path,
    overrides,
    seeds: int,
    first_seed: int,
    jobs: int,
    scheduler,
    days,
    db: Path,
    logs,
    json_out: bool,
    allow_large: bool,
) -> None:
    """Run a scenario over a parameter grid, N seeds per point, into one results table.

    Every grid point uses the same seeds (common random numbers); the first point is the
    reference of the printed differences.

    \b
    Example:
      carbonsim sweep scenarios/green.toml --set routing.w2=0,0.2,0.4,0.8 --set fleet.ev_share=0,0.3 --seeds 5 -j 2
    """
    from sim.analysis.kpis import BY_KEY
    from sim.experiments import grid
    from sim.scenario import Scenario
    from sim.simulation import scenario_name

    points = grid(list(overrides))
    fixed = [f"simulation.days={days}"] if days is not None else []
    stem = scenario_name(scenario_file)
    scenarios, params = {}, {}
    for point in points:
        name = stem + ("[" + ",".join(f"{k.split('.')[-1]}={v}" for k, v in point.items()) + "]" if point else "")
        sc = Scenario.from_file(scenario_file, [*fixed, *(f"{k}={v}" for k, v in point.items())], allow_large=allow_large)
        scenarios[name], params[name] = sc, point
    result = _replicate(
        scenarios,
        "grid points",
        range(first_seed, first_seed + seeds),
        jobs,
        scheduler,
        logs,
        db,
        json_out,
        swept=dict(o.split("=", 1) for o in fixed),
        params=params,
    )
    if as_json(json_out):
        click.echo(json.dumps(result.to_dict()))
        return
    table = Table(title=f"{stem}: {len(points)} grid points x {seeds} seeds; mean [95% CI]", title_justify="left")
    table.add_column("grid point", overflow="fold", min_width=24)
    shown = [BY_KEY[key] for key in ("kg_co2e_per_order", "cost_per_order", "on_time_share", "green_sales_share")]
    for kpi in shown:
        table.add_column(kpi.label if kpi.share else kpi.heading, justify="right")
    for name in scenarios:
        cells = []
        for kpi in shown:
            cells.append(_cell(result.stats[kpi.key][name], kpi))
        table.add_row(escape(name), *cells)  # a grid point's name has [brackets], not markup
    console = Console(highlight=False)
    console.print(table)
    console.print(
        f"results: {db} (table results, one row per run; param_* columns name the grid point; {_invocation_note(logs, result)})"
    )
