"""The figures of ``osca bench serve`` (osca_core.bench.serve.summary): nearest-rank quantiles against numpy's
inverted-CDF percentile, per-page settle times from a recorded log, errors from every source counted."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as hs

from osca_core.bench import serve


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.floats(0, 1e3, allow_nan=False), min_size=1, max_size=60))
def test_quantiles_are_the_nearest_rank_median_p95_and_max(xs):
    q = serve.quantiles(xs)
    assert q["count"] == len(xs)
    assert q["p95"] == round(float(np.percentile(xs, 95, method="inverted_cdf")), 3)
    assert q["median"] == round(float(np.median(xs)), 3) and q["max"] == round(max(xs), 3)
    assert serve.quantiles([]) == {"count": 0, "median": None, "p95": None, "max": None}


def test_summary_splits_settle_times_by_page_and_counts_every_error():
    log = serve.new_log()
    log["pages"] = [(0.0, 1.0, 0, ""), (0.0, 3.0, 1, ""), (1.0, 3.5, 0, "data"), (2.0, 2.5, 1, "questions")]
    log["visits"], log["held"], log["window"] = 5, {0, 1}, 61.23
    log["failures"], log["dialogs"] = ["session 1, data: error alert: boom"], ["leave?"]
    log["stuck"] = ["session 0, opening data: TimeoutError"]
    r = serve.summary(log, 3, server_errors=["Traceback (most recent call last):"], peak_rss=512 * 2**20,
                      pool={"workers": 2, "queue": 64, "submitted": 3, "done": 2, "failed": 0, "cancelled": 1,
                            "busy": 0, "max_queued": 2, "waits": [0.5, 0.1, 2.0]})
    assert (r["sessions"], r["held"], r["visited"], r["settled"], r["reloaded"]) == (3, 2, 5, 4, 1)
    assert r["errors"] == 3 and r["error_lines"][1] == "dialog: leave?"
    assert r["pages"]["curves"] == {"count": 2, "median": 2.0, "p95": 3.0, "max": 3.0}
    assert r["pages"]["data"]["median"] == 2.5 and r["pages"]["allocation"]["count"] == 0
    assert r["peak_rss_mb"] == 512.0 and r["window_s"] == 61.2
    assert r["queue"]["waits_s"] == {"count": 3, "median": 0.5, "p95": 2.0, "max": 2.0}
    text = serve.render(r)
    assert "sessions 2/3 held, 3 errors, pages settled 4 / visited 5" in text and "allocation" in text
