"""Shared pieces of the simulation tests: a tiny scenario and a recorder of events."""

from __future__ import annotations

import pytest
import simpy

from sim.log.events import Event
from sim.scenario import Scenario
from sim.world.context import Context, Streams

TINY = [
    "simulation.days=1",
    "demand.orders_per_day=60",
    "world.customers=200",
    "catalog.products=40",
]


def _tiny(*overrides: str) -> Scenario:
    return Scenario().apply_overrides([*TINY, *overrides])


def _make_context(scenario: Scenario, seed: int = 0) -> tuple[Context, list[Event]]:
    events: list[Event] = []
    return Context(simpy.Environment(), scenario, Streams(seed), events.append), events


@pytest.fixture
def tiny():
    """``tiny(*overrides)``: the baseline shrunk to one day, 60 orders, 200 customers, 40 products."""
    return _tiny


@pytest.fixture
def make_context():
    """``make_context(scenario, seed=0) -> (Context, events)``: a fresh Environment whose
    events land in the returned list."""
    return _make_context
