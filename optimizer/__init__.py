"""carbonsim's router: green multi-objective vehicle routing with time windows.

The public API::

    from optimizer import read_solomon, solve
    front = solve(read_solomon("tests/data/solomon/C101.txt"), seed=1, time_limit=10)
    front.best.evaluation.emissions_kg

See :func:`optimizer.api.solve` for the algorithms and their options.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Public name -> the module that defines it, imported on first use (PEP 562): the scenario
#: schema needs the vehicle types of :mod:`optimizer.model`, not numba's compiler.
_EXPORTS = {
    "ALGORITHMS": "algorithms",
    "AlgorithmSpec": "algorithms",
    "ParetoFront": "api",
    "PlanSolution": "api",
    "choose_plan": "api",
    "solve": "api",
    "paper_instance": "generate",
    "InstanceError": "instance",
    "RoutingInstance": "instance",
    "HEAVY_TRUCK": "model",
    "LIGHT_TRUCK": "model",
    "MEDIUM_TRUCK": "model",
    "ROAD_GRADES": "model",
    "CongestionProfile": "model",
    "PenaltyModel": "model",
    "RoadGrade": "model",
    "VehicleType": "model",
    "Weights": "model",
    "read_sintef_solution": "solomon",
    "read_solomon": "solomon",
    "Evaluation": "solution",
    "Route": "solution",
    "evaluate": "solution",
    "routes_from_ids": "solution",
    "read_instance": "vrplib_io",
    "read_vrplib": "vrplib_io",
    "read_vrplib_solution": "vrplib_io",
}

__all__ = list(_EXPORTS)

if TYPE_CHECKING:
    from .algorithms import ALGORITHMS, AlgorithmSpec
    from .api import ParetoFront, PlanSolution, choose_plan, solve
    from .generate import paper_instance
    from .instance import InstanceError, RoutingInstance
    from .model import (
        HEAVY_TRUCK,
        LIGHT_TRUCK,
        MEDIUM_TRUCK,
        ROAD_GRADES,
        CongestionProfile,
        PenaltyModel,
        RoadGrade,
        VehicleType,
        Weights,
    )
    from .solomon import read_sintef_solution, read_solomon
    from .solution import Evaluation, Route, evaluate, routes_from_ids
    from .vrplib_io import read_instance, read_vrplib, read_vrplib_solution


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
