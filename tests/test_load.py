"""Load: SESSIONS browser sessions at once (5 in CI, 30 with OSCA_LOAD_SESSIONS=30; one headless Chromium, a
context each, asyncio) explore every page of ``streamlit run app.py`` on 127.0.0.1 for a bounded time, through the sidebar's navigation and by shared links,
changing a widget on each page, while ``osca import`` processes write a large dataset into the same store (after
one visitor has opened every page once, as the first user of the day would). Each session walks the pages in a
fixed rotation (starting at its own offset) and goes on until the window has passed *and* it has opened every
page at least once, so on a slow machine the window stretches (up to serve.ROTATION_LIMIT more seconds) instead of the
check proving less; a session that cannot open every page by then fails. No session may show a Streamlit
exception box or an error alert, every session must still answer at the end (sessions held), the server log must
hold no error or traceback, and page loads that overlapped an import must have been served like any other.
A page that has not settled after STUCK_SECONDS is reloaded once and must then settle (a Streamlit frontend can
lose the message that ends a run and show "running" for ever; a server that hangs fails the reload too); what it
showed is printed, and more than two such pages in one run fail the test (a pattern, not a race).
Prints the median page time (open to settled) and the sessions held; no timed asserts. The sessions themselves
are ``osca_core.bench.serve`` (the same as ``osca bench serve``, which runs the full load in viewer mode).

Run: ``pytest -m browser tests/test_load.py`` (Chromium from Debian at /usr/bin/chromium)."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import browserkit as bk
import pytest

from osca_core.bench import serve
from osca_core.bench.ingest import write_bench_parquet
from osca_core.data.release import fetch_release
from osca_core.data.store import Store
from osca_core.data.synthetic import demo_matrix

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.serial]  # page seconds: alone (tests/conftest.py)

# CI runs a small load (5 sessions, a 20 s window: the suite's time budget); OSCA_LOAD_SESSIONS=30 and
# OSCA_LOAD_SECONDS=75 give the full load of issue 26 (30 concurrent sessions), run alone
SESSIONS = int(os.environ.get("OSCA_LOAD_SESSIONS", "5"))
EXPLORE_SECONDS = float(os.environ.get("OSCA_LOAD_SECONDS", "20"))
STUCK_SECONDS = float(os.environ.get("OSCA_LOAD_STUCK_SECONDS", "120"))  # a page not settled by then is reloaded once (``serve.settle``); locally the slowest took 54 s
PATHS = serve.PATHS


async def _explore(base: str, warm: threading.Event) -> dict:
    try:
        return await serve.explore(base, SESSIONS, EXPLORE_SECONDS, stuck=STUCK_SECONDS, warmed=warm.set)
    finally:
        warm.set()  # the imports start now (or are released when the warm-up failed)


def _imports(home: Path, parquet: Path, warm: threading.Event, stop: threading.Event, spans: list,
             results: list) -> None:
    """``osca import --replace`` of a large per-sample file, again and again, while the sessions explore."""
    warm.wait()
    while not stop.is_set():
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-m", "osca_core.cli", "import", str(parquet), "--name", "live-import",
                            "--replace"],
                           env=dict(os.environ, OSCA_HOME=str(home)), capture_output=True, text=True, timeout=600)
        spans.append((t0, time.monotonic()))
        results.append((r.returncode, r.stderr.strip()))
        stop.wait(3)


def test_concurrent_sessions_explore_every_page_while_imports_run(tmp_path, release, capsys):
    if not bk.chromium_available():
        pytest.skip(f"Chromium not found at {bk.CHROMIUM}")
    home = tmp_path / "home"
    st = Store.open(home)
    fetch_release(st, mirror=str(release))
    st.save_matrix(demo_matrix(seed=0), name="demo-synthetic")
    parquet = tmp_path / "live.parquet"
    write_bench_parquet(parquet, 1_500_000, seed=5)
    with bk.streamlit_server(home, env={"OSCA_RELEASE_MIRROR": str(release)}) as server:
        warm, stop, spans, results = threading.Event(), threading.Event(), [], []
        writer = threading.Thread(target=_imports, args=(home, parquet, warm, stop, spans, results))
        writer.start()
        try:
            log = asyncio.run(_explore(server["base"], warm))
        finally:
            stop.set()
            writer.join(timeout=600)
        errors = bk.log_errors(server["log"])
    times = [t1 - t0 for t0, t1, _, _ in log["pages"]]
    during = [1 for t0, t1, _, _ in log["pages"] if any(a < t1 and t0 < b for a, b in spans)]
    med = statistics.median(times) if times else float("nan")
    per = {p or "curves": statistics.median([t1 - t0 for t0, t1, _, q in log["pages"] if q == p] or [0])
           for p in PATHS}
    with capsys.disabled():
        print(f"\nload: {len(log['held'])}/{SESSIONS} sessions held for {log['window']:.0f} s (window "
              f"{EXPLORE_SECONDS:.0f} s, stretched until every session had opened every page); {len(times)} pages "
              f"opened (median page time {med:.2f} s, max {max(times, default=0):.2f} s; by page "
              f"{', '.join(f'{k} {v:.1f}' for k, v in per.items())}), {len(log['changes'])} widget changes (median "
              f"{statistics.median(log['changes'] or [0]):.2f} s); warm-up: {len(log['cold'])} pages by one visitor, "
              f"median {statistics.median(log['cold'] or [0]):.2f} s; {len(spans)} imports of 1.5M rows ran "
              f"meanwhile and {len(during)} page loads overlapped them; {len(log['stuck'])} pages reloaded after "
              f"{STUCK_SECONDS:.0f} s without settling")
        for line in log["stuck"]:
            print(f"  reloaded: {line}")
    assert log["failures"] == []
    assert len(log["stuck"]) <= 2, log["stuck"]
    assert log["dialogs"] == []
    assert errors == [], errors
    assert log["held"] == set(range(SESSIONS))
    # every session opened every page (its rotation), so every page was served under load, to several sessions
    assert {k: {p for _, _, j, p in log["pages"] if j == k} for k in range(SESSIONS)} == {
        k: set(PATHS) for k in range(SESSIONS)}
    assert all(rc == 0 for rc, _ in results), results
    assert spans and during  # reads were served while an import ran
    with Store.open(home, read_only=True) as s:
        assert int(s.load_matrix("live-import").n.sum()) == 1_500_000
