"""The vehicles: which exist, where they are based, and which are idle."""

from __future__ import annotations

from optimizer import VehicleType
from optimizer.units import KG_PER_CAPACITY_UNIT
from sim.scenario import Scenario


class FleetPool:
    """Every vehicle by id, split over the depots, and which of them are at their depot.

    The vehicles are dealt round-robin over the depots. Ids are ``<type>-<nn>``,
    numbered per type; a wave takes the lowest-numbered idle vehicles, so the choice is
    deterministic.
    """

    def __init__(self, scenario: Scenario, n_depots: int) -> None:
        self.types: tuple[VehicleType, ...] = scenario.fleet.vehicle_types()
        self.depot_of: dict[str, int] = {}
        self.type_of: dict[str, int] = {}
        self.idle: list[list[list[str]]] = [[[] for _ in self.types] for _ in range(n_depots)]
        self._number: dict[str, int] = {}
        dealt = 0  # one round-robin over all types, so every depot gets vehicles
        for k, vt in enumerate(self.types):
            for i in range(vt.count):
                vid = f"{vt.name}-{i + 1:02d}"
                d = dealt % n_depots
                dealt += 1
                self.depot_of[vid], self.type_of[vid], self._number[vid] = d, k, i
                self.idle[d][k].append(vid)

    @property
    def max_capacity_kg(self) -> float:
        """Payload of the largest vehicle type in the fleet."""
        return max(self.capacity_kg(k) for k, vt in enumerate(self.types) if vt.count > 0)

    def capacity_kg(self, k: int) -> float:
        return self.types[k].capacity * KG_PER_CAPACITY_UNIT

    def idle_counts(self, depot: int) -> list[int]:
        return [len(ids) for ids in self.idle[depot]]

    def take(self, depot: int, k: int) -> str:
        return self.idle[depot][k].pop(0)

    def release(self, vehicle_id: str) -> None:
        ids = self.idle[self.depot_of[vehicle_id]][self.type_of[vehicle_id]]
        ids.append(vehicle_id)
        ids.sort(key=self._number.__getitem__)
