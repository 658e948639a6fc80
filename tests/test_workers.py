"""The worker pool (osca_core.workers.pool): the queue bound, first-in-first-out across sessions, cancel of
queued and running jobs, no leaked threads. Jobs are gated on events, so every test is deterministic and fast."""

from __future__ import annotations

import threading

import pytest

from osca_core.errors import InputError
from osca_core.workers import Busy, Cancelled, WorkerPool, checkpoint, in_worker


@pytest.fixture
def pool():
    p = WorkerPool(1, 3, name="test-worker")
    yield p
    p.shutdown()


def _blocker(gate: threading.Event, started: threading.Event | None = None):
    def run():
        if started is not None:
            started.set()
        gate.wait(5)
        return "blocked"
    return run


def test_a_full_queue_refuses_with_busy_naming_the_jobs_ahead(pool):
    gate, started = threading.Event(), threading.Event()
    running = pool.submit("a", _blocker(gate, started))
    assert started.wait(5)
    queued = [pool.submit(s, lambda: 1) for s in ("b", "c", "d")]
    with pytest.raises(Busy, match="busy: 4 computations ahead of you") as e:
        pool.submit("e", lambda: 1)
    assert isinstance(e.value, InputError) and e.value.ahead == 4
    gate.set()
    assert running.outcome() == "blocked" and [j.outcome() for j in queued] == [1, 1, 1]
    assert pool.stats()["busy"] == 1 and pool.stats()["max_queued"] == 3


def test_sessions_take_turns_and_each_session_runs_first_in_first_out():
    p = WorkerPool(1, 100)
    try:
        gate, started = threading.Event(), threading.Event()
        p.submit("x", _blocker(gate, started))
        assert started.wait(5)
        order, jobs = [], []
        # session a queues a study of four curves, then b and c one each, then a one more: b and c need not
        # wait for a's study
        for s, i in [("a", 0), ("a", 1), ("a", 2), ("a", 3), ("b", 4), ("c", 5), ("a", 6)]:
            jobs.append(p.submit(s, order.append, (s, i)))
        expected = [("a", 0), ("b", 4), ("c", 5), ("a", 1), ("a", 2), ("a", 3), ("a", 6)]
        # each job's position is its place in the order the pool will run them
        assert [p.position(j) for j in jobs] == [expected.index(j.args[0]) for j in jobs]
        p.cancel(jobs[4])  # b's one job: c's moves up
        assert p.position(jobs[5]) == 1 and p.position(jobs[4]) == -1
        gate.set()
        for j in jobs:
            if j is not jobs[4]:
                j.outcome()
        assert order == [x for x in expected if x != ("b", 4)]
        assert p.position(jobs[-1]) == -1
    finally:
        p.shutdown()


def test_position_matches_a_simulated_rotation_on_random_queues():
    import random

    rnd = random.Random(3)
    for _ in range(30):
        p = WorkerPool(1, 1000)
        try:
            gate, started = threading.Event(), threading.Event()
            p.submit("x", _blocker(gate, started))
            assert started.wait(5)
            order: list = []
            jobs = [p.submit(rnd.choice("abcd"), order.append, k) for k in range(rnd.randint(1, 15))]
            for j in rnd.sample(jobs, k=len(jobs) // 3):
                p.cancel(j)
            pos = {j.args[0]: p.position(j) for j in jobs if j.state == "queued"}
            gate.set()
            for j in jobs:
                j.wait(5)
            assert p.submit("z", lambda: None).outcome() is None  # every queued job ran before
            assert sorted(pos, key=pos.get) == order and sorted(pos.values()) == list(range(len(order)))
        finally:
            p.shutdown()


def test_cancel_session_drops_its_queued_jobs_and_leaves_the_others(pool):
    gate, started = threading.Event(), threading.Event()
    pool.submit("a", _blocker(gate, started))
    assert started.wait(5)
    mine = [pool.submit("leaver", lambda: "mine") for _ in range(2)]
    other = pool.submit("stayer", lambda: "other")
    assert pool.cancel_session("leaver") == 2
    assert all(j.state == "cancelled" and j.is_finished for j in mine)
    with pytest.raises(Cancelled):
        mine[0].outcome()
    assert pool.position(other) == 0
    gate.set()
    assert other.outcome() == "other"
    assert pool.stats()["cancelled"] == 2 and pool.stats()["done"] == 2


def test_a_running_job_stops_at_its_next_checkpoint_and_its_worker_serves_the_next():
    p = WorkerPool(1, 4)
    try:
        started, steps = threading.Event(), []

        def long_job():  # splits of a curve: a checkpoint between each
            started.set()
            for i in range(1000):
                checkpoint()
                steps.append(i)
                threading.Event().wait(0.005)
            return "finished"

        job = p.submit("a", long_job)
        assert started.wait(5)
        after = p.submit("b", lambda: in_worker())
        assert p.cancel_session("a") == 1
        with pytest.raises(Cancelled):
            job.outcome()
        assert job.state == "cancelled" and 0 < len(steps) < 1000
        assert after.outcome() is True  # run on a worker thread, after the cancelled one gave it up
    finally:
        p.shutdown()
    checkpoint()  # outside a worker: nothing to stop


def test_a_failing_job_hands_its_exception_to_the_waiter_and_the_pool_goes_on(pool):
    def boom():
        raise ValueError("bad cell")
    with pytest.raises(ValueError, match="bad cell"):
        pool.submit("a", boom).outcome()
    assert pool.submit("a", lambda: 7).outcome() == 7
    s = pool.stats()
    assert (s["failed"], s["done"], s["submitted"], len(s["waits"])) == (1, 1, 2, 2)


def test_shutdown_cancels_the_queue_and_joins_every_worker_thread():
    before = set(threading.enumerate())
    p = WorkerPool(3, 8, name="leak-check")
    gate = threading.Event()
    starts = [threading.Event() for _ in range(3)]
    running = [p.submit("a", _blocker(gate, e)) for e in starts]
    assert all(e.wait(5) for e in starts)
    queued = p.submit("b", lambda: 1)
    opener = threading.Timer(0.05, gate.set)
    opener.start()
    p.shutdown()
    opener.join()
    assert queued.state == "cancelled"
    assert all(j.is_finished for j in running)
    assert p.alive() == 0
    assert set(threading.enumerate()) - before == set()
    with pytest.raises(RuntimeError):
        p.submit("c", lambda: 1)


def test_pool_size_and_queue_come_from_the_environment_and_bad_values_name_the_variable(monkeypatch):
    import os

    from osca_core import settings

    monkeypatch.delenv("OSCA_WORKERS", raising=False)
    monkeypatch.delenv("OSCA_QUEUE", raising=False)
    assert settings.workers() == len(os.sched_getaffinity(0)) and settings.queue_size() == 64
    monkeypatch.setenv("OSCA_WORKERS", "3")
    monkeypatch.setenv("OSCA_QUEUE", "5")
    assert (settings.workers(), settings.queue_size()) == (3, 5)
    for var, bad in (("OSCA_WORKERS", "0"), ("OSCA_QUEUE", "many"), ("OSCA_WORKERS", "1.5")):
        monkeypatch.setenv(var, bad)
        with pytest.raises(InputError, match=f"^{var}: expected a whole number"):
            settings.workers() if var == "OSCA_WORKERS" else settings.queue_size()
        monkeypatch.setenv(var, "2")
