"""The consumer population: latent taste, price sensitivity, green affinity, label trust.

Drawn once per run from the ``consumers`` stream, as columns (index = consumer id, the same
ids as the simulation's customers):

- taste over categories: log of a Dirichlet(1) draw, so each consumer has favourite
  categories (utility of a category = its log-share + 2, about 0 for an average one);
- price sensitivity: lognormal with the given mean and a 0.4 log-sd (the coefficient on the
  log-price ratio of the choice model);
- green affinity in [0, 1]: Beta(2, 3), mean 0.4;
- trust in platform labels: 1 for ``trust_share`` of consumers (seed 000: 45% fully trust),
  uniform on [0, 0.5] for the rest;
- points balance: 0 at the start.

The shape parameters are assumptions of ours (DOMAIN.md 4.1 gives targets, not
distributions); the trust share is the seed's figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Consumers:
    taste: np.ndarray  # (n, categories)
    price_sensitivity: np.ndarray  # (n,)
    green_affinity: np.ndarray  # (n,)
    trust: np.ndarray  # (n,)
    points: np.ndarray  # (n,) balance, mutable

    def __len__(self) -> int:
        return int(self.price_sensitivity.shape[0])


def draw_consumers(
    n: int,
    categories: int,
    rng: np.random.Generator,
    *,
    trust_share: float = 0.45,
    price_sensitivity_mean: float = 2.0,
) -> Consumers:
    """A population of ``n`` consumers (see the module docstring for the distributions)."""
    if n < 1 or categories < 1:
        raise ValueError(f"need at least one consumer and one category, got {n} and {categories}")
    share = rng.dirichlet(np.ones(categories), size=n)
    taste = np.log(np.maximum(share * categories, 1e-9)) / 2.0
    s2 = 0.4**2
    sens = rng.lognormal(np.log(price_sensitivity_mean) - s2 / 2, 0.4, size=n)
    affinity = rng.beta(2.0, 3.0, size=n)
    full = rng.random(n) < trust_share
    trust = np.where(full, 1.0, rng.uniform(0.0, 0.5, size=n))
    return Consumers(taste, sens, affinity, trust, np.zeros(n))
