"""The dashboard at a glance (issue 27) in headless Chromium on the release: one server, one Chromium, one test per
defect, each of which failed before its fix:

- the log budget axis past n keeps its range (it became [-16.8, 300] in log units: plotly read the "n = 300"
  label's x in log10 units), and the n marker stands at n; a linear budget axis starts at the first budget, not 0;
- the A-vs-B pass-rate axes stay on [0, 1] (they ran -1.5 to 2.5 on a wide chart);
- links hold: the URL carries ``dataset=`` on the landing page, ``present=1`` turns presentation mode on (and
  becomes ``present=true``), ``seed=1e400`` is one notice (not a traceback box);
- searching the configuration box and pressing Enter adds one configuration (it added every match);
- the Questions page says it counts the test questions;
- no chart text overlaps another (titles, legends, axis titles, tick labels, the modebar) or is clipped, at
  1920x1080, 1280x720 and phone width (390x844), light, dark and presentation (``browserkit.overlaps``). The
  default run checks every page at phone width (one mode per page, the modes taking turns) and the Curves page at
  1280x720 in presentation mode and at 1920x1080 dark; with ``OSCA_SHOTS_ALL=1`` every page in all nine
  (viewport, mode) pairs. Each check keeps its screenshot in ``$OSCA_SHOTS_DIR`` (else the artifacts folder's
  ``screenshots/``), named ``<page>-<mode>-<viewport>.png``.

Cost: one server, one Chromium and one tab for the whole module (the viewport and the colour scheme are switched
on that tab), and the views are the ones the overlap checks draw anyway (BigCodeBench budgets 1..64, SWE-bench
budgets 1..64), so no test pays a cold dataset switch of its own. Set ``OSCA_GLANCE_APP`` to another checkout's
``app.py`` to run these tests against it (how the defects were reproduced on the old app).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import browserkit as bk
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

VIEWPORTS = {"1920x1080": (1920, 1080), "1280x720": (1280, 720), "phone": (390, 844)}
MODES = {"light": ("light", {}), "dark": ("dark", {}), "presentation": ("light", {"present": "true"})}
ALL = os.environ.get("OSCA_SHOTS_ALL", "").strip() == "1"
# the default run: every page at phone width, the modes taking turns, and the Curves page (the headline above its
# chart) at 1280x720 presenting and 1920x1080 dark; OSCA_SHOTS_ALL=1: every page in every (viewport, mode)
PHONE_TURNS = {p: list(MODES)[i % len(MODES)] for i, p in enumerate(bk.PAGES)}
SWEEP = ([(vp, m, p) for vp in VIEWPORTS for m in MODES for p in bk.PAGES] if ALL
         else [("phone", PHONE_TURNS[p], p) for p in bk.PAGES]
         + [("1280x720", "presentation", "curves"), ("1920x1080", "dark", "curves")])
# each page on the release in a view that is quick to draw (BigCodeBench, budgets 1..64)
PAGE_QUERY = {"curves": {"budget": ["1", "64"]}, "allocation": {"budget": ["1", "64"]},
              "questions": {"qc": "16"}, "experiments": {"study": "train vs test", "budget": ["1", "16"]},
              "data": {}}


# the SWE-bench view of the defect tests (n = 16: budgets 1..64 run past n), drawn once and then from the cache
SWE_VIEW = {"budget": ["1", "64"], "log2": "true", "bands": "false", "pures": "false"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, release: Path):
    other = os.environ.get("OSCA_GLANCE_APP", "").strip()
    if not other:
        with bk.release_server(tmp_path_factory.mktemp("osca-home"), release) as srv:
            yield srv
        return
    app = Path(other).resolve()  # another checkout's app, on its own code (its PYTHONPATH)
    home = tmp_path_factory.mktemp("osca-home")
    env = {"OSCA_RELEASE_MIRROR": str(release), "PYTHONPATH": str(app.parent)}
    subprocess.run([sys.executable, "-m", "osca_core.cli", "fetch", "--mirror", str(release)], check=True,
                   env=dict(os.environ, OSCA_HOME=str(home), **env), cwd=app.parent, capture_output=True, timeout=600)
    with bk.streamlit_server(home, env=env, cwd=app.parent, script=app) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser(server):
    with bk.chromium() as b:
        yield b


@pytest.fixture(scope="module")
def page(browser):
    """The module's one tab; a test that changes its viewport or colour scheme sets them back."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="light")
    pg = ctx.new_page()
    pg.set_default_timeout(180_000)
    yield pg
    ctx.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = os.environ.get("OSCA_SHOTS_DIR", "").strip()
    d = Path(raw) if raw else bk.artifacts_dir(tmp_path_factory.mktemp("artifacts")) / "screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d


