"""The event log (sim.log.eventlog, sim.log.events) against real SQLite files: schema by migrations, WAL,
round trips, atomic batches, run status on every kind of exit, bound-parameter filters, hashing."""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.log.eventlog import MIGRATION_SET, EventLog, RunStatus
from sim.log.events import FIGURE_FIELDS, ID_FIELDS, Event, EventType

SCENARIO = {"simulation": {"days": 1, "seed": 7}, "routing": {"policy": "greedy"}}


def _raw(path: Path) -> sqlite3.Connection:
    """A second, independent connection to the file (what another reader would see)."""
    return sqlite3.connect(path)


def _count(path: Path, sql: str = "SELECT count(*) FROM events", params=()) -> int:
    with _raw(path) as conn:
        return conn.execute(sql, params).fetchone()[0]


def _start(log: EventLog, **kw) -> int:
    return log.start_run(
        scenario=kw.pop("scenario", "tiny"),
        scenario_json=kw.pop("scenario_json", SCENARIO),
        seed=kw.pop("seed", 7),
        version=kw.pop("version", "test"),
        **kw,
    )


def _sample_events() -> list[Event]:
    """A small trace: two orders, two vehicles, at t = 0, 10, 20, 30, 40, 50."""
    return [
        Event(t=0.0, type=EventType.ORDER_PLACED, order_id=1, consumer_id=11, product_id=101, quantity=2),
        Event(t=10.0, type=EventType.ORDER_PLACED, order_id=2, consumer_id=12, product_id=102, quantity=1),
        Event(t=20.0, type=EventType.VEHICLE_DEPARTED, vehicle_id=7, route_id="w1-r1", wave_id=1, load=350.0),
        Event(t=30.0, type=EventType.DELIVERED, order_id=1, vehicle_id=7, km=12.5, lateness=-3.0),
        Event(t=40.0, type=EventType.DELIVERED, order_id=2, vehicle_id=8, km=4.0, lateness=2.5),
        Event(t=50.0, type=EventType.VEHICLE_RETURNED, vehicle_id=7, km=20.0, kg_co2e=4.2, cost=31.0),
    ]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "run.db"


# --- schema ----------------------------------------------------------------------------------


