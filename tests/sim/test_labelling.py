"""Footprints, labels, grades and the ledger inside a run (tiny scenarios, real SQLite)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from labels.carriers import carrier
from sim import EventLog, check_run, run
from sim.cli import main
from sim.log.events import EventType


def _events(db, type_, run_id=1):
    with EventLog.open(db) as log:
        return log.events(run_id, type=type_)


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """One tiny day with 20% failed attempts (so some orders ride two routes)."""
    from sim.scenario import Scenario

    db = tmp_path_factory.mktemp("lab") / "day.db"
    s = Scenario().apply_overrides(
        [
            "simulation.days=1",
            "demand.orders_per_day=80",
            "world.customers=200",
            "catalog.products=40",
            "demand.failed_attempt_share=0.2",
        ]
    )
    run(s, db_path=db, seed=3)
    return db


def test_every_delivered_order_gets_one_footprint_and_one_label(day):
    delivered = {e.order_id for e in _events(day, EventType.DELIVERED)}
    labels = [e.order_id for e in _events(day, EventType.LABEL_ISSUED)]
    footprints = {e.order_id: e for e in _events(day, EventType.FOOTPRINT_COMPUTED)}
    assert sorted(labels) == sorted(delivered) and len(set(labels)) == len(labels)
    assert delivered <= footprints.keys()
    for oid in footprints.keys() - delivered:  # failed for good: footprint, no label
        assert footprints[oid].data["delivered"] is False
    two_routes = [f for f in footprints.values() if len(f.data["routes"]) > 1]
    assert two_routes  # re-attempts: charged on both routes
    for f in footprints.values():
        d = f.data
        assert f.kg_co2e == pytest.approx(d["last_mile"] + d["trunk"] + d["handling"] + d["packaging"])
        assert min(d["last_mile"], d["trunk"], d["packaging"], d["production"]) >= 0 and d["handling"] > 0


def test_all_checks_hold_including_shares_and_ledger(day):
    with EventLog.open(day) as log:
        results = {r.name: r for r in check_run(log, 1)}
    assert {"shares_add_up", "footprints_match_shares", "tces_add_up", "categories_add_up", "ledger_chain"} <= results.keys()
    assert all(r.ok for r in results.values()), {n: r.example for n, r in results.items() if not r.ok}


def test_arc_by_arc_breakdown_rebuilds_each_share(day):
    """`carbonsim footprint --json` recomputes eq. 5 arc by arc from the log alone; its sum
    equals the share the run charged, for every order of the day."""
    for e in _events(day, EventType.LABEL_ISSUED):
        res = CliRunner().invoke(main, ["footprint", str(day), "--order", str(e.order_id), "--json"])
        assert res.exit_code == 0, res.output
        doc = json.loads(res.stdout)
        for r in doc["routes"]:
            assert sum(a["share"] for a in r["arcs"]) == pytest.approx(r["share"], rel=1e-9)
        assert doc["total"] == pytest.approx(e.kg_co2e)


def _pair(tiny, tmp_path, *extra):
    db = tmp_path / "pair.db"
    run(tiny(), db_path=db, seed=5)
    run(tiny(*extra), db_path=db, seed=5)
    fp = [{e.order_id: e.data for e in _events(db, EventType.FOOTPRINT_COMPUTED, r)} for r in (1, 2)]
    return db, fp


def test_tonne_km_reallocates_but_keeps_the_total(tiny, tmp_path):
    """Same seed and routes (greedy): tonne-km moves kg between orders, not the total."""
    db, (a, b) = _pair(tiny, tmp_path, "labels.method=tonne_km")
    assert a.keys() == b.keys()
    assert sum(d["last_mile"] for d in a.values()) == pytest.approx(sum(d["last_mile"] for d in b.values()), rel=1e-9)
    assert any(abs(a[k]["last_mile"] - b[k]["last_mile"]) > 1e-6 for k in a)
    with EventLog.open(db) as log:
        assert all(r.ok for r in check_run(log, 2))


def test_well_to_wheel_scales_fuel_burning_parts(tiny, tmp_path):
    """An all-diesel fleet: each footprint's WTW last mile and trunk are its TTW x 3.24/2.67
    (labels/energy_carriers.toml); packaging is the same in both; the label takes its scope's."""
    _, (wtw, ttw) = _pair(tiny, tmp_path, "labels.scope=ttw")
    ratio = carrier("diesel").scopes(1.0)[0]
    assert ratio == pytest.approx(3.24 / 2.67)
    for k in wtw:
        both = wtw[k]["scopes"]
        assert both == ttw[k]["scopes"]  # the scope of the label changes nothing else
        assert both["wtw"]["last_mile"] == pytest.approx(both["ttw"]["last_mile"] * ratio, rel=1e-9)
        assert both["wtw"]["trunk"] == pytest.approx(both["ttw"]["trunk"] * ratio, rel=1e-9)
        assert wtw[k]["last_mile"] == both["wtw"]["last_mile"] and ttw[k]["last_mile"] == both["ttw"]["last_mile"]
        assert wtw[k]["packaging"] == ttw[k]["packaging"]
        assert wtw[k]["total"] == pytest.approx(both["wtw"]["total"]) and ttw[k]["total"] == pytest.approx(both["ttw"]["total"])


