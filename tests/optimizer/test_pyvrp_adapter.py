"""benchmarks/pyvrp_adapter.py: our instance as PyVRP's ProblemData, and PyVRP's plan re-scored."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from optimizer.solomon import read_solomon
from optimizer.solution import evaluate

pytest.importorskip("pyvrp")

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


def _adapter():
    spec = importlib.util.spec_from_file_location("pyvrp_adapter", ROOT / "benchmarks" / "pyvrp_adapter.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_problem_data_bounds_our_times_from_above():
    """Integer durations are ours x scale rounded up and latest starts rounded down, so a plan
    PyVRP deems feasible is feasible in real numbers; distances round to nearest."""
    inst = read_solomon(DATA / "homberger" / "r1_2_1.txt")
    data = _adapter().to_problem_data(inst, scale=1000)
    assert (data.num_clients, data.num_depots, data.num_vehicles) == (200, 1, 50)
    dur = np.asarray(data.duration_matrix(0))
    dist = np.asarray(data.distance_matrix(0))
    assert (dur >= inst.distance * 1000 - 1e-6).all() and (dur - inst.distance * 1000 < 1).all()
    assert np.abs(dist - inst.distance * 1000).max() <= 0.5
    c = data.clients()[0]  # our node 1
    assert (c.tw_early, c.tw_late, c.service_duration) == (37_000, 47_000, 10_000)
    assert list(c.delivery) == [34_000]


def test_pyvrp_plan_is_rescored_by_our_evaluator():
    inst = read_solomon(DATA / "solomon" / "C101.txt")
    front = _adapter().solve_pyvrp(inst, seed=1, time_limit=1.0)
    (plan,) = front.solutions
    assert front.algorithm == "pyvrp" and front.iterations > 0
    ev = evaluate(inst, plan.routes)
    assert ev.feasible and ev.cost == plan.evaluation.cost and ev.emissions_kg > 0
    assert ev.distance_km == pytest.approx(828.94, rel=0.01)  # C101's optimum, 10 vehicles
