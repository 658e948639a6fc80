"""Figures of plans under early stopping: pass@C against the expected cost per question, and a plan's order.

Pure plotly builders beside :mod:`osca_core.present.plots` (same styles, colours and labels from the registry): the x axis
of :func:`expected_cost_figure` is the expected cost per question when sampling stops at the first sample the
verifier accepts (:mod:`osca_core.strategies.stopping_plans`); :func:`order_strip_figure` draws a plan's samples first to last as
a strip of cells coloured per configuration.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from osca_core.model.results import Curve
from osca_core.present import palette
from osca_core.present.plots import BOTTOM_LEGEND, PURE_COLOR, PURE_GROUP_NAME, log2_axis, look, style
from osca_core.present.views import plot_text
from osca_core.strategies import registry


def expected_cost_figure(curves: Sequence[Curve], costs: dict[str, Sequence[float]], *, log2_x: bool = False,
                         presentation: bool = False, dark: bool = False, title: str | None = None) -> go.Figure:
    """Test pass@C against the expected cost per question when sampling stops at the first accepted sample
    (``costs[strategy]`` per budget, e.g. ``stopplans.Schedule.expected_cost_test``): one line per strategy with
    its registry colour and dash, and its 95% band where the curve has one (``ci_low``/``ci_high``, drawn over the
    same expected costs); hover gives C, the expected cost and the pass. Extrapolated points are open. A log axis
    has ticks at powers of two only (no minor tick labels)."""
    fig = go.Figure()
    all_x: list[float] = []
    for cv in curves:
        if cv.strategy not in costs:
            continue
        label, color, dash = look(cv.strategy, dark=dark)
        pure = cv.strategy.startswith(registry.PURE_PREFIX)
        xs = [float(x) for x in costs[cv.strategy]]
        all_x += xs
        if not pure and cv.ci_low is not None and cv.ci_high is not None:
            fig.add_trace(go.Scatter(x=xs + xs[::-1], y=list(cv.ci_high) + list(cv.ci_low)[::-1], fill="toself",
                                     mode="lines", line=dict(width=palette.band_edge(presentation=presentation, dark=dark), color=color), fillcolor=color,
                                     opacity=palette.band_opacity(presentation=presentation, dark=dark),
                                     hoverinfo="skip", showlegend=False, legendgroup=cv.strategy,
                                     meta=f"band:{cv.strategy}"))
        hover = [f"<b>{plot_text(label)}</b><br>C = {b}<br>expected cost = {x:.3f} per question<br>"
                 f"test pass@C = {v:.4f}" + ("<br><i>extrapolated: some k > n</i>" if e else "")
                 for b, x, v, e in zip(cv.budgets, xs, cv.values, cv.extrapolated, strict=True)]
        fig.add_trace(go.Scatter(
            x=xs, y=list(cv.values), mode="lines" if pure else "lines+markers",
            name=PURE_GROUP_NAME if pure else label, legendgroup="pure" if pure else cv.strategy,
            showlegend=not pure, line=dict(color=PURE_COLOR if pure else color, dash=dash,
                                           width=palette.line_width(presentation=presentation, main=not pure)),
            marker=dict(size=palette.marker_size(presentation=presentation), color=color,
                        symbol=["circle-open" if e else "circle" for e in cv.extrapolated]),
            hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", meta=cv.strategy))
    fig.update_layout(title=dict(text=plot_text(title) if title else None),
                      xaxis_title="expected cost per question (sampling stops when the verifier accepts)",
                      yaxis_title="test pass@C", hovermode="closest")
    if log2_x and all_x:
        log2_axis(fig, [max(1, int(np.floor(min(all_x)))), int(np.ceil(max(all_x)))])
        lo, hi = max(min(all_x), 1e-9), max(all_x)  # the data's own span (expected costs are not integers)
        pad = 0.02 * max(1e-9, np.log10(hi) - np.log10(lo))
        fig.update_xaxes(range=[np.log10(lo) - pad, np.log10(hi) + pad])
    return style(fig, presentation=presentation, dark=dark)


def order_strip_figure(order: Sequence[str], colors: dict[str, str], *, title: str | None = None,
                       presentation: bool = False, dark: bool = False) -> go.Figure:
    """The plan's sampling order as a strip of coloured cells, first sampled at the left; one cell per sample,
    coloured per configuration (``allocation_colors(configs, "configuration")``, stable across pages); hover
    gives the position and the configuration."""
    fig = go.Figure()
    for name in dict.fromkeys(order):
        idx = [i for i, o in enumerate(order) if o == name]
        fig.add_trace(go.Bar(
            x=[1] * len(idx), base=idx, y=[""] * len(idx), orientation="h", name=plot_text(name),
            marker=dict(color=colors.get(name, PURE_COLOR), line=dict(width=1, color="white")),
            hovertext=[f"sample {i + 1} of {len(order)}: {plot_text(name)}" for i in idx],
            hovertemplate="%{hovertext}<extra></extra>", meta=name))
    # the axis says what it is in the title ("first sample at the left"), so the legend below the ticks has the
    # room an axis title would take and never sits on it; its rows push the bottom margin (plotly), and the height
    # leaves the bar its room under them: one row per configuration in presentation type (a phone's narrow rows)
    names = len(dict.fromkeys(order))
    rows = names if presentation else 1 + names // 2
    head = plot_text(title) + " (sampling order, first sample at the left)" if title else "sampling order, first sample at the left"
    fig.update_layout(barmode="overlay", height=(230 + 34 * rows) if presentation else 150 + 24 * rows,
                      title=dict(text=head),
                      xaxis=dict(range=[0, max(1, len(order))]), yaxis=dict(visible=False), legend=BOTTOM_LEGEND)
    style(fig, presentation=presentation, dark=dark)
    fig.update_layout(margin=dict(t=80 if not presentation else 110))
    return fig
