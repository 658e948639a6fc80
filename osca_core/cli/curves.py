"""``osca curves``: test pass@C curves of several strategies (table, ``--json`` or ``--csv``).

Rows are ``Curve.rows``; an extrapolated point (k > n) carries ``extrapolation_low`` / ``extrapolation_high``, its
value over the plausible spreads (:mod:`osca_core.analysis.ranges`); ``--bootstrap`` adds paired intervals and ``"differences"``
(:mod:`osca_core.cli.uncertainty`), ``--x expected-cost`` and ``--group-by`` add their keys
(:mod:`osca_core.cli.plans`), random splits their ``"setting"``.
"""

from __future__ import annotations

import argparse

from osca_core.cli import args as A
from osca_core.cli import choices as C
from osca_core.cli import plans
from osca_core.cli import uncertainty as unc
from osca_core.cli.loading import (
    announce,
    experiment_setting,
    load,
    missing_key,
    setting_dict,
    strategy_names,
)
from osca_core.cli.output import Progress, emit_json, print_table, split_note, write_csv


def cmd_curves(args: argparse.Namespace) -> int:
    budgets = A.parse_budgets(args.budgets)  # arguments before any data loads
    from osca_core.analysis import experiments as ex
    from osca_core.analysis import ranges
    from osca_core.strategies import registry

    m, report = load(args)
    names = strategy_names(args, m)
    A.check_work(budgets, m.costs)
    boot = unc.wanted(args)
    plans.check_plan_flags(args, m, strategies=names)
    setting = experiment_setting(args, m)
    A.check_cost(args, "curves", m, budgets, names, splits=setting.splits if setting is not None else 1)
    announce(m, report)
    if setting is None or setting.train_fraction is None:
        split_note(m)
    doc: dict = {"dataset": m.name}
    cb = None
    if boot:
        cb = unc.curve_bootstrap(m, names, budgets, args)
        curves = ranges.curve_ranges(m, cb.curves)
    elif setting is None:
        progress = Progress("curves")
        curves = []
        for i, s in enumerate(names):
            curves.append(registry.evaluate(m, s, budgets, seed=args.seed))
            progress(i + 1, len(names))
        curves = ranges.curve_ranges(m, curves)
    else:
        curves = ranges.curveset_ranges(m, ex.run_curves(m, names, budgets, setting, progress=Progress("curves")))
    rows = [row for cv in curves for row in cv.rows()]
    plans.decorate_curves(m, args, curves, rows)
    doc["curves"] = rows
    if cb is not None:
        doc |= {"differences": cb.difference_rows(), "setting": cb.setting}
    elif setting is not None:
        doc["setting"] = setting_dict(setting)
    doc |= missing_key(report)
    if args.json:
        emit_json(doc)
    elif args.csv:
        write_csv(None, [{k: v for k, v in r.items() if k not in ("groups", "group_plan")} for r in rows],
                  [k for k in rows[0] if k not in ("groups", "group_plan")])
    else:
        label = setting.label if setting else m.split_label
        print(f"dataset {m.name} ({label}); test pass@C" + (f", {100 * args.level:g}% bootstrap intervals"
                                                            if boot else ""))
        cols = ["strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated"]
        cols += ["expected_cost"] if args.x == "expected-cost" else []
        ranged = any("extrapolation_low" in r for r in rows)
        print_table(cols + ["range"] * ranged,
                    [[r[k] for k in cols] + ([_range_cell(r)] if ranged else []) for r in rows])
        if cb is not None:
            unc.print_differences(cb)
        plans.print_groups([r for r in rows if r["strategy"] == "osca"])
    return 0


def _range_cell(row: dict) -> str:
    """An extrapolated point's range over the plausible spreads, '' within n."""
    if "extrapolation_low" not in row:
        return ""
    return f"{row['extrapolation_low']:.4f} .. {row['extrapolation_high']:.4f}"


def register(sub) -> None:
    """Add ``curves`` to the ``osca`` subparsers."""
    c = sub.add_parser("curves", help="test pass@C curves of several strategies")
    A.add_source_args(c)
    c.add_argument("--budgets", required=True, help=A.SPEC_HELP)
    c.add_argument("--strategies", help=f"comma-separated: {C.PURE_PREFIX}<config>, "
                   f"{', '.join(C.STRATEGY_NAMES)} (default: every pure configuration, "
                   f"{', '.join(C.DEFAULT_STRATEGY_NAMES)})")
    c.add_argument("--configs", help="comma-separated configurations (default: all)")
    c.add_argument("--x", choices=list(plans.X_AXES), default="budget", help="expected-cost: every point also "
                   "carries its expected cost per question when sampling stops at the first accepted sample")
    A.add_seed(c)
    fmt = c.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="stable JSON on stdout (keys are only ever added)")
    fmt.add_argument("--csv", action="store_true", help="CSV on stdout")
    A.add_evaluation_args(c)
    c.set_defaults(func=cmd_curves)
