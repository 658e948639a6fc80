"""The ``osca`` command line: parse arguments, call the core, print tables or stable JSON.

User mistakes (missing file, bad budget spec, unknown configuration, malformed data) print one line
``osca: error: ...`` on stderr and exit with code 2, without a traceback. JSON layouts are documented in the
README and are a contract: keys are only ever added, never renamed or removed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from osca_core.errors import InputError
from osca_core.outcomes import OutcomeMatrix, load_release

# -- shared argument helpers -----------------------------------------------------------------------------------

def parse_budgets(spec: str) -> list[int]:
    """Budget SPEC: ``1-16``, ``2,4,8`` or mixed ``1-8,16,32`` -> sorted distinct positive integers."""
    out: set[int] = set()
    for part in str(spec).split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                out.update(range(lo, hi + 1))
            else:
                out.add(int(part))
        except ValueError:
            raise InputError(f"--budgets: cannot read {part!r} in {spec!r} (use e.g. 1-16, 2,4,8 or 1-8,16,32)") from None
    if not out or min(out) < 1:
        raise InputError(f"--budgets: budgets must be positive integers (got {spec!r})")
    if max(out) > 100_000:
        raise InputError(f"--budgets: budget {max(out)} is too large (at most 100000)")
    return sorted(out)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2 (argparse's default prints usage first)
        raise InputError(f"{self.prog}: {message}")


def add_source_args(p: argparse.ArgumentParser) -> None:
    """--file RELEASE.json or --dataset NAME (a dataset in the store)."""
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--file", help="a release JSON file (the OSCA layout)")
    g.add_argument("--dataset", help="a dataset in the store (see `osca datasets`)")


def load_matrix_arg(args: argparse.Namespace) -> OutcomeMatrix:
    """Resolve --file / --dataset and --configs / --cost into an outcome matrix."""
    if getattr(args, "file", None):
        m = load_release(args.file)
    else:
        from osca_core.store import Store

        with Store.open(read_only=True) as st:
            m = st.load_matrix(args.dataset)
    if getattr(args, "configs", None):
        names = [x.strip() for x in args.configs.split(",") if x.strip()]
        m = m.select_configs(names)
    costs = getattr(args, "cost", None)
    if costs:
        table = {}
        for item in costs:
            name, _, val = item.partition("=")
            try:
                v = float(val)
            except ValueError:
                v = -1.0
            if not name or not v > 0:
                raise InputError(f"--cost: expected CONFIG=VALUE with VALUE > 0 (got {item!r})")
            table[name] = v
        m = m.with_costs(table)
    return m


def emit_json(obj) -> None:
    json.dump(obj, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def print_table(header: Sequence[str], rows: Sequence[Sequence]) -> None:
    cells = [[str(h) for h in header]] + [[_fmt(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, r in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.5f}"
    if v is None:
        return "-"
    return str(v)


def split_note(m: OutcomeMatrix) -> None:
    if m.in_sample:
        print(f"note: {m.name}: train and test are the same questions; every number is in-sample", file=sys.stderr)


# -- optimize --------------------------------------------------------------------------------------------------

def cmd_optimize(args: argparse.Namespace) -> int:
    from osca_core import strategies

    m = load_matrix_arg(args)
    budgets = parse_budgets(args.budgets)
    setting = experiment_setting(args)
    if setting is not None:  # --train-fraction / --splits / --c0 / --ban
        return optimize_experiment(args, m, budgets, setting)
    costed = bool((m.costs != 1.0).any())
    if args.strategy == "hillclimb" and (costed or args.certify):
        raise InputError(f"{'--cost' if costed else '--certify'} needs --strategy osca "
                         "(the paper's hill climbing counts samples and proves nothing)")
    t0 = time.perf_counter()
    found = strategies.solve(m, args.strategy, budgets, seed=args.seed, certify=args.certify)
    solve = time.perf_counter() - t0  # optimization alone: loading and scoring excluded
    allocs = strategies.scored(m, args.strategy, found)
    split_note(m)
    results = [  # budget: the one asked for (with costs it bounds "cost" = sum of cost x samples)
        {"budget": a.budget, "allocation": a.allocation, "train_pass": a.train_pass, "test_pass": a.test_pass,
         "upper_bound": a.upper_bound, "certified": a.certified, "extrapolated": a.extrapolated,
         "cost": float(m.costs @ a.counts)}
        for a in allocs
    ]
    if args.json:
        emit_json({"dataset": m.name, "solve_seconds": solve, "results": results})
        return 0
    print(f"dataset {m.name} ({m.split_label}), strategy {args.strategy}, solved in {solve:.3f} s")
    print_table(
        ["budget", *(["cost"] if costed else []), "train_pass", "test_pass", "upper_bound", "certified",
         "extrapolated", "allocation"],
        [[r["budget"], *([r["cost"]] if costed else []), r["train_pass"], r["test_pass"], r["upper_bound"],
          r["certified"], r["extrapolated"], ", ".join(f"{k} x{v}" for k, v in r["allocation"].items())]
         for r in results],
    )
    return 0


# -- curves ----------------------------------------------------------------------------------------------------

def cmd_curves(args: argparse.Namespace) -> int:
    from osca_core import strategies

    m = load_matrix_arg(args)
    budgets = parse_budgets(args.budgets)
    names = ([x.strip() for x in args.strategies.split(",") if x.strip()] if args.strategies
             else strategies.default_strategies(m))
    for s in names:
        if s.startswith("pure:"):
            m.config_index([s[5:]])
        elif s not in strategies.STRATEGIES:
            raise InputError(f"--strategies: unknown strategy {s!r} (use pure:<config>, {', '.join(strategies.STRATEGIES)})")
    exp = experiment_curves(args, m, names, budgets)  # None without experiment options
    if exp is None or exp.setting.train_fraction is None:
        split_note(m)
    rows = []
    for s in names:
        cv = exp.curve(s) if exp else strategies.curve(m, s, budgets, seed=args.seed)
        lo = cv.ci_low or (None,) * len(cv.budgets)
        hi = cv.ci_high or (None,) * len(cv.budgets)
        for b, v, e, a, z in zip(cv.budgets, cv.values, cv.extrapolated, lo, hi, strict=True):
            rows.append({"strategy": s, "budget": b, "pass": v, "ci_low": a, "ci_high": z, "extrapolated": e})
    if args.json:
        emit_json({"dataset": m.name, "curves": rows} | ({"setting": exp.setting.as_dict()} if exp else {}))
    elif args.csv:
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    else:
        print(f"dataset {m.name} ({exp.setting.label if exp else m.split_label}); test pass@C")
        print_table(["strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated"],
                    [list(r.values()) for r in rows])
    return 0


# -- experiments: random splits, C0, bans (options of optimize/curves), savings, study -------------------------

def add_experiment_args(p: argparse.ArgumentParser, *, c0_and_ban: bool = True) -> None:
    """--train-fraction F --splits R (seeded by --seed), and on optimize/curves --c0 M and --ban."""
    p.add_argument("--train-fraction", type=float, metavar="F",
                   help="random splits of all questions: fraction F for training, the rest for test")
    p.add_argument("--splits", type=int, metavar="R", help="number of random splits (default 1); mean and "
                   "95%% interval (2.5th/97.5th percentiles over splits)")
    if c0_and_ban:
        p.add_argument("--c0", type=int, metavar="M", help="estimate training pass rates from M samples per "
                       "question and configuration (hypergeometric subsample, seeded)")
        from osca_core.experiments import BANS

        p.add_argument("--ban", action="append", choices=BANS, help="forbid mixing models, temperatures or "
                       "variants (repeatable)")


def experiment_setting(args: argparse.Namespace):
    """The experiments.Setting asked for, or None when no experiment option was given."""
    from osca_core.experiments import Setting

    f, r = getattr(args, "train_fraction", None), getattr(args, "splits", None)
    c0, bans = getattr(args, "c0", None), getattr(args, "ban", None)
    if f is None and r is None and c0 is None and not bans:
        return None
    return Setting(f, 1 if r is None else r, args.seed, c0, tuple(bans or ()))


def _ci(lo, hi, i: int) -> tuple:
    return (None, None) if lo is None else (float(lo[i]), float(hi[i]))


def optimize_experiment(args: argparse.Namespace, m: OutcomeMatrix, budgets: list[int], setting) -> int:
    """`osca optimize` with experiment options: one result per split and budget (key `split`, and
    `train_pass_full` = training objective with all n samples when --c0 is set), plus a per-budget summary."""
    from osca_core import experiments as ex

    t0 = time.perf_counter()
    runs = ex.optimize_runs(m, budgets, setting, strategy=args.strategy, certify=args.certify)
    solve = time.perf_counter() - t0
    if setting.train_fraction is None:
        split_note(m)
    results = []
    for run in runs:
        for a, full in zip(run.allocations, run.train_pass_full, strict=True):
            results.append({"budget": a.budget, "allocation": a.allocation, "train_pass": a.train_pass,
                            "test_pass": a.test_pass, "upper_bound": a.upper_bound, "certified": a.certified,
                            "extrapolated": a.extrapolated, "split": run.split, "train_pass_full": full})
    test = [[a.test_pass for a in run.allocations] for run in runs]
    mean, lo, hi = ex.interval(test)
    summary = [{"budget": b, "test_pass": float(mean[i]), "ci_low": _ci(lo, hi, i)[0], "ci_high": _ci(lo, hi, i)[1]}
               for i, b in enumerate(budgets)]
    if args.json:
        emit_json({"dataset": m.name, "solve_seconds": solve, "results": results, "setting": setting.as_dict(),
                   "summary": summary})
        return 0
    print(f"dataset {m.name} ({setting.label}), strategy {args.strategy}, solved in {solve:.3f} s")
    print_table(
        ["split", "budget", "train_pass", "train_pass_full", "test_pass", "upper_bound", "certified",
         "extrapolated", "allocation"],
        [[r["split"], r["budget"], r["train_pass"], r["train_pass_full"], r["test_pass"], r["upper_bound"],
          r["certified"], r["extrapolated"], ", ".join(f"{k} x{v}" for k, v in r["allocation"].items())]
         for r in results],
    )
    if len(runs) > 1:
        print("\nmean test pass over splits, 95% interval = 2.5th..97.5th percentile")
        print_table(["budget", "test_pass", "ci_low", "ci_high"], [list(r.values()) for r in summary])
    return 0


def experiment_curves(args: argparse.Namespace, m: OutcomeMatrix, names: list[str], budgets: list[int]):
    """The experiments.CurveSet for `osca curves` with experiment options, or None without them."""
    from osca_core import experiments as ex

    setting = experiment_setting(args)
    return None if setting is None else ex.run_curves(m, names, budgets, setting)


def cmd_savings(args: argparse.Namespace) -> int:
    from osca_core import experiments as ex

    m = load_matrix_arg(args)
    budgets = parse_budgets(args.budgets) if args.budgets else None
    setting = experiment_setting(args) or ex.Setting(seed=args.seed)
    if setting.train_fraction is None:
        split_note(m)
    sv = ex.savings(m, budgets, setting)
    if args.json:
        emit_json(sv.as_dict())
        return 0
    print(f"dataset {m.name} ({setting.label})")
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
    return 0


def _release_files() -> list[str]:
    import os
    from pathlib import Path

    env = os.environ.get("OSCA_RELEASE_MIRROR", "")
    folder = Path(env) if env and Path(env).is_dir() else Path(__file__).resolve().parents[2] / "shared" / "data" / "osca-release"
    files = [folder / "swebench_agentless.json", folder / "bcb_results.json"]
    if not all(f.is_file() for f in files):
        raise InputError(f"study: release logs not found in {folder}; give --file/--dataset or set OSCA_RELEASE_MIRROR")
    return [str(f) for f in files]


def _cell(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, tuple) and len(v) == 3:
        mean, lo, hi = v
        return f"{mean:.3f}" if lo is None else f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"
    if isinstance(v, tuple):
        return "-" if v[0] is None else f"[{v[0]:.2f}, {v[1]:.2f}]"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def cmd_study(args: argparse.Namespace) -> int:
    import csv
    import dataclasses
    from pathlib import Path

    from osca_core import experiments as ex
    from osca_core import study as sdy

    ex.Setting(0.5, args.splits, args.seed)  # validate options before any work
    sources = [("file", f) for f in args.file or []] + [("dataset", d) for d in args.dataset or []]
    if not sources:
        sources = [("file", f) for f in _release_files()]
    matrices = [load_matrix_arg(argparse.Namespace(**{k: v, "configs": None, "cost": None})) for k, v in sources]
    budgets = parse_budgets(args.budgets) if args.budgets else None
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"--out {out}: cannot create the folder ({e.strerror})") from None
    files, summary = [], []
    for m in matrices:
        res = sdy.study(m, budgets=budgets, splits=args.splits, seed=args.seed,
                       progress=lambda msg: print(f"study: {msg}", file=sys.stderr, flush=True))
        for kind in ("train_fraction", "c0", "ban"):
            path = out / f"{m.name}_{kind}.csv"
            rows = [dataclasses.asdict(r) for r in res.rows if r.study == kind]
            with path.open("w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]))
                w.writeheader()
                w.writerows(rows)
            files.append(str(path))
        path = out / f"{m.name}_savings.csv"
        with path.open("w", newline="") as fh:
            keys = ["dataset", "baseline", "baseline_budget", "target_pass", "budget_needed", "ratio",
                    "ratio_ci_low", "ratio_ci_high", "splits"]
            w = csv.DictWriter(fh, fieldnames=keys + ["train_fraction", "seed"])
            w.writeheader()
            for sv in res.savings:
                d = sv.as_dict()
                w.writerow({**{k: d[k] for k in keys}, "train_fraction": sv.setting.train_fraction,
                            "seed": sv.setting.seed})
        files.append(str(path))
        summary += sdy.study_summary(res)
    if args.json:
        emit_json({"out": str(out), "files": files, "splits": args.splits, "seed": args.seed,
                   "summary": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in r.items()} for r in summary]})
        return 0
    print(f"wrote {len(files)} CSV files to {out}; mean [95% interval over {args.splits} splits] at the budget shown")
    cols = ["dataset", "experiment", "setting", "budget", "best-pure", "osca", "osca-eb"]
    print_table(cols, [[_cell(r.get(c)) for c in cols] for r in summary if r["experiment"] != "savings"])
    print()
    cols = ["dataset", "setting", "baseline", "budget", "target_pass", "budget_needed", "ratio", "ratio_ci"]
    print_table(cols, [[_cell(r.get(c)) for c in cols] for r in summary if r["experiment"] == "savings"])
    return 0


# -- data: fetch, import, datasets, remove, demo; bench ingest --------------------------------------------------

def _dataset_json(d) -> dict:
    return {"name": d.name, "questions": d.questions, "configs": d.configs, "source": d.source, "split": d.split,
            "synthetic": d.synthetic, "checksum": d.checksum, "created": d.created}


def _report_datasets(infos, as_json: bool, verb: str = "") -> None:
    if as_json:
        emit_json({"datasets": [_dataset_json(d) for d in infos]})
    for d in infos:
        if verb and not as_json:
            print(f"{verb} {d.name}: {d.questions} questions x {d.configs} configurations ({d.split})"
                  f"{', SYNTHETIC data' if d.synthetic else ''}, source {d.source}")
        if verb and d.split == "in-sample":
            print(f"note: {d.name} has no separate test questions: train = test = all {d.questions} questions; "
                  f"every number is in-sample", file=sys.stderr)


def cmd_fetch(args: argparse.Namespace) -> int:
    from osca_core.release import fetch_release
    from osca_core.store import Store

    shown: dict[str, int] = {}

    def progress(name: str, done: int, total: int) -> None:
        step = 4 * done // max(total, 1)
        if step > shown.get(name, -1) or done == total:
            shown[name] = step + (done == total)
            print(f"fetch: {name} {done}/{total} bytes", file=sys.stderr)

    with Store.open() as st:
        infos = fetch_release(st, mirror=args.mirror, progress=progress)
    _report_datasets(infos, args.json, "imported")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from osca_core.importers import import_paths
    from osca_core.store import Store

    with Store.open() as st:
        info = import_paths(st, args.paths, format=args.format, name=args.name, config=args.config)
    _report_datasets([info], args.json, "imported")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from osca_core.store import Store

    with Store.open(read_only=True) as st:
        infos = st.list_datasets()
    if args.json:
        _report_datasets(infos, True)
    elif not infos:
        print("no datasets yet: run `osca fetch`, `osca import PATH...` or `osca demo`", file=sys.stderr)
    else:
        print_table(["name", "questions", "configs", "split", "data", "source"],
                    [[d.name, d.questions, d.configs, d.split, "SYNTHETIC" if d.synthetic else "real", d.source]
                     for d in infos])
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    from osca_core.store import Store

    with Store.open() as st:
        st.remove(args.name)
    print(f"removed {args.name}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from osca_core.store import Store
    from osca_core.synthetic import demo_matrix

    m = demo_matrix(seed=args.seed, questions=args.questions, configs=args.configs)
    with Store.open() as st:
        info = st.save_matrix(m, name=args.name)
    _report_datasets([info], args.json, "stored")
    return 0


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    from osca_core.importers import bench_ingest

    r = bench_ingest(args.rows, seed=args.seed)
    if args.json:
        emit_json(r.as_dict())
        return 0
    print(f"ingest {r.rows} per-sample rows ({r.questions} questions x {r.configs} configurations, Parquet "
          f"{r.parquet_bytes} bytes, generated in {r.generate_seconds:.2f} s)")
    print(f"import {r.import_seconds:.2f} s = read {r.read_seconds:.2f} + validate {r.validate_seconds:.2f} + "
          f"aggregate {r.aggregate_seconds:.2f} + write {r.write_seconds:.2f} (+ open); peak RSS {r.peak_rss_mb:.0f} MB; "
          f"counts match: {'yes' if r.counts_match else 'NO'}")
    print("goal: 10^7 rows in <= 20 s with peak RSS <= 2 GB (2 cores)")
    return 0 if r.counts_match else 1


def cmd_bench_optimizer(args: argparse.Namespace) -> int:
    from osca_core.bench_optimizer import GOALS, run_optimizer_bench

    if args.blas_threads < 0:
        raise InputError(f"--blas-threads: must be >= 0 (got {args.blas_threads})")
    for flag, v in (("--runs", args.runs), ("--certify-runs", args.certify_runs),
                    ("--scale-questions", args.scale_questions), ("--scale-configs", args.scale_configs),
                    ("--scale-budget", args.scale_budget)):
        if v < 1:
            raise InputError(f"{flag}: must be a positive integer (got {v})")
    r = run_optimizer_bench(runs=args.runs, certify_runs=args.certify_runs, scale_questions=args.scale_questions,
                            scale_configs=args.scale_configs, scale_budget=args.scale_budget, scale=not args.no_scale,
                            blas_threads=args.blas_threads)
    if args.json:
        emit_json(r)
        return 0
    mach = r["machine"]
    print(f"machine: {mach['cpus']} cpus, load {mach['load_average_at_start']}, numpy {mach['numpy']}, "
          f"scipy {mach['scipy']}; medians of repeated runs; paper's script ~{r['paper_script_seconds']:.0f} s "
          f"for its 20 BigCodeBench budgets")
    for d in r["datasets"]:
        print(f"\n{d['dataset']}: {d['train_questions']} training questions x {d['configs']} configurations")
        nb = len(d["budgets"])
        print_table(["what", "budgets", "runs", "seconds", "x paper script"], [
            ["hillclimb", f"{nb} budgets", d["runs"], d["hillclimb_seconds"], r["paper_script_seconds"] / d["hillclimb_seconds"]],
            ["osca (optimizer)", f"1-{d['curve_max']}", d["runs"], d["curve_seconds"],
             r["paper_script_seconds"] / d["curve_seconds"]],
            ["osca strategy (+ scoring)", f"1-{d['curve_max']}", max(1, d["runs"] // 2), d["strategy_seconds"], None],
            ["osca --certify", f"{nb} budgets", d["certify_runs"], d["certify_seconds"],
             r["paper_script_seconds"] / d["certify_seconds"]],
        ])
        print(f"certified: {d['certified']}/{nb} with --certify; {d['certified_by_bounds']}/{d['curve_max']} of the "
              f"curve by the cheap bounds alone")
        print_table(["budget", "hillclimb", "osca", "gap", "upper_bound", "certified"],
                    [[g["budget"], g["hillclimb"], g["osca"], f"{g['gap']:+.2e}", g["upper_bound"], g["certified"]]
                     for g in d["gaps"]])
    sc = r["synthetic"]
    if sc:
        print(f"\nsynthetic: {sc['train_questions']} training questions x {sc['configs']} configurations, budgets "
              f"1-{sc['budget_max']}: {sc['solve_seconds']:.2f} s (generated in {sc['generate_seconds']:.2f} s; "
              f"BLAS threads {sc['blas_threads']}); "
              f"peak RSS {sc['peak_rss_mb']:.0f} MB"
              + (f" ({sc['solve_peak_rss_mb']:.0f} MB while optimizing)" if sc["solve_peak_rss_mb"] else "")
              + f"; bound gap median {sc['upper_bound_gap_median']:.1e}, max {sc['upper_bound_gap_max']:.1e}")
    print(f"\ngoals: full BigCodeBench curve <= {GOALS['bcb_curve_seconds'] * 1000:.0f} ms; --certify on the 20 "
          f"budgets < {GOALS['bcb_certify_seconds']:.0f} s; synthetic scale case <= {GOALS['scale_seconds']:.0f} s")
    return 0


# -- parser ----------------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="osca", description="OSCA Studio: optimized sample compute allocation for LLM inference.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    o = sub.add_parser("optimize", help="optimize the allocation at each budget")
    add_source_args(o)
    o.add_argument("--budgets", required=True, help="SPEC: 1-16, 2,4,8 or 1-8,16,32")
    o.add_argument("--strategy", choices=["osca", "hillclimb"], default="osca")
    o.add_argument("--configs", help="comma-separated configurations to allocate over (default: all)")
    o.add_argument("--cost", action="append", metavar="CONFIG=VALUE", help="cost per sample (repeatable)")
    o.add_argument("--certify", action="store_true", help="prove optimality at each budget (MILP)")
    o.add_argument("--seed", type=int, default=0)
    o.add_argument("--json", action="store_true")
    add_experiment_args(o)
    o.set_defaults(func=cmd_optimize)

    c = sub.add_parser("curves", help="test pass@C curves of several strategies")
    add_source_args(c)
    c.add_argument("--budgets", required=True)
    c.add_argument("--strategies", help="comma-separated: pure:<config>, best-pure, uniform, even, hillclimb, osca, osca-eb")
    c.add_argument("--configs", help="comma-separated configurations (default: all)")
    c.add_argument("--seed", type=int, default=0)
    fmt = c.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    add_experiment_args(c)
    c.set_defaults(func=cmd_curves)

    # -- data commands (fetch, import, datasets, remove, demo): registered below this line --
    f = sub.add_parser("fetch", help="download the paper's release logs (sha256-checked) into the store")
    f.add_argument("--mirror", metavar="DIR_OR_URL", help="folder or http(s) URL with the release files "
                   "(default: $OSCA_RELEASE_MIRROR, else the public addresses)")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=cmd_fetch)

    im = sub.add_parser("import", help="import generation logs (osca release, long CSV/Parquet/JSONL, lcb)")
    im.add_argument("paths", nargs="+", metavar="PATH")
    im.add_argument("--format", choices=["osca", "long", "lcb"], help="default: guessed from the content")
    im.add_argument("--name", help="dataset name (default: the first file's name); replaces a dataset of that name")
    im.add_argument("--config", help="lcb: configuration name per file, comma-separated (default: parent folder)")
    im.add_argument("--json", action="store_true")
    im.set_defaults(func=cmd_import)

    ds = sub.add_parser("datasets", help="list the datasets in the store")
    ds.add_argument("--json", action="store_true")
    ds.set_defaults(func=cmd_datasets)

    rm = sub.add_parser("remove", help="remove a dataset from the store")
    rm.add_argument("name", metavar="NAME")
    rm.set_defaults(func=cmd_remove)

    dm = sub.add_parser("demo", help="store a synthetic demo dataset (seeded generative model, offline)")
    dm.add_argument("--name", default="demo-synthetic")
    dm.add_argument("--seed", type=int, default=0)
    dm.add_argument("--questions", type=int, default=200)
    dm.add_argument("--configs", type=int, default=12)
    dm.add_argument("--json", action="store_true")
    dm.set_defaults(func=cmd_demo)

    # -- bench commands (bench ingest, bench optimizer): registered below this line --
    bench = sub.add_parser("bench", help="speed benchmarks (goals are reported, never asserted)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, parser_class=_Parser)
    bi = bench_sub.add_parser("ingest", help="import N generated per-sample Parquet rows; seconds and peak RSS")
    bi.add_argument("--rows", type=int, default=1_000_000, help="per-sample rows to generate (default 10^6)")
    bi.add_argument("--seed", type=int, default=0)
    bi.add_argument("--json", action="store_true")
    bi.set_defaults(func=cmd_bench_ingest)
    # -- bench optimizer: register on bench_sub below this line --
    bo = bench_sub.add_parser("optimizer", help="hillclimb vs osca vs certify on both release logs, plus the "
                              "Q=10^4, S=200, C=1..1024 synthetic case: medians, ratios, gaps")
    bo.add_argument("--runs", type=int, default=5, help="repetitions of the fast measurements (median; default 5)")
    bo.add_argument("--certify-runs", type=int, default=3, help="repetitions of --certify (default 3)")
    bo.add_argument("--scale-questions", type=int, default=10_000, help="synthetic training questions (10^4)")
    bo.add_argument("--scale-configs", type=int, default=200, help="synthetic configurations (200)")
    bo.add_argument("--scale-budget", type=int, default=1024, help="synthetic curve 1..N (1024)")
    bo.add_argument("--no-scale", action="store_true", help="skip the synthetic scale case")
    bo.add_argument("--blas-threads", type=int, default=1,
                    help="OpenBLAS threads in the scale case's child process (default 1; 0: inherit)")
    bo.add_argument("--json", action="store_true")
    bo.set_defaults(func=cmd_bench_optimizer)

    # -- experiment commands (savings, study): registered below this line --
    sv = sub.add_parser("savings", help="compute OSCA saves to reach the best pure configuration's accuracy")
    add_source_args(sv)
    sv.add_argument("--budgets", help="SPEC (default: 1 up to the smallest n among the configurations)")
    sv.add_argument("--configs", help="comma-separated configurations (default: all)")
    add_experiment_args(sv, c0_and_ban=False)
    sv.add_argument("--seed", type=int, default=0)
    sv.add_argument("--json", action="store_true")
    sv.set_defaults(func=cmd_savings)

    sd = sub.add_parser("study", help="regenerate the experiment CSVs (training fraction, C0, bans, savings)")
    sd.add_argument("--file", action="append", help="a release JSON file (repeatable; default: both release logs)")
    sd.add_argument("--dataset", action="append", help="a dataset in the store (repeatable)")
    sd.add_argument("--out", default="artifacts/study", help="folder for the CSV files (default artifacts/study)")
    sd.add_argument("--splits", type=int, default=10, help="random splits per setting (default 10)")
    sd.add_argument("--seed", type=int, default=0)
    sd.add_argument("--budgets", help="SPEC (default: 1..n when n <= 32, else powers of two up to n, and n)")
    sd.add_argument("--json", action="store_true")
    sd.set_defaults(func=cmd_study)

    return p


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except InputError as e:
        print(f"osca: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("osca: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
