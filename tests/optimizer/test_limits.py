"""Time limits are limits: the start plan built without (N, N) arrays or numba, the deadline
plumbing of instance preparation, decoding and every algorithm, and what solve reports."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from optimizer import ALGORITHMS, solve
from optimizer.deadline import MAX_TIME_LIMIT, Deadline, OutOfTime, check_time_limit
from optimizer.generate import solomon_like_instance
from optimizer.greedy import construct, due_order_fill, nearest_neighbour
from optimizer.moaco import construct_tours
from optimizer.model import PenaltyModel
from optimizer.problem import RoutingProblem, neighbour_lists, simplex_weights
from optimizer.search import Termination
from optimizer.solomon import read_solomon, write_solomon
from optimizer.solution import evaluate

REPO = Path(__file__).resolve().parents[2]


def _passed() -> Deadline:
    return Deadline(time.perf_counter() - 1.0)


def _served_once(inst, routes) -> bool:
    served = sorted(c for r in routes for c in r.customers)
    return served == list(range(1, inst.n_customers + 1))


@pytest.fixture(scope="module")
def solomon300():
    """A generated 300-customer instance in Solomon's form (hard windows, unit speed)."""
    return solomon_like_instance(300, np.random.default_rng(300))


# ---------------------------------------------------------------- the limit itself


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -1.0, 0.0, MAX_TIME_LIMIT * 1.01, 1e9, "soon"])
def test_absurd_time_limits_are_refused(bad, paper30):
    """NaN, infinite, non-positive, longer than a day or not a number: one ValueError naming the range."""
    with pytest.raises(ValueError, match=r"time limit must be .*seconds"):
        check_time_limit(bad)
    with pytest.raises(ValueError, match=r"time limit"):
        solve(paper30, time_limit=bad)
    with pytest.raises(ValueError, match=r"time limit"):
        Termination(None, bad)


def test_usable_time_limits_pass():
    """Positive finite limits up to a day pass as floats; None means no limit."""
    assert check_time_limit(1) == 1.0
    assert check_time_limit(MAX_TIME_LIMIT) == MAX_TIME_LIMIT
    assert check_time_limit(None) is None


# ---------------------------------------------------------------- the start plan


@pytest.mark.parametrize("name", ["paper30", "paper60", "c101", "r101"])
def test_construction_without_arrays_matches_the_kernel_arrays(name, request):
    """The nearest neighbour computed from coordinates gives the plan it gives on the kernels'
    (N, N) arrays, and the plain-Python evaluation the compiled one, bit for bit."""
    inst = request.getfixturevalue(name)
    fresh = inst.replace()  # a copy with no (N, N) arrays built
    assert not fresh.kernel_data_ready
    routes = nearest_neighbour(fresh)
    plain = evaluate(fresh, routes, compiled=False)
    assert not fresh.kernel_data_ready  # neither step needed them
    assert routes == nearest_neighbour(inst.replace(), None) == _with_arrays(inst)
    compiled = evaluate(fresh, routes)
    for a, b in zip(plain.routes, compiled.routes):
        assert (a.cost, a.emissions_kg, a.penalty, a.distance_km, a.duration, a.lateness, a.overload) == (
            b.cost,
            b.emissions_kg,
            b.penalty,
            b.distance_km,
            b.duration,
            b.lateness,
            b.overload,
        )
        for f in ("arrival", "service_start", "arc_load", "arc_km", "arc_kg"):
            assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert plain.problems == compiled.problems


def _with_arrays(inst):
    copy = inst.replace()
    copy.prepare_kernel_data()
    return nearest_neighbour(copy)


def test_python_evaluation_of_decoded_plans_matches(paper60):
    """Plans the search decodes (many routes, congestion, soft windows) evaluate identically both ways."""
    prob = RoutingProblem(paper60, ls_passes=2)
    rng = np.random.default_rng(7)
    batch = prob.decode(rng.random((6, paper60.n_customers)), simplex_weights(rng, 6, False))
    for i in range(6):
        routes = batch.routes(i)
        a, b = evaluate(paper60, routes, compiled=False), evaluate(paper60, routes)
        assert (a.cost, a.emissions_kg, a.penalty, a.distance_km) == (b.cost, b.emissions_kg, b.penalty, b.distance_km)


