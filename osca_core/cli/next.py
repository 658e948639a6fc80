"""``osca next``: where to sample next — the N further samples (question x configuration x count) that most reduce
the uncertainty of the decision at budget C (:func:`osca_core.analysis.where_next.next_samples`).

Contract (``--json``): ``{"dataset", "samples", "budget", "requests": [{"config", "question_id", "samples"}],
"expected": {...}}`` with the requested samples summing to at most N (docs/json.md). ``--budget`` defaults to the
largest measured n among the selected configurations (at most 64; ``where_next.default_budget``).
``--format inspect`` prints the ``inspect eval`` commands that draw the requests
(:mod:`osca_core.data.formats.inspect_commands`), ``--format csv`` the requests with the cells' current counts.
"""

from __future__ import annotations

import argparse
import sys

from osca_core.cli import args as A
from osca_core.cli.loading import announce, load
from osca_core.cli.output import emit_json, print_table
from osca_core.errors import InputError

FORMATS = ("table", "inspect", "csv")


def _task_args(items: list[str] | None) -> dict[str, str]:
    out = {}
    for it in items or []:
        k, sep, v = it.partition("=")
        if not sep or not k.strip():
            raise InputError(f"--task-arg: {it!r} is not NAME=VALUE")
        out[k.strip()] = v
    return out


def cmd_next(args: argparse.Namespace) -> int:
    task_args = _task_args(args.task_arg)
    if args.json and args.format != "table":
        raise InputError("--json and --format: give one of them")
    from osca_core.analysis.where_next import describe, next_samples

    m, report = load(args)
    if args.budget is not None:
        A.check_work([args.budget], m.costs)
    from osca_core import cost, settings
    from osca_core.analysis.where_next import default_budget

    est = cost.next_samples("next", questions=int(m.shape[0]), configs=int(m.shape[1]),
                            budget=args.budget or default_budget(m), samples=args.samples, leading=args.leading)
    cost.check(est, allow_long=args.allow_long, max_seconds=settings.max_seconds(), max_bytes=settings.max_bytes())
    announce(m, report)
    r = next_samples(m, args.samples, budget=args.budget, leading=args.leading, seed=args.seed,
                     spread="ranges" if args.spread == "ranges" else ())
    if args.format == "inspect":
        from osca_core.data.formats.inspect_commands import inspect_commands

        cmds = inspect_commands(m.name, m.source, m.configs, [(q.config, q.question_id, q.samples)
                                                             for q in r.requests],
                                question_ids=m.question_ids, task=args.task, task_args=task_args,
                                log_dir=args.log_dir)
        print("\n".join(cmds))
        return 0
    if args.json:
        emit_json(r.as_dict())
        return 0
    rows = r.table()
    if args.format == "csv":
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=["config", "question_id", "samples", "n", "correct"])
        w.writeheader()
        w.writerows(rows)
        return 0
    print(f"dataset {m.name} ({m.split_label}): {describe(r)}")
    for x in r.leading[1:]:
        print(f"gap to {x.name}: {x.gap:+.4f}, posterior sd {x.gap_sd_before:.4f} -> {x.gap_sd_after:.4f}")
    print_table(["config", "question_id", "samples", "n", "correct"],
                [[x["config"], x["question_id"], x["samples"], x["n"], x["correct"]] for x in rows])
    return 0


def register(sub) -> None:
    """Add ``next`` to the ``osca`` subparsers."""
    p = sub.add_parser("next", help="where to sample next: the samples that most reduce the decision's uncertainty")
    A.add_source_args(p)
    p.add_argument("--samples", type=A.count("--samples", minimum=0, maximum=1_000_000), required=True,
                   metavar="N", help="how many further samples to place (the requests sum to at most N)")
    p.add_argument("--budget", type=A.count("--budget", minimum=1, maximum=A.MAX_BUDGET), metavar="C",
                   help="the budget of the decision (default: the largest measured n among the configurations, "
                        "at most 64)")
    p.add_argument("--configs", help="comma-separated configurations (default: all)")
    p.add_argument("--leading", type=A.count("--leading", minimum=1, maximum=16), default=3,
                   help="allocations compared: OSCA's and the best pure ones (default 3)")
    p.add_argument("--spread", choices=("fitted", "ranges"), default="fitted", help="the prior of each cell's "
                   "posterior: the fitted one (default), or a mixture of it with the ends of each configuration's "
                   "plausible spread (the honest ranges), so the uncertainty of the spread counts too")
    A.add_missing(p)
    A.add_allow_long(p)
    p.add_argument("--format", choices=FORMATS, default="table", help="table (default), inspect: the inspect eval "
                   "commands that draw the requests (Inspect datasets), csv: the requests with current counts")
    p.add_argument("--task", metavar="FILE.py@NAME", help="--format inspect: the Inspect task, where the dataset "
                   "does not record it")
    p.add_argument("--task-arg", action="append", metavar="NAME=VALUE", help="--format inspect: a task argument "
                   "of the original runs (-T NAME=VALUE; repeat)")
    p.add_argument("--log-dir", metavar="DIR", help="--format inspect: where inspect writes the new logs")
    A.add_seed(p)
    A.add_json(p)
    p.set_defaults(func=cmd_next)
