"""Paired bootstrap comparisons on one split: curves with intervals, differences, the whole pipeline, savings.

``bootstrap_curves`` fits every strategy once on the training questions and bootstraps its per-question test
values (``osca_core.analysis.bootstrap``); every strategy and budget sees the same resampled test questions, so the
interval of a difference a - b is the percentile interval of the replicate differences m_b(a) - m_b(b): paired,
hence much narrower than two separate intervals suggest when the strategies succeed on the same questions.

``refit_curves`` (``--bootstrap-refit``) bootstraps the whole pipeline, the slower and more honest option: replicate
b also resamples the training questions with replacement (``default_rng([seed, 1])``; in-sample logs, where train
and test are the same questions, reuse the test resample) and re-runs each learning strategy on them through a
``fitter`` callable, so the interval includes the uncertainty of the
learned mix (``fitter`` defaults to ``registry.allocate``). Test resamples are those of ``bootstrap_curves`` (same seed, same test indices), so for strategies that
learn nothing from training (``pure:<config>``, ``uniform``) both methods give identical intervals. Point
estimates are always the fit on the original data.

``bootstrap_savings`` gives the bootstrap distribution of the compute ratio of ``experiments.savings`` (B = 0
reproduces it) and the stable fixed-budget gaps OSCA - best-pure with their intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from osca_core.analysis.bootstrap import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    QuestionValues,
    check_options,
    percentile_interval,
    question_values,
    resample_counts,
    resample_indices,
    strategy_values,
)
from osca_core.analysis.experiments import SAVINGS_NOTE, first_reaching
from osca_core.errors import InputError
from osca_core.model.extrapolation import lazy_prior
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Allocation, Curve, check_budgets
from osca_core.strategies import registry

PAIRS = (("osca", "best-pure"), ("osca", "uniform"))
Fitter = Callable[[OutcomeMatrix, str, list[int]], Sequence[Allocation] | None]
Progress = Callable[[int, int], None]


def _tup(a) -> tuple[float, ...] | None:
    return None if a is None else tuple(float(x) for x in np.atleast_1d(a))


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


@dataclass(frozen=True, eq=False)
class CurveBootstrap:
    """Test pass@C curves of several strategies on one split with bootstrap intervals, and paired differences.

    ``curves`` carry ``ci_low``/``ci_high`` (None when B = 0) and their allocations; ``distribution`` (B, K, P)
    holds the replicate means (strategy order of ``strategies``), from which :meth:`difference` computes any
    pair.
    """

    dataset: str
    strategies: tuple[str, ...]
    budgets: tuple[int, ...]
    curves: tuple[Curve, ...]
    differences: tuple[Difference, ...]
    n_resamples: int
    level: float
    seed: int
    refit: bool
    test_questions: int
    in_sample: bool
    distribution: np.ndarray = field(repr=False)
    values: QuestionValues = field(repr=False)

    def curve(self, strategy: str) -> Curve:
        return self.curves[self.values.index(strategy)]

    def difference(self, a: str, b: str) -> Difference:
        ia, ib = self.values.index(a), self.values.index(b)
        est = self.values.estimate
        diff = est[ia] - est[ib]
        lo = hi = None
        if self.n_resamples:
            lo, hi = percentile_interval(self.distribution[:, ia] - self.distribution[:, ib], self.level)
        return Difference(a, b, self.budgets, _tup(diff), _tup(lo), _tup(hi), self.level)

    @property
    def setting(self) -> dict:
        """The ``"setting"`` of the JSON layouts: says the intervals come from a bootstrap on one split."""
        return {"method": "bootstrap", "interval": "percentile", "n_resamples": self.n_resamples,
                "level": self.level, "seed": self.seed, "refit": self.refit,
                "resampled": "training and test questions, strategies re-fitted" if self.refit
                else "test questions (allocations fixed)", "test_questions": self.test_questions,
                "paired": True, "in_sample": self.in_sample}

    def difference_rows(self) -> list[dict]:
        return [r for d in self.differences for r in d.rows()]

    def as_dict(self) -> dict:
        """``{"dataset", "curves": [...], "differences": [...], "setting": {...}}`` (``osca curves --json``)."""
        return {"dataset": self.dataset, "curves": [r for c in self.curves for r in c.rows()],
                "differences": self.difference_rows(), "setting": self.setting}


def _assemble(values: QuestionValues, dist: np.ndarray, *, n_resamples: int, level: float, seed: int,
              refit: bool, pairs: Sequence[tuple[str, str]], in_sample: bool) -> CurveBootstrap:
    est = values.estimate
    lo = hi = None
    if n_resamples:
        lo, hi = percentile_interval(dist, level)
    curves = tuple(
        Curve(s, values.budgets, _tup(est[i]), tuple(bool(x) for x in values.extrapolated[i]),
              None if lo is None else _tup(lo[i]), None if hi is None else _tup(hi[i]), values.allocations[s])
        for i, s in enumerate(values.strategies))
    out = CurveBootstrap(values.dataset, values.strategies, values.budgets, curves, (), n_resamples, level, seed,
                         refit, len(values.question_ids), in_sample, dist, values)
    diffs = tuple(out.difference(a, b) for a, b in pairs if a in values.strategies and b in values.strategies)
    object.__setattr__(out, "differences", diffs)
    return out


def bootstrap_values(values: QuestionValues, *, n_resamples: int = DEFAULT_RESAMPLES,
                     level: float = DEFAULT_LEVEL, seed: int = 0, pairs: Sequence[tuple[str, str]] = PAIRS,
                     in_sample: bool = False) -> CurveBootstrap:
    """The bootstrap step alone, on per-question values already computed (allocations fixed): one (B, Q) count
    matrix times the (Q, K * P) value matrix, percentiles, paired differences. Cheap: recompute it when only
    B, the level or the seed change."""
    n_resamples, level, seed = check_options(n_resamples, level, seed)
    q = len(values.question_ids)
    w = resample_counts(resample_indices(q, n_resamples=n_resamples, seed=seed), q).astype(float)
    flat = values.values.reshape(q, -1)
    dist = ((w @ flat) / q).reshape(n_resamples, len(values.strategies), len(values.budgets))
    return _assemble(values, dist, n_resamples=n_resamples, level=level, seed=seed, refit=False, pairs=pairs,
                     in_sample=in_sample)


def bootstrap_curves(matrix: OutcomeMatrix, strategies: Sequence[str], budgets: Sequence[int], *,
                     n_resamples: int = DEFAULT_RESAMPLES, level: float = DEFAULT_LEVEL, seed: int = 0,
                     pairs: Sequence[tuple[str, str]] = PAIRS, fit_seed: int = 0) -> CurveBootstrap:
    """Fit each strategy on the training questions, bootstrap its test curve over test questions with the
    allocation fixed (module docstring); ``pairs`` present among ``strategies`` become paired differences."""
    n_resamples, level, seed = check_options(n_resamples, level, seed)
    values = strategy_values(matrix, strategies, check_budgets(budgets), seed=fit_seed)
    return bootstrap_values(values, n_resamples=n_resamples, level=level, seed=seed, pairs=pairs,
                            in_sample=matrix.in_sample)


# -- the whole pipeline ------------------------------------------------------------------------------------------

def replicate_matrix(matrix: OutcomeMatrix, train_rows: np.ndarray) -> OutcomeMatrix:
    """A matrix whose training questions are the training questions at positions ``train_rows`` (with
    repeats; the j-th copy is renamed ``<id>#<j>``) and whose test questions are the original test questions."""
    tr = np.flatnonzero(matrix.train)[np.asarray(train_rows, dtype=np.int64)]
    te = np.flatnonzero(matrix.test)
    ids = tuple(f"{matrix.question_ids[r]}#{j}" for j, r in enumerate(tr)) + tuple(matrix.question_ids[r] for r in te)
    rows = np.concatenate([tr, te])
    mask = np.zeros(rows.size, dtype=bool)
    mask[: tr.size] = True
    return OutcomeMatrix(name=matrix.name, question_ids=ids, configs=matrix.configs, n=matrix.n[rows],
                         c=matrix.c[rows], train=mask, test=~mask, source=matrix.source, synthetic=matrix.synthetic)


def _learns(strategy: str) -> bool:
    """Whether the strategy learns from training questions (pure configurations and expectations do not)."""
    spec = registry.get(strategy)
    return not (spec.is_pure or spec.kind == "expectation")


def refit_curves(matrix: OutcomeMatrix, strategies: Sequence[str], budgets: Sequence[int], *,
                 n_resamples: int = 200, level: float = DEFAULT_LEVEL, seed: int = 0,
                 pairs: Sequence[tuple[str, str]] = PAIRS, fit_seed: int = 0, fitter: Fitter | None = None,
                 progress: Progress | None = None) -> CurveBootstrap:
    """The whole-pipeline bootstrap (module docstring): replicate b re-fits every learning strategy on resampled
    training questions with ``fitter(matrix_b, strategy, budgets)`` and scores it on the b-th test resample.
    About (time of one fit of all strategies) x B: slow; B of a few hundred is the practical range."""
    n_resamples, level, seed = check_options(n_resamples, level, seed)
    budgets = check_budgets(budgets)
    fitter = fitter or (lambda m, s, b: registry.allocate(m, s, b, seed=fit_seed))
    values = strategy_values(matrix, strategies, budgets, seed=fit_seed)
    q = len(values.question_ids)
    test_idx = resample_indices(q, n_resamples=n_resamples, seed=seed)
    w = resample_counts(test_idx, q).astype(float)
    train_idx = (test_idx if matrix.in_sample
                 else resample_indices(int(matrix.train.sum()), n_resamples=n_resamples, seed=[seed, 1]))
    n_te, c_te = matrix.test_counts()
    prior = lazy_prior(matrix)  # terms beyond n: the original training questions' prior, as strategy_values
    cache: dict[tuple[int, ...], np.ndarray] = {}
    learn = [i for i, s in enumerate(strategies) if _learns(s)]
    dist = np.empty((n_resamples, len(strategies), len(budgets)))
    fixed = [i for i in range(len(strategies)) if i not in learn]
    if fixed:
        dist[:, fixed] = ((w @ values.values[:, fixed].reshape(q, -1)) / q).reshape(n_resamples, len(fixed), -1)
    for b in range(n_resamples):
        rep = replicate_matrix(matrix, train_idx[b])
        for i in learn:
            allocs = fitter(rep, strategies[i], list(budgets))
            if allocs is None or len(allocs) != len(budgets):
                raise ValueError(f"refit: fitter returned no allocation per budget for {strategies[i]!r}")
            cols = []
            for a in allocs:
                key = tuple(int(x) for x in a.counts)
                if key not in cache:
                    cache[key] = question_values(n_te, c_te, key, prior=prior)[0]
                cols.append(cache[key])
            dist[b, i] = (w[b] @ np.stack(cols, axis=1)) / q
        if progress:
            progress(b + 1, n_resamples)
    return _assemble(values, dist, n_resamples=n_resamples, level=level, seed=seed, refit=True, pairs=pairs,
                     in_sample=matrix.in_sample)


# -- compute savings -------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class BootstrapSavings:
    """``experiments.Savings`` on one split with bootstrap intervals.

    Point values are those of ``experiments.savings`` (baseline = best pure chosen on training data at the largest
    budget B; ``target_pass`` its test pass@B; ``budget_needed`` the first budget where OSCA's test curve reaches
    it; ratio = B / budget_needed). Replicate r repeats the whole reading on resampled curves (its own target,
    its own crossing; never reached counts as ratio 0, as over splits); ``ratio_ci_*`` are percentiles of those
    ratios and ``not_reached`` the share of replicates with ratio 0. The crossing of a threshold by a noisy curve
    is unstable; the gaps OSCA - best-pure at fixed budgets (``gaps``) are the stable comparison.
    """

    dataset: str
    baseline: str
    baseline_budget: int
    target_pass: float
    budget_needed: int | None
    ratio: float | None
    ratio_ci_low: float | None
    ratio_ci_high: float | None
    not_reached: float | None
    gaps: Difference
    osca_pass: tuple[float, ...]
    best_pure_pass: tuple[float, ...]
    setting: dict
    ratio_distribution: np.ndarray = field(repr=False)
    note: str = SAVINGS_NOTE

    def as_dict(self) -> dict:
        """The ``osca savings --json`` layout (keys of ``Savings.as_dict``, one split) plus ``ratio_not_reached``;
        ``"setting"`` says bootstrap."""
        g = self.gaps
        lo = g.ci_low or (None,) * len(g.budgets)
        hi = g.ci_high or (None,) * len(g.budgets)
        return {
            "dataset": self.dataset, "baseline": self.baseline, "baseline_budget": self.baseline_budget,
            "target_pass": self.target_pass, "budget_needed": self.budget_needed, "ratio": self.ratio,
            "ratio_ci_low": self.ratio_ci_low, "ratio_ci_high": self.ratio_ci_high, "splits": 1,
            "setting": self.setting, "baseline_counts": {self.baseline: 1},
            "split_budget_needed": [self.budget_needed], "split_ratios": [self.ratio],
            "gaps": [{"budget": b, "osca": o, "best_pure": p, "gap": d, "ci_low": u, "ci_high": v}
                     for b, o, p, d, u, v in zip(g.budgets, self.osca_pass, self.best_pure_pass, g.diff, lo, hi,
                                                 strict=True)],
            "ratio_not_reached": self.not_reached, "note": self.note,
        }


def savings_budgets(matrix: OutcomeMatrix, budgets: Sequence[int] | None) -> list[int]:
    """As ``experiments.savings``: sorted distinct budgets, default 1 .. the smallest n."""
    if budgets is None:
        return list(range(1, int(matrix.n.min()) + 1))
    return sorted(set(check_budgets(budgets)))


def crossing_ratios(budgets: Sequence[int], osca: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per replicate r, B / (first budget with osca[r] >= target[r]), 0 where none reaches (vectorized
    ``experiments.first_reaching``)."""
    reached = osca >= target[:, None]
    first = np.asarray(budgets, float)[np.argmax(reached, axis=1)]
    return np.where(reached.any(axis=1), float(budgets[-1]) / first, 0.0)


def bootstrap_savings(matrix: OutcomeMatrix, budgets: Sequence[int] | None = None, *,
                      n_resamples: int = DEFAULT_RESAMPLES, level: float = DEFAULT_LEVEL, seed: int = 0,
                      refit: bool = False, fit_seed: int = 0, fitter: Fitter | None = None) -> BootstrapSavings:
    """Savings of OSCA over best pure (:class:`BootstrapSavings`); ``refit=True`` uses :func:`refit_curves`."""
    budgets = savings_budgets(matrix, budgets)
    names, pairs = ["best-pure", "osca"], [("osca", "best-pure")]
    if refit:
        cb = refit_curves(matrix, names, budgets, n_resamples=n_resamples, level=level, seed=seed, pairs=pairs,
                          fit_seed=fit_seed, fitter=fitter)
    else:
        cb = bootstrap_curves(matrix, names, budgets, n_resamples=n_resamples, level=level, seed=seed,
                              pairs=pairs, fit_seed=fit_seed)
    bp, os_ = cb.curve("best-pure"), cb.curve("osca")
    big = budgets[-1]
    baseline = next(iter(bp.allocations[-1].allocation))
    target = bp.values[-1]
    need = first_reaching(budgets, os_.values, target)
    ratios = crossing_ratios(budgets, cb.distribution[:, 1], cb.distribution[:, 0, -1])
    lo = hi = miss = None
    if cb.n_resamples:
        lo, hi = (float(x) for x in percentile_interval(ratios, cb.level))
        miss = float(np.mean(ratios == 0.0))
    return BootstrapSavings(matrix.name, baseline, big, target, need, None if need is None else big / need, lo, hi,
                            miss, cb.differences[0], os_.values, bp.values, cb.setting, ratios)
