"""Smoothed training pass rates: a Beta-binomial prior per configuration, fitted by empirical Bayes (``osca-eb``).

Model, for one configuration s over the training questions q: the question's pass rate is theta_q ~ Beta(a, b) and
its correct count c_q | theta_q ~ Binomial(n_q, theta_q), so marginally c_q ~ BetaBinomial(n_q, a, b). We fit
(a, b) per configuration by **maximum marginal likelihood** (type-II maximum likelihood):

    max_{a, b}  sum_q  log B(c_q + a, n_q - c_q + b) - log B(a, b)

(the binomial coefficients do not depend on a, b), over mu = a / (a + b) and kappa = a + b with
logit(mu) in [-30, 30] and log(kappa) in [log 1e-4, log 1e8], by L-BFGS-B (``scipy.optimize.minimize``) with the
analytic gradient (digamma), started from the best point of a coarse kappa grid at the mean rate. The smoothed rate
of a cell is the posterior mean (c_q + a) / (n_q + a + b): each question's rate is shrunk toward the configuration's
mean, strongly when n is small (few samples, e.g. a small estimation budget C0) and hardly at all when n is large.

``osca-eb`` (``osca_core.strategies.allocators.osca_eb``, a registry entry beside ``osca``) then maximizes the usual training
objective mean_q [1 - prod_s (1 - p_qs)^k_s] with these p instead of c/n, through the same optimizer as ``osca``.
This module holds array functions only: it imports no strategy, optimizer or outcome matrix. Empirical Bayes for binomial rates: Casella (1985), "An introduction to
empirical Bayes data analysis", The American Statistician 39(2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, expit, logit

_LOGIT_BOUND = 30.0
_LOG_KAPPA = (float(np.log(1e-4)), float(np.log(1e8)))


@dataclass(frozen=True)
class BetaPrior:
    """A Beta(alpha, beta) prior on one configuration's per-question pass rate."""

    alpha: float
    beta: float

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    @property
    def concentration(self) -> float:
        """alpha + beta: how many pseudo-samples the prior is worth."""
        return self.alpha + self.beta


def beta_binomial_loglik(n, c, alpha: float, beta: float) -> float:
    """Marginal log-likelihood sum_q log B(c_q + a, n_q - c_q + b) - log B(a, b), up to the binomial terms."""
    n, c = np.asarray(n, float), np.asarray(c, float)
    return float(np.sum(betaln(c + alpha, n - c + beta) - betaln(alpha, beta)))


def _neg_loglik_and_grad(theta: np.ndarray, n: np.ndarray, c: np.ndarray) -> tuple[float, np.ndarray]:
    mu, kappa = expit(theta[0]), np.exp(theta[1])
    a, b = mu * kappa, (1.0 - mu) * kappa
    ll = np.sum(betaln(c + a, n - c + b) - betaln(a, b))
    common = digamma(a + b) - digamma(n + a + b)
    ga = np.sum(digamma(c + a) - digamma(a) + common)
    gb = np.sum(digamma(n - c + b) - digamma(b) + common)
    d_u = kappa * mu * (1.0 - mu) * (ga - gb)  # d/d logit(mu)
    d_v = a * ga + b * gb  # d/d log(kappa)
    return -float(ll), -np.array([d_u, d_v])


def fit_beta_binomial(n, c) -> BetaPrior:
    """Maximum-marginal-likelihood Beta(a, b) for counts c_q out of n_q (one configuration, many questions)."""
    n = np.asarray(n, float).ravel()
    c = np.asarray(c, float).ravel()
    mu0 = float(np.clip(np.sum(c) / np.sum(n), expit(-_LOGIT_BOUND + 1), expit(_LOGIT_BOUND - 1)))
    u0 = float(logit(mu0))
    grid = np.linspace(_LOG_KAPPA[0], _LOG_KAPPA[1], 25)
    vals = [_neg_loglik_and_grad(np.array([u0, v]), n, c)[0] for v in grid]
    start = np.array([u0, grid[int(np.argmin(vals))]])
    res = minimize(_neg_loglik_and_grad, start, args=(n, c), jac=True, method="L-BFGS-B",
                   bounds=[(-_LOGIT_BOUND, _LOGIT_BOUND), _LOG_KAPPA])
    theta = res.x if res.fun <= min(vals) else start
    mu, kappa = float(expit(theta[0])), float(np.exp(theta[1]))
    return BetaPrior(mu * kappa, (1.0 - mu) * kappa)


