"""Every pure configuration's test pass@C at once: the curves of ``pure:<config>`` for all S configurations of a
view in one vectorized pass per trial, for wide logs (hundreds of configurations) where one strategy run per
configuration costs milliseconds each.

A pure allocation puts all C samples on configuration s, so its test value on a trial is

    v_s(C) = (1/|T|) sum_{q in T} [1 - f_qs(C)],   f_qs(C) = C(n_qs - c_qs, C) / C(n_qs, C)   (C <= n_qs)

with the Beta-binomial predictive under the trial's prior (``extrapolation.priors``, fitted per configuration on
the trial's training questions) where C > n_qs (flagged extrapolated): exactly ``extrapolation.eval_fail``, the
rule every allocation is scored by (``results.score``, ``experiments.fit``); within n it is evaluated once per
distinct (n, c) pair (a log with n = 10 has at most 66). Pure allocations need no training,
so a C0 subsample changes nothing. Over several trials: the mean and the percentile interval
(``experiments.interval``), as ``experiments.run_curves``. Tested against ``run_curves`` of each ``pure:<config>``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.analysis import experiments as ex
from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import fail_grid, lazy_prior
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Curve


@dataclass(frozen=True)
class PureCurves:
    """(S, B) arrays over configurations x budgets: mean test pass@C, interval (None with one trial), extrapolated."""

    configs: tuple[str, ...]
    budgets: tuple[int, ...]
    values: np.ndarray
    ci_low: np.ndarray | None
    ci_high: np.ndarray | None
    extrapolated: np.ndarray

    def curve(self, i: int) -> Curve:
        """Configuration i as the ``pure:<config>`` Curve (no allocations: each is all C on that configuration)."""
        lo = None if self.ci_low is None else tuple(float(x) for x in self.ci_low[i])
        hi = None if self.ci_high is None else tuple(float(x) for x in self.ci_high[i])
        return Curve(f"pure:{self.configs[i]}", self.budgets, tuple(float(x) for x in self.values[i]),
                     tuple(bool(x) for x in self.extrapolated[i]), lo, hi)

    def curves(self) -> list[Curve]:
        return [self.curve(i) for i in range(len(self.configs))]


def trial_values(full: OutcomeMatrix, budgets: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """(S, B) test pass@C of every pure configuration on one trial's matrix, and the extrapolated mask: the fail
    terms once per distinct (configuration, n, c) and budget (``extrapolation.fail_grid``), gathered per budget
    into the (Q, S) terms ``eval_fail`` gives (so the means are bit for bit those of one call per budget)."""
    n, c = full.test_counts()
    f, _, idx = fail_grid(n, c, budgets, lazy_prior(full))
    vals = np.empty((n.shape[1], len(budgets)))
    extra = np.empty((n.shape[1], len(budgets)), dtype=bool)
    for j, b in enumerate(budgets):
        vals[:, j] = np.mean(1.0 - f[idx, j], axis=0)
        extra[:, j] = (b > n).any(axis=0)
    return vals, extra


def all_pure_curves(matrix: OutcomeMatrix, budgets: Sequence[int], setting: ex.Setting = ex.DEFAULT_SETTING
                ) -> PureCurves:
    """All pure curves of ``matrix`` under ``setting`` (module docstring)."""
    budgets = check_budgets(budgets)
    per, extra = [], []
    for t in ex.trials(matrix, setting):
        v, e = trial_values(t.full, budgets)
        per.append(v)
        extra.append(e)
    vals = np.stack(per)  # (R, S, B)
    mean, lo, hi = ex.interval(vals)  # over axis 0, the trials
    return PureCurves(matrix.config_names, tuple(budgets), mean, lo, hi, np.stack(extra).any(axis=0))
