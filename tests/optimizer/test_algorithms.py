"""One registry of algorithms (issue 12, item 5): what solve, the CLI, the scenario schema and
the dispatcher offer is read from it, and every algorithm can route a simulated wave."""

from __future__ import annotations

import subprocess
import sys
import typing

import numpy as np
import pytest

from optimizer import ALGORITHMS, paper_instance, solve
from optimizer.algorithms import ALGORITHM_NAMES, algorithm


def test_the_registry_is_what_every_chooser_offers():
    from sim.cli import route
    from sim.scenario import RoutingConfig

    assert ALGORITHM_NAMES == tuple(ALGORITHMS) and ALGORITHM_NAMES[0] == "mogwo"
    option = next(p for p in route.params if p.name == "algorithm")
    assert tuple(option.type.choices) == ALGORITHM_NAMES
    hints = typing.get_type_hints(RoutingConfig)
    assert typing.get_args(hints["policy"]) == ALGORITHM_NAMES
    with pytest.raises(ValueError, match="unknown algorithm 'tabu'; choose one of mogwo, nsga2, mopso, moaco, greedy"):
        algorithm("tabu")
    with pytest.raises(TypeError):
        ALGORITHMS["tabu"] = ALGORITHMS["mogwo"]  # read-only


def test_importing_the_registry_does_not_load_numba():
    code = "import sys, optimizer.algorithms; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", ALGORITHM_NAMES)
def test_every_algorithm_solves_and_names_itself(name):
    inst = paper_instance(12, np.random.default_rng(3))
    front = solve(inst, algorithm=name, seed=1, iterations=2, population=6)
    assert front.algorithm == name and front.solutions
    served = sorted(int(c) for r in front.best.routes for c in r.customers)
    assert served == list(range(1, inst.n_customers + 1))
    assert ALGORITHMS[name].searches == (name != "greedy")
