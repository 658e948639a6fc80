"""The one interval type: a percentile interval of replicate values (bootstrap replicates or per-split values).

An :class:`Interval` holds the ``low`` and ``high`` ends (arrays of the replicates' trailing shape, or floats) and
the ``level``. :func:`percentile_interval` makes it: the 100 (1 - level)/2 and 100 (1 + level)/2 percentiles over
axis 0 (``numpy.percentile``, linear interpolation; Efron & Tibshirani 1993, ch. 13), the tail rounded to 10
digits so that level 0.95 asks for exactly 2.5 and 97.5. Random splits (``osca_core.analysis.experiments``), the
bootstrap over questions (``osca_core.analysis.bootstrap``) and the paired comparisons (``osca_core.analysis.
paired``) all read their intervals here. Its JSON form is ``{"ci_low", "ci_high", "level"}``, the key names the
result rows use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_LEVEL = 0.95


@dataclass(frozen=True, eq=False)
class Interval:
    """A percentile interval at ``level``: ``low`` and ``high`` (same shape: one value per point, or floats)."""

    low: np.ndarray | float
    high: np.ndarray | float
    level: float = DEFAULT_LEVEL

    def __iter__(self):
        """``lo, hi = interval`` (the ends, as the former helpers returned them)."""
        return iter((self.low, self.high))

    def as_dict(self) -> dict:
        """``{"ci_low", "ci_high", "level"}`` with lists of floats (a float for a scalar interval)."""
        def form(a):
            a = np.asarray(a, float)
            return float(a) if a.ndim == 0 else a.tolist()

        return {"ci_low": form(self.low), "ci_high": form(self.high), "level": self.level}


def percentile_interval(replicates, level: float = DEFAULT_LEVEL) -> Interval:
    """The percentile interval over axis 0 of ``replicates`` (module docstring)."""
    tail = round(50.0 * (1.0 - level), 10)  # 2.5 exactly for level 0.95 (not 2.5000000000000022)
    lo, hi = np.percentile(replicates, [tail, 100.0 - tail], axis=0)
    return Interval(lo, hi, float(level))
