"""Large question sets on the Questions page: the heatmap's rows when more questions are shown than it can draw
(``first`` rows in the sort order, an evenly spaced ``sample``, or consecutive questions ``aggregated`` into bins),
and the pages of a long table."""

from __future__ import annotations

import numpy as np
import pandas as pd

HEATMAP_MODES = ("aggregate", "sample", "first")


def heatmap_rows(rates: pd.DataFrame, n: pd.DataFrame, c: pd.DataFrame, *, limit: int, mode: str = "aggregate"
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """At most ``limit`` rows of the (rates, n, c) frames (same index and columns, in the sort order) and a caption
    saying what is shown. ``first``: the first ``limit`` questions; ``sample``: ``limit`` questions evenly spaced
    over the order (positions floor(i * Q / limit)); ``aggregate``: the questions cut into ``limit`` consecutive
    bins of nearly equal size (sizes differ by at most one), each row the mean pass rate of its bin per
    configuration, n and c summed (hover c/n), labelled ``first id .. last id (k questions)``."""
    if mode not in HEATMAP_MODES:
        raise ValueError(f"unknown heatmap mode {mode!r} (use {', '.join(HEATMAP_MODES)})")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    q = len(rates)
    if q <= limit:
        return rates, n, c, f"all {q} questions"
    if mode == "first":
        return rates.iloc[:limit], n.iloc[:limit], c.iloc[:limit], f"the first {limit} of {q} questions"
    if mode == "sample":
        pos = (np.arange(limit) * q) // limit
        return (rates.iloc[pos], n.iloc[pos], c.iloc[pos],
                f"{limit} of {q} questions, evenly spaced in the sort order (every {q / limit:.1f}th)")
    bins = np.repeat(np.arange(limit), np.diff(np.linspace(0, q, limit + 1).round().astype(int)))
    ids = rates.index.to_numpy()
    first = pd.Series(ids).groupby(bins).first().to_numpy()
    last = pd.Series(ids).groupby(bins).last().to_numpy()
    size = np.bincount(bins, minlength=limit)
    labels = [f"{a} .. {b} ({k})" for a, b, k in zip(first, last, size, strict=True)]

    def agg(df: pd.DataFrame, how: str) -> pd.DataFrame:
        out = getattr(df.reset_index(drop=True).groupby(bins), how)()
        out.index = pd.Index(labels, name=rates.index.name)
        return out

    return (agg(rates, "mean"), agg(n, "sum"), agg(c, "sum"),
            f"{q} questions in {limit} bins of {q // limit} or {q // limit + 1} consecutive questions (in the "
            f"sort order): each row is its bin's mean pass rate")


def page_count(rows: int, per_page: int) -> int:
    """Pages of ``per_page`` rows needed for ``rows`` rows (at least 1)."""
    if per_page < 1:
        raise ValueError("per_page must be at least 1")
    return max(1, -(-rows // per_page))


def page_of(frame: pd.DataFrame, page: int, per_page: int) -> pd.DataFrame:
    """Rows (page - 1) * per_page .. page * per_page - 1 of ``frame`` (page clipped to 1 .. page_count)."""
    page = min(max(1, int(page)), page_count(len(frame), per_page))
    return frame.iloc[(page - 1) * per_page: page * per_page]


def heatmap_columns(rates: pd.DataFrame, n: pd.DataFrame, c: pd.DataFrame, *, limit: int
                    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, str]:
    """The configurations (columns) as :func:`heatmap_rows` aggregates questions: above ``limit`` columns,
    consecutive configurations (in the frames' column order; the page orders them by model, then temperature)
    cut into ``limit`` bins, each column its bin's mean pass rate, n and c summed, labelled ``first .. last (k)``;
    with a caption naming the aggregation ('' when every configuration is drawn)."""
    if len(rates.columns) <= limit:
        return rates, n, c, ""
    r, nn, cc, _ = heatmap_rows(rates.T, n.T, c.T, limit=limit, mode="aggregate")
    s = len(rates.columns)
    return (r.T, nn.T, cc.T, f"{s} configurations in {limit} bins of {s // limit} or {s // limit + 1} consecutive "
                              f"configurations (by model, then temperature): each column its bin's mean pass rate")