def test_construction_at_a_passed_deadline_still_serves_everyone(solomon300):
    """With the deadline already gone, the nearest neighbour stops at once and the due-date
    fill plans every customer, each once, within capacity and on time (hard windows)."""
    built = construct(solomon300, _passed())
    assert not built.completed
    assert _served_once(solomon300, built.routes)
    ev = evaluate(solomon300, built.routes)
    assert not [p for p in ev.problems if "late" in p or "capacity" in p]


def test_due_order_fill_soft_windows_serves_late_rather_than_never(paper30):
    """Soft windows: every customer gets a route even when its window is already closed."""
    late = paper30.replace(due=np.minimum(paper30.due, np.maximum(paper30.ready, 1.0)))
    routes = due_order_fill(late, np.arange(1, late.n_customers + 1))
    assert _served_once(late, routes)


def test_construction_completes_without_a_deadline(paper60):
    """No deadline: the nearest neighbour runs to the end."""
    built = construct(paper60)
    assert built.completed and _served_once(paper60, built.routes)


# ---------------------------------------------------------------- preparation and decoding


def test_neighbour_lists_equal_a_stable_full_sort(paper60):
    """The partial sort by row blocks picks what a stable argsort's first columns are, ties included."""
    inst = paper60.replace(x=np.round(paper60.x), y=np.round(paper60.y))  # equal distances: ties
    for size in (1, 5, 20, inst.n_customers - 1):
        got = neighbour_lists(inst, size)
        kd = inst.kernel_data
        arrive = inst.ready[:, None] + inst.service[:, None] + kd.arcs[1]
        wait = np.maximum(inst.ready[None, :] - (inst.due[:, None] + inst.service[:, None] + kd.arcs[1]), 0.0)
        late = np.maximum(arrive - inst.due[None, :], 0.0)
        prox = inst.distance + 0.2 * wait + 1.0 * late
        np.fill_diagonal(prox, np.inf)
        prox[:, 0] = np.inf
        k = max(1, min(size, inst.n_customers - 1))
        want = np.argsort(prox[1:], axis=1, kind="stable")[:, :k]
        assert np.array_equal(got[1:], want), size


def test_preparation_stops_at_the_deadline_and_leaves_the_instance_unchanged(paper60):
    """RoutingProblem at a passed deadline raises OutOfTime before building anything."""
    inst = paper60.replace()
    with pytest.raises(OutOfTime, match="arc arrays"):
        RoutingProblem(inst, deadline=_passed())
    assert not inst.kernel_data_ready


def test_decode_with_room_is_the_decode_without_a_deadline(paper60):
    """A deadline that leaves room changes nothing: same rows, bit for bit, all decoded."""
    prob = RoutingProblem(paper60, ls_passes=5)
    rng = np.random.default_rng(2)
    X, W = rng.random((7, paper60.n_customers)), simplex_weights(rng, 7, False)
    free = prob.decode(X, W)
    timed = RoutingProblem(paper60, ls_passes=5).decode(X, W, deadline=Deadline.after(120))
    assert np.array_equal(free.records, timed.records) and np.array_equal(free.tours, timed.tours)


def test_decode_at_a_passed_deadline_decodes_nothing_and_says_so(paper60):
    """No row is started once the deadline has passed; the batch is empty and cut_short set."""
    prob = RoutingProblem(paper60)
    rng = np.random.default_rng(2)
    batch = prob.decode(rng.random((5, paper60.n_customers)), simplex_weights(rng, 5, False), deadline=_passed())
    assert len(batch.keys) == 0 and prob.cut_short and prob.evaluations == 0


def test_decode_does_not_start_rows_it_expects_to_miss(paper60):
    """Once every level is measured (Split, one sweep, full sweeps), a deadline shorter than
    one full wave decodes no further row."""
    prob = RoutingProblem(paper60)
    rng = np.random.default_rng(3)
    X, W = rng.random((4, paper60.n_customers)), simplex_weights(rng, 4, False)
    prob.decode(X, W, ls_passes=1, deadline=Deadline.after(120))  # measures Split and one sweep
    prob.decode(X, W, deadline=Deadline.after(120))  # and the full sweeps
    per_wave = prob._estimate(prob.ls_passes)
    assert per_wave > 0
    before = prob.evaluations
    batch = prob.decode(X, W, deadline=Deadline.after(per_wave * 0.5))
    assert len(batch.keys) == 0 and prob.evaluations == before and prob.cut_short


