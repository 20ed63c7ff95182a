"""Expected work: the orders, sessions and events a scenario will log, estimated before it runs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.scenario.problems import Problem

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario


#: Most events a scenario file may expect unless ``--allow-large`` (ours: about 14 GB of log
#: and, at the 8,000 events a second of a greedy baseline run, about two hours).
MAX_EXPECTED_EVENTS = 50_000_000


# Calibration (commit 5a6e881, seed 0, scenarios/baseline.toml; `carbonsim run` then
# `SELECT type, count(*) FROM events GROUP BY type`):
#   exogenous, 7 days: 4,163 orders, 39,573 events (9.5 per order at 1.8 items per order);
#   the same, 3 days, 1 item per order: 9.15 per order; 50 items per order: 46.8 per order;
#   sessions, 7 days: 4,324 orders, 8,897 sessions, 65,791 events, 18.3 MB of log;
#   sessions as visits (issue 14, commit after fcf21aa): 4,299 orders, 111,864 sessions of which
#   5,722 logged, 59,417 events (the estimate: 60,673), 14.9 MB of log;
#   the reference conversion of the calibration sessions: 0.470 (no_buy 2.5, slate of 10),
#   0.073 at no_buy 5, 0.0035 at no_buy 8 (the logit odds follow exp(-no_buy)), 0.097 with
#   a slate of 1 and 0.75 with a slate of 50 (the odds grow with the slate's attention).
#   The stations baseline (issue 14: 12,000 customers, 4,000 orders a day, 2 days, after
#   298b5d0): conversion given intent 0.444 at a slate of 10, 0.242 at 3, 0.651 at 30 (odds
#   grow as attention^1.2), 0.036 at 1 (the one-product slate falls off the law: the
#   estimate's sessions are then about half the real ones), 0.073 at no_buy 5.
#: Events of one order that do not grow with its items (placed, picked, packed, arrived,
#: delivered, footprint, label, and its share of waves, routes, replenishments, grades).
EVENTS_PER_ORDER = 8.4


#: Events per item of an order (its stock reservations).
EVENTS_PER_ITEM = 0.77


#: Events of each further delivery attempt (arrived, delivery_failed, a share of a route).
EVENTS_PER_EXTRA_ATTEMPT = 2.5


#: Events of a logged session in `sessions` mode (session_started, slate_shown; issue 14: only a
#: session that clicks or buys is logged, one that buys nothing adds its click).
EVENTS_PER_SESSION = 2.0


#: ``sessions_counted`` events a day in `sessions` mode: at most one an hour.
COUNTED_EVENTS_PER_DAY = 24


#: Clicks per item bought in `sessions` mode (one per distinct product: 6,593 purchase clicks
#: for 4,324 orders of 1.8 items on average in the sessions baseline).
CLICKS_PER_ITEM = 0.85


#: Bytes of event log per event (the sessions baseline: 18.3 MB for 65,791 events).
BYTES_PER_EVENT = 280


#: Conversion of the reference shop at the default no_buy (2.5) and slate (10).
REFERENCE_CONVERSION = 0.444


#: How the purchase odds grow with the slate's attention (fitted on slates of 3, 10 and 30).
ATTENTION_EXPONENT = 1.2


REFERENCE_NO_BUY, REFERENCE_SLATE = 2.5, 10


def _attention(k: int) -> float:
    """Total attention of a slate of ``k`` (recommender.metrics.position_weights, summed)."""
    return sum(1.0 / math.log2(1.0 + j) for j in range(1, k + 1))


def _peak_days(scenario: Scenario) -> float:
    """Sum over the horizon of each day's order-rate multiplier (days, peaks included)."""
    days = scenario.simulation.days
    factor = [1.0] * days
    for p in scenario.demand.peaks:
        for day in range(min(p.start_day, days), min(p.start_day + p.days, days)):
            factor[day] *= p.multiplier  # overflows to inf, never raises
    return math.fsum(factor) if all(map(math.isfinite, factor)) else math.inf


def _count(x: float) -> str:
    if not math.isfinite(x):
        return "more than 1e308"
    return f"{x:,.0f}" if x < 1e15 else f"{x:.2e}"


def _size(n_bytes: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:,.1f} {unit}" if math.isfinite(n_bytes) else f"more than 1e296 {unit}"
    return f"{n_bytes / 1e3:,.0f} kB"


