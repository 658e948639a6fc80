"""The sharing commands: ``osca report`` (one self-contained HTML file) and ``osca figure`` (PNG / SVG / PDF).

``osca report (--file F | --dataset D) [--out report.html] [--budgets SPEC] [--strategies ...] [--configs ...]
[--bootstrap B] [--seed S] [--dashboard URL] [--json]`` writes the report of :mod:`osca_core.present.report_content`
(rendered by :mod:`osca_core.present.report`; plotly.js embedded, no network request when opened). Default budgets are
the dashboard's default view (1 .. the smallest n, at most 512, on the dashboard's grid); default B = 1000.

``osca figure curves|allocation|questions|difference (--file F | --dataset D) [same analysis options]
[--format png|svg|pdf] --out FILE [--width W --height H --scale S] [--template paper|slides] [--json]``
renders one chart with kaleido in the system Chromium (:mod:`osca_core.present.figures`); the format defaults to the
suffix of ``--out``.

Every file is written to a temporary name beside ``--out`` and renamed, so a failure leaves no partial file; a
missing ``--out`` folder, an unknown strategy or format is one line and exit 2 before any work.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from osca_core.cli import analysis
from osca_core.cli import args as A
from osca_core.cli.output import emit_json, heartbeat, note, split_note
from osca_core.errors import InputError
from osca_core.present import figures, report, views
from osca_core.present import report_content as rc
from osca_core.present.report import render

MAX_RESAMPLES = 10_000  # --bootstrap: the replicates of every strategy and budget are held in memory
MAX_REPLICATE_VALUES = 60_000_000  # B x strategies x budgets (8 bytes each: about 480 MB)
KINDS = ("curves", "allocation", "questions", "difference")
SLIDES_SIZE = (1600, 900)  # default size with --template slides (else figures.FigureSize's 900 x 560)


# -- shared helpers ------------------------------------------------------------------------------------------

def out_path(text: str, *, suffixes: tuple[str, ...] = ()) -> Path:
    """``--out``: a file whose folder exists and is writable (checked before any work)."""
    p = Path(text).expanduser()
    if p.is_dir():
        raise InputError(f"--out {text}: is a folder; give a file name")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"--out {text}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"--out {text}: folder {folder} is not writable")
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"--out {text}: expected a {' or '.join(suffixes)} file")
    return p


def write_atomic(path: Path, data: bytes) -> None:
    """``data`` to a temporary file beside ``path``, then renamed onto it (no partial file on failure)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise InputError(f"--out {path}: cannot write ({e.strerror})") from None


def analysis_request(args: argparse.Namespace):
    """(matrix, budgets, strategies or None) for the report / figure options, validated before any work."""
    m = analysis.load_matrix(args)
    if args.budgets:
        budgets = A.parse_budgets(args.budgets)
    else:
        budgets = views.budget_grid(*views.default_budget_range(m))
    A.check_work(budgets, m.costs)
    names = analysis.strategy_names(args, m) if args.strategies is not None else None
    k = len(rc.report_strategies(m, names))
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
    return report.command(args.command, file=getattr(args, "file", None), dataset=getattr(args, "dataset", None),
                      budgets=budgets, strategies=args.strategies, configs=args.configs,
                      n_resamples=args.bootstrap, seed=args.seed, out=args.out,
                      kind=getattr(args, "kind", None), extra=extra)


# -- report --------------------------------------------------------------------------------------------------

