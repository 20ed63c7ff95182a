"""``carbonsim footprint`` and ``carbonsim labels``: one order's footprint, the products' grades."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from sim.cli.app import main
from sim.cli.options import OBJECT_ID, RUN_DB, RUN_ID
from sim.cli.output import as_json, write_csv
from sim.errors import InputError, NotFound


def _order_breakdown(log, run_id: int, order_id: int) -> dict:
    """An order's footprint from the log: its parts, and its last-mile share arc by arc."""
    fp = log.events(run_id, type="footprint_computed", order_id=order_id)
    if not fp:
        raise NotFound(f"run {run_id} has no footprint for order {order_id} (unknown, or it never ended)")
    f = fp[0]
    parts = {k: f.data[k] for k in ("last_mile", "trunk", "packaging", "production", "total", "scope", "method")}
    parts["linehaul"] = f.data.get("linehaul", 0.0)
    parts["handling"] = f.data.get("handling", 0.0)
    parts["tces"] = f.data.get("tces")  # the transport chain elements (logs before issue 15 lack them)
    if "scopes" in f.data:  # both scopes (issue 15); a log before it has the label's only
        parts["scopes"] = f.data["scopes"]
    mass = log.events(run_id, type="packed", order_id=order_id)[0].load
    routes = []
    for route_id in f.data["routes"]:
        rows = log.db.execute(
            "SELECT seq, type, order_id, km, kg_co2e, load, data FROM events WHERE run_id = ? AND route_id = ?"
            " AND type IN ('vehicle_departed', 'arrived', 'delivered', 'vehicle_returned') ORDER BY seq",
            [run_id, route_id],
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
@RUN_DB
@click.option("--order", "order_id", type=OBJECT_ID, required=True, help="The order's id.")
@click.option("--run", "run_id", type=RUN_ID, help="Run (default: the last run in the file).")
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
    if as_json(json_out):
        click.echo(json.dumps(doc))
        return
    console = Console(highlight=False)
    console.print(
        f"order {order_id} (run {run.run_id}), {doc['mass_kg']:.2f} kg shipped: kg CO2e, scope {doc['scope']}, "
        f"apportioned by {doc['method']}"
    )
    parts = Table()
    parts.add_column("part", style="bold")
    scopes = doc.get("scopes")
    for col in ("kg CO2e WTW", "kg CO2e TTW") if scopes else ("kg CO2e",):
        parts.add_column(col, justify="right")
    for name in ("last_mile", "linehaul", "trunk", "handling", "packaging", "production", "total"):
        if scopes is None:
            parts.add_row(name.replace("_", " "), f"{doc[name]:.4f}")
        elif name in scopes["wtw"] or name == "handling":
            if name not in scopes["wtw"]:  # a log from before the sites were modelled
                continue
            parts.add_row(name.replace("_", " "), f"{scopes['wtw'][name]:.4f}", f"{scopes['ttw'][name]:.4f}")
        else:  # packaging and production: cradle-to-gate, the same in both scopes
            parts.add_row(name.replace("_", " "), f"{doc[name]:.4f}", f"{doc[name]:.4f}")
    console.print(parts)
    if doc["tces"]:
        console.print("transport chain elements, in the order the parcel passed them (what export-ileap writes):")
        chain = Table()
        for col in ("#", "element", "category", "mass kg", "km (SFD)", "activity", "kg CO2e WTW", "kg CO2e TTW"):
            chain.add_column(col, justify="left" if col in ("element", "category") else "right")
        for i, t in enumerate(doc["tces"], 1):
            unit = "t" if t["part"] == "handling" else "tkm"
            chain.add_row(
                str(i),
                t["part"].replace("_", " "),
                t["category"],
                f"{t['mass_kg']:.2f}",
                "-" if t["sfd_km"] is None else f"{t['sfd_km']:.2f}",
                f"{t['activity']:.5f} {unit}",
                f"{t['wtw']:.4f}",
                f"{t['ttw']:.4f}",
            )
        console.print(chain)
    pooled = doc["method"] == "toc_tonne_km"
    for r in doc["routes"]:
        console.print(
            f"route {r['route_id']} ({r['vehicle_type']}): this order's share {r['share']:.4f} kg"
            + (
                " of the route alone by tonne-km (the label pools the day's routes of the type: see the chain)"
                if pooled
                else " (vehicle factors, before the scope conversion)"
            )
        )
        t = Table()
        for col in ("arc to", "km", "kg CO2e", "load kg", "share kg"):
            t.add_column(col, justify="right")
        for a in r["arcs"]:
            t.add_row(
                str(a["to"]),
                f"{a['km']:.2f}",
                f"{a['kg_co2e']:.4f}",
                f"{a['load_kg']:.1f}",
                "-" if a["share"] is None else f"{a['share']:.4f}",
            )
        console.print(t)


@main.command("labels")
@RUN_DB
@click.option("--run", "run_id", type=RUN_ID, help="Run (default: the last run in the file).")
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
        changes = dict(
            log.db.execute(
                "SELECT product_id, COUNT(*) - 1 FROM events WHERE run_id = ? AND type = 'grade_changed' GROUP BY product_id",
                [run.run_id],
            ).fetchall()
        )
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
                latest[d["product"]] = {
                    "product_id": d["product"],
                    "category": d.get("category"),
                    "grade": d["to"],
                    "value": d["value"],
                    "category_median": d["category_median"],
                    "ratio": d["ratio"],
                    "low_carbon": d["low_carbon"],
                    "green": d["green"],
                    "changes": changes.get(d["product"], 0),
                }
    scenario = json.loads(run.scenario_json)
    categories = scenario["catalog"]["categories"]
    products = sorted(latest.values(), key=lambda r: (r["grade"] or "~", float("inf") if r["ratio"] is None else r["ratio"]))
    if category is not None and category not in categories:
        raise InputError(f"--category {category!r}: no such category in this run; allowed: {', '.join(categories)}")
    if as_json(json_out, csv_out):
        click.echo(json.dumps({"run_id": run.run_id, "categories": categories, "products": products}))
        return
    if csv_out:
        write_csv(
            [r for r in products if category is None or r["category"] == category],
            ["product_id", "category", "grade", "value", "category_median", "ratio", "low_carbon", "green", "changes"],
        )
        return
    console = Console(highlight=False)
    counts: dict[str, int] = {}
    for r in products:
        counts[r["grade"]] = counts.get(r["grade"], 0) + 1
    console.print(
        f"run {run.run_id}: {len(products)} products; grades "
        + ", ".join(f"{g} {n}" for g, n in sorted(counts.items()))
        + f"; low-carbon flag {sum(r['low_carbon'] for r in products)}; green-certified with the flag: "
        f"{sum(r['green'] and r['low_carbon'] for r in products)} of {sum(r['green'] for r in products)}"
    )
    t = Table(title="product grades (best first)", title_justify="left")
    for col in ("product", "category", "grade", "kg CO2e/unit", "category median", "ratio", "low-carbon", "green", "changes"):
        t.add_column(col, justify="right")
    shown = [r for r in products if category is None or r["category"] == category][:limit]
    for r in shown:
        ratio = "inf" if r["ratio"] is None else f"{r['ratio']:.2f}"
        t.add_row(
            str(r["product_id"]),
            str(r["category"]),
            str(r["grade"]),
            f"{r['value']:.2f}",
            f"{r['category_median']:.2f}",
            ratio,
            "yes" if r["low_carbon"] else "",
            "yes" if r["green"] else "",
            str(r["changes"]),
        )
    console.print(t)
