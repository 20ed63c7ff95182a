"""``carbonsim export-ocel`` and ``carbonsim report``: files made from a log."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from sim.cli.app import main
from sim.cli.options import RUN_DB, RUN_OPTION, remember_file, run_ref
from sim.cli.output import as_json, warn_partial
from sim.errors import FileProblem


@main.command("export-ocel")
@RUN_DB
@click.argument("out", metavar="OUT.sqlite", type=click.Path(dir_okay=False, path_type=Path), callback=remember_file)
@RUN_OPTION
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
    from sim.export.ocel import export_ocel
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        try:
            counts = export_ocel(log, run.run_id, out, overwrite=force, inputs=[db])
        except FileExistsError:
            raise FileProblem(f"{out} already exists; add --force to replace it") from None
    warn_partial(db, run)
    doc = {
        "run_id": run.run_id,
        "status": run.status.value,
        "partial": not run.finished,
        "out": str(out),
        "events": counts.events,
        "objects": counts.objects,
        "e2o": counts.e2o,
        "o2o": counts.o2o,
        "object_changes": counts.object_changes,
        "events_by_type": dict(counts.events_by_type),
        "objects_by_type": dict(counts.objects_by_type),
        "o2o_by_qualifier": dict(counts.o2o_by_qualifier),
    }
    if as_json(json_out):
        click.echo(json.dumps(doc))
        return
    by_type = ", ".join(f"{n:,} {t}" for t, n in sorted(counts.objects_by_type.items(), key=lambda kv: -kv[1]))
    relations = ", ".join(f"{n:,} {q}" for q, n in sorted(counts.o2o_by_qualifier.items(), key=lambda kv: -kv[1]))
    click.echo(
        f"wrote {out} (OCEL 2.0, SQLite) from run {run.run_id} of {db}:\n"
        f"  {counts.events:,} events of {len(counts.events_by_type)} types, {counts.e2o:,} event-object links\n"
        f"  {counts.objects:,} objects: {by_type}\n"
        f"  {counts.o2o:,} object-object links: {relations}"
    )


@main.command("export-ileap")
@RUN_DB
@click.argument("out", metavar="OUT_DIR", type=click.Path(file_okay=False, path_type=Path), callback=remember_file)
@RUN_OPTION
@click.option("--force", is_flag=True, help="Replace OUT_DIR if it exists.")
@click.option("--json", "json_out", is_flag=True, help="Print the counts as JSON.")
def export_ileap_command(db: Path, out: Path, run_id, force: bool, json_out: bool) -> None:
    """Write a run's shipment footprints in the iLEAP format (ISO 14083 / GLEC v3 exchange).

    One ShipmentFootprint per delivered order, its TCEs the legs it rode (supplier trunk,
    line-haul, last-mile routes) with mass, distance, tonne-km, kg CO2e well-to-wheel and
    tank-to-wheel; the TOCs they name; and each shipment as a PACT ProductFootprint. Files:
    OUT_DIR/shipment-footprints.json, tocs.json, hocs.json and pact/<shipment>.json.

    \b
    Example:
      carbonsim export-ileap carbonsim.db ileap/
    """
    from sim.export.ileap import export_ileap
    from sim.log.eventlog import EventLog

    t0 = time.perf_counter()
    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        try:
            counts = export_ileap(log, run.run_id, out, overwrite=force)
        except FileExistsError:
            raise FileProblem(f"{out} already exists; add --force to replace it") from None
    warn_partial(db, run)
    doc = {
        "run_id": run.run_id,
        "status": run.status.value,
        "partial": not run.finished,
        "out": str(out),
        "shipments": counts.shipments,
        "tces": counts.tces,
        "tocs": counts.tocs,
        "hocs": counts.hocs,
        "seconds": round(time.perf_counter() - t0, 3),
    }
    if as_json(json_out):
        click.echo(json.dumps(doc))
        return
    click.echo(
        f"wrote {out}/ (iLEAP) from run {run.run_id} of {db}: {counts.shipments:,} shipment footprints with"
        f" {counts.tces:,} TCEs, {counts.tocs} TOCs, {counts.hocs} HOCs, and {counts.shipments:,} PACT product footprints"
    )


@main.command("report")
@click.argument("dbs", metavar="RUN_DB[:RUN]...", nargs=-1, required=True)
@click.option(
    "--out",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("report.html"),
    show_default=True,
    help="The HTML file to write (an existing file only with --force, never an input).",
)
@click.option("--force", is_flag=True, help="Replace OUT if it exists (never one of the run databases read).")
@click.option(
    "--wave",
    type=click.IntRange(min=1, max=2**63 - 1),
    help="The wave (its wave id) the route map draws, in every run (default: each run's busiest wave).",
)
def report_command(dbs, out: Path, force: bool, wave: int | None) -> None:
    """Write one self-contained HTML report (opens offline, no scripts from the network).

    For each run: emissions over time by part, every wave's Pareto front of cost vs CO2
    with the chosen plan, vehicle load factors, green share over time, a route map of one
    wave (its routes as driven around the station, beside the hub and every station), the KPI
    table, the KPIs per station and per zone, and the GLEC / ISO 14083 figures of `kpis --glec`.
    For several runs also the side-by-side KPIs and a chart of the differences against the
    first run. A file holding several runs takes FILE:RUN to pick one (default: the last).

    \b
    Examples:
      carbonsim report carbonsim.db -o report.html
      carbonsim report baseline.db green.db -o compare.html
      carbonsim report carbonsim.db --wave 12 -o wave12.html
    """
    from sim.export.report import build_report

    t0 = time.perf_counter()
    refs = [run_ref(d) for d in dbs]
    remember_file(click.get_current_context(), None, tuple(p for p, _ in refs))
    try:
        path = build_report(refs, out, overwrite=force, wave=wave)
    except FileExistsError:
        raise FileProblem(f"{out} already exists; add --force to replace it") from None
    size = path.stat().st_size
    click.echo(
        f"wrote {path} ({size / 1e6:.1f} MB, {len(dbs)} run(s), {time.perf_counter() - t0:.1f} s); "
        "open it in any browser, no network needed"
    )
