"""The static world: depots, customers in zones, the catalog; the random streams."""

from __future__ import annotations

import numpy as np
import pytest

from sim.world.catalog import build_catalog
from sim.world.context import Streams
from sim.world.geography import ZONE_NAMES, build_world, depot_sites


def test_streams_are_named_not_ordered():
    """A stream depends on (seed, name) only, not on which streams were used before it."""
    a, b = Streams(7), Streams(7)
    a.get("routing").random(100)
    assert a.get("demand").random() == b.get("demand").random()
    assert Streams(7).get("demand").random() != Streams(8).get("demand").random()
    assert Streams(7).seed_for("routing", 3) == Streams(7).seed_for("routing", 3) != Streams(7).seed_for("routing", 4)


def test_customers_follow_the_zone_shares_and_distances(tiny):
    """With 6,000 customers each zone's share is within 2 points of the scenario's, and the
    outer zones lie farther from the depot (paper Table 7 route lengths)."""
    s = tiny("world.customers=6000")
    w = build_world(s, np.random.default_rng(1))
    shares = np.bincount(w.customers.zone, minlength=len(ZONE_NAMES)) / 6000
    expected = [getattr(s.world.zones, z) for z in ZONE_NAMES]
    assert np.abs(shares - expected).max() < 0.02
    r = np.hypot(w.customers.x, w.customers.y)
    mean_r = [r[w.customers.zone == z].mean() for z in range(len(ZONE_NAMES))]
    assert mean_r == sorted(mean_r)
    assert mean_r[0] == pytest.approx(12.84 / 2, rel=0.05)


def test_same_seed_same_people(tiny):
    """Faker is seeded from the world stream: same seed, same names and addresses."""
    s = tiny()
    a = build_world(s, Streams(3).get("world")).customers
    b = build_world(s, Streams(3).get("world")).customers
    c = build_world(s, Streams(4).get("world")).customers
    people = [a.identity(i) for i in range(len(a))]
    assert people == [b.identity(i) for i in range(len(b))] and np.array_equal(a.x, b.x)
    assert a.identity(5) == a.identity(5) != c.identity(5)
    assert len({name for name, _ in people}) > 150 and all(address for _, address in people)  # real, varied
    with pytest.raises(IndexError):
        a.identity(len(a))


def test_depots_by_count_and_by_coordinates(tiny):
    """A count places depot 0 at the origin and the rest on a ring; tables are taken as given;
    customers are served by their nearest depot."""
    assert depot_sites(tiny()) == ((0.0, 0.0),)
    three = depot_sites(tiny("world.depots=3"))
    assert len(three) == 3 and three[0] == (0.0, 0.0)
    assert all(np.hypot(*d) == pytest.approx(25.0) for d in three[1:])
    s = tiny("world.depots=[{x = 0.0, y = 0.0}, {x = 60.0, y = 0.0}]")
    w = build_world(s, np.random.default_rng(0))
    assert w.depots == ((0.0, 0.0), (60.0, 0.0))
    d2 = (w.customers.x - 60.0) ** 2 + w.customers.y**2
    d1 = w.customers.x**2 + w.customers.y**2
    assert np.array_equal(w.customers.depot, (d2 < d1).astype(int))


def test_catalog_green_variants(tiny):
    """Green variants are products of their own: premium on price, cut on production footprint,
    the same weight and volume as their twin, and the uptake share of the twin's sales."""
    s = tiny(
        "catalog.products=400",
        "catalog.green_share=0.25",
        "catalog.green_premium=0.05",
        "catalog.green_footprint_cut=0.3",
        "catalog.green_uptake=0.4",
    )
    c = build_catalog(s, np.random.default_rng(0))
    green = np.flatnonzero(c.green)
    assert 60 < green.size < 140 and len(c) == 400 + green.size
    twin = c.base[green]
    assert not c.green[twin].any()
    assert np.allclose(c.price[green], np.round(c.price[twin] * 1.05, 2), atol=0.011)
    assert np.allclose(c.production_kg_co2e[green], c.production_kg_co2e[twin] * 0.7)
    assert np.array_equal(c.unit_kg[green], c.unit_kg[twin]) and np.array_equal(c.category[green], c.category[twin])
    assert np.allclose(c.popularity[green] / (c.popularity[green] + c.popularity[twin]), 0.4)
    assert c.popularity.sum() == pytest.approx(1.0)
    assert set(np.unique(c.category[:400])) == set(range(len(c.categories)))
