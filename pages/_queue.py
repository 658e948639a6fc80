"""The dashboard's heavy computations go through one bounded worker pool (:mod:`osca_core.workers`).

:func:`run` is called inside the cached functions of ``pages._compute`` on a cache miss: the script thread of the
session submits the pure computation to the process's one pool (``OSCA_WORKERS`` threads, at most ``OSCA_QUEUE``
waiting) and waits for it, showing its place in the queue after half a second ("2 computations ahead of you"),
then how long it has run, in a placeholder updated when the text changes (about once a second). Each update is a
Streamlit call, and Streamlit handles a pending rerun or stop inside such calls ("a script can be cleanly
interrupted and stopped inside most st.foo calls"): a rerun with a new request raises there, and the ``finally``
cancels the job: dropped when queued, asked to stop at its next checkpoint when running (between the splits of a
curve; see :mod:`osca_core.workers.pool` for what cannot be interrupted). The wait's elements are recorded with
the cached result like any element of a cached function; replayed, they end as an empty placeholder. A session
that goes away is covered by its session-scoped token (``st.cache_resource(scope="session", on_release=...)``, as
``pages._visitors``): releasing it cancels the session's jobs, and a run still waiting for one stops quietly
(``st.stop``) rather than ending in an uncaught :class:`~osca_core.workers.Cancelled`. A session is named in the
pool by a key kept in its ``st.session_state``. A full queue raises :class:`osca_core.workers.Busy`, which ``pages._shell`` shows as a
warning with a "Try again" button. Work submitted from a worker, or outside a script run, runs inline. Only public
Streamlit APIs are used here (``tests/test_app.py`` holds every page to that).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from osca_core import settings
from osca_core.workers import Cancelled, WorkerPool, in_worker

SHOW_AFTER = 0.5  # seconds before the wait is shown (most computations end sooner)
POLL = 0.2  # seconds between looks at the job while waiting
SESSION_KEY = "_osca_pool_session"  # the st.session_state key naming the session in the pool


def _write_stats(pool: WorkerPool, job) -> None:
    path = settings.worker_stats_file()
    if path is None:
        return
    tmp = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(pool.stats()))
    os.replace(tmp, path)


def _shutdown(p: WorkerPool) -> None:
    p.shutdown(timeout=2.0)


@st.cache_resource(show_spinner=False, on_release=_shutdown)
def pool() -> WorkerPool:
    """The process's one worker pool (shut down, its threads joined, when the resource cache is cleared)."""
    return WorkerPool(settings.workers(), settings.queue_size(), on_finish=_write_stats)


class _Token:
    def __init__(self, session: str) -> None:
        self.session = session


def _release(token: _Token) -> None:
    pool().cancel_session(token.session)


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _session_token(session: str) -> _Token:
    return _Token(session)


def _session() -> str | None:
    """This session's name in the pool (made once, kept in ``st.session_state``), its session-scoped token taken;
    None outside a script run (a session-scoped cache refuses there)."""
    try:
        session = st.session_state.setdefault(SESSION_KEY, uuid.uuid4().hex)
        _session_token(session)
    except StreamlitAPIException:
        return None
    return session


def _wait_text(ahead: int, waited: float) -> str:
    if ahead > 0:
        return f"Waiting for a worker: {ahead} computation{'s' if ahead != 1 else ''} ahead of you ({waited:.0f} s)"
    return f"Next in line ({waited:.0f} s)" if ahead == 0 else f"Computing ({waited:.0f} s)"


def run(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)`` on the pool, waited for in this session (module docstring)."""
    session = None if in_worker() else _session()
    if session is None:
        return fn(*args)
    p = pool()
    job = p.submit(session, fn, *args)  # Busy when the queue is full
    holder, shown, t0 = None, "", time.monotonic()
    try:
        while not job.wait(POLL):
            waited = time.monotonic() - t0
            if waited < SHOW_AFTER:
                continue
            text = _wait_text(p.position(job), waited)
            if text != shown:  # a Streamlit call: a pending rerun or stop raises in it
                holder = holder or st.empty()
                holder.caption(":material/hourglass_top: " + text)
                shown = text
        if holder is not None:  # (after a rerun or stop the next run redraws the page: nothing to clear)
            holder.empty()
        return job.outcome()
    except Cancelled:
        # only the session's release cancels a job that this run still waits for: the session is going away, so
        # the run stops as Streamlit stops one (st.stop) instead of ending in an uncaught exception that only the
        # server log would show; outside a running script st.stop returns, and the cancellation is raised
        st.stop()
        raise
    finally:
        if not job.is_finished:
            p.cancel(job)
