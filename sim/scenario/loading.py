"""Scenario files: reading, ``extends`` chains, merging with provenance, and ``--set`` overrides."""

from __future__ import annotations

import os
import re
import stat
import tomllib
import types
import typing
from collections.abc import Iterator, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from sim.scenario.fields import is_section, kind, type_hints, unknown_key
from sim.scenario.problems import MISSING, Path_, Problem, ScenarioError, clip

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


def parse(text: str, label: str) -> dict:
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


def load_chain(path: Path, label: str, stack: tuple[Path, ...]) -> list[tuple[str, dict]]:
    return resolve_extends(parse(_read_text(path, label), label), label, path, stack)


def resolve_extends(raw: dict, label: str, path: Path, stack: tuple[Path, ...]) -> list[tuple[str, dict]]:
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
    return load_chain(target, os.path.normpath(target), stack + (me,)) + [(label, raw)]


def merge(base: dict, child: dict) -> dict:
    """Tables merge key by key; every other value (arrays included) replaces the parent's."""
    out = dict(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def leaves(raw: dict, prefix: Path_ = ()) -> Iterator[Path_]:
    for key, value in raw.items():
        if isinstance(value, dict) and value:
            yield from leaves(value, prefix + (key,))
        else:
            yield prefix + (key,)


def source_of(path: Path_, prov: dict[Path_, tuple[int, str]], top: str) -> str:
    """The file (or --set) that stated the value at ``path``; the top file for defaults."""
    for n in range(len(path), 0, -1):
        if path[:n] in prov:
            return prov[path[:n]][1]
    below = [v for k, v in prov.items() if k[: len(path)] == path]
    return max(below)[1] if below else top


_PART = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$")


_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_.:/+-]*$")


_SYNTAX = "expected TABLE.KEY=VALUE, e.g. routing.w2=0.8"


Part = tuple[str, int | None]


def parse_override(text: str, root: type) -> tuple[list[Part], Any]:
    """``"routing.w2=0.8"`` -> ([("routing", None), ("w2", None)], 0.8); the path checked against the schema
    whose top-level class is ``root``."""
    if "=" not in text:
        raise ScenarioError.of([Problem((), f"bad override {clip(repr(text))}: no '='; {_SYNTAX}")])
    key, _, raw_value = text.partition("=")
    key, raw_value = key.strip(), raw_value.strip()
    parts: list[Part] = []
    for chunk in key.split("."):
        m = _PART.match(chunk)
        if not m:
            raise ScenarioError.of(
                [Problem((), f"bad override {clip(repr(text))}: {clip(repr(key))} is not a dotted field name; {_SYNTAX}")]
            )
        parts.append((m.group(1), None if m.group(2) is None else int(m.group(2))))
    if len(parts) < 2:
        raise ScenarioError.of([Problem((), f"bad override {clip(repr(text))}: name a table and a key; {_SYNTAX}")])
    _check_override_path(parts, root)
    try:
        value = _toml(f"v = {raw_value}")["v"]
    except _TooDeep as exc:
        raise ScenarioError.of([Problem(flat(parts), f"bad override value: {exc}")]) from None
    except tomllib.TOMLDecodeError:
        if not _BARE.match(raw_value):
            raise ScenarioError.of(
                [Problem(flat(parts), f'bad override value {clip(repr(raw_value))}: not a TOML value (quote strings: "text")')]
            ) from None
        value = raw_value  # a bare word: routing.policy=mogwo
    return parts, value


def flat(parts: Sequence[Part]) -> Path_:
    return tuple(p for name, idx in parts for p in ((name,) if idx is None else (name, idx)))


def _check_override_path(parts: Sequence[Part], root: type) -> None:
    cls: Any = root
    for depth, (name, idx) in enumerate(parts):
        here = flat(parts[:depth])
        names = [f.name for f in fields(cls)]
        if name not in names:
            raise ScenarioError.of([unknown_key(here, name, None, names, top=cls is root)])
        tp = type_hints(cls)[name]
        arms = typing.get_args(tp) if typing.get_origin(tp) in (types.UnionType, typing.Union) else (tp,)
        if idx is not None:
            lists = [a for a in arms if typing.get_origin(a) is tuple and is_section(typing.get_args(a)[0])]
            if not lists:
                raise ScenarioError.of([Problem(here + (name,), "is not an array of tables; drop the [index]")])
            arms = (typing.get_args(lists[0])[0],)
        if depth < len(parts) - 1:
            tables = [a for a in arms if is_section(a)]
            if not tables:
                raise ScenarioError.of(
                    [Problem(here + (name,), f"is {kind(tp)}, not a table; it has no field {parts[depth + 1][0]!r}")]
                )
            cls = tables[0]


def apply_override(data: dict, parts: Sequence[Part], value: Any, root: type, done: Path_ = ()) -> dict:
    """A copy of ``data`` with the value set at ``parts`` (tables merged, as with extends); an array's
    current value, when ``data`` has none, is the default of ``root``, the top-level schema class."""
    name, idx = parts[0]
    out = dict(data)
    if idx is None:
        if len(parts) == 1:
            old = out.get(name)
            out[name] = merge(old, value) if isinstance(value, dict) and isinstance(old, dict) else value
        else:
            child = out.get(name)
            out[name] = apply_override(child if isinstance(child, dict) else {}, parts[1:], value, root, done + (name,))
        return out
    # an element of an array of tables: start from the current array (the file's, else the default)
    path = done + (name,)
    current = out[name] if name in out else _default_at(path, root)
    if not isinstance(current, list):
        raise ScenarioError.of([Problem(path, "is not an array of tables here; set the whole value instead", current)])
    if not 0 <= idx < len(current):
        raise ScenarioError.of([Problem(path, f"index {idx} out of range: the array has {len(current)} entries")])
    items = list(current)
    item = items[idx] if isinstance(items[idx], dict) else {}
    if len(parts) > 1:
        items[idx] = apply_override(item, parts[1:], value, root, path + (idx,))
    else:
        items[idx] = merge(item, value) if isinstance(value, dict) else value
    out[name] = items
    return out


def _default_at(path: Path_, root: type) -> Any:
    """The default value (plain data) at ``path`` of a ``root`` made of defaults, or MISSING."""
    node: Any = root().to_dict()
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node
