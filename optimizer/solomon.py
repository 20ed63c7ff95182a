"""Readers for Solomon / Gehring-Homberger VRPTW files and SINTEF best-known route sets.

A Solomon file gives one vehicle type (the file's count and capacity, light-truck emission
factors), travel time equal to the Euclidean distance (speed 1, no congestion, circuity 1),
cost equal to distance, and hard windows: a vehicle early at a customer waits, service
starts by the due date, and every vehicle is back at the depot by the depot's due date.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import NoReturn

import numpy as np

from .instance import InstanceError, RoutingInstance
from .model import LIGHT_TRUCK, PenaltyModel, VehicleType

#: Largest route file read (the biggest Gehring-Homberger file, 1,000 customers, is 80 kB;
#: 100,000 customers take about 7 MB).
MAX_FILE_BYTES = 64 * 2**20
#: Most vehicles a file may give: no plan uses more vehicles than customers, and the solver
#: sizes its tables by the fleet.
MAX_VEHICLES = 100_000
#: The customer columns after CUST NO., as the files name them.
COLUMNS = ("XCOORD.", "YCOORD.", "DEMAND", "READY TIME", "DUE DATE", "SERVICE TIME")
_INTEGER = re.compile(r"\+?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _fail(path: Path, line_no: int | None, msg: str) -> NoReturn:
    where = f"line {line_no}: " if line_no is not None else ""
    raise InstanceError(f"{path}: {where}{msg}")


def read_text(path: Path) -> str:
    """A route file's text: UTF-8 (a byte-order mark is dropped), at most MAX_FILE_BYTES;
    InstanceError naming the file for anything else (a binary file, /dev/zero, a huge file)."""
    with open(path, "rb") as f:
        data = f.read(64 * 1024)
        # NUL bytes first: /dev/zero or a binary file is named as such, not as "too large"
        if b"\0" not in data:
            data += f.read(MAX_FILE_BYTES + 1 - len(data))
    if b"\0" in data:
        _fail(path, None, "unknown file format: binary data, not a text file (expected the Solomon VRPTW text format)")
    if len(data) > MAX_FILE_BYTES:
        _fail(path, None, f"larger than {MAX_FILE_BYTES // 2**20} MiB: not a route file (expected the Solomon VRPTW text format)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        _fail(path, None, "unknown file format: not a text file (expected the Solomon VRPTW text format)")


def read_solomon(path: str | Path, *, penalty: PenaltyModel | None = None) -> RoutingInstance:
    """Read a Solomon (100 customers) or Gehring-Homberger (200-1000) instance file.

    Raises
    ------
    InstanceError
        When the file is not in Solomon's text format, naming the line and the field.
    """
    path = Path(path)
    lines = read_text(path).splitlines()
    upper = [ln.strip().upper() for ln in lines]
    if "VEHICLE" not in upper or "CUSTOMER" not in upper:
        _fail(
            path,
            None,
            "unknown file format: expected the Solomon VRPTW text format with VEHICLE and "
            "CUSTOMER sections (see the README, 'Instance files')",
        )
    name = lines[0].strip() if lines and lines[0].strip() else path.stem
    count, capacity = _vehicles(path, lines, upper)
    rows: list[list[float]] = []
    ids: list[int] = []
    seen: dict[int, int] = {}  # id -> line number
    for j in range(upper.index("CUSTOMER") + 1, len(lines)):
        parts = lines[j].split()
        if not parts:
            continue
        if not _NUMBER.fullmatch(parts[0]):
            if rows:
                _fail(path, j + 1, f"field 'CUST NO.': expected a customer number, got {parts[0]!r}")
            continue  # the column header lines before the first customer
        if not _INTEGER.fullmatch(parts[0]):
            _fail(path, j + 1, f"field 'CUST NO.': expected a whole number >= 0, got {parts[0]!r}")
        if len(parts) != 7:
            _fail(path, j + 1, f"expected 7 fields (id x y demand ready due service), got {len(parts)}")
        cid = int(parts[0])
        if cid in seen:
            _fail(path, j + 1, f"field 'CUST NO.': id {cid} is already on line {seen[cid]}")
        seen[cid] = j + 1
        vals = []
        for col, text in zip(COLUMNS, parts[1:]):
            try:
                v = float(text)
            except ValueError:
                _fail(path, j + 1, f"field '{col}': not a number: {text!r}")
            if not math.isfinite(v):
                _fail(path, j + 1, f"field '{col}': must be a finite number, got {text!r}")
            vals.append(v)
        ids.append(cid)
        rows.append(vals)
    if len(rows) < 2:
        _fail(path, None, "no customer rows found after CUSTOMER")
    arr = np.array(rows)
    vt = LIGHT_TRUCK.replace(capacity=capacity, count=count, cost_per_km=1.0, fixed_cost=0.0, cost_per_minute=0.0)
    return RoutingInstance(
        name=name,
        x=arr[:, 0],
        y=arr[:, 1],
        demand=arr[:, 2],
        ready=arr[:, 3],
        due=arr[:, 4],
        service=arr[:, 5],
        vehicle_types=(vt,),
        customer_ids=np.array(ids),
        circuity=1.0,
        unit_speed=True,
        penalty=penalty or PenaltyModel(hard_windows=True),
        source=str(path),
    )


def _vehicles(path: Path, lines: list[str], upper: list[str]) -> tuple[int, float]:
    """NUMBER and CAPACITY: the first line of two numbers between VEHICLE and CUSTOMER."""
    start = upper.index("VEHICLE")
    for i in range(start + 1, len(lines)):
        if upper[i] == "CUSTOMER":
            break
        parts = lines[i].split()
        if len(parts) != 2 or not all(_NUMBER.fullmatch(p) for p in parts):
            continue
        number, capacity = float(parts[0]), float(parts[1])
        if not (number.is_integer() and 1 <= number <= MAX_VEHICLES):
            _fail(path, i + 1, f"field 'NUMBER': vehicles must be a whole number from 1 to {MAX_VEHICLES:,}, got {parts[0]!r}")
        if not (math.isfinite(capacity) and capacity > 0):
            _fail(path, i + 1, f"field 'CAPACITY': must be a finite number > 0, got {parts[1]!r}")
        return int(number), capacity
    _fail(path, start + 1, "field 'NUMBER CAPACITY': no line with two numbers after VEHICLE")


def read_sintef_solution(path: str | Path) -> list[list[int]]:
    """Read a SINTEF route set (``Route  1 : 104 64 ...``) as lists of customer ids."""
    path = Path(path)
    routes = []
    for no, line in enumerate(read_text(path).splitlines(), 1):
        if line.strip().lower().startswith("route"):
            head, sep, tail = line.partition(":")
            if not sep:
                _fail(path, no, "field 'Route': expected 'Route N : ids...'")
            try:
                routes.append([int(t) for t in tail.split()])
            except ValueError as exc:
                _fail(path, no, f"field 'Route': not an integer id: {exc}")
    if not routes:
        _fail(path, None, "unknown file format: no 'Route N :' lines (expected a SINTEF solution file)")
    return routes


def write_solomon(instance: RoutingInstance, path: str | Path) -> None:
    """Write an instance in Solomon's text format (what :func:`read_solomon` reads back).

    Only what the format holds is written: name, the first vehicle type's count and
    capacity, and per node id, coordinates, demand, window and service time. Road grades,
    congestion, other vehicle types and costs are not (Solomon files have none).
    """
    vt = instance.vehicle_types[0]
    lines = [
        instance.name,
        "",
        "VEHICLE",
        "NUMBER     CAPACITY",
        f"{vt.count:>6d}{vt.capacity:>14.15g}",
        "",
        "CUSTOMER",
        "CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME",
        "",
    ]
    cols = (instance.x, instance.y, instance.demand, instance.ready, instance.due, instance.service)
    assert instance.customer_ids is not None  # set by RoutingInstance.__post_init__
    for i, cid in enumerate(instance.customer_ids):
        lines.append(f"{int(cid):>6d}" + "".join(f" {float(c[i]):>10.15g}" for c in cols))
    Path(path).write_text("\n".join(lines) + "\n")


def single_type(instance: RoutingInstance) -> VehicleType:
    """The one vehicle type of a Solomon instance."""
    return instance.vehicle_types[0]
