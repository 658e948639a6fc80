"""``osca figure``: one chart as PNG, SVG or PDF.

``osca figure curves|allocation|questions|difference (--file F | --dataset D) [same analysis options as report]
[--format png|svg|pdf] --out FILE [--width W --height H --scale S] [--template paper|slides] [--json]``
renders one chart with kaleido in the system Chromium (:mod:`osca_core.present.figures`); the format defaults to the
suffix of ``--out``. The file is written atomically (:func:`osca_core.cli.report.write_atomic`).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from osca_core.cli import args as A
from osca_core.cli import choices as C
from osca_core.cli.output import emit_json, heartbeat, note, split_note
from osca_core.cli.report import add_report_args, analysis_request, command_line, out_path, write_atomic
from osca_core.errors import InputError

if TYPE_CHECKING:
    from osca_core.present import figures


KINDS = ("curves", "allocation", "questions", "difference")


SLIDES_SIZE = (1600, 900)  # default size with --template slides (else figures.FigureSize's 900 x 560)


def _scale(text: str) -> float:
    v = float(text) if A._is_decimal(text) else float("nan")  # noqa: SLF001 - the one ASCII-decimal rule
    if not 0.1 <= v <= 4.0:
        raise A.FlagError(f"--scale: must be a number from 0.1 to 4 (got {text!r})")
    return v


def figure_format(args: argparse.Namespace) -> str:
    from osca_core.present import figures

    fmt = args.format or Path(args.out).suffix.lower().lstrip(".")
    if fmt not in figures.FORMATS:
        if args.format:
            raise InputError(f"--format: unknown format {args.format!r} (use {', '.join(figures.FORMATS)})")
        raise InputError(f"--format: not given and --out {args.out} does not end in "
                         f"{', '.join('.' + f for f in figures.FORMATS)}")
    return fmt


def figure_size(args: argparse.Namespace) -> figures.FigureSize:
    from osca_core.present import figures

    base = figures.FigureSize()
    w, h = SLIDES_SIZE if args.template == "slides" else (base.width, base.height)
    scale = args.scale if args.scale is not None else 1.0
    return figures.FigureSize(args.width or w, args.height or h, scale)


def cmd_figure(args: argparse.Namespace) -> int:
    from osca_core import outfile
    from osca_core.present import figures
    from osca_core.present import report_content as rc

    t0 = time.perf_counter()
    outfile.refuse_store(args.out)
    fmt = figure_format(args)
    if args.template is not None and args.template not in figures.TEMPLATES:
        raise InputError(f"--template: unknown template {args.template!r} "
                         f"(use {' or '.join(figures.TEMPLATES)})")
    size = figure_size(args)
    out = out_path(args.out, force=args.force)
    m, budgets, names = analysis_request(args)
    split_note(m)
    with heartbeat("figure"):
        data = rc.compute(m, budgets, strategies=names, n_resamples=args.bootstrap, seed=args.seed,
                          savings=False)
        fig = figures.styled(rc.FIGURES[args.kind](data), args.template)
        t1 = time.perf_counter()
        raw = figures.export(fig, fmt, size)
        export_seconds = time.perf_counter() - t1
    write_atomic(out, raw, force=args.force)
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


def register(sub) -> None:
    """Add ``figure`` to the ``osca`` subparsers."""
    f = sub.add_parser("figure", help="one chart as PNG, SVG or PDF (kaleido, system Chromium)")
    f.add_argument("kind", choices=list(KINDS), help="which chart")
    add_report_args(f, default_b=C.DEFAULT_RESAMPLES)
    f.add_argument("--format", help="png, svg or pdf (default: the suffix of --out)")
    f.add_argument("--out", required=True, help="the file to write")
    f.add_argument("--width", type=A.count("--width", minimum=50, maximum=C.MAX_PIXELS),
                   help="width in CSS pixels (default 900; 1600 with --template slides)")
    f.add_argument("--height", type=A.count("--height", minimum=50, maximum=C.MAX_PIXELS),
                   help="height in CSS pixels (default 560; 900 with --template slides)")
    f.add_argument("--scale", type=_scale,
                   help="PNG pixel scale, 0.1 to 4 (default 1; vector formats ignore it)")
    f.add_argument("--template", help="paper (serif, greyscale-safe dashes, for vector output) or slides "
                   "(large fonts); default: the studio's look")
    f.set_defaults(func=cmd_figure)
