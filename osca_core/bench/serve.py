"""``osca bench serve --sessions S [--seconds T]``: S concurrent browser sessions on the dashboard in viewer mode.

The load goal of issue 26: 30 concurrent browser sessions on a 2-core machine, no error, bounded memory, every page
settles. The bench fills a temporary home from the release (``$OSCA_RELEASE_MIRROR``) plus the synthetic demo,
starts ``osca dashboard --viewer`` on 127.0.0.1 (worker pool statistics to ``$OSCA_WORKER_STATS`` in that home),
lets one visitor open every page on every dataset (the caches fill as for the first user of the day), then runs S
sessions at once in one headless Chromium (a context each, asyncio; Playwright is imported only here). Each session
walks the pages in a fixed rotation from its own offset, by the sidebar's navigation and by shared links, changing a
widget on each page, until T seconds have passed *and* it has opened every page once (:data:`ROTATION_LIMIT` more
seconds at most). A page *settles* when its title is drawn, no script runs and its chart (the Data page: its file
uploader) is there; one that has not after ``stuck`` seconds is reloaded once (a Streamlit frontend can lose the
message that ends a run) and must settle then.

Reported (:func:`summary`): sessions held to the end, errors (exception boxes, error alerts, connection errors,
sessions that failed, error lines in the server log), pages settled / visited, the median and 95th percentile of
the settle time per page (open to settled), widget changes, the server's peak resident memory (the process tree of
``osca dashboard``, sampled every 0.25 s), and the worker pool's queue waits (median, p95, max; jobs, cancels and
"busy" refusals). tests/test_load.py drives the same sessions (:func:`explore`) at a small size in CI.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
IDLE = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
CHART = "() => !!document.querySelector('[data-testid=\"stMain\"] .js-plotly-plot')"
LOG_ERROR = re.compile(r"Traceback|\bERROR\b|Error:|Exception:|Uncaught")

DATASETS = ("osca-bigcodebench", "osca-swebench", "demo-synthetic")
PATHS = ("", "allocation", "questions", "experiments", "data")
NAV = dict(zip(PATHS, ("Curves", "Allocation", "Questions", "Experiments", "Data"), strict=True))
TITLES = dict(zip(PATHS, ("Accuracy against compute", "How the budget is spent", "Question by question",
                          "Experiments", "Data"), strict=True))
ROTATION_LIMIT = 900.0  # seconds past the window a session may take to finish its first full rotation
PAGE_TIMEOUT = 180_000  # ms: the longest any one wait of a settle may take
# ms between two checks of a page's state: a timer, not requestAnimationFrame (which Chromium throttles when 30
# pages render at once on two cores: the first 30-session run saw pages drawn and idle whose waits never returned)
POLL_MS = 250


def new_log() -> dict:
    """What :func:`explore` records: settled pages (t0, t1, session, path), visits begun, widget changes (s),
    failures, dialogs, sessions held, warm-up times, the exploring window (s), pages reloaded once."""
    return {"pages": [], "visits": 0, "changes": [], "failures": [], "dialogs": [], "held": set(), "cold": [],
            "window": 0.0, "stuck": []}


async def settle_once(page, path: str, timeout: float) -> None:
    """Wait until ``path`` is drawn: its title, no script running, its chart (the Data page has none: its file
    uploader); each wait at most ``timeout`` ms."""
    await page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    await page.wait_for_timeout(300)
    await page.locator('[data-testid="stMain"] h1').filter(has_text=re.compile(f"^{TITLES[path]}$")).first.wait_for(
        timeout=timeout)
    await page.wait_for_function(IDLE, timeout=timeout, polling=POLL_MS)
    if path == "data":
        await page.locator('[data-testid="stMain"] [data-testid="stFileUploader"]').first.wait_for(timeout=timeout)
    else:
        await page.wait_for_function(CHART, timeout=timeout, polling=POLL_MS)
    await page.wait_for_timeout(150)
    await page.wait_for_function(IDLE, timeout=timeout, polling=POLL_MS)


async def settle(page, path: str, log: dict | None = None, where: str = "", stuck: float = 120.0) -> None:
    """:func:`settle_once`; with ``log``: a page still not settled after ``stuck`` seconds (what it showed goes to
    ``log["stuck"]``) is reloaded, as its user would, and must then settle within the page timeout. A server that
    hangs fails here too (the reload runs the page again on the same server); a frontend that lost the end of a run
    (the "running" indicator never clears although the page is drawn) does not."""
    if log is None:
        await settle_once(page, path, PAGE_TIMEOUT)
        return
    try:
        await settle_once(page, path, stuck * 1000)
    except Exception as e:  # Playwright's TimeoutError
        log["stuck"].append(f"{where}: {type(e).__name__} after {stuck:.0f} s (page {page.url}; "
                            f"shows: {await showing(page)})")
        await page.reload()
        await settle_once(page, path, PAGE_TIMEOUT)


async def change_widget(page, path: str, rnd: random.Random) -> None:
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


async def showing(page) -> str:
    """The titles and any exception box of the page as it stands (for a failure's message)."""
    try:
        h1 = await page.locator('[data-testid="stMain"] h1').all_inner_texts()
        exc = await page.locator(EXCEPTION).all_inner_texts()
        alerts = await page.locator('[data-testid="stMain"] [data-testid="stAlert"]').all_inner_texts()
        running = await page.locator('[data-testid="stStatusWidget"]').all_inner_texts()
        charts = await page.locator('[data-testid="stMain"] .js-plotly-plot').count()
        return (f"titles {h1}, exception boxes {[x[:300] for x in exc]}, alerts {[x[:200] for x in alerts]}, "
                f"status widget {running}, {charts} charts")
    except Exception as e:  # the page itself is gone
        return f"unreadable ({type(e).__name__})"


async def check(page, k: int, where: str, log: dict) -> None:
    """Record an exception box, an error alert or a connection error on the page as a failure."""
    for sel, what in ((EXCEPTION, "exception box"), (ERROR_ALERT, "error alert")):
        n = await page.locator(sel).count()
        if n:
            text = (await page.locator(sel).first.inner_text())[:300]
            log["failures"].append(f"session {k}, {where}: {what}: {text}")
    if await page.get_by_text("Connection error").count():
        log["failures"].append(f"session {k}, {where}: connection error")


async def session(k: int, browser, base: str, deadline: float, log: dict, *, stuck: float = 120.0) -> None:
    """Session ``k``: its rotation of the pages until ``deadline`` and a full rotation, then a final visit."""
    rnd = random.Random(k)
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(PAGE_TIMEOUT)
    page.on("dialog", lambda d: log["dialogs"].append(d.message))
    i, seen, step = k, set(), "landing"
    try:
        await page.goto(f"{base}/?dataset={rnd.choice(DATASETS)}")
        await settle(page, "", log, f"session {k}, landing", stuck)
        while time.monotonic() < deadline or len(seen) < len(PATHS):
            if time.monotonic() > deadline + ROTATION_LIMIT:
                raise TimeoutError(f"opened only {sorted(seen)} of the {len(PATHS)} pages within "
                                   f"{ROTATION_LIMIT:.0f} s past the window")
            path, ds = PATHS[i % len(PATHS)], rnd.choice(DATASETS)
            i += 1
            t0 = time.monotonic()
            step = f"opening {path or 'curves'} ({'link' if i % 4 == 0 else 'sidebar'}, {ds})"
            log["visits"] += 1
            if i % 4 == 0:  # a shared link, opened afresh
                await page.goto(f"{base}/{path}?dataset={ds}")
            else:  # the sidebar's navigation, as a user explores
                await page.locator('[data-testid="stSidebarNav"] a').filter(has_text=NAV[path]).first.click()
            await settle(page, path, log, f"session {k}, {step}", stuck)
            t1 = time.monotonic()
            log["pages"].append((t0, t1, k, path))
            seen.add(path)
            await check(page, k, f"{path or 'curves'} ({ds})", log)
            step = f"a widget change on {path or 'curves'}"
            await change_widget(page, path, rnd)
            await page.wait_for_timeout(300)
            await settle(page, path, log, f"session {k}, {step}", stuck)
            log["changes"].append(time.monotonic() - t1)
            await check(page, k, f"{path or 'curves'} ({ds}) after a widget change", log)
        step = "the final visit"
        await page.goto(f"{base}/?dataset={DATASETS[0]}")  # still served at the end: the session was held
        await settle(page, "", log, f"session {k}, final visit", stuck)
        await check(page, k, "final visit", log)
        log["held"].add(k)
    except Exception as e:  # a wait that never settled: the session was not held
        log["failures"].append(f"session {k}, {step}: {type(e).__name__}: {str(e).splitlines()[0]} "
                               f"(page {page.url}; shows: {await showing(page)})")
    finally:
        await ctx.close()


async def warm_up(browser, base: str, log: dict) -> None:
    """One visitor opens every page on every dataset first (the caches fill as for the first user of the day)."""
    ctx = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.set_default_timeout(PAGE_TIMEOUT)
    try:
        for ds in DATASETS:
            for path in PATHS:
                t0 = time.monotonic()
                await page.goto(f"{base}/{path}?dataset={ds}")
                await settle(page, path)
                log["cold"].append(time.monotonic() - t0)
                await check(page, -1, f"warm-up {path or 'curves'} ({ds})", log)
    finally:
        await ctx.close()


async def explore(base: str, sessions: int, seconds: float, *, stuck: float = 120.0,
                  warmed: Callable[[], None] | None = None) -> dict:
    """The warm-up, then ``sessions`` sessions at once for ``seconds`` (module docstring); ``warmed()`` is called
    between the two. The log of :func:`new_log`."""
    from playwright.async_api import async_playwright

    log = new_log()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            await warm_up(browser, base, log)
            if warmed is not None:
                warmed()
            start = time.monotonic()
            await asyncio.gather(*(session(k, browser, base, start + seconds, log, stuck=stuck)
                                   for k in range(sessions)))
            log["window"] = time.monotonic() - start
        finally:
            await browser.close()
    return log


# -- the summary ---------------------------------------------------------------------------------------------------

def _p95(xs: list[float]) -> float | None:
    """The 95th percentile by nearest rank (the ceil(0.95 n)-th smallest), None when empty."""
    return sorted(xs)[max(0, math.ceil(0.95 * len(xs)) - 1)] if xs else None


def quantiles(xs: list[float]) -> dict:
    """count, median, p95 (nearest rank) and max of ``xs``, rounded to ms (None when empty)."""
    def r(x):
        return None if x is None else round(float(x), 3)
    return {"count": len(xs), "median": r(statistics.median(xs)) if xs else None, "p95": r(_p95(xs)),
            "max": r(max(xs)) if xs else None}


def summary(log: dict, sessions: int, *, server_errors: list[str] = (), peak_rss: int | None = None,
            pool: dict | None = None) -> dict:
    """The bench's figures from an :func:`explore` log, the server log's error lines, the peak RSS (bytes) and
    the worker pool's statistics (``WorkerPool.stats``)."""
    per = {p or "curves": quantiles([t1 - t0 for t0, t1, _, q in log["pages"] if q == p]) for p in PATHS}
    errors = [*log["failures"], *(f"dialog: {d}" for d in log["dialogs"]), *(f"server: {x}" for x in server_errors)]
    out = {"sessions": sessions, "held": len(log["held"]), "errors": len(errors), "error_lines": errors[:20],
           "visited": log["visits"], "settled": len(log["pages"]), "reloaded": len(log["stuck"]),
           "window_s": round(log["window"], 1), "pages": per,
           "all_pages": quantiles([t1 - t0 for t0, t1, _, _ in log["pages"]]),
           "widget_changes": quantiles(log["changes"]), "warm_up": quantiles(log["cold"]),
           "peak_rss_mb": None if peak_rss is None else round(peak_rss / 2**20, 1)}
    if pool is not None:
        out["queue"] = {**{k: pool.get(k) for k in ("workers", "queue", "submitted", "done", "failed", "cancelled",
                                                     "busy", "max_queued")},
                        "waits_s": quantiles(pool.get("waits", []))}
    return out


def render(r: dict) -> str:
    """The summary as text lines."""
    def q(d):
        return "-" if not d["count"] else f"median {d['median']:.2f} s, p95 {d['p95']:.2f} s, max {d['max']:.2f} s"
    lines = [f"sessions {r['held']}/{r['sessions']} held, {r['errors']} errors, pages settled {r['settled']} / "
             f"visited {r['visited']} ({r['reloaded']} reloaded once), window {r['window_s']:.0f} s",
             f"server peak RSS {r['peak_rss_mb']} MB"]
    lines += [f"  {p:<12} {d['count']:>4} pages: {q(d)}" for p, d in r["pages"].items()]
    lines.append(f"  {'every page':<12} {r['all_pages']['count']:>4} pages: {q(r['all_pages'])}")
    lines.append(f"  widget changes {r['widget_changes']['count']}: {q(r['widget_changes'])}; warm-up "
                 f"{r['warm_up']['count']} pages: {q(r['warm_up'])}")
    if "queue" in r:
        u = r["queue"]
        lines.append(f"worker pool: {u['workers']} workers, queue {u['queue']}; {u['submitted']} jobs ({u['done']} "
                     f"done, {u['cancelled']} cancelled, {u['failed']} failed, {u['busy']} busy refusals), longest "
                     f"queue {u['max_queued']}; queue waits {q(u['waits_s'])}")
    lines += [f"  error: {x}" for x in r["error_lines"]]
    return "\n".join(lines)


# -- the server ----------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree_rss(pid: int) -> int:
    """Resident bytes of process ``pid`` and its children (0 when it is gone)."""
    import psutil

    try:
        p = psutil.Process(pid)
        procs = [p, *p.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for x in procs:
        try:
            total += x.memory_info().rss
        except psutil.Error:
            pass
    return total


def fill_home(home: Path, mirror: str) -> None:
    """The release logs (from ``mirror``) and the synthetic demo in a store at ``home``."""
    from osca_core.data.release import fetch_release
    from osca_core.data.store import Store
    from osca_core.data.synthetic import demo_matrix

    with Store.open(home) as st:
        fetch_release(st, mirror=mirror)
        st.save_matrix(demo_matrix(seed=0), name="demo-synthetic")


def run(sessions: int, seconds: float, *, mirror: str, stuck: float = 120.0) -> dict:
    """The whole bench (module docstring): the summary of :func:`summary`."""
    from osca_core import settings

    with tempfile.TemporaryDirectory(prefix="osca-bench-serve-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        fill_home(home, mirror)
        port, log_path, stats = _free_port(), home / "dashboard.log", home / "workers.json"
        env = settings.child_environment(OSCA_WORKER_STATS=str(stats), STREAMLIT_SERVER_HEADLESS="true",
                                         STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
                                         STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
        with open(log_path, "w") as log_file:
            proc = subprocess.Popen([sys.executable, "-m", "osca_core.cli", "dashboard", "--viewer", "--host",
                                     "127.0.0.1", "--port", str(port), "--home", str(home)], env=env, cwd=tmp,
                                    stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
        peak, stop = [0], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], _tree_rss(proc.pid))
                stop.wait(0.25)

        sampler = threading.Thread(target=sample, name="osca-bench-rss", daemon=True)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_healthy(base, proc, log_path)
            sampler.start()
            log = asyncio.run(explore(base, sessions, seconds, stuck=stuck))
        finally:
            stop.set()
            if sampler.is_alive():
                sampler.join(5)
            _stop(proc)
        text = log_path.read_text(errors="replace")
        pool = json.loads(stats.read_text()) if stats.exists() else None
    return summary(log, sessions, server_errors=[x for x in text.splitlines() if LOG_ERROR.search(x)],
                   peak_rss=peak[0] or None, pool=pool)


def wait_healthy(base: str, proc: subprocess.Popen, log_path: Path, *, seconds: float = 90.0) -> None:
    """Wait until the Streamlit server at ``base`` answers its health check; RuntimeError with the log's tail when
    the process ends or ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the dashboard did not start: " + log_path.read_text()[-2000:])
        time.sleep(0.25)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the dashboard this bench started: its process group (osca dashboard and its streamlit child)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            proc.poll()
            try:
                os.killpg(proc.pid, 0)  # someone of the group is still there
            except ProcessLookupError:
                return
            time.sleep(0.2)
    proc.wait(timeout=20)
