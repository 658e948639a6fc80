"""Bootstrap over test questions: per-question test values of fixed allocations and percentile intervals.

A strategy's test pass@C is a mean over the Q test questions of a per-question value (OSCA paper, Zhang et al.
2024, ``osca.py``; estimators in ``osca_core.model.estimators``):

    v_q(k) = 1 - prod_s f_s(k_s),   f_s(k) = C(n_qs - c_qs, k) / C(n_qs, k)   (unbiased; Chen et al. 2021)

with the Beta-binomial predictive under the configuration's training prior where k > n_qs
(``osca_core.model.extrapolation``; flagged ``extrapolated``). For ``uniform`` (each sample's
configuration drawn uniformly) v_q is the exact expectation over multinomial counts (``strategies.
uniform_expected``'s dynamic program, kept per question).

The test questions are a sample from a population of questions, so the mean has sampling error. With the
allocation fixed (learned once on the training questions) the nonparametric bootstrap (Efron & Tibshirani 1993,
ch. 13; Miller 2024, "Adding error bars to evals", sec. 2) resamples the Q test questions with replacement B
times. Replicate b has counts w_bq (how often question q was drawn, sum_q w_bq = Q) and mean
m_b = (1/Q) sum_q w_bq v_q, so all replicates of all strategies and budgets are one product W @ V of the (B, Q)
count matrix and the (Q, points) value matrix. The indices are drawn once, ``numpy.random.default_rng(seed)
.integers(0, Q, size=(B, Q))``, and shared by every strategy and budget (paired: differences of strategies are
resampled question by question). The interval at ``level`` is the percentile interval: the (1 - level)/2 and
(1 + level)/2 quantiles of the replicates (``numpy.percentile``, linear interpolation). It covers the population
mean E_q[v_q] (a test simulates new questions per replicate and checks it); it describes neither the uncertainty
of the learned allocation (see ``osca_core.analysis.paired.refit_curves``) nor that of a fixed set of questions.

:func:`bootstrap_means_loop` is the deliberately simple twin (one replicate at a time) kept for the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from osca_core.errors import InputError
from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import PriorLike, lazy_prior
from osca_core.model.intervals import DEFAULT_LEVEL, Interval, percentile_interval  # noqa: F401  (part of this API)
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.per_question import allocation_values, question_values  # noqa: F401  (part of this API)
from osca_core.model.results import Allocation
from osca_core.strategies import registry
from osca_core.strategies import uniform as uni

DEFAULT_RESAMPLES = 2000


# -- options -------------------------------------------------------------------------------------------------

def check_options(n_resamples: int, level: float, seed: int) -> tuple[int, float, int]:
    """Validate the user's options (one line naming the CLI flag: :class:`InputError`). B = 0 means no
    interval; the level lies strictly between 0 and 1; the seed is a non-negative integer."""
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or int(n_resamples) < 0:
        raise InputError(f"--bootstrap must be a non-negative integer number of resamples (got {n_resamples})")
    if not (isinstance(level, int | float) and 0.0 < float(level) < 1.0):
        raise InputError(f"--level must lie strictly between 0 and 1 (got {level})")
    if isinstance(seed, bool) or int(seed) != seed or int(seed) < 0:
        raise InputError(f"--seed must be a non-negative integer (got {seed})")
    return int(n_resamples), float(level), int(seed)


# -- per-question values ---------------------------------------------------------------------------------------
# question_values / allocation_values live in osca_core.model.per_question (imported above, part of this API);
# a strategy's per-question values come from the registry (registry.question_values: no branching on names).

def uniform_question_values(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *, prior: PriorLike = None
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Per question and budget, the exact E[1 - prod_s f_s(K_s)] with K ~ Multinomial(C, 1/S): (Q, P) values and
    (P,) extrapolated flags (C above the smallest n): ``uniform``'s registry hook
    (``strategies.uniform.uniform_question_values``)."""
    return uni.uniform_question_values(n, c, budgets, prior=prior)


