"""Budgets beyond n: the Beta-binomial rule (osca_core.model.extrapolation) on a dataset with n = 1, 3 and 10, the prior
fitted on training questions only, numerical integration as the twin of the predictive, and agreement between the
optimizer's objective and what score() reports."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import beta as beta_dist

from osca_core.model import extrapolation as X
from osca_core.model.estimators import fail_unbiased, mix_pass, plugin_objective
from osca_core.model.missing import config_priors
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.model.results import score
from osca_core.optimize.beyond_n import optimize_tabled
from osca_core.strategies import allocators as st
from osca_core.strategies import registry

NS = (1, 3, 10)


def mixed_matrix(seed: int = 0, q: int = 16, *, in_sample: bool = False) -> OutcomeMatrix:
    """Three configurations sampled 1, 3 and 10 times per question, rates drawn from different Betas."""
    rng = np.random.default_rng(seed)
    n = np.tile(np.array(NS), (q, 1))
    theta = np.column_stack([rng.beta(2, 2, q), rng.beta(0.5, 1.5, q), rng.beta(0.3, 2.0, q)])
    c = rng.binomial(n, theta)
    train = np.arange(q) < q // 2
    test = train.copy() if in_sample else ~train
    configs = tuple(ConfigInfo(f"cfg{j}", f"m{j}", None, "") for j in range(3))
    return OutcomeMatrix("mixed", tuple(f"q{i}" for i in range(q)), configs, n, c, train, test)


def quad_fail(n: int, c: int, k: int, a: float, b: float) -> float:
    """E[(1 - theta)^k] under the posterior Beta(a + c, b + n - c), by numerical integration."""
    post = beta_dist(a + c, b + n - c)
    val, _ = integrate.quad(lambda t: (1.0 - t) ** k * post.pdf(t), 0.0, 1.0, limit=200, epsabs=1e-13)
    return val


@pytest.mark.parametrize(("n", "c", "k", "a", "b"), [(1, 0, 5, 0.7, 2.0), (1, 1, 4, 1.5, 0.8), (3, 2, 9, 0.4, 1.1),
                                                   (10, 0, 40, 2.0, 3.0), (3, 3, 12, 0.9, 0.9)])
def test_predictive_beyond_n_equals_numerical_integration(n, c, k, a, b):
    f, over = X.eval_fail(n, c, k, (a, b))
    assert bool(over)
    assert float(f) == pytest.approx(quad_fail(n, c, k, a, b), rel=1e-7, abs=1e-12)
    t = X.train_fail(n, c, k, (a, b))
    assert float(t) == pytest.approx(quad_fail(n, c, k, a, b), rel=1e-7, abs=1e-12)


def test_within_n_the_estimators_are_unchanged_whatever_the_prior():
    n, c = np.array([[3, 10]]), np.array([[1, 4]])
    k = np.array([[3, 7]])
    f, over = X.eval_fail(n, c, k, (np.array([0.5, 2.0]), np.array([1.0, 1.0])))
    assert not over.any() and f.tolist() == fail_unbiased(n, c, k).tolist()
    assert X.train_fail(n, c, k, (1.0, 1.0)).tolist() == ((1.0 - c / n) ** k).tolist()


def test_c0_no_longer_fails_forever_nor_cn_passes_forever():
    a, b = np.array([0.8]), np.array([2.5])
    ks = np.array([2, 5, 20, 200])
    zero = 1.0 - X.eval_fail(1, 0, ks, (a, b))[0]  # one sample, wrong: plug-in said 0 forever
    assert (zero > 0).all() and (np.diff(zero) > 0).all() and zero[-1] > 0.5
    one = 1.0 - X.eval_fail(1, 1, ks, (a, b))[0]  # one sample, right: plug-in said 1 forever
    assert (one < 1).all()
    legacy = 1.0 - X.eval_fail(1, 0, ks)[0]  # no prior: the old plug-in
    assert legacy.tolist() == [0.0] * 4


def test_prior_is_fitted_on_training_questions_only_and_cached():
    m = mixed_matrix(3)
    a, b = X.priors(m)
    ra, rb = config_priors(m.n[m.train], m.c[m.train], merged=True)
    assert a[1:].tolist() == ra[1:].tolist() and b[1:].tolist() == rb[1:].tolist()  # n = 3 and 10: the MML fit
    assert X.priors(m) is X.priors(m)
    c = m.c.copy()
    c[m.test] = m.n[m.test]  # every test sample right: the prior must not move
    other = m.with_counts(m.n, c)
    assert X.priors(other)[0].tolist() == a.tolist() and X.priors(other)[1].tolist() == b.tolist()


def test_a_configuration_sampled_once_keeps_its_mean_and_borrows_the_median_spread():
    """n = 1 everywhere: the likelihood is flat in a + b (P(c = 1) = a / (a + b)), so the fitted spread would be
    arbitrary; the configuration keeps its fitted mean and takes the median a + b of the others."""
    m = mixed_matrix(3)
    a, b = X.priors(m)
    ra, rb = config_priors(m.n[m.train], m.c[m.train], merged=True)
    assert a[0] / (a[0] + b[0]) == pytest.approx(ra[0] / (ra[0] + rb[0]), rel=1e-12)
    assert a[0] + b[0] == pytest.approx(float(np.median(ra[1:] + rb[1:])), rel=1e-12)
    ones = np.ones((6, 2), dtype=np.int64)
    a1, b1 = X.fit_priors(ones, np.array([[1, 0], [0, 0], [1, 1], [0, 0], [0, 1], [1, 0]]))
    assert (a1 + b1).tolist() == pytest.approx([X.DEFAULT_CONCENTRATION] * 2)


def test_imputed_cells_are_left_out_of_the_prior_and_of_the_largest_n():
    m = mixed_matrix(4)
    imp = np.zeros(m.shape, dtype=bool)
    imp[0, 2] = True  # a training cell of the n = 10 configuration
    n = m.n.copy()
    n[0, 2] = 1000
    mi = dataclasses.replace(m, n=n, c=m.c, imputed=imp, checksum="")
    keep = m.train.copy()
    keep[0] = False
    ra, rb = config_priors(m.n[keep][:, 2:], m.c[keep][:, 2:], merged=True)
    a, b = X.priors(mi)
    assert (a[2], b[2]) == (ra[0], rb[0])
    assert X.largest_measured_n(mi) == 10 and X.largest_measured_n(m) == 10
    assert X.largest_measured_n(m.select_configs(["cfg0", "cfg1"])) == 3


def test_score_beyond_n_uses_the_predictive_and_flags_it():
    m = mixed_matrix(5)
    a, b = X.priors(m)
    k = np.array([2, 3, 4])  # 2 > n = 1 for cfg0; cfg1 and cfg2 within n
    train, test, extra = score(m, k)
    assert extra
    n, c = m.test_counts()
    want = 1.0 - (X.eval_fail(n[:, :1], c[:, :1], 2, (a[:1], b[:1]))[0][:, 0]
                  * fail_unbiased(n[:, 1], c[:, 1], 3) * fail_unbiased(n[:, 2], c[:, 2], 4))
    assert test == pytest.approx(float(np.mean(want)), abs=1e-15)
    nt, ct = m.train_counts()
    bb = X.train_fail(nt[:, 0], ct[:, 0], 2, (a[0], b[0]))
    twant = 1.0 - bb * (1 - ct[:, 1] / 3) ** 3 * (1 - ct[:, 2] / 10) ** 4
    assert train == pytest.approx(float(np.mean(twant)), abs=1e-15)


def test_within_n_everywhere_score_is_bit_identical_to_the_paper_formulas():
    m = mixed_matrix(6)
    for k in ([1, 0, 0], [1, 3, 10], [0, 2, 7]):
        train, test, extra = score(m, k)
        assert train == float(plugin_objective(m.train_rates(), np.array(k)))
        assert (test, extra) == mix_pass(*m.test_counts(), np.array(k))
        assert not extra


def test_osca_beyond_n_uses_the_exact_optimizer_and_agrees_with_score():
    """Optimizer and evaluation agree: the tabled optimizer's objective is score()'s train value, and with
    train == test no allocation of that budget scores a better training objective (brute force)."""
    m = mixed_matrix(7, in_sample=True)
    assert X.beyond_training_n(m, [4]) and not X.beyond_training_n(m, [1])
    sols = st.solve(m, "osca", [1, 2, 4, 6])
    n, c = m.train_counts()
    res = {r.budget: r for r in optimize_tabled(n, c, [1, 2, 4, 6], prior=X.priors(m))}
    for sol, a in zip(sols, st.scored(m, "osca", sols), strict=True):
        assert sol.upper_bound is None and not a.certified and a.upper_bound is None
        assert a.train_pass == res[a.budget].objective == score(m, a.counts)[0]
        best = max(X.train_pass(n, c, (i, j, a.budget - i - j), X.priors(m))
                   for i in range(a.budget + 1) for j in range(a.budget + 1 - i))
        assert a.train_pass == pytest.approx(best, abs=1e-12)
        assert a.extrapolated == bool((np.array(a.counts)[None, :] > m.n[m.test]).any())
    assert [a.extrapolated for a in st.osca(m, [15])] == [True]  # 15 > 1 + 3 + 10: some k_s > n_s


def test_best_pure_judges_configurations_beyond_n_by_the_same_objective():
    m = mixed_matrix(8)
    n, c = m.train_counts()
    for a in st.best_pure(m, [1, 2, 5, 12]):
        vals = []
        for j in range(3):
            k = np.zeros(3, dtype=np.int64)
            k[j] = a.budget
            vals.append(X.train_pass(n, c, k, X.priors(m)))
        assert a.train_pass == max(vals)


def test_registry_curves_beyond_n_are_flagged_per_point():
    m = mixed_matrix(9)
    cv = registry.evaluate(m, "pure:cfg1", [1, 3, 4, 8])
    assert cv.extrapolated == (False, False, True, True)
    # the predictive keeps pure:cfg1 rising past n = 3 (the plug-in value stays flat for c = 0 questions)
    assert cv.values[3] > cv.values[2] > 0


def test_eval_pass_and_question_fail_agree_exactly():
    m = mixed_matrix(10)
    n, c = m.test_counts()
    for k in ([3, 0, 2], [0, 7, 12], [1, 1, 1]):
        v, e = X.eval_pass(n, c, k, X.lazy_prior(m))
        f, over = X.question_fail(n, c, k, X.lazy_prior(m))
        assert float(np.mean(1.0 - f)) == v and bool(over.any()) == e


def test_max_samples_counts_samples_a_cost_budget_can_buy():
    assert X.max_samples([3, 10], np.array([1.0, 2.5, 0.5])).tolist() == [10, 4, 20]


def test_new_matrices_with_the_same_training_counts_share_one_fit():
    """A held-out view re-splits the log once per strategy: the same training counts are fitted once."""
    m = mixed_matrix(5)
    again = dataclasses.replace(m, checksum="")
    assert again is not m and X.priors(again) is X.priors(m)
    c = m.c.copy()
    c[np.flatnonzero(m.train)[0], 1] = 0 if c[np.flatnonzero(m.train)[0], 1] else 1
    assert X.priors(m.with_counts(m.n, c)) is not X.priors(m)


def _wide_counts(seed, q=40, s=12):
    rng = np.random.default_rng(seed)
    n = rng.choice([2, 5, 10], size=(q, s)) if seed % 2 else rng.choice([1, 3, 10], size=(1, s)).repeat(q, 0)
    return rng, n, rng.binomial(n, rng.beta(0.5, 1.0, size=(q, s)))


@pytest.mark.parametrize("seed", range(4))
def test_fail_grid_is_each_columns_eval_fail_and_train_fail_bit_for_bit(seed):
    rng, n, c = _wide_counts(seed)
    prior = (rng.gamma(1.0, 1.0, n.shape[1]) + 0.01, rng.gamma(1.0, 1.0, n.shape[1]) + 0.01)
    ks = np.arange(0, 16)
    f, over, idx = X.fail_grid(n, c, ks, prior)
    ft, _, idx_t = X.fail_grid(n, c, ks, prior, train=True)
    assert np.array_equal(idx, idx_t)
    for j in range(n.shape[1]):
        want, want_over = X.eval_fail(n[:, j : j + 1], c[:, j : j + 1], ks[None, :], (prior[0][j], prior[1][j]))
        assert np.array_equal(f[idx[:, j]], want) and np.array_equal(over[idx[:, j]], want_over)
        tf = X.train_fail(n[:, j : j + 1], c[:, j : j + 1], ks[None, :], (prior[0][j], prior[1][j]))
        assert np.array_equal(ft[idx[:, j]], tf)


@pytest.mark.parametrize("seed", range(4))
def test_eval_pass_on_wide_supports_is_mix_pass_bit_for_bit(seed, monkeypatch):
    rng, n, c = _wide_counts(seed)
    prior = (rng.gamma(1.0, 1.0, n.shape[1]) + 0.01, rng.gamma(1.0, 1.0, n.shape[1]) + 0.01)
    monkeypatch.setattr(X, "DEDUP_CELLS", 1)  # every support takes the distinct-cell path
    for _ in range(10):
        k = rng.integers(0, 14, n.shape[1]) * (rng.random(n.shape[1]) < 0.7)
        if k.sum() == 0:
            continue
        over = (k[None, :] > n).any()
        want = mix_pass(n, c, k, estimator="betabinomial", prior=prior) if over else mix_pass(n, c, k)
        assert X.eval_pass(n, c, k, prior) == want


def test_best_pure_beyond_n_picks_and_scores_as_train_pass_of_each_pure_allocation():
    m = mixed_matrix(seed=4, q=30)
    n, c = m.train_counts()
    prior = X.priors(m)
    got = st.best_pure(m, list(range(1, 15)))
    for a in got:
        vals = []
        for j in range(n.shape[1]):
            k = np.zeros(n.shape[1], dtype=np.int64)
            k[j] = a.budget
            vals.append(X.train_pass(n, c, k, prior))
        assert a.counts[int(np.argmax(vals))] == a.budget and a.train_pass == max(vals)


def _thin_counts(rng) -> tuple[np.ndarray, np.ndarray]:
    """Random thin counts: Q in 1..59, S in 1..7, n in {1, 3, 10} per cell, c ~ Binomial(n, Beta(0.5, 1))."""
    q, s = int(rng.integers(1, 60)), int(rng.integers(1, 8))
    n = rng.choice([1, 3, 10], size=(q, s))
    return n, rng.binomial(n, rng.beta(0.5, 1.0, size=(q, s)))


def test_eval_pass_under_several_priors_is_mix_pass_under_each_bit_for_bit():
    rng = np.random.default_rng(5)
    for _ in range(60):
        n, c = _thin_counts(rng)
        s = n.shape[1]
        settings_ = [(rng.gamma(1.0, 1.0, s) + 0.01, rng.gamma(1.0, 1.0, s) + 0.01) for _ in range(3)] + [None]
        k = rng.integers(0, 15, s) * (rng.random(s) < 0.7)
        for p, got in zip(settings_, X.eval_pass_priors(n, c, k, settings_), strict=True):
            if k.sum() == 0:
                want = (0.0, False)
            elif p is not None and (k[None, :] > n).any():
                want = mix_pass(n, c, k, estimator="betabinomial", prior=p)
            else:
                want = mix_pass(n, c, k)
            assert got[0] == want[0] and bool(got[1]) == bool(want[1])


def test_train_pass_beyond_n_is_the_mean_of_train_fail_products_bit_for_bit():
    rng = np.random.default_rng(9)
    for _ in range(80):
        n, c = _thin_counts(rng)
        s = n.shape[1]
        p = (rng.gamma(1.0, 1.0, s) + 0.01, rng.gamma(1.0, 1.0, s) + 0.01)
        k = rng.integers(0, 15, s) * (rng.random(s) < 0.7)
        sup = np.flatnonzero(k > 0)
        if not (k[None, :] > n).any():
            continue
        f = X.train_fail(n[:, sup], c[:, sup], k[sup][None, :], (p[0][sup][None, :], p[1][sup][None, :]))
        assert X.train_pass(n, c, k, p) == float(np.mean(1.0 - np.prod(f, axis=1)))
