"""Expected cost under early stopping and the best order: brute-force twins on tiny instances, release checks."""

from __future__ import annotations

from itertools import permutations, product

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_

from osca_core.model.estimators import mix_pass
from osca_core.strategies.allocators import osca
from osca_core.strategies.stopping_cost import (
    best_order,
    best_order_test,
    expected_cost_train,
    expected_costs,
    nominal_order,
    reach_probabilities,
    smith_lower_bound,
)


def _enumerate_logged(n, c, order, costs):
    """Average over every ordering of each cell's logged samples (drawn without replacement, in order) of the
    cost paid until the first passing sample, and the fraction of orderings with a pass."""
    cells = [[True] * int(c[s]) + [False] * int(n[s] - c[s]) for s in range(len(n))]
    total = hits = count = 0
    for perms in product(*[list(permutations(cell)) for cell in cells]):
        used = [0] * len(n)
        spent, ok = 0.0, False
        for s in order:
            spent += costs[s]
            sample = perms[s][used[s]]
            used[s] += 1
            if sample:
                ok = True
                break
        total += spent
        hits += ok
        count += 1
    return total / count, hits / count


def test_test_expected_cost_matches_enumerated_orderings_of_logged_samples():
    rng = np.random.default_rng(3)
    for _ in range(25):
        s = int(rng.integers(1, 4))
        n = rng.integers(1, 4, size=(2, s))
        c = rng.integers(0, n + 1)
        k = rng.integers(0, n.min(axis=0) + 1)
        k[0] = max(k[0], 1)
        order = list(rng.permutation(nominal_order(k)))
        costs = rng.uniform(0.5, 2.0, size=s)
        got, extra = expected_costs(n, c, order, costs)
        assert not extra
        for q in range(2):
            want, passed = _enumerate_logged(n[q], c[q], order, costs)
            assert got[q] == pytest.approx(want, abs=1e-12)
            assert mix_pass(n[q : q + 1], c[q : q + 1], k)[0] == pytest.approx(passed, abs=1e-12)


def _enumerate_bernoulli(p, order, costs):
    """Exact expectation over independent Bernoulli(p_s) samples (all 2^C outcome vectors)."""
    out = 0.0
    for bits in product((0, 1), repeat=len(order)):
        prob, spent = 1.0, 0.0
        for j, s in enumerate(order):
            prob *= p[s] if bits[j] else 1.0 - p[s]
        for j, s in enumerate(order):
            spent += costs[s]
            if bits[j]:
                break
        out += prob * spent
    return out


def test_training_expected_cost_matches_enumerated_bernoulli_outcomes():
    rng = np.random.default_rng(4)
    for _ in range(10):
        q, s = 4, 3
        p = rng.choice([0.0, 0.1, 0.5, 0.9, 1.0], size=(q, s))
        order = list(rng.integers(0, s, size=int(rng.integers(1, 7))))
        costs = rng.uniform(0.5, 2.0, size=s)
        want = np.mean([_enumerate_bernoulli(p[i], order, costs) for i in range(q)])
        assert expected_cost_train(p, order, costs) == pytest.approx(want, abs=1e-12)


def test_beyond_n_uses_plugin_and_is_flagged():
    """Without a prior: the legacy plug-in beyond n (with a prior: the predictive, next test)."""
    n, c = np.array([[2]]), np.array([[1]])
    reach, extra = reach_probabilities(n, c, [0, 0, 0, 0])
    assert extra
    # steps 1..3 have 0, 1, 2 earlier samples (<= n: exact); step 4 has 3 > n: plug-in (1/2)^3
    assert reach[0].tolist() == pytest.approx([1.0, 0.5, 0.0, 0.125])
    assert not reach_probabilities(n, c, [0, 0, 0])[1]


def _brute_best(p, counts, costs):
    items = nominal_order(counts)
    return min(expected_cost_train(p, perm, costs) for perm in set(permutations(items)))


def test_best_order_equals_all_distinct_permutations_and_heuristic_is_bounded():
    rng = np.random.default_rng(5)
    for trial in range(12):
        q, s = int(rng.integers(1, 6)), int(rng.integers(2, 4))
        p = rng.uniform(0, 1, size=(q, s)) * (rng.random((q, s)) < 0.8)
        k = rng.multinomial(int(rng.integers(2, 9)), np.ones(s) / s)
        costs = rng.uniform(0.5, 3.0, size=s) if trial % 2 else None
        want = _brute_best(p, k, costs)
        r = best_order(p, k, costs)
        assert r.exact and r.method == "lattice-dp"
        assert sorted(r.order) == list(nominal_order(k))
        assert r.expected_cost == pytest.approx(want, abs=1e-12)
        assert expected_cost_train(p, r.order, costs) == pytest.approx(r.expected_cost, abs=1e-12)
        assert r.lower_bound <= want + 1e-12
        h = best_order(p, k, costs, max_states=1)
        assert h.exact == ((k > 0).sum() == 1)  # one configuration: a single order, trivially exact
        assert want - 1e-12 <= h.expected_cost and h.lower_bound <= want + 1e-12
        assert h.expected_cost - h.gap == pytest.approx(h.lower_bound)


