"""The Curves page under AppTest: bootstrap bands on the release split by default (a switch turns them off), the
paired difference OSCA - best pure with its interval, held-out by default for a dataset without a split, the
expected-cost x axis, the oracle drawn dashed, certified OSCA points, the report and figure downloads."""

from __future__ import annotations

import re

import numpy as np
import pytest
import streamlit as st
from appkit import APP, TIMEOUT, figures, fresh_app, run_app, store_release  # noqa: F401  (fresh_app: autouse)

from osca_core.analysis import experiments, paired
from osca_core.data.store import Store


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


def test_a_dataset_without_a_split_opens_held_out_on_random_splits():
    """SWE-bench's release lists the same questions for training and test (in-sample): the dashboard opens it on
    random splits (training fraction 0.5, 10 splits, seed 0) with bands over splits; in-sample is one click."""
    at = run_app(dataset="osca-swebench", pures="false", budget=["1", "4"])
    swe = stored_matrix("osca-swebench")
    assert swe.in_sample
    assert at.radio(key="split").value == "random splits"
    assert at.number_input(key="splits").value == 10
    fig = figures(at)[0]
    assert "train fraction 0.5, 10 split(s), seed 0" in fig["layout"]["title"]["text"]
    want = experiments.run_curves(swe, ["osca"], [1, 2, 3, 4],
                                  experiments.Setting(train_fraction=0.5, splits=10, seed=0)).curves[0]
    (line,) = [t for t in by_meta(fig, "osca") if t["mode"] == "lines+markers"]
    np.testing.assert_allclose(line["y"], want.values, atol=1e-12)
    assert "mean over splits" in line["hovertext"][0]
    assert not [w for w in at.warning if "In-sample" in w.value]
    ins = run_app(dataset="osca-swebench", pures="false", budget=["1", "4"], split="release split")
    assert [w for w in ins.warning if "In-sample" in w.value]
    text = " ".join(x.value for x in ins.markdown)
    assert "in-sample" in text  # the paired difference's headline says so


def test_stop_switch_puts_expected_cost_on_the_x_axis_and_the_oracle_is_dashed():
    from osca_core.strategies import registry, stopping_plans
    at = run_app(dataset="osca-bigcodebench", pures="false", budget=["1", "8"], stop="true",
                 strategies=["best-pure", "osca", "oracle"])  # the URL holds the registry names
    fig = figures(at)[0]
    assert fig["layout"]["xaxis"]["title"]["text"].startswith("expected cost per question")
    bcb = stored_matrix("osca-bigcodebench")
    plans = stopping_plans.schedules(bcb, registry.allocate(bcb, "osca", list(range(1, 9))))
    (osca,) = by_meta(fig, "osca")
    np.testing.assert_allclose(osca["x"], [p.expected_cost_test for p in plans], rtol=1e-12)
    np.testing.assert_allclose(osca["y"], [p.test_pass for p in plans], atol=1e-12)
    assert all(x <= b + 1e-9 for x, b in zip(osca["x"], range(1, 9), strict=True))  # stopping never costs more
    assert osca["x"][-1] < 8  # and saves at C = 8 (some questions pass early)
    (oracle,) = by_meta(fig, "oracle")
    assert oracle["line"]["dash"] == "dash"
    assert oracle["name"] == "test-set oracle"


def test_a_link_with_registry_names_selects_exactly_those_strategies():
    from urllib.parse import parse_qs, urlsplit

    from osca_core.present import report
    at = run_app(dataset="osca-bigcodebench", pures="false", bands="false", budget=["1", "4"],
                 strategies=["osca", "best-pure"])
    assert at.multiselect(key="strategies").value == ["osca", "best-pure"]
    assert sorted(t["meta"] for t in figures(at)[0]["data"] if t.get("mode") == "lines+markers") == \
        ["best-pure", "osca"]
    # the report's link (report.dashboard_url) is read the same way: its strategies come back selected
    url = report.dashboard_url(report.DASHBOARD, "osca-bigcodebench", [1, 4], strategies=("even", "osca"))
    q = parse_qs(urlsplit(url).query)
    assert q["strategies"] == ["even", "osca"]
    at = run_app(**{k: v if len(v) > 1 else v[0] for k, v in q.items()}, bands="false")
    assert at.multiselect(key="strategies").value == ["even", "osca"]


def test_osca_is_certified_by_default_on_a_small_view_and_the_downloads_are_offered():
    at = run_app(dataset="osca-bigcodebench", pures="false", budget=["1", "16"])
    fig = figures(at)[0]
    (osca,) = [t for t in by_meta(fig, "osca") if t["mode"] == "lines+markers"]
    certified = sum("certified optimal" in h for h in osca["hovertext"])
    assert certified == 16  # the release logs are 100% certified
    assert [c for c in at.caption if "certified optimal on training (proved by bounds) at 16 of 16" in c.value]
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download report (HTML)" in labels
    assert labels.count("PDF (paper)") == 2 and labels.count("PNG (slides)") == 2  # curves and difference


