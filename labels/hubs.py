"""Hub operation categories (HOCs) from one data file (``hub_operations.toml``): the sites a
parcel passes between its transport legs (warehouse, sortation hub, delivery station), each with
iLEAP's hub type and the GLEC Framework's default intensity the scenario's kWh a parcel are
derived from. A mistake in the file names the file, the hub and the field."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from labels.datafile import Table, read_toml

HUBS_FILE = "hub_operations.toml"
#: iLEAP's HubType values.
HUB_TYPES = ("Transshipment", "StorageAndTransshipment", "Warehouse", "LiquidBulkTerminal", "MaritimeContainerTerminal")
#: The sites of the simulated chain, in the order a parcel passes them.
SITES = ("warehouse", "hub", "station")


class HubFileError(ValueError):
    """The hub operations file is wrong; the message names the file, the hub and the field."""


@dataclass(frozen=True)
class HubOperation:
    name: str
    hub_type: str
    default_kg_per_tonne: float
    source: str
    derived: str
    weak: bool = False


def default_hubs_path() -> Path:
    return Path(str(resources.files("labels") / HUBS_FILE))


@cache
def hub_operations() -> dict[str, HubOperation]:
    """The package's hub operation categories by site name (read once)."""
    return load_hubs()


def load_hubs(path: str | Path | None = None) -> dict[str, HubOperation]:
    """The hubs of ``path`` (default: the package's file), each checked; every site of the chain present."""
    path = Path(path) if path is not None else default_hubs_path()
    data = read_toml(path, HubFileError)
    entries = data.get("hub")
    if set(data) - {"hub"} or not isinstance(entries, list) or not entries:
        raise HubFileError(f"{path}: expected [[hub]] tables and nothing else")
    out: dict[str, HubOperation] = {}
    for i, entry in enumerate(entries, 1):
        h = _parse(entry, f"{path}: hub {i}")
        if h.name in out:
            raise HubFileError(f"{path}: hub {i} ({h.name}): field 'name': {h.name!r} is listed twice")
        out[h.name] = h
    missing = [s for s in SITES if s not in out]
    if missing:
        raise HubFileError(f"{path}: no hub named {missing[0]!r} (the chain's sites: {', '.join(SITES)})")
    return out


_FIELDS = ("name", "hub_type", "default_kg_per_tonne", "source", "derived", "weak")


def _parse(entry: Any, where: str) -> HubOperation:
    table = Table(entry, where, _FIELDS, HubFileError, text=("name", "hub_type", "source", "derived"))
    bad = table.bad
    if entry["hub_type"] not in HUB_TYPES:
        raise bad("hub_type", f"{entry['hub_type']!r} is not an iLEAP hub type; allowed: {', '.join(HUB_TYPES)}")
    value = entry.get("default_kg_per_tonne")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise bad("default_kg_per_tonne", f"must be a finite number >= 0 (kg CO2e per tonne), got {value!r}")
    weak = entry.get("weak", False)
    if not isinstance(weak, bool):
        raise bad("weak", f"must be true or false, got {weak!r}")
    return HubOperation(entry["name"], entry["hub_type"], float(value), entry["source"], entry["derived"], weak)
