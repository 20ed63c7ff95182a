"""Whole simulation runs: wall time, simulated orders per second, and how the time splits
between routing (inside ``optimizer.solve``) and the simulation itself, cold and warm.

Cold: a fresh process (imports, Faker, numba kernels loaded from the on-disk cache, or
compiled from scratch with ``--empty-numba-cache``) running the scenario once. Warm: the
same scenario run again in a process that has already run it once. Each run writes its
own event log in a temporary folder (the write cost is part of the simulation's time).

The simulation's cost per order is also stated in SimPy-event equivalents: the simulation's
seconds per order (wall - routing) times the events a second a bare SimPy loop of timeouts
runs in the same process (issue 14's yardstick, goal <= 200).

Usage::

    python benchmarks/sim_run.py scenarios/baseline.toml
    python benchmarks/sim_run.py scenarios/baseline.toml --days 30 --set demand.orders_per_day=3000 ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from sim import Scenario, run
s = Scenario.from_file({scenario!r}, {overrides!r})
out = []
for i in range({runs}):
    t = time.perf_counter()
    r = run(s, db_path={db!r} + f".{{i}}", days={days!r})
    wall = time.perf_counter() - t + (t - t0 if i == 0 else 0.0)
    out.append(dict(wall=wall, run_wall=r.wall_seconds, routing=r.routing_seconds, orders=r.orders,
                    events=r.events, waves=r.waves, capped=r.waves_time_capped, kg=r.kg_co2e_per_order,
                    on_time=r.on_time_share, delivered=r.delivered, sessions=r.sessions))
# the reference: a bare SimPy loop of timeouts, in this process, after the runs
import simpy
def ticker(env, n):
    for _ in range(n):
        yield env.timeout(1.0)
env = simpy.Environment()
env.process(ticker(env, 300_000))
t = time.perf_counter()
env.run()
bare = 300_000 / (time.perf_counter() - t)
for o in out:
    o["bare_events_per_s"] = bare
print(json.dumps(out))
"""


def measure(scenario: str, overrides: list[str], days: int | None, runs: int, empty_cache: bool) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        if empty_cache:
            env["NUMBA_CACHE_DIR"] = str(Path(tmp) / "numba")
        code = CHILD.format(
            root=str(ROOT), scenario=scenario, overrides=overrides, runs=runs, db=str(Path(tmp) / "run.db"), days=days
        )
        res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--days", type=int)
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--empty-numba-cache", action="store_true", help="Cold run compiles every kernel from scratch.")
    args = ap.parse_args()
    print(
        f"# {platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}"
    )
    print(f"# python benchmarks/sim_run.py {' '.join(sys.argv[1:])}")
    rows = measure(args.scenario, args.overrides, args.days, 2, args.empty_numba_cache)
    print(
        f"{'run':<6}{'sessions':>9}{'orders':>8}{'events':>9}{'waves':>7}{'wall s':>9}{'orders/s':>10}{'routing s':>11}{'sim s':>8}{'sim share':>11}"
        f"{'kg/order':>10}{'on time':>9}"
    )
    for name, r in zip(("cold", "warm"), rows):
        sim_s = r["wall"] - r["routing"]
        print(
            f"{name:<6}{r['sessions']:>9}{r['orders']:>8}{r['events']:>9}{r['waves']:>7}{r['wall']:>9.1f}{r['orders'] / r['wall']:>10.0f}"
            f"{r['routing']:>11.1f}{sim_s:>8.1f}{sim_s / r['wall']:>10.1%}{r['kg']:>10.3f}{r['on_time']:>9.1%}"
        )
        equiv = sim_s / max(r["orders"], 1) * r["bare_events_per_s"]
        print(
            f"       simulation cost: {equiv:,.0f} SimPy-event equivalents an order (bare loop {r['bare_events_per_s']:,.0f} events/s)"
        )
        if r["capped"]:
            print(f"       {r['capped']} of {r['waves']} waves stopped by routing.time_limit")
    print(
        "# wall includes start-up (imports, Faker, loading or compiling numba kernels) for the cold run;"
        " sim s = wall - routing (world, processes, event log writes, summary queries)"
    )


if __name__ == "__main__":
    main()
