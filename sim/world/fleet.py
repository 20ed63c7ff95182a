"""The vehicles: which exist, where they are based, and which are idle."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from optimizer import VehicleType
from optimizer.units import KG_PER_CAPACITY_UNIT, MINUTES_PER_DAY
from sim.errors import InputError
from sim.scenario import Scenario

#: A vehicle with less of its day's shift left than this does not start another route that day.
MIN_SHIFT_LEFT_MINUTES = 60.0


def deal(count: int, weights: Sequence[float]) -> list[int]:
    """``count`` vehicles over depots in proportion to ``weights`` by largest remainders (ties
    to the lower index, so the deal is deterministic); then, while there are enough, a depot
    left without one gets one from the depot with the most (a station with no van cannot
    deliver)."""
    n = len(weights)
    total = float(sum(weights))
    if n == 0 or total <= 0 or min(weights) < 0:
        raise ValueError("depot weights must be >= 0 and sum above 0")
    quota = [count * w / total for w in weights]
    out = [math.floor(q) for q in quota]
    for d in sorted(range(n), key=lambda d: (-(quota[d] - out[d]), d))[: count - sum(out)]:
        out[d] += 1
    for d in sorted(range(n), key=lambda d: (-weights[d], d)):
        if out[d] == 0 and weights[d] > 0:
            donor = max(range(n), key=lambda e: (out[e], -e))
            if out[donor] <= 1:
                break
            out[donor] -= 1
            out[d] += 1
    return out


class FleetPool:
    """Every vehicle by id, split over the depots, and which of them are at their depot.

    Each type's vehicles are dealt over the depots in proportion to ``weights`` (a station's
    planned parcels a day in the stations layout; equal shares, a round-robin, without them) by
    largest remainders, at least one a depot while the type has enough; a type with ``zones``
    goes only to the stations whose zone (``zones``, one name a depot) is among them. Ids are ``<type>-<nn>``,
    numbered per type; a wave takes the lowest-numbered available vehicles, so the choice is
    deterministic. With ``fleet.shift_hours`` a vehicle is available when idle and at least
    MIN_SHIFT_LEFT_MINUTES of its day's shift are left (hours on routes counted by the day
    each route left, as the summary's ``shift_hours_max``).
    """

    def __init__(
        self,
        scenario: Scenario,
        n_depots: int,
        clock: Callable[[], float] = lambda: 0.0,
        weights: Sequence[float] | None = None,
        zones: Sequence[str] | None = None,
    ) -> None:
        self.types: tuple[VehicleType, ...] = scenario.fleet.vehicle_types()
        self.shift_minutes = scenario.fleet.shift_hours * 60.0 if scenario.fleet.shift_hours > 0 else math.inf
        self.clock = clock
        self._used: dict[str, tuple[int, float]] = {}  # vehicle -> (day, minutes on routes that day)
        self.charger_kw = scenario.fleet.charger_kw
        self._charged_at: dict[str, float] = {}  # vehicle -> when its battery is full again
        self.depot_of: dict[str, int] = {}
        self.type_of: dict[str, int] = {}
        self.idle: list[list[list[str]]] = [[[] for _ in self.types] for _ in range(n_depots)]
        self._number: dict[str, int] = {}
        if weights is None:
            dealt = 0  # one round-robin over all types, so every depot gets vehicles
            for k, vt in enumerate(self.types):
                for i in range(vt.count):
                    self._place(f"{vt.name}-{i + 1:02d}", dealt % n_depots, k, i)
                    dealt += 1
            return
        if len(weights) != n_depots or (zones is not None and len(zones) != n_depots):
            raise ValueError(f"{len(weights)} depot weights for {n_depots} depots")
        for k, (vt, only) in enumerate(zip(self.types, scenario.fleet.vehicle_zones())):
            served = list(weights)
            if only and zones is not None:
                served = [w if z in only else 0.0 for w, z in zip(weights, zones)]
                if vt.count > 0 and not any(served):
                    raise InputError(
                        f"fleet.vehicles: type {vt.name!r} serves zones {', '.join(only)}, where no station is"
                        f" (stations are in {', '.join(sorted(set(zones)))})"
                    )
            i = 0
            for d, n in enumerate(deal(vt.count, served)):
                for _ in range(n):
                    self._place(f"{vt.name}-{i + 1:02d}", d, k, i)
                    i += 1
        bare = [d for d in range(n_depots) if weights[d] > 0 and self.based(d) == 0]
        if bare:
            where = f" ({', '.join(zones[d] for d in bare)})" if zones is not None else ""
            raise InputError(
                f"fleet.vehicles: stations {', '.join(map(str, bare))}{where} get no vehicle; add vehicles"
                " (count) or a type whose zones include theirs"
            )

    def _place(self, vid: str, depot: int, k: int, number: int) -> None:
        self.depot_of[vid], self.type_of[vid], self._number[vid] = depot, k, number
        self.idle[depot][k].append(vid)

    def based(self, depot: int) -> int:
        """How many vehicles (of every type) are based at the depot."""
        return sum(1 for d in self.depot_of.values() if d == depot)

    @property
    def max_capacity_kg(self) -> float:
        """Payload of the largest vehicle type in the fleet."""
        return max(self.capacity_kg(k) for k, vt in enumerate(self.types) if vt.count > 0)

    def capacity_kg(self, k: int) -> float:
        return self.types[k].capacity * KG_PER_CAPACITY_UNIT

    def capacity_m3(self, k: int) -> float:
        """Volume capacity of type k, m³ (infinite for a type without one)."""
        return self.types[k].capacity_m3

    @property
    def max_capacity_m3(self) -> float:
        """Volume capacity of the roomiest vehicle type in the fleet (infinite if one has none)."""
        return max(self.capacity_m3(k) for k, vt in enumerate(self.types) if vt.count > 0)

    def fits(self, k: int, weight_kg: float, m3: float) -> bool:
        """Whether one vehicle of type k carries ``weight_kg`` and ``m3`` together."""
        return weight_kg <= self.capacity_kg(k) and m3 <= self.capacity_m3(k) * (1.0 + 1e-12)

    def shift_left(self, vehicle_id: str) -> float:
        """Minutes of today's shift the vehicle has left (infinite without a shift limit)."""
        if math.isinf(self.shift_minutes):
            return math.inf
        day, used = self._used.get(vehicle_id, (-1, 0.0))
        return self.shift_minutes - (used if day == int(self.clock() // MINUTES_PER_DAY) else 0.0)

    def available(self, depot: int, k: int) -> list[str]:
        """The idle vehicles of type k at the depot with enough of their shift left and a full
        battery (charging at ``fleet.charger_kw`` after a route), in id order."""
        ids = self.idle[depot][k]
        if self._charged_at:
            now = self.clock()
            ids = [v for v in ids if self._charged_at.get(v, 0.0) <= now]
        if math.isinf(self.shift_minutes):
            return ids
        return [v for v in ids if self.shift_left(v) >= MIN_SHIFT_LEFT_MINUTES]

    def idle_counts(self, depot: int) -> list[int]:
        return [len(self.available(depot, k)) for k in range(len(self.types))]

    def shortest_shift_left(self, depot: int) -> float:
        """Minutes left of the shortest shift among the depot's available vehicles."""
        return min((self.shift_left(v) for k in range(len(self.types)) for v in self.available(depot, k)), default=math.inf)

    def take(self, depot: int, k: int) -> str:
        vid = self.available(depot, k)[0]
        self.idle[depot][k].remove(vid)
        return vid

    def release(self, vehicle_id: str, departed: float = 0.0, minutes: float = 0.0, kwh: float = 0.0) -> None:
        """The vehicle is back from a route that left at ``departed``, took ``minutes`` and used
        ``kwh`` of its battery (recharged at ``fleet.charger_kw`` before it leaves again)."""
        if kwh > 0 and self.charger_kw > 0:
            self._charged_at[vehicle_id] = departed + minutes + kwh / self.charger_kw * 60.0
        day = int(departed // MINUTES_PER_DAY)
        was_day, used = self._used.get(vehicle_id, (day, 0.0))
        self._used[vehicle_id] = (day, (used if was_day == day else 0.0) + minutes)
        ids = self.idle[self.depot_of[vehicle_id]][self.type_of[vehicle_id]]
        ids.append(vehicle_id)
        ids.sort(key=self._number.__getitem__)
