"""Editors sign in on a network (issue 26): served beyond loopback with sign-in configured in
``.streamlit/secrets.toml``, the Data page offers no write until ``st.login`` against a local OIDC provider
(tests/oidckit.py, offline) signs in an address on the allow list; then the write controls appear, and a write is
logged with that user in ``writes.log``."""

from __future__ import annotations

import json

import oidckit
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _secrets(folder, idp: str, editors: list[str]) -> None:
    (folder / ".streamlit").mkdir(parents=True, exist_ok=True)
    (folder / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
        f'cookie_secret = "{"c" * 48}"\n'
        f'client_id = "{oidckit.CLIENT_ID}"\n'
        f'client_secret = "{oidckit.CLIENT_SECRET}"\n'
        f'server_metadata_url = "{idp}/.well-known/openid-configuration"\n'
        "[osca]\n"
        f"editors = {json.dumps(editors)}\n")


def test_an_editor_on_the_allow_list_signs_in_and_their_write_is_logged(tmp_path, release):
    import browserkit as bk
    from playwright.sync_api import sync_playwright

    if not bk.chromium_available():
        pytest.skip(f"Chromium not found at {bk.CHROMIUM}")
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    bk.fetch_release_cli(home, release)
    with oidckit.provider("ada@lab.org") as idp:
        _secrets(cwd, idp, ["@lab.org"])
        with bk.streamlit_server(home, cwd=cwd, address="0.0.0.0") as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bk.CHROMIUM, headless=True, args=bk.CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1440, "height": 1100})
                page.set_default_timeout(180_000)
                page.goto(f"{server['base']}/data")
                bk.settle(page, charts=False)
                main = page.locator('[data-testid="stMain"]')
                assert main.get_by_role("button", name="Fetch the release").count() == 0
                main.get_by_role("button", name="Sign in to edit").click()
                page.wait_for_url(f"{server['base']}/")  # Streamlit's /oauth2callback lands on the app's root
                bk.settle(page)
                page.goto(f"{server['base']}/data")  # the auth cookie signs the new session in
                main.get_by_text("Signed in as ada@lab.org (editor)").wait_for()
                bk.settle(page, charts=False)
                main.get_by_role("button", name="Generate the synthetic demo").click()
                main.get_by_text("Stored the synthetic demo dataset.").wait_for()
            finally:
                browser.close()
            errors = bk.log_errors(server["log"])
    log = [json.loads(x) for x in (home / "writes.log").read_text().splitlines()]
    assert [(r["user"], r["action"], r["dataset"]) for r in log] == [("ada@lab.org", "demo", "demo-synthetic")]
    assert errors == [], errors
