"""The learned recommender against popularity, and the green re-rank."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.models import Interactions, ItemItem, Popularity, green_likely, hit_rate_at_k


def clustered(seed=0, consumers=300, items=60, buys=12):
    """Consumers in 3 taste groups, each buying mostly from its own third of the items; the
    globally most popular items belong to group 0's third."""
    rng = np.random.default_rng(seed)
    group = rng.integers(3, size=consumers)
    rows = []
    for c in range(consumers):
        own = np.arange(group[c] * 20, group[c] * 20 + 20)
        p = np.where(np.isin(np.arange(items), own), 1.0, 0.05)
        p = p * np.where(np.arange(items) < 20, 1.5, 1.0)
        for i in rng.choice(items, size=buys, p=p / p.sum()):
            rows.append((c, int(i)))
    data = np.array(rows)
    rng.shuffle(data)
    last = {}
    for idx, (c, _) in enumerate(data):
        last[c] = idx  # each consumer's last purchase is held out
    test_idx = np.array(sorted(last.values()))
    mask = np.ones(len(data), bool)
    mask[test_idx] = False
    train, test = data[mask], data[test_idx]
    mk = lambda d: Interactions(d[:, 0], d[:, 1], np.ones(len(d)))  # noqa: E731
    return mk(train), mk(test), consumers, items


def test_item_item_beats_popularity_on_held_out_purchases():
    """Hit rate at 5 on each consumer's held-out last purchase: the learned model finds the
    consumer's taste group, popularity cannot."""
    train, test, n, m = clustered()
    green = np.zeros(m, bool)
    pop = Popularity(green).fit(train, n)
    ii = ItemItem(green).fit(train, n)
    hr_pop, hr_ii = hit_rate_at_k(pop, test, 5), hit_rate_at_k(ii, test, 5)
    assert hr_ii > hr_pop + 0.05, (hr_ii, hr_pop)


def test_green_boost_raises_green_exposure():
    """Boosting green items by 50% puts more of them into every slate."""
    train, _, n, m = clustered(1)
    green = np.arange(m) % 4 == 0
    model = ItemItem(green).fit(train, n)
    share = []
    for boost in (0.0, 0.5, 2.0):
        slates = [model.recommend(c, 10, green_boost=boost) for c in range(n)]
        share.append(np.mean([green[s].mean() for s in slates]))
    assert share[0] < share[1] < share[2]


def test_green_likely_is_a_smoothed_share():
    green = np.array([True, False])
    buys = Interactions(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]), np.ones(4))
    g = green_likely(buys, green, 3)
    assert g == pytest.approx([(2 + 1) / (3 + 5), (0 + 1) / (1 + 5), 1 / 5])


def test_recommendations_are_deterministic_and_exclude_what_is_asked():
    train, _, n, m = clustered(2)
    model = ItemItem(np.zeros(m, bool)).fit(train, n)
    a = model.recommend(3, 8)
    assert np.array_equal(a, model.recommend(3, 8)) and len(set(a.tolist())) == 8
    b = model.recommend(3, 8, exclude=a[:4])
    assert not set(a[:4].tolist()) & set(b.tolist())
