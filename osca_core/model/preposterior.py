"""What further samples of one cell are expected to teach: moments of the cell's posterior and of its preposterior.

A cell (question q, configuration s) with c correct of n has a pass rate p whose posterior, under a prior that is a
mixture of Beta components (weights w_j, Beta(a_j, b_j); one component by default: the configuration's fitted
prior, :func:`osca_core.model.extrapolation.priors`), is the mixture

    p | c, n ~ sum_j w'_j Beta(a_j + c, b_j + n - c),   w'_j ∝ w_j B(a_j + c, b_j + n - c) / B(a_j, b_j)

(the binomial coefficient is common to every component and cancels). A term of a mix's fail probability is
h = (1 - p)^k; its posterior moments are

    E[(1 - p)^e] = sum_j w'_j B(alpha_j, beta_j + e) / B(alpha_j, beta_j),   alpha_j = a_j + c, beta_j = b_j + n - c.

Drawing m more samples gives x ~ sum_j w'_j BetaBin(m, alpha_j, beta_j) further successes (the preposterior). For
terms h_i = (1 - p)^{e_i} (one per allocation i under comparison, e_i its count of this configuration),

    G_ii'(m) = E_x[ E[h_i | x] E[h_i' | x] ] = sum_x N_i(x) N_i'(x) / P(x),
    N_i(x) = sum_j w'_j C(m, x) B(alpha_j + x, beta_j + m - x + e_i) / B(alpha_j, beta_j),  P(x) = N(x) at e = 0,

so G(0) = E[h_i] E[h_i'] and G(m) -> H_ii' = E[h_i h_i'] = E[(1 - p)^{e_i + e_i'}] as m grows. By the law of total
covariance the expected posterior covariance of the terms after m samples is H - G(m) (Raiffa and Schlaifer 1961,
"Applied Statistical Decision Theory", preposterior analysis; the Beta-binomial predictive as in Gelman et al.,
"Bayesian Data Analysis", 3rd ed., sec. 2.4). Everything is exact (a sum over x = 0..m), no simulation.

A mixture with several components is how an uncertain spread enters (each component one plausible concentration of
the prior): the between-component spread is part of every variance and shrinks as the cell's own samples decide
between them. Components are per cell here (each cell's weights update on its own counts), a simplification of one
spread shared by the configuration.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, gammaln, logsumexp


def posterior_components(n, c, a, b, w=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cell posteriors' components: ``(alpha, beta, log_weight)``, each (..., J), for counts ``n``, ``c``
    (...,) and prior components ``a``, ``b`` (..., J) broadcasting against them (``w`` (J,) prior weights, equal by
    default). One component: alpha = a + c, beta = b + n - c, weight 1."""
    n = np.asarray(n, float)[..., None]
    c = np.asarray(c, float)[..., None]
    a, b = np.asarray(a, float), np.asarray(b, float)
    if (a <= 0).any() or (b <= 0).any():
        raise ValueError("posterior_components needs prior components a, b > 0")
    j = np.broadcast_shapes(a.shape, b.shape)[-1]
    w = np.full(j, 1.0 / j) if w is None else np.asarray(w, float) / np.sum(w)
    alpha, beta = a + c, b + n - c
    lw = np.log(w) + betaln(alpha, beta) - betaln(a, b)
    return alpha, beta, lw - logsumexp(lw, axis=-1, keepdims=True)


def fail_moment(alpha, beta, log_weight, e) -> np.ndarray:
    """E[(1 - p)^e] under the posterior ``(alpha, beta, log_weight)`` (..., J); ``e`` (..., E) exponents: (..., E)."""
    al, be, lw = (np.asarray(x, float)[..., None, :] for x in (alpha, beta, log_weight))
    e = np.asarray(e, float)[..., None]
    return np.exp(np.minimum(logsumexp(lw + betaln(al, be + e) - betaln(al, be), axis=-1), 0.0))


def second_moments(alpha, beta, log_weight, exps) -> np.ndarray:
    """H_ii' = E[(1 - p)^{e_i + e_i'}]: (..., L, L) for exponents ``exps`` (..., L)."""
    e = np.asarray(exps, float)
    s = e[..., :, None] + e[..., None, :]
    flat = s.reshape(*s.shape[:-2], -1)
    return fail_moment(alpha, beta, log_weight, flat).reshape(s.shape)


def preposterior_moments(alpha, beta, log_weight, exps, m: int) -> np.ndarray:
    """G_ii'(m) = E_x[E[h_i | x] E[h_i' | x]] after ``m`` more samples (module docstring): (..., L, L) for the
    posterior ``(alpha, beta, log_weight)`` (..., J) and exponents ``exps`` (..., L)."""
    al, be, lw = (np.asarray(x, float)[..., None, :] for x in (alpha, beta, log_weight))  # (..., 1, J)
    x = np.arange(int(m) + 1, dtype=float)[:, None]  # (X, 1)
    lc = gammaln(m + 1.0) - gammaln(x + 1.0) - gammaln(m - x + 1.0)
    base = lw + lc - betaln(al, be)  # (..., X, J)
    e = np.asarray(exps, float)
    lp = logsumexp(base + betaln(al + x, be + m - x), axis=-1)  # (..., X)
    ee = e[..., :, None, None]  # (..., L, 1, 1)
    ln = logsumexp(base[..., None, :, :] + betaln(al[..., None, :, :] + x, be[..., None, :, :] + m - x + ee),
                   axis=-1)  # (..., L, X)
    t = ln[..., :, None, :] + ln[..., None, :, :] - lp[..., None, None, :]
    return np.exp(logsumexp(t, axis=-1))
