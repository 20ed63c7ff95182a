"""Ranking models learned from logged interactions (implicit feedback), and the green re-rank.

``Popularity``: items by their weighted interaction count (the baseline). ``ItemItem``:
item-to-item cosine similarity over the consumer x item matrix of implicit feedback
(shown 0, clicked ``click_weight``, bought ``buy_weight``), a consumer's score for an item
being the similarity-weighted sum of what they interacted with (Sarwar et al. 2001); a
consumer with no history falls back to popularity. Both re-rank by ``green_boost``: a green
item's score is multiplied by ``1 + green_boost`` (optionally scaled per consumer by
``green_likely``, the smoothed share of their purchases that were green).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Interactions:
    """Logged feedback as parallel arrays: consumer, item, weight (click or purchase)."""

    consumer: np.ndarray
    item: np.ndarray
    weight: np.ndarray

    def matrix(self, n_consumers: int, n_items: int) -> np.ndarray:
        r = np.zeros((n_consumers, n_items))
        np.add.at(r, (self.consumer, self.item), self.weight)
        return r


def _top_k(scores: np.ndarray, k: int, exclude: np.ndarray | None) -> np.ndarray:
    s = scores.astype(float).copy()
    if exclude is not None and exclude.size:
        s[exclude] = -np.inf
    k = min(k, int(np.isfinite(s).sum()))
    # ties broken by item id, so rankings are deterministic
    order = np.lexsort((np.arange(s.size), -s))
    return order[:k]


@dataclass
class Popularity:
    green: np.ndarray  # (items,) bool
    counts: np.ndarray = field(init=False)

    def fit(self, data: Interactions, n_consumers: int) -> "Popularity":
        self.counts = np.bincount(data.item, weights=data.weight, minlength=self.green.size).astype(float)
        return self

    def scores(self, consumer: int) -> np.ndarray:
        return self.counts + 1e-9  # a tiny floor keeps unseen items rankable

    def recommend(self, consumer: int, k: int, *, green_boost: float = 0.0, exclude: np.ndarray | None = None) -> np.ndarray:
        s = self.scores(consumer) * (1.0 + green_boost * self.green)
        return _top_k(s, k, exclude)


@dataclass
class ItemItem:
    green: np.ndarray
    fallback: Popularity = field(init=False)
    r: np.ndarray = field(init=False)
    sim: np.ndarray = field(init=False)

    def fit(self, data: Interactions, n_consumers: int) -> "ItemItem":
        n_items = self.green.size
        self.fallback = Popularity(self.green).fit(data, n_consumers)
        self.r = data.matrix(n_consumers, n_items)
        norms = np.linalg.norm(self.r, axis=0)
        x = np.divide(self.r, norms, out=np.zeros_like(self.r), where=norms > 0)
        self.sim = x.T @ x
        np.fill_diagonal(self.sim, 0.0)
        return self

    def scores(self, consumer: int) -> np.ndarray:
        history = self.r[consumer]
        if not history.any():
            return self.fallback.scores(consumer)
        # the popularity term (scaled far below any similarity) only orders the items the
        # consumer's history says nothing about
        return history @ self.sim + 1e-6 * self.fallback.counts / max(1.0, self.fallback.counts.max())

    def recommend(self, consumer: int, k: int, *, green_boost: float = 0.0, exclude: np.ndarray | None = None) -> np.ndarray:
        s = self.scores(consumer) * (1.0 + green_boost * self.green)
        return _top_k(s, k, exclude)


def green_likely(purchases: Interactions, green: np.ndarray, n_consumers: int, prior: tuple[float, float] = (1.0, 4.0)) -> np.ndarray:
    """Per consumer, the smoothed share of purchases that were green: (g + a) / (n + a + b)."""
    a, b = prior
    n = np.bincount(purchases.consumer, minlength=n_consumers).astype(float)
    g = np.bincount(purchases.consumer, weights=green[purchases.item].astype(float), minlength=n_consumers)
    return (g + a) / (n + a + b)


def hit_rate_at_k(model, held_out: Interactions, k: int, exclude_seen: np.ndarray | None = None) -> float:
    """Share of held-out (consumer, item) pairs whose item is in the consumer's top k."""
    hits = 0
    for c, i in zip(held_out.consumer.tolist(), held_out.item.tolist()):
        seen = None if exclude_seen is None else np.flatnonzero(exclude_seen[c])
        hits += i in model.recommend(c, k, exclude=seen)
    return hits / max(1, held_out.consumer.size)
