"""Reading the package's TOML data files: one place that turns a missing file or bad TOML into
the file's own error naming the file (the loaders then check the tables field by field)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: Path, error: type[ValueError]) -> dict[str, Any]:
    """The TOML document at ``path``; ``error`` naming the file if it cannot be read or parsed."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read it: {exc.strerror or exc}") from None


class Table:
    """One ``[[table]]`` of a data file being checked: ``bad`` makes the error that names the
    file, the table (by its ``name_key`` when it has one) and the field; unknown fields and
    missing or empty text fields are refused on construction."""

    def __init__(
        self,
        entry: Any,
        where: str,
        fields: tuple[str, ...],
        error: type[ValueError],
        *,
        text: tuple[str, ...] = (),
        optional_text: tuple[str, ...] = (),
        name_key: str = "name",
    ) -> None:
        if not isinstance(entry, dict):
            raise error(f"{where}: not a table")
        if isinstance(entry.get(name_key), str):
            where = f"{where} ({entry[name_key]})"
        self.data: dict[str, Any] = entry
        self.where = where
        self.error = error
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            raise self.bad(unknown[0], f"unknown field (known: {', '.join(fields)})")
        for field in text:
            value = entry.get(field)
            if not isinstance(value, str) or not value.strip():
                raise self.bad(field, "missing" if value is None else f"must be non-empty text, got {value!r}")
        for field in optional_text:
            value = entry.get(field)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise self.bad(field, f"must be non-empty text, got {value!r}")

    def bad(self, field: str, why: str) -> ValueError:
        return self.error(f"{self.where}: field {field!r}: {why}")