def test_electric_vans_have_no_tailpipe_emissions_in_ttw(tiny, tmp_path):
    """All light trucks electric: in TTW their routes charge nothing; in WTW (the default) the
    grid's kg, never 0."""
    ev = ("fleet.ev_share=1.0", 'fleet.vehicles=[{name = "light_truck", capacity_kg = 1500.0, count = 4}]')
    db = tmp_path / "ev.db"
    run(tiny(*ev), db_path=db, seed=1)
    wtw = _events(db, EventType.FOOTPRINT_COMPUTED, 1)
    assert all(e.data["scopes"]["ttw"]["last_mile"] == 0.0 for e in wtw)
    assert all(e.data["last_mile"] > 0.0 for e in wtw)
    assert all(e.data["last_mile"] == pytest.approx(e.data["last_mile_model"]) for e in wtw)


def test_hysteresis_damps_grade_changes(tiny, tmp_path):
    """Over three days, a 20% margin gives fewer grade changes than none."""
    db = tmp_path / "h.db"
    run(tiny("simulation.days=3", "labels.hysteresis=0"), db_path=db, seed=2)
    run(tiny("simulation.days=3", "labels.hysteresis=0.2"), db_path=db, seed=2)
    changes = [sum(1 for e in _events(db, EventType.GRADE_CHANGED, r) if e.data["from"] is not None) for r in (1, 2)]
    assert changes[0] > changes[1]


def test_production_counts_in_the_total_only_when_asked(tiny, tmp_path):
    _, (off, on) = _pair(tiny, tmp_path, "labels.include_production=true")
    k = next(iter(off))
    assert on[k]["total"] == pytest.approx(off[k]["total"] + off[k]["production"])


