"""The parcel network of the ``stations`` layout: a regional sortation hub and the delivery
stations it feeds, each serving a disc of customers at the density the scenario states.

Each zone of paper Table 7 gets ``round(zone parcels a day / network.station_parcels_per_day)``
stations (at least one where the zone has customers), on a ring around the hub at the zone's
Table 7 mean route length (12.8 km for the urban core ... 43.4 km for the cross-region hub
zone), so the line-haul legs keep the paper's distances. A station's disc holds its share of
the zone's parcels at ``network.density`` parcels a km² a day: its area is parcels / density
(a few km² in the urban core, tens of km² in a remote county). Customers are drawn by zone,
then uniformly over the zone's stations and uniformly over the station's disc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.generate import ZONE_NAMES, ZONES


@dataclass(frozen=True)
class Station:
    """A delivery station: where it is, the zone it serves, its disc and its planned parcels a day."""

    index: int
    zone: int
    x: float
    y: float
    radius_km: float
    parcels_per_day: float

    @property
    def area_km2(self) -> float:
        return math.pi * self.radius_km**2


@dataclass(frozen=True)
class Network:
    """The hub and its stations (station ``i`` is depot ``i`` of the world)."""

    hub: tuple[float, float]
    stations: tuple[Station, ...]

    def hub_km(self, station: int, circuity: float) -> float:
        """Road km from the hub to a station (straight line x circuity)."""
        s = self.stations[station]
        return math.hypot(s.x - self.hub[0], s.y - self.hub[1]) * circuity


def plan_network(scenario) -> Network:
    """Stations per zone from the scenario's volume, shares, density and station size."""
    net, w = scenario.network, scenario.world
    hub = (net.hub_x, net.hub_y)
    shares = np.array([getattr(w.zones, name) for name in ZONE_NAMES], dtype=float)
    shares = shares / shares.sum()
    stations: list[Station] = []
    for z, (name, hub_distance, _) in enumerate(ZONES):
        parcels = scenario.demand.orders_per_day * shares[z]
        if shares[z] <= 0:
            continue
        count = max(1, round(parcels / net.station_parcels_per_day))
        each = parcels / count
        density = getattr(net.density, name)
        radius = math.sqrt(max(each, 1.0) / density / math.pi)
        # zones interleave on the compass so no two rings put stations on one bearing
        offset = 2 * math.pi * z / len(ZONES) / max(count, 1)
        for i in range(count):
            angle = offset + 2 * math.pi * i / count
            stations.append(
                Station(
                    index=len(stations),
                    zone=z,
                    x=hub[0] + hub_distance * math.cos(angle),
                    y=hub[1] + hub_distance * math.sin(angle),
                    radius_km=radius,
                    parcels_per_day=each,
                )
            )
    return Network(hub=hub, stations=tuple(stations))


def place_customers(network: Network, scenario, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """(x, y, zone, station) of every customer: zone by ``[world.zones]``, a station of that zone
    at random, a point uniform over the station's disc."""
    w = scenario.world
    n = w.customers
    served = sorted({s.zone for s in network.stations})
    shares = np.array([getattr(w.zones, ZONE_NAMES[z]) for z in served], dtype=float)
    zone = np.asarray(served)[rng.choice(len(served), size=n, p=shares / shares.sum())]
    by_zone = {z: np.array([s.index for s in network.stations if s.zone == z]) for z in served}
    pick = rng.random(n)
    station = np.empty(n, dtype=np.int64)
    for z, ids in by_zone.items():
        mask = zone == z
        station[mask] = ids[np.minimum((pick[mask] * len(ids)).astype(np.int64), len(ids) - 1)]
    sx = np.array([s.x for s in network.stations])[station]
    sy = np.array([s.y for s in network.stations])[station]
    radius = np.array([s.radius_km for s in network.stations])[station] * np.sqrt(rng.random(n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return sx + radius * np.cos(angle), sy + radius * np.sin(angle), zone, station
