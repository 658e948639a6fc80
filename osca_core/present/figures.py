"""Figures for papers and slides: templates applied to the studio's plotly figures, and server-side export.

:func:`styled` returns a copy of a figure in one of two templates:

- ``paper``: serif type (Times-like, the font stack falls back to any serif), black on white, thin axes, and
  *greyscale-safe* traces: each line gets its own dash pattern (solid, dash, dot, dash-dot, long dash, ...)
  and marker symbol besides its grey, each stacked area or bar its own grey and hatch pattern, so they stay
  distinguishable printed in black and white; pure configurations stay thin light-grey context lines; meant
  for vector output (SVG, PDF);
- ``slides``: large type (22 pt body, 30 pt title), thick lines and big markers, for a projector.

:func:`export` renders a figure to PNG, SVG or PDF with kaleido (plotly's own exporter, which drives a
headless Chromium: the system's, found on the PATH as ``chromium`` or at ``/usr/bin/chromium``; set
``BROWSER_PATH`` to use another). MathJax is disabled so that rendering makes no network request. The first
export starts the browser (a few seconds); :func:`warm` keeps one running so later exports take a fraction of
a second.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import plotly.graph_objects as go

from osca_core.errors import InputError
from osca_core.strategies.registry import PURE_COLOR  # how plots draws every pure configuration

FORMATS = ("png", "svg", "pdf")
TEMPLATES = ("paper", "slides")
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px,1px,2px", "1px,3px")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "triangle-down", "star")
GREYS = ("#000000", "#555555", "#888888", "#333333", "#777777", "#222222", "#666666", "#444444")
MAX_PIXELS = 8000  # width and height, each, at most (times --scale at most 4): a 32k x 32k PNG is no figure
FILL_GREYS = ("#f0f0f0", "#bdbdbd", "#8c8c8c", "#d9d9d9", "#636363", "#a6a6a6", "#e8e8e8", "#737373")
PATTERNS = ("", "/", "\\", "x", ".", "-", "|", "+")
SERIF = "Times New Roman, Times, Nimbus Roman, Liberation Serif, DejaVu Serif, serif"


@dataclass(frozen=True)
class FigureSize:
    """Output size in CSS pixels and the raster scale (PNG only; vector formats ignore it)."""

    width: int = 900
    height: int = 560
    scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("width", "height"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 50 <= v <= MAX_PIXELS:
                raise InputError(f"--{name}: must be a whole number of pixels from 50 to {MAX_PIXELS} "
                                 f"(got {v!r})")
        if not (0.1 <= float(self.scale) <= 4.0):
            raise InputError(f"--scale: must be from 0.1 to 4 (got {self.scale!r})")


def styled(fig: go.Figure, template: str | None) -> go.Figure:
    """A copy of ``fig`` in the ``paper`` or ``slides`` template (None: unchanged copy)."""
    out = go.Figure(copy.deepcopy(fig.to_dict()))
    if template is None:
        return out
    if template not in TEMPLATES:
        raise InputError(f"--template: unknown template {template!r} (use {' or '.join(TEMPLATES)})")
    if template == "paper":
        _paper(out)
    else:
        _slides(out)
    return out


def _paper(fig: go.Figure) -> None:
    fig.update_layout(template="simple_white", font=dict(family=SERIF, size=13, color="#000000"),
                      paper_bgcolor="#ffffff", plot_bgcolor="#ffffff",
                      legend=dict(font=dict(family=SERIF, size=11), bgcolor="rgba(255,255,255,0.8)"))
    fig.update_xaxes(showline=True, linewidth=1, linecolor="#000000", ticks="outside", showgrid=False,
                     mirror=False)
    fig.update_yaxes(showline=True, linewidth=1, linecolor="#000000", ticks="outside", showgrid=True,
                     gridcolor="#e5e5e5")
    i = j = 0
    for tr in fig.data:
        if tr.type not in ("scatter", "scattergl"):
            continue
        if tr.stackgroup:  # a stacked area (allocation shares): a grey fill and a hatch pattern each
            tr.update(fillcolor=FILL_GREYS[j % len(FILL_GREYS)],
                      line=dict(width=0.6, color="#000000", dash="solid"),
                      fillpattern=dict(shape=PATTERNS[j % len(PATTERNS)], fgcolor="#000000", size=7,
                                       solidity=0.15))
            j += 1
            continue
        if tr.fill not in (None, "none"):  # an interval band: light grey, no line
            tr.update(fillcolor="rgba(0,0,0,0.10)", line=dict(width=0))
            continue
        if tr.legendgroup == "pure" or tr.line.color == PURE_COLOR:  # every pure configuration: thin, light
            tr.update(line=dict(dash="solid", width=0.8, color="#b0b0b0"))
            continue
        if tr.mode == "markers":  # extrapolated points (open markers) keep their symbol, in black
            tr.update(marker=dict(color="#000000", line=dict(width=1, color="#000000")))
            continue
        tr.update(line=dict(dash=DASHES[i % len(DASHES)], width=1.6, color=GREYS[i % len(GREYS)]),
                  marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=6, color=GREYS[i % len(GREYS)],
                              line=dict(width=1, color="#000000")))
        i += 1
    for tr in fig.data:
        if tr.type == "bar":  # stacked or grouped bars: grey shades and hatch patterns, black outlines
            tr.update(marker=dict(color=FILL_GREYS[j % len(FILL_GREYS)],
                                  line=dict(width=0.6, color="#000000"),
                                  pattern=dict(shape=PATTERNS[j % len(PATTERNS)], fgcolor="#000000", size=7,
                                               solidity=0.15)))
            j += 1


def _slides(fig: go.Figure) -> None:
    fig.update_layout(font=dict(size=22), title_font=dict(size=30), legend=dict(font=dict(size=20)),
                      margin=dict(l=90, r=40, t=90, b=80))
    fig.update_xaxes(title_font=dict(size=24), tickfont=dict(size=20))
    fig.update_yaxes(title_font=dict(size=24), tickfont=dict(size=20))
    for tr in fig.data:
        if tr.type in ("scatter", "scattergl") and tr.fill in (None, "none"):
            tr.update(line=dict(width=4), marker=dict(size=11))


def _kaleido():
    try:
        import kaleido
    except ImportError:  # pragma: no cover - kaleido is a dependency of the figure commands
        raise InputError("figure export needs kaleido (pip install kaleido) and a Chromium") from None
    return kaleido


def warm() -> None:
    """Start kaleido's browser once for this process, so later exports reuse it."""
    k = _kaleido()
    k.start_sync_server(mathjax=False, silence_warnings=True)


def export(fig: go.Figure, fmt: str, size: FigureSize | None = None) -> bytes:
    """The figure rendered as ``fmt`` (png, svg or pdf) bytes, by kaleido in headless Chromium."""
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format {fmt!r} (use {', '.join(FORMATS)})")
    size = size or FigureSize()
    k = _kaleido()
    opts = {"format": fmt, "width": size.width, "height": size.height, "scale": size.scale}
    try:
        if k._global_server.is_running():  # noqa: SLF001 - kaleido's documented warm server, started by warm()
            data = k.calc_fig_sync(fig, opts=opts)
        else:
            data = k.calc_fig_sync(fig, opts=opts, kopts={"mathjax": False})
    except Exception as e:  # the browser is missing or crashed: a machine problem the user can fix
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise InputError(f"figure export failed: {msg} (kaleido needs Chromium: apt-get install chromium, "
                         "or set "
                         "BROWSER_PATH)") from None
    return bytes(data)
