"""One home per concept (issue 25, item 2): the registry's per-question, expected-cost and plan hooks (no caller
branches on a strategy's name), one Savings result, one interval type, one rule for the savings budgets and one
path for the curve on a log's own split.

The savings golden (``tests/golden/savings_layouts.json``) was written by the code before the merge of
``experiments.Savings`` and ``paired.BootstrapSavings`` (commit 7bfac15) on the synthetic :func:`toy` log.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from osca_core.analysis import bootstrap as bs
from osca_core.analysis import experiments as ex
from osca_core.analysis import paired, savings_result
from osca_core.analysis import study as sdy
from osca_core.errors import InputError
from osca_core.model.extrapolation import lazy_prior
from osca_core.model.intervals import Interval, percentile_interval
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.present import report_content
from osca_core.strategies import oracle as orc
from osca_core.strategies import registry, stopping_plans

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "savings_layouts.json"
DISPATCH_NAMES = {"uniform", "oracle", "osca-stop"}
DISPATCH_CONSTANTS = {"ORACLE", "OSCA_STOP"}


def toy() -> OutcomeMatrix:
    rng = np.random.default_rng(7)
    c = rng.integers(0, 7, size=(16, 3))
    return OutcomeMatrix(name="toy", question_ids=tuple(f"q{i}" for i in range(16)),
                         configs=tuple(parse_config_name(x) for x in ("A_0.2", "A_0.8", "B_0.2")),
                         n=np.full((16, 3), 6), c=c, train=np.arange(16) < 8, test=np.arange(16) >= 8)


def every_strategy(m: OutcomeMatrix) -> list[str]:
    return [f"pure:{m.config_names[0]}", *registry.names()]


@pytest.fixture(params=["bcb", "swe"])
def log(request) -> OutcomeMatrix:
    return request.getfixturevalue(request.param)


# -- no dispatch on strategy names outside strategies/ -----------------------------------------------------------

def name_dispatches(source: str) -> list[int]:
    """Lines comparing something to a strategy-name literal ("uniform", "oracle", "osca-stop") or to the
    ORACLE / OSCA_STOP constants (==, !=, in, not in; also inside tuples, lists and sets)."""
    def named(node: ast.AST) -> bool:
        if isinstance(node, ast.Constant) and node.value in DISPATCH_NAMES:
            return True
        if isinstance(node, ast.Attribute | ast.Name):
            return (node.attr if isinstance(node, ast.Attribute) else node.id) in DISPATCH_CONSTANTS
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(named(e) for e in node.elts)
        return False

    hits = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(isinstance(o, ast.Eq | ast.NotEq | ast.In | ast.NotIn)
                                                 for o in node.ops):
            if any(named(x) for x in [node.left, *node.comparators]):
                hits.append(node.lineno)
    return hits


def test_the_name_dispatch_detector_flags_comparisons_and_ignores_plain_uses():
    assert name_dispatches('if s == "uniform":\n    pass') == [1]
    assert name_dispatches('x = s != orc.ORACLE') == [1]
    assert name_dispatches('y = s in ("osca-stop", "osca")') == [1]
    assert name_dispatches('registry.get("uniform")\nz = s == "osca"\nw = {"uniform": 1}') == []


def test_no_caller_outside_strategies_branches_on_a_strategy_name():
    files = [p for p in (REPO / "osca_core").rglob("*.py") if "strategies" not in p.relative_to(REPO).parts]
    files += sorted((REPO / "pages").glob("*.py")) + [REPO / "app.py"]
    bad = {str(p.relative_to(REPO)): h for p in files if (h := name_dispatches(p.read_text()))}
    assert bad == {}


# -- the per-question hook -----------------------------------------------------------------------------------------

def test_per_question_hook_averages_to_the_curve_of_every_strategy_on_both_release_logs(log):
    budgets = [1, 2, 3, 5, 8]
    for s in every_strategy(log):
        curve = registry.evaluate(log, s, budgets)
        if not registry.has_question_values(s):  # the oracle: its per-question values are no bootstrap input
            assert registry.get(s).kind == "expectation"
            with pytest.raises(InputError, match=f"{s}: no per-question values to bootstrap"):
                registry.question_values(log, s, budgets)
            continue
        v, extra, allocs = registry.question_values(log, s, budgets)
        assert v.shape == (int(log.test.sum()), len(budgets)), s
        mean = bs.point_means(v)
        if registry.get(s).kind == "allocation":  # the same terms in the same order: bit for bit
            assert tuple(float(x) for x in mean) == curve.values, s
            assert allocs == curve.allocations, s
        else:  # uniform: per-question dynamic program against the mean one, equal to rounding
            assert np.allclose(mean, curve.values, rtol=0, atol=1e-12), s
            assert allocs is None
        assert tuple(bool(x) for x in extra) == curve.extrapolated, s


def test_has_question_values_is_every_allocation_strategy_and_uniform():
    assert [s for s in registry.names() if registry.has_question_values(s)] == [
        s for s in registry.names() if s != "oracle"]


# -- the expected-cost hook ----------------------------------------------------------------------------------------

def former_expected_costs(m: OutcomeMatrix, strategy: str, budgets: list[int]) -> tuple[tuple, tuple]:
    """What cli/schedule.expected_costs and pages/_compute.expected_costs computed before the hook (7bfac15)."""
    unit = float(m.costs.mean())
    n, c = m.test_counts()
    if strategy == "uniform":
        e, _ = stopping_plans.uniform_expected_cost(n, c, budgets, m.costs, prior=lazy_prior(m))
        return tuple(float(x) for x in e), tuple(unit * b for b in budgets)
    if strategy == orc.ORACLE:
        res = orc.oracle_counts(n, c, budgets, prior=lazy_prior(m))
        e, _ = orc.oracle_expected_costs(n, c, res, m.costs, prior=lazy_prior(m))
        return tuple(float(x) for x in e), tuple(unit * b for b in budgets)
    plans = stopping_plans.schedules(m, registry.allocate(m, strategy, budgets))
    return tuple(p.expected_cost_test for p in plans), tuple(p.cost_without_stopping for p in plans)


def test_expected_cost_hook_equals_the_former_computation_for_every_strategy_on_both_release_logs(log):
    budgets = [1, 2, 4]
    for s in every_strategy(log):
        assert registry.expected_costs(log, s, budgets) == former_expected_costs(log, s, budgets), s


def test_expected_cost_hook_takes_given_allocations_instead_of_refitting(swe):
    allocs = registry.allocate(swe, "even", [2, 3])
    want = tuple(p.expected_cost_test for p in stopping_plans.schedules(swe, allocs))
    assert registry.expected_costs(swe, "osca", [2, 3], allocations=allocs)[0] == want


def test_plans_hook_is_osca_stop_itself_and_the_ordered_allocations_of_the_others(swe):
    budgets = [1.5, 3]
    assert registry.plans(swe, "osca-stop", budgets) == stopping_plans.osca_stop(swe, budgets)
    assert registry.plans(swe, "osca", [2, 4]) == stopping_plans.schedules(swe, registry.allocate(swe, "osca", [2, 4]))
    assert registry.get("osca-stop").budget_unit == "expected-cost budget"
    assert {registry.get(s).budget_unit for s in registry.names() if s != "osca-stop"} == {"budget"}


# -- one Savings result --------------------------------------------------------------------------------------------

def test_one_savings_type_behind_experiments_and_the_bootstrap():
    m = toy()
    a, b = ex.savings(m), paired.bootstrap_savings(m, n_resamples=10, seed=0)
    assert type(a) is type(b) is savings_result.Savings is ex.Savings is paired.BootstrapSavings


def test_savings_as_dict_gives_exactly_the_former_layouts_with_and_without_bootstrap():
    m = toy()
    gold = json.loads(GOLDEN.read_text())
    now = {"splits": ex.savings(m, setting=ex.Setting(0.5, 3, 2)).as_dict(),
           "own": ex.savings(m, [1, 2, 3, 4, 6]).as_dict(),
           "boot": paired.bootstrap_savings(m, n_resamples=40, seed=3).as_dict(),
           "boot0": paired.bootstrap_savings(m, n_resamples=0).as_dict()}
    for key in gold:  # key order too: the CLI prints them in this order
        assert list(now[key]) == list(gold[key]), key
    assert json.loads(json.dumps(now)) == gold


def test_savings_gaps_are_the_paired_difference_of_the_bootstrap():
    m = toy()
    sv = paired.bootstrap_savings(m, n_resamples=40, seed=3)
    cb = paired.bootstrap_curves(m, ["best-pure", "osca"], sv.budgets, n_resamples=40, seed=3,
                                 pairs=[("osca", "best-pure")])
    assert sv.gaps == cb.differences[0]
    assert sv.gaps.interval.level == 0.95 and tuple(sv.gaps.interval.low) == sv.gap_ci_low


# -- one interval type ---------------------------------------------------------------------------------------------

def test_interval_is_the_percentile_interval_of_the_replicates():
    x = np.arange(101, dtype=float)[:, None] * np.array([1.0, -2.0])
    iv = percentile_interval(x, 0.9)
    assert isinstance(iv, Interval) and iv.level == 0.9
    assert np.array_equal(iv.low, [5.0, -190.0]) and np.array_equal(iv.high, [95.0, -10.0])
    lo, hi = iv
    assert lo is iv.low and hi is iv.high
    assert Interval(0.25, 0.5).as_dict() == {"ci_low": 0.25, "ci_high": 0.5, "level": 0.95}
    assert iv.as_dict() == {"ci_low": [5.0, -190.0], "ci_high": [95.0, -10.0], "level": 0.9}


def test_splits_bootstrap_and_paired_intervals_come_from_the_one_helper():
    v = np.random.default_rng(1).normal(size=(23, 4))
    want = percentile_interval(v, 0.95)
    _, lo, hi = ex.interval(v)
    assert np.array_equal(lo, want.low) and np.array_equal(hi, want.high)
    r = bs.bootstrap_means(v, n_resamples=50, seed=2)
    want = percentile_interval(r.distribution, 0.95)
    assert np.array_equal(r.ci_low, want.low) and np.array_equal(r.ci_high, want.high)
    assert r.interval.low is r.ci_low and r.interval.level == 0.95
    assert bs.bootstrap_means(v, n_resamples=0).interval is None
    assert bs.percentile_interval is paired.percentile_interval is percentile_interval


# -- one rule for the savings budgets ------------------------------------------------------------------------------

def test_savings_budgets_rule_given_budgets_sorted_and_distinct_else_every_budget_up_to_top():
    assert savings_result.savings_budgets(None, top=4) == [1, 2, 3, 4]
    assert savings_result.savings_budgets([8, 2, 2, 5], top=4) == [2, 5, 8]
    with pytest.raises(InputError):
        savings_result.savings_budgets([0, 2], top=4)
    m = toy()
    assert tuple(paired.savings_budgets(m, None)) == ex.savings(m).budgets == tuple(range(1, 7))
    assert report_content.savings_budgets([1, 4, 16]) == list(range(1, 17))
    big = [1, report_content.EVERY_BUDGET_UP_TO + 1]
    assert report_content.savings_budgets(big) == big


def test_study_budgets_apply_to_its_savings_part_too():
    m = toy()
    res = sdy.study(m, budgets=[3, 1, 5], splits=2, seed=0)
    assert [sv.budgets for sv in res.savings] == [(1, 3, 5), (1, 3, 5)]
    assert res.savings[0].as_dict() == ex.savings(m, [1, 3, 5]).as_dict()
    default = sdy.study(m, splits=2, seed=0)
    assert [sv.budgets for sv in default.savings] == [tuple(range(1, 7))] * 2


# -- one path for the curve on a log's own split -------------------------------------------------------------------

def test_run_curves_on_the_own_split_is_registry_evaluate_for_every_strategy(log):
    budgets = [1, 2, 3, 5]
    names = every_strategy(log)
    cs = ex.run_curves(log, names, budgets)
    for s in names:
        ev, cv = registry.evaluate(log, s, budgets), cs.curve(s)
        assert (cv.values, cv.extrapolated, cv.allocations) == (ev.values, ev.extrapolated, ev.allocations), s


def test_run_curves_own_split_allocations_equal_fit_on_the_trial(swe):
    budgets = [1, 2, 4]
    trial = ex.trials(swe, ex.DEFAULT_SETTING)[0]
    for s in registry.names(kind="allocation"):
        assert registry.allocate(swe, s, budgets) == ex.fit(trial, s, budgets), s


def test_bootstrap_point_estimates_are_the_curve_on_the_split(swe):
    budgets = [1, 2, 4, 8]
    names = [s for s in every_strategy(swe) if registry.has_question_values(s)]
    cb = paired.bootstrap_curves(swe, names, budgets, n_resamples=5, seed=0)
    for s in names:
        ev = registry.evaluate(swe, s, budgets)
        if registry.get(s).kind == "allocation":
            assert cb.curve(s).values == ev.values and cb.curve(s).allocations == ev.allocations, s
        else:
            assert np.allclose(cb.curve(s).values, ev.values, rtol=0, atol=1e-12), s
