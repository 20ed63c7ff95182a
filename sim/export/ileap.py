"""``carbonsim export-ileap``: a run's iLEAP records (:mod:`sim.analysis.ileap`) as files.

Layout of ``OUT_DIR``: ``shipment-footprints.json``, ``tocs.json``, ``hocs.json`` (each a JSON
array of records) and ``pact/`` (one PACT ProductFootprint per shipment, ``<shipmentId>.json``).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.ileap import TrunkSums, add_trunk, categories, clock, hoc_record, product_footprint, shipment_chains, toc_record
from sim.log.eventlog import EventLog
from sim.log.payloads import K, json_field

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


def export_ileap(
    log: EventLog, run_id: int, out_dir: str | Path, *, overwrite: bool = False, jobs: int | None = None
) -> IleapCounts:
    """Write a run's iLEAP files into ``out_dir`` (layout in the module docstring): built in a
    temporary folder beside it and renamed into place, so a failure leaves nothing half-written;
    an existing ``out_dir`` only with ``overwrite`` (FileExistsError otherwise).

    The shipments are built and written by ``jobs`` processes (default: the machine's cores, up
    to 4, and one below 2,000 shipments; always one for a log in memory), each a slice of the
    log in seq order: the files are byte for byte the same whatever ``jobs`` is."""
    from sim.export.outputs import write_output_dir

    chains = categories(log, run_id)
    slices = _slices(log, run_id, jobs)
    counts = IleapCounts(0, 0, 0, 0)

    def write(folder: Path) -> None:
        os.mkdir(os.path.join(folder, "pact"))
        if len(slices) <= 1:
            parts = [_write_slice(log, run_id, slices[0] if slices else None, str(folder))]
        else:
            jobs_args = [(str(log.path), run_id, sl, str(folder)) for sl in slices]
            # fork: the workers start at once with the modules loaded (they open the log themselves)
            with ProcessPoolExecutor(len(slices), mp_context=multiprocessing.get_context("fork")) as pool:
                parts = list(pool.map(_slice_worker, jobs_args))
        add_trunk(chains, *(p.trunk for p in parts))
        tocs = [toc_record(t, chains.grid) for t in chains.tocs]
        hocs = [hoc_record(h, chains.grid) for h in chains.hocs]
        _write(os.path.join(folder, "shipment-footprints.json"), b"[" + b",".join(p.shipments for p in parts if p.count) + b"]\n")
        for name, records in (("tocs.json", tocs), ("hocs.json", hocs)):
            _write(os.path.join(folder, name), (_encode(records) + "\n").encode())
        counts.shipments = sum(p.count for p in parts)
        counts.tces = sum(p.tces for p in parts)
        counts.tocs, counts.hocs = len(tocs), len(hocs)

    write_output_dir(out_dir, write, overwrite=overwrite)
    return counts


@dataclass
class _Slice:
    shipments: bytes  # the slice's ShipmentFootprints, encoded and joined by commas
    trunk: TrunkSums
    count: int
    tces: int


def _slices(log: EventLog, run_id: int, jobs: int | None) -> list[tuple[int, int]]:
    """The log seq ranges of the delivered footprints, one a worker, in order."""
    seqs = [
        s
        for (s,) in log.db.execute(
            f"SELECT seq FROM events WHERE run_id = ? AND type = 'footprint_computed' AND {json_field(K.DELIVERED)} ORDER BY seq",
            [run_id],
        )
    ]
    n = jobs if jobs is not None else (min(4, os.cpu_count() or 1) if len(seqs) >= _PARALLEL_FROM else 1)
    if log.path is None or "fork" not in multiprocessing.get_all_start_methods():
        n = 1  # a log in memory has no file for the workers; without fork (Windows) one process writes all
    n = max(1, min(n, len(seqs)))
    size = -(-len(seqs) // n) if seqs else 0
    return [(seqs[i], seqs[min(i + size, len(seqs)) - 1]) for i in range(0, len(seqs), size)] if seqs else []


#: Below this many shipments one process writes them all (starting workers costs more).
_PARALLEL_FROM = 2000


def _slice_worker(args: tuple[str, int, tuple[int, int], str]) -> _Slice:
    path, run_id, seqs, folder = args
    with EventLog.open_existing(path) as log:
        return _write_slice(log, run_id, seqs, folder)


def _write_slice(log: EventLog, run_id: int, seqs: tuple[int, int] | None, folder: str) -> _Slice:
    """Build the shipments of one slice, write their PACT files, and hand back their encoded
    bytes (spliced into shipment-footprints.json by the caller) and their trunk legs."""
    run = log.get_run(run_id)
    scenario = json.loads(run.scenario_json)
    at = clock(scenario)
    shipments, trunk = shipment_chains(log, run_id, at, seqs)
    pact_dir = os.path.join(folder, "pact")
    encoded = []
    for s in shipments:
        data = _encode(s).encode()
        encoded.append(data)
        pf = product_footprint(s, run_id, run.scenario, scenario, at)
        _write(os.path.join(pact_dir, f"{s['shipmentId']}.json"), _pact_bytes(pf, data))
    return _Slice(b",".join(encoded), trunk, len(shipments), sum(len(s["tces"]) for s in shipments))


def write_records(folder: Path, shipments: list[dict], tocs: list[dict], hocs: list[dict], pact: list[dict]) -> None:
    """Write already-built records into the empty ``folder`` (the layout in the module
    docstring): what :func:`export_ileap` writes, from :func:`sim.analysis.ileap.build_ileap`'s
    records in one process."""
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
