"""The engine's entry point: a scalarised or distance-only plan for an instance."""

from __future__ import annotations

import numpy as np

from ..instance import RoutingInstance
from ..solution import Evaluation, Route, evaluate
from .hgs import HGSParams, hgs
from .objective import objective_vector


def solve_scalar(
    instance: RoutingInstance,
    weights: tuple[float, float] | None = (1.0, 0.0),
    time_limit: float | None = None,
    seed: int | np.random.Generator = 0,
    *,
    iterations: int | None = None,
    distance_only: bool = False,
    params: HGSParams | None = None,
) -> tuple[list[Route], Evaluation]:
    """Best plan found by the engine's HGS for one scalarised objective.

    ``weights`` = (w_cost, w_co2): the value minimised is w_cost x (cost + eq. 7 penalty)
    + w_co2 x kg CO2. With ``distance_only`` the value is km (the Solomon / Gehring-Homberger
    convention) and ``weights`` is ignored. The run stops at ``time_limit`` seconds or after
    ``iterations`` children, whichever comes first; ``seed`` is an int or a numpy Generator
    (the only source of randomness). Returns the routes (non-empty, fleet counts respected)
    and their exact evaluation by :func:`optimizer.solution.evaluate`; the evaluation says
    whether the plan is feasible (no feasible plan may exist with hard windows).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    kd = instance.kernel_data
    if distance_only:
        obj0 = objective_vector(kd, w_cost=0.0, w_emis=0.0, w_dist=1.0, pen_load=0.0, pen_tw=0.0)
    else:
        if weights is None:
            raise ValueError("weights = None is only for distance_only=True; give (w_cost, w_co2)")
        wc, we = weights
        obj0 = objective_vector(kd, w_cost=wc, w_emis=we, w_dist=0.0, pen_load=0.0, pen_tw=0.0)
    best = hgs(instance, obj0, rng=rng, time_limit=time_limit, iterations=iterations, params=params)
    slot_type = np.repeat(np.arange(len(instance.vehicle_types)), [v.count for v in instance.vehicle_types])
    routes = [
        Route(int(slot_type[r]), tuple(int(c) for c in best.routes[r, 1 : 1 + best.rlen[r]]))
        for r in range(best.rlen.size)
        if best.rlen[r] > 0
    ]
    return routes, evaluate(instance, routes)
