"""Per-group allocation: quantile groups, the exact knapsack over group budgets (against all splits), plans."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.data.synthetic import demo_matrix
from osca_core.errors import InputError
from osca_core.strategies.allocators import osca
from osca_core.strategies.groups import (
    allocate_budgets,
    allocate_budgets_bruteforce,
    group_labels,
    group_plans,
)


def test_knapsack_equals_all_splits_of_the_budget():
    rng = np.random.default_rng(8)
    for _ in range(20):
        g = int(rng.integers(1, 4))
        w = rng.integers(1, 5, size=g)
        curves = [np.concatenate([[0.0], np.sort(rng.uniform(0, 1, size=int(rng.integers(2, 7))))]) for _ in range(g)]
        total = int(w.sum() * rng.integers(1, 5))
        got, val = allocate_budgets(w, curves, total)
        assert val == pytest.approx(allocate_budgets_bruteforce(w, curves, total), abs=1e-12)
        assert sum(int(a) * b for a, b in zip(w, got, strict=True)) <= total
        assert val == pytest.approx(sum(int(a) * c[b] for a, c, b in zip(w, curves, got, strict=True)))


def test_numeric_attribute_is_cut_into_quantile_bins_and_categorical_kept():
    m = demo_matrix(questions=80)
    lab = group_labels(m, "difficulty", bins=4)
    counts = sorted(lab.count(v) for v in set(lab))
    assert len(counts) == 4 and counts == [20, 20, 20, 20]
    assert set(group_labels(m, "topic")) == set(m.question_attrs["topic"])
    with pytest.raises(InputError, match="no question attribute 'nope'"):
        group_labels(m, "nope")


def test_small_groups_fall_back_to_the_global_mix():
    m = demo_matrix()
    plans = group_plans(m, "topic", [4, 8], min_group=10_000)
    for p, a in zip(plans, osca(m, [4, 8]), strict=True):
        assert all(not g.own_mix and g.counts == a.counts for g in p.groups)
        assert p.train_pass == pytest.approx(a.train_pass, abs=1e-12)
        assert p.test_pass == pytest.approx(a.test_pass, abs=1e-12)


def test_reallocation_respects_the_average_budget_and_does_not_lose_on_training():
    m = demo_matrix()
    fixed = group_plans(m, "topic", [4, 8, 16])
    moved = group_plans(m, "topic", [4, 8, 16], reallocate=True)
    for f, r in zip(fixed, moved, strict=True):
        assert r.reallocated and r.mean_budget_train <= r.budget + 1e-12
        assert r.train_pass >= f.train_pass - 1e-12  # equal budgets are one of the splits the knapsack sees
        assert all(g.own_mix for g in r.groups)
        assert sum(g.train_questions for g in r.groups) == int(m.train.sum())
        row = r.groups_as_dicts()[0]
        assert list(row) == ["value", "train_questions", "test_questions", "budget", "allocation"]
        assert isinstance(row["budget"], int) and sum(row["allocation"].values()) == row["budget"]
