"""osca_core.present.uncertainty_plots: the paired-difference chart and the per-question histograms, checked on traces."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.analysis import paired as pr
from osca_core.present import uncertainty_plots as up


def test_difference_figure_draws_band_zero_line_and_marks_exclusion():
    d = pr.Difference("osca", "best-pure", (1, 2, 4), (0.0, 0.03, 0.05), (-0.01, -0.01, 0.02), (0.01, 0.06, 0.08))
    fig = up.difference_figure(d, log2_x=True)
    band = [t for t in fig.data if str(t.meta).startswith("band:")]
    assert len(band) == 1 and list(band[0].y) == [0.01, 0.06, 0.08, 0.02, -0.01, -0.01]
    line = next(t for t in fig.data if t.meta == "osca - best-pure")
    assert list(line.marker.symbol) == [up.INCLUDES_SYMBOL, up.INCLUDES_SYMBOL, up.EXCLUDES_SYMBOL]
    assert not any("open" in s for s in line.marker.symbol)  # open circles mean "extrapolated" only
    assert "excludes 0" in line.hovertext[2] and "includes 0" in line.hovertext[0]
    assert any(s.y0 == 0.0 for s in fig.layout.shapes)
    assert fig.layout.xaxis.type == "log"


def test_difference_figure_without_interval_has_no_band():
    fig = up.difference_figure(pr.Difference("osca", "uniform", (1, 2), (0.1, 0.2), None, None))
    assert not any(str(t.meta).startswith("band:") for t in fig.data)


def test_question_histograms_count_every_question_once_per_strategy():
    v = np.array([0.0, 0.0, 0.5, 1.0, 1.0, 0.97])
    fig = up.question_histogram_figure({"osca": v, "best-pure": v[::-1]}, {"osca": np.ones(6)}, budget=16, bins=10)
    bars = {t.meta: t for t in fig.data}
    assert set(bars) == {"pass1:osca", "pass1:best-pure", "passC:osca"}
    assert sum(bars["pass1:osca"].y) == 6 and bars["pass1:osca"].y[-1] == 3  # 1.0, 1.0 and 0.97 in [0.9, 1]
    assert list(bars["passC:osca"].y) == [0] * 9 + [6]
    assert fig.layout.annotations[1].text == "pass@16"
    with pytest.raises(ValueError):
        up.question_histogram_figure({}, {}, budget=1, bins=0)


def test_histograms_from_bootstrap_values(bcb):
    from osca_core.analysis import bootstrap as bs
    qv = bs.strategy_values(bcb, ["best-pure", "osca"], [1, 16])
    fig = up.question_histogram_figure({s: qv.at(s, 1) for s in qv.strategies},
                                       {s: qv.at(s, 16) for s in qv.strategies}, budget=16)
    assert all(sum(t.y) == 78 for t in fig.data)
