"""One stopwatch for the benchmarks: wall-clock seconds (``time.perf_counter``) of a call, once or repeated.

:func:`timed` times one call; :func:`repeat_times` times ``runs`` calls (every time, and the last result);
:func:`median_time` is their median (``numpy.median``), the figure the benchmarks report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """``(seconds, fn())``: the wall-clock time of one call and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def repeat_times(fn: Callable[[], T], runs: int) -> tuple[list[float], T]:
    """The times of ``max(1, runs)`` calls of ``fn`` (in order) and the last call's result."""
    times, out = [], None
    for _ in range(max(1, runs)):
        seconds, out = timed(fn)
        times.append(seconds)
    return times, out


def median_time(fn: Callable[[], T], runs: int) -> tuple[float, T]:
    """``(median seconds of max(1, runs) calls, the last call's result)``."""
    times, out = repeat_times(fn, runs)
    return float(np.median(times)), out
