"""What each way of using the engine inside MOGWO buys (issue 12, item 3).

The same instances, budget and seed for every variant, in one process:

- ``paper``: every wolf of every iteration decoded with the full local search of the
  decoder (today's memetic MOGWO; ``ls_passes=50``, no engine step);
- ``cheap-pack``: the wolves decoded with one local-search sweep only, no engine step
  (what the pack alone is worth once its full local search is dropped);
- ``engine+paper``: the full pack plus the engine's archive-driven step between updates
  (``IntensifyParams(children=0.25)``: 25 educated children of archive members per
  iteration at a pack of 100);
- ``engine+cheap``: one sweep per wolf plus the engine step at ``children=0.5``: the
  time moves from the pack to the engine;
- ``engine-alone``: the engine's own HGS on distance (``optimizer.engine.solve_scalar``),
  one plan: the single-objective reference for the front's shortest plan;
- ``pyvrp`` (with ``--versus pyvrp``): PyVRP 0.14 at the same budget, re-scored by our
  evaluator.

For every run: the shortest feasible plan's km (and its gap to the distance-only best-known
value where the instance has one) and vehicles, the iterations and plans decoded, and the
hypervolume of the front in the (cost, kg CO2, penalty) space normalised by the union of all
variants' fronts on that instance (``optimizer.indicators.assess``), as a ratio to ``paper``.

Usage::

    python benchmarks/mogwo_engine.py --budget 10 --files tests/data/solomon/R105.txt \\
        ../shared/benchmarks/solomon/RC105.txt ../shared/benchmarks/solomon/R205.txt \\
        ../shared/benchmarks/solomon/RC205.txt tests/data/homberger/r1_2_1.txt \\
        tests/data/homberger/rc1_2_1.txt --versus pyvrp
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import sys
from datetime import date
from pathlib import Path

import numpy as np

from optimizer import read_instance, solve
from optimizer.indicators import assess, reference_front
from optimizer.intensify import IntensifyParams

sys.path.insert(0, str(Path(__file__).resolve().parent))

VARIANTS = {
    "paper": dict(ls_passes=50),
    "cheap-pack": dict(ls_passes=1),
    "engine+paper": dict(ls_passes=50, intensify=IntensifyParams(children=0.25)),
    "engine+cheap": dict(ls_passes=1, intensify=IntensifyParams(children=0.5)),
}


def bks_distance(data: Path) -> dict[str, float]:
    out = {}
    path = data / "bks_alternatives.csv"
    if path.exists():
        with open(path) as fh:
            for row in csv.DictReader(fh):
                if row["convention"] == "distance only, real Euclidean distances":
                    out[row["instance"].upper()] = float(row["distance"])
    return out


def shortest(front):
    feas = [s for s in front.solutions if s.evaluation.feasible] or list(front.solutions)
    return min(feas, key=lambda s: s.evaluation.distance_km).evaluation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", nargs="+", required=True)
    ap.add_argument("--budget", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--variants", nargs="+", default=[*VARIANTS, "engine-alone"])
    ap.add_argument("--versus", choices=["pyvrp"])
    ap.add_argument("--data", default=str(Path(__file__).resolve().parent.parent.parent / "shared" / "benchmarks"))
    args = ap.parse_args()
    bks = bks_distance(Path(args.data))
    warm = read_instance(args.files[0])
    solve(warm, seed=0, iterations=1, population=4, intensify=IntensifyParams())  # compile before the clock
    print(f"# {date.today()} {platform.machine()} {os.cpu_count()} cores, budget {args.budget:g} s, seed {args.seed}")
    print("| instance | variant | km | gap % | veh | iterations | plans | HV / paper |")
    print("|---|---|---|---|---|---|---|---|")
    sums: dict[str, list] = {}
    for path in args.files:
        inst = read_instance(path)
        name = Path(path).stem.upper()
        rows, fronts = {}, {}
        for v in args.variants:
            if v == "engine-alone":
                from optimizer.engine import solve_scalar

                _, ev = solve_scalar(inst, time_limit=args.budget, seed=args.seed, distance_only=True)
                rows[v] = (ev, "", "")
                continue
            f = solve(inst, seed=args.seed, time_limit=args.budget, **VARIANTS[v])
            rows[v] = (shortest(f), f.iterations, f.evaluations)
            fronts[v] = f.F
        if args.versus == "pyvrp":
            from pyvrp_adapter import solve_pyvrp

            rows["pyvrp"] = (shortest(solve_pyvrp(inst, seed=args.seed, time_limit=args.budget)), "", "")
        Z = reference_front(*fronts.values())
        hv = {v: assess(F, Z).hv for v, F in fronts.items()}
        for v, (ev, its, plans) in rows.items():
            gap = 100 * (ev.distance_km / bks[name] - 1) if name in bks else float("nan")
            ratio = hv[v] / hv["paper"] if v in hv and hv.get("paper") else float("nan")
            sums.setdefault(v, []).append((gap, ev.distance_km, ratio))
            print(
                f"| {name} | {v} | {ev.distance_km:.1f} | {gap:.2f} | {ev.vehicles} | {its} | {plans} | {ratio:.3f} |", flush=True
            )
    print("\n| variant | mean gap % | km / pyvrp | mean HV / paper |\n|---|---|---|---|")
    for v, vals in sums.items():
        g = np.array([x[0] for x in vals])
        ratio = ""
        if "pyvrp" in sums:
            ratio = f"{np.mean([a[1] / b[1] for a, b in zip(vals, sums['pyvrp'])]):.4f}"
        hvr = np.array([x[2] for x in vals])
        print(f"| {v} | {np.nanmean(g):.2f} | {ratio} | {np.nanmean(hvr):.3f} |")


if __name__ == "__main__":
    main()
