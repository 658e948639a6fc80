"""Chart forms for wide logs (osca_core.present.wide, plots.curves_figure above BAND_ABOVE pure curves, the
heatmap's configuration bins): the numbers drawn are the percentiles / sums they are named after."""

from __future__ import annotations

import numpy as np
import pandas as pd

from osca_core.model.results import Curve
from osca_core.present import plots, wide
from osca_core.present.views import heatmap_columns


def _pures(s: int, budgets=(1, 2, 4)) -> list[Curve]:
    rng = np.random.default_rng(0)
    return [Curve(f"pure:c{j}", tuple(budgets), tuple(np.sort(rng.uniform(0, 1, len(budgets))).tolist()),
                  (False, False, True)) for j in range(s)]


def test_hundreds_of_pure_curves_are_drawn_as_a_named_percentile_band():
    pures = _pures(200)
    fig = plots.curves_figure(pures, title="t").to_dict()
    v = np.array([cv.values for cv in pures])
    by = {t.get("meta"): t for t in fig["data"]}
    np.testing.assert_allclose(by["band:p10"]["y"], np.percentile(v, 10, axis=0))
    np.testing.assert_allclose(by["band:p90"]["y"], np.percentile(v, 90, axis=0))
    np.testing.assert_allclose(by["band:p50"]["y"], np.median(v, axis=0))
    np.testing.assert_allclose(by["band:max"]["y"], v.max(axis=0))
    assert "200 pure configurations: 10-90th percentile band" in by["band:p10"]["name"]
    assert any("aggregated" in a["text"] for a in fig["layout"]["annotations"])
    # with no mixes to name the chosen ones: the top TOP_K at the largest budget, dashed, in the legend
    chosen = [t for t in fig["data"] if str(t.get("meta", "")).startswith("pure:")]
    top = sorted(pures, key=lambda cv: -cv.values[-1])[: wide.TOP_K]
    assert [t["meta"] for t in chosen] == [cv.strategy for cv in top]
    assert len(fig["data"]) < 20  # not one trace per configuration
    few = plots.curves_figure(_pures(wide.BAND_ABOVE)).to_dict()
    assert sum(str(t.get("meta", "")).startswith("pure:") and t["mode"] == "lines" for t in few["data"]) == 30


def test_regroup_keeps_the_largest_groups_and_sums_the_rest():
    rows = [{"budget": b, "group": f"g{j}", "count": j + 1, "share": (j + 1) / 120} for b in (1, 2) for j in range(15)]
    f = wide.regroup(pd.DataFrame(rows), k=4)
    cats = list(f["group"].cat.categories)
    assert cats[-1] == "rest (11 groups)" and set(cats[:4]) == {"g11", "g12", "g13", "g14"}
    per = f.groupby("budget", observed=True)["count"].sum()
    assert per.tolist() == [120, 120]
    assert f[(f["group"] == "rest (11 groups)") & (f["budget"] == 1)]["count"].item() == sum(range(1, 12))
    mapped = wide.regroup(pd.DataFrame(rows), {f"g{j}": ("odd" if j % 2 else "even") for j in range(15)})
    assert sorted(mapped["group"].cat.categories) == ["even", "odd"]


def test_heatmap_bins_configurations_above_the_limit():
    cols = [f"c{j}" for j in range(7)]
    n = pd.DataFrame(np.full((2, 7), 4), columns=cols)
    c = pd.DataFrame(np.arange(14).reshape(2, 7) % 5, columns=cols)
    r, nn, cc, what = heatmap_columns(c / n, n, c, limit=3)
    assert r.shape == (2, 3) and "7 configurations in 3 bins" in what
    assert nn.sum(axis=1).tolist() == [28, 28] and cc.sum(axis=1).tolist() == c.sum(axis=1).tolist()
    np.testing.assert_allclose(r.iloc[0, 0], (c / n).iloc[0, :2].mean())  # bins of 2, 3, 2 columns
    assert heatmap_columns(c / n, n, c, limit=7)[3] == ""
