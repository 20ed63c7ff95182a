"""carbonsim's simulation: the SimPy platform world, scenarios, the event log and the CLI.

::

    from sim import Scenario, run
    summary = run(Scenario.from_file("scenarios/baseline.toml"), db_path="run.db", seed=1)
    print(summary.kg_co2e_per_order, summary.on_time_share)

Every state change of a run is a row of the SQLite event log (:mod:`sim.log.eventlog`); the
summary and ``carbonsim check`` (:mod:`sim.analysis.check`) are computed from that log alone.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

#: Public name -> the module that defines it. Imported on first use (PEP 562), so that
#: ``carbonsim --help`` or reading a log does not pay for numba, SimPy and the router.
_EXPORTS = {
    "CheckResult": "analysis.check",
    "check_run": "analysis.check",
    "EventLog": "log.eventlog",
    "RunStatus": "log.eventlog",
    "Scenario": "scenario",
    "ScenarioError": "scenario",
    "Simulation": "simulation",
    "run": "simulation",
    "RunSummary": "analysis.summary",
    "summarize": "analysis.summary",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from sim.analysis.check import CheckResult, check_run
    from sim.analysis.summary import RunSummary, summarize
    from sim.log.eventlog import EventLog, RunStatus
    from sim.scenario import Scenario, ScenarioError
    from sim.simulation import Simulation, run


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
