"""Figures for the dashboard: pure functions from curves, allocations and per-question tables to
``plotly.graph_objects.Figure`` (no Streamlit; unit-tested on their traces, names, hover text and layout).

Conventions shared by every builder:

- text taken from data (configuration names, question ids) passes through :func:`osca_core.present.views.plot_text`, so
  a name such as ``<b>x</b>`` is drawn literally (plotly reads a subset of HTML in its labels);
- ``presentation=True`` applies plotly's ``presentation`` template (larger fonts and lines) over ``plotly_white``
  or ``plotly_dark`` (``dark=True``) for talks; otherwise no template is set and the host (Streamlit's theme)
  styles the figure, which keeps it readable in light and dark themes;
- points evaluated by extrapolation (some k > n, Beta-binomial predictive) are marked with open symbols in a legend group
  "extrapolated (k > n)", never drawn as measured; a curve with ``extrapolation_low/high`` (``analysis.ranges``)
  gets an error bar on each such point: its value over the plausible spreads;
- ``log2_x=True`` puts budgets on a log axis with ticks at powers of two;
- a strategy's label, colour and dash (references such as a test-set oracle: dashed) come from
  :mod:`osca_core.strategies.registry`; a curve that is no strategy (a paired difference) is drawn in ``registry.OTHER_COLOR``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from osca_core.model.results import Curve, allocation_items
from osca_core.present import palette, wide
from osca_core.present.views import plot_text
from osca_core.strategies import registry

# Labels, colours (Okabe-Ito, colour-blind safe) and dashes come from the strategy registry; this is a derived view.
STRATEGY_COLORS = {s.name: s.color for s in registry.specs()}
PURE_COLOR = registry.PURE_COLOR
EXTRAPOLATED_NAME = "extrapolated (k > n)"
PURE_GROUP_NAME = "pure configurations"
HOVER_MAX_CONFIGS = 12
CATEGORY_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000",
                   "#882255", "#44AA99", "#999933", "#AA4499", "#117733", "#332288", "#DDCC77", "#88CCEE")


def chart_config(filename: str, *, fmt: str = "png") -> dict:
    """plotly config for ``st.plotly_chart``: the modebar's camera button downloads the figure as ``fmt`` (png or
    svg) under ``filename``; png at 2x scale for slides. The modebar is always shown."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"image format must be png or svg, not {fmt!r}")
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in filename) or "osca"
    return {
        "displaylogo": False,
        "displayModeBar": True,
        "toImageButtonOptions": {"format": fmt, "filename": safe, "scale": 2 if fmt == "png" else 1},
    }


def style(fig: go.Figure, *, presentation: bool, dark: bool) -> go.Figure:
    """The shared look: plotly's presentation template for talks, small margins, left-aligned hover, the title
    under the modebar, and the legend in rows under the plot (:data:`BOTTOM_LEGEND`) unless the figure placed it."""
    if presentation:
        fig.update_layout(template=("plotly_dark" if dark else "plotly_white") + "+presentation",
                          font=dict(size=20), hoverlabel=dict(font_size=18), title=dict(x=0.0, xanchor="left"))
    top = fig.layout.margin.t if fig.layout.margin.t is not None else (100 if presentation else 76)
    # the title sits on its own line under the modebar (the toolbar's icons sat on a long title on a phone)
    if fig.layout.title.text:
        head = wrap_title(fig.layout.title.text)
        more = head.count("<br>")  # further lines of the title: plotly centres a title's lines on its first
        # line's place, so the title comes down half a line and the plot a whole line per further line
        top += (32 if presentation else 22) * more
        fig.update_layout(title=dict(text=head, yref="container", y=1.0, yanchor="top",
                                     pad=dict(t=TITLE_BELOW_MODEBAR + (16 if presentation else 11) * more)))
    fig.update_layout(margin=dict(l=10, r=10, t=top, b=10), hoverlabel=dict(align="left"))
    if fig.layout.legend.orientation is None:  # a side legend squeezed the plot to a sliver on a phone
        fig.update_layout(legend=BOTTOM_LEGEND)
    return fig


