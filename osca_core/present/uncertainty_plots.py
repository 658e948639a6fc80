"""Figures of uncertainty for the dashboard: the paired difference OSCA - best pure with its bootstrap band, and
histograms of per-question pass@1 and pass@C. Pure functions to ``plotly.graph_objects.Figure`` (no Streamlit),
with the conventions of ``osca_core.present.plots`` (data text through ``views.plot_text``, ``presentation``/``dark``
templates, ``log2_x`` axes). Curve bands themselves are drawn by ``plots.curves_figure`` from ``Curve.ci_low`` /
``ci_high`` (``paired.bootstrap_curves`` fills them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from osca_core.analysis.paired import Difference
from osca_core.present import palette
from osca_core.present.plots import budget_axis, style
from osca_core.present.views import plot_text
from osca_core.strategies import registry

EXCLUDES_COLOR = "#D55E00"
INCLUDES_COLOR = "#888888"
EXCLUDES_SYMBOL = "diamond"  # the interval excludes 0
INCLUDES_SYMBOL = "circle"  # the interval includes 0 (small, grey)
HIST_BINS = 20


def _label(name: str) -> str:
    spec = registry.lookup(name)
    return spec.label if spec is not None else name


def _color(name: str) -> str:
    spec = registry.lookup(name)
    return spec.color if spec is not None else registry.OTHER_COLOR


def difference_figure(diff: Difference, *, log2_x: bool = False, presentation: bool = False, dark: bool = False,
                      title: str | None = None, method: str = "bootstrap over test questions") -> go.Figure:
    """The paired difference a - b of test pass@C against budget: a line, its interval as a band (trace ``meta``
    ``band:<a> - <b>``), a dashed zero line, and markers: a coloured diamond where the interval excludes 0, a small
    grey dot where it includes 0 (never an open circle: open circles mean "extrapolated, k > n" on every chart).
    Hover text gives C, the difference and the interval with ``method``."""
    name = f"{_label(diff.a)} - {_label(diff.b)}"
    fig = go.Figure()
    xs = list(diff.budgets)
    if diff.ci_low is not None and diff.ci_high is not None:
        fig.add_trace(go.Scatter(x=xs + xs[::-1], y=list(diff.ci_high) + list(diff.ci_low)[::-1], fill="toself",
                                 mode="lines", line=dict(width=palette.band_edge(presentation=presentation, dark=dark), color=_color(diff.a)), fillcolor=_color(diff.a),
                                 opacity=palette.band_opacity(presentation=presentation, dark=dark),
                                 name=f"{100 * diff.level:g}% interval", hoverinfo="skip",
                                 meta=f"band:{diff.a} - {diff.b}"))
    hover = []
    for i, (b, d) in enumerate(zip(diff.budgets, diff.diff, strict=True)):
        lines = [f"<b>{plot_text(name)}</b>", f"C = {b}", f"difference = {d:+.4f}"]
        if diff.ci_low is not None:
            verdict = "excludes 0" if diff.excludes_zero[i] else "includes 0"
            lines.append(f"{100 * diff.level:g}% interval {diff.ci_low[i]:+.4f} to {diff.ci_high[i]:+.4f} ({verdict})")
            lines.append(f"paired {plot_text(method)}")
        hover.append("<br>".join(lines))
    excl = diff.excludes_zero
    fig.add_trace(go.Scatter(
        x=xs, y=list(diff.diff), mode="lines+markers", name=plot_text(name), meta=f"{diff.a} - {diff.b}",
        line=dict(color=_color(diff.a), width=palette.line_width(presentation=presentation)),
        marker=dict(size=[palette.marker_size(presentation=presentation) + (3 if e else 0) for e in excl],
                    color=[EXCLUDES_COLOR if e else INCLUDES_COLOR for e in excl],
                    symbol=[EXCLUDES_SYMBOL if e else INCLUDES_SYMBOL for e in excl]),
        hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
    ))
    fig.add_hline(y=0.0, line=dict(dash="dash", width=1, color="gray"))
    fig.update_layout(title=dict(text=plot_text(title) if title else None),
                      xaxis_title="budget C (samples per question)",
                      yaxis_title="pass@C difference", hovermode="closest")  # short: the title names a - b
    budget_axis(fig, xs, log2_x=log2_x)
    return style(fig, presentation=presentation, dark=dark)


def question_histogram_figure(pass1: Mapping[str, Sequence[float]], pass_c: Mapping[str, Sequence[float]], *,
                              budget: int, bins: int = HIST_BINS, presentation: bool = False, dark: bool = False,
                              title: str | None = None) -> go.Figure:
    """Two panels of overlaid histograms over the test questions, one trace per strategy in each: per-question
    pass@1 (left) and pass@C at ``budget`` (right), ``bins`` equal bins on [0, 1] (the last one closed, so
    questions at exactly 1 count). Shows how many questions sit near 0 or 1 behind a curve's mean."""
    if bins < 1:
        raise ValueError("question_histogram_figure: bins must be >= 1")
    edges = np.linspace(0.0, 1.0, bins + 1)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True,
                        subplot_titles=("pass@1", f"pass@{int(budget)}"))  # short: half a phone's width
    for col, data in ((1, pass1), (2, pass_c)):
        for name, vals in data.items():
            v = np.clip(np.asarray(vals, float), 0.0, 1.0)
            counts, _ = np.histogram(v, bins=edges)
            mid = (edges[:-1] + edges[1:]) / 2
            hover = [f"<b>{plot_text(_label(name))}</b><br>{lo:.2f} to {hi:.2f}: {k} questions"
                     for lo, hi, k in zip(edges[:-1], edges[1:], counts, strict=True)]
            fig.add_trace(go.Bar(x=mid, y=counts, width=1.0 / bins, name=plot_text(_label(name)),
                                 marker=dict(color=_color(name)), opacity=0.55, legendgroup=name,
                                 showlegend=col == 1, meta=f"{'pass1' if col == 1 else 'passC'}:{name}",
                                 hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"), row=1, col=col)
    fig.update_layout(barmode="overlay", title=dict(text=plot_text(title) if title else None),
                      yaxis_title="test questions")
    fig.update_xaxes(range=[0.0, 1.0], title_text="per-question pass probability")
    return style(fig, presentation=presentation, dark=dark)
