"""Cold compile: what the numba kernels cost on an empty cache, and which kernels cost it.

Runs the warm-up's work (``optimizer.warmup.exercise_kernels``: the pack decoder, then the
engine step) in a fresh process with an empty ``NUMBA_CACHE_DIR``, records numba's compile
events, and prints the wall time of each part and the kernels with the most exclusive compile
time (a kernel's own typing and lowering, without the kernels it calls); ``literal`` counts
arguments typed as literal constants, each such signature being a compile of its own.

Usage::

    python benchmarks/cold_compile.py [--top 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import collections, sys, time
sys.path.insert(0, {root!r})
from numba.core import event
rec = event.RecordingListener()
event.register("numba:compile", rec)
import numpy as np
t0 = time.perf_counter()
from optimizer.archive import Archive, ArchiveParams
from optimizer.deadline import Deadline
from optimizer.generate import paper_instance
from optimizer.intensify import Intensifier, IntensifyParams
from optimizer.problem import RoutingProblem
inst = paper_instance(3, np.random.default_rng(0))
t1 = time.perf_counter()
problem = RoutingProblem(inst, ls_passes=1)
weights = np.full((1, 3), 1 / 3)
batch = problem.decode(np.random.default_rng(0).random((1, inst.n_customers)), weights)
t2 = time.perf_counter()
archive = Archive(ArchiveParams(), np.random.default_rng(0))
archive.update(batch)
Intensifier(problem, weights, IntensifyParams(), np.random.default_rng(0)).step(archive, Deadline(None))
t3 = time.perf_counter()
print(f"imports {{t1 - t0:.1f}} s, pack decoder {{t2 - t1:.1f}} s, engine step {{t3 - t2:.1f}} s, total {{t3 - t0:.1f}} s")
own = collections.defaultdict(float)
stack = []
for ts, e in rec.buffer:
    name = getattr(e.data["dispatcher"], "py_func", None)
    name = name.__qualname__ if name is not None else str(e.data["dispatcher"])
    if e.is_start:
        stack.append([name, ts, 0.0])
    else:
        k, start, child = stack.pop()
        d = ts - start
        own[(k, str(e.data["args"]).count("Literal"))] += d - child
        if stack:
            stack[-1][2] += d
print("own s  kernel  (literal arguments)")
for (k, lit), v in sorted(own.items(), key=lambda kv: -kv[1])[:{top}]:
    print(f"{{v:6.1f}}  {{k}}" + (f"  ({{lit}})" if lit else ""))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args()
    print(f"# {platform.machine()}  {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}")
    print("# python benchmarks/cold_compile.py " + " ".join(sys.argv[1:]))
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, NUMBA_CACHE_DIR=tmp)
        subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), top=args.top)], env=env, check=True)


if __name__ == "__main__":
    main()
