"""pass@k estimators, for one configuration and for a mix of configurations.

- Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1; the OSCA
  paper's ``pass_at_k``): 1 - C(n-c, k) / C(n, k), defined for k <= n.
- Plug-in pass@k: 1 - (1 - c/n)^k, defined for every k (the OSCA training objective uses it).
- pass@C of a mix {s: k_s} on a question: 1 - prod_s (1 - pass@k_s); averaged over questions.

When an allocation asks a configuration for more samples than the logs hold (k > n) the unbiased estimator is
undefined. The paper's helper returns 1.0 there, even for c = 0; we evaluate that term with the plug-in estimate
and flag the result ``extrapolated`` instead. ``pass_at_k_bruteforce`` is the deliberately simple reference
(enumerate all k-subsets) kept for the tests.

Beta-binomial posterior predictive (for unequal n and budgets beyond n): with the configuration's prior
theta ~ Beta(a, b) (fitted over questions, e.g. by maximum marginal likelihood in :mod:`osca_core.model.smoothing`) and
c correct of n observed, theta | data ~ Beta(a + c, b + n - c), so k further samples all fail with probability

    E[(1 - theta)^k] = B(a + c, b + n - c + k) / B(a + c, b + n - c)

(``fail_probability_bb``; Bayesian predictive of the Beta-binomial, e.g. Gelman et al., "Bayesian Data Analysis",
3rd ed., sec. 2.4). Unlike the plug-in (1 - c/n)^k it does not stay at 1 for c = 0 nor at 0 for c = n. It is the
``estimator="betabinomial"`` option of :func:`fail_probability` / :func:`mix_pass`, which uses the unbiased
estimator where k <= n and the predictive where k > n (those terms flagged). The defaults are unchanged.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.special import betaln, gammaln

ESTIMATORS = ("unbiased", "plugin", "betabinomial")


def fail_unbiased(n, c, k) -> np.ndarray:
    """C(n-c, k) / C(n, k): chance that k samples drawn without replacement from n, c correct, are all wrong.

    Broadcasts over arrays; requires 0 <= k <= n. Computed in log space with ``gammaln`` (stable for n in the
    thousands); exactly 0 when n - c < k, exactly 1 when k = 0 or c = 0.
    """
    n, c, k = np.broadcast_arrays(np.asarray(n, float), np.asarray(c, float), np.asarray(k, float))
    if (k > n).any() or (k < 0).any():
        raise ValueError("fail_unbiased needs 0 <= k <= n; use fail_probability for k > n")
    m = n - c  # wrong samples
    ok = m >= k
    mm = np.where(ok, m, k)
    logf = gammaln(mm + 1) - gammaln(mm - k + 1) - gammaln(n + 1) + gammaln(n - k + 1)
    out = np.where(ok, np.exp(np.minimum(logf, 0.0)), 0.0)
    out = np.where((c == 0) | (k == 0), 1.0, out)
    return out


def pass_at_k(n, c, k) -> np.ndarray:
    """Unbiased pass@k = 1 - C(n-c, k)/C(n, k) (Chen et al. 2021, eq. 1), for 0 <= k <= n."""
    return 1.0 - fail_unbiased(n, c, k)


def plugin_pass_at_k(n, c, k) -> np.ndarray:
    """Plug-in pass@k = 1 - (1 - c/n)^k: the chance at least one of k independent draws at rate c/n passes."""
    n, c, k = (np.asarray(x, float) for x in (n, c, k))
    return 1.0 - (1.0 - c / n) ** k


def fail_probability_bb(n, c, k, a, b) -> np.ndarray:
    """Beta-binomial posterior predictive B(a + c, b + n - c + k) / B(a + c, b + n - c): the chance that k further
    samples all fail, given c correct of n and the prior Beta(a, b) (a, b > 0). Broadcasts; any k >= 0, n >= 0
    (n = 0: the prior predictive B(a, b + k) / B(a, b)). Computed in log space with ``betaln``."""
    n, c, k, a, b = np.broadcast_arrays(*(np.asarray(x, float) for x in (n, c, k, a, b)))
    if (a <= 0).any() or (b <= 0).any() or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("fail_probability_bb needs finite a, b > 0")
    if (k < 0).any() or (c < 0).any() or (c > n).any():
        raise ValueError("fail_probability_bb needs k >= 0 and 0 <= c <= n")
    return np.exp(np.minimum(betaln(a + c, b + n - c + k) - betaln(a + c, b + n - c), 0.0))


def pass_at_k_bb(n, c, k, a, b) -> np.ndarray:
    """1 - :func:`fail_probability_bb`: the posterior predictive chance that some of k further samples passes."""
    return 1.0 - fail_probability_bb(n, c, k, a, b)


def fail_probability(n, c, k, *, estimator: str = "unbiased", prior: tuple | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Probability that all k samples fail, and a mask of the terms that were extrapolated.

    ``estimator="unbiased"`` uses C(n-c,k)/C(n,k) where k <= n and the plug-in (1 - c/n)^k where k > n (those
    terms are flagged). ``estimator="plugin"`` uses (1 - c/n)^k everywhere (nothing is flagged: the plug-in is
    then the intended model, as in the OSCA training objective). ``estimator="betabinomial"`` uses the unbiased
    estimator where k <= n and :func:`fail_probability_bb` with ``prior=(a, b)`` (arrays broadcasting against
    the configurations) where k > n (flagged).
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"unknown estimator {estimator!r}")
    n, c, k = np.broadcast_arrays(np.asarray(n, float), np.asarray(c, float), np.asarray(k, float))
    over = k > n
    if estimator == "betabinomial":
        if prior is None:
            raise ValueError("estimator='betabinomial' needs prior=(a, b)")
        exact = fail_unbiased(n, c, np.where(over, 0.0, k))
        return np.where(over, fail_probability_bb(n, c, k, *prior), exact), over
    plug = (1.0 - c / n) ** k
    if estimator == "plugin":
        return plug, np.zeros(n.shape, dtype=bool)
    exact = fail_unbiased(n, c, np.where(over, 0.0, k))
    return np.where(over, plug, exact), over


def mix_pass(n: np.ndarray, c: np.ndarray, k: np.ndarray, *, estimator: str = "unbiased",
             prior: tuple | None = None) -> tuple[float, bool]:
    """pass@C of the allocation ``k`` (length S) over questions: mean_q [1 - prod_s fail(n_qs, c_qs, k_s)].

    Returns (value, extrapolated); extrapolated is True when some k_s > n_qs was estimated (plug-in, or the
    Beta-binomial predictive with ``prior=(a, b)``, arrays of length S, for ``estimator="betabinomial"``).
    Only configurations with k_s > 0 are touched, so this is cheap for sparse allocations on wide matrices.
    """
    k = np.asarray(k)
    sup = np.flatnonzero(k > 0)
    if sup.size == 0:
        return 0.0, False
    pr = None if prior is None else tuple(np.asarray(x, float)[sup][None, :] for x in prior)
    f, over = fail_probability(n[:, sup], c[:, sup], k[sup][None, :], estimator=estimator, prior=pr)
    return float(np.mean(1.0 - np.prod(f, axis=1))), bool(over.any())


def log_fail_rates(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split log(1 - p) into a finite part and a zero indicator, so that p = 1 never produces log(0).

    Returns (L, Z): L = log(1 - p) where p < 1 and 0 where p = 1; Z = 1.0 where p = 1. For an allocation k,
    prod_s (1 - p_s)^k_s = exp(L @ k) if Z @ k == 0, else 0.
    """
    p = np.asarray(p, float)
    z = p >= 1.0
    with np.errstate(divide="ignore"):
        L = np.where(z, 0.0, np.log1p(-np.minimum(p, 1.0)))
    return L, z.astype(float)


def plugin_objective(p: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The OSCA training objective mean_q [1 - prod_s (1 - p_qs)^k_s] for one allocation (S,) or many (B, S).

    Source: the paper's ``calculate_expected_train`` (p = c/n on training questions).
    """
    k = np.asarray(k, float)
    L, Z = log_fail_rates(p)
    y = k @ L.T  # (B, Q) or (Q,)
    z = k @ Z.T
    prod = np.where(z > 0, 0.0, np.exp(y))
    return np.mean(1.0 - prod, axis=-1)


def pass_at_k_bruteforce(outcomes, k: int) -> float:
    """Reference: the fraction of k-subsets of the samples ``outcomes`` (booleans) with at least one correct."""
    subsets = list(combinations(range(len(outcomes)), k))
    return sum(any(outcomes[i] for i in s) for s in subsets) / len(subsets)
