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
- ``spread``: the concentrations fitted per configuration on real logs and the coverage of the ranges beyond n
  on a log cut to n = 1 (:mod:`osca_core.bench.spread`);
- ``schedule``: the best order of a C = 300 plan and osca-stop over 1..64 (:mod:`osca_core.bench.stopping`);
- ``next``: ``osca next`` against the same number of samples spread at random, in a simulation with known truth
  (:mod:`osca_core.bench.next`);
- ``beyond``: budgets beyond n (n = 10) against the same rates within n (n = 100), in one run
  (:mod:`osca_core.bench.beyond`);
- ``cost``: the cost model's estimates against measured times and peak memory on a grid of sizes
  (:mod:`osca_core.bench.cost`);
- ``serve``: S concurrent Chromium sessions on ``osca dashboard --viewer`` (:mod:`osca_core.bench.serve`).
- ``experiments``: the Experiments page's training-fraction study on a wide synthetic log, serial against thread
  and process pools with the per-view share (:mod:`osca_core.bench.experiments`).

A new benchmark is one ``cmd_bench_<name>`` and one ``_add_<name>`` function here, called from :func:`register`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from osca_core.cli import args as A
from osca_core.cli.output import emit_json, print_table
from osca_core.errors import InputError
from osca_core.settings import release_folder

INGEST_ROWS, LAKE_ROWS, MAX_ROWS = 1_000_000, 100_000_000, 100_000_000
MAX_ATTR_QUESTIONS = 1_000_000
MAX_BEYOND_CONFIGS = 4096


def _emit(args: argparse.Namespace, r, ok: bool = True) -> int:
    """Print a benchmark result (its JSON form with ``--json``, else its text); exit 0 when ``ok``, else 1."""
    if args.json:
        emit_json(r.as_dict())
    else:
        print(r.text())
    return 0 if ok else 1


def cmd_bench_ingest(args: argparse.Namespace) -> int:
    if args.lake:
        from osca_core.bench.lake import run_lake_bench

        if args.folder is not None and not Path(args.folder).is_dir():
            what = "is not a folder" if Path(args.folder).exists() else "no such folder"
            raise InputError(f"--folder {args.folder}: {what} (the benchmark generates its files in a new "
                             "temporary folder inside it)")
        r = run_lake_bench(rows=args.rows or LAKE_ROWS, folder=args.folder, seed=args.seed)
        return _emit(args, r)
    if args.folder:
        raise InputError("--folder: only with --lake")
    if args.files:
        from osca_core.bench.ingest import bench_files

        f = bench_files(args.files)
        return _emit(args, f, f.counts_match and f.bomb_refusal != "NOT REFUSED")
    from osca_core.bench.ingest import bench_ingest

    r = bench_ingest(args.rows or INGEST_ROWS, seed=args.seed)
    return _emit(args, r, r.counts_match)


def cmd_bench_optimizer(args: argparse.Namespace) -> int:
    from osca_core.bench.optimizer import bench_optimizer

    r = bench_optimizer(runs=args.runs, certify_runs=args.certify_runs, paper_runs=args.paper_runs,
                        scale_questions=args.scale_questions, scale_configs=args.scale_configs,
                        scale_budget=args.scale_budget, scale=not args.no_scale, blas_threads=args.blas_threads)
    return _emit(args, r)


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

    return _emit(args, bench_bootstrap(n_resamples=args.resamples, runs=args.runs))


def cmd_bench_schedule(args: argparse.Namespace) -> int:
    from osca_core.bench.stopping import run_schedule_bench

    return _emit(args, run_schedule_bench(runs=args.runs))


def cmd_bench_spread(args: argparse.Namespace) -> int:
    from osca_core.bench import spread

    files = [Path(f) for f in args.files] if args.files else spread.default_logs(release_folder())
    for f in files:
        if not f.is_file():
            raise InputError(f"{f}: no such file (the spread study reads log files; pass them as arguments)")
    logs = [spread.read_log(f, f.stem) for f in files]
    cov = None
    if not args.no_coverage:
        target = Path(args.coverage) if args.coverage else spread.default_coverage_log(release_folder())
        if target is None or not target.is_file():
            raise InputError(f"{target}: no such file (--coverage names the n = 10 log to cut to n = 1)")
        cov = next((m for f, m in zip(files, logs, strict=True) if f.resolve() == target.resolve()), None)
        cov = cov or spread.read_log(target, target.stem)
    r = spread.spread_study(logs, cov, seed=args.seed)
    return _emit(args, r)