def test_under_bans_the_curve_is_the_banned_fit_and_no_band_or_certificate_of_another_fit_is_drawn():
    """Bands, certificates and the paired difference fit OSCA on the dataset's own split without bans; under a ban
    the curve drawn is the banned fit (``experiments.run_curves`` with the ban), so none of them is drawn beside
    it, and the captions say why."""
    at = run_app(dataset="osca-bigcodebench", pures="false", budget=["1", "16"], ban=["multi-model"])
    assert at.multiselect(key="ban").value == ["multi-model"]
    m = stored_matrix("osca-bigcodebench")
    grid = list(range(1, 17))
    banned = experiments.run_curves(m, ["osca"], grid, experiments.Setting(bans=("multi-model",))).curves[0]
    free = experiments.run_curves(m, ["osca"], grid, experiments.Setting()).curves[0]
    assert banned.values != free.values  # the ban changes the fit, so a band of the free fit would not match
    figs = figures(at)
    assert len(figs) == 1  # no paired-difference chart
    (line,) = [t for t in by_meta(figs[0], "osca") if t["mode"] == "lines+markers"]
    np.testing.assert_allclose(line["y"], banned.values, atol=1e-12)
    assert not [t for t in figs[0]["data"] if str(t.get("meta", "")).startswith("band:")]
    assert not any("certified optimal" in h for h in line["hovertext"])
    captions = " ".join(c.value for c in at.caption)
    assert "No bands" in captions and "bans on mixing (multi-model)" in captions
    assert "certified optimal on training" not in captions


def test_the_report_download_is_the_views_self_contained_report():
    from osca_core.present import report
    from pages import _compute

    store_release()  # the release beside the test's own data, as after a first start
    m = stored_matrix("osca-bigcodebench")
    with Store.open(read_only=True) as s:
        info = {d.name: d for d in s.list_datasets()}["osca-bigcodebench"]
    budgets = (1, 2, 4, 8)
    cmd = report.command(dataset=m.name, budgets=budgets, strategies=("best-pure", "osca"), n_resamples=1000)
    html = _compute.report(m.name, info.checksum, m.config_names, budgets, ("best-pure", "osca"), 0, cmd,
                           "http://localhost:8501/?dataset=osca-bigcodebench")
    assert html.startswith("<!DOCTYPE html>") or html.lstrip().lower().startswith("<!doctype html>")
    assert info.checksum in html and "osca report --dataset osca-bigcodebench" in html
    assert '<script src="http' not in html  # plotly.js embedded, no CDN


@pytest.mark.slow
def test_a_figure_download_renders_a_pdf_for_papers_and_a_png_for_slides():
    import plotly.graph_objects as go

    from pages import _render

    fig = go.Figure(go.Scatter(x=[1, 2, 4], y=[0.1, 0.2, 0.3]))
    assert _render._export(fig, "pdf", "paper", (700, 440))().startswith(b"%PDF-")
    png = _render._export(fig, "png", "slides", (1600, 900))()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == 1600 and int.from_bytes(png[20:24], "big") == 900


def _import(name: str, rows: list[str]) -> None:
    from osca_core.data.importers import import_bytes

    with Store.open() as s:
        import_bytes(s, f"{name}.csv", "\n".join(rows).encode(), name=name)
    st.cache_data.clear()


def test_a_ragged_log_is_analysed_on_the_questions_every_selected_configuration_covers():
    from osca_core.model import missing
    from osca_core.strategies import registry
    store_release()  # the release beside the test's own data, as after a first start
    rows = ["question_id,config,n_samples,n_correct"]
    for i in range(30):
        rows.append(f"q{i},a_0.2,10,{i % 11}")
        if i % 3:  # b misses every third question
            rows.append(f"q{i},b_0.8,10,{(3 * i) % 11}")
    _import("ragged", rows)
    at = run_app(dataset="ragged", pures="false", budget=["1", "4"], split="release split", bands="false")
    assert [c for c in at.sidebar.caption if "10 of 30 questions left out" in c.value]
    m, _ = missing.apply_missing(stored_matrix("ragged"))
    want = registry.evaluate(m, "osca", [1, 2, 3, 4])
    (line,) = [t for t in by_meta(figures(at)[0], "osca") if t["mode"] == "lines+markers"]
    np.testing.assert_allclose(line["y"], want.values, atol=1e-12)