def cmd_report(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    out = out_path(args.out, suffixes=(".html", ".htm"))
    m, budgets, names = analysis_request(args)
    split_note(m)
    url = rc.dashboard_url(args.dashboard, m.name, budgets, seed=args.seed,
                           strategies=rc.report_strategies(m, names),
                           configs=m.config_names if args.configs is not None else None)
    with heartbeat("report"):
        data = rc.compute(m, budgets, strategies=names, n_resamples=args.bootstrap, seed=args.seed)
        html = render(rc.build(data, source=source_text(args), command=command_line(args, budgets), url=url))
    raw = html.encode("utf-8")
    write_atomic(out, raw)
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


# -- figure --------------------------------------------------------------------------------------------------

def _scale(text: str) -> float:
    v = float(text) if A._is_decimal(text) else float("nan")  # noqa: SLF001 - the one ASCII-decimal rule
    if not 0.1 <= v <= 4.0:
        raise A.FlagError(f"--scale: must be a number from 0.1 to 4 (got {text!r})")
    return v


def figure_format(args: argparse.Namespace) -> str:
    fmt = args.format or Path(args.out).suffix.lower().lstrip(".")
    if fmt not in figures.FORMATS:
        if args.format:
            raise InputError(f"--format: unknown format {args.format!r} (use {', '.join(figures.FORMATS)})")
        raise InputError(f"--format: not given and --out {args.out} does not end in "
                         f"{', '.join('.' + f for f in figures.FORMATS)}")
    return fmt


def figure_size(args: argparse.Namespace) -> figures.FigureSize:
    base = figures.FigureSize()
    w, h = SLIDES_SIZE if args.template == "slides" else (base.width, base.height)
    scale = args.scale if args.scale is not None else 1.0
    return figures.FigureSize(args.width or w, args.height or h, scale)


def cmd_figure(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    fmt = figure_format(args)
    if args.template is not None and args.template not in figures.TEMPLATES:
        raise InputError(f"--template: unknown template {args.template!r} "
                         f"(use {' or '.join(figures.TEMPLATES)})")
    size = figure_size(args)
    out = out_path(args.out)
    m, budgets, names = analysis_request(args)
    split_note(m)
    with heartbeat("figure"):
        data = rc.compute(m, budgets, strategies=names, n_resamples=args.bootstrap, seed=args.seed,
                          savings=False)
        fig = figures.styled(rc.FIGURES[args.kind](data), args.template)
        t1 = time.perf_counter()
        raw = figures.export(fig, fmt, size)
        export_seconds = time.perf_counter() - t1
    write_atomic(out, raw)
    seconds = time.perf_counter() - t0
    if args.json:
        emit_json({"out": str(out), "kind": args.kind, "format": fmt, "bytes": len(raw), "width": size.width,
                   "height": size.height, "scale": size.scale, "template": args.template,
                   "export_seconds": export_seconds, "seconds": seconds, "dataset": m.name,
                   "checksum": m.content_checksum()})
    else:
        note(f"reproduce with: {command_line(args, budgets, extra=_figure_flags(args, fmt, size))}")
        print(f"wrote {out} ({fmt}, {size.width}x{size.height}"
              + (f" at scale {size.scale:g}" if fmt == "png" else "")
              + f", {len(raw)} bytes) in {seconds:.1f} s "
              f"(export {export_seconds:.2f} s)")
    return 0


def _figure_flags(args: argparse.Namespace, fmt: str, size: figures.FigureSize) -> tuple[str, ...]:
    flags = ("--format", fmt, "--width", str(size.width), "--height", str(size.height),
             "--scale", f"{size.scale:g}")
    return flags + (("--template", args.template) if args.template else ())


# -- parsers -------------------------------------------------------------------------------------------------

def _analysis_args(p: argparse.ArgumentParser, *, default_b: int) -> None:
    A.add_source_args(p)
    p.add_argument("--budgets", help=f"{analysis.SPEC_HELP}; default: the dashboard's default view, 1 .. the "
                   "smallest n (at most 512; log-spaced above 64 budgets)")
    p.add_argument("--strategies", help="comma-separated: pure:<config>, best-pure, uniform, even, "
                   "hillclimb, osca, osca-eb (default: every pure configuration, best-pure, uniform, even, osca); "
                   "best-pure and osca are always added")
    p.add_argument("--configs", help="comma-separated configurations (default: all)")
    p.add_argument("--bootstrap", type=A.count("--bootstrap", minimum=0, maximum=MAX_RESAMPLES),
                   default=default_b, metavar="B", help="bootstrap resamples of the test questions for the "
                   f"bands (default {default_b}; 0 = no bands; at most {MAX_RESAMPLES})")
    A.add_seed(p)
    A.add_json(p)


def register(sub) -> None:
    """Add ``report`` and ``figure`` to the ``osca`` subparsers."""
    r = sub.add_parser("report", help="one self-contained HTML report (opens offline)")
    _analysis_args(r, default_b=rc.DEFAULT_RESAMPLES)
    r.add_argument("--out", default="report.html", help="the HTML file to write (default report.html)")
    r.add_argument("--dashboard", default=rc.DASHBOARD, metavar="URL",
                   help=f"base URL of the dashboard the report links back to (default {rc.DASHBOARD})")
    r.set_defaults(func=cmd_report)

    f = sub.add_parser("figure", help="one chart as PNG, SVG or PDF (kaleido, system Chromium)")
    f.add_argument("kind", choices=list(KINDS), help="which chart")
    _analysis_args(f, default_b=rc.DEFAULT_RESAMPLES)
    f.add_argument("--format", help="png, svg or pdf (default: the suffix of --out)")
    f.add_argument("--out", required=True, help="the file to write")
    f.add_argument("--width", type=A.count("--width", minimum=50, maximum=figures.MAX_PIXELS),
                   help="width in CSS pixels (default 900; 1600 with --template slides)")
    f.add_argument("--height", type=A.count("--height", minimum=50, maximum=figures.MAX_PIXELS),
                   help="height in CSS pixels (default 560; 900 with --template slides)")
    f.add_argument("--scale", type=_scale,
                   help="PNG pixel scale, 0.1 to 4 (default 1; vector formats ignore it)")
    f.add_argument("--template", help="paper (serif, greyscale-safe dashes, for vector output) or slides "
                   "(large fonts); default: the studio's look")
    f.set_defaults(func=cmd_figure)
