"""Budgets beyond n: the one rule for terms where an allocation asks a cell for more samples than it holds.

Where k <= n every estimate is unchanged: the unbiased C(n-c, k) / C(n, k) on the evaluation (test) side, the
plug-in (1 - c/n)^k in the training objective (Zhang et al. 2024, ``calculate_expected_train``). Where k > n the
term is the Beta-binomial posterior predictive under the configuration's prior Beta(a_s, b_s),

    f(k) = B(a + c, b + n - c + k) / B(a + c, b + n - c)          (k > n; flagged ``extrapolated``)

(:func:`osca_core.model.estimators.fail_probability_bb`), on both sides, so that the optimizer maximizes what the
evaluation reports and c = 0 no longer means "fails forever" nor c = n "passes forever".

The prior of a matrix is decided here and only here (:func:`priors`): one Beta(a_s, b_s) per configuration,
maximum marginal likelihood (:func:`osca_core.model.missing.config_priors`, Casella 1985) over the matrix's *training*
questions only (no test leakage), imputed cells left out (their counts stand for a prior mean, not samples); a
configuration sampled once per question has no identified spread and borrows the others' (:func:`fit_priors`).
It is cached per matrix object, and fitted only when some term actually extrapolates: functions here take
``prior`` as (a, b) arrays, a zero-argument callable returning them (:func:`lazy_prior`), or None. None keeps the
legacy rule beyond n (plug-in (1 - c/n)^k), for callers that hold no matrix; the numbers of any allocation with
k <= n everywhere are bit-identical whichever ``prior`` is given.

:func:`largest_measured_n` gives the default top budget ("to the largest n among the selected configurations").
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence

import numpy as np

from osca_core.model.estimators import fail_probability, fail_probability_bb, mix_pass, plugin_objective
from osca_core.model.missing import config_priors
from osca_core.model.outcomes import OutcomeMatrix

Prior = tuple[np.ndarray, np.ndarray]
PriorLike = Prior | Callable[[], Prior] | None
DEFAULT_CONCENTRATION = 2.0  # a + b of a prior whose spread no configuration identifies (Beta(1, 1) at mean 1/2)
COST_EPS = 1e-9  # slack when turning a cost budget into a number of samples (as the optimizer's)

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# -- the prior of a matrix ---------------------------------------------------------------------------------------

def fit_priors(n: np.ndarray, c: np.ndarray, imputed: np.ndarray | None = None) -> Prior:
    """Per configuration (column) the maximum-marginal-likelihood Beta(a, b) over the observed, non-imputed cells
    of (n, c) (``missing.config_priors``), except where the spread is not identified.

    With n <= 1 in every cell of a configuration the marginal likelihood depends on the mean mu = a / (a + b) only
    (P(c = 1) = mu whatever a + b), so the fitted concentration kappa = a + b is arbitrary (anything from
    "every question has rate mu" to "each question always or never passes"). Such a configuration keeps its own
    mu and borrows kappa: the median concentration of the configurations that have a cell with n >= 2, or
    ``DEFAULT_CONCENTRATION`` when none has. A configuration with no observed cell: mean 1/2, the same kappa."""
    n = np.asarray(n, np.int64)
    if imputed is not None:
        n = np.where(np.asarray(imputed, bool), 0, n)
    a, b = config_priors(n, np.where(n > 0, np.asarray(c, np.int64), 0))
    known = (n >= 2).any(axis=0)
    if known.all():
        return a, b
    kappa = a + b
    k0 = float(np.median(kappa[known])) if known.any() else DEFAULT_CONCENTRATION
    mu = a / kappa
    return np.where(known, a, mu * k0), np.where(known, b, (1.0 - mu) * k0)


def priors(matrix: OutcomeMatrix) -> Prior:
    """The prior (a, b), arrays of length S, of ``matrix``: fitted on its training rows only, imputed cells
    excluded (module docstring); cached per matrix object (read-only arrays)."""
    hit = _CACHE.get(matrix)
    if hit is None:
        tr = matrix.train
        a, b = fit_priors(matrix.n[tr], matrix.c[tr], matrix.imputed[tr])
        a.setflags(write=False)
        b.setflags(write=False)
        hit = _CACHE[matrix] = (a, b)
    return hit


def lazy_prior(matrix: OutcomeMatrix) -> Callable[[], Prior]:
    """``lambda: priors(matrix)``: the matrix's prior, fitted only if some term extrapolates."""
    return lambda: priors(matrix)


def resolve(prior: PriorLike) -> Prior | None:
    """(a, b) as float arrays from a ``PriorLike`` (calling it when it is a callable); None stays None."""
    if prior is None:
        return None
    if callable(prior):
        prior = prior()
    a, b = prior
    return np.asarray(a, float), np.asarray(b, float)


def columns(prior: Prior | None, idx) -> Prior | None:
    """The prior of the configurations ``idx`` (an index array or slice), None stays None."""
    return None if prior is None else (prior[0][idx], prior[1][idx])


