"""``osca report``: one self-contained HTML file, plus what ``report`` and ``figure`` share (the analysis options,
``--out`` checks, atomic writes, the reproducing command line).

``osca report (--file F | --dataset D) [--out report.html] [--budgets SPEC] [--strategies ...] [--configs ...]
[--bootstrap B] [--seed S] [--dashboard URL] [--json]`` writes the report of :mod:`osca_core.present.report_content`
(rendered by :mod:`osca_core.present.report`; plotly.js embedded, no network request when opened). Default budgets are
the dashboard's default view (1 .. the smallest n, at most 512, on the dashboard's grid); default B = 1000.

Every file is written to a temporary name beside ``--out`` and renamed, so a failure leaves no partial file; a
missing ``--out`` folder, an unknown strategy or format is one line and exit 2 before any work.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from osca_core.cli import args as A
from osca_core.cli import choices as C
from osca_core.cli.loading import load_matrix, strategy_names
from osca_core.cli.output import emit_json, heartbeat, split_note
from osca_core.errors import InputError

MAX_RESAMPLES = 10_000  # --bootstrap: the replicates of every strategy and budget are held in memory


MAX_REPLICATE_VALUES = 60_000_000  # B x strategies x budgets (8 bytes each: about 480 MB)


# -- shared with osca figure ---------------------------------------------------------------------------------


def out_path(text: str, *, suffixes: tuple[str, ...] = (), force: bool = False) -> Path:
    """``--out``: a file whose folder exists and is writable, not the store, and not an existing file unless
    ``force`` (checked before any work: :func:`osca_core.outfile.check`)."""
    from osca_core import outfile

    return outfile.check(text, suffixes=suffixes, force=force)


def write_atomic(path: Path, data: bytes, *, force: bool = False) -> None:
    """``data`` to a new temporary file beside ``path`` (O_EXCL, no symlink followed), then moved onto it (no
    partial file on failure; an existing file replaced only with ``force``): :func:`osca_core.outfile.atomic`."""
    from osca_core import outfile

    outfile.write_bytes(path, data, force=force)


def analysis_request(args: argparse.Namespace):
    """(matrix, budgets, strategies or None) for the report / figure options, validated before any work."""
    budgets = A.parse_budgets(args.budgets) if args.budgets else None  # arguments before any data loads
    from osca_core.present import report_content as rc
    from osca_core.present import views

    m = load_matrix(args)
    if budgets is None:
        budgets = views.budget_grid(*views.default_budget_range(m))
    A.check_work(budgets, m.costs)
    names = strategy_names(args, m) if args.strategies is not None else None
    k = len(rc.report_strategies(m, names))
    A.check_cost(args, "report" if hasattr(args, "dashboard") else "figure", m, budgets,
                 rc.report_strategies(m, names) + ["osca", "best-pure"])  # and the savings section's curves
    for what, points in (("strategies x budgets", k * len(budgets)), ("savings budgets",
                                                                      2 * len(rc.savings_budgets(budgets)))):
        if args.bootstrap * points > MAX_REPLICATE_VALUES:
            raise InputError(f"--bootstrap: {args.bootstrap} resamples x {points} {what} is above the limit "
                             f"of {MAX_REPLICATE_VALUES:,} replicate values (lower --bootstrap or ask for fewer "
                             "--budgets)")
    return m, budgets, names


def source_text(args: argparse.Namespace) -> str:
    if getattr(args, "file", None):
        return f"file {Path(args.file).expanduser().absolute()}"
    return f"dataset {args.dataset} in the store"


def command_line(args: argparse.Namespace, budgets, *, extra: tuple[str, ...] = ()) -> str:
    """The command that reproduces this output: every analysis option spelled out (budgets as a SPEC)."""
    from osca_core.present import report

    return report.command(args.command, file=getattr(args, "file", None), dataset=getattr(args, "dataset", None),
                      budgets=budgets, strategies=args.strategies, configs=args.configs,
                      n_resamples=args.bootstrap, seed=args.seed, out=args.out,
                      kind=getattr(args, "kind", None), extra=extra)


def add_report_args(p: argparse.ArgumentParser, *, default_b: int) -> None:
    A.add_source_args(p)
    p.add_argument("--budgets", help=f"{A.SPEC_HELP}; default: the dashboard's default view, 1 .. the "
                   "smallest n (at most 512; log-spaced above 64 budgets)")
    p.add_argument("--strategies", help="comma-separated: pure:<config>, best-pure, uniform, even, "
                   "hillclimb, osca, osca-eb (default: every pure configuration, best-pure, uniform, even, osca); "
                   "best-pure and osca are always added")
    p.add_argument("--configs", help="comma-separated configurations (default: all)")
    p.add_argument("--bootstrap", type=A.count("--bootstrap", minimum=0, maximum=MAX_RESAMPLES),
                   default=default_b, metavar="B", help="bootstrap resamples of the test questions for the "
                   f"bands (default {default_b}; 0 = no bands; at most {MAX_RESAMPLES})")
    A.add_seed(p)
    A.add_force(p)
    A.add_allow_long(p)
    A.add_json(p)


# -- report --------------------------------------------------------------------------------------------------


def cmd_report(args: argparse.Namespace) -> int:
    from osca_core import checks

    t0 = time.perf_counter()
    checks.http_url(args.dashboard, "--dashboard")  # a link target: http(s) only, before any work
    out = out_path(args.out, suffixes=(".html", ".htm"), force=args.force)
    m, budgets, names = analysis_request(args)  # the arguments checked before the report's modules load
    from osca_core.present import report_content as rc
    from osca_core.present.report import render

    split_note(m)
    url = rc.dashboard_url(args.dashboard, m.name, budgets, seed=args.seed,
                           strategies=rc.report_strategies(m, names),
                           configs=m.config_names if args.configs is not None else None)
    with heartbeat("report"):
        data = rc.compute(m, budgets, strategies=names, n_resamples=args.bootstrap, seed=args.seed)
        html = render(rc.build(data, source=source_text(args), command=command_line(args, budgets), url=url))
    raw = html.encode("utf-8")
    write_atomic(out, raw, force=args.force)
    seconds = time.perf_counter() - t0
    if args.json:
        emit_json({"out": str(out), "bytes": len(raw), "seconds": seconds, "dataset": m.name,
                   "checksum": m.content_checksum(), "budgets": list(data.budgets),
                   "strategies": list(data.strategies), "bootstrap": data.n_resamples, "seed": data.seed,
                   "dashboard_url": url})
    else:
        print(f"wrote {out} ({len(raw) / 1e6:.2f} MB) in {seconds:.1f} s; open it in any browser (works "
              "offline)")
    return 0


def register(sub) -> None:
    """Add ``report`` to the ``osca`` subparsers."""
    r = sub.add_parser("report", help="one self-contained HTML report (opens offline)")
    add_report_args(r, default_b=C.DEFAULT_RESAMPLES)
    r.add_argument("--out", default="report.html", help="the HTML file to write (default report.html)")
    r.add_argument("--dashboard", default=C.DASHBOARD, metavar="URL",
                   help=f"base URL of the dashboard the report links back to (default {C.DASHBOARD})")
    r.set_defaults(func=cmd_report)
