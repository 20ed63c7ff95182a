"""carbonsim's router: green multi-objective vehicle routing with time windows.

The public API::

    from optimizer import read_solomon, solve
    front = solve(read_solomon("tests/data/solomon/C101.txt"), seed=1, time_limit=10)
    front.best.evaluation.emissions_kg

See :func:`optimizer.api.solve` for the algorithms and their options.
"""

from .api import ALGORITHMS, ParetoFront, PlanSolution, choose_plan, solve
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

__all__ = [
    "ALGORITHMS",
    "ParetoFront",
    "PlanSolution",
    "choose_plan",
    "solve",
    "paper_instance",
    "InstanceError",
    "RoutingInstance",
    "HEAVY_TRUCK",
    "LIGHT_TRUCK",
    "MEDIUM_TRUCK",
    "ROAD_GRADES",
    "CongestionProfile",
    "PenaltyModel",
    "RoadGrade",
    "VehicleType",
    "Weights",
    "read_sintef_solution",
    "read_solomon",
    "Evaluation",
    "Route",
    "evaluate",
    "routes_from_ids",
]
