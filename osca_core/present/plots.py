"""Figures for the dashboard: pure functions from curves, allocations and per-question tables to
``plotly.graph_objects.Figure`` (no Streamlit; unit-tested on their traces, names, hover text and layout).

Conventions shared by every builder:

- text taken from data (configuration names, question ids) passes through :func:`osca_core.present.views.plot_text`, so
  a name such as ``<b>x</b>`` is drawn literally (plotly reads a subset of HTML in its labels);
- ``presentation=True`` applies plotly's ``presentation`` template (larger fonts and lines) over ``plotly_white``
  or ``plotly_dark`` (``dark=True``) for talks; otherwise no template is set and the host (Streamlit's theme)
  styles the figure, which keeps it readable in light and dark themes;
- points evaluated by extrapolation (some k > n, Beta-binomial predictive) are marked with open symbols in a legend group
  "extrapolated (k > n)", never drawn as measured;
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
    """The shared look: plotly's presentation template for talks, small margins, left-aligned hover."""
    if presentation:
        fig.update_layout(template=("plotly_dark" if dark else "plotly_white") + "+presentation",
                          font=dict(size=20), hoverlabel=dict(font_size=18), title=dict(x=0.0, xanchor="left"))
    top = fig.layout.margin.t if fig.layout.margin.t is not None else (90 if presentation else 60)
    fig.update_layout(margin=dict(l=10, r=10, t=top, b=10), hoverlabel=dict(align="left"))
    return fig


def log2_axis(fig: go.Figure, budgets: Sequence[int], *, axis: str = "xaxis") -> None:
    """A log axis with ticks at the powers of two within the budgets."""
    lo, hi = max(1, int(min(budgets))), int(max(budgets))
    ticks = [2 ** i for i in range(0, int(np.ceil(np.log2(hi))) + 1) if lo <= 2 ** i <= hi] or [lo, hi]
    fig.update_layout({axis: dict(type="log", tickvals=ticks, ticktext=[str(t) for t in ticks])})


def look(name: str) -> tuple[str, str, str]:
    """(label, colour, dash) of a curve's strategy; a name that is no strategy is drawn as itself."""
    spec = registry.lookup(name)
    if spec is None:
        return name, registry.OTHER_COLOR, "solid"
    return spec.label, spec.color, spec.dash


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


def _add_strategy_curve(fig: go.Figure, cv: Curve, method: str = BAND_SPLITS) -> None:
    """One non-pure strategy: its 95% band (several splits), then its line in the registry's colour and dash."""
    label, color, dash = look(cv.strategy)
    spec = registry.lookup(cv.strategy)
    note = spec.description if spec is not None and spec.kind == "expectation" else None
    if cv.ci_low is not None and cv.ci_high is not None:
        xs = list(cv.budgets) + list(cv.budgets)[::-1]
        ys = list(cv.ci_high) + list(cv.ci_low)[::-1]
        fig.add_trace(go.Scatter(x=xs, y=ys, fill="toself", mode="lines", line=dict(width=0),
                                 fillcolor=color, opacity=0.18, name=f"{label} 95% interval",
                                 legendgroup=cv.strategy, showlegend=False, hoverinfo="skip",
                                 meta=f"band:{cv.strategy}"))
    fig.add_trace(go.Scatter(
        x=list(cv.budgets), y=list(cv.values), mode="lines+markers", name=label, legendgroup=cv.strategy,
        line=dict(color=color, width=3, dash=dash), marker=dict(size=6, color=color),
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
    if pures:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=PURE_GROUP_NAME, legendgroup="pure",
                                 line=dict(color=PURE_COLOR, width=2), hoverinfo="skip"))
    extra_legend = [False]

    def add_extrapolated(cv: Curve, color: str, size: int) -> None:
        idx = [i for i, e in enumerate(cv.extrapolated) if e]
        if not idx:
            return
        fig.add_trace(go.Scatter(
            x=[cv.budgets[i] for i in idx], y=[cv.values[i] for i in idx], mode="markers",
            name=EXTRAPOLATED_NAME, legendgroup="extrapolated", showlegend=not extra_legend[0],
            marker=dict(symbol="circle-open", size=size, color=color, line=dict(width=2)),
            hoverinfo="skip", meta=cv.strategy,
        ))
        extra_legend[0] = True

    for cv in pures:
        label = look(cv.strategy)[0]
        fig.add_trace(go.Scatter(
            x=list(cv.budgets), y=list(cv.values), mode="lines", name=plot_text(cv.strategy),
            legendgroup="pure", showlegend=False, line=dict(color=PURE_COLOR, width=1.5),
            hovertext=_hover(label, cv.budgets, cv.values, cv.extrapolated, cv.allocations),
            hovertemplate="%{hovertext}<extra></extra>", meta=cv.strategy,
        ))
    for cv in pures:
        add_extrapolated(cv, PURE_COLOR, 6)
    for cv in others:
        _add_strategy_curve(fig, cv, method)
        add_extrapolated(cv, look(cv.strategy)[1], 12)
    budgets = [b for c in curves for b in c.budgets]
    if n_min is not None and budgets and max(budgets) > n_min:
        fig.add_vline(x=n_min, line=dict(dash="dot", width=1, color="gray"),
                      annotation_text=f"n = {n_min}: beyond, k > n is extrapolated",
                      annotation_position="top left")
    fig.update_layout(
        title=dict(text=plot_text(title) if title else None),
        xaxis_title="budget C (samples per question)", yaxis_title="test pass@C",
        hovermode="closest", legend=dict(groupclick="togglegroup"),
    )
    if log2_x and budgets:
        log2_axis(fig, budgets)
    return style(fig, presentation=presentation, dark=dark)


