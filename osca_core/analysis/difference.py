"""A paired difference a - b of test pass@C per budget with its percentile interval: the row form of
``osca curves --json``'s ``differences`` and of the savings' gaps OSCA - best-pure.

The interval comes from ``osca_core.model.intervals`` (bootstrap replicates of the difference, or per-split
differences); with no replicates (B = 0, one split) there is none.
"""

from __future__ import annotations

from dataclasses import dataclass

from osca_core.errors import InputError
from osca_core.model.intervals import DEFAULT_LEVEL, Interval


@dataclass(frozen=True)
class Difference:
    """Paired difference a - b of test pass@C per budget, with its percentile interval (None when B = 0)."""

    a: str
    b: str
    budgets: tuple[int, ...]
    diff: tuple[float, ...]
    ci_low: tuple[float, ...] | None
    ci_high: tuple[float, ...] | None
    level: float = DEFAULT_LEVEL

    @property
    def excludes_zero(self) -> tuple[bool | None, ...]:
        """Per budget: True when the interval lies entirely above or below 0 (None without an interval)."""
        if self.ci_low is None or self.ci_high is None:
            return (None,) * len(self.budgets)
        return tuple(bool(lo > 0.0 or hi < 0.0) for lo, hi in zip(self.ci_low, self.ci_high, strict=True))

    def rows(self) -> list[dict]:
        """The ``differences`` rows of ``osca curves --json``: a, b, budget, diff, ci_low, ci_high."""
        lo = self.ci_low or (None,) * len(self.budgets)
        hi = self.ci_high or (None,) * len(self.budgets)
        return [{"a": self.a, "b": self.b, "budget": int(x), "diff": d, "ci_low": u, "ci_high": v}
                for x, d, u, v in zip(self.budgets, self.diff, lo, hi, strict=True)]

    def headline(self, budget: int) -> str:
        """One line, e.g. ``osca - best-pure at C = 16: +0.0128 [95% interval -0.0051, +0.0321], includes 0``."""
        if budget not in self.budgets:
            raise InputError(f"budget {budget} was not evaluated")
        i = self.budgets.index(budget)
        text = f"{self.a} - {self.b} at C = {budget}: {self.diff[i]:+.4f}"
        if self.ci_low is None:
            return text + " (no interval: --bootstrap 0)"
        verdict = "excludes 0" if self.excludes_zero[i] else "includes 0"
        return text + (f" [{100 * self.level:g}% interval {self.ci_low[i]:+.4f}, {self.ci_high[i]:+.4f}], "
                       f"{verdict}")

    @property
    def interval(self) -> Interval | None:
        """The interval as the one :class:`~osca_core.model.intervals.Interval` type (None without one)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return Interval(self.ci_low, self.ci_high, self.level)
