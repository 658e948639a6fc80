"""``osca savings``: how much compute OSCA saves to reach the best pure configuration's accuracy.

The numbers are ``experiments.savings`` (or ``paired.bootstrap_savings`` with ``--bootstrap B``) and the layout
their ``as_dict``. Default budgets run 1 .. the largest measured n among the selected configurations (at most
``limits.DEFAULT_BUDGET_CAP``, said on stderr). Beyond a cell's n the curves are extrapolated (Beta-binomial
predictive, flagged); the headline (baseline, target, budget_needed, ratio and its interval) is computed on the
measured budgets only unless ``--allow-extrapolation``, while ``gaps`` cover every budget, each row flagged
``extrapolated`` (and, where extrapolated, ``extrapolation_low`` / ``extrapolation_high`` of the gap and
``osca_range`` / ``best_pure_range``). The headline follows the one rule of :mod:`osca_core.analysis.headline`
(measured baseline at the largest budget some configuration holds, crossing on measured points, the modelled
reading beside it, labelled), in the new key ``headline`` (kind, text, detail, modelled). New keys:
``extrapolated_budgets`` (budgets where the best-pure or the OSCA point is
extrapolated), ``headline_points`` (``"measured"`` or ``"all"``), ``early_stop`` (``--early-stop``:
``stopping_plans.early_stop_savings``) and ``missing`` (ragged logs).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli import plans
from osca_core.cli import uncertainty as unc
from osca_core.cli.loading import (
    announce,
    experiment_setting,
    largest_n,
    load,
    missing_key,
    setting_dict,
)
from osca_core.cli.output import Progress, emit_json, note, print_table, split_note

if TYPE_CHECKING:
    from osca_core.analysis import experiments as ex
    from osca_core.model.outcomes import OutcomeMatrix


def savings_budgets(args: argparse.Namespace, m: OutcomeMatrix) -> list[int]:
    """--budgets, else 1 .. the largest measured n among the selected configurations, capped at
    DEFAULT_BUDGET_CAP (said on stderr when capped)."""
    from osca_core.analysis import experiments as ex

    if args.budgets:
        return A.parse_budgets(args.budgets)
    nmax = largest_n(m)
    if nmax > A.DEFAULT_BUDGET_CAP:
        note(f"note: budgets 1-{A.DEFAULT_BUDGET_CAP}: the default stops at {A.DEFAULT_BUDGET_CAP} although the "
             f"largest n is {nmax}; ask for more with --budgets (at most {A.MAX_BUDGET})")
    return ex.savings_budgets(None, top=min(nmax, A.DEFAULT_BUDGET_CAP))


def savings_doc(run: Callable, m: OutcomeMatrix, budgets: list[int], setting: ex.Setting, allow: bool) -> dict:
    """The savings document under the one headline rule (``analysis.headline.read``): the top-level numbers are
    the headline reading (measured points; on every budget with ``allow``), ``gaps`` cover every budget, each
    flagged ``extrapolated`` and, where it is, with its range (``analysis.ranges.gap_ranges``); ``headline``
    (kind, text, detail, the modelled reading) is added."""
    from osca_core.analysis import headline, ranges

    r = headline.read(m, budgets, setting, run, allow_extrapolation=allow)
    d = r.savings.as_dict()
    if r.modelled is not None and r.modelled is not r.savings:
        d |= {"gaps": r.modelled.as_dict()["gaps"], "setting": r.modelled.as_dict()["setting"]}
    extra = list(r.extrapolated)
    spans = ranges.gap_ranges(m, r.curves) if extra else {}
    for g in d["gaps"]:
        g["extrapolated"] = g["budget"] in extra
        g |= spans.get(g["budget"], {})
    d["extrapolated_budgets"] = extra
    d["headline_points"] = "all" if allow or not extra else "measured"
    d["headline"] = r.headline.as_dict()
    return d


def cmd_savings(args: argparse.Namespace) -> int:
    if args.budgets:
        A.parse_budgets(args.budgets)  # a bad SPEC is refused before any data loads
    from osca_core.analysis import experiments as ex

    m, report = load(args)
    budgets = savings_budgets(args, m)
    A.check_work(budgets, m.costs)
    boot = unc.wanted(args)
    if args.early_stop:
        A.refuse_with(args, "--early-stop")
    setting = experiment_setting(args, m) or ex.Setting(seed=args.seed)
    A.check_cost(args, "savings", m, budgets, ["osca", "best-pure"] + (["osca-stop"] if args.early_stop else []),
                 splits=setting.splits)
    announce(m, report)
    if setting.train_fraction is None:
        split_note(m)
    allow = args.allow_extrapolation
    if boot:
        d = savings_doc(lambda b, **kw: unc.savings_bootstrap(m, b, args, **kw), m, budgets, setting, allow)
    else:
        d = savings_doc(lambda b, **kw: ex.savings(m, b, setting, progress=Progress("savings"), **kw), m, budgets,
                        setting, allow)
        d["setting"] = setting_dict(setting)
    es = plans.early_stop(m, budgets) if args.early_stop else None
    d |= ({"early_stop": es.as_dict()} if es else {}) | missing_key(report)
    if args.json:
        emit_json(d)
        return 0
    print_savings(d, setting.label if not boot else m.split_label)
    print_extrapolation(d, allow)
    if es is not None:
        plans.print_early_stop(es)
    return 0


def print_savings(d: dict, label: str) -> None:
    """The text form of a savings document (splits or bootstrap)."""
    st = d["setting"]
    boot = st.get("method") == "bootstrap"
    level = f"{100 * st['level']:g}%" if boot else "95%"
    how = (f"; bootstrap: {st['n_resamples']} resamples of {st['test_questions']} test questions" if boot else "")
    print(f"dataset {d['dataset']} ({label}{how})")
    if d["splits"] == 1:
        print(f"baseline: best pure chosen on training data at C = {d['baseline_budget']}: {d['baseline']} "
              f"(test pass {d['target_pass']:.5f})")
    else:
        print(f"baseline: best pure chosen on training data at C = {d['baseline_budget']} (most often "
              f"{d['baseline']}, {d['baseline_counts'][d['baseline']]}/{d['splits']} splits); mean test pass "
              f"{d['target_pass']:.5f}")
    if d["budget_needed"] is None:
        print(f"OSCA does not reach {d['target_pass']:.5f} within budgets up to {d['baseline_budget']}")
    else:
        print(f"OSCA reaches it at C = {d['budget_needed']}: {d['ratio']:.2f}x less compute")
    h = d["headline"]
    print(f"headline: {h['text']}")
    if h["thin"]:
        print(f"  {h['detail']}")
    if h["modelled"]:
        print(f"  {h['modelled']}")
    if d["ratio_ci_low"] is None:
        return
    over = "resamples" if boot else f"{d['splits']} splits"
    missed = (f", in {100 * d['ratio_not_reached']:.0f}% of resamples" if boot else "")
    print(f"ratio over {over}: {level} interval {d['ratio_ci_low']:.2f} .. {d['ratio_ci_high']:.2f} "
          f"(0 = not reached{missed})")
    last = d["gaps"][-1]
    verdict = "excludes 0" if last["ci_low"] > 0 or last["ci_high"] < 0 else "includes 0"
    print(f"osca - best-pure at C = {last['budget']}: {last['gap']:+.4f} [{level} interval {last['ci_low']:+.4f}, "
          f"{last['ci_high']:+.4f}], {verdict}")
    print(f"note: {d['note']}")
    show = [r for r in d["gaps"] if r["budget"] & (r["budget"] - 1) == 0 or r is last]  # powers of two and B
    print(f"accuracy gap OSCA - best-pure at fixed budgets ({'paired bootstrap' if boot else 'mean over splits'}, "
          f"{level} interval)")
    cols = ["budget", "osca", "best_pure", "gap", "ci_low", "ci_high", "extrapolated"]
    print_table(cols, [[r[k] for k in cols] for r in show])


def print_extrapolation(d: dict, allow: bool) -> None:
    xb = d["extrapolated_budgets"]
    if not xb:
        return
    if allow:
        print(f"note: the headline includes extrapolated points (k > n) at {len(xb)} budgets from {xb[0]} "
              "(--allow-extrapolation)")
    else:
        print(f"note: headline on measured points only: {len(xb)} budgets from {xb[0]} have extrapolated points "
              f"(k > n; their gaps are flagged); --allow-extrapolation includes them")


def register(sub) -> None:
    """Add ``savings`` to the ``osca`` subparsers."""
    sv = sub.add_parser("savings", help="compute OSCA saves to reach the best pure configuration's accuracy")
    A.add_source_args(sv)
    sv.add_argument("--budgets", help=f"SPEC (default: 1 up to the largest measured n among the configurations, "
                    f"at most {A.DEFAULT_BUDGET_CAP})")
    sv.add_argument("--configs", help="comma-separated configurations (default: all)")
    A.add_experiment_args(sv, c0_and_ban=False)
    A.add_holdout(sv)
    A.add_missing(sv)
    A.add_bootstrap(sv)
    A.add_allow_long(sv)
    sv.add_argument("--allow-extrapolation", action="store_true", help="compute the headline on every budget, "
                    "extrapolated points (k > n) included (default: measured points only)")
    sv.add_argument("--early-stop", action="store_true", help="add the expected costs under early stopping "
                    "(stop at the first accepted sample) of best pure, OSCA in its best order and osca-stop")
    A.add_seed(sv)
    A.add_json(sv)
    sv.set_defaults(func=cmd_savings)
