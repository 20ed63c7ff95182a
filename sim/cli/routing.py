"""``carbonsim route``: one VRPTW instance through a routing algorithm, under a time limit."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from optimizer.algorithms import ALGORITHM_NAMES
from sim.cli.app import main
from sim.cli.output import LazyProgress, as_json
from sim.errors import InputError

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
@click.option(
    "--time-limit",
    "-t",
    type=float,
    callback=lambda ctx, param, value: _time_limit(value),
    metavar="SECONDS",
    help="Wall-clock budget of the whole command in seconds, in (0, 86400]; the start plan is printed when nothing better fits.",
)
@click.option("--seed", "-s", type=int, default=0, show_default=True, help="Seed of the search's random generator.")
@click.option("--iterations", "-i", type=click.IntRange(min=1), help="Iteration budget (default 200 when no time limit).")
@click.option("--population", "-p", type=click.IntRange(min=2), help="Population size (default 100).")
@click.option(
    "--w1",
    type=click.FloatRange(min=0),
    default=0.6,
    show_default=True,
    help="Weight of cost (plus penalty) when picking the plan.",
)
@click.option(
    "--w2", type=click.FloatRange(min=0), default=0.4, show_default=True, help="Weight of emissions when picking the plan."
)
@click.option(
    "--choose",
    type=click.Choice(["weights", "knee"]),
    default="weights",
    show_default=True,
    help="How the executed plan is picked from the front.",
)
@click.option(
    "--json",
    "json_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the front as JSON to this file ('-' for stdout).",
)
@click.option("--routes/--no-routes", default=False, help="Also print the chosen plan's routes.")
@click.option(
    "--engine-children",
    type=click.FloatRange(min=0, max=10),
    default=0.25,
    show_default=True,
    metavar="SHARE",
    help="Plans the routing engine makes between two updates of the population, as a share of it; 0 = the algorithm alone.",
)
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
    from optimizer.instance import InstanceError
    from optimizer.intensify import IntensifyParams

    try:
        instance = read_instance(file)
    except InstanceError as exc:  # the file's own fault: a user error, not a bug
        raise InputError(str(exc)) from None
    bar = LazyProgress(f"{algorithm} on {instance.name}", sys.stderr.isatty())
    try:
        front = solve(
            instance,
            algorithm=algorithm,
            seed=seed,
            # what is left of the command's budget after start-up, reading the file, and the
            # time kept for printing the result and exiting
            time_limit=None
            if time_limit is None
            else max(time_limit - (time.perf_counter() - started) - ROUTE_EXIT_SECONDS, 1e-3),
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
        hint = (
            " (a run without --time-limit compiles them once; later runs load them in about a second)"
            if "numba" in front.fallback
            else ""
        )
        click.echo(f"note: {front.fallback}{hint}", err=True)
    if json_out is None and as_json(False):
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
            mark,
            str(i),
            f"{ev.cost:,.2f}",
            f"{ev.emissions_kg:,.2f}",
            f"{ev.penalty:,.2f}",
            str(ev.vehicles),
            f"{ev.distance_km:,.2f}",
            style=style,
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
        customer_ids = instance.customer_ids
        assert customer_ids is not None  # RoutingInstance fills it
        for r in front.best.routes:
            ids = " ".join(str(int(customer_ids[c])) for c in r.customers)
            console.print(f"  {names[r.vehicle_type]}: {ids}")
    if json_out is not None:
        console.print(f"wrote {json_out}")
