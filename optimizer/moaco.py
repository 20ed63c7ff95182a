"""Multi-objective ant colony baseline on the shared decoder (MACS / P-ACO style).

The seed paper compares MOGWO with ACO (seed 004 sections 3.6, 3.9). This colony follows
the multi-objective ant colony systems of Barán & Schaerer (MACS, 2003) and Doerner et al.
(P-ACO, 2004), built on Dorigo & Gambardella's ACS (1997):

- one pheromone matrix per objective, ``tau_C`` for cost and ``tau_E`` for emissions, each
  (n + 1) x (n + 1) with the depot as node 0, all set to ``tau0 = 1 / n`` at the start;
- heuristic ``eta = 1 / distance`` (road km; zero distances floored at 1e-3 of the
  median positive distance), with beta = 2;
- ant ``k`` has a fixed ``lambda_k = w_C / (w_C + w_E)`` taken from its slot's weight
  vector (:func:`optimizer.problem.simplex_weights`), and builds a giant tour (a
  permutation of customers 1..n) from the depot by the pseudo-random proportional rule:
  with probability q0 = 0.9 it moves to the unvisited ``j`` maximising
  ``tau_C[i, j] ** lambda * tau_E[i, j] ** (1 - lambda) * eta[i, j] ** beta``, otherwise it
  draws ``j`` with probability proportional to that product;
- ACS local update on every arc just used, ``tau <- (1 - xi) tau + xi tau0`` with xi = 0.1,
  which makes later ants less likely to copy earlier ones;
- the tour becomes keys (position ``m`` -> ``(m + 0.5) / n``, the decoder's own rank
  keys) and is decoded by :meth:`optimizer.problem.RoutingProblem.decode` (Split + local
  search steered by the ant's weight vector, as every algorithm here);
- global update after each colony from the members of the shared external
  :class:`optimizer.archive.Archive` (``ArchiveParams()`` defaults):
  ``tau_k <- (1 - rho) tau_k + rho D_k`` with rho = 0.1, where
  ``D_k[i, j] = (1 / |A|) sum over members a using arc (i, j) of 1 / f~_k(a)`` and
  ``f~_k(a) = f_k(a) / min_A f_k`` is the objective normalised by the archive's best, so
  ``D_k`` is a quality-weighted frequency of the arc in the archive, in [0, 1];
- pheromone bounds (MAX-MIN style, Stützle & Hoos 2000): ``tau_max = 1`` (the largest
  value ``D_k`` can take) and ``tau_min = 1 / (2 n)``.

The arcs a member deposits on are those of its decoded routes (depot -> first customer,
consecutive customers, last customer -> depot) and, our addition, the junction arcs of its
giant tour (last customer of one route -> first customer of the next, in the order the
decoder writes back). An ant builds a giant tour and never returns to the depot itself, so
without the junction arcs nothing would reinforce where a route starts after another ends.
The penalty objective T has no matrix of its own; it enters through the local search
weights and the archive. Construction is vectorised over the colony (one step for all ants
at a time, O(P n^2) per colony) and all randomness comes from the ``rng`` passed in.
"""

from __future__ import annotations

import time

import numpy as np

from .deadline import Deadline, OutOfTime
from .problem import Batch, RoutingProblem
from .search import Callbacks, SearchResult, SearchRun, Termination

#: Exploitation probability, heuristic exponent, evaporation, local-update rate.
Q0, BETA, RHO, XI = 0.9, 2.0, 0.1, 0.1
#: Under a deadline, the ants' construction is checked every this many steps.
CHECK_STEPS = 16


def heuristic(distance: np.ndarray) -> np.ndarray:
    """eta = 1 / distance, with zero (or tiny) distances floored at 1e-3 x the median positive one."""
    pos = distance[distance > 0]
    floor = 1e-3 * (float(np.median(pos)) if pos.size else 1.0)
    return 1.0 / np.maximum(distance, floor)


