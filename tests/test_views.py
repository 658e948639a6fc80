"""The dashboard's view models (osca_core.views) on the release logs: filters, budget grids, the savings headline,
allocation tables and plans, per-question views, and the escaping that keeps hostile names literal."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from osca_core import experiments, strategies, views
from osca_core.errors import InputError
from osca_core.estimators import pass_at_k, pass_at_k_bruteforce
from osca_core.outcomes import ConfigInfo, OutcomeMatrix, parse_config_name


def paper_allocation(m: OutcomeMatrix, counts: dict[str, int]) -> strategies.Allocation:
    k = np.zeros(len(m.configs), dtype=np.int64)
    for name, x in counts.items():
        k[m.config_index([name])[0]] = x
    return strategies.make_allocation(m, "osca", k)


def small_matrix(seed: int, q: int = 6, s: int = 3, nmax: int = 5) -> OutcomeMatrix:
    rng = np.random.default_rng(seed)
    n = rng.integers(1, nmax + 1, size=(q, s))
    c = rng.integers(0, n + 1)
    return OutcomeMatrix(name="small", question_ids=tuple(f"q{i}" for i in range(q)),
                         configs=tuple(parse_config_name(f"m{j % 2}_{0.2 * (j + 1):.1f}") for j in range(s)),
                         n=n, c=c, train=np.ones(q, bool), test=np.ones(q, bool))


# -- escaping ------------------------------------------------------------------------------------------------------

def _commonmark_unescape(s: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", s)


@given(hs.text(alphabet=hs.characters(blacklist_categories=("Cs", "Cc")), max_size=40))
@settings(max_examples=200, deadline=None)
def test_md_escape_round_trips_and_leaves_no_markdown_syntax_active(s):
    e = views.md_escape(s)
    assert _commonmark_unescape(e) == " ".join(s.splitlines())
    # every markdown / directive / latex character is preceded by a backslash
    bare = re.sub(r"\\.", "", e)
    assert not set(bare) & set("*_`[]<>#|~$:\\&!")


def test_md_escape_of_hostile_names():
    assert views.md_escape("<b>x</b>") == r"\<b\>x\</b\>"
    assert views.md_escape("**bold** :red[x] $y$") == r"\*\*bold\*\* \:red\[x\] \$y\$"


@given(hs.text(max_size=40))
def test_plot_text_is_literal_for_plotly(s):
    e = views.plot_text(s)
    assert "<" not in e and ">" not in e
    assert html.unescape(e) == s


# -- configuration facets and filters ------------------------------------------------------------------------------

def test_facets_of_the_swebench_release(swe):
    f = views.config_facets(swe.configs)
    assert f.models == ("deepseek", "gpt4o", "qwen")
    assert f.temperatures == ("0.4", "0.8", "1.2", "1.6")
    assert f.variants == ("(none)", "2-3")


@pytest.mark.parametrize("models,temps,variants", [
    (["gpt4o"], None, ["2-3"]), (["deepseek"], None, None), (None, ["0.4"], None),
    (["qwen", "deepseek"], ["1.2", "1.6"], ["(none)"]), (None, None, None),
])
def test_filter_configs_matches_parsing_each_name(swe, models, temps, variants):
    got = views.filter_configs(swe.configs, models=models, temperatures=temps, variants=variants)
    want = []
    for name in swe.config_names:
        model, t, *rest = name.split("_")
        var = rest[0] if rest else "(none)"
        if (not models or model in models) and (not temps or t in temps) and (not variants or var in variants):
            want.append(name)
    assert got == want
    if models == ["deepseek"]:
        assert len(got) == 6  # the two grid points absent from the 24 (SOURCE.md) are both deepseek


# -- budgets -------------------------------------------------------------------------------------------------------

def test_budget_grid_small_range_is_every_integer():
    assert views.budget_grid(3, 20) == list(range(3, 21))


@pytest.mark.parametrize("lo,hi", [(1, 300), (5, 512), (1, 65), (17, 1000)])
def test_budget_grid_large_range_keeps_ends_and_powers_of_two(lo, hi):
    g = views.budget_grid(lo, hi, max_points=40)
    assert g == sorted(set(g)) and g[0] == lo and g[-1] == hi
    assert all(lo <= b <= hi for b in g)
    assert {2 ** i for i in range(11) if lo <= 2 ** i <= hi} <= set(g)
    assert len(g) <= 40 + 11


def test_budget_grid_rejects_an_empty_range():
    with pytest.raises(InputError):
        views.budget_grid(5, 4)


def test_default_budget_range_stops_at_the_logged_samples(swe, bcb):
    assert views.default_budget_range(swe) == (1, 16)
    assert views.default_budget_range(bcb) == (1, 300)
    assert views.budget_limit(swe) == 64


# -- the savings headline ------------------------------------------------------------------------------------------

def test_savings_headline_on_swebench_matches_the_paper_curve(swe, golden):
    s = experiments.savings(swe, list(range(1, 17)))
    bp = strategies.best_pure(swe, [16])[0]
    target = bp.test_pass
    # best pure at C = n = 16 solves a question iff one of its 16 samples is correct
    j = bp.counts.index(16)
    assert target == pytest.approx(float((swe.c[:, j] > 0).mean()), abs=1e-12)
    needed = min(c for c, v in golden.swe_osca.items() if v >= target - 5e-6)
    head, detail = views.savings_headline(s, n_logged=16)
    assert head == f"OSCA reaches best pure's accuracy at C = {needed}: {16 / needed:.1f}x less compute"
    assert detail == f"best pure: {swe.config_names[j]} at C = 16, test pass {target:.3f}"


def test_savings_headline_flags_extrapolation_and_failure():
    class S:  # duck-typed experiments.Savings
        baseline, baseline_budget, target_pass, budget_needed, ratio = "a_1.0", 32, 0.5, None, None

    head, detail = views.savings_headline(S(), n_logged=16)
    assert head == "OSCA does not reach best pure's accuracy within C <= 32"
    assert "extrapolated beyond the n = 16 logged samples" in detail


# -- allocation tables and plans -----------------------------------------------------------------------------------

def test_allocation_long_groups_the_paper_allocation(swe, golden):
    pa = golden.swe_allocations[-1]  # C = 16
    a = paper_allocation(swe, pa.counts)
    by_model = views.allocation_long([a], swe.configs, group_by="model")
    want: dict[str, int] = {}
    for name, k in pa.counts.items():
        want[name.split("_")[0]] = want.get(name.split("_")[0], 0) + k
    assert dict(zip(by_model["group"].astype(str), by_model["count"], strict=True)) == want
    assert by_model["share"].sum() == pytest.approx(1.0)
    by_cfg = views.allocation_long([a], swe.configs, group_by="configuration")
    assert dict(zip(by_cfg["group"].astype(str), by_cfg["count"], strict=True)) == pa.counts
    by_mt = views.allocation_long([a], swe.configs, group_by="model+temperature")
    assert by_mt["count"].sum() == 16 and "gpt4o @ 0.8" in set(by_mt["group"].astype(str))
    with pytest.raises(InputError):
        views.allocation_long([a], swe.configs, group_by="colour")


def test_allocation_wide_rows_score_what_their_counts_score(swe, golden):
    allocs = [paper_allocation(swe, pa.counts) for pa in golden.swe_allocations]
    wide = views.allocation_wide(allocs)
    assert list(wide["budget"]) == list(range(1, 17))
    for pa, (_, row) in zip(golden.swe_allocations, wide.iterrows(), strict=True):
        assert row["test_pass"] == pytest.approx(pa.test, abs=5e-7)
        assert row["train_pass"] == pytest.approx(pa.train, abs=5e-7)
        counts = {c: int(row[c]) for c in wide.columns[4:] if row[c] > 0}
        assert counts == pa.counts


def test_plan_json_and_csv_round_trip(bcb, golden):
    allocs = [paper_allocation(bcb, pa.counts) for pa in golden.bcb_allocations]
    meta = dict(dataset="osca-bigcodebench", checksum=bcb.checksum, split="70 train / 78 test", seed=7,
                strategy="osca")
    plan = json.loads(json.dumps(views.plan_json(allocs, configs=bcb.config_names, **meta)))
    assert plan["checksum"] == bcb.checksum and plan["seed"] == 7 and plan["split"] == "70 train / 78 test"
    assert [p["budget"] for p in plan["plans"]] == [pa.budget for pa in golden.bcb_allocations]
    assert [p["counts"] for p in plan["plans"]] == [pa.counts for pa in golden.bcb_allocations]
    assert [p["test_pass"] for p in plan["plans"]] == [a.test_pass for a in allocs]
    rows = list(csv.DictReader(io.StringIO(views.plan_csv(allocs, **meta))))
    assert tuple(rows[0]) == views.PLAN_CSV_FIELDS
    back: dict[int, dict[str, int]] = {}
    for r in rows:
        back.setdefault(int(r["budget"]), {})[r["configuration"]] = int(r["count"])
        assert r["checksum"] == bcb.checksum and r["seed"] == "7"
    assert back == {pa.budget: pa.counts for pa in golden.bcb_allocations}
    assert {float(r["test_pass"]) for r in rows if r["budget"] == "291"} == {allocs[-1].test_pass}


# -- per-question views --------------------------------------------------------------------------------------------

def test_per_question_pass_averages_to_the_allocation_test_pass(bcb, golden):
    for pa in golden.bcb_allocations:
        a = paper_allocation(bcb, pa.counts)
        p, extra = views.per_question_pass(bcb, a.counts)
        assert float(p[bcb.test].mean()) == pytest.approx(a.test_pass, abs=1e-12)
        assert not extra.any()


def _bruteforce_mix(n_row, c_row, k) -> float:
    """1 - prod_s P(all k_s drawn samples of s wrong), each by enumerating the k_s-subsets."""
    fail = 1.0
    for n, c, kk in zip(n_row, c_row, k, strict=True):
        if kk:
            outcomes = [True] * int(c) + [False] * int(n - c)
            fail *= 1.0 - pass_at_k_bruteforce(outcomes, int(kk))
    return 1.0 - fail


@pytest.mark.parametrize("seed", range(5))
def test_per_question_pass_equals_bruteforce_enumeration(seed):
    m = small_matrix(seed)
    rng = np.random.default_rng(100 + seed)
    k = rng.integers(0, int(m.n.min()) + 1, size=len(m.configs))
    p, extra = views.per_question_pass(m, k)
    assert not extra.any()
    for q in range(len(m.question_ids)):
        assert p[q] == pytest.approx(_bruteforce_mix(m.n[q], m.c[q], k), abs=1e-12)


def test_per_question_pass_flags_k_above_n(swe):
    k = np.zeros(len(swe.configs), dtype=np.int64)
    k[0] = 17
    _, extra = views.per_question_pass(swe, k)
    assert extra.all()


def test_question_lists_against_a_direct_count(swe):
    mix = strategies.osca(swe, [8])[0]
    pure = strategies.best_pure(swe, [8])[0]
    lists = views.question_lists(swe, mix, pure, threshold=0.5)
    never = [q for i, q in enumerate(swe.question_ids) if all(swe.c[i, j] == 0 for j in range(len(swe.configs)))]
    single = {}
    for i, q in enumerate(swe.question_ids):
        solved = [swe.config_names[j] for j in range(len(swe.configs)) if swe.c[i, j] > 0]
        if len(solved) == 1:
            single[q] = solved[0]
    assert list(lists.never_solved) == never and lists.single == single
    j = pure.counts.index(8)
    only = []
    for i, q in enumerate(swe.question_ids):
        p_mix = _bruteforce_mix(swe.n[i], swe.c[i], mix.counts)
        p_pure = float(pass_at_k(swe.n[i, j], swe.c[i, j], 8))
        if p_mix >= 0.5 - 1e-9 and p_pure < 0.5 - 1e-9:
            only.append(q)
    assert list(lists.only_mix) == only and len(only) > 0
    with pytest.raises(InputError):
        views.question_lists(swe, mix, strategies.best_pure(swe, [9])[0])


def test_question_detail_numbers(swe):
    budget = 6
    allocs = {"osca": strategies.osca(swe, [budget])[0], "even": strategies.even(swe, [budget])[0]}
    q = swe.question_ids[17]
    per_cfg, per_strat = views.question_detail(swe, q, budget, allocs)
    assert list(per_cfg["c"]) == list(swe.c[17])
    assert np.allclose(per_cfg[f"pure_pass@{budget}"], pass_at_k(swe.n[17], swe.c[17], budget))
    got = dict(zip(per_strat["strategy"], per_strat["pass"], strict=True))
    for name, a in allocs.items():
        assert got[name] == pytest.approx(_bruteforce_mix(swe.n[17], swe.c[17], a.counts), abs=1e-12)
    uni, _ = strategies.uniform_expected(swe.n[17:18], swe.c[17:18], [budget])
    assert got["uniform"] == pytest.approx(uni[0], abs=1e-12)
    with pytest.raises(InputError):
        views.question_detail(swe, "no such question", budget, allocs)


def test_compare_configs_counts_partition_the_questions(bcb):
    a, b = "Qwen_1.4", "Llama_1.4"
    cmp_ = views.compare_configs(bcb, a, b)
    ia, ib = bcb.config_index([a, b])
    both = sum(1 for i in range(len(bcb.question_ids)) if bcb.c[i, ia] > 0 and bcb.c[i, ib] > 0)
    only_a = sum(1 for i in range(len(bcb.question_ids)) if bcb.c[i, ia] > 0 and bcb.c[i, ib] == 0)
    assert (cmp_.both, cmp_.only_a) == (both, only_a)
    assert cmp_.both + cmp_.only_a + cmp_.only_b + cmp_.neither == len(bcb.question_ids) == 148
    assert cmp_.mean_a == pytest.approx(float((bcb.c[:, ia] / 300).mean()))
    assert np.allclose(cmp_.frame["diff"], cmp_.frame["rate_a"] - cmp_.frame["rate_b"])


def test_question_frame_filters_and_sorts(bcb):
    attrs = pd.DataFrame({"question_id": list(bcb.question_ids),
                          "difficulty": ["hard" if i % 3 else "easy" for i in range(148)]})
    frame = views.question_frame(bcb, attrs)
    assert set(frame["split"]) == {"train", "test"}
    assert views.attribute_columns(frame) == ["split", "difficulty"]
    easy = views.filter_questions(frame, attributes={"difficulty": ["easy"]})
    assert len(easy) == len(range(0, 148, 3))
    hard = views.filter_questions(frame, pass_range=(0.5, 1.0), sort_by="mean_pass", descending=True)
    assert (hard["mean_pass"] >= 0.5).all() and list(hard["mean_pass"]) == sorted(hard["mean_pass"], reverse=True)
    qid = bcb.question_ids[5]
    assert list(views.filter_questions(frame, search=qid.upper()).index) == [q for q in bcb.question_ids
                                                                             if qid.lower() in q.lower()]


def test_filter_questions_search_is_literal():
    m = OutcomeMatrix(name="x", question_ids=("a.b", "axb", "(c)"),
                      configs=(ConfigInfo("k", "k", None, ""),), n=np.ones((3, 1), int), c=np.zeros((3, 1), int),
                      train=np.ones(3, bool), test=np.ones(3, bool))
    frame = views.question_frame(m)
    assert list(views.filter_questions(frame, search=".").index) == ["a.b"]
    assert list(views.filter_questions(frame, search="(").index) == ["(c)"]


def test_ordered_configs_group_models_then_temperature(swe):
    order = [k.name for k in views.ordered_configs(swe.configs)]
    assert order[:4] == ["gpt4o_0.4", "gpt4o_0.4_2-3", "gpt4o_0.8", "gpt4o_0.8_2-3"]
    assert sorted(order) == sorted(swe.config_names)

