"""The report's content (osca_core.present.report_content) on both release logs: the numbers shown are those of ``osca
curves`` / ``osca savings`` and of ``paired.bootstrap_curves`` with the same seed (and the paper's golden OSCA
values), every allocation shown scores the number beside it, the per-question lists match a brute-force
recount, extrapolated points are flagged, in-sample numbers are labelled, the dashboard link names the same
view, and the report stays well under 10 MB."""

from __future__ import annotations

import json
import math
import re
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from osca_core.analysis import paired
from osca_core.cli import main
from osca_core.model.results import score
from osca_core.present import report_content as rc
from osca_core.present import views
from osca_core.present.report import render
from osca_core.strategies import registry

B, SEED = 300, 7


@pytest.fixture(scope="module", params=["swe", "bcb"])
def case(request):
    m = request.getfixturevalue(request.param)
    path = request.getfixturevalue(f"{request.param}_path")
    budgets = views.budget_grid(*views.default_budget_range(m))
    data = rc.compute(m, budgets, n_resamples=B, seed=SEED)
    url = rc.dashboard_url(rc.DASHBOARD, m.name, budgets, seed=SEED, strategies=data.strategies)
    doc = render(rc.build(data, source=str(path), command="osca report ...", url=url))
    return {"m": m, "path": path, "budgets": budgets, "data": data, "html": doc, "url": url}


def _cli_json(capsys, argv: list[str]) -> dict:
    capsys.readouterr()
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_curves_and_bands_equal_paired_bootstrap_with_the_same_seed(case):
    m, budgets, data = case["m"], case["budgets"], case["data"]
    ref = paired.bootstrap_curves(m, registry.default_strategies(m), budgets, n_resamples=B, seed=SEED)
    assert [c.strategy for c in data.curves.curves] == [c.strategy for c in ref.curves]
    for got, want in zip(data.curves.curves, ref.curves, strict=True):
        assert got.values == want.values and got.ci_low == want.ci_low and got.ci_high == want.ci_high
    d = ref.difference("osca", "best-pure")
    assert data.difference.diff == d.diff and data.difference.ci_low == d.ci_low


def test_point_values_equal_osca_curves_json(case, capsys):
    spec = ",".join(map(str, case["budgets"]))
    out = _cli_json(capsys, ["curves", "--file", str(case["path"]), "--budgets", spec, "--json"])
    cli = {(r["strategy"], r["budget"]): (r["pass"], r["extrapolated"]) for r in out["curves"]}
    for cv in case["data"].curves.curves:
        for b, v, e in zip(cv.budgets, cv.values, cv.extrapolated, strict=True):
            assert cli[(cv.strategy, b)][0] == pytest.approx(v, abs=1e-12)
            assert cli[(cv.strategy, b)][1] == e


def test_osca_curve_matches_the_papers_golden_values(case, golden):
    cv = case["data"].curves.curve("osca")
    table = golden.swe_osca if case["m"].name.startswith("swe") else golden.bcb_osca
    checked = [b for b in table if b in cv.budgets]
    assert len(checked) >= 10
    for b in checked:
        assert cv.values[cv.budgets.index(b)] == pytest.approx(table[b], abs=5e-6)


def test_savings_point_values_equal_osca_savings_json(case, capsys):
    top = case["budgets"][-1]
    out = _cli_json(capsys, ["savings", "--file", str(case["path"]), "--budgets", f"1-{top}", "--json"])
    sv = case["data"].savings
    assert (sv.baseline, sv.baseline_budget, sv.budget_needed) == (out["baseline"], out["baseline_budget"],
                                                                 out["budget_needed"])
    assert sv.target_pass == pytest.approx(out["target_pass"], abs=1e-12)
    assert sv.ratio == pytest.approx(out["ratio"], abs=1e-12)
    for got, want in zip(sv.as_dict()["gaps"], out["gaps"], strict=True):
        assert got["gap"] == pytest.approx(want["gap"], abs=1e-12)
    assert f"{sv.ratio:.2f}x less compute" in case["html"]
    assert f"{sv.ratio_ci_low:.2f}x to {sv.ratio_ci_high:.2f}x" in case["html"]
    assert "a threshold crossing of a noisy curve is unstable" in case["html"]


