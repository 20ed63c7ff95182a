"""Product carbon grades (A best ... E worst) against the product's category, with hysteresis.

A product's carbon value is its footprint per unit (production plus the logistics its units
were charged, averaged over the rolling window). Its grade compares the value with the
median of its category's values: a ratio at or below ``thresholds[0]`` is A, at or below
``thresholds[1]`` B, and so on; above the last threshold, the last grade (E with the four
default thresholds). So grades say "better or worse than what
is usual for this kind of product", which is what a shopper comparing two kettles needs.

Hysteresis keeps grades from flickering when a value hovers at a boundary: a product leaves
its current grade only when its ratio is past the boundary by more than ``margin`` (a
fraction of the threshold), e.g. with margin 0.05 a B product (thresholds 0.6 / 0.85) turns
C only above 0.85 x 1.05 and turns A only below 0.6 x 0.95. The margin only holds a grade
against its neighbours: a ratio two or more grades away is taken at once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def grade_names(thresholds: Sequence[float]) -> str:
    """The grades n thresholds define: A and the next n letters (ABCDE for four)."""
    if not 1 <= len(thresholds) < len(LETTERS):
        raise ValueError(f"need 1 to {len(LETTERS) - 1} thresholds, got {len(thresholds)}")
    return LETTERS[: len(thresholds) + 1]


def raw_grade(ratio: float, thresholds: Sequence[float]) -> str:
    """The grade of ``ratio`` with no memory: the number of thresholds strictly below it."""
    return grade_names(thresholds)[bisect_left(list(thresholds), ratio)]


def next_grade(current: str | None, ratio: float, thresholds: Sequence[float], margin: float) -> str:
    """The grade after observing ``ratio`` for a product now graded ``current`` (None: new)."""
    new = raw_grade(ratio, thresholds)
    if current is None or new == current:
        return new
    names = grade_names(thresholds)
    i = names.index(current)
    if abs(names.index(new) - i) > 1:
        return new  # a jump past a neighbouring grade is real news, whatever the margin
    # the band (low, high] of the current grade, widened by the margin on both sides
    low = thresholds[i - 1] * (1.0 - margin) if i > 0 else float("-inf")
    high = thresholds[i] * (1.0 + margin) if i < len(thresholds) else float("inf")
    if low < ratio <= high:
        return current
    return new
