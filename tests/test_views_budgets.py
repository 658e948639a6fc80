"""Budget grids, default ranges, limits and the log-axis default (osca_core.present.views.budgets)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.present.views import budgets


def test_budget_grid_small_range_is_every_integer():
    assert budgets.budget_grid(3, 20) == list(range(3, 21))


@pytest.mark.parametrize("lo,hi", [(1, 300), (5, 512), (1, 65), (17, 1000)])
def test_budget_grid_large_range_keeps_ends_and_powers_of_two(lo, hi):
    g = budgets.budget_grid(lo, hi, max_points=40)
    assert g == sorted(set(g)) and g[0] == lo and g[-1] == hi
    assert all(lo <= b <= hi for b in g)
    assert {2 ** i for i in range(11) if lo <= 2 ** i <= hi} <= set(g)
    assert len(g) <= 40 + 11


def test_budget_grid_rejects_an_empty_range():
    with pytest.raises(InputError):
        budgets.budget_grid(5, 4)


def test_default_budget_range_stops_at_the_logged_samples(swe, bcb):
    assert budgets.default_budget_range(swe) == (1, 16)
    assert budgets.default_budget_range(bcb) == (1, 300)
    assert budgets.budget_limit(swe) == 64


def test_default_budget_range_runs_to_the_largest_n_when_configurations_logged_unequal_n():
    """n = 1, 3 and 10 in one dataset: the view opens on 1..10 (not 1..1, the smallest n); a configuration's
    imputed cells do not count as logged samples, and the cap still holds."""
    q = 6
    n = np.column_stack([np.full(q, 1), np.full(q, 3), np.full(q, 10)])
    m = OutcomeMatrix(name="unequal", question_ids=tuple(f"q{i}" for i in range(q)),
                      configs=tuple(parse_config_name(x) for x in ("big_0.8", "mid_0.5", "cheap_0.2")),
                      n=n, c=n // 2, train=np.ones(q, bool), test=np.ones(q, bool))
    assert budgets.default_budget_range(m) == (1, 10)
    assert budgets.default_budget_range(m, cap=4) == (1, 4)
    imputed = np.zeros(n.shape, bool)
    imputed[:, 2] = True  # the n = 10 column stands for prior means only: 1..3
    assert budgets.default_budget_range(dataclasses.replace(m, imputed=imputed)) == (1, 3)
    # with costs the budget is in cost units: n_max samples of the cheapest configuration
    names = m.config_names
    assert budgets.default_budget_range(m.with_costs(dict(zip(names, (4.0, 2.0, 0.5), strict=True)))) == (1, 5)
    assert budgets.default_budget_range(m.with_costs(dict(zip(names, (0.01, 0.005, 0.002), strict=True)))) == (1, 1)


def test_budget_axis_starts_logarithmic_above_32(swe, bcb):
    assert [budgets.log_axis_default(t) for t in (1, 16, 32, 33, 300)] == [False, False, False, True, True]
    assert not budgets.log_axis_default(budgets.default_budget_range(swe)[1])  # 1..16
    assert budgets.log_axis_default(budgets.default_budget_range(bcb)[1])  # 1..300
