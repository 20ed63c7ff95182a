"""Tests for optimizer.api: choosing the plan, the JSON form of a front, and solve()'s modes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from optimizer import reference
from optimizer.api import ParetoFront, choose_plan, solve
from optimizer.model import Weights
from optimizer.solomon import read_solomon

TOP_KEYS = {
    "format_version",
    "instance",
    "source",
    "algorithm",
    "seed",
    "seconds",
    "iterations",
    "evaluations",
    "fallback",
    "solutions",
}
SOLUTION_KEYS = {"cost", "emissions_kg", "penalty", "distance_km", "vehicles", "feasible", "chosen", "routes"}
ROUTE_KEYS = {"vehicle_type", "customers"}

# ---------------------------------------------------------------- choose_plan


def test_choose_weights_folds_penalty_into_cost():
    """Weights (0.6, 0.4): the penalty counts as cost, so the cheap but late plan loses to the punctual one."""
    # Plans (C, E, T): A (100, 20, 100), B (150, 22, 0), C (300, 10, 0).
    # C + T = 200, 150, 300 -> normalised 1/3, 0, 1; E -> 10/12, 1, 0.
    # Scores 0.6 (C+T)~ + 0.4 E~: A 0.2 + 0.333 = 0.533, B 0 + 0.4 = 0.4, C 0.6 + 0 = 0.6 -> B.
    F = np.array([[100.0, 20.0, 100.0], [150.0, 22.0, 0.0], [300.0, 10.0, 0.0]])
    assert choose_plan(F, Weights(0.6, 0.4)) == 1
    assert choose_plan(F) == 1  # the defaults are (0.6, 0.4, penalty 1)


def test_choose_weights_without_penalty():
    """With the penalty weight 0 the same front picks the cheapest plan A."""
    # C = 100, 150, 300 -> 0, 0.25, 1; scores A 0 + 0.333, B 0.15 + 0.4, C 0.6 -> A.
    F = np.array([[100.0, 20.0, 100.0], [150.0, 22.0, 0.0], [300.0, 10.0, 0.0]])
    assert choose_plan(F, Weights(0.6, 0.4, penalty=0.0)) == 0


def test_choose_weights_emissions_only():
    """Weights (0, 1) pick the lowest-emission plan."""
    F = np.array([[100.0, 20.0, 100.0], [150.0, 22.0, 0.0], [300.0, 10.0, 0.0]])
    assert choose_plan(F, Weights(0.0, 1.0)) == 2


def test_choose_knee_nearest_ideal():
    """knee picks the plan nearest the ideal point in the normalised space: (4, 4) between (0, 10) and (10, 0)."""
    F = np.array([[0.0, 10.0, 0.0], [10.0, 0.0, 0.0], [4.0, 4.0, 0.0]])
    assert choose_plan(F, method="knee") == 2
    F = np.array([[0.0, 10.0, 5.0], [10.0, 0.0, 5.0], [6.0, 7.0, 5.0]])  # (0.6, 0.7): 0.92 < 1
    assert choose_plan(F, method="knee") == 2
    F = np.array([[0.0, 10.0, 0.0], [10.0, 0.0, 0.0], [8.0, 8.0, 0.0]])  # (0.8, 0.8): 1.13 > 1 -> an extreme
    assert choose_plan(F, method="knee") == 0


def test_choose_ties_go_to_lower_cost():
    """Two plans at the same distance from the ideal: the cheaper one is chosen."""
    F = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert choose_plan(F, method="knee") == 1


def test_choose_single_plan():
    """A front of one plan returns index 0 whatever the method."""
    F = np.array([[5.0, 3.0, 1.0]])
    assert choose_plan(F) == 0
    assert choose_plan(F, method="knee") == 0


def test_choose_unknown_method():
    """An unknown method raises ValueError."""
    with pytest.raises(ValueError, match="knee"):
        choose_plan(np.array([[1.0, 2.0, 0.0], [2.0, 1.0, 0.0]]), method="best")


# ---------------------------------------------------------------- to_dict / JSON


@pytest.fixture(scope="module")
def renumbered(tmp_path_factory, data):
    """The first 25 customers of C101 written to a file with ids 1001..1025 (depot 0)."""
    lines = (data / "solomon" / "C101.txt").read_text().splitlines()
    head = lines[:10]  # name .. header, blank, depot row
    assert head[-1].split()[0] == "0"
    rows = []
    for ln in lines[10:35]:
        parts = ln.split()
        parts[0] = str(1000 + int(parts[0]))
        rows.append("  ".join(parts))
    path = tmp_path_factory.mktemp("renumbered") / "C101_25.txt"
    path.write_text("\n".join(head + rows) + "\n")
    return read_solomon(path)


@pytest.fixture(scope="module")
def front(renumbered) -> ParetoFront:
    return solve(renumbered, seed=3, iterations=2, population=8)


def test_to_dict_has_documented_keys(front):
    """to_dict has exactly the documented top-level, solution and route keys, and JSON-serialises."""
    d = front.to_dict()
    assert set(d) == TOP_KEYS
    assert d["format_version"] == 1
    assert d["algorithm"] == "mogwo" and d["seed"] == 3 and d["iterations"] == 2
    assert d["instance"] == "C101" and d["source"] == str(front.instance.source)
    assert d["evaluations"] == (8 + 2) * 3  # the pack and the engine's 2 children, 3 times
    assert len(d["solutions"]) == len(front.solutions) >= 1
    for s in d["solutions"]:
        assert set(s) == SOLUTION_KEYS
        for r in s["routes"]:
            assert set(r) == ROUTE_KEYS
            assert r["vehicle_type"] == front.instance.vehicle_types[0].name
    assert json.loads(json.dumps(d)) == d


def test_write_json_round_trip(front, tmp_path):
    """write_json writes the same content as to_dict."""
    path = tmp_path / "front.json"
    front.write_json(path)
    assert json.loads(path.read_text()) == json.loads(json.dumps(front.to_dict()))


def test_exactly_one_chosen(front):
    """Exactly one solution is marked chosen, the one at ParetoFront.chosen."""
    sols = front.to_dict()["solutions"]
    flags = [s["chosen"] for s in sols]
    assert flags.count(True) == 1
    assert flags.index(True) == front.chosen
    assert front.chosen == choose_plan(front.F)


def test_json_customers_numbered_as_in_file(front, renumbered):
    """Route customers are the file's ids (1001..1025), each served once per plan."""
    for s in front.to_dict()["solutions"]:
        ids = sorted(c for r in s["routes"] for c in r["customers"])
        assert ids == list(range(1001, 1026))


