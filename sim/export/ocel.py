"""Export one run of the event log as an OCEL 2.0 object-centric event log (SQLite format).

The file follows the standard's relational schema (https://www.ocel-standard.org, "SQLite"
format; EVENTLOG.md section 1): the fixed tables ``event``, ``object``, ``event_object``,
``object_object``, ``event_map_type`` and ``object_map_type``, one ``event_<Map>`` table per
event type and one ``object_<Map>`` table per object type, with the primary and foreign keys
the standard's 24 validation queries look for::

    with EventLog.open("carbonsim.db") as log:
        counts = export_ocel(log, run_id=1, out="run1.sqlite")

What goes where:

* every event of the run is one OCEL event, id ``e<seq>`` (zero-padded), type = the log's
  event type, time = the scenario's ``start_date`` at midnight plus ``t`` minutes (the
  simulated calendar has no time zone; it is written as UTC), events sharing an instant a
  microsecond apart in ``seq`` order (see ``_Clock``);
* every filled id field of an event is one event-to-object relation, qualified by the field's
  name without ``_id``; object ids are ``<type>:<id>`` (``order:42``, ``vehicle:van-03``);
* object attributes and object-to-object relations are the ones the events state outright
  (see ``_ObjectFacts``); nothing is inferred from the simulator's code.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from sim.export.outputs import check_output, write_output
from sim.log.eventlog import EventLog
from sim.log.events import FIGURE_FIELDS, ID_FIELDS, ObjectId

__all__ = ["OcelCounts", "export_ocel", "OBJECT_ATTRIBUTES"]

#: Object types and their attribute columns (name, OCEL/SQLite type), in table order.
#: ``recommender`` is the run's recommender: the one object of the events that touch no
#: object in the log (``recommender_trained``, and ``sessions_counted``, the hourly tally of the
#: sessions the recommender served without a click), which readers such as pm4py would drop.
OBJECT_ATTRIBUTES: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "order": (
            ("value", "REAL"),
            ("mass_kg", "REAL"),
            ("units", "REAL"),
            ("volume_l", "REAL"),
            ("zone", "TEXT"),
            ("option", "TEXT"),
            ("depot", "INTEGER"),
            ("green_units", "INTEGER"),
            ("window_start", "TIMESTAMP"),
            ("window_end", "TIMESTAMP"),
        ),
        "product": (("category", "TEXT"), ("grade", "TEXT"), ("green", "BOOLEAN"), ("low_carbon", "BOOLEAN")),
        "vehicle": (("vehicle_type", "TEXT"), ("capacity_kg", "REAL"), ("depot", "INTEGER"), ("electric", "BOOLEAN")),
        "route": (
            ("depot", "INTEGER"),
            ("km", "REAL"),
            ("kg_co2e", "REAL"),
            ("cost", "REAL"),
            ("penalty", "REAL"),
            ("duration_min", "REAL"),
        ),
        "consumer": (("points_balance", "INTEGER"),),
        "wave": (
            ("algorithm", "TEXT"),
            ("depot", "INTEGER"),
            ("vehicles", "INTEGER"),
            ("iterations", "INTEGER"),
            ("time_capped", "BOOLEAN"),
            ("km", "REAL"),
            ("kg_co2e", "REAL"),
            ("cost", "REAL"),
        ),
        "label": (("subject", "TEXT"), ("kg_co2e", "REAL"), ("method", "TEXT"), ("scope", "TEXT")),
        "recommender": (),
    }
)

#: Event types whose events touch no object, and the object that stands in for them.
_CONTEXT_OBJECT = {"recommender_trained": "recommender", "sessions_counted": "recommender"}
#: Any other object-less event type (none today) is tied to the run itself.
_RUN_OBJECT = "run"

# The standard's example gives an object's initial attribute row the UNIX epoch as its time.
_EPOCH = "1970-01-01T00:00:00.000000Z"
# Consecutive events can carry times that differ in the last bits of a float (the same instant
# computed two ways); see _Clock.
_CLOCK_NOISE_US = 1_000
_INT64 = 2**63


@dataclass(frozen=True, slots=True)
class OcelCounts:
    """What :func:`export_ocel` wrote.

    ``events`` and ``events_by_type`` count OCEL events (one per log event); ``objects_by_type``
    the objects per object type; ``e2o`` the event-to-object rows, ``o2o`` the object-to-object
    rows and ``o2o_by_qualifier`` those per qualifier; ``object_changes`` the attribute-change
    rows (beyond each object's initial row).
    """

    events: int
    events_by_type: Mapping[str, int] = field(hash=False)
    objects_by_type: Mapping[str, int] = field(hash=False)
    e2o: int
    o2o: int
    o2o_by_qualifier: Mapping[str, int] = field(hash=False)
    object_changes: int

    @property
    def objects(self) -> int:
        """All objects, of every type."""
        return sum(self.objects_by_type.values())


def export_ocel(
    log: EventLog,
    run_id: int,
    out: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> OcelCounts:
    """Write run ``run_id`` of ``log`` to ``out`` as an OCEL 2.0 SQLite file and return the counts.

    ``out`` must not exist unless ``overwrite`` is true (FileExistsError otherwise), and is
    never one of ``inputs`` (the log read, say), even with ``overwrite``. The file is built
    under a temporary name in the same folder and renamed into place once complete
    (:mod:`sim.export.outputs`), so a failure leaves no partial file and an overwritten file (or a
    link) is replaced whole. KeyError if the
    log has no such run. Events: all of the run's flushed events, in ``seq`` order; see the
    module docstring for ids, times, relations and attributes.
    """
    out_path = check_output(out, overwrite=overwrite, inputs=inputs, flag="overwrite=True")
    record = log.get_run(run_id)
    start = date.fromisoformat(str(json.loads(record.scenario_json)["simulation"]["start_date"])[:10])
    model = _build(log, run_id, _Clock(datetime(start.year, start.month, start.day)))
    # built by SQLite itself under the temporary name, so it gets the usual permissions
    write_output(out_path, lambda tmp: _write(model, tmp), overwrite=overwrite, inputs=inputs, flag="overwrite=True")
    return model.counts()


# --------------------------------------------------------------------------------------------
# Reading the log into an OCEL model
# --------------------------------------------------------------------------------------------


class _Clock:
    """Simulated minutes as ISO 8601 timestamps (microseconds, ``Z``), strictly increasing
    along ``seq``.

    Many events share an instant (a whole order is placed, reserved and picked at once; every
    product is stocked and graded at t = 0), and readers break such ties their own way: pm4py's
    directly-follows discovery takes tied events in the order of their event-type tables, so
    "packed" would come before "picked". The log's ``seq`` is the true order, so an event whose
    time does not exceed the previous event's written time is written one microsecond after it.
    That moves a time by at most one microsecond per event in the burst (about 1 ms for the
    ~1000 events at t = 0 of a default week), far below the simulation's resolution.
    Float noise is treated the same way: the same instant computed along two paths can come
    out one ulp earlier than the event before it. A step back of more than
    ``_CLOCK_NOISE_US`` would be a real property of the log and is written as it is.
    """

    __slots__ = ("_base", "_days", "_last_us", "_last_true_us")

    def __init__(self, base: datetime) -> None:
        self._base = base
        self._days: dict[int, str] = {}
        self._last_us: int | None = None
        self._last_true_us = 0

    def event_time(self, t: float) -> str:
        true_us = us = round(t * 60_000_000)
        last = self._last_us
        if last is not None and true_us <= last and true_us >= self._last_true_us - _CLOCK_NOISE_US:
            us = last + 1
        self._last_us, self._last_true_us = us, true_us
        return self.text(us)

    def text(self, us: int) -> str:
        # by hand rather than datetime.strftime: this runs once per event
        day, rest = divmod(us, 86_400_000_000)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (self._base + timedelta(days=day)).strftime("%Y-%m-%dT")
        seconds, micro = divmod(rest, 1_000_000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return f"{prefix}{hour:02d}:{minute:02d}:{second:02d}.{micro:06d}Z"

    def minutes(self, t: Any) -> str | None:
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            return None
        return self.text(round(t * 60_000_000))


@dataclass(slots=True)
class _EventType:
    """The events of one type: their rows, and which figures and data keys they carry."""

    ids: list[str] = field(default_factory=list)
    times: list[str] = field(default_factory=list)
    figures: list[tuple] = field(default_factory=list)
    data: list[dict[str, Any] | None] = field(default_factory=list)
    figures_present: set[str] = field(default_factory=set)
    data_keys: dict[str, None] = field(default_factory=dict)


@dataclass(slots=True)
class _Model:
    facts: _ObjectFacts
    events: list[tuple[str, str]] = field(default_factory=list)
    by_type: dict[str, _EventType] = field(default_factory=dict)
    # (object type, raw id) -> OCEL object id, in first-seen order
    objects: dict[tuple[str, ObjectId], str] = field(default_factory=dict)
    e2o: list[tuple[str, str, str]] = field(default_factory=list)

    def counts(self) -> OcelCounts:
        o2o = self.facts.o2o_rows(self.objects)
        return OcelCounts(
            events=len(self.events),
            events_by_type=MappingProxyType({k: len(v.ids) for k, v in self.by_type.items()}),
            objects_by_type=MappingProxyType(dict(Counter(otype for otype, _ in self.objects))),
            e2o=len(self.e2o),
            o2o=len(o2o),
            o2o_by_qualifier=MappingProxyType(dict(Counter(q for _, _, q in o2o))),
            object_changes=len(self.facts.change_rows(self.objects)),
        )


class _ObjectFacts:
    """Object attributes and object-to-object relations, each taken from an event that states it.

    Attributes that describe the object (an order's value, a vehicle's type) go in its initial
    row; attributes the log shows changing at a time (a product's grade, a consumer's points
    balance) become change rows at that time. Relations:

    * order -contains-> product: an order_placed ``lines`` entry, or stock_reserved /
      backordered (an order and one of its products);
    * order -placed_by-> consumer: order_placed;
    * route -driven_by-> vehicle and wave -plans-> route: vehicle_departed;
    * route -carries-> order: vehicle_departed ``orders``, and arrived / delivered /
      delivery_failed (an order and the route it rode);
    * label -labels-> product: grade_changed; label -labels-> order: label_issued.
    """

    def __init__(self, clock: _Clock) -> None:
        self._clock = clock
        self.static: dict[tuple[str, ObjectId], dict[str, Any]] = {}
        self.current: dict[tuple[str, ObjectId], dict[str, Any]] = {}
        # (object key, time, column, value)
        self.changes: list[tuple[tuple[str, ObjectId], str, str, Any]] = []
        self.o2o: dict[tuple[tuple[str, ObjectId], tuple[str, ObjectId], str], None] = {}

    def _set(self, key: tuple[str, ObjectId], **values: Any) -> None:
        if key[1] is None:
            return
        attrs = self.static.setdefault(key, {})
        for name, value in values.items():
            if value is not None and name not in attrs:
                attrs[name] = value

    def _change(self, key: tuple[str, ObjectId], time: str, **values: Any) -> None:
        if key[1] is None:
            return
        state = self.current.setdefault(key, {})
        for name, value in values.items():
            if value is not None and state.get(name) != value:
                state[name] = value
                self.changes.append((key, time, name, value))

    def _relate(self, source: tuple[str, Any], target: tuple[str, Any], qualifier: str) -> None:
        if source[1] is not None and target[1] is not None:
            self.o2o[(source, target, qualifier)] = None

    def observe(self, etype: str, ev: Any, time: str) -> None:
        d = ev.data or {}
        if etype == "order_placed":
            window = d.get("window")
            start, end = window if isinstance(window, list) and len(window) == 2 else (None, None)
            self._set(
                ("order", ev.order_id),
                value=d.get("value"),
                mass_kg=ev.load,
                units=ev.quantity,
                volume_l=d.get("volume_l"),
                zone=d.get("zone"),
                option=d.get("option"),
                depot=d.get("depot"),
                green_units=d.get("green_units"),
                window_start=self._clock.minutes(start),
                window_end=self._clock.minutes(end),
            )
            self._relate(("order", ev.order_id), ("consumer", ev.consumer_id), "placed_by")
            for line in d.get("lines") or ():
                if isinstance(line, list) and line:
                    self._relate(("order", ev.order_id), ("product", line[0]), "contains")
        elif etype in ("stock_reserved", "backordered"):
            self._relate(("order", ev.order_id), ("product", ev.product_id), "contains")
        elif etype == "grade_changed":
            self._set(("product", ev.product_id), category=d.get("category"))
            self._change(
                ("product", ev.product_id), time, grade=d.get("to"), green=d.get("green"), low_carbon=d.get("low_carbon")
            )
            self._set(("label", ev.label_id), subject="product")
            self._relate(("label", ev.label_id), ("product", ev.product_id), "labels")
        elif etype == "label_issued":
            self._set(("label", ev.label_id), subject="order", kg_co2e=ev.kg_co2e, method=d.get("method"), scope=d.get("scope"))
            self._relate(("label", ev.label_id), ("order", ev.order_id), "labels")
        elif etype == "wave_planned":
            self._set(
                ("wave", ev.wave_id),
                algorithm=d.get("algorithm"),
                depot=d.get("depot"),
                vehicles=d.get("vehicles"),
                iterations=d.get("iterations"),
                time_capped=d.get("time_capped"),
                km=ev.km,
                kg_co2e=ev.kg_co2e,
                cost=ev.cost,
            )
        elif etype == "vehicle_departed":
            self._set(
                ("vehicle", ev.vehicle_id),
                vehicle_type=d.get("vehicle_type"),
                capacity_kg=d.get("capacity_kg"),
                depot=d.get("depot"),
            )
            self._set(("route", ev.route_id), depot=d.get("depot"))
            self._relate(("route", ev.route_id), ("vehicle", ev.vehicle_id), "driven_by")
            self._relate(("wave", ev.wave_id), ("route", ev.route_id), "plans")
            for order in d.get("orders") or ():
                self._relate(("route", ev.route_id), ("order", order), "carries")
        elif etype in ("arrived", "delivered", "delivery_failed"):
            self._relate(("route", ev.route_id), ("order", ev.order_id), "carries")
        elif etype == "vehicle_returned":
            self._set(("vehicle", ev.vehicle_id), electric=d.get("electric"))
            self._set(
                ("route", ev.route_id),
                km=ev.km,
                kg_co2e=ev.kg_co2e,
                cost=ev.cost,
                penalty=d.get("penalty"),
                duration_min=d.get("duration"),
            )
        elif etype in ("points_earned", "points_redeemed"):
            self._change(("consumer", ev.consumer_id), time, points_balance=d.get("balance"))

    def change_rows(self, objects: Mapping[tuple[str, ObjectId], str]) -> list[tuple]:
        """The attribute changes of written objects, as (object key, time, column, value)."""
        known = {otype: {name for name, _ in attrs} for otype, attrs in OBJECT_ATTRIBUTES.items()}
        return [c for c in self.changes if c[0] in objects and c[2] in known.get(c[0][0], ())]

    def o2o_rows(self, objects: Mapping[tuple[str, ObjectId], str]) -> list[tuple[str, str, str]]:
        # A relation to an object no event touches is left out: such an object would have no
        # event-to-object row, and readers drop those objects (pm4py does, silently).
        rows = []
        for source, target, qualifier in self.o2o:
            s, t = objects.get(source), objects.get(target)
            if s is not None and t is not None:
                rows.append((s, t, qualifier))
        return rows


def _build(log: EventLog, run_id: int, clock: _Clock) -> _Model:
    model = _Model(facts=_ObjectFacts(clock))
    objects, e2o, facts = model.objects, model.e2o, model.facts
    qualifiers = {name: name.removesuffix("_id") for name in ID_FIELDS}
    last_seq = log.db.execute("SELECT max(seq) FROM events WHERE run_id = ?", [run_id]).fetchone()[0]
    # zero-padded so that ordering by id text is ordering by seq (readers break time ties by id
    # or by row order; both then agree with the log)
    width = len(str(last_seq or 0))
    for seq, ev in log.iter_events(run_id):
        etype = str(ev.type)
        eid = f"e{seq:0{width}d}"
        time = clock.event_time(ev.t)
        model.events.append((eid, etype))
        group = model.by_type.get(etype)
        if group is None:
            group = model.by_type[etype] = _EventType()
        group.ids.append(eid)
        group.times.append(time)
        figures = (ev.km, ev.kg_co2e, ev.load, ev.lateness, ev.stock_level, ev.quantity, ev.cost)
        group.figures.append(figures)
        for name, value in zip(FIGURE_FIELDS, figures):
            if value is not None:
                group.figures_present.add(name)
        group.data.append(ev.data)
        if ev.data:
            group.data_keys.update(dict.fromkeys(ev.data))

        touched = ev.objects()
        if not touched:
            otype = _CONTEXT_OBJECT.get(etype, _RUN_OBJECT)
            touched = {otype: run_id}
        for name, raw in touched.items():
            otype = qualifiers.get(name, name)
            key = (otype, raw)
            oid = objects.get(key)
            if oid is None:
                oid = objects[key] = f"{otype}:{raw}"
            e2o.append((eid, oid, otype))
        facts.observe(etype, ev, time)

    if len(set(objects.values())) != len(objects):
        clashes = Counter(objects.values())
        raise ValueError(
            "object ids clash once written as text (an int id and a str id spelled alike): "
            + ", ".join(sorted(k for k, n in clashes.items() if n > 1)[:5])
        )
    return model


# --------------------------------------------------------------------------------------------
# Writing the SQLite file
# --------------------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _map_names(types: Iterable[str]) -> dict[str, str]:
    """Type name -> table-name suffix: alphanumeric CamelCase, unique ignoring case, because
    SQLite table names ignore case while the validator compares them exactly."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for t in types:
        base = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9A-Za-z]+", t) if part) or "Type"
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}{n}"
        taken.add(name.lower())
        names[t] = name
    return names


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "INTEGER" if -_INT64 <= value < _INT64 else "TEXT"
    if isinstance(value, float):
        return "REAL"
    return "TEXT"


