"""VRPLIB VRPTW files and their ``.sol`` best-known solutions, and the reader choice by format.

VRPLIB is the format of PyVRP's instance sets and of CVRPLIB (the Gehring-Homberger 200-1000
customer sets among them). The text is parsed by the ``vrplib`` package; this module turns
its dictionary into a :class:`~optimizer.instance.RoutingInstance` built exactly as
:func:`optimizer.solomon.read_solomon` builds one from a Solomon text file, so the same
instance read in either format is the same instance:

* one vehicle type with the file's ``VEHICLES`` count (the number of customers when the
  file has none, PyVRP's default) and ``CAPACITY``, light-truck emission factors, cost
  equal to distance (1 per km, no fixed or time cost);
* distance = Euclidean distance in full precision (``EDGE_WEIGHT_TYPE : EUC_2D``), travel
  time = distance (speed 1, no congestion, circuity 1);
* hard time windows from ``TIME_WINDOW_SECTION``; service times from
  ``SERVICE_TIME_SECTION`` or the scalar ``SERVICE_TIME`` (customers only, the depot's is 0
  as in Solomon's files);
* node ``k`` of the file (1-based) gets customer id ``k - 1``, as in VRPLIB ``.sol`` files;
  the depot (node 1 in the published sets, so id 0 as in Solomon's files) is put first.

Not supported, each with an :class:`InstanceError` naming the file and the field: explicit
or rounded edge weights (``EXPLICIT``, ``FLOOR_2D``, ``CEIL_2D``, ``EXACT_2D``: our
instances derive distances from coordinates), files without time windows (CVRP), several
depots and heterogeneous fleets given as sections.

Best-known solutions in VRPLIB ``.sol`` files follow the DIMACS convention (distances
truncated to one decimal), so their stated cost is a little below the same routes'
full-precision distance that :func:`optimizer.solution.evaluate` reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import numpy as np

from .instance import InstanceError, RoutingInstance
from .model import LIGHT_TRUCK, PenaltyModel

#: Specification keys that start a VRPLIB file (any one of them on a ``KEY : value`` line).
_VRPLIB_KEYS = ("NAME", "TYPE", "COMMENT", "DIMENSION", "CAPACITY", "VEHICLES", "EDGE_WEIGHT_TYPE")
_SPEC_LINE = re.compile(r"^\s*(" + "|".join(_VRPLIB_KEYS) + r")\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class VrplibSolution:
    """A VRPLIB solution file: routes as customer ids (depot 0 left out) and the stated cost."""

    routes: list[list[int]]
    cost: float | None


def _fail(path: Path, line_no: int | None, msg: str) -> NoReturn:
    where = f"line {line_no}: " if line_no is not None else ""
    raise InstanceError(f"{path}: {where}{msg}")


def _content_lines(text: str) -> list[tuple[int, str]]:
    """(1-based line number, stripped text) of the lines vrplib reads: non-empty, not '#'."""
    return [(no, s) for no, line in enumerate(text.splitlines(), 1) if (s := line.strip()) and not s.startswith("#")]


def _section_rows(lines: list[tuple[int, str]], name: str) -> list[tuple[int, str]]:
    """The numbered lines of ``NAME_SECTION``'s rows (empty when the section is absent)."""
    head = f"{name.upper()}_SECTION"
    for k, (_, s) in enumerate(lines):
        if s.rstrip(" :").upper() == head:
            rows = []
            for no, r in lines[k + 1 :]:
                if "_SECTION" in r.upper() or r.upper().startswith("EOF"):
                    break
                rows.append((no, r))
            return rows
    return []


def _locate_parse_error(lines: list[tuple[int, str]]) -> tuple[int | None, str]:
    """Where vrplib's grouping of specifications and sections fails, and why (its own rules)."""
    in_section = False
    for no, s in lines:
        if "EOF" in s:
            break
        if "_SECTION" in s:
            in_section = True
        elif ":" in s and in_section:
            return no, f"specification {s.split(':')[0].strip()!r} after a data section"
        elif not in_section and ":" not in s:
            return no, f"expected 'KEY : value' or a *_SECTION header, got {s[:40]!r}"
    return None, "does not conform to the VRPLIB format"


