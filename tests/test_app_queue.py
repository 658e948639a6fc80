"""The dashboard's side of the worker pool (pages._queue, pages._shell): a full queue is one line (the shell's
warning with "Try again", or the page's error where it catches InputError), never a traceback; a wait interrupted by a rerun (or the session's end) drops its queued job; a
computation runs on a pool worker, not in the script thread; outside a script run it runs inline."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from appkit import fresh_app, run_app, store_release  # noqa: F401  (fresh_app: autouse)

from osca_core.workers import WorkerPool, in_worker
from pages import _queue


@pytest.fixture
def blocked_pool(monkeypatch):
    """A pool of one worker, busy until the test ends, with a queue of one already full."""
    p, gate, started = WorkerPool(1, 1, name="test-busy"), threading.Event(), threading.Event()
    p.submit("other", lambda: (started.set(), gate.wait(30)))
    assert started.wait(5)
    p.submit("other", lambda: None)
    monkeypatch.setattr(_queue, "pool", lambda: p)
    yield p
    gate.set()
    p.shutdown()


def test_a_full_queue_shows_busy_as_a_warning_with_try_again_and_no_traceback(blocked_pool):
    store_release()
    at = run_app(dataset="osca-bigcodebench", budget=["1", "8"])  # asserts no exception
    # the shell's warning (with "Try again"), or the page's own one-line error where it catches InputError
    texts = [w.value.replace("\\", "") for w in (*at.warning, *at.error)]
    assert any("busy: 2 computations ahead of you, try again" in t for t in texts), texts
    assert blocked_pool.stats()["busy"] >= 1


class _Stopped(Exception):
    """What the fake ``st.stop`` raises (Streamlit's StopException in a real script run)."""


def _stop():
    raise _Stopped


def _fake_run(monkeypatch, caption, stop=_stop):
    """A script run of session "s1" whose wait placeholder calls ``caption(text)`` (Streamlit raises its
    RerunException inside such a call when the visitor asks for something else) and whose ``st.stop`` is
    ``stop``."""
    monkeypatch.setattr(_queue, "_session", lambda: "s1")
    monkeypatch.setattr(_queue, "st", SimpleNamespace(empty=lambda: SimpleNamespace(caption=caption,
                                                                                      empty=lambda: None),
                                                      stop=stop))
    monkeypatch.setattr(_queue, "SHOW_AFTER", 0.0)
    monkeypatch.setattr(_queue, "POLL", 0.01)


def test_a_rerun_while_waiting_drops_the_queued_job_before_it_ever_runs(monkeypatch):
    p, gate, started = WorkerPool(1, 4, name="test-rerun"), threading.Event(), threading.Event()
    try:
        p.submit("other", lambda: (started.set(), gate.wait(30)))
        assert started.wait(5)
        monkeypatch.setattr(_queue, "pool", lambda: p)
        shown, ran = [], []

        def caption(text):
            shown.append(text)
            raise KeyboardInterrupt("rerun")
        _fake_run(monkeypatch, caption)
        with pytest.raises(KeyboardInterrupt):
            _queue.run(ran.append, 1)
        assert shown and "Next in line" in shown[0], shown  # one job runs, none queued ahead
        assert p.stats()["cancelled"] == 1 and p.stats()["queued"] == 0
        gate.set()
        assert p.submit("x", lambda: 2).outcome() == 2
        assert ran == []
    finally:
        gate.set()
        p.shutdown()


def test_a_run_whose_session_is_released_while_it_waits_stops_instead_of_raising_cancelled(monkeypatch):
    """The session's release (its end) cancels the job a run still waits for, before any wait was shown (no
    Streamlit call, so no stop raised there): the run ends in st.stop, never in an uncaught Cancelled (which the
    server log showed as a traceback when a browser session closed during a computation); where st.stop returns
    (outside a running script) the Cancelled itself is raised."""
    from osca_core.workers import Cancelled

    p, gate, started = WorkerPool(1, 4, name="test-release"), threading.Event(), threading.Event()
    try:
        monkeypatch.setattr(_queue, "pool", lambda: p)
        _fake_run(monkeypatch, lambda text: None)
        monkeypatch.setattr(_queue, "SHOW_AFTER", 60.0)
        threading.Timer(0.2, lambda: (started.wait(5), p.cancel_session("s1"))).start()
        with pytest.raises(_Stopped):
            _queue.run(lambda: (started.set(), gate.wait(0.5)))
        _fake_run(monkeypatch, lambda text: None, stop=lambda: None)
        monkeypatch.setattr(_queue, "SHOW_AFTER", 60.0)
        started.clear()
        threading.Timer(0.2, lambda: (started.wait(5), p.cancel_session("s1"))).start()
        with pytest.raises(Cancelled):
            _queue.run(lambda: (started.set(), gate.wait(0.5)))
    finally:
        gate.set()
        p.shutdown()


def test_a_computation_runs_on_a_pool_worker_and_its_result_comes_back(monkeypatch):
    p = WorkerPool(2, 4, name="test-result")
    try:
        monkeypatch.setattr(_queue, "pool", lambda: p)
        _fake_run(monkeypatch, lambda text: None)
        assert _queue.run(lambda x: (x * 2, in_worker()), 21) == (42, True)
        with pytest.raises(ZeroDivisionError):
            _queue.run(lambda: 1 / 0)
    finally:
        p.shutdown()


def test_outside_a_script_run_the_computation_runs_inline_in_the_calling_thread():
    assert _queue.run(lambda: in_worker()) is False
