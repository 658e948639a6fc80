"""osca_core.analysis.paired: bootstrap curves with paired differences (the ``differences`` JSON contract), the
whole-pipeline refit against a brute-force replicate, and the savings interval (B = 0 is experiments.savings)."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.analysis import bootstrap as bs
from osca_core.analysis import experiments as ex
from osca_core.analysis import paired as pr
from osca_core.errors import InputError
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies import allocators as st
from osca_core.strategies import registry

BCB_BUDGETS = [1, 4, 16, 64, 300]


@pytest.fixture(scope="module")
def bcb_boot(bcb):
    return pr.bootstrap_curves(bcb, ["pure:Qwen_1.4", "best-pure", "uniform", "osca"], BCB_BUDGETS,
                               n_resamples=1000, seed=0)


def test_curves_carry_intervals_and_the_exact_point_values(bcb, bcb_boot):
    osca = bcb_boot.curve("osca")
    assert osca.values == tuple(a.test_pass for a in st.osca(bcb, BCB_BUDGETS))
    assert all(lo <= v <= hi for lo, v, hi in zip(osca.ci_low, osca.values, osca.ci_high, strict=True))
    assert bcb_boot.distribution.shape == (1000, 4, len(BCB_BUDGETS))
    rows = bcb_boot.as_dict()["curves"]
    assert len(rows) == 4 * len(BCB_BUDGETS) and all(r["ci_low"] is not None for r in rows)


def test_differences_follow_the_json_contract_and_are_paired(bcb_boot):
    d = bcb_boot.as_dict()
    assert [(x.a, x.b) for x in bcb_boot.differences] == [("osca", "best-pure"), ("osca", "uniform")]
    assert d["setting"]["method"] == "bootstrap" and d["setting"]["paired"] is True
    rows = d["differences"]
    assert len(rows) == 2 * len(BCB_BUDGETS)
    assert all(list(r) == ["a", "b", "budget", "diff", "ci_low", "ci_high"] for r in rows)
    assert all(isinstance(r["budget"], int) and isinstance(r["diff"], float) for r in rows)
    first = bcb_boot.differences[0]
    o, p = bcb_boot.curve("osca"), bcb_boot.curve("best-pure")
    assert first.diff == tuple(a - b for a, b in zip(o.values, p.values, strict=True))
    # the interval of the difference comes from the same replicates: recompute it by hand
    rep = bcb_boot.distribution[:, 3] - bcb_boot.distribution[:, 1]
    lo, hi = np.percentile(rep, [2.5, 97.5], axis=0)
    assert first.ci_low == tuple(lo) and first.ci_high == tuple(hi)
    assert first.excludes_zero == tuple(bool(a > 0 or b < 0) for a, b in zip(lo, hi, strict=True))


def test_difference_at_a_budget_does_not_depend_on_other_strategies_or_budgets(bcb, bcb_boot):
    small = pr.bootstrap_curves(bcb, ["best-pure", "osca"], [16], n_resamples=1000, seed=0)
    i = BCB_BUDGETS.index(16)
    assert small.differences[0].diff[0] == bcb_boot.differences[0].diff[i]
    assert small.differences[0].ci_low[0] == pytest.approx(bcb_boot.differences[0].ci_low[i], abs=1e-14)


def test_headline_says_whether_the_interval_excludes_zero():
    d = pr.Difference("osca", "best-pure", (16, 64), (0.05, 0.01), (0.01, -0.02), (0.09, 0.04))
    assert d.excludes_zero == (True, False)
    assert "excludes 0" in d.headline(16) and "includes 0" in d.headline(64)
    assert "95% interval +0.0100, +0.0900" in d.headline(16)
    none = pr.Difference("osca", "best-pure", (16,), (0.05,), None, None)
    assert none.excludes_zero == (None,) and none.rows()[0]["ci_low"] is None
    with pytest.raises(InputError):
        d.headline(3)


def test_zero_resamples_give_curves_without_intervals(swe):
    cb = pr.bootstrap_curves(swe, ["best-pure", "osca"], [4, 16], n_resamples=0)
    assert cb.curve("osca").ci_low is None and cb.differences[0].ci_low is None
    assert cb.setting["in_sample"] is True


def test_unknown_strategy_is_a_user_error(bcb):
    with pytest.raises(InputError):
        pr.bootstrap_curves(bcb, ["osca", "nope"], [4], n_resamples=10)


# -- refit --------------------------------------------------------------------------------------------------------

def test_replicate_matrix_repeats_training_questions_under_new_ids(bcb):
    rows = np.array([0, 0, 5, 69])
    rep = pr.replicate_matrix(bcb, rows)
    tr = np.flatnonzero(bcb.train)
    assert rep.train.sum() == 4 and rep.test.sum() == bcb.test.sum()
    assert np.array_equal(rep.train_counts()[1], bcb.c[tr[rows]])
    assert np.array_equal(rep.test_counts()[1], bcb.test_counts()[1])
    assert len(set(rep.question_ids)) == len(rep.question_ids)


def test_refit_replicate_equals_a_brute_force_refit(bcb):
    budgets = [4, 16]
    rf = pr.refit_curves(bcb, ["best-pure", "osca"], budgets, n_resamples=3, seed=7)
    test_idx = bs.resample_indices(int(bcb.test.sum()), n_resamples=3, seed=7)
    train_idx = bs.resample_indices(int(bcb.train.sum()), n_resamples=3, seed=[7, 1])
    n_te, c_te = bcb.test_counts()
    tr_rows = np.flatnonzero(bcb.train)
    for b in range(3):
        # training questions resampled by hand, the strategy re-run, scored on the resampled test questions
        p_b = bcb.c[tr_rows[train_idx[b]]] / bcb.n[tr_rows[train_idx[b]]]
        for j, res in enumerate(optimize_curve(p_b, budgets)):  # the optimizer on the resampled training rates
            v, _ = bs.question_values(n_te[test_idx[b]], c_te[test_idx[b]], res.counts)
            assert rf.distribution[b, 1, j] == pytest.approx(v.mean(), abs=1e-14)
        for j, budget in enumerate(budgets):  # best pure by the resampled training objective
            col = int(np.argmax(np.mean(1.0 - (1.0 - p_b) ** budget, axis=0)))
            want = bs.question_values(n_te[test_idx[b]], c_te[test_idx[b]],
                                      np.eye(len(bcb.configs), dtype=int)[col] * budget)[0].mean()
            assert rf.distribution[b, 0, j] == pytest.approx(want, abs=1e-14)
    assert rf.setting["refit"] is True and rf.curve("osca").values == tuple(a.test_pass for a in st.osca(bcb, budgets))


def test_refit_leaves_strategies_that_learn_nothing_as_the_fixed_bootstrap(bcb):
    names = ["pure:Llama_1.4", "uniform", "best-pure"]
    calls = []

    def fitter(m, s, b):
        calls.append(s)
        return registry.allocate(m, s, b)

    rf = pr.refit_curves(bcb, names, [2, 8], n_resamples=4, seed=3, fitter=fitter)
    fx = pr.bootstrap_curves(bcb, names, [2, 8], n_resamples=4, seed=3)
    assert calls == ["best-pure"] * 4
    np.testing.assert_allclose(rf.distribution[:, :2], fx.distribution[:, :2], rtol=0, atol=1e-14)
    assert rf.curve("uniform").ci_low == pytest.approx(fx.curve("uniform").ci_low, abs=1e-14)


def test_refit_on_an_in_sample_log_trains_on_the_test_resample(swe):
    seen = []

    def fitter(m, s, b):
        seen.append(m.train_counts()[1].copy())
        return registry.allocate(m, s, b)

    pr.refit_curves(swe, ["osca"], [4], n_resamples=2, seed=1, fitter=fitter)
    idx = bs.resample_indices(int(swe.test.sum()), n_resamples=2, seed=1)
    for b in range(2):
        assert np.array_equal(seen[b], swe.test_counts()[1][idx[b]])


def test_refit_is_reproducible(swe):
    a = pr.refit_curves(swe, ["best-pure", "osca"], [2, 8], n_resamples=3, seed=2)
    b = pr.refit_curves(swe, ["best-pure", "osca"], [2, 8], n_resamples=3, seed=2)
    assert np.array_equal(a.distribution, b.distribution)


# -- savings ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["swe", "bcb"])
def test_savings_without_resamples_is_experiments_savings(which, request):
    m = request.getfixturevalue(which)
    mine = pr.bootstrap_savings(m, n_resamples=0).as_dict()
    theirs = ex.savings(m).as_dict()
    assert mine.pop("setting")["method"] == "bootstrap"
    theirs.pop("setting")
    assert mine.pop("ratio_not_reached") is None
    assert mine == theirs


def test_crossing_ratios_equal_first_reaching_per_replicate():
    rng = np.random.default_rng(0)
    budgets = [1, 2, 4, 8, 16]
    osca = np.sort(rng.random((300, 5)), axis=1)
    target = rng.random(300)
    got = pr.crossing_ratios(budgets, osca, target)
    for r in range(300):
        need = ex.first_reaching(budgets, osca[r], target[r])
        assert got[r] == (0.0 if need is None else 16 / need)


def test_savings_interval_and_gaps(bcb):
    sv = pr.bootstrap_savings(bcb, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300], n_resamples=500, seed=0)
    d = sv.as_dict()
    assert d["ratio_ci_low"] <= d["ratio"] <= d["ratio_ci_high"]
    assert 0.0 <= d["ratio_not_reached"] <= 1.0
    assert sv.ratio_distribution.shape == (500,)
    assert all(g["ci_low"] <= g["gap"] <= g["ci_high"] for g in d["gaps"] if g["budget"] > 1)
    assert d["note"] == ex.SAVINGS_NOTE
