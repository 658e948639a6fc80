"""Result types carry their own JSON/row forms (``Allocation.as_dict``, ``Curve.rows``), the one text form of an
allocation, and scores that are exactly what the counts give."""

from __future__ import annotations

import json

import numpy as np
import pytest

from osca_core.errors import InputError
from osca_core.model.budgets import check_budgets
from osca_core.model.objective import CERTIFY_TOL
from osca_core.model.results import (
    ALLOCATION_GLYPH,
    Allocation,
    Curve,
    allocation_items,
    allocation_text,
    is_certified,
    make_allocation,
    score,
)
from osca_core.strategies import registry

OPTIMIZE_KEYS = ["budget", "allocation", "train_pass", "test_pass", "upper_bound", "certified", "extrapolated", "cost"]
CURVE_KEYS = ["strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated"]


def test_allocation_as_dict_is_the_optimize_json_row_and_cost_is_sum_of_cost_times_k(bcb):
    m = bcb.with_costs({bcb.config_names[0]: 0.37, bcb.config_names[1]: 2.5})
    (a,) = registry.allocate(m, "even", [7])
    d = a.as_dict()
    assert list(d) == OPTIMIZE_KEYS
    assert d["cost"] == pytest.approx(sum(float(c) * k for c, k in zip(m.costs, a.counts, strict=True)), abs=1e-12)
    assert d["budget"] == 7 and sum(d["allocation"].values()) == 7
    assert (d["train_pass"], d["test_pass"], d["extrapolated"]) == score(m, a.counts)
    assert a.as_dict(costs=np.ones(len(m.configs)))["cost"] == 7.0
    json.dumps(d, allow_nan=False)


def test_allocation_as_dict_without_a_cost_needs_the_costs():
    a = Allocation("x", 2, ("a", "b"), (1, 1), 0.5, 0.4, False)
    with pytest.raises(ValueError):
        a.as_dict()
    assert a.as_dict(costs=[2.0, 3.0])["cost"] == 5.0


def test_curve_rows_are_the_curves_json_rows_with_and_without_an_interval():
    cv = Curve("osca", (1, 2), (0.1, 0.2), (False, True))
    assert cv.rows() == [
        {"strategy": "osca", "budget": 1, "pass": 0.1, "ci_low": None, "ci_high": None, "extrapolated": False},
        {"strategy": "osca", "budget": 2, "pass": 0.2, "ci_low": None, "ci_high": None, "extrapolated": True}]
    band = Curve("osca", (1,), (0.5,), (False,), (0.4,), (0.6,))
    assert [list(r) for r in band.rows()] == [CURVE_KEYS] and band.rows()[0]["ci_high"] == 0.6


def test_allocation_text_has_one_glyph_largest_first_then_by_name():
    assert allocation_text({"b": 1, "a": 3, "c": 1, "z": 0}) == f"a {ALLOCATION_GLYPH}3, b {ALLOCATION_GLYPH}1, c {ALLOCATION_GLYPH}1"
    assert allocation_text({}) == "-" and allocation_items({"x": 0}) == []
    a = Allocation("x", 3, ("p", "q"), (1, 2), 0.0, 0.0, False)
    assert a.text == f"q {ALLOCATION_GLYPH}2, p {ALLOCATION_GLYPH}1"


def test_certified_uses_the_objective_tolerance(swe):
    assert is_certified(0.5 + CERTIFY_TOL / 2, 0.5) and not is_certified(0.5 + 2 * CERTIFY_TOL, 0.5)
    assert not is_certified(None, 0.5)
    counts = [0] * len(swe.configs)
    counts[0] = 3
    train = score(swe, counts)[0]
    assert make_allocation(swe, "x", counts, upper_bound=train + CERTIFY_TOL / 2).certified
    assert not make_allocation(swe, "x", counts, upper_bound=train + 3 * CERTIFY_TOL).certified


def test_budgets_are_checked_once_as_a_user_mistake():
    assert check_budgets((3, 1)) == [3, 1]
    for bad in ([], [0], [2, -1]):
        with pytest.raises(InputError):
            check_budgets(bad)



def test_make_allocation_beyond_n_is_flagged_and_scored_with_the_training_prior():
    from test_extrapolation import mixed_matrix

    from osca_core.model.extrapolation import eval_pass, priors, train_pass

    m = mixed_matrix(15)
    a = make_allocation(m, "x", (2, 0, 1))
    assert a.extrapolated and not a.certified
    assert a.test_pass == eval_pass(*m.test_counts(), (2, 0, 1), priors(m))[0]
    assert a.train_pass == train_pass(*m.train_counts(), (2, 0, 1), priors(m))
    assert not make_allocation(m, "x", (1, 3, 10)).extrapolated


@pytest.mark.parametrize("samples", [3, 40])  # beyond n (Beta-binomial terms) and within n
def test_a_pure_allocation_scored_on_its_column_equals_the_whole_matrix_scoring_bit_for_bit(samples):
    """``score`` takes a one-configuration allocation's column alone (a wide report scores S pures x B budgets);
    the numbers are those of the whole-matrix path, float for float, within and beyond n."""
    from osca_core.data.synthetic import demo_matrix
    from osca_core.model.extrapolation import eval_pass, lazy_prior, train_pass
    from osca_core.model.results import score

    m = demo_matrix(seed=7, questions=60, configs=9, samples=samples)
    prior = lazy_prior(m)
    for s in range(m.shape[1]):
        for budget in (1, 2, 5, 17):
            k = np.zeros(m.shape[1], dtype=np.int64)
            k[s] = budget
            whole = (train_pass(*m.train_counts(), k, prior), *eval_pass(*m.test_counts(), k, prior))
            assert score(m, k) == whole, (s, budget)
