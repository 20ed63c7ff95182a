"""Apportionment: the share of a driven route's emissions charged to each order it carried.

Two methods (DOMAIN.md section 3.3):

``demand_share`` (seed paper eq. 5, the "physical" allocation): each arc's kg CO2e is split
over the orders on board in proportion to their mass; an arc with nothing on board (the
empty return, a deadhead) is split over all the route's orders by mass, the same key.

``tonne_km`` (ISO 14083 / GLEC): the route is one transport operation whose emissions,
empty running included, are split in proportion to mass x shortest feasible distance from
the depot (``sfd_km``), not the distance the parcel actually rode::

    E_s = E_route * m_s * d_SFD(s) / sum_s' m_s' * d_SFD(s')

The difference: a parcel dropped first on a long route pays little under ``demand_share``
(it rode one arc) but its full distance-weighted share under ``tonne_km``; a far customer
reached on the way pays more under ``tonne_km``. Worked example (tests/labels): depot ->
A (3 km) -> B (4 km) -> depot (5 km), 1 kg/km empty + 1 kg/km per 1000 kg, A 100 kg,
B 200 kg, both 3 and 5 km from the depot by road.

Both return a share for every order that rode the route, and the shares add up to the
route's total: computed in floating point, with the rounding remainder given to the largest
share, ``math.fsum(shares)`` equals the route's kg to within 1e-12 relative (a few units
in the last place; tested on random routes).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

#: An order's key: any hashable (the simulation uses int order ids, the examples letters).
OrderId = TypeVar("OrderId", bound=Hashable)
Method = Literal["demand_share", "tonne_km"]
METHODS: tuple[str, ...] = ("demand_share", "tonne_km")
#: The label methods: the two per route, and ``toc_tonne_km`` (ISO 14083 5.6), which pools a day's
#: routes of one transport operation category and splits their kg by tonne-km over the SFD
#: (:func:`allocate`; :mod:`sim.world.labelling` keeps the pools). A route's own shares under it
#: are its ``tonne_km`` ones (what the route alone would charge).
LABEL_METHODS: tuple[str, ...] = ("toc_tonne_km", *METHODS)


def route_method(label_method: str) -> Method:
    """The per-route method of a label method (``toc_tonne_km`` pools ``tonne_km`` routes)."""
    return "tonne_km" if label_method == "toc_tonne_km" else label_method  # type: ignore[return-value]


@dataclass(frozen=True)
class DrivenArc(Generic[OrderId]):
    """One arc as driven: its km, its kg CO2e, and the mass (kg) of each order on board."""

    km: float
    kg_co2e: float
    on_board: Mapping[OrderId, float]


@dataclass(frozen=True)
class DrivenRoute(Generic[OrderId]):
    """A route as driven, arc by arc, with each order's shipped mass and its shortest
    feasible road distance from the depot (km, for ``tonne_km``)."""

    arcs: tuple[DrivenArc[OrderId], ...]
    mass_kg: Mapping[OrderId, float]
    sfd_km: Mapping[OrderId, float]

    @property
    def kg_co2e(self) -> float:
        return math.fsum(a.kg_co2e for a in self.arcs)


def _split(total: float, weights: Mapping[OrderId, float]) -> dict[OrderId, float]:
    """``total`` in proportion to ``weights`` (equal split if they are all 0)."""
    wsum = math.fsum(weights.values())
    if wsum <= 0.0:
        n = len(weights)
        return {k: total / n for k in weights}
    return {k: total * w / wsum for k, w in weights.items()}


#: Relative tolerance within which the shares add up to the route's emissions.
SUM_REL_TOL = 1e-12


def _close(shares: dict[OrderId, float], total: float) -> dict[OrderId, float]:
    """Give the floating-point remainder to the largest share."""
    if not shares:
        return shares
    big = max(shares, key=lambda k: (shares[k], str(k)))
    shares[big] += total - math.fsum(shares.values())
    return shares


def allocate(total: float, activity: Mapping[OrderId, float]) -> dict[OrderId, float]:
    """``total`` kg split in proportion to each order's ``activity`` (tonne-km, or tonnes
    handled at a hub; equal shares if every activity is 0), adding up to ``total`` to within
    :data:`SUM_REL_TOL`: the allocation of ISO 14083 5.6 within one operation category."""
    if not activity:
        if total:
            raise ValueError("emissions with no activity to allocate them to")
        return {}
    return _close(_split(total, activity), total)


def apportion(route: DrivenRoute[OrderId], method: Method = "demand_share") -> dict[OrderId, float]:
    """kg CO2e of ``route`` charged to each order it carried (keys of ``route.mass_kg``)."""
    if method not in METHODS:
        raise ValueError(f"unknown apportionment method {method!r}; allowed: {', '.join(METHODS)}")
    orders = route.mass_kg
    if not orders:
        if any(a.kg_co2e for a in route.arcs):
            raise ValueError("a route with emissions but no orders cannot be apportioned")
        return {}
    for a in route.arcs:
        unknown = set(a.on_board) - set(orders)
        if unknown:
            raise ValueError(f"orders on board but not in mass_kg: {sorted(map(str, unknown))}")
    total = route.kg_co2e
    if method == "tonne_km":
        missing = set(orders) - set(route.sfd_km)
        if missing:
            raise ValueError(f"tonne_km needs sfd_km of every order; missing: {sorted(map(str, missing))}")
        return _close(_split(total, {k: orders[k] * route.sfd_km[k] for k in orders}), total)
    shares = dict.fromkeys(orders, 0.0)
    for a in route.arcs:
        key = {k: m for k, m in a.on_board.items() if m > 0.0} or orders
        for k, v in _split(a.kg_co2e, key).items():
            shares[k] += v
    return _close(shares, total)
