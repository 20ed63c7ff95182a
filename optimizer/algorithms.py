"""The registry of search algorithms: one entry per algorithm, read by everything that
offers a choice of them (``solve``, ``carbonsim route``, the scenario's ``routing.policy``,
the dispatcher, the benchmarks), so a new algorithm is one module and one line here.

Importing this module is cheap: each algorithm's module (and numba) is imported only when
the algorithm runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from .problem import RoutingProblem
    from .search import Callbacks, SearchResult, Termination


#: ``driver(problem, rng, population, term, callbacks) -> SearchResult``
Driver = Callable[["RoutingProblem", "np.random.Generator", "int | None", "Termination", "Callbacks"], "SearchResult"]


@dataclass(frozen=True)
class AlgorithmSpec:
    """One algorithm: its name, a line for help texts, and its driver (None for a
    constructive heuristic that returns one plan without searching)."""

    name: str
    summary: str
    driver: Driver | None

    @property
    def searches(self) -> bool:
        """Whether it searches (a front, a time or iteration budget) or builds one plan."""
        return self.driver is not None


# The drivers import their module when called, so the registry costs nothing to import.
def _mogwo(problem, rng, population, term, callbacks):
    from .mogwo import MOGWOParams, mogwo

    params = MOGWOParams(population=population or 100, iterations=term.iterations or 200)
    return mogwo(problem, rng, params, term, callbacks)


def _nsga2(problem, rng, population, term, callbacks):
    from .nsga2 import nsga2

    return nsga2(problem, rng, population or 100, term, callbacks)


def _mopso(problem, rng, population, term, callbacks):
    from .mopso import mopso

    return mopso(problem, rng, population or 100, term, callbacks)


def _moaco(problem, rng, population, term, callbacks):
    from .moaco import moaco

    return moaco(problem, rng, population or 100, term, callbacks)


#: Every algorithm by name, in the order help texts list them (the first is the default).
ALGORITHMS: Mapping[str, AlgorithmSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            AlgorithmSpec("mogwo", "multi-objective grey wolf optimizer (the paper's algorithm)", _mogwo),
            AlgorithmSpec("nsga2", "NSGA-II on the same decoding", _nsga2),
            AlgorithmSpec("mopso", "multi-objective particle swarm", _mopso),
            AlgorithmSpec("moaco", "multi-objective ant colony", _moaco),
            AlgorithmSpec("greedy", "nearest-neighbour baseline: one plan, no search", None),
        )
    }
)

#: The names, as a tuple (for ``Literal`` types and CLI choices).
ALGORITHM_NAMES: tuple[str, ...] = tuple(ALGORITHMS)


def algorithm(name: str) -> AlgorithmSpec:
    """The spec of ``name``; ValueError listing the known ones otherwise."""
    try:
        return ALGORITHMS[name]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}") from None
