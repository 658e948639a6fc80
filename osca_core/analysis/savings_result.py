"""The compute-savings result: one :class:`Savings` type for random splits (``experiments.savings``) and for the
bootstrap on one split (``paired.bootstrap_savings``), its JSON layout, and the one rule for the savings budgets.

The reading (the OSCA paper's headline, "OSCA reaches the best pure configuration's accuracy with N x less
compute"): the baseline is the best pure configuration chosen on training data at the largest budget B; the
target is its test pass@B; ``budget_needed`` is the smallest budget at which OSCA's test curve reaches the target;
the ratio is B / budget_needed. A threshold crossing of a noisy curve is unstable, so the gaps OSCA - best-pure at
fixed budgets come with it (:data:`SAVINGS_NOTE`).

Budgets (:func:`savings_budgets`, the one rule): a crossing is read off the budgets it is given, sorted and
distinct; without budgets, every integer budget 1..top. Each caller says only its top: the log's smallest n
(``experiments.savings``, ``paired.bootstrap_savings`` and the study without ``--budgets``), the largest measured
n capped at ``DEFAULT_BUDGET_CAP`` (``osca savings``), the top of the grid (the dashboard; the report up to
``report_content.EVERY_BUDGET_UP_TO``, beyond which it passes its own budgets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from osca_core.analysis.difference import Difference
from osca_core.model.budgets import check_budgets
from osca_core.model.intervals import DEFAULT_LEVEL
from osca_core.model.splits import Setting

SAVINGS_NOTE = (
    "budget_needed is where OSCA's test curve first crosses the baseline's accuracy; a threshold crossing of a "
    "noisy curve is unstable (a small change in either curve can move it far), so read the ratio's interval and "
    "the accuracy gaps at fixed budgets, which are stable"
)


def savings_budgets(budgets: Sequence[int] | None = None, *, top: int) -> list[int]:
    """The budgets of a savings reading (module docstring): ``budgets`` sorted and distinct, else 1..``top``."""
    if budgets is None:
        return list(range(1, int(top) + 1))
    return sorted(set(check_budgets(budgets)))


def first_reaching(budgets: Sequence[int], values: Sequence[float], target: float) -> int | None:
    """The smallest budget whose value is >= target (budgets ascending), or None."""
    for b, v in zip(budgets, values, strict=True):
        if v >= target:
            return int(b)
    return None


def crossing_ratios(budgets: Sequence[int], osca: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per replicate r, B / (first budget with osca[r] >= target[r]), 0 where none reaches (vectorized
    :func:`first_reaching`)."""
    reached = osca >= target[:, None]
    first = np.asarray(budgets, float)[np.argmax(reached, axis=1)]
    return np.where(reached.any(axis=1), float(budgets[-1]) / first, 0.0)


@dataclass(frozen=True, kw_only=True)
class Savings:
    """OSCA against the best pure configuration chosen on training data at the largest budget B.

    ``target_pass`` is that baseline's test pass@B and ``budget_needed`` the smallest budget at which OSCA's test
    pass reaches it (None if none does); ``ratio`` = B / budget_needed.

    Over random splits (``experiments.savings``) these top-level numbers are read off the mean curves (target =
    mean best-pure test pass at B; budget_needed = first budget where OSCA's mean test curve >= target),
    ``baseline`` is the configuration chosen most often, and the per-split values give ``ratio_ci_low``/
    ``ratio_ci_high`` (percentiles; a split where OSCA never reaches its target counts as ratio 0) and the stable
    accuracy gaps OSCA - best-pure at every budget.

    With a bootstrap on one split (``paired.bootstrap_savings``; ``bootstrap`` holds its ``"setting"``),
    replicate r repeats the whole reading on resampled curves (its own target, its own crossing; never reached
    counts as ratio 0); ``ratio_ci_*`` are percentiles of those ratios (``ratio_distribution``), ``not_reached``
    the share of replicates with ratio 0, and the gaps' intervals those of the paired replicate differences.
    """

    dataset: str
    baseline: str
    baseline_budget: int
    target_pass: float
    budget_needed: int | None
    ratio: float | None
    setting: Setting
    budgets: tuple[int, ...]
    osca_pass: tuple[float, ...]
    best_pure_pass: tuple[float, ...]
    baseline_counts: Mapping[str, int]
    split_targets: tuple[float, ...]
    split_budget_needed: tuple[int | None, ...]
    split_ratios: tuple[float | None, ...]
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    gap: tuple[float, ...]
    gap_ci_low: tuple[float, ...] | None
    gap_ci_high: tuple[float, ...] | None
    note: str = SAVINGS_NOTE
    level: float = DEFAULT_LEVEL
    bootstrap: Mapping | None = field(default=None, compare=False)  # the bootstrap's "setting" (one split)
    not_reached: float | None = None  # bootstrap: share of replicates where OSCA never reaches the target
    ratio_distribution: np.ndarray | None = field(default=None, repr=False, compare=False)  # bootstrap: (B,)

    @property
    def gaps(self) -> Difference:
        """The gaps OSCA - best-pure per budget with their interval, as a paired :class:`Difference`."""
        return Difference("osca", "best-pure", self.budgets, self.gap, self.gap_ci_low, self.gap_ci_high,
                          self.level)

    def as_dict(self) -> dict:
        """The ``osca savings --json`` layout; with a bootstrap, ``"setting"`` says bootstrap and
        ``ratio_not_reached`` is added (before ``note``)."""
        d = {
            "dataset": self.dataset, "baseline": self.baseline, "baseline_budget": self.baseline_budget,
            "target_pass": self.target_pass, "budget_needed": self.budget_needed, "ratio": self.ratio,
            "ratio_ci_low": self.ratio_ci_low, "ratio_ci_high": self.ratio_ci_high,
            "splits": self.setting.splits,
            "setting": dict(self.bootstrap) if self.bootstrap is not None else self.setting.as_dict(),
            "baseline_counts": dict(self.baseline_counts),
            "split_budget_needed": list(self.split_budget_needed), "split_ratios": list(self.split_ratios),
            "gaps": [{"budget": b, "osca": o, "best_pure": p, "gap": g,
                      "ci_low": None if self.gap_ci_low is None else self.gap_ci_low[i],
                      "ci_high": None if self.gap_ci_high is None else self.gap_ci_high[i]}
                     for i, (b, o, p, g) in enumerate(zip(self.budgets, self.osca_pass, self.best_pure_pass,
                                                          self.gap, strict=True))],
        }
        if self.bootstrap is not None:
            d["ratio_not_reached"] = self.not_reached
        d["note"] = self.note
        return d
