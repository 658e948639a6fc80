"""Budgets a view evaluates and offers: the grid of budgets between two ends (every integer when few, else a
log-spaced grid that keeps the powers of two), the default range and the largest budget offered for a dataset,
and whether the budget axis starts logarithmic."""

from __future__ import annotations

import math

import numpy as np

from osca_core.errors import InputError
from osca_core.model.extrapolation import largest_measured_n
from osca_core.model.outcomes import OutcomeMatrix

DEFAULT_CAP = 512  # the largest budget the dashboard offers (extrapolation beyond n is flagged)
LOG_AXIS_ABOVE = 32  # a budget axis whose largest budget is above this starts logarithmic


def budget_grid(lo: int, hi: int, *, max_points: int = 64) -> list[int]:
    """Budgets to evaluate between ``lo`` and ``hi`` (inclusive): every integer when there are at most
    ``max_points`` of them, else about ``max_points`` log-spaced distinct integers that always include ``lo``,
    ``hi`` and every power of two in between (so a log2 axis has a point at each tick)."""
    lo, hi = int(lo), int(hi)
    if lo < 1 or hi < lo:
        raise InputError(f"budget range {lo}..{hi}: need 1 <= low <= high")
    if hi - lo + 1 <= max_points:
        return list(range(lo, hi + 1))
    pts = set(np.unique(np.round(np.geomspace(lo, hi, max_points)).astype(int)).tolist())
    pts |= {lo, hi}
    p = 1
    while p <= hi:
        if p >= lo:
            pts.add(p)
        p *= 2
    return sorted(pts)


def default_budget_range(matrix: OutcomeMatrix, *, cap: int = DEFAULT_CAP) -> tuple[int, int]:
    """1 up to the budget that buys the largest number of samples logged for a measured cell
    (``extrapolation.largest_measured_n``) of the cheapest configuration: ceil(n_max * min_s c_s), at least 1,
    capped at ``cap``. With unit costs that is n_max itself (a cheap configuration at n = 10 beside an expensive
    one at n = 1 opens on 1..10, not 1..1); with costs the budget is in cost units. Points where an allocation
    asks a configuration for more samples than it logged (k > n) are extrapolated and flagged."""
    top = largest_measured_n(matrix) * float(np.min(matrix.costs))
    return 1, int(min(max(1, math.ceil(top - 1e-9)), cap))


def budget_limit(matrix: OutcomeMatrix, *, cap: int = DEFAULT_CAP) -> int:
    """Largest budget the app offers: four times the largest n (extrapolation is flagged), at most ``cap``."""
    return int(max(4, min(4 * int(matrix.n.max()), cap)))


def log_axis_default(top: int) -> bool:
    """Whether a budget axis whose largest budget is ``top`` starts logarithmic (base 2): when ``top`` is above
    :data:`LOG_AXIS_ABOVE`, a linear axis squeezes the small budgets, where the curves change most, into its
    first few pixels."""
    return int(top) > LOG_AXIS_ABOVE