def test_migrations_create_the_schema_exactly_once(db_path):
    """Opening applies the named migrations in order; reopening applies nothing and keeps the record."""
    with EventLog.open(db_path) as log:
        assert log.applied_migrations() == [
            "m001_create_runs",
            "m002_create_events",
            "m003_index_events",
            "m004_create_product_labels",
            "m005_run_process",
            "m006_drop_duplicate_indexes",
        ]
        assert {"runs", "events"} <= set(log.db.table_names())
    with _raw(db_path) as conn:
        first = conn.execute("SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()
    assert [(s, n) for s, n, _ in first] == [
        (MIGRATION_SET, "m001_create_runs"),
        (MIGRATION_SET, "m002_create_events"),
        (MIGRATION_SET, "m003_index_events"),
        (MIGRATION_SET, "m004_create_product_labels"),
        (MIGRATION_SET, "m005_run_process"),
        (MIGRATION_SET, "m006_drop_duplicate_indexes"),
    ]

    with EventLog.open(db_path) as log:
        assert log.applied_migrations() == [
            "m001_create_runs",
            "m002_create_events",
            "m003_index_events",
            "m004_create_product_labels",
            "m005_run_process",
            "m006_drop_duplicate_indexes",
        ]
    with _raw(db_path) as conn:
        again = conn.execute("SELECT migration_set, name, applied_at FROM _sqlite_migrations ORDER BY id").fetchall()
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='events'")}
        pk = [r[1] for r in sorted(conn.execute("PRAGMA table_info(events)"), key=lambda r: r[5]) if r[5]]
    assert again == first
    assert {"events_run_type", "events_run_order", "events_run_vehicle"} <= indexes
    assert pk == ["run_id", "seq"]


def test_wal_mode_is_on(db_path):
    """The file is in WAL journal mode, as any other connection sees it."""
    EventLog.open(db_path).close()
    with _raw(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# --- writing and reading back ------------------------------------------------------------------


def test_events_round_trip_with_every_field_in_seq_order(db_path):
    """Every id, figure and the data dict come back equal, int ids as ints and str ids as strs, in seq order."""
    front = {"chosen": 1, "front": [[120.5, 33.25, 0.0], [118.0, 35.5, 4.0]], "policy": "mogwo", "note": "vague 1 ✓"}
    full = Event(
        t=12.75,
        type=EventType.WAVE_PLANNED,
        order_id=42,
        vehicle_id="ev-3",
        product_id=7,
        route_id="w2-r1",
        consumer_id=9001,
        wave_id=2,
        label_id="L-0a1",
        km=18.25,
        kg_co2e=3.5,
        load=420.0,
        lateness=-5.5,
        stock_level=17.0,
        quantity=3.0,
        cost=99.9,
        data=front,
    )
    bare = Event(t=13.0, type=EventType.SESSION_STARTED)
    with EventLog.open(db_path) as log:
        run_id = _start(log)
        assert [log.record(e) for e in (full, bare, full)] == [1, 2, 3]
        log.finish_run(RunStatus.COMPLETED)
        got = list(log.iter_events(run_id))
    assert [seq for seq, _ in got] == [1, 2, 3]
    assert [e for _, e in got] == [full, bare, full]
    back = got[0][1]
    assert type(back.order_id) is int and type(back.vehicle_id) is str and back.type is EventType.WAVE_PLANNED
    assert back.data == front and back.objects()["label_id"] == "L-0a1"
    with _raw(db_path) as conn:
        text = conn.execute("SELECT data FROM events WHERE run_id = ? AND seq = 1", [run_id]).fetchone()[0]
    assert text == json.dumps(front, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def test_buffered_events_become_visible_only_after_flush(db_path):
    """Recorded events sit in the buffer until flush() (or every flush_every events) commits them."""
    with EventLog.open(db_path, flush_every=4) as log:
        run_id = _start(log)
        for e in _sample_events()[:3]:
            log.record(e)
        assert log.pending == 3 and _count(db_path) == 0 and log.events(run_id) == []
        log.record(_sample_events()[3])
        assert log.pending == 4 and _count(db_path) == 0
        log.record(_sample_events()[4])  # a full buffer is flushed before the 5th joins it
        assert log.pending == 1 and _count(db_path) == 4
        assert log.flush() == 1 and _count(db_path) == 5
        assert log.flush() == 0


def test_a_failed_flush_leaves_no_partial_batch_and_keeps_the_buffer(db_path):
    """A database error mid-batch rolls the whole batch back; earlier batches stay; a retry writes it once."""
    with EventLog.open(db_path, flush_every=1_000) as log:
        run_id = _start(log)
        for i in range(3):
            log.record(Event(t=float(i), type=EventType.PICKED, order_id=i))
        log.flush()  # batch 1: seq 1..3, committed
        # A real SQLite failure on the 4th row of the next batch, after its first 3 rows were inserted.
        log.db.execute(
            "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.seq = 7 BEGIN SELECT RAISE(ABORT, 'boom at seq 7'); END"
        )
        for i in range(3, 13):
            log.record(Event(t=float(i), type=EventType.PACKED, order_id=i))
        with pytest.raises(sqlite3.IntegrityError, match="boom at seq 7"):
            log.flush()
        assert not log.db.conn.in_transaction
        assert _count(db_path) == 3  # another connection sees batch 1 only
        assert [r[0] for r in log.db.execute("SELECT seq FROM events ORDER BY seq")] == [1, 2, 3]
        assert log.pending == 10
        log.db.execute("DROP TRIGGER boom")
        assert log.flush() == 10
        assert [seq for seq, _ in log.iter_events(run_id)] == list(range(1, 14))


def test_a_bad_event_is_rejected_at_record_and_uses_no_seq(db_path):
    """Non-JSON data, lossy data, non-finite figures and wrong id types raise in record(), buffering nothing."""
    bad = [
        Event(t=1.0, type=EventType.WAVE_PLANNED, data={"front": object()}),
        Event(t=1.0, type=EventType.WAVE_PLANNED, data={"front": (1.0, 2.0)}),  # a tuple would come back a list
        Event(t=1.0, type=EventType.WAVE_PLANNED, data={1: "int key"}),  # would come back a str key
        Event(t=1.0, type=EventType.WAVE_PLANNED, data={"x": math.nan}),
        Event(t=math.nan, type=EventType.ARRIVED),
        Event(t=1.0, type=EventType.ARRIVED, km=math.inf),
        Event(t=1.0, type=EventType.ARRIVED, km="far"),
        Event(t=1.0, type=EventType.ARRIVED, order_id=True),
        Event(t=1.0, type=EventType.ARRIVED, order_id=1.5),
        Event(t=1.0, type=EventType.ARRIVED, order_id=2**63),
        Event(t=1.0, type="teleported"),
    ]
    with EventLog.open(db_path) as log:
        with pytest.raises(RuntimeError, match="no active run"):
            log.record(Event(t=0.0, type=EventType.ARRIVED))
        run_id = _start(log)
        for event in bad:
            with pytest.raises((TypeError, ValueError, OverflowError)):
                log.record(event)
        assert log.pending == 0
        assert log.record(Event(t=2.0, type=EventType.ARRIVED, order_id=5)) == 1
        log.finish_run("completed")
        assert log.events(run_id) == [Event(t=2.0, type=EventType.ARRIVED, order_id=5)]


# --- runs and their status ---------------------------------------------------------------------


def test_start_run_stores_canonical_scenario_and_its_hash(db_path):
    """runs holds the scenario as canonical JSON, its SHA-256, seed and version, status running."""
    shuffled = '{ "routing": {"policy": "greedy"},\n "simulation": {"seed": 7, "days": 1} }'
    with EventLog.open(db_path) as log:
        a = _start(log, scenario_json=SCENARIO, seed=3)
        run = log.get_run(a)
        assert run.status is RunStatus.RUNNING and run.finished_at is None and run.seed == 3 and run.version == "test"
        log.finish_run("completed")
        b = _start(log, scenario_json=shuffled)
        log.finish_run("completed")
        canonical = json.dumps(SCENARIO, sort_keys=True, separators=(",", ":"))
        assert log.get_run(a).scenario_json == canonical
        assert log.get_run(a).scenario_hash == log.get_run(b).scenario_hash == hashlib.sha256(canonical.encode()).hexdigest()
        assert [r.run_id for r in log.runs()] == [a, b]
        with pytest.raises(KeyError):
            log.get_run(999)


def test_run_context_marks_completed_with_timings(db_path):
    """Normal exit flushes, marks completed, and stores wall and routing seconds; the run is no longer active."""
    with EventLog.open(db_path, flush_every=1_000) as log:
        with log.run(scenario="tiny", scenario_json=SCENARIO, seed=1) as run_id:
            for e in _sample_events():
                log.record(e)
            log.add_routing_seconds(0.25)
            log.add_routing_seconds(0.5)
        run = log.get_run(run_id)
        assert log.active_run_id is None and log.pending == 0
        assert run.status is RunStatus.COMPLETED and run.error is None and run.finished_at
        assert run.wall_seconds >= 0 and run.routing_seconds == pytest.approx(0.75)
        assert log.events(run_id) == _sample_events()


def test_run_context_marks_failed_keeps_events_and_reraises(db_path):
    """An exception inside run(): re-raised, status failed, traceback stored, events recorded before it kept."""
    with EventLog.open(db_path, flush_every=1_000) as log:
        with pytest.raises(ZeroDivisionError):
            with log.run(scenario="tiny", scenario_json=SCENARIO, seed=1) as run_id:
                for e in _sample_events()[:3]:
                    log.record(e)
                1 / 0  # noqa: B018 (the error is the point)
        run = log.get_run(run_id)
        assert run.status is RunStatus.FAILED and run.finished_at is not None
        assert "ZeroDivisionError: division by zero" in run.error and "Traceback" in run.error
        assert log.events(run_id) == _sample_events()[:3]
        assert log.active_run_id is None


def test_run_context_marks_interrupted_on_ctrl_c(db_path):
    """KeyboardInterrupt inside run(): re-raised, status interrupted, events recorded before it kept."""
    with EventLog.open(db_path, flush_every=1_000) as log:
        with pytest.raises(KeyboardInterrupt):
            with log.run(scenario="tiny", scenario_json=SCENARIO, seed=1) as run_id:
                for e in _sample_events()[:2]:
                    log.record(e)
                raise KeyboardInterrupt
    with EventLog.open(db_path) as log:  # what a later reader of the file finds
        run = log.get_run(run_id)
        assert run.status is RunStatus.INTERRUPTED and "KeyboardInterrupt" in run.error
        assert log.events(run_id) == _sample_events()[:2]


def test_a_failing_final_flush_marks_the_run_failed(db_path):
    """If the last flush fails on a normal exit, the run is marked failed with the reason and the error raised."""
    with EventLog.open(db_path, flush_every=1_000) as log:
        log.db.execute("CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
        with pytest.raises(sqlite3.IntegrityError, match="disk says no"):
            with log.run(scenario="tiny", scenario_json=SCENARIO, seed=1) as run_id:
                log.record(_sample_events()[0])
        run = log.get_run(run_id)
        assert run.status is RunStatus.FAILED and "1 buffered events were not written" in run.error
        assert _count(db_path) == 0 and log.active_run_id is None


def test_closing_with_an_active_run_flushes_and_marks_it_interrupted(db_path):
    """close() never leaves a run 'running': it flushes and marks it interrupted."""
    log = EventLog.open(db_path, flush_every=1_000)
    run_id = _start(log)
    log.record(_sample_events()[0])
    log.close()
    with EventLog.open(db_path) as again:
        assert again.get_run(run_id).status is RunStatus.INTERRUPTED
        assert again.events(run_id) == _sample_events()[:1]


# --- readers -------------------------------------------------------------------------------------


def test_reader_filters_by_type_order_vehicle_time_window_and_limit(db_path):
    """Each filter selects exactly the matching events of that run, in seq order; filters combine with AND."""
    ev = _sample_events()
    with EventLog.open(db_path) as log:
        other = _start(log)
        log.record(Event(t=30.0, type=EventType.DELIVERED, order_id=1, vehicle_id=7))
        log.finish_run("completed")
        run_id = _start(log)
        for e in ev:
            log.record(e)
        log.finish_run("completed")

        assert log.events(run_id, type=EventType.DELIVERED) == [ev[3], ev[4]]
        assert log.events(run_id, type="order_placed") == [ev[0], ev[1]]
        assert log.events(run_id, type=[EventType.VEHICLE_DEPARTED, "vehicle_returned"]) == [ev[2], ev[5]]
        assert log.events(run_id, type=[]) == []
        assert log.events(run_id, order_id=1) == [ev[0], ev[3]]
        assert log.events(run_id, order_id="1") == []  # an int id never matches its str spelling
        assert log.events(run_id, vehicle_id=7) == [ev[2], ev[3], ev[5]]
        assert log.events(run_id, t_from=10, t_to=40) == [ev[1], ev[2], ev[3]]  # t_from <= t < t_to
        assert log.events(run_id, t_from=45) == [ev[5]]
        assert log.events(run_id, limit=2) == ev[:2]
        assert log.events(run_id, limit=0) == []
        assert log.events(run_id, vehicle_id=7, t_to=35, type=EventType.DELIVERED) == [ev[3]]
        assert len(log.events(other)) == 1 and log.events(run_id + 100) == []
        with pytest.raises(ValueError):
            log.events(run_id, limit=-1)


@pytest.mark.parametrize("evil", ["x' OR 1=1 --", "1; DROP TABLE events; --", '" OR ""="', "%", "*"])
def test_filter_values_containing_sql_match_nothing_and_break_nothing(db_path, evil):
    """Filter values are bound parameters: SQL in them matches no event and leaves the tables intact."""
    with EventLog.open(db_path) as log:
        run_id = _start(log)
        for e in _sample_events():
            log.record(e)
        log.finish_run("completed")
        assert log.events(run_id, type=evil) == []
        assert log.events(run_id, order_id=evil) == []
        assert log.events(run_id, vehicle_id=evil) == []
        assert log.events(run_id, type=[evil, "delivered"]) == _sample_events()[3:5]
        assert len(log.events(run_id)) == 6 and len(log.runs()) == 1
    assert _count(db_path) == 6


# --- reproducibility -----------------------------------------------------------------------------


def test_canonical_hash_depends_on_the_events_only(tmp_path):
    """Same events give the same hash across files and run ids; a changed figure or id type changes it."""

    def write(path: Path, events: list[Event], runs_before: int = 0) -> str:
        with EventLog.open(path) as log:
            for _ in range(runs_before):  # shifts the run id
                _start(log)
                log.finish_run("completed")
            run_id = _start(log, version=f"v{runs_before}")
            for e in events:
                log.record(e)
            log.finish_run("completed")
            return log.canonical_hash(run_id)

    ev = _sample_events()
    base = write(tmp_path / "a.db", ev)
    assert write(tmp_path / "b.db", ev, runs_before=2) == base
    nudged = list(ev)
    nudged[3] = Event(t=30.0, type=EventType.DELIVERED, order_id=1, vehicle_id=7, km=12.500000000000002, lateness=-3.0)
    assert write(tmp_path / "c.db", nudged) != base
    retyped = list(ev)
    retyped[0] = Event(t=0.0, type=EventType.ORDER_PLACED, order_id="1", consumer_id=11, product_id=101, quantity=2)
    assert write(tmp_path / "d.db", retyped) != base
    assert write(tmp_path / "e.db", ev[:-1]) != base
    assert len(base) == 64


# --- property ------------------------------------------------------------------------------------

_ids = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=8))
_figures = st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False))
_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=6)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
_events = st.builds(
    Event,
    t=st.floats(min_value=0, max_value=1e7, allow_nan=False),
    type=st.sampled_from(EventType),
    data=st.one_of(st.none(), st.dictionaries(st.text(max_size=4), _json, max_size=3)),
    **{name: _ids for name in ID_FIELDS},
    **{name: _figures for name in FIGURE_FIELDS},
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(_events, max_size=12), flush_every=st.integers(1, 5))
def test_any_events_written_and_read_back_are_equal(events, flush_every):
    """Property: any list of valid events, written in batches of any size, reads back equal and in order."""
    with tempfile.TemporaryDirectory() as tmp:
        with EventLog.open(Path(tmp) / "p.db", flush_every=flush_every) as log:
            run_id = _start(log)
            for e in events:
                log.record(e)
            log.finish_run("completed")
            assert log.events(run_id) == events
            assert [seq for seq, _ in log.iter_events(run_id)] == list(range(1, len(events) + 1))


def test_open_existing_leaves_a_foreign_database_untouched(tmp_path):
    """Reading commands open logs with open_existing: a SQLite file of someone else's (a
    compare results file, say) is refused, not given the log's tables."""
    import sqlite3

    from sim.log.eventlog import EventLog

    foreign = tmp_path / "results.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE results (run_id INTEGER PRIMARY KEY)")
    before = foreign.read_bytes()
    with pytest.raises(ValueError, match="results.db: not a carbonsim event log"):
        EventLog.open_existing(foreign)
    assert foreign.read_bytes() == before
    with pytest.raises(ValueError, match="no such event log file"):
        EventLog.open_existing(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    with EventLog.open(tmp_path / "log.db"):
        pass
    with EventLog.open_existing(tmp_path / "log.db") as log:
        assert log.runs() == []
