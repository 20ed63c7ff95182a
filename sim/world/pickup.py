"""Pickup points and parcel lockers (``[pickup]``): where they are, who takes a parcel there, and
how full they are.

:class:`SiteMap` is the static part of the world: ``pickup.sites_per_station`` sites per depot,
at the centres of the depot's customers (a few rounds of Lloyd's k-means from customers drawn at
random), and for every customer the nearest site of its own depot and the road km to it (a
parcel for a site still goes through the customer's station). :class:`PickupPoints` is the
running part: the choice at the order, each site's parcels, collection.

A site's count covers every parcel promised to it, from the order (or the fallback) until the
customer collects it; a site at ``capacity`` takes no more, so its parcels on the shelf never
exceed it. Collection comes ``Exponential(collect_hours)`` after the drop-off, drawn from the
``pickup`` stream at the drop-off, and is logged as ``pickup_collected``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.units import MINUTES_PER_DAY
from recommender.choice import pickup_utility
from sim.log.events import Event, EventType

#: Lloyd iterations placing a depot's sites (the centres move little after a few).
KMEANS_ROUNDS = 8


@dataclass(frozen=True)
class SiteMap:
    """Sites (index = site id) and each customer's site: the static world of ``[pickup]``."""

    x: np.ndarray
    y: np.ndarray
    depot: np.ndarray  # the station each site is served from
    customer_site: np.ndarray  # per customer: its site (-1: its depot has none)
    customer_km: np.ndarray  # per customer: road km to that site

    def __len__(self) -> int:
        return int(self.x.shape[0])

    def place(self, site: int) -> tuple[float, float]:
        """Where site ``site`` is, km."""
        return float(self.x[site]), float(self.y[site])


def place_sites(
    cx: np.ndarray,
    cy: np.ndarray,
    home: np.ndarray,
    depots: int,
    per_depot: int,
    circuity: float,
    rng: np.random.Generator,
) -> SiteMap:
    """``per_depot`` sites per depot at the k-means centres of its customers (``cx, cy``, depot
    ``home``), and each customer's nearest site of its own depot."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    site = np.full(cx.shape[0], -1, dtype=np.int64)
    km = np.zeros(cx.shape[0])
    first = 0
    for d in range(depots):
        members = np.flatnonzero(home == d)
        if per_depot <= 0 or members.size == 0:
            continue
        k = min(per_depot, members.size)
        px, py = cx[members], cy[members]
        start = rng.choice(members.size, size=k, replace=False)
        mx, my = px[start].copy(), py[start].copy()
        for _ in range(KMEANS_ROUNDS):
            nearest = np.argmin((px[:, None] - mx[None, :]) ** 2 + (py[:, None] - my[None, :]) ** 2, axis=1)
            counts = np.bincount(nearest, minlength=k)
            has = counts > 0
            mx[has] = np.bincount(nearest, weights=px, minlength=k)[has] / counts[has]
            my[has] = np.bincount(nearest, weights=py, minlength=k)[has] / counts[has]
        d2 = (px[:, None] - mx[None, :]) ** 2 + (py[:, None] - my[None, :]) ** 2
        nearest = np.argmin(d2, axis=1)
        site[members] = first + nearest
        km[members] = np.sqrt(d2[np.arange(members.size), nearest]) * circuity
        xs.append(mx)
        ys.append(my)
        owner.append(np.full(k, d, dtype=np.int64))
        first += k
    empty = np.zeros(0)
    return SiteMap(
        x=np.concatenate(xs) if xs else empty,
        y=np.concatenate(ys) if ys else empty,
        depot=np.concatenate(owner) if owner else np.zeros(0, dtype=np.int64),
        customer_site=site,
        customer_km=km,
    )


def site_window(pickup, ready: float, due: float) -> tuple[float, float]:
    """The window [ready, due] narrowed to the site's opening hours: a ready time before
    ``open_hour`` moves to the opening, one after ``close_hour`` to the next day's opening; a
    due time after closing moves to that day's closing, one before opening to the day before's.
    A window left empty is the site's next opening day. (A window over several days still
    spans the nights between: the waves and shifts are what keep a round out of them.)"""
    day = MINUTES_PER_DAY
    open_m, close_m = pickup.open_hour * 60.0, pickup.close_hour * 60.0
    d = math.floor(ready / day) * day
    if ready - d < open_m:
        ready = d + open_m
    elif ready - d > close_m:
        ready = d + day + open_m
    d = math.floor(due / day) * day
    if due - d > close_m:
        due = d + close_m
    elif due - d < open_m:
        due = d - day + close_m
    if due < ready:  # ready now lies in its day's hours: that day's closing is after it
        due = math.floor(ready / day) * day + close_m
    return ready, due


class PickupPoints:
    """The sites while a run goes on: choice, counts, drop-offs and collection."""

    def __init__(self, ctx, sites: SiteMap) -> None:
        self.ctx = ctx
        self.sites = sites
        self.config = ctx.scenario.pickup
        self.held = np.zeros(len(sites), dtype=np.int64)  # parcels promised to each site, not yet collected
        # choices and collections draw from streams of their own: collection times follow the
        # routes, and a routing policy must not shift who takes which parcel to a site
        self.choice_rng = ctx.streams.get("pickup_choice")
        self.rng = ctx.streams.get("pickup")

    @property
    def active(self) -> bool:
        return len(self.sites) > 0

    def choose(
        self,
        customer: int,
        *,
        offered: bool = True,
        price_sensitivity: float = 0.0,
        points_value: float = 0.0,
        basket_value: float = 1.0,
    ) -> int | None:
        """The site the customer takes this order to, or None (the door): the logit of
        :func:`recommender.choice.pickup_utility`, one uniform of ``pickup_choice`` an order
        whatever the outcome; a full site is not offered, nor is any to an order not ``offered``
        one (an expedited order goes to the door)."""
        u = float(self.choice_rng.random())
        s = int(self.sites.customer_site[customer]) if self.active and offered else -1
        if s < 0 or self.held[s] >= self.config.capacity:
            return None
        v = pickup_utility(
            self.config.asc,
            self.config.utility_per_km,
            float(self.sites.customer_km[customer]),
            price_sensitivity=price_sensitivity,
            kappa=self.ctx.scenario.consumers.points_kappa,
            points_value=points_value,
            basket_value=basket_value,
        )
        if u >= 1.0 / (1.0 + math.exp(-v)):
            return None
        self.held[s] += 1
        return s

    def take(self, customer: int) -> int | None:
        """The customer's site for a parcel that could not be handed over, if it has room (``fallback``)."""
        s = int(self.sites.customer_site[customer]) if self.active and self.config.fallback else -1
        if s < 0 or self.held[s] >= self.config.capacity:
            return None
        self.held[s] += 1
        return s

    def release(self, site: int) -> None:
        """A parcel promised to ``site`` will never be on its shelf (it failed on the way)."""
        self.held[site] -= 1

    def dropped(self, order) -> None:
        """``order`` is on its site's shelf: schedule its collection (``pickup_collected``)."""
        hours = float(self.rng.exponential(self.config.collect_hours))
        env = self.ctx.env
        env.timeout(hours * 60.0).callbacks.append(lambda _: self._collected(order, hours))

    def _collected(self, order, hours: float) -> None:
        self.held[order.site] -= 1
        self.ctx.record(
            Event(
                t=self.ctx.now,
                type=EventType.PICKUP_COLLECTED,
                order_id=order.id,
                consumer_id=order.customer,
                data={"site": int(order.site), "hours": hours},
            )
        )
