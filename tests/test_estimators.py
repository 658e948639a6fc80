"""pass@k estimators: exact against brute-force enumeration and integer arithmetic, monotone, stable."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osca_core.model.estimators import (
    fail_probability,
    fail_unbiased,
    log_fail_rates,
    mix_pass,
    pass_at_k,
    pass_at_k_bruteforce,
    plugin_objective,
    plugin_pass_at_k,
)


@st.composite
def nck(draw, max_n=40):
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(0, n))
    k = draw(st.integers(0, n))
    return n, c, k


@given(nck(max_n=12))
@settings(max_examples=200, deadline=None)
def test_unbiased_equals_bruteforce_enumeration_of_k_subsets(t):
    n, c, k = t
    if k == 0:
        assert pass_at_k(n, c, 0) == 0.0
        return
    outcomes = [True] * c + [False] * (n - c)
    assert pass_at_k(n, c, k) == pytest.approx(pass_at_k_bruteforce(outcomes, k), abs=1e-12)


@given(nck(max_n=400))
@settings(max_examples=300, deadline=None)
def test_unbiased_equals_exact_integer_binomials(t):
    n, c, k = t
    exact = 1 - math.comb(n - c, k) / math.comb(n, k)
    assert pass_at_k(n, c, k) == pytest.approx(exact, abs=1e-11)


@given(nck(max_n=300))
@settings(max_examples=200, deadline=None)
def test_unbiased_is_one_when_fewer_wrong_samples_than_k(t):
    n, c, k = t
    if n - c < k <= n:
        assert pass_at_k(n, c, k) == 1.0
        assert fail_unbiased(n, c, k) == 0.0
    else:
        assert fail_unbiased(n, c, k) > 0.0  # some k-subset is all wrong


@given(nck(max_n=300))
@settings(max_examples=200, deadline=None)
def test_unbiased_is_monotone_in_k_and_in_c(t):
    n, c, k = t
    v = float(pass_at_k(n, c, k))
    if k < n:
        assert pass_at_k(n, c, k + 1) >= v - 1e-15
    if c < n:
        assert pass_at_k(n, c + 1, k) >= v - 1e-15
    assert 0.0 <= v <= 1.0


@given(nck(max_n=300), st.integers(0, 50))
@settings(max_examples=200, deadline=None)
def test_plugin_is_monotone_and_matches_closed_form(t, extra):
    n, c, k = t
    kk = k + extra
    assert plugin_pass_at_k(n, c, kk) == pytest.approx(1 - (1 - c / n) ** kk, abs=1e-15)
    assert plugin_pass_at_k(n, c, kk + 1) >= plugin_pass_at_k(n, c, kk)


def test_k_beyond_n_uses_plugin_and_is_flagged_not_one():
    # the paper's helper returns 1.0 for k > n even with c = 0; we must not
    f, over = fail_probability(np.array([16, 16]), np.array([0, 4]), np.array([20, 20]))
    assert over.tolist() == [True, True]
    assert f[0] == 1.0  # c = 0: never solved
    assert f[1] == pytest.approx(0.75**20)
    with pytest.raises(ValueError):
        pass_at_k(16, 4, 17)


def test_mix_pass_equals_product_of_per_configuration_failures():
    n = np.array([[10, 5], [10, 5]])
    c = np.array([[3, 0], [0, 5]])
    v, extra = mix_pass(n, c, np.array([2, 1]))
    q0 = 1 - (math.comb(7, 2) / math.comb(10, 2)) * 1.0
    q1 = 1 - (1.0) * 0.0
    assert v == pytest.approx((q0 + q1) / 2, abs=1e-15) and extra is False
    v2, extra2 = mix_pass(n, c, np.array([0, 6]))
    assert extra2 is True and v2 == pytest.approx(0.5)


def test_plugin_objective_handles_rates_of_zero_and_one_without_warnings():
    p = np.array([[0.0, 1.0, 0.5], [1.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L, Z = log_fail_rates(p)
        vals = plugin_objective(p, np.array([[1, 0, 0], [0, 1, 0], [0, 0, 3], [2, 1, 1]]))
    assert np.isfinite(L).all()
    assert vals.tolist() == pytest.approx([1 / 3, 2 / 3, (1 - 0.125) / 3, 2 / 3])
