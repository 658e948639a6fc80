"""Strategies reproduce the paper's curves from its released logs, and agree with simple reference twins."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from osca_core.model.estimators import plugin_objective
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.strategies import allocators as S
from osca_core.strategies import registry

# -- reference twins: the paper's own formulas, written with Python integers and loops -------------------------

def paper_train(m: OutcomeMatrix, alloc: dict[str, int]) -> float:
    """calculate_expected_train of the paper's osca.py: plug-in rates on training questions."""
    idx = {x: i for i, x in enumerate(m.config_names)}
    n, c = m.train_counts()
    tot = 0.0
    for q in range(n.shape[0]):
        fail = 1.0
        for name, k in alloc.items():
            fail *= (1 - c[q, idx[name]] / n[q, idx[name]]) ** k
        tot += 1 - fail
    return tot / n.shape[0]


def paper_test(m: OutcomeMatrix, alloc: dict[str, int]) -> float:
    """calculate_expected_test with exact binomials (k <= n)."""
    idx = {x: i for i, x in enumerate(m.config_names)}
    n, c = m.test_counts()
    tot = 0.0
    for q in range(n.shape[0]):
        fail = 1.0
        for name, k in alloc.items():
            nn, cc = int(n[q, idx[name]]), int(c[q, idx[name]])
            fail *= math.comb(nn - cc, k) / math.comb(nn, k)
        tot += 1 - fail
    return tot / n.shape[0]


def tiny_matrix(rng: np.random.Generator, q: int, s: int, n: int = 6) -> OutcomeMatrix:
    c = rng.integers(0, n + 1, size=(q, s))
    c[rng.random((q, s)) < 0.3] = 0
    return OutcomeMatrix(
        name="tiny", question_ids=tuple(f"q{i}" for i in range(q)),
        configs=tuple(ConfigInfo(f"m{j}_0.5", f"m{j}", 0.5, "") for j in range(s)),
        n=np.full((q, s), n), c=c, train=np.ones(q, bool), test=np.ones(q, bool),
    )


# -- golden values ---------------------------------------------------------------------------------------------

def test_pure_pass_at_10_equals_paper_swebench(swe, golden):
    for name, want in golden.swe_pure_at10.items():
        (a,) = S.pure(swe, name, [10])
        assert a.test_pass == pytest.approx(want, abs=1e-9), name


def test_pure_pass_at_17_equals_paper_bigcodebench(bcb, golden):
    for name, want in golden.bcb_pure_at17.items():
        (a,) = S.pure(bcb, name, [17])
        assert a.test_pass == pytest.approx(want, abs=1e-9), name


def test_exact_uniform_is_within_monte_carlo_error_of_the_notebook(swe, golden):
    vals, extra = S.uniform_expected(*swe.test_counts(), range(1, 17))
    assert not extra.any()
    for c, v in zip(range(1, 17), vals, strict=True):
        assert abs(v - golden.swe_uniform_mc[c]) <= 0.003, c


@pytest.mark.parametrize("dataset", ["swe", "bcb"])
def test_osca_and_hillclimb_reach_the_paper_or_beat_its_training_objective(dataset, request, golden):
    m = request.getfixturevalue(dataset)
    paper = golden.swe_allocations if dataset == "swe" else golden.bcb_allocations
    budgets = [a.budget for a in paper]
    osca = S.osca(m, budgets)
    hill = S.hillclimb(m, budgets, seed=0)
    for ref, o, h in zip(paper, osca, hill, strict=True):
        ref_train = paper_train(m, ref.counts)
        assert ref_train == pytest.approx(ref.train, abs=5e-7)  # the script's printed training value
        for a in (o, h):
            if abs(a.test_pass - ref.test) > 1e-6:
                assert a.train_pass > ref_train + 1e-12, (a.strategy, ref.budget)
        assert o.train_pass >= h.train_pass - 1e-12, ref.budget


def test_osca_test_values_equal_paper_curve_on_swebench(swe, golden):
    got = [a.test_pass for a in S.osca(swe, range(1, 17))]
    assert got == pytest.approx([golden.swe_osca[c] for c in range(1, 17)], abs=6e-6)


def test_reported_numbers_are_exactly_what_the_allocation_scores(swe, bcb):
    for m, budgets in ((swe, [1, 5, 16]), (bcb, [2, 17, 128])):
        for strat in ("osca", "hillclimb", "best-pure", "even", f"pure:{m.config_names[3]}"):
            for a in registry.allocate(m, strat, budgets):
                assert sum(a.allocation.values()) == a.budget
                assert a.train_pass == pytest.approx(paper_train(m, a.allocation), abs=1e-9)
                assert a.test_pass == pytest.approx(paper_test(m, a.allocation), abs=1e-9)


def test_swebench_release_is_in_sample_and_bigcodebench_is_not(swe, bcb):
    assert swe.in_sample and swe.shape == (300, 22)
    assert not bcb.in_sample and bcb.shape == (148, 10)
    assert int(bcb.train.sum()) == 70 and int(bcb.test.sum()) == 78 and not (bcb.train & bcb.test).any()


