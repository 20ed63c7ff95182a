"""Wall-clock budgets: the one check of a time limit, and the deadline work is planned against.

A time limit covers everything :func:`optimizer.solve` does (instance preparation, numba
compilation, construction, search, evaluating the front), so every phase that can take
long asks the same :class:`Deadline` whether it may start, and stops at it.
"""

from __future__ import annotations

import math
import time

#: Longest accepted time limit: a day. Anything longer is a typo or "no limit" in disguise
#: (give an iteration count instead).
MAX_TIME_LIMIT = 86_400.0


class OutOfTime(Exception):
    """Raised inside the solver when a phase cannot finish before the deadline."""


def check_time_limit(seconds: float | None, what: str = "time limit") -> float | None:
    """``seconds`` as a float when it is a usable time limit (finite, > 0, at most a day).

    Raises ValueError naming ``what`` and the allowed range otherwise; None passes (no limit).
    """
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number of seconds, got {seconds!r}") from None
    if not math.isfinite(value) or not 0.0 < value <= MAX_TIME_LIMIT:
        raise ValueError(f"{what} must be a finite number of seconds in (0, {MAX_TIME_LIMIT:g}] (a day), got {seconds!r}")
    return value


class Deadline:
    """A moment on the ``time.perf_counter()`` clock by which work must be done.

    ``Deadline(None)`` never passes, so code can ask it unconditionally.
    """

    def __init__(self, at: float | None) -> None:
        self.at = at

    @classmethod
    def after(cls, seconds: float | None, start: float | None = None) -> Deadline:
        """The deadline ``seconds`` after ``start`` (default: now); no limit for None."""
        if seconds is None:
            return cls(None)
        return cls((time.perf_counter() if start is None else start) + seconds)

    @property
    def limited(self) -> bool:
        return self.at is not None

    def remaining(self) -> float:
        """Seconds left (infinite without a limit; negative once passed)."""
        return math.inf if self.at is None else self.at - time.perf_counter()

    def passed(self) -> bool:
        return self.remaining() <= 0.0

    def fits(self, seconds: float) -> bool:
        """Whether work expected to take ``seconds`` would end before the deadline."""
        return seconds <= self.remaining()

    def check(self, doing: str) -> None:
        """Raise :class:`OutOfTime` (saying what was being done) once the deadline has passed."""
        if self.passed():
            raise OutOfTime(doing)

    def earlier(self, seconds: float) -> Deadline:
        """The deadline ``seconds`` before this one (to keep time for a later phase)."""
        return Deadline(None if self.at is None else self.at - seconds)
