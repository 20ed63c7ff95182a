"""Chaos: a real `carbonsim run` subprocess killed at random points (SIGKILL, SIGTERM, SIGHUP,
SIGINT); afterwards the log holds everything the run had committed, the run is marked as
what happened to it, and check / verify / kpis say so (issue 16, items 3 and 6)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.signals import Terminated, stop_on_signals

ROOT = Path(__file__).parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _committed(path: Path) -> tuple[int, str]:
    """(events committed, digest of those rows), read without disturbing the writer."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error:
        return 0, ""
    try:
        rows = conn.execute("SELECT * FROM events WHERE run_id = 1 ORDER BY seq").fetchall()
    except sqlite3.Error:
        return 0, ""
    finally:
        conn.close()
    return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()


def _prefix_digest(path: Path, n: int) -> str:
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT * FROM events WHERE run_id = 1 AND seq <= ? ORDER BY seq", [n]).fetchall()
    conn.close()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _cli(*args: str):
    """A reading command, in this process (the killed run was a real subprocess)."""
    from click.testing import CliRunner

    from sim.cli import main

    res = CliRunner().invoke(main, list(args))
    res.returncode = res.exit_code
    return res


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGHUP", "SIGINT", "SIGKILL"]
)
def test_a_killed_run_keeps_what_it_committed(tmp_path, signum):
    db = tmp_path / "run.db"
    rng = random.Random(int(signum))  # a random point of the run, the same on every machine
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "run",
            str(ROOT / "scenarios/baseline.toml"),
            "--days",
            "30",
            "--db",
            str(db),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 90
        while _committed(db)[0] == 0:  # the first batch of 5,000 events is in the file
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run committed nothing in 90 s"
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 1.5))
        seen, digest_before = _committed(db)
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _prefix_digest(db, seen) == digest_before  # nothing committed was rewritten or lost
    total, _ = _committed(db)
    assert total >= seen
    check = _cli("check", str(db), "--json")
    verify = _cli("verify", str(db), "--json")
    kpis = _cli("kpis", str(db), "--json")
    status = json.loads(kpis.stdout)["status"]
    if signum == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL
        assert status == "abandoned"
    else:
        assert proc.returncode == (130 if signum == signal.SIGINT else 128 + signum), err
        assert status == "interrupted"
        assert "Interrupted" in err and str(db.name) in err
        conn = sqlite3.connect(db)
        error = conn.execute("SELECT error FROM runs WHERE run_id = 1").fetchone()[0]
        conn.close()
        if signum != signal.SIGINT:
            assert f"stopped by {signal.Signals(signum).name}" in error
    assert check.returncode != 0  # a partial run never checks clean
    assert json.loads(check.stdout)["complete"] is False
    doc = json.loads(verify.stdout)
    assert doc["tampered"] is None and doc["runs"][0]["events"] == total  # what was committed is intact
    if signum == signal.SIGKILL:  # no seal: the events verify, the run row cannot be vouched for
        assert verify.returncode == 1 and doc["runs"][0]["state"] == "unsealed"
    else:
        assert verify.returncode == 0, verify.stdout + verify.stderr
    assert kpis.returncode == 0 and "partial" in kpis.stderr and json.loads(kpis.stdout)["partial"] is True


def test_terminated_carries_its_signal_through_simpy_and_restores_handlers():
    import simpy

    before = signal.getsignal(signal.SIGTERM)
    env = simpy.Environment()

    def proc(env):
        yield env.timeout(1)
        os.kill(os.getpid(), signal.SIGTERM)
        yield env.timeout(1)

    with pytest.raises(Terminated) as info:
        with stop_on_signals():
            env.process(proc(env))
            env.run()
    assert info.value.signum == signal.SIGTERM and info.value.exit_code == 143
    assert str(info.value) == "stopped by SIGTERM"
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_signal_during_a_flush_lands_after_its_bookkeeping(tmp_path):
    """The race CI found: SIGHUP between a batch's COMMIT and the buffer's reset wrote the
    batch (and its ledger entries) twice. Held during the flush, it lands after."""
    from sim.log.eventlog import EventLog, RunStatus
    from sim.log.events import Event, EventType

    class SignalsMidFlush:
        """A companion that sends the process SIGTERM while its rows are being written."""

        def __init__(self):
            self.fired = False

        def write(self, db, rows):
            if rows and not self.fired:
                self.fired = True
                os.kill(os.getpid(), signal.SIGTERM)

        def finish(self, db):
            pass

        def committed(self):
            pass

    path = tmp_path / "log.db"
    with EventLog.open(path, flush_every=3) as log:
        with pytest.raises(Terminated):
            with stop_on_signals():
                with log.run(scenario="s", scenario_json={}, seed=0) as run_id:
                    log.add_companion(SignalsMidFlush())
                    for i in range(5):
                        log.record(Event(t=float(i), type=EventType.ORDER_PLACED, order_id=i))
        run = log.get_run(run_id)
        assert run.status is RunStatus.INTERRUPTED and "stopped by SIGTERM" in run.error
        assert [e.order_id for e in log.events(run_id)] == [0, 1, 2]  # the batch once; the 4th record was interrupted
