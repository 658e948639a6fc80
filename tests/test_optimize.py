"""osca_core.optimize.curve and osca_core.optimize.certify: the default optimizer equals brute-force enumeration on small instances
(random and clustered complementary specialists, unit costs and costs), is never below the paper's hill climbing,
its upper bounds hold, ``certify`` proves the exhaustive optimum, and on the release logs it reaches (and proves)
at least the paper's allocations at every budget SOURCE.md lists."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from ratekit import random_rates

from osca_core import cli
from osca_core.data.synthetic import demo_matrix, specialist_rates
from osca_core.errors import InputError
from osca_core.model.estimators import plugin_objective
from osca_core.model.objective import build_model, exhaustive
from osca_core.optimize.certify import certify_budget, upper_bounds
from osca_core.optimize.curve import MAX_SAMPLES, optimize_curve
from osca_core.strategies.allocators import hillclimb_counts

TOL = 1e-12


def assert_matches_exhaustive(p: np.ndarray, budgets, costs=None) -> None:
    for r in optimize_curve(p, budgets, costs=costs):
        k_ex, best = exhaustive(p, r.budget, costs=costs)
        k = np.array(r.counts)
        assert r.objective == pytest.approx(best, abs=TOL), (p.tolist(), r, k_ex)
        assert r.objective == pytest.approx(float(plugin_objective(p, k)), abs=TOL)
        assert r.upper_bound >= best - TOL
        if costs is None:
            assert k.sum() == r.budget
        else:
            assert k @ costs <= r.budget + 1e-9
        assert r.certified == (r.upper_bound - r.objective <= 1e-6)


# -- equal to brute force -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_equals_exhaustive_on_random_small_instances(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        assert_matches_exhaustive(random_rates(rng), range(1, 7))


@pytest.mark.parametrize("clusters", [2, 3, 4, 5])
def test_equals_exhaustive_on_clustered_complementary_specialists(clusters):
    for seed in range(12):
        p = specialist_rates(seed=seed, clusters=clusters, per_cluster=1 + seed % 2, generalists=1 + seed % 3)
        budgets = range(1, clusters + 3) if p.shape[1] <= 6 else range(1, clusters + 2)
        assert_matches_exhaustive(p, budgets)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 4)),
              elements=st.one_of(st.sampled_from([0.0, 0.25, 0.5, 1.0]), st.floats(0.0, 1.0))),
       st.integers(1, 5))
def test_equals_exhaustive_hypothesis(p, budget):
    assert_matches_exhaustive(p, [budget])


@pytest.mark.parametrize("seed", range(3))
def test_cost_aware_equals_exhaustive_under_the_cost_constraint(seed):
    rng = np.random.default_rng(100 + seed)
    for i in range(30):
        p = random_rates(rng) if i % 2 else specialist_rates(seed=i, clusters=int(rng.integers(2, 4)))
        costs = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0], p.shape[1])
        assert_matches_exhaustive(p, range(1, 6), costs=costs)


def test_unit_costs_give_identical_results():
    rng = np.random.default_rng(7)
    cases = [random_rates(rng) for _ in range(10)] + [demo_matrix(seed=3, questions=60, configs=9).train_rates()]
    for p in cases:
        plain = optimize_curve(p, range(1, 13))
        assert optimize_curve(p, range(1, 13), costs=np.ones(p.shape[1])) == plain


def test_unit_costs_identical_on_bigcodebench(bcb):
    p = bcb.train_rates()
    assert optimize_curve(p, range(1, 60), costs=np.ones(p.shape[1])) == optimize_curve(p, range(1, 60))


def test_expensive_configuration_is_bought_only_when_worth_it():
    p = np.array([[0.9, 0.0], [0.0, 0.9]])
    # config 0 costs 3: with budget 2 only config 1 is affordable; with 4 one of each
    r2, r4 = optimize_curve(p, [2, 4], costs=np.array([3.0, 1.0]))
    assert r2.counts == (0, 2)
    assert r4.counts == (1, 1)
    assert r4.objective == pytest.approx(0.9)


# -- the single-move trap -----------------------------------------------------------------------------------------

def test_single_sample_moves_get_stuck_where_the_optimizer_does_not():
    """Two topics, a generalist (p ~ 0.5 everywhere) and one strong specialist per topic. Greedy takes the
    generalist twice; from there every single-sample move loses, but one sample per specialist is best."""
    p = specialist_rates(seed=1, clusters=2, per_cluster=2, generalists=1, generalist=(0.45, 0.55),
                         specialist=(0.85, 0.95), leak=0.0, noise=0.0)
    k_opt, best = exhaustive(p, 2)
    greedy_single = optimize_curve(p, [2], beam=1, max_move=1)[0]
    assert greedy_single.objective < best - 0.01
    stuck = [s for s in range(20) if plugin_objective(p, hillclimb_counts(p, 2, seed=s)) < best - 0.01]
    assert stuck, "hill climbing from some random start should stop in the generalist local optimum"
    ours = optimize_curve(p, [2])[0]
    assert ours.objective == pytest.approx(best, abs=TOL)
    assert sorted(ours.counts) == sorted(k_opt.tolist())


def test_certify_repairs_a_heuristic_stuck_in_the_single_move_trap():
    """The crippled search (no beam, single moves) stops in the generalist local optimum; ``certify`` must still
    return the exhaustive optimum and prove it (no heuristic result is ever marked certified)."""
    p = specialist_rates(seed=1, clusters=3, per_cluster=2, generalists=1, generalist=(0.45, 0.55),
                         specialist=(0.93, 0.97), leak=0.0, noise=0.0)
    k_opt, best = exhaustive(p, 3)
    stuck = optimize_curve(p, [3], beam=1, max_move=1)[0]
    assert stuck.objective < best - 0.01 and not stuck.certified
    proved = optimize_curve(p, [3], beam=1, max_move=1, certify=True)[0]
    assert proved.certified and proved.objective == pytest.approx(best, abs=TOL)
    assert sorted(proved.counts) == sorted(k_opt.tolist())


def test_three_specialists_need_more_than_two_sample_moves_and_the_beam_finds_them():
    p = specialist_rates(seed=5, clusters=3, per_cluster=2, generalists=1, generalist=(0.45, 0.55),
                         specialist=(0.93, 0.97), leak=0.0, noise=0.0)
    _, best = exhaustive(p, 3)
    assert optimize_curve(p, [3], beam=1, max_move=2)[0].objective < best - 0.01
    assert optimize_curve(p, [3])[0].objective == pytest.approx(best, abs=TOL)


# -- never below hill climbing ------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
def test_never_below_hillclimb(seed):
    cases = [demo_matrix(seed=seed, questions=80, configs=10, samples=10).train_rates(),
             specialist_rates(seed=seed, clusters=4, per_cluster=3, generalists=2)]
    budgets = [1, 2, 3, 5, 8, 13, 21]
    for p in cases:
        res = optimize_curve(p, budgets)
        for r in res:
            for hs in range(3):
                hc = float(plugin_objective(p, hillclimb_counts(p, r.budget, seed=hs)))
                assert r.objective >= hc - TOL


def test_curve_is_monotone_and_follows_the_requested_order():
    p = demo_matrix(seed=2, questions=50, configs=8).train_rates()
    res = optimize_curve(p, [5, 1, 3, 3, 2])
    assert [r.budget for r in res] == [5, 1, 3, 3, 2]
    full = optimize_curve(p, range(1, 30))
    vals = [r.objective for r in full]
    assert all(b >= a - TOL for a, b in zip(vals, vals[1:], strict=False))
    assert {r.budget: r for r in res}[3] == full[2]


# -- exact zeros and ones -----------------------------------------------------------------------------------------

def test_exact_zeros_and_ones_raise_no_warnings_and_stay_exact():
    p = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.5], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.25]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            res = optimize_curve(p, range(1, 6), certify=True)
            ks = np.array([r.counts for r in res])
            ub = upper_bounds(build_model(p), range(1, 6), ks)
            forced = certify_budget(p, 3, None, enumerate_limit=0)
    for r, u in zip(res, ub, strict=True):
        _, best = exhaustive(p, r.budget)
        assert np.isfinite([r.objective, r.upper_bound, u]).all()
        assert r.objective == pytest.approx(best, abs=TOL) and r.certified and u >= best - TOL
    assert forced.certified and forced.objective == pytest.approx(exhaustive(p, 3)[1], abs=TOL)
    assert optimize_curve(np.zeros((3, 2)), [2])[0].objective == 0.0
    assert optimize_curve(np.ones((2, 2)), [1])[0].objective == 1.0


# -- the release logs ---------------------------------------------------------------------------------------------

def _paper_objective(m, alloc) -> float:
    k = np.zeros(len(m.configs), np.int64)
    for name, v in alloc.counts.items():
        k[m.config_index([name])[0]] = v
    return float(plugin_objective(m.train_rates(), k))


def test_bigcodebench_reaches_and_proves_the_paper_allocations(bcb, golden):
    p = bcb.train_rates()
    budgets = [a.budget for a in golden.bcb_allocations]
    assert budgets == [2, 3, 4, 5, 7, 8, 11, 16, 17, 25, 32, 38, 57, 64, 86, 128, 129, 194, 256, 291]
    curve = {r.budget: r for r in optimize_curve(p, range(1, 292))}
    cert = {r.budget: r for r in optimize_curve(p, budgets, certify=True)}
    for a in golden.bcb_allocations:
        paper = _paper_objective(bcb, a)
        assert paper == pytest.approx(a.train, abs=5e-7)  # SOURCE.md prints six decimals
        assert curve[a.budget].objective >= paper - TOL
        assert cert[a.budget].certified
        assert cert[a.budget].objective >= paper - TOL
        assert cert[a.budget].upper_bound - cert[a.budget].objective <= 1e-6
        assert curve[a.budget].objective == pytest.approx(cert[a.budget].objective, abs=TOL)
    # the brief's example: greedy with single moves only gets 0.30666 at C = 2, the paper 0.317712
    assert optimize_curve(p, [2], beam=1, max_move=1)[0].objective == pytest.approx(0.30666, abs=1e-5)
    assert curve[2].objective == pytest.approx(0.317712, abs=1e-6)


def test_swebench_at_least_the_paper_allocations(swe, golden):
    res = optimize_curve(swe.train_rates(), range(1, 17))
    for a, r in zip(golden.swe_allocations, res, strict=True):
        assert r.budget == a.budget
        assert r.objective >= _paper_objective(swe, a) - TOL
        assert r.upper_bound >= r.objective


# -- the command line ---------------------------------------------------------------------------------------------

def test_cli_certify_and_cost(bcb_path, capsys):
    assert cli.main(["optimize", "--file", str(bcb_path), "--budgets", "2,17", "--certify", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["budget"] for r in out["results"]] == [2, 17]
    assert all(r["certified"] and r["upper_bound"] - r["train_pass"] <= 1e-6 for r in out["results"])
    assert out["results"][0]["allocation"] == {"Llama_0.2": 1, "Qwen_1.4": 1}
    args = ["optimize", "--file", str(bcb_path), "--budgets", "3", "--cost", "Qwen_1.4=2", "--cost",
            "Llama_1.4=0.5", "--certify", "--json"]
    assert cli.main(args) == 0
    (r,) = json.loads(capsys.readouterr().out)["results"]
    assert r["budget"] == 3 and r["cost"] <= 3 and r["certified"]
    cost = {"Qwen_1.4": 2.0, "Llama_1.4": 0.5}
    assert r["cost"] == pytest.approx(sum(v * cost.get(k, 1.0) for k, v in r["allocation"].items()))
    assert cli.main(["optimize", "--file", str(bcb_path), "--budgets", "3", "--cost", "Qwen_1.4=2",
                     "--strategy", "hillclimb"]) == 2
    assert "--cost needs --strategy osca" in capsys.readouterr().err


# -- bounded work (issue 18) and progress -------------------------------------------------------------------------

def test_a_request_over_the_sample_limit_is_one_input_error_naming_the_limit_and_the_flags():
    p = np.array([[0.5, 0.2], [0.1, 0.3]])
    for costs, budgets in ((np.array([1e-7, 1.0]), [4]), (np.array([1e-300, 1.0]), [4]), (None, [MAX_SAMPLES + 1])):
        with pytest.raises(InputError) as e:
            optimize_curve(p, budgets, costs=costs)
        msg = str(e.value)
        assert f"limit of {MAX_SAMPLES}" in msg and "--budgets" in msg and "--cost" in msg and "\n" not in msg
    with pytest.raises(InputError):
        optimize_curve(p, [4], costs=np.array([4 / MAX_SAMPLES * 0.999, 1.0]))  # just above the limit
    assert sum(optimize_curve(p, [4], costs=np.array([0.01, 1.0]))[0].counts) >= 300  # below: runs


def test_certify_reports_progress_up_to_every_open_budget():
    p = demo_matrix(seed=4, questions=40, configs=7).train_rates()
    calls = []
    res = optimize_curve(p, range(1, 25), certify=True, progress=lambda done, total: calls.append((done, total)))
    assert all(r.certified for r in res)
    assert calls and calls[-1][0] == calls[-1][1] > 0
    assert all(a <= b for (a, _), (b, _) in zip(calls, calls[1:], strict=False))


def test_an_interrupt_during_certify_propagates_and_leaves_the_inputs_unchanged():
    p = demo_matrix(seed=4, questions=40, configs=7).train_rates()
    before = p.copy()
    calls = []

    def stop(done, total):
        calls.append(done)
        if len(calls) == 2:  # inside the proof search, after the enumeration pass
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        optimize_curve(p, range(1, 25), certify=True, progress=stop)
    assert len(calls) == 2 and np.array_equal(p, before)
    assert all(r.certified for r in optimize_curve(p, range(1, 25), certify=True))  # nothing cached or broken
