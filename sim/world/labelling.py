"""Carbon accounting inside a run: order footprints, order labels, product grades, ledger.

When a route returns, its kg CO2e has been apportioned to the orders it carried (see
:mod:`sim.world.vehicles`). An order's footprint is final once it has ended (delivered, or failed
for good) and the route that ended it is back: its last-mile shares over every route it
rode, the trunk legs that brought its units (mass x
km x the leg's intensity, per unit of each product), its packaging and its items'
production footprint, in both scopes: well-to-wheel and tank-to-wheel by the energy carrier
of each vehicle that carried it (:mod:`labels.carriers`). A delivered order then gets a label in
the label scope (``labels.scope``, well-to-wheel by default). Each product carries a rolling
grade (``labels.grade_thresholds`` against its category's median value, with
``labels.hysteresis``), re-graded every midnight over the last ``labels.rolling_days``:
value = production footprint per unit + the logistics its units were charged. Every label
and grade change is an event and an entry of the hash-chained ledger (:mod:`labels.ledger`),
written in the same transaction as the events.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from labels.carriers import Carrier, carrier, vehicle_carrier
from labels.footprint import Footprint, Scope
from labels.grades import grade_names, next_grade
from labels.ledger import Ledger
from optimizer.model import VehicleType
from sim.log.events import Event, EventType
from sim.world.catalog import Catalog
from sim.world.context import MINUTES_PER_DAY, Context
from sim.world.orders import Order, OrderStatus
from sim.world.warehouse import Warehouse

WTW: Scope = "wtw"
TTW: Scope = "ttw"


class Labeller:
    """Carbon accounting of a run: charges each returned route's apportioned kg CO2e to the
    orders it carried (:meth:`route_returned`), and once an order has ended adds its trunk
    leg, packaging and production to a footprint, logs ``footprint_computed`` and, for a
    delivered order, ``label_issued`` (and a ledger record); its :meth:`grading` process
    regrades products against their category's median and logs ``grade_changed``."""

    def __init__(self, ctx: Context, catalog: Catalog, warehouse: Warehouse, ledger: Ledger | None) -> None:
        self.ctx = ctx
        self.cfg = ctx.scenario.labels
        self.catalog = catalog
        self.ledger = ledger
        w = ctx.scenario.warehouse
        km = np.array([w.supplier_km[s] for s in warehouse.supplier], dtype=float)
        rail = np.array([w.road_to_rail and k > w.rail_over_km for k in km])
        intensity = np.where(rail, w.rail_kg_per_tkm, w.road_kg_per_tkm)
        # trunk legs and line-haul trucks burn diesel (road and rail: an assumption stated in the
        # docs); their intensities are tank-to-wheel
        self.diesel = carrier("diesel")
        unit_ttw = catalog.unit_kg / 1000.0 * km * intensity
        self.unit_trunk_scopes = (self.diesel.scopes(1.0)[0] * unit_ttw, unit_ttw)  # (WTW, TTW) per unit
        self.unit_trunk = self.unit_trunk_scopes[0 if self.cfg.scope == "wtw" else 1]
        self.trunk_km, self.trunk_rail = km, rail  # per product: its supplier's leg, for the TCEs
        # a vehicle type's stated carrier by name (ev_share's electric vans have no entry of their own)
        self.stated = {v.name: v.energy_carrier for v in ctx.scenario.fleet.vehicles}
        self.charged: dict[int, _Charge] = {}  # orders charged by a route whose footprint is not out yet
        # per product: (t, units, kg of last mile + packaging, kg of trunk) of its sales
        self.window: list[deque[tuple[float, float, float, float]]] = [deque() for _ in range(len(catalog))]
        self.grade: list[str | None] = [None] * len(catalog)
        names = grade_names(self.cfg.grade_thresholds)
        self.low_carbon_grades = set(names[: names.index(self.cfg.low_carbon_max_grade) + 1])
        # what a label says to a shopper: grade steps better than the middle grade (A = +2 ... E = -2
        # with five grades), 0 for a product not graded yet
        self._steps = {g: (len(names) - 1) / 2.0 - i for i, g in enumerate(names)}
        self.score = np.zeros(len(catalog))
        self.labels_issued = 0

    # -- orders ---------------------------------------------------------------------------------

    def carrier_of(self, vehicle_type: str, electric: bool) -> Carrier:
        """The energy carrier of a vehicle type of the run."""
        return carrier(vehicle_carrier(self.stated.get(vehicle_type, "auto"), electric))

    def route_returned(self, route_id: int, orders: list[Order], shares: dict[int, float], vehicle: VehicleType) -> None:
        """Charge a returned route's shares to its orders (WTW and TTW by the vehicle's energy
        carrier); finish the orders that have ended."""
        fuel = self.carrier_of(vehicle.name, vehicle.electric)
        for o in orders:
            kg = shares[o.id]
            c = self.charged.setdefault(o.id, _Charge(o))
            c.model += kg
            wtw, ttw = fuel.scopes(kg)
            c.wtw += wtw
            c.ttw += ttw
            c.routes.append(route_id)
        for o in orders:
            if o.status in (OrderStatus.DELIVERED, OrderStatus.FAILED):
                self._finish(o)

    def linehaul_arrived(self, orders: list[Order], shares: dict[int, float]) -> None:
        """Charge a line-haul truck's shares to its parcels (diesel: converted to the label scope)."""
        for o in orders:
            kg = shares[o.id]
            c = self.charged.setdefault(o.id, _Charge(o))
            c.linehaul_model += kg
            wtw, ttw = self.diesel.scopes(kg)
            c.linehaul_wtw += wtw
            c.linehaul_ttw += ttw

    def close(self) -> None:
        """At the end of a run: orders charged by a route that ended later without riding
        again (failed with reason run_ended) get their footprint now."""
        for c in list(self.charged.values()):
            if c.order.status in (OrderStatus.DELIVERED, OrderStatus.FAILED):
                self._finish(c.order)

    def _finish(self, o: Order) -> None:
        ctx, cat = self.ctx, self.catalog
        trunk_wtw = float(sum(q * self.unit_trunk_scopes[0][p] for p, q in o.lines))
        trunk_ttw = float(sum(q * self.unit_trunk_scopes[1][p] for p, q in o.lines))
        production = float(sum(q * cat.production_kg_co2e[p] for p, q in o.lines))
        charge = self.charged.pop(o.id)
        both = {
            scope: Footprint(
                order_id=o.id,
                last_mile=lm,
                trunk=trunk,
                packaging=o.packaging_kg_co2e,
                production=production,
                scope=scope,
                include_production=self.cfg.include_production,
                linehaul=lh,
            )
            for scope, lm, trunk, lh in (
                (WTW, charge.wtw, trunk_wtw, charge.linehaul_wtw),
                (TTW, charge.ttw, trunk_ttw, charge.linehaul_ttw),
            )
        }
        fp = both[self.cfg.scope]
        parts = fp.to_dict()
        del parts["order_id"]
        parts["scopes"] = {k: f.scope_parts() for k, f in both.items()}
        parts["trunk_legs"] = self._trunk_legs(o)
        ctx.record(
            Event(
                t=ctx.now,
                type=EventType.FOOTPRINT_COMPUTED,
                order_id=o.id,
                kg_co2e=fp.total,
                data={
                    **parts,
                    "method": self.cfg.method,
                    "last_mile_model": charge.model,
                    "linehaul_model": charge.linehaul_model,
                    "routes": charge.routes,
                    "delivered": o.status is OrderStatus.DELIVERED,
                },
            )
        )
        if o.status is not OrderStatus.DELIVERED:
            return
        label = {
            "order": o.id,
            "t": ctx.now,
            "kg_co2e": fp.total,
            "last_mile": fp.last_mile,
            "linehaul": fp.linehaul,
            "trunk": fp.trunk,
            "packaging": fp.packaging,
            "production": fp.production,
            "scope": fp.scope,
            "method": self.cfg.method,
        }
        ctx.record(
            Event(t=ctx.now, type=EventType.LABEL_ISSUED, order_id=o.id, label_id=f"order-{o.id}", kg_co2e=fp.total, data=label)
        )
        if self.ledger is not None:
            self.ledger.append(ctx.now, "order_label", o.id, label)
        self.labels_issued += 1
        # the logistics of the order, shared over its lines by mass, for the product grades
        logistics = fp.last_mile + fp.linehaul + fp.packaging
        goods = sum(q * float(cat.unit_kg[p]) for p, q in o.lines) or 1.0
        for p, q in o.lines:
            self.window[p].append(
                (ctx.now, float(q), logistics * q * float(cat.unit_kg[p]) / goods, q * float(self.unit_trunk[p]))
            )

    def _trunk_legs(self, o: Order) -> list[dict]:
        """The supplier legs that brought the order's units, one per mode and distance: what an
        iLEAP export turns into trunk TCEs (their tonne-km x intensity is the footprint's trunk)."""
        legs: dict[tuple[str, float], float] = {}
        for p, q in o.lines:
            key = ("rail" if self.trunk_rail[p] else "road", float(self.trunk_km[p]))
            legs[key] = legs.get(key, 0.0) + q * float(self.catalog.unit_kg[p])
        return [{"mode": mode, "km": km, "mass_kg": mass} for (mode, km), mass in sorted(legs.items())]

    # -- products -------------------------------------------------------------------------------

    def values(self) -> np.ndarray:
        """Each product's carbon value per unit now: production + logistics per unit over the
        window. A product with no sales in the window gets its own trunk leg per unit plus its
        category's last mile and packaging per kg times its own unit mass (nothing before any
        sale in its category)."""
        cat = self.catalog
        horizon = self.ctx.now - self.cfg.rolling_days * MINUTES_PER_DAY
        n = len(cat)
        units, lm, trunk = np.zeros(n), np.zeros(n), np.zeros(n)
        for p, win in enumerate(self.window):
            while win and win[0][0] < horizon:
                win.popleft()
            for _, q, k_lm, k_trunk in win:
                units[p] += q
                lm[p] += k_lm
                trunk[p] += k_trunk
        own = np.divide(lm + trunk, units, out=np.zeros(n), where=units > 0)
        cat_mass = np.bincount(cat.category, weights=units * cat.unit_kg, minlength=len(cat.categories))
        cat_lm = np.bincount(cat.category, weights=lm, minlength=len(cat.categories))
        per_kg = np.divide(cat_lm, cat_mass, out=np.zeros(len(cat_mass)), where=cat_mass > 0)
        fallback = per_kg[cat.category] * cat.unit_kg + self.unit_trunk
        return cat.production_kg_co2e + np.where(units > 0, own, fallback)

    def _against_medians(self):
        """(product, category index, value, category median, ratio) for every product now."""
        cat = self.catalog
        value = self.values()
        for c in range(len(cat.categories)):
            members = np.flatnonzero(cat.category == c)
            median = float(np.median(value[members]))
            for p in members.tolist():
                yield p, c, float(value[p]), median, _ratio(float(value[p]), median)

    def evidence(self) -> list[dict]:
        """Every product's current grade and the figures behind it (for reports)."""
        cat = self.catalog
        return [
            {
                "product_id": p,
                "category": cat.categories[c],
                "grade": self.grade[p],
                "value": value,
                "category_median": median,
                "ratio": _finite(ratio),
                "low_carbon": self.grade[p] in self.low_carbon_grades,
                "green": bool(cat.green[p]),
            }
            for p, c, value, median, ratio in self._against_medians()
        ]

    def regrade(self) -> None:
        """Grade every product against its category's median value; record the changes."""
        ctx, cat, cfg = self.ctx, self.catalog, self.cfg
        for p, c, value, median, ratio in self._against_medians():
            new = next_grade(self.grade[p], ratio, cfg.grade_thresholds, cfg.hysteresis)
            if new == self.grade[p]:
                continue
            record = {
                "product": p,
                "category": cat.categories[c],
                "t": ctx.now,
                "from": self.grade[p],
                "to": new,
                "ratio": _finite(ratio),
                "value": value,
                "category_median": median,
                "low_carbon": new in self.low_carbon_grades,
                "green": bool(cat.green[p]),
            }
            ctx.record(
                Event(t=ctx.now, type=EventType.GRADE_CHANGED, product_id=p, label_id=f"product-{p}", kg_co2e=value, data=record)
            )
            if self.ledger is not None:
                self.ledger.append(ctx.now, "product_grade", p, record)
            self.grade[p] = new
            self.score[p] = self._steps[new]

    def grading(self):
        """The SimPy process: grade at the start, then every midnight."""
        while True:
            self.regrade()
            yield self.ctx.env.timeout(MINUTES_PER_DAY)


def _ratio(value: float, median: float) -> float:
    """value / median; a category whose median is 0 grades positive values worst, not average."""
    if median > 0:
        return value / median
    return float("inf") if value > 0 else 0.0


def _finite(x: float) -> float | None:
    return x if x != float("inf") else None


@dataclass
class _Charge:
    """What the routes have charged one order so far."""

    order: Order
    model: float = 0.0  # kg at the vehicles' factors
    wtw: float = 0.0  # the same well-to-wheel, by each route's energy carrier
    ttw: float = 0.0  # ... and tank-to-wheel
    linehaul_model: float = 0.0  # kg of line-haul trucks at their factors
    linehaul_wtw: float = 0.0  # the same well-to-wheel (diesel trucks)
    linehaul_ttw: float = 0.0
    routes: list[int] = field(default_factory=list)
