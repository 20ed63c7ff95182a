"""optimizer.rows: every row handled exactly once, on the threads numba is set to, errors re-raised."""

from __future__ import annotations

import threading

import numba
import numpy as np
import pytest

from optimizer.rows import run_rows


def _square(lo, hi, out, seen, lock):
    for i in range(lo, hi):
        out[i] += i * i
        with lock:
            seen.add(threading.current_thread().name)


@pytest.mark.parametrize("threads", [1, 2])
def test_every_row_once_whatever_the_thread_count(threads):
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        out = np.zeros(37, dtype=np.int64)
        seen: set[str] = set()
        run_rows(_square, 37, out, seen, threading.Lock())
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(out, np.arange(37) ** 2)
    if numba.get_num_threads() == 1 or threads == 1:
        assert seen == {threading.current_thread().name}


def test_no_rows_is_no_call():
    calls = []
    run_rows(lambda lo, hi: calls.append((lo, hi)), 0)
    assert calls == []


def test_an_error_in_a_row_reaches_the_caller():
    def bad(lo, hi):
        if lo <= 3 < hi:
            raise ValueError("row 3")

    before = numba.get_num_threads()
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    try:
        with pytest.raises(ValueError, match="row 3"):
            run_rows(bad, 8)
    finally:
        numba.set_num_threads(before)
