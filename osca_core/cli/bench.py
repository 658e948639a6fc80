"""The benchmark commands: ``osca bench ingest`` and ``osca bench optimizer`` (goals are reported, never
asserted). A new benchmark is one ``_add_<name>`` function here, called from :func:`register`."""

from __future__ import annotations

import argparse

from osca_core.cli import args as A
from osca_core.cli.output import emit_json, print_table


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    from osca_core.importers import bench_ingest

    r = bench_ingest(args.rows, seed=args.seed)
    if args.json:
        emit_json(r.as_dict())
        return 0
    print(f"ingest {r.rows} per-sample rows ({r.questions} questions x {r.configs} configurations, Parquet "
          f"{r.parquet_bytes} bytes, generated in {r.generate_seconds:.2f} s)")
    print(f"import {r.import_seconds:.2f} s = read {r.read_seconds:.2f} + validate {r.validate_seconds:.2f} + "
          f"aggregate {r.aggregate_seconds:.2f} + write {r.write_seconds:.2f} (+ open); peak RSS "
          f"{r.peak_rss_mb:.0f} MB; counts match: {'yes' if r.counts_match else 'NO'}")
    print("goal: 10^7 rows in <= 20 s with peak RSS <= 2 GB (2 cores)")
    return 0 if r.counts_match else 1


def cmd_bench_optimizer(args: argparse.Namespace) -> int:
    from osca_core.bench_optimizer import GOALS, run_optimizer_bench

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
        print_optimizer_dataset(d, r["paper_script_seconds"])
    sc = r["synthetic"]
    if sc:
        print(f"\nsynthetic: {sc['train_questions']} training questions x {sc['configs']} configurations, budgets "
              f"1-{sc['budget_max']}: {sc['solve_seconds']:.2f} s (generated in {sc['generate_seconds']:.2f} s; "
              f"BLAS threads {sc['blas_threads']}); peak RSS {sc['peak_rss_mb']:.0f} MB"
              + (f" ({sc['solve_peak_rss_mb']:.0f} MB while optimizing)" if sc["solve_peak_rss_mb"] else "")
              + f"; bound gap median {sc['upper_bound_gap_median']:.1e}, max {sc['upper_bound_gap_max']:.1e}")
    print(f"\ngoals: full BigCodeBench curve <= {GOALS['bcb_curve_seconds'] * 1000:.0f} ms; --certify on the 20 "
          f"budgets < {GOALS['bcb_certify_seconds']:.0f} s; synthetic scale case <= {GOALS['scale_seconds']:.0f} s")
    return 0


def print_optimizer_dataset(d: dict, paper: float) -> None:
    """One release log's rows of ``osca bench optimizer``: timings, then the gaps hillclimb vs osca."""
    print(f"\n{d['dataset']}: {d['train_questions']} training questions x {d['configs']} configurations")
    nb = len(d["budgets"])
    print_table(["what", "budgets", "runs", "seconds", "x paper script"], [
        ["hillclimb", f"{nb} budgets", d["runs"], d["hillclimb_seconds"], paper / d["hillclimb_seconds"]],
        ["osca (optimizer)", f"1-{d['curve_max']}", d["runs"], d["curve_seconds"], paper / d["curve_seconds"]],
        ["osca strategy (+ scoring)", f"1-{d['curve_max']}", max(1, d["runs"] // 2), d["strategy_seconds"], None],
        ["osca --certify", f"{nb} budgets", d["certify_runs"], d["certify_seconds"], paper / d["certify_seconds"]],
    ])
    print(f"certified: {d['certified']}/{nb} with --certify; {d['certified_by_bounds']}/{d['curve_max']} of the "
          f"curve by the cheap bounds alone")
    print_table(["budget", "hillclimb", "osca", "gap", "upper_bound", "certified"],
                [[g["budget"], g["hillclimb"], g["osca"], f"{g['gap']:+.2e}", g["upper_bound"], g["certified"]]
                 for g in d["gaps"]])


def _add_ingest(bench_sub) -> None:
    bi = bench_sub.add_parser("ingest", help="import N generated per-sample Parquet rows; seconds and peak RSS")
    bi.add_argument("--rows", type=A.count("--rows", maximum=100_000_000), default=1_000_000,
                    help="per-sample rows to generate (default 10^6, at most 10^8)")
    A.add_seed(bi)
    A.add_json(bi)
    bi.set_defaults(func=cmd_bench_ingest)


def _add_optimizer(bench_sub) -> None:
    bo = bench_sub.add_parser("optimizer", help="hillclimb vs osca vs certify on both release logs, plus the "
                              "Q=10^4, S=200, C=1..1024 synthetic case: medians, ratios, gaps")
    bo.add_argument("--runs", type=A.count("--runs"), default=5,
                    help="repetitions of the fast measurements (median; default 5)")
    bo.add_argument("--certify-runs", type=A.count("--certify-runs"), default=3,
                    help="repetitions of --certify (default 3)")
    bo.add_argument("--scale-questions", type=A.count("--scale-questions", maximum=1_000_000), default=10_000,
                    help="synthetic training questions (10^4)")
    bo.add_argument("--scale-configs", type=A.count("--scale-configs", maximum=10_000), default=200,
                    help="synthetic configurations (200)")
    bo.add_argument("--scale-budget", type=A.count("--scale-budget", maximum=A.MAX_BUDGET), default=1024,
                    help="synthetic curve 1..N (1024)")
    bo.add_argument("--no-scale", action="store_true", help="skip the synthetic scale case")
    bo.add_argument("--blas-threads", type=A.count("--blas-threads", minimum=0), default=1,
                    help="OpenBLAS threads in the scale case's child process (default 1; 0: inherit)")
    A.add_json(bo)
    bo.set_defaults(func=cmd_bench_optimizer)


def register(sub) -> None:
    """Add ``bench`` and its subcommands (ingest, optimizer) to the ``osca`` subparsers."""
    bench = sub.add_parser("bench", help="speed benchmarks (goals are reported, never asserted)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, parser_class=A.Parser)
    _add_ingest(bench_sub)
    _add_optimizer(bench_sub)
