"""Questions: per-question outcomes. A questions x configurations heatmap of pass rates (sortable, filterable by
pass rate, attributes and id), a drill-down on one question, the lists of questions solved only by the mix / never
solved / solved by a single configuration, and an A-vs-B comparison of two configurations."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from osca_core import plots, views
from osca_core.errors import InputError
from pages import _access as data
from pages import _compute as compute
from pages import _render as ui
from pages import _shell
from pages._sidebar import View

HEATMAP_ROWS = 300
SORTS = ("question", "mean_pass", "solved_by", "best_pass")
DRILL_STRATEGIES = ("osca", "best-pure", "even")


def _attr_key(i: int, col: str) -> str:
    return f"attr{i}_" + re.sub(r"[^A-Za-z0-9]+", "_", str(col))[:24]


def _filters(frame: pd.DataFrame) -> pd.DataFrame:
    """Id search, pass-rate range, sorting and one multiselect per attribute; the questions they keep."""
    attrs = views.attribute_columns(frame)
    c1, c2, c3, c4 = st.columns([3, 3, 2, 1])
    search = c1.text_input("Question id contains", key="q", bind="query-params", placeholder="search ids")
    lo_hi = c2.slider("Mean pass rate over configurations", 0.0, 1.0, (0.0, 1.0), 0.01, key="pass",
                      bind="query-params")
    sort_by = c3.selectbox("Sort by", list(SORTS) + [a for a in attrs if a not in SORTS], key="sort",
                           bind="query-params")
    desc = c4.toggle("Descending", key="desc", bind="query-params")
    chosen = {}
    if attrs:
        cols = st.columns(min(4, len(attrs)))
        for i, col in enumerate(attrs):
            levels = sorted(frame[col].dropna().astype(str).unique().tolist())
            chosen[col] = cols[i % len(cols)].multiselect(ui.text(col), levels, key=_attr_key(i, col),
                                                          bind="query-params", placeholder="any")
    return views.filter_questions(frame, search=search or "", pass_range=tuple(lo_hi), attributes=chosen,
                                  sort_by=sort_by, descending=desc)


def _heatmap(v: View, frame: pd.DataFrame, shown: pd.DataFrame) -> None:
    m = v.matrix
    st.caption(f"{len(shown)} of {len(frame)} questions"
               + (f"; the heatmap shows the first {HEATMAP_ROWS}" if len(shown) > HEATMAP_ROWS else ""))
    if not len(shown):
        return
    ids = list(shown.index[:HEATMAP_ROWS])
    rates = views.pass_rates(m).loc[ids]
    n = pd.DataFrame(m.n, index=list(m.question_ids), columns=list(m.config_names)).loc[ids]
    c = pd.DataFrame(m.c, index=list(m.question_ids), columns=list(m.config_names)).loc[ids]
    fig = plots.heatmap_figure(rates, counts=(n, c), presentation=v.presentation, dark=v.dark,
                               title=f"{v.info.name}: pass rate c/n")
    ui.chart(fig, "heatmap", v, key="heatmap_chart")
    with st.expander("Table of the filtered questions"):
        st.dataframe(shown, width="stretch")


def _one_question(v: View, shown: pd.DataFrame) -> tuple[int, dict] | None:
    """The drill-down; returns (budget, {strategy: allocation}) for the lists below, None after an error."""
    m = v.matrix
    limit = views.budget_limit(v.full)
    d1, d2 = st.columns([3, 1])
    pool = list(shown.index) if len(shown) else list(m.question_ids)
    question = d1.selectbox("Question", pool, key="question", bind="query-params")
    budget = int(d2.number_input("Budget C", 1, limit, min(v.budgets[1], limit), key="qc", bind="query-params"))
    try:
        allocs = {s: compute.allocations(v.info.name, v.info.checksum, v.configs, s, (budget,), v.setting_key,
                                         0)[0] for s in DRILL_STRATEGIES}
    except InputError as e:
        ui.error(e)
        return None
    if question is not None:
        per_cfg, per_strat = views.question_detail(m, question, budget, allocs)
        fig = plots.question_figure(per_cfg, budget=budget, presentation=v.presentation, dark=v.dark,
                                    title=f"question {question}")
        ui.chart(fig, "question", v, key="question_chart")
        st.dataframe(per_strat, hide_index=True, width="stretch",
                     column_config={"pass": st.column_config.NumberColumn(f"pass@{budget}", format="%.4f")})
        with st.expander("Counts per configuration"):
            st.dataframe(per_cfg, hide_index=True, width="stretch")
    return budget, allocs


def _who_solves(v: View, budget: int, allocs: dict) -> None:
    m = v.matrix
    st.subheader(f"Who solves what at C = {budget}", anchor=False)
    tau = st.slider("Solved means pass@C at least", 0.05, 0.95, 0.5, 0.05, key="tau", bind="query-params")
    lists = views.question_lists(m, allocs["osca"], allocs["best-pure"], threshold=tau)
    pm, _ = views.per_question_pass(m, allocs["osca"].counts)
    pp, _ = views.per_question_pass(m, allocs["best-pure"].counts)
    idx = {q: i for i, q in enumerate(m.question_ids)}
    t1, t2, t3 = st.tabs([f"Only the mix ({len(lists.only_mix)})", f"Never solved ({len(lists.never_solved)})",
                          f"One configuration ({len(lists.single)})"])
    with t1:
        st.caption(f"The OSCA mix at C = {budget} solves these with probability >= {tau:g}; best pure "
                   f"({ui.text(allocs['best-pure'].text)}) does not.")
        st.dataframe(pd.DataFrame({"question": list(lists.only_mix),
                                   "osca_pass": [pm[idx[q]] for q in lists.only_mix],
                                   "best_pure_pass": [pp[idx[q]] for q in lists.only_mix]}),
                     hide_index=True, width="stretch")
    with t2:
        st.caption("No configuration produced a correct sample for these questions.")
        st.dataframe(pd.DataFrame({"question": list(lists.never_solved)}), hide_index=True, width="stretch")
    with t3:
        st.caption("Exactly one configuration produced a correct sample.")
        st.dataframe(pd.DataFrame({"question": list(lists.single), "configuration": list(lists.single.values())}),
                     hide_index=True, width="stretch")


def _a_against_b(v: View) -> None:
    m = v.matrix
    st.subheader("A against B", anchor=False)
    names = list(m.config_names)
    f1, f2 = st.columns(2)
    a = f1.selectbox("Configuration A", names, key="cfg_a", bind="query-params")
    b = f2.selectbox("Configuration B", names, index=min(1, len(names) - 1), key="cfg_b", bind="query-params")
    if a is None or b is None:
        return
    cmp_ = views.compare_configs(m, a, b)
    g = st.columns(6)
    g[0].metric("mean pass rate A", f"{cmp_.mean_a:.3f}")
    g[1].metric("mean pass rate B", f"{cmp_.mean_b:.3f}")
    g[2].metric("solved by both", cmp_.both)
    g[3].metric("only A", cmp_.only_a)
    g[4].metric("only B", cmp_.only_b)
    g[5].metric("neither", cmp_.neither)
    fig = plots.comparison_figure(cmp_.frame, a, b, presentation=v.presentation, dark=v.dark)
    ui.chart(fig, "a-vs-b", v, key="ab_chart")
    st.dataframe(cmp_.frame.sort_values("diff", key=abs, ascending=False), width="stretch")


def questions_page(v: View) -> None:
    frame = views.question_frame(v.matrix, data.question_table(v.info.name, v.info.checksum))
    st.subheader("Pass rates", anchor=False)
    shown = _filters(frame)
    _heatmap(v, frame, shown)
    st.divider()
    st.subheader("One question", anchor=False)
    picked = _one_question(v, shown)
    if picked is None:
        return
    st.divider()
    _who_solves(v, *picked)
    st.divider()
    _a_against_b(v)


_shell.serve("Question by question", questions_page)
