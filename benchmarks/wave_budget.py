"""A dispatch wave of 1,000 parcels: what a short budget loses against a long one (issue 12).

One paper-style instance of ``--customers`` stops (the world generator's zones, congestion and
mixed fleet, as a simulated wave has them), routed by the default algorithm at ``--short``
and at ``--long`` seconds, same seed, in one process. Reported: the cheapest plan's cost, the
greenest plan's kg CO2 and the plan the dispatcher would execute (w1 = 0.6, w2 = 0.4), each as
the short run's value over the long run's (1.00 = nothing lost), plus iterations.

Usage::

    python benchmarks/wave_budget.py --customers 1000 --short 5 --long 60
"""

from __future__ import annotations

import argparse
import os
import platform
from datetime import date

import numpy as np

from optimizer import paper_instance, solve


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--short", type=float, default=5.0)
    ap.add_argument("--long", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--algorithm", default="mogwo")
    args = ap.parse_args()
    inst = paper_instance(args.customers, np.random.default_rng(11))
    solve(paper_instance(20, np.random.default_rng(0)), seed=0, iterations=1, population=4)  # compile first
    print(f"# {date.today()} {platform.machine()} {os.cpu_count()} cores; {inst!r}; {args.algorithm}, seed {args.seed}")
    fronts = {}
    for budget in (args.short, args.long):
        f = solve(inst, algorithm=args.algorithm, seed=args.seed, time_limit=budget)
        fronts[budget] = f
        cheap = min(s.evaluation.cost for s in f.solutions)
        green = min(s.evaluation.emissions_kg for s in f.solutions)
        print(
            f"{budget:>5g} s: {f.iterations} iterations, {f.evaluations} plans, {len(f.solutions)} on the front, "
            f"cheapest {cheap:,.1f} yuan, greenest {green:,.2f} kg, chosen {f.best.evaluation.cost:,.1f} yuan "
            f"{f.best.evaluation.emissions_kg:,.2f} kg, fallback {f.fallback}",
            flush=True,
        )
    s, long_ = fronts[args.short], fronts[args.long]

    def ratio(key):
        return key(s) / key(long_)

    print("\n| measure | short / long |\n|---|---|")
    print(f"| cheapest plan's cost | {ratio(lambda f: min(x.evaluation.cost for x in f.solutions)):.4f} |")
    print(f"| greenest plan's kg CO2 | {ratio(lambda f: min(x.evaluation.emissions_kg for x in f.solutions)):.4f} |")
    print(f"| executed plan's cost + penalty | {ratio(lambda f: f.best.evaluation.cost + f.best.evaluation.penalty):.4f} |")
    print(f"| executed plan's kg CO2 | {ratio(lambda f: f.best.evaluation.emissions_kg):.4f} |")


if __name__ == "__main__":
    main()
