"""The uniform strategy's exact expectation: the dense dynamic program is the reference (itself checked against
enumeration of every assignment in test_strategies.py); the windowed program and the closed form agree with it
within their proven error bounds, and the fast paths answer large budgets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import multinomial

from osca_core.bench.uniform import bench_uniform, method_for
from osca_core.errors import InputError
from osca_core.model.estimators import fail_probability
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.strategies import uniform as U


def counts(seed: int, q: int, s: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = rng.integers(0, n + 1, size=(q, s))
    c[rng.random((q, s)) < 0.2] = 0
    return np.full((q, s), n), c


def multinomial_reference(n: np.ndarray, c: np.ndarray, budget: int) -> np.ndarray:
    """Fail probability per question by summing over every count vector (k_1..k_S), sum = C."""
    q, s = n.shape
    out = np.zeros(q)
    for k in itertools.product(range(budget + 1), repeat=s):
        if sum(k) != budget:
            continue
        w = multinomial.pmf(k, budget, [1.0 / s] * s)
        f = np.ones(q)
        for j in range(s):
            f *= fail_probability(n[:, j], c[:, j], np.full(q, k[j]))[0]
        out += w * f
    return out


def test_dense_program_equals_the_multinomial_sum_beyond_n():
    n, c = counts(1, q=5, s=3, n=4)
    dense = U.uniform_fail_dense(n, c, 9)
    for b in (1, 4, 9):
        assert dense[:, b] == pytest.approx(multinomial_reference(n, c, b), abs=1e-13), b


@pytest.mark.parametrize("seed", range(4))
def test_windowed_program_equals_the_dense_one(seed):
    n, c = counts(seed, q=12, s=4, n=7)
    dense = U.uniform_fail_dense(n, c, 420)
    for budgets in ([1, 5, 60, 257, 300, 420], [333], [2]):
        got = U.uniform_fail_windowed(n, c, budgets)
        assert np.abs(got - dense[:, budgets]).max() <= 4 * 4 * U.WINDOW_TAIL + 1e-15, budgets


def test_closed_form_is_within_its_tail_bound_of_the_dense_program():
    n, c = counts(7, q=10, s=3, n=3)
    dense = U.uniform_fail_dense(n, c, 400)
    checked = 0
    for b in (5, 40, 120, 400):
        err = np.abs(U.uniform_fail_closed(n, c, [b])[:, 0] - dense[:, b]).max()
        assert err <= U.tail_bound(n, b) + 1e-15, b
        checked += U.tail_bound(n, b) <= U.TAIL_TOL
    assert checked >= 1  # the closed form's own regime is covered


def test_uniform_fail_picks_the_methods_and_agrees_with_dense_everywhere():
    n, c = counts(3, q=8, s=2, n=5)
    budgets = [1, 64, 256, 257, 290, 400]
    assert {method_for(n, b) for b in budgets} == {"dense", "closed"}
    n3, c3 = counts(4, q=8, s=6, n=40)
    assert method_for(n3, 300) == "windowed"
    for nn, cc in ((n, c), (n3, c3)):
        dense = U.uniform_fail_dense(nn, cc, max(budgets))
        assert np.abs(U.uniform_fail(nn, cc, budgets) - dense[:, budgets]).max() <= 1e-15


def test_per_question_values_average_to_the_curve_value(swe):
    n, c = swe.test_counts()
    per = U.uniform_expected_per_question(n, c, [1, 7, 16])
    vals, extra = U.uniform_expected(n, c, [1, 7, 16])
    assert per.shape == (300, 3) and np.all((per >= 0) & (per <= 1))
    assert per.mean(axis=0) == pytest.approx(vals, abs=1e-14) and not extra.any()


def test_large_budgets_are_answered_by_the_closed_form_and_tend_to_the_mixed_rate(bcb):
    n, c = bcb.test_counts()
    vals, extra = U.uniform_expected(n, c, [100_000])
    assert method_for(n, 100_000) == "closed" and extra.all()
    # (mean_s r)^C -> 0 unless every configuration always fails: the limit is the share of solvable questions
    assert vals[0] == pytest.approx(float(np.mean((c > 0).any(axis=1))), abs=1e-12)


def test_work_above_the_cap_is_refused_with_a_budget_that_fits(monkeypatch):
    n, c = counts(5, q=4, s=5, n=50)
    monkeypatch.setattr(U, "MAX_WORK", 1e4)
    with pytest.raises(InputError, match="use budgets up to about"):
        U.uniform_expected(n, c, [600])


def test_bench_reports_method_time_and_agreement_on_a_small_matrix():
    n, c = counts(2, q=6, s=3, n=4)
    m = OutcomeMatrix(name="t", question_ids=tuple(f"q{i}" for i in range(6)),
                      configs=tuple(ConfigInfo(f"m{j}_0.5", f"m{j}", 0.5, "") for j in range(3)), n=n, c=c,
                      train=np.ones(6, bool), test=np.ones(6, bool))
    r = bench_uniform(m, [3, 300], runs=1, check_dense_max=300)
    assert [p.method for p in r.points] == ["dense", "closed"]
    assert all(p.max_abs_diff is not None and p.max_abs_diff <= 1e-15 for p in r.points)
    assert r.as_dict()["points"][1]["budget"] == 300


# -- budgets beyond n: the Beta-binomial rule ---------------------------------------------------------------------

def _enumerate_uniform_prior(n, c, budget, prior):
    """E over every assignment of the C samples to configurations (each equally likely) of 1 - prod_s f_s(K_s),
    f from extrapolation.eval_fail (unbiased within n, predictive beyond)."""
    from osca_core.model.extrapolation import eval_fail

    q, s = n.shape
    tot = np.zeros(q)
    for picks in itertools.product(range(s), repeat=budget):
        k = np.bincount(picks, minlength=s)
        f, _ = eval_fail(n, c, k[None, :], prior)
        tot += 1.0 - np.prod(f, axis=1)
    return tot / s**budget


def test_uniform_beyond_n_with_a_prior_equals_enumeration_and_is_flagged():
    from test_extrapolation import mixed_matrix

    from osca_core.model.extrapolation import priors

    m = mixed_matrix(2, q=6)
    n, c = m.test_counts()
    pr = priors(m)
    vals, extra = U.uniform_expected(n, c, [1, 2, 4], prior=pr)
    assert extra.tolist() == [False, True, True]
    for v, b in zip(vals, [1, 2, 4], strict=True):
        assert v == pytest.approx(float(np.mean(_enumerate_uniform_prior(n, c, b, pr))), abs=1e-12)
    per_q = U.uniform_expected_per_question(n, c, [4], prior=pr)[:, 0]
    assert per_q == pytest.approx(_enumerate_uniform_prior(n, c, 4, pr), abs=1e-12)
    # without a prior the legacy plug-in: c = 0 at n = 1 stays 0 beyond n; with it the value rises
    assert U.uniform_expected(n, c, [4], prior=pr)[0][0] != U.uniform_expected(n, c, [4])[0][0]


def test_uniform_windowed_with_a_prior_matches_the_dense_program_and_skips_the_closed_form():
    n = np.array([[1, 3], [1, 3]])
    c = np.array([[0, 1], [1, 0]])
    pr = (np.array([0.6, 1.2]), np.array([2.0, 3.0]))
    budgets = [300, 310]
    assert U.tail_bound(n, 300) <= U.TAIL_TOL  # the legacy closed form would apply
    got = U.uniform_fail(n, c, budgets, prior=pr)
    dense = U.uniform_fail_dense(n, c, 310, pr)[:, budgets]
    assert got == pytest.approx(dense, abs=1e-12)
    assert not np.allclose(got, U.uniform_fail_closed(n, c, budgets))


def test_the_cached_binomial_tables_are_scipys_pmf_and_read_only():
    from scipy.stats import binom

    mk = np.arange(41)
    for left in (1, 2, 7):
        t = U._pmf_table(40, left)
        assert np.array_equal(t, binom.pmf(mk[None, :], mk[:, None], 1.0 / left)) and not t.flags.writeable
