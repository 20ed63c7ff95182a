"""``carbonsim validate`` and ``carbonsim run``: a scenario checked, then simulated."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optimizer.algorithms import ALGORITHMS
from optimizer.units import MINUTES_PER_DAY
from sim.cli.app import main
from sim.cli.options import ALLOW_LARGE, OVERRIDE_HELP, remember_file
from sim.cli.output import as_json, summary_table


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="TABLE.KEY=VALUE",
    help="Override one field (repeatable); VALUE is TOML, a bare word is a string.",
)
@click.option("--resolved", is_flag=True, help="Also print the fully resolved scenario as TOML.")
@click.option("--json", "json_out", is_flag=True, help="Print the verdict and the resolved scenario as JSON.")
@ALLOW_LARGE
def validate(file: Path, overrides: tuple[str, ...], resolved: bool, json_out: bool, allow_large: bool) -> None:
    """Check a scenario file (and its extends chain) without running it.

    Prints FILE: valid and a short summary, or one line per problem on stderr and
    exits with code 2. Field reference: scenarios/README.md.

    \b
    Examples:
      carbonsim validate scenarios/green.toml
      carbonsim validate scenarios/baseline.toml --set routing.w2=0.8 --set routing.policy=mogwo
    """
    from sim.scenario import Scenario

    scenario = Scenario.from_file(file, overrides, allow_large=allow_large)  # a ScenarioError (ValueError) exits 2 via the group
    work = scenario.expected_work()
    if as_json(json_out):
        click.echo(
            json.dumps(
                {
                    "file": str(file),
                    "valid": True,
                    "overrides": list(overrides),
                    "hash": scenario.canonical_hash(),
                    "expected_events": round(work.events),
                    "scenario": json.loads(scenario.canonical_json()),
                }
            )
        )
        return
    click.echo(f"{file}: valid")
    s, d, r = scenario.simulation, scenario.demand, scenario.routing
    peaks = ", ".join(f"{p.name} x{p.multiplier:g} on days {p.start_day}-{p.start_day + p.days - 1}" for p in d.peaks)
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("days", f"{s.days} from {s.start_date.isoformat()}, seed {s.seed}")
    table.add_row("orders/day", f"{d.orders_per_day:,} ({d.mode})" + (f"; peaks: {peaks}" if peaks else ""))
    waves = (
        "waves at " + ", ".join(f"{int(h):02d}:{round(h % 1 * 60):02d}" for h in r.wave_hours)
        if r.wave_hours
        else f"waves every {r.wave_interval_minutes:g} min"
    )
    routing = f"{r.policy}, w1={r.w1:g}, w2={r.w2:g}, {waves}"
    if ALGORITHMS[r.policy].searches:
        routing += f", {r.population} x {r.iterations} iterations, " + (
            f"time limit {r.time_limit:g} s" if r.time_limit else "no time limit"
        )
    table.add_row("routing", routing)
    if d.mode == "sessions":
        rec, inc = scenario.recommender, scenario.incentives
        shop = (
            f"{rec.model} ranking, green boost {rec.green_boost:g}, slate {rec.slate_size}, "
            f"labels {'shown' if scenario.labels.display else 'hidden'}"
        )
        if inc.points_per_green_purchase or inc.points_per_green_slot:
            shop += (
                f"; points {inc.points_per_green_purchase}/green unit, {inc.points_per_green_slot}/green slot,"
                f" budget {inc.budget:,}"
            )
        table.add_row("shop", shop)
    table.add_row("packing", scenario.packing.policy)
    fleet = ", ".join(f"{v.count} {v.name}" for v in scenario.fleet.vehicles)
    table.add_row("fleet", fleet + (f"; ev_share {scenario.fleet.ev_share:g}" if scenario.fleet.ev_share else ""))
    table.add_row("work", f"{work.summary()} expected")
    if overrides:
        table.add_row("overrides", " ".join(overrides))
    table.add_row("hash", scenario.canonical_hash())
    console = Console(highlight=False)
    console.print(table)
    if resolved:
        click.echo(scenario.to_toml(), nl=False)


class _RunProgress:
    """A rich progress bar over simulated time on stderr (only when stderr is a terminal)."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.progress: Progress | None = None
        if enabled:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(label, total=1.0, status="")

    def __call__(self, t: float, horizon: float, counters) -> None:
        if self.progress is None:
            return
        day = int(t // MINUTES_PER_DAY)
        days = int(horizon // MINUTES_PER_DAY)
        phase = f"day {min(day, days)}/{days}" if t <= horizon else f"drain +{(t - horizon) / 60:.0f} h"
        status = (
            f"{phase} · {counters.orders:,} orders · {counters.delivered:,} delivered · "
            f"{counters.routes:,} routes · routing {counters.routing_seconds:.0f} s"
        )
        self.progress.update(self.task, completed=min(1.0, t / horizon), status=status)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@main.command("run")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--seed", "-s", type=click.IntRange(min=0, max=2**63 - 1), help="Root seed (default: the scenario's simulation.seed)."
)
@click.option("--days", "-d", type=click.IntRange(min=1, max=3650), help="Days to simulate (default: the scenario's).")
@click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("carbonsim.db"),
    show_default=True,
    callback=remember_file,
    help="Event-log file (SQLite); created, or the run is added to it (a SQLite file that is not a log is refused).",
)
@click.option("--set", "overrides", multiple=True, metavar="TABLE.KEY=VALUE", help=OVERRIDE_HELP)
@click.option("--json", "json_out", is_flag=True, help="Print the summary as one JSON object on stdout.")
@ALLOW_LARGE
def run_command(scenario_file: Path, seed, days, db: Path, overrides, json_out: bool, allow_large: bool) -> None:
    """Simulate a scenario and print the run's summary.

    Every event goes to the SQLite file --db; the summary is computed from it. Ctrl-C,
    SIGTERM and SIGHUP stop the run and leave the file consistent, with the run marked
    interrupted (exit 130, 143, 129).

    \b
    Examples:
      carbonsim run scenarios/baseline.toml
      carbonsim run scenarios/green.toml --seed 3 --days 2 --db green.db --json
      carbonsim run scenarios/baseline.toml --set routing.policy=mogwo --set routing.time_limit=0.5
    """
    from sim.scenario import Scenario
    from sim.signals import Terminated, stop_on_signals
    from sim.simulation import run, scenario_name

    scenario = Scenario.from_file(
        scenario_file, [*overrides, *([f"simulation.days={days}"] if days else [])], allow_large=allow_large
    )
    name = scenario_name(scenario_file)
    bar = _RunProgress(f"{name}", sys.stderr.isatty())
    try:
        with stop_on_signals():
            summary = run(
                scenario,
                db_path=db,
                seed=seed,
                days=days,
                name=name,
                progress=bar,
                check_events=True if click.get_current_context().find_root().obj.get("debug") else None,
            )
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP as Terminated
        bar.close()
        why = f" ({exc})" if isinstance(exc, Terminated) else ""
        click.echo(f"Interrupted{why}: the run is marked interrupted in {db}; what happened so far is kept.", err=True)
        sys.exit(exc.exit_code if isinstance(exc, Terminated) else 130)
    finally:
        bar.close()
    if as_json(json_out):
        click.echo(json.dumps(summary.to_dict()))
        return
    console = Console(highlight=False)
    console.print(summary_table(summary))
    if summary.waves_time_capped:
        console.print(
            f"note: {summary.waves_time_capped} of {summary.waves} waves hit routing.time_limit; "
            "their plans depend on machine speed (set routing.time_limit = 0 for a reproducible log)"
        )
    console.print(f"log: {db} (run {summary.run_id}); verify it with: carbonsim check {db}")
