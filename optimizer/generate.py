"""Generated instances like the seed paper's experiments (section 3.1).

One depot, customers spread over the paper's delivery zones (Table 7), mean demand 1.8
units, 90-minute time windows inside a working day, road grades by where an arc runs,
the Table 6 speeds with the time-of-day congestion profile, circuity 1.3 and a
heterogeneous fleet of light, medium and heavy trucks sized to the total demand.
"""

from __future__ import annotations

import numpy as np

from .instance import RoutingInstance
from .model import DEFAULT_PROFILE, HEAVY_TRUCK, LIGHT_TRUCK, MEDIUM_TRUCK, PenaltyModel, VehicleType

#: Paper Table 7: zone name, mean route length (km) -> we place customers at a radius of
#: about half the zone's mean route length, with the zone's spread.
ZONES: tuple[tuple[str, float, float], ...] = (
    ("urban_core", 12.84, 1.15),
    ("urban_suburban_transition", 18.63, 1.87),
    ("urban_rural_integration", 27.48, 2.09),
    ("remote_county", 35.92, 3.16),
    ("cross_region_hub", 43.37, 4.02),
)
#: Zone names in the order of paper Table 7 (and of ``[world.zones]``, ``[network.density]``).
ZONE_NAMES: tuple[str, ...] = tuple(z[0] for z in ZONES)
#: Share of customers per zone (ours: most orders are urban).
ZONE_SHARE = np.array([0.40, 0.25, 0.15, 0.12, 0.08])

EXPRESSWAY, URBAN_ARTERIAL, URBAN_LOCAL, SUBURBAN = range(4)


def road_grades(x: np.ndarray, y: np.ndarray, core_radius: float = 8.0) -> np.ndarray:
    """Grade per arc: short hops inside the core are urban local roads, other core arcs
    urban arterials, long arcs (over 15 km) expressways, the rest suburban roads."""
    r = np.hypot(x - x[0], y - y[0])
    d = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    inner = (r[:, None] <= core_radius) & (r[None, :] <= core_radius)
    g = np.full(d.shape, SUBURBAN, dtype=np.int64)
    g[inner] = URBAN_ARTERIAL
    g[inner & (d < 3.0)] = URBAN_LOCAL
    g[d > 15.0] = EXPRESSWAY
    return g


def paper_fleet(total_demand: float, slack: float = 1.6) -> tuple[VehicleType, ...]:
    """Light, medium and heavy trucks; each type alone could carry ``slack`` x the demand
    share it is meant for (60% light, 30% medium, 10% heavy, by capacity)."""
    need = total_demand * slack
    light = max(2, int(np.ceil(0.6 * need / LIGHT_TRUCK.capacity)))
    medium = max(1, int(np.ceil(0.3 * need / MEDIUM_TRUCK.capacity)))
    heavy = max(1, int(np.ceil(0.1 * need / HEAVY_TRUCK.capacity)))
    return (LIGHT_TRUCK.replace(count=light), MEDIUM_TRUCK.replace(count=medium), HEAVY_TRUCK.replace(count=heavy))


def paper_instance(
    n: int,
    rng: np.random.Generator,
    *,
    window: float = 90.0,
    day_start: float = 8 * 60.0,
    day_length: float = 12 * 60.0,
    hard_windows: bool = False,
    name: str | None = None,
) -> RoutingInstance:
    """A random instance of n customers in the style of the paper's experiments.

    Times are minutes from ``day_start`` (time 0 = 08:00 by default), so congestion
    periods line up with the clock. Windows are soft by default, as in the paper's
    penalty model; the depot closes ``day_length`` + 2 h after time 0.
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    zone = rng.choice(len(ZONES), size=n, p=ZONE_SHARE)
    mean_len = np.array([z[1] for z in ZONES])[zone]
    sd = np.array([z[2] for z in ZONES])[zone]
    radius = np.abs(rng.normal(mean_len / 2.0, sd))
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.concatenate([[0.0], radius * np.cos(angle)])
    y = np.concatenate([[0.0], radius * np.sin(angle)])
    demand = np.concatenate([[0.0], 1.0 + rng.poisson(0.8, n)])  # mean 1.8
    ready = rng.uniform(0, day_length - window, n)
    due = ready + window
    service = rng.uniform(3.0, 8.0, n)
    horizon = day_length + 120.0
    inst = RoutingInstance(
        name=name or f"paper_n{n}",
        x=x,
        y=y,
        demand=demand,
        ready=np.concatenate([[0.0], ready]),
        due=np.concatenate([[horizon], due]),
        service=np.concatenate([[0.0], service]),
        vehicle_types=paper_fleet(float(demand.sum())),
        circuity=1.3,
        road_grade=road_grades(x, y),
        unit_speed=False,
        congestion=DEFAULT_PROFILE,
        start_minute=day_start,
        penalty=PenaltyModel(hard_windows=hard_windows),
        source=f"<generated paper_instance n={n}>",
    )
    return inst


def solomon_like_instance(n: int, rng: np.random.Generator, *, name: str | None = None) -> RoutingInstance:
    """A random instance in the form of a Solomon / Gehring-Homberger R2 file, of any size.

    Customers uniform on a square of side ``10 sqrt(n)`` (100 at n = 100, as Solomon's),
    integer demands 1..40, capacity 200, service 10, hard windows of 60..240 time units
    placed so that a direct trip from the depot and back always fits, travel time equal
    to distance, and a fleet of 1.5 x the vehicles the demand needs. Written with
    :func:`optimizer.solomon.write_solomon`, it is what ``carbonsim route`` reads; the
    benchmarks use it for sizes the bundled files do not reach (1,000 and 5,000 customers).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    side = 10.0 * np.sqrt(n)
    xy = np.round(rng.uniform(0.0, side, (n + 1, 2)), 1)
    xy[0] = np.round(side / 2.0, 1)
    service, capacity = 10.0, 200.0
    demand = np.concatenate([[0.0], rng.integers(1, 41, n).astype(float)])
    d0 = np.hypot(xy[1:, 0] - xy[0, 0], xy[1:, 1] - xy[0, 1])
    horizon = float(np.ceil(4.0 * side + 240.0))
    width = rng.uniform(60.0, 240.0, n)
    # the window opens no earlier than a direct trip arrives, and closes early enough to return
    latest = np.maximum(horizon - d0 - service - width, d0 + 1.0)
    ready = np.floor(rng.uniform(np.ceil(d0), latest))
    due = np.minimum(ready + np.round(width), np.floor(horizon - d0 - service))
    count = max(2, int(np.ceil(1.5 * demand.sum() / capacity)))
    return RoutingInstance(
        name=name or f"solomon_like_n{n}",
        x=xy[:, 0],
        y=xy[:, 1],
        demand=demand,
        ready=np.concatenate([[0.0], ready]),
        due=np.concatenate([[horizon], due]),
        service=np.concatenate([[0.0], np.full(n, service)]),
        vehicle_types=(
            LIGHT_TRUCK.replace(capacity=capacity, count=count, cost_per_km=1.0, fixed_cost=0.0, cost_per_minute=0.0),
        ),
        circuity=1.0,
        unit_speed=True,
        penalty=PenaltyModel(hard_windows=True),
        source=f"<generated solomon_like_instance n={n}>",
    )
