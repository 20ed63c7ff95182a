"""One vehicle's route, traced event by event (no travel-time noise, unit speed)."""

from __future__ import annotations

import numpy as np
import pytest

from optimizer import RoutingInstance, VehicleType
from sim.log.events import EventType
from sim.world.orders import DeliveryOption, Order, OrderStatus
from sim.world.vehicles import RoutePlan, drive, travel_noise

# capacity 10 units = 1000 kg; 1 kg/km empty, 2 kg/km full; 2 yuan/km, 50 fixed, 0.5/min
VAN = VehicleType("van", 10.0, 1, 1.0, 2.0, cost_per_km=2.0, fixed_cost=50.0, cost_per_minute=0.5)


def _order(i, ready, due, kg, absent=(False,)):
    return Order(
        id=i,
        customer=i,
        depot=0,
        x=0.0,
        y=0.0,
        placed=0.0,
        lines=((0, 1),),
        option=DeliveryOption.STANDARD,
        ready=ready,
        due=due,
        items=1,
        weight_kg=kg,
        volume_l=1.0,
        absent=absent,
        travel_z=(0.0,) * len(absent),
    )


def _run(tiny, make_context, a, b):
    s = tiny("world.travel_time_cv=0", "routing.service_minutes=5")
    ctx, events = make_context(s)
    inst = RoutingInstance(
        name="trace",
        x=[0.0, 3.0, 3.0],
        y=[0.0, 0.0, 4.0],
        demand=[0.0, 1.0, 1.0],
        ready=[0.0, 0.0, 0.0],
        due=[1000.0, 1000.0, 1000.0],
        service=[0.0, 5.0, 5.0],
        vehicle_types=(VAN,),
        customer_ids=[0, a.id, b.id],
    )
    plan = RoutePlan(
        route_id=7, wave_id=3, depot=0, vehicle_id="van-01", vehicle_type=0, instance=inst, start=0.0, stops=((1, a), (2, b))
    )
    back = []
    ctx.env.process(drive(ctx, plan, np.random.default_rng(0), lambda p, orders, shares, trace: back.extend(orders)))
    ctx.env.run()
    return events, back


def kg(load_kg, km):
    return (1.0 + (2.0 - 1.0) * load_kg / 1000.0) * km


def test_a_route_in_events(tiny, make_context):
    """Leave at 0 with 300 kg; A (3 km) at 3, on time; B (4 km) at 12, early: waits to 20,
    served to 25; home (5 km) at 30. Each arc's kg is charged at the load on board."""
    a, b = _order(1, 0.0, 10.0, 100.0), _order(2, 20.0, 30.0, 200.0)
    events, back = _run(tiny, make_context, a, b)
    trace = [(e.type, e.t, e.order_id) for e in events]
    assert trace == [
        (EventType.VEHICLE_DEPARTED, 0.0, None),
        (EventType.ARRIVED, 3.0, 1),
        (EventType.DELIVERED, 8.0, 1),
        (EventType.ARRIVED, 12.0, 2),
        (EventType.DELIVERED, 25.0, 2),
        (EventType.ARRIVED, 30.0, None),
        (EventType.VEHICLE_RETURNED, 30.0, None),
    ]
    dep, arr_a, del_a, arr_b, del_b, home, ret = events
    assert dep.load == 300.0 and dep.data["capacity_kg"] == 1000.0 and dep.data["orders"] == [1, 2]
    assert (arr_a.km, arr_a.load, arr_a.kg_co2e, arr_a.lateness) == (3.0, 300.0, pytest.approx(kg(300, 3)), -7.0)
    assert (arr_b.km, arr_b.load, arr_b.kg_co2e) == (4.0, 200.0, pytest.approx(kg(200, 4)))
    assert del_b.data["waited"] == 8.0 and del_b.lateness == 12.0 - 30.0
    assert (home.km, home.load, home.kg_co2e) == (5.0, 0.0, pytest.approx(kg(0, 5)))
    assert ret.km == 12.0 and ret.kg_co2e == pytest.approx(kg(300, 3) + kg(200, 4) + kg(0, 5), rel=1e-12)
    assert ret.cost == pytest.approx(12 * 2.0 + 50.0 + 0.5 * 30)
    assert ret.data["penalty"] == pytest.approx(0.3 * 8)  # early weight x minutes waited
    assert {e.vehicle_id for e in events} == {"van-01"} and {e.route_id for e in events} == {7}
    assert a.status is b.status is OrderStatus.DELIVERED and back == []
    # eq. 5 shares: arc 1 split 100:200, arc 2 all B's, the empty return by mass 1:2
    shares = dict(ret.data["shares"])
    assert shares[1] == pytest.approx(kg(300, 3) / 3 + kg(0, 5) / 3)
    assert shares[2] == pytest.approx(kg(300, 3) * 2 / 3 + kg(200, 4) + kg(0, 5) * 2 / 3)
    assert sum(shares.values()) == pytest.approx(ret.kg_co2e, rel=1e-12)


def test_nobody_home_rides_back(tiny, make_context):
    """B's first attempt fails: the parcel stays on board, so the return leg is charged at
    200 kg, and the order comes back to the dispatcher for another attempt."""
    a, b = _order(1, 0.0, 10.0, 100.0), _order(2, 0.0, 30.0, 200.0, absent=(True, False))
    events, back = _run(tiny, make_context, a, b)
    failed = [e for e in events if e.type is EventType.DELIVERY_FAILED]
    assert len(failed) == 1 and failed[0].data == {"attempt": 1, "final": False, "reason": "nobody_home"}
    home = [e for e in events if e.type is EventType.ARRIVED][-1]
    assert home.load == 200.0 and home.kg_co2e == pytest.approx(kg(200, 5))
    assert back == [b] and b.status is not OrderStatus.FAILED and b.attempts == 1
    assert events[-1].data["returned"] == [2]


def test_last_attempt_fails_for_good(tiny, make_context):
    """With one attempt allowed, a failed attempt is final: the order ends failed."""
    a, b = _order(1, 0.0, 10.0, 100.0), _order(2, 0.0, 30.0, 200.0, absent=(True,))
    events, back = _run(tiny, make_context, a, b)
    failed = [e for e in events if e.type is EventType.DELIVERY_FAILED]
    assert failed[0].data["final"] is True and b.status is OrderStatus.FAILED


def test_travel_noise_has_mean_one():
    """The lognormal factor has mean 1 and the asked coefficient of variation."""
    rng = np.random.default_rng(0)
    x = np.array([travel_noise(rng, 0.2) for _ in range(40_000)])
    assert x.mean() == pytest.approx(1.0, abs=0.005) and x.std() == pytest.approx(0.2, rel=0.03)
    assert travel_noise(rng, 0.0) == 1.0
