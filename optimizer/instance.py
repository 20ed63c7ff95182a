"""The routing instance: depot, customers, fleet and road network, validated on construction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from .deadline import Deadline
from .layout import (
    ARC_FIELDS,
    BATTERY_KWH,
    CAPACITY,
    CAPACITY_M3,
    CFG_FIELDS,
    COST_FACTOR,
    COST_PER_KM,
    COST_PER_MINUTE,
    COUNT,
    DEMAND,
    DUE,
    EARLY_WEIGHT,
    EMISSION_FACTOR,
    EMPTY_KG_PER_KM,
    FIXED_COST,
    FULL_KG_PER_KM,
    HARD_WINDOWS,
    KM,
    KWH_EMPTY,
    KWH_FULL,
    LATE_WEIGHT,
    MINUTES,
    NODE_FIELDS,
    PERIOD_MINUTES,
    PERIODS,
    READY,
    SERVICE,
    START_MINUTE,
    VEH_FIELDS,
    VOLUME,
)
from .model import (
    NO_CONGESTION,
    ROAD_GRADES,
    CongestionProfile,
    PenaltyModel,
    RoadGrade,
    VehicleType,
)
from .units import MINUTES_PER_DAY

#: Grade of every arc when an instance gives no road_grade matrix (1 = urban arterial).
DEFAULT_GRADE = 1
#: Cells per row block when (N, N) arrays are built (2 MB of float64: a block takes a few
#: tens of milliseconds, the most a deadline can be overrun while they are built).
ROW_BLOCK_CELLS = 250_000


class InstanceError(ValueError):
    """Bad instance data; the message names the source, the customer or line, and the field."""


class Leg(NamedTuple):
    """One driven arc: road km, travel minutes at the given departure, kg CO2e at the given
    load, and its distance cost (km x cost per km x grade cost factor)."""

    km: float
    minutes: float
    kg_co2e: float
    cost: float


class KernelData(NamedTuple):
    """The instance packed as plain arrays, the only form the numba kernels read.

    The columns are named in :mod:`optimizer.layout`: nodes (N, 5) demand, ready, due,
    service, volume (m³); arcs (4, N, N) road km, free-flow minutes, emission factor g_r, cost factor;
    grade (N, N) road grade index; cong (G, P) congestion coefficient per grade and period;
    veh (K, 11) capacity, count, empty and full kg/km, cost/km, fixed cost, cost/minute,
    volume capacity (m³, infinite when it never binds), battery kWh, kWh/km empty and full;
    cfg (6,) late weight, early weight, hard windows (0/1), period length, start minute
    of the day, number of periods.
    """

    nodes: np.ndarray
    arcs: np.ndarray
    grade: np.ndarray
    cong: np.ndarray
    veh: np.ndarray
    cfg: np.ndarray


@dataclass(frozen=True, eq=False)
class RoutingInstance:
    """A vehicle routing problem with time windows, a heterogeneous fleet and a road network.

    Index 0 of every per-node array is the depot; 1..n are customers. Coordinates are km on
    a plane; times are in the instance's time unit (minutes, or Solomon's abstract unit).

    Parameters
    ----------
    name
        Instance name, shown in reports.
    x, y
        Coordinates, km.
    demand
        Demand per node (depot 0), in the fleet's capacity units.
    ready, due
        Time window [a, b] per node; the depot's due time closes the horizon.
    service
        Service time per node.
    vehicle_types
        The fleet.
    customer_ids
        Ids as numbered in the source, reported back in plans (default 0..n).
    circuity
        Road km per straight-line km (DESIGN.md default 1.3; 1 for Solomon files).
    road_grade
        (N, N) index into ``grades`` per arc; default all urban arterial.
    unit_speed
        Solomon convention: travel time equals distance, no congestion and no grade
        factors. When False, travel time is ``km / speed(grade) * 60 * c(grade, t)``.
    congestion
        Time-of-day congestion shape (ignored with ``unit_speed``).
    start_minute
        Minute of the day at time 0, to place departures in congestion periods.
    penalty
        Time-window penalty and hard/soft windows.
    source
        Where the data came from, for error messages.
    volume
        Parcel volume per node (depot 0), m³: a second capacity resource against each
        vehicle type's ``capacity_m3``. None (Solomon / VRPLIB) means no volume (all 0).
    """

    name: str
    x: np.ndarray
    y: np.ndarray
    demand: np.ndarray
    ready: np.ndarray
    due: np.ndarray
    service: np.ndarray
    vehicle_types: tuple[VehicleType, ...]
    customer_ids: np.ndarray | None = None
    circuity: float = 1.0
    road_grade: np.ndarray | None = None
    grades: tuple[RoadGrade, ...] = ROAD_GRADES
    unit_speed: bool = True
    congestion: CongestionProfile = NO_CONGESTION
    start_minute: float = 0.0
    penalty: PenaltyModel = field(default_factory=PenaltyModel)
    source: str = "<arrays>"
    volume: np.ndarray | None = None

    def __post_init__(self) -> None:
        fix = lambda name, arr, dt=np.float64: object.__setattr__(  # noqa: E731
            self, name, np.ascontiguousarray(np.asarray(arr, dtype=dt))
        )
        for name in ("x", "y", "demand", "ready", "due", "service"):
            fix(name, getattr(self, name))
        fix("volume", np.zeros(self.x.shape[0]) if self.volume is None else self.volume)
        n1 = self.x.shape[0]
        if self.customer_ids is None:
            fix("customer_ids", np.arange(n1), np.int64)
        else:
            fix("customer_ids", self.customer_ids, np.int64)
        if self.road_grade is None:
            # one grade everywhere: a read-only view, not an (N, N) array (200 MB at 5,000 customers)
            object.__setattr__(self, "road_grade", np.broadcast_to(np.int64(DEFAULT_GRADE), (n1, n1)))
        else:
            object.__setattr__(self, "road_grade", np.asarray(self.road_grade, dtype=np.int64))
        object.__setattr__(self, "vehicle_types", tuple(self.vehicle_types))
        self._validate()

    # ------------------------------------------------------------------ validation
    def _fail(self, node: int | None, fld: str, msg: str) -> None:
        assert self.customer_ids is not None  # set by __post_init__
        where = "depot" if node == 0 else f"customer {self.customer_ids[node]}" if node is not None else "instance"
        raise InstanceError(f"{self.source}: {where}: field '{fld}': {msg}")

    def _validate(self) -> None:
        # both set by __post_init__ before it calls this
        assert self.customer_ids is not None and self.road_grade is not None
        n1 = self.x.shape[0]
        if n1 < 2:
            self._fail(None, "customers", "need a depot and at least one customer")
        assert self.volume is not None  # set by __post_init__
        for name in ("y", "demand", "ready", "due", "service", "customer_ids", "volume"):
            if getattr(self, name).shape != (n1,):
                self._fail(None, name, f"expected {n1} values, got shape {getattr(self, name).shape}")
        if not self.vehicle_types:
            self._fail(None, "vehicle_types", "the fleet is empty")
        if sum(v.count for v in self.vehicle_types) < 1:
            self._fail(None, "vehicle_types", "no vehicle available (all counts are 0)")
        if not self.circuity >= 1.0:
            self._fail(None, "circuity", f"must be >= 1 (road km per straight km), got {self.circuity}")
        if self.road_grade.shape != (n1, n1):
            self._fail(None, "road_grade", f"expected shape ({n1}, {n1}), got {self.road_grade.shape}")
        uniform = self.road_grade.strides == (0, 0)
        g = self.road_grade[:1, :1] if uniform else self.road_grade
        if g.min() < 0 or g.max() >= len(self.grades):
            self._fail(None, "road_grade", f"grade index must be in 0..{len(self.grades) - 1}")
        max_cap = max(v.capacity for v in self.vehicle_types if v.count > 0)
        max_m3 = max(v.capacity_m3 for v in self.vehicle_types if v.count > 0)
        for name in ("x", "y", "demand", "ready", "due", "service", "volume"):
            bad = np.flatnonzero(~np.isfinite(getattr(self, name)))
            if bad.size:
                self._fail(int(bad[0]), name, "is NaN or infinite")
        checks = (
            ("demand", self.demand < 0, "must be >= 0"),
            ("demand", self.demand > max_cap, f"exceeds the largest vehicle capacity {max_cap:g}"),
            ("volume", self.volume < 0, "must be >= 0"),
            ("volume", self.volume > max_m3, f"exceeds the largest vehicle volume capacity {max_m3:g} m³"),
            ("due", self.due < self.ready, "due time is before the ready time (b < a)"),
            ("service", self.service < 0, "must be >= 0"),
        )
        for fld, mask, msg in checks:
            bad = np.flatnonzero(mask)
            if bad.size:
                i = int(bad[0])
                val = getattr(self, fld)[i]
                self._fail(i, fld, f"{msg} (value {val:g})")
        if self.demand[0] != 0:
            self._fail(0, "demand", "the depot must have demand 0")
        if self.volume[0] != 0:
            self._fail(0, "volume", "the depot must have volume 0")
        if len(set(self.customer_ids.tolist())) != n1:
            self._fail(None, "customer_ids", "ids must be unique")

    # ------------------------------------------------------------------ derived data
    @property
    def n_customers(self) -> int:
        return self.x.shape[0] - 1

    @property
    def fleet_size(self) -> int:
        return sum(v.count for v in self.vehicle_types)

    @property
    def distance(self) -> np.ndarray:
        """Road km between nodes: Euclidean distance times the circuity coefficient.

        Built once; after :meth:`prepare_kernel_data` it is the kernels' own km array (a view,
        so the (N, N) matrix exists once).
        """
        d = self.__dict__.get("_distance")
        if d is None:
            d = np.empty((self.x.shape[0],) * 2)
            for lo, hi in self._row_blocks():
                d[lo:hi] = self._distance_rows(lo, hi)
            self.__dict__["_distance"] = d
        return d

    def _row_blocks(self) -> Iterator[tuple[int, int]]:
        """Row ranges of about ROW_BLOCK_CELLS cells: (N, N) arrays are built block by block,
        so a deadline is checked between blocks and temporaries stay small."""
        n1 = self.x.shape[0]
        step = max(1, ROW_BLOCK_CELLS // n1)
        for lo in range(0, n1, step):
            yield lo, min(n1, lo + step)

    def _distance_rows(self, lo: int, hi: int) -> np.ndarray:
        # the same arithmetic element by element as a whole-matrix computation, so blocks
        # and single arcs (arcs_between) give bit-identical km
        dx = self.x[lo:hi, None] - self.x[None, :]
        dy = self.y[lo:hi, None] - self.y[None, :]
        return np.sqrt(dx * dx + dy * dy) * self.circuity

    @property
    def kernel_data(self) -> KernelData:
        """The instance as the arrays the kernels read (built once)."""
        kd = self.__dict__.get("_kernel_data")
        return kd if kd is not None else self.prepare_kernel_data()

    @property
    def kernel_data_ready(self) -> bool:
        """Whether :attr:`kernel_data` has been built (asking for it may take seconds at 5,000 customers)."""
        return "_kernel_data" in self.__dict__

    def prepare_kernel_data(self, deadline: Deadline | None = None) -> KernelData:
        """Build :attr:`kernel_data` (four (N, N) float arrays and the grade matrix).

        Row block by row block; with a ``deadline``, raises :class:`optimizer.deadline.OutOfTime`
        between blocks once it has passed (nothing is kept, the instance is unchanged).
        """
        kd = self.__dict__.get("_kernel_data")
        if kd is not None:
            return kd
        assert self.road_grade is not None  # set by __post_init__
        deadline = deadline or Deadline(None)
        n1 = self.x.shape[0]
        known = self.__dict__.get("_distance")
        arcs = np.empty((ARC_FIELDS, n1, n1))
        if self.unit_speed:
            # np.zeros maps zero pages lazily: the kernels read only the grade of arcs they drive
            grade = np.zeros((n1, n1), dtype=np.int64)
            cong = np.ones((1, 1))
            period, nper = MINUTES_PER_DAY, 1
        else:
            speed, emission, cost = self._grade_factors()
            grade = np.ascontiguousarray(self.road_grade)
            cong = self.congestion.table(self.grades)
            period, nper = self.congestion.period_minutes, cong.shape[1]
        for lo, hi in self._row_blocks():
            deadline.check("preparing the instance's arc arrays")
            d = known[lo:hi] if known is not None else self._distance_rows(lo, hi)
            arcs[KM, lo:hi] = d
            if self.unit_speed:
                arcs[MINUTES, lo:hi] = d
                arcs[EMISSION_FACTOR, lo:hi] = 1.0
                arcs[COST_FACTOR, lo:hi] = 1.0
            else:
                g = self.road_grade[lo:hi]
                arcs[MINUTES, lo:hi] = d / speed[g] * 60.0
                arcs[EMISSION_FACTOR, lo:hi] = emission[g]
                arcs[COST_FACTOR, lo:hi] = cost[g]
        nodes = np.empty((n1, NODE_FIELDS))
        for col, values in (
            (DEMAND, self.demand),
            (READY, self.ready),
            (DUE, self.due),
            (SERVICE, self.service),
            (VOLUME, self.volume),
        ):
            nodes[:, col] = values
        veh = np.empty((len(self.vehicle_types), VEH_FIELDS))
        for k, v in enumerate(self.vehicle_types):
            veh[k, CAPACITY] = v.capacity
            veh[k, COUNT] = v.count
            veh[k, EMPTY_KG_PER_KM] = v.empty_kg_per_km
            veh[k, FULL_KG_PER_KM] = v.full_kg_per_km
            veh[k, COST_PER_KM] = v.cost_per_km
            veh[k, FIXED_COST] = v.fixed_cost
            veh[k, COST_PER_MINUTE] = v.cost_per_minute
            veh[k, CAPACITY_M3] = v.capacity_m3
            veh[k, BATTERY_KWH] = v.battery_kwh
            veh[k, KWH_EMPTY] = v.kwh_per_km_empty
            veh[k, KWH_FULL] = v.kwh_per_km_full
        cfg = np.empty(CFG_FIELDS)
        cfg[LATE_WEIGHT] = self.penalty.late_weight
        cfg[EARLY_WEIGHT] = self.penalty.early_weight
        cfg[HARD_WINDOWS] = 1.0 if self.penalty.hard_windows else 0.0
        cfg[PERIOD_MINUTES] = period
        cfg[START_MINUTE] = self.start_minute
        cfg[PERIODS] = float(nper)
        kd = KernelData(np.ascontiguousarray(nodes), arcs, grade, np.ascontiguousarray(cong), veh, cfg)
        self.__dict__["_kernel_data"] = kd
        self.__dict__["_distance"] = arcs[KM]
        return kd

    def _grade_factors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Speed (km/h), emission factor and cost factor per road grade index."""
        return (
            np.array([g.speed_kmh for g in self.grades]),
            np.array([g.emission_factor for g in self.grades]),
            np.array([g.cost_factor for g in self.grades]),
        )

    def arcs_between(self, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(km, free-flow minutes, emission factor g_r, cost factor) of the arcs src[p] -> dst[p].

        The values :attr:`kernel_data` holds for those arcs, bit for bit, computed from the
        coordinates when it has not been built, so a plan can be made and evaluated without
        the (N, N) arrays.
        """
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        kd = self.__dict__.get("_kernel_data")
        if kd is not None:
            return tuple(kd.arcs[f, src, dst] for f in (KM, MINUTES, EMISSION_FACTOR, COST_FACTOR))
        dx = self.x[src] - self.x[dst]
        dy = self.y[src] - self.y[dst]
        km = np.sqrt(dx * dx + dy * dy) * self.circuity
        if self.unit_speed:
            one = np.ones_like(km)
            return km, km.copy(), one, one.copy()
        speed, emission, cost = self._grade_factors()
        assert self.road_grade is not None  # set by __post_init__
        g = self.road_grade[src, dst]
        return km, km / speed[g] * 60.0, emission[g], cost[g]

    def congestion_many(self, grade: np.ndarray, t: np.ndarray) -> np.ndarray:
        """:meth:`congestion_at` for arrays of grades and departure times."""
        if self.unit_speed:
            return np.ones(np.shape(t))
        self.congestion_at(0, 0.0)  # builds the table
        table = self.__dict__["_congestion_table"]
        nper = table.shape[1]
        p = ((np.asarray(t, dtype=np.float64) + self.start_minute) // self.congestion.period_minutes).astype(np.int64) % nper
        return table[np.asarray(grade), 0 if nper == 1 else p]

    def congestion_at(self, grade: int, t: float) -> float:
        """Congestion coefficient of a road grade for a departure at instance time t (as the kernels)."""
        if self.unit_speed:
            return 1.0
        nper = len(self.congestion.shape)
        table = self.__dict__.get("_congestion_table")
        if table is None:
            table = self.__dict__["_congestion_table"] = self.congestion.table(self.grades)
        if nper == 1:
            return float(table[grade, 0])
        p = int((t + self.start_minute) // self.congestion.period_minutes) % nper
        return float(table[grade, p])

    def leg(self, i: int, j: int, vehicle_type: int, load: float, depart: float) -> Leg:
        """Drive arc (i, j) on ``vehicle_type`` carrying ``load`` (capacity units), leaving at
        instance time ``depart``.

        The kernels' own arc physics, :func:`optimizer.kernels.arc`, run as plain Python
        (``kernels.python.arc``: nothing is compiled), so a simulation driving a plan arc by
        arc with the loads and departure times that really happen computes exactly what the
        planner scored: travel time is the free-flow time times the congestion coefficient
        of the arc's grade in the period of the departure; emissions interpolate the
        vehicle's factor by load.
        """
        from . import kernels  # here, not at import: loading numba takes 0.3 s

        kd = self.kernel_data
        km, minutes, kg, _, cost = kernels.python.arc(
            i, j, vehicle_type, load, depart, kd.arcs, kd.grade, kd.cong, kd.veh, kd.cfg
        )
        return Leg(float(km), float(minutes), float(kg), float(cost))

    def replace(self, **changes) -> RoutingInstance:
        """A validated copy with some fields changed (for what-if variants)."""
        return replace(self, **changes)

    def index_of(self, customer_id: int) -> int:
        """Internal node index of a customer id as numbered in the source."""
        hits = np.flatnonzero(self.customer_ids == customer_id)
        if not hits.size:
            raise KeyError(f"{self.source}: no customer with id {customer_id}")
        return int(hits[0])

    def __repr__(self) -> str:
        fleet = ", ".join(f"{v.count}x {v.name}" for v in self.vehicle_types)
        return f"RoutingInstance({self.name!r}, {self.n_customers} customers, fleet: {fleet})"