def test_html_shows_the_numbers_with_their_intervals(case):
    data, doc = case["data"], case["html"]
    for s in ("osca", "best-pure"):
        cv = data.curves.curve(s)
        i = len(cv.budgets) - 1
        assert f"{cv.values[i]:.4f} [{cv.ci_low[i]:.4f}, {cv.ci_high[i]:.4f}]" in doc
        assert f'<td class="num">{cv.values[i]:.5f}</td>' in doc
    d = data.difference
    assert d.headline(data.top) in doc
    verdict = "excludes 0" if d.excludes_zero[-1] else "includes 0"
    assert verdict in d.headline(data.top)


def test_every_allocation_shown_scores_the_number_beside_it(case):
    m, data = case["m"], case["data"]
    for a in data.allocations("osca"):
        assert sum(a.counts) == a.budget
        train, test, extra = score(m, a.counts)
        assert test == pytest.approx(a.test_pass, abs=1e-12) and train == pytest.approx(a.train_pass, abs=1e-12)
    cv = data.curves.curve("osca")
    assert cv.values == tuple(a.test_pass for a in data.allocations("osca"))
    top = data.allocations("osca")[-1]
    # the per-point row: OSCA | budget | pass | ci_low | ci_high | extrapolated | the allocation that scores it
    row = re.search(rf'<tr><td>OSCA</td><td class="num">{top.budget}</td><td class="num">{top.test_pass:.5f}</td>'
                    r".*?</tr>", case["html"]).group(0)
    assert row.endswith(f"<td>{top.text}</td></tr>")


def _brute_pass(n, c, counts) -> float:
    fail = 1.0
    for nn, cc, k in zip(n, c, counts, strict=True):
        if k:
            fail *= math.comb(int(nn - cc), int(k)) / math.comb(int(nn), int(k)) if k <= nn else (1 - cc / nn) ** k
    return 1.0 - fail


def test_question_lists_match_a_brute_force_recount_on_test_questions(case):
    m, data = case["m"], case["data"]
    te = np.flatnonzero(m.test)
    never = [m.question_ids[q] for q in te if m.c[q].sum() == 0]
    assert list(data.lists.never_solved) == never
    mix, pure = data.allocations("osca")[-1], data.allocations("best-pure")[-1]
    only = [m.question_ids[q] for q in te
            if _brute_pass(m.n[q], m.c[q], mix.counts) >= 0.5 - 1e-9 > _brute_pass(m.n[q], m.c[q], pure.counts)]
    assert list(data.lists.only_mix) == only
    for r in data.only_mix_rows:
        q = m.question_ids.index(r["question"])
        assert r["osca"] == pytest.approx(_brute_pass(m.n[q], m.c[q], mix.counts), abs=1e-12)
    assert f"{len(only)} solved only by the mix" in case["html"]
    assert f"{len(never)} never solved" in case["html"]


def test_in_sample_numbers_are_labelled_in_sample(case):
    doc, m = case["html"], case["m"]
    if m.in_sample:
        assert "in-sample pass@C against the budget (in-sample: train = test)" in doc
        assert '<p class="headline">In-sample. osca - best-pure' in doc
        assert "every number below is a training number (in-sample)" in doc
        data = case["data"]
        assert rc.curves_fig(data).layout.yaxis.title.text == "in-sample pass@C"
        assert rc.difference_fig(data).layout.yaxis.title.text.startswith("in-sample pass@C difference")
    else:
        assert "In-sample." not in doc and "test pass@C against the budget</h2>" in doc


def test_provenance_names_data_checksum_seed_b_version_command_and_dashboard(case):
    doc, m = case["html"], case["m"]
    for text in (m.name, m.content_checksum(), f"B = {B}", "osca report ...", rc.version(), m.split_label):
        assert text in doc
    assert f"<dt>seed</dt><dd>{SEED}</dd>" in doc
    assert f'<a href="{case["url"].replace("&", "&amp;")}">' in doc


