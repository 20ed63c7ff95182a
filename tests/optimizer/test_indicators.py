"""Tests for optimizer.indicators: hand-computed values, properties, Monte Carlo."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.indicators import (
    FrontQuality,
    assess,
    gd,
    hypervolume,
    igd,
    igd_plus,
    non_dominated,
    normalise,
    reference_front,
    spacing,
    spread,
)

# ---------------------------------------------------------------- non_dominated


def test_non_dominated_drops_dominated_and_later_duplicates():
    """Dominated rows and all but the first of identical rows are masked out."""
    F = np.array(
        [
            [2.0, 2.0],  # kept
            [1.0, 3.0],  # kept
            [2.0, 2.0],  # duplicate of row 0
            [3.0, 3.0],  # dominated by (2, 2)
            [1.0, 3.0],  # duplicate of row 1
            [3.0, 1.0],  # kept
            [0.5, 5.0],  # kept
            [1.0, 4.0],  # weakly dominated by (1, 3)
        ]
    )
    assert_array_equal(non_dominated(F), [True, True, False, False, False, True, True, False])


def test_non_dominated_empty_front():
    """An empty front gives an empty boolean mask."""
    mask = non_dominated(np.empty((0, 3)))
    assert mask.dtype == bool
    assert mask.shape == (0,)


def test_reference_front_is_deduplicated_non_dominated_union():
    """The reference front keeps each non-dominated point of the union once."""
    A = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 3.0]])
    B = np.array([[2.0, 2.0], [3.0, 0.5], [0.5, 4.0]])
    Z = reference_front(A, B, np.empty((0, 2)))
    expected = {(1.0, 3.0), (2.0, 2.0), (3.0, 0.5), (0.5, 4.0)}
    assert len(Z) == len(expected)
    assert {tuple(z) for z in Z} == expected


# ---------------------------------------------------------------- normalise


def test_normalise_min_max_and_constant_objective():
    """Objectives map to [0, 1]; a constant objective is only shifted (range 1)."""
    F = np.array([[10.0, 5.0, 7.0], [20.0, 15.0, 7.0]])
    out = normalise(F, ideal=[10.0, 5.0, 7.0], nadir=[20.0, 25.0, 7.0])
    assert_allclose(out, [[0.0, 0.0, 0.0], [1.0, 0.5, 0.0]])
    assert np.all(np.isfinite(out))


# ---------------------------------------------------------------- hypervolume


def test_hv_2d_staircase():
    """HV of {(1,3),(2,2),(3,1)} with reference (4,4) is 3 + 2 + 1 = 6."""
    F = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]])
    assert_allclose(hypervolume(F, [4.0, 4.0]), 6.0)


def test_hv_3d_single_point():
    """HV of one point (1,2,3) with reference (4,4,4) is the box 3*2*1 = 6."""
    assert_allclose(hypervolume(np.array([[1.0, 2.0, 3.0]]), [4.0, 4.0, 4.0]), 6.0)


def test_hv_3d_two_points_inclusion_exclusion():
    """HV of (1,1,2) and (2,2,1) with reference 3 is 4 + 2 - 1 = 5."""
    # boxes: 2*2*1 = 4 and 1*1*2 = 2; overlap [2,3]x[2,3]x[2,3] = 1
    F = np.array([[1.0, 1.0, 2.0], [2.0, 2.0, 1.0]])
    assert_allclose(hypervolume(F, 3.0), 5.0)


def test_hv_ignores_points_not_strictly_dominating_ref():
    """Points outside or on the boundary of the reference box add nothing."""
    F = np.array([[1.0, 1.0, 2.0], [2.0, 2.0, 1.0]])
    extra = np.array([[0.0, 0.0, 3.5], [0.0, 0.0, 3.0], [5.0, 5.0, 5.0]])
    assert_allclose(hypervolume(np.vstack([F, extra]), [3.0, 3.0, 3.0]), 5.0)
    assert hypervolume(extra, [3.0, 3.0, 3.0]) == 0.0


def test_hv_empty_front_is_zero():
    """An empty front has hypervolume 0."""
    assert hypervolume(np.empty((0, 2)), [1.0, 1.0]) == 0.0


# ---------------------------------------------------------------- GD / IGD / IGD+


def test_gd_igd_hand_computed_2d():
    """GD, IGD and IGD+ match hand-computed distances on a 2-D example."""
    Z = np.array([[0.0, 1.0], [1.0, 0.0]])
    F = np.array([[0.0, 0.0], [3.0, 0.0]])
    # GD: (0,0) is 1 from both Z points, (3,0) is 2 from (1,0)
    assert_allclose(gd(F, Z), (1.0 + 2.0) / 2)
    # IGD: each z is 1 from (0,0); (3,0) is farther from both
    assert_allclose(igd(F, Z), 1.0)
    # IGD+: (0,0) dominates both z, so the dominance-aware distance is 0
    assert_allclose(igd_plus(F, Z), 0.0)


def test_igd_plus_differs_from_igd_hand_computed():
    """IGD and IGD+ of the single point (0.5, 2) against {(0,1),(1,0)}."""
    Z = np.array([[0.0, 1.0], [1.0, 0.0]])
    F = np.array([[0.5, 2.0]])
    assert_allclose(igd(F, Z), (math.sqrt(1.25) + math.sqrt(4.25)) / 2)
    # d+((0,1), a) = |(0.5, 1)|, d+((1,0), a) = |(0, 2)|
    assert_allclose(igd_plus(F, Z), (math.sqrt(1.25) + 2.0) / 2)


def test_gd_igd_hand_computed_3d():
    """The point (1,1,1) is sqrt(2) from every unit vector, so GD = IGD = sqrt(2)."""
    Z = np.eye(3)
    F = np.array([[1.0, 1.0, 1.0]])
    assert_allclose(gd(F, Z), math.sqrt(2.0))
    assert_allclose(igd(F, Z), math.sqrt(2.0))


def test_distances_of_front_to_itself_are_zero():
    """A front compared with itself has GD = IGD = IGD+ = 0."""
    Z = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.2], [0.3, 0.3, 0.9]])
    assert_allclose([gd(Z, Z), igd(Z, Z), igd_plus(Z, Z)], 0.0, atol=1e-15)


def test_distances_of_empty_front_are_inf():
    """An empty front has infinite GD, IGD and IGD+ rather than crashing."""
    Z = np.array([[0.0, 1.0], [1.0, 0.0]])
    F = np.empty((0, 2))
    assert gd(F, Z) == igd(F, Z) == igd_plus(F, Z) == math.inf


def test_empty_reference_front_is_an_error():
    """An empty reference front raises ValueError."""
    with pytest.raises(ValueError):
        igd(np.array([[0.0, 1.0]]), np.empty((0, 2)))


# ---------------------------------------------------------------- spacing


def test_spacing_even_front_is_zero():
    """Evenly spaced points (all Manhattan nearest-neighbour gaps 2) give SP = 0."""
    F = np.array([[0.0, 4.0], [1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [4.0, 0.0]])
    assert_allclose(spacing(F), 0.0, atol=1e-15)


def test_spacing_uneven_hand_computed():
    """SP of {(0,3),(1,2),(3,0)}: d = (2,2,4), SP = sqrt((24/9)/2) = 2/sqrt(3)."""
    F = np.array([[0.0, 3.0], [1.0, 2.0], [3.0, 0.0]])
    assert_allclose(spacing(F), 2.0 / math.sqrt(3.0))


def test_spacing_uses_n_minus_one_unlike_pymoo():
    """SP equals pymoo's n-denominator spacing rescaled by sqrt(n/(n-1))."""
    from pymoo.indicators.spacing import SpacingIndicator

    rng = np.random.default_rng(7)
    F = rng.random((12, 3))
    n = len(F)
    assert_allclose(spacing(F), SpacingIndicator()(F) * math.sqrt(n / (n - 1)))


