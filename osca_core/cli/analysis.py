"""The analysis commands: ``osca optimize``, ``curves``, ``savings`` and ``study``.

Each reads a log (``--file`` or ``--dataset``; :mod:`osca_core.cli.loading` applies ``--missing``), checks the
request against the work limits (:mod:`osca_core.limits`), runs the core and prints the result dataclasses' own
JSON/row forms (``Allocation.as_dict``, ``Curve.rows``, ``Savings.as_dict``) or a table. Long work reports
progress on stderr. Bootstrap intervals are :mod:`osca_core.cli.uncertainty`'s, plans under early stopping and
per-group mixes :mod:`osca_core.cli.schedule`'s.
"""

from __future__ import annotations

import argparse
import inspect
import time

from osca_core.analysis import experiments as ex
from osca_core.analysis import study as sdy
from osca_core.cli import args as A
from osca_core.cli import savings as sv
from osca_core.cli import schedule as plans
from osca_core.cli import uncertainty as unc
from osca_core.cli.loading import (
    announce,
    experiment_setting,
    load,
    load_matrix,  # noqa: F401  (re-exported: osca_core.cli.share uses it)
    missing_key,
    setting_dict,
    strategy_names,
)
from osca_core.cli.output import (
    Progress,
    alloc_cell,
    emit_json,
    heartbeat,
    print_table,
    split_note,
    study_cell,
    write_csv,
)
from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.settings import release_folder
from osca_core.strategies import allocators, registry

OPTIMIZERS = tuple(s.name for s in registry.specs() if s.solver is not None)  # `osca optimize --strategy`
CERTIFIERS = tuple(s.name for s in registry.specs() if s.certifies)  # --certify and --cost


# -- optimize ------------------------------------------------------------------------------------------------------

def solve_kwargs(certify: bool) -> dict:
    """``progress=`` for --certify when the registry's solver accepts it (certificates report budgets proven)."""
    if certify and "progress" in inspect.signature(registry.solve).parameters:
        return {"progress": Progress("certify")}
    return {}


def cmd_optimize(args: argparse.Namespace) -> int:
    m, report = load(args)
    budgets = A.parse_budgets(args.budgets)
    A.check_work(budgets, m.costs, certify=args.certify)
    boot = unc.wanted(args)
    if args.group_by is not None and args.strategy != "osca":
        raise InputError("--group-by learns an OSCA mix per group: use --strategy osca")
    plans.check_plan_flags(args, m)
    setting = experiment_setting(args, m)
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
    results = [a.as_dict(costs=m.costs) for a in allocs]
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
    with heartbeat("optimize"):
        t0 = time.perf_counter()
        runs = ex.optimize_runs(m, budgets, setting, strategy=args.strategy, certify=args.certify)
        solve = time.perf_counter() - t0
    if setting.train_fraction is None:
        split_note(m)
    results = [a.as_dict(costs=m.costs) | {"split": run.split, "train_pass_full": full}
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


# -- curves --------------------------------------------------------------------------------------------------------

def cmd_curves(args: argparse.Namespace) -> int:
    m, report = load(args)
    budgets = A.parse_budgets(args.budgets)
    names = strategy_names(args, m)
    A.check_work(budgets, m.costs)
    boot = unc.wanted(args)
    plans.check_plan_flags(args, m, strategies=names)
    setting = experiment_setting(args, m)
    announce(m, report)
    if setting is None or setting.train_fraction is None:
        split_note(m)
    doc: dict = {"dataset": m.name}
    cb = None
    if boot:
        cb = unc.curve_bootstrap(m, names, budgets, args)
        curves = list(cb.curves)
    elif setting is None:
        progress = Progress("curves")
        curves = []
        for i, s in enumerate(names):
            curves.append(registry.evaluate(m, s, budgets, seed=args.seed))
            progress(i + 1, len(names))
    else:
        curves = list(ex.run_curves(m, names, budgets, setting, progress=Progress("curves")).curves)
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
        print_table(cols, [[r[k] for k in cols] for r in rows])
        if cb is not None:
            unc.print_differences(cb)
        plans.print_groups([r for r in rows if r["strategy"] == "osca"])
    return 0


# -- study ---------------------------------------------------------------------------------------------------------

def release_files() -> list[str]:
    """The two release logs in settings.release_folder() (``osca study`` without --file/--dataset)."""
    folder = release_folder()
    files = [folder / "swebench_agentless.json", folder / "bcb_results.json"]
    if not all(f.is_file() for f in files):
        raise InputError(f"study: release logs not found in {folder}; give --file/--dataset or set "
                         "OSCA_RELEASE_MIRROR")
    return [str(f) for f in files]


def study_matrices(args: argparse.Namespace) -> list[OutcomeMatrix]:
    sources = [("file", f) for f in args.file or []] + [("dataset", d) for d in args.dataset or []]
    if not sources:
        sources = [("file", f) for f in release_files()]
    out = [load_matrix(argparse.Namespace(**{k: v, "configs": None, "cost": None, "missing": args.missing}))
           for k, v in sources]
    for m in out:
        nmin = int(m.n.min())
        if nmin > A.DEFAULT_BUDGET_CAP and not args.budgets:  # without --budgets the savings run budgets 1..n
            raise InputError(f"study: {m.name} has n = {nmin} samples per cell; the study's savings run budgets "
                             f"1..n, above the limit of {A.DEFAULT_BUDGET_CAP} (give --budgets)")
    return out


def cmd_study(args: argparse.Namespace) -> int:
    from pathlib import Path

    ex.Setting(0.5, args.splits, args.seed)  # validate options before any work
    matrices = study_matrices(args)
    budgets = A.parse_budgets(args.budgets) if args.budgets else None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    files, summary = [], []
    progress = Progress("study")
    for m in matrices:
        res = sdy.study(m, budgets=budgets, splits=args.splits, seed=args.seed, progress=progress.message)
        files += write_study(out, m.name, res)
        summary += sdy.study_summary(res)
    if args.json:
        emit_json({"out": str(out), "files": files, "splits": args.splits, "seed": args.seed,
                   "summary": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in r.items()} for r in summary]})
        return 0
    print(f"wrote {len(files)} CSV files to {out}; mean [95% interval over {args.splits} splits] at the budget shown")
    cols = ["dataset", "experiment", "setting", "budget", "best-pure", "osca", "osca-eb"]
    print_table(cols, [[study_cell(r.get(c)) for c in cols] for r in summary if r["experiment"] != "savings"])
    print()
    cols = ["dataset", "setting", "baseline", "budget", "target_pass", "budget_needed", "ratio", "ratio_ci"]
    print_table(cols, [[study_cell(r.get(c)) for c in cols] for r in summary if r["experiment"] == "savings"])
    return 0


