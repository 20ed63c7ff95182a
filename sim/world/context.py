"""What every process of a run shares: the clock, the scenario, the random streams, the log.

There is no module-level state. A run builds one :class:`Context` and hands it to each
subsystem; each subsystem draws from its own named random stream, so changing one policy
(routing, packing) never shifts the demand another run sees for the same seed: common random
numbers across scenarios, which is what makes paired comparisons sharp.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import simpy

from optimizer.units import MINUTES_PER_DAY
from sim.log.events import Event
from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.world.pickup import PickupPoints


class Streams:
    """Independent, named random generators spawned from one root seed.

    ``streams.get("demand")`` is the same generator for the same (seed, name) whatever else the
    run draws: the name is mixed into the seed sequence, not the order of requests.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._generators: dict[str, np.random.Generator] = {}

    @staticmethod
    def _key(name: str) -> int:
        return zlib.crc32(name.encode("utf-8"))

    def get(self, name: str) -> np.random.Generator:
        """The generator of subsystem ``name`` (created on first use, then shared)."""
        gen = self._generators.get(name)
        if gen is None:
            gen = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(self._key(name),)))
            self._generators[name] = gen
        return gen

    def seed_for(self, name: str, index: int) -> int:
        """A seed for the ``index``-th use of ``name`` (one optimizer run per wave, say),
        independent of how many draws any stream has made."""
        seq = np.random.SeedSequence(self.seed, spawn_key=(self._key(name), int(index)))
        return int(seq.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


@dataclass
class Counters:
    """Running tallies the progress display and the end-of-run bookkeeping read."""

    orders: int = 0
    open_orders: int = 0
    delivered: int = 0
    failed: int = 0
    routes: int = 0
    on_road: int = 0
    waves: int = 0
    routing_seconds: float = 0.0
    waves_time_capped: int = 0


@dataclass
class Context:
    """The shared state of one run: environment, scenario, streams and the event sink."""

    env: simpy.Environment
    scenario: Scenario
    streams: Streams
    record: Callable[[Event], object]
    counters: Counters = field(default_factory=Counters)
    pickup: PickupPoints | None = None  # the pickup points and lockers, where the scenario has them

    @property
    def now(self) -> float:
        return float(self.env.now)

    def day_of(self, t: float) -> int:
        return int(t // MINUTES_PER_DAY)


def minutes_until_hour(now: float, hours: tuple[float, ...]) -> float:
    """Minutes from ``now`` to the next of the daily ``hours`` (hours of the day, increasing):
    today's first one still ahead, else tomorrow's first (dispatch waves, line-haul departures)."""
    day = now // MINUTES_PER_DAY
    minute = now - day * MINUTES_PER_DAY
    ahead = [h * 60.0 for h in hours if h * 60.0 > minute]
    at = day * MINUTES_PER_DAY + ahead[0] if ahead else (day + 1) * MINUTES_PER_DAY + hours[0] * 60.0
    return at - now
