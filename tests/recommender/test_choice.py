"""The multinomial logit: closed-form shares, and the direction of each term."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.choice import ChoiceParams, choose, probabilities, utilities

SLATE = dict(
    taste=np.array([0.5, 0.5, 0.2]),
    price=np.array([100.0, 105.0, 50.0]),
    reference_price=np.array([100.0, 100.0, 50.0]),
    green=np.array([False, True, False]),
    label_score=np.array([0.0, 1.0, -1.0]),
)


def _v(params=ChoiceParams(), **kw):
    args = dict(SLATE, price_sensitivity=2.0, green_affinity=0.8, trust=1.0) | kw
    return utilities(params, **args)


def test_shares_match_the_closed_form_logit():
    """Utilities by hand, then exp(V_j) / (exp(no_buy) + sum exp(V_k)); sampled shares agree."""
    p = ChoiceParams()
    v = _v(p)
    expect_v = np.array(
        [
            0.5,
            0.5 - 2.0 * np.log(1.05) + 0.3 * 0.8 * 1.0 + 1.0 * 0.8 * 0.25 * 1.0,
            0.2 + 1.0 * 0.8 * 0.25 * -1.0,
        ]
    )
    assert v == pytest.approx(expect_v)
    e = np.exp(np.concatenate([[p.no_buy], expect_v]))
    assert probabilities(v, p.no_buy) == pytest.approx(e / e.sum())
    rng = np.random.default_rng(0)
    picks = [choose(v, p.no_buy, rng) for _ in range(40_000)]
    counts = np.array([picks.count(None)] + [picks.count(i) for i in range(3)]) / 40_000
    assert counts == pytest.approx(e / e.sum(), abs=0.01)


def test_labels_off_removes_the_label_term():
    on, off = _v(ChoiceParams(display=True)), _v(ChoiceParams(display=False))
    assert on[0] == off[0] and on[1] > off[1] and on[2] < off[2]
    assert _v(trust=0.0)[1] == pytest.approx(off[1])  # distrust is the same as no label


def test_price_sensitivity_lowers_the_green_share_at_a_premium():
    """The green item costs 5% more: more price-sensitive consumers pick it less often."""
    shares = []
    for sens in (0.5, 2.0, 8.0):
        pr = probabilities(_v(price_sensitivity=sens), ChoiceParams().no_buy)
        shares.append(pr[2] / pr[1:].sum())
    assert shares[0] > shares[1] > shares[2]


def test_points_make_an_item_cheaper_at_a_discount_to_cash():
    base = _v()
    with_points = _v(points_value=np.array([0.0, 10.0, 0.0]))
    gain = with_points[1] - base[1]
    assert gain == pytest.approx(-2.0 * (np.log(105 - 6.0) - np.log(105)))  # kappa 0.6 x 10
    assert with_points[0] == base[0]


def test_sample_draws_each_index_with_its_probability():
    from recommender.choice import sample

    p = np.array([0.5, 0.2, 0.3])
    u = np.random.default_rng(3).random(30_000)
    counts = np.bincount([sample(p, x) for x in u], minlength=3) / u.size
    assert counts == pytest.approx(p, abs=0.01)


def test_delivery_choice_matches_its_closed_form():
    """log shares + the green slot's pull relative to the average consumer + points at kappa;
    an option with share 0 is never chosen."""
    from recommender.choice import delivery_utilities, softmax

    p = ChoiceParams()
    shares = np.array([0.6, 0.2, 0.2])
    green = np.array([False, False, True])
    v = delivery_utilities(
        p,
        shares=shares,
        green=green,
        green_affinity=0.9,
        mean_affinity=0.4,
        price_sensitivity=2.0,
        basket_value=100.0,
        points_value=np.array([0.0, 0.0, 5.0]),
    )
    expect = np.log(shares) + green * (0.3 * 1.0 * 0.5 - 2.0 * np.log(1 - 0.6 * 5.0 / 100.0))
    assert v == pytest.approx(expect)
    average = delivery_utilities(
        p,
        shares=shares,
        green=green,
        green_affinity=0.4,
        mean_affinity=0.4,
        price_sensitivity=2.0,
        basket_value=100.0,
        points_value=np.zeros(3),
    )
    assert softmax(average) == pytest.approx(shares)  # the average consumer, no points: the stated shares
    closed = delivery_utilities(
        p,
        shares=np.array([0.8, 0.2, 0.0]),
        green=green,
        green_affinity=0.9,
        mean_affinity=0.4,
        price_sensitivity=2.0,
        basket_value=100.0,
        points_value=np.array([0.0, 0.0, 50.0]),
    )
    assert softmax(closed)[2] == 0.0


def test_attention_and_match_add_to_utility():
    base = _v()
    more = _v(match=np.array([0.5, 0.0, 0.0]), log_attention=np.log(np.array([1.0, 0.5, 1.0])))
    assert more - base == pytest.approx([0.5, np.log(0.5), 0.0])
