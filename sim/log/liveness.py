"""Is the process that writes a run still alive? The identity a run records, and the test.

A run row stores the host, pid and (on Linux) the process's start time in clock ticks since
boot, so a pid reused by a later process is not mistaken for the writer. A reader on the same
host asks the operating system; a reader on another host can only look at the run's
heartbeat, which the writer refreshes while it works (see :mod:`sim.log.eventlog`).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

#: A run on another host whose heartbeat is older than this is taken for abandoned. Ours: a
#: writer refreshes it at every flush and every simulated hour, which even a slow MOGWO wave
#: under its time limit keeps well within fifteen minutes.
STALE_HEARTBEAT_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    host: str
    pid: int
    start_ticks: int | None  # None where /proc is not available


def _start_ticks(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: split after its last ')'
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[19])  # field 22 of stat(5): starttime


def current_process() -> ProcessIdentity:
    """This process, as a run row records it."""
    pid = os.getpid()
    return ProcessIdentity(socket.gethostname(), pid, _start_ticks(pid))


def process_alive(identity: ProcessIdentity) -> bool:
    """Whether the process is still running (on this host; call only when ``host`` is ours)."""
    try:
        os.kill(identity.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        pass
    if identity.start_ticks is None:
        return True
    return _start_ticks(identity.pid) == identity.start_ticks


def writer_gone(
    host: str | None, pid: int | None, start_ticks: int | None, heartbeat_at: str | None, *, now: datetime | None = None
) -> bool:
    """Whether a run marked running has lost its writer. Logs written before runs recorded
    their process (no host, no pid) are never called abandoned: nothing tells."""
    if host is None or pid is None:
        return False
    if host == socket.gethostname():
        return not process_alive(ProcessIdentity(host, pid, start_ticks))
    if heartbeat_at is None:
        return False
    beat = datetime.fromisoformat(heartbeat_at.replace("Z", "+00:00"))
    now = now or datetime.now(UTC)
    return (now - beat).total_seconds() > STALE_HEARTBEAT_SECONDS
