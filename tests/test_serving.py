"""The serving policy (osca_core.serving): loopback addresses, what counts as a sign-in configuration, the one-line
refusal of an unauthenticated network bind, the editors' allow list, the write log; and $OSCA_VIEWER."""

from __future__ import annotations

import json

import pytest

from osca_core import serving, settings
from osca_core.errors import InputError

AUTH = {"redirect_uri": "http://lab:8501/oauth2callback", "cookie_secret": "s" * 32}
PROVIDER = {"client_id": "id", "client_secret": "secret", "server_metadata_url": "http://idp/.well-known/x"}


@pytest.mark.parametrize("host, loop", [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True),
                                        ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False),
                                        ("::", False), ("192.168.1.5", False), ("lab.example.org", False),
                                        ("", False), (None, False)])
def test_only_loopback_addresses_count_as_this_machine(host, loop):
    assert serving.is_loopback(host) is loop


def test_sign_in_is_configured_only_by_a_complete_auth_section():
    assert serving.auth_providers({}) == ()
    assert serving.auth_providers({"auth": {**PROVIDER}}) == ()  # no redirect_uri / cookie_secret
    assert serving.auth_providers({"auth": {**AUTH}}) == ()  # no provider
    assert serving.auth_providers({"auth": {**AUTH, **PROVIDER}}) == ("default",)
    assert serving.auth_providers({"auth": {**AUTH, "lab": PROVIDER, "half": {"client_id": "x"}}}) == ("lab",)
    assert serving.auth_providers({"auth": {**AUTH, **PROVIDER, "client_secret": ""}}) == ()


def test_a_network_bind_is_refused_without_viewer_or_sign_in_in_one_line_naming_both():
    assert serving.serve_problem("127.0.0.1", viewer=False, auth=False) is None
    assert serving.serve_problem("0.0.0.0", viewer=True, auth=False) is None
    assert serving.serve_problem("0.0.0.0", viewer=False, auth=True) is None
    msg = serving.serve_problem("0.0.0.0", viewer=False, auth=False)
    assert "\n" not in msg and "--viewer" in msg and "[auth] in .streamlit/secrets.toml" in msg
    assert "every interface" in serving.serve_problem("", viewer=False, auth=False)


def test_the_allow_list_holds_addresses_and_domains_and_ignores_case():
    allowed = serving.allow_list({"osca": {"editors": ["Ada@Lab.org", "@chem.lab.org", "physics.org", " "]}})
    assert allowed == ("ada@lab.org", "@chem.lab.org", "physics.org")
    assert serving.may_edit("ADA@lab.org", allowed) and serving.may_edit("bo@chem.lab.org", allowed)
    assert serving.may_edit("cy@physics.org", allowed)
    assert not serving.may_edit("eve@lab.org", allowed)  # lab.org is listed as one address, not a domain
    assert not serving.may_edit("eve@evil-physics.org", allowed) and not serving.may_edit("physics.org", allowed)
    assert not serving.may_edit(None, allowed) and not serving.may_edit("ada@lab.org", ())
    assert serving.allow_list({"osca": {"editors": "ada@lab.org"}}) == ("ada@lab.org",)
    assert serving.allow_list({}) == ()


def test_every_write_is_appended_with_its_user(tmp_path):
    serving.record_write(tmp_path, "ada@lab.org", "import", "my-evals")
    serving.record_write(tmp_path, "local", "remove", "old")
    rows = [json.loads(x) for x in (tmp_path / serving.WRITE_LOG).read_text().splitlines()]
    assert [(r["user"], r["action"], r["dataset"]) for r in rows] == [("ada@lab.org", "import", "my-evals"),
                                                                      ("local", "remove", "old")]
    assert all(r["time"].endswith("Z") for r in rows)


def test_secrets_files_are_read_in_streamlits_order_later_ones_winning(tmp_path):
    a, b, bad = tmp_path / "a.toml", tmp_path / "b.toml", tmp_path / "bad.toml"
    a.write_text('[auth]\nredirect_uri = "x"\n[osca]\neditors = ["a@x.org"]\n')
    b.write_text('[osca]\neditors = ["b@x.org"]\n')
    bad.write_text("[[[")
    got = serving.read_secrets([a, tmp_path / "missing.toml", bad, b])
    assert got["osca"]["editors"] == ["b@x.org"] and got["auth"]["redirect_uri"] == "x"


@pytest.mark.parametrize("raw, want", [("", False), ("0", False), ("no", False), ("1", True), ("TRUE", True),
                                       ("on", True)])
def test_viewer_mode_is_read_from_osca_viewer(monkeypatch, raw, want):
    monkeypatch.setenv("OSCA_VIEWER", raw)
    assert settings.viewer_mode() is want


def test_a_bad_osca_viewer_is_one_line_naming_it(monkeypatch):
    monkeypatch.setenv("OSCA_VIEWER", "maybe")
    with pytest.raises(InputError, match=r"^OSCA_VIEWER: expected 1 or 0 \(got 'maybe'\)$"):
        settings.viewer_mode()