def _neg_loglik_and_grad_merged(theta: np.ndarray, n: np.ndarray, c: np.ndarray, w: np.ndarray
                                ) -> tuple[float, np.ndarray]:
    """:func:`_neg_loglik_and_grad` over distinct cells (n, c) with multiplicities w."""
    mu, kappa = expit(theta[0]), np.exp(theta[1])
    a, b = mu * kappa, (1.0 - mu) * kappa
    ll = np.sum(w * (betaln(c + a, n - c + b) - betaln(a, b)))
    common = digamma(a + b) - digamma(n + a + b)
    ga = np.sum(w * (digamma(c + a) - digamma(a) + common))
    gb = np.sum(w * (digamma(n - c + b) - digamma(b) + common))
    return -float(ll), -np.array([kappa * mu * (1.0 - mu) * (ga - gb), a * ga + b * gb])


def _grid_values(u0: float, grid: np.ndarray, n: np.ndarray, c: np.ndarray, w: np.ndarray) -> list[float]:
    """The values of :func:`_neg_loglik_and_grad_merged` at (u0, v) for every v of ``grid``, in one vectorized
    pass (row by row the same elementwise terms and the same sum over cells, so the same floats)."""
    mu, kappa = expit(u0), np.exp(grid)[:, None]
    a, b = mu * kappa, (1.0 - mu) * kappa
    ll = np.sum(w[None, :] * (betaln(c[None, :] + a, n[None, :] - c[None, :] + b) - betaln(a, b)), axis=1)
    return [-float(x) for x in ll]


def fit_beta_binomial_merged(n, c) -> BetaPrior:
    """:func:`fit_beta_binomial` computed on the distinct (n, c) cells with their multiplicities (a log with
    n = 10 has at most 11 per configuration) and solved by TNC, which calls no BLAS: on a shared machine
    L-BFGS-B's tiny BLAS calls spin-wait for threads (BigCodeBench-sized fits several times slower). The same
    maximum up to the solvers' tolerance (about 1e-5 in a and b); the fit of the priors beyond n
    (``missing.config_priors``), which the held-out views run once per split."""
    n = np.asarray(n, float).ravel()
    c = np.asarray(c, float).ravel()
    (nu, cu), w = np.unique(np.stack([n, c]), axis=1, return_counts=True)
    w = w.astype(float)
    mu0 = float(np.clip(np.sum(c) / np.sum(n), expit(-_LOGIT_BOUND + 1), expit(_LOGIT_BOUND - 1)))
    u0 = float(logit(mu0))
    grid = np.linspace(_LOG_KAPPA[0], _LOG_KAPPA[1], 25)
    vals = _grid_values(u0, grid, nu, cu, w)
    start = np.array([u0, grid[int(np.argmin(vals))]])
    res = minimize(_neg_loglik_and_grad_merged, start, args=(nu, cu, w), jac=True, method="TNC",
                   bounds=[(-_LOGIT_BOUND, _LOGIT_BOUND), _LOG_KAPPA])
    theta = res.x if res.fun <= min(vals) else start
    mu, kappa = float(expit(theta[0])), float(np.exp(theta[1]))
    return BetaPrior(mu * kappa, (1.0 - mu) * kappa)


def fit_priors(n: np.ndarray, c: np.ndarray) -> tuple[BetaPrior, ...]:
    """One prior per configuration (column) of the (Q, S) counts."""
    return tuple(fit_beta_binomial(n[:, s], c[:, s]) for s in range(n.shape[1]))


def posterior_rates(n: np.ndarray, c: np.ndarray, priors: Sequence[BetaPrior] | None = None) -> np.ndarray:
    """Posterior-mean pass rates (c_qs + a_s) / (n_qs + a_s + b_s); priors fitted on (n, c) when not given."""
    n, c = np.asarray(n, float), np.asarray(c, float)
    if priors is None:
        priors = fit_priors(n, c)
    a = np.array([p.alpha for p in priors])
    b = np.array([p.beta for p in priors])
    return (c + a) / (n + a + b)
