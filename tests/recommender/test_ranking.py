"""The served recommender: slates, green re-rank by green-likely, retraining and its report."""

from __future__ import annotations

import numpy as np
import pytest

from recommender import Recommender
from recommender.metrics import green_exposure, position_weights
from recommender.models import Interactions, Learned, Popularity

GREEN = np.array([False, False, False, True, True, False])
APPEAL = np.array([6.0, 5.0, 4.0, 3.0, 2.0, 1.0])
CATEGORY = np.array([0, 0, 1, 1, 2, 2])


def rec(**kw) -> Recommender:
    return Recommender(GREEN, APPEAL, CATEGORY, 4, **({"slate_size": 3} | kw))


def test_an_untrained_shop_ranks_by_appeal_and_breaks_ties_by_id():
    r = rec()
    assert r.slate(0, np.arange(6)).tolist() == [0, 1, 2]
    assert r.slate(0, np.array([5, 4, 3])).tolist() == [3, 4, 5]


def test_green_boost_is_scaled_by_green_likely():
    """After training, a consumer who bought green gets a larger boost than a new one."""
    r = rec(green_boost=0.4)
    r.purchase(0, 3)
    r.purchase(0, 4)
    r.retrain()
    assert r.boost_scale[0] > 1.0 == r.boost_scale[1]
    s_green_buyer = r.scores(0, np.array([3]))[0] / r.popularity.scores(0, np.array([3]))[0]
    s_new = r.scores(1, np.array([3]))[0] / r.popularity.scores(1, np.array([3]))[0]
    assert s_new == pytest.approx(1.4)
    assert s_green_buyer == pytest.approx(1.0 + 0.4 * r.boost_scale[0]) and s_green_buyer > s_new


def test_retraining_scores_the_previous_models_on_held_out_purchases_only():
    r = rec(slate_size=2)
    first = r.retrain()
    assert first.held_out == 0 and first.hit_rate_popularity is None
    r.purchase(1, 0)  # item 0 is in popularity's top 2 (appeal)
    r.purchase(2, 5, held_out=True)  # item 5 is not
    r.purchase(3, 5, held_out=False)  # from a served slate: learnt from, not scored
    r.click(3, 2)
    rep = r.retrain()
    assert (rep.held_out, rep.purchases, rep.interactions) == (2, 3, 4)
    assert rep.hit_rate_popularity == pytest.approx(0.5)
    assert rep.hit_rate_learned is not None


def test_the_learned_model_follows_a_consumers_categories():
    """A consumer who only ever bought in category 2 is shown category 2 first; a new
    consumer sees the popular items."""
    data = Interactions(np.array([0, 0, 1, 2]), np.array([4, 5, 0, 1]), np.ones(4))
    m = Learned(GREEN, CATEGORY, APPEAL).fit(data, 4)
    assert set(m.recommend(0, 2).tolist()) == {4, 5}
    pop = Popularity(GREEN, APPEAL).fit(data, 4)
    assert m.recommend(3, 2).tolist() == pop.recommend(3, 2).tolist() == [0, 1]


def test_position_weights_and_exposure():
    w = position_weights(3)
    assert w == pytest.approx([1.0, 1 / np.log2(3), 0.5])
    green_w, total = green_exposure(np.array([False, True, True]))
    assert total == pytest.approx(w.sum()) and green_w == pytest.approx(w[1] + w[2])


def test_bad_model_name_is_refused():
    with pytest.raises(ValueError, match="popularity' or 'learned"):
        rec(model="bandit")
