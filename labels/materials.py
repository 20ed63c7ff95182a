"""Packaging materials and what a box of one emits, from one data file (``packaging_materials.toml``).

:func:`load_materials` reads the package's file (or another) and checks it: a mistake names the
file, the material and the field. :meth:`Material.kg_co2e_per_trip` turns a box's weight into what
one parcel is charged: the whole production for a single-use box or mailer, the amortised figure
for a reusable one (see the data file for the rule).

It imports nothing of the scenario: :mod:`sim.scenario` reads it to check a box's material.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from labels.datafile import Table, read_toml

MATERIALS_FILE = "packaging_materials.toml"
#: What a box is made of unless it says otherwise.
DEFAULT_MATERIAL = "corrugated"
#: A rigid container takes any order; a mailer (a soft bag) only soft goods that fit it.
FORMS = ("box", "mailer")


class MaterialFileError(ValueError):
    """The packaging materials file is wrong; the message names the file, the material and the field."""


@dataclass(frozen=True)
class Material:
    """One packaging material: kg CO2e per kg, cradle to gate; ``trips`` set for a reusable one."""

    name: str
    form: str
    kg_co2e_per_kg: float
    source: str
    weak: bool = False
    trips: int | None = None
    return_share: float | None = None
    trips_source: str | None = None
    return_share_source: str | None = None

    @property
    def reusable(self) -> bool:
        return self.trips is not None

    @property
    def mailer(self) -> bool:
        return self.form == "mailer"

    def production_kg_co2e(self, weight_kg: float) -> float:
        """Producing one container of ``weight_kg``."""
        return weight_kg * self.kg_co2e_per_kg

    def kg_co2e_per_trip(self, weight_kg: float) -> float:
        """What one parcel in a container of ``weight_kg`` is charged: its production when it is
        used once; for a reusable one, production / trips when it comes back (``return_share``) and
        the whole production when it is lost (the expectation: packing cannot know which)."""
        production = self.production_kg_co2e(weight_kg)
        if self.trips is None or self.return_share is None:
            return production
        return production * (self.return_share / self.trips + (1.0 - self.return_share))


def default_materials_path() -> Path:
    return Path(str(resources.files("labels") / MATERIALS_FILE))


@cache
def materials() -> dict[str, Material]:
    """The package's materials by name (read once)."""
    return load_materials()


def material(name: str) -> Material:
    """The package's material ``name``; KeyError naming the known ones."""
    known = materials()
    if name not in known:
        raise KeyError(f"unknown packaging material {name!r}; known: {', '.join(known)}")
    return known[name]


def load_materials(path: str | Path | None = None) -> dict[str, Material]:
    """The materials of ``path`` (default: the package's file), each checked."""
    path = Path(path) if path is not None else default_materials_path()
    return parse_materials(read_toml(path, MaterialFileError), str(path))


_TEXT = ("name", "form", "source")
_REUSE = ("trips", "trips_source", "return_share", "return_share_source")
_FIELDS = (*_TEXT, "kg_co2e_per_kg", "weak", *_REUSE)


def parse_materials(data: dict[str, Any], source: str = "<materials>") -> dict[str, Material]:
    extra = sorted(set(data) - {"material"})
    if extra:
        raise MaterialFileError(f"{source}: unknown top-level key {extra[0]!r} (the file holds [[material]] tables only)")
    entries = data.get("material")
    if not isinstance(entries, list) or not entries:
        raise MaterialFileError(f"{source}: no materials (expected [[material]] tables)")
    out: dict[str, Material] = {}
    for i, entry in enumerate(entries, 1):
        m = _parse(entry, f"{source}: material {i}")
        if m.name in out:
            raise MaterialFileError(f"{source}: material {i} ({m.name}): field 'name': {m.name!r} is listed twice")
        out[m.name] = m
    if DEFAULT_MATERIAL not in out:
        raise MaterialFileError(f"{source}: material {DEFAULT_MATERIAL!r} is required (the default of a box)")
    return out


def _parse(entry: Any, where: str) -> Material:
    table = Table(entry, where, _FIELDS, MaterialFileError, text=_TEXT)
    bad = table.bad
    if entry["form"] not in FORMS:
        raise bad("form", f"must be one of {', '.join(FORMS)}, got {entry['form']!r}")
    factor = entry.get("kg_co2e_per_kg")
    if factor is None:
        raise bad("kg_co2e_per_kg", "missing")
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not math.isfinite(factor) or factor < 0:
        raise bad("kg_co2e_per_kg", f"must be a finite number >= 0 (kg CO2e per kg of material), got {factor!r}")
    weak = entry.get("weak", False)
    if not isinstance(weak, bool):
        raise bad("weak", f"must be true or false, got {weak!r}")
    stated = [f for f in _REUSE if f in entry]
    if stated and len(stated) < len(_REUSE):
        missing = next(f for f in _REUSE if f not in entry)
        raise bad(missing, f"missing (a reusable material states all of {', '.join(_REUSE)})")
    trips = return_share = trips_source = return_share_source = None
    if stated:
        trips = entry["trips"]
        if isinstance(trips, bool) or not isinstance(trips, int) or trips < 1:
            raise bad("trips", f"must be an integer >= 1 (trips a box makes), got {trips!r}")
        share = entry["return_share"]
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
            raise bad("return_share", f"must be a number between 0 and 1 (share of boxes that come back), got {share!r}")
        return_share = float(share)
        for field in ("trips_source", "return_share_source"):
            value = entry[field]
            if not isinstance(value, str) or not value.strip():
                raise bad(field, f"must be non-empty text, got {value!r}")
        trips_source, return_share_source = entry["trips_source"], entry["return_share_source"]
    return Material(
        name=entry["name"],
        form=entry["form"],
        kg_co2e_per_kg=float(factor),
        source=entry["source"],
        weak=weak,
        trips=trips,
        return_share=return_share,
        trips_source=trips_source,
        return_share_source=return_share_source,
    )
