"""``carbonsim export-ileap``: a run's iLEAP records (:mod:`sim.analysis.ileap`) as files.

Layout of ``OUT_DIR``: ``shipment-footprints.json``, ``tocs.json``, ``hocs.json`` (each a JSON
array of records) and ``pact/`` (one PACT ProductFootprint per shipment, ``<shipmentId>.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.ileap import build_ileap
from sim.log.eventlog import EventLog


@dataclass
class IleapCounts:
    shipments: int
    tces: int
    tocs: int
    hocs: int


def export_ileap(log: EventLog, run_id: int, out_dir: str | Path, *, overwrite: bool = False) -> IleapCounts:
    """Write a run's iLEAP files into ``out_dir`` (layout in the module docstring): built in a
    temporary folder beside it and renamed into place, so a failure leaves nothing half-written;
    an existing ``out_dir`` only with ``overwrite`` (FileExistsError otherwise)."""
    from sim.export.outputs import write_output_dir

    shipments, tocs, hocs, pact = build_ileap(log, run_id)

    # compact JSON: the C encoder (an indented dump runs the pure-Python one, 5x slower on a week)
    encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def write(tmp: Path) -> None:
        for name, records in (("shipment-footprints.json", shipments), ("tocs.json", tocs), ("hocs.json", hocs)):
            (tmp / name).write_text(encode(records) + "\n", encoding="utf-8")
        (tmp / "pact").mkdir()
        for pf in pact:
            sid = pf["extensions"][0]["data"]["shipmentId"]
            (tmp / "pact" / f"{sid}.json").write_text(encode(pf) + "\n", encoding="utf-8")

    write_output_dir(out_dir, write, overwrite=overwrite)
    return IleapCounts(shipments=len(shipments), tces=sum(len(s["tces"]) for s in shipments), tocs=len(tocs), hocs=len(hocs))
