"""The seed paper's Table 3 / Fig. 8 comparison: MOGWO vs NSGA-II vs MOPSO vs MOACO.

Every algorithm gets the same instance, the same decoder and local search, the same
external archive and the same wall-clock budget per run, over the same seeds. Fronts are
judged against the non-dominated union of all runs (the reference front Z), in the space
normalised by Z's ideal and nadir points (``optimizer.indicators.assess``: HV with
reference point 1.1 per objective, IGD and GD in their p = 1 mean form, Schott's SP).
The plan each run would execute (w1 = 0.6, w2 = 0.4) gives cost and kg CO2 per order,
and its emission cut against the greedy nearest-neighbour baseline; the cut of the
front's lowest-emission plan shows how much greener a plan the front offers.

With ``pyvrp`` among ``--algorithms`` (``pip install 'carbonsim[bench]'``), PyVRP runs at
the same budget over the same seeds: it optimises distance/duration cost only (no
load-dependent emissions, no congestion; see ``benchmarks/pyvrp_adapter.py``), its one plan
per run is re-scored by our evaluator, and a second table gives every algorithm's cheapest
and greenest plan as ratios to PyVRP's plan of the same seed.

Usage::

    python benchmarks/compare_algorithms.py --customers 100 --seeds 10 --budget 10
    python benchmarks/compare_algorithms.py --customers 100 --seeds 3 --budget 10 --algorithms mogwo nsga2 pyvrp
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import date
from pathlib import Path

import numpy as np

from optimizer import paper_instance, read_instance, solve
from optimizer.indicators import assess, reference_front

sys.path.insert(0, str(Path(__file__).resolve().parent))  # pyvrp_adapter, beside this script

ALGS = ("mogwo", "nsga2", "mopso", "moaco")


def run(alg: str, inst, seed: int, budget: float):
    """One run's front: one of ours, or PyVRP's one plan re-scored by our evaluator."""
    if alg == "pyvrp":
        from pyvrp_adapter import solve_pyvrp

        return solve_pyvrp(inst, seed=seed, time_limit=budget)
    return solve(inst, algorithm=alg, seed=seed, time_limit=budget)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=100)
    ap.add_argument("--instance-seed", type=int, default=7)
    ap.add_argument("--solomon", help="an instance file (Solomon, Gehring-Homberger or VRPLIB) instead of a generated instance")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--budget", type=float, default=10.0, help="seconds per run")
    ap.add_argument("--algorithms", nargs="+", default=list(ALGS), choices=[*ALGS, "pyvrp"])
    ap.add_argument("--save", help="write every run's front to this .npz file")
    args = ap.parse_args()
    if args.solomon:
        inst = read_instance(args.solomon)
    else:
        inst = paper_instance(args.customers, np.random.default_rng(args.instance_seed))
    n = inst.n_customers
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, {date.today()}")
    print(f"# instance {inst!r}, {args.seeds} seeds, {args.budget:g} s per run")
    solve(inst, seed=0, iterations=1, population=4)  # compile outside the clock
    if "pyvrp" in args.algorithms:
        run("pyvrp", inst, 0, 0.1)  # load PyVRP outside the clock
    greedy = solve(inst, algorithm="greedy").best.evaluation
    runs: dict[str, list] = {a: [] for a in args.algorithms}
    for alg in args.algorithms:
        for seed in range(1, args.seeds + 1):
            front = run(alg, inst, seed, args.budget)
            runs[alg].append(front)
            b = front.best.evaluation
            print(
                f"{alg:>6} seed {seed:>2}: {len(front.solutions):>3} plans, {front.iterations:>4} it, "
                f"chosen cost {b.cost:,.1f} kg {b.emissions_kg:,.2f} pen {b.penalty:,.1f}",
                flush=True,
            )
    if args.save:
        np.savez(args.save, **{f"{a}_{i + 1}": f.F for a in runs for i, f in enumerate(runs[a])})
    Z = reference_front(*[f.F for a in runs for f in runs[a]])
    print(
        f"\nreference front: {len(Z)} points; greedy plan: cost {greedy.cost:,.1f}, {greedy.emissions_kg:,.2f} kg, "
        f"penalty {greedy.penalty:,.1f}, {greedy.vehicles} vehicles\n"
    )
    print(
        "| algorithm | HV | IGD | GD | SP | front size | iterations | cost / order | kg CO2 / order | emission cut vs greedy | greenest plan's cut | share of Z |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for alg in args.algorithms:
        q = [assess(f.F, Z) for f in runs[alg]]
        ms = lambda xs: f"{np.mean(xs):.3f} ± {np.std(xs, ddof=1) if len(xs) > 1 else 0:.3f}"  # noqa: E731
        cost = [f.best.evaluation.cost / n for f in runs[alg]]
        kg = [f.best.evaluation.emissions_kg / n for f in runs[alg]]
        cut = [100 * (1 - f.best.evaluation.emissions_kg / greedy.emissions_kg) for f in runs[alg]]
        green = [100 * (1 - f.F[:, 1].min() / greedy.emissions_kg) for f in runs[alg]]
        on_z = {tuple(np.round(z, 9)) for z in Z}
        share = [np.mean([tuple(np.round(x, 9)) in on_z for x in f.F]) for f in runs[alg]]
        print(
            f"| {alg} | {ms([x.hv for x in q])} | {ms([x.igd for x in q])} | {ms([x.gd for x in q])} | "
            f"{ms([x.spacing for x in q])} | {np.mean([len(f.solutions) for f in runs[alg]]):.0f} | "
            f"{np.mean([f.iterations for f in runs[alg]]):.0f} | {ms(cost)} | {ms(kg)} | {ms(cut)} % | {ms(green)} % | "
            f"{np.mean(share):.2f} |"
        )
    if "pyvrp" in args.algorithms:
        ref = {f.seed: f.best.evaluation for f in runs["pyvrp"]}
        print("\nRatios to PyVRP's plan of the same seed (PyVRP minimises cost only; ours also kg CO2 and penalty):\n")
        print(
            "| algorithm | cheapest plan's cost / PyVRP | its kg CO2 / PyVRP | greenest plan's kg CO2 / PyVRP | its cost / PyVRP |"
        )
        print("|---|---|---|---|---|")
        for alg in args.algorithms:
            cheap = [min(f.solutions, key=lambda s: s.evaluation.cost).evaluation for f in runs[alg]]
            green = [min(f.solutions, key=lambda s: s.evaluation.emissions_kg).evaluation for f in runs[alg]]
            rs = [f.seed for f in runs[alg]]
            r = lambda evs, attr, rs=rs: np.mean([getattr(e, attr) / getattr(ref[s], attr) for e, s in zip(evs, rs)])  # noqa: E731
            print(
                f"| {alg} | {r(cheap, 'cost'):.4f} | {r(cheap, 'emissions_kg'):.4f} | "
                f"{r(green, 'emissions_kg'):.4f} | {r(green, 'cost'):.4f} |"
            )


if __name__ == "__main__":
    main()
