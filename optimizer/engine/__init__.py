"""The routing engine: segment concatenation, granular local search, a compact HGS driver.

Modules, one job each: :mod:`.segments` (O(1) concatenation), :mod:`.objective` (the value
of a route from a segment or from the exact walk), :mod:`.neighbourhood` (granular lists),
:mod:`.local_search` (the moves), :mod:`.split` (giant tour to slots), :mod:`.penalties`
(adaptive weights), :mod:`.hgs` (the genetic driver), :mod:`.api` (:func:`solve_scalar`).

NOTES (work in progress, issue 12 Must-have 1 and 2)
- built: segments, local search, HGS driver, solve_scalar.
- next: benchmarks/engine_gap.py, figures.
"""

from __future__ import annotations

from .api import solve_scalar

__all__ = ["solve_scalar"]
