"""One stopwatch for the benchmarks: wall-clock seconds (``time.perf_counter``) of a call, once or repeated.

:func:`timed` times one call; :func:`repeat_times` times ``runs`` calls (every time, and the last result);
:func:`median_time` is their median (``numpy.median``), the figure the benchmarks report. :func:`interleaved`
times several calls round by round (one of each per round), so that a machine whose speed drifts (a shared
host, another job starting) slows every figure of a ratio alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
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


def interleaved(calls: Mapping[str, tuple[Callable[[], object], int]]) -> dict[str, tuple[float, object]]:
    """``{name: (median seconds, last result)}`` for ``{name: (fn, runs)}``: round i times one call of every
    ``fn`` with more than i runs (``max(1, runs)`` calls each, in the order given), so the calls of a ratio are
    spread over the same stretch of time rather than measured one after the other."""
    times: dict[str, list[float]] = {k: [] for k in calls}
    last: dict[str, object] = {}
    for i in range(max(max(1, runs) for _, runs in calls.values())):
        for name, (fn, runs) in calls.items():
            if i < max(1, runs):
                seconds, last[name] = timed(fn)
                times[name].append(seconds)
    return {k: (float(np.median(v)), last[k]) for k, v in times.items()}
