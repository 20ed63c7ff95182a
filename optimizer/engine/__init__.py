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

NOTES (issue 12, closed at the end of the session of 2026-12-02; what a follow-up takes on)

Done: items 1-2 (this package), 3 (optimizer/intensify.py: the archive-driven step every
algorithm runs between population updates, default children = 0.25 of the pack; measured
in BENCHMARKS.md j), 4 (kernels.arc / travel / arrive written once, layout.py column names,
RoutingInstance.leg on the same code), 5, 6, 7. The local search here is about 4x faster
per call than first written (search_ctx), and educate_batch takes the context built once per
Intensifier. The pack decoder screens its moves with kernels.cand_bound (same moves, 1.75x
faster on congested waves); batch kernels run rows on Python threads (optimizer.rows), and
no kernel passes literal constants to another: cold compile 178 -> 111 s (BENCHMARKS.md k).

Still missed, and where to look:
- Cold compile 111 s (target < 60 s): benchmarks/cold_compile.py lists each kernel's own
  time; the largest are scan_customer, try_apply, swap_star, inter_bounds here and
  local_search, decode_one in kernels. Fewer inline="always" helpers in the scan, or
  compiling the engine step in a second process while the decoder compiles (2 cores).
- The congested path: with time-of-day congestion every improving screen is re-walked
  exactly, and on a 300-stop simulated wave a child costs about 1 s and loses to the pack,
  so scenarios/green.toml sets engine_children = 0. A time-dependent screen (segment times
  at the departure period) would drop most failed walks.
- Quality: Solomon four 1.43 % with MOGWO (bar 1.0 %); GH200 / GH1000 not re-measured with
  the step; a 1,000-parcel wave at 5 s 1.07 x the 60 s run (bar 1.03); 500 customers at the
  paper's 100 x 200 far above 60 s.
- The green run at 3,000 orders a day: about 25 orders a second (bar 150), but in a
  saturated world (17 vehicles, 36 % on time, 300-stop waves with opened windows for 1-4 idle
  vehicles): re-measure on issue 14's network before tuning the router for it.

Volume (issue 14, item 2): segments carry VOL (m³) beside LOAD, and every overload, in the
segments, the exact walk (kernels.route_eval / route_score / Split / cand_score) and the
evaluators, is kernels.excess: the weight over capacity plus the m³ over capacity_m3 as the
same share of the weight capacity. One penalty weight (PenaltyManager.load) prices both, so
a 10 % volume excess costs what a 10 % weight excess does; a separately adapted volume
weight is not done. The local search's inter-route floor counts weight only (a valid lower
bound). Battery energy is a third resource of the same kind (kernels.route_kwh,
energy_excess): a route's kWh with its whole load on board over every arc, the worst case
(every parcel carried back), so it reads GD and LOAD only; the walks (route_eval,
route_score, Split, cand_score / cand_bound) check it at the end of the walk.
"""

from __future__ import annotations

from .api import solve_scalar

__all__ = ["solve_scalar"]
