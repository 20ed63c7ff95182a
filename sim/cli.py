"""The ``carbonsim`` command line: one entry point, one subcommand per job.

Tables go to stdout when it is a terminal; progress and errors go to stderr. An error is
one clear line and a non-zero exit; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table


class CarbonsimGroup(click.Group):
    """Turns expected errors into one line on stderr (tracebacks only with --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (ValueError, OSError, KeyError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            click.echo(f"Error: {msg}", err=True)
            ctx.exit(2)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("carbonsim")
    except PackageNotFoundError:  # running from a source tree
        return "0+unknown"


@click.group(cls=CarbonsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), prog_name="carbonsim")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """carbonsim: green e-commerce logistics, routing and carbon footprints.

    \b
    Example:
      carbonsim route tests/data/solomon/C101.txt --time-limit 10 --seed 1
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


class _LazyProgress:
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


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--algorithm",
    "-a",
    type=click.Choice(["mogwo", "nsga2", "mopso", "moaco", "greedy"]),
    default="mogwo",
    show_default=True,
    help="Search algorithm; greedy is the nearest-neighbour baseline (one plan).",
)
@click.option("--time-limit", "-t", type=click.FloatRange(min=0, min_open=True), help="Wall-clock budget in seconds.")
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Seed of the search's random generator.")
@click.option("--iterations", "-i", type=click.IntRange(min=1), help="Iteration budget (default 200 when no time limit).")
@click.option("--population", "-p", type=click.IntRange(min=2), help="Population size (default 100).")
@click.option("--w1", type=click.FloatRange(min=0), default=0.6, show_default=True, help="Weight of cost (plus penalty) when picking the plan.")
@click.option("--w2", type=click.FloatRange(min=0), default=0.4, show_default=True, help="Weight of emissions when picking the plan.")
@click.option("--choose", type=click.Choice(["weights", "knee"]), default="weights", show_default=True, help="How the executed plan is picked from the front.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write the front as JSON to this file ('-' for stdout).")
@click.option("--routes/--no-routes", default=False, help="Also print the chosen plan's routes.")
def route(file, algorithm, time_limit, seed, iterations, population, w1, w2, choose, json_out, routes) -> None:
    """Route a VRPTW instance and print its Pareto front of cost, kg CO2 and penalty.

    FILE is a Solomon or Gehring-Homberger text file. The chosen plan is marked with *.

    \b
    Examples:
      carbonsim route tests/data/solomon/C101.txt --time-limit 10 --seed 1
      carbonsim route tests/data/solomon/R101.txt -a nsga2 -t 5 --json r101.json
    """
    from optimizer import Weights, read_solomon, solve

    instance = read_solomon(file)
    bar = _LazyProgress(f"{algorithm} on {instance.name}", sys.stderr.isatty())
    try:
        front = solve(
            instance,
            algorithm=algorithm,
            seed=seed,
            time_limit=time_limit,
            iterations=iterations,
            population=population,
            weights=Weights(cost=w1, emissions=w2),
            choose=choose,
            progress=bar,
        )
    finally:
        bar.close()
    if json_out is not None:
        text = json.dumps(front.to_dict(), indent=2)
        if str(json_out) == "-":
            click.echo(text)
            return
        json_out.write_text(text + "\n")
    console = Console()
    table = Table(
        title=f"{instance.name}: {algorithm}, seed {seed}, {front.seconds:.1f} s, "
        f"{front.iterations} iterations, {len(front.solutions)} plans",
        title_justify="left",
    )
    for col in ("", "#", "cost", "kg CO2", "penalty", "vehicles", "km"):
        table.add_column(col, justify="right")
    for i, s in enumerate(front.solutions):
        ev = s.evaluation
        mark = "*" if i == front.chosen else ""
        style = "bold green" if i == front.chosen else None
        table.add_row(
            mark, str(i), f"{ev.cost:,.2f}", f"{ev.emissions_kg:,.2f}", f"{ev.penalty:,.2f}",
            str(ev.vehicles), f"{ev.distance_km:,.2f}", style=style,
        )
    console.print(table)
    best = front.best.evaluation
    console.print(
        f"chosen plan #{front.chosen} ({choose}, w1={w1:g}, w2={w2:g}): cost {best.cost:,.2f}, "
        f"{best.emissions_kg:,.2f} kg CO2, penalty {best.penalty:,.2f}, {best.vehicles} vehicles, "
        f"{best.distance_km:,.2f} km" + ("" if best.feasible else f"; INFEASIBLE: {'; '.join(best.problems)}")
    )
    if routes:
        names = [v.name for v in instance.vehicle_types]
        for r in front.best.routes:
            ids = " ".join(str(int(instance.customer_ids[c])) for c in r.customers)
            console.print(f"  {names[r.vehicle_type]}: {ids}")
    if json_out is not None:
        console.print(f"wrote {json_out}")


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
def validate(file: Path, overrides: tuple[str, ...], resolved: bool) -> None:
    """Check a scenario file (and its extends chain) without running it.

    Prints FILE: valid and a short summary, or one line per problem on stderr and
    exits with code 2. Field reference: scenarios/README.md.

    \b
    Examples:
      carbonsim validate scenarios/green.toml
      carbonsim validate scenarios/baseline.toml --set routing.w2=0.8 --set routing.policy=mogwo
    """
    from sim.scenario import Scenario

    scenario = Scenario.from_file(file, overrides)  # a ScenarioError (ValueError) exits 2 via the group
    click.echo(f"{file}: valid")
    s, d, r = scenario.simulation, scenario.demand, scenario.routing
    peaks = ", ".join(f"{p.name} x{p.multiplier:g} on days {p.start_day}-{p.start_day + p.days - 1}" for p in d.peaks)
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("days", f"{s.days} from {s.start_date.isoformat()}, seed {s.seed}")
    table.add_row("orders/day", f"{d.orders_per_day:,} ({d.mode})" + (f"; peaks: {peaks}" if peaks else ""))
    routing = f"{r.policy}, w1={r.w1:g}, w2={r.w2:g}, waves every {r.wave_interval_minutes:g} min"
    if r.policy == "mogwo":
        routing += f", {r.population} x {r.iterations} iterations, time limit {r.time_limit:g} s"
    table.add_row("routing", routing)
    table.add_row("packing", scenario.packing.policy)
    fleet = ", ".join(f"{v.count} {v.name}" for v in scenario.fleet.vehicles)
    table.add_row("fleet", fleet + (f"; ev_share {scenario.fleet.ev_share:g}" if scenario.fleet.ev_share else ""))
    if overrides:
        table.add_row("overrides", " ".join(overrides))
    table.add_row("hash", scenario.canonical_hash())
    console = Console(highlight=False)
    console.print(table)
    if resolved:
        click.echo(scenario.to_toml(), nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
