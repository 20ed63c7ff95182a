"""OCEL 2.0 export (sim.export.ocel) of a real simulated run, checked against the log with SQL and read
back by pm4py as an independent reader: counts per type, relations, directly-follows pairs,
times, attributes, the standard's validation queries, and the no-overwrite / no-half-file rules."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pm4py
import pytest
from pm4py.objects.ocel.validation import ocel20_rel_validation

import sim.export.ocel
from sim.export.ocel import OcelCounts, export_ocel
from sim.log.eventlog import EventLog
from sim.log.events import ID_FIELDS
from sim.scenario import Scenario
from sim.simulation import run

TINY = ["simulation.days=1", "demand.orders_per_day=60", "world.customers=200", "catalog.products=40"]
FIXED_TABLES = {"event", "object", "event_object", "object_object", "event_map_type", "object_map_type"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One small real run, exported once: (log db path, run id, OCEL path, counts, pm4py OCEL)."""
    folder = tmp_path_factory.mktemp("ocel")
    db = folder / "run.db"
    summary = run(Scenario().apply_overrides(TINY), db_path=db, seed=3)
    out = folder / "run.sqlite"
    with EventLog.open(db) as log:
        counts = export_ocel(log, summary.run_id, out)
    return db, summary.run_id, out, counts, pm4py.read_ocel2_sqlite(str(out))


def _sql(path, query, params=()):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query, params).fetchall()
    finally:
        conn.close()


_NO_OBJECT = " AND ".join(f"{f} IS NULL" for f in ID_FIELDS)


