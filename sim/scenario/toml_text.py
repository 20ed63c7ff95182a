"""Plain data and TOML text of a scenario (what ``carbonsim validate --resolved`` prints)."""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import fields
from datetime import date, datetime
from typing import Any


def is_tomlable(value: Any) -> bool:
    try:
        toml_value(plain(value))
        return True
    except (TypeError, ValueError):
        return False


def plain(obj: Any, dates_as_text: bool = False) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name), dates_as_text) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [plain(x, dates_as_text) for x in obj]
    if isinstance(obj, dict):
        return {k: plain(v, dates_as_text) for k, v in obj.items()}
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


def toml_value(v: Any) -> str:
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
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
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
                lines.append(f"{_toml_key(k)} = {toml_value(v)}")
        for k, v in subs:
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            lines.extend(["", f"[{name}]"])
            table(v, name)
        for k, v in arrays:
            name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
            for item in v:
                lines.extend(["", f"[[{name}]]"])
                for ik, iv in item.items():
                    lines.append(f"{_toml_key(ik)} = {toml_value(iv)}")

    table(data, "")
    return "\n".join(lines).lstrip("\n") + "\n"
