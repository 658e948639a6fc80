"""osca_core.optimize.exchange and osca_core.optimize.beam: the batched exchange check clears an allocation only when brute force
finds no improving one- or two-sample exchange, it flags the complementary-specialist trap, and the batched sweep
(``BeamSearch.sweep``) returns exactly the allocations of the budget-by-budget ``BeamSearch.step``."""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np
import pytest

from osca_core.data.synthetic import demo_matrix, specialist_rates
from osca_core.model.estimators import plugin_objective
from osca_core.model.objective import IMPROVE_TOL, allocations, build_model
from osca_core.optimize.beam import BeamSearch, SearchOptions
from osca_core.optimize.exchange import exchange_free, removal_sets


def _search_rows(p: np.ndarray):
    m = build_model(p)
    srch = BeamSearch(m, SearchOptions())
    return m, srch


def _improvable(p: np.ndarray, k: np.ndarray) -> bool:
    """Brute force: some exchange (remove up to two samples, add up to two, total unchanged) raises F by more than
    IMPROVE_TOL."""
    base = float(plugin_objective(p, k))
    s = p.shape[1]
    sup = [a for a in range(s) if k[a] > 0]
    outs = [(a,) for a in sup] + [r for r in combinations_with_replacement(sup, 2) if all(k[a] >= r.count(a) for a in r)]
    for r in outs:
        for add in combinations_with_replacement(range(s), len(r)):
            t = k.copy()
            for a in r:
                t[a] -= 1
            for b in add:
                t[b] += 1
            if float(plugin_objective(p, t)) - base > IMPROVE_TOL:
                return True
    return False


@pytest.mark.parametrize("seed", range(3))
def test_cleared_allocations_have_no_improving_exchange_and_flagged_ones_mostly_do(seed):
    rng = np.random.default_rng(seed)
    cleared = flagged_real = 0
    for _ in range(25):
        q, s = int(rng.integers(2, 8)), int(rng.integers(2, 5))
        p = rng.integers(0, 5, (q, s)) / 4 if rng.random() < 0.4 else rng.beta(0.4, 0.4, (q, s))
        m, srch = _search_rows(p)
        budget = int(rng.integers(1, 6))
        K = allocations(s, budget)
        Y = K @ srch.LT
        free = exchange_free(K, Y, srch.LTp, m.w, m.F1, m.qtot, IMPROVE_TOL)
        for k, ok in zip(K, free, strict=True):
            real = _improvable(p, k)
            if ok:
                cleared += 1
                assert not real, (p.tolist(), k.tolist())
            flagged_real += (not ok) and real
    assert cleared > 0 and flagged_real > 0


def test_the_specialist_trap_is_flagged_and_the_optimum_is_cleared():
    p = specialist_rates(seed=1, clusters=2, per_cluster=2, generalists=1, generalist=(0.45, 0.55),
                         specialist=(0.85, 0.95), leak=0.0, noise=0.0)
    m, srch = _search_rows(p)
    gen = int(np.argmax((p > 0).all(axis=0)))  # the generalist solves a little everywhere
    trap = np.zeros(p.shape[1], np.int64)
    trap[gen] = 2
    best = np.array([0 if j == gen else 1 for j in range(p.shape[1])])
    K = np.array([trap, best])
    free = exchange_free(K, K @ srch.LT, srch.LTp, m.w, m.F1, m.qtot, IMPROVE_TOL)
    assert free.tolist() == [False, True]


def test_removal_sets_list_each_support_member_and_each_pair_once():
    K = np.array([[2, 0, 1], [0, 1, 0]])
    b, a, a2 = removal_sets(K)
    sets = sorted(zip(b.tolist(), a.tolist(), a2.tolist(), strict=True))
    assert sets == sorted([(0, 0, 3), (0, 2, 3), (0, 0, 0), (0, 0, 2), (1, 1, 3)])


@pytest.mark.parametrize("case", range(6))
def test_batched_sweep_equals_budget_by_budget_steps(case):
    rng = np.random.default_rng(40 + case)
    if case < 3:
        p = demo_matrix(seed=case, questions=150, configs=6 + 4 * case).train_rates()
    elif case < 5:
        p = specialist_rates(seed=case, clusters=case, per_cluster=2, generalists=1, generalist=(0.45, 0.55),
                             specialist=(0.93, 0.97), leak=0.0, noise=0.0)
    else:
        p = rng.integers(0, 5, (12, 5)) / 4
    last = 60
    m = build_model(p)
    with np.errstate(under="ignore"):
        batched = BeamSearch(m, SearchOptions()).sweep(last)
        one = BeamSearch(m, SearchOptions())
        steps = np.array([one.step(float(b)) for b in range(1, last + 1)])
    assert np.array_equal(batched, steps)
    assert (batched.sum(axis=1) == np.arange(1, last + 1)).all()
