"""What strategies produce: allocations at a budget, curves over budgets, optimizer solutions, and their scores.

An allocation {configuration: k} (k samples from each configuration, sum k = C) is scored two ways (OSCA paper,
Zhang et al. 2024, ``osca.py``):

- training objective: mean over training questions of 1 - prod_s (1 - c_qs/n_qs)^k_s (plug-in estimate);
- test pass@C: mean over test questions of 1 - prod_s (1 - pass@k_s), unbiased pass@k.

Where k_s > n_qs (either side) the term is the Beta-binomial posterior predictive under the configuration's prior,
fitted on the training questions (``osca_core.model.extrapolation``); test terms so estimated are flagged
``extrapolated``. With k <= n everywhere the numbers are exactly the paper's.

These result types sit below every strategy, optimizer and experiment, so that new strategies (their own
modules) import them without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.model.extrapolation import columns, eval_pass, lazy_prior, resolve, train_pass
from osca_core.model.objective import CERTIFY_TOL
from osca_core.model.outcomes import OutcomeMatrix

ALLOCATION_GLYPH = "×"  # "a ×3": k samples from configuration a


@dataclass(frozen=True)
class Allocation:
    """One strategy's allocation at one budget, with the numbers it scores.

    ``counts`` follows the matrix's configuration order; ``train_pass`` and ``test_pass`` are exactly what
    these counts score. ``upper_bound`` bounds the best training objective any allocation of this budget can
    reach (None when not computed); ``certified`` is true when upper_bound - train_pass <= CERTIFY_TOL
    (``osca_core.model.objective``). ``cost`` = sum_s cost_s k_s under the matrix's per-sample costs.
    """

    strategy: str
    budget: int
    config_names: tuple[str, ...]
    counts: tuple[int, ...]
    train_pass: float
    test_pass: float
    extrapolated: bool
    upper_bound: float | None = None
    certified: bool = False
    cost: float | None = None  # sum_s cost_s k_s (per-sample costs of the matrix); None when not known

    @property
    def allocation(self) -> dict[str, int]:
        """{configuration: k} for the configurations that receive samples, largest first."""
        pairs = [(n, int(k)) for n, k in zip(self.config_names, self.counts, strict=True) if k > 0]
        return dict(sorted(pairs, key=lambda t: -t[1]))

    def as_dict(self, *, costs: Sequence[float] | None = None) -> dict:
        """The ``osca optimize --json`` result row: budget, allocation, train_pass, test_pass, upper_bound,
        certified, extrapolated, cost (= sum_s cost_s k_s; from ``costs`` when given, else the stored cost)."""
        if costs is not None:
            cost = float(np.asarray(costs, dtype=float) @ np.asarray(self.counts, dtype=np.int64))
        elif self.cost is not None:
            cost = float(self.cost)
        else:
            raise ValueError("Allocation.as_dict: no cost stored; pass costs=matrix.costs")
        return {"budget": self.budget, "allocation": self.allocation, "train_pass": self.train_pass,
                "test_pass": self.test_pass, "upper_bound": self.upper_bound, "certified": self.certified,
                "extrapolated": self.extrapolated, "cost": cost}

    @property
    def text(self) -> str:
        """The allocation as one line of text (see :func:`allocation_text`)."""
        return allocation_text(self.allocation)


@dataclass(frozen=True)
class Curve:
    """One strategy's test pass@C over budgets (mean over splits when there are several)."""

    strategy: str
    budgets: tuple[int, ...]
    values: tuple[float, ...]
    extrapolated: tuple[bool, ...]
    ci_low: tuple[float, ...] | None = None
    ci_high: tuple[float, ...] | None = None
    allocations: tuple[Allocation, ...] | None = None
    extrapolation_low: tuple[float | None, ...] | None = None  # per budget, None within n (model.spread)
    extrapolation_high: tuple[float | None, ...] | None = None

    def rows(self) -> list[dict]:
        """The ``osca curves --json`` rows, one per budget: strategy, budget, pass, ci_low, ci_high, extrapolated
        (the interval is None without several splits); an extrapolated point with a known range also carries
        ``extrapolation_low`` / ``extrapolation_high`` (its value over the plausible spreads, ``model.spread``)."""
        lo = self.ci_low or (None,) * len(self.budgets)
        hi = self.ci_high or (None,) * len(self.budgets)
        xlo = self.extrapolation_low or (None,) * len(self.budgets)
        xhi = self.extrapolation_high or (None,) * len(self.budgets)
        rows = []
        for b, v, e, a, z, xl, xh in zip(self.budgets, self.values, self.extrapolated, lo, hi, xlo, xhi, strict=True):
            row = {"strategy": self.strategy, "budget": b, "pass": v, "ci_low": a, "ci_high": z, "extrapolated": e}
            if e and xl is not None:
                row |= {"extrapolation_low": xl, "extrapolation_high": xh}
            rows.append(row)
        return rows


