"""``carbonsim check``: the run's invariants, verified from its event log alone.

Each check is one SQL query over ``events`` that returns the violating rows (empty when the
invariant holds), so a check can be read, rerun in Datasette, and trusted not to share a bug
with the simulation code that wrote the log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field

if TYPE_CHECKING:
    from labels.ledger import RunVerification

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


_TERMINAL = f"(type = 'delivered' OR (type = 'delivery_failed' AND {json_field(K.FINAL)}))"

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
        "every picked order had all its items reserved before the pick, and was picked once",
        """
        WITH per_order AS (
            SELECT order_id,
                   SUM(CASE WHEN type = 'stock_reserved' THEN quantity END) AS reserved,
                   MAX(CASE WHEN type = 'stock_reserved' THEN seq END) AS last_reserved,
                   MAX(CASE WHEN type = 'order_placed' THEN quantity END) AS items,
                   MAX(CASE WHEN type = 'picked' THEN quantity END) AS picked,
                   MIN(CASE WHEN type = 'picked' THEN seq END) AS picked_seq,
                   SUM(type = 'picked') AS picks
            FROM events
            WHERE run_id = :run AND type IN ('stock_reserved', 'order_placed', 'picked') AND order_id IS NOT NULL
            GROUP BY order_id
        )
        SELECT picked_seq AS seq, order_id, items, reserved, picks FROM per_order
        WHERE picks > 0 AND (picks > 1 OR items IS NULL OR reserved IS NULL OR ABS(reserved - items) > 1e-9
                             OR ABS(picked - items) > 1e-9 OR last_reserved > picked_seq)
        ORDER BY picked_seq
        """,
    ),
    (
        "capacity",
        "no vehicle departs or drives an arc with more than its capacity on board, by weight (kg) or by volume"
        " (m³ at departure, where its type has a volume capacity; parcels only leave the vehicle after that)",
        f"""
        SELECT seq, type, route_id, vehicle_id, load, capacity, 'kg' AS unit FROM (
            SELECT seq, type, route_id, vehicle_id, load,
                   MAX(CASE WHEN type = 'vehicle_departed' THEN {json_field(K.CAPACITY_KG)} END)
                       OVER (PARTITION BY route_id) AS capacity
            FROM events
            WHERE run_id = :run AND type IN ('vehicle_departed', 'arrived') AND route_id IS NOT NULL
        )
        WHERE load IS NULL OR capacity IS NULL OR load > capacity * (1 + 1e-12)
        UNION ALL
        SELECT seq, type, route_id, vehicle_id, {json_field(K.VOLUME_M3)}, {json_field(K.CAPACITY_M3)}, 'm3' FROM events
        WHERE run_id = :run AND type = 'vehicle_departed' AND {json_field(K.CAPACITY_M3)} IS NOT NULL
          AND ({json_field(K.VOLUME_M3)} IS NULL OR {json_field(K.VOLUME_M3)} > {json_field(K.CAPACITY_M3)} * (1 + 1e-12))
        ORDER BY seq
        """,
    ),
    (
        "battery",
        "no drive of a vehicle with a battery used more kWh than its battery holds (none ran flat)",
        f"""
        WITH d AS MATERIALIZED (  -- one pass each, then a join of two small tables (not a probe per return)
            SELECT route_id, {json_field(K.BATTERY_KWH)} AS battery FROM events
            WHERE run_id = :run AND type = 'vehicle_departed' AND {json_field(K.BATTERY_KWH)} IS NOT NULL
        ), r AS MATERIALIZED (
            SELECT seq, route_id, vehicle_id, {json_field(K.KWH)} AS kwh FROM events
            WHERE run_id = :run AND type = 'vehicle_returned'
        )
        SELECT r.seq, r.route_id, r.vehicle_id, r.kwh, d.battery FROM r JOIN d ON d.route_id = r.route_id
        WHERE r.kwh IS NULL OR r.kwh > d.battery * (1 + 1e-9)
        ORDER BY r.seq
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
            SELECT route_id,
                   MAX(CASE WHEN type = 'vehicle_departed' THEN vehicle_id END) AS vehicle_id,
                   MIN(CASE WHEN type = 'vehicle_departed' THEN seq END) AS departed_seq,
                   MIN(CASE WHEN type = 'vehicle_departed' THEN t END) AS departed,
                   MIN(CASE WHEN type = 'vehicle_returned' THEN t END) AS returned
            FROM events WHERE run_id = :run AND type IN ('vehicle_departed', 'vehicle_returned') GROUP BY route_id
        ), lagged AS (
            SELECT vehicle_id, route_id, departed,
                   LAG(returned) OVER w AS previous_return, LAG(route_id) OVER w AS previous_route
            FROM trips WINDOW w AS (PARTITION BY vehicle_id ORDER BY departed_seq)
        )
        SELECT vehicle_id, route_id, departed, previous_route, previous_return FROM lagged
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
    (
        "shares_add_up",
        "the shares of a route's emissions charged to its orders add up to the route's kg CO2e",
        f"""
        WITH s AS (
            SELECT r.route_id, r.kg_co2e, TOTAL(json_extract(j.value, '$[1]')) AS charged, COUNT(j.value) AS n,
                   SUM(json_extract(j.value, '$[1]') IS NULL) AS missing
            FROM events r LEFT JOIN json_each(r.data, '$.shares') j
            WHERE r.run_id = :run AND r.type = 'vehicle_returned' AND {json_field(K.SHARES, "r")} IS NOT NULL
            GROUP BY r.seq
        )
        SELECT route_id, kg_co2e, charged, n FROM s
        WHERE n = 0 OR missing > 0 OR kg_co2e IS NULL OR ABS(charged - kg_co2e) > {REL_TOL} * MAX(1.0, ABS(kg_co2e))
        """,
    ),
    (
        "linehaul_shares_add_up",
        "the shares of a line-haul truck's emissions charged to its parcels add up to its kg CO2e, one per parcel",
        f"""
        WITH s AS (
            SELECT r.seq, {json_field(K.TRUCK, "r")} AS truck, r.kg_co2e, r.quantity,
                   TOTAL(json_extract(j.value, '$[1]')) AS charged, COUNT(j.value) AS n
            FROM events r LEFT JOIN json_each(r.data, '$.shares') j
            WHERE r.run_id = :run AND r.type = 'linehaul_arrived' GROUP BY r.seq
        )
        SELECT truck, kg_co2e, charged, n, quantity FROM s
        WHERE n = 0 OR n != quantity OR ABS(charged - kg_co2e) > {REL_TOL} * MAX(1.0, ABS(kg_co2e))
        """,
    ),
    (
        "linehaul_before_dispatch",
        "in the stations layout a parcel rides the last mile only after a line-haul truck brought it to its station",
        """
        WITH hauled AS (
            SELECT json_extract(j.value, '$') AS parcel, MIN(r.t) AS arrived
            FROM events r, json_each(r.data, '$.orders') j WHERE r.run_id = :run AND r.type = 'linehaul_arrived'
            GROUP BY parcel
        ), departed AS (
            SELECT json_extract(j.value, '$') AS parcel, MIN(d.t) AS departed
            FROM events d, json_each(d.data, '$.orders') j WHERE d.run_id = :run AND d.type = 'vehicle_departed'
            GROUP BY parcel
        )
        SELECT d.parcel AS order_id, h.arrived, d.departed FROM departed d LEFT JOIN hauled h ON h.parcel = d.parcel
        WHERE EXISTS (SELECT 1 FROM events WHERE run_id = :run AND type = 'linehaul_arrived')
          AND (h.arrived IS NULL OR h.arrived > d.departed)
        """,
    ),
    (
        "footprints_match_shares",
        "every ended order a route or line-haul truck charged has exactly one footprint, with a total equal to its"
        " parts, carrying exactly the shares of its routes and of its trucks under a per-route method; no open order has one",
        f"""
        WITH rows AS (
            SELECT json_extract(j.value, '$[0]') AS order_id, json_extract(j.value, '$[1]') AS charged, NULL AS lh,
                   NULL AS model, NULL AS lh_model, NULL AS total, NULL AS parts, 0 AS fp, 0 AS ended
            FROM events r, json_each(r.data, '$.shares') j WHERE r.run_id = :run AND r.type = 'vehicle_returned'
            UNION ALL
            SELECT json_extract(j.value, '$[0]'), NULL, json_extract(j.value, '$[1]'), NULL, NULL, NULL, NULL, 0, 0
            FROM events r, json_each(r.data, '$.shares') j WHERE r.run_id = :run AND r.type = 'linehaul_arrived'
            UNION ALL
            SELECT order_id, NULL, NULL, {json_field(K.LAST_MILE_MODEL)}, COALESCE({json_field(K.LINEHAUL_MODEL)}, 0),
                   kg_co2e,
                   {json_field(K.LAST_MILE)} + COALESCE({json_field(K.LINEHAUL)}, 0) + {json_field(K.TRUNK)}
                   + COALESCE({json_field(K.HANDLING)}, 0) + {json_field(K.PACKAGING)}
                   + CASE WHEN {json_field(K.INCLUDE_PRODUCTION)} THEN {json_field(K.PRODUCTION)} ELSE 0 END,
                   1, 0
            FROM events WHERE run_id = :run AND type = 'footprint_computed'
            UNION ALL
            SELECT order_id, NULL, NULL, NULL, NULL, NULL, NULL, 0, 1 FROM events WHERE run_id = :run AND {_TERMINAL}
        ), per_order AS (
            SELECT order_id, TOTAL(charged) AS kg, TOTAL(lh) AS lh_kg, COUNT(charged) + COUNT(lh) AS charges,
                   SUM(fp) AS footprints, MAX(ended) AS ended, MAX(model) AS model, MAX(lh_model) AS lh_model,
                   MAX(total) AS total, MAX(parts) AS parts
            FROM rows GROUP BY order_id
        ), pooled AS (  -- toc_tonne_km shares a day's rounds over a category: checked by categories_add_up
            SELECT json_extract(scenario_json, '$.labels.method') = 'toc_tonne_km' AS yes FROM runs WHERE run_id = :run
        )
        SELECT order_id, footprints, kg AS charged_kg, model AS footprint_kg, lh_kg, lh_model, total, parts FROM per_order
        WHERE (charges > 0 AND ended AND (footprints != 1 OR model IS NULL OR total IS NULL OR parts IS NULL
                                          OR (NOT (SELECT yes FROM pooled)
                                              AND (ABS(model - kg) > {REL_TOL} * MAX(1.0, ABS(kg))
                                                   OR ABS(lh_model - lh_kg) > {REL_TOL} * MAX(1.0, ABS(lh_kg))))
                                          OR ABS(total - parts) > {REL_TOL} * MAX(1.0, ABS(total))))
           OR footprints > 1 OR (footprints > 0 AND NOT ended)
        """,
    ),
    (
        "tces_add_up",
        "every footprint's transport chain elements add up to its chain (transport + handling) and to each part,"
        " in both scopes, to 1e-9 relative",
        """
        WITH sums AS (
            SELECT f.seq, f.order_id, f.data, json_extract(t.value, '$.part') AS part,
                   TOTAL(json_extract(t.value, '$.wtw')) AS wtw, TOTAL(json_extract(t.value, '$.ttw')) AS ttw
            FROM events f, json_each(f.data, '$.tces') t
            WHERE f.run_id = :run AND f.type = 'footprint_computed' GROUP BY f.seq, part
        ), chains AS (
            SELECT seq, order_id, data, TOTAL(wtw) AS wtw, TOTAL(ttw) AS ttw FROM sums GROUP BY seq
        )
        SELECT seq, order_id, part, wtw, json_extract(data, '$.scopes.wtw.' || part) AS footprint_wtw FROM sums
        WHERE ABS(wtw - json_extract(data, '$.scopes.wtw.' || part)) > 1e-9 * (1 + ABS(wtw))
           OR ABS(ttw - json_extract(data, '$.scopes.ttw.' || part)) > 1e-9 * (1 + ABS(ttw))
        UNION ALL
        SELECT seq, order_id, 'chain', wtw, json_extract(data, '$.scopes.wtw.chain') FROM chains
        WHERE ABS(wtw - json_extract(data, '$.scopes.wtw.chain')) > 1e-9 * (1 + ABS(wtw))
           OR ABS(ttw - json_extract(data, '$.scopes.ttw.chain')) > 1e-9 * (1 + ABS(ttw))
        """,
    ),
    (
        "categories_add_up",
        "each operation category's day: the chain elements that name it add up to its kg (WTW and TTW, 1e-9 relative)"
        " and are as many as it says; a last-mile day's kg are its rounds' (the vehicle type, left that day), a"
        " line-haul day's its trucks', a site's its parcels x kWh a parcel x the grid",
        f"""
        WITH el AS (
            SELECT json_extract(t.value, '$.category') AS category, COUNT(*) AS n,
                   TOTAL(json_extract(t.value, '$.wtw')) AS wtw, TOTAL(json_extract(t.value, '$.ttw')) AS ttw
            FROM events f, json_each(f.data, '$.tces') t
            WHERE f.run_id = :run AND f.type = 'footprint_computed' AND json_extract(t.value, '$.part') != 'trunk'
            GROUP BY category
        ), dep AS MATERIALIZED (
            SELECT route_id, 'last-mile-' || {json_field(K.VEHICLE_TYPE)} || '@' || CAST(t / 1440 AS INTEGER) AS category
            FROM events WHERE run_id = :run AND type = 'vehicle_departed'
        ), ret AS MATERIALIZED (
            SELECT route_id, kg_co2e FROM events WHERE run_id = :run AND type = 'vehicle_returned'
        ), rounds AS (
            SELECT dep.category, TOTAL(ret.kg_co2e) AS kg FROM dep JOIN ret ON ret.route_id = dep.route_id GROUP BY dep.category
            UNION ALL
            SELECT 'linehaul-truck@' || CAST(t / 1440 AS INTEGER), TOTAL(kg_co2e) FROM events
            WHERE run_id = :run AND type = 'linehaul_arrived' GROUP BY CAST(t / 1440 AS INTEGER)
        ), c AS (
            SELECT e.label_id AS category, {json_field(K.KIND, "e")} AS kind, {json_field(K.BASE, "e")} AS base,
                   {json_field(K.ELEMENTS, "e")} AS elements, {json_field(K.OPERATIONS, "e")} AS operations,
                   {json_field(K.KG_MODEL, "e")} AS kg_model, {json_field(K.WTW, "e")} AS wtw, {json_field(K.TTW, "e")} AS ttw,
                   json_extract(r.scenario_json, '$.fleet.grid_kg_per_kwh') * CASE {json_field(K.BASE, "e")}
                       WHEN 'warehouse' THEN json_extract(r.scenario_json, '$.warehouse.kwh_per_parcel')
                       WHEN 'hub' THEN json_extract(r.scenario_json, '$.network.hub_kwh_per_parcel')
                       ELSE json_extract(r.scenario_json, '$.network.station_kwh_per_parcel') END AS site_kg
            FROM events e JOIN runs r ON r.run_id = e.run_id WHERE e.run_id = :run AND e.type = 'category_closed'
        )
        SELECT c.category, c.elements, el.n, c.wtw, el.wtw AS tces_wtw, c.kg_model, rounds.kg AS driven_kg FROM c
        LEFT JOIN el ON el.category = c.category LEFT JOIN rounds ON rounds.category = c.category
        WHERE COALESCE(el.n, 0) != c.elements
           OR ABS(COALESCE(el.wtw, 0) - c.wtw) > 1e-9 * (1 + ABS(c.wtw))
           OR ABS(COALESCE(el.ttw, 0) - c.ttw) > 1e-9 * (1 + ABS(c.ttw))
           OR (c.kind = 'toc' AND ABS(COALESCE(rounds.kg, 0) - c.kg_model) > {REL_TOL} * MAX(1.0, c.kg_model))
           OR (c.kind = 'hoc' AND ABS(c.operations * c.site_kg - c.kg_model) > {REL_TOL} * MAX(1.0, c.kg_model))
        """,
    ),
    (
        "labels_match_footprints",
        "every delivered order with a footprint has exactly one label with the same total, and only those",
        f"""
        WITH rows AS (
            SELECT order_id, kg_co2e AS fp_kg, NULL AS label_kg, 1 AS fp, 0 AS label FROM events
            WHERE run_id = :run AND type = 'footprint_computed' AND {json_field(K.DELIVERED)}
            UNION ALL
            SELECT order_id, NULL, kg_co2e, 0, 1 FROM events WHERE run_id = :run AND type = 'label_issued'
        ), per_order AS (
            SELECT order_id, SUM(fp) AS footprints, SUM(label) AS labels, MAX(fp_kg) AS fp_kg, MAX(label_kg) AS label_kg,
                   SUM(label AND label_kg IS NULL) AS missing
            FROM rows GROUP BY order_id
        )
        SELECT order_id, labels, fp_kg, label_kg FROM per_order
        WHERE (footprints > 0 AND (labels != 1 OR missing > 0 OR ABS(label_kg - fp_kg) > {REL_TOL} * MAX(1.0, ABS(fp_kg))))
           OR (labels > 0 AND footprints = 0)
        """,
    ),
)

