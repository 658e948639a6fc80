"""Experiments (osca_core.analysis.experiments, osca_core.model.splits) and the `savings` / `study` commands and the experiment
options of `optimize` / `curves`: seeded random splits, C0 subsampling, bans, compute savings, osca-eb."""

from __future__ import annotations

import csv
import json
from itertools import combinations_with_replacement

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from osca_core.analysis import experiments as ex
from osca_core.cli import main
from osca_core.model.estimators import plugin_objective
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.model.smoothing import posterior_rates
from osca_core.strategies import allocators as S
from osca_core.strategies import registry


def matrix(names, n, c, train, test, name="toy") -> OutcomeMatrix:
    c = np.asarray(c)
    q = c.shape[0]
    return OutcomeMatrix(name=name, question_ids=tuple(f"q{i}" for i in range(q)),
                         configs=tuple(parse_config_name(x) for x in names),
                         n=np.broadcast_to(np.asarray(n), c.shape).copy(), c=c,
                         train=np.array(train, bool), test=np.array(test, bool))


def run_json(capsys, *argv):
    assert main([str(a) for a in argv]) == 0
    return json.loads(capsys.readouterr().out)


def one_line_error(capsys, *argv) -> str:
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("osca: error:")
    return err[0]


# -- random splits ---------------------------------------------------------------------------------------------

def test_splits_partition_the_union_of_train_and_test_with_the_asked_fraction(bcb):
    masks = ex.split_masks(bcb, train_fraction=0.3, splits=4, seed=7)
    pool = bcb.train | bcb.test
    for train, test in masks:
        assert not (train & test).any() and np.array_equal(train | test, pool)
        assert train.sum() == round(0.3 * pool.sum())
    assert len({tuple(np.flatnonzero(t)) for t, _ in masks}) == 4  # four different splits


def test_same_seed_same_numbers_different_seed_different_splits(bcb):
    s = ex.Setting(0.5, 3, seed=11)
    a = ex.run_curves(bcb, ["best-pure", "osca"], [1, 8], s)
    b = ex.run_curves(bcb, ["best-pure", "osca"], [1, 8], s)
    for k in ("best-pure", "osca"):
        assert np.array_equal(a.per_split[k], b.per_split[k])
    m0 = ex.split_masks(bcb, train_fraction=0.5, splits=3, seed=11)
    m1 = ex.split_masks(bcb, train_fraction=0.5, splits=3, seed=12)
    assert all(not np.array_equal(x[0], y[0]) for x, y in zip(m0, m1, strict=True))
    c = ex.run_curves(bcb, ["osca"], [8], ex.Setting(0.5, 3, seed=12))
    assert not np.array_equal(a.per_split["osca"][:, 1], c.per_split["osca"][:, 0])


def test_split_r_does_not_depend_on_how_many_splits_are_drawn(swe):
    few = ex.split_masks(swe, train_fraction=0.2, splits=2, seed=3)
    many = ex.split_masks(swe, train_fraction=0.2, splits=5, seed=3)
    for x, y in zip(few, many[:2], strict=True):
        assert np.array_equal(x[0], y[0]) and np.array_equal(x[1], y[1])


def test_strategies_are_paired_on_the_same_splits(bcb):
    s = ex.Setting(0.4, 3, seed=5)
    both = ex.run_curves(bcb, ["best-pure", "osca"], [2, 16], s)
    alone = ex.run_curves(bcb, ["osca"], [2, 16], s)
    assert np.array_equal(both.per_split["osca"], alone.per_split["osca"])
    d = both.difference("osca", "best-pure")
    want = (both.per_split["osca"] - both.per_split["best-pure"]).mean(axis=0)
    assert np.allclose(d.values, want, atol=1e-15)
    # the per-split numbers are what the reported allocations score on that split's test questions
    for r, (train, test) in enumerate(ex.split_masks(bcb, train_fraction=0.4, splits=3, seed=5)):
        m = bcb.with_split(train, test)
        for i, a in enumerate(both.allocations["osca"][r]):
            tr, te, _ = S.score(m, a.counts)
            assert a.train_pass == pytest.approx(tr, abs=1e-12)
            assert both.per_split["osca"][r, i] == pytest.approx(te, abs=1e-12)


