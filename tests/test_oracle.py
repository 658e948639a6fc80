"""The test-set oracle: per-question exact optimum against enumeration of all allocations, and its ceiling role."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.strategies.allocators import osca
from osca_core.strategies.oracle import (
    ORACLE,
    oracle,
    oracle_bruteforce,
    oracle_counts,
    oracle_expectation,
    oracle_expected_costs,
)
from osca_core.strategies.stopping_cost import expected_costs


def test_oracle_matches_all_allocations_for_each_question():
    rng = np.random.default_rng(7)
    for _ in range(6):
        q, s = 5, int(rng.integers(1, 4))
        n = rng.integers(1, 6, size=(q, s))
        c = rng.integers(0, n + 1)
        budgets = [1, 2, 3, 5, 7]
        r = oracle_counts(n, c, budgets)
        for i, b in enumerate(budgets):
            assert r.counts[i].sum(axis=1).tolist() == [b] * q
            per_q = [oracle_bruteforce(n[j], c[j], b)[0] for j in range(q)]
            assert r.values[i] == pytest.approx(np.mean(per_q), abs=1e-12)
            assert r.extrapolated[i] == bool((r.counts[i] > n).any())


def test_oracle_is_a_ceiling_over_osca_on_the_release(swe, bcb):
    for m, budgets in ((swe, [1, 4, 16]), (bcb, [2, 16, 64])):
        r = oracle(m, budgets)
        assert r.curve().strategy == ORACLE
        for a, v in zip(osca(m, budgets), r.values, strict=True):
            assert v >= a.test_pass - 1e-12
        assert not any(r.extrapolated)  # budgets <= n
        vals, extra = oracle_expectation(*m.test_counts(), budgets)
        assert vals.tolist() == list(r.values) and not extra.any()


def test_oracle_beyond_n_is_flagged():
    """Without a prior: the legacy plug-in beyond n (with the training prior: next test)."""
    r = oracle_counts(np.array([[2]]), np.array([[1]]), [2, 3])
    assert r.extrapolated == (False, True)
    assert r.values == pytest.approx((1.0, 1.0 - 0.5**3))


def test_oracle_expected_cost_orders_each_question_best_among_all_its_orders():
    from itertools import permutations

    from osca_core.strategies.stopping_cost import nominal_order

    rng = np.random.default_rng(11)
    n = rng.integers(3, 6, size=(4, 3))
    c = rng.integers(0, n + 1)
    r = oracle_counts(n, c, [3, 5])
    vals, exact = oracle_expected_costs(n, c, r)
    assert all(exact)
    for b, k in enumerate(r.counts):
        per_q = [min(expected_costs(n[q : q + 1], c[q : q + 1], list(pm))[0][0]
                     for pm in set(permutations(nominal_order(k[q])))) for q in range(4)]
        assert vals[b] == pytest.approx(np.mean(per_q), abs=1e-12)



def test_oracle_beyond_n_uses_the_training_prior_and_equals_brute_force():
    from test_extrapolation import mixed_matrix

    from osca_core.model.extrapolation import priors

    m = mixed_matrix(14, q=8)
    r = oracle(m, [2, 5])
    n, c = m.test_counts()
    for i, b in enumerate((2, 5)):
        per_q = [oracle_bruteforce(n[q], c[q], b, prior=priors(m))[0] for q in range(n.shape[0])]
        assert r.values[i] == pytest.approx(float(np.mean(per_q)), abs=1e-12)
        assert r.extrapolated[i] == bool((r.counts[i] > n).any())
    assert r.values != oracle_counts(n, c, [2, 5]).values  # the plug-in would give other values
