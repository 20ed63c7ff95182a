"""Promises as they are made (issue 14, item 3): day-definite windows, renewed promises for
backorders, and loading waves at fixed hours of the day."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import EventLog, Scenario, ScenarioError, check_run, run
from sim.log.events import EventType
from sim.world.context import MINUTES_PER_DAY
from sim.world.demand import day_definite_window, delivery_window
from sim.world.orders import DeliveryOption

DAY_DEFINITE = Scenario().demand.replace(promise="day_definite")


@given(st.floats(0.0, 30 * MINUTES_PER_DAY, allow_nan=False))
def test_a_day_definite_window_is_today_before_the_cutoff_else_tomorrow(placed):
    d = DAY_DEFINITE
    ready, due = day_definite_window(d, placed)
    day = math.floor(placed / MINUTES_PER_DAY)
    minute = placed - day * MINUTES_PER_DAY
    assert ready >= placed and due > ready
    if minute < d.cutoff_hour * 60.0:
        assert due == day * MINUTES_PER_DAY + d.delivery_end_hour * 60.0
        assert ready == day * MINUTES_PER_DAY + max(d.delivery_start_hour * 60.0, minute)
    else:
        assert ready == (day + 1) * MINUTES_PER_DAY + d.delivery_start_hour * 60.0
        assert due == (day + 1) * MINUTES_PER_DAY + d.next_day_due_hour * 60.0


def test_only_standard_orders_get_day_definite_promises():
    s = Scenario().replace(demand=DAY_DEFINITE)
    placed = 9 * 60.0  # 09:00, before the cut-off
    assert delivery_window(s, DeliveryOption.STANDARD, placed, 0.5) == (placed, 21 * 60.0)
    slots = Scenario()
    for option in (DeliveryOption.EXPEDITED, DeliveryOption.GREEN_SLOT):
        assert delivery_window(s, option, placed, 0.5) == delivery_window(slots, option, placed, 0.5)


def test_promise_fields_are_checked():
    with pytest.raises(ScenarioError, match="cutoff_hour = 22.0: must be earlier than delivery_end_hour"):
        Scenario.from_toml('[demand]\npromise = "day_definite"\ncutoff_hour = 22.0\n')
    with pytest.raises(ScenarioError, match="next_day_due_hour = 7.0: must be later than delivery_start_hour"):
        Scenario.from_toml("[demand]\nnext_day_due_hour = 7.0\n")
    with pytest.raises(ScenarioError, match="wave_hours .*distinct and increasing"):
        Scenario.from_toml("[routing]\nwave_hours = [12.5, 7.5]\n")


@pytest.fixture(scope="module")
def station_day(tmp_path_factory):
    """Two days with day-definite promises, renewed backorder promises and two loading waves."""
    from sim.scenario import Scenario as S

    s = S.from_toml(
        """
        [simulation]
        days = 2
        [world]
        customers = 300
        [demand]
        orders_per_day = 120
        promise = "day_definite"
        repromise_backorders = true
        [catalog]
        products = 40
        [warehouse]
        order_up_to = 1.5
        reorder_point = 0.5
        [routing]
        wave_hours = [7.5, 12.5]
        """
    )
    db = tmp_path_factory.mktemp("promises") / "run.db"
    summary = run(s, db_path=db, seed=3)
    with EventLog.open(db) as log:
        events = log.events(1)
        checks = check_run(log, 1)
    return s, summary, events, checks


def test_waves_load_at_the_stated_hours_only(station_day):
    _, summary, events, checks = station_day
    waves = [e for e in events if e.type == EventType.WAVE_PLANNED]
    assert waves and all(round(e.t % MINUTES_PER_DAY, 6) in (450.0, 750.0) for e in waves)
    assert all(c.ok for c in checks), [c for c in checks if not c.ok]
    assert summary.delivered + summary.failed == summary.orders


def test_standard_orders_are_promised_day_definite(station_day):
    s, _, events, _ = station_day
    placed = [e for e in events if e.type == EventType.ORDER_PLACED and e.data["option"] == "standard"]
    assert placed
    for e in placed:
        assert tuple(e.data["window"]) == day_definite_window(s.demand, e.t)


def test_a_backorder_gets_a_new_promise_and_is_measured_against_it(station_day):
    _, _, events, _ = station_day
    renewed = {e.order_id: e for e in events if e.type == EventType.PROMISE_RENEWED}
    backordered = {e.order_id for e in events if e.type == EventType.BACKORDERED}
    assert renewed, "the small stock makes backorders whose first promise cannot be kept"
    assert set(renewed) <= backordered
    delivered = {e.order_id: e for e in events if e.type == EventType.DELIVERED}
    last_reserved = {e.order_id: e.t for e in events if e.type == EventType.STOCK_RESERVED}
    for oid, e in renewed.items():
        ready, due = e.data["window"]
        assert due > e.data["previous_due"] and e.lateness == pytest.approx(due - e.data["previous_due"])
        assert e.t == last_reserved[oid]  # renewed when the last missing line is reserved
        if oid in delivered:
            d = delivered[oid]
            arrival = d.t - s_service(d)
            assert d.lateness == pytest.approx(arrival - due, abs=1e-6)


def s_service(delivered_event) -> float:
    """Minutes from the arrival to the delivered event: the wait for the window, then the service."""
    return delivered_event.data["waited"] + Scenario().routing.service_minutes
