"""What strategies produce: allocations at a budget, curves over budgets, optimizer solutions, and their scores.

An allocation {configuration: k} (k samples from each configuration, sum k = C) is scored two ways (OSCA paper,
Zhang et al. 2024, ``osca.py``):

- training objective: mean over training questions of 1 - prod_s (1 - c_qs/n_qs)^k_s (plug-in estimate);
- test pass@C: mean over test questions of 1 - prod_s (1 - pass@k_s), unbiased pass@k, plug-in where k_s > n
  (flagged ``extrapolated``).

These result types sit below every strategy, optimizer and experiment, so that new strategies (their own
modules) import them without importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.errors import InputError
from osca_core.estimators import mix_pass, plugin_objective
from osca_core.outcomes import OutcomeMatrix


@dataclass(frozen=True)
class Allocation:
    """One strategy's allocation at one budget, with the numbers it scores.

    ``counts`` follows the matrix's configuration order; ``train_pass`` and ``test_pass`` are exactly what
    these counts score. ``upper_bound`` bounds the best training objective any allocation of this budget can
    reach (None when not computed); ``certified`` is true when upper_bound - train_pass <= 1e-6.
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

    @property
    def allocation(self) -> dict[str, int]:
        """{configuration: k} for the configurations that receive samples, largest first."""
        pairs = [(n, int(k)) for n, k in zip(self.config_names, self.counts, strict=True) if k > 0]
        return dict(sorted(pairs, key=lambda t: -t[1]))


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


def score(matrix: OutcomeMatrix, counts: Sequence[int]) -> tuple[float, float, bool]:
    """(train_pass, test_pass, extrapolated) of the allocation ``counts`` (see module docstring)."""
    k = np.asarray(counts, dtype=np.int64)
    train = float(plugin_objective(matrix.train_rates(), k))
    n, c = matrix.test_counts()
    test, extra = mix_pass(n, c, k)
    return train, test, extra


def make_allocation(
    matrix: OutcomeMatrix, strategy: str, counts: Sequence[int], *, upper_bound: float | None = None,
    budget: int | None = None,
) -> Allocation:
    """Score ``counts`` and wrap them. ``budget`` defaults to the number of samples (with per-sample costs it
    is the cost budget that was asked for)."""
    counts = tuple(int(x) for x in counts)
    train, test, extra = score(matrix, counts)
    certified = upper_bound is not None and upper_bound - train <= 1e-6
    return Allocation(strategy, int(sum(counts)) if budget is None else int(budget), matrix.config_names, counts,
                      train, test, extra, upper_bound, bool(certified))


def check_budgets(budgets: Sequence[int]) -> list[int]:
    """Budgets as a list of ints; empty or < 1 is a user's mistake (:class:`InputError`)."""
    b = [int(x) for x in budgets]
    if not b or min(b) < 1:
        raise InputError("budgets must be positive integers")
    return b


@dataclass(frozen=True)
class Solution:
    """What an optimizer found for one budget, before scoring: counts and (when known) an upper bound."""

    budget: int
    counts: tuple[int, ...]
    upper_bound: float | None = None
