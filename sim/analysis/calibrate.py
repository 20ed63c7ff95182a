"""A run's realism figures held against the real-world bands (``carbonsim calibrate``).

Pure comparison: a run's figures (:meth:`RunSummary.to_dict`) in, one :class:`Verdict` per
band out. A figure the run does not have (None: the world does not model it yet, or the run
had no sessions) is ``inside = None``, shown as "not modelled", and never counts as a pass.
Bounds are inclusive: a value equal to ``low`` or ``high`` is inside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sim.analysis.bands import Band
from sim.analysis.kpis import BY_KEY


def inside(band: Band, value: float | None) -> bool | None:
    """Whether ``value`` lies in ``band`` (bounds included); None when there is no value."""
    if value is None:
        return None
    if band.low is not None and value < band.low:
        return False
    if band.high is not None and value > band.high:
        return False
    return True


@dataclass(frozen=True)
class Verdict:
    """One figure of a run beside its band."""

    band: Band
    value: float | None
    inside: bool | None  # None: the run has no value for it (not modelled)

    @property
    def status(self) -> str:
        """ "inside", "outside" or "not modelled"."""
        return "not modelled" if self.inside is None else "inside" if self.inside else "outside"

    def to_dict(self) -> dict[str, Any]:
        """The JSON record: key, label, unit, value, low, high, inside, source (what other tools
        read), then cite, url, derived, weak and note."""
        b = self.band
        return {
            "key": b.key,
            "label": b.label,
            "unit": b.unit,
            "value": self.value,
            "low": b.low,
            "high": b.high,
            "inside": self.inside,
            "source": b.source,
            "cite": b.cite,
            "url": b.url,
            "derived": b.derived,
            "weak": b.weak,
            "note": b.note,
        }


def calibrate(figures: Mapping[str, Any], bands: Iterable[Band]) -> list[Verdict]:
    """Each band with the run's value of its figure (``figures``: a run's ``to_dict()``)."""
    out = []
    for band in bands:
        value = figures.get(band.key)
        value = None if value is None else float(value)
        out.append(Verdict(band, value, inside(band, value)))
    return out


def format_value(band: Band, value: float | None) -> str:
    """A figure or bound as the calibrate table prints it: a share in %, otherwise with the
    KPI registry's decimals for the figure (two where the registry has none)."""
    if value is None:
        return "—"
    if band.share:
        return f"{100 * value:.1f} %"
    reg = BY_KEY.get(band.key)
    digits = reg.digits if reg is not None and not reg.share else 2
    return f"{value:,.{digits}f}"


def format_band(band: Band) -> str:
    """The band in words: "60 - 250", "<= 2.7", ">= 0.05"."""

    def bound(x: float) -> str:
        return f"{100 * x:g} %" if band.share else f"{x:g}"

    if band.low is not None and band.high is not None:
        return f"{bound(band.low)} - {bound(band.high)}"
    if band.high is not None:
        return f"<= {bound(band.high)}"
    return f">= {bound(band.low)}"  # type: ignore[arg-type]  # the loader ensures one bound
