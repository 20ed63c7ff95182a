"""The pack decoder on real simulated waves: seconds per pack at 0, 1 and 3 local-search sweeps.

Runs a scenario (one simulated day by default), keeps the routing instances of its waves
with at least ``--min-stops`` stops (the first ``--waves`` of them), then decodes a pack of
``--pack`` random key vectors on each, at each sweep count, timed warm. ``--save FILE``
keeps the decoded tours and records so that two versions can be checked to decode the very
same plans (``--compare FILE``).

Usage::

    python benchmarks/wave_decode.py scenarios/green.toml --set demand.orders_per_day=3000
    python benchmarks/wave_decode.py scenarios/green.toml --set demand.orders_per_day=3000 --save before.npz
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def capture(scenario: str, overrides: list[str], days: int, min_stops: int, count: int) -> list:
    import sim.world.dispatch as dispatch
    from sim import Scenario, run

    real = dispatch.solve
    caught = []

    def keep(inst, **kw):
        if inst.n_customers >= min_stops and len(caught) < count:
            caught.append(inst)
        return real(inst, **kw)

    dispatch.solve = keep
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run(Scenario.from_file(scenario, overrides), db_path=str(Path(tmp) / "run.db"), days=days)
    finally:
        dispatch.solve = real
    return caught


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario")
    ap.add_argument("--set", dest="overrides", action="append", default=[])
    ap.add_argument("--days", type=int, default=1)
    ap.add_argument("--min-stops", type=int, default=250)
    ap.add_argument("--waves", type=int, default=6)
    ap.add_argument("--pack", type=int, default=10)
    ap.add_argument("--save")
    ap.add_argument("--compare")
    args = ap.parse_args()
    from optimizer.problem import RoutingProblem, simplex_weights

    print(f"# {platform.machine()}  {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}")
    print("# python benchmarks/wave_decode.py " + " ".join(sys.argv[1:]))
    waves = capture(args.scenario, args.overrides, args.days, args.min_stops, args.waves)
    print(f"{len(waves)} waves of {[w.n_customers for w in waves]} stops, fleets {[w.fleet_size for w in waves]}")
    out = {}
    for passes in (0, 1, 3):
        total = 0.0
        for i, inst in enumerate(waves):
            p = RoutingProblem(inst, ls_passes=passes)
            rng = np.random.default_rng(i)
            keys = rng.random((args.pack, p.n))
            w = simplex_weights(rng, args.pack, p.hard > 0)
            p.decode(keys[:2], w[:2])  # compiled and warm before the clock
            t = time.perf_counter()
            b = p.decode(keys, w)
            total += time.perf_counter() - t
            out[f"tours_{passes}_{i}"] = b.tours
            out[f"records_{passes}_{i}"] = b.records
        print(f"{passes} sweeps: {total / max(len(waves), 1):.3f} s per pack of {args.pack}")
    if args.save:
        np.savez(args.save, **out)
    if args.compare:
        ref = np.load(args.compare)
        same = all(np.array_equal(ref[k], v) for k, v in out.items())
        print("plans identical to", args.compare, ":", same)


if __name__ == "__main__":
    main()
