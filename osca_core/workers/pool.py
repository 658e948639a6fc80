"""One bounded worker pool with a queue and cancel: how many visitors' heavy computations run at once.

A :class:`WorkerPool` holds ``workers`` threads (default: the machine's cores, ``$OSCA_WORKERS``) and one queue of at
most ``queue`` waiting jobs (``$OSCA_QUEUE``). A job belongs to a *session* (a browser session of the dashboard):

- **bounded**: :meth:`WorkerPool.submit` refuses a job when ``queue`` jobs already wait (:class:`Busy`, an
  :class:`~osca_core.errors.InputError` saying how many are ahead), so memory and waiting stay bounded however many
  visitors come: at most ``workers`` computations run and at most ``queue`` wait;
- **fair**: first in first out within a session, round robin across sessions: the next job is the oldest of the
  session whose turn it is, then that session goes to the back of the rotation (a session that queued a study of 18
  curves does not hold up another's one curve). A job's place (:meth:`WorkerPool.position`, the jobs that start
  before it: for the ``j``-th job of its session, ``min(len_t, j + 1)`` from each session ``t`` ahead in the rotation,
  ``min(len_t, j)`` from each behind, and ``j`` of its own) only falls as long as no new session arrives;
- **cancel**: :meth:`WorkerPool.cancel` (one job) and :meth:`WorkerPool.cancel_session` (every job of a session that
  left or reran) drop queued jobs at once and ask running ones to stop. Stopping is cooperative: a running job stops
  at its next :func:`checkpoint` (the dashboard calls it between the splits of a curve, ``run_curves``' progress
  hook) by raising :class:`Cancelled`; work between two checkpoints (one optimizer run on one split, a bootstrap,
  a report) cannot be interrupted and finishes first, its result thrown away.

Every job records its queue wait (start - submit) and run time; :meth:`WorkerPool.stats` sums them up (the load
bench reads them, ``osca bench serve``). :meth:`WorkerPool.shutdown` cancels everything and joins the threads.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from osca_core.errors import InputError

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
WAITS_KEPT = 5000  # the most recent queue waits kept for the statistics

_LOCAL = threading.local()  # .job: the job this worker thread runs


class Busy(InputError):
    """The queue is full: ``ahead`` jobs wait already."""

    def __init__(self, ahead: int) -> None:
        self.ahead = ahead
        super().__init__(f"busy: {ahead} computations ahead of you, try again in a moment")


class Cancelled(Exception):
    """A job was cancelled (its session left or asked for something else)."""


@dataclass(eq=False)
class Job:
    """One computation of one session: ``fn(*args)`` and what became of it."""

    session: str
    fn: Callable[..., Any]
    args: tuple = ()
    state: str = QUEUED
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    result: Any = None
    error: BaseException | None = None
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _callbacks: list = field(default_factory=list, repr=False)

    def add_done_callback(self, fn: Callable[[Job], None]) -> None:
        """Call ``fn(job)`` once the job has finished (at once when it has); it must not call the pool."""
        self._callbacks.append(fn)
        if self._done.is_set() and self._callbacks:
            self._run_callbacks()

    def _run_callbacks(self) -> None:
        while self._callbacks:
            try:
                self._callbacks.pop(0)(self)
            except Exception:  # noqa: BLE001 - a waiter's hook never breaks the pool
                pass

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    @property
    def is_finished(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once the job has finished (done, failed or cancelled) within ``timeout`` seconds."""
        return self._done.wait(timeout)

    def outcome(self) -> Any:
        """The result; the job's own exception when it failed; :class:`Cancelled` when it was cancelled."""
        self._done.wait()
        if self.state == CANCELLED:
            raise Cancelled(f"job of session {self.session} cancelled")
        if self.error is not None:
            raise self.error
        return self.result


def in_worker() -> bool:
    """True on a worker thread of a pool (a computation submitted from there runs inline, never queued again)."""
    return getattr(_LOCAL, "job", None) is not None


def checkpoint() -> None:
    """Raise :class:`Cancelled` when the job this worker thread runs was cancelled; nothing elsewhere."""
    job = getattr(_LOCAL, "job", None)
    if job is not None and job._cancel.is_set():
        raise Cancelled(f"job of session {job.session} cancelled")