def largest_measured_n(matrix: OutcomeMatrix) -> int:
    """The largest n of a measured cell (missing n = 0 cells and imputed cells excluded); 0 when none."""
    meas = (matrix.n > 0) & ~matrix.imputed
    return int(matrix.n[meas].max()) if meas.any() else 0


def max_samples(budgets: Sequence[int], costs: np.ndarray) -> np.ndarray:
    """(S,) the most samples of each configuration an allocation within the largest budget can hold:
    floor(max(budgets) / cost_s) (the budget counts samples when every cost is 1)."""
    costs = np.asarray(costs, float)
    with np.errstate(over="ignore", divide="ignore"):
        top = np.floor(float(max(budgets)) / costs + COST_EPS)
    return np.minimum(top, 2.0**62).astype(np.int64)  # a tiny cost buys "unboundedly many" samples


def beyond_training_n(matrix: OutcomeMatrix, budgets: Sequence[int]) -> bool:
    """True when some training cell could be asked for more samples than it holds within ``budgets``:
    max_samples_s > min over training questions of n_qs for some configuration s."""
    n, _ = matrix.train_counts()
    return bool((max_samples(budgets, matrix.costs) > n.min(axis=0)).any())


# -- the estimators with the rule ------------------------------------------------------------------------------

def eval_fail(n, c, k, prior: PriorLike = None) -> tuple[np.ndarray, np.ndarray]:
    """The evaluation all-fail probability and the extrapolated mask: C(n-c, k)/C(n, k) where k <= n, the
    Beta-binomial predictive with ``prior`` (broadcasting against the columns) where k > n; with no prior,
    the legacy plug-in beyond n. The prior is resolved only when some k > n."""
    n, c, k = np.broadcast_arrays(np.asarray(n, float), np.asarray(c, float), np.asarray(k, float))
    pr = resolve(prior) if (k > n).any() else None
    if pr is None:
        return fail_probability(n, c, k)
    return fail_probability(n, c, k, estimator="betabinomial", prior=pr)


def eval_pass(n: np.ndarray, c: np.ndarray, counts: Sequence[int], prior: PriorLike = None) -> tuple[float, bool]:
    """pass@C of the allocation ``counts`` over the questions (n, c): ``estimators.mix_pass`` with
    :func:`eval_fail`'s rule (bit-identical to the unbiased ``mix_pass`` when no k_s > n_qs)."""
    n, c = np.asarray(n), np.asarray(c)
    k = np.asarray(counts, dtype=np.int64)
    pr = resolve(prior) if (k[None, :] > n).any() else None
    if pr is None:
        return mix_pass(n, c, k)
    return mix_pass(n, c, k, estimator="betabinomial", prior=pr)


def question_fail(n: np.ndarray, c: np.ndarray, counts: Sequence[int], prior: PriorLike = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Per question prod_s f_s(k_s) over the configurations with k_s > 0 and the per-question extrapolated flag:
    the same terms in the same order as :func:`eval_pass`, so 1 - these average exactly to it."""
    n, c = np.asarray(n), np.asarray(c)
    k = np.asarray(counts, dtype=np.int64)
    sup = np.flatnonzero(k > 0)
    if sup.size == 0:
        return np.ones(n.shape[0]), np.zeros(n.shape[0], dtype=bool)
    pr = resolve(prior) if (k[None, :] > n).any() else None
    pr = None if pr is None else tuple(x[sup][None, :] for x in pr)
    f, over = eval_fail(n[:, sup], c[:, sup], k[sup][None, :], pr)
    return np.prod(f, axis=1), over.any(axis=1)


def train_fail(n, c, k, prior: Prior) -> np.ndarray:
    """The training all-fail term of k samples: plug-in (1 - c/n)^k where k <= n, Beta-binomial predictive with
    ``prior`` = (a, b) (resolved, broadcasting against the columns) where k > n. Broadcasts."""
    n, c, k = np.broadcast_arrays(np.asarray(n, float), np.asarray(c, float), np.asarray(k, float))
    a, b = prior
    plug = (1.0 - c / n) ** k
    over = k > n
    if not over.any():
        return plug
    return np.where(over, fail_probability_bb(n, c, k, a, b), plug)


def train_pass(n: np.ndarray, c: np.ndarray, counts: Sequence[int], prior: PriorLike = None) -> float:
    """The training objective of ``counts`` on training counts (n, c): the plug-in mean_q 1 - prod_s
    (1 - p_qs)^k_s (``estimators.plugin_objective``, bit for bit) when no k_s > n_qs; otherwise
    mean_q 1 - prod_s :func:`train_fail` over the configurations with k_s > 0 (needs a prior)."""
    n, c = np.asarray(n), np.asarray(c)
    k = np.asarray(counts, dtype=np.int64)
    if not (k[None, :] > n).any():
        return float(plugin_objective(c / n, k))
    pr = resolve(prior)
    if pr is None:
        return float(plugin_objective(c / n, k))
    sup = np.flatnonzero(k > 0)
    f = train_fail(n[:, sup], c[:, sup], k[sup][None, :], (pr[0][sup][None, :], pr[1][sup][None, :]))
    return float(np.mean(1.0 - np.prod(f, axis=1)))
