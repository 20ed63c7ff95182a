"""Commands that read a run back: ``check``, ``events``, ``trace``, ``kpis``, ``verify``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from sim.cli.app import main
from sim.cli.options import OBJECT_ID, RUN_DB, RUN_ID, RUN_OPTION, parse_minutes
from sim.cli.output import as_json, breakdown_table, emit_rows, print_wide, summary_table, warn_partial


@main.command("check")
@RUN_DB
@click.option("--run", "run_id", type=RUN_ID, help="Run to check (default: the last run in the file).")
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
    if as_json(json_out):
        click.echo(
            json.dumps(
                {
                    "run_id": run.run_id,
                    "status": run.status.value,
                    "ok": not failed,
                    "complete": run.finished,
                    "checks": [
                        {
                            "name": r.name,
                            "ok": r.ok,
                            "violations": r.violations,
                            "example": r.example,
                            "description": r.description,
                        }
                        for r in results
                    ],
                }
            )
        )
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


@main.command("events")
@RUN_DB
@RUN_OPTION
@click.option("--type", "types", multiple=True, metavar="T", help="Event type (repeatable), e.g. delivered.")
@click.option("--order", "order_id", type=OBJECT_ID, help="Only this order's events.")
@click.option("--vehicle", "vehicle_id", help="Only this vehicle's events, e.g. light_truck-03.")
@click.option("--from", "t_from", metavar="T0", help="From this simulated time (minutes, or days as 2d).")
@click.option("--to", "t_to", metavar="T1", help="Before this simulated time.")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True, help="At most this many events (0: all).")
@click.option("--json", "json_out", is_flag=True, help="Print a JSON list of events.")
@click.option("--csv", "csv_out", is_flag=True, help="Print CSV with a header row.")
def events_command(
    db: Path, run_id, types, order_id, vehicle_id, t_from, t_to, limit: int, json_out: bool, csv_out: bool
) -> None:
    """List a run's events, filtered (every filter is a bound parameter, never pasted SQL).

    \b
    Examples:
      carbonsim events carbonsim.db --type delivered --limit 5
      carbonsim events carbonsim.db --vehicle light_truck-03 --from 1d --to 2d --csv > truck3.csv
    """
    from sim.analysis.queries import event_row
    from sim.log.eventlog import EventLog
    from sim.log.events import EventType

    known = {t.value for t in EventType}
    for t in types:
        if t not in known:
            raise click.BadParameter(f"{t!r} is not an event type; one of: {', '.join(sorted(known))}", param_hint="--type")
    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        rows = [
            event_row(seq, e)
            for seq, e in log.iter_events(
                run.run_id,
                type=list(types) or None,
                order_id=order_id,
                vehicle_id=vehicle_id,
                t_from=parse_minutes(t_from),
                t_to=parse_minutes(t_to),
                limit=limit or None,
            )
        ]
    emit_rows(rows, json_out, csv_out, f"{db}: run {run.run_id}, {len(rows)} events")


@main.command("trace")
@click.argument("order_id", type=OBJECT_ID)
@RUN_DB
@RUN_OPTION
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
    from sim.analysis.queries import trace
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        rows = trace(log, run.run_id, order_id)
    emit_rows(rows, json_out, csv_out, f"{db}: run {run.run_id}, order {order_id}")


@main.command("kpis")
@RUN_DB
@RUN_OPTION
@click.option("--json", "json_out", is_flag=True, help="Print the summary as one JSON object.")
@click.option(
    "--by",
    type=click.Choice(["station", "zone"]),
    help="Break the delivery figures down per station (depot) or per zone: orders, routes, stops, km, kg CO2e, on time.",
)
@click.option(
    "--glec",
    is_flag=True,
    help="GLEC-style report instead: per transport operation category tonne-km, kg CO2e WTW and TTW, g per tkm, "
    "load and empty-distance factors; per parcel WTW and TTW; the data-quality statement.",
)
@click.option(
    "--allocations",
    is_flag=True,
    help="The run's last mile under each allocation rule side by side (eq. 5 demand share, tonne-km a round, "
    "tonne-km of a day's rounds of a vehicle type), by distance from the station.",
)
def kpis_command(db: Path, run_id, json_out: bool, by: str | None, glec: bool, allocations: bool) -> None:
    """Recompute a run's summary from its event log alone (the same figures `run` printed).

    With --by, one row per station or zone instead: orders and deliveries by the order's
    station and zone, routes (with their km and last-mile kg CO2e) by the station they left,
    shared over their stops' zones by zone; line-haul kg CO2e where the run had line-haul.
    The rows add up to the run's totals (the last row).

    \b
    Examples:
      carbonsim kpis carbonsim.db --json
      carbonsim kpis carbonsim.db --by station
      carbonsim kpis carbonsim.db --glec
      carbonsim kpis carbonsim.db --allocations
    """
    from sim.analysis.summary import summarize
    from sim.log.eventlog import EventLog

    if sum((glec, allocations, by is not None)) > 1:
        raise click.UsageError("--glec, --allocations and --by are different reports; pick one")
    if glec:
        _glec(db, run_id, json_out)
        return
    if allocations:
        _allocations(db, run_id, json_out)
        return
    if by is not None:
        from sim.analysis.breakdown import breakdown, total

        with EventLog.open_existing(db) as log:
            run = log.pick_run(run_id, source=db)
            rows = breakdown(log, run.run_id, by)
        warn_partial(db, run)
        all_row = total(rows)
        if as_json(json_out):
            doc = {
                "run_id": run.run_id,
                "scenario": run.scenario,
                "by": by,
                "groups": [r.to_dict() for r in rows],
                "total": all_row.to_dict() if all_row else None,
            }
            click.echo(json.dumps(doc))
        else:
            print_wide(breakdown_table(rows, all_row, f"run {run.run_id}: {run.scenario}, by {by}"))
        return
    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        summary = summarize(log, run.run_id)
    warn_partial(db, run)
    if as_json(json_out):
        click.echo(json.dumps(summary.to_dict()))
    else:
        Console(highlight=False).print(summary_table(summary))


def _allocations(db: Path, run_id, json_out: bool) -> None:
    from rich.table import Table

    from sim.analysis.allocations import MOVED, allocation_rows
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        rows = allocation_rows(log, run.run_id)
        method = log.db.execute("SELECT json_extract(scenario_json, '$.labels.method') FROM runs WHERE run_id = ?", [run.run_id])
        used = method.fetchone()[0]
    warn_partial(db, run)
    if as_json(json_out):
        click.echo(
            json.dumps({"run_id": run.run_id, "scenario": run.scenario, "method": used, "rows": [r.to_dict() for r in rows]})
        )
        return
    table = Table(
        title=f"run {run.run_id}: {run.scenario}, last-mile kg CO2e a parcel by allocation rule (the run's labels: {used})"
    )
    for col in (
        "distance from station",
        "parcels",
        "mean km",
        "demand_share (eq. 5)",
        "tonne_km a round",
        "toc_tonne_km a day",
        "moved",
    ):
        table.add_column(col, justify="left" if col.startswith("distance") else "right")
    for r in rows:
        table.add_row(
            r.group,
            f"{r.parcels:,}",
            f"{r.sfd_km:.1f}",
            f"{r.demand_share:.4f}",
            f"{r.tonne_km:.4f}",
            f"{r.toc_tonne_km:.4f}",
            f"{100 * r.moved_share:.0f} %",
            style="bold" if r.group == "all" else None,
        )
    console = print_wide(table)
    console.print(
        "kg at the vehicles' factors, before the scope conversion; every rule shares the same kg (the 'all' row);"
        f" moved: parcels whose pooled figure is more than {100 * MOVED:.0f} % off eq. 5's"
    )


def _glec(db: Path, run_id, json_out: bool) -> None:
    from rich.table import Table

    from sim.analysis.glec import glec_report
    from sim.log.eventlog import EventLog

    with EventLog.open_existing(db) as log:
        run = log.pick_run(run_id, source=db)
        rep = glec_report(log, run.run_id)
    warn_partial(db, run)
    if as_json(json_out):
        click.echo(json.dumps(rep.to_dict()))
        return

    def fmt(x: float | None, spec: str) -> str:
        return "-" if x is None else format(x, spec)

    table = Table(title=f"run {rep.run_id}: {rep.scenario}, GLEC-style, {rep.shipments:,} shipments")
    for col, justify in (
        ("TOC / HOC", "left"),
        ("mode", "left"),
        ("carrier", "left"),
        ("tkm", "right"),
        ("kg CO2e WTW", "right"),
        ("kg CO2e TTW", "right"),
        ("g/tkm WTW", "right"),
        ("g/tkm TTW", "right"),
        ("load factor", "right"),
        ("empty km", "right"),
    ):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    for t in rep.tocs:
        hoc = t.kind == "hoc"  # a site: tonnes handled and kg per tonne
        table.add_row(
            t.toc_id,
            t.mode,
            t.energy_carrier,
            f"{t.tkm:,.1f}" + (" t" if hoc else ""),
            f"{t.kg_co2e_wtw:,.1f}",
            f"{t.kg_co2e_ttw:,.1f}",
            fmt(t.g_co2e_per_tkm_wtw, ",.1f") + (" kg/t" if hoc and t.g_co2e_per_tkm_wtw is not None else ""),
            fmt(t.g_co2e_per_tkm_ttw, ",.1f") + (" kg/t" if hoc and t.g_co2e_per_tkm_ttw is not None else ""),
            "-" if t.load_factor is None else f"{100 * t.load_factor:.1f} %",
            "-" if t.empty_distance_factor is None else f"{100 * t.empty_distance_factor:.1f} %",
        )
    table.add_row(
        "all",
        "",
        "",
        f"{rep.tkm:,.1f}",
        f"{rep.kg_co2e_wtw:,.1f}",
        f"{rep.kg_co2e_ttw:,.1f}",
        fmt(rep.g_co2e_per_tkm_wtw, ",.0f"),
        fmt(rep.g_co2e_per_tkm_ttw, ",.0f"),
        "",
        "",
        style="bold",
    )
    console = print_wide(table)
    console.print(
        f"per parcel: {fmt(rep.kg_co2e_wtw_per_parcel, '.3f')} kg CO2e well-to-wheel,"
        f" {fmt(rep.kg_co2e_ttw_per_parcel, '.3f')} tank-to-wheel (transport chain, packaging not included)"
    )
    console.print(f"data quality: {rep.data_quality}")
    console.print("not included: " + "; ".join(rep.exclusions))


@main.command("verify")
@RUN_DB
@click.option("--run", "run_id", type=int, help="Run to verify (default: every run in the file).")
@click.option(
    "--head",
    "heads",
    multiple=True,
    metavar="HASH",
    help="A head hash published earlier: it must still be the head of a run (repeatable).",
)
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
    if as_json(json_out):
        first_bad = next((r for r in results if r.state == "tampered"), None)
        click.echo(
            json.dumps(
                {
                    "ok": ok,
                    "entries": sum(r.entries for r in results),
                    "tampered": None if first_bad is None else {"run_id": first_bad.run_id, "problem": first_bad.problem},
                    "runs": [
                        {
                            "run_id": run.run_id,
                            "scenario": run.scenario,
                            "seed": run.seed,
                            "status": run.status.value,
                            "state": r.state,
                            "problem": r.problem,
                            "head": r.head,
                            "events": r.events,
                            "digests": r.batches,
                            "records": r.records,
                            "product_labels": r.product_labels,
                        }
                        for run, r in zip(runs, results)
                    ],
                    "orphan_runs": orphans,
                    "heads": [{"head": h, "run_id": matched[h]} for h in wanted],
                }
            )
        )
    else:
        for run, r in zip(runs, results):
            click.echo(f"{db} run {run.run_id} ({run.scenario}, seed {run.seed}, {run.status.value}): {_verdict(r)}")
            if r.head is not None and r.state != "tampered":
                click.echo(f"  head {r.head}")
        for orphan in orphans:
            click.echo(f"{db} run {orphan}: TAMPERED: it has events or ledger entries but no row in runs (deleted)")
        for h in wanted:
            found = matched[h]
            click.echo(
                f"{db}: head {h} "
                + (
                    f"matches run {found}"
                    if found is not None
                    else "is not the head of any run: the ledger was rewritten, extended or truncated since it was recorded"
                )
            )
        failing = sum(not r.ok for r in results) + len(orphans)
        if failing:
            click.echo(f"{db}: {failing} of {len(results) + len(orphans)} run(s) do not verify")
        elif ok:
            click.echo(
                f"{db}: {len(results)} run(s) verified"
                + (
                    ""
                    if wanted
                    else "; record the head(s) elsewhere: --head then also catches a consistent rewrite of the ledger"
                )
            )
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
