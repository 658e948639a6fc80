"""osca_core.analysis.bootstrap: per-question values reproduce test_pass exactly, the vectorized bootstrap agrees with its
loop twin, resamples are shared (paired), options are validated, and the interval's coverage is checked by
simulation from known per-question pass rates."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.analysis import bootstrap as bs
from osca_core.errors import InputError
from osca_core.model.estimators import pass_at_k_bruteforce
from osca_core.strategies import allocators as st
from osca_core.strategies import registry

# -- per-question values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["swe", "bcb"])
def test_question_values_mean_is_exactly_test_pass_on_the_release_logs(which, request):
    m = request.getfixturevalue(which)
    budgets = list(range(1, 17)) if which == "swe" else [1, 2, 3, 5, 8, 16, 17, 33, 64, 100, 128, 200, 256, 300]
    names = registry.default_strategies(m)
    qv = bs.strategy_values(m, names, budgets)
    assert qv.values.shape == (int(m.test.sum()), len(names), len(budgets))
    for s in names:
        i = qv.index(s)
        if s == "uniform":
            want, extra = st.uniform_expected(*m.test_counts(), budgets)
            np.testing.assert_allclose(qv.estimate[i], want, rtol=0, atol=1e-13)
            assert qv.extrapolated[i].tolist() == extra.tolist()
            continue
        allocs = qv.allocations[s]
        assert [float(x) for x in qv.estimate[i]] == [a.test_pass for a in allocs]  # bit for bit
        assert qv.extrapolated[i].tolist() == [a.extrapolated for a in allocs]


def test_question_values_brute_force_on_enumerated_samples():
    rng = np.random.default_rng(3)
    outcomes = rng.random((6, 3, 7)) < rng.random((6, 3, 1))  # 6 questions, 3 configurations, 7 samples each
    n = np.full((6, 3), 7)
    c = outcomes.sum(axis=2)
    k = (2, 0, 3)
    vals, extra = bs.question_values(n, c, k)
    for q in range(6):
        fail = (1 - pass_at_k_bruteforce(list(outcomes[q, 0]), 2)) * (1 - pass_at_k_bruteforce(list(outcomes[q, 2]), 3))
        assert vals[q] == pytest.approx(1 - fail, abs=1e-12)
    assert not extra.any()


def test_question_values_flag_and_plug_in_beyond_n():
    """Without a prior (array form, no matrix to fit one on) the legacy plug-in beyond n; with a prior the
    Beta-binomial predictive (below)."""
    n = np.array([[4, 4], [4, 4]])
    c = np.array([[1, 0], [2, 4]])
    vals, extra = bs.question_values(n, c, (6, 1))  # 6 > n = 4 for configuration 0
    assert extra.tolist() == [True, True]
    assert vals[0] == pytest.approx(1 - (3 / 4) ** 6 * 1.0)
    assert vals[1] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        bs.question_values(n, c, (1, 1, 1))


# -- resampling, the loop twin, options ----------------------------------------------------------------------------


def test_resample_counts_count_each_resampled_question():
    idx = bs.resample_indices(9, n_resamples=50, seed=4)
    w = bs.resample_counts(idx, 9)
    assert w.shape == (50, 9) and (w.sum(axis=1) == 9).all()
    for b in (0, 17, 49):
        assert w[b].tolist() == np.bincount(idx[b], minlength=9).tolist()
    assert np.array_equal(idx, np.random.default_rng(4).integers(0, 9, size=(50, 9)))


def test_vectorized_bootstrap_equals_loop_twin_exactly_when_sums_are_exact():
    # values on a dyadic grid with Q a power of two: every sum is exact in floating point, so any difference in
    # resamples, weights or percentiles would show; the two must be bit for bit equal
    rng = np.random.default_rng(0)
    v = rng.integers(0, 65, size=(32, 3, 5)) / 64.0
    a = bs.bootstrap_means(v, n_resamples=700, seed=11, level=0.9)
    b = bs.bootstrap_means_loop(v, n_resamples=700, seed=11, level=0.9)
    for x, y in ((a.distribution, b.distribution), (a.ci_low, b.ci_low), (a.ci_high, b.ci_high),
                 (a.estimate, b.estimate), (a.standard_error, b.standard_error)):
        assert np.array_equal(x, y)
    assert a.distribution.shape == (700, 3, 5)


def test_vectorized_bootstrap_matches_loop_twin_on_bigcodebench(bcb):
    qv = bs.strategy_values(bcb, ["best-pure", "uniform", "osca", "pure:Qwen_1.4"], [1, 4, 16, 64, 300])
    a = bs.bootstrap_means(qv.values, n_resamples=400, seed=0)
    b = bs.bootstrap_means_loop(qv.values, n_resamples=400, seed=0)
    np.testing.assert_allclose(a.distribution, b.distribution, rtol=0, atol=1e-14)
    np.testing.assert_allclose(a.ci_low, b.ci_low, rtol=0, atol=1e-14)
    np.testing.assert_allclose(a.ci_high, b.ci_high, rtol=0, atol=1e-14)
    assert np.array_equal(a.estimate, qv.estimate)


def test_same_seed_same_interval_other_seed_other_interval():
    v = np.random.default_rng(1).random((40, 4))
    a, b = bs.bootstrap_means(v, n_resamples=300, seed=5), bs.bootstrap_means(v, n_resamples=300, seed=5)
    c = bs.bootstrap_means(v, n_resamples=300, seed=6)
    assert np.array_equal(a.ci_low, b.ci_low) and not np.array_equal(a.ci_low, c.ci_low)


def test_resamples_are_shared_by_every_point_so_a_subset_gives_the_same_replicates():
    v = np.random.default_rng(2).random((25, 6))
    full = bs.bootstrap_means(v, n_resamples=200, seed=3)
    part = bs.bootstrap_means(v[:, [4]], n_resamples=200, seed=3)
    np.testing.assert_allclose(full.distribution[:, 4], part.distribution[:, 0], rtol=0, atol=1e-15)


def test_standard_error_matches_the_plug_in_formula():
    v = np.random.default_rng(7).random(60)
    r = bs.bootstrap_means(v, n_resamples=6000, seed=1)
    plug_in = v.std(ddof=0) / np.sqrt(v.size)  # the bootstrap's exact standard error of the mean
    assert float(r.standard_error) == pytest.approx(plug_in, rel=0.05)
    assert r.ci_low < v.mean() < r.ci_high


def test_percentile_interval_uses_exact_tails():
    d = np.arange(1001.0)
    lo, hi = bs.percentile_interval(d, 0.95)
    assert (lo, hi) == tuple(np.percentile(d, [2.5, 97.5]))


def test_zero_resamples_gives_the_point_and_no_interval():
    r = bs.bootstrap_means(np.array([[0.5], [1.0]]), n_resamples=0)
    assert r.ci_low is None and r.standard_error is None and r.estimate.tolist() == [0.75]
    assert r.as_dict()["ci_low"] is None and r.as_dict()["estimate"] == [0.75]


@pytest.mark.parametrize(("kw", "flag"), [({"n_resamples": -1}, "--bootstrap"), ({"n_resamples": 2.5}, "--bootstrap"),
                                          ({"level": 1.0}, "--level"), ({"level": 0.0}, "--level"),
                                          ({"seed": -1}, "--seed")])
def test_bad_options_are_user_errors_naming_the_flag(kw, flag):
    with pytest.raises(InputError, match=flag):
        bs.bootstrap_means(np.ones((3, 2)), **kw)


def test_bad_values_are_programmer_errors():
    with pytest.raises(ValueError):
        bs.bootstrap_means(np.array([[np.nan]]))
    with pytest.raises(ValueError):
        bs.bootstrap_means(np.ones((3, 2)), indices=np.zeros((4, 2), dtype=int))


def test_bootstrap_allocations_intervals_bracket_each_test_pass(bcb):
    allocs = st.osca(bcb, [16, 64])
    r = bs.bootstrap_allocations(bcb, allocs, n_resamples=500, seed=0)
    assert r.estimate.tolist() == [a.test_pass for a in allocs]
    assert (r.ci_low < r.estimate).all() and (r.estimate < r.ci_high).all()
    assert (r.ci_high - r.ci_low > 0.05).all()  # 78 test questions: several points wide


# -- coverage and pairing, checked by simulation ----------------------------------------------------------------

SAMPLES = 10
ALLOC = (3, 2, 0)  # C = 5 <= n: unbiased estimator everywhere
BASE = np.array([-0.5, 0.3, -1.0])


def population(rng: np.random.Generator, questions: int) -> np.ndarray:
    """True pass rates (Q, 3) of questions drawn from a population: a shared difficulty makes configurations
    succeed on the same questions (correlated strategies), a per-cell term makes them differ."""
    d = rng.normal(0.0, 1.5, size=(questions, 1))
    logit = BASE[None, :] - d + rng.normal(0.0, 0.6, size=(questions, 3))
    return 1.0 / (1.0 + np.exp(-logit))


def true_value(p: np.ndarray, k=ALLOC) -> np.ndarray:
    return 1.0 - np.prod((1.0 - p) ** np.asarray(k)[None, :], axis=1)


@pytest.mark.slow
def test_interval_covers_the_population_value_in_about_95_percent_of_new_datasets():
    # the bootstrap over questions treats the test questions as a sample from a population, so each replicate
    # draws NEW questions (and new samples); the target is the population mean E_q[1 - prod_s (1 - p_qs)^k_s]
    rng = np.random.default_rng(20261201)
    target = float(true_value(population(rng, 2_000_000)).mean())  # Monte-Carlo error ~3e-4, intervals ~0.1
    q, reps, n = 120, 400, np.full((120, 3), SAMPLES)
    hits, fixed_hits = 0, 0
    p_fixed = population(rng, q)
    for r in range(reps):
        p = population(rng, q)
        vals, _ = bs.question_values(n, rng.binomial(SAMPLES, p), ALLOC)
        res = bs.bootstrap_means(vals, n_resamples=1000, seed=r)
        hits += bool(res.ci_low <= target <= res.ci_high)
        # contrast: questions held fixed, only the samples redrawn; the interval then also carries the spread of
        # questions, so it over-covers the mean of those questions' true values
        vals_f, _ = bs.question_values(n, rng.binomial(SAMPLES, p_fixed), ALLOC)
        res_f = bs.bootstrap_means(vals_f, n_resamples=1000, seed=r)
        fixed_hits += bool(res_f.ci_low <= true_value(p_fixed).mean() <= res_f.ci_high)
    assert 0.92 <= hits / reps <= 0.98, hits / reps
    assert fixed_hits / reps > 0.98, fixed_hits / reps


def _unpaired_width(va: np.ndarray, vb: np.ndarray, b: int) -> np.ndarray:
    ra = bs.bootstrap_means(va, n_resamples=b, seed=1).distribution
    rb = bs.bootstrap_means(vb, n_resamples=b, seed=2).distribution
    lo, hi = bs.percentile_interval(ra - rb, 0.95)
    return hi - lo


def _paired_width(va: np.ndarray, vb: np.ndarray, b: int) -> np.ndarray:
    r = bs.bootstrap_means(np.stack([va, vb], axis=1), n_resamples=b, seed=1).distribution
    lo, hi = bs.percentile_interval(r[:, 0] - r[:, 1], 0.95)
    return hi - lo


def test_paired_interval_is_narrower_than_unpaired_on_correlated_strategies():
    rng = np.random.default_rng(5)
    p = population(rng, 150)
    c = rng.binomial(SAMPLES, p)
    n = np.full(c.shape, SAMPLES)
    va, _ = bs.question_values(n, c, (3, 2, 0))
    vb, _ = bs.question_values(n, c, (0, 5, 0))
    assert np.corrcoef(va, vb)[0, 1] > 0.8
    paired, unpaired = _paired_width(va, vb, 2000), _unpaired_width(va, vb, 2000)
    assert paired < 0.6 * unpaired, (paired, unpaired)


def test_paired_interval_is_narrower_than_unpaired_for_osca_vs_best_pure_on_bigcodebench(bcb):
    qv = bs.strategy_values(bcb, ["osca", "best-pure"], [16, 64])
    for j in range(2):
        va, vb = qv.values[:, 0, j], qv.values[:, 1, j]
        paired, unpaired = _paired_width(va, vb, 2000), _unpaired_width(va, vb, 2000)
        assert paired < 0.75 * unpaired, (j, paired, unpaired)



def test_question_values_beyond_n_use_the_prior_and_average_exactly_to_test_pass():
    from test_extrapolation import mixed_matrix

    from osca_core.model.extrapolation import eval_fail, priors

    m = mixed_matrix(13)
    qv = bs.strategy_values(m, ["pure:cfg0", "even", "osca", "uniform"], [1, 3, 6])
    for i, s in enumerate(qv.strategies):
        if qv.allocations[s] is None:
            want, _ = st.uniform_expected(*m.test_counts(), [1, 3, 6], prior=priors(m))
            assert qv.estimate[i] == pytest.approx(want, abs=1e-12)
            continue
        assert qv.estimate[i].tolist() == [a.test_pass for a in qv.allocations[s]]
        assert qv.extrapolated[i].tolist() == [a.extrapolated for a in qv.allocations[s]]
    n, c = m.test_counts()
    vals, extra = bs.question_values(n, c, (3, 0, 0), prior=priors(m))
    f, _ = eval_fail(n[:, :1], c[:, :1], 3, (priors(m)[0][:1], priors(m)[1][:1]))
    assert extra.all() and vals.tolist() == (1.0 - f[:, 0]).tolist()
