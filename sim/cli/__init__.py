"""The ``carbonsim`` command line: one entry point, one subcommand per job.

Tables go to stdout when it is a terminal; when stdout is a pipe or a file, a command prints
JSON instead (``--json``/``--csv`` choose explicitly; ``carbonsim --tables`` or
CARBONSIM_TABLES=1 keeps the tables). Progress and errors go to stderr. An error is one
clear line and a non-zero exit; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optimizer.algorithms import ALGORITHM_NAMES, ALGORITHMS
from optimizer.units import MINUTES_PER_DAY
from sim.errors import describe_sqlite_error
from sim.version import package_version


class CarbonsimGroup(click.Group):
    """Turns expected errors into one line on stderr (tracebacks only with --debug)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (sqlite3.Error, OverflowError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            files = (ctx.obj or {}).get("files") or ["the event log"]
            click.echo(f"Error: {describe_sqlite_error(files[-1] if len(files) == 1 else ', '.join(files), exc)}", err=True)
            ctx.exit(2)
        except (ValueError, OSError, KeyError) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            click.echo(f"Error: {msg}", err=True)
            ctx.exit(2)


@click.group(cls=CarbonsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_version(), prog_name="carbonsim")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.option("--tables", is_flag=True, envvar="CARBONSIM_TABLES",
              help="Print tables even when stdout is not a terminal (default there: JSON).")
@click.pass_context
def main(ctx: click.Context, debug: bool, tables: bool) -> None:
    """carbonsim: green e-commerce logistics, routing and carbon footprints.

    \b
    Examples:
      carbonsim run scenarios/baseline.toml
      carbonsim check carbonsim.db
      carbonsim compare scenarios/baseline.toml scenarios/green.toml --seeds 10 --jobs 2
      carbonsim route tests/data/solomon/C101.txt --time-limit 10 --seed 1
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["tables"] = tables


def _as_json(json_out: bool, csv_out: bool = False) -> bool:
    """Whether a command prints JSON: asked with --json, or no format was asked and stdout
    is not a terminal (a pipe or a file wants something a program can read)."""
    if json_out or csv_out:
        return json_out
    obj = click.get_current_context().find_root().obj or {}
    return not obj.get("tables") and not sys.stdout.isatty()


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


#: Seconds route keeps, out of its time limit, for printing its result and the interpreter's
#: exit (measured 0.25-0.45 s: the exit's last garbage collection walks every loaded module).
ROUTE_EXIT_SECONDS = 0.4
#: A command reached later than this after its process started runs inside a longer-lived
#: program (a test runner, a notebook): its time limit starts with the command, not the process.
STARTUP_COUNTED_SECONDS = 5.0


def _startup_seconds() -> float:
    """Seconds since this process started (Linux /proc; 0 elsewhere, or when it is more than
    STARTUP_COUNTED_SECONDS): the interpreter's start-up and imports count against a limit."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
    return age if 0.0 <= age <= STARTUP_COUNTED_SECONDS else 0.0


def _time_limit(value: float | None) -> float | None:
    """route's --time-limit, checked as optimizer.solve checks it (finite, > 0, at most a day)."""
    from optimizer.deadline import check_time_limit

    try:
        return check_time_limit(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--algorithm",
    "-a",
    type=click.Choice(ALGORITHM_NAMES),
    default="mogwo",
    show_default=True,
    help="Search algorithm; greedy is the nearest-neighbour baseline (one plan).",
)
@click.option("--time-limit", "-t", type=float, callback=lambda ctx, param, value: _time_limit(value), metavar="SECONDS",
              help="Wall-clock budget of the whole command in seconds, in (0, 86400]; the start plan is printed when nothing better fits.")
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Seed of the search's random generator.")
@click.option("--iterations", "-i", type=click.IntRange(min=1), help="Iteration budget (default 200 when no time limit).")
@click.option("--population", "-p", type=click.IntRange(min=2), help="Population size (default 100).")
@click.option("--w1", type=click.FloatRange(min=0), default=0.6, show_default=True, help="Weight of cost (plus penalty) when picking the plan.")
@click.option("--w2", type=click.FloatRange(min=0), default=0.4, show_default=True, help="Weight of emissions when picking the plan.")
@click.option("--choose", type=click.Choice(["weights", "knee"]), default="weights", show_default=True, help="How the executed plan is picked from the front.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path), help="Write the front as JSON to this file ('-' for stdout).")
@click.option("--routes/--no-routes", default=False, help="Also print the chosen plan's routes.")
@click.option("--engine-children", type=click.FloatRange(min=0, max=10), default=0.25, show_default=True, metavar="SHARE",
              help="Plans the routing engine makes between two updates of the population, as a share of it; 0 = the algorithm alone.")
def route(file, algorithm, time_limit, seed, iterations, population, w1, w2, choose, json_out, routes, engine_children) -> None:
    """Route a VRPTW instance and print its Pareto front of cost, kg CO2 and penalty.

    FILE is a Solomon or Gehring-Homberger text file, or a VRPLIB VRPTW file (.vrp). The
    chosen plan is marked with *. With --time-limit the command ends within the limit
    (reading the file, compiling the numba kernels on first use and the search included)
    plus about half a second to start.

    \b
    Examples:
      carbonsim route tests/data/solomon/C101.txt --time-limit 10 --seed 1
      carbonsim route tests/data/solomon/R101.txt -a nsga2 -t 5 --json r101.json
    """
    started = time.perf_counter() - _startup_seconds()
    from optimizer import Weights, read_instance, solve
    from optimizer.intensify import IntensifyParams

    instance = read_instance(file)
    bar = _LazyProgress(f"{algorithm} on {instance.name}", sys.stderr.isatty())
    try:
        front = solve(
            instance,
            algorithm=algorithm,
            seed=seed,
            # what is left of the command's budget after start-up, reading the file, and the
            # time kept for printing the result and exiting
            time_limit=None if time_limit is None else max(time_limit - (time.perf_counter() - started) - ROUTE_EXIT_SECONDS, 1e-3),
            iterations=iterations,
            population=population,
            weights=Weights(cost=w1, emissions=w2),
            choose=choose,
            intensify=IntensifyParams(children=engine_children) if engine_children > 0 else None,
            progress=bar,
        )
    finally:
        bar.close()
    if front.fallback:
        hint = " (a run without --time-limit compiles them once; later runs load them in about a second)" if "numba" in front.fallback else ""
        click.echo(f"note: {front.fallback}{hint}", err=True)
    if json_out is None and _as_json(False):
        json_out = "-"
    if json_out is not None:
        text = front.to_json()
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


#: Lifts the cap on a scenario's expected events (sim.scenario.MAX_EXPECTED_EVENTS).
_ALLOW_LARGE = click.option("--allow-large", is_flag=True,
                            help="Accept a scenario expected to log more than 50 million events (refused by default).")


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
@_ALLOW_LARGE
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
    if _as_json(json_out):
        click.echo(json.dumps({"file": str(file), "valid": True, "overrides": list(overrides),
                               "hash": scenario.canonical_hash(), "expected_events": round(work.events),
                               "scenario": json.loads(scenario.canonical_json())}))
        return
    click.echo(f"{file}: valid")
    s, d, r = scenario.simulation, scenario.demand, scenario.routing
    peaks = ", ".join(f"{p.name} x{p.multiplier:g} on days {p.start_day}-{p.start_day + p.days - 1}" for p in d.peaks)
    table = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("days", f"{s.days} from {s.start_date.isoformat()}, seed {s.seed}")
    table.add_row("orders/day", f"{d.orders_per_day:,} ({d.mode})" + (f"; peaks: {peaks}" if peaks else ""))
    routing = f"{r.policy}, w1={r.w1:g}, w2={r.w2:g}, waves every {r.wave_interval_minutes:g} min"
    if ALGORITHMS[r.policy].searches:
        routing += f", {r.population} x {r.iterations} iterations, " + (
            f"time limit {r.time_limit:g} s" if r.time_limit else "no time limit")
    table.add_row("routing", routing)
    if d.mode == "sessions":
        rec, inc = scenario.recommender, scenario.incentives
        shop = (f"{rec.model} ranking, green boost {rec.green_boost:g}, slate {rec.slate_size}, "
                f"labels {'shown' if scenario.labels.display else 'hidden'}")
        if inc.points_per_green_purchase or inc.points_per_green_slot:
            shop += (f"; points {inc.points_per_green_purchase}/green unit, {inc.points_per_green_slot}/green slot,"
                     f" budget {inc.budget:,}")
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


#: Ids as SQLite stores them: 64-bit signed integers (a larger one is an error, not an overflow).
_RUN_ID = click.IntRange(min=1, max=2**63 - 1)
_OBJECT_ID = click.IntRange(min=0, max=2**63 - 1)


def _remember_file(ctx: click.Context, param: click.Parameter, value):
    """Note a file the command works on, so that a SQLite or OS failure later names it."""
    if value is not None:
        values = value if isinstance(value, tuple) else (value,)
        ctx.find_root().ensure_object(dict).setdefault("files", []).extend(str(v) for v in values)
    return value


#: The run database argument and run choice that every command reading a run back takes.
_RUN_DB = click.argument("db", metavar="RUN_DB", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                         callback=_remember_file)
_RUN_OPTION = click.option("--run", "run_id", type=_RUN_ID, help="Run id (default: the last run in the file).")

_OVERRIDE_HELP = "Override one field (repeatable); VALUE is TOML, a bare word is a string."


class _RunProgress:
    """A rich progress bar over simulated time on stderr (only when stderr is a terminal)."""

    def __init__(self, label: str, enabled: bool) -> None:
        self.progress: Progress | None = None
        if enabled:
            self.progress = Progress(
                TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(label, total=1.0, status="")

    def __call__(self, t: float, horizon: float, counters) -> None:
        if self.progress is None:
            return
        day = int(t // MINUTES_PER_DAY)
        days = int(horizon // MINUTES_PER_DAY)
        phase = f"day {min(day, days)}/{days}" if t <= horizon else f"drain +{(t - horizon) / 60:.0f} h"
        status = (f"{phase} · {counters.orders:,} orders · {counters.delivered:,} delivered · "
                  f"{counters.routes:,} routes · routing {counters.routing_seconds:.0f} s")
        self.progress.update(self.task, completed=min(1.0, t / horizon), status=status)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _summary_table(summary) -> Table:
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


@main.command("run")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seed", "-s", type=click.IntRange(min=0, max=2**63 - 1), help="Root seed (default: the scenario's simulation.seed).")
@click.option("--days", "-d", type=click.IntRange(min=1, max=3650), help="Days to simulate (default: the scenario's).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("carbonsim.db"), show_default=True,
              callback=_remember_file,
              help="Event-log file (SQLite); created, or the run is added to it (a SQLite file that is not a log is refused).")
@click.option("--set", "overrides", multiple=True, metavar="TABLE.KEY=VALUE", help=_OVERRIDE_HELP)
@click.option("--json", "json_out", is_flag=True, help="Print the summary as one JSON object on stdout.")
@_ALLOW_LARGE
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

    scenario = Scenario.from_file(scenario_file, [*overrides, *([f"simulation.days={days}"] if days else [])], allow_large=allow_large)
    name = scenario_name(scenario_file)
    bar = _RunProgress(f"{name}", sys.stderr.isatty())
    try:
        with stop_on_signals():
            summary = run(scenario, db_path=db, seed=seed, days=days, name=name, progress=bar)
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP as Terminated
        bar.close()
        why = f" ({exc})" if isinstance(exc, Terminated) else ""
        click.echo(f"Interrupted{why}: the run is marked interrupted in {db}; what happened so far is kept.", err=True)
        sys.exit(exc.exit_code if isinstance(exc, Terminated) else 130)
    finally:
        bar.close()
    if _as_json(json_out):
        click.echo(json.dumps(summary.to_dict()))
        return
    console = Console(highlight=False)
    console.print(_summary_table(summary))
    if summary.waves_time_capped:
        console.print(f"note: {summary.waves_time_capped} of {summary.waves} waves hit routing.time_limit; "
                      "their plans depend on machine speed (set routing.time_limit = 0 for a reproducible log)")
    console.print(f"log: {db} (run {summary.run_id}); verify it with: carbonsim check {db}")


def _fmt(x: float) -> str:
    a = abs(x)
    return f"{x:,.0f}" if a >= 1000 else f"{x:.1f}" if a >= 100 else f"{x:.3f}"


def _cell(i, share: bool, diff: bool = False) -> str:
    """An interval as a table cell; a share in % (a difference of shares in percentage points)."""
    if share:
        unit = " pp" if diff else " %"
        return f"{100 * i.mean:.1f}{unit} [{100 * i.low:.1f}, {100 * i.high:.1f}]"
    return f"{_fmt(i.mean)} [{_fmt(i.low)}, {_fmt(i.high)}]"


def _comparison_table(cmp) -> Table:
    from sim.experiments import KPIS, SHARES

    first = cmp.scenarios[0]
    table = Table(title=f"{len(cmp.seeds)} seeds each ({cmp.seeds[0]}..{cmp.seeds[-1]}, common random numbers);"
                        " mean [95% CI]", title_justify="left")
    table.add_column("KPI", style="bold")
    for name in cmp.scenarios:
        table.add_column(escape(name), justify="right")
    for name in cmp.scenarios[1:]:
        table.add_column(escape(f"{name} - {first}"), justify="right")
    for kpi, label in KPIS.items():
        cells = [_cell(i, kpi in SHARES) for i in cmp.stats[kpi].values()]
        cells += [_cell(i, kpi in SHARES, diff=True) for i in cmp.diffs[kpi].values()]
        table.add_row(label, *cells)
    return table


_SCHEDULER_HELP = ("Run on this Dask distributed scheduler's workers instead of local processes "
                   "(pip install 'carbonsim[cluster]'; carbonsim must be installed on the workers).")


def _replicate(scenarios: dict, what: str, seeds: range, jobs: int, scheduler, logs, db: Path, json_out: bool, **store):
    """compare/sweep's common part: say what will run, run it with a bar of finished runs on
    stderr, and return the Comparison (``store``: the parameter columns of the results rows).
    Ctrl-C, SIGTERM and SIGHUP stop every worker; the runs they had going are marked
    interrupted in their logs and no results row is written (exit 130, 143, 129)."""
    from sim.experiments import compare
    from sim.signals import Terminated, stop_on_signals

    if not _as_json(json_out):
        where = scheduler or f"{jobs} worker(s)"
        click.echo(f"{len(scenarios)} {what} x {len(seeds)} seeds = {len(scenarios) * len(seeds)} runs on {where} ...", err=True)
    bar = _LazyProgress("runs", sys.stderr.isatty())
    stopped = "Interrupted: no run goes on (those that were going are marked interrupted in their logs); no results row was written."
    try:
        with stop_on_signals():
            return compare(scenarios, list(seeds), jobs=jobs, logs=logs, results_db=db, scheduler=scheduler,
                           progress=lambda done, total: bar(done / total), **store)
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
@click.argument("scenario_files", metavar="SCENARIO...", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--seeds", "-n", type=click.IntRange(min=1), default=5, show_default=True,
              help="Replications per scenario: seeds F..F+N-1 (F = --first-seed), the same for every scenario.")
@click.option("--first-seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="First seed of the replications (another block of seeds gives independent replications).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help=_SCHEDULER_HELP)
@click.option("--days", "-d", type=click.IntRange(min=1, max=3650), help="Days to simulate (default: each scenario's).")
@click.option("--set", "overrides", multiple=True, metavar="FIELD=VALUE", help="Override a field in every scenario (repeatable).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("carbonsim-results.db"), show_default=True,
              help="Results file: one row per run in its table `results`.")
@click.option("--logs", type=click.Path(file_okay=False, path_type=Path),
              help="Keep each run's event log in this folder (default: discarded after the run).")
@click.option("--json", "json_out", is_flag=True, help="Print the comparison as JSON on stdout.")
@_ALLOW_LARGE
def compare_command(scenario_files, seeds: int, first_seed: int, jobs: int, scheduler, days, overrides, db: Path, logs, json_out: bool,
                    allow_large: bool) -> None:
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
    result = _replicate(scenarios, "scenarios", range(first_seed, first_seed + seeds), jobs, scheduler, logs, db, json_out,
                        swept=dict(o.split("=", 1) for o in overrides))
    if _as_json(json_out):
        click.echo(json.dumps(result.to_dict()))
        return
    console = Console(highlight=False)
    console.print(_comparison_table(result))
    console.print(f"results: {db} (table results, one row per run; {_invocation_note(logs, result)})")


@main.command("sweep")
@click.argument("scenario_file", metavar="SCENARIO", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="FIELD=V1,V2,...",
              help="A grid axis: the field takes each value in turn (repeatable; a single value is a fixed override).")
@click.option("--seeds", "-n", type=click.IntRange(min=1), default=3, show_default=True,
              help="Replications per grid point: seeds F..F+N-1 (F = --first-seed).")
@click.option("--first-seed", type=click.IntRange(min=0), default=1, show_default=True, help="First seed of the replications.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help=_SCHEDULER_HELP)
@click.option("--days", "-d", type=click.IntRange(min=1, max=3650), help="Days to simulate (default: the scenario's).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=Path("carbonsim-results.db"), show_default=True,
              help="Results file: one row per run (grid point, seed) in its table `results`.")
@click.option("--logs", type=click.Path(file_okay=False, path_type=Path), help="Keep each run's event log in this folder.")
@click.option("--json", "json_out", is_flag=True, help="Print the comparison of the grid points as JSON.")
@_ALLOW_LARGE
def sweep_command(scenario_file: Path, overrides, seeds: int, first_seed: int, jobs: int, scheduler, days, db: Path, logs, json_out: bool,
                  allow_large: bool) -> None:
    """Run a scenario over a parameter grid, N seeds per point, into one results table.

    Every grid point uses the same seeds (common random numbers); the first point is the
    reference of the printed differences.

    \b
    Example:
      carbonsim sweep scenarios/green.toml --set routing.w2=0,0.2,0.4,0.8 --set fleet.ev_share=0,0.3 --seeds 5 -j 2
    """
    from sim.experiments import SHARES, grid
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
    result = _replicate(scenarios, "grid points", range(first_seed, first_seed + seeds), jobs, scheduler, logs, db, json_out,
                        swept=dict(o.split("=", 1) for o in fixed), params=params)
    if _as_json(json_out):
        click.echo(json.dumps(result.to_dict()))
        return
    table = Table(title=f"{stem}: {len(points)} grid points x {seeds} seeds; mean [95% CI]", title_justify="left")
    table.add_column("grid point", overflow="fold", min_width=24)
    for col in ("kg CO2e per order", "cost per order", "on time", "green share of units"):
        table.add_column(col, justify="right")
    for name in scenarios:
        cells = []
        for kpi in ("kg_co2e_per_order", "cost_per_order", "on_time_share", "green_sales_share"):
            cells.append(_cell(result.stats[kpi][name], kpi in SHARES))
        table.add_row(escape(name), *cells)  # a grid point's name has [brackets], not markup
    console = Console(highlight=False)
    console.print(table)
    console.print(f"results: {db} (table results, one row per run; param_* columns name the grid point;"
                  f" {_invocation_note(logs, result)})")


@main.command("check")
@_RUN_DB
@click.option("--run", "run_id", type=_RUN_ID, help="Run to check (default: the last run in the file).")
@click.option("--json", "json_out", is_flag=True, help="Print the results as JSON.")
def check_command(db: Path, run_id, json_out: bool) -> None:
    """Verify a run's invariants from its event log alone; exit 1 if one breaks, 3 if they
    hold but the run did not complete (interrupted, failed or abandoned: its figures are partial).

    Every order ends delivered or explicitly failed, and nothing happens to it after; stock
    balances and is never negative; picks match reservations; no vehicle is over capacity;
    each loaded order is visited once by its route; a vehicle drives one route at a time;
    each route's km and kg CO2e equal the sums over its arcs; route shares add up; each
    ended order's footprint carries its shares; each delivered order has one label; the
    label ledger's chain holds and matches the label events.

    \b
    Example:
      carbonsim check carbonsim.db --run 2
    """
    from sim.analysis.check import check_run
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        results = check_run(log, run.run_id)
    failed = [r for r in results if not r.ok]
    if _as_json(json_out):
        click.echo(json.dumps({
            "run_id": run.run_id, "status": run.status.value, "ok": not failed, "complete": run.finished,
            "checks": [{"name": r.name, "ok": r.ok, "violations": r.violations, "example": r.example,
                        "description": r.description} for r in results],
        }))
    else:
        console = Console(highlight=False)
        table = Table(title=f"{db}: run {run.run_id} ({run.scenario}, seed {run.seed}, {run.status.value})", title_justify="left")
        for col in ("check", "result", "violations", "first violation"):
            table.add_column(col)
        for r in results:
            table.add_row(r.name, "[green]ok[/]" if r.ok else "[red]FAILED[/]", str(r.violations), r.example or "")
        console.print(table)
        if not run.finished:
            console.print(f"note: the run is {run.status.value}; orders still open when it stopped count as violations")
    if failed:
        sys.exit(1)
    if not run.finished:
        sys.exit(3)


def _warn_partial(db: Path, run) -> None:
    """A plain warning on stderr when a run's figures do not cover a whole run."""
    if not run.finished:
        why = {"running": "is still being written", "abandoned": "was abandoned (its process is gone)",
               "interrupted": "was interrupted", "failed": "failed"}.get(run.status.value, run.status.value)
        click.echo(f"warning: {db}: run {run.run_id} {why}: these figures are partial, "
                   "they cover only what it logged", err=True)


def _minutes(text: str | None) -> float | None:
    """Simulated time from the command line: minutes, or days with a `d` suffix (2d = 2880)."""
    if text is None:
        return None
    try:
        return float(text[:-1]) * MINUTES_PER_DAY if text.endswith("d") else float(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a time: give minutes (90) or days (1.5d)") from None


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


def _write_csv(rows: list[dict], fieldnames: list[str]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=fieldnames, extrasaction="ignore")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv_safe(v) for k, v in r.items()})


def _emit_rows(rows: list[dict], json_out: bool, csv_out: bool, title: str) -> None:
    from sim.analysis.queries import COLUMNS

    if _as_json(json_out, csv_out):
        click.echo(json.dumps(rows))
        return
    if csv_out:
        _write_csv([{**r, "data": json.dumps(r["data"]) if r["data"] is not None else ""} for r in rows], list(COLUMNS))
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


@main.command("events")
@_RUN_DB
@_RUN_OPTION
@click.option("--type", "types", multiple=True, metavar="T", help="Event type (repeatable), e.g. delivered.")
@click.option("--order", "order_id", type=_OBJECT_ID, help="Only this order's events.")
@click.option("--vehicle", "vehicle_id", help="Only this vehicle's events, e.g. light_truck-03.")
@click.option("--from", "t_from", metavar="T0", help="From this simulated time (minutes, or days as 2d).")
@click.option("--to", "t_to", metavar="T1", help="Before this simulated time.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most this many events (0: all).")
@click.option("--json", "json_out", is_flag=True, help="Print a JSON list of events.")
@click.option("--csv", "csv_out", is_flag=True, help="Print CSV with a header row.")
def events_command(db: Path, run_id, types, order_id, vehicle_id, t_from, t_to, limit: int, json_out: bool, csv_out: bool) -> None:
    """List a run's events, filtered (every filter is a bound parameter, never pasted SQL).

    \b
    Examples:
      carbonsim events carbonsim.db --type delivered --limit 5
      carbonsim events carbonsim.db --vehicle light_truck-03 --from 1d --to 2d --csv > truck3.csv
    """
    from sim.log.eventlog import EventLog
    from sim.log.events import EventType
    from sim.analysis.queries import event_row

    known = {t.value for t in EventType}
    for t in types:
        if t not in known:
            raise click.BadParameter(f"{t!r} is not an event type; one of: {', '.join(sorted(known))}", param_hint="--type")
    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        rows = [event_row(seq, e) for seq, e in log.iter_events(
            run.run_id, type=list(types) or None, order_id=order_id, vehicle_id=vehicle_id,
            t_from=_minutes(t_from), t_to=_minutes(t_to), limit=limit or None)]
    _emit_rows(rows, json_out, csv_out, f"{db}: run {run.run_id}, {len(rows)} events")


@main.command("trace")
@click.argument("order_id", type=_OBJECT_ID)
@_RUN_DB
@_RUN_OPTION
@click.option("--json", "json_out", is_flag=True, help="Print a JSON list of events.")
@click.option("--csv", "csv_out", is_flag=True, help="Print CSV with a header row.")
def trace_command(order_id: int, db: Path, run_id, json_out: bool, csv_out: bool) -> None:
    """One order's life from session to label: the session and slate it came from, stock,
    picking and packing, the waves and routes that carried it (with each route's vehicle, km
    and kg CO2e), delivery, footprint and label.

    \b
    Example:
      carbonsim trace 42 carbonsim.db
    """
    from sim.log.eventlog import EventLog
    from sim.analysis.queries import trace

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        rows = trace(log, run.run_id, order_id)
    _emit_rows(rows, json_out, csv_out, f"{db}: run {run.run_id}, order {order_id}")


@main.command("kpis")
@_RUN_DB
@_RUN_OPTION
@click.option("--json", "json_out", is_flag=True, help="Print the summary as one JSON object.")
def kpis_command(db: Path, run_id, json_out: bool) -> None:
    """Recompute a run's summary from its event log alone (the same figures `run` printed).

    \b
    Example:
      carbonsim kpis carbonsim.db --json
    """
    from sim.log.eventlog import EventLog
    from sim.analysis.summary import summarize

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        summary = summarize(log, run.run_id)
    _warn_partial(db, run)
    if _as_json(json_out):
        click.echo(json.dumps(summary.to_dict()))
    else:
        Console(highlight=False).print(_summary_table(summary))


@main.command("export-ocel")
@_RUN_DB
@click.argument("out", metavar="OUT.sqlite", type=click.Path(dir_okay=False, path_type=Path), callback=_remember_file)
@_RUN_OPTION
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@click.option("--json", "json_out", is_flag=True, help="Print the counts as JSON.")
def export_ocel_command(db: Path, out: Path, run_id, force: bool, json_out: bool) -> None:
    """Write a run as an OCEL 2.0 object-centric event log (the standard's SQLite format).

    Objects: orders, products, vehicles, routes, consumers, labels and waves; every event is
    linked to the objects it touches, qualified by their role, and objects to each other
    where the log says so (an order's products and consumer, a route's vehicle and orders).
    Process-mining tools (pm4py, OCPA, Celonis) read the file as it is.

    \b
    Example:
      carbonsim export-ocel carbonsim.db run.ocel.sqlite
    """
    from sim.log.eventlog import EventLog
    from sim.export.ocel import export_ocel

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        try:
            counts = export_ocel(log, run.run_id, out, overwrite=force, inputs=[db])
        except FileExistsError:
            raise ValueError(f"{out} already exists; add --force to replace it") from None
    _warn_partial(db, run)
    doc = {"run_id": run.run_id, "status": run.status.value, "partial": not run.finished, "out": str(out), "events": counts.events, "objects": counts.objects,
           "e2o": counts.e2o, "o2o": counts.o2o, "object_changes": counts.object_changes,
           "events_by_type": dict(counts.events_by_type), "objects_by_type": dict(counts.objects_by_type),
           "o2o_by_qualifier": dict(counts.o2o_by_qualifier)}
    if _as_json(json_out):
        click.echo(json.dumps(doc))
        return
    by_type = ", ".join(f"{n:,} {t}" for t, n in sorted(counts.objects_by_type.items(), key=lambda kv: -kv[1]))
    relations = ", ".join(f"{n:,} {q}" for q, n in sorted(counts.o2o_by_qualifier.items(), key=lambda kv: -kv[1]))
    click.echo(f"wrote {out} (OCEL 2.0, SQLite) from run {run.run_id} of {db}:\n"
               f"  {counts.events:,} events of {len(counts.events_by_type)} types, {counts.e2o:,} event-object links\n"
               f"  {counts.objects:,} objects: {by_type}\n"
               f"  {counts.o2o:,} object-object links: {relations}")


def _run_ref(text: str) -> tuple[Path, int | None]:
    """``FILE`` or ``FILE:RUN``: a run database and, optionally, the run in it."""
    path = Path(text)
    if not path.exists() and ":" in text:
        head, _, tail = text.rpartition(":")
        if tail.isdigit():
            path, run = Path(head), int(tail)
            if path.exists():
                return path, run
    if not path.is_file():
        raise click.BadParameter(f"{text}: no such run database (give FILE or FILE:RUN_ID)", param_hint="RUN_DB")
    return path, None


@main.command("report")
@click.argument("dbs", metavar="RUN_DB[:RUN]...", nargs=-1, required=True)
@click.option("--out", "-o", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.html"),
              show_default=True, help="The HTML file to write (an existing file only with --force, never an input).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists (never one of the run databases read).")
def report_command(dbs, out: Path, force: bool) -> None:
    """Write one self-contained HTML report (opens offline, no scripts from the network).

    For each run: emissions over time by part, every wave's Pareto front of cost vs CO2
    with the chosen plan, vehicle load factors, green share over time and the KPI table.
    For several runs also the side-by-side KPIs and a chart of the differences against the
    first run. A file holding several runs takes FILE:RUN to pick one (default: the last).

    \b
    Examples:
      carbonsim report carbonsim.db -o report.html
      carbonsim report baseline.db green.db -o compare.html
    """
    from sim.export.report import build_report

    t0 = time.perf_counter()
    refs = [_run_ref(d) for d in dbs]
    _remember_file(click.get_current_context(), None, tuple(p for p, _ in refs))
    try:
        path = build_report(refs, out, overwrite=force)
    except FileExistsError:
        raise ValueError(f"{out} already exists; add --force to replace it") from None
    size = path.stat().st_size
    click.echo(f"wrote {path} ({size / 1e6:.1f} MB, {len(dbs)} run(s), {time.perf_counter() - t0:.1f} s); "
               "open it in any browser, no network needed")


@main.command("verify")
@_RUN_DB
@click.option("--run", "run_id", type=int, help="Run to verify (default: every run in the file).")
@click.option("--head", "heads", multiple=True, metavar="HASH",
              help="A head hash published earlier: it must still be the head of a run (repeatable).")
@click.option("--json", "json_out", is_flag=True, help="Print the result as JSON.")
def verify_command(db: Path, run_id, heads: tuple[str, ...], json_out: bool) -> None:
    """Verify the ledger of each run: exit 1 unless every run verifies (and every --head matches).

    Recomputes the hash chain; every event against the digest of its batch; the runs row
    (scenario_json against scenario_hash, seed, status, times) and product_labels against
    the run's seal; and the label records against the label and grade events. Prints each
    run's head, its last entry hash: a consistent rewrite of the whole ledger passes
    everything else, and is caught only by --head with a head recorded elsewhere.

    \b
    Examples:
      carbonsim verify carbonsim.db
      carbonsim verify carbonsim.db --run 1 --head 5d1c...e9
    """
    from labels.ledger import orphan_runs
    from sim.analysis.check import verify_run
    from sim.log.eventlog import EventLog

    wanted = [_head_hash(h) for h in heads]
    with EventLog.open_existing(db) as log:
        runs = [log.pick_run(run_id, source=db)] if run_id is not None else log.runs()
        results = [verify_run(log, r.run_id) for r in runs]
        orphans = orphan_runs(log.db) if run_id is None else []
    by_head = {r.head: r.run_id for r in results if r.head is not None and r.state != "tampered"}
    matched = {h: by_head.get(h) for h in wanted}
    ok = all(r.ok for r in results) and not orphans and all(v is not None for v in matched.values())
    if _as_json(json_out):
        first_bad = next((r for r in results if r.state == "tampered"), None)
        click.echo(json.dumps({
            "ok": ok, "entries": sum(r.entries for r in results),
            "tampered": None if first_bad is None else {"run_id": first_bad.run_id, "problem": first_bad.problem},
            "runs": [{"run_id": run.run_id, "scenario": run.scenario, "seed": run.seed, "status": run.status.value,
                      "state": r.state, "problem": r.problem, "head": r.head, "events": r.events, "digests": r.batches,
                      "records": r.records, "product_labels": r.product_labels} for run, r in zip(runs, results)],
            "orphan_runs": orphans,
            "heads": [{"head": h, "run_id": matched[h]} for h in wanted],
        }))
    else:
        for run, r in zip(runs, results):
            click.echo(f"{db} run {run.run_id} ({run.scenario}, seed {run.seed}, {run.status.value}): {_verdict(r)}")
            if r.head is not None and r.state != "tampered":
                click.echo(f"  head {r.head}")
        for orphan in orphans:
            click.echo(f"{db} run {orphan}: TAMPERED: it has events or ledger entries but no row in runs (deleted)")
        for h in wanted:
            found = matched[h]
            click.echo(f"{db}: head {h} " + (f"matches run {found}" if found is not None else
                                             "is not the head of any run: the ledger was rewritten, extended or "
                                             "truncated since it was recorded"))
        failing = sum(not r.ok for r in results) + len(orphans)
        if failing:
            click.echo(f"{db}: {failing} of {len(results) + len(orphans)} run(s) do not verify")
        elif ok:
            click.echo(f"{db}: {len(results)} run(s) verified"
                       + ("" if wanted else "; record the head(s) elsewhere: --head then also catches a consistent "
                                            "rewrite of the ledger"))
    if not ok:
        sys.exit(1)


def _head_hash(text: str) -> str:
    h = text.strip().lower()
    if len(h) != 64 or any(c not in "0123456789abcdef" for c in h):
        raise click.BadParameter(f"{text!r} is not a head hash (64 hex digits, as verify prints them)", param_hint="--head")
    return h


def _verdict(r) -> str:
    """One run's result in words."""
    if r.state == "tampered":
        return f"TAMPERED: {r.problem}"
    if r.state == "verified":
        labels = "no product labels" if r.product_labels is None else f"{r.product_labels:,} product labels"
        digests = "1 digest" if r.batches == 1 else f"{r.batches:,} digests"
        return f"verified: {r.events:,} events in {digests}, {r.records:,} label and grade records, the runs row and {labels}"
    return f"NOT {'SEALED' if r.state == 'unsealed' else 'COVERED'}: {r.problem}"


def _order_breakdown(log, run_id: int, order_id: int) -> dict:
    """An order's footprint from the log: its parts, and its last-mile share arc by arc."""
    fp = log.events(run_id, type="footprint_computed", order_id=order_id)
    if not fp:
        raise KeyError(f"run {run_id} has no footprint for order {order_id} (unknown, or it never ended)")
    f = fp[0]
    parts = {k: f.data[k] for k in ("last_mile", "trunk", "packaging", "production", "total", "scope", "method")}
    mass = log.events(run_id, type="packed", order_id=order_id)[0].load
    routes = []
    for route_id in f.data["routes"]:
        rows = log.db.execute(
            "SELECT seq, type, order_id, km, kg_co2e, load, data FROM events WHERE run_id = ? AND route_id = ?"
            " AND type IN ('vehicle_departed', 'arrived', 'delivered', 'vehicle_returned') ORDER BY seq", [run_id, route_id]
        ).fetchall()
        departed = json.loads(rows[0][6])
        returned = json.loads(rows[-1][6])
        share = dict((int(k), v) for k, v in returned["shares"])[order_id]
        route_mass = rows[0][5]
        arcs, on_board = [], True
        for _, typ, oid, km, kg, load, _ in rows:
            if typ == "delivered" and oid == order_id:
                on_board = False
            if typ != "arrived":
                continue
            empty = load <= 1e-9  # nothing on board: eq. 5 splits the arc over the route's orders by mass
            if parts["method"] == "demand_share":
                mine = kg * mass / route_mass if empty else (kg * mass / load if on_board else 0.0)
            else:
                mine = None  # tonne-km splits the route as a whole, not arc by arc
            arcs.append({"to": oid if oid is not None else "depot", "km": km, "kg_co2e": kg, "load_kg": load, "share": mine})
        routes.append({"route_id": route_id, "vehicle_type": departed["vehicle_type"], "share": share, "arcs": arcs})
    return {"order_id": order_id, "run_id": run_id, "mass_kg": mass, **parts, "routes": routes}


@main.command("footprint")
@_RUN_DB
@click.option("--order", "order_id", type=_OBJECT_ID, required=True, help="The order's id.")
@click.option("--run", "run_id", type=_RUN_ID, help="Run (default: the last run in the file).")
@click.option("--json", "json_out", is_flag=True, help="Print the breakdown as JSON.")
def footprint_command(db: Path, order_id: int, run_id, json_out: bool) -> None:
    """One order's carbon footprint by part, and its last-mile share arc by arc.

    \b
    Example:
      carbonsim footprint carbonsim.db --order 42
    """
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        doc = _order_breakdown(log, run.run_id, order_id)
    if _as_json(json_out):
        click.echo(json.dumps(doc))
        return
    console = Console(highlight=False)
    console.print(f"order {order_id} (run {run.run_id}), {doc['mass_kg']:.2f} kg shipped: kg CO2e, scope {doc['scope']}, "
                  f"apportioned by {doc['method']}")
    parts = Table()
    parts.add_column("part", style="bold")
    parts.add_column("kg CO2e", justify="right")
    for name in ("last_mile", "trunk", "packaging", "production", "total"):
        parts.add_row(name.replace("_", " "), f"{doc[name]:.4f}")
    console.print(parts)
    for r in doc["routes"]:
        console.print(f"route {r['route_id']} ({r['vehicle_type']}): this order's share {r['share']:.4f} kg"
                      " (vehicle factors, before the scope conversion)")
        t = Table()
        for col in ("arc to", "km", "kg CO2e", "load kg", "share kg"):
            t.add_column(col, justify="right")
        for a in r["arcs"]:
            t.add_row(str(a["to"]), f"{a['km']:.2f}", f"{a['kg_co2e']:.4f}", f"{a['load_kg']:.1f}",
                      "-" if a["share"] is None else f"{a['share']:.4f}")
        console.print(t)


@main.command("labels")
@_RUN_DB
@click.option("--run", "run_id", type=_RUN_ID, help="Run (default: the last run in the file).")
@click.option("--category", help="Only this category (a name from catalog.categories).")
@click.option("--limit", type=click.IntRange(min=1), default=40, show_default=True, help="Rows in the table (JSON has all).")
@click.option("--json", "json_out", is_flag=True, help="Print every product's label as JSON.")
@click.option("--csv", "csv_out", is_flag=True, help="Print every product's label as CSV with a header row.")
def labels_command(db: Path, run_id, category, limit: int, json_out: bool, csv_out: bool) -> None:
    """Product carbon grades at the end of a run, with their evidence.

    Each product's grade at the end of the run, its value then (kg CO2e per unit:
    production + logistics over the rolling window), its category's median, the ratio, the
    low-carbon flag and how often the grade changed.

    \b
    Example:
      carbonsim labels carbonsim.db --limit 20
    """
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        changes = dict(log.db.execute(
            "SELECT product_id, COUNT(*) - 1 FROM events WHERE run_id = ? AND type = 'grade_changed' GROUP BY product_id",
            [run.run_id],
        ).fetchall())
        latest = {}
        cursor = log.db.execute("SELECT * FROM product_labels WHERE run_id = ?", [run.run_id])
        columns = [c[0] for c in cursor.description]
        for row in cursor:
            r = dict(zip(columns, row))
            del r["run_id"]
            r["low_carbon"], r["green"] = bool(r["low_carbon"]), bool(r["green"])
            latest[r["product_id"]] = {**r, "changes": changes.get(r["product_id"], 0)}
        if not latest:  # an interrupted run has no end-of-run table: its last grade changes
            for (data,) in log.db.execute(
                "SELECT data FROM events WHERE run_id = ? AND type = 'grade_changed' ORDER BY seq", [run.run_id]
            ):
                d = json.loads(data)
                latest[d["product"]] = {"product_id": d["product"], "category": d.get("category"), "grade": d["to"],
                                        "value": d["value"], "category_median": d["category_median"], "ratio": d["ratio"],
                                        "low_carbon": d["low_carbon"], "green": d["green"],
                                        "changes": changes.get(d["product"], 0)}
    scenario = json.loads(run.scenario_json)
    categories = scenario["catalog"]["categories"]
    products = sorted(latest.values(), key=lambda r: (r["grade"] or "~", float("inf") if r["ratio"] is None else r["ratio"]))
    if category is not None and category not in categories:
        raise ValueError(f"unknown category {category!r}; allowed: {', '.join(categories)}")
    if _as_json(json_out, csv_out):
        click.echo(json.dumps({"run_id": run.run_id, "categories": categories, "products": products}))
        return
    if csv_out:
        _write_csv([r for r in products if category is None or r["category"] == category],
                   ["product_id", "category", "grade", "value", "category_median", "ratio", "low_carbon", "green", "changes"])
        return
    console = Console(highlight=False)
    counts = {}
    for r in products:
        counts[r["grade"]] = counts.get(r["grade"], 0) + 1
    console.print(f"run {run.run_id}: {len(products)} products; grades " + ", ".join(f"{g} {n}" for g, n in sorted(counts.items()))
                  + f"; low-carbon flag {sum(r['low_carbon'] for r in products)}; green-certified with the flag: "
                  f"{sum(r['green'] and r['low_carbon'] for r in products)} of {sum(r['green'] for r in products)}")
    t = Table(title="product grades (best first)", title_justify="left")
    for col in ("product", "category", "grade", "kg CO2e/unit", "category median", "ratio", "low-carbon", "green", "changes"):
        t.add_column(col, justify="right")
    shown = [r for r in products if category is None or r["category"] == category][:limit]
    for r in shown:
        ratio = "inf" if r["ratio"] is None else f"{r['ratio']:.2f}"
        t.add_row(str(r["product_id"]), str(r["category"]), str(r["grade"]), f"{r['value']:.2f}", f"{r['category_median']:.2f}", ratio,
                  "yes" if r["low_carbon"] else "", "yes" if r["green"] else "", str(r["changes"]))
    console.print(t)


if __name__ == "__main__":  # pragma: no cover
    main()