def write_study(out, name: str, res: sdy.Study) -> list[str]:
    """The study's four CSV files (train_fraction, c0, ban, savings); returns their paths."""
    import dataclasses

    files = []
    for kind in ("train_fraction", "c0", "ban"):
        rows = [dataclasses.asdict(r) for r in res.rows if r.study == kind]
        files.append(write_csv(out / f"{name}_{kind}.csv", rows, list(rows[0])))
    keys = ["dataset", "baseline", "baseline_budget", "target_pass", "budget_needed", "ratio", "ratio_ci_low",
            "ratio_ci_high", "splits"]
    rows = [{**{k: sv.as_dict()[k] for k in keys}, "train_fraction": sv.setting.train_fraction,
             "seed": sv.setting.seed} for sv in res.savings]
    files.append(write_csv(out / f"{name}_savings.csv", rows, keys + ["train_fraction", "seed"]))
    return files


# -- parsers -------------------------------------------------------------------------------------------------------

SPEC_HELP = f"SPEC: 1-16, 2,4,8 or 1-8,16,32 (budgets up to {A.MAX_BUDGET})"


def register(sub) -> None:
    """Add optimize, curves, savings and study to the ``osca`` subparsers."""
    _add_optimize(sub)
    _add_curves(sub)
    sv.add_parser(sub, SPEC_HELP)
    _add_study(sub)


def _add_optimize(sub) -> None:
    o = sub.add_parser("optimize", help="optimize the allocation at each budget")
    A.add_source_args(o)
    o.add_argument("--budgets", required=True, help=SPEC_HELP)
    o.add_argument("--strategy", choices=list(OPTIMIZERS), default="osca")
    o.add_argument("--configs", help="comma-separated configurations to allocate over (default: all)")
    o.add_argument("--cost", action="append", metavar="CONFIG=VALUE", help="cost per sample (repeatable; "
                   f"finite, > 0, at most {A.MAX_COST:g}; budget / smallest cost at most {A.MAX_BUDGET})")
    o.add_argument("--certify", action="store_true", help="prove optimality at each budget (at most "
                   f"{A.MAX_CERTIFY_BUDGETS} budgets)")
    A.add_seed(o)
    A.add_json(o)
    _add_evaluation_args(o)
    o.set_defaults(func=cmd_optimize)


def _add_evaluation_args(p) -> None:
    """The options ``optimize`` and ``curves`` share: experiment settings, holdout, missing cells, bootstrap,
    groups."""
    A.add_experiment_args(p, bans=ex.BANS)
    A.add_holdout(p)
    A.add_missing(p)
    A.add_bootstrap(p)
    A.add_groups(p)


def _add_curves(sub) -> None:
    c = sub.add_parser("curves", help="test pass@C curves of several strategies")
    A.add_source_args(c)
    c.add_argument("--budgets", required=True, help=SPEC_HELP)
    c.add_argument("--strategies", help=f"comma-separated: {registry.PURE_PREFIX}<config>, "
                   f"{', '.join(registry.names())} (default: every pure configuration, "
                   f"{', '.join(registry.names(default=True))})")
    c.add_argument("--configs", help="comma-separated configurations (default: all)")
    c.add_argument("--x", choices=list(plans.X_AXES), default="budget", help="expected-cost: every point also "
                   "carries its expected cost per question when sampling stops at the first accepted sample")
    A.add_seed(c)
    fmt = c.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="stable JSON on stdout (keys are only ever added)")
    fmt.add_argument("--csv", action="store_true", help="CSV on stdout")
    _add_evaluation_args(c)
    c.set_defaults(func=cmd_curves)


def _add_study(sub) -> None:
    sd = sub.add_parser("study", help="regenerate the experiment CSVs (training fraction, C0, bans, savings)")
    sd.add_argument("--file", action="append", help="a release JSON file (repeatable; default: both release logs)")
    sd.add_argument("--dataset", action="append", help="a dataset in the store (repeatable)")
    sd.add_argument("--out", default="artifacts/study", help="folder for the CSV files (default artifacts/study)")
    sd.add_argument("--splits", type=A.count("--splits", maximum=A.MAX_SPLITS), default=10,
                    help=f"random splits per setting (default 10, at most {A.MAX_SPLITS})")
    A.add_seed(sd)
    sd.add_argument("--budgets", help="SPEC for the curves and the savings (default: curves 1..n when n <= 32, "
                    "else powers of two up to n, and n; savings every budget 1..n)")
    A.add_missing(sd)
    A.add_json(sd)
    sd.set_defaults(func=cmd_study)