def construct_tours(
    tau_c: np.ndarray,
    tau_e: np.ndarray,
    eta: np.ndarray,
    lam: np.ndarray,
    rng: np.random.Generator,
    q0: float = Q0,
    beta: float = BETA,
    xi: float = 0.0,
    tau0: float = 0.0,
    deadline: Deadline | None = None,
) -> np.ndarray | None:
    """Build one giant tour per ant from the depot, all ants one step at a time.

    ``tau_c``, ``tau_e`` and ``eta`` are (n + 1) x (n + 1) with the depot as node 0 and
    must be positive; ``lam`` holds one lambda in [0, 1] per ant. With ``xi > 0`` the ACS
    local update moves each arc just used towards ``tau0`` (in place, in both matrices).
    Returns a (P, n) array whose rows are permutations of 1..n, or None when a ``deadline``
    passes first or the steps taken so far say the rest would not end before it (every
    step costs the same, O(P n)), so a colony that cannot finish is given up early.
    """
    deadline = deadline or Deadline(None)
    t0 = time.perf_counter()
    n = tau_c.shape[0] - 1
    P = lam.shape[0]
    lam = lam[:, None]
    log_eta = beta * np.log(eta)
    tours = np.zeros((P, n), dtype=np.int64)
    visited = np.zeros((P, n + 1), dtype=bool)
    visited[:, 0] = True
    cur = np.zeros(P, dtype=np.int64)
    rows = np.arange(P)
    for step in range(n):
        if deadline.limited and step % CHECK_STEPS == CHECK_STEPS - 1:
            per_step = (time.perf_counter() - t0) / step
            if not deadline.fits(per_step * (n - step)):
                return None
        score = lam * np.log(tau_c[cur]) + (1.0 - lam) * np.log(tau_e[cur]) + log_eta[cur]
        score[visited] = -np.inf
        greedy = np.argmax(score, axis=1)
        attr = np.exp(score - score[rows, greedy][:, None])  # best unvisited -> 1, visited -> 0
        cum = np.cumsum(attr, axis=1)
        r = (1.0 - rng.random(P)) * cum[:, -1]  # in (0, total]
        drawn = np.minimum((cum < r[:, None]).sum(axis=1), n)  # first j with cum[j] >= r
        explore = rng.random(P) >= q0
        nxt = np.where(explore, drawn, greedy)
        if xi > 0.0:
            for tau in (tau_c, tau_e):
                tau[cur, nxt] = (1.0 - xi) * tau[cur, nxt] + xi * tau0
        tours[:, step] = nxt
        visited[rows, nxt] = True
        cur = nxt
    return tours


def tours_to_keys(tours: np.ndarray) -> np.ndarray:
    """Random keys that decode to the given giant tours: customer at position m gets (m + 0.5) / n."""
    P, n = tours.shape
    keys = np.empty((P, n))
    keys[np.arange(P)[:, None], tours - 1] = (np.arange(n) + 0.5) / n
    return keys


def member_arcs(members: Batch, a: int) -> tuple[np.ndarray, np.ndarray]:
    """Arcs (from, to) of member ``a``: its routes with the depot at both ends, plus the
    junctions of its giant tour (see module docstring)."""
    nr = int(members.nrs[a])
    tour = members.tours[a]
    rs = members.rstarts[a, : nr + 1]
    m = int(rs[nr])
    path = np.concatenate([[0], tour[:m], [0]])
    src, dst = [path[:-1]], [path[1:]]
    inner = np.unique(rs[1:nr])
    inner = inner[(inner > 0) & (inner < m)]  # starts of every non-empty route but the first
    src += [tour[inner - 1], np.zeros(inner.size, dtype=np.int64)]
    dst += [np.zeros(inner.size, dtype=np.int64), tour[inner]]
    return np.concatenate(src), np.concatenate(dst)


def global_update(tau_c: np.ndarray, tau_e: np.ndarray, members: Batch, rho: float, tau_min: float, tau_max: float) -> None:
    """Evaporate and deposit from the archive members (in place), then clamp to the bounds."""
    F = members.F
    A = F.shape[0]
    best = np.maximum(F[:, :2].min(axis=0), 1e-12)
    quality = best / np.maximum(F[:, :2], 1e-12)  # 1 / normalised objective, in (0, 1]
    D = np.zeros((2,) + tau_c.shape)
    for a in range(A):
        src, dst = member_arcs(members, a)
        for k in range(2):
            np.add.at(D[k], (src, dst), quality[a, k] / A)
    for k, tau in enumerate((tau_c, tau_e)):
        tau *= 1.0 - rho
        tau += rho * D[k]
        np.clip(tau, tau_min, tau_max, out=tau)


def moaco(
    problem: RoutingProblem,
    rng: np.random.Generator,
    population: int = 100,
    term: Termination | None = None,
    callbacks: Callbacks | None = None,
) -> SearchResult:
    """Run the multi-objective ant colony on a prepared problem and return the final archive."""
    run = SearchRun("moaco", problem, rng, population, term, callbacks)
    term, weights = run.term, run.weights
    n = problem.n
    lam = weights[:, 0] / np.maximum(weights[:, 0] + weights[:, 1], 1e-12)
    archive, deadline = run.archive, run.deadline

    # eta, two pheromone matrices and their logarithms: about six more (N, N) arrays, which
    # cannot be interrupted once started (2 s at 5,000 customers)
    if not deadline.fits(1.5 * problem.prep_seconds):
        raise OutOfTime("preparing the colony's pheromone matrices")
    eta = heuristic(problem.instance.distance)
    tau0, tau_min, tau_max = 1.0 / n, 1.0 / (2.0 * n), 1.0
    tau_c = np.full((n + 1, n + 1), tau0)
    tau_e = np.full((n + 1, n + 1), tau0)

    def colony() -> None:
        tours = construct_tours(tau_c, tau_e, eta, lam, rng, xi=XI, tau0=tau0, deadline=deadline)
        if tours is None:
            problem.cut_short = True  # the ants could not finish before the deadline
            return
        batch = problem.decode(tours_to_keys(tours), weights, deadline=deadline)
        archive.update(batch)
        if len(archive) == 0:
            return
        assert archive.members is not None  # len(archive) > 0
        global_update(tau_c, tau_e, archive.members, RHO, tau_min, tau_max)

    colony()
    run.started()
    while run.next_iteration():
        colony()
        run.iteration_done()
    return run.finish()