def test_intervals_contain_their_mean_and_are_the_documented_percentiles(swe):
    cs = ex.run_curves(swe, ["best-pure", "uniform", "osca"], [1, 4, 16], ex.Setting(0.3, 5, seed=2))
    for cv in cs.curves:
        per = cs.per_split[cv.strategy]
        for i in range(len(cv.budgets)):
            assert cv.ci_low[i] <= cv.values[i] <= cv.ci_high[i]
            assert cv.ci_low[i] < cv.ci_high[i]  # five different splits, five different test sets
            assert cv.ci_low[i] == pytest.approx(np.percentile(per[:, i], 2.5), abs=1e-15)
            assert cv.ci_high[i] == pytest.approx(np.percentile(per[:, i], 97.5), abs=1e-15)
            assert cv.values[i] == pytest.approx(per[:, i].mean(), abs=1e-15)


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.floats(-1e3, 1e3, allow_nan=False), min_size=2, max_size=40))
def test_percentile_interval_contains_the_mean_for_up_to_40_splits(vals):
    mean, lo, hi = ex.interval(np.array(vals)[:, None])
    assert lo[0] - 1e-9 <= mean[0] <= hi[0] + 1e-9


def test_one_split_has_no_interval(bcb):
    cv = ex.run_curves(bcb, ["osca"], [4], ex.Setting(0.5, 1, seed=0)).curve("osca")
    assert cv.ci_low is None and cv.ci_high is None and cv.allocations is not None


# -- estimation budget C0 --------------------------------------------------------------------------------------

def test_c0_equal_to_n_is_the_full_estimate_exactly(swe):
    full = ex.Setting(0.5, 2, seed=4)
    c0 = ex.Setting(0.5, 2, seed=4, c0=16)
    for t in ex.trials(swe, c0):
        assert np.array_equal(t.est.n, swe.n) and np.array_equal(t.est.c, swe.c)
    a = ex.run_curves(swe, ["best-pure", "osca", "osca-eb"], [1, 5, 12], full)
    b = ex.run_curves(swe, ["best-pure", "osca", "osca-eb"], [1, 5, 12], c0)
    for k in a.per_split:
        assert np.array_equal(a.per_split[k], b.per_split[k])
    ra = ex.optimize_runs(swe, [3, 9], ex.Setting(c0=None, bans=("multi-model",)))
    rb = ex.optimize_runs(swe, [3, 9], ex.Setting(c0=16, bans=("multi-model",)))
    assert [x.counts for x in ra[0].allocations] == [x.counts for x in rb[0].allocations]
    assert [x.train_pass for x in ra[0].allocations] == [x.train_pass for x in rb[0].allocations]


def test_c0_subsample_is_seeded_hypergeometric_and_only_changes_training(bcb):
    (t,) = ex.trials(bcb, ex.Setting(c0=5, seed=9))
    (u,) = ex.trials(bcb, ex.Setting(c0=5, seed=9))
    assert np.array_equal(t.est.c, u.est.c)
    n, c, k = bcb.n, bcb.c, t.est.c
    assert (t.est.n == 5).all()
    assert ((k >= np.maximum(0, 5 - (n - c))) & (k <= np.minimum(c, 5))).all()
    assert not np.array_equal(k * 60, c)  # an actual subsample, not a rescaling
    # E[c'] = 5 c / n: the mean over all 1480 cells is within a few standard errors of it
    assert abs(k.mean() - (5 * c / n).mean()) < 0.05
    # test scores use all 300 samples: the test part of the trial is the release's
    a = ex.fit(t, "osca", [8])[0]
    assert a.test_pass == pytest.approx(S.score(bcb, a.counts)[1], abs=1e-12)
    # training scores use the C0 = 5 subsample; budget 8 > 5 asks cells for more samples than they hold, so the
    # training objective beyond n is the Beta-binomial predictive under the subsample's own prior (issue 11)
    from osca_core.model.extrapolation import priors, train_pass

    expect = train_pass(*t.est.train_counts(), a.counts, priors(t.est))
    assert a.train_pass == pytest.approx(expect, abs=1e-12)
    assert max(a.counts) > 5 and expect != float(plugin_objective(t.est.train_rates(), a.counts))


