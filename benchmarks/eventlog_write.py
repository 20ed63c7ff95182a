"""The event log's write path alone: a run's events replayed into a fresh log, with and
without the label ledger as its companion (which digests every flushed batch), in µs per
event and events per second.

The events come from a log written beforehand (``carbonsim run scenarios/baseline.toml``
gives a baseline week, about 66,000 events); each variant writes them into a new file in a
temporary folder, ``--repeat`` times, and the best time is kept (the machine is shared).
The replay measures ``record`` (validation, buffering) plus the flushes (INSERT with the
log's indexes, and the ledger's digests), not the simulation that produced the events. The
difference between the two replays is within the machine's noise, so a third line times the
digests alone: ``batch_digests`` over the same rows in batches of ``DEFAULT_FLUSH_EVERY``,
which is all the ledger adds per event.

Usage::

    carbonsim run scenarios/baseline.toml --db /tmp/base.db
    python benchmarks/eventlog_write.py /tmp/base.db
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from labels.ledger import Ledger, batch_digests, table_columns  # noqa: E402
from sim.log.eventlog import DEFAULT_FLUSH_EVERY, EventLog  # noqa: E402


def replay(events: list, path: Path, with_ledger: bool, trusted: bool = False, flush: bool = True) -> float:
    """Seconds to record (``trusted``: through ``record_trusted``, the world's path) and flush
    ``events`` as one run of a new log at ``path`` (``flush`` False: the buffering alone)."""
    # without the flush, one buffer holds every event: the timing is the buffering alone
    with EventLog.open(path, flush_every=DEFAULT_FLUSH_EVERY if flush else len(events) + 1) as log:
        run_id = log.start_run(scenario="replay", scenario_json={}, seed=0)
        if with_ledger:
            log.add_companion(Ledger(log.db, run_id))
        record = log.record_trusted if trusted else log.record
        t0 = time.perf_counter()
        for event in events:
            record(event)
        if flush:
            log.flush()
        seconds = time.perf_counter() - t0
        log.flush()
        log.finish_run("completed")
    return seconds


def digests_only(rows: list[tuple], type_index: int) -> float:
    """Seconds to digest ``rows`` as the ledger does at each flush."""
    t0 = time.perf_counter()
    for i in range(0, len(rows), DEFAULT_FLUSH_EVERY):
        batch_digests(rows[i : i + DEFAULT_FLUSH_EVERY], type_index)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", help="an event log whose run to replay")
    ap.add_argument("--run", type=int, help="the run to replay (default: the last)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with EventLog.open_existing(args.db) as log:
        run = log.pick_run(args.run, source=args.db)
        events = [e for _, e in log.iter_events(run.run_id)]
        columns = table_columns(log.db, "events")
        rows = log.db.execute(f"SELECT {', '.join(columns)} FROM events WHERE run_id = ? ORDER BY seq", [run.run_id]).fetchall()
    print(f"# {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, {date.today()}")
    print(f"# python benchmarks/eventlog_write.py {' '.join(sys.argv[1:])}: {len(events):,} events of run {run.run_id}")
    print(f"{'variant':<30}{'best s':>9}{'µs/event':>10}{'events/s':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        variants = (
            ("record, buffer only", False, False, False),
            ("record_trusted, buffer only", False, True, False),
            ("record + flush", False, False, True),
            ("record_trusted + flush", False, True, True),
            ("events + ledger digests", True, False, True),
            ("trusted + ledger digests", True, True, True),
        )
        for k, (name, with_ledger, trusted, flush) in enumerate(variants):
            best = min(replay(events, Path(tmp) / f"v{k}-{i}.db", with_ledger, trusted, flush) for i in range(args.repeat))
            print(f"{name:<30}{best:>9.3f}{best / len(events) * 1e6:>10.2f}{len(events) / best:>11,.0f}")
    best = min(digests_only(rows, columns.index("type")) for _ in range(args.repeat))
    print(f"{'ledger digests alone':<30}{best:>9.3f}{best / len(rows) * 1e6:>10.2f}{len(rows) / best:>11,.0f}")


if __name__ == "__main__":
    main()
