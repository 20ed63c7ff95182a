"""The static world a run happens in: depots, the consumer population and its zones.

In the ``stations`` layout (``network.layout``) the depots are the delivery stations of
:mod:`sim.world.network` and customers live in their discs. In the ``depots`` layout (the seed
paper's world) customers sit in the seed paper's delivery zones (Table 7, mean route lengths 12.84 ...
43.37 km), at a distance of about half the zone's mean route length from their depot,
as ``optimizer.generate`` places them; names and addresses come from Faker, seeded from
the run's ``world`` stream so the same seed gives the same people.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from faker import Faker

from optimizer.generate import ZONES
from sim.scenario import Scenario
from sim.world.network import ZONE_NAMES, Network, place_customers, plan_network
from sim.world.pickup import SiteMap, place_sites

__all__ = ["ZONE_NAMES", "Customers", "World", "build_world", "depot_sites", "build_customers"]
#: Radius of the ring extra depots are placed on when ``world.depots`` is a count, km.
DEPOT_RING_KM = 25.0


@dataclass(frozen=True)
class Customers:
    """The consumer population as columns (index = customer id).

    Names and addresses are drawn on demand (:meth:`identity`), each customer from a Faker
    seeded by (population seed, customer id): the same person every time, at no cost to a
    run that never shows them (Faker takes about 0.3 ms per person).
    """

    x: np.ndarray
    y: np.ndarray
    zone: np.ndarray  # index into ZONE_NAMES
    depot: np.ndarray  # index of the serving depot (the nearest)
    locale: str
    faker_seed: int

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def identity(self, customer: int) -> tuple[str, str]:
        """(name, address) of a customer, in the scenario's locale."""
        if not 0 <= customer < len(self):
            raise IndexError(f"no customer {customer} (population of {len(self)})")
        fake = _faker(self.locale)
        fake.seed_instance(self.faker_seed * 1_000_003 + customer)
        return fake.name(), fake.address().replace("\n", ", ")


@lru_cache(maxsize=8)
def _faker(locale: str) -> Faker:
    # building a Faker loads its locale's providers (slow); reseeding one is cheap
    return Faker(locale)


@dataclass(frozen=True)
class World:
    """The static world of a run: depot coordinates (km) and the consumer population with its
    zones and coordinates; built once by :func:`build_world`, shared read-only by every process."""

    depots: tuple[tuple[float, float], ...]
    customers: Customers
    network: Network | None = None  # the hub and stations of the `stations` layout (depot i = station i)
    sites: SiteMap | None = None  # pickup points and lockers (``[pickup]``), None without them


def depot_sites(scenario: Scenario) -> tuple[tuple[float, float], ...]:
    """Depot coordinates: the listed ones, or a count placed at the origin and on a ring."""
    spec = scenario.world.depots
    if not isinstance(spec, int):
        return tuple((d.x, d.y) for d in spec)
    sites = [(0.0, 0.0)]
    for i in range(1, spec):
        angle = 2 * np.pi * (i - 1) / max(1, spec - 1)
        sites.append((DEPOT_RING_KM * float(np.cos(angle)), DEPOT_RING_KM * float(np.sin(angle))))
    return tuple(sites)


def build_customers(scenario: Scenario, depots: tuple[tuple[float, float], ...], rng: np.random.Generator) -> Customers:
    """Draw the population: zone by ``[world.zones]``, home depot at random, position around it."""
    w = scenario.world
    n = w.customers
    shares = np.array([getattr(w.zones, name) for name in ZONE_NAMES])
    zone = rng.choice(len(ZONE_NAMES), size=n, p=shares / shares.sum())
    home = rng.integers(0, len(depots), size=n)
    mean_len = np.array([z[1] for z in ZONES])[zone]
    sd = np.array([z[2] for z in ZONES])[zone]
    radius = np.abs(rng.normal(mean_len / 2.0, sd))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    dx = np.array([d[0] for d in depots])
    dy = np.array([d[1] for d in depots])
    x = dx[home] + radius * np.cos(angle)
    y = dy[home] + radius * np.sin(angle)
    # served from the nearest depot, which is the home one unless rings overlap
    nearest = np.argmin((x[:, None] - dx[None, :]) ** 2 + (y[:, None] - dy[None, :]) ** 2, axis=1)
    return Customers(x=x, y=y, zone=zone, depot=nearest, locale=w.locale, faker_seed=int(rng.integers(2**31)))


def build_world(scenario: Scenario, rng: np.random.Generator) -> World:
    """Depots (or hub and stations), the population and the pickup sites, all from ``rng``
    (the sites last, so a scenario with them has the same customers as one without)."""
    network = None
    if scenario.network.layout == "stations":
        network = plan_network(scenario)
        x, y, zone, station = place_customers(network, scenario, rng)
        customers = Customers(
            x=x, y=y, zone=zone, depot=station, locale=scenario.world.locale, faker_seed=int(rng.integers(2**31))
        )
        depots = tuple((s.x, s.y) for s in network.stations)
    else:
        depots = depot_sites(scenario)
        customers = build_customers(scenario, depots, rng)
    sites = None
    if scenario.pickup.sites_per_station > 0:
        c = customers
        sites = place_sites(c.x, c.y, c.depot, len(depots), scenario.pickup.sites_per_station, scenario.world.circuity, rng)
    return World(depots=depots, customers=customers, network=network, sites=sites)