def test_c0_above_n_is_one_line_and_exit_2(capsys, swe_path):
    err = one_line_error(capsys, "optimize", "--file", swe_path, "--budgets", "2", "--c0", "17")
    assert "--c0 17" in err and "n = 16" in err
    err = one_line_error(capsys, "curves", "--file", swe_path, "--budgets", "2", "--c0", "0")
    assert "--c0" in err


@pytest.mark.parametrize("argv,needle", [
    (["--train-fraction", "1.5"], "--train-fraction"),
    (["--train-fraction", "0"], "--train-fraction"),
    (["--splits", "3"], "--splits"),
    (["--train-fraction", "0.5", "--splits", "0"], "--splits"),
    (["--ban", "multi-everything"], "--ban"),
])
def test_bad_experiment_options_are_one_line(capsys, bcb_path, argv, needle):
    assert needle in one_line_error(capsys, "curves", "--file", bcb_path, "--budgets", "2", *argv)


# -- bans ------------------------------------------------------------------------------------------------------

def test_ban_groups_follow_the_configuration_attributes(swe, bcb):
    assert len(ex.ban_groups(swe, ["multi-model"])) == 3
    assert len(ex.ban_groups(swe, ["multi-temperature"])) == 4
    assert len(ex.ban_groups(swe, ["multi-variant"])) == 2
    assert len(ex.ban_groups(bcb, ["multi-variant"])) == 1  # BigCodeBench has no variants
    both = ex.ban_groups(swe, ["multi-model", "multi-temperature"])
    for g in both:
        assert len({(swe.configs[j].model, swe.configs[j].temperature) for j in g}) == 1


@pytest.mark.parametrize("ban,attr", [("multi-model", "model"), ("multi-temperature", "temperature"),
                                      ("multi-variant", "variant")])
def test_bans_are_obeyed_and_never_beat_the_free_optimum_on_training(swe, ban, attr):
    budgets = [1, 2, 5, 10, 16]
    free = ex.optimize_runs(swe, budgets)[0].allocations
    banned = ex.optimize_runs(swe, budgets, ex.Setting(bans=(ban,)))[0].allocations
    for f, b in zip(free, banned, strict=True):
        used = {getattr(swe.configs[j], attr) for j, k in enumerate(b.counts) if k > 0}
        assert len(used) == 1 and sum(b.counts) == b.budget
        assert b.train_pass <= f.upper_bound + 1e-12
        assert b.train_pass <= f.train_pass + 1e-12
        assert b.upper_bound is not None and b.train_pass <= b.upper_bound + 1e-12


def _brute(p, budget, allowed):
    best = (-1.0, None)
    for combo in combinations_with_replacement(allowed, budget):
        k = np.bincount(combo, minlength=p.shape[1])
        v = float(plugin_objective(p, k))
        if v > best[0] + 1e-12:
            best = (v, k)
    return best


def test_banned_optimum_equals_brute_force_over_each_allowed_group():
    rng = np.random.default_rng(0)
    names = ["a_0.2", "a_0.8", "b_0.2", "b_0.8", "c_0.8"]
    c = rng.integers(0, 11, size=(9, 5)) * rng.integers(0, 2, size=(9, 5))
    m = matrix(names, 10, c, [True] * 9, [True] * 9)
    p = m.train_rates()
    for ban in ("multi-model", "multi-temperature"):
        groups = ex.ban_groups(m, [ban])
        allocs = ex.optimize_runs(m, [1, 2, 3, 4], ex.Setting(bans=(ban,)))[0].allocations
        for a in allocs:
            want = max(_brute(p, a.budget, g)[0] for g in groups)
            free = _brute(p, a.budget, range(5))[0]
            assert a.train_pass == pytest.approx(want, abs=1e-9)
            assert ex.obeys_bans(m, a.counts, [ban]) and want <= free + 1e-12