CHECKS += (
    (
        "bought_from_the_slate",
        "every product a session's order bought, and every click, was on that session's slate",
        f"""
        WITH shown AS (
            SELECT {json_field(K.SESSION, "s")} AS session, p.value AS product
            FROM events s, json_each(s.data, '$.products') p WHERE s.run_id = :run AND s.type = 'slate_shown'
        ), taken AS (
            SELECT o.seq, {json_field(K.SESSION, "o")} AS session, json_extract(l.value, '$[0]') AS product
            FROM events o, json_each(o.data, '$.lines') l
            WHERE o.run_id = :run AND o.type = 'order_placed' AND {json_field(K.SESSION, "o")} IS NOT NULL
            UNION ALL
            SELECT seq, {json_field(K.SESSION)}, product_id FROM events WHERE run_id = :run AND type = 'product_clicked'
        )
        SELECT t.seq, t.session, t.product FROM taken t LEFT JOIN shown s ON s.session = t.session AND s.product = t.product
        WHERE s.session IS NULL ORDER BY t.seq
        """,
    ),
    (
        "sessions_logged_once",
        "no session id is logged twice (a session id numbers one visit)",
        f"""
        SELECT {json_field(K.SESSION)} AS session, COUNT(*) AS logged FROM events
        WHERE run_id = :run AND type = 'session_started' GROUP BY session HAVING COUNT(*) > 1 OR session IS NULL
        """,
    ),
    (
        "sessions_counted_add_up",
        "each sessions_counted event ends a whole hour, is its hour's only one, and its tallies fit inside its count: "
        "bounced + slates <= sessions, slates <= slots <= slates x slate_size, green slots <= slots, green exposure <= exposure",
        f"""
        WITH c AS (
            SELECT e.seq, e.t, e.quantity AS sessions, {json_field(K.BOUNCED, "e")} AS bounced,
                   {json_field(K.SLATES, "e")} AS slates, {json_field(K.SLOTS, "e")} AS slots,
                   {json_field(K.GREEN_SLOTS, "e")} AS green_slots, {json_field(K.EXPOSURE, "e")} AS exposure,
                   {json_field(K.EXPOSURE_GREEN, "e")} AS exposure_green,
                   COUNT(*) OVER (PARTITION BY ROUND(e.t / 60.0)) AS in_hour,
                   json_extract(r.scenario_json, '$.recommender.slate_size') AS k
            FROM events e JOIN runs r ON r.run_id = e.run_id
            WHERE e.run_id = :run AND e.type = 'sessions_counted'
        )
        SELECT seq, t, sessions, bounced, slates, slots, green_slots, exposure, exposure_green FROM c
        WHERE in_hour > 1 OR ABS(t / 60.0 - ROUND(t / 60.0)) > 1e-9
           OR sessions IS NULL OR sessions < 1 OR sessions != CAST(sessions AS INTEGER)
           OR bounced IS NULL OR slates IS NULL OR slots IS NULL OR green_slots IS NULL
           OR bounced < 0 OR slates < 0 OR bounced + slates > sessions
           OR slots < slates OR slots > slates * k OR green_slots < 0 OR green_slots > slots
           OR exposure IS NULL OR exposure_green IS NULL OR exposure_green < 0
           OR exposure_green > exposure * (1 + {REL_TOL}) + 1e-12
        ORDER BY seq
        """,
    ),
    (
        "points_balances",
        "every consumer's points balance (earned - redeemed, in log order) matches the balance each points "
        "event states and never goes negative",
        f"""
        WITH moves AS (
            SELECT seq, consumer_id, {json_field(K.BALANCE)} AS stated,
                   SUM(CASE type WHEN 'points_earned' THEN quantity ELSE -quantity END)
                       OVER (PARTITION BY consumer_id ORDER BY seq) AS balance
            FROM events WHERE run_id = :run AND type IN ('points_earned', 'points_redeemed')
        )
        SELECT seq, consumer_id, stated, balance FROM moves WHERE balance < 0 OR stated IS NULL OR stated != balance
        ORDER BY seq
        """,
    ),
    (
        "points_within_budget",
        "the points issued never exceed the scenario's incentives.budget",
        """
        SELECT issued, budget FROM (
            SELECT (SELECT TOTAL(quantity) FROM events WHERE run_id = :run AND type = 'points_earned') AS issued,
                   json_extract(scenario_json, '$.incentives.budget') AS budget
            FROM runs WHERE run_id = :run
        ) WHERE issued > budget
        """,
    ),
    (
        "footprint_scopes",
        "every footprint's two scopes add up (transport = last mile + line-haul + trunk, total = transport + handling"
        " + packaging [+ production]), tank-to-wheel never exceeds well-to-wheel, and the label's parts are its scope's",
        f"""
        SELECT seq, order_id, {json_field(K.SCOPE)} AS scope FROM events, (SELECT 'wtw' AS s UNION ALL SELECT 'ttw') sc
        WHERE run_id = :run AND type = 'footprint_computed' AND {json_field(K.SCOPES)} IS NOT NULL
          AND (ABS(json_extract(data, '$.scopes.' || s || '.transport') - json_extract(data, '$.scopes.' || s || '.last_mile')
                   - json_extract(data, '$.scopes.' || s || '.linehaul') - json_extract(data, '$.scopes.' || s || '.trunk'))
                 > 1e-9 * (1 + ABS(json_extract(data, '$.scopes.' || s || '.transport')))
               OR ABS(json_extract(data, '$.scopes.' || s || '.total') - json_extract(data, '$.scopes.' || s || '.transport')
                      - COALESCE(json_extract(data, '$.scopes.' || s || '.handling'), 0) - {json_field(K.PACKAGING)}
                      - CASE WHEN {json_field(K.INCLUDE_PRODUCTION)} THEN {json_field(K.PRODUCTION)} ELSE 0 END)
                 > 1e-9 * (1 + ABS(json_extract(data, '$.scopes.' || s || '.total')))
               OR json_extract(data, '$.scopes.ttw.' || 'transport') > json_extract(data, '$.scopes.wtw.transport') * (1 + 1e-12)
               OR (s = {json_field(K.SCOPE)} AND (
                   ABS(json_extract(data, '$.scopes.' || s || '.last_mile') - {json_field(K.LAST_MILE)}) > 1e-12
                   OR ABS(json_extract(data, '$.scopes.' || s || '.total') - kg_co2e) > 1e-9 * (1 + ABS(kg_co2e)))))
        ORDER BY seq
        """,
    ),
    (
        "pickup_capacity",
        "no pickup site ever holds more parcels than pickup.capacity (left there and not yet collected), and no "
        "parcel is collected that was not left at that site before",
        f"""
        WITH moves AS (
            SELECT seq, order_id, {json_field(K.SITE)} AS site, CASE type WHEN 'delivered' THEN 1 ELSE -1 END AS step
            FROM events WHERE run_id = :run AND {json_field(K.SITE)} IS NOT NULL AND type IN ('delivered', 'pickup_collected')
        ), shelf AS (
            SELECT seq, order_id, site, step, SUM(step) OVER (PARTITION BY site ORDER BY seq) AS held FROM moves
        )
        SELECT seq, order_id, site, held, json_extract(r.scenario_json, '$.pickup.capacity') AS capacity
        FROM shelf, runs r WHERE r.run_id = :run
          AND (held < 0 OR held > json_extract(r.scenario_json, '$.pickup.capacity')
               OR (step = -1 AND NOT EXISTS (SELECT 1 FROM moves m WHERE m.order_id = shelf.order_id
                                             AND m.site = shelf.site AND m.step = 1 AND m.seq < shelf.seq)))
        ORDER BY seq
        """,
    ),
)

