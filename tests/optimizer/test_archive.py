"""Tests for optimizer.archive: the external archive's invariants, pruning and leader choice."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from optimizer import kernels
from optimizer.archive import Archive, ArchiveParams
from optimizer.generate import paper_instance
from optimizer.indicators import non_dominated
from optimizer.problem import OBJ_FLEET, OBJ_OVERLOAD, Batch, RoutingProblem, simplex_weights


def synthetic_batch(rng: np.random.Generator, P: int, n: int = 5, infeasible: float = 0.3, grid: bool = True) -> Batch:
    """P random rows: objectives on a coarse grid (so ties and duplicates occur), some rows infeasible."""
    F = rng.integers(0, 12, (P, 3)).astype(float) if grid else rng.random((P, 3)) * 100
    records = np.zeros((P, 7))
    records[:, :3] = F
    bad = rng.random(P) < infeasible
    records[bad, OBJ_OVERLOAD] = rng.uniform(0.5, 5.0, bad.sum())
    return Batch(
        keys=rng.random((P, n)),
        tours=np.tile(np.arange(1, n + 1), (P, 1)),
        rstarts=np.zeros((P, n + 2), dtype=np.int64),
        rtypes=np.zeros((P, n + 1), dtype=np.int64),
        nrs=np.ones(P, dtype=np.int64),
        records=records,
    )


def dominated_by(F: np.ndarray, G: np.ndarray) -> np.ndarray:
    """For each row of F, whether some row of G dominates it."""
    no_worse = np.all(G[None, :, :] <= F[:, None, :], axis=2)
    better = np.any(G[None, :, :] < F[:, None, :], axis=2)
    return np.any(no_worse & better, axis=1)


def check_invariants(arc: Archive, size: int) -> None:
    F = arc.F
    assert 1 <= len(arc) <= size
    assert non_dominated(F).all(), "an archive member is dominated by another"
    assert np.unique(F, axis=0).shape[0] == len(arc), "duplicate objective vectors"
    assert arc.cells.shape == (len(arc),)
    assert (arc.cells >= 0).all() and (arc.cells < arc.params.n_grid**3).all()


@settings(deadline=None, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), grid=st.booleans())
def test_archive_invariants_under_random_updates(seed, grid):
    """After every update the archive is non-dominated, duplicate-free, within size and feasible-only once feasible."""
    rng = np.random.default_rng(seed)
    size = 10
    arc = Archive(ArchiveParams(size=size), np.random.default_rng(seed + 1))
    seen_feasible = False
    for _ in range(8):
        b = synthetic_batch(rng, int(rng.integers(1, 40)), grid=grid)
        arc.update(b)
        seen_feasible |= bool((b.violation <= 1e-6).any())
        check_invariants(arc, size)
        if seen_feasible:
            assert arc.feasible
            assert (arc.members.violation == 0).all()
        feas = b.F[b.violation <= 1e-6]
        if len(feas):
            assert not dominated_by(arc.F, feas).any()


def test_archive_without_pruning_is_the_front_of_everything_seen():
    """With room to spare the archive is exactly the deduplicated non-dominated set of all feasible rows offered."""
    rng = np.random.default_rng(4)
    arc = Archive(ArchiveParams(size=10_000), np.random.default_rng(0))
    offered = []
    for _ in range(10):
        b = synthetic_batch(rng, 50, grid=False)
        entered = arc.update(b)
        offered.append(b.F[b.violation == 0])
        allF = np.concatenate(offered)
        front = allF[non_dominated(allF)]
        assert_array_equal(np.unique(arc.F, axis=0), np.unique(front, axis=0))
        assert entered == int(np.sum((b.violation == 0) & ~dominated_by(b.F, allF)))


def test_pruning_forces_size():
    """A batch of 200 mutually non-dominated rows is pruned to exactly ArchiveParams.size = 10."""
    rng = np.random.default_rng(8)
    P = 200
    t = np.sort(rng.random(P))
    b = synthetic_batch(rng, P, infeasible=0.0)
    b.records[:, :3] = np.stack([t, 1 - t, rng.random(P) * 0.0], axis=1)  # a line: no row dominates another
    arc = Archive(ArchiveParams(size=10), np.random.default_rng(1))
    arc.update(b)
    assert len(arc) == 10
    check_invariants(arc, 10)
    # every survivor is one of the offered rows, with its own keys
    rows = [int(np.flatnonzero(np.all(b.keys == k, axis=1))[0]) for k in arc.members.keys]
    assert_array_equal(b.F[rows], arc.F)


def test_infeasible_only_keeps_least_violating():
    """Before any feasible row, the archive holds the single least-violating row; then only feasible rows."""
    rng = np.random.default_rng(2)
    arc = Archive(ArchiveParams(size=10), np.random.default_rng(2))
    b = synthetic_batch(rng, 20, infeasible=1.0)
    arc.update(b)
    assert len(arc) == 1 and not arc.feasible
    assert arc.members.violation[0] == b.violation.min()
    better = synthetic_batch(rng, 5, infeasible=1.0)
    better.records[:, OBJ_OVERLOAD] = 0.0
    better.records[:, OBJ_FLEET] = [3, 2, 0.1, 4, 5]
    arc.update(better)
    assert len(arc) == 1 and arc.members.violation[0] == 0.1
    good = synthetic_batch(rng, 30, infeasible=0.5)
    arc.update(good)
    assert arc.feasible and len(arc) >= 1
    arc.update(synthetic_batch(rng, 30, infeasible=1.0))
    assert arc.feasible


def test_hard_lateness_counts_as_violation_only_with_hard_windows():
    """A row late at customers is infeasible under hard windows and feasible under soft ones."""
    rng = np.random.default_rng(6)
    for hard, expect in ((1.0, False), (0.0, True)):
        b = synthetic_batch(rng, 3, infeasible=0.0)
        b.hard = hard
        b.records[:, 5] = 2.0  # OBJ_LATE
        arc = Archive(ArchiveParams(size=10), np.random.default_rng(0))
        arc.update(b)
        assert arc.feasible is expect


def test_archive_from_real_decoded_batches():
    """Batches decoded from a generated instance keep the archive feasible, non-dominated and within size."""
    inst = paper_instance(15, np.random.default_rng(15))
    prob = RoutingProblem(inst, ls_passes=2)
    rng = np.random.default_rng(15)
    arc = Archive(ArchiveParams(size=10), rng)
    for _ in range(4):
        b = prob.decode(rng.random((16, prob.n)), simplex_weights(rng, 16, False))
        arc.update(b)
        check_invariants(arc, 10)
    assert arc.feasible
    # members keep their own routes: re-evaluating a member's flat solution gives its record
    m = arc.members
    for i in range(len(arc)):
        assert sorted(m.tours[i].tolist()) == list(range(1, prob.n + 1))
        rec = kernels.solution_eval(m.tours[i], m.rstarts[i], m.rtypes[i], int(m.nrs[i]), *prob.kd)
        assert_array_equal(rec, m.records[i])


def _filled_archive(seed: int) -> Archive:
    rng = np.random.default_rng(100)
    arc = Archive(ArchiveParams(size=10), np.random.default_rng(seed))
    for _ in range(5):
        arc.update(synthetic_batch(rng, 30, grid=False))
    return arc


def test_leaders_are_archive_indices():
    """leaders() returns (alpha, beta, delta) indices into the archive, distinct when members differ."""
    arc = _filled_archive(0)
    m = len(arc)
    assert m >= 3
    for _ in range(50):
        lead = arc.leaders()
        assert len(lead) == 3
        assert all(isinstance(i, int) and 0 <= i < m for i in lead)
        assert len(set(lead)) == 3


def test_leaders_with_one_member():
    """With a single member all three leaders are that member."""
    rng = np.random.default_rng(1)
    arc = Archive(ArchiveParams(size=10), rng)
    b = synthetic_batch(rng, 1, infeasible=0.0)
    arc.update(b)
    assert arc.leaders() == (0, 0, 0)


def test_select_is_deterministic_with_a_seeded_rng():
    """Two archives built alike with the same seed select the same leader sequence; another seed differs."""
    seq = lambda arc: [arc.select() for _ in range(40)] + [x for _ in range(10) for x in arc.leaders()]  # noqa: E731
    a, b, c = _filled_archive(3), _filled_archive(3), _filled_archive(4)
    assert_array_equal(a.F, b.F)
    sa, sb = seq(a), seq(b)
    assert sa == sb
    assert seq(c) != sa


def test_select_favours_sparse_cells():
    """A member alone in its grid cell is selected far more often than members of a crowded cell."""
    rng = np.random.default_rng(0)
    P = 21
    b = synthetic_batch(rng, P, infeasible=0.0)
    t = np.concatenate([np.linspace(0.0, 0.01, 20), [1.0]])  # 20 members crowded at one end, one alone
    b.records[:, :3] = np.stack([t, 1 - t, np.zeros(P)], axis=1)
    arc = Archive(ArchiveParams(size=100), np.random.default_rng(5))
    arc.update(b)
    lone = int(np.flatnonzero(arc.F[:, 0] == 1.0)[0])
    picks = np.array([arc.select() for _ in range(400)])
    assert (picks == lone).mean() > 0.9


def test_archive_params_validation():
    """Archive size and grid size below 1 are rejected."""
    with pytest.raises(ValueError):
        ArchiveParams(size=0)
    with pytest.raises(ValueError):
        ArchiveParams(n_grid=0)