def _numeric_section(path: Path, lines, data: dict, key: str, n1: int, cols: int, fields: str) -> np.ndarray:
    """Section ``key`` as an (n1, cols) float array (id column dropped), checked row by row."""
    rows = _section_rows(lines, key)
    if key not in data:
        _fail(path, None, f"field '{key.upper()}_SECTION': missing (a VRPTW file needs it)")
    for no, r in rows:
        parts = r.split()
        if len(parts) != cols + 1:
            _fail(path, no, f"field '{key.upper()}_SECTION': expected {cols + 1} values (id {fields}), got {len(parts)}")
        try:
            [float(p) for p in parts]
        except ValueError as exc:
            _fail(path, no, f"field '{key.upper()}_SECTION': not a number: {exc}")
    if len(rows) != n1:
        _fail(path, rows[-1][0] if rows else None, f"field '{key.upper()}_SECTION': {len(rows)} rows, but DIMENSION is {n1}")
    arr = np.asarray(data[key], dtype=np.float64)
    return arr.reshape(n1, cols)


def _spec_number(path: Path, lines, data: dict, key: str, *, integer: bool) -> float | None:
    """A numeric specification ``KEY : value`` (None when absent), naming its line when bad."""
    if key not in data:
        return None
    value = data[key]
    no = next((n for n, s in lines if re.match(rf"^{key}\s*:", s, re.IGNORECASE)), None)
    if isinstance(value, str) or (integer and not float(value).is_integer()):
        kind = "an integer" if integer else "a number"
        _fail(path, no, f"field '{key.upper()}': expected {kind}, got {value!r}")
    if value < 0 or (integer and value < 1):
        _fail(path, no, f"field '{key.upper()}': must be {'>= 1' if integer else '>= 0'}, got {value!r}")
    return float(value)


def read_vrplib(path: str | Path, *, penalty: PenaltyModel | None = None) -> RoutingInstance:
    """Read a VRPLIB VRPTW instance (``.vrp``, e.g. Gehring-Homberger, PyVRP's sets).

    The instance is built as :func:`optimizer.solomon.read_solomon` builds one (see the
    module docstring): one vehicle type, cost = Euclidean distance, hard windows.

    Raises
    ------
    InstanceError
        When the file is not a VRPLIB VRPTW file we can represent, naming the file and the
        line or field (vrplib's own exceptions are wrapped).
    """
    import vrplib  # imported here: only VRPLIB files need it

    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        _fail(path, None, "unknown file format: not a text file (expected a VRPLIB VRPTW file)")
    lines = _content_lines(text)
    try:
        data = vrplib.read_instance(path, compute_edge_weights=False)
    except (ValueError, RuntimeError, IndexError) as exc:
        no, why = _locate_parse_error(lines)
        if "both as specification and section" in str(exc):
            no, why = None, str(exc)
        _fail(path, no, f"not a readable VRPLIB file: {why} (vrplib: {exc})")
    if not data:
        _fail(path, None, "unknown file format: empty VRPLIB file")
    kind = str(data.get("type", "VRPTW")).upper()
    if "VRPTW" not in kind:
        _fail(path, None, f"field 'TYPE': {data.get('type')!r} is not a VRPTW file (we read VRPTW and CVRPTW)")
    ewt = str(data.get("edge_weight_type", "EUC_2D")).upper()
    if ewt != "EUC_2D":
        _fail(
            path,
            None,
            f"field 'EDGE_WEIGHT_TYPE': {ewt} is not supported; carbonsim computes distances from "
            "coordinates in full precision (EUC_2D)",
        )
    if "vehicles_section" in data or any(k.startswith("vehicles_") for k in data if k != "vehicles"):
        _fail(path, None, "field 'VEHICLES_*': heterogeneous fleets in VRPLIB sections are not supported")
    dim = _spec_number(path, lines, data, "dimension", integer=True)
    coords_rows = _section_rows(lines, "node_coord")
    n1 = int(dim) if dim is not None else len(coords_rows)
    coords = _numeric_section(path, lines, data, "node_coord", n1, 2, "x y")
    demand = _numeric_section(path, lines, data, "demand", n1, 1, "demand")[:, 0]
    tw = _numeric_section(path, lines, data, "time_window", n1, 2, "ready due")
    capacity = _spec_number(path, lines, data, "capacity", integer=False)
    if capacity is None:
        _fail(path, None, "field 'CAPACITY': missing")
    count = _spec_number(path, lines, data, "vehicles", integer=True)
    if "service_time" in data and not np.isscalar(data["service_time"]):
        service = _numeric_section(path, lines, data, "service_time", n1, 1, "service")[:, 0]
    else:
        scalar = _spec_number(path, lines, data, "service_time", integer=False) or 0.0
        service = np.full(n1, scalar)
    depots = np.atleast_1d(np.asarray(data.get("depot", [0]))).astype(int)
    if depots.size != 1:
        _fail(path, None, f"field 'DEPOT_SECTION': {depots.size} depots; carbonsim routes from one depot")
    d = int(depots[0])
    if not 0 <= d < n1:
        _fail(path, None, f"field 'DEPOT_SECTION': depot node {d + 1} is not in 1..{n1}")
    if "service_time" not in data or np.isscalar(data["service_time"]):
        service[d] = 0.0  # a scalar SERVICE_TIME is the customers'; Solomon's depot rows give 0
    order = np.r_[d, np.delete(np.arange(n1), d)]
    vt = LIGHT_TRUCK.replace(
        capacity=capacity,
        count=int(count) if count is not None else n1 - 1,
        cost_per_km=1.0,
        fixed_cost=0.0,
        cost_per_minute=0.0,
    )
    return RoutingInstance(
        name=str(data.get("name", path.stem)),
        x=coords[order, 0],
        y=coords[order, 1],
        demand=demand[order],
        ready=tw[order, 0],
        due=tw[order, 1],
        service=service[order],
        vehicle_types=(vt,),
        customer_ids=order,
        circuity=1.0,
        unit_speed=True,
        penalty=penalty or PenaltyModel(hard_windows=True),
        source=str(path),
    )