class WorkerPool:
    """``workers`` threads serving one first-in-first-out queue of at most ``queue`` jobs (module docstring).
    ``on_finish(pool, job)`` runs after every job (on the worker thread; its errors are ignored)."""

    def __init__(self, workers: int, queue: int, *, name: str = "osca-worker",
                 on_finish: Callable[[WorkerPool, Job], None] | None = None) -> None:
        if workers < 1 or queue < 1:
            raise ValueError("a pool needs at least one worker and room for one queued job")
        self.workers, self.queue_size, self.on_finish = workers, queue, on_finish
        self._cv = threading.Condition()
        self._queue: dict[str, collections.deque[Job]] = {}  # session -> its queued jobs; the dict's order is the rotation
        self._queued = 0
        self._running: set[Job] = set()
        self._closed = False
        self._counts = collections.Counter()
        self._waits: collections.deque[float] = collections.deque(maxlen=WAITS_KEPT)
        self._max_queued = 0
        self._threads = [threading.Thread(target=self._serve, name=f"{name}-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    # -- the public face ------------------------------------------------------------------------------------------

    def submit(self, session: str, fn: Callable[..., Any], *args: Any) -> Job:
        """Queue ``fn(*args)`` for ``session``; :class:`Busy` when the queue is full."""
        with self._cv:
            if self._closed:
                raise RuntimeError("the pool is shut down")
            if self._queued >= self.queue_size:
                self._counts["busy"] += 1
                raise Busy(self._queued + len(self._running))
            job = Job(session, fn, tuple(args))
            self._queue.setdefault(session, collections.deque()).append(job)
            self._queued += 1
            self._counts["submitted"] += 1
            self._max_queued = max(self._max_queued, self._queued)
            self._cv.notify()
        return job

    def position(self, job: Job) -> int:
        """How many queued jobs are ahead of ``job`` (0: it starts next); -1 once it runs or has finished."""
        with self._cv:
            mine = self._queue.get(job.session)
            if job.state != QUEUED or mine is None or job not in mine:
                return -1
            j, behind, ahead = mine.index(job), False, 0
            for session, jobs in self._queue.items():
                if session == job.session:
                    behind = True
                    ahead += j
                else:
                    ahead += min(len(jobs), j if behind else j + 1)
            return ahead

    def cancel(self, job: Job) -> None:
        """Drop ``job`` if it waits; ask it to stop if it runs (at its next :func:`checkpoint`)."""
        with self._cv:
            job._cancel.set()
            if job.state == QUEUED:
                self._drop(job)

    def cancel_session(self, session: str) -> int:
        """Cancel every queued and running job of ``session``; how many there were."""
        with self._cv:
            mine = [*self._queue.get(session, ()), *(j for j in self._running if j.session == session)]
            for j in mine:
                j._cancel.set()
                if j.state == QUEUED:
                    self._drop(j)
        return len(mine)

    def stats(self) -> dict:
        """Counts (submitted, done, failed, cancelled, busy refusals), what waits and runs now, the longest queue
        seen and the recent queue waits in seconds."""
        with self._cv:
            return {"workers": self.workers, "queue": self.queue_size, "queued": self._queued,
                    "running": len(self._running), "max_queued": self._max_queued,
                    **{k: int(self._counts[k]) for k in ("submitted", DONE, FAILED, CANCELLED, "busy")},
                    "waits": [round(w, 4) for w in self._waits]}

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every job and join the worker threads (each finishes its current job's step first)."""
        with self._cv:
            self._closed = True
            for j in [j for jobs in self._queue.values() for j in jobs]:
                j._cancel.set()
                self._drop(j)
            for j in self._running:
                j._cancel.set()
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout)

    def alive(self) -> int:
        """Worker threads still alive."""
        return sum(t.is_alive() for t in self._threads)

    # -- the workers ---------------------------------------------------------------------------------------------

    def _drop(self, job: Job) -> None:  # under self._cv: a queued job leaves the queue, cancelled
        mine = self._queue.get(job.session)
        if mine is not None and job in mine:
            mine.remove(job)
            self._queued -= 1
            if not mine:
                del self._queue[job.session]
        self._finish(job, CANCELLED)

    def _next(self) -> Job:  # under self._cv, the queue not empty: the oldest job of the session whose turn it is
        session = next(iter(self._queue))
        mine = self._queue.pop(session)
        job = mine.popleft()
        self._queued -= 1
        if mine:
            self._queue[session] = mine  # to the back of the rotation
        return job

    def _finish(self, job: Job, state: str) -> None:  # under self._cv
        job.state, job.finished = state, time.monotonic()
        self._counts[state] += 1
        job._done.set()
        job._run_callbacks()

    def _serve(self) -> None:
        while True:
            with self._cv:
                while not self._queue and not self._closed:
                    self._cv.wait()
                if self._closed:
                    return
                job = self._next()
                job.state, job.started = RUNNING, time.monotonic()
                self._waits.append(job.started - job.submitted)
                self._running.add(job)
            _LOCAL.job = job
            result, error = None, None
            try:
                checkpoint()
                result = job.fn(*job.args)
            except BaseException as e:  # noqa: BLE001 - handed to the waiter (Cancelled included)
                error = e
            finally:
                _LOCAL.job = None
            with self._cv:
                self._running.discard(job)
                job.result, job.error = result, error
                if job._cancel.is_set():
                    job.result, job.error = None, None
                    self._finish(job, CANCELLED)
                else:
                    self._finish(job, FAILED if error is not None else DONE)
            if self.on_finish is not None:
                try:
                    self.on_finish(self, job)
                except Exception:  # noqa: BLE001 - statistics never break a computation
                    pass