def test_json_routes_reevaluate_with_the_twin(front, renumbered):
    """Re-evaluating each JSON plan with reference.evaluate_route reproduces its cost, emissions, penalty and distance."""
    inst = renumbered
    names = [v.name for v in inst.vehicle_types]
    index = {int(cid): i for i, cid in enumerate(inst.customer_ids)}
    for s in front.to_dict()["solutions"]:
        totals = np.zeros(4)
        for r in s["routes"]:
            tr = reference.evaluate_route(inst, [index[c] for c in r["customers"]], names.index(r["vehicle_type"]))
            totals += [tr.cost, tr.emissions_kg, tr.penalty, tr.distance_km]
        assert_allclose(totals, [s["cost"], s["emissions_kg"], s["penalty"], s["distance_km"]], rtol=1e-9)
        assert s["vehicles"] == len(s["routes"])
        assert s["feasible"] is True


def test_solve_knee_choice(renumbered):
    """solve(choose='knee') marks the plan choose_plan picks by the knee rule."""
    f = solve(renumbered, seed=3, iterations=1, population=6, choose="knee")
    assert f.chosen == choose_plan(f.F, method="knee")


# ---------------------------------------------------------------- solve modes


def test_greedy_serves_all_customers_on_c101(c101):
    """solve(algorithm='greedy') returns one feasible plan serving all 100 C101 customers."""
    f = solve(c101, algorithm="greedy")
    assert len(f.solutions) == 1 and f.chosen == 0
    plan = f.best
    assert sorted(c for r in plan.routes for c in r.customers) == list(range(1, 101))
    assert plan.evaluation.feasible, plan.evaluation.problems
    assert plan.evaluation.vehicles <= 25
    d = f.to_dict()
    assert d["algorithm"] == "greedy" and len(d["solutions"]) == 1 and d["solutions"][0]["chosen"] is True


def test_solve_rejects_unknown_algorithm(c101):
    """An unknown algorithm name raises ValueError listing the choices."""
    with pytest.raises(ValueError, match="mogwo"):
        solve(c101, algorithm="simulated_annealing")
