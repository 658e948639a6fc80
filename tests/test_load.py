"""Load: ten browser sessions at once (one headless Chromium, ten contexts, asyncio) explore every page of
``streamlit run app.py`` on 127.0.0.1 for a bounded time, through the sidebar's navigation and by shared links,
changing a widget on each page, while ``osca import`` processes write a large dataset into the same store (after
one visitor has opened every page once, as the first user of the day would). Each session walks the pages in a
fixed rotation (starting at its own offset) and goes on until the window has passed *and* it has opened every
page at least once, so on a slow machine the window stretches (up to ROTATION_LIMIT more seconds) instead of the
check proving less; a session that cannot open every page by then fails. No session may show a Streamlit
exception box or an error alert, every session must still answer at the end (sessions held), the server log must
hold no error or traceback, and page loads that overlapped an import must have been served like any other.
A page that has not settled after STUCK_SECONDS is reloaded once and must then settle (a Streamlit frontend can
lose the message that ends a run and show "running" for ever; a server that hangs fails the reload too); what it
showed is printed, and more than two such pages in one run fail the test (a pattern, not a race).
Prints the median page time (open to settled) and the sessions held; no timed asserts.

Run: ``pytest -m browser tests/test_load.py`` (Chromium from Debian at /usr/bin/chromium)."""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import browserkit as bk
import pytest

from osca_core.bench.ingest import write_bench_parquet
from osca_core.data.release import fetch_release
from osca_core.data.store import Store
from osca_core.data.synthetic import demo_matrix

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.serial]  # page seconds: alone (tests/conftest.py)

SESSIONS = int(os.environ.get("OSCA_LOAD_SESSIONS", "10"))
EXPLORE_SECONDS = float(os.environ.get("OSCA_LOAD_SECONDS", "75"))
ROTATION_LIMIT = 900.0  # seconds past the window a session may take to finish its first full rotation
STUCK_SECONDS = float(os.environ.get("OSCA_LOAD_STUCK_SECONDS", "120"))  # a page not settled by then is reloaded once (``_settle``); locally the slowest took 54 s
DATASETS = ("osca-bigcodebench", "osca-swebench", "demo-synthetic")
PATHS = ("", "allocation", "questions", "experiments", "data")
NAV = dict(zip(PATHS, ("Curves", "Allocation", "Questions", "Experiments", "Data"), strict=True))
TITLES = dict(zip(PATHS, ("Accuracy against compute", "How the budget is spent", "Question by question",
                          "Experiments", "Data"), strict=True))
CHART = "() => !!document.querySelector('[data-testid=\"stMain\"] .js-plotly-plot')"
ERROR_ALERT = '[data-testid="stAlertContentError"]'


async def _settle_once(page, path: str, timeout: float) -> None:
    """Wait until ``path`` is drawn: its title, no script running, its chart (the Data page has none: its file
    uploader); each wait at most ``timeout`` ms."""
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    await page.wait_for_timeout(300)
    await page.locator('[data-testid="stMain"] h1').filter(has_text=re.compile(f"^{TITLES[path]}$")).first.wait_for(
        timeout=timeout)
    await page.wait_for_function(bk.IDLE, timeout=timeout)
    if path == "data":
        await page.locator('[data-testid="stMain"] [data-testid="stFileUploader"]').first.wait_for(timeout=timeout)
    else:
        await page.wait_for_function(CHART, timeout=timeout)
    await page.wait_for_timeout(150)
    await page.wait_for_function(bk.IDLE, timeout=timeout)


async def _settle(page, path: str, log: dict | None = None, where: str = "") -> None:
    """:func:`_settle_once`; with ``log``: a page still not settled after STUCK_SECONDS (what it showed is
    recorded in ``log["stuck"]`` and printed) is reloaded, as its user would, and must then settle within the
    page timeout. A server that hangs fails here too (the reload runs the page again on the same server); a
    frontend that lost the end of a run (the "running" indicator never clears although the page is drawn, a race
    in Streamlit's session status messages) does not."""
    if log is None:
        await _settle_once(page, path, 180_000)
        return
    try:
        await _settle_once(page, path, STUCK_SECONDS * 1000)
    except Exception as e:  # Playwright's TimeoutError
        log["stuck"].append(f"{where}: {type(e).__name__} after {STUCK_SECONDS:.0f} s (page {page.url}; "
                            f"shows: {await _showing(page)})")
        await page.reload()
        await _settle_once(page, path, 180_000)


async def _change_widget(page, path: str, rnd: random.Random) -> None:
    """One widget change that reruns the page (the kind a user makes on that page)."""
    side = page.locator('[data-testid="stSidebar"]')
    if path == "":
        await (side.get_by_text("log2 budget axis") if rnd.random() < 0.5 else
               page.get_by_text("Every pure configuration")).click()
    elif path == "allocation":
        await page.locator('[data-testid="stRadio"] label').filter(has_text=rnd.choice(["model", "temperature"])
                                                                   ).first.click()
    elif path == "questions":
        box = page.get_by_label("Question id contains")
        await box.fill(rnd.choice(["1", "2", "a", ""]))
        await box.press("Enter")
    elif path == "experiments":
        await page.get_by_role("radio", name="train vs test").click()
    else:
        await side.locator('[data-testid="stSelectbox"]').first.click()
        await page.get_by_role("option", name=rnd.choice(DATASETS), exact=True).click()


