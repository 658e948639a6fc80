"""Fail tables beyond n (osca_core.model.fail_tables): the predictive E[(1 - p)^k] by cumulative sums against
the Beta function, its properties (f(0) = 1, decreasing, Jensen, log-convex, plug-in limit) and the tables against
``extrapolation.train_fail``, the rule every reported objective uses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_h
from scipy.special import betaln

from osca_core.model.extrapolation import fit_priors, train_fail
from osca_core.model.fail_tables import log_predictive, log_tables

pos = st_h.floats(min_value=0.05, max_value=50.0)


@settings(max_examples=60, deadline=None)
@given(pos, pos, st_h.integers(1, 80))
def test_predictive_is_the_beta_function_ratio(a, b, kmax):
    lf = log_predictive(np.array(a), np.array(b), kmax)
    k = np.arange(kmax + 1)
    assert np.allclose(lf, np.minimum(betaln(a, b + k) - betaln(a, b), 0.0), atol=1e-11, rtol=0)


@settings(max_examples=60, deadline=None)
@given(pos, pos, st_h.integers(2, 80))
def test_predictive_starts_at_one_decreases_and_is_log_convex_and_above_jensen(a, b, kmax):
    lf = log_predictive(np.array(a), np.array(b), kmax)
    k = np.arange(kmax + 1)
    assert lf[0] == 0.0
    assert (np.diff(lf) < 0).all()  # one more sample always adds a chance
    assert (np.diff(lf, 2) >= -1e-12).all()  # diminishing returns: log f convex in k
    assert (lf >= k * np.log1p(-a / (a + b)) - 1e-12).all()  # Jensen: E[(1-p)^k] >= (1 - E p)^k


@pytest.mark.parametrize("mean", [0.05, 0.3, 0.8])
def test_predictive_tends_to_the_plug_in_power_as_the_concentration_grows(mean):
    k = np.arange(33)
    gaps = [np.abs(np.exp(log_predictive(np.array(mean * kap), np.array((1 - mean) * kap), 32))
                   - (1 - mean) ** k).max() for kap in (10.0, 1e3, 1e6)]
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 1e-4


@pytest.mark.parametrize("seed", range(4))
def test_tables_equal_the_training_rule_plug_in_within_n_and_predictive_beyond(seed):
    rng = np.random.default_rng(seed)
    q, s, kmax = 9, 4, 25
    n = rng.choice([1, 2, 5, 10], size=(q, s))
    c = rng.binomial(n, rng.beta(0.5, 1.0, size=(q, s)))
    c[0] = n[0]  # a solved cell (an exact 0 within n) and a never-solved one
    c[1] = 0
    prior = fit_priors(n, c)
    lt = log_tables(n, c, kmax, prior, floor=-300.0)
    assert lt.shape == (s, kmax + 1, q)
    for j in range(s):
        want = train_fail(n[:, j : j + 1], c[:, j : j + 1], np.arange(kmax + 1)[None, :], (prior[0][j], prior[1][j]))
        got = np.exp(lt[j]).T
        assert np.allclose(got, np.where(want > 0, want, got), atol=1e-12, rtol=1e-10)
        assert (got[want == 0] <= np.exp(-300.0) * 1.0000001).all()  # exact zeros floored, not lost


def _counts(rng, r, s, ragged):
    n = rng.choice([1, 2, 3, 5, 10], size=(r, s)) if ragged else rng.choice([1, 2, 5, 10], size=(1, s)).repeat(r, 0)
    return n, rng.binomial(n, rng.beta(0.5, 1.0, size=(r, s)))


@pytest.mark.parametrize("seed", range(6))
def test_lazy_tables_give_the_rows_of_the_full_tables_bit_for_bit(seed):
    from osca_core.model.fail_tables import LazyLogTables

    rng = np.random.default_rng(seed)
    r, s, kmax = int(rng.integers(1, 40)), int(rng.integers(1, 9)), int(rng.integers(1, 25))
    n, c = _counts(rng, r, s, ragged=bool(seed % 2))  # c = 0 and c = n cells included (floored -inf rows)
    prior = (rng.gamma(1.0, 1.0, s) + 0.01, rng.gamma(1.0, 1.0, s) + 0.01)
    full = log_tables(n, c, kmax, prior, floor=-300.0).reshape(s * (kmax + 1), r)
    lazy = LazyLogTables(n, c, kmax, prior, floor=-300.0)
    assert lazy.shape == full.shape
    for shape in [(7,), (3, 4), (s * (kmax + 1),)]:
        rows = rng.integers(0, s * (kmax + 1), size=shape)
        assert np.array_equal(lazy[rows], full[rows])


@pytest.mark.parametrize("seed", range(4))
def test_lazy_tables_pure_fail_sums_equal_the_weighted_sums_of_their_rows(seed):
    from osca_core.model.fail_tables import LazyLogTables

    rng = np.random.default_rng(50 + seed)
    r, s, kmax = int(rng.integers(1, 40)), int(rng.integers(1, 9)), int(rng.integers(1, 25))
    n, c = _counts(rng, r, s, ragged=bool(seed % 2))
    prior = (rng.gamma(1.0, 1.0, s) + 0.01, rng.gamma(1.0, 1.0, s) + 0.01)
    lazy, w = LazyLogTables(n, c, kmax, prior), rng.integers(1, 5, r).astype(float)
    ks = rng.integers(0, kmax + 1, s)
    want = w @ np.exp(lazy[np.arange(s) * (kmax + 1) + ks].T)
    assert lazy.pure_fails(ks, w) == pytest.approx(want, rel=1e-13, abs=1e-300)
