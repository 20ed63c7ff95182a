"""SIGTERM and SIGHUP stop a run the way Ctrl-C does.

``kill``, ``timeout``, ``docker stop`` and batch schedulers send SIGTERM (a closed terminal
sends SIGHUP); Python's default for both is to die on the spot, which would leave the run
marked ``running`` with its buffered events lost. Inside :func:`stop_on_signals` they raise
:class:`Terminated`, a KeyboardInterrupt, so every ``except KeyboardInterrupt`` and
``finally`` on the way out runs: the event log flushes its buffer and marks the run
interrupted. A second signal while that cleanup runs is ignored, so the cleanup finishes.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: The signals handled like SIGINT (SIGHUP does not exist on Windows).
STOP_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None)


class Terminated(KeyboardInterrupt):
    """The process was asked to stop by ``signum``; exit with :attr:`exit_code` (128 + signum)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)  # args survive SimPy's re-raising of a process's exception
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        return f"stopped by {signal.Signals(self.signum).name}"


@contextmanager
def stop_on_signals(signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Within the block, each of ``signals`` raises :class:`Terminated` once; the previous
    handlers come back after it. Does nothing outside the main thread (only it gets signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum, frame):
        nonlocal fired
        if fired:  # already unwinding: let the cleanup finish
            return
        fired = True
        raise Terminated(signum)

    previous = {s: signal.signal(s, handler) for s in signals}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
