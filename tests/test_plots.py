"""Figures (osca_core.present.plots) without Streamlit: traces, names, the paper's numbers in the y data, hover text that
shows the allocation, extrapolated markers, the log2 axis, the presentation template and literal hostile names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.model.results import Curve, make_allocation
from osca_core.present import plots, stopping_plots, views
from osca_core.strategies import registry


def trace(fig: go.Figure, name: str):
    found = [t for t in fig.data if t.name == name and t.showlegend is not False or (t.name == name and t.hovertext)]
    assert found, f"no trace {name!r} in {[t.name for t in fig.data]}"
    return found[0]


def by_meta(fig: go.Figure, meta: str) -> list:
    return [t for t in fig.data if t.meta == meta]


@pytest.fixture(scope="module")
def swe_curves(swe):
    budgets = list(range(1, 17))
    return [registry.evaluate(swe, s, budgets) for s in registry.default_strategies(swe) if s != "even"]


def test_osca_curve_of_the_paper_is_the_figure_y_data(swe, swe_curves, golden):
    fig = plots.curves_figure(swe_curves)
    (osca,) = [t for t in by_meta(fig, "osca") if t.mode == "lines+markers"]
    assert osca.name == "OSCA"
    assert list(osca.x) == list(range(1, 17))
    assert np.allclose(osca.y, [golden.swe_osca[c] for c in range(1, 17)], atol=5e-6)  # SOURCE.md: 5 decimals


def test_bigcodebench_osca_values_at_the_paper_budgets(bcb, golden):
    budgets = sorted(golden.bcb_osca)
    fig = plots.curves_figure([registry.evaluate(bcb, "osca", budgets)], log2_x=True)
    (osca,) = by_meta(fig, "osca")
    assert np.allclose(osca.y, [golden.bcb_osca[c] for c in budgets], atol=5e-6)
    assert fig.layout.xaxis.type == "log"
    assert list(fig.layout.xaxis.tickvals) == [2, 4, 8, 16, 32, 64, 128, 256]
    assert list(fig.layout.xaxis.ticktext) == ["2", "4", "8", "16", "32", "64", "128", "256"]


def test_hover_shows_the_paper_allocation_behind_each_osca_point(swe, swe_curves, golden):
    fig = plots.curves_figure(swe_curves)
    (osca,) = [t for t in by_meta(fig, "osca") if t.mode == "lines+markers"]
    cv = next(c for c in swe_curves if c.strategy == "osca")
    for i, pa in enumerate(golden.swe_allocations):
        text = osca.hovertext[i]
        assert f"C = {pa.budget}" in text and f"test pass@C = {cv.values[i]:.4f}" in text
        ours = cv.allocations[i].allocation
        for name, k in ours.items():
            assert f"{name} ×{k}" in text
        if ours == pa.counts:  # the paper's allocation, configuration by configuration
            assert all(f"{name} ×{k}" in text for name, k in pa.counts.items())
    assert sum(cv.allocations[i].allocation == pa.counts for i, pa in enumerate(golden.swe_allocations)) >= 12


def test_pure_curves_are_muted_with_one_legend_entry_and_paper_values(swe, swe_curves, golden):
    fig = plots.curves_figure(swe_curves)
    pures = [t for t in fig.data if isinstance(t.meta, str) and t.meta.startswith("pure:") and t.mode == "lines"]
    assert len(pures) == 22
    assert all(t.showlegend is False and t.line.color == plots.PURE_COLOR for t in pures)
    proxies = [t for t in fig.data if t.name == plots.PURE_GROUP_NAME]
    assert len(proxies) == 1 and proxies[0].legendgroup == "pure"
    for name, want in golden.swe_pure_at10.items():
        (t,) = [t for t in pures if t.meta == f"pure:{name}"]
        assert t.y[9] == pytest.approx(want, abs=1e-9)
        assert f"pure: {name}" in t.hovertext[9] and f"{name} ×10" in t.hovertext[9]
    uni = trace(fig, "uniform mix")
    assert "drawn uniformly" in uni.hovertext[0]


def test_extrapolated_points_are_marked_only_beyond_n(swe):
    budgets = list(range(1, 33))
    curves = [registry.evaluate(swe, s, budgets) for s in ("pure:gpt4o_0.4", "best-pure", "osca")]
    fig = plots.curves_figure(curves, n_min=16)
    marks = [t for t in fig.data if t.name == plots.EXTRAPOLATED_NAME]
    assert marks and sum(t.showlegend is not False for t in marks) == 1
    for cv in curves:
        want = [b for b, e in zip(cv.budgets, cv.extrapolated, strict=True) if e]
        got = [list(t.x) for t in marks if t.meta == cv.strategy]
        assert got == ([want] if want else [])
        assert all(b > 16 for b in want)
    assert {t.meta for t in marks} >= {"pure:gpt4o_0.4", "best-pure"}
    assert all(t.marker.symbol == "circle-open" for t in marks)
    (bp,) = [t for t in by_meta(fig, "best-pure") if t.mode == "lines+markers"]
    assert "extrapolated" in bp.hovertext[20] and "extrapolated" not in bp.hovertext[10]
    assert any(s.x0 == 16 for s in fig.layout.shapes)


def test_bands_drawn_from_split_intervals():
    cv = Curve("osca", (1, 2, 4), (0.2, 0.3, 0.4), (False,) * 3, (0.1, 0.25, 0.35), (0.3, 0.35, 0.45))
    fig = plots.curves_figure([cv])
    (band,) = by_meta(fig, "band:osca")
    assert band.fill == "toself"
    assert list(band.x) == [1, 2, 4, 4, 2, 1]
    assert list(band.y) == [0.3, 0.35, 0.45, 0.35, 0.25, 0.1]
    (line,) = [t for t in by_meta(fig, "osca") if t.mode == "lines+markers"]
    assert "95% interval" in line.hovertext[1] and "0.2500" in line.hovertext[1]


def test_presentation_template_and_default_theming(swe_curves):
    plain = plots.curves_figure(swe_curves)
    assert plain.layout.font.size is None  # the host's theme decides
    talk = plots.curves_figure(swe_curves, presentation=True)
    pres = pio.templates["presentation"]
    assert talk.layout.font.size == 20
    assert talk.layout.template.data.scatter[0].line.width == pres.data.scatter[0].line.width
    assert talk.layout.template.layout.plot_bgcolor == pio.templates["plotly_white"].layout.plot_bgcolor
    dark = plots.curves_figure(swe_curves, presentation=True, dark=True)
    assert dark.layout.template.layout.paper_bgcolor == pio.templates["plotly_dark"].layout.paper_bgcolor


def test_chart_config_downloads_png_or_svg():
    cfg = plots.chart_config("osca-swe/curves <b>", fmt="svg")
    assert cfg["toImageButtonOptions"]["format"] == "svg"
    assert cfg["toImageButtonOptions"]["filename"] == "osca-swe_curves__b_"
    assert plots.chart_config("x")["toImageButtonOptions"] == {"format": "png", "filename": "x", "scale": 2}
    with pytest.raises(ValueError):
        plots.chart_config("x", fmt="jpeg")


def test_allocation_figure_stacks_the_paper_allocation(swe, golden):
    allocs = []
    for pa in golden.swe_allocations:
        k = np.zeros(len(swe.configs), dtype=np.int64)
        for name, x in pa.counts.items():
            k[swe.config_index([name])[0]] = x
        allocs.append(make_allocation(swe, "osca", k))
    frame = views.allocation_long(allocs, swe.configs)
    colors = plots.allocation_colors(swe.configs, "configuration")
    fig = plots.allocation_figure(frame, colors=colors)
    assert all(isinstance(t, go.Bar) for t in fig.data) and fig.layout.barmode == "stack"
    totals = np.sum([np.asarray(t.y) for t in fig.data], axis=0)
    assert list(totals) == list(range(1, 17))
    t = next(t for t in fig.data if t.name == "gpt4o_0.8_2-3")
    assert t.y[-1] == 5 and "5 samples (31% of the budget)" in t.hovertext[-1]
    assert t.marker.color == colors["gpt4o_0.8_2-3"]
    area = plots.allocation_figure(views.allocation_long(allocs, swe.configs, group_by="model"), kind="area")
    assert [t.name for t in area.data] == ["gpt4o", "deepseek", "qwen"]
    assert all(t.stackgroup == "one" for t in area.data)


def test_allocation_colours_cover_every_group_and_differ_within_a_model(swe):
    for g in views.GROUPINGS:
        cols = plots.allocation_colors(swe.configs, g)
        assert set(cols) == {views.group_of(k, g) for k in swe.configs}
    cols = plots.allocation_colors(swe.configs, "configuration")
    gpt = [cols[k.name] for k in swe.configs if k.model == "gpt4o"]
    assert len(set(gpt)) == len(gpt)


def test_heatmap_is_the_pass_rate_matrix_with_counts_in_the_hover(bcb):
    rates = views.pass_rates(bcb).iloc[:10]
    n = pd.DataFrame(bcb.n, index=list(bcb.question_ids), columns=list(bcb.config_names)).iloc[:10]
    c = pd.DataFrame(bcb.c, index=list(bcb.question_ids), columns=list(bcb.config_names)).iloc[:10]
    fig = plots.heatmap_figure(rates, counts=(n, c))
    (h,) = fig.data
    assert np.allclose(np.asarray(h.z), bcb.c[:10] / 300)
    assert list(h.x) == list(bcb.config_names) and list(h.y) == list(bcb.question_ids[:10])
    assert f"{bcb.c[3, 2]}/300 correct" in h.hovertext[3][2]


@pytest.mark.parametrize("rows", [10, 119, 150, 300])
def test_a_tall_heatmap_labels_every_kth_question_with_room_for_each_label(rows):
    """Up to about 120 questions every id is a y label; beyond, every k-th (k = ``heatmap_label_step``), so a
    heatmap of 150 or 300 questions still says which rows are which, and each label has HEATMAP_LABEL_PX."""
    ids = [f"task/{i}" for i in range(rows)]
    rates = pd.DataFrame(np.linspace(0, 1, rows * 2).reshape(rows, 2), index=ids, columns=["a_0.2", "b_0.8"])
    fig = plots.heatmap_figure(rates)
    step = plots.heatmap_label_step(rows, fig.layout.height)
    room = (fig.layout.height - plots.HEATMAP_PLOT_MARGIN) / rows * step
    assert room >= plots.HEATMAP_LABEL_PX
    # the ids share "task/": labelled without it, the prefix named in the axis title (labels fit a phone)
    assert fig.layout.yaxis.title.text == "question (task/...)"
    assert list(fig.layout.yaxis.tickvals) == ids[::step]
    assert list(fig.layout.yaxis.ticktext) == [i.removeprefix("task/") for i in ids[::step]]
    assert (step == 1) == (rows < 120)
    assert list(fig.data[0].y) == ids  # every row still drawn, its id in the hover


def test_common_prefix_stops_at_a_separator_and_never_empties_an_id():
    assert plots.common_prefix(["BigCodeBench/10", "BigCodeBench/1124"]) == "BigCodeBench/"
    assert plots.common_prefix(["django__django-1", "django__django-2"]) == "django__django-"
    assert plots.common_prefix(["task/1", "task/"]) == ""
    assert plots.common_prefix(["abc1", "abc2"]) == ""  # no separator: no word cut


def test_hostile_names_are_drawn_literally():
    names = ["<b>bold</b>_0.5", "**md**_1.0", 'q"uote_0.2', "a&amp;b_0.8"]
    qids = ("<script>alert(1)</script>", "[link](http://x)", "x<br>y")
    m = OutcomeMatrix(name="<i>hostile</i>", question_ids=qids, configs=tuple(parse_config_name(x) for x in names),
                      n=np.full((3, 4), 4), c=np.array([[1, 0, 2, 4], [0, 0, 1, 0], [3, 1, 0, 2]]),
                      train=np.ones(3, bool), test=np.ones(3, bool))
    curves = [registry.evaluate(m, s, [1, 2, 3, 4, 5]) for s in registry.default_strategies(m)]
    fig = plots.curves_figure(curves, title=m.name)
    text = " ".join(str(t.name) + " " + " ".join(t.hovertext or ()) for t in fig.data)
    assert "<b>bold</b>" not in text and "&lt;b&gt;bold&lt;/b&gt;_0.5" in text
    assert "a&amp;amp;b_0.8" in text and "<i>" not in fig.layout.title.text
    hm = plots.heatmap_figure(views.pass_rates(m))
    assert list(hm.data[0].y) == ["&lt;script&gt;alert(1)&lt;/script&gt;", "[link](http://x)", "x&lt;br&gt;y"]
    assert "&lt;b&gt;bold&lt;/b&gt;_0.5" in hm.data[0].x
    per_cfg, _ = views.question_detail(m, qids[2], 2, {})
    q = plots.question_figure(per_cfg, budget=2, title=f"question {qids[2]}")
    assert q.layout.title.text == "question x&lt;br&gt;y"
    ab = plots.comparison_figure(views.compare_configs(m, names[0], names[1]).frame, names[0], names[1])
    assert "&lt;script&gt;" in ab.data[1].hovertext[0] and "<script>" not in ab.data[1].hovertext[0]


def test_comparison_figure_has_one_point_per_question(bcb):
    cmp_ = views.compare_configs(bcb, "Qwen_0.2", "Llama_1.4")
    fig = plots.comparison_figure(cmp_.frame, "Qwen_0.2", "Llama_1.4")
    pts = fig.data[1]
    assert len(pts.x) == 148 and np.allclose(pts.x, cmp_.frame["rate_a"])
    assert fig.layout.yaxis.scaleanchor == "x"


def test_train_test_figure_plots_both_numbers_of_each_allocation(swe, golden):
    cv = registry.evaluate(swe, "osca", list(range(1, 17)))
    fig = plots.train_test_figure([cv, registry.evaluate(swe, "uniform", [1, 2])])
    assert [t.name for t in fig.data] == ["OSCA: training objective", "OSCA: test pass@C"]
    assert np.allclose(fig.data[0].y, [a.train_pass for a in cv.allocations])
    assert np.allclose(fig.data[1].y, [golden.swe_osca[c] for c in range(1, 17)], atol=5e-6)


def test_study_figure_draws_series_with_bands():
    df = pd.DataFrame({"series": ["osca"] * 3 + ["best-pure"] * 3, "x": [0.1, 0.5, 0.9] * 2,
                       "mean": [0.5, 0.6, 0.7, 0.4, 0.45, 0.5], "ci_low": [0.4, 0.5, 0.6, 0.3, 0.4, 0.45],
                       "ci_high": [0.6, 0.7, 0.8, 0.5, 0.5, 0.55]})
    fig = plots.study_figure(df, x_title="training fraction")
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == ["OSCA", "best pure"]
    assert lines[0].line.color == plots.STRATEGY_COLORS["osca"]
    assert [t.meta for t in fig.data if t.fill == "toself"] == ["band:osca", "band:best-pure"]
    cat = plots.study_figure(df.assign(x=["1", "5", "all"] * 2), x_title="C0", categorical_x=True)
    assert cat.layout.xaxis.type == "category"


def test_band_hover_names_its_method_bootstrap_or_splits():
    cv = Curve("osca", (1, 2), (0.5, 0.6), (False, False), (0.4, 0.5), (0.6, 0.7))
    boot = by_meta(plots.curves_figure([cv], method=plots.BAND_BOOTSTRAP), "osca")[0].hovertext[0]
    splits = by_meta(plots.curves_figure([cv]), "osca")[0].hovertext[0]
    assert "(bootstrap over test questions)" in boot and "mean over splits" not in boot
    assert "one per split" not in boot
    assert "(mean over splits)" in splits and "one per split" in splits


def test_expected_cost_figure_puts_the_costs_on_x_and_marks_extrapolated_points_open():
    a = Curve("osca", (1, 2, 4), (0.3, 0.4, 0.5), (False, False, True))
    o = Curve("oracle", (1, 2, 4), (0.4, 0.5, 0.6), (False, False, False))
    fig = stopping_plots.expected_cost_figure([a, o], {"osca": [1.0, 1.7, 2.9], "oracle": [1.0, 1.5, 2.1]})
    (line,) = by_meta(fig, "osca")
    assert list(line.x) == [1.0, 1.7, 2.9] and list(line.y) == [0.3, 0.4, 0.5]
    assert list(line.marker.symbol) == ["circle", "circle", "circle-open"]
    assert "C = 4" in line.hovertext[2] and "expected cost = 2.900" in line.hovertext[2]
    assert by_meta(fig, "oracle")[0].line.dash == "dash"
    assert fig.layout.xaxis.title.text.startswith("expected cost per question")


def test_order_strip_has_one_cell_per_sample_at_its_position():
    order = ["b", "a", "a", "b", "c"]
    fig = stopping_plots.order_strip_figure(order, {"a": "#111111", "b": "#222222"})
    cells = {t.meta: list(t.base) for t in fig.data}
    assert cells == {"b": [0, 3], "a": [1, 2], "c": [4]}
    assert by_meta(fig, "a")[0].marker.color == "#111111"
    assert by_meta(fig, "c")[0].marker.color == plots.PURE_COLOR  # a configuration without a colour: muted
    assert "sample 5 of 5: c" in by_meta(fig, "c")[0].hovertext[0]


def test_log_budget_axis_past_n_keeps_its_range_and_places_the_n_label_in_log_units():
    """Issue 27: budgets 1..512 with n = 300 gave an x range of [-16.8, 300] (log units): the "n = 300" label's x
    was read as 10^300. The range now runs from the first budget to the last and the label sits at log10(300)."""
    import math

    from osca_core.model.results import Curve

    b = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
    cv = Curve("osca", b, tuple(0.1 * i / 10 for i in range(10)), tuple(x > 300 for x in b))
    fig = plots.curves_figure([cv], log2_x=True, n_min=300)
    lo, hi = fig.layout.xaxis.range
    assert -0.1 < lo <= 0 and math.log10(512) <= hi < math.log10(512) + 0.1
    (ann,) = [a for a in fig.layout.annotations if "n = 300" in a.text]
    assert ann.x == pytest.approx(math.log10(300))
    assert [s.x0 for s in fig.layout.shapes] == [300]
    lin = plots.curves_figure([Curve("osca", (4, 8, 16), (0.1, 0.2, 0.3), (False,) * 3)], log2_x=False)
    assert lin.layout.xaxis.range[0] > 3.5  # linear axes started at 0


def test_a_against_b_axes_are_square_on_zero_to_one():
    import pandas as pd

    f = pd.DataFrame({"rate_a": [0.1, 0.9], "rate_b": [0.5, 0.2]}, index=["q1", "q2"])
    fig = plots.comparison_figure(f, "a", "b")
    assert fig.layout.xaxis.constrain == "domain" and fig.layout.yaxis.constrain == "domain"
    assert tuple(fig.layout.yaxis.range) == (-0.03, 1.03)


@pytest.mark.parametrize("width", [20, 30, 44])
def test_wrap_title_keeps_every_word_in_order_on_lines_within_the_width(width):
    title = "osca-bigcodebench: OSCA allocation (release split (70 train / 78 test)) at C = 64"
    lines = plots.wrap_title(title, width).split("<br>")
    assert " ".join(lines) == title  # nothing lost, nothing reordered
    assert all(len(x) <= width for x in lines), lines
    assert len(lines) > 1
    assert plots.wrap_title("short: title", width) == "short: title"


def test_wrap_title_breaks_at_the_colon_or_before_a_parenthesis_first():
    assert plots.wrap_title("osca-bigcodebench: test pass@C (release split (70 train / 78 test))") == (
        "osca-bigcodebench: test pass@C<br>(release split (70 train / 78 test))")
    assert plots.wrap_title("a-rather-long-dataset-name-here: accuracy against estimation budget") == (
        "a-rather-long-dataset-name-here:<br>accuracy against estimation budget")


def test_styled_charts_put_the_legend_under_the_plot_and_make_room_for_a_wrapped_title(swe_curves):
    fig = plots.curves_figure(swe_curves, log2_x=True, title="osca-swebench: test pass@C (in-sample: train = test)")
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.yref == "container"
    assert fig.layout.legend.groupclick == "togglegroup"  # the builder's own legend settings stay
    assert fig.layout.title.text.count("<br>") == 1
    one = plots.curves_figure(swe_curves, log2_x=True, title="short")
    assert fig.layout.margin.t - one.layout.margin.t == 22  # one more line of title, one more line of margin
    assert fig.layout.title.pad.t > one.layout.title.pad.t
