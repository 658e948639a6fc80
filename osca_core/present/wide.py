"""Chart forms for wide logs (hundreds of configurations), each aggregation named on the chart itself.

- **Pure curves as a band** (:func:`add_pure_band`, used by ``plots.curves_figure`` above :data:`BAND_ABOVE` pure
  curves): per budget C the 10th-90th percentile of the pure configurations' test pass@C as a shaded band, the
  median as a line and the maximum as a dotted line (percentiles over configurations, ``numpy.percentile``,
  linear interpolation), plus the *chosen* configurations drawn as lines with their own legend entries: those in
  the mixes of the chart (the allocations of the other curves at the largest budget, most samples first), else
  the top :data:`TOP_K` by the drawn value at the largest budget (then said so in the legend).
- **Allocation by axis with a rest share** (:func:`top_groups`): the k groups with the largest total share; the
  others are summed into one "rest (m groups)" group.
- **Heatmap over configurations** (:func:`config_bins`): above :data:`HEATMAP_MAX_CONFIGS` columns, consecutive
  configurations (in the chart's order) are averaged into that many bins, named "configurations i-j".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from osca_core.model.results import Curve

BAND_ABOVE = 30  # more pure curves than this: drawn as a band plus the chosen ones
TOP_K = 8  # chosen configurations drawn as lines at most
BAND_COLOR = "rgba(150, 150, 150, 0.28)"
LINE_COLOR = "#9a9a9a"
HEATMAP_MAX_CONFIGS = 120
REST = "rest"


def chosen_configs(others: Sequence[Curve], pures: Sequence[Curve], k: int = TOP_K) -> tuple[list[str], str]:
    """(configuration names to draw as lines, why): those the other curves' allocations use at the largest
    budget (most samples first), else the top k pure curves by value at the largest budget."""
    counts: dict[str, int] = {}
    for cv in others:
        if cv.allocations:
            a = cv.allocations[-1]
            for name, x in zip(a.config_names, a.counts, strict=True):
                if x > 0:
                    counts[name] = counts.get(name, 0) + int(x)
    drawn = {cv.strategy.removeprefix("pure:") for cv in pures}
    names = [n for n, _ in sorted(counts.items(), key=lambda t: (-t[1], t[0])) if n in drawn][:k]
    if names:
        return names, "in the mixes at the largest budget"
    top = sorted(pures, key=lambda cv: -cv.values[-1])[:k]
    return [cv.strategy.removeprefix("pure:") for cv in top], f"top {len(top)} at the largest budget"


def band(pures: Sequence[Curve]) -> dict[str, np.ndarray]:
    """Per budget percentiles of the pure curves' values: p10, p50, p90, max (module docstring)."""
    v = np.array([cv.values for cv in pures], float)
    p10, p50, p90 = np.percentile(v, [10, 50, 90], axis=0)
    return {"p10": p10, "p50": p50, "p90": p90, "max": v.max(axis=0)}


def add_pure_band(fig: go.Figure, pures: Sequence[Curve], others: Sequence[Curve], hover) -> list[str]:
    """Draw the band, the median, the maximum and the chosen configurations (module docstring); returns the chosen
    names. ``hover(cv)`` gives a pure curve's hover texts."""
    x = list(pures[0].budgets)
    b = band(pures)
    s = len(pures)
    name = f"{s} pure configurations: 10-90th percentile band"
    fig.add_trace(go.Scatter(x=x, y=b["p90"].tolist(), mode="lines", line=dict(width=0, color=LINE_COLOR),
                             name=name, legendgroup="pure-band", showlegend=False, meta="band:p90",
                             hovertemplate="90th percentile of " + str(s) + " pure: %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=b["p10"].tolist(), mode="lines", line=dict(width=0, color=LINE_COLOR),
                             fill="tonexty", fillcolor=BAND_COLOR, name=name, legendgroup="pure-band",
                             meta="band:p10",
                             hovertemplate="10th percentile of " + str(s) + " pure: %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=b["p50"].tolist(), mode="lines", line=dict(width=1.5, color=LINE_COLOR),
                             name=f"median of {s} pure", legendgroup="pure-band", meta="band:p50",
                             hovertemplate="median of " + str(s) + " pure: %{y:.4f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=b["max"].tolist(), mode="lines",
                             line=dict(width=1.5, color=LINE_COLOR, dash="dot"), name=f"best of {s} pure at each C "
                             "(on test: a ceiling, not a baseline)", legendgroup="pure-band", meta="band:max",
                             hovertemplate="max of " + str(s) + " pure: %{y:.4f}<extra></extra>"))
    names, why = chosen_configs(others, pures)
    by = {cv.strategy.removeprefix("pure:"): cv for cv in pures}
    palette = ("#8c6d31", "#7b4173", "#3182bd", "#31a354", "#e6550d", "#637939", "#843c39", "#5254a3")
    for i, n in enumerate(names):
        cv = by[n]
        fig.add_trace(go.Scatter(x=x, y=list(cv.values), mode="lines", name=f"pure {n}",
                                 legendgroup="pure-chosen", legendgrouptitle_text=f"pure, {why}" if i == 0 else None,
                                 line=dict(width=1.5, dash="dash", color=palette[i % len(palette)]),
                                 hovertext=hover(cv), hovertemplate="%{hovertext}<extra></extra>", meta=cv.strategy))
    return names


def top_groups(shares: Mapping[str, float], k: int) -> tuple[list[str], list[str]]:
    """(the k groups with the largest share, largest first, ties by name; the others, summed into the rest)."""
    order = sorted(shares, key=lambda g: (-shares[g], g))
    return order[:k], order[k:]


def rest_label(others: Sequence[str]) -> str:
    return f"{REST} ({len(others)} group{'s' if len(others) != 1 else ''})"


def config_bins(columns: int, limit: int = HEATMAP_MAX_CONFIGS) -> list[tuple[int, int]]:
    """[start, stop) of consecutive column bins, at most ``limit`` of them, sizes differing by at most one."""
    if columns <= limit:
        return [(i, i + 1) for i in range(columns)]
    edges = np.linspace(0, columns, limit + 1).round().astype(int)
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


REST_ABOVE = 12  # more groups than this in an allocation chart: the smallest go into one "rest" share


def regroup(frame, mapping: Mapping[str, str] | None = None, *, k: int = REST_ABOVE):
    """An ``allocation_long`` frame (budget, group, count, share) regrouped: each group renamed by ``mapping``
    (e.g. configuration -> its value on an axis) and summed, then, above ``k`` groups, the k with the largest
    total share kept and the others summed into ``rest (m groups)`` (:func:`top_groups`), drawn last. Counts and
    shares still add up to each budget."""
    import pandas as pd

    f = frame.copy()
    f["group"] = f["group"].astype(str)
    if mapping is not None:
        f["group"] = f["group"].map(lambda g: mapping.get(g, g))
    f = f.groupby(["budget", "group"], as_index=False, sort=False)[["count", "share"]].sum()
    totals = f.groupby("group", sort=False)["share"].sum().to_dict()
    order = list(dict.fromkeys(f["group"]))
    if len(order) > k + 1:  # one group alone is drawn as itself, not as a rest of one
        keep, rest = top_groups(totals, k)
        label = rest_label(rest)
        f["group"] = f["group"].where(f["group"].isin(keep), label)
        f = f.groupby(["budget", "group"], as_index=False, sort=False)[["count", "share"]].sum()
        order = [g for g in order if g in set(keep)] + [label]
    f["group"] = pd.Categorical(f["group"], categories=order, ordered=True)
    return f.sort_values(["budget", "group"]).reset_index(drop=True)