# the legend in rows under the x axis at every width: plotly wraps the rows to the chart's width and, as the legend
# is placed in the container, pushes the bottom margin to hold them (no fixed margin to outgrow on a phone)
BOTTOM_LEGEND = dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0, xanchor="left")


TITLE_LINE = 44  # characters: a longer title is broken into lines (plotly never wraps; 44 fit a phone's chart)


def wrap_title(text: str, width: int = TITLE_LINE) -> str:
    """``text`` broken into lines of at most ``width`` characters (``<br>`` between them): at the last ``": "`` or
    before the last ``" ("`` that fits, else at the last space (a word longer than ``width`` keeps its own line);
    a title that already has line breaks is kept as it is."""
    if "<br" in text:
        return text
    lines, rest = [], text
    while len(rest) > width:
        cut = max([i + 1 for i in range(len(rest)) if rest.startswith(": ", i) and i + 1 <= width]
                  + [i for i in range(1, len(rest)) if rest.startswith(" (", i) and i <= width], default=-1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, width + 1)
        if cut <= 0:
            cut = rest.find(" ")
        if cut <= 0:
            break
        lines.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return "<br>".join([*lines, rest])


TITLE_BELOW_MODEBAR = 34  # px from the top of a chart to its title: the modebar's row
AXIS_PAD = 0.02  # a budget axis extends this fraction of its span beyond the first and the last budget


def log2_axis(fig: go.Figure, budgets: Sequence[int], *, axis: str = "xaxis") -> None:
    """A log axis with ticks at the powers of two within the budgets, its range fixed from the first budget to
    the last (in log10 units, as plotly wants a log axis's range): nothing drawn elsewhere (a marker, an
    annotation) can stretch it."""
    lo, hi = max(1, int(min(budgets))), int(max(budgets))
    ticks = [2 ** i for i in range(0, int(np.ceil(np.log2(hi))) + 1) if lo <= 2 ** i <= hi] or [lo, hi]
    a, b = np.log10(lo), np.log10(max(hi, lo + 1))
    pad = AXIS_PAD * (b - a)
    fig.update_layout({axis: dict(type="log", tickvals=ticks, ticktext=[str(t) for t in ticks],
                                  range=[a - pad, b + pad], minor=dict(showgrid=False, ticks=""))})


def linear_budget_axis(fig: go.Figure, budgets: Sequence[int], *, axis: str = "xaxis") -> None:
    """A linear budget axis from the first budget to the last (never from 0: no budget below the first exists)."""
    lo, hi = int(min(budgets)), int(max(budgets))
    pad = AXIS_PAD * max(1, hi - lo)
    fig.update_layout({axis: dict(type="linear", range=[lo - pad, hi + pad])})


def budget_axis(fig: go.Figure, budgets: Sequence[int], *, log2_x: bool, axis: str = "xaxis") -> None:
    """The budget axis of a chart: :func:`log2_axis` or :func:`linear_budget_axis`."""
    if not budgets:
        return
    (log2_axis if log2_x else linear_budget_axis)(fig, budgets, axis=axis)


def n_marker(fig: go.Figure, n: int, *, log_x: bool, presentation: bool = False) -> None:
    """A dotted vertical line at ``n`` logged samples with its label. The line is a shape (data coordinates on
    any axis); the label an annotation, whose x plotly reads in log10 units on a log axis, so it gets log10(n)
    there (plotly's ``add_vline`` gives it ``n``, which on a log axis means 10^n and stretches the axis)."""
    fig.add_shape(type="line", x0=n, x1=n, xref="x", y0=0, y1=1, yref="paper",
                  line=dict(dash="dot", width=2 if presentation else 1, color="gray"), name="n_marker")
    fig.add_annotation(x=float(np.log10(n)) if log_x else n, xref="x", y=1.0, yref="paper", yanchor="bottom",
                       xanchor="right", showarrow=False, text=f"n = {n}: beyond, k > n is extrapolated",
                       font=dict(color="gray"), name="n_marker")


