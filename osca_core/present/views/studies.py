"""Results of the Experiments page's studies, kept across sessions: a small thread-safe least-recently-used map
from a job key (dataset name, content checksum, configurations, strategy, budgets, training setup) to its
:class:`~osca_core.model.results.Curve`, and the job list of a study run in a thread pool. No Streamlit here: the page
holds one :class:`StudyCache` per server process (``st.cache_resource``) and draws what :func:`run_jobs` yields."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Sequence
from concurrent.futures import Executor, as_completed


class StudyCache:
    """A bounded least-recently-used map (``maxsize`` entries), safe to share between threads and sessions."""

    def __init__(self, maxsize: int = 2048) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._d: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self.maxsize = maxsize

    def get(self, key: Hashable, default=None):
        with self._lock:
            if key not in self._d:
                return default
            self._d.move_to_end(key)
            return self._d[key]

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._d[key] = value
            self._d.move_to_end(key)
            while len(self._d) > self.maxsize:
                self._d.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._d)

    def clear(self) -> None:
        with self._lock:
            self._d.clear()


def run_jobs(keys: Sequence[Hashable], compute: Callable[[Hashable], object], cache: StudyCache,
             pool: Executor | None) -> Iterator[tuple[int, object]]:
    """Yield ``(index, result)`` for every key: cached ones first (in order), then the others as they finish in
    ``pool`` (or one by one in this thread without a pool); each computed result is cached. An exception from
    ``compute`` propagates at the first failed job (the pending ones are cancelled)."""
    missing = []
    for i, k in enumerate(keys):
        hit = cache.get(k)
        if hit is not None:
            yield i, hit
        else:
            missing.append(i)
    if pool is None:
        for i in missing:
            r = compute(keys[i])
            cache.put(keys[i], r)
            yield i, r
        return
    futures = {pool.submit(compute, keys[i]): i for i in missing}
    try:
        for f in as_completed(futures):
            i = futures[f]
            r = f.result()
            cache.put(keys[i], r)
            yield i, r
    finally:
        for f in futures:
            f.cancel()


def small_split_warning(pool: int, fraction: float) -> str | None:
    """The warning ``osca`` prints (``cli.loading.warn_small_split``) when a random split of ``pool`` questions at
    ``fraction`` leaves fewer than ``limits.MIN_SPLIT_QUESTIONS`` training or test questions, or None. The part
    sizes are those of ``model.splits.split_masks``: n_train = min(max(round(fraction * pool), 1), pool - 1)."""
    from osca_core.limits import MIN_SPLIT_QUESTIONS

    n_train = min(max(int(round(fraction * pool)), 1), pool - 1)
    if min(n_train, pool - n_train) >= MIN_SPLIT_QUESTIONS:
        return None
    return (f"Small split: training fraction {fraction:g} of {pool} questions leaves {n_train} training and "
            f"{pool - n_train} test questions per split (fewer than {MIN_SPLIT_QUESTIONS}: the numbers are noise).")
