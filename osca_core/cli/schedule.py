"""``osca schedule``: plans ordered for early stopping (issue 14; the plan options of other commands are
:mod:`osca_core.cli.plans`).

``osca schedule`` orders each plan for early stopping (``stopping_plans.schedules``: the best order on training rates)
and prints ``stopping_plans.schedule_document``: ``{"dataset", "results": [{"strategy", "budget", "allocation", "order",
"test_pass", "expected_cost_test", "expected_cost_train", "cost_without_stopping", "order_exact"}]}``. For
``osca-stop`` the budget is an *expected-cost* budget per question and ``order`` holds as many entries as the plan
has samples (usually more than the budget: early stopping pays for them); for the other strategies ``order`` has
``budget`` entries. Everything here works on the log's own split (random splits are refused in one line).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli.loading import announce, load
from osca_core.cli.output import emit_json, print_table, split_note

if TYPE_CHECKING:
    from osca_core.model.outcomes import OutcomeMatrix
    from osca_core.strategies import stopping_plans


SCHEDULE_STRATEGIES = ("osca", "osca-stop", "best-pure", "even")


def plan_schedules(m: OutcomeMatrix, strategy: str, budgets: Sequence[int], *, seed: int = 0
                   ) -> list[stopping_plans.Schedule]:
    """Ordered plans of ``strategy`` at ``budgets`` (osca-stop: expected-cost budgets): ``registry.plans``."""
    from osca_core.strategies import registry

    return registry.plans(m, strategy, budgets, seed=seed)


def order_text(names: Sequence[str], *, runs_shown: int = 6) -> str:
    """An order as runs, first sampled first: ``a ×2 → b ×1 → a ×1`` (the first ``runs_shown`` runs, then how
    many samples follow)."""
    runs: list[list] = []
    for x in names:
        if runs and runs[-1][0] == x:
            runs[-1][1] += 1
        else:
            runs.append([x, 1])
    text = " → ".join(f"{x} ×{k}" for x, k in runs[:runs_shown]) or "-"
    rest = sum(k for _, k in runs[runs_shown:])
    return text + (f" → … ({rest} more samples)" if rest else "")


def cmd_schedule(args: argparse.Namespace) -> int:
    budgets = A.parse_budgets(args.budgets)  # arguments before any data loads
    from osca_core.strategies import registry, stopping_plans

    m, report = load(args)
    A.check_work(budgets, m.costs)
    A.check_cost(args, "schedule", m, budgets, [args.strategy])
    announce(m, report)
    split_note(m)
    plans = plan_schedules(m, args.strategy, budgets)
    doc = stopping_plans.schedule_document(m, plans)
    if args.json:
        emit_json(doc)
        return 0
    what = registry.get(args.strategy).budget_unit
    print(f"dataset {m.name} ({m.split_label}), strategy {args.strategy} ({what}); expected cost per question "
          "when sampling stops at the first accepted sample")
    cols = ["budget", "test_pass", "expected_cost_test", "expected_cost_train", "cost_without_stopping",
            "order_exact"]
    print_table([*cols, "order"], [[r[k] for k in cols] + [order_text(r["order"])] for r in doc["results"]])
    return 0


def register(sub) -> None:
    """Add ``schedule`` to the ``osca`` subparsers."""
    s = sub.add_parser("schedule", help="order plans for early stopping: expected cost per question")
    A.add_source_args(s)
    s.add_argument("--budgets", required=True, help="SPEC (osca-stop: expected-cost budgets per question)")
    s.add_argument("--strategy", choices=list(SCHEDULE_STRATEGIES), default="osca")
    s.add_argument("--configs", help="comma-separated configurations (default: all)")
    s.add_argument("--cost", action="append", metavar="CONFIG=VALUE", help="cost per sample (repeatable)")
    A.add_missing(s)
    A.add_allow_long(s)
    A.add_json(s)
    s.set_defaults(func=cmd_schedule)