def look(name: str, *, dark: bool = False) -> tuple[str, str, str]:
    """(label, colour, dash) of a curve's strategy (colour as drawn on the theme: ``palette.ink``); a name that
    is no strategy is drawn as itself."""
    spec = registry.lookup(name)
    if spec is None:
        return name, palette.ink(registry.OTHER_COLOR, dark=dark), "solid"
    return spec.label, palette.ink(spec.color, dark=dark), spec.dash


BAND_SPLITS = "mean over splits"
BAND_BOOTSTRAP = "bootstrap over test questions"


def _hover(label: str, budgets, values, extrapolated, allocations, ci_low=None, ci_high=None,
           note: str | None = None, method: str = BAND_SPLITS) -> list[str]:
    out = []
    for i, (b, v, e) in enumerate(zip(budgets, values, extrapolated, strict=True)):
        lines = [f"<b>{plot_text(label)}</b>", f"C = {b}", f"test pass@C = {v:.4f}"]
        if ci_low is not None and ci_high is not None:
            if method == BAND_SPLITS:
                lines[-1] += " (mean over splits)"
            lines.append(f"95% interval {ci_low[i]:.4f} to {ci_high[i]:.4f} ({plot_text(method)})")
        if allocations is not None:
            a = allocations[i]
            lines.append(f"train objective = {a.train_pass:.4f}")
            if a.certified:
                lines.append("certified optimal on training (MILP bound)")
            lines.append("allocation:")
            items = allocation_items(a.allocation)
            lines += [f"   {plot_text(n)} ×{k}" for n, k in items[:HOVER_MAX_CONFIGS]]
            if len(items) > HOVER_MAX_CONFIGS:
                rest = sum(k for _, k in items[HOVER_MAX_CONFIGS:])
                lines.append(f"   ... {len(items) - HOVER_MAX_CONFIGS} more configurations, {rest} samples")
        elif ci_low is not None and method == BAND_SPLITS:
            lines.append("allocation: one per split (see the Allocation page)")
        elif note:
            lines.append(f"allocation: {note}")
        if e:
            lines.append("<i>extrapolated: some k > n, Beta-binomial predictive</i>")
        out.append("<br>".join(lines))
    return out


def _add_strategy_curve(fig: go.Figure, cv: Curve, method: str = BAND_SPLITS, *, presentation: bool = False,
                        dark: bool = False, band: bool = True, line: bool = True) -> None:
    """One non-pure strategy: its 95% band (several splits), then its line in the registry's colour and dash
    (widths, marker sizes and band opacity from :mod:`osca_core.present.palette`)."""
    label, color, dash = look(cv.strategy, dark=dark)
    spec = registry.lookup(cv.strategy)
    note = spec.description if spec is not None and spec.kind == "expectation" else None
    if band and cv.ci_low is not None and cv.ci_high is not None:
        xs = list(cv.budgets) + list(cv.budgets)[::-1]
        ys = list(cv.ci_high) + list(cv.ci_low)[::-1]
        fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines",
                                 line=dict(width=palette.band_edge(presentation=presentation, dark=dark), color=color),
                                 fillcolor=color, opacity=palette.band_opacity(presentation=presentation, dark=dark),
                                 name=f"{label} 95% interval",
                                 legendgroup=cv.strategy, showlegend=False, hoverinfo="skip",
                                 meta=f"band:{cv.strategy}"))
    if not line:
        return
    fig.add_trace(go.Scatter(
        x=list(cv.budgets), y=list(cv.values), mode="lines+markers", name=label, legendgroup=cv.strategy,
        line=dict(color=color, width=palette.line_width(presentation=presentation), dash=dash),
        marker=dict(size=palette.marker_size(presentation=presentation), color=color),
        hovertext=_hover(label, cv.budgets, cv.values, cv.extrapolated, cv.allocations, cv.ci_low, cv.ci_high,
                         note, method),
        hovertemplate="%{hovertext}<extra></extra>", meta=cv.strategy,
    ))


