"""The whole router run uncompiled (NUMBA_DISABLE_JIT=1) agrees with the compiled kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

SCRIPT = """
import json, numpy as np
from optimizer import paper_instance, solve
inst = paper_instance(12, np.random.default_rng(4))
if VOLUME:
    # parcel volumes that bind (about 4 parcels a vehicle): the second capacity resource
    vol = np.concatenate([[0.0], np.random.default_rng(5).uniform(0.05, 0.5, inst.n_customers)])
    fleet = tuple(v.replace(capacity_m3=1.0, count=8) for v in inst.vehicle_types)
    inst = inst.replace(volume=vol, vehicle_types=fleet)
if BATTERY:
    # batteries that bind: a third capacity resource (each customer still reachable alone)
    kwh = 0.3 * 2.0 * float(inst.distance[0].max()) * 1.2
    fleet = tuple(v.replace(battery_kwh=kwh, kwh_per_km_empty=0.2, kwh_per_km_full=0.3, count=8) for v in inst.vehicle_types)
    inst = inst.replace(vehicle_types=fleet)
front = solve(inst, seed=9, iterations=2, population=6)
print(json.dumps(front.F.tolist()))
"""


def _run(disable_jit: bool, volume: bool = False, battery: bool = False) -> np.ndarray:
    env = dict(os.environ)
    if disable_jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    else:
        env.pop("NUMBA_DISABLE_JIT", None)
    script = f"VOLUME = {volume}\nBATTERY = {battery}\n" + SCRIPT
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=600, check=True)
    return np.array(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "volume, battery",
    [(False, False), (True, False), (False, True)],
    ids=["weight", "weight_and_volume", "battery"],
)
def test_plain_python_run_gives_the_same_front_as_numba(volume, battery):
    """A seeded MOGWO run gives the same front with every kernel as plain Python as with numba,
    with volume as a second capacity and battery energy as a third too."""
    compiled = _run(False, volume, battery)
    python = _run(True, volume, battery)
    assert compiled.shape == python.shape and compiled.shape[0] >= 1
    np.testing.assert_allclose(python, compiled, rtol=1e-9)