def _add_spread(bench_sub) -> None:
    bs = bench_sub.add_parser("spread", help="the study behind the plausible spreads beyond n: Beta concentrations "
                              "fitted per configuration on real logs, and the coverage of the ranges on a log cut "
                              "to n = 1")
    bs.add_argument("files", nargs="*", help="log files (default: the release's two JSON files and the public logs "
                    "beside the release folder, ../public-logs/*.csv)")
    bs.add_argument("--coverage", help="the log whose n = 10 configurations are cut to n = 1 (default: "
                    "public-logs/lcb_codeexecution_agg.csv)")
    bs.add_argument("--no-coverage", action="store_true", help="fit only")
    A.add_seed(bs)
    A.add_json(bs)
    bs.set_defaults(func=cmd_bench_spread)


def _add_ingest(bench_sub) -> None:
    bi = bench_sub.add_parser("ingest", help="import N generated per-sample Parquet rows; seconds and peak RSS "
                              "(--lake: a hive-partitioned folder read in place, beside a bare DuckDB GROUP BY)")
    bi.add_argument("--rows", type=A.count("--rows", maximum=MAX_ROWS),
                    help=f"per-sample rows to generate (default 10^6, with --lake 10^8; at most {MAX_ROWS:,})")
    bi.add_argument("--lake", action="store_true", help="the in-place Parquet path (osca_core.data.store.lake) on a "
                    "generated hive-partitioned folder, timed beside the floor")
    bi.add_argument("--folder", help="--lake: where to generate the folder (default: the temporary folder)")
    bi.add_argument("--files", type=A.count("--files", maximum=100_000), help="instead: a folder of N small CSV "
                    "files (5 rows each) imported, and a decompression bomb (3e8 rows) refused; peak RSS of each")
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


def cmd_bench_next(args: argparse.Namespace) -> int:
    from osca_core.bench.next import bench_next

    r = bench_next(seeds=tuple(range(args.seed, args.seed + args.seeds)), questions=args.questions,
                   configs=args.configs, budget=args.budget, samples=args.samples, draws=args.draws)
    return _emit(args, r)


def _add_next(bench_sub) -> None:
    bn = bench_sub.add_parser("next", help="osca next against random sampling in a simulation with known truth: "
                              "error of the predicted pass@C before and after")
    bn.add_argument("--seeds", type=A.count("--seeds", maximum=1000), default=10, help="simulated logs (default 10)")
    bn.add_argument("--questions", type=A.count("--questions", maximum=100_000), default=200,
                    help="questions per log (default 200)")
    bn.add_argument("--configs", type=A.count("--configs", maximum=256), default=8,
                    help="configurations (default 8)")
    bn.add_argument("--budget", type=A.count("--budget", maximum=1000), default=16, help="C (default 16)")
    bn.add_argument("--samples", type=A.count("--samples", maximum=1_000_000), default=400,
                    help="N new samples (default 400)")
    bn.add_argument("--draws", type=A.count("--draws", maximum=100), default=4,
                    help="draws of the new samples per arm (default 4)")
    A.add_seed(bn)
    A.add_json(bn)
    bn.set_defaults(func=cmd_bench_next)


def _add_schedule(bench_sub) -> None:
    bs = bench_sub.add_parser("schedule", help="best order of the BigCodeBench C = 300 plan and osca-stop over "
                              "1..64: seconds")
    bs.add_argument("--runs", type=A.count("--runs"), default=3, help="repetitions (median; default 3)")
    A.add_json(bs)
    bs.set_defaults(func=cmd_bench_schedule)


def cmd_bench_beyond(args: argparse.Namespace) -> int:
    from osca_core.bench.beyond import bench_beyond

    size = A.count("--configs", maximum=MAX_BEYOND_CONFIGS)
    try:
        configs = tuple(size(x) for x in args.configs.split(","))
    except A.FlagError as e:
        raise InputError(str(e)) from None
    r = bench_beyond(configs, questions=args.questions, budget=args.budget, runs=args.runs, holdout=args.holdout,
                     certify=args.certify)
    return _emit(args, r)


def _add_beyond(bench_sub) -> None:
    bz = bench_sub.add_parser("beyond", help="budgets beyond n (n = 10) vs the same rates within n (n = 100), "
                              "S = 64/256/1024, Q = 400, budgets 1..64: seconds, ratio, peak memory")
    bz.add_argument("--configs", default="64,256,1024", help="configuration counts S, comma-separated "
                    "(default 64,256,1024)")
    bz.add_argument("--questions", type=A.count("--questions", minimum=2, maximum=100_000), default=400,
                    help="questions Q (default 400)")
    bz.add_argument("--budget", type=A.count("--budget", maximum=1000), default=64,
                    help="largest budget: budgets 1..C (default 64)")
    bz.add_argument("--runs", type=A.count("--runs"), default=3, help="repetitions (median; default 3)")
    bz.add_argument("--holdout", action="store_true", help="also time osca over 10 random half splits on both logs "
                    "(first S) and the dashboard's held-out view of the thin log")
    bz.add_argument("--certify", action="store_true", help="also prove the thin log's budgets: fraction certified "
                    "beyond n, certification seconds")
    A.add_json(bz)
    bz.set_defaults(func=cmd_bench_beyond)


