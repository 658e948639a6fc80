"""The Beta-binomial posterior predictive for budgets beyond n: exact against numerical integration, sensible at
c = 0 and c = n, identical to the unbiased estimator where k <= n, and priors fitted per configuration that
recover a known truth."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import beta as beta_dist

from osca_core.model.estimators import (
    fail_probability,
    fail_probability_bb,
    fail_unbiased,
    mix_pass,
    pass_at_k_bb,
)
from osca_core.model.missing import config_priors


def _by_quadrature(n, c, k, a, b) -> float:
    """E[(1 - theta)^k] under the posterior Beta(a + c, b + n - c), by scipy.integrate.quad."""
    post = beta_dist(a + c, b + n - c)
    val, err = integrate.quad(lambda t: (1.0 - t) ** k * post.pdf(t), 0.0, 1.0, limit=200, epsabs=1e-13)
    return val


@given(n=st.integers(0, 12), data=st.data(), k=st.integers(0, 40),
       a=st.floats(0.3, 20.0), b=st.floats(0.3, 20.0))
@settings(max_examples=150, deadline=None)
def test_predictive_equals_numerical_integration_of_the_posterior(n, data, k, a, b):
    c = data.draw(st.integers(0, n))
    want = _by_quadrature(n, c, k, a, b)
    got = float(fail_probability_bb(n, c, k, a, b))
    assert got == pytest.approx(want, rel=1e-7, abs=1e-11)


@pytest.mark.parametrize("n,c,k,a,b", [(1, 0, 10, 0.5, 2.0), (3, 3, 10, 2.0, 5.0), (10, 0, 100, 1.2, 30.0),
                                       (0, 0, 7, 0.7, 0.9), (1, 1, 1000, 0.2, 0.4)])
def test_predictive_on_named_cases_matches_quadrature(n, c, k, a, b):
    assert float(fail_probability_bb(n, c, k, a, b)) == pytest.approx(_by_quadrature(n, c, k, a, b), rel=1e-7)


def test_zero_correct_no_longer_means_zero_forever_nor_all_correct_one_forever():
    # the plug-in says 0 (c = 0) and 1 (c = n) for every k; the predictive moves with k
    f_zero = fail_probability_bb(1, 0, np.array([1, 10, 100]), 0.5, 2.0)
    assert (f_zero < 1).all() and np.all(np.diff(f_zero) < 0)
    p_all = pass_at_k_bb(3, 3, np.array([1, 10]), 2.0, 5.0)
    assert (p_all < 1).all() and p_all[1] > p_all[0]
    plug, _ = fail_probability(1, 0, 10, estimator="unbiased")
    assert float(plug) == 1.0  # what the predictive replaces


def test_k_zero_is_certain_failure_of_nothing_and_k_grows_monotonically():
    assert float(fail_probability_bb(5, 2, 0, 1.0, 1.0)) == 1.0
    f = fail_probability_bb(5, 2, np.arange(0, 50), 1.0, 1.0)
    assert np.all(np.diff(f) < 0)


def test_betabinomial_estimator_is_unbiased_up_to_n_and_predictive_beyond_flagged():
    n = np.array([[10, 1], [3, 10]])
    c = np.array([[4, 0], [3, 7]])
    a, b = np.array([0.8, 1.5]), np.array([2.0, 0.5])
    k = np.array([[3, 3]])
    f, over = fail_probability(n, c, k, estimator="betabinomial", prior=(a[None, :], b[None, :]))
    assert over.tolist() == [[False, True], [False, False]]
    assert f[0, 0] == pytest.approx(float(fail_unbiased(10, 4, 3)))
    assert f[1, 1] == pytest.approx(float(fail_unbiased(10, 7, 3)))
    assert f[0, 1] == pytest.approx(_by_quadrature(1, 0, 3, 1.5, 0.5), rel=1e-7)
    val, extrap = mix_pass(n, c, np.array([3, 3]), estimator="betabinomial", prior=(a, b))
    assert extrap and val == pytest.approx(np.mean(1 - np.prod(f, axis=1)))


def test_defaults_are_unchanged_and_the_new_estimator_needs_a_prior():
    f_old, _ = fail_probability(1, 0, 5)
    assert float(f_old) == 1.0  # the unbiased default still uses the plug-in beyond n
    with pytest.raises(ValueError, match="needs prior"):
        fail_probability(1, 0, 5, estimator="betabinomial")
    with pytest.raises(ValueError):
        fail_probability_bb(3, 1, 2, 0.0, 1.0)


def test_fitted_priors_recover_a_known_beta_per_configuration_and_ignore_missing_cells():
    rng = np.random.default_rng(7)
    truth = [(2.0, 6.0), (0.5, 0.5)]
    q = 4000
    n = np.column_stack([np.full(q, 10), rng.choice([1, 3, 10], size=q)])
    theta = np.column_stack([rng.beta(a, b, size=q) for a, b in truth])
    c = rng.binomial(n, theta)
    missing = rng.random((q, 2)) < 0.3
    n, c = np.where(missing, 0, n), np.where(missing, 0, c)
    a, b = config_priors(n, c)
    for s, (ta, tb) in enumerate(truth):
        assert a[s] / (a[s] + b[s]) == pytest.approx(ta / (ta + tb), abs=0.02)
        assert a[s] + b[s] == pytest.approx(ta + tb, rel=0.25)
    a0, b0 = config_priors(np.zeros((3, 1), int), np.zeros((3, 1), int))
    assert (a0[0], b0[0]) == (1.0, 1.0)  # nothing observed: the uniform prior
