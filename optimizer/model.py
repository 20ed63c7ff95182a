"""Cost, emission, speed and penalty parameters of the routing model.

Values come from the seed paper (Zheng Wei, MOGWO for green e-commerce paths): Table 2
(emission factors per vehicle type, empty / full, kg CO2 per km), Table 6 (speed and mean
congestion coefficient per road grade) and eq. 7 (time-window penalty, lambda = 1.5,
mu = 0.3). Where the paper leaves a value open, the choice made here is named as ours in
the docstring of the object that carries it, so that an analyst can see which figures are
sourced and which are assumptions.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .units import MINUTES_PER_DAY


@dataclass(frozen=True)
class RoadGrade:
    """A class of road with its free-flow speed and how congestion and emissions scale on it.

    Parameters
    ----------
    name
        Identifier used in files and reports.
    speed_kmh
        Historical average speed (paper Table 6). Travel time at free flow is
        ``km / speed_kmh * 60`` minutes, before the congestion coefficient.
    congestion
        Mean congestion adjustment coefficient (paper Table 6); the effective speed is
        ``speed_kmh / c(t)`` where ``c(t)`` follows :class:`CongestionProfile`.
    emission_factor
        Multiplier ``g_r`` on the vehicle's per-km emission factor. The paper says only that
        urban local roads emit most per km and expressways least (Fig. 3b); ours: the mean
        congestion coefficient relative to the urban arterial (stop-and-go raises fuel use in
        proportion to the time lost).
    cost_factor
        Multiplier on the vehicle's per-km operating cost (ours: same rule as emissions).
    """

    name: str
    speed_kmh: float
    congestion: float
    emission_factor: float
    cost_factor: float


def _grade(name: str, speed: float, congestion: float) -> RoadGrade:
    rel = round(congestion / 1.18, 4)
    return RoadGrade(name, speed, congestion, rel, rel)


#: Paper Table 6, in the order used by the ``road_grade`` matrix of an instance.
ROAD_GRADES: tuple[RoadGrade, ...] = (
    _grade("expressway", 75.6, 1.05),
    _grade("urban_arterial", 45.3, 1.18),
    _grade("urban_local", 32.8, 1.32),
    _grade("suburban", 40.1, 1.22),
)


@dataclass(frozen=True)
class CongestionProfile:
    """Time-of-day shape of congestion, shared by all road grades.

    The coefficient on grade r in period p is ``1 + (c_r - 1) * shape[p]``: a shape of 1
    gives the paper's mean coefficient, 0 gives free flow. Ours: hourly periods with morning
    (07-09) and evening (17-19) peaks at twice the mean excess and a free-flowing night,
    which keeps the daytime mean close to Table 6.
    """

    shape: tuple[float, ...] = (
        0.1,
        0.1,
        0.1,
        0.1,
        0.1,
        0.3,  # 00-06
        0.7,
        2.0,
        2.0,
        1.2,
        1.0,
        1.0,  # 06-12
        1.0,
        1.0,
        1.0,
        1.0,
        1.3,
        2.0,  # 12-18
        2.0,
        1.2,
        0.8,
        0.5,
        0.3,
        0.2,  # 18-24
    )
    period_minutes: float = 60.0

    def __post_init__(self) -> None:
        if not self.shape or min(self.shape) < 0:
            raise ValueError("congestion shape needs at least one value, all >= 0")
        if abs(len(self.shape) * self.period_minutes - MINUTES_PER_DAY) > 1e-9:
            raise ValueError(
                f"congestion periods must tile a day: {len(self.shape)} periods x "
                f"{self.period_minutes:g} min != {MINUTES_PER_DAY:g} min"
            )

    def table(self, grades: tuple[RoadGrade, ...]) -> np.ndarray:
        """Congestion coefficient per (grade, period), the array the kernels read."""
        shape = np.asarray(self.shape, dtype=np.float64)
        return np.array([1.0 + (g.congestion - 1.0) * shape for g in grades])


@dataclass(frozen=True)
class VehicleType:
    """A vehicle type of the fleet.

    Emissions on an arc are ``(empty + (full - empty) * load / capacity) * g_r * km``
    (seed paper eq. 4 with the load state interpolated linearly, DOMAIN.md section 3.1).

    Parameters
    ----------
    name
        Identifier used in plans and reports.
    capacity
        Capacity in the instance's demand units.
    count
        How many vehicles of this type are available.
    empty_kg_per_km, full_kg_per_km
        kg CO2e per km empty and at full load.
    cost_per_km
        Operating cost per road km.
    fixed_cost
        Cost charged once per vehicle used.
    cost_per_minute
        Driver cost per minute from depot departure to return.
    electric
        True for a battery-electric type (its factors come from kWh/km x grid intensity).
    capacity_m3
        Volume capacity, m³ of parcels (their boxes' or mailers' outer volume); infinite
        (the default) for a type whose volume never binds, as in Solomon / VRPLIB files.
        A route over it is infeasible like one over ``capacity``; its excess is priced as
        the same share of ``capacity`` (kernels.excess).
    battery_kwh, kwh_per_km_empty, kwh_per_km_full
        The energy one route may use (the usable battery, charged full at the station
        between routes; infinite: no limit) and the consumption per km empty and at full
        load, interpolated by load and times the road grade's factor like the kg. A route
        needing more is infeasible, its excess priced as the same share of ``capacity``.
    """

    name: str
    capacity: float
    count: int
    empty_kg_per_km: float
    full_kg_per_km: float
    cost_per_km: float = 1.0
    fixed_cost: float = 0.0
    cost_per_minute: float = 0.0
    electric: bool = False
    capacity_m3: float = float("inf")
    battery_kwh: float = float("inf")
    kwh_per_km_empty: float = 0.0
    kwh_per_km_full: float = 0.0

    def __post_init__(self) -> None:
        if not self.capacity > 0:
            raise ValueError(f"vehicle type {self.name!r}: capacity must be > 0, got {self.capacity}")
        if not self.capacity_m3 > 0:
            raise ValueError(f"vehicle type {self.name!r}: capacity_m3 must be > 0, got {self.capacity_m3}")
        if not self.battery_kwh > 0:
            raise ValueError(f"vehicle type {self.name!r}: battery_kwh must be > 0, got {self.battery_kwh}")
        if self.kwh_per_km_empty < 0 or self.kwh_per_km_full < self.kwh_per_km_empty:
            raise ValueError(f"vehicle type {self.name!r}: need 0 <= kwh_per_km_empty <= kwh_per_km_full")
        if self.count < 0:
            raise ValueError(f"vehicle type {self.name!r}: count must be >= 0, got {self.count}")
        if self.empty_kg_per_km < 0 or self.full_kg_per_km < self.empty_kg_per_km:
            raise ValueError(
                f"vehicle type {self.name!r}: need 0 <= empty_kg_per_km <= full_kg_per_km, "
                f"got {self.empty_kg_per_km} and {self.full_kg_per_km}"
            )
        for attr in ("cost_per_km", "fixed_cost", "cost_per_minute"):
            if getattr(self, attr) < 0:
                raise ValueError(f"vehicle type {self.name!r}: {attr} must be >= 0")

    def replace(self, **changes) -> VehicleType:
        """A copy with some fields changed (for what-if fleets)."""
        return replace(self, **changes)

    @classmethod
    def electric_van(
        cls,
        capacity: float,
        count: int,
        grid_kg_per_kwh: float = 0.55,
        kwh_per_km_empty: float = 0.20,
        kwh_per_km_full: float = 0.28,
        **kwargs,
    ) -> VehicleType:
        """An electric light van; ours: 0.20 / 0.28 kWh per km and a grid of 0.55 kg per kWh."""
        kwargs.setdefault("name", "electric_van")
        kwargs.setdefault("cost_per_km", 0.8)
        kwargs.setdefault("fixed_cost", 60.0)
        kwargs.setdefault("cost_per_minute", 0.5)
        return cls(
            capacity=capacity,
            count=count,
            empty_kg_per_km=kwh_per_km_empty * grid_kg_per_kwh,
            full_kg_per_km=kwh_per_km_full * grid_kg_per_kwh,
            kwh_per_km_empty=kwh_per_km_empty,
            kwh_per_km_full=kwh_per_km_full,
            electric=True,
            **kwargs,
        )


# Paper Table 2 emission factors. Capacities are ours, in units of KG_PER_CAPACITY_UNIT
# (optimizer.units: 100 kg), chosen so the paper's "average load" (1.2 / 3.8 / 8.5 t) is
# 70-80% of capacity; costs are ours too. Volumes (m³) are ours: the inner box of China's
# standard 4.2 m, 6.8 m and 9.6 m truck bodies (about 4.1 x 2.0 x 1.95 m, 6.7 x 2.35 x 2.4 m
# and 9.5 x 2.3 x 2.5 m), rounded down. Instances without volumes (Solomon, VRPLIB,
# optimizer.generate) never reach them.
LIGHT_TRUCK = VehicleType("light_truck", 15.0, 10, 0.18, 0.26, 1.2, 50.0, 0.5, capacity_m3=16.0)
MEDIUM_TRUCK = VehicleType("medium_truck", 50.0, 5, 0.35, 0.49, 2.0, 80.0, 0.5, capacity_m3=37.0)
HEAVY_TRUCK = VehicleType("heavy_truck", 120.0, 2, 0.68, 0.95, 3.2, 120.0, 0.6, capacity_m3=54.0)


# Last-mile vehicles (issue 14, item 2), ready-made for a scenario's [[fleet.vehicles]]
# (sim.scenario.VehicleConfig.from_model; scenarios/vans.toml writes them out). Payload and
# volume are the bands the issue states for the class: a 3.5 t panel van carries about
# 1,000-1,200 kg in 10-12 m³; an electric express tricycle 200-300 kg in 1.5-2 m³.
# Emission factors: the diesel van's empty figure is the new-van type-approval average of
# about 0.196 kg CO2/km (SMMT, via whatvan.co.uk; /work/shared/REALISM.md), its full figure
# ours, in the ratio of paper Table 2's light truck (0.26 / 0.18). Electric types are kWh per
# km times the grid's kg CO2e per kWh (0.55, ours, as FleetConfig.grid_kg_per_kwh); the van's
# 0.20 / 0.28 kWh/km are VehicleType.electric_van's, the tricycle's 0.04 / 0.06 kWh/km ours (a
# 48-72 V pack of about 3 kWh for 60-80 km). Usable batteries are ours: 40 kWh for the van
# (about 60-70 % of a 60 kWh pack's official range at these consumptions, the real-range
# share of the Arval / Millbrook test, Fleet News 2021) and the tricycle's 3 kWh. Costs in
# yuan are ours: fuel about 9 l / 100 km at about 8 yuan a litre plus upkeep for the van, a
# tenth of it for the tricycle; the driver at 30 yuan an hour on all.
DIESEL_VAN = VehicleType("diesel_van", 11.0, 10, 0.196, 0.283, 0.9, 30.0, 0.5, capacity_m3=11.0)
ELECTRIC_VAN = VehicleType.electric_van(
    10.0,
    10,
    name="electric_van",
    cost_per_km=0.3,
    fixed_cost=30.0,
    cost_per_minute=0.5,
    capacity_m3=10.0,
    battery_kwh=40.0,
)
E_TRICYCLE = VehicleType.electric_van(
    2.5,
    20,
    kwh_per_km_empty=0.04,
    kwh_per_km_full=0.06,
    name="e_tricycle",
    cost_per_km=0.05,
    fixed_cost=5.0,
    cost_per_minute=0.5,
    capacity_m3=1.8,
    battery_kwh=3.0,
)
# A micro-van, the Wuling Hongguang / Rongguang class that carries much of China's county and
# rural express (ours throughout, from its size): about 4.4 x 1.66 x 1.75 m outside, so with
# the rear seats out a cargo space of about 2.5 x 1.4 x 1.3 m, 4.5 m³, and 600-700 kg payload;
# a 1.5 l petrol engine at about 7 l / 100 km x 2.3 kg CO2 a litre, 0.165 kg/km empty, full in
# the diesel van's ratio (0.283 / 0.196); fuel at 8 yuan a litre plus upkeep, 0.7 yuan/km.
MINI_VAN = VehicleType("mini_van", 6.5, 10, 0.165, 0.238, 0.7, 20.0, 0.5, capacity_m3=4.5)
#: The ready-made types by name.
PRESETS: dict[str, VehicleType] = {
    v.name: v for v in (LIGHT_TRUCK, MEDIUM_TRUCK, HEAVY_TRUCK, DIESEL_VAN, ELECTRIC_VAN, E_TRICYCLE, MINI_VAN)
}


@dataclass(frozen=True)
class PenaltyModel:
    """Time-window handling (seed paper eq. 7).

    ``P_i = late_weight * max(0, T_i - b_i) + early_weight * max(0, a_i - T_i)`` with T_i the
    arrival time, in the instance's time unit (minutes for generated instances). A vehicle
    that arrives early waits and starts service at ``a_i``; the early term is charged on
    the arrival time. With ``hard_windows`` a late arrival at a customer, or a return to
    the depot after its due time, makes the plan infeasible (Solomon convention); without
    it lateness is only penalised, including lateness back at the depot.
    """

    late_weight: float = 1.5
    early_weight: float = 0.3
    hard_windows: bool = True

    def __post_init__(self) -> None:
        if self.late_weight < 0 or self.early_weight < 0:
            raise ValueError("penalty weights must be >= 0")


@dataclass(frozen=True)
class Weights:
    """How the plan to execute is picked from a Pareto front (seed paper eq. 6).

    Eq. 6 scores a plan as ``w1 C + w2 E + P``: the time-window penalty is added to the
    cost at unit rate. We keep that, but normalise before weighting so kg are never added
    to currency: the score is ``cost * (C + penalty * T)~ + emissions * E~`` with ``~``
    the min-max normalisation over the front. Defaults: w1 = 0.6, w2 = 0.4, penalty 1.
    """

    cost: float = 0.6
    emissions: float = 0.4
    penalty: float = 1.0

    def __post_init__(self) -> None:
        if min(self.cost, self.emissions, self.penalty) < 0:
            raise ValueError("weights must be >= 0")
        if self.cost + self.emissions == 0:
            raise ValueError("at least one of the cost and emission weights must be > 0")


DEFAULT_PROFILE = CongestionProfile()
NO_CONGESTION = CongestionProfile(shape=(0.0,), period_minutes=MINUTES_PER_DAY)

__all__ = [
    "ROAD_GRADES",
    "RoadGrade",
    "CongestionProfile",
    "VehicleType",
    "PenaltyModel",
    "Weights",
    "LIGHT_TRUCK",
    "MEDIUM_TRUCK",
    "HEAVY_TRUCK",
    "DIESEL_VAN",
    "ELECTRIC_VAN",
    "E_TRICYCLE",
    "PRESETS",
    "DEFAULT_PROFILE",
    "NO_CONGESTION",
]
