"""The routing engine: segment concatenation, granular local search, a compact HGS driver.

NOTES (work in progress, issue 12 Must-have 1 and 2)
- built: O(1) segment concatenation (segments.py).
- next: granular local search, penalties, the driver, benchmarks/engine_gap.py.
"""
