"""Viewer mode (``OSCA_VIEWER=1``, ``osca dashboard --viewer``) in the browser, on one server whose store holds the
release and the hostile dataset of tests/test_hostile.py:

- no page offers a write to the shared store (fetch, demo, import into it, remove, move aside), whatever the URL
  parameters say (hostile ones included: names are shown as typed, no script runs), and crafted requests (an upload
  to Streamlit's endpoint without and with the XSRF token, widget keys in the URL) change nothing: the store's files
  are byte-identical at the end and no write is logged;
- a visitor's upload lands in a temporary store of its session: that session analyses it, another session cannot
  see it (a link to it reports an unknown dataset), and its folder is deleted when the session ends."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from test_hostile import DATASET, _nothing_ran, write_hostile_files

from osca_core.data.importers import import_paths
from osca_core.data.release import fetch_release
from osca_core.data.store import Store

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WRITES = ("Fetch the release", "Generate the synthetic demo", "Move the damaged store aside and start a new one",
          "Sign in to edit")
CRAFTED = "import_replace=true&remove_sure=true&remove_name=osca-swebench&fetch_btn=true&demo_btn=true" \
          "&move_aside_btn=true&import_btn=true&import_name=pwned"


def _fingerprint(home: Path) -> dict[str, str]:
    """sha256 of every file in the store's folder (the server's log aside)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(home.iterdir())
            if p.is_file() and p.name != "streamlit.log"}


@pytest.fixture(scope="module")
def viewer_server(tmp_path_factory, release):
    import browserkit as bk

    if not bk.chromium_available():
        pytest.skip(f"Chromium not found at {bk.CHROMIUM}")
    home, tmp = tmp_path_factory.mktemp("viewer-home"), tmp_path_factory.mktemp("viewer-tmp")
    st = Store.open(home)
    fetch_release(st, mirror=str(release))
    import_paths(st, write_hostile_files(tmp_path_factory.mktemp("viewer-in"))["csv"], name=DATASET)
    before = _fingerprint(home)
    args = ("--client.showErrorDetails", "none", "--server.maxUploadSize", "50")
    with bk.streamlit_server(home, args=args, env={"OSCA_RELEASE_MIRROR": str(release), "OSCA_VIEWER": "1",
                                                   "TMPDIR": str(tmp)}) as server:
        yield dict(server, tmp=tmp, before=before)
    assert _fingerprint(home) == before  # nothing any test did changed a byte of the shared store
    assert not (home / "writes.log").exists()
    assert bk.log_errors(server["log"]) == []


@pytest.fixture(scope="module")
def browser(viewer_server):
    import browserkit as bk

    with bk.chromium() as b:
        yield b


def _page(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 1100})
    page = ctx.new_page()
    page.set_default_timeout(180_000)
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    return ctx, page


def _settle(page, chart: bool) -> None:
    import browserkit as bk

    page.wait_for_selector('[data-testid="stApp"]')
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    page.wait_for_timeout(300)
    page.wait_for_function(bk.IDLE)
    if chart:
        page.wait_for_function(bk.CHARTS_DRAWN)
    page.wait_for_timeout(300)
    page.wait_for_function(bk.IDLE)


def _buttons(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stMain"] button, [data-testid="stSidebar"] button'
                                            ).all_inner_texts()]


@pytest.mark.parametrize("path", ["", "allocation", "questions", "experiments", "data"])
def test_no_page_offers_a_write_whatever_the_url_says(viewer_server, browser, path):
    from urllib.parse import quote

    ctx, page = _page(browser)
    try:
        page.goto(f"{viewer_server['base']}/{path}?dataset={quote(DATASET)}&{CRAFTED}")
        _settle(page, chart=path != "data")
        shown = _buttons(page)
        assert not [b for b in shown if any(w in b for w in WRITES)], shown
        main = page.locator('[data-testid="stMain"]')
        assert main.get_by_text("Import files", exact=True).count() == 0
        assert main.get_by_text("Remove a dataset", exact=True).count() == 0
        if path == "data":  # a visitor's own upload only
            assert main.get_by_text("Try your own logs", exact=True).count() == 1
            assert main.get_by_text("deleted when you leave", exact=False).count() == 1
        _nothing_ran(page)
        assert page.locator('[data-testid="stAlertContentError"]').count() == 0
    finally:
        ctx.close()
    assert [p.name for p in viewer_server["tmp"].glob("osca-visitor-*")] == []  # no upload, no temporary store


