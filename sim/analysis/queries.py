"""Reading a run back: filtered events and one order's life, by bound-parameter queries only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sim.errors import NotFound
from sim.log.eventlog import EventLog
from sim.log.events import FIGURE_FIELDS, ID_FIELDS, Event
from sim.log.payloads import K, json_field

#: The ``arrived`` events that are stops: an arrival at an order (the return leg's has none),
#: failed attempts included, except the further parcels of a pickup site's stop (they arrive
#: there with no arc of their own, 0 km): a site is one stop however many parcels it takes.
STOP_ARRIVAL = f"type = 'arrived' AND order_id IS NOT NULL AND NOT (km = 0 AND {json_field(K.SITE)} IS NOT NULL)"

#: Columns of an event as a flat row (``data`` as a dict), the order of --csv output.
COLUMNS: tuple[str, ...] = ("seq", "t", "type", *ID_FIELDS, *FIGURE_FIELDS, "data")


def event_row(seq: int, event: Event) -> dict[str, Any]:
    row = {"seq": seq, **asdict(event)}
    row["type"] = str(event.type)
    return {c: row[c] for c in COLUMNS}


def trace(log: EventLog, run_id: int, order_id: int) -> list[dict[str, Any]]:
    """Every event of one order's life, in log order: the session that placed it (session
    start, slate, clicks), its own events, and the departures and returns of the routes it
    rode. KeyError if the run has no such order."""
    own = list(log.iter_events(run_id, order_id=order_id))
    placed = [e for _, e in own if str(e.type) == "order_placed"]
    if not placed:
        raise NotFound(f"run {run_id} has no order {order_id}")
    seqs = {seq for seq, _ in own}
    rows = [event_row(seq, e) for seq, e in own]
    session = (placed[0].data or {}).get("session")
    extra: list[tuple[str, list[Any]]] = []
    if session is not None:
        extra.append(
            (
                "run_id = ? AND consumer_id = ? AND type IN ('session_started', 'slate_shown', 'product_clicked')"
                f" AND {json_field(K.SESSION)} = ?",
                [run_id, placed[0].consumer_id, session],
            )
        )
    for route in sorted({e.route_id for _, e in own if e.route_id is not None}, key=str):
        extra.append(("run_id = ? AND route_id = ? AND type IN ('vehicle_departed', 'vehicle_returned')", [run_id, route]))
    for where, params in extra:
        for seq, e in log.query_events(where, params):
            if seq not in seqs:
                seqs.add(seq)
                rows.append(event_row(seq, e))
    return sorted(rows, key=lambda r: r["seq"])