@dataclass(frozen=True, eq=False)
class QuestionValues:
    """Per-question test values of K strategies at P budgets on the Q test questions of ``matrix``.

    ``values[q, i, j]`` is v_q of strategy i at budget j; ``estimate`` its mean over questions (for a fixed
    allocation exactly ``Allocation.test_pass``); ``allocations[strategy]`` the fitted allocations (None for
    ``uniform``).
    """

    dataset: str
    question_ids: tuple[str, ...]
    strategies: tuple[str, ...]
    budgets: tuple[int, ...]
    values: np.ndarray = field(repr=False)  # (Q, K, P)
    extrapolated: np.ndarray = field(repr=False)  # (K, P) bool
    allocations: dict = field(repr=False, default_factory=dict)  # strategy -> tuple[Allocation, ...] | None

    @property
    def estimate(self) -> np.ndarray:
        """(K, P) means over questions (``np.mean`` per point, as ``mix_pass`` computes them)."""
        return point_means(self.values)

    def at(self, strategy: str, budget: int) -> np.ndarray:
        """(Q,) per-question values of ``strategy`` at ``budget`` (e.g. the Questions page's histograms)."""
        if budget not in self.budgets:
            raise InputError(f"budget {budget} was not evaluated (have {self.budgets[0]}..{self.budgets[-1]})")
        return self.values[:, self.index(strategy), self.budgets.index(budget)]

    def index(self, strategy: str) -> int:
        if strategy not in self.strategies:
            raise InputError(f"strategy {strategy!r} was not evaluated (have: {', '.join(self.strategies)})")
        return self.strategies.index(strategy)


def per_question_expectation(name: str, n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *,
                             prior: PriorLike = None) -> tuple[np.ndarray, np.ndarray]:
    """(Q, P) per-question values of a strategy without a fixed allocation (registry kind ``"expectation"``): its
    registry hook (``registry.expectation_question_values``); one without a hook is an :class:`InputError`."""
    return registry.expectation_question_values(name, n, c, budgets, prior=prior)


def strategy_values(matrix: OutcomeMatrix, strategies: Sequence[str], budgets: Sequence[int], *, seed: int = 0
                    ) -> QuestionValues:
    """Fit each strategy on the training questions (``registry.allocate``, seeded by ``seed``) and evaluate it
    per test question (``registry.question_values``: allocations by :func:`question_values`, an expectation
    strategy by its registry hook)."""
    budgets = check_budgets(budgets)
    registry.check_names(matrix, strategies)
    vals, extra, allocs = [], [], {}
    for s in strategies:
        v, e, al = registry.question_values(matrix, s, budgets, seed=seed)
        vals.append(v)
        extra.append(e)
        allocs[s] = al
    ids = tuple(q for q, t in zip(matrix.question_ids, matrix.test, strict=True) if t)
    return QuestionValues(matrix.name, ids, tuple(strategies), tuple(budgets), np.stack(vals, axis=1),
                          np.array(extra, dtype=bool), allocs)


# -- resampling ------------------------------------------------------------------------------------------------

def resample_indices(questions: int, *, n_resamples: int, seed: int | Sequence[int] = 0) -> np.ndarray:
    """(B, Q) question indices, row b the b-th resample with replacement:
    ``default_rng(seed).integers(0, Q, size=(B, Q))``. Depends only on (Q, B, seed)."""
    if questions < 1:
        raise ValueError("resample_indices: need at least one question")
    return np.random.default_rng(seed).integers(0, questions, size=(int(n_resamples), int(questions)))


def resample_counts(indices: np.ndarray, questions: int) -> np.ndarray:
    """(B, Q) counts w_bq = how often question q occurs in resample b (``np.bincount`` of offset indices)."""
    b = indices.shape[0]
    flat = (indices + questions * np.arange(b)[:, None]).ravel()
    return np.bincount(flat, minlength=b * questions).reshape(b, questions)


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Bootstrap of means over questions: point ``estimate`` (mean over the original questions), percentile
    interval ``ci_low``/``ci_high`` at ``level`` and ``standard_error`` (sd of the replicates, ddof = 1), each of
    the values' trailing shape; ``distribution`` (B, ...) the replicate means. With B = 0 the interval and the
    standard error are None."""

    estimate: np.ndarray
    ci_low: np.ndarray | None
    ci_high: np.ndarray | None
    standard_error: np.ndarray | None
    level: float
    n_resamples: int
    seed: int
    distribution: np.ndarray = field(repr=False)

    @property
    def interval(self) -> Interval | None:
        """The percentile interval as the one :class:`~osca_core.model.intervals.Interval` type (None when B = 0)."""
        return None if self.ci_low is None else Interval(self.ci_low, self.ci_high, self.level)

    def as_dict(self) -> dict:
        def lst(a):
            return None if a is None else np.asarray(a, float).tolist()

        return {"estimate": lst(self.estimate), "ci_low": lst(self.ci_low), "ci_high": lst(self.ci_high),
                "standard_error": lst(self.standard_error), "level": self.level, "n_resamples": self.n_resamples,
                "seed": self.seed, "method": "percentile bootstrap over test questions"}


def point_means(values: np.ndarray) -> np.ndarray:
    """Means over axis 0, each point's column summed as a contiguous vector (numpy's pairwise summation), so a
    point's mean is bit for bit ``np.mean`` of its per-question values (and ``Allocation.test_pass``)."""
    v = np.asarray(values, float)
    cols = np.ascontiguousarray(v.reshape(v.shape[0], -1).T)
    return cols.mean(axis=1).reshape(v.shape[1:])