def test_crafted_uploads_to_streamlits_endpoint_write_nothing(viewer_server, browser):
    ctx, page = _page(browser)
    try:
        page.goto(f"{viewer_server['base']}/data")
        _settle(page, chart=False)
        put = """async ([token]) => {
          const fd = new FormData();
          fd.append('file', new Blob(['question_id,config,correct\\nq1,a,1\\n']), 'pwn.csv');
          const h = token ? {'X-Xsrftoken': token} : {};
          const r = await fetch('/_stcore/upload_file/not-a-session/not-a-file', {method: 'PUT', body: fd,
                                                                                 headers: h});
          return r.status;
        }"""
        no_token = page.evaluate(put, [None])
        cookie = next((c["value"] for c in ctx.cookies() if c["name"] == "_streamlit_xsrf"), None)
        with_token = page.evaluate(put, [cookie])
        page.goto(f"{viewer_server['base']}/data?{CRAFTED}")
        _settle(page, chart=False)
    finally:
        ctx.close()
    assert no_token == 403  # XSRF protection is on
    assert cookie and with_token >= 400, with_token  # no such session or file: refused
    assert _fingerprint(viewer_server["home"]) == viewer_server["before"]


def _upload_csv(path: Path) -> Path:
    rows = ["question_id,config,correct"]
    for q in range(24):
        for k, cfg in enumerate(("mine-a_0.2", "mine-b_0.8")):
            rows += [f"q{q},{cfg},{int((q * 7 + k * 3 + s) % 5 < 2 + k)}" for s in range(4)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_visitors_upload_is_theirs_alone_and_gone_when_the_session_ends(viewer_server, browser, tmp_path):
    base, tmp = viewer_server["base"], viewer_server["tmp"]
    ctx_a, a = _page(browser)
    ctx_b, b = _page(browser)
    try:
        a.goto(f"{base}/data")
        _settle(a, chart=False)
        a.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(_upload_csv(tmp_path / "t.csv")))
        a.get_by_label("Dataset name").fill("my-trial")
        a.get_by_label("Dataset name").press("Enter")
        a.wait_for_timeout(500)
        a.get_by_role("button", name="Import", exact=True).click()
        a.get_by_text("Imported my-trial").wait_for()
        (folder,) = tmp.glob("osca-visitor-*")
        assert (folder / "osca.duckdb").is_file()
        # the visitor analyses their own log, in the same session (a reload would be a new session)
        side = a.locator('[data-testid="stSidebar"]')
        side.locator('[data-testid="stSelectbox"]').first.click()
        a.get_by_role("option", name="my-trial", exact=True).click()
        a.wait_for_timeout(500)
        side.locator('[data-testid="stSidebarNav"] a').filter(has_text="Curves").first.click()
        _settle(a, chart=True)
        assert a.get_by_text("No dataset named").count() == 0
        assert "dataset=my-trial" in a.url and "24 questions, 2 configurations" in side.inner_text()

        b.goto(f"{base}/?dataset=my-trial")  # another visitor, same link: not theirs to see
        _settle(b, chart=False)
        b.get_by_text("No dataset named 'my-trial' in the store").wait_for()
        b.goto(f"{base}/data")
        _settle(b, chart=False)
        assert b.get_by_text("Remove one of your datasets").count() == 0
        assert list(tmp.glob("osca-visitor-*")) == [folder]  # b has no store of its own (it uploaded nothing)
    finally:
        ctx_a.close()
    try:
        deadline = time.monotonic() + 60
        while folder.exists() and time.monotonic() < deadline:
            time.sleep(0.25)
        assert not folder.exists()  # the session ended: its temporary store is deleted
        b.reload()
        _settle(b, chart=False)
    finally:
        ctx_b.close()
    assert _fingerprint(viewer_server["home"]) == viewer_server["before"]