def test_spacing_fewer_than_two_points_is_zero():
    """SP is 0.0 for empty and single-point fronts."""
    assert spacing(np.empty((0, 2))) == 0.0
    assert spacing(np.array([[1.0, 2.0]])) == 0.0


# ---------------------------------------------------------------- spread


def test_spread_2d_even_front_covering_extremes_is_zero():
    """Evenly spaced points that reach both ends of Z give Delta = 0."""
    Z = np.array([[0.0, 4.0], [1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [4.0, 0.0]])
    F = Z[::-1].copy()  # order of rows must not matter
    assert_allclose(spread(F, Z), 0.0, atol=1e-15)


def test_spread_2d_uneven_hand_computed():
    """Delta of {(0,3),(1,2),(3,0)} against ends (0,4),(4,0) is (2+r2)/(2+3*r2)."""
    # d_f = d_l = 1, gaps sqrt(2) and 2*sqrt(2), mean 1.5*sqrt(2)
    Z = np.array([[0.0, 4.0], [2.0, 2.0], [4.0, 0.0]])
    F = np.array([[3.0, 0.0], [0.0, 3.0], [1.0, 2.0]])
    r2 = math.sqrt(2.0)
    assert_allclose(spread(F, Z), (2.0 + r2) / (2.0 + 3.0 * r2))


def test_spread_3d_even_front_covering_extremes_is_zero():
    """The three unit vectors judged against themselves give generalised Delta = 0."""
    Z = np.eye(3)
    assert_allclose(spread(Z, Z), 0.0, atol=1e-15)


def test_spread_3d_uneven_hand_computed():
    """Generalised Delta of {e1, e2, (0.5,0,0.5)} against the unit vectors."""
    Z = np.eye(3)
    F = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.5, 0.0, 0.5]])
    a, b = math.sqrt(0.5), math.sqrt(1.5)
    # nearest-neighbour distances (a, b, a); only e3 is missed, at distance a
    d_mean = (2 * a + b) / 3
    expected = (a + 2 * (d_mean - a) + (b - d_mean)) / (a + 3 * d_mean)
    assert_allclose(spread(F, Z), expected)


