"""osca_core.optimize.certify: the upper bounds hold for any allocation, the MILP and the branch and bound prove the exhaustive
optimum (``objective.exhaustive``, the brute-force twin) from any start, also on trap instances where the paper's
hill climbing stops in a local optimum, and a stopped proof still reports a valid (uncertified) bound."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from ratekit import random_rates

from osca_core.data.synthetic import demo_matrix, specialist_rates
from osca_core.model.estimators import plugin_objective
from osca_core.model.objective import allocations, build_model, exhaustive
from osca_core.optimize.certify import (
    HEAD_ROWS,
    PRUNE_TOL,
    _undominated_all_pairs,
    certify_budget,
    certify_budgets,
    undominated,
    upper_bounds,
)
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies.allocators import hillclimb_counts

TOL = 1e-12


# -- upper bounds and certificates --------------------------------------------------------------------------------

def test_upper_bounds_hold_for_any_allocation():
    rng = np.random.default_rng(11)
    for _ in range(30):
        p = random_rates(rng)
        m = build_model(p)
        for c in range(1, 6):
            best = exhaustive(p, c)[1]
            ks = allocations(p.shape[1], c)[: 8]  # any allocation, good or bad, gives a valid bound
            for it in (0, 3):
                assert (upper_bounds(m, [c] * len(ks), ks, iterations=it) >= best - TOL).all()


def assert_certificate(cert, p, budget, costs=None) -> None:
    """A certificate: the bound holds, the allocation is feasible and scores what it says, within 1e-6 of the
    bound (HiGHS accepts rows violated by up to 1e-6, so 1e-6 is the proof's resolution)."""
    k_ex, best = exhaustive(p, budget, costs=costs)
    k = np.array(cert.counts)
    assert cert.certified
    assert cert.upper_bound >= best - TOL
    assert cert.objective == pytest.approx(float(plugin_objective(p, k)), abs=TOL)
    assert cert.upper_bound - cert.objective <= 1e-6
    assert (k.sum() == budget) if costs is None else (k @ costs <= budget + 1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_certify_milp_proves_the_optimum_from_the_worst_start(seed):
    """The MILP path (enumeration disabled), started from the worst allocation, improves it and proves the bound."""
    rng = np.random.default_rng(200 + seed)
    for i in range(8):
        p = random_rates(rng) if i % 2 else specialist_rates(seed=seed * 10 + i, clusters=3)
        for c in (2, 4, 6):
            ks = allocations(p.shape[1], c)
            vals = plugin_objective(p, ks)
            cert = certify_budget(p, c, ks[int(np.argmin(vals))], enumerate_limit=0)
            assert_certificate(cert, p, c)
            if vals.max() - vals.min() > 1e-6:
                assert cert.rounds >= 1 and cert.objective > vals.min()


def test_certify_with_costs():
    rng = np.random.default_rng(3)
    for _ in range(10):
        p = random_rates(rng)
        costs = rng.choice([0.5, 1.0, 2.0, 3.0], p.shape[1])
        for c in (2, 5):
            assert_certificate(certify_budget(p, c, None, costs=costs, enumerate_limit=0), p, c, costs)
            assert_certificate(certify_budget(p, c, None, costs=costs), p, c, costs)  # enumeration path


@pytest.mark.parametrize("seed", range(2))
def test_optimize_curve_certify_returns_the_exhaustive_optimum(seed):
    rng = np.random.default_rng(300 + seed)
    for i in range(10):
        p = random_rates(rng) if i % 2 else specialist_rates(seed=seed * 10 + i, clusters=2 + i % 3)
        for r in optimize_curve(p, range(1, 6), certify=True):
            assert r.certified and r.upper_bound - r.objective <= 1e-6
            assert r.objective == pytest.approx(exhaustive(p, r.budget)[1], abs=TOL)


def test_optimize_curve_certify_on_a_demo_matrix():
    p = demo_matrix(seed=4, questions=40, configs=7).train_rates()
    res = optimize_curve(p, [1, 3, 9, 20], certify=True)
    for r in res:
        assert r.certified and r.upper_bound - r.objective <= 1e-6
        if comb(r.budget + 6, 6) <= 20_000:
            assert r.objective == pytest.approx(exhaustive(p, r.budget)[1], abs=TOL)


def test_dominated_configurations_are_detected():
    p = np.array([[0.2, 0.3, 0.2, 0.1], [0.5, 0.5, 0.5, 0.6]])
    assert undominated(p, np.ones(4)).tolist() == [False, True, False, True]  # 0 and 2 <= 1; 2 duplicates 0
    assert undominated(p, np.array([1.0, 2.0, 1.0, 1.0])).tolist() == [True, True, False, True]



def test_two_pass_dominance_gives_the_all_pairs_mask_with_ties_duplicates_and_costs():
    """The head-rows first pass only skips pairs that fail on every row: same mask as the definition, on coarse
    rates (many ties, duplicated columns, columns equal on the head rows only) with and without costs."""
    pruned_some = 0
    for seed in range(60):
        rng = np.random.default_rng(seed)
        q, s = int(rng.integers(1, 2 * HEAD_ROWS + 5)), int(rng.integers(1, 25))
        p = rng.integers(0, 3, size=(q, s)) / 2.0
        base = p[:, rng.integers(0, s, size=s)]  # duplicated columns ...
        p = np.where(rng.random((q, s)) < 0.9, base, p)  # ... and near-duplicates, some differing past the head
        costs = np.ones(s) if seed % 2 else rng.integers(1, 3, size=s).astype(float)
        want = _undominated_all_pairs(p, costs)
        assert undominated(p, costs).tolist() == want.tolist(), seed
        pruned_some += int((~want).any() and want.any())
    assert pruned_some >= 20  # the instances do exercise dominance


# -- branch and bound (certify_budgets) ---------------------------------------------------------------------------

def _worst(p, c, costs=None):
    ks = allocations(p.shape[1], c, costs)
    return ks[int(np.argmin(plugin_objective(p, ks)))]


@pytest.mark.parametrize("seed", range(3))
def test_branch_and_bound_proves_the_exhaustive_optimum_from_the_worst_start(seed):
    rng = np.random.default_rng(400 + seed)
    for i in range(12):
        p = random_rates(rng) if i % 2 else specialist_rates(seed=seed * 10 + i, clusters=2 + i % 3)
        budgets = [1, 2, 3, 5, 7]
        starts = np.array([_worst(p, c) for c in budgets])
        for c, cert in zip(budgets, certify_budgets(build_model(p), budgets, starts), strict=True):
            assert_certificate(cert, p, c)
            assert cert.upper_bound - cert.objective <= PRUNE_TOL + TOL


def test_branch_and_bound_with_costs_proves_the_exhaustive_optimum():
    rng = np.random.default_rng(5)
    for _ in range(15):
        p = random_rates(rng)
        costs = rng.choice([0.5, 1.0, 2.0, 3.0], p.shape[1])
        budgets = [2, 3, 5]
        starts = np.zeros((3, p.shape[1]), np.int64)  # the empty allocation: feasible, as bad as it gets
        for c, cert in zip(budgets, certify_budgets(build_model(p, costs), budgets, starts), strict=True):
            k_ex, best = exhaustive(p, c, costs=costs)
            assert cert.certified and cert.objective == pytest.approx(best, abs=TOL)
            assert np.array(cert.counts) @ costs <= c + 1e-9 and cert.upper_bound >= best - TOL


@pytest.mark.parametrize(("seed", "clusters"), [(0, 2), (1, 3), (0, 4), (4, 3), (6, 4), (7, 2)])
def test_trap_where_hill_climbing_stops_in_a_local_optimum_is_solved_exactly(seed, clusters):
    """Complementary specialists plus a generalist: from the generalist every single-sample move loses, so the
    paper's hill climbing stops there; started from that local optimum the proof finds and proves the optimum."""
    p = specialist_rates(seed=seed, clusters=clusters, per_cluster=2, generalists=1, generalist=(0.45, 0.55),
                         specialist=(0.85, 0.95), leak=0.0, noise=0.0)
    c = clusters
    k_ex, best = exhaustive(p, c)
    stuck = [k for s in range(30) if plugin_objective(p, k := hillclimb_counts(p, c, seed=s)) < best - 0.01]
    assert stuck, "hill climbing should stop in the generalist local optimum from some start"
    (cert,) = certify_budgets(build_model(p), [c], np.array([stuck[0]]))
    assert_certificate(cert, p, c)
    assert cert.objective > float(plugin_objective(p, stuck[0])) + 0.01
    assert sorted(cert.counts) == sorted(k_ex.tolist())


def test_a_stopped_proof_reports_a_valid_bound_and_progress():
    p = specialist_rates(seed=3, clusters=4, per_cluster=3, generalists=2)
    c = 6
    _, best = exhaustive(p, c)
    calls = []
    (cert,) = certify_budgets(build_model(p), [c], np.array([_worst(p, c)]), max_nodes=1,
                              progress=lambda done, total: calls.append((done, total)))
    assert cert.upper_bound >= best - TOL and cert.upper_bound >= cert.objective
    assert not cert.certified  # one box cannot close this gap: reported, never claimed
    full = certify_budgets(build_model(p), [c], np.array([_worst(p, c)]),
                           progress=lambda done, total: calls.append((done, total)))[0]
    assert full.certified and full.objective == pytest.approx(best, abs=TOL)
    assert calls[0] == (0, 1) and calls[-1] == (1, 1)
