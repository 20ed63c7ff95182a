"""Scenario files: the schema of a simulation run, loading, ``extends`` and ``--set``.

A scenario is one TOML file whose tables mirror the frozen dataclasses below
(``[simulation]`` -> :class:`SimulationConfig`, ``[routing]`` -> :class:`RoutingConfig`, ...). Every
field has a default, so an empty file is a valid scenario (the defaults *are* the shipped
``scenarios/baseline.toml``), and every field declares its unit and allowed values in its
metadata, which also generates the field reference in ``scenarios/README.md``.

Loading::

    from sim.scenario import Scenario
    s = Scenario.from_file("scenarios/green.toml", ["routing.w2=0.8"])
    s.routing.policy, s.canonical_hash()

* ``extends = "baseline.toml"`` (top level, resolved relative to the file, recursively,
  cycles rejected): the child states only what differs; tables merge key by key, any
  other value (arrays included) replaces the parent's.
* overrides ``table.key=VALUE`` are applied after the chain, like a tiny last child
  file. VALUE is TOML (``0.8``, ``true``, ``"mogwo"``, ``[1, 2]``, ``{x = 1}``); a bare word
  that is not valid TOML is taken as a string, so ``routing.policy=mogwo`` works. An
  element of an array of tables is addressed as ``fleet.vehicles[0].count=3``.
* validation is strict: unknown tables and keys, wrong types (an integer is accepted
  where a number is expected, nothing else is converted; booleans are not integers),
  values out of range and bad choices are all reported in one :class:`ScenarioError`,
  one line per problem, each naming the file that stated the value, the dotted field,
  the value and what is allowed.

Constructing the dataclasses directly (or with ``.replace()``) runs the same checks in
``__post_init__``, so an invalid scenario cannot exist in memory either.

The package, one job a module: :mod:`.schema` (the tables and :class:`Scenario`),
:mod:`.fields` (field metadata, strict coercion and range checks: the validation engine),
:mod:`.problems` (:class:`Problem`, :class:`ScenarioError`), :mod:`.loading` (files,
``extends``, provenance, ``--set``), :mod:`.work` (a run's expected size, checked before it
starts), :mod:`.toml_text` (TOML output) and :mod:`.reference` (the README's field reference).
"""

from __future__ import annotations

from sim.scenario.loading import MAX_FILE_BYTES
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.reference import field_reference, reference_markdown
from sim.scenario.schema import (
    BoxConfig,
    CatalogConfig,
    ConsumersConfig,
    DeliverySharesConfig,
    DeliveryWindowsConfig,
    DemandConfig,
    DepotConfig,
    FleetConfig,
    IncentivesConfig,
    LabelsConfig,
    PackingConfig,
    PeakConfig,
    RecommenderConfig,
    RoutingConfig,
    Scenario,
    SimulationConfig,
    VehicleConfig,
    WarehouseConfig,
    WorldConfig,
    ZoneSharesConfig,
    faker_locales,
)
from sim.scenario.toml_text import dumps_toml
from sim.scenario.work import MAX_EXPECTED_EVENTS, Work

__all__ = [
    "Scenario",
    "ScenarioError",
    "Problem",
    "SimulationConfig",
    "WorldConfig",
    "DepotConfig",
    "ZoneSharesConfig",
    "DemandConfig",
    "PeakConfig",
    "DeliverySharesConfig",
    "DeliveryWindowsConfig",
    "CatalogConfig",
    "WarehouseConfig",
    "PackingConfig",
    "BoxConfig",
    "FleetConfig",
    "VehicleConfig",
    "RoutingConfig",
    "LabelsConfig",
    "ConsumersConfig",
    "RecommenderConfig",
    "IncentivesConfig",
    "MAX_EXPECTED_EVENTS",
    "MAX_FILE_BYTES",
    "Work",
    "dumps_toml",
    "faker_locales",
    "field_reference",
    "reference_markdown",
]
