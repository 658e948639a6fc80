"""Questions under an allocation (osca_core.present.views.drilldown): per-question pass@C against brute-force enumeration of
sample subsets, who-solves-what lists against a direct count, the one-question drill-down, A against B."""

from __future__ import annotations

import numpy as np
import pytest
from viewkit import bruteforce_mix, paper_allocation, small_matrix

from osca_core.errors import InputError
from osca_core.model.estimators import pass_at_k
from osca_core.present.views import drilldown
from osca_core.strategies import allocators


def test_per_question_pass_averages_to_the_allocation_test_pass(bcb, golden):
    for pa in golden.bcb_allocations:
        a = paper_allocation(bcb, pa.counts)
        p, extra = drilldown.per_question_pass(bcb, a.counts)
        assert float(p[bcb.test].mean()) == pytest.approx(a.test_pass, abs=1e-12)
        assert not extra.any()


@pytest.mark.parametrize("seed", range(5))
def test_per_question_pass_equals_bruteforce_enumeration(seed):
    m = small_matrix(seed)
    rng = np.random.default_rng(100 + seed)
    k = rng.integers(0, int(m.n.min()) + 1, size=len(m.configs))
    p, extra = drilldown.per_question_pass(m, k)
    assert not extra.any()
    for q in range(len(m.question_ids)):
        assert p[q] == pytest.approx(bruteforce_mix(m.n[q], m.c[q], k), abs=1e-12)


def test_per_question_pass_flags_k_above_n(swe):
    k = np.zeros(len(swe.configs), dtype=np.int64)
    k[0] = 17
    _, extra = drilldown.per_question_pass(swe, k)
    assert extra.all()


def test_question_lists_against_a_direct_count(swe):
    mix = allocators.osca(swe, [8])[0]
    pure = allocators.best_pure(swe, [8])[0]
    lists = drilldown.question_lists(swe, mix, pure, threshold=0.5)
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
        p_mix = bruteforce_mix(swe.n[i], swe.c[i], mix.counts)
        p_pure = float(pass_at_k(swe.n[i, j], swe.c[i, j], 8))
        if p_mix >= 0.5 - 1e-9 and p_pure < 0.5 - 1e-9:
            only.append(q)
    assert list(lists.only_mix) == only and len(only) > 0
    with pytest.raises(InputError):
        drilldown.question_lists(swe, mix, allocators.best_pure(swe, [9])[0])


def test_question_detail_numbers(swe):
    budget = 6
    allocs = {"osca": allocators.osca(swe, [budget])[0], "even": allocators.even(swe, [budget])[0]}
    q = swe.question_ids[17]
    per_cfg, per_strat = drilldown.question_detail(swe, q, budget, allocs)
    assert list(per_cfg["c"]) == list(swe.c[17])
    assert np.allclose(per_cfg[f"pure_pass@{budget}"], pass_at_k(swe.n[17], swe.c[17], budget))
    got = dict(zip(per_strat["strategy"], per_strat["pass"], strict=True))
    for name, a in allocs.items():
        assert got[name] == pytest.approx(bruteforce_mix(swe.n[17], swe.c[17], a.counts), abs=1e-12)
    uni, _ = allocators.uniform_expected(swe.n[17:18], swe.c[17:18], [budget])
    assert got["uniform"] == pytest.approx(uni[0], abs=1e-12)
    with pytest.raises(InputError):
        drilldown.question_detail(swe, "no such question", budget, allocs)


def test_compare_configs_counts_partition_the_questions(bcb):
    a, b = "Qwen_1.4", "Llama_1.4"
    cmp_ = drilldown.compare_configs(bcb, a, b)
    ia, ib = bcb.config_index([a, b])
    both = sum(1 for i in range(len(bcb.question_ids)) if bcb.c[i, ia] > 0 and bcb.c[i, ib] > 0)
    only_a = sum(1 for i in range(len(bcb.question_ids)) if bcb.c[i, ia] > 0 and bcb.c[i, ib] == 0)
    assert (cmp_.both, cmp_.only_a) == (both, only_a)
    assert cmp_.both + cmp_.only_a + cmp_.only_b + cmp_.neither == len(bcb.question_ids) == 148
    assert cmp_.mean_a == pytest.approx(float((bcb.c[:, ia] / 300).mean()))
    assert np.allclose(cmp_.frame["diff"], cmp_.frame["rate_a"] - cmp_.frame["rate_b"])
