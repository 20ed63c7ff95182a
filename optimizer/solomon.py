"""Readers for Solomon / Gehring-Homberger VRPTW files and SINTEF best-known route sets.

A Solomon file gives one vehicle type (the file's count and capacity, light-truck emission
factors), travel time equal to the Euclidean distance (speed 1, no congestion, circuity 1),
cost equal to distance, and hard windows: a vehicle early at a customer waits, service
starts by the due date, and every vehicle is back at the depot by the depot's due date.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .instance import InstanceError, RoutingInstance
from .model import LIGHT_TRUCK, PenaltyModel, VehicleType


def _fail(path: Path, line_no: int | None, msg: str) -> None:
    where = f"line {line_no}: " if line_no is not None else ""
    raise InstanceError(f"{path}: {where}{msg}")


def read_solomon(path: str | Path, *, penalty: PenaltyModel | None = None) -> RoutingInstance:
    """Read a Solomon (100 customers) or Gehring-Homberger (200-1000) instance file.

    Raises
    ------
    InstanceError
        When the file is not in Solomon's text format, naming the line and the field.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        _fail(path, None, "unknown file format: not a text file (expected the Solomon VRPTW text format)")
    lines = text.splitlines()
    upper = [ln.strip().upper() for ln in lines]
    if "VEHICLE" not in upper or "CUSTOMER" not in upper:
        _fail(
            path,
            None,
            "unknown file format: expected the Solomon VRPTW text format with VEHICLE and "
            "CUSTOMER sections (see the README, 'Instance files')",
        )
    name = lines[0].strip() if lines and lines[0].strip() else path.stem
    count = capacity = None
    i = upper.index("VEHICLE") + 1
    while i < len(lines) and upper[i] != "CUSTOMER":
        parts = lines[i].split()
        if len(parts) == 2 and all(p.replace(".", "", 1).isdigit() for p in parts):
            count, capacity = int(parts[0]), float(parts[1])
        i += 1
    if count is None:
        _fail(path, upper.index("VEHICLE") + 1, "field 'NUMBER CAPACITY': no line with two numbers after VEHICLE")
    rows, ids = [], []
    for j in range(upper.index("CUSTOMER") + 1, len(lines)):
        parts = lines[j].split()
        if not parts:
            continue
        if not parts[0].lstrip("-").replace(".", "", 1).isdigit():
            if rows:
                _fail(path, j + 1, f"field 'CUST NO.': expected a customer number, got {parts[0]!r}")
            continue  # the column header lines before the first customer
        if len(parts) != 7:
            _fail(path, j + 1, f"expected 7 fields (id x y demand ready due service), got {len(parts)}")
        try:
            vals = [float(p) for p in parts]
        except ValueError as exc:
            _fail(path, j + 1, f"not a number: {exc}")
        ids.append(int(vals[0]))
        rows.append(vals[1:])
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


def read_sintef_solution(path: str | Path) -> list[list[int]]:
    """Read a SINTEF route set (``Route  1 : 104 64 ...``) as lists of customer ids."""
    path = Path(path)
    routes = []
    for no, line in enumerate(path.read_text().splitlines(), 1):
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
    lines = [instance.name, "", "VEHICLE", "NUMBER     CAPACITY", f"{vt.count:>6d}{vt.capacity:>14.15g}", "", "CUSTOMER",
             "CUST NO.  XCOORD.    YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME", ""]
    cols = (instance.x, instance.y, instance.demand, instance.ready, instance.due, instance.service)
    for i, cid in enumerate(instance.customer_ids):
        lines.append(f"{int(cid):>6d}" + "".join(f" {float(c[i]):>10.15g}" for c in cols))
    Path(path).write_text("\n".join(lines) + "\n")


def single_type(instance: RoutingInstance) -> VehicleType:
    """The one vehicle type of a Solomon instance."""
    return instance.vehicle_types[0]
