"""Study jobs in parallel with a per-view share: the points of the Experiments page (one strategy's test pass@C
curve under one training setup, ``experiments.run_curves``) computed in a pool sized by the cores.

**The share.** A study asks for many (strategy, setting) jobs on one view (the dataset on the selected
configurations). The trials of a setting (``model.splits.trials``: the split masks, the split matrices, the C0
subsamples) depend on the setting, not on the strategy, so a :class:`ViewShare` builds them once per
(train fraction, splits, seed, C0) and hands the same :class:`~osca_core.model.splits.Trial` objects to every
strategy and every ban of that setting. What is cached per matrix object then is computed once per split and
view, not once per job: the priors beyond n (``extrapolation.priors``, one maximum-likelihood fit per
configuration on the split's training questions) and the test counts. Results are those of ``run_curves`` on
the matrix (the same trials, the same numbers; tests check it). A process keeps the shares of its last
:data:`VIEWS_KEPT` views (least recently used first out), keyed by the caller's view key (dataset, checksum,
configurations), so a worker that serves many jobs of one view builds each split once.

**The pools** (:func:`make_pool`): ``thread`` (``ThreadPoolExecutor``) or ``process`` (``ProcessPoolExecutor``
with the ``spawn`` start method: no fork of a threaded server; each job pickles the view's matrix once, about
16 MB at 1000 x 1024). numpy releases the GIL inside large array operations, but a split's work is mostly many
small ones (the optimizer's steps, ``osca-eb``'s per-configuration prior fits through scipy), which hold it;
``osca bench experiments`` measures serial, thread and process pools on synthetic logs (docs/benchmarks.md).
:func:`default_workers` is the number of cores; each process worker runs one BLAS thread
(:func:`one_blas_thread`).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

from osca_core.analysis.experiments import run_curves
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Curve
from osca_core.model.splits import Setting, Trial, trials

POOLS = ("serial", "thread", "process")
VIEWS_KEPT = 4  # views whose trials a process keeps


def default_workers() -> int:
    """Workers of a study pool: the machine's cores (at least 1)."""
    return max(1, os.cpu_count() or 1)


def make_pool(kind: str, workers: int | None = None) -> Executor | None:
    """A pool for :func:`job_curve` (``serial``: None, run in the caller's thread)."""
    if kind not in POOLS:
        raise ValueError(f"pool: {kind!r} is not one of {', '.join(POOLS)}")
    n = workers or default_workers()
    if kind == "serial":
        return None
    if kind == "thread":
        return ThreadPoolExecutor(max_workers=n, thread_name_prefix="osca-study")
    return ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                               initializer=one_blas_thread)


def one_blas_thread() -> None:
    """The process pool's initializer: one BLAS / OpenMP thread in each worker (``threadpoolctl``), so workers x
    threads = the cores. With BLAS's default (a thread per core in every worker) the workers oversubscribe the
    cores: ``osca bench experiments`` (9 jobs, 400 x 512) took 58.7 s on 2 process workers against 12.6 s
    serial; with one thread each, 11.0 s."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def setting_of(key: Sequence) -> Setting:
    """The :class:`Setting` of a setting key (train_fraction, splits, seed, c0, bans)."""
    f, splits, seed, c0, bans = key
    return Setting(train_fraction=f, splits=splits, seed=seed, c0=c0, bans=tuple(bans))


class ViewShare:
    """The trials of one view, built once per (train fraction, splits, seed, C0) and shared by every job
    (strategies and bans) of that setting; safe to use from several threads."""

    def __init__(self, matrix: OutcomeMatrix) -> None:
        self.matrix = matrix
        self._trials: dict[tuple, list[Trial]] = {}
        self._lock = threading.Lock()
        self.built = 0  # settings whose trials were built (tests, benchmarks)

    def trials(self, setting: Setting) -> list[Trial]:
        key = (setting.train_fraction, setting.splits, setting.seed, setting.c0)
        with self._lock:
            hit = self._trials.get(key)
            if hit is None:
                hit = self._trials[key] = trials(self.matrix, setting)
                self.built += 1
            return hit

    def curve(self, strategy: str, budgets: Sequence[int], setting: Setting) -> Curve:
        """``run_curves(matrix, [strategy], budgets, setting).curves[0]`` on the shared trials."""
        return run_curves(self.matrix, [strategy], list(budgets), setting, shared=self.trials(setting)).curves[0]


_VIEWS: OrderedDict[Hashable, ViewShare] = OrderedDict()
_VIEWS_LOCK = threading.Lock()


def share(view_key: Hashable, matrix: OutcomeMatrix) -> ViewShare:
    """This process's :class:`ViewShare` of a view (made on first use; the last :data:`VIEWS_KEPT` are kept)."""
    with _VIEWS_LOCK:
        v = _VIEWS.get(view_key)
        if v is None:
            v = _VIEWS[view_key] = ViewShare(matrix)
            while len(_VIEWS) > VIEWS_KEPT:
                _VIEWS.popitem(last=False)
        _VIEWS.move_to_end(view_key)
        return v


def job_curve(view_key: Hashable, matrix: OutcomeMatrix, job: Sequence) -> Curve:
    """One study job: ``job`` ends with (strategy, budgets, setting key); computed on the view's share in this
    process (a module-level function, so ``functools.partial(job_curve, view_key, matrix)`` goes to a process
    pool as it goes to a thread pool)."""
    strategy, budgets, key = job[-3], job[-2], job[-1]
    return share(view_key, matrix).curve(strategy, budgets, setting_of(key))
