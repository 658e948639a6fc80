"""The Curves page under AppTest: bootstrap bands on the release split by default (a switch turns them off), the
paired difference OSCA - best pure with its interval, held-out by default for a dataset without a split, the
expected-cost x axis, the oracle drawn dashed, certified OSCA points, the report and figure downloads."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from osca_core import paired, views
from osca_core.store import Store

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 240


@pytest.fixture(autouse=True)
def fresh_app(osca_home: Path, release: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OSCA_RELEASE_MIRROR", str(release))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def run_app(page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def by_meta(fig: dict, meta: str) -> list[dict]:
    return [t for t in fig["data"] if t.get("meta") == meta]


def stored_matrix(name: str):
    with Store.open(read_only=True) as s:
        return s.load_matrix(name)


def test_release_split_opens_with_bootstrap_bands_and_the_paired_difference():
    at = run_app(dataset="osca-bigcodebench", pures="false", budget=["1", "16"])
    m = stored_matrix("osca-bigcodebench")
    grid = list(range(1, 17))
    curves_fig, diff_fig = figures(at)[:2]
    boot = paired.bootstrap_curves(m, ["best-pure", "uniform", "osca"], grid, n_resamples=1000, seed=0)
    (band,) = by_meta(curves_fig, "band:best-pure")
    lo, hi = boot.curve("best-pure").ci_low, boot.curve("best-pure").ci_high
    np.testing.assert_allclose(band["y"], list(hi) + list(lo)[::-1], atol=1e-12)
    assert "bootstrap over test questions" in by_meta(curves_fig, "best-pure")[0]["hovertext"][0]
    d = boot.difference("osca", "best-pure")
    (line,) = by_meta(diff_fig, "osca - best-pure")
    np.testing.assert_allclose(line["y"], d.diff, atol=1e-12)
    top = max(d.budgets)
    text = " ".join(x.value for x in at.markdown)
    assert f"OSCA - best pure at C = {top}: {d.diff[-1]:+.4f}" in text
    assert ("excludes 0" if d.excludes_zero[-1] else "includes 0") in text
    assert "in-sample" not in text
    off = run_app(dataset="osca-bigcodebench", pures="false", budget=["1", "16"], bands="false")
    assert not [t for t in figures(off)[0]["data"] if str(t.get("meta", "")).startswith("band:")]
    assert len(figures(off)) == 1  # no difference chart without bands


def test_a_dataset_without_a_split_opens_held_out_on_random_splits(tmp_path):
    run_app()  # first start: the release is fetched into the store
    src = stored_matrix("osca-swebench")
    rows = ["question_id,config,n_samples,n_correct"]
    for q, qid in enumerate(src.question_ids):
        for s, name in enumerate(src.config_names[:4]):
            rows.append(f"{qid},{name},{src.n[q, s]},{src.c[q, s]}")
    f = tmp_path / "nosplit.csv"
    f.write_text("\n".join(rows) + "\n")
    from osca_core.importers import import_bytes
    with Store.open() as s:
        import_bytes(s, f.name, f.read_bytes(), format=None, name="nosplit")
    assert stored_matrix("nosplit").in_sample
    st.cache_data.clear()
    at = run_app(dataset="nosplit", pures="false")
    assert at.radio(key="split").value == "random splits"
    fig = figures(at)[0]
    assert "random splits" in fig["layout"]["title"]["text"]
    assert by_meta(fig, "band:osca")  # bands over splits
    assert not [w for w in at.warning if "In-sample" in w.value]
    ins = run_app(dataset="nosplit", pures="false", split="release split")
    assert [w for w in ins.warning if "In-sample" in w.value]
