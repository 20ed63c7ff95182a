"""Rows of a batch kernel side by side in threads, without numba's parallel compiler.

A batch kernel here is a serial, ``nogil`` numba function ``kernel(lo, hi, *arrays)`` that
handles rows ``lo..hi-1`` and writes only their rows of the output arrays. :func:`run_rows`
hands each thread one row at a time (rows differ in cost: a row whose plan needs many local
search moves would hold up a fixed chunk), so a batch ends when its slowest row does.

Why not ``prange``: a ``parallel=True`` kernel costs 15-20 s more to compile on an empty
cache (the parfor passes and the generated gufunc), measured for decode_batch and
educate_batch, and numba cannot cache the thread layer's choice anyway. The threads here
are the same in number (``numba.get_num_threads()``, so ``numba.set_num_threads`` and
``NUMBA_NUM_THREADS`` still apply) and the results are the same whatever the count, since
rows share nothing mutable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


def threads() -> int:
    """Threads a batch runs on (numba's setting for the calling thread)."""
    import numba

    return max(1, numba.get_num_threads())


def run_rows(kernel: Callable[..., None], rows: int, *args) -> None:
    """``kernel(i, i + 1, *args)`` for every row i < ``rows``, on :func:`threads` threads."""
    n = min(threads(), rows)
    if n <= 1:
        if rows:
            kernel(0, rows, *args)
        return
    lock = threading.Lock()
    nxt = [0]
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= rows or errors:
                return
            try:
                kernel(i, i + 1, *args)
            except BaseException as e:  # re-raised in the caller's thread below
                errors.append(e)
                return

    pool = [threading.Thread(target=work, name=f"optimizer-rows-{t}", daemon=True) for t in range(n - 1)]
    for t in pool:
        t.start()
    work()  # the calling thread takes rows too
    for t in pool:
        t.join()
    if errors:
        raise errors[0]
