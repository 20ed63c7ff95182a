"""The realism bands: what a real parcel operation's figures look like, each with its source.

The bands live in one data file shipped in the package (``realism_bands.toml`` beside this
module) so that the numbers and their citations are reviewed together, and a band cannot be
changed without its source in view. :func:`load_bands` reads and checks it: a mistake is a
:class:`BandFileError` naming the file, the entry and the field, never a band silently dropped
or a bound silently ignored.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from labels.datafile import Table, read_toml
from sim.analysis.summary import RunSummary
from sim.errors import InputError

#: The band file shipped in the package.
BANDS_FILE = "realism_bands.toml"


class BandFileError(InputError):
    """The band file is unreadable or one of its entries is wrong (the message says where)."""


@dataclass(frozen=True)
class Band:
    """One realism figure's real-world range and where it comes from.

    ``low``/``high`` are in the run figure's own units (a share as a fraction in [0, 1]); either
    may be None for a one-sided band, never both. ``derived`` says how the band was worked out
    from the sourced numbers when it is our arithmetic; ``weak`` marks a secondary source."""

    key: str  # the RunSummary / `run --json` name of the figure
    label: str
    unit: str  # "%" for a share
    low: float | None
    high: float | None
    source: str  # the full citation
    cite: str  # the source in a few words, for a table column
    note: str
    url: str | None = None
    derived: str | None = None
    weak: bool = False

    @property
    def share(self) -> bool:
        """Whether the figure is a share (stored as a fraction, shown in %)."""
        return self.unit == "%"


_REQUIRED_TEXT = ("key", "label", "unit", "source", "cite", "note")
_OPTIONAL_TEXT = ("url", "derived")
_BOUNDS = ("low", "high")
_FIELDS = (*_REQUIRED_TEXT, *_OPTIONAL_TEXT, *_BOUNDS, "weak")


def run_figures() -> frozenset[str]:
    """The names a band may hold a run to: the keys of :meth:`RunSummary.to_dict`."""
    names = {f.name for f in dataclasses.fields(RunSummary)}
    names.update(n for n, v in vars(RunSummary).items() if isinstance(v, property))
    return frozenset(names)


def default_bands_path() -> Path:
    """Where the package's band file is (read through importlib.resources, so an installed
    package finds it as a checkout does)."""
    return Path(str(resources.files("sim.analysis") / BANDS_FILE))


def load_bands(path: str | Path | None = None) -> tuple[Band, ...]:
    """The bands of ``path`` (default: the package's file), in file order, each checked."""
    path = Path(path) if path is not None else default_bands_path()
    return parse_bands(read_toml(path, BandFileError), str(path))


def parse_bands(data: dict[str, Any], source: str = "<bands>") -> tuple[Band, ...]:
    """The bands of a parsed band file; ``source`` names it in error messages."""
    extra = sorted(set(data) - {"band"})
    if extra:
        raise BandFileError(f"{source}: unknown top-level key {extra[0]!r} (a band file holds [[band]] tables only)")
    entries = data.get("band")
    if not isinstance(entries, list) or not entries:
        raise BandFileError(f"{source}: no bands (expected one [[band]] table per figure)")
    known = run_figures()
    bands: list[Band] = []
    seen: set[str] = set()
    for i, entry in enumerate(entries, 1):
        band = _parse_band(entry, f"{source}: band {i}", known)
        if band.key in seen:
            raise BandFileError(f"{source}: band {i} ({band.key}): field 'key': {band.key!r} already has a band")
        seen.add(band.key)
        bands.append(band)
    return tuple(bands)


def _parse_band(entry: Any, where: str, known: frozenset[str]) -> Band:
    table = Table(entry, where, _FIELDS, BandFileError, text=_REQUIRED_TEXT, optional_text=_OPTIONAL_TEXT, name_key="key")
    bad = table.bad
    if entry["key"] not in known:
        raise bad("key", f"{entry['key']!r} is not a run figure (a key of `carbonsim run --json`)")
    bounds: dict[str, float | None] = {}
    for field in _BOUNDS:
        value = entry.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value)):
            raise bad(field, f"must be a finite number, got {value!r}")
        bounds[field] = None if value is None else float(value)
    low, high = bounds["low"], bounds["high"]
    if low is None and high is None:
        raise bad("low", "a band needs low, high or both")
    if low is not None and high is not None and low > high:
        raise bad("low", f"{low:g} is above high {high:g}")
    weak = entry.get("weak", False)
    if not isinstance(weak, bool):
        raise bad("weak", f"must be true or false, got {weak!r}")
    if entry["unit"] == "%" and any(b is not None and not 0.0 <= b <= 1.0 for b in (low, high)):
        raise bad("low" if low is not None and not 0.0 <= low <= 1.0 else "high", "a share's bound is a fraction in [0, 1]")
    return Band(
        key=entry["key"],
        label=entry["label"],
        unit=entry["unit"],
        low=low,
        high=high,
        source=entry["source"],
        cite=entry["cite"],
        note=entry["note"],
        url=entry.get("url"),
        derived=entry.get("derived"),
        weak=weak,
    )