def _column_type(values: Iterable[Any]) -> str:
    kinds = {_kind(v) for v in values if v is not None}
    if len(kinds) == 1:
        return kinds.pop()
    if kinds == {"INTEGER", "REAL"}:
        return "REAL"
    return "TEXT"  # no values, or mixed kinds: text holds them all


def _cell(value: Any, sql_type: str) -> Any:
    if value is None:
        return None
    if sql_type == "TEXT":
        # lists and dicts (a slate's products, a wave's front) as JSON text
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if sql_type == "BOOLEAN":
        return int(value)
    return value


def _event_columns(group: _EventType) -> tuple[list[str], list[tuple[str, str]]]:
    """The figure columns the type carries, and its data keys as (key, column name)."""
    figures = [name for name in FIGURE_FIELDS if name in group.figures_present]
    used = {"ocel_id", "ocel_time", *figures}
    keys = []
    for key in group.data_keys:
        column = key
        # a data key may repeat a figure (label_issued's kg_co2e) or differ from another
        # only in case, which SQLite column names ignore
        while column.lower() in used or column.lower().startswith("ocel_"):
            column = f"data_{column}"
        used.add(column.lower())
        keys.append((key, column))
    return figures, keys


def _write(model: _Model, path: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        # a private file that is thrown away on any failure: no journal needed
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        _write_tables(conn, model)
        conn.execute("COMMIT")
    finally:
        conn.close()
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _write_tables(conn: sqlite3.Connection, model: _Model) -> None:
    conn.execute("CREATE TABLE event_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    conn.execute("CREATE TABLE object_map_type (ocel_type TEXT PRIMARY KEY, ocel_type_map TEXT)")
    conn.execute("CREATE TABLE event (ocel_id TEXT PRIMARY KEY, ocel_type TEXT REFERENCES event_map_type (ocel_type))")
    conn.execute("CREATE TABLE object (ocel_id TEXT PRIMARY KEY, ocel_type TEXT REFERENCES object_map_type (ocel_type))")
    conn.execute(
        "CREATE TABLE event_object (ocel_event_id TEXT REFERENCES event (ocel_id),"
        " ocel_object_id TEXT REFERENCES object (ocel_id), ocel_qualifier TEXT,"
        " PRIMARY KEY (ocel_event_id, ocel_object_id, ocel_qualifier))"
    )
    conn.execute(
        "CREATE TABLE object_object (ocel_source_id TEXT REFERENCES object (ocel_id),"
        " ocel_target_id TEXT REFERENCES object (ocel_id), ocel_qualifier TEXT,"
        " PRIMARY KEY (ocel_source_id, ocel_target_id, ocel_qualifier))"
    )

    event_maps = _map_names(model.by_type)
    conn.executemany("INSERT INTO event_map_type VALUES (?, ?)", event_maps.items())
    conn.executemany("INSERT INTO event VALUES (?, ?)", model.events)
    for etype, group in model.by_type.items():
        figures, keys = _event_columns(group)
        fig_index = [FIGURE_FIELDS.index(name) for name in figures]
        key_types = [_column_type((d or {}).get(key) for d in group.data) for key, _ in keys]
        columns = [f"{name} REAL" for name in figures]
        columns += [f"{_q(column)} {sql_type}" for (_, column), sql_type in zip(keys, key_types)]
        table = _q(f"event_{event_maps[etype]}")
        conn.execute(
            f"CREATE TABLE {table} (ocel_id TEXT PRIMARY KEY REFERENCES event (ocel_id),"
            f" ocel_time TIMESTAMP{''.join(', ' + c for c in columns)})"
        )
        rows = (
            (
                eid,
                time,
                *(fig[i] for i in fig_index),
                *(_cell((d or {}).get(key), sql_type) for (key, _), sql_type in zip(keys, key_types)),
            )
            for eid, time, fig, d in zip(group.ids, group.times, group.figures, group.data)
        )
        marks = ", ".join("?" * (2 + len(figures) + len(keys)))
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    object_types = list(dict.fromkeys(otype for otype, _ in model.objects))
    object_maps = _map_names(object_types)
    conn.executemany("INSERT INTO object_map_type VALUES (?, ?)", object_maps.items())
    conn.executemany("INSERT INTO object VALUES (?, ?)", ((oid, otype) for (otype, _), oid in model.objects.items()))
    facts = model.facts
    changes_by_type: dict[str, list] = {}
    for change in facts.change_rows(model.objects):
        changes_by_type.setdefault(change[0][0], []).append(change)
    for otype in object_types:
        attrs = OBJECT_ATTRIBUTES.get(otype, ())
        table = _q(f"object_{object_maps[otype]}")
        conn.execute(
            f"CREATE TABLE {table} (ocel_id TEXT REFERENCES object (ocel_id), ocel_time TIMESTAMP,"
            f" ocel_changed_field TEXT{''.join(f', {_q(n)} {t}' for n, t in attrs)})"
        )
        marks = ", ".join("?" * (3 + len(attrs)))
        # every object gets its initial row, even with no known attribute: readers drop an
        # object that has none
        initial = (
            (oid, _EPOCH, None, *(_cell(facts.static.get(key, {}).get(n), t) for n, t in attrs))
            for key, oid in model.objects.items()
            if key[0] == otype
        )
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", initial)
        changes = (
            (model.objects[key], time, name, *(_cell(value, t) if n == name else None for n, t in attrs))
            for key, time, name, value in changes_by_type.get(otype, ())
        )
        conn.executemany(f"INSERT INTO {table} VALUES ({marks})", changes)

    conn.executemany("INSERT INTO event_object VALUES (?, ?, ?)", model.e2o)
    conn.executemany("INSERT INTO object_object VALUES (?, ?, ?)", facts.o2o_rows(model.objects))
