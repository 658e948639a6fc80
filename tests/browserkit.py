"""Helpers for the browser tests (tests/test_load.py, tests/test_hostile.py, tests/test_screenshots.py,
tests/test_browser_timing.py): start ``streamlit run app.py`` on 127.0.0.1 with its own $OSCA_HOME and a log file,
fill that store from the release mirror with the CLI, launch the Debian Chromium headless, wait for the app to
settle (script idle, every chart drawn), and read what every browser test checks: exception boxes on the page,
errors in the browser console and in the server log. Artifacts (screenshots, timings) go to $OSCA_ARTIFACTS
(``.ci/run`` sets it to ./artifacts, git-ignored).

The server start follows tests/test_browser.py (same command line and health check)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# Chromium, its flags, Streamlit's idle/exception/error selectors and the server log's failure pattern are the
# load benchmark's (one home, shared with `osca bench serve`)
from osca_core.bench.serve import (  # noqa: E402, F401
    CHROMIUM,
    CHROMIUM_ARGS,
    ERROR_ALERT,
    EXCEPTION,
    IDLE,
    LOG_ERROR,
)
from osca_core.bench.serve import wait_healthy as wait_healthy_for  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PAGES = ("curves", "allocation", "questions", "experiments", "data")  # pages._shell.PAGES' URL paths
# every Plotly chart of the main area is drawn: laid out, its SVG present, and at least one chart on the page
CHARTS = '[data-testid="stMain"] .js-plotly-plot'
CHARTS_DRAWN = """() => {
  const gs = [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')];
  return gs.length > 0 && gs.every(g => g._fullLayout && g.data && g.querySelector('.main-svg'));
}"""
# (title, number of traces) of every chart in the main area
CHART_SUMMARY = """() => [...document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot')].map(g => [
  (g.layout && g.layout.title && (g.layout.title.text || g.layout.title)) || '', (g.data || []).length])"""
# the title of the main area's first chart as drawn, its lines (Plotly's tspan.line, one per <br>) joined by a
# space: plots.wrap_title breaks long titles at spaces, so this is the title as written
CHART_TITLE = """() => {
  const t = document.querySelector('[data-testid="stMain"] .js-plotly-plot .gtitle');
  if (!t) return '';
  const lines = [...t.querySelectorAll('tspan.line')];
  return lines.length ? lines.map(l => l.textContent).join(' ') : t.textContent;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(home: Path, *, env: dict[str, str] | None = None, cwd: Path = REPO,
                     address: str | None = "127.0.0.1", args: tuple[str, ...] = (),
                     script: Path = REPO / "app.py") -> Iterator[dict]:
    """``streamlit run <checkout>/app.py`` (or ``script``) from ``cwd`` on a free port (``--server.address`` only
    when ``address`` is given), $OSCA_HOME = ``home``; yields base URL, log path and the server's pid. Stopped
    (terminate, then kill) on exit."""
    home.mkdir(parents=True, exist_ok=True)
    port, log_path = free_port(), home / "streamlit.log"
    log = open(log_path, "w")
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           # no file watcher: an edit to the checkout while a test runs must not show "source file changed"
           # (the status widget the tests wait on) nor start reruns
           "--server.fileWatcherType", "none", *args]
    if address is not None:
        cmd += ["--server.address", address]
    proc = subprocess.Popen(cmd, cwd=cwd, env=dict(os.environ, OSCA_HOME=str(home), **(env or {})), stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc, log_path, seconds=90)
        yield {"base": base, "home": home, "log": log_path, "pid": proc.pid}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        log.close()


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def log_errors(log_path: Path, *, context: int = 40) -> list[str]:
    """Each line of the server log that reports an error or a traceback, ANSI colours stripped, joined with the
    ``context`` lines after it (a traceback's frames and its last line), so a failing assert shows the cause."""
    lines = [_ANSI.sub("", x) for x in log_path.read_text(errors="replace").splitlines()]
    return ["\n".join(lines[i:i + 1 + context]) for i, x in enumerate(lines) if LOG_ERROR.search(x)]


