"""The Questions page under ``AppTest``: the per-question pass@1 / pass@C histograms equal ``np.histogram`` of
``osca_core.analysis.bootstrap.strategy_values`` on the same dataset, a 10^4-question dataset draws a heatmap of 300
aggregated (or sampled) rows and pages its tables, and the drill-down reads one question's samples back from the
Parquet source when the dataset kept counts only. Also the pure helpers of ``osca_core.present.views.heatmap_rows``."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest
from appkit import clear_caches
from lakekit import write_hive
from streamlit.testing.v1 import AppTest

from osca_core.analysis.bootstrap import strategy_values
from osca_core.data import lake_import
from osca_core.data.importers import import_files
from osca_core.data.store import Store
from osca_core.data.synthetic import demo_matrix
from osca_core.present.uncertainty_plots import HIST_BINS

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def fresh(osca_home: Path):
    osca_home.mkdir(parents=True, exist_ok=True)
    clear_caches()
    yield
    clear_caches()


def questions_page(dataset: str, **query) -> tuple[AppTest, float]:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"dataset": dataset, **query})
    at.run()
    t0 = time.perf_counter()
    at.switch_page("pages/questions.py").run()
    assert not at.exception, at.exception
    return at, time.perf_counter() - t0


def values(x) -> list:
    """A plotly array as a list (plotly.js typed arrays arrive as {"dtype", "bdata"}: base64 of the buffer)."""
    if isinstance(x, dict) and "bdata" in x:
        return np.frombuffer(base64.b64decode(x["bdata"]), dtype=x["dtype"]).tolist()
    return list(x)


def chart(at: AppTest, key: str) -> dict:
    (c,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key) or key in c.proto.id]
    return json.loads(c.proto.spec)


# -- pure helpers ----------------------------------------------------------------------------------------------

# -- the page --------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_histograms_count_per_question_values_of_the_chosen_strategies(bcb_path):
    with Store.open() as s:
        import_files(s, [bcb_path], name="bcb")
        m = s.load_matrix("bcb")
    at, _ = questions_page("bcb", qc="16", hist=["osca", "best-pure", "uniform"])
    fig = chart(at, "hist_chart")
    qv = strategy_values(m, ["osca", "best-pure", "uniform"], [1, 16])
    edges = np.linspace(0, 1, HIST_BINS + 1)
    for strategy in ("osca", "best-pure", "uniform"):
        for panel, budget in (("pass1", 1), ("passC", 16)):
            (t,) = [t for t in fig["data"] if t.get("meta") == f"{panel}:{strategy}"]
            want, _ = np.histogram(np.clip(qv.at(strategy, budget), 0, 1), bins=edges)
            assert values(t["y"]) == want.tolist()
            assert sum(values(t["y"])) == int(m.test.sum())  # every test question counted once


@pytest.mark.slow
@pytest.mark.serial  # prints the page's seconds: alone (tests/conftest.py)
def test_ten_thousand_questions_aggregate_the_heatmap_and_page_the_tables():
    big = dataclasses.replace(demo_matrix(questions=10_000, configs=4, samples=5), name="big")
    with Store.open() as s:
        s.save_matrix(big)
    at, t_first = questions_page("big", qset="all")  # every question, not the split's test part
    heat = chart(at, "heatmap_chart")
    assert len(values(heat["data"][0]["y"])) == 300
    assert any("10000 questions in 300 bins" in c.value for c in at.caption)
    assert at.number_input(key="qpage").max == 20  # the filtered-questions table: 20 pages of 500
    at.segmented_control(key="hm").set_value("sample").run()
    assert not at.exception
    assert values(chart(at, "heatmap_chart")["data"][0]["y"])[:2] == [big.question_ids[0], big.question_ids[33]]
    t0 = time.perf_counter()
    at.number_input(key="qpage").set_value(20).run()
    t_page = time.perf_counter() - t0
    assert not at.exception
    print(f"\nQuestions page, 10^4 questions x 4 configurations: first run {t_first:.2f} s, page turn {t_page:.2f} s")


@pytest.mark.slow
def test_drill_down_reads_samples_back_from_the_parquet_source(tmp_path):
    truth = write_hive(tmp_path / "lake", questions=12)
    with Store.open() as s:
        ds = lake_import.plan([tmp_path / "lake"], keep="no")
        lake_import.import_lake(s, ds, name="lake", keep="no")
        info = next(i for i in s.list_datasets() if i.name == "lake")
        assert info.samples_source is not None and not s.has_samples("lake")
    at, _ = questions_page("lake", question="q003")
    at.toggle(key="samples").set_value(True).run()
    assert not at.exception
    (df,) = [d.value for d in at.dataframe if "correct" in d.value.columns]
    assert set(df["question_id"]) == {"q003"}
    assert len(df) == sum(n for (q, _), (n, _) in truth.items() if q == "q003")
    assert int(df["correct"].sum()) == sum(c for (q, _), (_, c) in truth.items() if q == "q003")
    assert any("read from" in c.value for c in at.caption)


@pytest.mark.slow  # ~20 s: the Questions page on the release, twice
def test_questions_page_counts_test_questions_by_default_and_names_them(release, monkeypatch):
    """Issue 27: "Only the mix" on BigCodeBench listed training questions; it now counts the 78 test questions
    (the number the lists' brute force gives), says so, and the training questions are a switch away."""
    from appkit import store_release

    from osca_core.model.outcomes import load_release
    from osca_core.present import views
    from osca_core.strategies import allocators

    monkeypatch.setenv("OSCA_RELEASE_MIRROR", str(release))
    store_release()
    at, _ = questions_page("osca-bigcodebench", qc="16")
    text = " ".join(c.value for c in at.caption)
    assert "Counting the 78 test questions of 148" in text
    m = load_release(release / "bcb_results.json")
    mix, pure = allocators.osca(m, [16])[0], allocators.best_pure(m, [16])[0]
    want = len(views.question_lists(m, mix, pure, keep=m.test).only_mix)
    labels = [t.label for t in at.tabs]
    assert f"Only the mix ({want})" in labels, labels
    at.segmented_control(key="qset").set_value("training").run()
    assert not at.exception
    want_train = len(views.question_lists(m, mix, pure, keep=m.train).only_mix)
    assert f"Only the mix ({want_train})" in [t.label for t in at.tabs]
