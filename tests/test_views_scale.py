"""``osca_core.present.views.heatmap_rows``: the heatmap rows of large question sets (aggregated bins checked against a
brute-force loop, evenly spaced samples, the first rows) and table pages covering every row once."""

from __future__ import annotations

import numpy as np
import pandas as pd

from osca_core.present import views


def frames(q: int, s: int = 2):
    rng = np.random.default_rng(0)
    n = rng.integers(1, 6, (q, s))
    c = rng.binomial(n, 0.5)
    idx, cols = [f"q{i}" for i in range(q)], [f"k{j}" for j in range(s)]
    return (pd.DataFrame(c / n, idx, cols), pd.DataFrame(n, idx, cols), pd.DataFrame(c, idx, cols))


def test_aggregated_heatmap_rows_are_bin_means_of_nearly_equal_consecutive_bins():
    r, n, c = frames(1001)
    ar, an, ac, what = views.heatmap_rows(r, n, c, limit=300, mode="aggregate")
    assert len(ar) == 300 and "300 bins" in what
    sizes = [int(lbl.rsplit("(", 1)[1].rstrip(")")) for lbl in ar.index]
    assert sum(sizes) == 1001 and max(sizes) - min(sizes) <= 1
    start = 0
    for row, k in enumerate(sizes):  # brute force: every bin's mean and sums
        np.testing.assert_allclose(ar.iloc[row].to_numpy(), r.iloc[start:start + k].mean().to_numpy())
        assert an.iloc[row].tolist() == n.iloc[start:start + k].sum().tolist()
        assert ac.iloc[row].tolist() == c.iloc[start:start + k].sum().tolist()
        assert ar.index[row].startswith(f"q{start} .. q{start + k - 1} ")
        start += k


def test_sampled_and_first_rows_and_small_frames_unchanged():
    r, n, c = frames(1000)
    sr, _, _, _ = views.heatmap_rows(r, n, c, limit=300, mode="sample")
    assert list(sr.index) == [f"q{(i * 1000) // 300}" for i in range(300)]
    fr, _, _, _ = views.heatmap_rows(r, n, c, limit=300, mode="first")
    assert list(fr.index) == [f"q{i}" for i in range(300)]
    small = frames(10)
    assert views.heatmap_rows(*small, limit=300)[0] is small[0]


def test_pages_cover_every_row_once():
    df = pd.DataFrame({"x": range(1234)})
    k = views.page_count(len(df), 500)
    assert k == 3 and views.page_count(0, 500) == 1
    assert pd.concat([views.page_of(df, p, 500) for p in range(1, k + 1)])["x"].tolist() == list(range(1234))
    assert views.page_of(df, 99, 500)["x"].tolist() == list(range(1000, 1234))
