"""The validation engine: field metadata, strict type coercion, range checks and the frozen section base class."""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import field, fields
from datetime import date, datetime
from functools import cache
from typing import Any, Literal

from sim.scenario.problems import MISSING, Path_, Problem, ScenarioError


def field_spec(
    default: Any = MISSING,
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
        unit=unit,
        doc=doc,
        ge=ge,
        gt=gt,
        le=le,
        lt=lt,
        item_ge=item_ge,
        item_gt=item_gt,
        item_le=item_le,
        length=length,
        min_len=min_len,
        max_len=max_len,
        allowed=allowed,
        default_doc=default_doc,
        why=why,
    )
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


def num(x: float) -> str:
    if x == 2**63 - 1:
        return "2^63-1"
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x) if isinstance(x, float) else str(x)


def _range_text(ge=None, gt=None, le=None, lt=None) -> str:
    lo = f">= {num(ge)}" if ge is not None else (f"> {num(gt)}" if gt is not None else "")
    hi = f"<= {num(le)}" if le is not None else (f"< {num(lt)}" if lt is not None else "")
    if ge is not None and le is not None:
        return f"between {num(ge)} and {num(le)}"
    return " and ".join(s for s in (lo, hi) if s)


@cache
def type_hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def is_section(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def kind(tp: Any) -> str:
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
        if is_section(item):
            return "an array of tables"
        return {int: "an array of integers", float: "an array of numbers", str: "an array of strings"}[item]
    if origin in (types.UnionType, typing.Union):
        return " or ".join(kind(a) for a in typing.get_args(tp))
    if is_section(tp):
        return "a table"
    raise TypeError(f"no kind for {tp!r}")  # pragma: no cover - schema bug


def type_word(tp: Any) -> str:
    """Short type name for the README."""
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "string"
    if origin is tuple:
        item = typing.get_args(tp)[0]
        return "array of tables" if is_section(item) else f"array of {type_word(item)}s"
    if origin in (types.UnionType, typing.Union):
        return " or ".join(type_word(a) for a in typing.get_args(tp))
    if is_section(tp):
        return "table"
    return {bool: "boolean", int: "integer", float: "number", str: "string", date: "date"}[tp]


def _fits(value: Any, tp: Any) -> bool:
    """Whether a value has the right *shape* for one arm of a union."""
    origin = typing.get_origin(tp)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is tuple:
        return isinstance(value, (list, tuple))
    if is_section(tp):
        return isinstance(value, (dict, tp))
    return True  # pragma: no cover - unions only combine the kinds above


def _coerce(value: Any, tp: Any, path: Path_, meta: dict | None = None) -> Any:
    """Check ``value`` against ``tp`` and return it normalised (int -> float, list -> tuple,
    ISO string -> date, table -> dataclass); raise ScenarioError with problems at ``path``."""
    meta = meta or {}
    origin = typing.get_origin(tp)

    def bad(what: str | None = None) -> ScenarioError:
        rng = _range_text(meta.get("ge"), meta.get("gt"), meta.get("le"), meta.get("lt"))
        msg = what or f"must be {kind(tp)}" + (f" {rng}" if rng and tp in (int, float) else "")
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
        items: list[Any] = []
        problems: list[Problem] = []
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
    if is_section(tp):
        if isinstance(value, tp):
            return value
        if isinstance(value, dict):
            return from_mapping(tp, value, path)
        raise bad()
    raise TypeError(f"unsupported schema type {tp!r}")  # pragma: no cover - schema bug


#: Fields that moved or were renamed: old dotted name -> new dotted name.
RENAMED: dict[str, str] = {
    "world.trust_share": "consumers.trust_share",
    "incentives.points_per_green_order": "incentives.points_per_green_purchase",
}


def unknown_key(path: Path_, key: str, value: Any, allowed: Sequence[str], top: bool) -> Problem:
    dotted = ".".join(str(p) for p in path + (key,))
    if dotted in RENAMED:
        return Problem(path + (key,), f"has moved: write it as {RENAMED[dotted]}")
    what = "table" if top or isinstance(value, dict) else "field"
    close = difflib.get_close_matches(key, allowed, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return Problem(path + (key,), f"unknown {what}{hint}; allowed: {', '.join(allowed)}")


def from_mapping(cls: type, mapping: dict, path: Path_ = ()) -> Any:
    """Build a section from a TOML table, reporting unknown keys and every bad field."""
    names = [f.name for f in fields(cls)]
    problems = [unknown_key(path, k, v, names, top=not path) for k, v in mapping.items() if k not in names]
    known = {k: v for k, v in mapping.items() if k in names}
    try:
        obj = cls(**known)
    except ScenarioError as exc:
        problems.extend(dataclasses.replace(p.prefixed(path), source=None) for p in exc.problems)
        obj = None
    if problems:
        raise ScenarioError.of(problems)
    return obj


class Section:
    """Base of every scenario table: strict field checks, then the table's own rules."""

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        hints = type_hints(type(self))  # type: ignore[arg-type]  # a class is hashable; mypy reads Section's __eq__
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
        (ge is None or value >= ge) and (gt is None or value > gt) and (le is None or value <= le) and (lt is None or value < lt)
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


def allowed_text(f: dataclasses.Field, tp: Any) -> str:
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


def unique(path: Path_, names: Sequence[str], what: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield Problem(path + (i,), f"duplicate {what} {name!r}; {what}s must be unique", name)
        seen.add(name)


def shares(obj: Any, path: Path_) -> Iterator[Problem]:
    total = sum(getattr(obj, f.name) for f in fields(obj))
    if abs(total - 1.0) > 1e-6:
        yield Problem(path, f"shares must sum to 1, got {total:.6g}", obj)
