"""The analysis commands: ``osca optimize``, ``curves``, ``savings`` and ``study``.

Each reads a log (``--file`` or ``--dataset``), checks the request against the work limits of
:mod:`osca_core.cli.args`, runs the core and prints the result dataclasses' own JSON/row forms
(``Allocation.as_dict``, ``Curve.rows``, ``Savings.as_dict``) or a table. Long work reports progress on stderr.
"""

from __future__ import annotations

import argparse
import time

from osca_core import experiments as ex
from osca_core import registry, strategies
from osca_core import study as sdy
from osca_core.cli import args as A
from osca_core.cli.output import (
    Progress,
    alloc_cell,
    emit_json,
    heartbeat,
    note,
    print_table,
    split_note,
    study_cell,
    write_csv,
)
from osca_core.errors import InputError
from osca_core.outcomes import OutcomeMatrix, load_release
from osca_core.settings import release_folder

OPTIMIZERS = tuple(s.name for s in registry.specs() if s.solver is not None)  # `osca optimize --strategy`
CERTIFIERS = tuple(s.name for s in registry.specs() if s.certifies)  # --certify and --cost


# -- loading and settings ----------------------------------------------------------------------------------------

def load_matrix(args: argparse.Namespace) -> OutcomeMatrix:
    """Resolve --file / --dataset and --configs / --cost into an outcome matrix."""
    if getattr(args, "file", None):
        m = load_release(args.file)
    else:
        from osca_core.store import Store

        with Store.open(read_only=True) as st:
            m = st.load_matrix(args.dataset)
    names = A.parse_names(getattr(args, "configs", None), "--configs")
    if names is not None:
        m = m.select_configs(names)
    costs = A.parse_costs(getattr(args, "cost", None))
    return m.with_costs(costs) if costs else m


def experiment_setting(args: argparse.Namespace, m: OutcomeMatrix) -> ex.Setting | None:
    """The experiments.Setting asked for, or None when no experiment option was given; warns on stderr when a
    random split leaves fewer than MIN_SPLIT_QUESTIONS training or test questions."""
    f, r = getattr(args, "train_fraction", None), getattr(args, "splits", None)
    c0, bans = getattr(args, "c0", None), getattr(args, "ban", None)
    if f is None and r is None and c0 is None and not bans:
        return None
    setting = ex.Setting(f, 1 if r is None else r, args.seed, c0, tuple(bans or ()))
    if f is not None:
        warn_small_split(m, f)
    return setting


def warn_small_split(m: OutcomeMatrix, fraction: float) -> None:
    pool = int((m.train | m.test).sum())
    n_train = min(max(int(round(fraction * pool)), 1), pool - 1)  # as experiments.split_masks
    if min(n_train, pool - n_train) < A.MIN_SPLIT_QUESTIONS:
        note(f"warning: --train-fraction {fraction:g} on {pool} questions leaves {n_train} training and "
             f"{pool - n_train} test questions per split (fewer than {A.MIN_SPLIT_QUESTIONS}: the numbers are noise)")


def strategy_names(args: argparse.Namespace, m: OutcomeMatrix) -> list[str]:
    """--strategies (each registered, or pure:<config> of the matrix) or the registry's default curve set."""
    names = A.parse_names(args.strategies, "--strategies")
    if names is None:
        return registry.default_strategies(m)
    for s in names:
        if registry.lookup(s) is None and not s.startswith(registry.PURE_PREFIX):
            raise InputError(f"--strategies: unknown strategy {s!r} (use {registry.PURE_PREFIX}<config>, "
                             f"{', '.join(registry.names())})")
    return registry.check_names(m, names)


# -- optimize ------------------------------------------------------------------------------------------------------

