"""The sidebar's configuration selection on a wide log (pages/_selection.py): axis filters and presets in the URL
(never a list of names), the view they select, and no count limit on configurations (a view above
MAX_VIEW_WORK cells x budgets asks for less)."""

from __future__ import annotations

import pytest
import streamlit as st
from appkit import figures, fresh_app, run_app  # noqa: F401  (fresh_app: autouse)

from osca_core.data.store import Store
from osca_core.data.synthetic import demo_matrix
from osca_core.model import selection as sel
from osca_core.model.axes import config_axes

pytestmark = pytest.mark.slow  # a few app runs on a 40-configuration log


def _store() -> object:
    m = demo_matrix(seed=1, questions=30, configs=40, samples=4, name="wide40")
    with Store.open() as s:
        s.save_matrix(m, name="wide40")
    st.cache_data.clear()
    return m


def _caption(at) -> str:
    return next(c.value for c in at.sidebar.caption if c.value.endswith(" of 40 configurations"))


def test_axis_filters_and_a_preset_in_the_url_select_the_view_and_round_trip():
    m = _store()
    at = run_app(dataset="wide40", preset="top", top_k="3", temp="0.2", strategies="osca", bands="false")
    want = sel.select(m, config_axes(m.configs), sel.Selection({"temperature": ("0.2",)}, "top", 3))
    assert len(want) == 3 and _caption(at) == "3 of 40 configurations"
    (osca,) = [t for t in figures(at)[0]["data"] if t.get("meta") == "osca" and t["mode"] == "lines+markers"]
    used = {line.split(" ×")[0].strip() for h in osca["hovertext"] for line in h.split("<br>")
            if " ×" in line}
    assert used and used <= set(want)
    # a changed widget selects anew; the selection's URL form (a few axis filters, never the names) reproduces it
    at.selectbox(key="preset").set_value("per-model").run()
    s2 = sel.Selection({"temperature": ("0.2",)}, "per-model")
    want2 = sel.select(m, config_axes(m.configs), s2)
    assert _caption(at) == f"{len(want2)} of 40 configurations"
    q = sel.to_query(s2)
    assert q == {"temp": ["0.2"], "preset": "per-model"}
    again = run_app(dataset="wide40", bands="false", **q)
    assert _caption(again) == _caption(at)


def test_forty_configurations_are_computed_and_a_view_above_the_work_limit_asks_for_less(monkeypatch):
    _store()
    at = run_app(dataset="wide40", bands="false")
    assert at.get("plotly_chart") and not [w for w in at.warning if "cell-budgets" in w.value]
    import pages._compute as compute
    monkeypatch.setattr(compute, "MAX_VIEW_WORK", 1000)
    at = run_app(dataset="wide40", bands="false")
    assert [w for w in at.warning if "cell-budgets" in w.value and "at most 1,000" in w.value]
    assert not at.get("plotly_chart")