def test_the_standards_validation_queries_all_pass(exported):
    _, _, out, _, _ = exported
    satisfied, unsatisfied = ocel20_rel_validation.apply(str(out))
    assert unsatisfied == []
    assert len(satisfied) == len(ocel20_rel_validation.constraints) == 24
    # what the 24 queries do not look at: only the standard's tables, and every object table
    # carries ocel_time and ocel_changed_field
    tables = {name for (name,) in _sql(out, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    event_maps = {m for (m,) in _sql(out, "SELECT ocel_type_map FROM event_map_type")}
    object_maps = {m for (m,) in _sql(out, "SELECT ocel_type_map FROM object_map_type")}
    assert tables == FIXED_TABLES | {f"event_{m}" for m in event_maps} | {f"object_{m}" for m in object_maps}
    for m in object_maps:
        columns = {name: type_ for _, name, type_, *_ in _sql(out, f'PRAGMA table_info("object_{m}")')}
        assert columns["ocel_time"] == "TIMESTAMP" and "ocel_changed_field" in columns
    for m in event_maps:
        columns = {name: type_ for _, name, type_, *_ in _sql(out, f'PRAGMA table_info("event_{m}")')}
        assert columns["ocel_time"] == "TIMESTAMP"


def test_events_per_type_equal_the_log(exported):
    db, run_id, _, counts, ocel = exported
    ours = dict(_sql(db, "SELECT type, count(*) FROM events WHERE run_id = ? GROUP BY type", [run_id]))
    assert len(ours) >= 15 and sum(ours.values()) > 500  # a real run, many types
    assert dict(Counter(ocel.events["ocel:activity"])) == ours
    assert dict(counts.events_by_type) == ours
    assert counts.events == sum(ours.values())


def test_objects_per_type_equal_the_distinct_ids_in_the_log(exported):
    db, run_id, out, counts, ocel = exported
    ours = {}
    for f in ID_FIELDS:
        n = _sql(db, f"SELECT count(DISTINCT {f}) FROM events WHERE run_id = ?", [run_id])[0][0]
        if n:
            ours[f.removesuffix("_id")] = n
    # events that touch no object (recommender_trained, the hourly sessions_counted) hang off the run's one recommender
    objectless = {t for (t,) in _sql(db, f"SELECT DISTINCT type FROM events WHERE run_id = ? AND {_NO_OBJECT}", [run_id])}
    assert objectless == {"recommender_trained", "sessions_counted"}
    ours["recommender"] = 1
    assert set(ours) == {"order", "vehicle", "product", "route", "consumer", "wave", "label", "recommender"}
    assert dict(Counter(ocel.objects["ocel:type"])) == ours
    assert dict(counts.objects_by_type) == ours
    # nothing dangling in the file itself (pm4py would silently drop it, so ask SQLite)
    assert _sql(out, "SELECT count(*) FROM object WHERE ocel_id NOT IN (SELECT ocel_object_id FROM event_object)") == [(0,)]
    assert _sql(out, "SELECT count(*) FROM event WHERE ocel_id NOT IN (SELECT ocel_event_id FROM event_object)") == [(0,)]


def test_event_object_relations_are_the_filled_id_fields(exported):
    db, run_id, _, counts, ocel = exported
    per_field = {
        f.removesuffix("_id"): _sql(db, f"SELECT count({f}) FROM events WHERE run_id = ?", [run_id])[0][0] for f in ID_FIELDS
    }
    objectless = _sql(db, f"SELECT count(*) FROM events WHERE run_id = ? AND {_NO_OBJECT}", [run_id])[0][0]
    expected = {q: n for q, n in per_field.items() if n} | {"recommender": objectless}
    assert dict(Counter(ocel.relations["ocel:qualifier"])) == expected
    assert len(ocel.relations) == counts.e2o == sum(per_field.values()) + objectless
    # each relation's object is of the type its qualifier names
    assert (ocel.relations["ocel:qualifier"] == ocel.relations["ocel:type"]).all()


def test_directly_follows_of_orders_equal_the_log(exported):
    db, run_id, _, _, ocel = exported
    ours: Counter = Counter()
    our_couples = defaultdict(set)
    previous: dict = {}
    for order, seq, type_ in _sql(
        db,
        "SELECT order_id, seq, type FROM events WHERE run_id = ? AND order_id IS NOT NULL ORDER BY order_id, seq",
        [run_id],
    ):
        if order in previous:
            prev_seq, prev_type = previous[order]
            ours[(prev_type, type_)] += 1
            our_couples[(prev_type, type_)].add((prev_seq, seq))
        previous[order] = (seq, type_)
    assert len(ours) >= 5 and sum(ours.values()) > 200

    # pm4py's side, from its relations, ordered by time and then by event id. Many events of
    # the log share an instant (an order is placed, reserved and picked at once); the export
    # writes them a microsecond apart in seq order, and pads the seq in "e<seq>" to one width
    # so that id order is seq order too. Either alone makes this order the log's, tie for tie
    # (without the padding "e10" would sort before "e9").
    rel = ocel.relations[ocel.relations["ocel:type"] == "order"]
    rel = rel.sort_values(["ocel:timestamp", "ocel:eid"], kind="stable")
    theirs: Counter = Counter()
    for _, group in rel.groupby("ocel:oid", sort=False):
        acts = list(group["ocel:activity"])
        theirs.update(zip(acts, acts[1:]))
    assert theirs == ours

    # and pm4py's own discovery finds the same event couples: it walks its events table, in
    # which equal times would be ordered by event type ("packed" before "picked"), so this
    # holds only because no two events share a timestamp
    couples = pm4py.discover_ocdfg(ocel)["edges"]["event_couples"]["order"]
    assert {edge: {(int(a[1:]), int(b[1:])) for a, b in pairs} for edge, pairs in couples.items()} == dict(our_couples)


def test_times_are_the_calendar_of_the_run(exported):
    db, run_id, _, _, ocel = exported
    start = json.loads(_sql(db, "SELECT scenario_json FROM runs WHERE run_id = ?", [run_id])[0][0])["simulation"]["start_date"]
    midnight = datetime.fromisoformat(start).replace(tzinfo=UTC)
    t_of = dict(_sql(db, "SELECT seq, t FROM events WHERE run_id = ?", [run_id]))
    events = ocel.events.assign(seq=ocel.events["ocel:eid"].str[1:].astype(int)).sort_values("seq")
    assert list(events["seq"]) == sorted(t_of)
    worst = max(
        abs(ts.to_pydatetime() - (midnight + timedelta(minutes=t_of[seq])))
        for seq, ts in zip(events["seq"], events["ocel:timestamp"])
    )
    # microsecond text; events of one instant a microsecond apart (about 100 at t = 0 here)
    assert worst <= timedelta(milliseconds=1)
    assert events["ocel:timestamp"].is_monotonic_increasing and events["ocel:timestamp"].is_unique
    assert events["ocel:timestamp"].iloc[-1] > midnight + timedelta(hours=12)


def test_object_attributes_and_object_relations_come_from_the_log(exported):
    db, run_id, out, counts, ocel = exported
    objects = ocel.objects.set_index("ocel:oid")
    departures = _sql(
        db,
        "SELECT vehicle_id, route_id, wave_id, json_extract(data, '$.vehicle_type'),"
        " json_extract(data, '$.orders') FROM events WHERE run_id = ? AND type = 'vehicle_departed'",
        [run_id],
    )
    assert departures
    for vehicle, *_, vehicle_type, _ in departures:
        assert objects.loc[f"vehicle:{vehicle}", "vehicle_type"] == vehicle_type
    placed = _sql(
        db,
        "SELECT order_id, consumer_id, json_extract(data, '$.value') FROM events WHERE run_id = ? AND type = 'order_placed'",
        [run_id],
    )
    for order, _, value in placed:
        assert objects.loc[f"order:{order}", "value"] == pytest.approx(value)

    # a product's grade over time is its change rows: the last one is its last grade_changed
    last_grade = dict(
        _sql(
            db,
            "SELECT product_id, json_extract(data, '$.to') FROM events WHERE run_id = ? AND type = 'grade_changed' ORDER BY seq",
            [run_id],
        )
    )
    changes = ocel.object_changes
    grades = changes[changes["ocel:field"] == "grade"].sort_values("ocel:timestamp", kind="stable")
    assert dict(zip(grades["ocel:oid"], grades["grade"])) == {f"product:{p}": g for p, g in last_grade.items()}

    o2o = defaultdict(set)
    for source, target, qualifier in zip(ocel.o2o["ocel:oid"], ocel.o2o["ocel:oid_2"], ocel.o2o["ocel:qualifier"]):
        o2o[qualifier].add((source, target))
    assert o2o["placed_by"] == {(f"order:{o}", f"consumer:{c}") for o, c, _ in placed}
    assert o2o["driven_by"] == {(f"route:{r}", f"vehicle:{v}") for v, r, *_ in departures}
    assert o2o["plans"] == {(f"wave:{w}", f"route:{r}") for _, r, w, *_ in departures}
    reserved = _sql(
        db, "SELECT order_id, product_id FROM events WHERE run_id = ? AND type IN ('stock_reserved', 'backordered')", [run_id]
    )
    assert o2o["contains"] == {(f"order:{o}", f"product:{p}") for o, p in reserved}
    carried = {(f"route:{r}", f"order:{o}") for _, r, _, _, orders in departures for o in json.loads(orders)}
    carried |= {
        (f"route:{r}", f"order:{o}")
        for o, r in _sql(
            db,
            "SELECT order_id, route_id FROM events WHERE run_id = ?"
            " AND type IN ('arrived', 'delivered', 'delivery_failed') AND order_id IS NOT NULL",
            [run_id],
        )
    }
    assert carried and o2o["carries"] == carried
    labels = _sql(
        db,
        "SELECT label_id, coalesce(product_id, order_id), product_id IS NULL FROM events"
        " WHERE run_id = ? AND type IN ('grade_changed', 'label_issued')",
        [run_id],
    )
    assert o2o["labels"] == {(f"label:{lab}", f"{'order' if is_order else 'product'}:{x}") for lab, x, is_order in labels}
    assert set(o2o) == {"placed_by", "driven_by", "plans", "contains", "carries", "labels"}
    assert len(ocel.o2o) == counts.o2o == sum(counts.o2o_by_qualifier.values())


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_existing_file_is_not_overwritten(exported, tmp_path):
    db, run_id, _, counts, _ = exported
    out = tmp_path / "x.sqlite"
    out.write_bytes(b"precious")
    with EventLog.open(db) as log:
        with pytest.raises(FileExistsError, match="x.sqlite"):
            export_ocel(log, run_id, out)
        assert out.read_bytes() == b"precious"
        again = export_ocel(log, run_id, out, overwrite=True)
    assert again == counts
    assert ocel20_rel_validation.apply(str(out))[1] == []
    assert sorted(os.listdir(tmp_path)) == ["x.sqlite"]  # no temporary file left behind


def test_a_failure_leaves_no_file(exported, tmp_path, monkeypatch):
    db, run_id, _, _, _ = exported
    out = tmp_path / "y.sqlite"
    with EventLog.open(db) as log:
        with pytest.raises(KeyError):
            export_ocel(log, run_id + 100, out)
        assert os.listdir(tmp_path) == []

        def broken(*args, **kwargs):
            raise OSError("disk full")

        # the file is complete and only the final rename fails: still nothing is left
        monkeypatch.setattr(sim.export.ocel.os, "link", broken)
        monkeypatch.setattr(sim.export.ocel.os, "replace", broken)
        with pytest.raises(OSError, match="disk full"):
            export_ocel(log, run_id, out)
        assert os.listdir(tmp_path) == []
        out.write_bytes(b"old")
        before = _digest(out)
        with pytest.raises(OSError, match="disk full"):
            export_ocel(log, run_id, out, overwrite=True)
        assert _digest(out) == before and os.listdir(tmp_path) == ["y.sqlite"]


def test_counts_are_a_frozen_record(exported):
    counts = exported[3]
    assert isinstance(counts, OcelCounts)
    assert counts.objects == sum(counts.objects_by_type.values()) > 0
    with pytest.raises(AttributeError):
        counts.events = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        counts.objects_by_type["order"] = 0  # type: ignore[index]


def test_cli_export_ocel_counts_and_refuses_to_overwrite(exported, tmp_path):
    from click.testing import CliRunner

    from sim.cli import main

    db, run_id, _, counts, _ = exported
    out = tmp_path / "cli.sqlite"
    res = CliRunner().invoke(main, ["export-ocel", str(db), str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert (doc["run_id"], doc["events"], doc["objects"], doc["e2o"]) == (run_id, counts.events, counts.objects, counts.e2o)
    assert doc["objects_by_type"] == dict(counts.objects_by_type)
    again = CliRunner().invoke(main, ["export-ocel", str(db), str(out)])
    assert again.exit_code == 2 and "add --force" in again.stderr
    assert CliRunner().invoke(main, ["export-ocel", str(db), str(out), "--force", "--json"]).exit_code == 0