@contextlib.contextmanager
def chromium() -> Iterator:
    """Debian's Chromium (:data:`CHROMIUM`), headless with :data:`CHROMIUM_ARGS`, through Playwright; closed on
    exit. The one way the browser tests start a browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


def artifacts_dir(fallback: Path) -> Path:
    """Where browser tests keep their artifacts: $OSCA_ARTIFACTS (set by .ci/run) or ``fallback`` (a tmp_path)."""
    raw = os.environ.get("OSCA_ARTIFACTS", "").strip()
    d = Path(raw) if raw else fallback
    d.mkdir(parents=True, exist_ok=True)
    return d


def write_artifact_json(path: Path, key: str, value) -> None:
    """Merge ``{key: value}`` into the JSON object at ``path`` (several tests share timings.json)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        data = {}
    data[key] = value
    path.write_text(json.dumps(data, indent=2, sort_keys=True))


def fetch_release_cli(home: Path, mirror: Path) -> None:
    """``osca fetch --mirror MIRROR`` into the store at ``home`` (as a user fills a store before a talk)."""
    r = subprocess.run([sys.executable, "-m", "osca_core.cli", "fetch", "--mirror", str(mirror)],
                       env=dict(os.environ, OSCA_HOME=str(home)), capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"osca fetch failed ({r.returncode}): {r.stderr[-2000:]}")


# Streamlit's frontend, opened on a page's own path (a deep link such as /allocation?...), first probes
# <path>/_stcore/health and <path>/_stcore/host-config to find the server's base path, gets 404 there, and then
# connects through /_stcore/... (streamlit/streamlit#7074, open and confirmed upstream). Those two 404s are the only
# console errors a browser test forgives; every other one fails it.
BASE_PATH_PROBE = re.compile(r"^https?://[^/]+/[^/?#]+/_stcore/(health|host-config)$")


def forgiven(text: str, url: str) -> bool:
    """True for the console error of Streamlit's base-path probe (see BASE_PATH_PROBE), and only for it."""
    return "status of 404" in text and bool(BASE_PATH_PROBE.match(url))


class ConsoleWatch:
    """Errors a page reports in the browser: console messages of type error and uncaught page errors (the
    base-path probe's 404s are kept apart in ``forgiven``)."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.forgiven: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def _console(self, msg) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            url = loc.get("url", "")
            line = f"console.error: {msg.text} ({url}:{loc.get('lineNumber', '')})"
            (self.forgiven if forgiven(msg.text, url) else self.errors).append(line)

    def clear(self) -> None:
        self.errors.clear()
        self.forgiven.clear()


def settle(page, *, charts: bool = True) -> None:
    """Wait until the page drawn by the last navigation is complete: its title, no script running, then (with
    ``charts``) every chart of the main area drawn, and still idle a moment later (a theme-triggered rerun)."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE)
    if charts:
        page.wait_for_function(CHARTS_DRAWN)
    page.wait_for_timeout(500)
    page.wait_for_function(IDLE)
    if charts:
        page.wait_for_function(CHARTS_DRAWN)


def page_problems(page) -> list[str]:
    """Exception boxes on the page (their first lines)."""
    loc = page.locator(EXCEPTION)
    return [f"exception box: {loc.nth(i).inner_text()[:400]}" for i in range(loc.count())]


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk."""
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@contextlib.contextmanager
def release_server(home: Path, release: Path) -> Iterator[dict]:
    """The app on a store that holds the release (fetched with the CLI from the mirror ``release``); skipped when
    Chromium is missing. One server for a module's browser tests."""
    import pytest

    if not chromium_available():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    fetch_release_cli(home, release)
    with streamlit_server(home, env={"OSCA_RELEASE_MIRROR": str(release)}) as srv:
        yield srv


