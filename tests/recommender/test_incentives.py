"""Points: awards cut at the budget, redemptions capped at a share of the order."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.incentives import PointsBank


def bank(**kw) -> PointsBank:
    args = dict(consumers=3, budget=1000, point_value=0.01, max_redeem_share=0.2, per_green_unit=100, per_green_slot=200)
    return PointsBank(**(args | kw))


def test_awards_stop_at_the_budget():
    b = bank()
    assert b.award(0, 600) == 600 and b.left == 400
    assert b.offer(600) == 400  # what an award would bring now
    assert b.award(1, 600) == 400 and b.left == 0
    assert b.award(2, 10) == 0 and b.offer(10) == 0
    assert b.issued == 1000 and b.balance.tolist() == [600, 400, 0]


def test_redemption_pays_at_most_the_share_of_the_order():
    b = bank()
    b.award(0, 1000)
    # 20% of 30 yuan is 6 yuan = 600 points at 0.01 yuan
    assert b.redeem(0, 30.0) == 600 and b.balance[0] == 400
    assert b.redeem(0, 1000.0) == 400 and b.balance[0] == 0  # then no more than the balance
    assert b.redeem(0, 1000.0) == 0 and b.redeemed == 1000


def test_redeemable_value_per_item():
    b = bank()
    b.award(0, 500)  # 5 yuan
    got = b.redeemable_value(0, np.array([10.0, 100.0]))
    assert got == pytest.approx([2.0, 5.0])  # 20% of 10 yuan; all 5 yuan on the dearer item
    assert b.redeemable_value(1, np.array([10.0])) == pytest.approx([0.0])


def test_free_points_are_never_redeemed():
    b = bank(point_value=0.0)
    b.award(0, 100)
    assert b.redeem(0, 50.0) == 0 and b.balance[0] == 100
