"""A GLEC-style emissions report of a run (issue 15, item 6): ``carbonsim kpis --glec``.

Per transport operation category (TOC, :mod:`sim.analysis.ileap`: a last-mile vehicle type, the
line-haul truck, the trunk by road or rail; the export's daily categories summed over the run)
its transport activity in tonne-km, its kg CO2e well-to-wheel and tank-to-wheel, the intensities
per tonne-km, and the load factor and empty-distance factor of its operations; per hub operation
category (HOC: the warehouse, the sortation hub, the stations) the tonnes handled, kg and kg per
tonne; and per delivered parcel, the chain's WTW and TTW kg. The figures are the iLEAP export's,
so the report and the exported files never disagree.

The GLEC Framework asks a report to state its data quality: every figure here is **modelled**
(a simulation's vehicles, loads and distances, with default emission factors from
labels/energy_carriers.toml and the scenario), not primary data of a real operation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sim.analysis.ileap import add_trunk, categories, trunk_legs
from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field

#: The data-quality statement the framework asks for, in every report.
DATA_QUALITY = (
    "Modelled data: the vehicles, loads and distances come from a carbonsim simulation, the emission "
    "factors are defaults (labels/energy_carriers.toml, the scenario's intensities), primary data share 0 %."
)
#: What the chains leave out, stated with the figures.
EXCLUSIONS = (
    "hub operations are electricity only (no on-site fuel, refrigerants or buildings' heating)",
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
    kind: str = "toc"  # toc, or hoc: a hub operation category, whose tkm are tonnes handled
    activity_unit: str = "tkm"


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
    c = categories(log, run_id)  # the export's categories and trunk totals, without building the shipments
    trunk, n = trunk_legs(log, run_id)
    add_trunk(c, trunk)
    groups: dict[str, list] = {}
    for t in [*c.tocs, *c.hocs]:
        groups.setdefault(t.base or t.toc_id, []).append(t)
    rows = tuple(_row(base, members, log, run_id) for base, members in groups.items())
    wtw = sum(r.kg_co2e_wtw for r in rows)
    ttw = sum(r.kg_co2e_ttw for r in rows)
    return GlecReport(
        run_id=run_id,
        scenario=c.scenario_name,
        shipments=n,
        tkm=sum(r.tkm for r in rows if r.kind == "toc"),
        kg_co2e_wtw=wtw,
        kg_co2e_ttw=ttw,
        kg_co2e_wtw_per_parcel=wtw / n if n else None,
        kg_co2e_ttw_per_parcel=ttw / n if n else None,
        tocs=rows,
    )


def _row(base: str, members: list, log: EventLog, run_id: int) -> TocRow:
    """One category over the run: its days summed; load and empty-distance factors over all its operations."""
    first = members[0]
    tkm = sum(t.tkm for t in members)
    wtw = sum(t.wtw for t in members)
    ttw = sum(t.ttw for t in members)
    hoc = first.kind == "hoc"
    load, empty = _factors(log, run_id, base) if not hoc else (None, None)
    per = 1000.0 if not hoc else 1.0  # g per tkm for a TOC, kg per tonne for a HOC
    return TocRow(
        toc_id=base,
        mode=first.mode,
        energy_carrier=first.carrier.name,
        tkm=tkm,
        kg_co2e_wtw=wtw,
        kg_co2e_ttw=ttw,
        g_co2e_per_tkm_wtw=per * wtw / tkm if tkm else None,
        g_co2e_per_tkm_ttw=per * ttw / tkm if tkm else None,
        load_factor=load,
        empty_distance_factor=empty,
        description=first.description.split(", day ")[0]
        + (", " + first.carrier.name if ", day " in first.description and not hoc else ""),
        kind=first.kind,
        activity_unit="t" if hoc else "tkm",
    )


def _factors(log: EventLog, run_id: int, base: str) -> tuple[float | None, float | None]:
    """(load factor, empty-distance factor) of a category over the run, from its closed days."""
    row = log.db.execute(
        f"SELECT TOTAL({json_field(K.LOAD_KG)}), TOTAL({json_field(K.CAPACITY_KG)}), TOTAL({json_field(K.EMPTY_KM)}),"
        f" TOTAL({json_field(K.KM)}) FROM events WHERE run_id = ? AND type = 'category_closed' AND {json_field(K.BASE)} = ?",
        [run_id, base],
    ).fetchone()
    load, capacity, empty, km = row
    return (load / capacity if capacity else None, empty / km if km else None)
