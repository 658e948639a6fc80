"""Ordered schedules, osca-stop, the (expected cost, pass) front and savings under early stopping."""

from __future__ import annotations

import json

import numpy as np
import pytest

from osca_core.data.synthetic import demo_matrix
from osca_core.model.results import score
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies import allocators as st
from osca_core.strategies.stopping_cost import best_order, expected_cost_train
from osca_core.strategies.stopping_plans import (
    OSCA_STOP,
    early_stop_savings,
    osca_stop,
    osca_stop_allocations,
    pareto,
    schedule_document,
    schedules,
    uniform_expected_cost,
)

KEYS = ["strategy", "budget", "allocation", "order", "test_pass", "expected_cost_test", "expected_cost_train",
        "cost_without_stopping", "order_exact"]


def test_schedule_rows_follow_the_cli_contract(swe):
    plans = schedules(swe, st.osca(swe, [1, 4, 16]) + st.best_pure(swe, [16]))
    doc = json.loads(json.dumps(schedule_document(swe, plans)))
    assert list(doc) == ["dataset", "results"] and doc["dataset"] == swe.name
    for row, a in zip(doc["results"], st.osca(swe, [1, 4, 16]) + st.best_pure(swe, [16]), strict=True):
        assert list(row) == KEYS
        assert len(row["order"]) == row["budget"] == sum(row["allocation"].values())
        assert row["allocation"] == a.allocation and row["test_pass"] == pytest.approx(a.test_pass)
        assert row["cost_without_stopping"] == row["budget"] and row["order_exact"] is True
        assert 1.0 <= row["expected_cost_test"] <= row["cost_without_stopping"]


def test_with_costs_the_expensive_configuration_moves_later():
    m = demo_matrix(questions=60, configs=4)
    a = st.osca(m, [6])[0]
    if sum(1 for k in a.counts if k) < 2:
        pytest.skip("plan uses one configuration")
    first = best_order(m.train_rates(), a.counts).order[0]
    cm = m.with_costs({m.config_names[first]: 50.0})
    r = schedules(cm, [a])[0]
    assert r.order[0] != first and r.cost_without_stopping == pytest.approx(cm.costs @ np.array(a.counts))


def test_osca_stop_meets_its_expected_cost_budget_and_beats_every_candidate_within_it():
    m = demo_matrix(questions=80, configs=5, samples=12)
    budgets = [1, 2, 3, 5, 8]
    got = osca_stop(m, budgets, max_samples=12)
    p = m.train_rates()
    cands = [r.counts for r in optimize_curve(p, list(range(1, 13)))]
    cands += [tuple(c if i == j else 0 for i in range(5)) for j in range(5) for c in range(1, 13)]
    costs = [best_order(p, k).expected_cost for k in cands]
    trains = [score(m, k)[0] for k in cands]
    for x, b in zip(got, budgets, strict=True):
        assert x.strategy == OSCA_STOP and x.budget == b
        assert x.expected_cost_train <= b + 1e-9
        assert x.expected_cost_train == pytest.approx(expected_cost_train(p, x.order))
        assert x.train_pass >= max(t for t, e in zip(trains, costs, strict=True) if e <= b + 1e-9) - 1e-12
        assert len(x.order) >= b
    allocs = osca_stop_allocations(m, budgets, max_samples=12)
    assert [a.test_pass for a in allocs] == [x.test_pass for x in got]


def test_pareto_front_matches_pairwise_dominance():
    m = demo_matrix(questions=40, configs=3)
    plans = schedules(m, st.osca(m, [1, 2, 4]) + st.even(m, [1, 2, 4]) + st.best_pure(m, [1, 2, 4]))
    front = pareto(plans)
    for i, a in enumerate(plans):
        dominated = any(b.expected_cost_test <= a.expected_cost_test and b.test_pass >= a.test_pass
                        and (b.expected_cost_test, b.test_pass) != (a.expected_cost_test, a.test_pass) for b in plans)
        assert front[i] == (not dominated)


def test_early_stop_savings_on_bigcodebench(bcb):
    budgets = list(range(1, 65))
    s = early_stop_savings(bcb, st.best_pure(bcb, budgets), st.osca(bcb, budgets), osca_stop(bcb, budgets))
    bp = schedules(bcb, st.best_pure(bcb, [64]))[0]
    assert s.target_pass == pytest.approx(bp.test_pass) and s.baseline_expected_cost == pytest.approx(
        bp.expected_cost_test)
    reach = [a.budget for a in st.osca(bcb, budgets) if a.test_pass >= s.target_pass]
    assert s.osca_budget == reach[0]
    assert s.osca_ratio == pytest.approx(s.baseline_expected_cost / s.osca_expected_cost)
    assert s.osca_ratio > 1.0 and not s.in_sample and not s.extrapolated
    assert set(s.as_dict()) >= {"osca_ratio", "osca_stop_ratio", "baseline_expected_cost"}


def test_osca_stop_equals_the_best_of_all_mixes_on_small_instances():
    """Against every mix of at most 8 samples (3 configurations), each with its exact best order: on these seeded
    instances osca-stop (candidates: OSCA and pure mixes) finds the best training pass within each budget."""
    from osca_core.model.estimators import plugin_objective
    from osca_core.optimize.curve import allocations

    for seed in (0, 1):
        m = demo_matrix(seed=seed, questions=60, configs=3, samples=8)
        p = m.train_rates()
        allk = np.vstack([allocations(3, c) for c in range(1, 9)])
        train = plugin_objective(p, allk)
        cost = np.array([best_order(p, k).expected_cost for k in allk])
        for x in osca_stop(m, [1, 2, 3, 4], max_samples=8):
            assert x.train_pass == pytest.approx(train[cost <= x.budget + 1e-9].max(), abs=1e-12)


def test_uniform_expected_cost_equals_the_average_over_every_assignment():
    from itertools import product

    from osca_core.strategies.stopping_cost import expected_costs

    rng = np.random.default_rng(9)
    for _ in range(5):
        n = rng.integers(2, 4, size=(3, 2))
        c = rng.integers(0, n + 1)
        costs = rng.uniform(0.5, 2.0, size=2)
        vals, extra = uniform_expected_cost(n, c, [1, 2, 3], costs)
        for b, v in zip([1, 2, 3], vals, strict=True):
            seqs = list(product(range(2), repeat=b))
            want = np.mean([expected_costs(n, c, list(sq), costs)[0] for sq in seqs], axis=0).mean()
            assert v == pytest.approx(want, abs=1e-12)
        assert not extra.any()
