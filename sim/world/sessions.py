"""Consumer sessions: the `sessions` demand mode, where recommendations and labels shape demand.

A session is a visit to the shop (issue 14): most visits buy nothing. Sessions arrive as a
non-homogeneous Poisson process with the exogenous mode's hourly profile and peaks, at
``orders_per_day / (intent_share x c)`` per day, where ``c`` is the expected purchase
probability of a session with intent facing a reference slate (popularity ranking, no green
boost, no labels, no points, after it has learnt what sells; estimated once per run from the
``calibration`` stream). So ``demand.orders_per_day`` keeps its meaning, and a policy that
changes conversion changes the number of orders while every policy sees the same sessions for
a seed. At the defaults (``intent_share`` 0.08, ``c`` about 0.47) about 3.8 % of sessions buy,
inside the 2.6-13 % of published e-commerce conversion (scenarios/README.md).

A session goes through two stages:

1. **Intent** (vectorised, per hour): a Bernoulli(``consumers.intent_share``) draw says
   whether the visit has shopping intent. A visit without intent leaves without considering a
   slate (a bounce): it is not ranked, shown a slate or logged, only counted.
2. **Choice**, for the visits with intent only, one by one at their arrival time (the shop's
   state, stock, points and live history, moves between them). The consumer (uniform over the
   population)

   a. gets ``recommender.candidates`` products in stock retrieved by appeal x their taste for
      the product's category (Gumbel top-k sampling; a shop does not recommend what it cannot
      sell now), which the recommender ranks into a slate of ``slate_size``
      (:class:`recommender.Recommender`, green re-rank included); in an ``explore_share`` of
      these sessions the slate is the retrieval sample itself, whatever the model: the
      purchases there are the unbiased held-out set both models are scored on;
   b. chooses by the multinomial logit with a no-buy option (:mod:`recommender.choice`; its
      ``no_buy`` sets the purchase probability given intent): a purchase clicks the product
      and buys ``1 + Poisson(items_per_order - 1)`` items, the further ones drawn from the
      slate by the same logit without the no-buy option; a session that buys nothing still
      clicks one product with probability ``browse_click``;
   c. picks a delivery option by a second logit (the green slot earns points), where the
      scenario has pickup points a site or the door by a third (:mod:`sim.world.pickup`:
      distance and the site's points), pays up to ``max_redeem_share`` of the order with
      points, and earns points for green units, the green slot and the site while the budget
      lasts.

**What is logged.** A session that clicks or buys is logged as before: ``session_started``,
``slate_shown``, its ``product_clicked`` events and its ``order_placed``. Every other session
(a bounce, a session with intent that neither clicked nor bought, one that found nothing in
stock) is counted in one ``sessions_counted`` event per hour, at the hour's end: the count is
its ``quantity``; ``bounced`` of them had no intent; the rest were shown ``slates`` slates of
``slots`` products in all, ``green_slots`` of them green, with the summed position-weighted
``exposure`` and ``exposure_green`` of :func:`recommender.metrics.green_exposure`. So the log
grows with the orders and clicks, not with the 25-fold visits, and every recommender figure
still comes from the log alone (:mod:`sim.analysis.summary`):

* sessions = ``session_started`` events + the ``quantity`` of ``sessions_counted``;
* conversion = orders placed by a session / sessions (every visit, bounces included);
* click-through = ``product_clicked`` events / products shown, products shown being the
  ``quantity`` of ``slate_shown`` plus the ``slots`` of ``sessions_counted``: per product on a
  slate actually served, as before (bounces saw none);
* green exposure share = green exposure / exposure, both summed over ``slate_shown`` and
  ``sessions_counted``: over every slate served, as before.

Session ids number every visit drawn (bounces included), so the same visit has the same id
under every policy and the logged ids have gaps.

Random numbers (common random numbers): each hour draws its count and times from
``session_arrivals``; then, from ``sessions``, the consumer, the intent uniform and the
exploration uniform of every visit, and the retrieval uniforms of every visit with intent; and
from ``choices`` a fixed-size block of uniforms and normals per visit with intent. Intent does
not depend on the policy, so two policies facing the same seed see the same visits, the same
consumers with intent at the same times, and differ only through what they show and offer.
Clicks and purchases feed the recommender, retrained every ``retrain_days``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from recommender import ChoiceParams, PointsBank, Recommender, draw_consumers
from recommender.choice import delivery_utilities, probabilities, sample, softmax, utilities
from recommender.consumers import draw_product_factors
from recommender.metrics import green_exposure, position_weights
from sim.log.events import Event, EventType
from sim.world.catalog import Catalog
from sim.world.context import MINUTES_PER_DAY, Context
from sim.world.demand import hourly_rates, place_order, scenario_shares
from sim.world.geography import World
from sim.world.orders import OPTIONS, DeliveryOption, Order

#: Most further items one purchase adds (the Poisson tail beyond it is cut).
EXTRA_MAX = 20
#: Uniforms per session before the extra items: buy, browse, browse pick, extra count, option, slot.
_FIXED = 6
#: Reference sessions that train the reference popularity ranking, then those averaged for
#: the expected conversion (see :meth:`Sessions.calibrate`).
CALIBRATION_WARMUP = 3000
CALIBRATION_SESSIONS = 2000


def _no_receiver(order: Order) -> None:
    raise RuntimeError(f"order {order.id}: Sessions.on_order was never set (the simulation sets it after building)")


@dataclass
class Tally:
    """The sessions of one hour that are counted, not logged (the ``sessions_counted`` payload)."""

    sessions: int = 0
    bounced: int = 0
    slates: int = 0
    slots: int = 0
    green_slots: int = 0
    exposure: float = 0.0
    exposure_green: float = 0.0

    def shown(self, green: np.ndarray) -> None:
        """Count a session with intent that saw the slate whose green flags are ``green`` and left."""
        self.sessions += 1
        if green.size:
            w_green, w = green_exposure(green)
            self.slates += 1
            self.slots += int(green.size)
            self.green_slots += int(green.sum())
            self.exposure += w
            self.exposure_green += w_green

    def event(self, t: float) -> Event:
        data = {
            "bounced": self.bounced,
            "slates": self.slates,
            "slots": self.slots,
            "green_slots": self.green_slots,
            "exposure": self.exposure,
            "exposure_green": self.exposure_green,
        }
        return Event(t=t, type=EventType.SESSIONS_COUNTED, quantity=float(self.sessions), data=data)


@dataclass(frozen=True)
class Visits:
    """One hour's visits, drawn in one vectorised batch (arrays by visit, in time order)."""

    first_id: int  # session id of the first visit; the others follow
    t: np.ndarray  # arrival times, minutes
    consumer: np.ndarray
    intent: np.ndarray  # bool: has shopping intent
    explore: np.ndarray  # bool: shown the retrieval sample unranked (meaningful with intent)
    retrieval: np.ndarray  # (visits with intent, products) uniforms of the Gumbel top-k
    choice: np.ndarray  # (visits with intent, _FIXED + EXTRA_MAX + max_attempts) uniforms
    travel_z: np.ndarray  # (visits with intent, max_attempts) normals of the delivery's travel noise