def read_vrplib_solution(path: str | Path) -> VrplibSolution:
    """Read a VRPLIB solution (``Route #1: 5 3 ...``, ``Cost 53026.1``) via vrplib.

    Route entries are customer ids as :func:`read_vrplib` numbers them (node - 1), so
    ``routes_from_ids(instance, [(0, r) for r in sol.routes])`` gives evaluable routes.
    """
    import vrplib

    path = Path(path)
    text = path.read_text()
    for no, line in _content_lines(text):
        if line.startswith("Route"):
            _, sep, tail = line.partition(":")
            bad = [t for t in tail.split() if not t.isdigit()]
            if not sep or bad:
                _fail(path, no, f"field 'Route': expected 'Route #N: ids...' with integer ids, got {line[:40]!r}")
    try:
        sol = vrplib.read_solution(path)
    except (ValueError, IndexError) as exc:
        _fail(path, None, f"not a readable VRPLIB solution: {exc}")
    if not sol["routes"]:
        _fail(path, None, "unknown file format: no 'Route #N:' lines (expected a VRPLIB solution file)")
    cost = sol.get("cost")
    if cost is not None and isinstance(cost, str):
        cost_no = next((n for n, s in _content_lines(text) if s.lower().startswith("cost")), None)
        _fail(path, cost_no, f"field 'Cost': not a number: {cost!r}")
    return VrplibSolution(routes=[list(r) for r in sol["routes"]], cost=None if cost is None else float(cost))


def detect_format(path: str | Path) -> str:
    """``"vrplib"`` or ``"solomon"``, by extension (``.vrp``) and then by content.

    Raises
    ------
    InstanceError
        When the file is neither, naming the file.
    """
    path = Path(path)
    if path.suffix.lower() == ".vrp":
        return "vrplib"
    if path.suffix.lower() == ".sol":
        _fail(path, None, "unknown file format: a VRPLIB solution (.sol), not an instance")
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        _fail(path, None, "unknown file format: not a text file (expected a Solomon or VRPLIB VRPTW file)")
    lines = [s for _, s in _content_lines(text)]
    upper = [s.upper() for s in lines]
    if "VEHICLE" in upper and "CUSTOMER" in upper:
        return "solomon"
    if lines and (_SPEC_LINE.match(lines[0]) or any(s.endswith("_SECTION") for s in upper)):
        return "vrplib"
    _fail(
        path,
        None,
        "unknown file format: expected the Solomon VRPTW text format (VEHICLE and CUSTOMER "
        "sections) or a VRPLIB file ('NAME : ...', NODE_COORD_SECTION); see the README, 'Instance files'",
    )


def read_instance(path: str | Path, *, penalty: PenaltyModel | None = None) -> RoutingInstance:
    """Read a VRPTW instance in Solomon / Gehring-Homberger text or VRPLIB format.

    The format is chosen by :func:`detect_format`; both readers build the instance the
    same way (one vehicle type, cost = distance, hard windows).
    """
    if detect_format(path) == "vrplib":
        return read_vrplib(path, penalty=penalty)
    from .solomon import read_solomon

    return read_solomon(path, penalty=penalty)
