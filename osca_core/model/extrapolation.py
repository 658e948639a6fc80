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

import hashlib
import weakref
from collections.abc import Callable, Sequence

import numpy as np

from osca_core.model.estimators import (
    fail_probability,
    fail_probability_bb,
    fail_unbiased,
    mix_pass,
    plugin_objective,
)
from osca_core.model.missing import config_priors
from osca_core.model.outcomes import OutcomeMatrix

Prior = tuple[np.ndarray, np.ndarray]
PriorLike = Prior | Callable[[], Prior] | None
DEFAULT_CONCENTRATION = 2.0  # a + b of a prior whose spread no configuration identifies (Beta(1, 1) at mean 1/2)
COST_EPS = 1e-9  # slack when turning a cost budget into a number of samples (as the optimizer's)

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# ... and by the training counts themselves: every strategy of a held-out view re-splits the log into new matrix
# objects with the same training counts (the dashboard's curves, one cached call per strategy); 256 entries
_BY_COUNTS: dict[bytes, Prior] = {}
_BY_COUNTS_MAX = 256
_CELLS: dict[bytes, tuple] = {}  # distinct cells of test counts (``eval_pass`` on wide supports)
_CELLS_MAX = 64
DEDUP_CELLS = 2048  # questions x support from which eval_pass computes its terms once per distinct cell


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
    a, b = config_priors(n, np.where(n > 0, np.asarray(c, np.int64), 0), merged=True)
    known = (n >= 2).any(axis=0)
    if known.all():
        return a, b
    kappa = a + b
    k0 = float(np.median(kappa[known])) if known.any() else DEFAULT_CONCENTRATION
    mu = a / kappa
    return np.where(known, a, mu * k0), np.where(known, b, (1.0 - mu) * k0)


def training_key(matrix: OutcomeMatrix) -> bytes:
    """A digest of ``matrix``'s training counts (n, c, imputed): what its prior (and anything else fitted on the
    training questions alone) depends on, shared by the new matrix objects of every re-split."""
    tr = matrix.train
    n, c, imp = matrix.n[tr], matrix.c[tr], matrix.imputed[tr]
    return hashlib.blake2b(b"".join([np.asarray(n.shape, np.int64).tobytes(), np.ascontiguousarray(n, np.int64)
                                     .tobytes(), np.ascontiguousarray(c, np.int64).tobytes(),
                                     np.ascontiguousarray(imp, bool).tobytes()]), digest_size=16).digest()


def priors(matrix: OutcomeMatrix) -> Prior:
    """The prior (a, b), arrays of length S, of ``matrix``: fitted on its training rows only, imputed cells
    excluded (module docstring); cached per matrix object and per training counts (read-only arrays)."""
    hit = _CACHE.get(matrix)
    if hit is None:
        tr = matrix.train
        n, c, imp = matrix.n[tr], matrix.c[tr], matrix.imputed[tr]
        key = training_key(matrix)
        hit = _BY_COUNTS.get(key)
        if hit is None:
            a, b = fit_priors(n, c, imp)
            a.setflags(write=False)
            b.setflags(write=False)
            hit = (a, b)
            if len(_BY_COUNTS) >= _BY_COUNTS_MAX:
                _BY_COUNTS.pop(next(iter(_BY_COUNTS)))
            _BY_COUNTS[key] = hit
        _CACHE[matrix] = hit
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