class Sessions:
    """Generates sessions and hands each purchase to ``on_order`` as an :class:`Order`
    (set it after building when the receiver needs :attr:`expected_share` first).

    ``label_score()`` returns each product's current label score (grade steps better than
    the middle grade, 0 before a product is graded).
    """

    def __init__(
        self,
        ctx: Context,
        world: World,
        catalog: Catalog,
        label_score: Callable[[], np.ndarray],
        on_order: Callable[[Order], None] | None = None,
        in_stock: Callable[[], np.ndarray] | None = None,
    ) -> None:
        sc = ctx.scenario
        cons, rec, inc = sc.consumers, sc.recommender, sc.incentives
        self.ctx, self.world, self.catalog = ctx, world, catalog
        self.on_order: Callable[[Order], None] = on_order or _no_receiver
        self.label_score = label_score
        self.in_stock = in_stock
        n = len(world.customers)
        rng = ctx.streams.get("consumers")
        self.people = draw_consumers(
            n,
            len(catalog.categories),
            rng,
            trust_share=cons.trust_share,
            price_sensitivity_mean=cons.price_sensitivity,
            price_sensitivity_spread=cons.price_sensitivity_spread,
            green_affinity_mean=cons.green_affinity,
        )
        self.product_factors = draw_product_factors(sc.catalog.products, rng, cons.match_spread)[catalog.base]
        self.params = ChoiceParams(
            beta_green=cons.beta_green,
            beta_label=cons.beta_label,
            intention_gap=cons.intention_gap,
            kappa=cons.points_kappa,
            no_buy=cons.no_buy,
            display=sc.labels.display,
        )
        self.recommender = Recommender(
            catalog.green,
            catalog.appeal,
            catalog.category,
            n,
            model=rec.model,
            green_boost=rec.green_boost,
            slate_size=rec.slate_size,
        )
        self.points = PointsBank(
            n, inc.budget, inc.point_value, inc.max_redeem_share, inc.points_per_green_purchase, inc.points_per_green_slot
        )
        self.n_candidates = min(rec.candidates, len(catalog))
        self.explore_share = rec.explore_share
        self.log_attention = np.log(position_weights(rec.slate_size))
        self._unlabelled = np.zeros(rec.slate_size)
        self.log_appeal = np.log(catalog.appeal)
        self.log_share = np.log(self.people.share)
        self.shares = scenario_shares(sc)
        self.green_option = np.array([o is DeliveryOption.GREEN_SLOT for o in OPTIONS])
        self.slot_index = OPTIONS.index(DeliveryOption.GREEN_SLOT)
        # P(n extra items) for the inverse-CDF draw, Poisson(items_per_order - 1) cut at EXTRA_MAX
        lam = sc.demand.items_per_order - 1.0
        pmf = np.array([math.exp(-lam) * lam**k / math.factorial(k) for k in range(EXTRA_MAX + 1)])
        self._extra_cdf = np.cumsum(pmf / pmf.sum())
        self.arrivals = ctx.streams.get("session_arrivals")
        self.who = ctx.streams.get("sessions")
        self.draws = ctx.streams.get("choices")
        self.intent_share = cons.intent_share
        self.conversion, self.expected_share = self.calibrate(ctx.streams.get("calibration"))
        #: sessions drawn so far (every visit, logged or counted); the last one's session id
        self.visits = 0
        self.next_id = 1
        self.orders: list[Order] = []

    # -- the reference conversion ---------------------------------------------------------------

    def calibrate(self, rng: np.random.Generator) -> tuple[float, np.ndarray]:
        """(expected conversion, expected share of units by product) of reference sessions.

        The reference is the policy-neutral shop: a popularity ranking that has learnt what
        sells from ``CALIBRATION_WARMUP`` sampled sessions, no green boost, no labels, no
        points. Its conversion is the divisor of the session rate. The unit shares, which
        stock the warehouse at the start, are those of the same sessions with the scenario's
        green boost (a planner stocks for its own ranking policy)."""
        ref = Recommender(
            self.catalog.green, self.catalog.appeal, self.catalog.category, len(self.people), slate_size=self.recommender.k
        )
        params = replace(self.params, display=False)
        n_people, n_items = len(self.people), len(self.catalog)
        for _ in range(CALIBRATION_WARMUP):
            c = int(rng.integers(n_people))
            slate = ref.slate(c, self._candidates(c, rng.random(n_items)))
            pick = sample(probabilities(self._utilities(c, slate, params, points=False), params.no_buy), float(rng.random()))
            if pick:
                ref.purchase(c, int(slate[pick - 1]))
        ref.retrain()
        boost = self.recommender.green_boost
        total, units = 0.0, np.zeros(n_items)
        for _ in range(CALIBRATION_SESSIONS):
            c = int(rng.integers(n_people))
            candidates = self._candidates(c, rng.random(n_items))
            ref.green_boost = 0.0
            slate = ref.slate(c, candidates)
            p = probabilities(self._utilities(c, slate, params, points=False), params.no_buy)
            total += 1.0 - p[0]
            if boost:  # the warehouse plans for the shop it runs: the same sessions under the green boost
                ref.green_boost = boost
                slate = ref.slate(c, candidates)
                p = probabilities(self._utilities(c, slate, params, points=False), params.no_buy)
            units[slate] += p[1:]
        return total / CALIBRATION_SESSIONS, units / max(units.sum(), 1e-300)

    # -- the SimPy processes --------------------------------------------------------------------

    def process(self, days: int):
        """Sessions over ``days`` days, then stop: each hour's visits drawn at once, those with
        intent served at their times, the rest counted in the hour's ``sessions_counted``."""
        env, sc = self.ctx.env, self.ctx.scenario
        # orders_per_day / (intent share x purchase probability given intent) visits a day
        scale = 1.0 / (self.intent_share * self.conversion)
        for day in range(days):
            rates = hourly_rates(sc, day) * scale
            for hour in range(24):
                t0 = day * MINUTES_PER_DAY + hour * 60.0
                visits = self.draw_hour(t0, float(rates[hour]))
                bounced = int(visits.t.size - visits.intent.sum())
                tally = Tally(sessions=bounced, bounced=bounced)
                for j, i in enumerate(np.flatnonzero(visits.intent)):
                    t = float(visits.t[i])
                    yield env.timeout(t - env.now)
                    self.session(t, visits.first_id + int(i), visits, int(i), j, tally)
                yield env.timeout(t0 + 60.0 - env.now)
                if tally.sessions:
                    self.ctx.record(tally.event(t0 + 60.0))

    def draw_hour(self, t0: float, rate: float) -> Visits:
        """The visits of the hour starting at ``t0`` (expected ``rate`` of them), in a fixed
        layout per stream whatever the policy (see the module docstring)."""
        n = int(self.arrivals.poisson(rate))
        t = np.sort(t0 + 60.0 * self.arrivals.random(n))
        consumer = self.who.integers(len(self.people), size=n)
        intent = self.who.random(n) < self.intent_share
        explore = self.who.random(n) < self.explore_share
        m = int(intent.sum())
        retrieval = self.who.random((m, len(self.catalog)))
        attempts = self.ctx.scenario.demand.max_attempts
        choice = self.draws.random((m, _FIXED + EXTRA_MAX + attempts))
        travel_z = self.draws.standard_normal((m, attempts))
        first = self.visits + 1
        self.visits += n
        return Visits(first, t, consumer, intent, explore, retrieval, choice, travel_z)

    def training(self, days: int):
        """Retrain every ``retrain_days`` at midnight, and once more at the end of the horizon."""
        env, every = self.ctx.env, self.ctx.scenario.recommender.retrain_days
        marks = list(range(every, days + 1, every))
        if not marks or marks[-1] != days:
            marks.append(days)
        for day in marks:
            yield env.timeout(day * MINUTES_PER_DAY - env.now)
            self.retrain()

    def retrain(self) -> None:
        report = self.recommender.retrain()
        data = {
            "serving": self.recommender.model,
            "interactions": report.interactions,
            "purchases": report.purchases,
            "held_out": report.held_out,
            "k": self.recommender.k,
            "hit_rate_popularity": report.hit_rate_popularity,
            "hit_rate_learned": report.hit_rate_learned,
        }
        self.ctx.record(Event(t=self.ctx.now, type=EventType.RECOMMENDER_TRAINED, quantity=float(report.held_out), data=data))

    # -- one session ----------------------------------------------------------------------------

    def _candidates(self, consumer: int, u: np.ndarray, explore: bool = False) -> np.ndarray:
        """Gumbel top-k: a sample without replacement, each product weighted by its appeal x
        the consumer's taste share of its category. Ordered by id; an exploration session
        gets its first ``slate_size`` in the sampled order instead (no model involved)."""
        keys = self.log_appeal + self.log_share[consumer, self.catalog.category] - np.log(-np.log(u))
        if self.in_stock is not None:
            keys = np.where(self.in_stock(), keys, -np.inf)
        if explore:
            picked = np.lexsort((np.arange(keys.size), -keys))[: self.recommender.k]
        else:
            m = self.n_candidates
            picked = np.sort(np.argpartition(-keys, m - 1)[:m]) if m < keys.size else np.arange(keys.size)
        return picked[np.isfinite(keys[picked])]

    def _utilities(self, c: int, slate: np.ndarray, params: ChoiceParams, points: bool = True) -> np.ndarray:
        cat, people = self.catalog, self.people
        pv = None
        if points and self.points.budget:
            pv = self.points.redeemable_value(c, cat.price[slate])
            earn = self.points.offer(self.points.per_green_unit) * self.points.point_value
            pv = pv + earn * cat.green[slate]
        return utilities(
            params,
            taste=people.taste[c, cat.category[slate]],
            match=self.product_factors[slate] @ people.factors[c],
            price_sensitivity=float(people.price_sensitivity[c]),
            green_affinity=float(people.green_affinity[c]),
            trust=float(people.trust[c]),
            price=cat.price[slate],
            reference_price=cat.reference_price[slate],
            green=cat.green[slate],
            label_score=self.label_score()[slate] if params.display else self._unlabelled[: slate.size],
            points_value=pv,
            log_attention=self.log_attention[: slate.size],
        )

    def session(self, t: float, sid: int, visits: Visits, i: int, j: int, tally: Tally) -> Order | None:
        """Serve the ``i``-th visit of ``visits`` (the ``j``-th with intent), session ``sid`` at
        ``t``: logged if it clicks or buys, else counted in ``tally``. Returns its order, if any."""
        ctx, cat = self.ctx, self.catalog
        c = int(visits.consumer[i])
        explore = bool(visits.explore[i])
        if explore:
            slate = self._candidates(c, visits.retrieval[j], explore=True)
        else:
            slate = self.recommender.slate(c, self._candidates(c, visits.retrieval[j]))
        u, travel_z = visits.choice[j], visits.travel_z[j]
        if not slate.size:  # nothing in stock: no slate, nothing to click; counted
            tally.shown(cat.green[slate])
            return None
        p = probabilities(self._utilities(c, slate, self.params), self.params.no_buy)
        pick = sample(p, float(u[0]))
        if pick == 0 and u[1] >= ctx.scenario.consumers.browse_click:  # saw the slate and left
            tally.shown(cat.green[slate])
            return None
        green_w, total_w = green_exposure(cat.green[slate])
        ctx.record(Event(t=t, type=EventType.SESSION_STARTED, consumer_id=c, data={"session": sid}))
        ctx.record(
            Event(
                t=t,
                type=EventType.SLATE_SHOWN,
                consumer_id=c,
                quantity=float(slate.size),
                data={
                    "session": sid,
                    "products": slate.tolist(),
                    "green": int(cat.green[slate].sum()),
                    "exposure_green": green_w,
                    "exposure": total_w,
                    "model": "explore" if explore else self.recommender.model,
                },
            )
        )
        if pick == 0:
            self._click(t, c, sid, slate, sample(p[1:], float(u[2])))
            return None
        extra = int(np.searchsorted(self._extra_cdf, u[3], side="right"))
        positions = [pick - 1] + [sample(p[1:], float(x)) for x in u[_FIXED : _FIXED + min(extra, EXTRA_MAX)]]
        counts: dict[int, int] = {}
        for k in positions:
            counts[k] = counts.get(k, 0) + 1
        for k in counts:
            self._click(t, c, sid, slate, k)
        lines = tuple((int(slate[k]), q) for k, q in counts.items())
        return self._buy(t, c, sid, lines, u, travel_z, explore)

    def _click(self, t: float, c: int, sid: int, slate: np.ndarray, j: int) -> None:
        p = int(slate[j])
        self.recommender.click(c, p)
        self.ctx.record(
            Event(t=t, type=EventType.PRODUCT_CLICKED, consumer_id=c, product_id=p, data={"session": sid, "position": j + 1})
        )

    def _buy(
        self,
        t: float,
        c: int,
        sid: int,
        lines: tuple[tuple[int, int], ...],
        u: np.ndarray,
        travel_z: np.ndarray,
        explore: bool,
    ) -> Order:
        ctx, cat, bank, people = self.ctx, self.catalog, self.points, self.people
        value = float(sum(cat.price[p] * q for p, q in lines))
        slot_points = bank.offer(bank.per_green_slot)
        v = delivery_utilities(
            self.params,
            shares=self.shares,
            green=self.green_option,
            green_affinity=float(people.green_affinity[c]),
            mean_affinity=ctx.scenario.consumers.green_affinity,
            price_sensitivity=float(people.price_sensitivity[c]),
            basket_value=value,
            points_value=self.green_option * (slot_points * bank.point_value),
        )
        option = OPTIONS[sample(softmax(v), float(u[4]))]
        site, pickup_points = None, 0
        if ctx.pickup is not None:
            pickup_points = bank.offer(ctx.scenario.incentives.points_per_pickup)
            site = ctx.pickup.choose(
                c,
                offered=option is not DeliveryOption.EXPEDITED,
                price_sensitivity=float(people.price_sensitivity[c]),
                points_value=pickup_points * bank.point_value,
                basket_value=value,
            )
        redeemed = bank.redeem(c, value)
        order = place_order(
            ctx,
            self.world,
            cat,
            order_id=self.next_id,
            t=t,
            customer=c,
            lines=lines,
            option=option,
            u_slot=float(u[5]),
            absent_u=u[_FIXED + EXTRA_MAX :],
            travel_z=travel_z,
            site=site,
            data={"session": sid, "points_redeemed": redeemed},
        )
        self.next_id += 1
        self.orders.append(order)
        for p, q in lines:
            self.recommender.purchase(c, p, q, held_out=explore)
        if redeemed:
            ctx.record(
                Event(
                    t=t,
                    type=EventType.POINTS_REDEEMED,
                    order_id=order.id,
                    consumer_id=c,
                    quantity=float(redeemed),
                    cost=redeemed * bank.point_value,
                    data={"balance": int(bank.balance[c])},
                )
            )
        green_units = sum(q for p, q in lines if cat.green[p])
        for reason, points in (
            ("green_purchase", green_units * bank.per_green_unit),
            ("green_slot", bank.per_green_slot if option is DeliveryOption.GREEN_SLOT else 0),
            ("pickup", pickup_points if site is not None else 0),
        ):
            if points and (n := bank.award(c, points)):
                ctx.record(
                    Event(
                        t=t,
                        type=EventType.POINTS_EARNED,
                        order_id=order.id,
                        consumer_id=c,
                        quantity=float(n),
                        cost=n * bank.point_value,
                        data={"reason": reason, "balance": int(bank.balance[c]), "budget_left": bank.left},
                    )
                )
        self.on_order(order)
        return order
