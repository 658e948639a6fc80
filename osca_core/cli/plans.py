"""Plans beyond a fixed mix (issue 14) as options of other commands: ``curves --x expected-cost``, ``--group-by`` on
``optimize`` and ``curves``, and ``savings --early-stop``. (``osca schedule`` is :mod:`osca_core.cli.schedule`,
``osca bench schedule`` :mod:`osca_core.cli.bench`.) Everything here works on the log's own split (random splits
are refused in one line).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli.output import alloc_cell, print_table
from osca_core.errors import InputError

if TYPE_CHECKING:
    from osca_core.model.outcomes import OutcomeMatrix
    from osca_core.model.results import Curve
    from osca_core.strategies import stopping_plans


X_AXES = ("budget", "expected-cost")


# -- curves: expected cost, groups -----------------------------------------------------------------------------------


def expected_costs(m: OutcomeMatrix, curve: Curve) -> list[float]:
    """Per budget, the curve's expected test cost per question under early stopping (``registry.expected_costs``:
    its allocations' ordered plans, or the strategy's expected-cost hook)."""
    from osca_core.strategies import registry

    try:
        exp, _ = registry.expected_costs(m, curve.strategy, list(curve.budgets), allocations=curve.allocations)
    except InputError as e:
        raise InputError(f"--x expected-cost: {e}") from None
    return list(exp)


def check_plan_flags(args: argparse.Namespace, m: OutcomeMatrix, *, strategies: Sequence[str] | None = None
                     ) -> None:
    """--x expected-cost and --group-by work on the log's own split; --reallocate/--min-group need --group-by;
    the attribute must be one of the matrix's question attributes (the refusal names the known ones)."""
    from osca_core.strategies import groups as grp

    if getattr(args, "x", "budget") != "budget":
        A.refuse_with(args, "--x expected-cost")
    group = getattr(args, "group_by", None)
    if group is None:
        for flag, given in (("--reallocate", getattr(args, "reallocate", False)),
                            ("--min-group", getattr(args, "min_group", None) is not None)):
            if given:
                raise InputError(f"{flag} needs --group-by ATTR")
        return
    A.refuse_with(args, "--group-by")
    if not group.strip():
        raise InputError("--group-by: give a question attribute name")
    if strategies is not None and "osca" not in strategies:
        raise InputError("--group-by learns an OSCA mix per group: include osca in --strategies")
    grp.group_labels(m, group)


def group_rows(m: OutcomeMatrix, args: argparse.Namespace, budgets: Sequence[int]) -> dict[int, dict]:
    """budget -> the keys a result gains with --group-by: ``groups`` (``GroupPlan.groups_as_dicts``) and
    ``group_plan`` (attribute, reallocated, min_group, train_pass, test_pass, extrapolated, mean budgets)."""
    from osca_core.strategies import groups as grp

    min_group = args.min_group if args.min_group is not None else grp.MIN_GROUP
    plans = grp.group_plans(m, args.group_by, budgets, min_group=min_group, reallocate=args.reallocate)
    return {p.budget: {"groups": p.groups_as_dicts(), "group_plan": {
        "attribute": p.attribute, "reallocated": p.reallocated, "min_group": p.min_group, "train_pass": p.train_pass,
        "test_pass": p.test_pass, "extrapolated": p.extrapolated, "mean_budget_train": p.mean_budget_train,
        "mean_budget_test": p.mean_budget_test}} for p in plans}


def decorate_curves(m: OutcomeMatrix, args: argparse.Namespace, curves: Sequence[Curve], rows: list[dict]) -> None:
    """Add ``expected_cost`` to every row (--x expected-cost) and ``groups`` to the osca rows (--group-by)."""
    if args.x == "expected-cost":
        costs = [e for cv in curves for e in expected_costs(m, cv)]
        for r, e in zip(rows, costs, strict=True):
            r["expected_cost"] = e
    if args.group_by is not None:
        extra = group_rows(m, args, curves[0].budgets)
        for r in rows:
            if r["strategy"] == "osca":
                r.update(extra[r["budget"]])


def print_groups(results: Sequence[dict]) -> None:
    """The per-group table of --group-by (text output)."""
    rows = [[r["budget"], g["value"], g["train_questions"], g["test_questions"], g["budget"],
             alloc_cell(g["allocation"])] for r in results if "groups" in r for g in r["groups"]]
    if rows:
        print("\nper group (groups below --min-group training questions use the global mix)")
        print_table(["budget", "group", "train_q", "test_q", "group_budget", "allocation"], rows)
        print_table(["budget", "grouped_train_pass", "grouped_test_pass"],
                    [[r["budget"], r["group_plan"]["train_pass"], r["group_plan"]["test_pass"]]
                     for r in results if "group_plan" in r])


# -- savings under early stopping --------------------------------------------------------------------------------


def early_stop(m: OutcomeMatrix, budgets: Sequence[int]) -> stopping_plans.EarlyStopSavings:
    """``stopping_plans.early_stop_savings`` of best-pure and osca over ``budgets`` (and osca-stop over the same
    numbers read as expected-cost budgets)."""
    from osca_core.strategies import registry, stopping_plans

    bp = registry.allocate(m, "best-pure", budgets)
    os_ = registry.allocate(m, "osca", budgets)
    return stopping_plans.early_stop_savings(m, bp, os_, stopping_plans.osca_stop(m, budgets))


def print_early_stop(es: stopping_plans.EarlyStopSavings) -> None:
    def part(name, budget, cost, ratio, unit):
        if budget is None:
            return f"{name} does not reach it within the budgets"
        return f"{name} reaches it at {unit} {budget}: expected cost {cost:.3f} ({ratio:.2f}x less)"

    label = " (in-sample)" if es.in_sample else ""
    print(f"\nwith early stopping{label}: best pure {es.baseline} at C = {es.baseline_budget} costs "
          f"{es.baseline_expected_cost:.3f} per question in expectation (test pass {es.target_pass:.5f})")
    print(part("OSCA (best order)", es.osca_budget, es.osca_expected_cost, es.osca_ratio, "C ="))
    print(part("osca-stop", es.stop_budget, es.stop_expected_cost, es.stop_ratio, "expected-cost budget"))
