"""Certificates beyond n (osca_core.optimize.certify_beyond) against the enumeration of every allocation: the bound is
never below the true maximum of the exact objective, and a budget is certified only where the allocation reaches it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_h
from scipy.optimize import linprog

from osca_core.model.extrapolation import fit_priors, train_pass
from osca_core.model.fail_tables import log_tables
from osca_core.model.objective import CERTIFY_TOL, allocations
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.optimize import certify_beyond as cb
from osca_core.optimize.beyond_n import optimize_tabled
from osca_core.strategies import allocators as st


def thin_log(rng, q, s, ns=(1, 2, 3)):
    """Counts with n in ``ns`` per configuration (the same for every question) and c ~ Binomial(n, Beta)."""
    n = rng.choice(ns, size=(1, s)).repeat(q, 0)
    return n, rng.binomial(n, rng.beta(0.5, 1.0, size=(q, s)))


def brute(n, c, budget, prior, costs=None):
    """Brute-force twin: (best allocation, best train_pass) over every allocation: sum k = C (unit costs) or
    sum cost_s k_s <= C."""
    ks = allocations(n.shape[1], budget, costs)
    vals = [train_pass(n, c, k, prior) for k in ks]
    j = int(np.argmax(vals))
    return ks[j], vals[j]


def assert_sound(n, c, budgets, certs, prior, costs=None):
    """Every bound >= the enumeration's maximum; certified only where the objective equals it within tol; the
    reported objective is the allocation's exact train_pass."""
    for cert in certs:
        _, best = brute(n, c, cert.budget, prior, costs)
        assert cert.upper_bound >= best - 1e-13
        assert cert.objective == train_pass(n, c, cert.counts, prior)
        assert cert.objective <= best + 1e-13
        if cert.certified:
            assert best - cert.objective <= CERTIFY_TOL
        assert cert.certified == (cert.upper_bound - cert.objective <= CERTIFY_TOL)


@pytest.mark.parametrize("seed", range(6))
def test_bound_is_at_least_the_enumeration_maximum_and_certifies_it_on_small_thin_logs(seed):
    rng = np.random.default_rng(seed)
    n, c = thin_log(rng, int(rng.integers(2, 7)), int(rng.integers(2, 4)))
    prior = fit_priors(n, c)
    budgets = list(range(1, 9))
    res = optimize_tabled(n, c, budgets, prior=prior)
    certs = cb.certify_tabled(n, c, budgets, np.array([r.counts for r in res]), prior=prior)
    assert_sound(n, c, budgets, certs, prior)
    assert all(x.certified for x in certs)  # small instances: the branch and bound closes every budget


