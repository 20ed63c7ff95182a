"""``carbonsim check``: the run's invariants, verified from its event log alone.

Each check is one SQL query over ``events`` that returns the violating rows (empty when the
invariant holds), so a check can be read, rerun in Datasette, and trusted not to share a bug
with the simulation code that wrote the log.
"""

from __future__ import annotations

from dataclasses import dataclass

from .eventlog import EventLog

#: Relative tolerance for sums of floats compared in another order than they were added.
REL_TOL = 1e-9


@dataclass(frozen=True)
class CheckResult:
    name: str
    description: str
    violations: int
    example: str | None  # the first violating row, rendered

    @property
    def ok(self) -> bool:
        return self.violations == 0


_TERMINAL = "(type = 'delivered' OR (type = 'delivery_failed' AND json_extract(data, '$.final')))"

CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "orders_end",
        "every order reaches exactly one terminal event (delivered, or delivery_failed marked final)",
        f"""
        WITH terminal AS (
            SELECT order_id, COUNT(*) AS n FROM events WHERE run_id = :run AND {_TERMINAL} GROUP BY order_id
        )
        SELECT p.order_id, COALESCE(t.n, 0) AS terminal_events
        FROM events p LEFT JOIN terminal t ON t.order_id = p.order_id
        WHERE p.run_id = :run AND p.type = 'order_placed' AND COALESCE(t.n, 0) != 1
        ORDER BY p.seq
        """,
    ),
    (
        "nothing_after_the_end",
        "no order is arrived at, delivered or failed after its terminal event",
        f"""
        WITH terminal AS (
            SELECT order_id, MIN(seq) AS seq FROM events WHERE run_id = :run AND {_TERMINAL} GROUP BY order_id
        )
        SELECT e.seq, e.type, e.order_id FROM events e JOIN terminal t ON t.order_id = e.order_id
        WHERE e.run_id = :run AND e.seq > t.seq AND e.type IN ('arrived', 'delivered', 'delivery_failed')
        ORDER BY e.seq
        """,
    ),
    (
        "stock_balances",
        "each product's stock level equals opening stock + receipts - reservations at every stock event, and is never negative",
        f"""
        WITH moves AS (
            SELECT seq, product_id, stock_level,
                   SUM(CASE type WHEN 'replenishment_received' THEN quantity
                                 WHEN 'stock_reserved' THEN -quantity ELSE 0 END)
                       OVER (PARTITION BY product_id ORDER BY seq) AS balance
            FROM events
            WHERE run_id = :run AND type IN ('replenishment_received', 'stock_reserved', 'backordered', 'replenishment_ordered')
        )
        SELECT seq, product_id, stock_level, balance FROM moves
        WHERE stock_level < 0 OR ABS(stock_level - balance) > 1e-9
        ORDER BY seq
        """,
    ),
    (
        "picks_match_reservations",
        "every picked order had all its items reserved before the pick",
        """
        WITH reserved AS (
            SELECT order_id, SUM(quantity) AS qty, MAX(seq) AS last FROM events
            WHERE run_id = :run AND type = 'stock_reserved' GROUP BY order_id
        ), placed AS (
            SELECT order_id, quantity FROM events WHERE run_id = :run AND type = 'order_placed'
        )
        SELECT k.seq, k.order_id, p.quantity AS items, r.qty AS reserved FROM events k
        JOIN placed p ON p.order_id = k.order_id
        LEFT JOIN reserved r ON r.order_id = k.order_id
        WHERE k.run_id = :run AND k.type = 'picked'
          AND (r.qty IS NULL OR ABS(r.qty - p.quantity) > 1e-9 OR ABS(k.quantity - p.quantity) > 1e-9 OR r.last > k.seq)
        ORDER BY k.seq
        """,
    ),
    (
        "capacity",
        "no vehicle departs or drives an arc with more than its capacity on board",
        """
        WITH cap AS (
            SELECT route_id, json_extract(data, '$.capacity_kg') AS capacity FROM events
            WHERE run_id = :run AND type = 'vehicle_departed'
        )
        SELECT e.seq, e.type, e.route_id, e.vehicle_id, e.load, c.capacity FROM events e
        JOIN cap c ON c.route_id = e.route_id
        WHERE e.run_id = :run AND e.type IN ('vehicle_departed', 'arrived') AND e.load > c.capacity * (1 + 1e-12)
        ORDER BY e.seq
        """,
    ),
    (
        "route_emissions",
        "each route's km and kg CO2e equal the sums over its arcs, and every route that left came back",
        f"""
        WITH arcs AS (
            SELECT route_id, TOTAL(km) AS km, TOTAL(kg_co2e) AS kg, COUNT(*) AS n FROM events
            WHERE run_id = :run AND type = 'arrived' GROUP BY route_id
        ), departed AS (
            SELECT route_id, vehicle_id, quantity AS stops FROM events WHERE run_id = :run AND type = 'vehicle_departed'
        ), returned AS (
            SELECT route_id, km, kg_co2e FROM events WHERE run_id = :run AND type = 'vehicle_returned'
        )
        SELECT d.route_id, d.vehicle_id, r.km, a.km AS arc_km, r.kg_co2e, a.kg AS arc_kg, a.n AS arcs, d.stops
        FROM departed d LEFT JOIN returned r ON r.route_id = d.route_id LEFT JOIN arcs a ON a.route_id = d.route_id
        WHERE r.route_id IS NULL OR a.route_id IS NULL OR a.n != d.stops + 1
           OR ABS(r.km - a.km) > {REL_TOL} * MAX(1.0, ABS(r.km))
           OR ABS(r.kg_co2e - a.kg) > {REL_TOL} * MAX(1.0, ABS(r.kg_co2e))
        ORDER BY d.route_id
        """,
    ),
)


def check_run(log: EventLog, run_id: int) -> list[CheckResult]:
    """Run every check on ``run_id``; one result per check, in order."""
    log.get_run(run_id)  # KeyError for an unknown run
    results = []
    for name, description, sql in CHECKS:
        cursor = log.db.execute(sql, {"run": run_id})
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
        example = ", ".join(f"{c}={v}" for c, v in zip(columns, rows[0])) if rows else None
        results.append(CheckResult(name, description, len(rows), example))
    return results
