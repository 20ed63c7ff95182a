"""Energy carriers and the two emission scopes, from one data file (``energy_carriers.toml``).

:func:`load_carriers` reads the package's file (or another) and checks it: a mistake names the
file, the carrier and the field. :meth:`Carrier.scopes` turns kg CO2e computed with the model's
per-km factors into (WTW, TTW): combustion factors are tank-to-wheel, so WTW adds the carrier's
well-to-tank share; an electric vehicle's factors are kWh x the grid's lifecycle intensity, so
they are its WTW and its TTW is 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from labels.datafile import Table, read_toml

CARRIERS_FILE = "energy_carriers.toml"
#: The carrier of battery-electric vehicles.
ELECTRICITY = "electricity"


class CarrierFileError(ValueError):
    """The energy carrier file is wrong; the message names the file, the carrier and the field."""


@dataclass(frozen=True)
class Carrier:
    """One energy carrier: kg CO2e per ``unit``, tank-to-wheel and well-to-tank."""

    name: str
    unit: str
    ttw: float
    wtt: float | None  # None: electricity, whose supply intensity is the scenario's grid
    source: str
    weak: bool = False

    @property
    def electric(self) -> bool:
        return self.wtt is None

    def scopes(self, kg_model: float) -> tuple[float, float]:
        """(WTW, TTW) kg CO2e of ``kg_model`` computed with the model's factors."""
        if self.wtt is None:
            return kg_model, 0.0
        return kg_model * (self.ttw + self.wtt) / self.ttw, kg_model

    def in_scope(self, kg_model: float, scope: str) -> float:
        """``kg_model`` in ``scope`` ("wtw" or "ttw")."""
        wtw, ttw = self.scopes(kg_model)
        if scope == "wtw":
            return wtw
        if scope == "ttw":
            return ttw
        raise ValueError(f"unknown scope {scope!r}; allowed: wtw, ttw")


def default_carriers_path() -> Path:
    return Path(str(resources.files("labels") / CARRIERS_FILE))


@cache
def carriers() -> dict[str, Carrier]:
    """The package's carriers by name (read once)."""
    return load_carriers()


def carrier(name: str) -> Carrier:
    """The package's carrier ``name``; KeyError naming the known ones."""
    known = carriers()
    if name not in known:
        raise KeyError(f"unknown energy carrier {name!r}; known: {', '.join(known)}")
    return known[name]


def vehicle_carrier(energy_carrier: str, electric: bool) -> str:
    """The carrier a vehicle type runs on: electricity for an electric one, else its stated
    ``energy_carrier``, with ``auto`` read as diesel."""
    if electric:
        return ELECTRICITY
    return "diesel" if energy_carrier == "auto" else energy_carrier


def load_carriers(path: str | Path | None = None) -> dict[str, Carrier]:
    """The carriers of ``path`` (default: the package's file), each checked."""
    path = Path(path) if path is not None else default_carriers_path()
    return parse_carriers(read_toml(path, CarrierFileError), str(path))


_FIELDS = ("name", "unit", "ttw", "wtt", "source", "weak")


def parse_carriers(data: dict[str, Any], source: str = "<carriers>") -> dict[str, Carrier]:
    extra = sorted(set(data) - {"carrier"})
    if extra:
        raise CarrierFileError(f"{source}: unknown top-level key {extra[0]!r} (the file holds [[carrier]] tables only)")
    entries = data.get("carrier")
    if not isinstance(entries, list) or not entries:
        raise CarrierFileError(f"{source}: no carriers (expected [[carrier]] tables)")
    out: dict[str, Carrier] = {}
    for i, entry in enumerate(entries, 1):
        c = _parse(entry, f"{source}: carrier {i}")
        if c.name in out:
            raise CarrierFileError(f"{source}: carrier {i} ({c.name}): field 'name': {c.name!r} is listed twice")
        out[c.name] = c
    if ELECTRICITY not in out or not out[ELECTRICITY].electric:
        raise CarrierFileError(f"{source}: carrier {ELECTRICITY!r} (no 'wtt': the grid's) is required by electric vehicles")
    return out


def _parse(entry: Any, where: str) -> Carrier:
    table = Table(entry, where, _FIELDS, CarrierFileError, text=("name", "unit", "source"))
    bad = table.bad
    numbers: dict[str, float | None] = {}
    for field in ("ttw", "wtt"):
        value = entry.get(field)
        if value is None:
            if field == "ttw":
                raise bad(field, "missing")
            numbers[field] = None
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise bad(field, f"must be a finite number >= 0 (kg CO2e per {entry['unit']}), got {value!r}")
        numbers[field] = float(value)
    ttw, wtt = numbers["ttw"], numbers["wtt"]
    assert ttw is not None
    if wtt is None and ttw != 0.0:
        raise bad("wtt", "missing (only electricity, with ttw = 0, takes its supply intensity from the grid)")
    if wtt is not None and ttw <= 0.0:
        raise bad("ttw", "must be > 0 for a fuel (the model's factors are tank-to-wheel and scale by it)")
    weak = entry.get("weak", False)
    if not isinstance(weak, bool):
        raise bad("weak", f"must be true or false, got {weak!r}")
    return Carrier(name=entry["name"], unit=entry["unit"], ttw=ttw, wtt=wtt, source=entry["source"], weak=weak)