def curves_figure(
    curves: Sequence[Curve],
    *,
    log2_x: bool = False,
    presentation: bool = False,
    dark: bool = False,
    title: str | None = None,
    n_min: int | None = None,
    method: str = BAND_SPLITS,
) -> go.Figure:
    """Test pass@C against budget C, one line per strategy.

    ``pure:<config>`` curves are drawn muted, without their own legend entries (one entry "pure configurations"
    toggles them all); the others in fixed colours with markers. Every point's hover text names the strategy, C,
    the value and the allocation behind it (uniform: its exact-expectation note). When a curve has ``ci_low`` /
    ``ci_high`` (several random splits) a band is drawn. Extrapolated points (k > n) get open markers in the
    "extrapolated (k > n)" legend group. ``n_min``: draws a dotted line at the smallest number of logged samples,
    beyond which pure configurations are extrapolated. ``method`` names where the bands come from in the hover
    (:data:`BAND_SPLITS` or :data:`BAND_BOOTSTRAP`).
    """
    fig = go.Figure()
    pures = [c for c in curves if c.strategy.startswith("pure:")]
    others = [c for c in curves if not c.strategy.startswith("pure:")]
    wide_band = len(pures) > wide.BAND_ABOVE
    if pures and not wide_band:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=PURE_GROUP_NAME, legendgroup="pure",
                                 line=dict(color=PURE_COLOR, width=2), hoverinfo="skip"))
    extra_legend = [False]

    def add_extrapolated(cv: Curve, color: str, size: int) -> None:
        idx = [i for i, e in enumerate(cv.extrapolated) if e]
        if not idx:
            return
        err = None
        if cv.extrapolation_low is not None and any(cv.extrapolation_low[i] is not None for i in idx):
            lo = [cv.extrapolation_low[i] for i in idx]
            hi = [cv.extrapolation_high[i] for i in idx]
            v = [cv.values[i] for i in idx]
            err = dict(type="data", symmetric=False, color=color, thickness=1, width=3,
                       array=[0.0 if h is None else max(h - y, 0.0) for h, y in zip(hi, v, strict=True)],
                       arrayminus=[0.0 if a is None else max(y - a, 0.0) for a, y in zip(lo, v, strict=True)])
        fig.add_trace(go.Scatter(
            x=[cv.budgets[i] for i in idx], y=[cv.values[i] for i in idx], mode="markers",
            name=EXTRAPOLATED_NAME, legendgroup="extrapolated", showlegend=not extra_legend[0],
            marker=dict(symbol="circle-open", size=size, color=color, line=dict(width=2)),
            error_y=err, hoverinfo="skip", meta=cv.strategy,
        ))
        extra_legend[0] = True

    if wide_band:  # hundreds of pure curves: a percentile band, the median, the max and the chosen ones
        chosen = wide.add_pure_band(fig, pures, others, lambda cv: _hover(
            look(cv.strategy)[0], cv.budgets, cv.values, cv.extrapolated, cv.allocations))
        ext = [any(cv.extrapolated[i] for cv in pures) for i in range(len(pures[0].budgets))]
        add_extrapolated(Curve("pure-band", pures[0].budgets, tuple(wide.band(pures)["p50"].tolist()),
                               tuple(ext)), PURE_COLOR, 6)
        fig.add_annotation(text=f"{len(pures)} pure configurations aggregated: 10-90th percentile band, median, "
                                f"max; {len(chosen)} drawn dashed", xref="paper", yref="paper", x=0, y=1.0,
                           xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=11, color="gray"))
        pures = []
    for cv in pures:
        label = look(cv.strategy)[0]
        fig.add_trace(go.Scatter(
            x=list(cv.budgets), y=list(cv.values), mode="lines", name=plot_text(cv.strategy),
            legendgroup="pure", showlegend=False,
            line=dict(color=PURE_COLOR, width=palette.line_width(presentation=presentation, main=False)),
            hovertext=_hover(label, cv.budgets, cv.values, cv.extrapolated, cv.allocations),
            hovertemplate="%{hovertext}<extra></extra>", meta=cv.strategy,
        ))
    for cv in pures:
        add_extrapolated(cv, PURE_COLOR, 6)
    for cv in others:  # every band first, then every line: no band covers another strategy's line
        _add_strategy_curve(fig, cv, method, presentation=presentation, dark=dark, line=False)
    for cv in others:
        _add_strategy_curve(fig, cv, method, presentation=presentation, dark=dark, band=False)
        add_extrapolated(cv, look(cv.strategy, dark=dark)[1], 16 if presentation else 12)
    budgets = [b for c in curves for b in c.budgets]
    if n_min is not None and budgets and min(budgets) <= n_min < max(budgets):
        n_marker(fig, n_min, log_x=log2_x, presentation=presentation)
    fig.update_layout(
        title=dict(text=plot_text(title) if title else None),
        xaxis_title="budget C per question", yaxis_title="test pass@C",
        hovermode="closest", legend=dict(groupclick="togglegroup"),
    )
    budget_axis(fig, budgets, log2_x=log2_x)
    return style(fig, presentation=presentation, dark=dark)