# -- layout: overlapping text in plotly charts -------------------------------------------------------------------

# Every chart of the main area: the bounding boxes (getBoundingClientRect) of its title, legend, axis titles, tick
# labels, annotations and modebar; returns the pairs that overlap by more than 4 px^2 (title/legend/axis titles
# against each other and against tick labels; tick labels of one axis against each other; the modebar against the
# title), and text that sticks out of the chart's own box (clipped).
OVERLAPS = r"""() => {
  const out = [];
  const box = e => { const r = e.getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; };
  const area = (a, b) => Math.max(0, Math.min(a.r, b.r) - Math.max(a.l, b.l)) *
                         Math.max(0, Math.min(a.b, b.b) - Math.max(a.t, b.t));
  const vis = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 &&
                     getComputedStyle(e).visibility !== 'hidden' && getComputedStyle(e).display !== 'none' &&
                     getComputedStyle(e).opacity !== '0' &&
                     (e.textContent || '').trim() !== '' || e.matches('.legend, .modebar'); };
  document.querySelectorAll('[data-testid="stMain"] .js-plotly-plot').forEach((g, gi) => {
    const t = g._fullLayout && g._fullLayout.title;
    const name = String((t && t.text) || 'chart ' + gi).replace(/<[^>]*>/g, '');
    const rotated = e => /rotate\((?!0[ ,)])/.test(e.getAttribute('transform') || '');
    const items = [];
    const add = (sel, kind) => g.querySelectorAll(sel).forEach(e => { if (vis(e)) items.push([kind, box(e), e]); });
    add('.gtitle', 'title'); add('.infolayer .legend', 'legend'); add('.g-xtitle text, .xtitle', 'xtitle');
    add('.g-ytitle text, .ytitle', 'ytitle'); add('.xtick text', 'xtick'); add('.ytick text', 'ytick');
    add('.annotation-text', 'annotation'); add('.modebar', 'modebar'); add('.g-colorbar', 'colorbar');
    const frame = box(g);
    const big = new Set(['title', 'legend', 'xtitle', 'ytitle', 'annotation', 'colorbar']);
    for (let i = 0; i < items.length; i++) {
      const [ki, bi] = items[i];
      if (ki !== 'modebar' && ki !== 'legend' && (bi.l < frame.l - 2 || bi.r > frame.r + 2 || bi.t < frame.t - 2 || bi.b > frame.b + 2))
        out.push(`${name}: ${ki} "${items[i][2].textContent.slice(0, 30)}" clipped`);
      for (let j = i + 1; j < items.length; j++) {
        const [kj, bj] = items[j];
        const pair = [ki, kj].sort().join('/');
        const check = (big.has(ki) && big.has(kj) && ki !== kj) || (big.has(ki) !== big.has(kj) && ki !== 'modebar' && kj !== 'modebar') ||
                      (ki === kj && (ki === 'xtick' || ki === 'ytick')) || pair === 'modebar/title';
        if (!check || pair === 'annotation/annotation') continue;
        // rotated tick labels: their axis-aligned boxes overlap where the slanted text does not
        if (ki === kj && (rotated(items[i][2]) || rotated(items[j][2]))) continue;
        if (items[i][2].contains(items[j][2]) || items[j][2].contains(items[i][2])) continue;
        if (area(bi, bj) > 4) out.push(`${name}: ${ki} "${items[i][2].textContent.slice(0, 30)}" overlaps ${kj} "${items[j][2].textContent.slice(0, 30)}"`);
      }
    }
  });
  return out;
}"""


def overlaps(page) -> list[str]:
    """Overlapping or clipped text in the charts on the page (see OVERLAPS)."""
    return page.evaluate(OVERLAPS)


def wait_healthy(base: str, proc: subprocess.Popen, log_path: Path, *, seconds: float) -> None:
    """The dashboard's health-check wait, shared with ``osca bench serve``."""
    wait_healthy_for(base, proc, log_path, seconds=seconds)