# -- strategies against brute force -----------------------------------------------------------------------------

def test_exact_uniform_equals_enumeration_of_every_assignment():
    rng = np.random.default_rng(5)
    m = tiny_matrix(rng, q=7, s=3, n=5)
    n, c = m.test_counts()
    vals, _ = S.uniform_expected(n, c, [1, 2, 3, 4, 5])
    for C, v in zip([1, 2, 3, 4, 5], vals, strict=True):
        tot = []
        for picks in itertools.product(range(3), repeat=C):
            k = np.bincount(picks, minlength=3)
            tot.append(paper_test(m, {m.config_names[j]: int(k[j]) for j in range(3) if k[j]}))
        assert v == pytest.approx(np.mean(tot), abs=1e-12), C


def test_uniform_beyond_n_is_flagged_extrapolated():
    """Array form without a prior (the legacy plug-in beyond n): the flag; the matrix-level rule is tested below."""
    m = tiny_matrix(np.random.default_rng(1), q=4, s=2, n=3)
    _, extra = S.uniform_expected(*m.test_counts(), [3, 4])
    assert extra.tolist() == [False, True]


def test_best_pure_is_chosen_on_training_questions_only(bcb):
    # best-pure must not change when the test counts change
    rng = np.random.default_rng(0)
    c = bcb.c.copy()
    c[bcb.test] = rng.integers(0, 301, size=c[bcb.test].shape)
    shuffled = bcb.with_counts(bcb.n, c)
    for a, b in zip(S.best_pure(bcb, [1, 17, 200]), S.best_pure(shuffled, [1, 17, 200]), strict=True):
        assert a.allocation == b.allocation
        best = max(bcb.config_names, key=lambda x: paper_train(bcb, {x: a.budget}))
        assert a.allocation == {best: a.budget}


def test_even_splits_as_evenly_as_possible(bcb):
    for a in S.even(bcb, [3, 10, 25]):
        counts = np.array(a.counts)
        assert counts.sum() == a.budget and counts.max() - counts.min() <= 1


def paper_hillclimb(p: np.ndarray, picks: list[int]) -> list[int]:
    """optimize_strategy of the paper's osca.py, transliterated (first improvement, strict >)."""
    def obj(strategy):
        k = np.bincount(strategy, minlength=p.shape[1])
        return float(plugin_objective(p, k))
    strategy = list(picks)
    improved = True
    while improved:
        improved = False
        for i in range(len(strategy)):
            best = obj(strategy)
            for s in range(p.shape[1]):
                if s != strategy[i]:
                    t = strategy[i]
                    strategy[i] = s
                    new = obj(strategy)
                    if new <= best:
                        strategy[i] = t
                    else:
                        best, improved = new, True
    return strategy


@pytest.mark.parametrize("seed", range(12))
def test_hillclimb_follows_the_paper_algorithm_step_for_step(seed):
    rng = np.random.default_rng(seed)
    m = tiny_matrix(rng, q=9, s=4, n=8)
    p = m.train_rates()
    for budget in (1, 3, 6):
        picks = np.random.default_rng([seed, budget]).integers(0, 4, size=budget)
        want = np.bincount(paper_hillclimb(p, picks.tolist()), minlength=4)
        got = S.hillclimb_counts(p, budget, seed=seed)
        assert got.tolist() == want.tolist()


def test_hillclimb_is_deterministic_for_a_seed(bcb):
    a = [x.counts for x in S.hillclimb(bcb, [5, 40], seed=3)]
    b = [x.counts for x in S.hillclimb(bcb, [5, 40], seed=3)]
    assert a == b


def test_osca_is_never_below_hillclimb_on_small_random_instances():
    for seed in range(20):
        m = tiny_matrix(np.random.default_rng(100 + seed), q=12, s=5)
        for o, h in zip(S.osca(m, [1, 2, 4, 7]), S.hillclimb(m, [1, 2, 4, 7], seed=seed), strict=True):
            assert o.train_pass >= h.train_pass - 1e-12


# -- budgets beyond n -------------------------------------------------------------------------------------------

def test_osca_dispatches_to_the_exact_optimizer_only_beyond_training_n():
    from test_extrapolation import mixed_matrix

    m = mixed_matrix(11)
    within = S.osca(m.select_configs(["cfg2"]), [4, 10])  # n = 10 >= budgets: fast certified path
    assert all(a.upper_bound is not None for a in within)
    beyond = S.osca(m, [2, 5])  # n = 1 and 3 < budgets
    assert all(a.upper_bound is None and not a.certified for a in beyond)
    assert [a.train_pass for a in beyond] == [S.score(m, a.counts)[0] for a in beyond]


def test_uniform_curve_uses_the_training_prior_beyond_n():
    from test_extrapolation import mixed_matrix

    from osca_core.model.extrapolation import priors
    from osca_core.strategies import registry

    m = mixed_matrix(12)
    cv = registry.evaluate(m, "uniform", [1, 4])
    vals, extra = S.uniform_expected(*m.test_counts(), [1, 4], prior=priors(m))
    assert cv.values == tuple(map(float, vals)) and cv.extrapolated == (False, True)