def test_uniform_under_a_ban_is_uniform_within_the_group_best_on_training(bcb):
    (t,) = ex.trials(bcb, ex.Setting())
    vals, _ = ex.uniform_values(t, [1, 8], bans=("multi-model",))
    free, _ = ex.uniform_values(t, [1, 8])
    assert not np.allclose(vals, free)
    groups = ex.ban_groups(bcb, ["multi-model"])
    n_tr, c_tr = bcb.train_counts()
    n_te, c_te = bcb.test_counts()
    for i, b in enumerate([1, 8]):
        g = max(groups, key=lambda g: S.uniform_expected(n_tr[:, list(g)], c_tr[:, list(g)], [b])[0][0])
        assert vals[i] == pytest.approx(S.uniform_expected(n_te[:, list(g)], c_te[:, list(g)], [b])[0][0], abs=1e-12)


def test_cli_optimize_and_curves_obey_a_ban(capsys, swe_path, swe):
    out = run_json(capsys, "optimize", "--file", swe_path, "--budgets", "4,12", "--ban", "multi-temperature",
                   "--json")
    assert out["setting"]["ban"] == ["multi-temperature"]
    for r in out["results"]:
        temps = {swe.configs[swe.config_index([x])[0]].temperature for x in r["allocation"]}
        assert len(temps) == 1
        counts = [r["allocation"].get(x, 0) for x in swe.config_names]
        train, test, _ = S.score(swe, counts)
        assert r["train_pass"] == pytest.approx(train, abs=1e-12) and r["test_pass"] == pytest.approx(test, abs=1e-12)
    out = run_json(capsys, "curves", "--file", swe_path, "--budgets", "8", "--strategies", "osca,even",
                   "--ban", "multi-model", "--json")
    free = run_json(capsys, "curves", "--file", swe_path, "--budgets", "8", "--strategies", "osca", "--json")
    banned = {r["strategy"]: r["pass"] for r in out["curves"]}
    assert set(banned) == {"osca", "even"} and banned["osca"] != free["curves"][0]["pass"]


# -- CLI: splits on optimize and curves ------------------------------------------------------------------------

def test_cli_optimize_with_splits_reports_reproducible_numbers_per_split(capsys, bcb_path, bcb):
    out = run_json(capsys, "optimize", "--file", bcb_path, "--budgets", "2,16", "--train-fraction", "0.6",
                   "--splits", "3", "--seed", "4", "--c0", "50", "--json")
    assert {"dataset", "solve_seconds", "results", "setting", "summary"} <= set(out)
    assert len(out["results"]) == 6 and {r["split"] for r in out["results"]} == {0, 1, 2}
    masks = ex.split_masks(bcb, train_fraction=0.6, splits=3, seed=4)
    for r in out["results"]:
        assert {"budget", "allocation", "train_pass", "test_pass", "upper_bound", "certified",
                "extrapolated"} <= set(r)
        m = bcb.with_split(*masks[r["split"]])
        train, test, _ = S.score(m, [r["allocation"].get(x, 0) for x in bcb.config_names])
        assert r["train_pass_full"] == pytest.approx(train, abs=1e-12)
        assert r["test_pass"] == pytest.approx(test, abs=1e-12)
    for s in out["summary"]:
        vals = [r["test_pass"] for r in out["results"] if r["budget"] == s["budget"]]
        assert s["test_pass"] == pytest.approx(np.mean(vals), abs=1e-12)
        assert s["ci_low"] <= s["test_pass"] <= s["ci_high"]


def test_cli_curves_fills_the_interval_with_splits_and_accepts_osca_eb(capsys, bcb_path):
    out = run_json(capsys, "curves", "--file", bcb_path, "--budgets", "1,8", "--strategies",
                   "best-pure,osca,osca-eb,uniform", "--train-fraction", "0.5", "--splits", "4", "--json")
    assert {r["strategy"] for r in out["curves"]} == {"best-pure", "osca", "osca-eb", "uniform"}
    for r in out["curves"]:
        assert r["ci_low"] is not None and r["ci_low"] <= r["pass"] <= r["ci_high"]
    again = run_json(capsys, "curves", "--file", bcb_path, "--budgets", "1,8", "--strategies",
                     "best-pure,osca,osca-eb,uniform", "--train-fraction", "0.5", "--splits", "4", "--json")
    assert again == out


# -- savings ---------------------------------------------------------------------------------------------------

