"""Quality indicators for Pareto-front approximations.

Every objective is minimised. A front is a float array of shape ``(n, M)``:
one row per solution, one column per objective (``M = 2`` for cost and
kg CO2, ``M = 3`` when the time-window penalty is a separate objective).
An empty front has shape ``(0, M)``; a 1-D array is read as a single point.

Notation: ``F`` is the approximation set being judged and ``Z`` the
reference front. For a real routing instance the true Pareto front is not
known, so ``Z`` is normally :func:`reference_front` of every run of every
algorithm being compared.

Conventions used by :func:`assess`
----------------------------------
Objectives live on very different scales (currency, kg, penalty units), so
all metrics are computed in a normalised space: both ``F`` and ``Z`` are
mapped with ``(f - ideal) / (nadir - ideal)``, where ``ideal`` and ``nadir``
are the component-wise minimum and maximum of ``Z`` unless given. An
objective on which ``Z`` is constant keeps its offset but is not rescaled
(range 1). Hypervolume then uses the reference point ``(1.1, ..., 1.1)``
(Ishibuchi et al. 2018, *Evol. Comput.* 26(3)); points of ``F`` that do not
strictly dominate it add nothing. Compare ``assess`` results only when they
share the same ``Z``, ``ideal``, ``nadir`` and reference point.

Metric definitions
------------------
* HV: exact hypervolume from pymoo (moocore underneath since pymoo 0.6.2).
  Higher is better.
* GD, IGD, IGD+: the p = 1 mean forms from pymoo/moocore, e.g.
  ``IGD = mean_{z in Z} min_{a in F} ||z - a||``. Mirjalili's MOGWO papers
  print ``sqrt(sum d_i^2) / n`` instead, so the numbers are not directly
  comparable with the tables in those papers.
* SP: Schott's spacing with Manhattan nearest-neighbour distances and an
  ``n - 1`` denominator. pymoo's ``SpacingIndicator`` divides by ``n``, so it
  is not used.
* Delta: Deb's spread (Deb et al. 2002, *IEEE TEVC* 6(2)) for ``M = 2``, and
  for ``M >= 3`` the generalised spread of Zhou, Jin, Zhang, Sendhoff and
  Tsang (CEC 2006), as also implemented in jMetal. Neither is in pymoo.

``F`` is judged as given: dominated or duplicate rows are kept. Filter it
with :func:`non_dominated` first if that is not what you want, because
duplicates lower spacing-type distances.

Empty ``F``: hypervolume is 0.0, the distance metrics (GD, IGD, IGD+) are
``inf``, spacing is 0.0 and spread is ``inf``. An empty ``Z`` is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from pymoo.indicators.gd import GD
from pymoo.indicators.hv import HV
from pymoo.indicators.igd import IGD
from pymoo.indicators.igd_plus import IGDPlus

__all__ = [
    "FrontQuality",
    "assess",
    "gd",
    "hypervolume",
    "igd",
    "igd_plus",
    "non_dominated",
    "normalise",
    "reference_front",
    "spacing",
    "spread",
]

# Bounds the (chunk, n, M) temporaries of the pairwise-distance helpers so that
# large merged reference fronts do not need n^2 memory at once.
_CHUNK_ELEMENTS = 2_000_000


def _as_front(F: ArrayLike, n_obj: int | None = None) -> np.ndarray:
    """Return ``F`` as a 2-D float array.

    Parameters
    ----------
    F
        Points, one per row. A non-empty 1-D input is one point.
    n_obj
        Number of objectives, used to shape an empty input.

    Returns
    -------
    np.ndarray
        Array of shape ``(n, M)``.
    """
    arr = np.asarray(F, dtype=float)
    if arr.ndim == 1:
        if arr.size == 0:
            return np.empty((0, 0 if n_obj is None else n_obj))
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"a front must be 2-D (n, M); got shape {arr.shape}")
    if arr.shape[0] == 0 and arr.shape[1] == 0 and n_obj is not None:
        arr = np.empty((0, n_obj))
    if n_obj is not None and arr.shape[1] != n_obj:
        raise ValueError(f"expected {n_obj} objectives, got {arr.shape[1]}")
    return arr


def _as_reference(Z: ArrayLike) -> np.ndarray:
    """Return a non-empty reference front as a 2-D float array.

    Parameters
    ----------
    Z
        Reference front.

    Returns
    -------
    np.ndarray
        Array of shape ``(|Z|, M)``.

    Raises
    ------
    ValueError
        If ``Z`` has no points.
    """
    Z = _as_front(Z)
    if Z.shape[0] == 0:
        raise ValueError("the reference front Z must contain at least one point")
    return Z


def _min_distances(P: np.ndarray, Q: np.ndarray, p: int = 2, exclude_self: bool = False) -> np.ndarray:
    """Distance from each row of ``P`` to its nearest row of ``Q``.

    Parameters
    ----------
    P, Q
        Point sets with the same number of columns.
    p
        Minkowski order: 1 for Manhattan, 2 for Euclidean.
    exclude_self
        If true, ``P`` and ``Q`` are the same set and row ``i`` is not
        compared with itself (an identical other row still counts, at 0).

    Returns
    -------
    np.ndarray
        Array of length ``len(P)``.
    """
    out = np.empty(P.shape[0])
    step = max(1, _CHUNK_ELEMENTS // max(1, Q.shape[0] * P.shape[1]))
    for start in range(0, P.shape[0], step):
        block = np.abs(P[start : start + step, None, :] - Q[None, :, :])
        D = block.sum(axis=2) if p == 1 else np.sqrt((block**2).sum(axis=2))
        if exclude_self:
            rows = np.arange(D.shape[0])
            D[rows, rows + start] = np.inf
        out[start : start + step] = D.min(axis=1)
    return out


def non_dominated(F: ArrayLike) -> np.ndarray:
    """Mark the non-dominated rows of a front.

    A row is dominated if another row is no worse in every objective and
    strictly better in at least one. Of several identical non-dominated
    rows only the first is marked, so ``F[non_dominated(F)]`` has no
    duplicates.

    Parameters
    ----------
    F
        Objective vectors, one per row.

    Returns
    -------
    np.ndarray
        Boolean mask of length ``n``.
    """
    F = _as_front(F)
    n = F.shape[0]
    keep = np.ones(n, dtype=bool)
    # Plain numpy rather than moocore.is_nondominated: O(n^2 M) in row blocks is fast enough
    # for merged archives of a few thousand points, and the filter does not depend on an API
    # that moocore (pulled in by pymoo >= 0.6.2 for the hypervolume) may change.
    step = max(1, _CHUNK_ELEMENTS // max(1, n * F.shape[1]))
    earlier = np.arange(n)
    for start in range(0, n, step):
        cand = F[start : start + step]
        no_worse = np.all(F[None, :, :] <= cand[:, None, :], axis=2)
        better = np.any(F[None, :, :] < cand[:, None, :], axis=2)
        dominated = np.any(no_worse & better, axis=1)
        rows = np.arange(start, start + cand.shape[0])[:, None]
        copy_before = np.any(no_worse & ~better & (earlier[None, :] < rows), axis=1)
        keep[start : start + step] = ~(dominated | copy_before)
    return keep


def normalise(F: ArrayLike, ideal: ArrayLike, nadir: ArrayLike) -> np.ndarray:
    """Min-max normalise a front with given ideal and nadir points.

    Parameters
    ----------
    F
        Objective vectors, one per row.
    ideal
        Value mapped to 0 on each objective.
    nadir
        Value mapped to 1 on each objective. Where it equals ``ideal`` the
        range is taken as 1, so that objective is only shifted.

    Returns
    -------
    np.ndarray
        ``(F - ideal) / (nadir - ideal)``, same shape as ``F``.

    Raises
    ------
    ValueError
        If ``nadir`` is below ``ideal`` on some objective.
    """
    ideal = np.atleast_1d(np.asarray(ideal, dtype=float))
    nadir = np.atleast_1d(np.asarray(nadir, dtype=float))
    F = _as_front(F, n_obj=ideal.shape[0])
    span = nadir - ideal
    if np.any(span < 0):
        raise ValueError("nadir must be >= ideal on every objective")
    # A constant objective carries no trade-off information; dividing by 1
    # keeps it finite instead of producing 0/0.
    span = np.where(span == 0, 1.0, span)
    return (F - ideal) / span


def reference_front(*fronts: ArrayLike) -> np.ndarray:
    """Build a reference front as the non-dominated union of several fronts.

    Parameters
    ----------
    *fronts
        Fronts with the same number of objectives, e.g. the final archives
        of every run of every algorithm on one instance. Empty fronts are
        allowed.

    Returns
    -------
    np.ndarray
        The non-dominated, duplicate-free rows of the union, in order of
        first appearance.

    Raises
    ------
    ValueError
        If no front is given or the numbers of objectives differ.
    """
    if not fronts:
        raise ValueError("reference_front needs at least one front")
    arrays = [_as_front(f) for f in fronts]
    non_empty = [a for a in arrays if a.shape[0] > 0]
    n_objs = {a.shape[1] for a in non_empty}
    if len(n_objs) > 1:
        raise ValueError(f"fronts have different numbers of objectives: {n_objs}")
    if not non_empty:
        return np.empty((0, max(a.shape[1] for a in arrays)))
    union = np.vstack(non_empty)
    return union[non_dominated(union)]


def hypervolume(F: ArrayLike, ref: ArrayLike) -> float:
    """Exact hypervolume dominated by a front and bounded by a reference point.

    Computed with pymoo's ``HV`` (moocore underneath). Points that do not
    strictly dominate ``ref`` contribute nothing, and dominated or duplicate
    points do not change the value.

    Parameters
    ----------
    F
        Objective vectors, one per row.
    ref
        Reference point; a scalar is used on every objective.

    Returns
    -------
    float
        Hypervolume; 0.0 for an empty front.
    """
    ref_arr = np.atleast_1d(np.asarray(ref, dtype=float))
    F = _as_front(F, n_obj=ref_arr.shape[0] if ref_arr.shape[0] > 1 else None)
    if F.shape[0] == 0:
        return 0.0
    ref_arr = np.broadcast_to(ref_arr, (F.shape[1],)).copy()
    return float(HV(ref_point=ref_arr)(F))


def gd(F: ArrayLike, Z: ArrayLike) -> float:
    """Generational distance of ``F`` to ``Z``.

    The p = 1 mean form used by pymoo's ``GD``: the average over points of
    ``F`` of the Euclidean distance to the nearest point of ``Z``. Van
    Veldhuizen's original, and Mirjalili's papers, print
    ``sqrt(sum d_i^2) / n`` instead.

    Parameters
    ----------
    F
        Approximation set.
    Z
        Reference front (non-empty).

    Returns
    -------
    float
        GD (lower is better); ``inf`` for an empty ``F``.
    """
    Z = _as_reference(Z)
    F = _as_front(F, n_obj=Z.shape[1])
    if F.shape[0] == 0:
        return float("inf")
    return float(GD(Z)(F))


def igd(F: ArrayLike, Z: ArrayLike) -> float:
    """Inverted generational distance of ``F`` with respect to ``Z``.

    The p = 1 mean form used by pymoo's ``IGD`` (moocore underneath): the
    average over points of ``Z`` of the Euclidean distance to the nearest
    point of ``F``. Mirjalili's papers print ``sqrt(sum d_i^2) / n``.

    Parameters
    ----------
    F
        Approximation set.
    Z
        Reference front (non-empty).

    Returns
    -------
    float
        IGD (lower is better); ``inf`` for an empty ``F``.
    """
    Z = _as_reference(Z)
    F = _as_front(F, n_obj=Z.shape[1])
    if F.shape[0] == 0:
        return float("inf")
    return float(IGD(Z)(F))


def igd_plus(F: ArrayLike, Z: ArrayLike) -> float:
    """IGD+ of ``F`` with respect to ``Z`` (Ishibuchi et al., EMO 2015).

    The p = 1 mean form used by pymoo's ``IGDPlus`` (moocore underneath),
    with the dominance-aware distance
    ``d+(z, a) = sqrt(sum_k max(a_k - z_k, 0)^2)``: a point of ``F`` that is
    better than ``z`` on an objective is not penalised for it. Unlike plain
    IGD it is weakly Pareto-compliant.

    Parameters
    ----------
    F
        Approximation set.
    Z
        Reference front (non-empty).

    Returns
    -------
    float
        IGD+ (lower is better); ``inf`` for an empty ``F``.
    """
    Z = _as_reference(Z)
    F = _as_front(F, n_obj=Z.shape[1])
    if F.shape[0] == 0:
        return float("inf")
    return float(IGDPlus(Z)(F))


def spacing(F: ArrayLike) -> float:
    """Schott's spacing SP.

    ``d_i = min_{j != i} sum_k |f_k(i) - f_k(j)|`` and
    ``SP = sqrt(sum_i (mean(d) - d_i)^2 / (n - 1))``. Zero means the points
    are evenly spaced; it says nothing about how much of the front is
    covered. Identical rows count as neighbours at distance 0.

    Parameters
    ----------
    F
        Approximation set.

    Returns
    -------
    float
        SP (lower is better); 0.0 for fewer than two points.
    """
    F = _as_front(F)
    n = F.shape[0]
    if n < 2:
        return 0.0
    d = _min_distances(F, F, p=1, exclude_self=True)
    return float(np.sqrt(np.sum((d.mean() - d) ** 2) / (n - 1)))


def _extremes(Z: np.ndarray) -> np.ndarray:
    """Extreme point of ``Z`` for each objective.

    Parameters
    ----------
    Z
        Reference front.

    Returns
    -------
    np.ndarray
        Row ``k`` is the point of ``Z`` with the largest objective ``k``;
        ties go to the lexicographically smallest remaining objectives so a
        weakly dominated duplicate corner is never chosen.

    Notes
    -----
    For a non-dominated ``Z`` the maximum of objective ``k`` is the corner
    where the other objectives are best (as in jMetal's generalised spread);
    for ``M = 2`` these are exactly Deb's two end points.
    """
    M = Z.shape[1]
    rows = []
    for k in range(M):
        others = [Z[:, j] for j in range(M) if j != k]
        # np.lexsort sorts by its last key first.
        order = np.lexsort(tuple(reversed(others)) + (-Z[:, k],))
        rows.append(Z[order[0]])
    return np.array(rows)


def _ratio(numerator: float, denominator: float) -> float:
    """Return ``numerator / denominator``, or 0.0 when both are zero."""
    # denominator == 0 forces numerator == 0: F is one point (or copies of
    # one point) sitting on every extreme of a degenerate Z, a perfect match.
    return 0.0 if denominator == 0 else float(numerator / denominator)


def spread(F: ArrayLike, Z: ArrayLike) -> float:
    """Deb's spread Delta, generalised to three or more objectives.

    For ``M = 2`` (Deb, Pratap, Agarwal, Meyarivan 2002): sort ``F`` by the
    first objective (ties by the second), let ``d_i`` be the ``N - 1``
    Euclidean gaps between consecutive points with mean ``d_mean``, and let
    ``d_f`` and ``d_l`` be the distances from the two extreme points of
    ``Z`` (largest second objective, largest first objective) to the first
    and last points of the sorted ``F``. Then
    ``Delta = (d_f + d_l + sum |d_i - d_mean|) / (d_f + d_l + (N - 1) d_mean)``.

    For ``M >= 3`` there is no order along the front, so the generalised
    spread of Zhou, Jin, Zhang, Sendhoff and Tsang (CEC 2006) is used:
    ``d_i`` is the Euclidean distance from point ``i`` of ``F`` to its
    nearest other point of ``F``, ``e_k`` is the point of ``Z`` with the
    largest objective ``k``, and
    ``Delta = (sum_k dist(e_k, F) + sum_i |d_i - d_mean|)
    / (sum_k dist(e_k, F) + N d_mean)``.

    Both are 0 for evenly spaced points that reach the extremes of ``Z``.
    ``F`` is assumed non-dominated; otherwise sorting by the first
    objective does not follow the front.

    Parameters
    ----------
    F
        Approximation set.
    Z
        Reference front (non-empty), which supplies the extreme points.

    Returns
    -------
    float
        Delta (lower is better). A single point gives 1.0 unless it is
        every extreme of ``Z``, which gives 0.0. ``inf`` for an empty ``F``.

    Raises
    ------
    ValueError
        If there are fewer than two objectives.
    """
    Z = _as_reference(Z)
    M = Z.shape[1]
    if M < 2:
        raise ValueError("spread needs at least two objectives")
    F = _as_front(F, n_obj=M)
    n = F.shape[0]
    if n == 0:
        return float("inf")
    ext = _extremes(Z)

    if M == 2:
        A = F[np.lexsort((F[:, 1], F[:, 0]))]
        # ext[1] maximises f2, so it is the f1-minimal end of the front.
        d_f = float(np.linalg.norm(ext[1] - A[0]))
        d_l = float(np.linalg.norm(ext[0] - A[-1]))
        if n == 1:
            return _ratio(d_f + d_l, d_f + d_l)
        gaps = np.linalg.norm(np.diff(A, axis=0), axis=1)
        d_mean = gaps.mean()
        num = d_f + d_l + np.abs(gaps - d_mean).sum()
        return _ratio(num, d_f + d_l + (n - 1) * d_mean)

    d_ext = float(_min_distances(ext, F, p=2).sum())
    if n == 1:
        return _ratio(d_ext, d_ext)
    d = _min_distances(F, F, p=2, exclude_self=True)
    d_mean = d.mean()
    return _ratio(d_ext + np.abs(d - d_mean).sum(), d_ext + n * d_mean)


@dataclass(frozen=True)
class FrontQuality:
    """Quality indicators of one front, all in the normalised space of :func:`assess`.

    Attributes
    ----------
    hv
        Hypervolume with reference point ``(ref_point,) * M`` (higher is better).
    igd
        Inverted generational distance, p = 1 mean form (lower is better).
    igd_plus
        IGD+, p = 1 mean form (lower is better).
    gd
        Generational distance, p = 1 mean form (lower is better).
    spacing
        Schott's SP (lower is better).
    spread
        Deb's Delta, or the generalised spread for ``M >= 3`` (lower is better).
    size
        Number of points in the assessed front.
    """

    hv: float
    igd: float
    igd_plus: float
    gd: float
    spacing: float
    spread: float
    size: int


def assess(
    F: ArrayLike,
    Z: ArrayLike,
    ideal: ArrayLike | None = None,
    nadir: ArrayLike | None = None,
    ref_point: float | ArrayLike = 1.1,
) -> FrontQuality:
    """Compute every indicator of a front against a reference front.

    ``F`` and ``Z`` are both normalised with ``ideal`` and ``nadir`` (by
    default the component-wise minimum and maximum of ``Z``) and every metric
    is computed in that space; see the module docstring.

    Parameters
    ----------
    F
        Approximation set, taken as given (not filtered for dominance).
    Z
        Reference front (non-empty), e.g. from :func:`reference_front`.
    ideal, nadir
        Normalisation bounds; default to the bounds of ``Z``. Pass fixed
        values to compare fronts across different reference fronts.
    ref_point
        Hypervolume reference point in the normalised space; a scalar is
        used on every objective.

    Returns
    -------
    FrontQuality
        The indicator values.
    """
    Z = _as_reference(Z)
    F = _as_front(F, n_obj=Z.shape[1])
    ideal = Z.min(axis=0) if ideal is None else np.asarray(ideal, dtype=float)
    nadir = Z.max(axis=0) if nadir is None else np.asarray(nadir, dtype=float)
    Fn = normalise(F, ideal, nadir)
    Zn = normalise(Z, ideal, nadir)
    ref = np.broadcast_to(np.asarray(ref_point, dtype=float), (Z.shape[1],))
    return FrontQuality(
        hv=hypervolume(Fn, ref),
        igd=igd(Fn, Zn),
        igd_plus=igd_plus(Fn, Zn),
        gd=gd(Fn, Zn),
        spacing=spacing(Fn),
        spread=spread(Fn, Zn),
        size=int(F.shape[0]),
    )
