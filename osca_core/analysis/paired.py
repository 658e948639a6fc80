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
    DEFAULT_RESAMPLES,
    QuestionValues,
    check_options,
    resample_counts,
    resample_indices,
    strategy_values,
)
from osca_core.analysis.difference import Difference
from osca_core.analysis.savings_result import (  # noqa: F401  (re-exported: part of this API)
    Savings,
    crossing_ratios,
    first_reaching,
)
from osca_core.analysis.savings_result import savings_budgets as _savings_budgets
from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import lazy_prior
from osca_core.model.intervals import DEFAULT_LEVEL, percentile_interval
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.per_question import question_values
from osca_core.model.results import Allocation, Curve
from osca_core.model.splits import Setting
from osca_core.strategies import registry

PAIRS = (("osca", "best-pure"), ("osca", "uniform"))
Fitter = Callable[[OutcomeMatrix, str, list[int]], Sequence[Allocation] | None]
Progress = Callable[[int, int], None]


def _tup(a) -> tuple[float, ...] | None:
    return None if a is None else tuple(float(x) for x in np.atleast_1d(a))


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

BootstrapSavings = Savings  # the one savings result (``savings_result.Savings``), kept under its former name


def savings_budgets(matrix: OutcomeMatrix, budgets: Sequence[int] | None) -> list[int]:
    """As ``experiments.savings`` (``savings_result.savings_budgets``): sorted distinct budgets, default 1 .. the
    smallest n."""
    return _savings_budgets(budgets, top=int(matrix.n.min()))


def bootstrap_savings(matrix: OutcomeMatrix, budgets: Sequence[int] | None = None, *,
                      n_resamples: int = DEFAULT_RESAMPLES, level: float = DEFAULT_LEVEL, seed: int = 0,
                      refit: bool = False, fit_seed: int = 0, fitter: Fitter | None = None,
                      baseline_configs: Sequence[str] | None = None, measured_only: bool = False) -> Savings:
    """Savings of OSCA over best pure on one split with bootstrap intervals (``savings_result.Savings``: point
    values those of ``experiments.savings``, intervals from replicate readings); ``refit=True`` uses
    :func:`refit_curves`. ``baseline_configs`` and ``measured_only`` as in ``experiments.savings`` (the target
    of replicate r is the restricted best pure's pass on the same resample of the test questions)."""
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
    base, base_dist = bp, cb.distribution[:, 0, -1]
    if baseline_configs is not None:
        bb = bootstrap_curves(matrix.select_configs(list(baseline_configs)), ["best-pure"], [big],
                              n_resamples=n_resamples, level=level, seed=seed, pairs=[], fit_seed=fit_seed)
        base, base_dist = bb.curve("best-pure"), bb.distribution[:, 0, -1]
    baseline = next(iter(base.allocations[-1].allocation))
    target = base.values[-1]
    skip = np.asarray(os_.extrapolated, bool) if measured_only else np.zeros(len(budgets), bool)
    cross = np.where(skip, -np.inf, np.asarray(os_.values, float))
    need = first_reaching(budgets, cross, target)
    ratios = crossing_ratios(budgets, np.where(skip[None, :], -np.inf, cb.distribution[:, 1]), base_dist)
    lo = hi = miss = None
    if cb.n_resamples:
        lo, hi = (float(x) for x in percentile_interval(ratios, cb.level))
        miss = float(np.mean(ratios == 0.0))
    g = cb.differences[0]
    ratio = None if need is None else big / need
    return Savings(
        dataset=matrix.name, baseline=baseline, baseline_budget=big, target_pass=target, budget_needed=need,
        ratio=ratio, setting=Setting(), budgets=g.budgets, osca_pass=os_.values, best_pure_pass=bp.values,
        baseline_counts={baseline: 1}, split_targets=(target,), split_budget_needed=(need,), split_ratios=(ratio,),
        ratio_ci_low=lo, ratio_ci_high=hi, gap=g.diff, gap_ci_low=g.ci_low, gap_ci_high=g.ci_high,
        level=cb.level, bootstrap=cb.setting, not_reached=miss, ratio_distribution=ratios)