async def _session(k: int, browser, base: str, deadline: float, log: dict) -> None:
    rnd = random.Random(k)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(180_000)
    page.on("dialog", lambda d: log["dialogs"].append(d.message))
    i, seen, step = k, set(), "landing"
    try:
        await page.goto(f"{base}/?dataset={rnd.choice(DATASETS)}")
        await _settle(page, "")
        while time.monotonic() < deadline or len(seen) < len(PATHS):
            if time.monotonic() > deadline + ROTATION_LIMIT:
                raise TimeoutError(f"opened only {sorted(seen)} of the {len(PATHS)} pages within "
                                   f"{EXPLORE_SECONDS + ROTATION_LIMIT:.0f} s")
            path, ds = PATHS[i % len(PATHS)], rnd.choice(DATASETS)
            i += 1
            t0 = time.monotonic()
            step = f"opening {path or 'curves'} ({'link' if i % 4 == 0 else 'sidebar'}, {ds})"
            if i % 4 == 0:  # a shared link, opened afresh
                await page.goto(f"{base}/{path}?dataset={ds}")
            else:  # the sidebar's navigation, as a user explores
                await page.locator('[data-testid="stSidebarNav"] a').filter(has_text=NAV[path]).first.click()
            await _settle(page, path, log, f"session {k}, {step}")
            t1 = time.monotonic()
            log["pages"].append((t0, t1, k, path))
            seen.add(path)
            await _check(page, k, f"{path or 'curves'} ({ds})", log)
            step = f"a widget change on {path or 'curves'}"
            await _change_widget(page, path, rnd)
            await page.wait_for_timeout(300)
            await _settle(page, path, log, f"session {k}, {step}")
            log["changes"].append(time.monotonic() - t1)
            await _check(page, k, f"{path or 'curves'} ({ds}) after a widget change", log)
        step = "the final visit"
        await page.goto(f"{base}/?dataset={DATASETS[0]}")  # still served at the end: the session was held
        await _settle(page, "")
        await _check(page, k, "final visit", log)
        log["held"].add(k)
    except Exception as e:  # a wait that never settled: the session was not held
        log["failures"].append(f"session {k}, {step}: {type(e).__name__}: {str(e).splitlines()[0]} "
                               f"(page {page.url}; shows: {await _showing(page)})")
    finally:
        await ctx.close()


async def _showing(page) -> str:
    """The titles and any exception box of the page as it stands (for a failure's message)."""
    try:
        h1 = await page.locator('[data-testid="stMain"] h1').all_inner_texts()
        exc = await page.locator(bk.EXCEPTION).all_inner_texts()
        alerts = await page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()
        running = await page.locator('[data-testid="stStatusWidget"]').all_inner_texts()
        charts = await page.locator('[data-testid="stMain"] .js-plotly-plot').count()
        return (f"titles {h1}, exception boxes {[x[:300] for x in exc]}, alerts {[x[:200] for x in alerts]}, "
                f"status widget {running}, {charts} charts")
    except Exception as e:  # the page itself is gone
        return f"unreadable ({type(e).__name__})"


async def _check(page, k: int, where: str, log: dict) -> None:
    for sel, what in ((bk.EXCEPTION, "exception box"), (ERROR_ALERT, "error alert")):
        n = await page.locator(sel).count()
        if n:
            text = (await page.locator(sel).first.inner_text())[:300]
            log["failures"].append(f"session {k}, {where}: {what}: {text}")
    if await page.get_by_text("Connection error").count():
        log["failures"].append(f"session {k}, {where}: connection error")


async def _warm_up(browser, base: str, log: dict) -> None:
    """One visitor opens every page on every dataset first (the caches fill as for the first user of the day)."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(180_000)
    try:
        for ds in DATASETS:
            for path in PATHS:
                t0 = time.monotonic()
                await page.goto(f"{base}/{path}?dataset={ds}")
                await _settle(page, path)
                log["cold"].append(time.monotonic() - t0)
                await _check(page, -1, f"warm-up {path or 'curves'} ({ds})", log)
    finally:
        await ctx.close()


async def _explore(base: str, warm: threading.Event) -> dict:
    from playwright.async_api import async_playwright

    log = {"pages": [], "changes": [], "failures": [], "dialogs": [], "held": set(), "cold": [], "window": 0.0,
           "stuck": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=bk.CHROMIUM, headless=True, args=bk.CHROMIUM_ARGS)
        try:
            await _warm_up(browser, base, log)
            warm.set()  # the imports start now
            start = time.monotonic()
            deadline = start + EXPLORE_SECONDS
            await asyncio.gather(*(_session(k, browser, base, deadline, log) for k in range(SESSIONS)))
            log["window"] = time.monotonic() - start
        finally:
            warm.set()
            await browser.close()
    return log


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


def test_ten_sessions_explore_every_page_while_imports_run(tmp_path, release, capsys):
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
