"""The vehicles: which exist, where they are based, and which are idle."""

from __future__ import annotations

from optimizer import VehicleType

from .scenario import KG_PER_CAPACITY_UNIT, Scenario


class FleetPool:
    """Every vehicle by id, split over the depots, and which of them are at their depot.

    Each type's count is dealt round-robin over the depots. Ids are ``<type>-<nn>``,
    numbered per type; a wave takes the lowest-numbered idle vehicles, so the choice is
    deterministic.
    """

    def __init__(self, scenario: Scenario, n_depots: int) -> None:
        self.types: tuple[VehicleType, ...] = scenario.fleet.vehicle_types()
        self.depot_of: dict[str, int] = {}
        self.type_of: dict[str, int] = {}
        self.idle: list[list[list[str]]] = [[[] for _ in self.types] for _ in range(n_depots)]
        for k, vt in enumerate(self.types):
            for i in range(vt.count):
                vid = f"{vt.name}-{i + 1:02d}"
                d = i % n_depots
                self.depot_of[vid], self.type_of[vid] = d, k
                self.idle[d][k].append(vid)

    def capacity_kg(self, k: int) -> float:
        return self.types[k].capacity * KG_PER_CAPACITY_UNIT

    def idle_counts(self, depot: int) -> list[int]:
        return [len(ids) for ids in self.idle[depot]]

    def take(self, depot: int, k: int) -> str:
        return self.idle[depot][k].pop(0)

    def release(self, vehicle_id: str) -> None:
        ids = self.idle[self.depot_of[vehicle_id]][self.type_of[vehicle_id]]
        ids.append(vehicle_id)
        ids.sort()
