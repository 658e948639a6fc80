"""``osca optimize``: the best allocation at each budget (optionally certified, over random splits, with bootstrap
intervals or one mix per question group).

It reads a log (``--file`` or ``--dataset``; :mod:`osca_core.cli.loading` applies ``--missing``), checks the request
against the work limits (:mod:`osca_core.limits`), runs the registry's solver and prints ``Allocation.as_dict`` rows
or a table (an extrapolated row, k > n, also carries ``extrapolation_low`` / ``extrapolation_high``:
:mod:`osca_core.analysis.ranges`). Bootstrap intervals are :mod:`osca_core.cli.uncertainty`'s, per-group mixes :mod:`osca_core.cli.plans`'.
"""

from __future__ import annotations

import argparse
import inspect
import time
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli import plans
from osca_core.cli import uncertainty as unc
from osca_core.cli.choices import CERTIFIERS, OPTIMIZERS
from osca_core.cli.loading import announce, experiment_setting, load, missing_key, setting_dict
from osca_core.cli.output import Progress, alloc_cell, emit_json, heartbeat, print_table, split_note
from osca_core.errors import InputError

if TYPE_CHECKING:
    from osca_core.model.outcomes import OutcomeMatrix


def solve_kwargs(certify: bool) -> dict:
    """``progress=`` for --certify when the registry's solver accepts it (certificates report budgets proven)."""
    from osca_core.strategies import registry

    if certify and "progress" in inspect.signature(registry.solve).parameters:
        return {"progress": Progress("certify")}
    return {}


def cmd_optimize(args: argparse.Namespace) -> int:
    budgets = A.parse_budgets(args.budgets)  # arguments before any data loads
    from osca_core.strategies import allocators, registry

    m, report = load(args)
    A.check_work(budgets, m.costs, certify=args.certify)
    boot = unc.wanted(args)
    if args.group_by is not None and args.strategy != "osca":
        raise InputError("--group-by learns an OSCA mix per group: use --strategy osca")
    plans.check_plan_flags(args, m)
    setting = experiment_setting(args, m)
    A.check_cost(args, "optimize", m, budgets, [args.strategy], splits=setting.splits if setting is not None else 1,
                 certify=args.certify)
    costed = bool((m.costs != 1.0).any())
    if setting is None and args.strategy not in CERTIFIERS and (costed or args.certify):
        raise InputError(f"{'--cost' if costed else '--certify'} needs --strategy {' or '.join(CERTIFIERS)} "
                         f"({registry.label(args.strategy)} counts samples and proves nothing)")
    announce(m, report)
    if setting is not None:  # --train-fraction / --splits / --holdout / --c0 / --ban
        return optimize_experiment(args, m, budgets, setting)
    with heartbeat("optimize"):
        t0 = time.perf_counter()
        found = registry.solve(m, args.strategy, budgets, seed=args.seed, certify=args.certify,
                               **solve_kwargs(args.certify))
        solve = time.perf_counter() - t0  # optimization alone: loading and scoring excluded
    split_note(m)
    allocs = allocators.scored(m, args.strategy, found)
    # budget: the one asked for (with costs it bounds "cost" = sum of cost x samples)
    from osca_core.analysis.ranges import allocation_range, range_keys

    results = [a.as_dict(costs=m.costs) | range_keys(allocation_range(m, a)) for a in allocs]
    doc = {"dataset": m.name, "solve_seconds": solve, "results": results} | missing_key(report)
    if boot:
        ci, doc["setting"] = unc.optimize_intervals(m, args.strategy, allocs, args)
        for r, (lo, hi) in zip(results, ci, strict=True):
            r["ci_low"], r["ci_high"] = lo, hi
    if args.group_by is not None:
        extra = plans.group_rows(m, args, budgets)
        for r in results:
            r.update(extra[r["budget"]])
    if args.json:
        emit_json(doc)
        return 0
    print(f"dataset {m.name} ({m.split_label}), strategy {args.strategy}, solved in {solve:.3f} s")
    cols = ["budget", *(["cost"] if costed else []), "train_pass", "test_pass", *(["ci_low", "ci_high"] * boot),
            "upper_bound", "certified", "extrapolated"]
    print_table([*cols, "allocation"], [[r[k] for k in cols] + [alloc_cell(r["allocation"])] for r in results])
    if boot:
        print(f"ci_low .. ci_high: {100 * args.level:g}% bootstrap interval of test_pass ({args.bootstrap} "
              "resamples of the test questions" + (", re-fitted" if args.bootstrap_refit else "") + ")")
    plans.print_groups(results)
    return 0


def optimize_experiment(args: argparse.Namespace, m: OutcomeMatrix, budgets: list[int], setting) -> int:
    """`osca optimize` with experiment options: one result per split and budget (key `split`, and
    `train_pass_full` = training objective with all n samples when --c0 is set), plus a per-budget summary."""
    from osca_core.analysis import experiments as ex

    with heartbeat("optimize"):
        t0 = time.perf_counter()
        runs = ex.optimize_runs(m, budgets, setting, strategy=args.strategy, certify=args.certify)
        solve = time.perf_counter() - t0
    if setting.train_fraction is None:
        split_note(m)
    from osca_core.analysis.ranges import allocation_range, range_keys

    full_of = {t.index: t.full for t in ex.trials(m, setting)}
    results = [a.as_dict(costs=m.costs) | {"split": run.split, "train_pass_full": full}
               | range_keys(allocation_range(full_of[run.split], a))
               for run in runs for a, full in zip(run.allocations, run.train_pass_full, strict=True)]
    mean, lo, hi = ex.interval([[a.test_pass for a in run.allocations] for run in runs])
    summary = [{"budget": b, "test_pass": float(mean[i]), "ci_low": None if lo is None else float(lo[i]),
                "ci_high": None if hi is None else float(hi[i])} for i, b in enumerate(budgets)]
    if args.json:
        emit_json({"dataset": m.name, "solve_seconds": solve, "results": results, "setting": setting_dict(setting),
                   "summary": summary})
        return 0
    print(f"dataset {m.name} ({setting.label}), strategy {args.strategy}, solved in {solve:.3f} s")
    cols = ["split", "budget", "train_pass", "train_pass_full", "test_pass", "upper_bound", "certified",
            "extrapolated"]
    print_table([*cols, "allocation"], [[r[k] for k in cols] + [alloc_cell(r["allocation"])] for r in results])
    if len(runs) > 1:
        print("\nmean test pass over splits, 95% interval = 2.5th..97.5th percentile")
        print_table(["budget", "test_pass", "ci_low", "ci_high"], [list(r.values()) for r in summary])
    return 0


def register(sub) -> None:
    """Add ``optimize`` to the ``osca`` subparsers."""
    o = sub.add_parser("optimize", help="optimize the allocation at each budget")
    A.add_source_args(o)
    o.add_argument("--budgets", required=True, help=A.SPEC_HELP)
    o.add_argument("--strategy", choices=list(OPTIMIZERS), default="osca")
    o.add_argument("--configs", help="comma-separated configurations to allocate over (default: all)")
    o.add_argument("--cost", action="append", metavar="CONFIG=VALUE", help="cost per sample (repeatable; "
                   f"finite, > 0, at most {A.MAX_COST:g}; budget / smallest cost at most {A.MAX_BUDGET})")
    o.add_argument("--certify", action="store_true", help="prove optimality at each budget (at most "
                   f"{A.MAX_CERTIFY_BUDGETS} budgets)")
    A.add_seed(o)
    A.add_json(o)
    A.add_evaluation_args(o)
    o.set_defaults(func=cmd_optimize)
