"""Study jobs on a per-view share (osca_core/analysis/study_jobs.py): the same curves as ``run_curves`` on the
matrix, every strategy and ban of a setting on trials built once, and the same numbers from a thread pool and a
process pool."""

from __future__ import annotations

import functools

import pytest

from osca_core.analysis import study_jobs as sj
from osca_core.analysis.experiments import run_curves
from osca_core.data.synthetic import demo_matrix

JOBS = [(s, (1, 3, 6), key) for key in ((0.5, 3, 1, None, ()), (0.3, 2, 0, 4, ()), (0.5, 3, 1, None, ("multi-model",)))
        for s in ("best-pure", "osca", "uniform")]


@pytest.fixture(scope="module")
def small():
    return demo_matrix(seed=3, questions=40, configs=12, samples=6)


def _want(m, job):
    s, b, key = job
    return run_curves(m, [s], list(b), sj.setting_of(key)).curves[0]


def test_jobs_on_the_share_equal_run_curves_and_build_each_settings_trials_once(small):
    share = sj.ViewShare(small)
    for job in JOBS:
        got, want = share.curve(job[0], job[1], sj.setting_of(job[2])), _want(small, job)
        assert got.values == want.values and got.ci_low == want.ci_low and got.ci_high == want.ci_high, job
    # three settings, the third differing from the first by its ban only: the same trials
    assert share.built == 2
    a = share.trials(sj.setting_of((0.5, 3, 1, None, ())))
    assert a is share.trials(sj.setting_of((0.5, 3, 1, None, ("multi-model",))))
    assert len({t.full.train.tobytes() for t in a}) == 3  # three different splits


def test_a_process_keeps_the_shares_of_its_last_views(small):
    first = sj.share(("t", 0), small)
    assert sj.share(("t", 0), small) is first
    for i in range(1, sj.VIEWS_KEPT + 1):
        sj.share(("t", i), small)
    assert sj.share(("t", 0), small) is not first  # the oldest went out


@pytest.mark.slow  # a spawned worker imports numpy and scipy
@pytest.mark.parametrize("kind", ["thread", "process"])
def test_pools_give_the_serial_numbers(small, kind):
    pool = sj.make_pool(kind, 2)
    with pool:
        got = list(pool.map(functools.partial(sj.job_curve, ("pool", kind), small), JOBS))
        blas = list(pool.map(_blas_threads, range(2))) if kind == "process" else []
    for job, cv in zip(JOBS, got, strict=True):
        want = _want(small, job)
        assert cv.values == want.values and cv.ci_low == want.ci_low, job
    # each process worker runs one BLAS thread (two workers with a thread per core each oversubscribe the cores)
    assert all(b and set(b) == {1} for b in blas), blas


def _blas_threads(_: int) -> list[int]:
    from threadpoolctl import threadpool_info

    return [lib["num_threads"] for lib in threadpool_info() if lib.get("user_api") in ("blas", "openmp")]


def test_an_unknown_pool_kind_is_refused():
    with pytest.raises(ValueError, match="pool: 'fork'"):
        sj.make_pool("fork")