def test_spread_degenerate_fronts():
    """One point gives Delta = 1 and an empty front gives inf."""
    Z = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert_allclose(spread(np.array([[0.5, 0.5]]), Z), 1.0)
    assert_allclose(spread(np.array([[0.5, 0.5, 0.5]]), np.eye(3)), 1.0)
    assert spread(np.empty((0, 2)), Z) == math.inf


# ---------------------------------------------------------------- assess


def test_assess_normalises_with_reference_front_bounds():
    """assess scales F by Z's bounds: (5, 50) in a [0,10]x[0,100] box has HV 0.6^2."""
    Z = np.array([[0.0, 100.0], [10.0, 0.0]])
    q = assess(np.array([[5.0, 50.0]]), Z)
    assert_allclose(q.hv, 0.36)
    # normalised F = (0.5, 0.5) is sqrt(0.5) from both normalised Z points
    assert_allclose([q.igd, q.gd], math.sqrt(0.5))
    assert q.size == 1


def test_assess_reference_front_against_itself():
    """Z against itself: HV 0.21 at ref 1.1; distances, spacing, spread are 0."""
    Z = np.array([[0.0, 1.0], [1.0, 0.0]]) * [200.0, 3.0]
    q = assess(Z, Z)
    assert_allclose(q.hv, 1.1 * 0.1 + 0.1 * 1.1 - 0.1 * 0.1)
    assert_allclose([q.igd, q.igd_plus, q.gd, q.spacing, q.spread], 0.0, atol=1e-15)
    assert q.size == 2


