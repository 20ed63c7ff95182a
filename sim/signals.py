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


class _Holding:
    """Whether the main thread is inside :func:`signals_held`, and the signal that arrived
    meanwhile. Module state on purpose: signal handlers are process state already, and the
    handler and the event log that holds signals share nothing else."""

    depth = 0
    pending: BaseException | None = None


_HOLDING = _Holding()


def _interrupt(signum: int) -> KeyboardInterrupt:
    return KeyboardInterrupt() if signum == signal.SIGINT else Terminated(signum)


@contextmanager
def signals_held() -> Iterator[None]:
    """Inside the block, a stop signal handled by :func:`stop_on_signals` waits; it is raised
    when the (outermost) block ends normally. The event log holds signals while it commits a
    batch: an interrupt between a transaction's COMMIT and the bookkeeping after it would
    leave a batch both in the file and in the buffer, to be written twice."""
    _HOLDING.depth += 1
    try:
        yield
    finally:
        _HOLDING.depth -= 1
    if _HOLDING.depth == 0 and _HOLDING.pending is not None:
        exc, _HOLDING.pending = _HOLDING.pending, None
        raise exc


def raise_or_hold(exc: BaseException) -> None:
    """For a signal handler: raise ``exc`` now, or when the current :func:`signals_held`
    block ends."""
    if _HOLDING.depth > 0:
        _HOLDING.pending = exc
        return
    raise exc


@contextmanager
def stop_on_signals(signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """Within the block, each of ``signals`` raises :class:`Terminated` once, and SIGINT a
    KeyboardInterrupt, both held back inside :func:`signals_held`; the previous handlers come
    back after it. Does nothing outside the main thread (only it gets signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired = False

    def handler(signum, frame):
        nonlocal fired
        if fired:  # already unwinding: let the cleanup finish
            return
        fired = True
        raise_or_hold(_interrupt(signum))

    handled = (*signals, signal.SIGINT) if signal.SIGINT not in signals else signals
    previous = {s: signal.signal(s, handler) for s in handled}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)
