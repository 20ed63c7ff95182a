"""The routing engine: segment concatenation, granular local search, a compact HGS driver.

Modules, one job each: :mod:`.segments` (O(1) concatenation of route summaries),
:mod:`.objective` (the value of a route from a summary or from the exact walk),
:mod:`.neighbourhood` (granular lists), :mod:`.local_search` (the moves), :mod:`.split`
(giant tour to vehicle slots), :mod:`.penalties` (adaptive weights), :mod:`.hgs` (the genetic
driver) and :mod:`.api` (:func:`solve_scalar`, the entry point)::

    from optimizer import read_solomon
    from optimizer.engine import solve_scalar
    routes, ev = solve_scalar(read_solomon("tests/data/solomon/R105.txt"), time_limit=10,
                              seed=1, distance_only=True)

NOTES (issue 12, Must-have 1 and 2; state at the end of the first session)

Where it is:
- Segments (load, km, cost-km, grade-weighted km D, load-weighted km W, duration, time warp,
  earliest / latest start, travel) concatenate exactly; equal to kernels.route_eval on
  routes without congestion (times exact when there is no time warp). Property-tested.
- Local search: relocate 1-3 (kept or reversed, after or before the neighbour), swaps
  1-1 / 1-2 / 2-1 / 2-2, 2-opt, 2-opt* (two variants), SWAP* (insertion place by km detour,
  then scored exactly), move to an empty vehicle, vehicle-type change. Vehicles are slots,
  so the fleet's counts hold by construction. An O(pieces) lower bound on arcs filters
  candidates before the segments are merged. With congestion or soft windows the stored
  values are exact (kernels.route_eval) and the segments only screen; a move is applied
  only if the exact walk confirms it.
- HGS: giant tours, OX, penalised Split, education, repair at 10x penalties, biased
  fitness with broken-pairs diversity, penalty adaptation to 43 % feasible.
- benchmarks/engine_gap.py: Solomon R105 RC105 R205 RC205 and the 6 GH200 at 10 s, with
  PyVRP 0.14.1 in the same run when it is installed.

What is next:
- Speed: a move evaluation is still ~100 ns and a full scan ~1.5 us per (u, v) pair;
  most of it is numba's reference counting of arrays taken out of the state tuples. A
  flat state (one int and one float array) or one kernel per operator family would remove
  it. SWAP* lacks Vidal's top-3 insertion preprocessing (it is O(n_U n_V (n_U + n_V)) per
  route pair), which hurts long routes (R2, C2, RC2).
- Measured (benchmarks/engine_gap.py, 10 s, seed 1, 2 loaded cores, 2026-12-01):
  k = 20: Solomon 4 mean gap 0.52 %, distance / PyVRP 1.0056; GH200 6 distance / PyVRP
  1.0215 (bar 1.02: missed by 0.15 %). k = 40 (default): Solomon 0.81 %; GH200 about
  1.033 x PyVRP (PyVRP distances from the k = 20 run).
- Granular k: the default is 40 as the issue asks; k = 20 is better at 10 s (more
  iterations). Decide with measurements on all 56 Solomon and on GH1000.
- Not done: wiring into MOGWO / NSGA-II (issue item 3), the exact-check path is tested for
  agreement but not tuned, no vehicle-minimisation phase (distance-only BKS need none).
"""

from __future__ import annotations

from .api import solve_scalar

__all__ = ["solve_scalar"]