def allocation_items(allocation: Mapping[str, int]) -> list[tuple[str, int]]:
    """The (configuration, k) pairs with k > 0, largest k first, ties by name."""
    return sorted(((str(n), int(k)) for n, k in allocation.items() if int(k) > 0), key=lambda t: (-t[1], t[0]))


def allocation_text(allocation: Mapping[str, int], *, sep: str = ", ") -> str:
    """``{config: k}`` as ``"a ×3, b ×1"`` (largest first, then by name; glyph ``ALLOCATION_GLYPH``); ``"-"`` for
    an empty allocation. The one text form of an allocation (CLI tables, pages, hover text)."""
    items = allocation_items(allocation)
    return sep.join(f"{n} {ALLOCATION_GLYPH}{k}" for n, k in items) if items else "-"


def score(matrix: OutcomeMatrix, counts: Sequence[int]) -> tuple[float, float, bool]:
    """(train_pass, test_pass, extrapolated) of the allocation ``counts`` (see module docstring; the prior for
    terms beyond n is ``extrapolation.priors(matrix)``, fitted on training questions, only when needed)."""
    k = np.asarray(counts, dtype=np.int64)
    prior = lazy_prior(matrix)
    sup = np.flatnonzero(k)
    if sup.size == 1:  # a pure allocation: its one column (every other term is an exact 0: the same floats)
        return _score_column(matrix, sup, k, prior)
    train = train_pass(*matrix.train_counts(), k, prior)
    test, extra = eval_pass(*matrix.test_counts(), k, prior)
    return train, test, extra


def _score_column(matrix: OutcomeMatrix, col: np.ndarray, k: np.ndarray, prior) -> tuple[float, float, bool]:
    """:func:`score` of an allocation whose support is the one configuration ``col``, on that column alone (a
    report on a wide log scores every pure configuration at every budget; the whole (Q, S) parts cost O(S) each)."""
    matrix.require_complete("score")
    n, c = matrix.n[:, col], matrix.c[:, col]
    sub = lambda: columns(resolve(prior), col)  # noqa: E731 - fitted (for all columns, cached) only when needed
    train = train_pass(n[matrix.train], c[matrix.train], k[col], sub)
    test, extra = eval_pass(n[matrix.test], c[matrix.test], k[col], sub)
    return train, test, extra


def make_allocation(
    matrix: OutcomeMatrix, strategy: str, counts: Sequence[int], *, upper_bound: float | None = None,
    budget: int | None = None,
) -> Allocation:
    """Score ``counts`` and wrap them. ``budget`` defaults to the number of samples (with per-sample costs it
    is the cost budget that was asked for)."""
    counts = tuple(int(x) for x in counts)
    train, test, extra = score(matrix, counts)
    cost = float(matrix.costs @ np.asarray(counts, dtype=np.int64))
    return Allocation(strategy, int(sum(counts)) if budget is None else int(budget), matrix.config_names, counts,
                      train, test, extra, upper_bound, is_certified(upper_bound, train), cost)


def is_certified(upper_bound: float | None, train_pass: float) -> bool:
    """True when an upper bound is known and upper_bound - train_pass <= CERTIFY_TOL (the optimizer's tolerance)."""
    return upper_bound is not None and bool(upper_bound - train_pass <= CERTIFY_TOL)


@dataclass(frozen=True)
class Solution:
    """What an optimizer found for one budget, before scoring: counts and (when known) an upper bound."""

    budget: int
    counts: tuple[int, ...]
    upper_bound: float | None = None
