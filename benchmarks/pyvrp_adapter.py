"""PyVRP side by side: solve a carbonsim RoutingInstance with PyVRP and re-score its plan.

PyVRP (Wouda, Lan and Kool, 2024; ``pip install 'carbonsim[bench]'``) is the state of the
art for the plain VRPTW, so every quality figure in benchmarks/ is a ratio to a PyVRP run
made in the same process, at the same budget, on the same machine.

What PyVRP is given, and what it cannot see
-------------------------------------------
PyVRP optimises **distance/duration cost only**: per vehicle type a fixed cost, a cost per
distance unit and a cost per duration unit, with capacities, hard time windows and fleet
counts. It has **no load-dependent emissions** (its issue #1022: the cost of an arc cannot
depend on the load carried) and **no time-dependent travel times** (#867: one duration per
arc whatever the time of day). So:

* distance matrix = road km x the arc's grade cost factor (1 for Solomon/VRPLIB files),
  duration matrix = free-flow travel time (congestion ignored), unit distance cost =
  the type's cost per km, unit duration cost = its cost per minute, fixed cost as ours;
* time windows are hard in PyVRP even when the instance's windows are soft (a stricter
  problem than ours for soft-window instances);
* PyVRP works in integers: distances and times are multiplied by ``scale`` (default 1000).
  Travel times are rounded **up** and latest start times **down**, so a plan PyVRP
  finds feasible is feasible in real numbers too (its times bound ours from above);
  distances and costs are rounded to nearest, only steering PyVRP's search.

The plan PyVRP returns is then **re-scored by our exact evaluator**
(:func:`optimizer.solution.evaluate`: cost, kg CO2 at the loads carried, congestion,
penalty), and returned as a one-plan :class:`optimizer.api.ParetoFront`, so the benchmark
scripts read it like any algorithm's front.
"""

from __future__ import annotations

import math
import time

import numpy as np

from optimizer.api import ParetoFront, PlanSolution
from optimizer.instance import RoutingInstance
from optimizer.solution import Route, evaluate

INSTALL_HINT = "PyVRP is not installed: pip install 'carbonsim[bench]'"


def _pyvrp():
    """Import PyVRP, or fail with the install command."""
    try:
        import pyvrp
        import pyvrp.stop
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(INSTALL_HINT) from exc
    return pyvrp


def to_problem_data(instance: RoutingInstance, scale: int = 1000):
    """The instance as a ``pyvrp.ProblemData`` (see the module docstring for what is kept).

    Location 0 is the depot and location ``i`` our node ``i``; PyVRP's client ``i - 1``.
    """
    pyvrp = _pyvrp()
    kd = instance.kernel_data
    big = np.iinfo(np.int64).max // 4
    dist = np.rint(kd.arcs[0] * kd.arcs[3] * scale).astype(np.int64)
    dur = np.ceil(kd.arcs[1] * scale - 1e-9).astype(np.int64)
    np.fill_diagonal(dist, 0)
    np.fill_diagonal(dur, 0)
    up = lambda v: int(math.ceil(v * scale - 1e-9))  # noqa: E731
    down = lambda v: min(int(math.floor(v * scale + 1e-9)), big)  # noqa: E731
    locations = [pyvrp.Location(float(x), float(y)) for x, y in zip(instance.x, instance.y)]
    depot = pyvrp.Depot(0, tw_early=up(instance.ready[0]), tw_late=down(instance.due[0]))
    clients = [
        pyvrp.Client(
            i,
            delivery=[int(round(instance.demand[i] * scale))],
            service_duration=up(instance.service[i]),
            tw_early=up(instance.ready[i]),
            tw_late=down(instance.due[i]),
            name=str(int(instance.customer_ids[i])),
        )
        for i in range(1, instance.n_customers + 1)
    ]
    vehicle_types = [
        pyvrp.VehicleType(
            num_available=int(v.count),
            capacity=[int(round(v.capacity * scale))],
            fixed_cost=int(round(v.fixed_cost * scale)),
            tw_early=up(instance.ready[0]),
            tw_late=down(instance.due[0]),
            unit_distance_cost=max(int(round(v.cost_per_km * 10)), 0),
            unit_duration_cost=max(int(round(v.cost_per_minute * 10)), 0),
            name=v.name,
        )
        for v in instance.vehicle_types
        if v.count > 0
    ]
    return pyvrp.ProblemData(locations, clients, [depot], vehicle_types, [dist], [dur])


def solve_pyvrp(instance: RoutingInstance, *, seed: int = 0, time_limit: float = 10.0, scale: int = 1000) -> ParetoFront:
    """Run PyVRP for ``time_limit`` seconds and return its best plan, re-scored by our evaluator.

    ``seconds`` includes building the ProblemData; ``iterations`` is PyVRP's iteration count.
    """
    pyvrp = _pyvrp()
    t0 = time.perf_counter()
    data = to_problem_data(instance, scale)
    # vehicle types with count 0 are not passed to PyVRP: map its type index back to ours
    type_index = [k for k, v in enumerate(instance.vehicle_types) if v.count > 0]
    result = pyvrp.solve(data, stop=pyvrp.stop.MaxRuntime(time_limit), seed=seed, display=False)
    routes = []
    for r in result.best.routes():
        # client activities count clients from 0; our node i is PyVRP's client i - 1
        visits = tuple(int(a.idx) + 1 for a in r if a.is_client())
        if visits:
            routes.append(Route(type_index[r.vehicle_type()], visits))
    routes = tuple(routes)
    ev = evaluate(instance, routes)
    iters = getattr(result, "num_iterations", 0)
    return ParetoFront(instance, "pyvrp", seed, time.perf_counter() - t0, int(iters), int(iters), (PlanSolution(routes, ev),), 0)
