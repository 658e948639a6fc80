"""Empirical-Bayes smoothing (osca_core.model.smoothing): the Beta-binomial fit is the marginal-likelihood maximum and
posterior rates shrink toward each configuration's mean, less with more data. Array functions only."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.analysis import experiments as ex
from osca_core.model.smoothing import (
    BetaPrior,
    beta_binomial_loglik,
    fit_beta_binomial,
    fit_priors,
    posterior_rates,
)


def test_beta_binomial_fit_is_the_marginal_likelihood_maximum():
    rng = np.random.default_rng(3)
    theta = rng.beta(2.0, 5.0, size=3000)
    n = np.full(3000, 20)
    c = rng.binomial(n, theta)
    prior = fit_beta_binomial(n, c)
    assert prior.alpha == pytest.approx(2.0, rel=0.15) and prior.beta == pytest.approx(5.0, rel=0.15)
    best = beta_binomial_loglik(n, c, prior.alpha, prior.beta)
    for fa in (0.9, 0.97, 1.03, 1.1):
        for fb in (0.9, 0.97, 1.03, 1.1):
            assert beta_binomial_loglik(n, c, prior.alpha * fa, prior.beta * fb) <= best + 1e-9


def test_posterior_rates_shrink_toward_the_configuration_mean(bcb):
    n, c = bcb.train_counts()
    (t,) = ex.trials(bcb, ex.Setting(c0=5, seed=0))
    n5, c5 = t.est.train_counts()
    p = posterior_rates(n5, c5)
    raw = c5 / n5
    mu = np.array([fit_beta_binomial(n5[:, s], c5[:, s]).mean for s in range(10)])
    lo, hi = np.minimum(raw, mu), np.maximum(raw, mu)
    assert ((p >= lo - 1e-12) & (p <= hi + 1e-12)).all()
    assert np.abs(posterior_rates(n, c) - c / n).max() < np.abs(p - raw).max()  # more data, less shrinkage


def test_beta_binomial_loglik_equals_the_textbook_sum():
    from scipy.special import betaln

    n, c = np.array([5, 7, 3]), np.array([1, 7, 0])
    want = sum(betaln(ci + 1.5, ni - ci + 2.5) - betaln(1.5, 2.5) for ni, ci in zip(n, c, strict=True))
    assert beta_binomial_loglik(n, c, 1.5, 2.5) == pytest.approx(want, abs=1e-12)


def test_posterior_rates_with_given_priors_are_the_posterior_means():
    n = np.array([[4, 10], [2, 10]])
    c = np.array([[1, 10], [0, 3]])
    priors = (BetaPrior(1.0, 3.0), BetaPrior(2.0, 2.0))
    want = np.array([[(1 + 1) / (4 + 4), (10 + 2) / (10 + 4)], [(0 + 1) / (2 + 4), (3 + 2) / (10 + 4)]])
    assert posterior_rates(n, c, priors) == pytest.approx(want, abs=1e-15)
    assert len(fit_priors(n, c)) == 2 and priors[0].mean == 0.25 and priors[1].concentration == 4.0


def test_the_starting_grid_of_the_merged_fit_is_the_pointwise_likelihood_bit_for_bit():
    from osca_core.model import smoothing as sm

    rng = np.random.default_rng(7)
    for _ in range(40):
        u = int(rng.integers(1, 120))
        n = rng.integers(1, 60, u).astype(float)
        c = np.floor(rng.random(u) * (n + 1))
        w = rng.integers(1, 50, u).astype(float)
        u0 = float(rng.normal() * 3.0)
        grid = np.linspace(sm._LOG_KAPPA[0], sm._LOG_KAPPA[1], 25)
        want = [sm._neg_loglik_and_grad_merged(np.array([u0, v]), n, c, w)[0] for v in grid]
        assert sm._grid_values(u0, grid, n, c, w) == want
