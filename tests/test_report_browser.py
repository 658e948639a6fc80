"""The HTML report in a real browser: opened from a file:// URL in headless Chromium with every network
request blocked and recorded, each chart is drawn (plotly's ``.plot-container`` and ``.main-svg`` in every
figure div), the console shows no error, no request leaves the file, and hostile names are shown exactly as
typed (no script runs, ``--`` stays two hyphens)."""

from __future__ import annotations

from pathlib import Path

import browserkit as bk
import numpy as np
import pytest

from osca_core.cli import main
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.present import report_content as rc

pytestmark = [pytest.mark.slow, pytest.mark.browser]

HOSTILE = ("<script>alert(1)</script>", "a--b", "x->y", "<=", "&amp;_0.8", "</div><!--")


def hostile_matrix() -> OutcomeMatrix:
    rng = np.random.default_rng(3)
    q, s = 40, len(HOSTILE)
    n = np.full((q, s), 8)
    c = rng.binomial(8, rng.uniform(0.0, 0.6, size=(q, s)))
    ids = tuple(f"<b>q{i}</b> --" if i % 2 else f"q{i} -> <=" for i in range(q))
    train = np.arange(q) < 20
    return OutcomeMatrix(name="<img src=x onerror=alert(2)> -- set", question_ids=ids,
                         configs=tuple(parse_config_name(x) for x in HOSTILE), n=n, c=c, train=train, test=~train)


@pytest.fixture(scope="module")
def browser():
    if not bk.chromium_available():
        pytest.skip(f"Chromium not found at {bk.CHROMIUM}")

    with bk.chromium() as b:
        yield b


def open_offline(browser, path: Path, shot: Path | None = None) -> dict:
    """Open ``path`` with every request except the file itself aborted; return what happened."""
    url = path.resolve().as_uri()
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    page = ctx.new_page()
    seen: dict[str, list] = {"requests": [], "blocked": [], "console": [], "errors": [], "dialogs": []}

    def route(r):
        if r.request.url == url:
            r.continue_()
        else:
            seen["blocked"].append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    page.on("request", lambda req: seen["requests"].append(req.url))
    page.on("console", lambda m: seen["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on("dialog", lambda d: (seen["dialogs"].append(d.message), d.dismiss()))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function("() => document.querySelectorAll('div.fig').length > 0 && "
                               "[...document.querySelectorAll('div.fig')].every(d => d.querySelector('.main-svg'))",
                               timeout=60_000)
        page.wait_for_timeout(300)
        seen["figs"] = page.evaluate("""() => [...document.querySelectorAll('div.fig')].map(d => ({
            id: d.id, container: !!d.querySelector('.plot-container'), svgs: d.querySelectorAll('.main-svg').length,
            traces: (d.data || []).length, height: d.getBoundingClientRect().height}))""")
        seen["cells"] = page.evaluate("() => [...document.querySelectorAll('td')].map(t => t.textContent)")
        seen["title"] = page.title()
        seen["h1"] = page.inner_text("h1")
        seen["newplots"] = path.read_text().count("Plotly.newPlot(")
        if shot is not None:
            page.screenshot(path=str(shot), full_page=True)
    finally:
        ctx.close()
    return seen


def _check(seen: dict) -> None:
    assert seen["blocked"] == [], seen["blocked"]
    assert {u for u in seen["requests"]} <= {u for u in seen["requests"] if u.startswith("file://")}
    assert len(set(seen["requests"])) == 1, seen["requests"]
    assert seen["console"] == [] and seen["errors"] == [], (seen["console"], seen["errors"])
    assert seen["dialogs"] == []
    figs = seen["figs"]
    assert len(figs) == seen["newplots"] >= 4
    for f in figs:
        assert f["container"] and f["svgs"] >= 1 and f["traces"] >= 1 and f["height"] > 200, f


@pytest.mark.parametrize("log", ["swebench_agentless", "bcb_results"])
def test_release_report_renders_every_chart_offline_without_requests_or_console_errors(browser, release, tmp_path,
                                                                                       log):
    out = tmp_path / f"{log}.html"
    assert main(["report", "--file", str(release / f"{log}.json"), "--out", str(out), "--bootstrap", "200"]) == 0
    seen = open_offline(browser, out, tmp_path / f"{log}.png")
    _check(seen)
    assert seen["h1"] == f"OSCA report: {log}"


def test_hostile_names_render_literally_and_run_no_script(browser, tmp_path):
    m = hostile_matrix()
    html = rc.report_html(m, [1, 2, 4, 8], n_resamples=50, seed=1, source="test", command="osca report --x",
                          url=rc.dashboard_url(rc.DASHBOARD, m.name, [1, 8]))
    out = tmp_path / "hostile.html"
    out.write_text(html)
    seen = open_offline(browser, out)
    _check(seen)
    assert seen["h1"] == f"OSCA report: {m.name}"  # the <img onerror> name is text, not an element
    cells = seen["cells"]
    for name in ("a--b", "x->y", "<=", "<script>alert(1)</script>", "</div><!--"):
        assert any(name in c for c in cells), name
    assert not any("\u2014" in c or "\u2192" in c or "\u2264" in c for c in cells)  # no em dash, arrow or <=-sign


def test_hostile_dashboard_links_run_no_script_when_clicked(browser, tmp_path):
    """A report whose dashboard link was given hostile values: a ``javascript:`` base gives no link at all
    (render keeps http(s) only, and ``osca report --dashboard`` refuses it up front), and an http link whose
    dataset name closes the attribute stays one escaped href; clicking either runs no script (no dialog)."""
    m = hostile_matrix()
    hostile = 'x"><script>alert(1337)</script><a href="javascript:alert(1337)//'
    cases = {"javascript": "javascript:alert(1337)//x",
             "http": rc.dashboard_url("http://127.0.0.1:9/", hostile, [1, 8])}
    for label, url in cases.items():
        html = rc.report_html(m, [1, 2], n_resamples=0, seed=1, source="test", command="osca report", url=url)
        out = tmp_path / f"{label}.html"
        out.write_text(html)
        ctx = browser.new_context(service_workers="block")
        page = ctx.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
        ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
        try:
            page.goto(out.resolve().as_uri(), wait_until="load")
            assert page.evaluate("() => document.querySelectorAll('script').length") == \
                1 + page.evaluate("() => document.querySelectorAll('div.fig').length")  # no script of the name
            links = page.evaluate("() => [...document.querySelectorAll('a')].map(a => a.href)")
            assert not any(h.lower().startswith(("javascript:", "data:")) for h in links), links
            if label == "javascript":
                assert links == [] and "href=\"javascript" not in html
            else:
                assert len(links) == 1 and links[0].startswith("http://127.0.0.1:9/?dataset=x%22%3E%3Cscript"), links
                page.click("a", no_wait_after=True)
                page.wait_for_timeout(300)
            assert dialogs == []
        finally:
            ctx.close()