def test_assess_empty_front_and_constant_objective():
    """An empty front is graded without crashing, even if Z has a constant objective."""
    Z = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 5.0]])
    q = assess(np.empty((0, 3)), Z)
    assert q == FrontQuality(
        hv=0.0,
        igd=math.inf,
        igd_plus=math.inf,
        gd=math.inf,
        spacing=0.0,
        spread=math.inf,
        size=0,
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        q.hv = 1.0  # type: ignore[misc]


# ---------------------------------------------------------------- properties

# A coarse grid provokes ties and duplicates; values above 1.1 fall outside
# the reference box and must contribute nothing.
_coord = st.integers(min_value=0, max_value=24).map(lambda k: k / 20)


@st.composite
def _front_and_point(draw):
    m = draw(st.integers(min_value=2, max_value=3))
    point = st.tuples(*([_coord] * m))
    rows = draw(st.lists(point, min_size=1, max_size=12))
    extra = draw(point)
    return np.array(rows, dtype=float), np.array(extra, dtype=float)


@settings(max_examples=150, deadline=None)
@given(_front_and_point())
def test_hv_monotone_and_invariant_to_dominated_points(data):
    """Adding a point never lowers HV; HV(F) equals HV of F's non-dominated subset."""
    F, p = data
    ref = np.full(F.shape[1], 1.1)
    hv = hypervolume(F, ref)
    assert hypervolume(np.vstack([F, p]), ref) >= hv - 1e-12
    assert_allclose(hypervolume(F[non_dominated(F)], ref), hv, rtol=1e-12, atol=1e-15)


@settings(max_examples=150, deadline=None)
@given(_front_and_point())
def test_non_dominated_matches_brute_force(data):
    """non_dominated agrees with a brute-force check that keeps first duplicates."""
    F, _ = data
    n = len(F)
    expected = np.ones(n, dtype=bool)
    for j in range(n):
        for i in range(n):
            dominates = np.all(F[i] <= F[j]) and np.any(F[i] < F[j])
            earlier_copy = i < j and np.array_equal(F[i], F[j])
            if dominates or earlier_copy:
                expected[j] = False
                break
    assert_array_equal(non_dominated(F), expected)


def test_row_blocking_does_not_change_results(monkeypatch):
    """Splitting pairwise computations into tiny row blocks gives the same values."""
    import optimizer.indicators as ind

    rng = np.random.default_rng(3)
    F = np.round(rng.random((40, 3)), 1)  # rounding creates duplicates and ties
    Z = rng.random((15, 3))
    before = (non_dominated(F), spacing(F), spread(F, Z))
    monkeypatch.setattr(ind, "_CHUNK_ELEMENTS", 7)
    after = (non_dominated(F), spacing(F), spread(F, Z))
    assert_array_equal(after[0], before[0])
    assert_allclose(after[1:], before[1:])


# ---------------------------------------------------------------- Monte Carlo


def test_hv_3d_matches_monte_carlo():
    """Exact 3-D HV of a random concave front agrees with a seeded Monte-Carlo run."""
    rng = np.random.default_rng(20240601)
    directions = np.abs(rng.standard_normal((25, 3)))
    # points on the unit sphere's positive octant are mutually non-dominated
    F = directions / np.linalg.norm(directions, axis=1, keepdims=True)
    ref = np.full(3, 1.1)
    exact = hypervolume(F, ref)

    n_samples = 200_000
    samples = rng.random((n_samples, 3)) * ref  # F >= 0, so the box is [0, ref]
    covered = np.zeros(n_samples, dtype=bool)
    for point in F:
        covered |= np.all(samples >= point, axis=1)
    box = float(np.prod(ref))
    p_hat = covered.mean()
    estimate = box * p_hat
    std_err = box * math.sqrt(p_hat * (1 - p_hat) / n_samples)
    assert abs(estimate - exact) < 4 * std_err
