"""carbonsim's simulation: the SimPy platform world, scenarios, the event log and the CLI.

::

    from sim import Scenario, run
    summary = run(Scenario.from_file("scenarios/baseline.toml"), db_path="run.db", seed=1)
    print(summary.kg_co2e_per_order, summary.on_time_share)

Every state change of a run is a row of the SQLite event log (:mod:`sim.eventlog`); the
summary and ``carbonsim check`` (:mod:`sim.check`) are computed from that log alone.
"""

from .check import CheckResult, check_run
from .eventlog import EventLog, RunStatus
from .scenario import Scenario, ScenarioError
from .simulation import Simulation, run
from .summary import RunSummary, summarize

__all__ = [
    "CheckResult",
    "EventLog",
    "RunStatus",
    "RunSummary",
    "Scenario",
    "ScenarioError",
    "Simulation",
    "check_run",
    "run",
    "summarize",
]