def test_smith_rule_bound_is_exact_for_one_question():
    rng = np.random.default_rng(6)
    for _ in range(10):
        p = rng.uniform(0.05, 1.0, size=(1, 3))
        k = rng.integers(1, 4, size=3)
        costs = rng.uniform(0.5, 2.0, size=3)
        assert smith_lower_bound(p, k, costs) == pytest.approx(_brute_best(p, k, costs), abs=1e-12)


def test_bcb_best_order_beats_configuration_order_and_is_exact_at_300(bcb):
    p = bcb.train_rates()
    n, c = bcb.test_counts()
    for a in osca(bcb, [16, 300]):
        r = best_order(p, a.counts)
        assert r.exact  # C = 300: prod (k_s + 1) = 115 * 104 * 84 ~ 1.0e6 states, below EXACT_STATES
        assert r.expected_cost <= expected_cost_train(p, nominal_order(a.counts)) + 1e-12
        e, extra = expected_costs(n, c, r.order)
        assert not extra  # every k^{<j} <= 299 < n = 300
        assert 1.0 <= e.mean() < a.budget
        # pass@C of the ordered plan: 1 - P(all C fail), the same as the unordered mix
        reach, _ = reach_probabilities(n, c, list(r.order) + [r.order[-1]])
        assert 1.0 - reach[:, -1].mean() == pytest.approx(a.test_pass, abs=1e-12)


def test_best_order_on_test_counts_equals_all_distinct_permutations():
    rng = np.random.default_rng(10)
    for _ in range(10):
        q, s = int(rng.integers(1, 4)), int(rng.integers(2, 4))
        n = rng.integers(3, 7, size=(q, s))
        c = rng.integers(0, n + 1)
        k = rng.multinomial(int(rng.integers(2, 8)), np.ones(s) / s)
        costs = rng.uniform(0.5, 2.0, size=s)
        want = min(expected_costs(n, c, list(perm), costs)[0].mean() for perm in set(permutations(nominal_order(k))))
        r = best_order_test(n, c, k, costs)
        assert r.expected_cost == pytest.approx(want, abs=1e-12)
        assert expected_costs(n, c, r.order, costs)[0].mean() == pytest.approx(r.expected_cost, abs=1e-12)
        h = best_order_test(n, c, k, costs, max_states=1)
        assert h.expected_cost >= want - 1e-12 and h.lower_bound <= want
        assert expected_costs(n, c, h.order, costs)[0].mean() == pytest.approx(h.expected_cost, abs=1e-12)


@settings(max_examples=40)
@given(st_.integers(0, 2**31 - 1))
def test_any_order_costs_between_one_sample_and_all_samples_and_best_order_is_lowest(seed):
    rng = np.random.default_rng(seed)
    q, s = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    n = rng.integers(1, 6, size=(q, s))
    c = rng.integers(0, n + 1)
    k = rng.multinomial(int(rng.integers(1, 9)), np.ones(s) / s)
    order = list(rng.permutation(nominal_order(k)))
    e, _ = expected_costs(n, c, order)
    assert (e >= 1.0 - 1e-12).all() and (e <= k.sum() + 1e-12).all()
    p = c / n
    assert best_order(p, k).expected_cost <= expected_cost_train(p, order) + 1e-12



def test_beyond_n_with_a_prior_uses_the_beta_binomial_predictive():
    n, c = np.array([[2]]), np.array([[1]])
    a, b = np.array([1.0]), np.array([1.0])
    reach, extra = reach_probabilities(n, c, [0, 0, 0, 0], prior=(a, b))
    assert extra
    # step 4 has 3 > n = 2 earlier samples: E[(1 - t)^3] under Beta(2, 2) = 6 / (5 * 6)
    assert reach[0].tolist() == pytest.approx([1.0, 0.5, 0.0, 6 / 30], abs=1e-14)
    assert reach_probabilities(n, c, [0, 0, 0], prior=(a, b))[0].tolist() == reach_probabilities(n, c, [0, 0, 0])[
        0].tolist()