def cmd_bench_cost(args: argparse.Namespace) -> int:
    from osca_core.bench.cost import HEADER, bench_cost

    r = bench_cost(max_case_seconds=args.max_case_seconds, say=lambda m: print(m, file=sys.stderr))
    if args.json:
        emit_json(r.as_dict())
        return 0
    print_table(HEADER, r.rows())
    d = r.as_dict()
    print(f"ratio estimate / measured: {d['min_ratio']:.2f} .. {d['max_ratio']:.2f} (goal: within 3x, or above 1)")
    return 0


def _add_cost(bench_sub) -> None:
    bc = bench_sub.add_parser("cost", help="the cost model's estimates against measured times and peak memory on a "
                              "grid of sizes (questions x configs x budgets x splits x resamples)")
    bc.add_argument("--max-case-seconds", type=float, default=60.0, help="skip cases estimated above this "
                    "(default 60)")
    A.add_json(bc)
    bc.set_defaults(func=cmd_bench_cost)


def cmd_bench_serve(args: argparse.Namespace) -> int:
    from osca_core.bench import serve

    folder = release_folder()
    if not folder.is_dir():
        raise InputError(f"bench serve: no release logs in {folder} (set OSCA_RELEASE_MIRROR to their folder)")
    if not Path(serve.CHROMIUM).exists():
        raise InputError(f"bench serve: Chromium not found at {serve.CHROMIUM}")
    r = serve.run(args.sessions, float(args.seconds), mirror=str(folder), stuck=float(args.stuck))
    if args.json:
        emit_json(r)
    else:
        print(serve.render(r))
        print("goal: no error, bounded memory, every page settles (reported, never asserted)")
    return 0


def _add_serve(bench_sub) -> None:
    bs = bench_sub.add_parser("serve", help="S concurrent browser sessions explore every page of the dashboard in "
                              "viewer mode: errors, settle times, peak RSS, queue waits")
    bs.add_argument("--sessions", type=A.count("--sessions", maximum=200), default=30,
                    help="concurrent browser sessions (default 30)")
    bs.add_argument("--seconds", type=A.count("--seconds", maximum=3600), default=60,
                    help="the exploring window; each session also opens every page once (default 60)")
    bs.add_argument("--stuck", type=A.count("--stuck", maximum=3600), default=120,
                    help="seconds before a page that has not settled is reloaded once (default 120)")
    A.add_json(bs)
    bs.set_defaults(func=cmd_bench_serve)


def cmd_bench_experiments(args: argparse.Namespace) -> int:
    from osca_core.bench.experiments import bench_experiments

    try:
        fractions = tuple(float(x) for x in args.fractions.split(","))
    except ValueError:
        raise InputError(f"--fractions: not a comma-separated list of numbers ({args.fractions!r})") from None
    if not all(0.0 < f < 1.0 for f in fractions):
        raise InputError(f"--fractions: each must lie strictly between 0 and 1 (got {args.fractions})")
    r = bench_experiments(questions=args.questions, configs=args.configs, samples=args.samples,
                          fractions=fractions, splits=args.splits, workers=args.workers)
    return _emit(args, r)


def _add_experiments(bench_sub) -> None:
    be = bench_sub.add_parser("experiments", help="the Experiments page's training-fraction study on a synthetic "
                              "Q x S log: serial, thread pool, process pool (seconds)")
    be.add_argument("--questions", type=A.count("--questions", minimum=2, maximum=100_000), default=400,
                    help="questions Q (default 400)")
    be.add_argument("--configs", type=A.count("--configs", maximum=MAX_BEYOND_CONFIGS), default=512,
                    help="configurations S (default 512)")
    be.add_argument("--samples", type=A.count("--samples", maximum=1000), default=10,
                    help="samples n per cell; the budget C = n (default 10)")
    be.add_argument("--fractions", default="0.1,0.5,0.9", help="training fractions (default 0.1,0.5,0.9)")
    be.add_argument("--splits", type=A.count("--splits", maximum=100), default=5, help="random splits (default 5)")
    be.add_argument("--workers", type=A.count("--workers", maximum=64), default=None,
                    help="pool workers (default: the cores)")
    A.add_json(be)
    be.set_defaults(func=cmd_bench_experiments)


def register(sub) -> None:
    """Add ``bench`` and its subcommands to the ``osca`` subparsers."""
    bench = sub.add_parser("bench", help="speed benchmarks (goals are reported, never asserted)")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, parser_class=A.Parser)
    for add in (_add_ingest, _add_optimizer, _add_attrs, _add_uniform, _add_bootstrap, _add_schedule,
                _add_spread, _add_next, _add_beyond, _add_cost, _add_serve, _add_experiments):
        add(bench_sub)