def small_savings_instance() -> OutcomeMatrix:
    """Two configurations, n = 4. Training rates A = (1, 0), B = (0, 1/2): pure A's objective is 1/2 at every C,
    pure B's 1 - 2^-C over 2, so best pure is A at every budget; OSCA takes (A x1, B x C-1). Test questions
    s1 (A 3/4), s2 (B 1/4), s3 (B 1/4): baseline A at C = 4 scores 1/3; OSCA scores 1/4, 5/12, 7/12, 3/4."""
    c = [[4, 0], [0, 2], [3, 0], [0, 1], [0, 1]]
    return matrix(["A_0.2", "B_0.2"], 4, c, [1, 1, 0, 0, 0], [0, 0, 1, 1, 1])


def test_savings_on_a_small_instance_worked_by_hand():
    sv = ex.savings(small_savings_instance())
    assert sv.budgets == (1, 2, 3, 4) and sv.baseline == "A_0.2" and sv.baseline_budget == 4
    assert sv.target_pass == pytest.approx(1 / 3, abs=1e-12)
    assert np.allclose(sv.osca_pass, [1 / 4, 5 / 12, 7 / 12, 3 / 4], atol=1e-12)
    assert np.allclose(sv.best_pure_pass, [1 / 4, 1 / 3, 1 / 3, 1 / 3], atol=1e-12)
    assert sv.budget_needed == 2 and sv.ratio == 2.0
    assert np.allclose(sv.gap, [0, 1 / 12, 1 / 4, 5 / 12], atol=1e-12)
    # a target OSCA never reaches within the budgets
    assert ex.first_reaching([1, 2], [0.1, 0.2], 0.3) is None


def test_savings_cli_json_on_the_small_instance(tmp_path, capsys):
    m = small_savings_instance()
    data = {"settings": [{"name": x, "runs": 4} for x in m.config_names],
            "training_instances": ["q0", "q1"], "testing_instances": ["q2", "q3", "q4"],
            "train": {str(j): [int(v) for v in m.c[:2, j]] for j in range(2)},
            "test": {str(j): [int(v) for v in m.c[2:, j]] for j in range(2)}}
    f = tmp_path / "toy.json"
    f.write_text(json.dumps(data))
    out = run_json(capsys, "savings", "--file", f, "--json")
    assert {"baseline": "A_0.2", "baseline_budget": 4, "budget_needed": 2, "ratio": 2.0}.items() <= out.items()
    assert out["target_pass"] == pytest.approx(1 / 3)
    out = run_json(capsys, "savings", "--file", f, "--budgets", "1-3", "--json")
    assert out["baseline_budget"] == 3 and out["budget_needed"] == 2 and out["ratio"] == 1.5


def test_savings_on_bigcodebench_release_split_is_consistent_with_the_curves(bcb):
    sv = ex.savings(bcb)
    budgets = list(range(1, 301))
    assert sv.budgets == tuple(budgets) and sv.baseline_budget == 300
    (bp,) = S.best_pure(bcb, [300])
    assert sv.baseline == next(iter(bp.allocation)) and sv.target_pass == pytest.approx(bp.test_pass, abs=1e-12)
    osca = registry.evaluate(bcb, "osca", budgets)
    assert np.allclose(sv.osca_pass, osca.values, atol=1e-12)
    first = next(b for b, v in zip(budgets, osca.values, strict=True) if v >= sv.target_pass)
    assert sv.budget_needed == first and all(v < sv.target_pass for v in osca.values[: first - 1])
    # the paper's claim, in its style: OSCA matches the best pure configuration's accuracy with less compute
    assert sv.ratio == 300 / first and sv.ratio > 2
    assert min(sv.gap[1:]) > 0  # and OSCA is ahead at every budget beyond 1


def test_savings_with_splits_gives_per_split_crossings_and_stable_gaps(bcb):
    s = ex.Setting(0.5, 4, seed=1)
    sv = ex.savings(bcb, list(range(1, 65)), s)
    cs = ex.run_curves(bcb, ["best-pure", "osca"], list(range(1, 65)), s)
    targets = cs.per_split["best-pure"][:, -1]
    assert np.allclose(sv.split_targets, targets)
    for r in range(4):
        want = ex.first_reaching(sv.budgets, cs.per_split["osca"][r], targets[r])
        assert sv.split_budget_needed[r] == want
    assert sv.budget_needed == ex.first_reaching(sv.budgets, cs.curve("osca").values, targets.mean())
    ratios = [0.0 if x is None else x for x in sv.split_ratios]
    assert sv.ratio_ci_low == pytest.approx(np.percentile(ratios, 2.5))
    assert sv.ratio_ci_high == pytest.approx(np.percentile(ratios, 97.5))
    for i in range(len(sv.budgets)):
        assert sv.gap_ci_low[i] <= sv.gap[i] <= sv.gap_ci_high[i]
    assert "unstable" in sv.note and sum(sv.baseline_counts.values()) == 4


