"""The Allocation page under AppTest: shares of each budget (counts in the hover), a step area on a log axis when
the budgets reach above 32, the plan's sampling order as a strip with its expected cost beside its nominal cost,
and per-group plans where the dataset has question attributes."""

from __future__ import annotations

import numpy as np
import pytest
import streamlit as st
from appkit import APP, TIMEOUT, figures, fresh_app, run_app, store_release  # noqa: F401  (fresh_app: autouse)

from osca_core.data.importers import import_bytes
from osca_core.data.store import Store
from osca_core.strategies import groups, registry, stopping_plans


def stored_matrix(name: str):
    with Store.open(read_only=True) as s:
        return s.load_matrix(name)


def test_shares_on_a_log_axis_and_the_order_strip_with_its_expected_cost():
    at = run_app("allocation", dataset="osca-bigcodebench")
    share, strip = figures(at)[:2]
    assert share["layout"]["xaxis"]["type"] == "log"  # BigCodeBench 1..300
    areas = [t for t in share["data"] if t.get("stackgroup") == "one"]
    assert areas and all(t["groupnorm"] == "percent" and t["line"]["shape"] == "hv" for t in areas)
    assert all("samples (" in t["hovertext"][0] for t in areas)  # counts in the hover
    bcb = stored_matrix("osca-bigcodebench")
    assert at.select_slider(key="order_budget").value == 64
    (alloc,) = registry.allocate(bcb, "osca", [64])
    (plan,) = stopping_plans.schedules(bcb, [alloc])
    cells = {t["meta"]: t["base"] for t in strip["data"]}
    assert sum(len(b) for b in cells.values()) == 64
    order = [None] * 64
    for name, base in cells.items():
        for i in base:
            order[i] = name
    assert order == plan.order_names
    values = {m.label: m.value for m in at.metric}
    assert values["expected cost per question (stop when the verifier accepts)"] == f"{plan.expected_cost_test:.3f}"
    assert values["nominal cost (all C samples)"] == f"{plan.cost_without_stopping:g}"
    assert plan.expected_cost_test < plan.cost_without_stopping
    at.radio(key="alloc_y").set_value("counts").run()
    counts = figures(at)[0]
    assert not any(t.get("groupnorm") for t in counts["data"])


@pytest.mark.slow
def test_small_budgets_are_bars_of_shares_and_a_group_by_selector_plans_per_group():
    rows = ["question_id,config,n_samples,n_correct,difficulty"]
    rng = np.random.default_rng(0)
    for i in range(40):
        level = ("easy", "hard")[i % 2]
        p = (0.8, 0.1) if level == "easy" else (0.2, 0.5)
        rows += [f"p{i},m_0.2,10,{rng.binomial(10, p[0])},{level}", f"p{i},m_0.8,10,{rng.binomial(10, p[1])},{level}"]
    store_release()  # the release beside the test's own data, as after a first start
    with Store.open() as s:
        import_bytes(s, "attrs.csv", "\n".join(rows).encode(), name="with-attrs")
    st.cache_data.clear()
    at = run_app("allocation", dataset="with-attrs", split="release split", budget=["1", "8"])
    share = figures(at)[0]
    assert share["layout"]["barnorm"] == "percent" and share["layout"]["yaxis"]["range"] == [0, 100]
    at.selectbox(key="group_by").set_value("difficulty").run()
    assert not at.exception
    m = stored_matrix("with-attrs")
    (want,) = groups.group_plans(m, "difficulty", [8])
    table = at.dataframe[-1].value
    assert list(table["group"]) == [g.value for g in want.groups]
    np.testing.assert_allclose(table["test_pass"], [g.test_pass for g in want.groups], atol=1e-12)
    assert list(table["budget"]) == [8, 8]
    at.toggle(key="reallocate").set_value(True).run()
    (re,) = groups.group_plans(m, "difficulty", [8], reallocate=True)
    assert list(at.dataframe[-1].value["budget"]) == [g.budget for g in re.groups]
    assert not [c for c in at.caption if "Per-group plans use" in c.value]
    at.multiselect(key="ban").set_value(["multi-temperature"]).run()  # the plans ignore the ban: the page says so
    assert not at.exception
    assert [c for c in at.caption if "Per-group plans use the dataset's own split with all samples and no bans "
            "(this view uses bans on mixing (multi-temperature))" in c.value]
