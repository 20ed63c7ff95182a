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
        """
        WITH moves AS (
            SELECT seq, product_id, stock_level,
                   SUM(CASE type WHEN 'replenishment_received' THEN quantity
                                 WHEN 'stock_reserved' THEN -quantity ELSE 0 END)
                       OVER (PARTITION BY product_id ORDER BY seq) AS balance
            FROM events
            WHERE run_id = :run AND type IN ('replenishment_received', 'stock_reserved', 'backordered', 'replenishment_ordered')
        )
        SELECT seq, product_id, stock_level, balance FROM moves
        WHERE stock_level IS NULL OR stock_level < 0 OR ABS(stock_level - balance) > 1e-9
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
        WHERE e.run_id = :run AND e.type IN ('vehicle_departed', 'arrived')
          AND (e.load IS NULL OR c.capacity IS NULL OR e.load > c.capacity * (1 + 1e-12))
        ORDER BY e.seq
        """,
    ),
    (
        "dispatches",
        "each order on a departing route is visited by that route exactly once, no route visits an order it did not "
        "load, and no order leaves on a route after its terminal event",
        f"""
        WITH loaded AS (
            SELECT d.route_id, d.seq, j.value AS order_id FROM events d, json_each(d.data, '$.orders') j
            WHERE d.run_id = :run AND d.type = 'vehicle_departed'
        ), visits AS (
            SELECT route_id, order_id, COUNT(*) AS n FROM events
            WHERE run_id = :run AND type = 'arrived' AND order_id IS NOT NULL GROUP BY route_id, order_id
        ), terminal AS (
            SELECT order_id, MIN(seq) AS seq FROM events WHERE run_id = :run AND {_TERMINAL} GROUP BY order_id
        )
        SELECT l.route_id, l.order_id, COALESCE(v.n, 0) AS visits, 'loaded' AS what FROM loaded l
        LEFT JOIN visits v ON v.route_id = l.route_id AND v.order_id = l.order_id
        LEFT JOIN terminal t ON t.order_id = l.order_id
        WHERE COALESCE(v.n, 0) != 1 OR (t.seq IS NOT NULL AND t.seq < l.seq)
        UNION ALL
        SELECT v.route_id, v.order_id, v.n, 'not loaded' FROM visits v
        LEFT JOIN loaded l ON l.route_id = v.route_id AND l.order_id = v.order_id
        WHERE l.route_id IS NULL
        """,
    ),
    (
        "vehicles_one_route_at_a_time",
        "a vehicle leaves on a route only after it has returned from its previous one",
        """
        WITH trips AS (
            SELECT d.vehicle_id, d.route_id, d.t AS departed, r.t AS returned,
                   LAG(r.t) OVER (PARTITION BY d.vehicle_id ORDER BY d.seq) AS previous_return,
                   LAG(d.route_id) OVER (PARTITION BY d.vehicle_id ORDER BY d.seq) AS previous_route
            FROM events d LEFT JOIN events r
              ON r.run_id = d.run_id AND r.type = 'vehicle_returned' AND r.route_id = d.route_id
            WHERE d.run_id = :run AND d.type = 'vehicle_departed'
        )
        SELECT vehicle_id, route_id, departed, previous_route, previous_return FROM trips
        WHERE previous_route IS NOT NULL AND (previous_return IS NULL OR previous_return > departed)
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


_MORE = (
    (
        "shares_add_up",
        "the shares of a route's emissions charged to its orders add up to the route's kg CO2e",
        f"""
        WITH s AS (
            SELECT r.route_id, r.kg_co2e, TOTAL(json_extract(j.value, '$[1]')) AS charged, COUNT(j.value) AS n,
                   SUM(json_extract(j.value, '$[1]') IS NULL) AS missing
            FROM events r LEFT JOIN json_each(r.data, '$.shares') j
            WHERE r.run_id = :run AND r.type = 'vehicle_returned' AND json_extract(r.data, '$.shares') IS NOT NULL
            GROUP BY r.seq
        )
        SELECT route_id, kg_co2e, charged, n FROM s
        WHERE n = 0 OR missing > 0 OR kg_co2e IS NULL OR ABS(charged - kg_co2e) > {REL_TOL} * MAX(1.0, ABS(kg_co2e))
        """,
    ),
    (
        "footprints_match_shares",
        "every ended order a route charged has exactly one footprint, carrying exactly its routes' shares, "
        "with a total equal to its parts; no other order has one",
        f"""
        WITH charged AS (
            SELECT json_extract(j.value, '$[0]') AS order_id, TOTAL(json_extract(j.value, '$[1]')) AS kg
            FROM events r, json_each(r.data, '$.shares') j
            WHERE r.run_id = :run AND r.type = 'vehicle_returned' GROUP BY 1
        ), terminal AS (
            SELECT DISTINCT order_id FROM events WHERE run_id = :run AND {_TERMINAL}
        ), fp AS (
            SELECT order_id, COUNT(*) AS n, MAX(json_extract(data, '$.last_mile_model')) AS model, MAX(kg_co2e) AS total,
                   MAX(json_extract(data, '$.last_mile') + json_extract(data, '$.trunk') + json_extract(data, '$.packaging')
                       + CASE WHEN json_extract(data, '$.include_production') THEN json_extract(data, '$.production') ELSE 0 END)
                       AS parts
            FROM events WHERE run_id = :run AND type = 'footprint_computed' GROUP BY order_id
        )
        SELECT c.order_id, COALESCE(f.n, 0) AS footprints, c.kg AS charged_kg, f.model AS footprint_kg, f.total, f.parts
        FROM charged c JOIN terminal t ON t.order_id = c.order_id LEFT JOIN fp f ON f.order_id = c.order_id
        WHERE COALESCE(f.n, 0) != 1 OR f.model IS NULL OR f.total IS NULL OR f.parts IS NULL
           OR ABS(f.model - c.kg) > {REL_TOL} * MAX(1.0, ABS(c.kg))
           OR ABS(f.total - f.parts) > {REL_TOL} * MAX(1.0, ABS(f.total))
        UNION ALL
        SELECT f.order_id, f.n, c.kg, f.model, f.total, f.parts FROM fp f
        LEFT JOIN charged c ON c.order_id = f.order_id LEFT JOIN terminal t ON t.order_id = f.order_id
        WHERE c.order_id IS NULL OR t.order_id IS NULL
        """,
    ),
    (
        "labels_match_footprints",
        "every delivered order with a footprint has exactly one label with the same total, and only those",
        f"""
        WITH fp AS (
            SELECT order_id, kg_co2e FROM events WHERE run_id = :run AND type = 'footprint_computed'
              AND json_extract(data, '$.delivered')
        ), lab AS (
            SELECT order_id, COUNT(*) AS n, MAX(kg_co2e) AS kg FROM events
            WHERE run_id = :run AND type = 'label_issued' GROUP BY order_id
        )
        SELECT f.order_id, COALESCE(l.n, 0) AS labels, f.kg_co2e, l.kg FROM fp f LEFT JOIN lab l ON l.order_id = f.order_id
        WHERE COALESCE(l.n, 0) != 1 OR l.kg IS NULL OR ABS(l.kg - f.kg_co2e) > {REL_TOL} * MAX(1.0, ABS(f.kg_co2e))
        UNION ALL
        SELECT l.order_id, l.n, NULL, l.kg FROM lab l LEFT JOIN fp f ON f.order_id = l.order_id WHERE f.order_id IS NULL
        """,
    ),
)

#: Which event type each ledger kind records.
LEDGER_KINDS = {"order_label": "label_issued", "product_grade": "grade_changed"}


def ledger_problems(log: EventLog, run_id: int) -> tuple[int, str | None]:
    """(entries checked, the first problem or None): the chain recomputes, and its entries
    are exactly the run's label and grade events, content for content."""
    from labels.ledger import verify

    db = log.db
    labels = db.execute(
        "SELECT COUNT(*) FROM events WHERE run_id = ? AND type IN ('label_issued', 'grade_changed')", [run_id]
    ).fetchone()[0]
    if "ledger" not in db.table_names():
        return 0, (f"no ledger table, but {labels} label events" if labels else None)
    checked, bad = verify(db, [run_id])
    if bad is not None:
        return checked, f"entry {bad.seq}: {bad.reason}"
    kinds = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LEDGER_KINDS.items())
    row = db.execute(f"""
        SELECT l.seq FROM ledger l LEFT JOIN events e
          ON e.run_id = l.run_id AND e.type = CASE l.kind {kinds} END AND e.data = l.content
        WHERE l.run_id = ? AND e.seq IS NULL ORDER BY l.seq LIMIT 1""", [run_id]).fetchone()
    if row:
        return checked, f"entry {row[0]} records no label or grade event of the log (or one that was changed)"
    row = db.execute(f"""
        SELECT e.seq FROM events e LEFT JOIN ledger l
          ON l.run_id = e.run_id AND e.type = CASE l.kind {kinds} END AND l.content = e.data
        WHERE e.run_id = ? AND e.type IN ('label_issued', 'grade_changed') AND l.seq IS NULL ORDER BY e.seq LIMIT 1""",
        [run_id]).fetchone()
    if row:
        return checked, f"event {row[0]} has no ledger entry"
    if checked != labels:
        return checked, f"{checked} ledger entries for {labels} label events"
    return checked, None


def _ledger_check(log: EventLog, run_id: int) -> CheckResult:
    _, problem = ledger_problems(log, run_id)
    return CheckResult("ledger_chain", "the label ledger's hash chain holds and records exactly the run's label and "
                       "grade events", 0 if problem is None else 1, problem)


def check_run(log: EventLog, run_id: int) -> list[CheckResult]:
    """Run every check on ``run_id``; one result per check, in order."""
    log.get_run(run_id)  # KeyError for an unknown run
    results = []
    for name, description, sql in CHECKS + _MORE:
        cursor = log.db.execute(sql, {"run": run_id})
        columns = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
        example = ", ".join(f"{c}={v}" for c, v in zip(columns, rows[0])) if rows else None
        results.append(CheckResult(name, description, len(rows), example))
    results.append(_ledger_check(log, run_id))
    return results
