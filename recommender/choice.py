"""What a consumer buys from a slate: a multinomial logit with a no-buy option.

Utility of product j for consumer n (DOMAIN.md 4.1; price in log terms so a 5% premium
weighs the same on a book as on a phone)::

    V_nj = taste_n[cat_j] + match_nj
           - price_sensitivity_n * log(effective_price_j / reference_price_cat_j)
           + intention_gap * green_affinity_n * beta_green * green_j
           + display * trust_n * green_affinity_n * beta_label * label_score_j
           + log(attention at j's slate position)

    P(j | slate) = exp(V_nj) / (exp(no_buy) + sum_k exp(V_nk)),   P(no buy) the rest

``effective_price`` is the price less the value of points the consumer would use (points
valued at ``kappa`` of cash, DOMAIN.md 4.4). ``label_score`` is the label's distance from
the middle grade (A = +2 ... E = -2 with five grades), so a label only moves a consumer who
trusts labels and cares about the climate. ``intention_gap`` discounts stated willingness
to pay for green to what people do (BCG 2022: most say they would pay, 1-7% did). The
attention term (1 / log2(1 + position), :mod:`recommender.metrics`) is the position bias of
a slate: the same product sells less in tenth place than first.

The delivery option is a second logit over the options on offer (:func:`delivery_utilities`):
the scenario's shares as log-propensities, the green slot's pull for consumers greener than
average, and the points it earns at ``kappa`` of their cash value. Where the scenario has
pickup points, a third, binary logit takes the order to the customer's site or the door
(:func:`pickup_utility`: distance and points).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ChoiceParams:
    """Coefficients of the choice model (per consumer attributes come from :mod:`consumers`)."""

    beta_green: float = 1.0  # utility of a green-certified product at full affinity (stated)
    beta_label: float = 0.25  # utility per grade step better than the middle grade
    intention_gap: float = 0.3  # share of stated green preference that shows in choices
    kappa: float = 0.6  # a point's value to a consumer, as a share of its cash value
    no_buy: float = 2.0  # utility of leaving without buying (sets the conversion rate)
    display: bool = True  # labels shown (False: the label term is absent)


def utilities(
    params: ChoiceParams,
    *,
    taste: np.ndarray,  # (k,) the consumer's taste for each slate item's category
    price_sensitivity: float,
    green_affinity: float,
    trust: float,
    price: np.ndarray,  # (k,)
    reference_price: np.ndarray,  # (k,) typical price of each item's category
    green: np.ndarray,  # (k,) bool
    label_score: np.ndarray,  # (k,) grade steps better than the middle grade
    points_value: np.ndarray | None = None,  # (k,) cash value of points usable on or earned by each item
    match: np.ndarray | None = None,  # (k,) the consumer's personal match with each item
    log_attention: np.ndarray | None = None,  # (k,) log of the attention weight of each item's position
) -> np.ndarray:
    """V for each item of a slate (the no-buy utility is ``params.no_buy``)."""
    effective = price - (params.kappa * points_value if points_value is not None else 0.0)
    effective = np.maximum(effective, 0.01 * price)
    v = taste - price_sensitivity * np.log(effective / reference_price)
    if match is not None:
        v = v + match
    if log_attention is not None:
        v = v + log_attention
    v = v + params.intention_gap * green_affinity * params.beta_green * green.astype(float)
    if params.display:
        v = v + trust * green_affinity * params.beta_label * label_score
    return v


def probabilities(v: np.ndarray, no_buy: float) -> np.ndarray:
    """Choice probabilities: index 0 is no-buy, 1.. the slate items (numerically stable)."""
    z = np.concatenate([[no_buy], v])
    z = z - z.max()
    e = np.exp(z)
    return e / e.sum()


def choose(v: np.ndarray, no_buy: float, rng: np.random.Generator) -> int | None:
    """Sample a choice: the index of the bought item in the slate, or None for no purchase."""
    p = probabilities(v, no_buy)
    i = int(np.searchsorted(np.cumsum(p), rng.random(), side="right"))
    i = min(i, len(p) - 1)
    return None if i == 0 else i - 1


def delivery_utilities(
    params: ChoiceParams,
    *,
    shares: np.ndarray,  # (options,) propensities of an average consumer; 0 = not offered
    green: np.ndarray,  # (options,) bool: the green consolidated slot
    green_affinity: float,
    mean_affinity: float,
    price_sensitivity: float,
    basket_value: float,
    points_value: np.ndarray,  # (options,) cash value of the points each option earns
) -> np.ndarray:
    """V of each delivery option (-inf for one not on offer); choose with no no-buy option."""
    with np.errstate(divide="ignore"):
        v = np.log(shares)
    v = v + green * (params.intention_gap * params.beta_green * (green_affinity - mean_affinity))
    discount = np.maximum(1.0 - params.kappa * points_value / max(basket_value, 1e-9), 0.01)
    return v - price_sensitivity * np.log(discount)


def pickup_utility(
    asc: float,
    per_km: float,
    km: float,
    *,
    price_sensitivity: float = 0.0,
    kappa: float = 0.0,
    points_value: float = 0.0,
    basket_value: float = 1.0,
) -> float:
    """V of taking an order to a pickup point or locker over the door (binary logit, the door at 0):
    ``asc - per_km x km``, plus the points it earns valued as a discount on the basket, as
    :func:`delivery_utilities` values the green slot's."""
    discount = max(1.0 - kappa * points_value / max(basket_value, 1e-9), 0.01)
    return asc - per_km * km - price_sensitivity * math.log(discount)


def sample(p: np.ndarray, u: float) -> int:
    """Index drawn from probabilities ``p`` with the uniform ``u`` (inverse CDF)."""
    return min(int(np.searchsorted(np.cumsum(p), u * p.sum(), side="right")), p.size - 1)


def softmax(v: np.ndarray) -> np.ndarray:
    """Probabilities proportional to exp(v) (-inf entries get 0)."""
    e = np.exp(v - v.max())
    return e / e.sum()