#: Which event type each ledger kind records.
LEDGER_KINDS = {"order_label": "label_issued", "product_grade": "grade_changed", "category_total": "category_closed"}


def verify_run(log: EventLog, run_id: int) -> RunVerification:
    """The run's tamper evidence (:func:`labels.ledger.verify_run`: the chain, every event
    against its batch digest, the runs row and product_labels against the seal), and its
    label records are exactly its label and grade events, content for content."""
    from labels.ledger import TAMPERED
    from labels.ledger import verify_run as verify_ledger

    result = verify_ledger(log.db, run_id)
    if result.state == TAMPERED:
        return result
    problem = _records_problem(log, run_id, result.records)
    if problem is not None:
        return replace(result, state=TAMPERED, problem=problem, product_labels=None)
    return result


def _records_problem(log: EventLog, run_id: int, records: int) -> str | None:
    db = log.db
    types = ", ".join(f"'{t}'" for t in LEDGER_KINDS.values())
    labels = db.execute(f"SELECT COUNT(*) FROM events WHERE run_id = ? AND type IN ({types})", [run_id]).fetchone()[0]
    if "ledger" not in db.table_names():
        return f"no ledger table, but {labels} label events" if labels else None
    from labels.ledger import BATCH_KIND, SEAL_KIND

    kinds = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LEDGER_KINDS.items())
    # one sort-based pass: each (event type, content) must occur as often in the ledger as
    # among the events (a join on the content text would compare every pair)
    row = db.execute(
        f"""
        SELECT type, content, SUM(in_ledger) AS ledger, SUM(1 - in_ledger) AS events FROM (
            SELECT CASE kind {kinds} ELSE kind END AS type, content, 1 AS in_ledger FROM ledger
            WHERE run_id = :run AND kind NOT IN ('{BATCH_KIND}', '{SEAL_KIND}')
            UNION ALL
            SELECT type, data, 0 FROM events WHERE run_id = :run AND type IN ({types})
        ) GROUP BY type, content HAVING SUM(in_ledger) != SUM(1 - in_ledger) LIMIT 1""",
        {"run": run_id},
    ).fetchone()
    if row:
        type_, content, in_ledger, in_events = row
        return (
            f"a {type_} record is {in_ledger}x in the ledger but {in_events}x among the events "
            f"(changed, added or removed): {str(content)[:80]}"
        )
    if records != labels:
        return f"{records} ledger records for {labels} label events"
    return None


def ledger_problems(log: EventLog, run_id: int) -> tuple[int, str | None]:
    """(ledger entries checked, the first sign of tampering or None); see :func:`verify_run`.
    A run not sealed yet, or written before the ledger digested events, is no problem here
    (``carbonsim verify`` says what it could not cover)."""
    result = verify_run(log, run_id)
    return result.entries, result.problem if result.state == "tampered" else None


def _ledger_check(log: EventLog, run_id: int) -> CheckResult:
    _, problem = ledger_problems(log, run_id)
    return CheckResult(
        "ledger_chain",
        "the ledger's hash chain holds, records exactly the run's label and grade "
        "events, and its digests match every event, the runs row and product_labels",
        0 if problem is None else 1,
        problem,
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
    results.append(_ledger_check(log, run_id))
    return results