@pytest.mark.parametrize("seed", range(4))
def test_a_bad_start_is_replaced_by_the_enumeration_optimum(seed):
    """From the worst start (every sample on one configuration) the branch and bound finds and proves the
    optimum: certified allocations equal the enumeration's maximum."""
    rng = np.random.default_rng(50 + seed)
    n, c = thin_log(rng, 6, 3)
    prior = fit_priors(n, c)
    budgets = list(range(1, 9))
    start = np.zeros((len(budgets), 3), np.int64)
    start[:, int(np.argmin(c.sum(axis=0)))] = budgets
    certs = cb.certify_tabled(n, c, budgets, start, prior=prior)
    assert_sound(n, c, budgets, certs, prior)
    for cert in certs:
        assert cert.certified and cert.objective == pytest.approx(brute(n, c, cert.budget, prior)[1], abs=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_a_stopped_search_still_bounds_the_maximum_and_certifies_nothing_false(seed):
    rng = np.random.default_rng(80 + seed)
    n, c = thin_log(rng, 6, 3)
    prior = fit_priors(n, c)
    budgets = [4, 6, 8]
    start = np.zeros((3, 3), np.int64)
    start[:, 0] = budgets
    certs = cb.certify_tabled(n, c, budgets, start, prior=prior, max_nodes=1, iterations=1)
    assert_sound(n, c, budgets, certs, prior)


@pytest.mark.parametrize("seed", range(4))
def test_bounds_with_costs_are_at_least_the_enumeration_maximum(seed):
    rng = np.random.default_rng(120 + seed)
    n, c = thin_log(rng, 5, 3)
    costs = rng.choice([0.5, 1.0, 2.0], size=3)
    prior = fit_priors(n, c)
    budgets = [2, 3, 4]
    res = optimize_tabled(n, c, budgets, prior=prior, costs=costs)
    certs = cb.certify_tabled(n, c, budgets, np.array([r.counts for r in res]), prior=prior, costs=costs)
    assert_sound(n, c, budgets, certs, prior, costs)


@settings(max_examples=15, deadline=None)
@given(seed=st_h.integers(0, 2**32 - 1), q=st_h.integers(1, 6), s=st_h.integers(1, 3), top=st_h.integers(1, 8))
def test_property_bound_never_below_the_maximum_on_random_thin_logs(seed, q, s, top):
    rng = np.random.default_rng(seed)
    n, c = thin_log(rng, q, s)
    prior = fit_priors(n, c)
    budgets = list(range(1, top + 1))
    start = np.array([brute(n, c, b, prior)[0] if rng.random() < 0.5 else np.eye(s, dtype=np.int64)[0] * b
                      for b in budgets])
    certs = cb.certify_tabled(n, c, budgets, start, prior=prior, max_nodes=int(rng.integers(1, 200)))
    assert_sound(n, c, budgets, certs, prior)


def _envelope_twin(y):
    """Lower convex envelope at the integers by its definition: min over i <= k <= j of the chord i -> j."""
    K = len(y) - 1
    out = y.astype(float).copy()
    for k in range(K + 1):
        for i in range(k + 1):
            for j in range(k, K + 1):
                if i < j:
                    out[k] = min(out[k], y[i] + (y[j] - y[i]) * (k - i) / (j - i))
    return out


def test_convex_minorants_equal_the_definition_of_the_lower_convex_envelope():
    rng = np.random.default_rng(3)
    n, c = thin_log(rng, 5, 3, ns=(1, 2, 3, 4))
    c[0, 0], c[1, 1] = 0, n[1, 1]  # c = 0 (no gain up to n) and c = n (the fail rises past n)
    LT = log_tables(n, c, 9, fit_priors(n, c))
    env = cb.convex_minorants(LT, [4, 9])
    for ci, cap in enumerate([4, 9]):
        for s in range(3):
            for r in range(5):
                np.testing.assert_allclose(env[ci, s, : cap + 1, r], _envelope_twin(LT[s, : cap + 1, r]),
                                           rtol=0, atol=1e-9)


def test_exchange_value_equals_its_linear_program():
    rng = np.random.default_rng(7)
    for _ in range(20):
        s = int(rng.integers(1, 6))
        gr = rng.normal(size=s)
        gl = gr + rng.exponential(size=s) * (rng.random(s) < 0.5)
        up, down = rng.integers(0, 3, size=s).astype(float), rng.integers(0, 3, size=s).astype(float)
        # variables d+ (s), d- (s): maximize gr.d+ - gl.d- subject to sum d+ - sum d- = 0
        lp = linprog(np.concatenate([-gr, gl]), A_eq=np.concatenate([np.ones(s), -np.ones(s)])[None], b_eq=[0.0],
                     bounds=list(zip(np.zeros(2 * s), np.concatenate([up, down]), strict=True)))
        got = cb._exchange_value(gr[None], gl[None], up[None], down[None])[0]
        assert got == pytest.approx(-lp.fun, abs=1e-9)


def test_osca_certify_beyond_n_reports_proven_bounds_and_better_allocations():
    """The strategies' path (``osca optimize --certify``): beyond n every budget gets an upper bound >= the
    enumeration's maximum, and certified rows carry that maximum."""
    rng = np.random.default_rng(11)
    n, c = thin_log(rng, 6, 3)
    m = OutcomeMatrix("thin", tuple(f"q{i}" for i in range(6)), tuple(ConfigInfo(f"s{j}", "m", None, "")
                      for j in range(3)), n, c, np.ones(6, bool), np.ones(6, bool))
    budgets = [2, 5, 8]
    plain = st.osca(m, budgets)
    certified = st.osca(m, budgets, certify=True)
    prior = fit_priors(n, c)
    for a, b in zip(plain, certified, strict=True):
        assert a.upper_bound is None and not a.certified
        _, best = brute(n, c, b.budget, prior)
        assert b.upper_bound >= best - 1e-13 and b.certified
        assert b.train_pass == pytest.approx(best, abs=1e-6) and b.train_pass >= a.train_pass - 1e-15
