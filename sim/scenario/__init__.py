"""Scenario files: the schema of a simulation run, loading, ``extends`` and ``--set``.

A scenario is one TOML file whose tables mirror the frozen dataclasses below
(``[simulation]`` -> :class:`Simulation`, ``[routing]`` -> :class:`Routing`, ...). Every
field has a default, so an empty file is a valid scenario (the defaults *are* the shipped
``scenarios/baseline.toml``), and every field declares its unit and allowed values in its
metadata, which also generates the field reference in ``scenarios/README.md``.

Loading::

    from sim.scenario import Scenario
    s = Scenario.from_file("scenarios/green.toml", ["routing.w2=0.8"])
    s.routing.policy, s.canonical_hash()

* ``extends = "baseline.toml"`` (top level, resolved relative to the file, recursively,
  cycles rejected): the child states only what differs; tables merge key by key, any
  other value (arrays included) replaces the parent's.
* overrides ``table.key=VALUE`` are applied after the chain, like a tiny last child
  file. VALUE is TOML (``0.8``, ``true``, ``"mogwo"``, ``[1, 2]``, ``{x = 1}``); a bare word
  that is not valid TOML is taken as a string, so ``routing.policy=mogwo`` works. An
  element of an array of tables is addressed as ``fleet.vehicles[0].count=3``.
* validation is strict: unknown tables and keys, wrong types (an integer is accepted
  where a number is expected, nothing else is converted; booleans are not integers),
  values out of range and bad choices are all reported in one :class:`ScenarioError`,
  one line per problem, each naming the file that stated the value, the dotted field,
  the value and what is allowed.

Constructing the dataclasses directly (or with ``.replace()``) runs the same checks in
``__post_init__``, so an invalid scenario cannot exist in memory either.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import stat
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Iterable, Iterator, Literal, Sequence

from labels.grades import LETTERS as GRADE_LETTERS
from optimizer.algorithms import ALGORITHM_NAMES
from optimizer.model import HEAVY_TRUCK, LIGHT_TRUCK, MEDIUM_TRUCK, VehicleType
from optimizer.units import MINUTES_PER_DAY

#: optimizer.model's truck capacities are in demand units of 100 kg (see its comment on
#: LIGHT_TRUCK ...); scenario files state payloads in kg.
KG_PER_CAPACITY_UNIT = 100.0

_MISSING = object()

# ---------------------------------------------------------------------------------------
# Problems and the error
# ---------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]


def _dotted(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where (a dotted path), the value, and what is allowed."""

    path: Path_
    message: str
    value: Any = _MISSING
    source: str | None = None

    def prefixed(self, prefix: Path_) -> "Problem":
        return dataclasses.replace(self, path=tuple(prefix) + tuple(self.path))

    def render(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if not self.path:
            return f"{head}{self.message}"
        shown = "" if self.value is _MISSING else f" = {_show(self.value)}"
        return f"{head}{_dotted(self.path)}{shown}: {self.message}"


class ScenarioError(ValueError):
    """A scenario file, an override or a field value is invalid.

    ``str(error)`` has one line per problem, each naming the file (or ``--set``), the dotted
    field, the bad value and what is allowed. ``error.problems`` holds them as data.
    """

    def __init__(self, message: str | None = None, problems: Sequence[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if message is None:
            message = "\n".join(p.render() for p in self.problems)
        super().__init__(message)

    @classmethod
    def of(cls, problems: Iterable[Problem], source: str | None = None) -> "ScenarioError":
        ps = [p if p.source or source is None else dataclasses.replace(p, source=source) for p in problems]
        return cls(None, ps)


# ---------------------------------------------------------------------------------------
# Field metadata and rendering
# ---------------------------------------------------------------------------------------


def _f(
    default: Any = _MISSING,
    *,
    unit: str,
    doc: str,
    factory: Any = None,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    lt: float | None = None,
    item_ge: float | None = None,
    item_gt: float | None = None,
    item_le: float | None = None,
    length: int | None = None,
    min_len: int | None = None,
    max_len: int | None = None,
    allowed: str | None = None,
    default_doc: str | None = None,
    why: str | None = None,
) -> Any:
    """A dataclass field carrying its unit, meaning and allowed range (the schema's single source).

    ``why`` says where a bound comes from when it is a plausibility limit of ours rather than
    a definition (a share is in [0, 1] by definition; a truck's payload cap is our choice);
    it is shown in the README's allowed column."""
    meta = dict(
        unit=unit, doc=doc, ge=ge, gt=gt, le=le, lt=lt, item_ge=item_ge, item_gt=item_gt, item_le=item_le,
        length=length, min_len=min_len, max_len=max_len, allowed=allowed, default_doc=default_doc, why=why,
    )
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def _num(x: float) -> str:
    if x == 2**63 - 1:
        return "2^63-1"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def _range_text(ge=None, gt=None, le=None, lt=None) -> str:
    lo = f">= {_num(ge)}" if ge is not None else (f"> {_num(gt)}" if gt is not None else "")
    hi = f"<= {_num(le)}" if le is not None else (f"< {_num(lt)}" if lt is not None else "")
    if ge is not None and le is not None:
        return f"between {_num(ge)} and {_num(le)}"
    return " and ".join(s for s in (lo, hi) if s)


def _show(value: Any, limit: int = 80) -> str:
    """A value as it would be written in TOML, shortened for messages."""
    text = _toml_value(_plain(value)) if _is_tomlable(value) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_tomlable(value: Any) -> bool:
    try:
        _toml_value(_plain(value))
        return True
    except (TypeError, ValueError):
        return False


# ---------------------------------------------------------------------------------------
# Types: coercion with strict checks
# ---------------------------------------------------------------------------------------


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _is_section(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _kind(tp: Any) -> str:
    """How a type is named in messages and in the README ('an integer', 'a table', ...)."""
    origin = typing.get_origin(tp)
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if tp is date:
        return "a date (YYYY-MM-DD)"
    if origin is Literal:
        return "one of " + ", ".join(json.dumps(a) for a in typing.get_args(tp))
    if origin is tuple:
        item = typing.get_args(tp)[0]
        if _is_section(item):
            return "an array of tables"
        return {int: "an array of integers", float: "an array of numbers", str: "an array of strings"}[item]
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_kind(a) for a in typing.get_args(tp))
    if _is_section(tp):
        return "a table"
    raise TypeError(f"no kind for {tp!r}")  # pragma: no cover - schema bug


def _type_word(tp: Any) -> str:
    """Short type name for the README."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "string"
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return "array of tables" if _is_section(item) else f"array of {_type_word(item)}s"
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_type_word(a) for a in typing.get_args(tp))
    if _is_section(tp):
        return "table"
    return {bool: "boolean", int: "integer", float: "number", str: "string", date: "date"}[tp]


def _fits(value: Any, tp: Any) -> bool:
    """Whether a value has the right *shape* for one arm of a union."""
    origin = typing.get_origin(tp)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is tuple:
        return isinstance(value, (list, tuple))
    if _is_section(tp):
        return isinstance(value, (dict, tp))
    return True  # pragma: no cover - unions only combine the kinds above


def _coerce(value: Any, tp: Any, path: Path_, meta: dict | None = None) -> Any:
    """Check ``value`` against ``tp`` and return it normalised (int -> float, list -> tuple,
    ISO string -> date, table -> dataclass); raise ScenarioError with problems at ``path``."""
    meta = meta or {}
    origin = typing.get_origin(tp)

    def bad(what: str | None = None) -> ScenarioError:
        rng = _range_text(meta.get("ge"), meta.get("gt"), meta.get("le"), meta.get("lt"))
        msg = what or f"must be {_kind(tp)}" + (f" {rng}" if rng and tp in (int, float) else "")
        return ScenarioError.of([Problem(path, msg, value)])

    if tp is bool:
        if type(value) is bool:
            return value
        raise bad()
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise bad()
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad()
        if isinstance(value, float) and not math.isfinite(value):
            raise bad("must be a finite number")
        return float(value)
    if tp is str:
        if isinstance(value, str):
            return value
        raise bad()
    if tp is date:
        if type(value) is date:
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise bad("must be a date like 2024-06-13 (no time of day)" if isinstance(value, datetime) else None)
    if origin is Literal:
        if isinstance(value, str) and value in typing.get_args(tp):
            return value
        raise bad()
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise bad()
        # an oversized array is one problem, before its entries could each make another
        if meta.get("length") is not None and len(value) > meta["length"]:
            raise bad(f"must have exactly {meta['length']} entries, got {len(value)}")
        if meta.get("max_len") is not None and len(value) > meta["max_len"]:
            raise bad(f"must have at most {_entries(meta['max_len'])}, got {len(value)}")
        item_tp = typing.get_args(tp)[0]
        items, problems = [], []
        for i, item in enumerate(value):
            try:
                items.append(_coerce(item, item_tp, path + (i,)))
            except ScenarioError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ScenarioError.of(problems)
        return tuple(items)
    if origin in (types.UnionType, typing.Union):
        for arm in typing.get_args(tp):
            if _fits(value, arm):
                return _coerce(value, arm, path, meta)
        raise bad()
    if _is_section(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, dict):
            return _from_mapping(tp, value, path)
        raise bad()
    raise TypeError(f"unsupported schema type {tp!r}")  # pragma: no cover - schema bug


#: Fields that moved or were renamed: old dotted name -> new dotted name.
RENAMED: dict[str, str] = {
    "world.trust_share": "consumers.trust_share",
    "incentives.points_per_green_order": "incentives.points_per_green_purchase",
}


def _unknown_key(path: Path_, key: str, value: Any, allowed: Sequence[str], top: bool) -> Problem:
    dotted = ".".join(str(p) for p in path + (key,))
    if dotted in RENAMED:
        return Problem(path + (key,), f"has moved: write it as {RENAMED[dotted]}")
    what = "table" if top or isinstance(value, dict) else "field"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return Problem(path + (key,), f"unknown {what}{hint}; allowed: {', '.join(allowed)}")


def _from_mapping(cls: type, mapping: dict, path: Path_ = ()) -> Any:
    """Build a section from a TOML table, reporting unknown keys and every bad field."""
    names = [f.name for f in fields(cls)]
    problems = [
        _unknown_key(path, k, v, names, top=cls is Scenario) for k, v in mapping.items() if k not in names
    ]
    known = {k: v for k, v in mapping.items() if k in names}
    try:
        obj = cls(**known)
    except ScenarioError as exc:
        problems.extend(dataclasses.replace(p.prefixed(path), source=None) for p in exc.problems)
        obj = None
    if problems:
        raise ScenarioError.of(problems)
    return obj


class _Section:
    """Base of every scenario table: strict field checks, then the table's own rules."""

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        hints = _hints(type(self))
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            try:
                new = _coerce(value, hints[f.name], (f.name,), dict(f.metadata))
            except ScenarioError as exc:
                problems.extend(exc.problems)
                continue
            if new is not value:
                object.__setattr__(self, f.name, new)
            problems.extend(_check_range(f, new))
        if not problems:
            problems.extend(self._rules())
        if problems:
            raise ScenarioError.of(problems, source=type(self).__name__)

    def _rules(self) -> Iterator[Problem]:
        """Checks across fields of this table (none by default)."""
        return iter(())

    def replace(self, **changes: Any):
        """A validated copy with some fields changed (for what-if variants)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _within(value: float, ge=None, gt=None, le=None, lt=None) -> bool:
    return (
        (ge is None or value >= ge) and (gt is None or value > gt)
        and (le is None or value <= le) and (lt is None or value < lt)
    )


def _check_range(f: dataclasses.Field, value: Any) -> Iterator[Problem]:
    m = f.metadata
    path = (f.name,)
    rng = _range_text(m.get("ge"), m.get("gt"), m.get("le"), m.get("lt"))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and rng:
        if not _within(value, m["ge"], m["gt"], m["le"], m["lt"]):
            yield Problem(path, f"must be {rng}", value)
    if isinstance(value, tuple):
        if m.get("length") is not None and len(value) != m["length"]:
            yield Problem(path, f"must have exactly {m['length']} entries, got {len(value)}", value)
        if m.get("min_len") is not None and len(value) < m["min_len"]:
            yield Problem(path, f"must have at least {_entries(m['min_len'])}", value)
        if m.get("max_len") is not None and len(value) > m["max_len"]:
            yield Problem(path, f"must have at most {_entries(m['max_len'])}, got {len(value)}", value)
            return  # one line for a huge array, not one per entry
        item_rng = _range_text(m.get("item_ge"), m.get("item_gt"), m.get("item_le"))
        if item_rng:
            for i, item in enumerate(value):
                if not _within(item, m["item_ge"], m["item_gt"], m["item_le"]):
                    yield Problem(path + (i,), f"must be {item_rng}", item)


def _allowed_text(f: dataclasses.Field, tp: Any) -> str:
    """The 'allowed values' column of the README and the tail of type errors."""
    m = f.metadata
    parts = []
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union) and m.get("allowed"):
        return m["allowed"] + (f" ({m['why']})" if m.get("why") else "")
    if origin is Literal:
        parts.append(" \\| ".join(f'`"{a}"`' for a in typing.get_args(tp)))
    elif tp is bool:
        parts.append("`true` \\| `false`")
    rng = _range_text(m.get("ge"), m.get("gt"), m.get("le"), m.get("lt"))
    if rng:
        parts.append(rng)
    if m.get("length") is not None:
        parts.append(f"exactly {m['length']} entries")
    if m.get("min_len") is not None and m.get("max_len") is not None:
        parts.append(f"{m['min_len']} to {_entries(m['max_len'])}")
    elif m.get("min_len") is not None:
        parts.append(f"at least {_entries(m['min_len'])}")
    elif m.get("max_len") is not None:
        parts.append(f"at most {_entries(m['max_len'])}")
    item_rng = _range_text(m.get("item_ge"), m.get("item_gt"), m.get("item_le"))
    if item_rng:
        parts.append(f"each {item_rng}")
    if m.get("allowed"):
        parts.append(m["allowed"])
    text = "; ".join(parts) or ("any date" if tp is date else "any")
    return text + (f" ({m['why']})" if m.get("why") else "")


def _unique(path: Path_, names: Sequence[str], what: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield Problem(path + (i,), f"duplicate {what} {name!r}; {what}s must be unique", name)
        seen.add(name)


def _shares(obj: Any, path: Path_) -> Iterator[Problem]:
    total = sum(getattr(obj, f.name) for f in fields(obj))
    if abs(total - 1.0) > 1e-6:
        yield Problem(path, f"shares must sum to 1, got {total:.6g}", obj)


# ---------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------


#: The calendar a run may start in (ours: far enough for any study, and day 0 plus the longest
#: horizon and drain stays a valid date).
FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(2199, 12, 31)


@dataclass(frozen=True)
class Simulation(_Section):
    """``[simulation]``: the horizon and the seed of a run."""

    days: int = _f(7, unit="days", ge=1, le=3650, doc="Simulated horizon; day 0 starts at midnight of `start_date`.")
    seed: int = _f(
        0, unit="-", ge=0, le=2**63 - 1,
        doc="Root seed; every subsystem (demand, travel noise, choice, optimizer) gets its own stream spawned from it. `carbonsim run --seed` overrides it.",
    )
    start_date: date = _f(
        date(2024, 6, 13), unit="calendar date", allowed=f"{FIRST_DATE} to {LAST_DATE}", why="ours",
        doc="Date of day 0 (weekdays and festival dates are read from it); a TOML date `2024-06-13` or the string \"2024-06-13\".",
    )
    drain_days: int = _f(
        3, unit="days", ge=0, le=60,
        doc="After the horizon no new orders arrive and the world runs up to this many more days so orders in flight can finish; what is still open then ends `delivery_failed` (reason `run_ended`).",
    )

    def _rules(self) -> Iterator[Problem]:
        if not FIRST_DATE <= self.start_date <= LAST_DATE:
            yield Problem(("start_date",), f"must be between {FIRST_DATE} and {LAST_DATE}", self.start_date)


@dataclass(frozen=True)
class Depot(_Section):
    """One depot (distribution centre) on the plane."""

    x: float = _f(0.0, unit="km", ge=-5000.0, le=5000.0, why="ours: a plane about as wide as China", doc="East coordinate of the depot.")
    y: float = _f(0.0, unit="km", ge=-5000.0, le=5000.0, why="ours: a plane about as wide as China", doc="North coordinate of the depot.")


@dataclass(frozen=True)
class ZoneShares(_Section):
    """``[world.zones]``: how customers split over the delivery zones of paper Table 7.

    Table 7 reports average route lengths of 12.8, 18.6, 27.5, 35.9 and 43.4 km for the five
    zones; the world builder places each zone's customers at matching distances from the depots.
    """

    urban_core: float = _f(0.35, unit="share", ge=0.0, le=1.0, doc="Urban core distribution zone (Table 7: 12.84 km average route).")
    urban_suburban_transition: float = _f(0.25, unit="share", ge=0.0, le=1.0, doc="Urban-suburban transition zone (18.63 km).")
    urban_rural_integration: float = _f(0.20, unit="share", ge=0.0, le=1.0, doc="Urban-rural integration zone (27.48 km).")
    remote_county: float = _f(0.12, unit="share", ge=0.0, le=1.0, doc="Remote county-level delivery zone (35.92 km).")
    cross_region_hub: float = _f(0.08, unit="share", ge=0.0, le=1.0, doc="Cross-region hub aggregation zone (43.37 km).")

    def _rules(self) -> Iterator[Problem]:
        return _shares(self, ())


@cache
def faker_locales() -> tuple[str, ...]:
    """The locales Faker can generate names and addresses in (``faker.config.AVAILABLE_LOCALES``)."""
    from faker.config import AVAILABLE_LOCALES  # about 70 ms: only when a world is validated

    return tuple(AVAILABLE_LOCALES)


#: Most customer x depot pairs a world may have (ours: the nearest-depot search holds a few
#: float arrays of that size, 80 MB each at this cap).
MAX_CUSTOMER_DEPOT_PAIRS = 10_000_000


@dataclass(frozen=True)
class World(_Section):
    """``[world]``: where the depots and customers are, and how roads bend."""

    depots: int | tuple[Depot, ...] = _f(
        1, unit="count, or km coordinates", ge=1, le=100, min_len=1, max_len=100,
        doc="Either how many depots the world builder places (spread around the centre), or an array of `{x, y}` tables placing them.",
        allowed="a count between 1 and 100, or 1 to 100 `[[world.depots]]` tables", why="ours",
    )
    zones: ZoneShares = _f(
        factory=ZoneShares, unit="shares", doc="Share of customers living in each zone of paper Table 7.",
        allowed="the five shares sum to 1", default_doc="see rows below",
    )
    circuity: float = _f(1.3, unit="ratio", ge=1.0, le=3.0, doc="Road km per straight-line km (the polyline coefficient of the routing model).")
    customers: int = _f(3000, unit="consumers", ge=1, le=1_000_000, doc="Size of the consumer population (names and addresses from Faker, seeded).")
    locale: str = _f(
        "zh_CN", unit="Faker locale", allowed="a name in faker.config.AVAILABLE_LOCALES, e.g. `zh_CN`, `en_US`, `de_DE`",
        doc="Locale of the generated names and addresses.",
    )
    travel_time_cv: float = _f(
        0.1, unit="coefficient of variation", ge=0.0, le=2.0,
        doc="Spread of driven travel times around the planned ones (lognormal factor with mean 1 on each arc); 0 drives exactly the plan.",
    )

    def _rules(self) -> Iterator[Problem]:
        locales = faker_locales()
        if self.locale not in locales:
            by_key = {name.lower(): name for name in locales}  # zh-cn, ZH_CN and zh_CM all mean zh_CN
            close = difflib.get_close_matches(self.locale.replace("-", "_").lower(), list(by_key), n=1, cutoff=0.6)
            hint = f"did you mean {by_key[close[0]]!r}? " if close else ""
            yield Problem(("locale",), f"not a Faker locale; {hint}allowed: {', '.join(locales)}", self.locale)
        depots = self.depots if isinstance(self.depots, int) else len(self.depots)
        if self.customers * depots > MAX_CUSTOMER_DEPOT_PAIRS:
            yield Problem(
                ("customers",),
                f"{self.customers:,} customers x {depots} depots is more than {MAX_CUSTOMER_DEPOT_PAIRS:,} pairs"
                " (the world builder finds each customer's nearest depot over all pairs at once); fewer customers or depots",
                self.customers,
            )


@dataclass(frozen=True)
class Peak(_Section):
    """One promotion peak: a run of days on which the order rate is multiplied."""

    name: str = _f("peak", unit="text", doc="Label used in reports and the event log.")
    start_day: int = _f(0, unit="day index", ge=0, le=3650, why="the longest horizon", doc="First day of the peak, counted from 0 = `start_date`.")
    days: int = _f(1, unit="days", ge=1, le=3650, why="the longest horizon", doc="How many days the peak lasts.")
    multiplier: float = _f(2.0, unit="ratio", gt=0.0, le=100.0, doc="Factor on the day's order rate (overlapping peaks multiply).")


@dataclass(frozen=True)
class DeliveryShares(_Section):
    """``[demand.delivery_shares]``: how often each delivery option is chosen."""

    standard: float = _f(0.8, unit="share", ge=0.0, le=1.0, doc="Standard delivery.")
    expedited: float = _f(0.2, unit="share", ge=0.0, le=1.0, doc="Expedited delivery (narrower window, more urgent).")
    green_slot: float = _f(0.0, unit="share", ge=0.0, le=1.0, doc="Green consolidated slot (wider window, earns points when incentives are on).")

    def _rules(self) -> Iterator[Problem]:
        return _shares(self, ())


@dataclass(frozen=True)
class DeliveryWindows(_Section):
    """``[demand.window_hours]``: the width of the delivery time window promised per option."""

    standard: float = _f(4.0, unit="hours", gt=0.0, le=72.0, doc="Window of a standard delivery.")
    expedited: float = _f(2.0, unit="hours", gt=0.0, le=72.0, doc="Window of an expedited delivery.")
    green_slot: float = _f(8.0, unit="hours", gt=0.0, le=72.0, doc="Window of a green consolidated slot.")


_DAILY_PROFILE = (
    0.50, 0.30, 0.20, 0.15, 0.15, 0.20,  # 00-06
    0.40, 0.80, 1.20, 1.50, 1.70, 1.60,  # 06-12
    1.30, 1.30, 1.40, 1.40, 1.30, 1.20,  # 12-18
    1.30, 1.60, 1.90, 2.00, 1.60, 1.00,  # 18-24
)


@dataclass(frozen=True)
class Demand(_Section):
    """``[demand]``: how many orders arrive, when, and which delivery option they take."""

    mode: Literal["sessions", "exogenous"] = _f(
        "sessions", unit="-",
        doc="`sessions`: consumers arrive, see a recommendation slate and a choice model decides what they buy and how it is delivered; `exogenous`: orders arrive as a non-homogeneous Poisson process with fixed product and delivery shares (no recommender, no points).",
    )
    orders_per_day: int = _f(
        600, unit="orders/day", ge=0, le=1_000_000,
        doc="Mean number of orders on an ordinary day (before peaks). In `sessions` mode the session rate is this divided by the expected conversion of a reference shop (a trained popularity ranking, no boost, no labels, no points), so the same seed gives every policy the same sessions and a policy that changes conversion changes the orders.",
    )
    daily_profile: tuple[float, ...] = _f(
        _DAILY_PROFILE, unit="relative weight per hour", length=24, item_ge=0.0, item_le=1e6, allowed="sum > 0",
        doc="Arrival intensity by hour of day, 00-01 first; normalised, so only the shape matters.",
        default_doc="evening-peaked curve, see baseline.toml",
    )
    peaks: tuple[Peak, ...] = _f((), unit="-", max_len=1000, allowed="unique names", why="ours", doc="Promotion peaks (`[[demand.peaks]]` tables); none by default.", default_doc="none")
    items_per_order: float = _f(1.8, unit="items/order", ge=1.0, le=50.0, doc="Mean number of items in an order (1 + Poisson).")
    delivery_shares: DeliveryShares = _f(
        factory=DeliveryShares, unit="shares", allowed="the three shares sum to 1", default_doc="see rows below",
        doc="Probability of each delivery option. In `sessions` mode these are the propensities of a consumer of average green affinity before points: a 0 share means the option is not offered.",
    )
    window_hours: DeliveryWindows = _f(factory=DeliveryWindows, unit="hours", default_doc="see rows below", doc="Delivery window width per option.")
    delivery_start_hour: float = _f(8.0, unit="hour of day", ge=0.0, lt=24.0, doc="Earliest start of a delivery window.")
    delivery_end_hour: float = _f(
        21.0, unit="hour of day", gt=0.0, le=24.0, allowed="> delivery_start_hour + the widest window",
        doc="Latest end of a delivery window.",
    )
    expedited_lead_hours: float = _f(2.0, unit="hours", ge=0.0, le=48.0, doc="An expedited window opens this long after the order, at the next full hour (same day when it fits).")
    failed_attempt_share: float = _f(
        0.03, unit="share", ge=0.0, le=1.0,
        doc="Chance that a delivery attempt fails (nobody home); the parcel rides back and waits for the next day's window. Assumption, not sourced.",
    )
    max_attempts: int = _f(2, unit="attempts", ge=1, le=10, doc="Attempts before an order ends `delivery_failed` (returned to the warehouse).")

    def _rules(self) -> Iterator[Problem]:
        if sum(self.daily_profile) <= 0:
            yield Problem(("daily_profile",), "weights must not all be 0", self.daily_profile)
        yield from _unique(("peaks",), [p.name for p in self.peaks], "peak name")
        widest = max(self.window_hours.standard, self.window_hours.expedited, self.window_hours.green_slot)
        if self.delivery_end_hour - self.delivery_start_hour < widest:
            yield Problem(
                ("delivery_end_hour",),
                f"the delivery day {_num(self.delivery_start_hour)}-{_num(self.delivery_end_hour)} h is shorter than the widest window ({_num(widest)} h)",
                self.delivery_end_hour,
            )


_CATEGORIES = ("electronics", "apparel", "home", "beauty", "food", "books", "sports", "toys")


@dataclass(frozen=True)
class Catalog(_Section):
    """``[catalog]``: the products on sale."""

    categories: tuple[str, ...] = _f(
        _CATEGORIES, unit="names", min_len=1, max_len=100, allowed="unique, non-empty names",
        why="ours: every consumer holds a taste per category",
        doc="Product categories; labels grade a product against its category.", default_doc="8 categories, see baseline.toml",
    )
    products: int = _f(400, unit="products", ge=1, le=1_000_000, allowed="at least one per category", doc="Number of products in the catalog.")
    green_share: float = _f(0.2, unit="share", ge=0.0, le=1.0, doc="Share of products that come in a green-certified variant.")
    green_premium: float = _f(0.05, unit="fraction of price", ge=0.0, le=1.0, doc="Price premium of a green variant (0.05 = 5% dearer, seed 000).")
    green_footprint_cut: float = _f(
        0.3, unit="share", ge=0.0, le=1.0,
        doc="A green variant's production footprint is this much below its conventional twin's (assumption, not sourced).",
    )
    green_uptake: float = _f(
        0.25, unit="share", ge=0.0, le=1.0,
        doc="`exogenous` mode: share of purchases of a product with a green variant that take the green variant.",
    )

    def _rules(self) -> Iterator[Problem]:
        for i, name in enumerate(self.categories):
            if not name.strip():
                yield Problem(("categories", i), "must be a non-empty name", name)
        yield from _unique(("categories",), self.categories, "category")
        if self.products < len(self.categories):
            yield Problem(("products",), f"must be >= the number of categories ({len(self.categories)})", self.products)


@dataclass(frozen=True)
class Warehouse(_Section):
    """``[warehouse]``: stock, forecasting, replenishment and the trunk legs from suppliers."""

    policy: Literal["sS"] = _f("sS", unit="-", doc="Replenishment policy: `sS` reorders up to S when the stock position falls to s.")
    reorder_point: float = _f(3.0, unit="days of forecast demand", ge=0.0, le=365.0, doc="s: reorder when stock on hand plus on order covers this many days.")
    order_up_to: float = _f(
        10.0, unit="days of forecast demand", gt=0.0, le=365.0, allowed=">= reorder_point",
        doc="S: a replenishment tops the stock position up to this many days; also the initial stock.",
    )
    lead_time_days: float = _f(2.0, unit="days", ge=0.0, le=90.0, doc="Time from a replenishment order to its receipt (road; rail legs add `rail_extra_days`).")
    forecast: Literal["exp_smoothing"] = _f("exp_smoothing", unit="-", doc="Demand forecast per product: simple exponential smoothing of daily sales.")
    alpha: float = _f(0.3, unit="-", gt=0.0, le=1.0, doc="Smoothing constant of the forecast (weight of the newest day).")
    supplier_km: tuple[float, ...] = _f(
        (250.0, 1200.0), unit="km", min_len=1, max_len=1000, item_gt=0.0, item_le=20000.0,
        why="20,000 km is half the Earth's circumference; the number of suppliers is ours",
        doc="Trunk distance from each supplier to the warehouse; each product gets one supplier at random (warehouse stream).",
    )
    rail_over_km: float = _f(800.0, unit="km", gt=0.0, le=20000.0, why="half the Earth's circumference", doc="Trunk legs longer than this go by rail when `road_to_rail` is on.")
    road_to_rail: bool = _f(False, unit="-", doc="Allow the road-to-rail shift of long trunk legs.")
    rail_extra_days: float = _f(1.0, unit="days", ge=0.0, le=30.0, doc="Extra lead time of a rail leg over road.")
    pick_minutes_per_item: float = _f(1.0, unit="minutes/item", ge=0.0, le=60.0, doc="Picking time per item before an order can be packed.")
    pickers: int = _f(6, unit="pickers", ge=1, le=10_000, doc="Pickers working in parallel; an order waits for a free one.")
    road_kg_per_tkm: float = _f(0.08, unit="kg CO2e/tkm", ge=0.0, le=2.0, doc="Trunk leg by road, articulated truck (GLEC-style default intensity, DOMAIN.md 3.3; verify for your region).")
    rail_kg_per_tkm: float = _f(0.022, unit="kg CO2e/tkm", ge=0.0, le=2.0, doc="Trunk leg by rail (indicative default intensity; verify for your region).")

    def _rules(self) -> Iterator[Problem]:
        if self.order_up_to < self.reorder_point:
            yield Problem(("order_up_to",), f"must be >= reorder_point ({_num(self.reorder_point)})", self.order_up_to)


@dataclass(frozen=True)
class Box(_Section):
    """One packing box type."""

    name: str = _f("box", unit="text", doc="Identifier of the box type.")
    volume_l: float = _f(20.0, unit="litres", gt=0.0, le=10000.0, why="ours: 10 m³", doc="Inner volume.")
    weight_kg: float = _f(0.3, unit="kg", gt=0.0, le=1000.0, why="ours", doc="Weight of the empty box (it rides with the order).")
    kg_co2e: float = _f(0.3, unit="kg CO2e per box", ge=0.0, le=1000.0, why="ours", doc="Cradle-to-gate footprint of one box (corrugated board about 0.9 kg CO2e per kg, ours).")


_BOXES = (
    Box("S", 6.0, 0.15, 0.14),
    Box("M", 20.0, 0.35, 0.32),
    Box("L", 45.0, 0.65, 0.59),
    Box("XL", 90.0, 1.10, 0.99),
)


@dataclass(frozen=True)
class Packing(_Section):
    """``[packing]``: which box an order ships in."""

    policy: Literal["fixed", "smart"] = _f(
        "fixed", unit="-", doc="`fixed`: every order ships in `fixed_box` (several if needed); `smart`: the smallest box that fits.",
    )
    boxes: tuple[Box, ...] = _f(
        _BOXES, unit="-", min_len=1, max_len=100, allowed="unique names", why="ours", default_doc="S 6 L, M 20 L, L 45 L, XL 90 L",
        doc="The box catalog (`[[packing.boxes]]` tables).",
    )
    fixed_box: str = _f("L", unit="box name", allowed="a name in `boxes`", doc="The box used by the `fixed` policy.")
    fill_ratio: float = _f(0.8, unit="share of box volume", gt=0.0, le=1.0, doc="Usable share of a box's volume: items fit when their volume is at most this share of it.")

    def _rules(self) -> Iterator[Problem]:
        names = [b.name for b in self.boxes]
        yield from _unique(("boxes",), names, "box name")
        if self.fixed_box not in names:
            yield Problem(("fixed_box",), f"must name a box in packing.boxes; allowed: {', '.join(names)}", self.fixed_box)


@dataclass(frozen=True)
class Vehicle(_Section):
    """One vehicle type of the fleet (optimizer.model.VehicleType, with the payload in kg)."""

    name: str = _f("van", unit="text", doc="Identifier of the type.")
    capacity_kg: float = _f(
        1500.0, unit="kg", gt=0.0, le=100_000.0, why="ours: four times the payload of a 40 t articulated truck",
        doc="Payload capacity.",
    )
    count: int = _f(1, unit="vehicles", ge=0, le=100_000, doc="How many vehicles of the type the fleet has; with several depots the fleet is dealt over them in turn.")
    empty_kg_per_km: float = _f(
        0.18, unit="kg CO2e/km", ge=0.0, le=10.0, why="ours: ten times a loaded heavy truck (paper Table 2: 0.95)",
        doc="Emission factor when empty (paper Table 2).",
    )
    full_kg_per_km: float = _f(
        0.26, unit="kg CO2e/km", ge=0.0, le=10.0, allowed=">= empty_kg_per_km", why="ours: ten times a loaded heavy truck",
        doc="Emission factor at full load (paper Table 2).",
    )
    cost_per_km: float = _f(1.2, unit="yuan/km", ge=0.0, le=1000.0, why="ours", doc="Operating cost per road km.")
    fixed_cost: float = _f(50.0, unit="yuan/route", ge=0.0, le=1_000_000.0, why="ours", doc="Cost charged once per vehicle dispatched on a route.")
    cost_per_minute: float = _f(0.5, unit="yuan/min", ge=0.0, le=1000.0, why="ours", doc="Driver cost from departure to return.")

    def _rules(self) -> Iterator[Problem]:
        if self.full_kg_per_km < self.empty_kg_per_km:
            yield Problem(("full_kg_per_km",), f"must be >= empty_kg_per_km ({_num(self.empty_kg_per_km)})", self.full_kg_per_km)

    @classmethod
    def from_model(cls, vt: VehicleType) -> "Vehicle":
        return cls(
            vt.name, vt.capacity * KG_PER_CAPACITY_UNIT, vt.count, vt.empty_kg_per_km, vt.full_kg_per_km,
            vt.cost_per_km, vt.fixed_cost, vt.cost_per_minute,
        )

    def to_model(self, count: int | None = None) -> VehicleType:
        """The optimizer's VehicleType (capacity in units of 100 kg)."""
        return VehicleType(
            self.name, self.capacity_kg / KG_PER_CAPACITY_UNIT, self.count if count is None else count,
            self.empty_kg_per_km, self.full_kg_per_km, self.cost_per_km, self.fixed_cost, self.cost_per_minute,
        )


_VEHICLES = tuple(Vehicle.from_model(vt) for vt in (LIGHT_TRUCK, MEDIUM_TRUCK, HEAVY_TRUCK))


@dataclass(frozen=True)
class Fleet(_Section):
    """``[fleet]``: the vehicle types and how many of them are electric."""

    vehicles: tuple[Vehicle, ...] = _f(
        _VEHICLES, unit="-", min_len=1, max_len=100, allowed="unique names; at least one vehicle in all", why="ours",
        doc="Vehicle types (`[[fleet.vehicles]]` tables); by default optimizer.model's light, medium and heavy trucks (paper Table 2).",
        default_doc="light 10 x 1500 kg, medium 5 x 5000 kg, heavy 2 x 12000 kg",
    )
    ev_share: float = _f(
        0.0, unit="share", ge=0.0, le=1.0,
        doc="Share of the `ev_replaces` vehicles swapped for electric vans of the same payload (rounded to whole vehicles).",
    )
    ev_replaces: str = _f("light_truck", unit="vehicle name", allowed="a name in `vehicles` when ev_share > 0", doc="Which vehicle type the electric vans replace.")
    grid_kg_per_kwh: float = _f(0.55, unit="kg CO2e/kWh", ge=0.0, le=2.0, doc="Carbon intensity of the grid that charges the electric vans.")
    ev_kwh_per_km_empty: float = _f(0.20, unit="kWh/km", gt=0.0, le=5.0, doc="Electric van consumption when empty.")
    ev_kwh_per_km_full: float = _f(0.28, unit="kWh/km", gt=0.0, le=5.0, allowed=">= ev_kwh_per_km_empty", doc="Electric van consumption at full load.")

    def _rules(self) -> Iterator[Problem]:
        names = [v.name for v in self.vehicles]
        yield from _unique(("vehicles",), names, "vehicle name")
        if sum(v.count for v in self.vehicles) < 1:
            yield Problem(("vehicles",), "the fleet needs at least one vehicle (all counts are 0)", self.vehicles)
        if self.ev_share > 0 and self.ev_replaces not in names:
            yield Problem(("ev_replaces",), f"must name a vehicle type; allowed: {', '.join(names)}", self.ev_replaces)
        if self.ev_share > 0 and "electric_van" in names:
            yield Problem(("vehicles",), "a vehicle type may not be named electric_van when ev_share > 0 (the electric vans take that name)", names)
        if self.ev_kwh_per_km_full < self.ev_kwh_per_km_empty:
            yield Problem(("ev_kwh_per_km_full",), f"must be >= ev_kwh_per_km_empty ({_num(self.ev_kwh_per_km_empty)})", self.ev_kwh_per_km_full)

    def vehicle_types(self) -> tuple[VehicleType, ...]:
        """The fleet as optimizer VehicleTypes, with the electric vans split off ``ev_replaces``."""
        out = []
        for v in self.vehicles:
            n_ev = math.floor(v.count * self.ev_share + 0.5) if v.name == self.ev_replaces else 0
            if v.count - n_ev > 0:
                out.append(v.to_model(v.count - n_ev))
            if n_ev:
                out.append(
                    VehicleType.electric_van(
                        v.capacity_kg / KG_PER_CAPACITY_UNIT, n_ev, grid_kg_per_kwh=self.grid_kg_per_kwh,
                        kwh_per_km_empty=self.ev_kwh_per_km_empty, kwh_per_km_full=self.ev_kwh_per_km_full,
                    )
                )
        return tuple(out)


@dataclass(frozen=True)
class Routing(_Section):
    """``[routing]``: how each dispatch wave is planned (paper section 2)."""

    policy: Literal[ALGORITHM_NAMES] = _f(  # type: ignore[valid-type]  # the router's registry
        "greedy", unit="-", doc="The routing algorithm of every wave, any of `optimizer.ALGORITHMS`: `greedy`, the nearest-neighbour baseline (one plan); `mogwo`, the multi-objective grey wolf optimizer (a Pareto front); `nsga2`, `mopso`, `moaco`, the paper's comparison algorithms on the same decoding.",
    )
    w1: float = _f(0.6, unit="weight", ge=0.0, le=1.0, allowed="w1 + w2 > 0", doc="Weight of cost (plus time-window penalty) when picking the plan to execute (eq. 6).")
    w2: float = _f(0.4, unit="weight", ge=0.0, le=1.0, allowed="w1 + w2 > 0", doc="Weight of emissions when picking the plan to execute (eq. 6).")
    choose: Literal["weights", "knee"] = _f("weights", unit="-", doc="Pick the plan by the weights, or the plan nearest the front's ideal point.")
    time_limit: float = _f(
        1.0, unit="seconds per wave", ge=0.0, le=3600.0,
        doc="Wall-clock cap on one wave's search; 0 = no cap. When it binds, results depend on machine speed: use 0 and `iterations` for reproducible logs.",
    )
    wave_interval_minutes: float = _f(60.0, unit="minutes", ge=5.0, le=MINUTES_PER_DAY, doc="Time between dispatch waves; orders that miss a wave wait for the next.")
    lookahead_minutes: float = _f(
        120.0, unit="minutes", ge=0.0, le=2880.0,
        doc="A wave takes the packed orders whose window opens within this time; later ones wait for a later wave.",
    )
    max_orders_per_wave: int = _f(300, unit="orders", ge=1, le=100_000, doc="Cap on one wave's orders (most urgent first); the rest wait for the next wave.")
    service_minutes: float = _f(5.0, unit="minutes/stop", ge=0.0, le=240.0, doc="Time at each customer to hand over a parcel.")
    population: int = _f(100, unit="wolves", ge=2, le=10_000, doc="MOGWO population size (paper: 100).")
    iterations: int = _f(200, unit="iterations per wave", ge=1, le=100_000, doc="MOGWO iteration budget (paper: 200).")
    ls_passes: int = _f(
        50, unit="sweeps", ge=0, le=1000,
        doc="MOGWO only: local-search sweeps per decoded plan (0 = none). The search's cost grows with it and with the wave's size; a few sweeps keep most of the gain.",
    )
    engine_children: float = _f(
        0.25, unit="share of the population per iteration", ge=0.0, le=10.0, why="ours: measured best of 0.25 and 0.5 (BENCHMARKS.md j)",
        doc="Searching policies only: plans the routing engine makes between two updates of the population, each a crossover of two archive members educated by its granular local search (`optimizer.intensify`); 0 = none, the algorithm alone.",
    )
    hard_windows: bool = _f(False, unit="-", doc="`true`: a late arrival makes a plan infeasible; `false`: lateness is penalised (eq. 7).")
    late_weight: float = _f(1.5, unit="yuan/min", ge=0.0, le=1000.0, why="ours", doc="lambda of eq. 7: penalty per minute late.")
    early_weight: float = _f(0.3, unit="yuan/min", ge=0.0, le=1000.0, why="ours", doc="mu of eq. 7: penalty per minute early (the vehicle waits).")

    def _rules(self) -> Iterator[Problem]:
        if self.w1 + self.w2 <= 0:
            yield Problem(("w2",), "w1 + w2 must be > 0 (both weights are 0)", self.w2)


@dataclass(frozen=True)
class Labels(_Section):
    """``[labels]``: per-order footprints and the carbon labels shown on products."""

    method: Literal["demand_share", "tonne_km"] = _f(
        "demand_share", unit="-",
        doc="How a route's emissions are split over its orders: `demand_share` (eq. 5: each arc by the demand on board) or `tonne_km` (ISO 14083 / GLEC style).",
    )
    grade_thresholds: tuple[float, ...] = _f(
        (0.6, 0.85, 1.15, 1.5), unit="ratio to the category median", min_len=1, max_len=len(GRADE_LETTERS) - 1,
        item_gt=0.0, item_le=100.0, allowed="strictly increasing", why="one grade letter A..Z per band; the 100 is ours",
        doc="Upper bounds of grades A, B, C, ...: a product whose footprint / category median is <= the first value gets A; above the last, the last grade (E by default).",
    )
    scope: Literal["ttw", "wtw"] = _f("ttw", unit="-", doc="Emission scope: tank-to-wheel, or well-to-wheel (adds fuel and electricity supply).")
    display: bool = _f(True, unit="-", doc="Show the carbon label (grade) on products in `sessions` mode; `false` removes the label term from consumers' choices (the control arm).")
    rolling_days: int = _f(14, unit="days", ge=1, le=365, doc="Window of the rolling product label.")
    hysteresis: float = _f(
        0.05, unit="fraction of a threshold", ge=0.0, le=1.0,
        doc="A product changes grade only when its ratio is past a grade boundary by more than this fraction of it (no flicker).",
    )
    low_carbon_max_grade: str = _f("B", unit="grade letter", allowed="a grade the thresholds define (A, B, ...)", doc="Products graded this or better carry the low-carbon flag.")
    include_production: bool = _f(False, unit="-", doc="Count the items' production footprint in an order's label total (it is always reported as a part).")

    def _rules(self) -> Iterator[Problem]:
        t = self.grade_thresholds
        if any(b <= a for a, b in zip(t, t[1:])):
            yield Problem(("grade_thresholds",), "must be strictly increasing", t)
        letters = GRADE_LETTERS[: len(t) + 1]
        if len(self.low_carbon_max_grade) != 1 or self.low_carbon_max_grade not in letters:
            yield Problem(("low_carbon_max_grade",), f"must be one of the grades {', '.join(letters)}", self.low_carbon_max_grade)


@dataclass(frozen=True)
class Consumers(_Section):
    """``[consumers]``: the population's preferences and the choice model (`sessions` mode).

    Utility of a shown product (recommender/choice.py)::

        V = taste[category] + match - price_sensitivity * log(price_paid / category price)
            + intention_gap * affinity * beta_green * green + display * trust * affinity * beta_label * label
            + log(attention at its slate position)
    """

    trust_share: float = _f(
        0.45, unit="share", ge=0.0, le=1.0,
        doc="Share of consumers who fully trust the platform's green labels (about 45%, seed 000); the others trust them uniformly between 0 and 0.5.",
    )
    price_sensitivity: float = _f(
        2.0, unit="utility per log price ratio", gt=0.0, le=50.0,
        doc="Mean coefficient on the log of price over the category's typical price (lognormal over consumers). 2 makes a 5% premium cost about 0.1 utility.",
    )
    price_sensitivity_spread: float = _f(0.4, unit="sd of log", ge=0.0, le=3.0, doc="Spread of price sensitivity over consumers (lognormal sigma).")
    green_affinity: float = _f(
        0.4, unit="share", gt=0.0, lt=1.0,
        doc="Mean green affinity in [0, 1] (Beta with concentration 5); scales the green and the label terms.",
    )
    beta_green: float = _f(1.0, unit="utility", ge=0.0, le=20.0, doc="Stated utility of a green-certified product (or the green slot) at full affinity.")
    intention_gap: float = _f(
        0.3, unit="share", ge=0.0, le=1.0,
        doc="Share of the stated green preference that shows in choices (BCG 2022: up to 80% concerned, 1-7% paid a premium).",
    )
    beta_label: float = _f(0.25, unit="utility per grade step", ge=0.0, le=10.0, doc="Utility of each grade step better than the middle grade (A = +2 ... E = -2 with five grades) for a fully trusting consumer of full affinity.")
    match_spread: float = _f(
        0.7, unit="utility (sd)", ge=0.0, le=5.0,
        doc="Spread of the consumer-product match term (latent factors): the personal taste a learned recommender can find and popularity cannot.",
    )
    no_buy: float = _f(2.5, unit="utility", ge=-10.0, le=20.0, doc="Utility of leaving without buying; sets the conversion rate of a session.")
    browse_click: float = _f(0.3, unit="probability", ge=0.0, le=1.0, doc="Chance that a session that buys nothing still clicks a product (which one follows the same logit).")
    points_kappa: float = _f(0.6, unit="share of cash value", ge=0.0, le=1.0, doc="What a point is worth to a consumer relative to its cash value (DOMAIN.md 4.4: 0.5-0.8, an assumption).")


@dataclass(frozen=True)
class Recommender(_Section):
    """``[recommender]``: what consumers are shown (`sessions` mode)."""

    model: Literal["popularity", "learned"] = _f(
        "popularity", unit="-",
        doc="Ranking model serving the slates: `popularity` (weighted clicks and purchases) or `learned` (item-item similarity over the logged implicit feedback). Both are trained and evaluated in every run.",
    )
    green_boost: float = _f(
        0.0, unit="fraction of score", ge=0.0, le=10.0,
        doc="Green re-rank: a green product's score is multiplied by 1 + green_boost x (the consumer's green-likely score / its prior mean).",
    )
    slate_size: int = _f(10, unit="products", ge=1, le=100, allowed="<= candidates", doc="Products shown per session (also the k of the hit rate at k).")
    candidates: int = _f(
        50, unit="products", ge=1, le=10_000,
        doc="Products retrieved per session (sampled by appeal and the consumer's category taste) that the model ranks to fill the slate.",
    )
    explore_share: float = _f(
        0.05, unit="share of sessions", ge=0.0, le=1.0,
        doc="Sessions shown their retrieval sample unranked (an exploration bucket, the same whatever the model); their purchases are the held-out set both models' hit rates are measured on.",
    )
    retrain_days: int = _f(1, unit="days", ge=1, le=365, doc="Days between retrainings (at midnight); each retraining first scores the previous models on the purchases made since.")


@dataclass(frozen=True)
class Incentives(_Section):
    """``[incentives]``: points for green choices (none in the baseline)."""

    points_per_green_purchase: int = _f(0, unit="points/unit", ge=0, le=1_000_000, doc="Points for each unit of a green product bought (`sessions` mode).")
    points_per_green_slot: int = _f(0, unit="points/order", ge=0, le=1_000_000, doc="Points for choosing the green consolidated delivery slot (`sessions` mode).")
    budget: int = _f(
        0, unit="points per run", ge=0, le=10**12, allowed="> 0 when any points are offered", why="ours",
        doc="Total points that may be issued over the run; offers stop when it is spent.",
    )
    point_value: float = _f(0.01, unit="yuan/point", ge=0.0, le=100.0, doc="Cash value of a point: what it takes off a price when redeemed, and its cost to the platform.")
    max_redeem_share: float = _f(0.2, unit="share of order value", ge=0.0, le=1.0, doc="At most this share of an order's value may be paid with points.")

    def _rules(self) -> Iterator[Problem]:
        if (self.points_per_green_purchase or self.points_per_green_slot) and self.budget == 0:
            yield Problem(("budget",), "points are offered but the budget is 0; set a budget in points", self.budget)


#: Largest catalog `sessions` mode accepts (its item-item similarity is dense).
SESSIONS_MAX_PRODUCTS = 5000

# ---------------------------------------------------------------------------------------
# Expected work: what a run will log, estimated before it starts
# ---------------------------------------------------------------------------------------

#: Most events a scenario file may expect unless ``--allow-large`` (ours: about 14 GB of log
#: and, at the 8,000 events a second of a greedy baseline run, about two hours).
MAX_EXPECTED_EVENTS = 50_000_000

# Calibration (commit 5a6e881, seed 0, scenarios/baseline.toml; `carbonsim run` then
# `SELECT type, count(*) FROM events GROUP BY type`):
#   exogenous, 7 days: 4,163 orders, 39,573 events (9.5 per order at 1.8 items per order);
#   the same, 3 days, 1 item per order: 9.15 per order; 50 items per order: 46.8 per order;
#   sessions, 7 days: 4,324 orders, 8,897 sessions, 65,791 events, 18.3 MB of log;
#   the reference conversion of the calibration sessions: 0.470 (no_buy 2.5, slate of 10),
#   0.073 at no_buy 5, 0.0035 at no_buy 8 (the logit odds follow exp(-no_buy)), 0.097 with
#   a slate of 1 and 0.75 with a slate of 50 (the odds grow with the slate's attention).
#: Events of one order that do not grow with its items (placed, picked, packed, arrived,
#: delivered, footprint, label, and its share of waves, routes, replenishments, grades).
EVENTS_PER_ORDER = 8.4
#: Events per item of an order (its stock reservations).
EVENTS_PER_ITEM = 0.77
#: Events of each further delivery attempt (arrived, delivery_failed, a share of a route).
EVENTS_PER_EXTRA_ATTEMPT = 2.5
#: Events of every session in `sessions` mode (session_started, slate_shown); a session that
#: buys nothing adds a click with probability ``consumers.browse_click``.
EVENTS_PER_SESSION = 2.0
#: Clicks per item bought in `sessions` mode (one per distinct product: 6,593 purchase clicks
#: for 4,324 orders of 1.8 items on average in the sessions baseline).
CLICKS_PER_ITEM = 0.85
#: Bytes of event log per event (the sessions baseline: 18.3 MB for 65,791 events).
BYTES_PER_EVENT = 280
#: Conversion of the reference shop at the default no_buy (2.5) and slate (10).
REFERENCE_CONVERSION = 0.470
REFERENCE_NO_BUY, REFERENCE_SLATE = 2.5, 10


def _attention(k: int) -> float:
    """Total attention of a slate of ``k`` (recommender.metrics.position_weights, summed)."""
    return sum(1.0 / math.log2(1.0 + j) for j in range(1, k + 1))


def _peak_days(scenario: "Scenario") -> float:
    """Sum over the horizon of each day's order-rate multiplier (days, peaks included)."""
    days = scenario.simulation.days
    factor = [1.0] * days
    for p in scenario.demand.peaks:
        for day in range(min(p.start_day, days), min(p.start_day + p.days, days)):
            factor[day] *= p.multiplier  # overflows to inf, never raises
    return math.fsum(factor) if all(map(math.isfinite, factor)) else math.inf


def _count(x: float) -> str:
    if not math.isfinite(x):
        return "more than 1e308"
    return f"{x:,.0f}" if x < 1e15 else f"{x:.2e}"


def _size(n_bytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}" if math.isfinite(n_bytes) else f"more than 1e296 {unit}"
    return f"{n_bytes / 1e3:,.0f} kB"


@dataclass(frozen=True)
class Work:
    """A run's expected size, computed from the scenario alone (nothing is built).

    orders = ``demand.orders_per_day`` x the days of the horizon, each weighted by its peaks'
    multipliers; in `sessions` mode, sessions = orders / the estimated conversion, a logit
    whose odds are the reference's (0.47 at no_buy 2.5, slate of 10) scaled by exp(2.5 -
    no_buy) and by the slate's attention. events = orders x (8.4 + 0.77 per item + 2.5 per
    expected further attempt, + 0.85 clicks per item in `sessions` mode) + sessions x (2 +
    browse_click x the share that buys nothing). Calibrated on real runs (see the constants):
    within 7 % of the shipped scenarios' event counts and within 20 % across no_buy 2.5-8,
    slates of 1-50, 10-item baskets and a price sensitivity of 0.1 (the model ignores it).
    """

    days: int
    orders_per_day: int
    peaks: bool
    orders: float
    sessions: float
    events_per_order: float
    events_per_session: float
    events: float

    @classmethod
    def of(cls, scenario: "Scenario") -> "Work":
        d, c = scenario.demand, scenario.consumers
        orders = d.orders_per_day * _peak_days(scenario)
        extra_attempts = sum(d.failed_attempt_share**k for k in range(1, d.max_attempts))
        per_order = EVENTS_PER_ORDER + EVENTS_PER_ITEM * d.items_per_order + EVENTS_PER_EXTRA_ATTEMPT * extra_attempts
        sessions = per_session = 0.0
        if d.mode == "sessions":
            conversion = cls.conversion(scenario)
            sessions = orders / conversion
            per_order += CLICKS_PER_ITEM * d.items_per_order
            per_session = EVENTS_PER_SESSION + c.browse_click * (1.0 - conversion)
        events = orders * per_order + sessions * per_session
        return cls(scenario.simulation.days, d.orders_per_day, bool(d.peaks), orders, sessions, per_order, per_session, events)

    @staticmethod
    def conversion(scenario: "Scenario") -> float:
        """Estimated share of sessions that buy (the divisor of the session rate)."""
        rec = scenario.recommender
        slate = min(rec.slate_size, rec.candidates, scenario.catalog.products)
        ref_odds = REFERENCE_CONVERSION / (1.0 - REFERENCE_CONVERSION)
        odds = ref_odds * math.exp(REFERENCE_NO_BUY - scenario.consumers.no_buy) * _attention(slate) / _attention(REFERENCE_SLATE)
        return odds / (1.0 + odds)

    @property
    def log_bytes(self) -> float:
        return self.events * BYTES_PER_EVENT

    def summary(self) -> str:
        """'about 66,000 events (18.5 MB of log)'."""
        return f"about {_count(self.events)} events ({_size(self.log_bytes)} of log)"

    def problem(self) -> Problem | None:
        """The refusal when the events pass :data:`MAX_EXPECTED_EVENTS`, else None."""
        if self.events <= MAX_EXPECTED_EVENTS:
            return None
        how = (f"simulation.days = {self.days} x demand.orders_per_day = {self.orders_per_day:,}"
               f"{' with demand.peaks' if self.peaks else ''} is {_count(self.orders)} orders x {self.events_per_order:.1f} events")
        if self.sessions:
            how += f", plus {_count(self.sessions)} sessions x {self.events_per_session:.1f} events"
        return Problem((), (
            f"{how}: {self.summary()}, above the cap of {MAX_EXPECTED_EVENTS:,} events; lower simulation.days or"
            " demand.orders_per_day, or pass --allow-large (allow_large=True in Python) to run it anyway"
        ))


@dataclass(frozen=True)
class Scenario(_Section):
    """A complete, validated scenario: one field per TOML table."""

    simulation: Simulation = field(default_factory=Simulation)
    world: World = field(default_factory=World)
    demand: Demand = field(default_factory=Demand)
    catalog: Catalog = field(default_factory=Catalog)
    warehouse: Warehouse = field(default_factory=Warehouse)
    packing: Packing = field(default_factory=Packing)
    fleet: Fleet = field(default_factory=Fleet)
    routing: Routing = field(default_factory=Routing)
    labels: Labels = field(default_factory=Labels)
    consumers: Consumers = field(default_factory=Consumers)
    recommender: Recommender = field(default_factory=Recommender)
    incentives: Incentives = field(default_factory=Incentives)

    def _rules(self) -> Iterator[Problem]:
        depots = self.world.depots if isinstance(self.world.depots, int) else len(self.world.depots)
        vehicles = sum(v.count for v in self.fleet.vehicles)
        if vehicles < depots:
            yield Problem(
                ("fleet", "vehicles"),
                f"the fleet has {vehicles} vehicles for {depots} depots; every depot needs at least one",
                vehicles,
            )
        if self.demand.mode == "sessions" and self.catalog.products > SESSIONS_MAX_PRODUCTS:
            yield Problem(
                ("catalog", "products"),
                f"must be <= {SESSIONS_MAX_PRODUCTS} in `sessions` mode (the learned recommender keeps a dense"
                " product x product similarity); use demand.mode = \"exogenous\" for larger catalogs",
                self.catalog.products,
            )
        if self.recommender.slate_size > self.recommender.candidates:
            yield Problem(
                ("recommender", "slate_size"),
                f"must be <= recommender.candidates ({self.recommender.candidates}): the slate is filled from the candidates",
                self.recommender.slate_size,
            )

    TABLES: ClassVar[tuple[str, ...]] = (
        "simulation", "world", "demand", "catalog", "warehouse", "packing", "fleet", "routing", "labels",
        "consumers", "recommender", "incentives",
    )

    # -- loading --------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | os.PathLike, overrides: Sequence[str] = (), *, allow_large: bool = False) -> "Scenario":
        """Load a TOML scenario, resolving ``extends`` and applying ``table.key=value`` overrides.

        A scenario whose :meth:`expected_work` passes :data:`MAX_EXPECTED_EVENTS` is refused
        unless ``allow_large`` (the CLI's ``--allow-large``): the file states what a user is
        about to run, so this is where a typo's 1.7 TB of log is stopped."""
        path = Path(path)
        scenario = cls._load(_load_chain(path, str(path), ()), overrides, str(path))
        if not allow_large:
            problem = scenario.expected_work().problem()
            if problem is not None:
                raise ScenarioError.of([problem], str(path))
        return scenario

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<string>", overrides: Sequence[str] = (), base: str | os.PathLike = ".") -> "Scenario":
        """Load scenario text; ``extends`` is resolved relative to ``base``.

        No cap on expected work here: text is how an accepted scenario travels to a compare
        worker (sim.experiments.Job); the cap is applied where a user names a file."""
        raw = _parse(text, source)
        chain = _resolve_extends(raw, source, Path(base) / "<string>", ())
        return cls._load(chain, overrides, source)

    @classmethod
    def from_dict(cls, data: dict, *, source: str = "<dict>") -> "Scenario":
        """A validated scenario from plain data (as produced by :meth:`to_dict`)."""
        if not isinstance(data, dict):
            raise ScenarioError.of([Problem((), "a scenario must be a table (dict)", data)], source)
        try:
            return _from_mapping(cls, data)
        except ScenarioError as exc:
            raise ScenarioError.of([dataclasses.replace(p, source=source) for p in exc.problems]) from None

    @classmethod
    def _load(cls, chain: list[tuple[str, dict]], overrides: Sequence[str], top: str) -> "Scenario":
        merged: dict = {}
        prov: dict[Path_, tuple[int, str]] = {}
        for rank, (label, raw) in enumerate(chain):
            merged = _merge(merged, raw)
            for leaf in _leaves(raw):
                prov[leaf] = (rank, label)
        problems: list[Problem] = []
        rank = len(chain)
        for text in overrides:
            label = f"{top} (--set {_clip(text)})"
            try:
                parts, value = _parse_override(text)
                merged = _apply_override(merged, parts, value)
            except ScenarioError as exc:
                problems.extend(dataclasses.replace(p, source=label) for p in exc.problems)
                continue
            prov[_flat(parts)] = (rank, label)
        try:
            scenario = _from_mapping(cls, merged)
        except ScenarioError as exc:
            problems.extend(dataclasses.replace(p, source=_source_of(p.path, prov, top)) for p in exc.problems)
            scenario = None
        if problems:
            raise ScenarioError.of(problems)
        return scenario  # type: ignore[return-value]

    def apply_overrides(self, overrides: Sequence[str]) -> "Scenario":
        """A copy with ``table.key=value`` overrides applied and validated."""
        return Scenario._load([("<scenario>", self.to_dict())], overrides, "<scenario>")

    def expected_work(self) -> "Work":
        """The expected orders, sessions and logged events of a run (see :class:`Work`)."""
        return Work.of(self)

    # -- output ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """Plain JSON-ready data (tables as dicts, arrays as lists, the date as ISO text)."""
        return _plain(self, dates_as_text=True)

    def canonical_json(self) -> str:
        """Sorted-key compact JSON of :meth:`to_dict`, the input of :meth:`canonical_hash`."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def canonical_hash(self) -> str:
        """SHA-256 (hex) of the canonical JSON: equal scenarios hash equal, whatever file they came from."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML text (loads back to an equal scenario)."""
        return dumps_toml(_plain(self))


# ---------------------------------------------------------------------------------------
# Files, extends, merging, provenance
# ---------------------------------------------------------------------------------------


#: Largest scenario file read (a scenario is a few kB; this stops a wrong path such as a log
#: or /dev/zero from filling memory).
MAX_FILE_BYTES = 10 * 1024 * 1024
#: Deepest nesting of tables and arrays accepted (the schema nests 3 levels; the parser and
#: the checks recurse, so a 100,000-deep array must stop at the door).
MAX_DEPTH = 32


def _depth(value: Any) -> int:
    """Nesting depth of tables and arrays (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, d = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        deepest = max(deepest, d + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((c, d + 1) for c in children)
    return deepest


class _TooDeep(tomllib.TOMLDecodeError):
    """TOML nested past MAX_DEPTH."""


def _toml(text: str) -> dict:
    """tomllib.loads, with nesting past MAX_DEPTH refused (as _TooDeep, a TOMLDecodeError)."""
    try:
        data = tomllib.loads(text)
    except RecursionError:
        data = None
    if data is None or _depth(data) > MAX_DEPTH:
        raise _TooDeep(f"tables or arrays nested more than {MAX_DEPTH} levels deep")
    return data


def _parse(text: str, label: str) -> dict:
    try:
        return _toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError.of([Problem((), f"not valid TOML: {exc}")], label) from None


def _read_text(path: Path, label: str) -> str:
    """The file as text: regular files and pipes only, at most MAX_FILE_BYTES, UTF-8 (a BOM is
    allowed), no NUL bytes; anything else is one ScenarioError naming the file."""

    def fail(message: str) -> ScenarioError:
        return ScenarioError.of([Problem((), message)], label)

    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise fail("is a folder, not a scenario file")
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise fail("is not a regular file (a device or a socket); give a .toml scenario file")
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise fail("file not found") from None
    except OSError as exc:
        raise fail(f"cannot read the file: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise fail(f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MB, the most a scenario file may be; is it the right file?")
    if b"\0" in data:
        raise fail("is a binary file (it contains NUL bytes), not a TOML scenario")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8") from None


def _load_chain(path: Path, label: str, stack: tuple[Path, ...]) -> list[tuple[str, dict]]:
    return _resolve_extends(_parse(_read_text(path, label), label), label, path, stack)


def _resolve_extends(raw: dict, label: str, path: Path, stack: tuple[Path, ...]) -> list[tuple[str, dict]]:
    """The chain of (label, table) from the root ancestor down to this file."""
    if "extends" not in raw:
        return [(label, raw)]
    raw = dict(raw)
    parent = raw.pop("extends")
    if not isinstance(parent, str) or not parent:
        raise ScenarioError.of([Problem(("extends",), "must be a file name (a string), relative to this file", parent)], label)
    me = path.resolve()
    target = path.parent / parent
    if target.resolve() in stack + (me,):
        names = [str(p.name) for p in stack + (me, target.resolve())]
        raise ScenarioError.of([Problem(("extends",), f"cycle: {' -> '.join(names)}", parent)], label)
    if not target.exists():
        raise ScenarioError.of([Problem(("extends",), f"file not found (looked for {target})", parent)], label)
    return _load_chain(target, os.path.normpath(target), stack + (me,)) + [(label, raw)]


def _merge(base: dict, child: dict) -> dict:
    """Tables merge key by key; every other value (arrays included) replaces the parent's."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _leaves(raw: dict, prefix: Path_ = ()) -> Iterator[Path_]:
    for key, value in raw.items():
        if isinstance(value, dict) and value:
            yield from _leaves(value, prefix + (key,))
        else:
            yield prefix + (key,)


def _source_of(path: Path_, prov: dict[Path_, tuple[int, str]], top: str) -> str:
    """The file (or --set) that stated the value at ``path``; the top file for defaults."""
    for n in range(len(path), 0, -1):
        if path[:n] in prov:
            return prov[path[:n]][1]
    below = [v for k, v in prov.items() if k[: len(path)] == path]
    return max(below)[1] if below else top


# ---------------------------------------------------------------------------------------
# --set overrides
# ---------------------------------------------------------------------------------------

_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_.:/+-]*$")
_SYNTAX = "expected TABLE.KEY=VALUE, e.g. routing.w2=0.8"

Part = tuple[str, int | None]


def _parse_override(text: str) -> tuple[list[Part], Any]:
    """``"routing.w2=0.8"`` -> ([("routing", None), ("w2", None)], 0.8); the path checked against the schema."""
    if "=" not in text:
        raise ScenarioError.of([Problem((), f"bad override {_clip(repr(text))}: no '='; {_SYNTAX}")])
    key, _, raw_value = text.partition("=")
    key, raw_value = key.strip(), raw_value.strip()
    parts: list[Part] = []
    for chunk in key.split("."):
        m = _PART.match(chunk)
        if not m:
            raise ScenarioError.of([Problem((), f"bad override {_clip(repr(text))}: {_clip(repr(key))} is not a dotted field name; {_SYNTAX}")])
        parts.append((m.group(1), None if m.group(2) is None else int(m.group(2))))
    if len(parts) < 2:
        raise ScenarioError.of([Problem((), f"bad override {_clip(repr(text))}: name a table and a key; {_SYNTAX}")])
    _check_override_path(parts)
    try:
        value = _toml(f"v = {raw_value}")["v"]
    except _TooDeep as exc:
        raise ScenarioError.of([Problem(_flat(parts), f"bad override value: {exc}")]) from None
    except tomllib.TOMLDecodeError:
        if not _BARE.match(raw_value):
            raise ScenarioError.of(
                [Problem(_flat(parts), f"bad override value {_clip(repr(raw_value))}: not a TOML value (quote strings: \"text\")")]
            ) from None
        value = raw_value  # a bare word: routing.policy=mogwo
    return parts, value


def _flat(parts: Sequence[Part]) -> Path_:
    return tuple(p for name, idx in parts for p in ((name,) if idx is None else (name, idx)))


def _check_override_path(parts: Sequence[Part]) -> None:
    cls: Any = Scenario
    for depth, (name, idx) in enumerate(parts):
        here = _flat(parts[:depth])
        names = [f.name for f in fields(cls)]
        if name not in names:
            raise ScenarioError.of([_unknown_key(here, name, None, names, top=cls is Scenario)])
        tp = _hints(cls)[name]
        arms = typing.get_args(tp) if typing.get_origin(tp) in (types.UnionType, typing.Union) else (tp,)
        if idx is not None:
            lists = [a for a in arms if typing.get_origin(a) is tuple and _is_section(typing.get_args(a)[0])]
            if not lists:
                raise ScenarioError.of([Problem(here + (name,), "is not an array of tables; drop the [index]")])
            arms = (typing.get_args(lists[0])[0],)
        if depth < len(parts) - 1:
            tables = [a for a in arms if _is_section(a)]
            if not tables:
                raise ScenarioError.of([Problem(here + (name,), f"is {_kind(tp)}, not a table; it has no field {parts[depth + 1][0]!r}")])
            cls = tables[0]


def _apply_override(data: dict, parts: Sequence[Part], value: Any, done: Path_ = ()) -> dict:
    """A copy of ``data`` with the value set at ``parts`` (tables merged, as with extends)."""
    name, idx = parts[0]
    out = dict(data)
    if idx is None:
        if len(parts) == 1:
            old = out.get(name)
            out[name] = _merge(old, value) if isinstance(value, dict) and isinstance(old, dict) else value
        else:
            child = out.get(name)
            out[name] = _apply_override(child if isinstance(child, dict) else {}, parts[1:], value, done + (name,))
        return out
    # an element of an array of tables: start from the current array (the file's, else the default)
    path = done + (name,)
    current = out[name] if name in out else _default_at(path)
    if not isinstance(current, list):
        raise ScenarioError.of([Problem(path, "is not an array of tables here; set the whole value instead", current)])
    if not 0 <= idx < len(current):
        raise ScenarioError.of([Problem(path, f"index {idx} out of range: the array has {len(current)} entries")])
    items = list(current)
    item = items[idx] if isinstance(items[idx], dict) else {}
    if len(parts) > 1:
        items[idx] = _apply_override(item, parts[1:], value, path + (idx,))
    else:
        items[idx] = _merge(item, value) if isinstance(value, dict) else value
    out[name] = items
    return out


def _default_at(path: Path_) -> Any:
    """The default value (plain data) at ``path`` of a scenario, or _MISSING."""
    node: Any = Scenario().to_dict()
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


# ---------------------------------------------------------------------------------------
# Plain data and TOML output
# ---------------------------------------------------------------------------------------


def _plain(obj: Any, dates_as_text: bool = False) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _plain(getattr(obj, f.name), dates_as_text) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [_plain(x, dates_as_text) for x in obj]
    if isinstance(obj, dict):
        return {k: _plain(v, dates_as_text) for k, v in obj.items()}
    if isinstance(obj, date) and not isinstance(obj, datetime) and dates_as_text:
        return obj.isoformat()
    return obj


def _toml_str(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+$")


def _toml_key(k: str) -> str:
    return k if _BARE_KEY.match(k) else _toml_str(k)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            return {math.inf: "inf", -math.inf: "-inf"}.get(v, "nan")
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"cannot write {type(v).__name__} as TOML")


def dumps_toml(data: dict) -> str:
    """Plain nested data as TOML: scalars first, then sub-tables, then arrays of tables."""
    lines: list[str] = []

    def table(node: dict, prefix: str) -> None:
        subs, arrays = [], []
        for k, v in node.items():
            if isinstance(v, dict):
                subs.append((k, v))
            elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
                arrays.append((k, v))
            else:
                lines.append(f"{_toml_key(k)} = {_toml_value(v)}")
        for k, v in subs:
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            lines.extend(["", f"[{name}]"])
            table(v, name)
        for k, v in arrays:
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            for item in v:
                lines.extend(["", f"[[{name}]]"])
                for ik, iv in item.items():
                    lines.append(f"{_toml_key(ik)} = {_toml_value(iv)}")

    table(data, "")
    return "\n".join(lines).lstrip("\n") + "\n"


# ---------------------------------------------------------------------------------------
# Field reference (scenarios/README.md is generated from this)
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDoc:
    """One row of the field reference."""

    path: str
    type: str
    unit: str
    default: str
    allowed: str
    meaning: str


def _default_text(f: dataclasses.Field) -> str:
    if f.metadata.get("default_doc"):
        return f.metadata["default_doc"]
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    return f"`{_toml_value(_plain(value))}`"


def field_reference() -> list[tuple[str, list[FieldDoc]]]:
    """Every field of every table: (table, rows), in file order, nested tables included."""
    out: list[tuple[str, list[FieldDoc]]] = []

    def walk(cls: type, prefix: str, table: str) -> None:
        rows: list[FieldDoc] = []
        nested: list[tuple[type, str]] = []
        hints = _hints(cls)
        for f in fields(cls):
            tp = hints[f.name]
            rows.append(
                FieldDoc(
                    f"{prefix}{f.name}", _type_word(tp), f.metadata["unit"], _default_text(f),
                    _allowed_text(f, tp), f.metadata["doc"],
                )
            )
            arms = typing.get_args(tp) if typing.get_origin(tp) in (types.UnionType, typing.Union) else (tp,)
            for arm in arms:
                if _is_section(arm):
                    nested.append((arm, f"{table}.{f.name}"))
                elif typing.get_origin(arm) is tuple and _is_section(typing.get_args(arm)[0]):
                    nested.append((typing.get_args(arm)[0], f"{table}.{f.name}[]"))
        out.append((table, rows))
        for sub, name in nested:
            walk(sub, "", name)

    for f in fields(Scenario):
        walk(_hints(Scenario)[f.name], "", f.name)
    return out


def reference_markdown() -> str:
    """The field reference as Markdown tables (pasted between markers in scenarios/README.md)."""
    parts = []
    for table, rows in field_reference():
        header = f"[[{table[:-2]}]] (array of tables)" if table.endswith("[]") else f"[{table}]"
        parts.append(f"#### `{header}`\n")
        parts.append("| field | type | unit | default | allowed | meaning |")
        parts.append("|---|---|---|---|---|---|")
        for r in rows:
            cells = [f"`{r.path}`", r.type, r.unit, r.default, r.allowed, r.meaning]
            parts.append("| " + " | ".join(c.replace("|", "\\|") if "\\|" not in c else c for c in cells) + " |")
        parts.append("")
    return "\n".join(parts)


__all__ = [
    "Scenario",
    "ScenarioError",
    "Problem",
    "Simulation",
    "World",
    "Depot",
    "ZoneShares",
    "Demand",
    "Peak",
    "DeliveryShares",
    "DeliveryWindows",
    "Catalog",
    "Warehouse",
    "Packing",
    "Box",
    "Fleet",
    "Vehicle",
    "Routing",
    "Labels",
    "Recommender",
    "Incentives",
    "KG_PER_CAPACITY_UNIT",
    "MAX_EXPECTED_EVENTS",
    "MAX_FILE_BYTES",
    "Work",
    "dumps_toml",
    "faker_locales",
    "field_reference",
    "reference_markdown",
]
