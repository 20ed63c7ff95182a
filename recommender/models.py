"""Ranking models learned from logged interactions (implicit feedback), and the green re-rank.

``Popularity``: items by their weighted interaction count (the baseline). ``ItemItem``:
item-to-item cosine similarity over the consumer x item matrix of implicit feedback
(clicked and bought, with their weights), a consumer's score for an item
being the similarity-weighted sum of what they interacted with (Sarwar et al. 2001); a
consumer with no history falls back to popularity. Both re-rank by ``green_boost``: a green
item's score is multiplied by ``1 + green_boost`` (optionally scaled per consumer by
``green_likely``, the smoothed share of their purchases that were green).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse


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
    """Items by weighted interaction count; ``prior`` (e.g. catalog appeal) orders the items
    before any data and breaks ties, scaled below a single interaction."""

    green: np.ndarray  # (items,) bool
    prior: np.ndarray | None = None
    base: np.ndarray = field(init=False)

    def fit(self, data: Interactions, n_consumers: int) -> Popularity:
        counts = np.bincount(data.item, weights=data.weight, minlength=self.green.size).astype(float)
        if self.prior is None:
            floor = np.full(self.green.size, 1e-9)  # a tiny floor keeps unseen items rankable
        else:
            floor = 0.5 * self.prior / max(float(self.prior.max()), 1e-300)
        self.base = counts + floor
        return self

    def scores(self, consumer: int, items: np.ndarray | None = None) -> np.ndarray:
        return self.base if items is None else self.base[items]

    def recommend(self, consumer: int, k: int, *, green_boost: float = 0.0, exclude: np.ndarray | None = None) -> np.ndarray:
        s = self.scores(consumer) * (1.0 + green_boost * self.green)
        return _top_k(s, k, exclude)


@dataclass
class ItemItem:
    """Item-to-item cosine similarity over the consumer x item matrix of implicit feedback.

    The similarity is a dense items x items matrix (fine for catalogs of a few thousand
    products, the scale the simulator runs); the feedback matrix is sparse, so the consumer
    population can be large.
    """

    green: np.ndarray
    prior: np.ndarray | None = None
    fallback: Popularity = field(init=False)
    r: sparse.csr_matrix = field(init=False)
    sim: np.ndarray = field(init=False)

    def fit(self, data: Interactions, n_consumers: int) -> ItemItem:
        n_items = self.green.size
        self.fallback = Popularity(self.green, self.prior).fit(data, n_consumers)
        self._tiebreak = 1e-6 * self.fallback.base / max(float(self.fallback.base.max()), 1e-300)
        r = sparse.csr_matrix((data.weight.astype(float), (data.consumer, data.item)), shape=(n_consumers, n_items))
        r.sum_duplicates()
        self.r = r
        norms = np.sqrt(np.asarray(r.multiply(r).sum(axis=0)).ravel())
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        x = r @ sparse.diags(inv)
        self.sim = np.asarray((x.T @ x).todense())
        np.fill_diagonal(self.sim, 0.0)
        return self

    def history(self, consumer: int) -> tuple[np.ndarray, np.ndarray]:
        """(items, weights) the consumer had interacted with when the model was fitted."""
        a, b = self.r.indptr[consumer], self.r.indptr[consumer + 1]
        return self.r.indices[a:b], self.r.data[a:b]

    def similarity(
        self, consumer: int, items: np.ndarray | None = None, history: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """Similarity-weighted sum over the consumer's history (the fitted one unless given);
        zeros for a consumer with no history."""
        ids, w = self.history(consumer) if history is None else history
        n = self.green.size if items is None else items.size
        if ids.size == 0:
            return np.zeros(n)
        return w @ (self.sim[ids] if items is None else self.sim[np.ix_(ids, items)])

    def scores(
        self, consumer: int, items: np.ndarray | None = None, history: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        """:meth:`similarity`; a consumer with no history gets popularity."""
        ids = self.history(consumer)[0] if history is None else history[0]
        if ids.size == 0:
            return self.fallback.scores(consumer, items)
        # the popularity term (scaled far below any similarity) only orders the items the
        # consumer's history says nothing about
        tiebreak = self._tiebreak if items is None else self._tiebreak[items]
        return self.similarity(consumer, items, history) + tiebreak

    def recommend(self, consumer: int, k: int, *, green_boost: float = 0.0, exclude: np.ndarray | None = None) -> np.ndarray:
        s = self.scores(consumer) * (1.0 + green_boost * self.green)
        return _top_k(s, k, exclude)


@dataclass
class Learned:
    """The learned model the simulation serves: personalised popularity times similarity.

    score(c, j) = P(category of j | c) x P(j | its category) x (1 + sim(c, j) / max_j sim(c, j))

    P(category | c) is the consumer's share of feedback in each category, smoothed towards
    the population's with ``alpha`` pseudo-interactions; P(j | category) is the item's share
    of its category's weighted feedback (the popularity model within the category); sim is
    the :class:`ItemItem` score of the consumer's history. So a new consumer gets popularity,
    and history moves the ranking towards their categories and towards what people with
    similar histories chose.
    """

    green: np.ndarray
    category: np.ndarray  # (items,) category index of each item
    prior: np.ndarray | None = None
    alpha: float = 2.0
    item: ItemItem = field(init=False)

    def fit(self, data: Interactions, n_consumers: int) -> Learned:
        self.item = ItemItem(self.green, self.prior).fit(data, n_consumers)
        self.n_categories = int(self.category.max()) + 1
        pop = self.item.fallback.base
        per_category = np.bincount(self.category, weights=pop, minlength=self.n_categories)
        self.p_item = pop / per_category[self.category]
        self.p_category = per_category / per_category.sum()
        return self

    def category_shares(self, ids: np.ndarray, w: np.ndarray) -> np.ndarray:
        counts = np.bincount(self.category[ids], weights=w, minlength=self.n_categories)
        return (counts + self.alpha * self.p_category) / (counts.sum() + self.alpha)

    def scores(
        self, consumer: int, items: np.ndarray | None = None, history: tuple[np.ndarray, np.ndarray] | None = None
    ) -> np.ndarray:
        ids, w = self.item.history(consumer) if history is None else history
        idx = np.arange(self.green.size) if items is None else items
        base = self.category_shares(ids, w)[self.category[idx]] * self.p_item[idx]
        sim = self.item.similarity(consumer, items, (ids, w))
        top = float(sim.max()) if sim.size else 0.0
        return base * (1.0 + sim / top) if top > 0 else base

    def recommend(self, consumer: int, k: int, *, green_boost: float = 0.0, exclude: np.ndarray | None = None) -> np.ndarray:
        s = self.scores(consumer) * (1.0 + green_boost * self.green)
        return _top_k(s, k, exclude)


def green_likely(
    purchases: Interactions, green: np.ndarray, n_consumers: int, prior: tuple[float, float] = (1.0, 4.0)
) -> np.ndarray:
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
