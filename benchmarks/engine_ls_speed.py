"""Time one call of the engine's local search from scratch, as HGS makes it.

For each instance: a few giant tours drawn with fixed seeds, each split by
optimizer.engine.split into vehicle slots (distance-only objective, HGS's initial penalty
weights, granular k = 40), then ``local_search.search`` on a fresh copy, repeated; the time
of a call is the minimum over the repeats of the process's CPU time (the machine is shared:
CPU time leaves out the time other processes hold the core). Prints, per instance, the
mean over the tours of those minima, the moves a call applies and moves per second, and a
digest of the routes the calls returned, so runs before and after a change can be checked to
find the very same moves.

Usage::

    python benchmarks/engine_ls_speed.py                  # R105, RC105, r1_2_1, R1_10_1
    python benchmarks/engine_ls_speed.py --only R105 --tours 10 --repeats 5
    python benchmarks/engine_ls_speed.py --cold           # also the cold-compile time
    python benchmarks/engine_ls_speed.py --only R105 r1_2_1 --tours 1 --hgs 10   # HGS iterations in 10 s
    python benchmarks/engine_ls_speed.py --json out.json  # keep the figures and digests
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path("/work/shared/benchmarks")

#: name -> (reader, candidate paths, tours drawn)
INSTANCES = {
    "R105": ("solomon", ["tests/data/solomon/R105.txt", "solomon/R105.txt"], 6),
    "RC105": ("solomon", ["tests/data/solomon/RC105.txt", "solomon/RC105.txt"], 6),
    "r1_2_1": ("solomon", ["tests/data/homberger/r1_2_1.txt", "homberger/r1_2_1.txt"], 4),
    "R1_10_1": ("vrplib", ["tests/data/vrplib/R1_10_1.vrp", "vrplib/R1_10_1.vrp"], 2),
}


def locate(candidates: list[str]) -> Path:
    for c in candidates:
        for base in (ROOT, SHARED, ROOT.parent / "shared" / "benchmarks"):
            if (base / c).exists():
                return base / c
    raise FileNotFoundError(f"none of {candidates} under {ROOT} or {SHARED}")


def load(name: str):
    from optimizer import read_solomon, read_vrplib

    reader, paths, _ = INSTANCES[name]
    path = locate(paths)
    return read_solomon(path) if reader == "solomon" else read_vrplib(path)


def start_states(eng, pm, tours: int):
    """(routes, rlen, order) per tour, from fixed seeds."""
    out = []
    for t in range(tours):
        rng = np.random.default_rng(1000 + t)
        tour = (rng.permutation(eng.n) + 1).astype(np.int64)
        routes, rlen = eng.from_tour(tour, pm)
        order = (rng.permutation(eng.n) + 1).astype(np.int64)
        out.append((routes, rlen, order))
    return out


def bench_instance(name: str, tours: int, repeats: int, k: int, swap_star: bool = True) -> dict:
    from optimizer.engine import local_search as ls
    from optimizer.engine.hgs import Engine, HGSParams
    from optimizer.engine.objective import objective_vector
    from optimizer.engine.penalties import PenaltyManager

    inst = load(name)
    kd = inst.kernel_data
    obj0 = objective_vector(kd, w_cost=0.0, w_emis=0.0, w_dist=1.0, pen_load=0.0, pen_tw=0.0)
    eng = Engine(inst, obj0, HGSParams(granular_k=k))
    pm = PenaltyManager.initial(kd, obj0, hard=obj0[6] > 0.5)
    obj = eng.obj(pm)
    digest = hashlib.sha1()
    times, moves = [], []
    for routes0, rlen0, order in start_states(eng, pm, tours):
        best = float("inf")
        for _ in range(repeats):
            routes, rlen = routes0.copy(), rlen0.copy()
            t0 = time.process_time()
            m = ls.search(routes, rlen, eng.slot_type, obj, eng.exact, eng.neigh, order, swap_star, eng.xy, 10**9, *kd)
            best = min(best, time.process_time() - t0)
        digest.update(routes.tobytes())
        digest.update(rlen.tobytes())
        times.append(best)
        moves.append(m)
    ms = 1000 * float(np.mean(times))
    return {
        "instance": name,
        "customers": inst.n_customers,
        "slots": int(eng.slot_type.size),
        "tours": tours,
        "ms_per_call": round(ms, 2),
        "moves_per_call": round(float(np.mean(moves)), 1),
        "moves_per_s": round(float(np.sum(moves) / np.sum(times))),
        "digest": digest.hexdigest()[:16],
    }


def hgs_iterations(name: str, seconds: float, seed: int = 1) -> dict:
    """Children HGS makes in ``seconds`` (distance only, default parameters) and its best km."""
    from optimizer.engine.hgs import hgs
    from optimizer.engine.objective import objective_vector

    inst = load(name)
    obj0 = objective_vector(inst.kernel_data, w_cost=0.0, w_emis=0.0, w_dist=1.0, pen_load=0.0, pen_tw=0.0)
    best = hgs(inst, obj0, rng=np.random.default_rng(seed), time_limit=seconds)
    return {"instance": name, "seconds": seconds, "iterations": int(best.fitness), "distance": round(best.base, 2)}


def cold_compile_seconds() -> float:
    """Import plus the first search call on R105 in a fresh process with an empty numba cache."""
    code = (
        "import time; t0 = time.perf_counter();"
        "import sys; sys.argv = ['x'];"
        "from benchmarks.engine_ls_speed import bench_instance;"
        "bench_instance('R105', 1, 1, 40); print(time.perf_counter() - t0)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=tmp, PYTHONPATH=str(ROOT))
        out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=sorted(INSTANCES))
    ap.add_argument("--tours", type=int, help="giant tours per instance (default per instance: 6, 6, 4, 2)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--granular", type=int, default=40)
    ap.add_argument("--no-swap-star", action="store_true", help="search without SWAP* (to see its share)")
    ap.add_argument("--hgs", type=float, metavar="SECONDS", help="also count HGS iterations in this budget")
    ap.add_argument("--cold", action="store_true", help="also time a cold compile (empty numba cache)")
    ap.add_argument("--json", type=Path, help="write the rows to this file")
    args = ap.parse_args()
    names = args.only or list(INSTANCES)
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, {date.today()}, "
        f"k {args.granular}, min of {args.repeats}"
    )
    bench_instance("R105", 1, 1, args.granular)  # compile or load the kernels first
    rows = []
    print("| instance | customers | tours | ms / call | moves / call | moves / s | digest |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        row = bench_instance(name, args.tours or INSTANCES[name][2], args.repeats, args.granular, not args.no_swap_star)
        rows.append(row)
        print(
            f"| {name} | {row['customers']} | {row['tours']} | {row['ms_per_call']} | {row['moves_per_call']} "
            f"| {row['moves_per_s']} | {row['digest']} |",
            flush=True,
        )
    result = {"rows": rows}
    if args.hgs:
        result["hgs"] = [hgs_iterations(name, args.hgs) for name in names if name != "R1_10_1"]
        for h in result["hgs"]:
            print(f"HGS {h['instance']}: {h['iterations']} iterations in {h['seconds']:g} s, best {h['distance']} km")
    if args.cold:
        result["cold_compile_s"] = round(cold_compile_seconds(), 1)
        print(f"cold compile (import + first search on R105, empty cache): {result['cold_compile_s']} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