def test_dashboard_url_gives_the_same_view(case):
    q = parse_qs(urlsplit(case["url"]).query)
    b = case["budgets"]
    assert q["dataset"] == [case["m"].name] and q["budget"] == [str(b[0]), str(b[-1])]
    assert q["seed"] == [str(SEED)] and q["log2"] == ["true" if b[-1] > 32 else "false"]
    assert q["strategies"] == ["best-pure", "uniform", "even", "osca"] and q["pures"] == ["true"]
    sub = rc.dashboard_url("http://host:1/", "d", [2, 8], configs=["a--b", "<x>"], page="allocation")
    assert sub.startswith("http://host:1/allocation?")
    assert parse_qs(urlsplit(sub).query)["configs"] == ["a--b", "<x>"]


def test_allocation_chart_shows_shares_on_a_log_axis_above_32(case):
    data = case["data"]
    fig = rc.allocation_fig(data)
    assert fig.layout.yaxis.title.text == "share of the budget (%)"
    per_budget = np.sum([np.asarray(t.y, float) for t in fig.data], axis=0)
    assert list(per_budget) == [float(b) for b in data.budgets]  # counts stacked, normalised to 100% by plotly
    if data.top > 32:
        assert fig.layout.xaxis.type == "log" and all(t.type == "scatter" and t.groupnorm == "percent"
                                                      for t in fig.data[:1])
        assert all(t.line.shape == "hv" for t in fig.data)
    else:
        assert fig.layout.barnorm == "percent" and all(t.type == "bar" for t in fig.data)


def test_report_size_is_well_under_10_mb(case):
    assert len(case["html"].encode()) < 7_000_000


def test_extrapolated_points_are_flagged_drawn_hollow_and_listed(swe):
    data = rc.compute(swe, [1, 2, 4, 8, 16, 24, 32], n_resamples=20, seed=0, strategies=["pure:gpt4o_0.8", "osca"])
    cv = data.curves.curve("pure:gpt4o_0.8")
    assert cv.extrapolated == (False,) * 5 + (True, True)  # n = 16 logged samples
    fig = rc.curves_fig(data)
    hollow = [t for t in fig.data if t.name == "extrapolated (k > n)"]
    assert hollow and all(t.marker.symbol == "circle-open" for t in hollow)
    doc = render(rc.build(data))
    assert "pure: gpt4o_0.8 at C = 24" in doc and "yes (k &gt; n)" in doc
    assert data.strategies == ("pure:gpt4o_0.8", "osca", "best-pure")  # the compared pair is always evaluated


def test_hillclimb_is_seeded_like_osca_curves(bcb, bcb_path, capsys):
    data = rc.compute(bcb, [1, 2, 4, 8, 16], n_resamples=0, seed=3, strategies=["hillclimb"], savings=False)
    out = _cli_json(capsys, ["curves", "--file", str(bcb_path), "--budgets", "1,2,4,8,16", "--seed", "3",
                             "--strategies", "hillclimb", "--json"])
    assert data.curves.curve("hillclimb").values == pytest.approx([r["pass"] for r in out["curves"]], abs=1e-12)


def test_no_bootstrap_gives_no_bands_and_says_so(bcb):
    data = rc.compute(bcb, [1, 2, 4, 8], n_resamples=0, seed=0, strategies=["osca"])
    assert data.curves.curve("osca").ci_low is None
    doc = render(rc.build(data))
    assert "No bands: bootstrap B = 0." in doc and "(no interval: --bootstrap 0)" in doc
    assert "(no interval: bootstrap B = 0)" in doc


def test_unknown_strategy_is_refused_before_any_work(bcb):
    from osca_core.errors import InputError

    with pytest.raises(InputError, match="unknown strategy 'nope'"):
        rc.compute(bcb, [1, 2], strategies=["nope"])
    with pytest.raises(InputError, match="unknown configuration"):
        rc.compute(bcb, [1, 2], strategies=["pure:nope"])
