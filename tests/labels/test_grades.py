"""Grades against the category median, and hysteresis at the boundaries."""

from __future__ import annotations

import pytest

from labels.grades import next_grade, raw_grade

T = (0.6, 0.85, 1.15, 1.5)


@pytest.mark.parametrize(
    ("ratio", "grade"),
    [(0.1, "A"), (0.6, "A"), (0.61, "B"), (0.85, "B"), (1.0, "C"), (1.15, "C"), (1.49, "D"), (1.5, "D"), (1.51, "E"), (9, "E")],
)
def test_raw_grades(ratio, grade):
    assert raw_grade(ratio, T) == grade


def test_hysteresis_holds_a_grade_near_its_boundary():
    """A B product at 0.86 (just past 0.85) stays B with a 5% margin; at 0.90 it becomes C;
    back at 0.84 a C stays C (0.85 x 0.95 = 0.8075 is its lower edge); at 0.80 it is B again."""
    assert next_grade("B", 0.86, T, 0.05) == "B"
    assert next_grade("B", 0.90, T, 0.05) == "C"
    assert next_grade("C", 0.84, T, 0.05) == "C"
    assert next_grade("C", 0.80, T, 0.05) == "B"
    assert next_grade("C", 0.84, T, 0.0) == "B"  # no margin, no memory
    assert next_grade(None, 0.86, T, 0.05) == "C"  # a new product takes its raw grade
    assert next_grade("A", 2.0, T, 0.05) == "E"  # a jump over several grades is taken at once


def test_a_value_hovering_at_a_boundary_does_not_flicker():
    """Ratios oscillating 0.84 / 0.86 around the B/C boundary: without margin the grade flips
    every time, with a 5% margin it never changes."""
    seq = [0.84, 0.86] * 10
    flips = {}
    for margin in (0.0, 0.05):
        g, n = None, 0
        for r in seq:
            new = next_grade(g, r, T, margin)
            n += g is not None and new != g
            g = new
        flips[margin] = n
    assert flips[0.0] == 19 and flips[0.05] == 0


def test_the_thresholds_define_the_grades():
    """Two thresholds give A, B, C; none is an error."""
    assert [raw_grade(r, (0.5, 1.0)) for r in (0.4, 0.7, 2.0)] == ["A", "B", "C"]
    with pytest.raises(ValueError, match="need 1 to 25 thresholds"):
        raw_grade(1.0, ())


def test_a_wide_margin_does_not_hold_a_grade_two_steps_away():
    """Even with a margin of 1.0, an A product at 1.2 (raw D) becomes D."""
    assert next_grade("A", 1.2, T, 1.0) == "D"
    assert next_grade("A", 0.7, T, 1.0) == "A"  # a neighbour: held