def cmd_optimize(args: argparse.Namespace) -> int:
    m = load_matrix(args)
    budgets = A.parse_budgets(args.budgets)
    A.check_work(budgets, m.costs, certify=args.certify)
    setting = experiment_setting(args, m)
    if setting is not None:  # --train-fraction / --splits / --c0 / --ban
        return optimize_experiment(args, m, budgets, setting)
    costed = bool((m.costs != 1.0).any())
    if args.strategy not in CERTIFIERS and (costed or args.certify):
        raise InputError(f"{'--cost' if costed else '--certify'} needs --strategy {' or '.join(CERTIFIERS)} "
                         f"({registry.label(args.strategy)} counts samples and proves nothing)")
    with heartbeat("optimize"):
        t0 = time.perf_counter()
        found = registry.solve(m, args.strategy, budgets, seed=args.seed, certify=args.certify)
        solve = time.perf_counter() - t0  # optimization alone: loading and scoring excluded
    split_note(m)
    # budget: the one asked for (with costs it bounds "cost" = sum of cost x samples)
    results = [a.as_dict(costs=m.costs) for a in strategies.scored(m, args.strategy, found)]
    if args.json:
        emit_json({"dataset": m.name, "solve_seconds": solve, "results": results})
        return 0
    print(f"dataset {m.name} ({m.split_label}), strategy {args.strategy}, solved in {solve:.3f} s")
    cols = ["budget", *(["cost"] if costed else []), "train_pass", "test_pass", "upper_bound", "certified",
            "extrapolated"]
    print_table([*cols, "allocation"], [[r[k] for k in cols] + [alloc_cell(r["allocation"])] for r in results])
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
        emit_json({"dataset": m.name, "solve_seconds": solve, "results": results, "setting": setting.as_dict(),
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
    m = load_matrix(args)
    budgets = A.parse_budgets(args.budgets)
    names = strategy_names(args, m)
    A.check_work(budgets, m.costs)
    setting = experiment_setting(args, m)
    if setting is None:
        split_note(m)
        progress = Progress("curves")
        curves = []
        for i, s in enumerate(names):
            curves.append(registry.evaluate(m, s, budgets, seed=args.seed))
            progress(i + 1, len(names))
    else:
        if setting.train_fraction is None:
            split_note(m)
        curves = list(ex.run_curves(m, names, budgets, setting, progress=Progress("curves")).curves)
    rows = [row for cv in curves for row in cv.rows()]
    if args.json:
        emit_json({"dataset": m.name, "curves": rows} | ({"setting": setting.as_dict()} if setting else {}))
    elif args.csv:
        write_csv(None, rows, list(rows[0]))
    else:
        print(f"dataset {m.name} ({setting.label if setting else m.split_label}); test pass@C")
        print_table(["strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated"],
                    [list(r.values()) for r in rows])
    return 0


# -- savings -------------------------------------------------------------------------------------------------------

def savings_budgets(args: argparse.Namespace, m: OutcomeMatrix) -> list[int]:
    """--budgets, else 1 .. the smallest n, capped at DEFAULT_BUDGET_CAP (said on stderr when capped)."""
    if args.budgets:
        return A.parse_budgets(args.budgets)
    nmin = int(m.n.min())
    if nmin > A.DEFAULT_BUDGET_CAP:
        note(f"note: budgets 1-{A.DEFAULT_BUDGET_CAP}: the default stops at {A.DEFAULT_BUDGET_CAP} although the "
             f"smallest n is {nmin}; ask for more with --budgets (at most {A.MAX_BUDGET})")
    return A.default_budgets(nmin)


def cmd_savings(args: argparse.Namespace) -> int:
    m = load_matrix(args)
    budgets = savings_budgets(args, m)
    A.check_work(budgets, m.costs)
    setting = experiment_setting(args, m) or ex.Setting(seed=args.seed)
    if setting.train_fraction is None:
        split_note(m)
    sv = ex.savings(m, budgets, setting, progress=Progress("savings"))
    if args.json:
        emit_json(sv.as_dict())
        return 0
    print_savings(sv, setting)
    return 0


def print_savings(sv: ex.Savings, setting: ex.Setting) -> None:
    print(f"dataset {sv.dataset} ({setting.label})")
    if setting.splits == 1:
        print(f"baseline: best pure chosen on training data at C = {sv.baseline_budget}: {sv.baseline} "
              f"(test pass {sv.target_pass:.5f})")
    else:
        print(f"baseline: best pure chosen on training data at C = {sv.baseline_budget} (most often {sv.baseline}, "
              f"{sv.baseline_counts[sv.baseline]}/{setting.splits} splits); mean test pass {sv.target_pass:.5f}")
    if sv.budget_needed is None:
        print(f"OSCA does not reach {sv.target_pass:.5f} within budgets up to {sv.baseline_budget}")
    else:
        print(f"OSCA reaches it at C = {sv.budget_needed}: {sv.ratio:.2f}x less compute")
    if sv.ratio_ci_low is not None:
        print(f"ratio over {setting.splits} splits: 95% interval {sv.ratio_ci_low:.2f} .. {sv.ratio_ci_high:.2f} "
              "(0 = not reached)")
        print(f"note: {sv.note}")
        d = sv.as_dict()["gaps"]
        show = [r for r in d if r["budget"] & (r["budget"] - 1) == 0 or r is d[-1]]  # powers of two and B
        print("accuracy gap OSCA - best-pure at fixed budgets (mean over splits, 95% interval)")
        print_table(["budget", "osca", "best_pure", "gap", "ci_low", "ci_high"], [list(r.values()) for r in show])


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
    out = [load_matrix(argparse.Namespace(**{k: v, "configs": None, "cost": None})) for k, v in sources]
    for m in out:
        nmin = int(m.n.min())
        if nmin > A.DEFAULT_BUDGET_CAP:  # the study's savings run budgets 1..n
            raise InputError(f"study: {m.name} has n = {nmin} samples per cell; the study's savings run budgets "
                             f"1..n, above the limit of {A.DEFAULT_BUDGET_CAP} (use osca savings --budgets instead)")
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
    _add_savings(sub)
    _add_study(sub)


def _add_optimize(sub) -> None:
    o = sub.add_parser("optimize", help="optimize the allocation at each budget")
    A.add_source_args(o)
    o.add_argument("--budgets", required=True, help=SPEC_HELP)
    o.add_argument("--strategy", choices=list(OPTIMIZERS), default="osca")
    o.add_argument("--configs", help="comma-separated configurations to allocate over (default: all)")
    o.add_argument("--cost", action="append", metavar="CONFIG=VALUE", help="cost per sample (repeatable; "
                   f"finite, > 0, at most {A.MAX_COST:g}; budget / smallest cost at most {A.MAX_BUDGET})")
    o.add_argument("--certify", action="store_true", help="prove optimality at each budget (one MILP each; at "
                   f"most {A.MAX_CERTIFY_BUDGETS} budgets)")
    A.add_seed(o)
    A.add_json(o)
    A.add_experiment_args(o, bans=ex.BANS)
    o.set_defaults(func=cmd_optimize)


def _add_curves(sub) -> None:
    c = sub.add_parser("curves", help="test pass@C curves of several strategies")
    A.add_source_args(c)
    c.add_argument("--budgets", required=True, help=SPEC_HELP)
    c.add_argument("--strategies", help=f"comma-separated: {registry.PURE_PREFIX}<config>, "
                   f"{', '.join(registry.names())} (default: every pure configuration, "
                   f"{', '.join(registry.names(default=True))})")
    c.add_argument("--configs", help="comma-separated configurations (default: all)")
    A.add_seed(c)
    fmt = c.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="stable JSON on stdout (keys are only ever added)")
    fmt.add_argument("--csv", action="store_true", help="CSV on stdout")
    A.add_experiment_args(c, bans=ex.BANS)
    c.set_defaults(func=cmd_curves)


def _add_savings(sub) -> None:
    sv = sub.add_parser("savings", help="compute OSCA saves to reach the best pure configuration's accuracy")
    A.add_source_args(sv)
    sv.add_argument("--budgets", help=f"SPEC (default: 1 up to the smallest n among the configurations, at most "
                    f"{A.DEFAULT_BUDGET_CAP})")
    sv.add_argument("--configs", help="comma-separated configurations (default: all)")
    A.add_experiment_args(sv, c0_and_ban=False)
    A.add_seed(sv)
    A.add_json(sv)
    sv.set_defaults(func=cmd_savings)


def _add_study(sub) -> None:
    sd = sub.add_parser("study", help="regenerate the experiment CSVs (training fraction, C0, bans, savings)")
    sd.add_argument("--file", action="append", help="a release JSON file (repeatable; default: both release logs)")
    sd.add_argument("--dataset", action="append", help="a dataset in the store (repeatable)")
    sd.add_argument("--out", default="artifacts/study", help="folder for the CSV files (default artifacts/study)")
    sd.add_argument("--splits", type=A.count("--splits", maximum=A.MAX_SPLITS), default=10,
                    help=f"random splits per setting (default 10, at most {A.MAX_SPLITS})")
    A.add_seed(sd)
    sd.add_argument("--budgets", help="SPEC (default: 1..n when n <= 32, else powers of two up to n, and n)")
    A.add_json(sd)
    sd.set_defaults(func=cmd_study)
