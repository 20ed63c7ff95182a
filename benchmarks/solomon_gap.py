"""Solomon VRPTW benchmark: best distance on MOGWO's front against the best-known values.

For each instance and each time budget, one MOGWO run (hard windows and capacities,
cost = distance); we report the shortest plan on the front, its vehicles, and the gap to
the best-known distance-only value ("distance only, real Euclidean distances" in
bks_alternatives.csv) and to the hierarchical (vehicles first) value in bks.csv. numba
is compiled before the clock starts (warm); cold start is measured by scaling.py.

Usage::

    python benchmarks/solomon_gap.py --budgets 10 60 --data ../shared/benchmarks
    python benchmarks/solomon_gap.py --budgets 10 --only C101 R101 --out results/quick

Writes ``<out>/<tag>_<budget>s.csv`` and prints a per-class summary as Markdown.

Side by side with PyVRP (``pip install 'carbonsim[bench]'``; ``benchmarks/pyvrp_adapter.py``):
``--versus pyvrp`` also runs PyVRP on every instance at the same budget in the same process
and reports our distance and vehicles as ratios to its plan (re-scored by our evaluator);
``--algorithm pyvrp`` measures PyVRP itself against the best-known values. ``--files`` takes
any instance files (Solomon, Gehring-Homberger text or VRPLIB ``.vrp``) instead of the 56::

    python benchmarks/solomon_gap.py --budgets 10 --only R105 RC105 R205 RC205 --versus pyvrp
    python benchmarks/solomon_gap.py --budgets 10 --files tests/data/homberger/*.txt --versus pyvrp --tag gh200
    python benchmarks/solomon_gap.py --budgets 60 --files ../shared/benchmarks/vrplib/gh1000/R1_10_1.vrp --versus pyvrp --tag gh1000
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import re
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

from optimizer import ALGORITHMS, read_instance, solve

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # pyvrp_adapter, beside this script


def run(algorithm: str, inst, seed: int, budget: float):
    """One run of ``algorithm`` (ours or ``pyvrp``) at ``budget`` seconds: its front."""
    if algorithm == "pyvrp":
        from pyvrp_adapter import solve_pyvrp

        return solve_pyvrp(inst, seed=seed, time_limit=budget)
    return solve(inst, algorithm=algorithm, seed=seed, time_limit=budget)


def shortest(front):
    """The shortest feasible plan on a front (the shortest of all when none is feasible)."""
    feas = [s for s in front.solutions if s.evaluation.feasible] or list(front.solutions)
    return min(feas, key=lambda s: s.evaluation.distance_km).evaluation, feas


def load_bks(data: Path) -> tuple[dict, dict]:
    alt, hier = {}, {}
    with open(data / "bks_alternatives.csv") as fh:
        for row in csv.DictReader(fh):
            if row["convention"] == "distance only, real Euclidean distances":
                alt[row["instance"].upper()] = (int(row["vehicles"]), float(row["distance"]))
    with open(data / "bks.csv") as fh:
        for row in csv.DictReader(fh):
            hier[row["instance"].upper()] = (int(row["vehicles"]), float(row["distance"]))
    return alt, hier


def class_of(name: str) -> str:
    """C101 -> C1, RC208 -> RC2, r1_2_1 -> R1."""
    m = re.match(r"[A-Za-z]+\d", name)
    return m.group(0).upper() if m else name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchmarks")
    ap.add_argument("--budgets", type=float, nargs="+", default=[10.0, 60.0])
    ap.add_argument("--only", nargs="*", help="instance names (default: all 56)")
    ap.add_argument("--files", type=Path, nargs="+", help="instance files of any format (default: the 56 in DATA/solomon)")
    ap.add_argument("--algorithm", default="mogwo", choices=[*ALGORITHMS, "pyvrp"])
    ap.add_argument("--versus", choices=["pyvrp"], help="also run PyVRP at the same budget; report ratios to it")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    ap.add_argument("--tag", default="solomon", help="CSV name prefix")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    alt, hier = load_bks(args.data)
    files = args.files or sorted((args.data / "solomon").glob("*.txt"))
    if args.only:
        files = [f for f in files if f.stem in set(args.only)]
    # compile the kernels (and load PyVRP) before any clock starts
    solve(read_instance(files[0]), seed=0, iterations=1, population=4)
    if "pyvrp" in (args.algorithm, args.versus):
        run("pyvrp", read_instance(files[0]), 0, 0.1)
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, {date.today()}")
    for budget in args.budgets:
        rows = []
        for f in files:
            inst = read_instance(f)
            t0 = time.perf_counter()
            front = run(args.algorithm, inst, args.seed, budget)
            wall = time.perf_counter() - t0
            best, feas = shortest(front)
            bv, bd = alt.get(inst.name.upper(), (None, None))
            hv, hd = hier.get(inst.name.upper(), (None, None))
            row = {
                "instance": inst.name,
                "class": class_of(inst.name),
                "algorithm": args.algorithm,
                "budget_s": budget,
                "wall_s": round(wall, 2),
                "iterations": front.iterations,
                "front_size": len(front.solutions),
                "feasible": best.feasible,
                "distance": round(best.distance_km, 2),
                "vehicles": best.vehicles,
                "bks_distance": bd,
                "bks_vehicles": bv,
                "gap_pct": round(100 * (best.distance_km - bd) / bd, 3) if bd else None,
                "hier_bks_distance": hd,
                "hier_bks_vehicles": hv,
                "min_vehicles_on_front": min(s.evaluation.vehicles for s in feas),
            }
            line = (
                f"{budget:>4.0f}s {row['instance']:>8} dist {row['distance']:>9.2f} veh {row['vehicles']:>3} "
                + (f"bks {bd:>8.2f} gap {row['gap_pct']:>6.2f}% " if bd else "")
                + f"it {row['iterations']}"
            )
            if args.versus:
                ref, _ = shortest(run(args.versus, inst, args.seed, budget))
                row.update(
                    {
                        f"{args.versus}_feasible": ref.feasible,
                        f"{args.versus}_distance": round(ref.distance_km, 2),
                        f"{args.versus}_vehicles": ref.vehicles,
                        "distance_ratio": round(best.distance_km / ref.distance_km, 4),
                        "vehicles_ratio": round(best.vehicles / ref.vehicles, 4),
                    }
                )
                line += (
                    f" | {args.versus} dist {ref.distance_km:>9.2f} veh {ref.vehicles:>3}"
                    f" ratio {row['distance_ratio']:.4f}" + ("" if ref.feasible else " (INFEASIBLE)")
                )
            rows.append(row)
            print(line, flush=True)
        path = args.out / f"{args.tag}_{int(budget)}s.csv"
        with open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
        shown = path.resolve().relative_to(ROOT) if path.resolve().is_relative_to(ROOT) else path
        print(f"\n## {args.algorithm}, {budget:g} s per instance (seed {args.seed}), written to {shown}\n")
        if all(r["gap_pct"] is not None for r in rows):
            print("| class | instances | mean gap % | max gap % | mean vehicles | mean BKS vehicles |")
            print("|---|---|---|---|---|---|")
            for cls in ("C1", "C2", "R1", "R2", "RC1", "RC2"):
                sel = [r for r in rows if r["class"] == cls]
                if sel:
                    print(
                        f"| {cls} | {len(sel)} | {np.mean([r['gap_pct'] for r in sel]):.2f} | "
                        f"{max(r['gap_pct'] for r in sel):.2f} | {np.mean([r['vehicles'] for r in sel]):.1f} | "
                        f"{np.mean([r['bks_vehicles'] for r in sel]):.1f} |"
                    )
            print(
                f"| all | {len(rows)} | {np.mean([r['gap_pct'] for r in rows]):.2f} | {max(r['gap_pct'] for r in rows):.2f} | | |"
            )
        if args.versus:
            v = args.versus
            print(
                f"\n| instance | {args.algorithm} distance | vehicles | {v} distance | vehicles | distance / {v} | gap % | {v} gap % |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for r in rows:
                g = f"{r['gap_pct']:.2f}" if r["gap_pct"] is not None else ""
                gv = f"{100 * (r[f'{v}_distance'] - r['bks_distance']) / r['bks_distance']:.2f}" if r["bks_distance"] else ""
                print(
                    f"| {r['instance']} | {r['distance']:.2f} | {r['vehicles']} | {r[f'{v}_distance']:.2f} | "
                    f"{r[f'{v}_vehicles']} | {r['distance_ratio']:.4f} | {g} | {gv} |"
                )
            print(
                f"| mean | | {np.mean([r['vehicles'] for r in rows]):.1f} | | {np.mean([r[f'{v}_vehicles'] for r in rows]):.1f} | "
                f"{np.mean([r['distance_ratio'] for r in rows]):.4f} | | |"
            )


if __name__ == "__main__":
    main()
