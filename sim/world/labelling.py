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

Operation categories (ISO 14083, GLEC v3): a day's rounds of one vehicle type are one transport
operation category (TOC ``last-mile-<type>@<day>``), a day's line-haul trucks another
(``linehaul-truck@<day>``), and the warehouse, the sortation hub and the stations hub operation
categories (HOC ``warehouse@<day>``, ...; kWh a parcel x the grid). Every leg and every site an
order passes is a transport chain element of its footprint (``footprint_computed.data.tces``)
charged from its category's day: under ``labels.method = "toc_tonne_km"`` a TOC's kg are split
over its parcels by tonne-km (mass x shortest feasible distance), a HOC's always by mass; under
``demand_share`` and ``tonne_km`` a round's kg are split over its own parcels when it returns.
So an order's footprint is final once it has ended and every category day it touched has
closed: the day is over and every round that left on it is back. Each closed category day is a
``category_closed`` event (its kg, activity, load and empty-distance figures) and a ledger
record, so the TCEs of a category add up to what its vehicles or sites emitted.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np

from labels.apportion import allocate
from labels.carriers import ELECTRICITY, Carrier, carrier, vehicle_carrier
from labels.footprint import Footprint, Scope
from labels.grades import grade_names, next_grade
from labels.ledger import Ledger
from optimizer.model import VehicleType
from sim.log.events import Event, EventType
from sim.world.catalog import Catalog
from sim.world.context import MINUTES_PER_DAY, Context
from sim.world.orders import Order, OrderStatus
from sim.world.vehicles import RouteTrace
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
        self.pool_tocs = self.cfg.method == "toc_tonne_km"
        self.grid = ctx.scenario.fleet.grid_kg_per_kwh
        self.electricity = carrier(ELECTRICITY)
        net = ctx.scenario.network
        self.site_kwh = {
            "warehouse": ctx.scenario.warehouse.kwh_per_parcel,
            "hub": net.hub_kwh_per_parcel,
            "station": net.station_kwh_per_parcel,
        }
        self.pools: dict[str, _Pool] = {}  # open category days by id
        self.out: Counter[int] = Counter()  # rounds on the road by the day they left

    # -- orders ---------------------------------------------------------------------------------

    def carrier_of(self, vehicle_type: str, electric: bool) -> Carrier:
        """The energy carrier of a vehicle type of the run."""
        return carrier(vehicle_carrier(self.stated.get(vehicle_type, "auto"), electric))

    def route_departed(self, start: float, orders: list[Order]) -> None:
        """A round left: its day's last-mile categories stay open until it is back, and so do its
        parcels' footprints (a parcel delivered on the way must not be finished by another
        category closing before the round's own element is attached)."""
        self.out[_day(start)] += 1
        for o in orders:
            self.charged.setdefault(o.id, _Charge(o)).open += 1

    def route_returned(self, trace: RouteTrace, orders: list[Order], shares: dict[int, float], vehicle: VehicleType) -> None:
        """A round is back: its kg go to its TOC's day (pooled under ``toc_tonne_km``, its own
        ``shares`` charged to its orders otherwise); orders that have ended finish once their
        categories have closed."""
        fuel = self.carrier_of(vehicle.name, vehicle.electric)
        day = _day(trace.start)
        pool = self._pool(f"last-mile-{vehicle.name}", "toc", "last_mile", fuel, day, allocate=self.pool_tocs)
        pool.operations += 1
        pool.kg_model += trace.kg_model
        pool.km += trace.km
        pool.empty_km += trace.empty_km
        pool.load_kg += trace.load_kg
        pool.capacity_kg += trace.capacity_kg
        for o in orders:
            c = self.charged.setdefault(o.id, _Charge(o))
            c.routes.append(trace.route_id)
            sfd = trace.sfd_km[o.id]
            el = _Element(
                "last_mile",
                pool.category,
                o.weight_kg,
                trace.stop_km.get(o.id, 0.0),
                sfd,
                o.weight_kg / 1000.0 * sfd,
                trace.start,
                trace.stop_t.get(o.id),
                trace.route_id,
            )
            if not self.pool_tocs:
                el.model = shares[o.id]
            self._attach(c, pool, el)
            c.open -= 1  # the round is back: its element stands for it now
        self.out[day] -= 1
        self.settle()

    def linehaul_arrived(
        self, orders: list[Order], shares: dict[int, float], kg: float, km_out: float, km_back: float, departed: float, truck: int
    ) -> None:
        """A line-haul truck reached its station: its parcels passed the sortation hub, rode the
        truck and are handled at the station; each a chain element of the day's category."""
        pool = self._pool("linehaul-truck", "toc", "linehaul", self.diesel, _day(self.ctx.now), allocate=self.pool_tocs)
        pool.operations += 1
        pool.kg_model += kg
        pool.km += km_out + km_back
        pool.empty_km += km_back  # the empty return, charged to the load it brought
        pool.load_kg += sum(o.weight_kg for o in orders)
        pool.capacity_kg += self.ctx.scenario.network.linehaul_capacity_kg
        for o in orders:
            c = self.charged.setdefault(o.id, _Charge(o))
            self._handled(c, "hub", departed, departed)
            el = _Element(
                "linehaul",
                pool.category,
                o.weight_kg,
                km_out,
                km_out,
                o.weight_kg / 1000.0 * km_out,
                departed,
                self.ctx.now,
                truck,
            )
            if not self.pool_tocs:
                el.model = shares[o.id]
            self._attach(c, pool, el)
            self._handled(c, "station", self.ctx.now, self.ctx.now)

    def packed(self, o: Order) -> None:
        """An order is packed: it was stored, picked and packed at the warehouse."""
        self._handled(self.charged.setdefault(o.id, _Charge(o)), "warehouse", self.ctx.now, self.ctx.now)

    def _handled(self, c: _Charge, site: str, t0: float, t1: float) -> None:
        kwh = self.site_kwh[site]
        if kwh <= 0.0:
            return
        pool = self._pool(site, "hoc", "handling", self.electricity, _day(t1), allocate=True)
        pool.operations += 1
        pool.kg_model += kwh * self.grid
        self._attach(
            c, pool, _Element("handling", pool.category, c.order.weight_kg, None, None, c.order.weight_kg / 1000.0, t0, t1, None)
        )

    def _pool(self, base: str, kind: str, part: str, fuel: Carrier, day: int, allocate: bool) -> _Pool:
        category = f"{base}@{day}"
        pool = self.pools.get(category)
        if pool is None:
            pool = self.pools[category] = _Pool(category, base, day, kind, part, fuel, allocate)
        return pool

    @staticmethod
    def _attach(c: _Charge, pool: _Pool, el: _Element) -> None:
        pool.elements.append((c.order.id, el))
        c.elements.append(el)
        c.open += 1

    def settle(self) -> None:
        """Close every category day that is over with all its rounds back; finish the orders
        that have ended and have nothing open."""
        today = _day(self.ctx.now)
        for category in [k for k, p in self.pools.items() if p.day < today and self.out[p.day] <= 0]:
            self._close_pool(self.pools.pop(category))

    def _close_pool(self, pool: _Pool) -> None:
        if pool.allocate:
            activity: dict[int, float] = {}
            for i, (_, el) in enumerate(pool.elements):
                activity[i] = el.activity
            for i, kg in allocate(pool.kg_model, activity).items():
                pool.elements[i][1].model = kg
        wtw = ttw = 0.0
        for _, el in pool.elements:
            el.wtw, el.ttw = pool.carrier.scopes(el.model)
            wtw += el.wtw
            ttw += el.ttw
        record = {
            "category": pool.category,
            "base": pool.base,
            "day": pool.day,
            "kind": pool.kind,
            "part": pool.part,
            "carrier": pool.carrier.name,
            "allocated": pool.allocate,
            "operations": pool.operations,
            "elements": len(pool.elements),
            "kg_model": pool.kg_model,
            "wtw": wtw,
            "ttw": ttw,
            "activity": sum(el.activity for _, el in pool.elements),
            "unit": "tkm" if pool.kind == "toc" else "t",
            "km": pool.km,
            "empty_km": pool.empty_km,
            "load_kg": pool.load_kg,
            "capacity_kg": pool.capacity_kg,
        }
        ctx = self.ctx
        ctx.record(Event(t=ctx.now, type=EventType.CATEGORY_CLOSED, label_id=pool.category, kg_co2e=wtw, data=record))
        if self.ledger is not None:
            self.ledger.append(ctx.now, "category_total", pool.category, record)
        for oid, _ in pool.elements:
            c = self.charged.get(oid)
            if c is None:
                continue
            c.open -= 1
            if c.open == 0 and c.order.status in (OrderStatus.DELIVERED, OrderStatus.FAILED):
                self._finish(c.order)

    def close(self) -> None:
        """At the end of a run: every category day still open closes (the rounds are home) and
        the orders that have ended get their footprints."""
        for pool in sorted(self.pools.values(), key=lambda p: (p.day, p.category)):
            self._close_pool(pool)
        self.pools.clear()
        for c in list(self.charged.values()):
            if c.open == 0 and c.order.status in (OrderStatus.DELIVERED, OrderStatus.FAILED):
                self._finish(c.order)

    def _finish(self, o: Order) -> None:
        ctx, cat = self.ctx, self.catalog
        production = float(sum(q * cat.production_kg_co2e[p] for p, q in o.lines))
        charge = self.charged.pop(o.id)
        trunk = self._trunk_tces(o)
        tces = trunk + [el.record() for el in charge.elements]
        sums = {(part, scope): 0.0 for part in ("trunk", "handling", "linehaul", "last_mile") for scope in (WTW, TTW)}
        model = {"last_mile": 0.0, "linehaul": 0.0}
        for t in tces:
            sums[t["part"], WTW] += t["wtw"]
            sums[t["part"], TTW] += t["ttw"]
        for el in charge.elements:
            if el.part in model:
                model[el.part] += el.model
        both = {
            scope: Footprint(
                order_id=o.id,
                last_mile=sums["last_mile", scope],
                trunk=sums["trunk", scope],
                packaging=o.packaging_kg_co2e,
                production=production,
                scope=scope,
                include_production=self.cfg.include_production,
                linehaul=sums["linehaul", scope],
                handling=sums["handling", scope],
            )
            for scope in (WTW, TTW)
        }
        fp = both[self.cfg.scope]
        parts = fp.to_dict()
        del parts["order_id"]
        parts["scopes"] = {k: f.scope_parts() for k, f in both.items()}
        parts["tces"] = tces
        ctx.record(
            Event(
                t=ctx.now,
                type=EventType.FOOTPRINT_COMPUTED,
                order_id=o.id,
                kg_co2e=fp.total,
                data={
                    **parts,
                    "method": self.cfg.method,
                    "last_mile_model": model["last_mile"],
                    "linehaul_model": model["linehaul"],
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
            "handling": fp.handling,
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
        logistics = fp.last_mile + fp.linehaul + fp.handling + fp.packaging
        goods = sum(q * float(cat.unit_kg[p]) for p, q in o.lines) or 1.0
        for p, q in o.lines:
            self.window[p].append(
                (ctx.now, float(q), logistics * q * float(cat.unit_kg[p]) / goods, q * float(self.unit_trunk[p]))
            )

    def _trunk_tces(self, o: Order) -> list[dict]:
        """The supplier legs that brought the order's units, one chain element per mode and
        distance: goods mass x km x the leg's intensity (diesel)."""
        legs: dict[tuple[str, float], float] = {}
        for p, q in o.lines:
            key = ("rail" if self.trunk_rail[p] else "road", float(self.trunk_km[p]))
            legs[key] = legs.get(key, 0.0) + q * float(self.catalog.unit_kg[p])
        w = self.ctx.scenario.warehouse
        out = []
        for (mode, km), mass in sorted(legs.items()):
            tkm = mass / 1000.0 * km
            wtw, ttw = self.diesel.scopes(tkm * (w.rail_kg_per_tkm if mode == "rail" else w.road_kg_per_tkm))
            out.append(_tce("trunk", f"trunk-{mode}", mass, km, km, tkm, None, None, None, wtw, ttw))
        return out

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
            self.settle()  # yesterday's categories close before the grades read the labels
            self.regrade()
            yield self.ctx.env.timeout(MINUTES_PER_DAY)


def _ratio(value: float, median: float) -> float:
    """value / median; a category whose median is 0 grades positive values worst, not average."""
    if median > 0:
        return value / median
    return float("inf") if value > 0 else 0.0


def _finite(x: float) -> float | None:
    return x if x != float("inf") else None


def _day(t: float) -> int:
    return int(t // MINUTES_PER_DAY)


def _tce(part, category, mass, km, sfd, activity, t0, t1, ref, wtw, ttw) -> dict:
    return {
        "part": part,
        "category": category,
        "mass_kg": mass,
        "km": km,
        "sfd_km": sfd,
        "activity": activity,
        "t0": t0,
        "t1": t1,
        "ref": ref,
        "wtw": wtw,
        "ttw": ttw,
    }


@dataclass
class _Element:
    """One transport chain element of an order: a leg (TOC) or a site (HOC) of a category day;
    its kg are known when the day closes."""

    part: str  # the footprint part: last_mile, linehaul, handling
    category: str  # the category day's id
    mass_kg: float
    km: float | None  # distance driven to the drop (last mile), the truck's outbound km (line-haul)
    sfd_km: float | None  # shortest feasible distance: what tonne-km are counted over
    activity: float  # tonne-km (TOC) or tonnes (HOC)
    t0: float | None
    t1: float | None
    ref: int | None  # the round or truck
    model: float = 0.0  # kg at the vehicles' or sites' factors
    wtw: float = 0.0
    ttw: float = 0.0

    def record(self) -> dict:
        return _tce(
            self.part,
            self.category,
            self.mass_kg,
            self.km,
            self.sfd_km,
            self.activity,
            self.t0,
            self.t1,
            self.ref,
            self.wtw,
            self.ttw,
        )


@dataclass
class _Pool:
    """One operation category over one day: what its vehicles or sites emitted and the elements
    of the orders it served."""

    category: str
    base: str
    day: int
    kind: str  # toc or hoc
    part: str
    carrier: Carrier
    allocate: bool  # split kg_model by activity (else each element carries its own kg)
    kg_model: float = 0.0
    operations: int = 0
    km: float = 0.0
    empty_km: float = 0.0
    load_kg: float = 0.0
    capacity_kg: float = 0.0
    elements: list[tuple[int, _Element]] = field(default_factory=list)


@dataclass
class _Charge:
    """The chain elements of one order so far."""

    order: Order
    elements: list[_Element] = field(default_factory=list)
    open: int = 0  # elements whose category day has not closed
    routes: list[int] = field(default_factory=list)