@dataclass(frozen=True)
class Work:
    """A run's expected size, computed from the scenario alone (nothing is built).

    orders = ``demand.orders_per_day`` x the days of the horizon, each weighted by its peaks'
    multipliers; in `sessions` mode, sessions = orders / (``intent_share`` x c), c the
    estimated purchase probability given intent, a logit whose odds are the reference's (0.444
    at no_buy 2.5, slate of 10) scaled by exp(2.5 - no_buy) and by the slate's attention to
    the power 1.2.
    events = orders x (8.4 + 0.77 per item + 2.5 per expected further attempt, + 0.85 clicks
    per item in `sessions` mode) + sessions x intent_share x (2 c + 3 browse_click (1 - c)) (a
    session is logged only when it buys, or clicks without buying) + 24 ``sessions_counted``
    a day. Calibrated on real runs (see the constants):
    within 35 % of real event counts across the shipped scenarios, no_buy 2.5-5, slates of
    3-30 and 10-item baskets (it over-counts the orders of a shop that rarely sells, whose
    recommender learns slowly, and under-counts the sessions of a one-product slate by half).
    """

    days: int
    orders_per_day: int
    peaks: bool
    orders: float
    sessions: float
    events_per_order: float
    events_per_session: float
    events: float

    @classmethod
    def of(cls, scenario: Scenario) -> Work:
        d, c = scenario.demand, scenario.consumers
        orders = d.orders_per_day * _peak_days(scenario)
        extra_attempts = sum(d.failed_attempt_share**k for k in range(1, d.max_attempts))
        per_order = EVENTS_PER_ORDER + EVENTS_PER_ITEM * d.items_per_order + EVENTS_PER_EXTRA_ATTEMPT * extra_attempts
        sessions = per_session = 0.0
        hourly = 0.0
        if d.mode == "sessions":
            conversion = cls.conversion(scenario)
            sessions = orders / (c.intent_share * conversion)
            per_order += CLICKS_PER_ITEM * d.items_per_order
            per_session = c.intent_share * (
                EVENTS_PER_SESSION * conversion + (EVENTS_PER_SESSION + 1.0) * c.browse_click * (1.0 - conversion)
            )
            hourly = min(float(COUNTED_EVENTS_PER_DAY * scenario.simulation.days), sessions)  # none without sessions
        events = orders * per_order + sessions * per_session + hourly
        return cls(scenario.simulation.days, d.orders_per_day, bool(d.peaks), orders, sessions, per_order, per_session, events)

    @staticmethod
    def conversion(scenario: Scenario) -> float:
        """Estimated share of sessions with intent that buy (with ``intent_share``, the divisor of the session rate)."""
        rec = scenario.recommender
        slate = min(rec.slate_size, rec.candidates, scenario.catalog.products)
        ref_odds = REFERENCE_CONVERSION / (1.0 - REFERENCE_CONVERSION)
        reach = (_attention(slate) / _attention(REFERENCE_SLATE)) ** ATTENTION_EXPONENT
        odds = ref_odds * math.exp(REFERENCE_NO_BUY - scenario.consumers.no_buy) * reach
        return odds / (1.0 + odds)

    @property
    def log_bytes(self) -> float:
        return self.events * BYTES_PER_EVENT

    def summary(self) -> str:
        """'about 66,000 events (18.5 MB of log)'."""
        return f"about {_count(self.events)} events ({_size(self.log_bytes)} of log)"

    def problem(self) -> Problem | None:
        """The refusal when the events pass :data:`MAX_EXPECTED_EVENTS`, else None."""
        if self.events <= MAX_EXPECTED_EVENTS:
            return None
        how = (
            f"simulation.days = {self.days} x demand.orders_per_day = {self.orders_per_day:,}"
            f"{' with demand.peaks' if self.peaks else ''} is {_count(self.orders)} orders x {self.events_per_order:.1f} events"
        )
        if self.sessions:
            how += f", plus {_count(self.sessions)} sessions x {self.events_per_session:.2g} events"
        return Problem(
            (),
            (
                f"{how}: {self.summary()}, above the cap of {MAX_EXPECTED_EVENTS:,} events; lower simulation.days or"
                " demand.orders_per_day, or pass --allow-large (allow_large=True in Python) to run it anyway"
            ),
        )
