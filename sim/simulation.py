"""One simulation run: build the world from a scenario, run its processes, log everything.

::

    from sim import Scenario, run
    summary = run(Scenario.from_file("scenarios/baseline.toml"), db_path="run.db", seed=1)
    summary.kg_co2e_per_order

The processes share one SimPy Environment (minutes since midnight of day 0): demand
(consumer sessions that may place orders, or exogenous orders), the recommender's retraining,
the warehouse's replenishment and forecasting, picking and packing, the dispatch waves and one
process per vehicle on the road. After ``simulation.days`` no new
orders arrive; the world runs on (up to ``drain_days``) until every order is delivered or
has failed, the dispatcher closes, the vehicles on the road come home, and what is still
open then ends ``delivery_failed`` with reason ``run_ended``: every order ends explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import simpy

from labels.ledger import Ledger
from sim.analysis.summary import RunSummary, summarize
from sim.log.eventlog import DEFAULT_FLUSH_EVERY, EventLog, RunStatus
from sim.log.events import Event
from sim.scenario import Scenario
from sim.world.catalog import Catalog, build_catalog
from sim.world.context import MINUTES_PER_DAY, Context, Counters, Streams
from sim.world.demand import Demand
from sim.world.dispatch import Dispatcher
from sim.world.fleet import FleetPool
from sim.world.geography import World, build_world
from sim.world.labelling import Labeller
from sim.world.linehaul import LineHaul
from sim.world.network import ZONE_NAMES
from sim.world.orders import record_failure
from sim.world.pickup import PickupPoints
from sim.world.sessions import Sessions
from sim.world.warehouse import Warehouse

#: Simulated minutes between progress reports (and between checks that the drain is over).
STEP_MINUTES = 60.0

#: progress(simulated minutes done, minutes of the horizon, the run's counters)
Progress = Callable[[float, float, Counters], None]


@dataclass
class Simulation:
    """A built world, ready to run once. Build it with :meth:`build`."""

    ctx: Context
    world: World
    catalog: Catalog
    fleet: FleetPool
    warehouse: Warehouse
    dispatcher: Dispatcher
    demand: Demand | Sessions  # what places the orders (by demand.mode)
    labeller: Labeller
    linehaul: LineHaul | None = None  # hub -> station trucks (the stations layout only)

    @classmethod
    def build(cls, scenario: Scenario, record: Callable[[Event], object], ledger: Ledger | None = None) -> Simulation:
        """Build every part from the scenario, each with its own random stream; label records
        are also appended to ``ledger`` when given."""
        streams = Streams(scenario.simulation.seed)
        ctx = Context(simpy.Environment(), scenario, streams, record)
        world = build_world(scenario, streams.get("world"))
        if world.sites is not None:
            ctx.pickup = PickupPoints(ctx, world.sites)
        catalog = build_catalog(scenario, streams.get("catalog"))
        # a station's vans in proportion to its planned parcels; the paper's depots share equally
        stations = world.network.stations if world.network is not None else None
        fleet = FleetPool(
            scenario,
            len(world.depots),
            clock=lambda: ctx.env.now,
            weights=[s.parcels_per_day for s in stations] if stations else None,
            zones=[ZONE_NAMES[s.zone] for s in stations] if stations else None,
        )
        dispatcher = Dispatcher(ctx, world, fleet)
        # a packed parcel goes to its station by line-haul truck in the stations layout (one too
        # heavy for every van fails at the hub), straight to its depot's queue in the paper world
        linehaul = LineHaul(ctx, world, dispatcher.add) if world.network is not None else None
        onward = dispatcher.add if linehaul is None else _via(linehaul, dispatcher)

        def packed(order) -> None:
            labeller.packed(order)  # the warehouse's handling, a chain element of the order
            onward(order)

        if scenario.demand.mode == "sessions":
            # the label scores are read at each session, from the labeller built below
            sessions = Sessions(ctx, world, catalog, lambda: labeller.score)
            warehouse = Warehouse(ctx, catalog, packed, sessions.expected_share)
            sessions.on_order = warehouse.receive
            sessions.in_stock = warehouse.in_stock
            demand: Demand | Sessions = sessions
        else:
            warehouse = Warehouse(ctx, catalog, packed)
            demand = Demand(ctx, world, catalog, warehouse.receive)
        labeller = Labeller(ctx, catalog, warehouse, ledger)
        dispatcher.labeller = labeller
        if linehaul is not None:
            linehaul.labeller = labeller
        return cls(ctx, world, catalog, fleet, warehouse, dispatcher, demand, labeller, linehaul)

    def run(self, progress: Progress | None = None) -> Counters:
        """Run to the end (horizon, drain, vehicles home, open orders failed)."""
        ctx, env = self.ctx, self.ctx.env
        sc = ctx.scenario.simulation
        horizon = sc.days * MINUTES_PER_DAY
        drain_end = horizon + sc.drain_days * MINUTES_PER_DAY
        self.warehouse.open()
        env.process(self.demand.process(sc.days))
        env.process(self.warehouse.forecasting())
        env.process(self.dispatcher.process())
        if self.linehaul is not None:
            env.process(self.linehaul.process())
        env.process(self.labeller.grading())
        if isinstance(self.demand, Sessions):
            env.process(self.demand.training(sc.days))
        t = 0.0
        while t < horizon or (t < drain_end and ctx.counters.open_orders > 0):
            t += STEP_MINUTES
            env.run(until=t)
            if progress is not None:
                progress(t, horizon, ctx.counters)
        self.dispatcher.closed = True
        if self.linehaul is not None:
            self.linehaul.closed = True
        while ctx.counters.on_road > 0:
            t += STEP_MINUTES
            env.run(until=t)
        for order in self.demand.orders:
            if order.open:
                record_failure(ctx, order, reason="run_ended", final=True)
        self.labeller.close()
        return ctx.counters


def _via(linehaul: LineHaul, dispatcher: Dispatcher) -> Callable:
    def packed(order) -> None:
        if dispatcher.can_carry(order):
            linehaul.add(order)
        else:
            dispatcher.add(order)  # fails it: too heavy for every vehicle

    return packed


def run(
    scenario: Scenario,
    *,
    db_path: str | os.PathLike[str],
    seed: int | None = None,
    days: int | None = None,
    name: str | None = None,
    progress: Progress | None = None,
    flush_every: int = DEFAULT_FLUSH_EVERY,
    check_events: bool | None = None,
) -> RunSummary:
    """Run a scenario, log every event in ``db_path`` (created or appended to) and return
    the run's summary, computed from the log.

    ``seed`` and ``days`` override the scenario's; the runs table stores the scenario as run.
    A failure or Ctrl-C leaves the file consistent with the run marked failed or interrupted,
    and re-raises. ``flush_every``: events per transaction (and per ledger digest).
    ``check_events``: check each event as the log's public ``record`` does and its data against
    :mod:`sim.log.payloads` (slower; the tests and ``carbonsim --debug run`` do); None reads the
    environment variable CARBONSIM_CHECK_EVENTS (1 to check).
    """
    if check_events is None:
        check_events = os.environ.get("CARBONSIM_CHECK_EVENTS", "") not in ("", "0")
    changes = {}
    if seed is not None:
        changes["seed"] = seed
    if days is not None:
        changes["days"] = days
    if changes:
        scenario = scenario.replace(simulation=scenario.simulation.replace(**changes))
    with EventLog.open(db_path, flush_every=flush_every) as log:
        log.check_events = check_events
        label = name or "scenario"
        with log.run(scenario=label, scenario_json=scenario.canonical_json(), seed=scenario.simulation.seed) as run_id:
            # product_labels goes in before the ledger seals the run: companions finish in order
            product_labels = FinalRows("product_labels", run_id)
            log.add_companion(product_labels)
            ledger = Ledger(log.db, run_id)
            log.add_companion(ledger)
            sim = Simulation.build(scenario, log.record_trusted, ledger)
            try:
                sim.run(_beating(log, progress))
                product_labels.rows = [{"run_id": run_id, **r} for r in sim.labeller.evidence()]
            finally:
                log.add_routing_seconds(sim.ctx.counters.routing_seconds)
        return summarize(log, run_id)


def _beating(log: EventLog, progress: Progress | None) -> Progress:
    """``progress`` that also refreshes the run's heartbeat (every simulated hour, at most
    every few wall seconds), so readers can tell this run is alive."""

    def step(t: float, horizon: float, counters: Counters) -> None:
        log.heartbeat()
        if progress is not None:
            progress(t, horizon, counters)

    return step


class FinalRows:
    """An event-log companion that inserts ``rows`` into ``table`` in the transaction that
    marks the run completed, after its last flush: a report table is in the file only with
    every event it sums up and the status that says the run is over. A run that ends
    otherwise (its final flush failed, say) gets none."""

    def __init__(self, table: str, run_id: int) -> None:
        self.table = table
        self.run_id = run_id
        self.rows: list[dict] = []

    def write(self, db, rows) -> None:
        pass

    def finish(self, db) -> None:
        status = db.execute("SELECT status FROM runs WHERE run_id = ?", [self.run_id]).fetchone()[0]
        if self.rows and status == RunStatus.COMPLETED:
            db[self.table].insert_all(self.rows)

    def committed(self) -> None:
        pass


def scenario_name(path: str | os.PathLike[str]) -> str:
    """The name a run is recorded under: the scenario file's stem."""
    return Path(path).stem
