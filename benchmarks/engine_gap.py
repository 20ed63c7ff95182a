"""The new engine alone (optimizer.engine.solve_scalar, distance only) against BKS and PyVRP.

Solomon R105, RC105, R205, RC205: gap to the distance-only best-known values ("distance
only, real Euclidean distances" in bks_alternatives.csv, as benchmarks/solomon_gap.py).
Gehring-Homberger 200 (the 6 bundled in tests/data/homberger): distance over PyVRP's in the
same run, and over the (vehicles-first) BKS of the bundled solution files.

PyVRP (optional, ``pip install pyvrp``) gets the same instances and wall-clock budget: its
integer data are our floats x 1000 (windows rounded inwards, times up, so its plans are
feasible for us), and its best routes are re-scored by optimizer.solution.evaluate, so both
columns are the same float distance. numba is compiled before any clock starts.

Usage::

    python benchmarks/engine_gap.py --budget 10
    python benchmarks/engine_gap.py --budget 10 --only R105 --no-pyvrp
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import time
from datetime import date
from pathlib import Path

import numpy as np

from optimizer import read_solomon
from optimizer.engine import solve_scalar
from optimizer.engine.hgs import HGSParams
from optimizer.solution import Route, evaluate

ROOT = Path(__file__).resolve().parent.parent
SOLOMON = ("R105", "RC105", "R205", "RC205")
SCALE = 1000


def solomon_files(shared: Path) -> list[Path]:
    out = []
    for name in SOLOMON:
        for d in (ROOT / "tests" / "data" / "solomon", shared / "solomon"):
            if (d / f"{name}.txt").exists():
                out.append(d / f"{name}.txt")
                break
    return out


def distance_bks(shared: Path) -> dict[str, float]:
    bks = {}
    with open(shared / "bks_alternatives.csv") as fh:
        for row in csv.DictReader(fh):
            if row["convention"] == "distance only, real Euclidean distances":
                bks[row["instance"]] = float(row["distance"])
    return bks


def homberger_bks() -> dict[str, tuple[int, float]]:
    """Vehicles and distance from the bundled solution files' names (name.vehicles_distance)."""
    out = {}
    for f in (ROOT / "tests" / "data" / "homberger" / "bks_solutions").glob("*.txt"):
        name, rest = f.stem.split(".", 1)
        veh, dist = rest.split("_")
        out[name.upper()] = (int(veh), float(dist))
    return out


