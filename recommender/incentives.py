"""Points: earned for green choices, redeemed against prices, within a budget.

Every consumer has a balance. Points are issued when an order is placed (the platform's
liability from then on) and only while the scenario's budget lasts: an award larger than
what is left is cut to it, and once the budget is spent nothing more is offered. A consumer
pays at most ``max_redeem_share`` of an order's value with points, valued at
``point_value`` yuan each; a consumer weighs points at ``kappa`` of their cash value when
choosing (applied in :mod:`recommender.choice`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class PointsBank:
    consumers: int
    budget: int
    point_value: float  # yuan per point
    max_redeem_share: float
    per_green_unit: int = 0
    per_green_slot: int = 0
    balance: np.ndarray = field(init=False)
    issued: int = field(init=False, default=0)
    redeemed: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.balance = np.zeros(self.consumers, dtype=np.int64)

    @property
    def left(self) -> int:
        """Points that may still be issued."""
        return self.budget - self.issued

    def offer(self, points: int) -> int:
        """The points an award of ``points`` would bring now (cut to the budget left)."""
        return max(0, min(points, self.left))

    def award(self, consumer: int, points: int) -> int:
        """Issue up to ``points`` to ``consumer``; returns the points issued."""
        n = self.offer(points)
        self.balance[consumer] += n
        self.issued += n
        return n

    def redeemable_value(self, consumer: int, price: np.ndarray) -> np.ndarray:
        """Cash value of the points ``consumer`` could use on items of ``price`` (yuan)."""
        return np.minimum(float(self.balance[consumer]) * self.point_value, self.max_redeem_share * price)

    def redeem(self, consumer: int, order_value: float) -> int:
        """Use the consumer's points on an order of ``order_value`` yuan; returns the points used."""
        if self.point_value <= 0:
            return 0
        cap = math.floor(self.max_redeem_share * order_value / self.point_value + 1e-9)
        n = int(min(int(self.balance[consumer]), cap))
        self.balance[consumer] -= n
        self.redeemed += n
        return n