def test_unequal_n_opens_on_budgets_to_the_largest_n_with_extrapolated_points_hollow():
    """n = 10 for a cheap configuration, 3 and 1 for dearer ones: the Curves page opens on 1..10 (the largest n,
    not the smallest) and draws the points that ask a configuration for more samples than it logged hollow."""
    store_release()  # the release beside the test's own data, as after a first start
    rows = ["question_id,config,n_samples,n_correct"]
    for i in range(24):
        rows += [f"q{i},cheap_0.2,10,{i % 11}", f"q{i},mid_0.5,3,{i % 4}", f"q{i},big_0.8,1,{i % 2}"]
    _import("unequal", rows)
    at = run_app(dataset="unequal", split="release split", bands="false")
    assert tuple(at.slider(key="budget").value) == (1, 10)
    fig = figures(at)[0]
    (osca,) = [t for t in by_meta(fig, "osca") if t["mode"] == "lines+markers"]
    assert list(osca["x"]) == list(range(1, 11))
    hollow = {t["meta"]: list(t["x"]) for t in fig["data"] if t.get("marker", {}).get("symbol") == "circle-open"}
    assert hollow["pure:big_0.8"] == list(range(2, 11))  # k > n = 1 from C = 2 on
    assert hollow["pure:mid_0.5"] == list(range(4, 11))
    assert "pure:cheap_0.2" not in hollow


def test_deselecting_the_configuration_that_causes_the_gaps_brings_its_questions_back():
    from osca_core.model import missing
    from osca_core.strategies import registry
    store_release()  # the release beside the test's own data, as after a first start
    rows = ["question_id,config,n_samples,n_correct"]
    for i in range(30):
        rows += [f"q{i},a_0.2,10,{i % 11}", f"q{i},b_0.8,10,{(3 * i) % 11}"]
        if i % 3 == 0:  # c covers a third of the questions
            rows.append(f"q{i},c_0.5,10,{(7 * i) % 11}")
    _import("thin", rows)
    common = dict(dataset="thin", pures="false", budget=["1", "4"], split="release split", bands="false")
    at = run_app(**common)
    assert [c for c in at.sidebar.caption if "20 of 30 questions left out" in c.value]
    at = run_app(**common, configs=["a_0.2", "b_0.8"])
    assert not [c for c in at.sidebar.caption if "left out" in c.value]
    m, rep = missing.apply_missing(stored_matrix("thin"), ["a_0.2", "b_0.8"])
    assert rep.questions_kept == 30 and m.shape == (30, 2)
    want = registry.evaluate(m, "osca", [1, 2, 3, 4])
    (line,) = [t for t in by_meta(figures(at)[0], "osca") if t["mode"] == "lines+markers"]
    np.testing.assert_allclose(line["y"], want.values, atol=1e-12)
    # and the 10 questions c covers differ in value: the gap-free view is not the 10-question one
    m10, _ = missing.apply_missing(stored_matrix("thin"))
    assert not np.allclose(registry.evaluate(m10.select_configs(["a_0.2", "b_0.8"]), "osca", [1, 2, 3, 4]).values,
                           want.values)


@pytest.mark.slow
def test_a_thin_log_headline_stands_on_the_measured_baseline_and_hollow_points_carry_their_range():
    """n = 1, 2, 3 and 10 (CRUXEval-shaped): the headline reads against the n = 10 configuration at C = 10 under
    the one rule (as `osca savings`), the modelled reading is labelled beside it, every hollow point has an error
    bar from its range, and a caption says the spread of the one-sample configuration is borrowed."""
    from osca_core.analysis import headline

    store_release()
    rows = ["question_id,config,n_samples,n_correct"]
    for i in range(24):
        rows += [f"q{i},one_0.8,1,{i % 2}", f"q{i},two_0.6,2,{i % 3 // 2}", f"q{i},three_0.4,3,{i % 4}",
                 f"q{i},ten_0.2,10,{(3 * i) % 11}"]
    _import("crux", rows)
    at = run_app(dataset="crux", split="release split", bands="false")
    m = stored_matrix("crux")
    want = headline.read(m, list(range(1, 11)), experiments.Setting(),
                         lambda b, **kw: paired.bootstrap_savings(m, b, n_resamples=1000, **kw)).headline
    assert want.thin and want.baseline_budget == 10
    def plain(v: str) -> str:  # the page escapes Markdown (pages._render.text)
        return re.sub(r"\\(.)", r"\1", v).replace("\u2060", "")

    assert [h for h in at.subheader if plain(h.value) == want.text] and "1.00x" not in want.text
    caps = " ".join(plain(c.value) for c in at.caption)
    assert want.modelled in caps and "borrowed" in caps
    fig = figures(at)[0]
    hollow = [t for t in fig["data"] if t.get("marker", {}).get("symbol") == "circle-open"]
    assert hollow and all(t.get("error_y", {}).get("arrayminus") is not None for t in hollow)
    assert any(max(t["error_y"]["array"]) > 0 for t in hollow)
