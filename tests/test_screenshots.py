"""Screenshots of every page (Curves, Allocation, Questions, Experiments, Data) in light, dark and presentation
mode at 1920x1080, on the release logs, kept as CI artifacts: ``$OSCA_ARTIFACTS/screenshots/<page>-<mode>.png``
(``.ci/run`` sets $OSCA_ARTIFACTS to ./artifacts, git-ignored; without it they go to the test's tmp_path). Each
page must render without an exception box and without an error in the browser console (console messages of type
error, uncaught page errors); dark mode must draw a dark app and light mode a light one (the app follows the
browser's colour scheme: Streamlit's default theme, read by the pages through ``st.context.theme``), and the
presentation link must keep ``present=true``.

One server (its store filled by ``osca fetch --mirror``), one Chromium, one page reused for all 15 shots; the
colour scheme is switched with Playwright's media emulation. Run: ``pytest -m browser tests/test_screenshots.py``.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import browserkit as bk
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORT = {"width": 1920, "height": 1080}
DATASET = "osca-bigcodebench"  # budgets 1..300: the hardest case for readable axes and bars
MODES = {  # mode -> (colour scheme, extra URL parameters)
    "light": ("light", ""),
    "dark": ("dark", ""),
    "presentation": ("light", "&present=true"),
}
SHOTS = [(m, p) for m in MODES for p in bk.PAGES]  # mode-major: the colour scheme changes twice
APP_BG = "() => getComputedStyle(document.querySelector('[data-testid=\"stApp\"]')).backgroundColor"


@pytest.fixture(scope="module")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = bk.artifacts_dir(tmp_path_factory.mktemp("artifacts")) / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, release: Path):
    with bk.release_server(tmp_path_factory.mktemp("osca-home"), release) as srv:
        yield srv


@pytest.fixture(scope="module")
def tab(server):
    """(page, console watch): one Chromium page at 1920x1080, reused by every shot."""

    with bk.chromium() as browser:
        ctx = browser.new_context(viewport=VIEWPORT, color_scheme="light")
        page = ctx.new_page()
        page.set_default_timeout(180_000)
        yield page, bk.ConsoleWatch(page)


@pytest.fixture(scope="module")
def index(shots_dir: Path):
    """What each shot showed (charts with their trace counts, problems), written beside the PNGs at the end."""
    rows: dict[str, dict] = {}
    yield rows
    (shots_dir / "index.json").write_text(json.dumps(rows, indent=2, sort_keys=True))


def _rgb(css: str) -> int:
    return sum(int(x) for x in re.findall(r"\d+", css)[:3])


@pytest.mark.parametrize(("mode", "name"), SHOTS, ids=[f"{p}-{m}" for m, p in SHOTS])
def test_page_renders_cleanly_in_mode(tab, server, shots_dir, index, mode, name):
    page, watch = tab
    scheme, extra = MODES[mode]
    page.emulate_media(color_scheme=scheme)
    path = "" if name == "curves" else name
    page.goto("about:blank")
    watch.clear()
    page.goto(f"{server['base']}/{path}?dataset={DATASET}{extra}")
    out = shots_dir / f"{name}-{mode}.png"
    try:
        bk.settle(page, charts=name != "data")
    finally:  # a page that never settles is shot as it stands: the picture says why
        page.screenshot(path=str(out))
    problems = bk.page_problems(page) + list(watch.errors)
    charts = page.evaluate(bk.CHART_SUMMARY)
    alerts = page.locator(bk.ERROR_ALERT).all_inner_texts()
    bg = page.evaluate(APP_BG)
    index[f"{name}-{mode}"] = {"url": page.url, "charts": charts, "error_alerts": alerts, "problems": problems,
                               "forgiven": list(watch.forgiven), "background": bg}
    print(f"\n{name}-{mode}: {len(charts)} charts {[n for _, n in charts]} traces; alerts {alerts}; bg {bg}",
          file=sys.__stdout__, flush=True)
    assert bk.png_size(out) == (1920, 1080)
    assert problems == [], f"{name} ({mode}, {page.url}): {problems}"
    if scheme == "dark":
        assert _rgb(bg) < 200, f"{name}: dark mode drew a light app ({bg})"
    else:
        assert _rgb(bg) > 600, f"{name}: light mode drew a dark app ({bg})"
    if mode == "presentation":
        assert parse_qs(urlparse(page.url).query).get("present") == ["true"], page.url
