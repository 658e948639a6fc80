"""The Experiments page under ``AppTest``: the training-fraction study on BigCodeBench runs its splits in a thread
pool, shows a partial chart as soon as the first job finishes, caches every point across sessions (a second
session's run computes nothing), and its points equal ``osca_core.analysis.experiments.run_curves`` on the same setting.
Timings are printed (``pytest -s``) and reported, never asserted."""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from osca_core.analysis import experiments as ex
from osca_core.data.importers import import_files
from osca_core.data.store import Store
from osca_core.present import views
from pages import experiments as page

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def bcb_stored(osca_home: Path, bcb_path: Path):
    osca_home.mkdir(parents=True, exist_ok=True)
    with Store.open() as s:
        import_files(s, [bcb_path], name="osca-bigcodebench")
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def run(**query) -> tuple[AppTest, float]:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"dataset": "osca-bigcodebench", **query})
    at.run()
    at.switch_page("pages/experiments.py")
    t0 = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    return at, time.perf_counter() - t0


@pytest.mark.slow
@pytest.mark.serial  # prints the study's seconds: alone (tests/conftest.py)
def test_fraction_study_is_fast_cached_across_sessions_and_equals_run_curves():
    cold, t_cold = run(ex_splits="5")
    first = cold.session_state["_ex_first_s"]
    fig = json.loads(cold.get("plotly_chart")[0].proto.spec)
    # the chart's OSCA point at fraction 0.3 is run_curves on the same splits
    with Store.open(read_only=True) as s:
        m = s.load_matrix("osca-bigcodebench")
    want = ex.run_curves(m, ["osca"], [64], ex.Setting(train_fraction=0.3, splits=5, seed=0)).curves[0].values[0]
    (osca,) = [t for t in fig["data"] if t.get("name") == views.strategy_label("osca") and "y" in t
               and len(t["y"]) == len(page.FRACTIONS)]
    assert osca["y"][page.FRACTIONS.index(0.3)] == pytest.approx(want, abs=1e-12)
    assert cold.session_state["_ex_computed"] == len(page.FRACTIONS) * len(page.STUDY_LINEUP)
    again = [run(ex_splits="5") for _ in range(3)]
    revisits = [t for _, t in again]
    print(f"\nExperiments page, BigCodeBench, training fraction, 5 splits: first result {first:.2f} s, "
          f"whole study {cold.session_state['_ex_total_s']:.2f} s, cold page run {t_cold:.2f} s; "
          f"cached revisit median {statistics.median(revisits):.2f} s ({', '.join(f'{r:.2f}' for r in revisits)})")
    assert [a.session_state["_ex_computed"] for a, _ in again] == [0, 0, 0]  # nothing recomputed
    assert json.loads(again[0][0].get("plotly_chart")[0].proto.spec)["data"] == fig["data"]


@pytest.mark.slow
def test_savings_study_words_its_headline_by_the_one_rule():
    """The Savings study's headline is the one rule's (analysis.headline), as on Curves and in `osca savings`."""
    from osca_core.analysis import headline

    at, _ = run(study="savings", ex_c="8", ex_splits="2")
    with Store.open(read_only=True) as s:
        m = s.load_matrix("osca-bigcodebench")
    setting = ex.Setting(train_fraction=0.5, splits=2, seed=0)
    want = headline.read(m, list(range(1, 9)), setting, lambda b, **kw: ex.savings(m, b, setting, **kw)).headline
    got = [re.sub(r"\\(.)", r"\1", h.value).replace("\u2060", "") for h in at.subheader]
    assert want.text in got
