"""pass@k estimators, for one configuration and for a mix of configurations.

- Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1; the OSCA
  paper's ``pass_at_k``): 1 - C(n-c, k) / C(n, k), defined for k <= n.
- Plug-in pass@k: 1 - (1 - c/n)^k, defined for every k (the OSCA training objective uses it).
- pass@C of a mix {s: k_s} on a question: 1 - prod_s (1 - pass@k_s); averaged over questions.

When an allocation asks a configuration for more samples than the logs hold (k > n) the unbiased estimator is
undefined. The paper's helper returns 1.0 there, even for c = 0; we evaluate that term with the plug-in estimate
and flag the result ``extrapolated`` instead. ``pass_at_k_bruteforce`` is the deliberately simple reference
(enumerate all k-subsets) kept for the tests.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from scipy.special import gammaln


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


def fail_probability(n, c, k, *, estimator: str = "unbiased") -> tuple[np.ndarray, np.ndarray]:
    """Probability that all k samples fail, and a mask of the terms that were extrapolated.

    ``estimator="unbiased"`` uses C(n-c,k)/C(n,k) where k <= n and the plug-in (1 - c/n)^k where k > n (those
    terms are flagged). ``estimator="plugin"`` uses (1 - c/n)^k everywhere (nothing is flagged: the plug-in is
    then the intended model, as in the OSCA training objective).
    """
    n, c, k = np.broadcast_arrays(np.asarray(n, float), np.asarray(c, float), np.asarray(k, float))
    plug = (1.0 - c / n) ** k
    if estimator == "plugin":
        return plug, np.zeros(n.shape, dtype=bool)
    if estimator != "unbiased":
        raise ValueError(f"unknown estimator {estimator!r}")
    over = k > n
    exact = fail_unbiased(n, c, np.where(over, 0.0, k))
    return np.where(over, plug, exact), over


def mix_pass(n: np.ndarray, c: np.ndarray, k: np.ndarray, *, estimator: str = "unbiased") -> tuple[float, bool]:
    """pass@C of the allocation ``k`` (length S) over questions: mean_q [1 - prod_s fail(n_qs, c_qs, k_s)].

    Returns (value, extrapolated); extrapolated is True when some k_s > n_qs was evaluated with the plug-in.
    Only configurations with k_s > 0 are touched, so this is cheap for sparse allocations on wide matrices.
    """
    k = np.asarray(k)
    sup = np.flatnonzero(k > 0)
    if sup.size == 0:
        return 0.0, False
    f, over = fail_probability(n[:, sup], c[:, sup], k[sup][None, :], estimator=estimator)
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
