"""Sessions mode: real SimPy sessions placing orders, and the checks of sense of issue 5.

Each test runs the session process alone (no warehouse or vehicles: they do not feed back
into what consumers choose) with a fixed seed, and asserts a direction and a size range,
not exact numbers; one runs the whole world into SQLite for the figures of the log.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from sim import EventLog, check_run, run
from sim.log.events import EventType
from sim.log.payloads import payload_problems
from sim.world.catalog import build_catalog
from sim.world.context import MINUTES_PER_DAY
from sim.world.geography import build_world
from sim.world.orders import DeliveryOption
from sim.world.sessions import Sessions

SHOP = ["world.customers=600", "catalog.products=200", "demand.orders_per_day=300"]


@dataclass
class Outcome:
    sessions: Sessions
    orders: list
    events: list

    def of(self, kind: EventType) -> list:
        return [e for e in self.events if e.type is kind]

    @property
    def green_exposure(self) -> float:
        """Over every slate served: those logged and those counted in sessions_counted (as the summary)."""
        slates = self.of(EventType.SLATE_SHOWN) + self.of(EventType.SESSIONS_COUNTED)
        return sum(e.data["exposure_green"] for e in slates) / sum(e.data["exposure"] for e in slates)

    @property
    def green_sales(self) -> float:
        placed = self.of(EventType.ORDER_PLACED)
        return sum(e.data["green_units"] for e in placed) / sum(e.quantity for e in placed)

    @property
    def slot_uptake(self) -> float:
        return np.mean([o.option is DeliveryOption.GREEN_SLOT for o in self.orders])

    def hit_rates(self) -> tuple[float, float]:
        """(learned, popularity) over every retraining, weighted by the purchases scored."""
        rows = [e.data for e in self.of(EventType.RECOMMENDER_TRAINED) if e.data["hit_rate_learned"] is not None]
        n = sum(r["held_out"] for r in rows)
        return (
            sum(r["held_out"] * r["hit_rate_learned"] for r in rows) / n,
            sum(r["held_out"] * r["hit_rate_popularity"] for r in rows) / n,
        )


def simulate(tiny, make_context, *overrides, days=3, seed=0, label_score=None) -> Outcome:
    scenario = tiny(*SHOP, *overrides)
    ctx, events = make_context(scenario, seed)
    world = build_world(scenario, ctx.streams.get("world"))
    catalog = build_catalog(scenario, ctx.streams.get("catalog"))
    scores = np.zeros(len(catalog)) if label_score is None else label_score(catalog)
    orders: list = []
    sessions = Sessions(ctx, world, catalog, lambda: scores, orders.append)
    ctx.env.process(sessions.process(days))
    ctx.env.process(sessions.training(days))
    ctx.env.run()
    return Outcome(sessions, orders, events)


def green_graded_best(catalog) -> np.ndarray:
    """Labels that favour green: A (+2) on every green product, E (-2) on the rest."""
    return np.where(catalog.green, 2.0, -2.0)


def visits(out: Outcome) -> int:
    """Sessions in the log: the logged ones plus those the hourly sessions_counted events count."""
    return len(out.of(EventType.SESSION_STARTED)) + int(sum(e.quantity for e in out.of(EventType.SESSIONS_COUNTED)))


def test_orders_per_day_keeps_its_meaning(tiny, make_context):
    """The session rate is calibrated so the reference shop places about orders_per_day, and a
    session is a visit: conversion = intent share x the purchase probability given intent."""
    out = simulate(tiny, make_context, days=5)
    per_day = len(out.orders) / 5
    assert 300 * 0.85 < per_day < 300 * 1.2, per_day
    conversion = len(out.orders) / visits(out)
    assert 0.02 < conversion < 0.13, conversion  # published e-commerce conversion: 2.6 % average to 13 % (Amazon)
    assert out.sessions.intent_share * out.sessions.conversion == pytest.approx(conversion, rel=0.2)


def test_sessions_counted_plus_logged_are_the_sessions_drawn(tiny, make_context):
    """Every visit drawn is either logged (it clicked or bought) or counted in its hour's
    sessions_counted, whose payload is as declared and whose tallies add up; the log holds a
    small share of the visits."""
    out = simulate(tiny, make_context, days=2)
    counted = out.of(EventType.SESSIONS_COUNTED)
    logged = out.of(EventType.SESSION_STARTED)
    assert visits(out) == out.sessions.visits > 20 * len(out.orders)
    assert len(logged) < 0.1 * out.sessions.visits
    assert {e.data["session"] for e in logged} <= set(range(1, out.sessions.visits + 1))
    assert len(counted) == len({e.t for e in counted}) <= 48 and all(e.t % 60 == 0 for e in counted)
    for e in counted:
        assert payload_problems(e.type, e.data) == []
        d = e.data
        assert d["bounced"] + d["slates"] <= e.quantity and d["slates"] <= d["slots"] <= 10 * d["slates"]
        assert d["green_slots"] <= d["slots"] and d["exposure_green"] <= d["exposure"]
    bounced = sum(e.data["bounced"] for e in counted)
    assert 1 - bounced / visits(out) == pytest.approx(out.sessions.intent_share, rel=0.05)
    # every logged session with intent clicked or bought: a logged slate without a click is a bug
    clicked = {e.data["session"] for e in out.of(EventType.PRODUCT_CLICKED)}
    assert {e.data["session"] for e in logged} == clicked


def test_every_policy_sees_the_same_sessions(tiny, make_context):
    """Common random numbers: a green boost changes what is shown and so which sessions click,
    not who comes when. A session id numbers a visit, so a session both runs logged is the same
    consumer at the same time, and every hour has the same visits and bounces."""
    a = simulate(tiny, make_context, days=1)
    b = simulate(tiny, make_context, "recommender.green_boost=2", days=1)
    who = lambda out: {e.data["session"]: (e.t, e.consumer_id) for e in out.of(EventType.SESSION_STARTED)}  # noqa: E731
    both = who(a).keys() & who(b).keys()
    assert len(both) > 100 and all(who(a)[sid] == who(b)[sid] for sid in both)
    assert a.sessions.visits == b.sessions.visits

    def per_hour(out):
        hours = {e.t: [int(e.quantity), e.data["bounced"]] for e in out.of(EventType.SESSIONS_COUNTED)}
        for e in out.of(EventType.SESSION_STARTED):
            hours.setdefault(60.0 * (e.t // 60 + 1), [0, 0])[0] += 1
        return hours

    assert per_hour(a) == per_hour(b)
    assert [e.data["products"] for e in a.of(EventType.SLATE_SHOWN)] != [e.data["products"] for e in b.of(EventType.SLATE_SHOWN)]


def test_a_run_converts_like_a_real_shop(tiny, tmp_path):
    """A real run into SQLite: conversion inside the published 2-13 % band, the recommender
    figures computed from the log (logged and counted sessions), and every check holds."""
    db = tmp_path / "run.db"
    s = run(tiny("demand.orders_per_day=200", "simulation.days=2"), db_path=db)
    assert 0.02 < s.conversion < 0.13, s.conversion
    assert s.sessions > 20 * s.orders and s.events < 2 * s.sessions
    assert 0 < s.ctr < 0.2 and 0 < s.green_exposure_share < 0.5
    with EventLog.open(db) as log:
        results = {r.name: r for r in check_run(log, 1)}
        shown = log.db.execute(
            "SELECT (SELECT TOTAL(quantity) FROM events WHERE type = 'slate_shown')"
            " + (SELECT TOTAL(json_extract(data, '$.slots')) FROM events WHERE type = 'sessions_counted')"
        ).fetchone()[0]
        clicks = log.db.execute("SELECT COUNT(*) FROM events WHERE type = 'product_clicked'").fetchone()[0]
    assert s.ctr == pytest.approx(clicks / shown)
    assert results["sessions_counted_add_up"].ok and results["sessions_logged_once"].ok
    assert all(r.ok for r in results.values()), results


def test_green_boost_raises_green_exposure_and_green_sales(tiny, make_context):
    """Boost 0 -> 1 -> 4: green exposure and the green share of units rise at each step, and a
    large boost moves exposure by a large factor (not a rounding error)."""
    runs = [simulate(tiny, make_context, f"recommender.green_boost={b}") for b in (0, 1, 4)]
    exposure = [r.green_exposure for r in runs]
    sales = [r.green_sales for r in runs]
    assert exposure[0] < exposure[1] < exposure[2], exposure
    assert sales[0] < sales[1] < sales[2], sales
    assert 1.5 < exposure[2] / exposure[0] < 10
    assert 0.02 < exposure[0] < 0.4  # green variants are a minority of the catalog (about 17% here)


def test_labels_off_removes_the_label_term(tiny, make_context):
    """Labels that grade green products best raise the green share when shown; with
    display = false the run is exactly the run with no labels at all."""
    shown = simulate(tiny, make_context, label_score=green_graded_best)
    hidden = simulate(tiny, make_context, "labels.display=false", label_score=green_graded_best)
    unlabelled = simulate(tiny, make_context)
    assert shown.green_sales > hidden.green_sales * 1.1
    assert hidden.events == unlabelled.events


def test_price_sensitivity_lowers_green_share_at_a_higher_premium(tiny, make_context):
    """At a 30% green premium, consumers four times as price-sensitive buy clearly less green."""
    calm = simulate(tiny, make_context, "catalog.green_premium=0.3", "consumers.price_sensitivity=1")
    keen = simulate(tiny, make_context, "catalog.green_premium=0.3", "consumers.price_sensitivity=4")
    assert keen.green_sales < 0.8 * calm.green_sales, (keen.green_sales, calm.green_sales)


def test_learned_recommender_beats_popularity_on_held_out_purchases(tiny, make_context):
    """Two weeks of daily retraining: on the exploration bucket's purchases (slates no model
    chose) the learned model's hit rate at 10 beats popularity's."""
    out = simulate(tiny, make_context, "world.customers=400", "recommender.explore_share=0.3", days=14)
    learned, popularity = out.hit_rates()
    assert learned > popularity + 0.02, (learned, popularity)
    held = sum(e.data["held_out"] for e in out.of(EventType.RECOMMENDER_TRAINED))
    assert held > 500


def test_retraining_runs_on_schedule(tiny, make_context):
    out = simulate(tiny, make_context, "recommender.retrain_days=2", days=5)
    times = [e.t / MINUTES_PER_DAY for e in out.of(EventType.RECOMMENDER_TRAINED)]
    assert times == [2.0, 4.0, 5.0]  # every 2 days, and at the end of the horizon


def test_points_are_earned_redeemed_and_capped_by_the_budget(tiny, make_context):
    """Points for green units and the green slot; redemptions pay at most 20% of an order;
    issuing stops at the budget; every balance stays >= 0."""
    out = simulate(
        tiny,
        make_context,
        "demand.delivery_shares.standard=0.6",
        "demand.delivery_shares.green_slot=0.2",
        "incentives.points_per_green_purchase=500",
        "incentives.points_per_green_slot=800",
        "incentives.budget=150000",
        "incentives.point_value=0.01",
        days=3,
    )
    earned, redeemed = out.of(EventType.POINTS_EARNED), out.of(EventType.POINTS_REDEEMED)
    bank = out.sessions.points
    assert {e.data["reason"] for e in earned} == {"green_purchase", "green_slot"}
    assert sum(e.quantity for e in earned) == bank.issued <= 150_000
    assert bank.left < 800  # the budget ran out within three days at these rates
    assert redeemed and sum(e.quantity for e in redeemed) == bank.redeemed
    value = {e.order_id: e.data["value"] for e in out.of(EventType.ORDER_PLACED)}
    assert all(e.cost <= 0.2 * value[e.order_id] + 1e-9 for e in redeemed)
    assert bank.balance.min() >= 0


def test_points_for_the_green_slot_raise_its_uptake(tiny, make_context):
    """Offering 20 yuan of points for the green slot moves deliveries to it."""
    shares = ["demand.delivery_shares.standard=0.6", "demand.delivery_shares.green_slot=0.2"]
    without = simulate(tiny, make_context, *shares)
    paid = simulate(tiny, make_context, *shares, "incentives.points_per_green_slot=2000", "incentives.budget=100000000")
    assert 0.1 < without.slot_uptake < 0.3
    assert paid.slot_uptake > without.slot_uptake + 0.05


def test_no_green_slot_offered_means_none_taken(tiny, make_context):
    out = simulate(tiny, make_context, days=1)  # the baseline's green_slot share is 0
    assert out.orders and out.slot_uptake == 0.0