MODEL_SCALES = ("Blues", "Oranges", "Greens", "Purples", "Reds", "Greys", "YlOrBr", "PuRd", "BuGn", "OrRd")


def allocation_colors(configs: Sequence, group_by: str) -> dict[str, str]:
    """Colours for allocation groups, grouped by model and temperature: each model gets its own hue (a plotly
    sequential scale) and, within it, darker shades for higher temperatures (variants next to their temperature);
    grouping by temperature alone uses Viridis from cool to hot."""
    from plotly.colors import sample_colorscale

    from osca_core.present.views import group_of, ordered_configs

    out: dict[str, str] = {}
    if group_by == "temperature":
        labels = list(dict.fromkeys(group_of(k, group_by) for k in ordered_configs(configs)))
        pts = [0.9 * i / max(1, len(labels) - 1) for i in range(len(labels))]
        return dict(zip(labels, sample_colorscale("Viridis", pts), strict=True))
    models = list(dict.fromkeys(k.model for k in configs))
    for mi, model in enumerate(models):
        scale = MODEL_SCALES[mi % len(MODEL_SCALES)]
        members = sorted((k for k in configs if k.model == model),
                         key=lambda k: (k.temperature is None, k.temperature or 0.0, k.variant))
        groups = list(dict.fromkeys(group_of(k, group_by) for k in members))
        if len(groups) == 1:
            pts = [0.7]
        else:
            pts = [0.4 + 0.55 * i / (len(groups) - 1) for i in range(len(groups))]
        out.update(zip(groups, sample_colorscale(scale, pts), strict=True))
    return out


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
    if kind == "bar" and not log2_x:
        fig.update_xaxes(type="category" if len(budgets) <= 40 else "linear")
    if log2_x and budgets:
        log2_axis(fig, budgets)
    return style(fig, presentation=presentation, dark=dark)


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
    qids = [plot_text(q) for q in rates.index]
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
    yaxis = dict(autorange="reversed", type="category")
    if step > 1:  # every step-th question id labelled (the rest are in the hover): no overlapping labels
        yaxis.update(tickmode="array", tickvals=qids[::step], ticktext=qids[::step])
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
    fig.update_layout(xaxis=dict(title=f"A: {plot_text(a)} (pass rate)", range=[-0.03, 1.03]),
                      yaxis=dict(title=f"B: {plot_text(b)} (pass rate)", range=[-0.03, 1.03], scaleanchor="x"),
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
        label, color, _ = look(cv.strategy)
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
    fig.update_layout(xaxis_title="budget C", yaxis_title="pass@C", hovermode="closest")
    if log2_x and budgets:
        log2_axis(fig, budgets)
    return style(fig, presentation=presentation, dark=dark)


def study_figure(frame: pd.DataFrame, *, x_title: str, y_title: str = "test pass@C", log_x: bool = False,
                 categorical_x: bool = False, presentation: bool = False, dark: bool = False,
                 title: str | None = None) -> go.Figure:
    """Lines with 95% bands for experiment studies. ``frame`` columns: series, x, mean, ci_low, ci_high (the
    interval columns may be empty); one line per series, coloured like its strategy when the series is one."""
    fig = go.Figure()
    for i, (name, sub) in enumerate(frame.groupby("series", sort=False)):
        spec = registry.lookup(str(name))
        spec = None if spec is None or spec.is_pure else spec  # pure series: categorical colours, own names
        color = spec.color if spec is not None else CATEGORY_COLORS[i % len(CATEGORY_COLORS)]
        label = spec.label if spec is not None else str(name)
        xs = [str(x) for x in sub["x"]] if categorical_x else list(sub["x"])
        if sub["ci_low"].notna().all() and sub["ci_high"].notna().all():
            fig.add_trace(go.Scatter(x=xs + xs[::-1], y=list(sub["ci_high"]) + list(sub["ci_low"])[::-1],
                                     fill="toself", mode="lines", line=dict(width=0), fillcolor=color,
                                     opacity=0.18, hoverinfo="skip", showlegend=False, legendgroup=str(name),
                                     meta=f"band:{name}"))
        text = [f"<b>{plot_text(label)}</b><br>{plot_text(x_title)} = {plot_text(x)}<br>mean {m:.4f}"
                + (f"<br>95% interval {lo:.4f} to {hi:.4f}" if pd.notna(lo) and pd.notna(hi) else "")
                for x, m, lo, hi in zip(sub["x"], sub["mean"], sub["ci_low"], sub["ci_high"], strict=True)]
        fig.add_trace(go.Scatter(x=xs, y=list(sub["mean"]), mode="lines+markers", name=plot_text(label),
                                 legendgroup=str(name), line=dict(color=color, width=3), marker=dict(size=7),
                                 hovertext=text, hovertemplate="%{hovertext}<extra></extra>", meta=str(name)))
    fig.update_layout(xaxis_title=plot_text(x_title), yaxis_title=plot_text(y_title), hovermode="closest",
                      title=dict(text=plot_text(title) if title else None))
    if categorical_x:
        fig.update_xaxes(type="category")
    elif log_x and len(frame):
        log2_axis(fig, [int(x) for x in frame["x"]])
    return style(fig, presentation=presentation, dark=dark)