def url(server, path: str, **query) -> str:
    path = "" if path == "curves" else path  # the landing page lives at /
    parts = []
    for k, v in query.items():
        parts += [f"{k}={quote(str(x))}" for x in (v if isinstance(v, list) else [v])]
    return f"{server['base']}/{path}" + ("?" + "&".join(parts) if parts else "")


def visit(page, server, path: str, *, charts: bool = True, **query) -> None:
    page.goto(url(server, path, **query))
    bk.settle(page, charts=charts)
    assert not bk.page_problems(page), bk.page_problems(page)


def layout(page, i: int = 0) -> dict:
    return page.evaluate("(i) => { const g = [...document.querySelectorAll('[data-testid=\"stMain\"] "
                         ".js-plotly-plot')][i]; const L = g._fullLayout; return {x: L.xaxis.range, "
                         "xtype: L.xaxis.type, y: L.yaxis.range, shapes: (g.layout.shapes || []).map(s => s.x0), "
                         "ann: (g.layout.annotations || []).map(a => [a.x, a.text])}; }", i)


def test_log_axis_past_n_keeps_its_range_and_the_n_marker_stands_at_n(page, server):
    # SWE-bench logs n = 16 samples: budgets 1..64 run past n (as BigCodeBench's 1..512 past n = 300, cheaper)
    visit(page, server, "curves", dataset="osca-swebench", **SWE_VIEW)
    lay = layout(page)
    assert lay["xtype"] == "log"
    lo, hi = lay["x"]
    assert -0.1 < lo <= 0.0 and math.log10(64) <= hi < math.log10(64) + 0.1, lay["x"]  # was [-(...), 16]
    assert 16 in lay["shapes"]
    (ann,) = [a for a in lay["ann"] if "n = 16" in str(a[1])]
    assert ann[0] == pytest.approx(math.log10(16))


def test_linear_budget_axis_starts_at_the_first_budget(page, server):
    visit(page, server, "curves", dataset="osca-swebench", budget=["2", "8"], log2="false", bands="false")
    lo, hi = layout(page)["x"]
    assert 1.8 < lo < 2.0 and 8.0 < hi < 8.2, (lo, hi)  # was from 0


def test_a_against_b_axes_stay_on_zero_to_one(page, server):
    visit(page, server, "questions", dataset="osca-swebench", qc="4")
    i = page.evaluate("() => [...document.querySelectorAll('[data-testid=\"stMain\"] .js-plotly-plot')]"
                      ".findIndex(g => String(g._fullLayout.xaxis.title.text || '').startsWith('A: '))")
    assert i >= 0
    lay = layout(page, i)
    assert lay["y"][0] > -0.1 and lay["y"][1] < 1.1, lay["y"]  # was -1.5 .. 2.5
    assert "Counting the" in bk_text(page) and "test questions" in bk_text(page)


def bk_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def headline(page) -> str:
    """The page's headline (the first heading under the strategy picker)."""
    return page.locator('[data-testid="stMain"] h2, [data-testid="stMain"] h3').filter(
        has_text="best pure").first.inner_text()


