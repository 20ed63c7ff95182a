"""Column names of the arrays the kernels read (:class:`optimizer.instance.KernelData`).

Defined here once: :meth:`optimizer.instance.RoutingInstance.prepare_kernel_data` builds the
arrays with these names and :mod:`optimizer.kernels` reads them with the same names, so a
column is never an unexplained number. This module imports nothing, so the instance (and
the scenario schema behind it) can use it without loading numba.

numba reads module-level ints as compile-time constants and writes them into the compiled
kernels. Its cache only notices changes to the file a kernel is defined in, so after
changing a value here, clear the numba cache (``__pycache__/*.nbi``, ``*.nbc``) or touch
optimizer/kernels.py.
"""

from __future__ import annotations

#: ``nodes``, shape (N, NODE_FIELDS): one row per node (0 is the depot). DEMAND is in
#: capacity units (optimizer.units), VOLUME in m³ (0 where an instance has no volumes).
DEMAND, READY, DUE, SERVICE, VOLUME = range(5)
NODE_FIELDS = 5

#: ``arcs``, shape (ARC_FIELDS, N, N): one (N, N) plane per quantity of arc i -> j. KM is
#: road km, MINUTES the free-flow travel time (before congestion), EMISSION_FACTOR and
#: COST_FACTOR the road grade's multipliers g_r on the vehicle's kg per km and cost per km.
KM, MINUTES, EMISSION_FACTOR, COST_FACTOR = range(4)
ARC_FIELDS = 4

#: ``veh``, shape (K, VEH_FIELDS): one row per vehicle type. CAPACITY_M3 is the volume
#: capacity in m³, infinite for a type without one (Solomon / VRPLIB fleets); BATTERY_KWH the
#: energy a route may use (infinite without a battery), KWH_EMPTY / KWH_FULL the kWh per km
#: empty and at full load (times the grade factor g_r, as the kg).
CAPACITY, COUNT, EMPTY_KG_PER_KM, FULL_KG_PER_KM, COST_PER_KM, FIXED_COST, COST_PER_MINUTE = range(7)
CAPACITY_M3, BATTERY_KWH, KWH_EMPTY, KWH_FULL = range(7, 11)
VEH_FIELDS = 11

#: ``cfg``, shape (CFG_FIELDS,): eq. 7 weights, hard windows (1.0) or soft (0.0), and the
#: congestion clock (period length in minutes, minute of the day at time 0, period count).
LATE_WEIGHT, EARLY_WEIGHT, HARD_WINDOWS, PERIOD_MINUTES, START_MINUTE, PERIODS = range(6)
CFG_FIELDS = 6

#: The totals record of :func:`optimizer.kernels.solution_eval`, shape (TOTAL_FIELDS,):
#: cost, kg CO2, eq. 7 penalty, km, load over capacity (weight and volume, kernels.excess), lateness, vehicles over the fleet's
#: counts. Same values as ``optimizer.problem.OBJ_*`` (a test keeps them equal).
TOTAL_COST, TOTAL_EMIS, TOTAL_PEN, TOTAL_DIST, TOTAL_OVERLOAD, TOTAL_LATE, TOTAL_FLEET = range(7)
TOTAL_FIELDS = 7
