"""Tests for optimizer.instance: validation messages, revalidation, kernel arrays, generator."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from optimizer.generate import paper_instance
from optimizer.instance import InstanceError, RoutingInstance
from optimizer.model import DEFAULT_PROFILE, ROAD_GRADES, VehicleType

VAN = VehicleType("van", capacity=10.0, count=2, empty_kg_per_km=1.0, full_kg_per_km=2.0)


def arrays(**changes) -> dict:
    """Keyword arguments of a valid 3-customer instance, with some fields changed."""
    kw = dict(
        name="tiny",
        x=[0.0, 3.0, 3.0, 0.0],
        y=[0.0, 0.0, 4.0, 4.0],
        demand=[0.0, 2.0, 3.0, 5.0],
        ready=[0.0, 5.0, 0.0, 14.0],
        due=[100.0, 10.0, 8.0, 20.0],
        service=[0.0, 1.0, 1.0, 1.0],
        vehicle_types=(VAN,),
        customer_ids=[0, 101, 102, 103],
        source="tiny.txt",
    )
    kw.update(changes)
    return kw


def test_valid_instance_from_arrays():
    """A consistent set of arrays builds an instance with float arrays and the given ids."""
    inst = RoutingInstance(**arrays())
    assert inst.n_customers == 3
    assert inst.fleet_size == 2
    assert inst.x.dtype == np.float64 and inst.customer_ids.dtype == np.int64
    assert inst.index_of(102) == 2
    assert_allclose(inst.distance[0, 2], 5.0)
    assert_allclose(inst.distance, inst.distance.T)


@pytest.mark.parametrize(
    "changes, customer, field",
    [
        ({"demand": [0.0, 2.0, -1.0, 5.0]}, "customer 102", "demand"),
        ({"demand": [0.0, 2.0, 3.0, 11.0]}, "customer 103", "demand"),
        ({"ready": [0.0, 5.0, 9.0, 14.0]}, "customer 102", "due"),
        ({"x": [0.0, 3.0, 3.0, np.nan]}, "customer 103", "x"),
        ({"y": [0.0, np.inf, 4.0, 4.0]}, "customer 101", "y"),
        ({"service": [0.0, 1.0, -2.0, 1.0]}, "customer 102", "service"),
        ({"demand": [1.0, 2.0, 3.0, 5.0]}, "depot", "demand"),
    ],
    ids=["negative-demand", "demand-above-capacity", "due-before-ready", "nan-x", "inf-y", "negative-service", "depot-demand"],
)
def test_bad_node_data_names_customer_and_field(changes, customer, field):
    """Bad per-node data raises InstanceError naming the source, the customer id and the field."""
    with pytest.raises(InstanceError) as err:
        RoutingInstance(**arrays(**changes))
    msg = str(err.value)
    assert "tiny.txt" in msg
    assert customer in msg
    assert f"field '{field}'" in msg


def test_demand_above_every_capacity_counts_only_available_types():
    """A demand that fits only a type with count 0 is rejected, naming the largest usable capacity."""
    big_but_absent = VehicleType("big", 100.0, 0, 1.0, 2.0)
    with pytest.raises(InstanceError, match=r"customer 103: field 'demand': exceeds the largest vehicle capacity 10"):
        RoutingInstance(**arrays(demand=[0.0, 2.0, 3.0, 50.0], vehicle_types=(VAN, big_but_absent)))


@pytest.mark.parametrize("field", ["y", "demand", "ready", "due", "service", "customer_ids"])
def test_wrong_array_length_names_field(field):
    """An array of the wrong length raises InstanceError naming the field and the expected length."""
    good = arrays()[field]
    with pytest.raises(InstanceError, match=rf"field '{field}': expected 4 values"):
        RoutingInstance(**arrays(**{field: list(good)[:3]}))


def test_wrong_road_grade_shape_and_index():
    """A road-grade matrix of the wrong shape or with an unknown grade index is rejected."""
    with pytest.raises(InstanceError, match="field 'road_grade': expected shape"):
        RoutingInstance(**arrays(road_grade=np.zeros((3, 3), dtype=int)))
    with pytest.raises(InstanceError, match="field 'road_grade': grade index"):
        RoutingInstance(**arrays(road_grade=np.full((4, 4), len(ROAD_GRADES))))


def test_empty_fleet_rejected():
    """An empty fleet, or one whose counts are all zero, raises InstanceError on 'vehicle_types'."""
    with pytest.raises(InstanceError, match="field 'vehicle_types': the fleet is empty"):
        RoutingInstance(**arrays(vehicle_types=()))
    with pytest.raises(InstanceError, match="field 'vehicle_types': no vehicle available"):
        RoutingInstance(**arrays(vehicle_types=(VAN.replace(count=0),)))


def test_no_customer_and_duplicate_ids_rejected():
    """A depot alone, or repeated customer ids, raise InstanceError."""
    with pytest.raises(InstanceError, match="field 'customers'"):
        RoutingInstance(**arrays(x=[0.0], y=[0.0], demand=[0.0], ready=[0.0], due=[1.0], service=[0.0], customer_ids=[0]))
    with pytest.raises(InstanceError, match="field 'customer_ids': ids must be unique"):
        RoutingInstance(**arrays(customer_ids=[0, 1, 1, 2]))


def test_circuity_below_one_rejected():
    """A circuity coefficient under 1 (roads shorter than straight lines) is rejected."""
    with pytest.raises(InstanceError, match="field 'circuity'"):
        RoutingInstance(**arrays(circuity=0.9))


def test_replace_revalidates_and_copies():
    """replace() returns a validated copy: good changes apply, bad ones raise InstanceError."""
    inst = RoutingInstance(**arrays())
    wider = inst.replace(due=[100.0, 50.0, 50.0, 50.0])
    assert_array_equal(wider.due, [100.0, 50.0, 50.0, 50.0])
    assert_array_equal(inst.due, [100.0, 10.0, 8.0, 20.0])
    assert wider.kernel_data.nodes[1, 2] == 50.0 and inst.kernel_data.nodes[1, 2] == 10.0
    with pytest.raises(InstanceError, match="customer 101: field 'demand'"):
        inst.replace(demand=[0.0, -3.0, 3.0, 5.0])
    with pytest.raises(InstanceError, match="field 'vehicle_types'"):
        inst.replace(vehicle_types=())


def test_kernel_data_shapes_unit_speed():
    """Unit-speed kernel arrays have the documented shapes; travel time equals distance."""
    inst = RoutingInstance(**arrays(vehicle_types=(VAN, VAN.replace(name="big", capacity=20.0, count=1))))
    kd = inst.kernel_data
    assert kd.nodes.shape == (4, 5)
    assert kd.arcs.shape == (4, 4, 4)
    assert kd.grade.shape == (4, 4)
    assert kd.cong.shape == (1, 1)
    assert kd.veh.shape == (2, 11)
    assert kd.cfg.shape == (6,)
    assert_array_equal(kd.arcs[0], kd.arcs[1])
    assert_array_equal(kd.arcs[2], 1.0)
    assert_array_equal(kd.veh[1], [20.0, 1.0, 1.0, 2.0, 1.0, 0.0, 0.0, np.inf, np.inf, 0.0, 0.0])
    assert_array_equal(kd.nodes[:, 0], inst.demand)


def test_kernel_data_shapes_road_network():
    """With road grades, kernel arrays carry speed-based travel time and a (grades, periods) table."""
    inst = paper_instance(12, np.random.default_rng(5))
    kd = inst.kernel_data
    n1 = 13
    assert kd.arcs.shape == (4, n1, n1)
    assert kd.cong.shape == (len(ROAD_GRADES), len(DEFAULT_PROFILE.shape))
    assert kd.veh.shape == (3, 11)
    speed = np.array([g.speed_kmh for g in ROAD_GRADES])[inst.road_grade]
    assert_allclose(kd.arcs[1], inst.distance / speed * 60.0)
    assert_array_equal(kd.grade, inst.road_grade)
    assert kd.cfg[5] == 24 and kd.cfg[4] == inst.start_minute


def test_kernel_data_columns_hold_the_fields_their_layout_names_say():
    """Every column named in optimizer.layout holds that field (values all distinct, so a
    swapped pair of columns or names is caught), on both arc models."""
    from optimizer import layout as L
    from optimizer.model import CongestionProfile, PenaltyModel, RoadGrade

    grades = (RoadGrade("fast", 60.0, 1.1, 0.9, 1.3), RoadGrade("slow", 30.0, 1.4, 1.2, 0.8))
    odd = VehicleType(
        "odd",
        capacity=11.0,
        count=3,
        empty_kg_per_km=0.7,
        full_kg_per_km=1.9,
        cost_per_km=2.3,
        fixed_cost=41.0,
        cost_per_minute=0.13,
    )
    shape = tuple(float(p % 5) for p in range(12))
    for unit in (True, False):
        inst = RoutingInstance(
            **arrays(
                vehicle_types=(VAN, odd),
                unit_speed=unit,
                start_minute=125.0,
                grades=grades,
                road_grade=np.array([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]),
                congestion=CongestionProfile(shape=shape, period_minutes=120.0),
                penalty=PenaltyModel(late_weight=1.7, early_weight=0.4, hard_windows=True),
            )
        )
        kd = inst.kernel_data
        for col, field in ((L.DEMAND, "demand"), (L.READY, "ready"), (L.DUE, "due"), (L.SERVICE, "service")):
            assert_array_equal(kd.nodes[:, col], getattr(inst, field))
        for col, field in (
            (L.CAPACITY, "capacity"),
            (L.COUNT, "count"),
            (L.EMPTY_KG_PER_KM, "empty_kg_per_km"),
            (L.FULL_KG_PER_KM, "full_kg_per_km"),
            (L.COST_PER_KM, "cost_per_km"),
            (L.FIXED_COST, "fixed_cost"),
            (L.COST_PER_MINUTE, "cost_per_minute"),
        ):
            assert kd.veh[1, col] == getattr(odd, field)
        want_cfg = {
            L.LATE_WEIGHT: 1.7,
            L.EARLY_WEIGHT: 0.4,
            L.HARD_WINDOWS: 1.0,
            L.START_MINUTE: 125.0,
            L.PERIOD_MINUTES: 1440.0 if unit else 120.0,
            L.PERIODS: 1.0 if unit else 12.0,
        }
        assert {c: kd.cfg[c] for c in want_cfg} == want_cfg
        # a copy without kernel arrays computes its arcs from the coordinates and grades
        src, dst = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0])
        fresh = inst.replace()
        assert not fresh.kernel_data_ready
        for col, want in zip((L.KM, L.MINUTES, L.EMISSION_FACTOR, L.COST_FACTOR), fresh.arcs_between(src, dst)):
            assert_array_equal(kd.arcs[col, src, dst], want)
        assert_allclose(kd.arcs[L.KM, src, dst], [3.0, 4.0, 3.0, 4.0])
        if not unit:
            grade = [grades[g] for g in inst.road_grade[src, dst]]
            assert_allclose(kd.arcs[L.MINUTES, src, dst], [3.0, 4.0, 3.0, 4.0] / np.array([g.speed_kmh for g in grade]) * 60)
            assert_array_equal(kd.arcs[L.EMISSION_FACTOR, src, dst], [g.emission_factor for g in grade])
            assert_array_equal(kd.arcs[L.COST_FACTOR, src, dst], [g.cost_factor for g in grade])
        assert kd.nodes.shape[1] == L.NODE_FIELDS and kd.arcs.shape[0] == L.ARC_FIELDS
        assert kd.veh.shape[1] == L.VEH_FIELDS and kd.cfg.shape == (L.CFG_FIELDS,)


def test_solution_totals_names_match_the_problem_records():
    """layout.TOTAL_* (solution_eval's record) and problem.OBJ_* (which reads it) agree."""
    from optimizer import layout as L
    from optimizer import problem

    names = ("COST", "EMIS", "PEN", "DIST", "OVERLOAD", "LATE", "FLEET")
    assert [getattr(L, f"TOTAL_{n}") for n in names] == [getattr(problem, f"OBJ_{n}") for n in names]


def test_paper_instance_50():
    """paper_instance(50, rng) builds a soft-window, 3-type instance with valid road grades."""
    inst = paper_instance(50, np.random.default_rng(50))
    assert inst.n_customers == 50
    assert len(inst.vehicle_types) == 3
    assert not inst.unit_speed and not inst.penalty.hard_windows
    assert inst.road_grade.shape == (51, 51)
    assert inst.road_grade.min() >= 0 and inst.road_grade.max() < len(ROAD_GRADES)
    assert sum(v.capacity * v.count for v in inst.vehicle_types) >= inst.demand.sum()
    assert_allclose(inst.due[1:] - inst.ready[1:], 90.0)
    assert (inst.ready[1:] >= 0).all() and (inst.due[1:] <= 720.0 + 1e-9).all()
    assert inst.due[0] == 720.0 + 120.0


def test_paper_instance_mean_demand_and_windows_large_n():
    """On 2000 customers the mean demand is near the paper's 1.8 and every window is 90 minutes."""
    inst = paper_instance(2000, np.random.default_rng(1))
    assert abs(inst.demand[1:].mean() - 1.8) < 0.08
    assert (inst.demand[1:] >= 1).all()
    assert_allclose(inst.due[1:] - inst.ready[1:], 90.0)


def test_paper_instance_rejects_no_customers():
    """paper_instance refuses n < 1."""
    with pytest.raises(ValueError):
        paper_instance(0, np.random.default_rng(0))
