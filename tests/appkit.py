"""Shared AppTest helpers for the dashboard tests (tests/test_app*.py): the app's path, a fixture that gives every
test an empty store with the release mirror set and no cached results from another test, and ``run_app``.

AppTest runs every script run in Streamlit's pages-folder mode (it re-detects ``pages/`` before each run), so
these tests also cover the first request of a fresh server: each page file hands the run to the app shell
(``pages._shell.serve``); nothing of Streamlit's private state is patched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 240


def clear_caches() -> None:
    """Forget every cached result (Streamlit's data and resource caches) between tests."""
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def fresh_app(osca_home: Path, release: Path, monkeypatch: pytest.MonkeyPatch):
    """Empty store, release mirror set, no cached results from another test (autouse where imported)."""
    monkeypatch.setenv("OSCA_RELEASE_MIRROR", str(release))
    clear_caches()
    yield
    clear_caches()


def store_release() -> None:
    """Store what the app's first start stores (the release, fetched from $OSCA_RELEASE_MIRROR as
    ``pages._access.fetch`` does), without rendering a page: for tests that only need the release beside their own
    data (tests/test_app.py's first-start tests check the first start itself)."""
    from osca_core.data.release import fetch_release
    from osca_core.data.store import Store
    from osca_core.settings import release_mirror

    with Store.open() as s:
        fetch_release(s, mirror=release_mirror())


def run_app(page: str | None = None, **query) -> AppTest:
    """The app run once with ``query`` as URL parameters, then switched to ``pages/<page>.py``; no exception."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    """The plotly figures on the page, as dicts."""
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
