"""Scaling of MOGWO (population 100 x 200 iterations) on paper-style generated instances.

Instances: ``optimizer.generate.paper_instance`` (1 depot, mean demand 1.8, 90-minute
soft windows, road grades and congestion, light/medium/heavy fleet). For each size we time
one run in a process whose numba kernels are already compiled (warm). A run longer than
``--cap`` seconds is stopped there and its full 200-iteration time extrapolated from the
mean time per iteration, and the table says so.

Cold start is measured separately, in fresh processes: with an empty numba cache (compile
everything) and with the cache filled (load compiled code), each solving a 10-customer
instance; a cold run of any size costs the warm time plus that compile time.

Usage::

    python benchmarks/scaling.py --sizes 50 100 200 500 1000 --cap 300
    python benchmarks/scaling.py --sizes 100 --ls-passes 1
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date

import numpy as np

from optimizer import paper_instance, solve

PROBE = (
    "import time; t = time.perf_counter(); import numpy as np; "
    "from optimizer import paper_instance, solve; "
    "solve(paper_instance(10, np.random.default_rng(0)), seed=0, iterations=2, population=4); "
    "print(time.perf_counter() - t)"
)


def start_up_seconds() -> tuple[float, float]:
    """(seconds with an empty numba cache, seconds with a filled cache) for a tiny solve."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, NUMBA_CACHE_DIR=cache)
        cold = float(subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout)
        warm = float(subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout)
    return cold, warm


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 500, 1000])
    ap.add_argument("--cap", type=float, default=300.0, help="stop a run after this many seconds and extrapolate")
    ap.add_argument("--ls-passes", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-cold", action="store_true")
    args = ap.parse_args()
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, {date.today()}")
    if not args.skip_cold:
        cold, warm = start_up_seconds()
        print(
            f"start-up, 10-customer solve in a new process: {cold:.1f} s with an empty numba cache, "
            f"{warm:.1f} s with the cache filled"
        )
    solve(paper_instance(10, np.random.default_rng(0)), seed=0, iterations=2, population=4)
    print(f"\nls_passes = {args.ls_passes}, population 100 x 200 iterations, cap {args.cap:g} s\n")
    print(
        "| customers | iterations run | seconds | s / iteration | 100 x 200 time (s) | front size | best cost | best kg CO2 | greedy kg CO2 |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        inst = paper_instance(n, np.random.default_rng(args.seed))
        t0 = time.perf_counter()
        front = solve(inst, seed=args.seed, iterations=200, population=100, time_limit=args.cap, ls_passes=args.ls_passes)
        wall = time.perf_counter() - t0
        hist = front.history
        init = hist[0][1]
        per_it = (hist[-1][1] - init) / max(1, len(hist) - 1)
        full = wall if front.iterations >= 200 else init + 200 * per_it
        mark = "" if front.iterations >= 200 else " (extrapolated)"
        g = solve(inst, algorithm="greedy").best.evaluation
        F = front.F
        print(
            f"| {n} | {front.iterations} | {wall:.1f} | {per_it:.2f} | {full:.0f}{mark} | {len(F)} | "
            f"{F[:, 0].min():,.0f} | {F[:, 1].min():,.1f} | {g.emissions_kg:,.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