def pyvrp_solve(inst, budget: float, seed: int):
    """PyVRP on the instance scaled to integers; returns our Routes of its best solution."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    n1 = inst.n_customers + 1
    kd = inst.kernel_data
    locs = [pyvrp.Location(float(inst.x[i]), float(inst.y[i])) for i in range(n1)]
    up = lambda v: int(math.ceil(v * SCALE - 1e-6))  # noqa: E731
    down = lambda v: int(math.floor(v * SCALE + 1e-6))  # noqa: E731
    depot = pyvrp.Depot(0, tw_early=up(inst.ready[0]), tw_late=down(inst.due[0]))
    clients = [
        pyvrp.Client(
            i,
            delivery=[int(inst.demand[i])],
            service_duration=up(inst.service[i]),
            tw_early=up(inst.ready[i]),
            tw_late=down(inst.due[i]),
        )
        for i in range(1, n1)
    ]
    vts = [
        pyvrp.VehicleType(v.count, capacity=[int(v.capacity)], tw_early=up(inst.ready[0]), tw_late=down(inst.due[0]))
        for v in inst.vehicle_types
    ]
    dist = np.ceil(kd.arcs[0] * SCALE - 1e-6).astype(np.int64)
    dur = np.ceil(kd.arcs[1] * SCALE - 1e-6).astype(np.int64)
    data = pyvrp.ProblemData(locs, clients, [depot], vts, [dist], [dur])
    res = pyvrp.solve(data, stop=MaxRuntime(budget), seed=seed, display=False)
    # a route's client activities are numbered among clients (0-based); our node = idx + 1
    routes = [Route(int(r.vehicle_type()), tuple(int(a.idx) + 1 for a in r if a.is_client())) for r in res.best.routes()]
    return routes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=Path("/work/shared/benchmarks"))
    ap.add_argument("--budget", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--no-pyvrp", action="store_true")
    ap.add_argument("--granular", type=int, default=40, help="neighbours per customer (engine default 40)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = ap.parse_args()
    if not args.shared.exists():
        args.shared = ROOT.parent / "shared" / "benchmarks"
    files = solomon_files(args.shared) + sorted((ROOT / "tests" / "data" / "homberger").glob("*.txt"))
    if args.only:
        files = [f for f in files if f.stem.upper() in {o.upper() for o in args.only}]
    bks = distance_bks(args.shared)
    gh = homberger_bks()
    use_pyvrp = not args.no_pyvrp
    if use_pyvrp:
        try:
            import pyvrp  # noqa: F401
        except ImportError:
            use_pyvrp = False
    # compile (or load) the kernels before any clock starts
    solve_scalar(read_solomon(files[0]), seed=0, iterations=2, distance_only=True)
    print(f"# machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, {date.today()}")
    print(f"# budget {args.budget:g} s per instance and solver, seed {args.seed}, granular k {args.granular}")
    rows = []
    for f in files:
        inst = read_solomon(f)
        name = inst.name.upper()
        t0 = time.perf_counter()
        routes, ev = solve_scalar(
            inst, time_limit=args.budget, seed=args.seed, distance_only=True, params=HGSParams(granular_k=args.granular)
        )
        wall = time.perf_counter() - t0
        row = {
            "instance": name,
            "set": "solomon" if name in SOLOMON else "gh200",
            "wall_s": round(wall, 2),
            "feasible": ev.feasible,
            "distance": round(ev.distance_km, 2),
            "vehicles": ev.vehicles,
        }
        if name in bks:
            row["bks"] = bks[name]
            row["gap_pct"] = round(100 * (ev.distance_km - bks[name]) / bks[name], 3)
        if name in gh:
            row["bks"] = gh[name][1]
            row["bks_vehicles"] = gh[name][0]
            row["gap_pct"] = round(100 * (ev.distance_km - gh[name][1]) / gh[name][1], 3)
        if use_pyvrp:
            pr = pyvrp_solve(inst, args.budget, args.seed)
            pe = evaluate(inst, pr)
            row["pyvrp_distance"] = round(pe.distance_km, 2)
            row["pyvrp_vehicles"] = pe.vehicles
            row["pyvrp_feasible"] = pe.feasible
            row["ratio_to_pyvrp"] = round(ev.distance_km / pe.distance_km, 4)
        rows.append(row)
        print("  ".join(f"{k} {v}" for k, v in row.items()), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"engine_gap_{int(args.budget)}s_k{args.granular}.csv"
    keys = sorted({k for r in rows for k in r}, key=lambda k: list(rows[-1]).index(k) if k in rows[-1] else 99)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)
    print(f"\n## engine alone, {args.budget:g} s, written to {path}\n")
    print("| set | instances | mean gap to BKS % | mean distance / PyVRP |")
    print("|---|---|---|---|")
    for s in ("solomon", "gh200"):
        sel = [r for r in rows if r["set"] == s]
        if not sel:
            continue
        gap = np.mean([r["gap_pct"] for r in sel if "gap_pct" in r])
        ratio = f"{np.mean([r['ratio_to_pyvrp'] for r in sel]):.4f}" if use_pyvrp else "n/a"
        print(f"| {s} | {len(sel)} | {gap:.2f} | {ratio} |")
    if use_pyvrp:
        for s in ("solomon", "gh200"):
            sel = [r for r in rows if r["set"] == s and "bks" in r]
            if sel:
                pg = np.mean([100 * (r["pyvrp_distance"] - r["bks"]) / r["bks"] for r in sel])
                print(f"PyVRP mean gap to the same BKS on {s}: {pg:.2f} %")


if __name__ == "__main__":
    main()
