"""The preposterior moments of a cell (osca_core.model.preposterior) against their definitions written out
directly: scipy's Beta and Beta-binomial distributions, Bayes' rule for the mixture weights, numerical
integration for the moments; and the limits G(0) = E[h_i] E[h_i'], G(m) -> H as m grows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import betaln

from osca_core.model import preposterior as pp


def _mixture_pdf(x, comps):
    return sum(w * np.exp((a - 1) * np.log(x) + (b - 1) * np.log1p(-x) - betaln(a, b)) for w, a, b in comps)


def test_posterior_weights_and_moments_equal_bayes_rule_integrated_numerically():
    n, c = 3, 1
    a, b = np.array([0.5, 2.0]), np.array([1.5, 6.0])
    al, be, lw = pp.posterior_components(n, c, a, b, w=[0.3, 0.7])
    # the posterior density by Bayes' rule: prior mixture x binomial likelihood, normalised numerically
    prior = [(0.3, 0.5, 1.5), (0.7, 2.0, 6.0)]
    like = lambda p: _mixture_pdf(p, prior) * p**c * (1 - p) ** (n - c)  # noqa: E731
    z = integrate.quad(like, 0, 1)[0]
    for e in (0, 1, 4, 7.0):
        want = integrate.quad(lambda p, e=e: like(p) * (1 - p) ** e, 0, 1)[0] / z
        assert pp.fail_moment(al, be, lw, [e])[0] == pytest.approx(want, rel=1e-7)
    assert np.exp(lw).sum() == pytest.approx(1.0)


def test_preposterior_moments_equal_the_sum_over_beta_binomial_outcomes():
    al, be, lw = pp.posterior_components(2, 0, np.array([0.7]), np.array([3.0]))
    exps, m = np.array([4.0, 9.0]), 5
    g = pp.preposterior_moments(al, be, lw, exps, m)
    A, B = al[0], be[0]
    want = np.zeros((2, 2))
    for x in range(m + 1):
        px = stats.betabinom(m, A, B).pmf(x)
        post = stats.beta(A + x, B + m - x)
        h = [post.expect(lambda p, e=e: (1 - p) ** e) for e in exps]
        want += px * np.outer(h, h)
    np.testing.assert_allclose(g, want, rtol=1e-7)


def test_no_samples_gives_the_product_of_means_and_many_samples_approach_the_second_moment():
    al, be, lw = pp.posterior_components(np.array([1, 10]), np.array([0, 4]), np.array([[1.0], [1.0]]),
                                         np.array([[2.0], [2.0]]))
    exps = np.array([[3.0, 12.0], [3.0, 12.0]])
    mean = pp.fail_moment(al, be, lw, exps)
    np.testing.assert_allclose(pp.preposterior_moments(al, be, lw, exps, 0), mean[:, :, None] * mean[:, None, :],
                               rtol=1e-12)
    h = pp.second_moments(al, be, lw, exps)
    g = [pp.preposterior_moments(al, be, lw, exps, m) for m in (1, 10, 2000)]
    assert np.all(np.diff([x[..., 0, 0] for x in g], axis=0) > 0)  # information only grows
    np.testing.assert_allclose(g[-1], h, rtol=2e-2)
    assert np.all(np.abs(g[-1] - h) < np.abs(g[1] - h))
