"""Pruning before optimizing (osca_core.optimize.prune): the dominance proof checked by brute force (the optimum
over the undominated configurations is the optimum over all, at every budget), the bound rule checked against
every optimal allocation, and the optimizer's allocations unchanged by pruning."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.data.synthetic import demo_matrix
from osca_core.model.estimators import plugin_objective
from osca_core.model.objective import allocations, exhaustive
from osca_core.optimize import prune
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies import registry


def _with_dominated(rng: np.random.Generator, q: int, s: int, extra: int) -> np.ndarray:
    """Random rates p (q, s) plus ``extra`` columns each dominated by a random base column (rates scaled down,
    one an exact duplicate)."""
    p = rng.choice([0.0, 0.1, 0.3, 0.5, 0.8, 1.0], size=(q, s))
    cols = [p]
    for i in range(extra):
        base = p[:, rng.integers(s)]
        cols.append((base if i == 0 else base * rng.uniform(0.3, 1.0, size=q))[:, None])
    return np.hstack(cols)


@pytest.mark.parametrize("seed", range(6))
def test_the_optimum_over_undominated_configurations_is_the_optimum_over_all_by_brute_force(seed):
    rng = np.random.default_rng(seed)
    p = _with_dominated(rng, q=7, s=3, extra=3)
    dom = prune.dominated(p)
    assert dom[3:].all()  # every injected column is found dominated
    for budget in range(1, 7):
        _, full = exhaustive(p, budget)
        _, kept = exhaustive(p[:, ~dom], budget)
        assert kept == pytest.approx(full, abs=1e-15), budget


def test_dominance_with_costs_needs_the_dominating_configuration_no_costlier():
    p = np.array([[0.5, 0.4], [0.6, 0.2]])
    assert prune.dominated(p, np.array([1.0, 1.0])).tolist() == [False, True]
    assert prune.dominated(p, np.array([2.0, 1.0])).tolist() == [False, False]  # the better one costs more
    for budget in (2, 3, 4):
        costs = np.array([2.0, 1.0])
        _, full = exhaustive(p, budget, costs=costs)
        _, kept = exhaustive(p[:, ~prune.dominated(p, costs)], budget, costs=costs[~prune.dominated(p, costs)])
        assert kept == pytest.approx(full)


@pytest.mark.parametrize("seed", range(5))
def test_a_configuration_pruned_by_the_bound_is_in_no_optimal_allocation(seed):
    rng = np.random.default_rng(100 + seed)
    p = rng.beta(0.6, 1.4, size=(8, 5))
    p[:, 4] *= 0.05  # a weak configuration the bound can exclude
    budgets = [1, 2, 3, 4]
    objs, ubs = [], []
    for b in budgets:
        objs.append(exhaustive(p, b)[1])
        ubs.append(0.0 if b == 1 else exhaustive(p, b - 1)[1])  # the exact optimum is an upper bound
    pruned = prune.bound_pruned(p, budgets, objs, ubs, np.ones(5, bool))
    assert pruned.any()  # the instance exercises the rule
    for b, best in zip(budgets, objs, strict=True):
        ks = allocations(5, b)
        vals = plugin_objective(p, ks)
        optimal = ks[vals >= best - 1e-12]
        assert not optimal[:, pruned].any(), (b, optimal)


def test_the_report_counts_dominated_and_bound_pruned_configurations():
    rng = np.random.default_rng(7)
    p = _with_dominated(rng, q=30, s=6, extra=4)
    rep = prune.report(p, [1, 2, 3])
    assert rep.total == 10 and rep.dominated == int(prune.dominated(p).sum()) >= 4
    assert "dominated on every training question" in rep.note()


@pytest.mark.parametrize("seed", range(3))
def test_the_optimizer_allocations_are_unchanged_by_pruning(seed):
    """OSCA (which prunes dominated configurations) against the unpruned optimizer on the same rates, on a log
    with dominated copies added: same counts at every budget."""
    m = demo_matrix(seed=seed, questions=60, configs=30, samples=12)
    rng = np.random.default_rng(seed)
    n, c = m.n.copy(), m.c.copy()
    idx = rng.choice(30, size=6, replace=False)
    c2 = np.minimum(c[:, idx], rng.binomial(c[:, idx], 0.7))  # never above the original: dominated
    import dataclasses

    from osca_core.model.outcomes import ConfigInfo
    extra = tuple(ConfigInfo(f"copy{i}_{m.configs[j].name}", "copy", 0.5, str(i)) for i, j in enumerate(idx))
    wide = dataclasses.replace(m, configs=m.configs + extra, n=np.hstack([n, n[:, idx]]), c=np.hstack([c, c2]),
                               imputed=None, checksum="")
    p = wide.train_rates()
    assert prune.dominated(p)[30:].all()
    budgets = list(range(1, 13))
    got = registry.allocate(wide, "osca", budgets)
    want = optimize_curve(p, budgets)
    for a, r in zip(got, want, strict=True):
        assert a.counts == r.counts, a.budget
        assert a.train_pass == pytest.approx(r.objective, abs=1e-12)
