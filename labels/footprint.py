"""An order's carbon footprint, part by part, in one emission scope.

Parts (kg CO2e): ``last_mile`` (its shares of every route it rode, failed attempts
included, :func:`labels.apportion.apportion`), ``linehaul`` (its share by mass of the hub ->
station trucks it rode, in the ``stations`` layout; 0 in the seed paper's depot world),
``trunk`` (its units' share of the trunk legs that brought them: units x mass x km x intensity), ``packaging`` (its boxes) and
``production`` (its items' production footprints; reported, and in the total only when
asked, since a logistics label usually leaves it out).

Scope (DOMAIN.md 3.3): the fleet's diesel factors (paper Table 2) and the trunk intensities
are tank-to-wheel; well-to-wheel multiplies fuel-burning parts by ``DIESEL_WTW_PER_TTW``
(3.24 / 2.67 kg CO2e per litre of fossil diesel). An electric vehicle's factor comes from
grid intensity, which is already a lifecycle (well-to-wheel) figure: it counts in full in
``wtw`` and as 0 in ``ttw`` (nothing leaves the tailpipe).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Scope = Literal["ttw", "wtw"]
#: kg CO2e per litre of fossil diesel, well-to-wheel over tank-to-wheel (DOMAIN.md 3.3).
DIESEL_WTW_PER_TTW = 3.24 / 2.67


def in_scope(kg: float, *, electric: bool, scope: Scope) -> float:
    """Convert kg CO2e computed with the model's factors to the requested scope."""
    if scope == "ttw":
        return 0.0 if electric else kg
    if scope == "wtw":
        return kg if electric else kg * DIESEL_WTW_PER_TTW
    raise ValueError(f"unknown scope {scope!r}; allowed: ttw, wtw")


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

    @property
    def transport(self) -> float:
        return self.last_mile + self.linehaul + self.trunk

    @property
    def total(self) -> float:
        return (
            self.last_mile + self.linehaul + self.trunk + self.packaging + (self.production if self.include_production else 0.0)
        )

    def to_dict(self) -> dict:
        d = asdict(self)
        d["total"] = self.total
        return d