def distinct_cells(n: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (configuration, n, c) triples of the (Q, S) counts (n >= c >= 0), in lexicographic order, as
    three arrays, and the (Q, S) index of each cell's triple (one integer sort of the packed triples)."""
    n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
    q, s = n.shape
    base = int(n.max(initial=0)) + 1
    key = (np.arange(s, dtype=np.int64)[None, :] * base + n) * base + c
    u, idx = np.unique(key.ravel(), return_inverse=True)
    return u // (base * base), (u // base) % base, u % base, idx.reshape(q, s)


def fail_grid(n, c, ks, prior: PriorLike = None, *, train: bool = False
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fail terms of every cell of the (Q, S) counts (n, c) at every count of ``ks`` (K,), computed once per
    distinct (configuration, n, c) triple (a log with n = 10 has at most 11 per configuration): returns the (U, K)
    terms and extrapolated flags (k > n) of the triples and the (Q, S) index of each cell's triple. The terms are
    :func:`eval_fail`'s (test side) or, with ``train``, :func:`train_fail`'s, elementwise the same, so
    ``f[idx[:, j]]`` is bit for bit ``eval_fail(n[:, j:j+1], c[:, j:j+1], ks[None, :], prior_j)[0]`` (``prior``
    is resolved only when some k > n)."""
    n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
    q, s = n.shape
    su, nu, cu, idx = distinct_cells(n, c)
    ks = np.asarray(ks, float)
    over = ks[None, :] > nu[:, None]
    pr = resolve(prior) if over.any() else None
    cell = None if pr is None else (pr[0][su][:, None], pr[1][su][:, None])
    if train:
        f = train_fail(nu[:, None], cu[:, None], ks[None, :], cell or (1.0, 1.0))  # (no prior: none used)
    else:
        f, over = eval_fail(nu[:, None], cu[:, None], ks[None, :], cell)
    return f, over, idx


def _cells(n: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (configuration, n, c) triples of the (Q, S) counts, as (configuration, n, c) arrays, and the
    (Q, S) index of each cell's triple; cached by the counts' digest (a view scores hundreds of allocations on
    the same test questions, each time with new arrays)."""
    key = hashlib.blake2b(b"".join([np.asarray(n.shape, np.int64).tobytes(), np.ascontiguousarray(n, np.int64)
                                    .tobytes(), np.ascontiguousarray(c, np.int64).tobytes()]),
                          digest_size=16).digest()
    hit = _CELLS.get(key)
    if hit is None:
        hit = distinct_cells(n, c)
        if len(_CELLS) >= _CELLS_MAX:
            _CELLS.pop(next(iter(_CELLS)))
        _CELLS[key] = hit
    return hit


def eval_pass(n: np.ndarray, c: np.ndarray, counts: Sequence[int], prior: PriorLike = None) -> tuple[float, bool]:
    """pass@C of the allocation ``counts`` over the questions (n, c): ``estimators.mix_pass`` with
    :func:`eval_fail`'s rule (bit-identical to the unbiased ``mix_pass`` when no k_s > n_qs). On a wide support
    (``DEDUP_CELLS`` cells or more) the terms are computed once per distinct (configuration, n, c) and gathered
    into mix_pass's (Q, support) array: the same floats, multiplied and averaged in the same order."""
    n, c = np.asarray(n), np.asarray(c)
    k = np.asarray(counts, dtype=np.int64)
    sup = np.flatnonzero(k > 0)
    if n.ndim != 2 or sup.size * n.shape[0] < DEDUP_CELLS:
        return eval_pass_priors(n, c, k, [prior])[0]
    su, nu, cu, idx = _cells(n, c)
    t = np.flatnonzero(k[su] > 0)
    kt = k[su[t]]
    pr = resolve(prior) if (kt > nu[t]).any() else None
    est, cell = ("unbiased", None) if pr is None else ("betabinomial", (pr[0][su[t]], pr[1][su[t]]))
    ft, over = fail_probability(nu[t], cu[t], kt, estimator=est, prior=cell)
    terms = np.empty(su.size)
    terms[t] = ft
    return float(np.mean(1.0 - np.prod(terms[idx[:, sup]], axis=1))), bool(over.any())


def eval_pass_priors(n: np.ndarray, c: np.ndarray, counts: Sequence[int], priors_: Sequence[PriorLike]
                     ) -> list[tuple[float, bool]]:
    """``[eval_pass(n, c, counts, p) for p in priors_]``, bit for bit, with the terms within n computed once and
    the Beta-binomial ones only on the cells beyond n (``estimators.mix_pass`` computes both everywhere and
    keeps one): a range over prior settings (``analysis.ranges``) re-scores an allocation under each."""
    n, c = np.asarray(n), np.asarray(c)
    k = np.asarray(counts, dtype=np.int64)
    sup = np.flatnonzero(k > 0)
    if n.ndim != 2 or sup.size == 0 or not (k[None, sup] > n[:, sup]).any():
        return [mix_pass(n, c, k)] * len(priors_)
    nf, cf, kf = np.broadcast_arrays(np.asarray(n[:, sup], float), np.asarray(c[:, sup], float),
                                     np.asarray(k[sup], float)[None, :])
    over = kf > nf
    exact = fail_unbiased(nf, cf, np.where(over, 0.0, kf))
    cols = np.broadcast_to(sup[None, :], nf.shape)[over]
    out = []
    for prior in priors_:
        pr = resolve(prior)
        if pr is None:  # the legacy rule: mix_pass's plug-in beyond n
            out.append(mix_pass(n, c, k))
            continue
        f = exact.copy()
        f[over] = fail_probability_bb(nf[over], cf[over], kf[over], np.asarray(pr[0], float)[cols],
                                      np.asarray(pr[1], float)[cols])
        out.append((float(np.mean(1.0 - np.prod(f, axis=1))), True))
    return out


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
    nf, cf, kf = np.broadcast_arrays(np.asarray(n[:, sup], float), np.asarray(c[:, sup], float),
                                     np.asarray(k[sup], float)[None, :])
    f = (1.0 - cf / nf) ** kf  # train_fail's terms, the predictive only where k > n (the same floats)
    over = kf > nf
    cols = np.broadcast_to(sup[None, :], nf.shape)[over]
    f[over] = fail_probability_bb(nf[over], cf[over], kf[over], pr[0][cols], pr[1][cols])
    return float(np.mean(1.0 - np.prod(f, axis=1)))
