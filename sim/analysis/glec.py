"""A GLEC-style emissions report of a run (issue 15, item 6): ``carbonsim kpis --glec``.

Per transport operation category (TOC, :mod:`sim.analysis.ileap`: a last-mile vehicle type, the
line-haul truck, the trunk by road or rail) its transport activity in tonne-km, its kg CO2e
well-to-wheel and tank-to-wheel, the intensities per tonne-km, and the load factor and
empty-distance factor of its operations; and per delivered parcel, the chain's WTW and TTW kg.
The figures are the iLEAP export's, so the report and the exported files never disagree.

The GLEC Framework asks a report to state its data quality: every figure here is **modelled**
(a simulation's vehicles, loads and distances, with default emission factors from
labels/energy_carriers.toml and the scenario), not primary data of a real operation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sim.analysis.ileap import collect
from sim.log.eventlog import EventLog

#: The data-quality statement the framework asks for, in every report.
DATA_QUALITY = (
    "Modelled data: the vehicles, loads and distances come from a carbonsim simulation, the emission "
    "factors are defaults (labels/energy_carriers.toml, the scenario's intensities), primary data share 0 %."
)
#: What the chains leave out, stated with the figures.
EXCLUSIONS = (
    "hub and station operations (HOCs) are not modelled yet",
    "packaging is reported with the label, not as a transport emission",
    "the customer's trip to a pickup point is outside the operator's chain",
)


@dataclass(frozen=True)
class TocRow:
    toc_id: str
    mode: str
    energy_carrier: str
    tkm: float
    kg_co2e_wtw: float
    kg_co2e_ttw: float
    g_co2e_per_tkm_wtw: float | None
    g_co2e_per_tkm_ttw: float | None
    load_factor: float | None
    empty_distance_factor: float | None
    description: str


@dataclass(frozen=True)
class GlecReport:
    run_id: int
    scenario: str
    shipments: int
    tkm: float
    kg_co2e_wtw: float
    kg_co2e_ttw: float
    kg_co2e_wtw_per_parcel: float | None
    kg_co2e_ttw_per_parcel: float | None
    tocs: tuple[TocRow, ...]
    data_quality: str = DATA_QUALITY
    exclusions: tuple[str, ...] = EXCLUSIONS

    # the whole chain's intensities, here so `kpis --glec` and the HTML report show the same figure
    @property
    def g_co2e_per_tkm_wtw(self) -> float | None:
        return 1000.0 * self.kg_co2e_wtw / self.tkm if self.tkm else None

    @property
    def g_co2e_per_tkm_ttw(self) -> float | None:
        return 1000.0 * self.kg_co2e_ttw / self.tkm if self.tkm else None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tocs"] = [asdict(t) for t in self.tocs]
        d["exclusions"] = list(self.exclusions)
        return d


def glec_report(log: EventLog, run_id: int) -> GlecReport:
    """The run's GLEC-style figures (see the module docstring)."""
    c = collect(log, run_id)
    rows = tuple(
        TocRow(
            toc_id=t.toc_id,
            mode=t.mode,
            energy_carrier=t.carrier.name,
            tkm=t.tkm,
            kg_co2e_wtw=t.wtw,
            kg_co2e_ttw=t.ttw,
            g_co2e_per_tkm_wtw=1000.0 * t.wtw / t.tkm if t.tkm else None,
            g_co2e_per_tkm_ttw=1000.0 * t.ttw / t.tkm if t.tkm else None,
            load_factor=t.load_factor,
            empty_distance_factor=t.empty_distance_factor,
            description=t.description,
        )
        for t in c.tocs
    )
    n = len(c.shipments)
    wtw = sum(r.kg_co2e_wtw for r in rows)
    ttw = sum(r.kg_co2e_ttw for r in rows)
    return GlecReport(
        run_id=run_id,
        scenario=c.scenario_name,
        shipments=n,
        tkm=sum(r.tkm for r in rows),
        kg_co2e_wtw=wtw,
        kg_co2e_ttw=ttw,
        kg_co2e_wtw_per_parcel=wtw / n if n else None,
        kg_co2e_ttw_per_parcel=ttw / n if n else None,
        tocs=rows,
    )
