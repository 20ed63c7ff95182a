"""The field reference of ``scenarios/README.md``, generated from the schema's metadata."""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, fields

from sim.scenario.fields import allowed_text, is_section, type_hints, type_word
from sim.scenario.schema import Scenario
from sim.scenario.toml_text import plain, toml_value


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
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
    return f"`{toml_value(plain(value))}`"


def field_reference() -> list[tuple[str, list[FieldDoc]]]:
    """Every field of every table: (table, rows), in file order, nested tables included."""
    out: list[tuple[str, list[FieldDoc]]] = []

    def walk(cls: type, prefix: str, table: str) -> None:
        rows: list[FieldDoc] = []
        nested: list[tuple[type, str]] = []
        hints = type_hints(cls)
        for f in fields(cls):
            tp = hints[f.name]
            rows.append(
                FieldDoc(
                    f"{prefix}{f.name}",
                    type_word(tp),
                    f.metadata["unit"],
                    _default_text(f),
                    allowed_text(f, tp),
                    f.metadata["doc"],
                )
            )
            arms = typing.get_args(tp) if typing.get_origin(tp) in (types.UnionType, typing.Union) else (tp,)
            for arm in arms:
                if is_section(arm):
                    nested.append((arm, f"{table}.{f.name}"))
                elif typing.get_origin(arm) is tuple and is_section(typing.get_args(arm)[0]):
                    nested.append((typing.get_args(arm)[0], f"{table}.{f.name}[]"))
        out.append((table, rows))
        for sub, name in nested:
            walk(sub, "", name)

    for f in fields(Scenario):
        walk(type_hints(Scenario)[f.name], "", f.name)
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
