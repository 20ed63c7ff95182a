"""The whole router run uncompiled (NUMBA_DISABLE_JIT=1) agrees with the compiled kernels."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

SCRIPT = """
import json, numpy as np
from optimizer import paper_instance, solve
inst = paper_instance(12, np.random.default_rng(4))
front = solve(inst, seed=9, iterations=2, population=6)
print(json.dumps(front.F.tolist()))
"""


def _run(disable_jit: bool) -> np.ndarray:
    env = dict(os.environ)
    if disable_jit:
        env["NUMBA_DISABLE_JIT"] = "1"
    else:
        env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600, check=True)
    return np.array(json.loads(out.stdout.strip().splitlines()[-1]))


def test_plain_python_run_gives_the_same_front_as_numba():
    """A seeded MOGWO run gives the same front with every kernel as plain Python as with numba."""
    compiled = _run(False)
    python = _run(True)
    assert compiled.shape == python.shape and compiled.shape[0] >= 1
    np.testing.assert_allclose(python, compiled, rtol=1e-9)