def test_verify_catches_an_edited_label(day, tmp_path):
    """`carbonsim verify` passes the untouched file and names the entry edited in a copy."""
    import sqlite3

    assert CliRunner().invoke(main, ["verify", str(day)]).exit_code == 0
    copy = tmp_path / "copy.db"
    with sqlite3.connect(day) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    con = sqlite3.connect(copy)
    con.execute("UPDATE ledger SET content = replace(content, '\"t\":', '\"t\": ') WHERE seq = 50")
    con.commit()
    con.close()
    res = CliRunner().invoke(main, ["verify", str(copy), "--json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["tampered"]["problem"].startswith("entry 50: ") and "edited" in doc["tampered"]["problem"]
    res = CliRunner().invoke(main, ["check", str(copy), "--json"])
    assert res.exit_code == 1 and {c["name"] for c in json.loads(res.stdout)["checks"] if not c["ok"]} == {"ledger_chain"}


def test_labels_report(day):
    res = CliRunner().invoke(main, ["labels", str(day), "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    grades = {p["grade"] for p in doc["products"]}
    assert grades <= set("ABCDE") and len(grades) >= 3
    assert all(p["low_carbon"] == (p["grade"] in "AB") for p in doc["products"])
    res = CliRunner().invoke(main, ["--tables", "labels", str(day)])
    assert res.exit_code == 0 and "product grades" in res.stdout


# -- regressions from review ---------------------------------------------------------------


def test_orders_that_ride_and_then_run_out_of_time_still_get_their_footprint(tiny, tmp_path):
    """No drain and many failed attempts: orders charged on a route and then ended with
    run_ended get a footprint; every kg of every route is in some footprint."""
    db = tmp_path / "ended.db"
    run(tiny("simulation.drain_days=0", "demand.failed_attempt_share=0.5", "demand.max_attempts=3"), db_path=db, seed=4)
    with EventLog.open(db) as log:
        assert all(r.ok for r in check_run(log, 1)), [(r.name, r.example) for r in check_run(log, 1) if not r.ok]
        routes = sum(e.kg_co2e for e in log.events(1, type=EventType.VEHICLE_RETURNED))
        charged = sum(e.data["last_mile_model"] for e in log.events(1, type=EventType.FOOTPRINT_COMPUTED))
        reasons = [e.data["reason"] for e in log.events(1, type=EventType.DELIVERY_FAILED) if e.data["final"]]
    assert charged == pytest.approx(routes, rel=1e-9) and "run_ended" in reasons


def test_each_committed_batch_holds_labels_and_their_ledger_entries_together(tiny, tmp_path):
    """With a tiny flush size, after every commit the file has as many ledger records as
    label and grade events, and digests of every event: no state where one is saved
    without the other."""
    from labels.ledger import Ledger
    from sim.simulation import Simulation

    db = tmp_path / "pairs.db"
    seen = []
    with EventLog.open(db, flush_every=7) as log:
        s = tiny()
        run_id = log.start_run(scenario="t", scenario_json=s.canonical_json(), seed=0)
        ledger = Ledger(log.db, run_id)
        log.add_companion(ledger)

        class Spy:
            def write(self, db, rows):
                pass

            def finish(self, db):
                pass

            def committed(self):
                c = log.db.conn
                labels = c.execute(
                    "SELECT COUNT(*) FROM events WHERE type IN ('label_issued', 'grade_changed', 'category_closed')"
                ).fetchone()[0]
                entries = c.execute("SELECT COUNT(*) FROM ledger WHERE kind NOT IN ('events', 'run')").fetchone()[0]
                events = c.execute("SELECT COUNT(*) FROM events").fetchone()[0]
                digested = c.execute("SELECT MAX(json_extract(content, '$.last')) FROM ledger WHERE kind = 'events'").fetchone()[
                    0
                ]
                seen.append((labels, entries, events, digested))

        log.add_companion(Spy())
        Simulation.build(s, log.record, ledger).run()
        log.finish_run("completed")
    assert len(seen) > 100 and all(a == b for a, b, _, _ in seen), [x for x in seen if x[0] != x[1]][:3]
    # and every committed event is covered by a batch digest committed with it
    assert all(events == digested for _, _, events, digested in seen), [x for x in seen if x[2] != x[3]][:3]


def _tampered(day, tmp_path, *sql):
    import sqlite3

    copy = tmp_path / "t.db"
    with sqlite3.connect(day) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    con = sqlite3.connect(copy)
    for q in sql:
        con.execute(q)
    con.commit()
    con.close()
    with EventLog.open(copy) as log:
        return {r.name for r in check_run(log, 1) if not r.ok}


@pytest.mark.parametrize(
    ("sql", "broken"),
    [
        (["DELETE FROM ledger WHERE seq > 100"], {"ledger_chain"}),
        (["DELETE FROM ledger"], {"ledger_chain"}),
        (["DROP TABLE ledger"], {"ledger_chain"}),
        (
            ["UPDATE events SET kg_co2e = kg_co2e + 1 WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'label_issued')"],
            {"labels_match_footprints"},
        ),
        (
            [
                (
                    "UPDATE events SET data = json_set(data, '$.kg_co2e', 0.0) WHERE seq = (SELECT MIN(seq) FROM events "
                    "WHERE type = 'label_issued')"
                )
            ],
            {"ledger_chain"},
        ),
        (
            [
                "INSERT INTO events SELECT run_id, 1000000, t, type, order_id, vehicle_id, product_id, route_id, consumer_id,"
                " wave_id, label_id, km, kg_co2e, load, lateness, stock_level, quantity, cost, data FROM events"
                " WHERE type = 'footprint_computed' LIMIT 1"
            ],
            {"footprints_match_shares"},
        ),
        (
            [
                "UPDATE events SET data = json_remove(data, '$.last_mile_model')"
                " WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'footprint_computed')"
            ],
            {"footprints_match_shares"},
        ),
        (
            [
                (
                    "UPDATE events SET kg_co2e = kg_co2e * 2 WHERE seq = (SELECT MIN(seq) FROM events WHERE type = "
                    "'footprint_computed')"
                )
            ],
            {"footprints_match_shares", "labels_match_footprints"},
        ),
    ],
    ids=[
        "ledger tail deleted",
        "ledger emptied",
        "ledger dropped",
        "label column edited",
        "label record edited",
        "footprint duplicated",
        "footprint field removed",
        "footprint total edited",
    ],
)
def test_check_catches_tampered_accounts(day, tmp_path, sql, broken):
    got = _tampered(day, tmp_path, *sql)
    assert broken <= got, got


def test_a_run_from_before_the_labels_still_checks(day, tmp_path):
    """A log with no shares, footprints, labels or ledger (an older run) passes the new checks."""
    got = _tampered(
        day,
        tmp_path,
        "UPDATE events SET data = json_remove(data, '$.shares') WHERE type = 'vehicle_returned'",
        "DELETE FROM events WHERE type IN ('footprint_computed', 'label_issued', 'grade_changed', 'category_closed')",
        "DROP TABLE ledger",
    )
    assert got == set()


def test_the_chain_checks_catch_an_element_or_a_category_that_does_not_add_up(day, tmp_path):
    """tces_add_up and categories_add_up hold untouched; a gram moved on one chain element breaks
    both (its footprint's parts, its category's total), a gram added to a category's driven kg
    breaks the second only."""
    with EventLog.open(day) as log:
        results = {r.name: r for r in check_run(log, 1)}
    assert results["tces_add_up"].ok and results["categories_add_up"].ok
    first_fp = "(SELECT MIN(seq) FROM events WHERE type = 'footprint_computed')"
    moved = _tampered(
        day,
        tmp_path,
        "UPDATE events SET data = json_set(data, '$.tces[1].wtw', json_extract(data, '$.tces[1].wtw') + 0.001)"
        f" WHERE seq = {first_fp}",
    )
    assert {"tces_add_up", "categories_add_up"} <= moved
    first_cat = "(SELECT MIN(seq) FROM events WHERE type = 'category_closed' AND json_extract(data, '$.kind') = 'toc')"
    driven = _tampered(
        day,
        tmp_path,
        "UPDATE events SET data = json_set(data, '$.kg_model', json_extract(data, '$.kg_model') + 0.001)"
        f" WHERE seq = {first_cat}",
    )
    assert "categories_add_up" in driven and "tces_add_up" not in driven


def test_the_scopes_check_catches_a_footprint_whose_parts_do_not_add_up(day, tmp_path):
    """`carbonsim check`'s footprint_scopes: untouched, it holds; a copy whose one footprint's
    WTW transport is off by a gram, or whose label part is not its scope's, fails it."""
    import sqlite3

    with EventLog.open(day) as log:
        assert {r.name: r for r in check_run(log, 1)}["footprint_scopes"].ok
    for edit in (
        "json_set(data, '$.scopes.wtw.transport', json_extract(data, '$.scopes.wtw.transport') + 0.001)",
        "json_set(data, '$.last_mile', json_extract(data, '$.scopes.ttw.last_mile') + 0.001)",
    ):
        copy = tmp_path / "copy.db"
        copy.unlink(missing_ok=True)
        with sqlite3.connect(day) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)
        con = sqlite3.connect(copy)
        con.execute(
            f"UPDATE events SET data = {edit} WHERE seq = (SELECT MIN(seq) FROM events WHERE type = 'footprint_computed')"
        )
        con.commit()
        con.close()
        with EventLog.open(copy) as log:
            result = {r.name: r for r in check_run(log, 1)}["footprint_scopes"]
        assert result.violations == 1, edit
