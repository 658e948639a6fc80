"""``osca_core.present.views.studies``: the bounded cross-session cache of the Experiments studies and the runner that
yields cached results without computing them and computes the others in a pool."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from osca_core.present import views


def test_study_cache_is_bounded_and_least_recently_used():
    c = views.StudyCache(maxsize=2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # a is now the most recent
    c.put("c", 3)
    assert (c.get("b"), c.get("a"), c.get("c"), len(c)) == (None, 1, 3, 2)


def test_run_jobs_yields_cached_results_without_computing_them():
    c, calls = views.StudyCache(), []

    def sq(k):
        calls.append(k)
        return k * k

    assert sorted(views.run_jobs([1, 2, 3], sq, c, None)) == [(0, 1), (1, 4), (2, 9)]
    assert sorted(views.run_jobs([3, 4], sq, c, ThreadPoolExecutor(2))) == [(0, 9), (1, 16)]
    assert calls == [1, 2, 3, 4]
