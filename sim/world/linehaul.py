"""Line-haul: the trucks that take packed parcels from the sortation hub to the delivery stations.

In the ``stations`` layout a packed parcel waits at the hub. At each of
``network.linehaul_hours`` every station with parcels waiting gets a truck (or as many as the
parcels' mass needs, ``linehaul_capacity_kg`` each, filled in the order the parcels were
packed). A truck drives hub -> station with its load and back empty, on the same road model
as the last mile (circuity, road grades, Table 6 speeds, the hourly congestion profile:
:meth:`optimizer.RoutingInstance.leg`, the one home of the arc physics). On arrival the
parcels join the station's dispatch queue and ``linehaul_arrived`` is logged with the round
trip's km and kg CO2e. The empty return is charged to the load it served (GLEC: empty running
belongs to the loaded trips), and the truck's kg goes to its parcels in proportion to their
mass: tonne-km, since they all ride the same distance (ISO 14083 allocation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from labels.apportion import DrivenArc, DrivenRoute, apportion
from optimizer import PenaltyModel, RoutingInstance, VehicleType
from optimizer.generate import road_grades
from optimizer.model import DEFAULT_PROFILE
from optimizer.units import KG_PER_CAPACITY_UNIT
from sim.log.events import Event, EventType
from sim.world.context import Context, minutes_until_hour
from sim.world.geography import World
from sim.world.orders import Order

if TYPE_CHECKING:
    from sim.world.labelling import Labeller


class LineHaul:
    """The hub's outbound trucks: :meth:`add` a packed parcel, :meth:`process` runs the
    departures; ``on_arrival`` receives each parcel at its station (the dispatcher's ``add``)."""

    def __init__(self, ctx: Context, world: World, on_arrival: Callable[[Order], None]) -> None:
        if world.network is None:
            raise ValueError("line-haul needs the stations layout (network.layout = 'stations')")
        self.ctx = ctx
        self.world = world
        self.on_arrival = on_arrival
        self.cfg = net = ctx.scenario.network
        self.waiting: list[list[Order]] = [[] for _ in world.network.stations]
        self.closed = False
        self.next_truck = 1
        self.labeller: Labeller | None = None  # set by the simulation: receives each truck's shares
        truck = VehicleType(
            "linehaul",
            net.linehaul_capacity_kg / KG_PER_CAPACITY_UNIT,
            1,
            net.linehaul_empty_kg_per_km,
            net.linehaul_full_kg_per_km,
            net.linehaul_cost_per_km,
        )
        hub = world.network.hub
        self.hub = [float(v) for v in hub]  # logged on each arrival, for the report's route map
        self.legs = [self._instance(hub, (s.x, s.y), truck, s.index) for s in world.network.stations]

    def _instance(self, hub: tuple[float, float], station: tuple[float, float], truck: VehicleType, i: int) -> RoutingInstance:
        """A two-node instance, hub (0) and station (1), whose arcs the trucks drive; time 0 is midnight of day 0."""
        x, y = np.array([hub[0], station[0]]), np.array([hub[1], station[1]])
        return RoutingInstance(
            name=f"linehaul-station{i}",
            x=x,
            y=y,
            demand=np.zeros(2),
            ready=np.zeros(2),
            due=np.full(2, 1e9),
            service=np.zeros(2),
            vehicle_types=(truck,),
            circuity=self.ctx.scenario.world.circuity,
            road_grade=road_grades(x, y),
            unit_speed=False,
            congestion=DEFAULT_PROFILE,
            start_minute=0.0,
            penalty=PenaltyModel(hard_windows=False),
            source=f"line-haul hub -> station {i}",
        )

    def add(self, order: Order) -> None:
        """A packed parcel waits at the hub for the next truck to its station."""
        self.waiting[order.depot].append(order)

    def waiting_count(self) -> int:
        return sum(len(w) for w in self.waiting)

    def process(self):
        """The SimPy process: at each departure hour, send every station's waiting parcels."""
        while True:
            yield self.ctx.env.timeout(self.until_next_departure())
            if self.closed:
                return
            for station, parcels in enumerate(self.waiting):
                if parcels:
                    self.waiting[station] = []
                    for load in self._truckloads(parcels):
                        self.ctx.env.process(self._drive(station, load))

    def until_next_departure(self) -> float:
        return minutes_until_hour(self.ctx.now, self.cfg.linehaul_hours)

    def _truckloads(self, parcels: list[Order]) -> list[list[Order]]:
        """Split parcels over trucks in packing order; a truck takes at least one parcel."""
        cap = self.cfg.linehaul_capacity_kg
        loads: list[list[Order]] = [[]]
        mass = 0.0
        for o in parcels:
            if loads[-1] and mass + o.weight_kg > cap:
                loads.append([])
                mass = 0.0
            loads[-1].append(o)
            mass += o.weight_kg
        return loads

    def _drive(self, station: int, parcels: list[Order]):
        ctx = self.ctx
        inst = self.legs[station]
        truck = self.next_truck
        self.next_truck += 1
        mass = sum(o.weight_kg for o in parcels)
        departed = ctx.now
        out = inst.leg(0, 1, 0, mass / KG_PER_CAPACITY_UNIT, ctx.now)
        yield ctx.env.timeout(out.minutes)
        back = inst.leg(1, 0, 0, 0.0, ctx.now)  # empty return, charged to this load
        kg = out.kg_co2e + back.kg_co2e
        shares = _by_mass(parcels, kg)
        ctx.record(
            Event(
                t=ctx.now,
                type=EventType.LINEHAUL_ARRIVED,
                km=out.km + back.km,
                kg_co2e=kg,
                load=mass,
                quantity=float(len(parcels)),
                cost=out.cost + back.cost,
                data={
                    "station": station,
                    "truck": truck,
                    "return_km": back.km,
                    "orders": [o.id for o in parcels],
                    "shares": [[o.id, shares[o.id]] for o in parcels],
                    "hub": self.hub,
                },
            )
        )
        if self.labeller is not None:
            self.labeller.linehaul_arrived(parcels, shares, kg, out.km, back.km, departed, truck)
        for o in parcels:
            self.on_arrival(o)


def _by_mass(parcels: list[Order], kg: float) -> dict[int, float]:
    """kg split in proportion to each parcel's mass (equal if all weigh 0); the remainder of
    the floating-point sum goes to the heaviest, so the shares add up to ``kg`` exactly as
    :func:`labels.apportion.apportion` does for routes."""
    mass = {o.id: o.weight_kg for o in parcels}
    route = DrivenRoute((DrivenArc(0.0, kg, mass),), mass_kg=mass, sfd_km=dict.fromkeys(mass, 1.0))
    return apportion(route, "tonne_km")
