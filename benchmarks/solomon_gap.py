"""Solomon VRPTW benchmark: best distance on MOGWO's front against the best-known values.

For each instance and each time budget, one MOGWO run (hard windows and capacities,
cost = distance); we report the shortest plan on the front, its vehicles, and the gap to
the best-known distance-only value ("distance only, real Euclidean distances" in
bks_alternatives.csv) and to the hierarchical (vehicles first) value in bks.csv. numba
is compiled before the clock starts (warm); cold start is measured by scaling.py.

Usage::

    python benchmarks/solomon_gap.py --budgets 10 60 --data ../shared/benchmarks
    python benchmarks/solomon_gap.py --budgets 10 --only C101 R101 --out results/quick

Writes ``<out>/solomon_<budget>s.csv`` and prints a per-class summary as Markdown.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np

from optimizer import read_solomon, solve

ROOT = Path(__file__).resolve().parent.parent


def load_bks(data: Path) -> tuple[dict, dict]:
    alt, hier = {}, {}
    with open(data / "bks_alternatives.csv") as fh:
        for row in csv.DictReader(fh):
            if row["convention"] == "distance only, real Euclidean distances":
                alt[row["instance"]] = (int(row["vehicles"]), float(row["distance"]))
    with open(data / "bks.csv") as fh:
        for row in csv.DictReader(fh):
            hier[row["instance"]] = (int(row["vehicles"]), float(row["distance"]))
    return alt, hier


def class_of(name: str) -> str:
    """C101 -> C1, RC208 -> RC2."""
    letters = name.rstrip("0123456789")
    return letters + name[len(letters)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    ap.add_argument("--budgets", type=float, nargs="+", default=[10.0, 60.0])
    ap.add_argument("--only", nargs="*", help="instance names (default: all 56)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    alt, hier = load_bks(args.data)
    files = sorted((args.data / "solomon").glob("*.txt"))
    if args.only:
        files = [f for f in files if f.stem in set(args.only)]
    # compile the kernels before any clock starts
    solve(read_solomon(files[0]), seed=0, iterations=1, population=4)
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, {date.today()}")
    for budget in args.budgets:
        rows = []
        for f in files:
            inst = read_solomon(f)
            t0 = time.perf_counter()
            front = solve(inst, seed=args.seed, time_limit=budget)
            wall = time.perf_counter() - t0
            feas = [s for s in front.solutions if s.evaluation.feasible]
            best = min(feas, key=lambda s: s.evaluation.distance_km).evaluation
            bv, bd = alt[inst.name]
            hv, hd = hier[inst.name]
            row = {
                "instance": inst.name,
                "class": class_of(inst.name),
                "budget_s": budget,
                "wall_s": round(wall, 2),
                "iterations": front.iterations,
                "front_size": len(front.solutions),
                "distance": round(best.distance_km, 2),
                "vehicles": best.vehicles,
                "bks_distance": bd,
                "bks_vehicles": bv,
                "gap_pct": round(100 * (best.distance_km - bd) / bd, 3),
                "hier_bks_distance": hd,
                "hier_bks_vehicles": hv,
                "min_vehicles_on_front": min(s.evaluation.vehicles for s in feas),
            }
            rows.append(row)
            print(f"{budget:>4.0f}s {row['instance']:>6} dist {row['distance']:>8.2f} veh {row['vehicles']:>2} "
                  f"bks {bd:>8.2f} gap {row['gap_pct']:>6.2f}% it {row['iterations']}", flush=True)
        path = args.out / f"solomon_{int(budget)}s.csv"
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        print(f"\n## {budget:g} s per instance (seed {args.seed}), written to {path.relative_to(ROOT)}\n")
        print("| class | instances | mean gap % | max gap % | mean vehicles | mean BKS vehicles |")
        print("|---|---|---|---|---|---|")
        for cls in ("C1", "C2", "R1", "R2", "RC1", "RC2"):
            sel = [r for r in rows if r["class"] == cls]
            if sel:
                print(f"| {cls} | {len(sel)} | {np.mean([r['gap_pct'] for r in sel]):.2f} | "
                      f"{max(r['gap_pct'] for r in sel):.2f} | {np.mean([r['vehicles'] for r in sel]):.1f} | "
                      f"{np.mean([r['bks_vehicles'] for r in sel]):.1f} |")
        print(f"| all | {len(rows)} | {np.mean([r['gap_pct'] for r in rows]):.2f} | "
              f"{max(r['gap_pct'] for r in rows):.2f} | | |")


if __name__ == "__main__":
    main()