def test_colony_gives_up_when_its_ants_cannot_finish(paper60):
    """construct_tours returns None at a passed deadline (after its first few steps) instead of finishing."""
    n1 = paper60.n_customers + 1
    tau = np.full((n1, n1), 1.0 / n1)
    eta = 1.0 / np.maximum(paper60.distance, 1e-3)
    lam = np.full(4, 0.5)
    assert construct_tours(tau, tau.copy(), eta, lam, np.random.default_rng(0), deadline=_passed()) is None
    tours = construct_tours(tau, tau.copy(), eta, lam, np.random.default_rng(0), deadline=Deadline.after(120))
    assert tours.shape == (4, paper60.n_customers)


# ---------------------------------------------------------------- solve


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_tiny_limit_returns_the_start_plan_serving_everyone(algorithm, solomon300):
    """1 ms is too short for any search: each algorithm returns one plan, says why, and the
    plan serves every customer once."""
    front = solve(solomon300, algorithm=algorithm, seed=1, time_limit=1e-3)
    assert len(front.solutions) == 1 and front.iterations == 0
    assert front.fallback and "time limit" in front.fallback
    assert _served_once(solomon300, front.best.routes)
    assert front.seconds < 1e-3 + 5.0  # reported by the solver itself; generous on a shared machine


def test_without_a_limit_nothing_falls_back(paper30):
    """An iteration budget alone runs the search as before: no fallback, iterations done."""
    front = solve(paper30, seed=1, iterations=2, population=6)
    assert front.fallback is None and front.iterations == 2


def test_json_writes_null_for_figures_that_overflow(tmp_path):
    """Coordinates so large that distances overflow: strict JSON, null figures, the plan infeasible."""
    inst = solomon_like_instance(8, np.random.default_rng(1))
    # soft windows, so the plan has routes at all (every arrival is infinitely late)
    inst = inst.replace(x=inst.x * 1e306, y=inst.y * 1e306, penalty=PenaltyModel(hard_windows=False))
    with np.errstate(over="ignore", invalid="ignore"):
        front = solve(inst, algorithm="greedy")
    assert not front.best.evaluation.feasible
    assert any("not a finite number" in p for p in front.best.evaluation.problems)

    def no_constants(token):
        raise AssertionError(f"non-JSON token {token}")

    doc = json.loads(front.to_json(), parse_constant=no_constants)
    sol = doc["solutions"][0]
    assert sol["feasible"] is False and None in (sol["cost"], sol["distance_km"])
    path = tmp_path / "f.json"
    front.write_json(path)
    json.loads(path.read_text(), parse_constant=no_constants)


def test_write_solomon_round_trips(tmp_path, solomon300):
    """A generated instance written in Solomon's form reads back with the same data."""
    path = tmp_path / "s300.txt"
    write_solomon(solomon300, path)
    back = read_solomon(path)
    for f in ("x", "y", "demand", "ready", "due", "service", "customer_ids"):
        assert np.array_equal(getattr(back, f), getattr(solomon300, f)), f
    assert back.vehicle_types[0].count == solomon300.vehicle_types[0].count


# ---------------------------------------------------------------- the command, cold and warm


def _route(path: Path, limit: float, env: dict) -> tuple[float, dict, str]:
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "sim.cli", "route", str(path), "-t", str(limit), "--json", "-"],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=300,
        check=False,
    )
    wall = time.perf_counter() - t
    assert res.returncode == 0, res.stderr
    return wall, json.loads(res.stdout), res.stderr


def test_route_on_an_empty_numba_cache_returns_within_its_limit(tmp_path, solomon300):
    """First use on a machine: compiling the kernels takes about 40 s, and used to be spent
    before a -t 3 run even started. Now the command returns the start plan, says why (the
    kernels not ready, or on a loaded machine the start plan itself cut short), and ends long
    before a compilation could have (generous bound: 15 s)."""
    path = tmp_path / "s300.txt"
    write_solomon(solomon300, path)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"), PYTHONPATH=str(REPO))
    wall, doc, err = _route(path, 3.0, env)
    assert doc["fallback"] and doc["iterations"] == 0 and f"note: {doc['fallback']}" in err
    assert sorted(c for r in doc["solutions"][0]["routes"] for c in r["customers"]) == list(range(1, 301))
    assert wall < 15.0