def test_headline_past_n_stands_on_the_measured_baseline_with_its_interval(page, server):
    """BigCodeBench with the range past n (budgets 1..512, n = 300): the headline read "3.7x less compute" against
    best pure at C = 512, an extrapolated point, with no interval. It now reads at the measured C = 300: the same
    budget needed and ratio as ``osca savings`` on that range, with the ratio's interval."""
    import json

    visit(page, server, "curves", dataset="osca-bigcodebench", budget=["1", "512"], bands="true")
    text = headline(page)
    out = subprocess.run([sys.executable, "-m", "osca_core.cli", "savings", "--dataset", "osca-bigcodebench",
                          "--budgets", "1-512", "--json"], capture_output=True, text=True, timeout=600,
                         env=dict(os.environ, OSCA_HOME=str(server["home"])))
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert d["baseline_budget"] == 300 and d["headline_points"] == "measured", d  # not the extrapolated 512
    assert "C = 512" not in text and "C = 300" in text, text
    assert f"at C = {d['budget_needed']}, {d['ratio']:.2f}x less compute (95% interval" in text, (text, d)


def test_a_link_without_dataset_opens_the_last_one_and_writes_it_into_the_url(page, server):
    visit(page, server, "allocation", dataset="osca-swebench")
    visit(page, server, "curves", **SWE_VIEW)  # a link without dataset=
    q = parse_qs(urlparse(page.url).query)
    assert q.get("dataset") == ["osca-swebench"], page.url  # the last one opened, written into the URL


def test_present_1_turns_presentation_mode_on(page, server):
    visit(page, server, "curves", dataset="osca-swebench", present="1", **SWE_VIEW)
    assert parse_qs(urlparse(page.url).query).get("present") == ["true"], page.url  # present=1 was dropped


def test_values_dropped_from_a_link_are_named_in_one_notice(page, server):
    visit(page, server, "curves", dataset="osca-swebench", seed="1e400", configs=["nope", "gpt4o_0.8_2-3"],
          bands="false")
    warnings = page.locator('[data-testid="stAlertContentWarning"]').all_inner_texts()
    dropped = [w for w in warnings if "Dropped from the link" in w]
    assert len(dropped) == 1 and "seed=1e400" in dropped[0] and "configs=nope" in dropped[0], warnings


@pytest.mark.serial
def test_search_and_enter_adds_one_configuration(browser, server):
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})  # a fresh sidebar (open)
    page = ctx.new_page()
    visit(page, server, "curves", dataset="osca-swebench", configs="gpt4o_0.8_2-3", bands="false")
    side = page.locator('[data-testid="stSidebar"]')
    side.get_by_text("Configurations", exact=True).first.click()
    box = side.locator('[data-testid="stMultiSelect"]').filter(has_text="Configurations (by name)").locator("input")
    box.scroll_into_view_if_needed()  # the box sits below the sidebar's fold
    box.click()
    box.press_sequentially("gpt4o", delay=60)  # typed as a visitor types (a fill does not open the list)
    # Enter once the filtered list is drawn (react-aria options, role=option, that match the search)
    page.wait_for_function("() => [...document.querySelectorAll('[role=listbox] [role=option]')]"
                           ".filter(e => e.innerText.includes('gpt4o')).length > 1", timeout=60_000)
    page.keyboard.press("Enter")
    try:  # the URL gets the new selection once the rerun starts
        page.wait_for_function("() => new URLSearchParams(location.search).getAll('configs').length > 1",
                               timeout=60_000)
    except Exception:  # noqa: BLE001 - the assertion below says what was selected
        pass
    page.wait_for_function(bk.IDLE)
    chosen = parse_qs(urlparse(page.url).query).get("configs", [])
    ctx.close()
    assert len(chosen) == 2, chosen  # Enter selected every match before


@pytest.mark.parametrize(("viewport", "mode", "name"), SWEEP, ids=[f"{p}-{m}-{v}" for v, m, p in SWEEP])
def test_no_chart_text_overlaps(page, server, shots, viewport, mode, name):
    w, h = VIEWPORTS[viewport]
    scheme, extra = MODES[mode]
    page.set_viewport_size({"width": w, "height": h})
    page.emulate_media(color_scheme=scheme)
    try:
        visit(page, server, name, charts=name != "data", dataset="osca-bigcodebench", **PAGE_QUERY[name], **extra)
        page.screenshot(path=str(shots / f"{name}-{mode}-{viewport}.png"), full_page=False)
        problems = bk.overlaps(page)
    finally:
        page.set_viewport_size({"width": 1920, "height": 1080})
        page.emulate_media(color_scheme="light")
    assert not problems, "\n".join(problems)