# -- osca-eb ---------------------------------------------------------------------------------------------------

def test_osca_eb_equals_osca_when_the_data_overwhelm_the_prior():
    rng = np.random.default_rng(5)
    rates = rng.beta(0.5, 1.5, size=(40, 4))
    n = 10**8
    c = np.round(rates * n).astype(np.int64)
    m = matrix(["a_0.2", "a_0.8", "b_0.2", "b_0.8"], n, c, [True] * 40, [True] * 40)
    assert np.abs(posterior_rates(*m.train_counts()) - m.train_rates()).max() < 1e-6
    budgets = list(range(1, 9))
    eb = registry.allocate(m, "osca-eb", budgets)
    plain = S.osca(m, budgets)
    assert [a.counts for a in eb] == [a.counts for a in plain]
    assert [a.strategy for a in eb] == ["osca-eb"] * 8


# -- study -----------------------------------------------------------------------------------------------------

def test_study_cli_writes_the_csvs_and_a_summary(tmp_path, capsys, swe_path, bcb_path):
    out = run_json(capsys, "study", "--file", swe_path, "--file", bcb_path, "--out", tmp_path / "st",
                   "--splits", "2", "--budgets", "1,4", "--json")
    names = sorted(p.name for p in (tmp_path / "st").iterdir())
    assert names == sorted(f"{d}_{k}.csv" for d in ("swebench_agentless", "bcb_results")
                           for k in ("train_fraction", "c0", "ban", "savings"))
    rows = list(csv.DictReader((tmp_path / "st" / "swebench_agentless_c0.csv").open()))
    assert {r["c0"] for r in rows} == {"1", "5", "10", "all"}  # 50 > n = 16 is skipped
    rows = list(csv.DictReader((tmp_path / "st" / "bcb_results_c0.csv").open()))
    assert {r["c0"] for r in rows} == {"1", "5", "10", "50", "all"}
    rows = list(csv.DictReader((tmp_path / "st" / "bcb_results_train_fraction.csv").open()))
    assert {float(r["train_fraction"]) for r in rows} == {x / 10 for x in range(1, 10)}
    assert {r["strategy"] for r in rows} == {"best-pure", "osca", "osca-eb", "osca - best-pure", "osca-eb - osca"}
    for r in rows:
        assert float(r["ci_low"]) <= float(r["mean"]) <= float(r["ci_high"])
    rows = list(csv.DictReader((tmp_path / "st" / "swebench_agentless_ban.csv").open()))
    assert {r["ban"] for r in rows} == {"none", "multi-model", "multi-temperature", "multi-variant"}
    diffs = [float(r["mean"]) for r in rows if r["strategy"] == "osca(banned) - osca(free)"]
    assert len(diffs) == 6
    kinds = {(r["dataset"], r["experiment"]) for r in out["summary"]}
    assert ("bcb_results", "savings") in kinds and ("swebench_agentless", "ban") in kinds


def test_savings_is_built_by_keyword_and_keeps_its_json_keys(bcb):
    sv = ex.savings(bcb, [1, 2, 4])
    with pytest.raises(TypeError):
        ex.Savings(*[getattr(sv, f) for f in ("dataset", "baseline", "baseline_budget")])
    assert list(sv.as_dict()) == ["dataset", "baseline", "baseline_budget", "target_pass", "budget_needed", "ratio",
                                  "ratio_ci_low", "ratio_ci_high", "splits", "setting", "baseline_counts",
                                  "split_budget_needed", "split_ratios", "gaps", "note"]
    assert list(sv.as_dict()["gaps"][0]) == ["budget", "osca", "best_pure", "gap", "ci_low", "ci_high"]