def allocation_colors(configs: Sequence, group_by: str) -> dict[str, str]:
    """Colours for allocation groups. Configurations, models and (model, temperature) groups: distinct
    colour-blind-safe hues (``palette.spread``: Okabe-Ito, then Tol), in the order of ``ordered_configs`` so one
    model's groups sit together; never shades of one hue (five near-identical blues told five configurations of one
    model apart on SWE-bench). Grouping by temperature alone uses Viridis from cool to hot."""
    from plotly.colors import sample_colorscale

    from osca_core.present.views import group_of, ordered_configs

    labels = list(dict.fromkeys(group_of(k, group_by) for k in ordered_configs(configs)))
    if group_by == "temperature":
        pts = [0.9 * i / max(1, len(labels) - 1) for i in range(len(labels))]
        return dict(zip(labels, sample_colorscale("Viridis", pts), strict=True))
    return dict(zip(labels, palette.spread(len(labels)), strict=True))


def allocation_figure(
    frame: pd.DataFrame,
    *,
    kind: str = "bar",
    log2_x: bool = False,
    presentation: bool = False,
    dark: bool = False,
    title: str | None = None,
    colors: dict[str, str] | None = None,
) -> go.Figure:
    """Stacked bars (``kind="bar"``) or stacked areas (``"area"``) of how each budget is spent, from
    :func:`osca_core.present.views.allocation_long` (columns budget, group, count, share): one trace per group, hover with
    the count and share of the budget; ``colors`` maps groups to colours (see :func:`allocation_colors`)."""
    if kind not in ("bar", "area"):
        raise ValueError(f"kind must be bar or area, not {kind!r}")
    fig = go.Figure()
    groups = list(frame["group"].cat.categories) if hasattr(frame["group"], "cat") else list(
        dict.fromkeys(frame["group"]))
    budgets = sorted(frame["budget"].unique().tolist())
    for i, g in enumerate(groups):
        sub = frame[frame["group"] == g].set_index("budget").reindex(budgets)
        counts = sub["count"].fillna(0).astype(int).tolist()
        shares = sub["share"].fillna(0.0).tolist()
        color = (colors or {}).get(str(g), CATEGORY_COLORS[i % len(CATEGORY_COLORS)])
        text = [f"<b>{plot_text(g)}</b><br>C = {b}<br>{k} samples ({s:.0%} of the budget)"
                for b, k, s in zip(budgets, counts, shares, strict=True)]
        common = dict(x=budgets, y=counts, name=plot_text(g), hovertext=text,
                      hovertemplate="%{hovertext}<extra></extra>", meta=str(g))
        if kind == "bar":
            fig.add_trace(go.Bar(marker_color=color, **common))
        else:
            fig.add_trace(go.Scatter(mode="lines", stackgroup="one", line=dict(width=0.5, color=color),
                                     **common))
    fig.update_layout(barmode="stack", title=dict(text=plot_text(title) if title else None),
                      xaxis_title="budget C", yaxis_title="samples", hovermode="closest",
                      legend=dict(traceorder="normal"))
    if kind == "bar" and not log2_x and len(budgets) <= 40:
        fig.update_xaxes(type="category")
    else:
        budget_axis(fig, budgets, log2_x=log2_x)
    return style(fig, presentation=presentation, dark=dark)


