"""The consumer population: latent taste, price sensitivity, green affinity, label trust.

Drawn once per run from the ``consumers`` stream, as columns (index = consumer id, the same
ids as the simulation's customers):

- taste over categories: a Dirichlet(1) share per consumer (``share``, also the chance that a
  session is about that category); its utility is half the log of share x categories, about 0
  for an average category;
- factors: a latent vector per consumer (standard normal, ``FACTORS`` dimensions) whose dot
  product with a product's factors (:func:`draw_product_factors`) is the personal match term,
  the structure a learned recommender can find and popularity cannot;
- price sensitivity: lognormal with the given mean and log-sd (the coefficient on the
  log-price ratio of the choice model);
- green affinity in [0, 1]: Beta with the given mean and concentration 5 (Beta(2, 3) at 0.4);
- trust in platform labels: 1 for ``trust_share`` of consumers (seed 000: 45% fully trust),
  uniform on [0, 0.5] for the rest;
- points balance: 0 at the start (kept by :class:`recommender.incentives.PointsBank`).

The shape parameters are assumptions of ours (DOMAIN.md 4.1 gives targets, not
distributions); the trust share is the seed's figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Dimensions of the latent consumer-product match.
FACTORS = 4
#: Concentration of the Beta distribution of green affinity.
AFFINITY_CONCENTRATION = 5.0


@dataclass
class Consumers:
    share: np.ndarray  # (n, categories) taste shares, rows sum to 1
    taste: np.ndarray  # (n, categories) utility of each category
    factors: np.ndarray  # (n, FACTORS)
    price_sensitivity: np.ndarray  # (n,)
    green_affinity: np.ndarray  # (n,)
    trust: np.ndarray  # (n,)

    def __len__(self) -> int:
        return int(self.price_sensitivity.shape[0])


def draw_consumers(
    n: int,
    categories: int,
    rng: np.random.Generator,
    *,
    trust_share: float = 0.45,
    price_sensitivity_mean: float = 2.0,
    price_sensitivity_spread: float = 0.4,
    green_affinity_mean: float = 0.4,
) -> Consumers:
    """A population of ``n`` consumers (see the module docstring for the distributions)."""
    if n < 1 or categories < 1:
        raise ValueError(f"need at least one consumer and one category, got {n} and {categories}")
    share = rng.dirichlet(np.ones(categories), size=n)
    taste = np.log(np.maximum(share * categories, 1e-9)) / 2.0
    factors = rng.standard_normal((n, FACTORS))
    s = price_sensitivity_spread
    sens = rng.lognormal(np.log(price_sensitivity_mean) - s**2 / 2, s, size=n)
    a = AFFINITY_CONCENTRATION * green_affinity_mean
    affinity = rng.beta(a, AFFINITY_CONCENTRATION - a, size=n)
    full = rng.random(n) < trust_share
    trust = np.where(full, 1.0, rng.uniform(0.0, 0.5, size=n))
    return Consumers(share, taste, factors, sens, affinity, trust)


def draw_product_factors(n: int, rng: np.random.Generator, spread: float) -> np.ndarray:
    """Latent factors of ``n`` products, scaled so the match term u . v has sd ``spread``
    over consumers and products (a green variant takes its twin's row)."""
    return rng.standard_normal((n, FACTORS)) * (spread / np.sqrt(FACTORS))
