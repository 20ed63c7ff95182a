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

NOTES (issue 12; state at the end of the session of 2026-12-02)

Done: items 1-2 (this package), 3 (optimizer/intensify.py: the archive-driven step every
algorithm runs between population updates, default children = 0.25 of the pack; measured
in BENCHMARKS.md j), 4 (kernels.arc / travel / arrive written once, layout.py column names,
RoutingInstance.leg on the same code), 5, 6, 7. The local search here was made about 4x
faster per call (search_ctx: per-instance context, no per-candidate array passing, SWAP*
from the three cheapest places), same moves (tests/optimizer/engine/test_ls_golden.py).

Next, in order:
- educate.py calls ``local_search.search`` (the wrapper that rebuilds the per-instance
  context, O(N^2), on every call): build the context once per Intensifier and call
  ``search_ctx`` from the batch kernel.
- The congested path: with time-of-day congestion every improving screen is re-walked
  exactly, and on a 300-stop simulated wave a child costs about 1 s and loses to the pack
  (BENCHMARKS j), so scenarios/green.toml sets engine_children = 0. A time-dependent screen
  (segment times at the departure period) would drop most failed walks.
- Cold compile: about 32 s (kernels) + 78 s (this local search) + 22 s (educate_batch)
  on an empty cache (target < 60 s). Fewer inlined call sites in the search, or one
  compiled signature shared by hgs and educate.
- Targets still missed: Solomon four 1.43 % with MOGWO (bar 1.0 %), GH200 and GH1000 not
  re-measured after the speed-up, 500 customers 100 x 200 far above 60 s, the green
  scenario at 3,000 orders a day about 7 orders a second (bar 150: the pack's old local
  search costs about 50 ms a sweep a plan at 300 stops), a 1,000-parcel wave at 5 s 1.07 x
  the 60 s run (bar 1.03).
"""

from __future__ import annotations

from .api import solve_scalar

__all__ = ["solve_scalar"]