def common_prefix(ids: Sequence[str]) -> str:
    """The prefix every id shares, up to and including its last separator (``/``, ``_``, ``-``, ``:``, ``.``,
    space), so that no id loses part of a word and none is left empty; '' when there is none."""
    if len(ids) < 2:
        return ""
    import os.path

    p = os.path.commonprefix(list(ids))
    cut = max(p.rfind(ch) for ch in "/_-:. ")
    p = p[:cut + 1] if cut >= 0 else ""
    return p if p and all(len(x) > len(p) for x in ids) else ""


HEATMAP_LABEL_PX = 10  # least vertical room for one question id on the heatmap's y axis
HEATMAP_PLOT_MARGIN = 210  # the heatmap's title and axis margins, subtracted from its height


def heatmap_label_step(rows: int, height: int) -> int:
    """Label every ``step``-th row of a heatmap of ``rows`` rows drawn ``height`` px tall, so that labels get at
    least HEATMAP_LABEL_PX each: ceil(rows * HEATMAP_LABEL_PX / plot height), at least 1."""
    room = max(1, height - HEATMAP_PLOT_MARGIN)
    return max(1, -(-rows * HEATMAP_LABEL_PX // room))


def heatmap_figure(
    rates: pd.DataFrame,
    *,
    counts: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    presentation: bool = False,
    dark: bool = False,
    title: str | None = None,
) -> go.Figure:
    """Questions (rows, in the frame's order, first at the top) x configurations (columns) of pass rates c/n.
    ``counts``: optional (n, c) frames of the same shape, shown in the hover as ``c/n``."""
    z = rates.to_numpy(dtype=float)
    prefix = common_prefix([str(q) for q in rates.index])
    qids = [plot_text(q) for q in rates.index]
    labels = [plot_text(str(q)[len(prefix):]) for q in rates.index]  # the shared prefix named in the axis title
    cfgs = [plot_text(c) for c in rates.columns]
    if counts is not None:
        n, c = (x.to_numpy() for x in counts)
        text = [[f"question {qids[i]}<br>{cfgs[j]}<br>{int(c[i, j])}/{int(n[i, j])} correct ({z[i, j]:.2f})"
                 for j in range(z.shape[1])] for i in range(z.shape[0])]
    else:
        text = [[f"question {qids[i]}<br>{cfgs[j]}<br>pass rate {z[i, j]:.2f}" for j in range(z.shape[1])]
                for i in range(z.shape[0])]
    fig = go.Figure(go.Heatmap(
        z=z, x=cfgs, y=qids, zmin=0.0, zmax=1.0, colorscale="Viridis", hovertext=text,
        hovertemplate="%{hovertext}<extra></extra>", colorbar=dict(title="pass rate"),
        xgap=1 if z.shape[1] <= 40 else 0, ygap=1 if z.shape[0] <= 80 else 0,
    ))
    rows = z.shape[0]
    height = max(320, min(1400, 60 + 14 * rows))
    step = heatmap_label_step(rows, height)
    room = (height - HEATMAP_PLOT_MARGIN) / max(1, rows) * step  # px per labelled row
    # a text box is about 1.35 font sizes tall: the font shrinks (8 to 12 px) so that labels never touch
    yaxis = dict(autorange="reversed", type="category", tickfont=dict(size=int(max(8, min(12, room / 1.35)))))
    if step > 1 or prefix:  # every step-th question id labelled (the rest are in the hover): no overlapping labels
        yaxis.update(tickmode="array", tickvals=qids[::step], ticktext=labels[::step])
    if prefix:  # ids share a prefix ("BigCodeBench/"): labelled without it (short labels fit a phone)
        yaxis.update(title=dict(text=f"question ({plot_text(prefix)}...)"))
    fig.update_layout(title=dict(text=plot_text(title) if title else None, y=0.995, yanchor="top"),
                      margin=dict(t=170), xaxis=dict(side="top", tickangle=-45), yaxis=yaxis, height=height)
    return style(fig, presentation=presentation, dark=dark)


def question_figure(per_config: pd.DataFrame, *, budget: int, presentation: bool = False, dark: bool = False,
                    title: str | None = None) -> go.Figure:
    """One question: per configuration, the pass rate c/n and pure pass@C (bars), from
    :func:`osca_core.present.views.question_detail`."""
    names = [plot_text(x) for x in per_config["configuration"]]
    col = f"pure_pass@{budget}"
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=per_config["pass_rate"], name="pass rate c/n", marker_color="#0072B2",
                         hovertext=[f"{nm}<br>{int(c)}/{int(n)} correct" for nm, c, n in
                                    zip(names, per_config["c"], per_config["n"], strict=True)],
                         hovertemplate="%{hovertext}<extra></extra>"))
    fig.add_trace(go.Bar(x=names, y=per_config[col], name=f"pure pass@{budget}", marker_color="#D55E00",
                         marker_pattern_shape=["/" if e else "" for e in per_config["extrapolated"]],
                         hovertext=[f"{nm}<br>pass@{budget} = {v:.3f}" + (" (extrapolated, k > n)" if e else "")
                                    for nm, v, e in zip(names, per_config[col], per_config["extrapolated"],
                                                        strict=True)],
                         hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(barmode="group", yaxis=dict(range=[0, 1.02], title="probability"),
                      xaxis=dict(tickangle=-45), title=dict(text=plot_text(title) if title else None))
    return style(fig, presentation=presentation, dark=dark)


def comparison_figure(frame: pd.DataFrame, a: str, b: str, *, presentation: bool = False,
                      dark: bool = False) -> go.Figure:
    """A vs B: one point per question at (pass rate under A, pass rate under B), with the diagonal; points above it
    are questions B does better on. ``frame`` from :func:`osca_core.present.views.compare_configs`."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(dash="dot", color="gray"),
                             name="A = B", hoverinfo="skip"))
    text = [f"question {plot_text(q)}<br>A: {ra:.2f}<br>B: {rb:.2f}" for q, ra, rb in
            zip(frame.index, frame["rate_a"], frame["rate_b"], strict=True)]
    fig.add_trace(go.Scatter(x=frame["rate_a"], y=frame["rate_b"], mode="markers", name="questions",
                             marker=dict(size=8, color="#0072B2", opacity=0.6), hovertext=text,
                             hovertemplate="%{hovertext}<extra></extra>"))
    # square and fixed at [0, 1] on both axes: the plot area shrinks to a square (constrain="domain") instead of
    # plotly widening the y range to the chart's aspect (which gave -1.5..2.5 on a wide chart)
    fig.update_layout(xaxis=dict(title=f"A: {plot_text(a)} (pass rate)", range=[-0.03, 1.03], constrain="domain"),
                      yaxis=dict(title=f"B: {plot_text(b)} (pass rate)", range=[-0.03, 1.03], scaleanchor="x",
                                 scaleratio=1, constrain="domain"),
                      showlegend=False)
    return style(fig, presentation=presentation, dark=dark)


def train_test_figure(curves: Sequence[Curve], *, log2_x: bool = False, presentation: bool = False,
                      dark: bool = False) -> go.Figure:
    """For strategies with allocations: the training objective (dashed) and the test pass@C (solid) of the same
    allocation, per budget — the generalization gap of choosing allocations on training questions."""
    fig = go.Figure()
    budgets: list[int] = []
    for cv in curves:
        if cv.allocations is None:
            continue
        label, color, _ = look(cv.strategy, dark=dark)
        budgets += list(cv.budgets)
        hover = _hover(label, cv.budgets, cv.values, cv.extrapolated, cv.allocations)
        fig.add_trace(go.Scatter(x=list(cv.budgets), y=[a.train_pass for a in cv.allocations],
                                 mode="lines", line=dict(color=color, dash="dash", width=2),
                                 name=f"{label}: training objective", legendgroup=cv.strategy,
                                 hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
        fig.add_trace(go.Scatter(x=list(cv.budgets), y=list(cv.values), mode="lines+markers",
                                 line=dict(color=color, width=3), name=f"{label}: test pass@C",
                                 legendgroup=cv.strategy, hovertext=hover,
                                 hovertemplate="%{hovertext}<extra></extra>"))
    fig.update_layout(xaxis_title="budget C", yaxis_title="pass@C", hovermode="closest",
                      legend=BOTTOM_LEGEND)
    budget_axis(fig, budgets, log2_x=log2_x)
    return style(fig, presentation=presentation, dark=dark)  # the legend's rows push the bottom margin


def study_figure(frame: pd.DataFrame, *, x_title: str, y_title: str = "test pass@C", log_x: bool = False,
                 categorical_x: bool = False, presentation: bool = False, dark: bool = False,
                 title: str | None = None) -> go.Figure:
    """Lines with 95% bands for experiment studies. ``frame`` columns: series, x, mean, ci_low, ci_high (the
    interval columns may be empty); one line per series, coloured like its strategy when the series is one."""
    fig = go.Figure()
    series = [str(x) for x in dict.fromkeys(frame["series"])]

    def strategy_of(name: str):
        spec = registry.lookup(name)
        return None if spec is None or spec.is_pure else spec  # pure series: own colours, own names

    # a series that is no strategy (a ban variant such as "osca (ban multi-model)") gets a colour apart from every
    # strategy drawn beside it (palette.distinct_series), never a strategy's colour
    reserved = [palette.ink(s.color, dark=dark) for s in map(strategy_of, series) if s is not None]
    free = palette.distinct_series([x for x in series if strategy_of(x) is None], reserved)
    for name, sub in frame.groupby("series", sort=False):
        spec = strategy_of(str(name))
        color = palette.ink(spec.color, dark=dark) if spec is not None else free[str(name)]
        label = spec.label if spec is not None else str(name)
        xs = [str(x) for x in sub["x"]] if categorical_x else list(sub["x"])
        if sub["ci_low"].notna().all() and sub["ci_high"].notna().all():
            fig.add_trace(go.Scatter(x=xs + xs[::-1], y=list(sub["ci_high"]) + list(sub["ci_low"])[::-1],
                                     fill="toself", mode="lines", line=dict(width=palette.band_edge(presentation=presentation, dark=dark), color=color), fillcolor=color,
                                     opacity=palette.band_opacity(presentation=presentation, dark=dark),
                                     hoverinfo="skip", showlegend=False, legendgroup=str(name),
                                     meta=f"band:{name}"))
        text = [f"<b>{plot_text(label)}</b><br>{plot_text(x_title)} = {plot_text(x)}<br>mean {m:.4f}"
                + (f"<br>95% interval {lo:.4f} to {hi:.4f}" if pd.notna(lo) and pd.notna(hi) else "")
                for x, m, lo, hi in zip(sub["x"], sub["mean"], sub["ci_low"], sub["ci_high"], strict=True)]
        fig.add_trace(go.Scatter(x=xs, y=list(sub["mean"]), mode="lines+markers", name=plot_text(label),
                                 legendgroup=str(name),
                                 line=dict(color=color, width=palette.line_width(presentation=presentation)),
                                 marker=dict(size=palette.marker_size(presentation=presentation) + 1),
                                 hovertext=text, hovertemplate="%{hovertext}<extra></extra>", meta=str(name)))
    fig.update_layout(xaxis_title=plot_text(x_title), yaxis_title=plot_text(y_title), hovermode="closest",
                      title=dict(text=plot_text(title) if title else None))
    if categorical_x:
        fig.update_xaxes(type="category")
    elif log_x and len(frame):
        log2_axis(fig, [int(x) for x in frame["x"]])
    elif len(frame) and x_title.startswith("budget"):
        linear_budget_axis(fig, [int(x) for x in frame["x"]])
    return style(fig, presentation=presentation, dark=dark)
