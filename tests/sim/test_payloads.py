"""Typed event payloads (sim.log.payloads) and the trusted write path (issue 13, item 3)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from sim import Scenario, run
from sim.log.eventlog import EventLog
from sim.log.events import Event, EventType
from sim.log.payloads import PAYLOADS, K, json_field, payload_problems

ROOT = Path(__file__).resolve().parents[2]


def test_every_event_type_is_declared():
    assert set(PAYLOADS) == set(EventType)


@pytest.mark.parametrize(
    "file, sets",
    [
        ("green.toml", ["demand.orders_per_day=200", "world.customers=600", "routing.time_limit=0.2"]),
        ("peak_618.toml", ["demand.orders_per_day=200", "world.customers=600"]),
        ("baseline.toml", ['demand.mode="exogenous"', "demand.orders_per_day=200"]),
        ("vans.toml", ['demand.mode="exogenous"', "demand.orders_per_day=200", "world.customers=600"]),
    ],
)
def test_every_event_of_a_real_run_matches_its_declaration(tmp_path, file, sets):
    db = tmp_path / "run.db"
    run(Scenario.from_file(ROOT / "scenarios" / file, sets), db_path=db, days=1, check_events=False)
    rows = sqlite3.connect(db).execute("SELECT type, data FROM events").fetchall()
    assert len(rows) > 500
    problems = [p for t, d in rows for p in payload_problems(t, None if d is None else json.loads(d))]
    assert problems == []


def test_declarations_catch_wrong_payloads():
    assert payload_problems("session_started", {"session": 3}) == []
    assert payload_problems("session_started", {"session": "3"}) == ["session_started: data key 'session' = '3' is not int"]
    assert "unknown data key 'sesion'" in payload_problems("session_started", {"session": 1, "sesion": 1})[0]
    assert payload_problems("picked", None) == [] and payload_problems("picked", {"x": 1})
    assert payload_problems("delivery_failed", {"attempt": 1, "final": 1, "reason": "absent"})  # 1 is not a bool
    assert json_field(K.SESSION, "o") == "json_extract(o.data, '$.session')"


def test_the_trusted_path_writes_what_record_writes_and_checks_on_demand(tmp_path):
    import numpy as np

    good = Event(t=1.0, type=EventType.SESSION_STARTED, consumer_id=4, data={K.SESSION: 9})
    with EventLog.open(tmp_path / "a.db") as a, EventLog.open(tmp_path / "b.db") as b:
        for log, write in ((a, a.record), (b, b.record_trusted)):
            log.start_run(scenario="x", scenario_json={}, seed=0)
            write(good)
            log.finish_run("completed")
        assert a.canonical_hash(1) == b.canonical_hash(1)
        b.check_events = True
        b.start_run(scenario="y", scenario_json={}, seed=0)
        with pytest.raises(ValueError, match=r"consumer_id = np.int64\(4\) \(int64\)"):
            b.record_trusted(Event(t=1.0, type=EventType.SESSION_STARTED, consumer_id=np.int64(4), data={K.SESSION: 9}))
        with pytest.raises(ValueError, match="data key 'session' missing"):
            b.record_trusted(Event(t=1.0, type=EventType.SESSION_STARTED, consumer_id=4, data={}))
        b.finish_run("completed")


def test_m006_drops_the_duplicate_indexes(tmp_path):
    with EventLog.open(tmp_path / "c.db") as log:
        names = {r[0] for r in log.db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")}
    assert {"events_run_type", "events_run_order", "events_run_vehicle", "events_route"} <= names
    assert not {"events_type", "events_order"} & names
