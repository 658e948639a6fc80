"""The benchmark commands, ``osca bench NAME`` (goals are reported, never asserted; each prints text or
``--json``):

- ``ingest``: the long importer on N generated per-sample Parquet rows (:mod:`osca_core.bench.ingest`);
  ``--lake``: a generated hive-partitioned folder (default 10^8 rows) through the in-place path beside a bare
  DuckDB GROUP BY, the floor (:mod:`osca_core.bench.lake`);
- ``optimizer``: hillclimb vs osca vs certify on the release logs and the synthetic scale case
  (:mod:`osca_core.bench.optimizer`);
- ``attrs``: question attributes built in linear time (:mod:`osca_core.bench.attrs`);
- ``uniform``: the exact uniform expectation at large budgets (:mod:`osca_core.bench.uniform`);
- ``bootstrap``: B = 2000 paired resamples on the full BigCodeBench curve (:mod:`osca_core.bench.bootstrap`);
- ``schedule``: the best order of a C = 300 plan and osca-stop over 1..64 (:mod:`osca_core.bench.stopping`).

A new benchmark is one ``cmd_bench_<name>`` and one ``_add_<name>`` function here, called from :func:`register`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from osca_core.cli import args as A
from osca_core.cli.output import emit_json, print_table
from osca_core.errors import InputError
from osca_core.settings import release_folder

INGEST_ROWS, LAKE_ROWS, MAX_ROWS = 1_000_000, 100_000_000, 100_000_000
MAX_ATTR_QUESTIONS = 1_000_000


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    if args.lake:
        from osca_core.bench.lake import run_lake_bench

        if args.folder is not None and not Path(args.folder).is_dir():
            what = "is not a folder" if Path(args.folder).exists() else "no such folder"
            raise InputError(f"--folder {args.folder}: {what} (the benchmark generates its files in a new "
                             "temporary folder inside it)")
        r = run_lake_bench(rows=args.rows or LAKE_ROWS, folder=args.folder, seed=args.seed)
        if args.json:
            emit_json(r.as_dict())
        else:
            print(r.text())
        return 0
    if args.folder:
        raise InputError("--folder: only with --lake")
    from osca_core.bench.ingest import bench_ingest

    r = bench_ingest(args.rows or INGEST_ROWS, seed=args.seed)
    if args.json:
        emit_json(r.as_dict())
    else:
        print(r.text())
    return 0 if r.counts_match else 1


def cmd_bench_optimizer(args: argparse.Namespace) -> int:
    from osca_core.bench.optimizer import bench_optimizer

    r = bench_optimizer(runs=args.runs, certify_runs=args.certify_runs, paper_runs=args.paper_runs,
                        scale_questions=args.scale_questions, scale_configs=args.scale_configs,
                        scale_budget=args.scale_budget, scale=not args.no_scale, blas_threads=args.blas_threads)
    if args.json:
        emit_json(r.as_dict())
    else:
        print(r.text())
    return 0


def cmd_bench_attrs(args: argparse.Namespace) -> int:
    from osca_core.bench.attrs import bench_attrs

    size = A.count("--sizes", maximum=MAX_ATTR_QUESTIONS)
    try:
        sizes = [size(x) for x in args.sizes.split(",")]
    except A.FlagError as e:
        raise InputError(str(e)) from None
    rows = bench_attrs(sizes, quadratic_max=args.quadratic_max)
    if args.json:
        emit_json({"attrs": [r.as_dict() for r in rows]})
        return 0
    print("question attributes: build (linear) vs the former quadratic builder, and Store.load_matrix")
    print_table(["questions", "build_seconds", "quadratic_seconds", "load_seconds", "same_result"],
                [[r.questions, r.build_seconds, r.quadratic_seconds, r.load_seconds, r.same_result] for r in rows])
    return 0 if all(r.same_result for r in rows) else 1


def cmd_bench_uniform(args: argparse.Namespace) -> int:
    if not args.file and not args.dataset:
        args.file = str(release_folder() / "bcb_results.json")
    budgets = A.parse_budgets(args.budgets, flag="--budgets")  # arguments before any data loads
    from osca_core.bench.uniform import bench_uniform
    from osca_core.cli.loading import load

    m, _ = load(args)
    r = bench_uniform(m, budgets, runs=args.runs)
    if args.json:
        emit_json(r.as_dict())
        return 0
    print(f"{r.dataset}: exact uniform expectation on {r.questions} test questions x {r.configs} configurations "
          f"(medians of {r.runs} runs)")
    print_table(["budget", "method", "seconds", "value", "tail_bound", "max_abs_diff_vs_dense"],
                [[p.budget, p.method, p.seconds, p.value, f"{p.tail_bound:.1e}",
                  None if p.max_abs_diff is None else f"{p.max_abs_diff:.1e}"] for p in r.points])
    return 0


def cmd_bench_bootstrap(args: argparse.Namespace) -> int:
    from osca_core.bench.bootstrap import bench_bootstrap

    r = bench_bootstrap(n_resamples=args.resamples, runs=args.runs)
    if args.json:
        emit_json(r.as_dict())
        return 0
    print(f"{r.dataset}: {r.strategies} strategies x {r.budgets} budgets = {r.points} points, {r.questions} test "
          f"questions, B = {r.n_resamples}")
    print(f"fit + per-question values once: {r.fit_seconds:.3f} s; bootstrap step: median {r.bootstrap_seconds:.4f} s "
          f"(min {r.bootstrap_seconds_min:.4f}, max {r.bootstrap_seconds_max:.4f}, {r.runs} runs)"
          + ("" if r.loop_seconds is None else f"; loop twin {r.loop_seconds:.3f} s"))
    print("goal: the bootstrap step well under 1 s for B = 2000 on the full curve (reported, never asserted)")
    return 0

def cmd_bench_schedule(args: argparse.Namespace) -> int:
    from osca_core.bench.stopping import run_schedule_bench

    r = run_schedule_bench(runs=args.runs)
    if args.json:
        emit_json(r.as_dict())
        return 0
    print(f"best order of the BigCodeBench C = {r.bcb_order_budget} OSCA plan: {r.bcb_order_seconds:.3f} s "
          f"({r.bcb_order_states} lattice states, exact: {r.bcb_order_exact}); expected training cost "
          f"{r.bcb_order_expected_cost_train:.3f} vs {r.bcb_nominal_expected_cost_train:.3f} in nominal order "
          f"(lower bound {r.bcb_order_lower_bound:.3f})")
    print(f"osca-stop over budgets 1..{r.bcb_stop_budgets} on BigCodeBench: {r.bcb_stop_seconds:.3f} s; "
          f"1..{r.swe_stop_budgets} on SWE-bench: {r.swe_stop_seconds:.3f} s (medians of {r.runs} runs)")
    return 0


def _add_ingest(bench_sub) -> None:
    bi = bench_sub.add_parser("ingest", help="import N generated per-sample Parquet rows; seconds and peak RSS "
                              "(--lake: a hive-partitioned folder read in place, beside a bare DuckDB GROUP BY)")
    bi.add_argument("--rows", type=A.count("--rows", maximum=MAX_ROWS),
                    help=f"per-sample rows to generate (default 10^6, with --lake 10^8; at most {MAX_ROWS:,})")
    bi.add_argument("--lake", action="store_true", help="the in-place Parquet path (osca_core.data.store.lake) on a "
                    "generated hive-partitioned folder, timed beside the floor")
    bi.add_argument("--folder", help="--lake: where to generate the folder (default: the temporary folder)")
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
    bo.add_argument("--paper-runs", type=A.count("--paper-runs"), default=3,
                    help="repetitions of the paper's transcribed script (median; default 3)")
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


def _add_attrs(bench_sub) -> None:
    ba = bench_sub.add_parser("attrs", help="question attributes built in linear time (10^3..10^5 questions)")
    ba.add_argument("--sizes", default="1000,10000,100000", help="question counts, comma-separated (default "
                    f"1000,10000,100000; each at most {MAX_ATTR_QUESTIONS:,})")
    ba.add_argument("--quadratic-max", type=A.count("--quadratic-max", minimum=0, maximum=100_000),
                    default=10_000, help="time the former quadratic builder up to this size (default 10^4)")
    A.add_json(ba)
    ba.set_defaults(func=cmd_bench_attrs)


def _add_uniform(bench_sub) -> None:
    bu = bench_sub.add_parser("uniform", help="the exact uniform expectation at budgets up to 10^5")
    g = bu.add_mutually_exclusive_group()
    g.add_argument("--file", help="a release JSON file (default: the release folder's bcb_results.json)")
    g.add_argument("--dataset", help="a dataset in the store (see `osca datasets`)")
    bu.add_argument("--budgets", default="64,256,1000,10000,100000", help="SPEC (default 64,256,1000,10000,100000)")
    bu.add_argument("--runs", type=A.count("--runs"), default=3, help="repetitions (median; default 3)")
    A.add_json(bu)
    bu.set_defaults(func=cmd_bench_uniform)


def _add_bootstrap(bench_sub) -> None:
    bb = bench_sub.add_parser("bootstrap", help="B = 2000 resamples on the full BigCodeBench curve: seconds")
    bb.add_argument("--runs", type=A.count("--runs"), default=5, help="repetitions (median; default 5)")
    bb.add_argument("--resamples", type=A.count("--resamples", maximum=A.MAX_BOOTSTRAP), default=2000,
                    help="B (default 2000)")
    A.add_json(bb)
    bb.set_defaults(func=cmd_bench_bootstrap)


def _add_schedule(bench_sub) -> None:
    bs = bench_sub.add_parser("schedule", help="best order of the BigCodeBench C = 300 plan and osca-stop over "
                              "1..64: seconds")
    bs.add_argument("--runs", type=A.count("--runs"), default=3, help="repetitions (median; default 3)")
    A.add_json(bs)
    bs.set_defaults(func=cmd_bench_schedule)


def register(sub) -> None:
    """Add ``bench`` and its subcommands to the ``osca`` subparsers."""
    bench = sub.add_parser("bench", help="speed benchmarks (goals are reported, never asserted)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, parser_class=A.Parser)
    for add in (_add_ingest, _add_optimizer, _add_attrs, _add_uniform, _add_bootstrap, _add_schedule):
        add(bench_sub)
