"""``carbonsim export-ileap``: a run's iLEAP records (:mod:`sim.analysis.ileap`) as files.

Layout of ``OUT_DIR``: ``shipment-footprints.json``, ``tocs.json``, ``hocs.json`` (each a JSON
array of records) and ``pact/`` (one PACT ProductFootprint per shipment, ``<shipmentId>.json``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.ileap import build_ileap
from sim.log.eventlog import EventLog

# compact JSON: the C encoder (an indented dump runs the pure-Python one, 5x slower on a week)
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
#: Stands in for a PACT file's ShipmentFootprint while the wrapper around it is encoded: no
#: record holds it (a NUL is escaped in JSON, so its encoded form cannot come from other text)
_HOLE = "\x00carbonsim-ileap-shipment\x00"
_HOLE_JSON = _encode(_HOLE)
_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


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
    write_output_dir(out_dir, lambda tmp: write_records(tmp, shipments, tocs, hocs, pact), overwrite=overwrite)
    return IleapCounts(shipments=len(shipments), tces=sum(len(s["tces"]) for s in shipments), tocs=len(tocs), hocs=len(hocs))


def write_records(folder: Path, shipments: list[dict], tocs: list[dict], hocs: list[dict], pact: list[dict]) -> None:
    """Write the records into the empty ``folder`` (the layout in the module docstring).

    A week is about 29,000 PACT files, each wrapping a shipment that shipment-footprints.json
    holds too: every shipment is encoded once and its bytes spliced into both, and each file is
    one open, write and close of bytes (no text layer, no Path per file)."""
    encoded = {id(s): _encode(s).encode() for s in shipments}
    _write(os.path.join(folder, "shipment-footprints.json"), b"[" + b",".join(encoded.values()) + b"]\n")
    for name, records in (("tocs.json", tocs), ("hocs.json", hocs)):
        _write(os.path.join(folder, name), (_encode(records) + "\n").encode())
    pact_dir = os.path.join(folder, "pact")
    os.mkdir(pact_dir)
    for pf in pact:
        shipment = pf["extensions"][0]["data"]
        _write(os.path.join(pact_dir, f"{shipment['shipmentId']}.json"), _pact_bytes(pf, encoded.get(id(shipment))))


def _pact_bytes(pf: dict, shipment: bytes | None) -> bytes:
    """``pf`` encoded as :data:`_encode` would, its shipment's bytes spliced in when given (the
    bytes of that very dict), the wrapper alone encoded here."""
    if shipment is None:
        return (_encode(pf) + "\n").encode()
    first = {**pf["extensions"][0], "data": _HOLE}
    head, hole, tail = _encode({**pf, "extensions": [first, *pf["extensions"][1:]]}).partition(_HOLE_JSON)
    return head.encode() + shipment + tail.encode() + b"\n"


def _write(path: str, data: bytes) -> None:
    fd = os.open(path, _FLAGS, 0o666)
    try:
        view = memoryview(data)
        while view:  # a regular file takes it in one write; a short write is not an error
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
