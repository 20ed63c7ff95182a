"""The product catalog: products in categories, each with price, weight, volume, production
footprint and, for ``catalog.green_share`` of them, a green-certified variant.

A green variant is a product of its own (its own id, stock and label) with ``base`` pointing
at its conventional twin: it costs ``green_premium`` more and its production footprint is
``green_footprint_cut`` lower. Popularity falls with rank (Zipf), the usual long tail of
e-commerce sales.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario import Scenario

#: Typical values per category: price (yuan), unit weight (kg), unit volume (litres),
#: production footprint (kg CO2e per unit). Indicative figures of ours, not sourced; a
#: category not listed gets ``GENERIC``. Each product varies lognormally around them.
CATEGORY_DEFAULTS: dict[str, tuple[float, float, float, float]] = {
    "electronics": (800.0, 1.2, 4.0, 40.0),
    "apparel": (150.0, 0.4, 2.0, 8.0),
    "home": (200.0, 2.5, 12.0, 10.0),
    "beauty": (120.0, 0.3, 0.6, 3.0),
    "food": (60.0, 1.5, 2.5, 4.0),
    "books": (50.0, 0.5, 1.2, 1.5),
    "sports": (250.0, 1.8, 8.0, 12.0),
    "toys": (120.0, 0.8, 4.0, 5.0),
}
GENERIC: tuple[float, float, float, float] = (150.0, 1.0, 4.0, 6.0)
#: Spread of a product's attributes around its category's (sigma of the log).
SPREAD = 0.5
#: Exponent of the Zipf popularity curve over the conventional products.
ZIPF_EXPONENT = 0.8


@dataclass(frozen=True)
class Catalog:
    """Products as columns; index = product id. ``base[i] == i`` for a conventional product."""

    category: np.ndarray  # index into categories
    categories: tuple[str, ...]
    price: np.ndarray
    unit_kg: np.ndarray
    unit_l: np.ndarray
    production_kg_co2e: np.ndarray
    green: np.ndarray  # bool
    base: np.ndarray  # id of the conventional twin
    popularity: np.ndarray  # exogenous mode: purchase probability of each product (sums to 1)
    appeal: np.ndarray  # sessions mode: how often a product is retrieved (a green variant has its twin's)
    reference_price: np.ndarray  # the typical price of the product's category (the choice model's yardstick)

    def __len__(self) -> int:
        return int(self.price.shape[0])


def build_catalog(scenario: Scenario, rng: np.random.Generator) -> Catalog:
    """Draw the catalog of ``catalog.products`` conventional products plus their green variants."""
    c = scenario.catalog
    n = c.products
    cats = tuple(c.categories)
    category = np.arange(n) % len(cats)  # every category gets products (validated: n >= categories)
    rng.shuffle(category)
    typical = np.array([CATEGORY_DEFAULTS.get(name, GENERIC) for name in cats])
    table = typical[category]
    noise = rng.lognormal(-(SPREAD**2) / 2, SPREAD, size=(n, 4))
    price, unit_kg, unit_l, prod = (table * noise).T
    rank = rng.permutation(n) + 1
    pop = rank.astype(float) ** -ZIPF_EXPONENT
    has_green = rng.random(n) < c.green_share
    green_of = np.flatnonzero(has_green)
    m = green_of.size
    # the green variant takes `green_uptake` of its twin's sales (exogenous demand mode)
    pop_green = pop[green_of] * c.green_uptake
    pop_conv = pop.copy()
    pop_conv[green_of] *= 1.0 - c.green_uptake
    popularity = np.concatenate([pop_conv, pop_green])
    return Catalog(
        category=np.concatenate([category, category[green_of]]),
        categories=cats,
        price=np.round(np.concatenate([price, price[green_of] * (1.0 + c.green_premium)]), 2),
        unit_kg=np.concatenate([unit_kg, unit_kg[green_of]]),
        unit_l=np.concatenate([unit_l, unit_l[green_of]]),
        production_kg_co2e=np.concatenate([prod, prod[green_of] * (1.0 - c.green_footprint_cut)]),
        green=np.concatenate([np.zeros(n, bool), np.ones(m, bool)]),
        base=np.concatenate([np.arange(n), green_of]),
        popularity=popularity / popularity.sum(),
        appeal=np.concatenate([pop, pop[green_of]]) / pop.sum(),
        reference_price=np.concatenate([table[:, 0], table[green_of, 0]]),
    )