def _result(values: np.ndarray, dist: np.ndarray, level: float, b: int, seed: int) -> BootstrapResult:
    est = point_means(values)
    if b == 0:
        return BootstrapResult(est, None, None, None, level, 0, seed, dist)
    lo, hi = percentile_interval(dist, level)
    se = dist.std(axis=0, ddof=1) if b > 1 else np.zeros_like(est)
    return BootstrapResult(est, lo, hi, se, level, b, seed, dist)


def _check_values(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.ndim < 1 or v.shape[0] < 1:
        raise ValueError(f"bootstrap: values must have a leading axis of questions (got shape {v.shape})")
    if not np.isfinite(v).all():
        raise ValueError("bootstrap: values must be finite")
    return v


def bootstrap_means(values, *, n_resamples: int = DEFAULT_RESAMPLES, level: float = DEFAULT_LEVEL,
                    seed: int = 0, indices: np.ndarray | None = None) -> BootstrapResult:
    """Bootstrap the mean over axis 0 (questions) of ``values`` (Q, ...), every trailing point with the same
    resamples (module docstring): replicate means = W @ V / Q with W = :func:`resample_counts`. ``indices``
    (B, Q) overrides the seeded draw (to share resamples across calls)."""
    n_resamples, level, seed = check_options(n_resamples, level, seed)
    v = _check_values(values)
    q = v.shape[0]
    idx = resample_indices(q, n_resamples=n_resamples, seed=seed) if indices is None else np.asarray(indices)
    if idx.ndim != 2 or idx.shape[1] != q:
        raise ValueError(f"bootstrap: indices must be (B, {q}) (got {idx.shape})")
    b = idx.shape[0]
    flat = v.reshape(q, -1)
    dist = (resample_counts(idx, q).astype(float) @ flat) / q
    return _result(v, dist.reshape((b, *v.shape[1:])), level, b, seed)


def bootstrap_means_loop(values, *, n_resamples: int = DEFAULT_RESAMPLES, level: float = DEFAULT_LEVEL,
                         seed: int = 0) -> BootstrapResult:
    """Reference twin of :func:`bootstrap_means`: the same seeded indices, one replicate at a time as the mean of
    the resampled rows ``values[idx_b]`` (equal to the vectorized replicates up to summation order)."""
    n_resamples, level, seed = check_options(n_resamples, level, seed)
    v = _check_values(values)
    q = v.shape[0]
    idx = resample_indices(q, n_resamples=n_resamples, seed=seed)
    reps = [np.mean(v[idx[b]], axis=0) for b in range(idx.shape[0])]
    dist = np.array(reps).reshape((idx.shape[0], *v.shape[1:]))
    return _result(v, dist, level, idx.shape[0], seed)


def bootstrap_allocations(matrix: OutcomeMatrix, allocations: Sequence[Allocation], *,
                          n_resamples: int = DEFAULT_RESAMPLES, level: float = DEFAULT_LEVEL, seed: int = 0
                          ) -> BootstrapResult:
    """Bootstrap interval of the test pass of each allocation (e.g. ``osca optimize``'s results), (P,) arrays."""
    n, c = matrix.test_counts()
    vals, _ = allocation_values(n, c, allocations, prior=lazy_prior(matrix))
    return bootstrap_means(vals, n_resamples=n_resamples, level=level, seed=seed)
