"""An order's carbon footprint, part by part, in one emission scope.

Parts (kg CO2e): ``last_mile`` (its shares of every route it rode, failed attempts
included, :func:`labels.apportion.apportion`), ``linehaul`` (its share by mass of the hub ->
station trucks it rode, in the ``stations`` layout; 0 in the seed paper's depot world),
``handling`` (its shares of the warehouse, sortation hub and delivery station it passed:
hub operation categories, kWh a parcel x the grid, split by mass over a day), ``trunk`` (its
units' share of the trunk legs that brought them: units x mass x km x intensity), ``packaging``
(its boxes) and
``production`` (its items' production footprints; reported, and in the total only when
asked, since a logistics label usually leaves it out).

Scope: well-to-wheel (``wtw``, the ISO 14083 / GLEC v3 boundary) or tank-to-wheel (``ttw``),
each part converted from the model's factors by the energy carrier of what carried it
(:mod:`labels.carriers`, factors and sources in ``labels/energy_carriers.toml``): combustion
factors are tank-to-wheel and gain their carrier's well-to-tank share in ``wtw``; an electric
vehicle's grid-based factor is its ``wtw`` and 0 in ``ttw``. Packaging and production are
cradle-to-gate figures, the same in both scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Scope = Literal["ttw", "wtw"]


@dataclass(frozen=True)
class Footprint:
    """One order's footprint by part, kg CO2e in ``scope``."""

    order_id: int
    last_mile: float
    trunk: float
    packaging: float
    production: float
    scope: Scope
    include_production: bool = False
    linehaul: float = 0.0
    handling: float = 0.0

    @property
    def transport(self) -> float:
        return self.last_mile + self.linehaul + self.trunk

    @property
    def chain(self) -> float:
        """The transport chain of ISO 14083: its transport and hub operations (what its TCEs add up to)."""
        return self.transport + self.handling

    @property
    def total(self) -> float:
        return self.chain + self.packaging + (self.production if self.include_production else 0.0)

    def scope_parts(self) -> dict:
        """The parts that depend on the scope, with the transport and the total."""
        return {
            "last_mile": self.last_mile,
            "linehaul": self.linehaul,
            "trunk": self.trunk,
            "handling": self.handling,
            "transport": self.transport,
            "chain": self.chain,
            "total": self.total,
        }

    def to_dict(self) -> dict:
        # by hand: dataclasses.asdict deep-copies every field, a tenth of a labelled run's labelling time
        return {
            "order_id": self.order_id,
            "last_mile": self.last_mile,
            "trunk": self.trunk,
            "packaging": self.packaging,
            "production": self.production,
            "scope": self.scope,
            "include_production": self.include_production,
            "linehaul": self.linehaul,
            "handling": self.handling,
            "total": self.total,
        }
