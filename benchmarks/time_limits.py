"""Wall time of `carbonsim route -t T` against T, cold (empty numba cache) and warm.

Each run is a fresh process, ``python -m sim.cli route FILE -t T -a ALG --json OUT``, timed
from outside (start-up, reading the file, compiling or loading the kernels, the search and
writing the JSON all count). Instances: ``optimizer.generate.solomon_like_instance(n, rng n)``
written in Solomon's form (hard windows, unit speed, fleet 1.5 x the demand). "cold" gives
every run its own empty NUMBA_CACHE_DIR; "warm" shares one cache filled beforehand by a run
without a time limit. The target (issue 16) is wall <= 1.1 T + 0.5 s.

Usage::

    python benchmarks/time_limits.py                       # 100, 1,000, 5,000; -t 2 and 10; every algorithm
    python benchmarks/time_limits.py --sizes 100 --limits 2 --algorithms mogwo greedy --skip-cold
    python benchmarks/time_limits.py --waves 0.5       # a 1-day simulation, MOGWO waves of 0.5 s

``--waves T`` instead times every dispatch wave of ``carbonsim run scenarios/baseline.toml
--days 1 --set routing.policy=mogwo --set routing.time_limit=T`` (cold and warm), the
wave's target being T + 10 % + 0.5 s as well.
"""

from __future__ import annotations

import argparse
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from optimizer import ALGORITHMS  # noqa: E402
from optimizer.generate import solomon_like_instance  # noqa: E402
from optimizer.solomon import write_solomon  # noqa: E402

WAVE_CHILD = """
import json, sys, time
import sim.world.dispatch as dispatch
times = []
wave = dispatch.Dispatcher.wave
def timed(self, depot):
    t = time.perf_counter()
    wave(self, depot)
    times.append(time.perf_counter() - t)
dispatch.Dispatcher.wave = timed
from sim.cli import main
main(["run", "scenarios/baseline.toml", "--days", "1", "--set", "routing.policy=mogwo",
      "--set", "routing.time_limit=" + sys.argv[1], "--db", sys.argv[2], "--json"], standalone_mode=False)
print(json.dumps(times), file=sys.stderr)
"""


def timed_waves(limit: float, cache: Path, db: Path) -> list[float]:
    """Seconds of every dispatch wave of a one-day MOGWO simulation (waves with no order included)."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))
    res = subprocess.run(
        [sys.executable, "-c", WAVE_CHILD, str(limit), str(db)], env=env, cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(res.stderr.strip().splitlines()[-1])


def cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        return next(ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        return platform.processor() or "unknown"


def timed_route(path: Path, limit: float | None, algorithm: str, cache: Path, out: Path) -> dict:
    """One route process: wall seconds, peak RSS (MB), and what the JSON says (without a
    limit: one iteration of two wolves, enough to compile every kernel)."""
    cmd = [sys.executable, "-m", "sim.cli", "route", str(path), "-a", algorithm, "--json", str(out)]
    cmd += ["-i", "1", "-p", "2"] if limit is None else ["-t", str(limit)]
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err}")
    doc = json.loads(out.read_text())
    best = next(s for s in doc["solutions"] if s["chosen"])
    return dict(
        wall=wall,
        rss_mb=usage.ru_maxrss / 1024,
        iterations=doc["iterations"],
        evaluations=doc["evaluations"],
        plans=len(doc["solutions"]),
        fallback=doc["fallback"],
        cost=best["cost"],
        feasible=best["feasible"],
    )


def short(reason: str | None, algorithm: str) -> str:
    """What was returned, in a few words (the JSON's fallback, shortened)."""
    from optimizer import api

    if not reason:
        return "greedy plan" if algorithm == "greedy" else "search"
    labels = {
        api.CUT_CONSTRUCTION: "NN cut, rest by due-date fill",
        api.NOTHING_DECODED: "start plan: nothing decoded",
        api.CUT_FIRST_POPULATION: "search + start plan",
    }
    if reason in labels:
        return labels[reason]
    for key, text in (
        ("numba", "start plan: kernels not loaded in time"),
        ("arc arrays", "start plan: no time for (N, N) arrays"),
        ("neighbour lists", "start plan: no time for neighbour lists"),
        ("pheromone", "start plan: no time for pheromones"),
    ):
        if key in reason:
            return text
    return reason


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 5000])
    ap.add_argument("--limits", type=float, nargs="+", default=[2.0, 10.0])
    ap.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS), choices=ALGORITHMS)
    ap.add_argument("--skip-cold", action="store_true")
    ap.add_argument("--waves", type=float, metavar="T", help="time the dispatch waves of a simulation instead")
    args = ap.parse_args()
    print(f"# {cpu_model()}, {os.cpu_count()} cores, python {platform.python_version()}, {date.today()}")
    if args.waves is not None:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            print("| routing.time_limit | cache | waves | planned | max wave s | bound s | mean s | total routing s |")
            print("|---|---|---|---|---|---|---|---|")
            for cache in ([] if args.skip_cold else ["cold"]) + ["warm"]:
                where = tmp / ("warm-cache" if cache == "warm" else "cold-cache")
                if cache == "warm":
                    timed_waves(args.waves, where, tmp / "fill.db")  # fills the cache
                t = timed_waves(args.waves, where, tmp / f"{cache}.db")
                planned = sum(1 for x in t if x > 1e-3)
                print(
                    f"| {args.waves:g} | {cache} | {len(t)} | {planned} | {max(t):.2f} | {1.1 * args.waves + 0.5:.2f} | "
                    f"{sum(t) / len(t):.2f} | {sum(t):.1f} |",
                    flush=True,
                )
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        warm = tmp / "warm-cache"
        files = {}
        for n in args.sizes:
            files[n] = tmp / f"solomon_like_n{n}.txt"
            write_solomon(solomon_like_instance(n, np.random.default_rng(n)), files[n])
        t = time.perf_counter()
        timed_route(files[args.sizes[0]], None, "mogwo", warm, tmp / "fill.json")
        print(
            f"# filling the warm cache (one short run without a time limit compiles every kernel): {time.perf_counter() - t:.0f} s\n"
        )
        print(
            "| customers | algorithm | -t | cache | wall s | bound s | kept | peak MB | iterations | evaluations | returned | chosen cost |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for n in args.sizes:
            for algorithm in args.algorithms:
                for limit in args.limits:
                    for cache in ([] if args.skip_cold else ["cold"]) + ["warm"]:
                        where = warm if cache == "warm" else Path(tempfile.mkdtemp(dir=tmp))
                        r = timed_route(files[n], limit, algorithm, where, tmp / "out.json")
                        bound = 1.1 * limit + 0.5
                        cost = f"{r['cost']:,.0f}" if r["cost"] is not None else "null"
                        print(
                            f"| {n:,} | {algorithm} | {limit:g} | {cache} | {r['wall']:.2f} | {bound:.2f} | "
                            f"{'yes' if r['wall'] <= bound else '**no**'} | {r['rss_mb']:.0f} | {r['iterations']} | "
                            f"{r['evaluations']} | {short(r['fallback'], algorithm)} | {cost}{'' if r['feasible'] else ' (infeasible)'} |",
                            flush=True,
                        )


if __name__ == "__main__":
    main()
