"""`carbonsim compare` wall time by executor: the same comparison (baseline vs green, N seeds)
run in the parent process (J=1), on J local worker processes, and on a Dask LocalCluster
with the same number of workers on loopback.

Each executor runs in a fresh Python process, so each pays its own imports, worker start-up
and numba cache loads, as a user's command does; the LocalCluster's start-up is timed apart
from the runs. The KPIs must agree across executors (bar the wall-clock fields), which the
script checks before it prints any speed-up.

Usage::

    python benchmarks/compare_speed.py                      # baseline vs green, 10 seeds, 1 day
    python benchmarks/compare_speed.py --seeds 4 --days 2 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from sim.experiments import compare
from sim.scenario import Scenario
mode, workers = {mode!r}, {workers!r}
scenarios = {{name: Scenario.from_file(path, {overrides!r}) for name, path in {files!r}.items()}}
seeds = list(range(1, {seeds} + 1))
startup = 0.0
if mode == "dask":
    import os
    # as a user would start `dask worker`: the cores shared among the workers' numba threads
    os.environ["NUMBA_NUM_THREADS"] = str(max(1, os.cpu_count() // workers))
    from distributed import LocalCluster
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None)
    startup = time.perf_counter() - t
    result = compare(scenarios, seeds, scheduler=cluster.scheduler_address)
    cluster.close()
else:
    result = compare(scenarios, seeds, jobs=1 if mode == "serial" else workers)
wall = time.perf_counter() - t0
drop = ("wall_seconds", "routing_seconds", "run_id")
runs = {{n: [{{k: v for k, v in r.items() if k not in drop}} for r in rs] for n, rs in result.runs.items()}}
sim_seconds = sum(r["wall_seconds"] for rs in result.runs.values() for r in rs)
print(json.dumps(dict(wall=wall, startup=startup, sim_seconds=sim_seconds, runs=runs,
                      kg=result.to_dict()["kpis"]["kg_co2e_per_order"])))
"""


def measure(mode: str, files: dict[str, str], overrides: list[str], seeds: int, workers: int) -> dict:
    code = CHILD.format(root=str(ROOT), mode=mode, workers=workers, files=files, overrides=overrides, seeds=seeds)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="*", default=["scenarios/baseline.toml", "scenarios/green.toml"])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--modes", default="serial,local,dask", help="Comma-separated subset of serial, local, dask.")
    args = ap.parse_args()
    files = {Path(f).stem: str(ROOT / f) for f in args.scenarios}
    overrides = [f"simulation.days={args.days}", *args.overrides]
    modes = args.modes.split(",")
    print(
        f"# compare {' vs '.join(files)}: {args.seeds} seeds x {args.days} day(s), {len(files) * args.seeds} runs; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}"
    )
    results = {m: measure(m, files, overrides, args.seeds, args.workers) for m in modes}
    reference = results[modes[0]]
    for m, r in results.items():
        if r["runs"] != reference["runs"]:
            sys.exit(f"KPIs differ between {modes[0]} and {m}: the executors do not agree")
    print("| executor | workers | wall s | cluster start s | sum of run walls s | speed-up vs J=1 |")
    print("|---|---:|---:|---:|---:|---:|")
    serial = results.get("serial")
    names = {"serial": "parent process (J=1)", "local": "local processes (spawn)", "dask": "Dask LocalCluster (loopback)"}
    for m, r in results.items():
        speed = f"x{serial['wall'] / r['wall']:.2f}" if serial else "-"
        print(
            f"| {names[m]} | {1 if m == 'serial' else args.workers} | {r['wall']:.1f} | {r['startup']:.1f} | "
            f"{r['sim_seconds']:.1f} | {speed} |"
        )
    kg = reference["kg"]
    base, other = list(files)[0], list(files)[-1]
    d = kg["difference_vs_baseline"].get(other)
    if d:
        print(
            f"\nkg CO2e/order {other} - {base}: {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}] "
            f"(identical KPIs in every executor)"
        )


if __name__ == "__main__":
    main()
