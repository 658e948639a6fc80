"""Questions: per-question outcomes. A questions x configurations heatmap of pass rates (sortable, filterable by
pass rate, attributes and id; above ``HEATMAP_ROWS`` questions the rows are aggregated into bins, sampled or cut,
as chosen), a drill-down on one question (with its per-sample rows, read back from the source when the dataset
kept counts only), histograms of per-question pass@1 and pass@C of the chosen strategies, the lists of questions
solved only by the mix / never solved / solved by a single configuration, and an A-vs-B comparison of two
configurations. Tables longer than ``PAGE_ROWS`` rows are shown a page at a time."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import streamlit as st

from osca_core.analysis.bootstrap import QuestionValues, strategy_values
from osca_core.errors import InputError
from osca_core.present import plots, views
from osca_core.present.uncertainty_plots import question_histogram_figure
from pages import _access as data
from pages import _compute as compute
from pages import _links as links
from pages import _render as ui
from pages import _shell
from pages._sidebar import View

HEATMAP_ROWS = 300
PAGE_ROWS = 500
HIST_STRATEGIES = ("osca", "osca-eb", "best-pure", "even", "uniform", "hillclimb")
SORTS = ("question", "mean_pass", "solved_by", "best_pass")
DRILL_STRATEGIES = ("osca", "best-pure", "even")


def _attr_key(i: int, col: str) -> str:
    return f"attr{i}_" + re.sub(r"[^A-Za-z0-9]+", "_", str(col))[:24]


def _filters(frame: pd.DataFrame, attrs: list[str]) -> pd.DataFrame:
    """Id search, pass-rate range, sorting and one multiselect per attribute (``attrs``, found on the dataset's
    own question table, so the URL keys ``attr<i>_<name>`` do not depend on the question set); the questions they
    keep."""
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


def _paged(df: pd.DataFrame, key: str, **kw) -> None:
    """``st.dataframe`` of ``df``, a page of :data:`PAGE_ROWS` rows at a time when it is longer (the page number
    is the URL parameter ``key``)."""
    pages = views.page_count(len(df), PAGE_ROWS)
    if pages > 1:
        c1, c2 = st.columns([1, 4], vertical_alignment="bottom")
        page = int(c1.number_input("Page", 1, pages, 1, key=key, bind="query-params"))
        lo = (page - 1) * PAGE_ROWS
        c2.caption(f"rows {lo + 1} to {min(lo + PAGE_ROWS, len(df))} of {len(df)} ({pages} pages)")
        df = views.page_of(df, page, PAGE_ROWS)
    st.dataframe(df, width="stretch", **kw)


def _heatmap(v: View, frame: pd.DataFrame, shown: pd.DataFrame) -> None:
    m = v.matrix
    mode = "first"
    if len(shown) > HEATMAP_ROWS:
        mode = st.segmented_control("Heatmap rows", views.HEATMAP_MODES, default="aggregate", key="hm",
                                    bind="query-params", required=True,
                                    help=f"More than {HEATMAP_ROWS} questions: aggregate consecutive questions "
                                         f"into {HEATMAP_ROWS} bins, sample {HEATMAP_ROWS} evenly, or show the "
                                         f"first {HEATMAP_ROWS} in the sort order.")
    if not len(shown):
        st.caption(f"0 of {len(frame)} questions")
        return
    ids = list(shown.index)
    rates = views.pass_rates(m).loc[ids]
    n = pd.DataFrame(m.n, index=list(m.question_ids), columns=list(m.config_names)).loc[ids]
    c = pd.DataFrame(m.c, index=list(m.question_ids), columns=list(m.config_names)).loc[ids]
    rates, n, c, what = views.heatmap_rows(rates, n, c, limit=HEATMAP_ROWS, mode=mode or "aggregate")
    title = f"{v.info.name}: pass rate c/n"
    if len(rates.columns) > HEATMAP_ROWS:  # configurations aggregated as questions are (issue 24)
        order = [k.name for k in views.ordered_configs(m.configs)]
        rates, n, c, cwhat = views.heatmap_columns(rates[order], n[order], c[order], limit=HEATMAP_ROWS)
        st.caption(f"The heatmap shows {cwhat}.")
        title += f" ({len(m.configs)} configurations in {HEATMAP_ROWS} bins)"
    st.caption(f"{len(shown)} of {len(frame)} questions"
               + (f"; the heatmap shows {what}" if len(shown) > HEATMAP_ROWS else ""))
    fig = plots.heatmap_figure(rates, counts=(n, c), presentation=v.presentation, dark=v.dark, title=title)
    ui.chart(fig, "heatmap", v, key="heatmap_chart")
    with st.expander("Table of the filtered questions"):
        _paged(shown, "qpage")


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
        _samples(v, question)
    return budget, allocs


def _samples(v: View, question: str) -> None:
    """The question's per-sample rows, on request: from the store, or read back from the source (a Parquet
    dataset imported in place keeps counts only and records where its samples live)."""
    src = v.info.samples_source
    label = "Read this question's samples" + (" back from the source" if src else "")
    if not st.toggle(label, key="samples", bind="query-params",
                     help=f"Samples live in {src}" if src else "The per-sample rows stored with the dataset."):
        return
    try:
        df = data.question_samples(v.info.name, v.info.checksum, question)
    except InputError as e:
        ui.error(e)
        return
    if df is None:
        st.caption("This dataset holds counts only: its import kept no per-sample rows.")
        return
    st.caption(ui.text(f"{len(df)} samples of {question}" + (f", read from {src}" if src else ", from the store")))
    _paged(df, "spage", hide_index=True)


@st.cache_data(max_entries=32, show_spinner="Evaluating the strategies per question ...")
def _question_values(name: str, checksum: str, configs: tuple[str, ...], strategies: tuple[str, ...],
                     budget: int, seed: int) -> QuestionValues:
    m = compute.view_matrix(name, checksum, configs)
    return strategy_values(m, list(strategies), sorted({1, budget}), seed=seed)


def _histogram(v: View, budget: int) -> None:
    st.subheader("Per-question pass rates", anchor=False)
    chosen = st.multiselect("Strategies", list(HIST_STRATEGIES), default=["osca", "best-pure"], key="hist",
                            bind="query-params", help="Each strategy is fitted on the training questions of the "
                                                      "dataset's split and evaluated per test question.")
    if not chosen:
        st.caption("Choose at least one strategy.")
        return
    try:
        qv = _question_values(v.info.name, v.info.checksum, v.configs, tuple(chosen), budget, v.setting.seed)
    except InputError as e:
        ui.error(e)
        return
    fig = question_histogram_figure({s: qv.at(s, 1) for s in chosen}, {s: qv.at(s, budget) for s in chosen},
                                    budget=budget, presentation=v.presentation, dark=v.dark,
                                    title=f"{v.info.name}: {len(qv.question_ids)} test questions")
    ui.chart(fig, "question-histogram", v, key="hist_chart")
    st.caption(f"How many test questions ({ui.text(v.full.split_label)}) sit near 0 or near 1 behind each mean: "
               f"the left panel at C = 1, the right at C = {budget}.")


def _who_solves(v: View, budget: int, allocs: dict, keep, which: str) -> None:
    m = v.matrix
    st.subheader(f"Who solves what at C = {budget}", anchor=False)
    tau = st.slider("Solved means pass@C at least", 0.05, 0.95, 0.5, 0.05, key="tau", bind="query-params")
    st.caption(f"Over the {int(keep.sum())} {_SET_WORDS[which]} (switch above).")
    lists = views.question_lists(m, allocs["osca"], allocs["best-pure"], threshold=tau, keep=keep)
    pm, _ = views.per_question_pass(m, allocs["osca"].counts)
    pp, _ = views.per_question_pass(m, allocs["best-pure"].counts)
    idx = {q: i for i, q in enumerate(m.question_ids)}
    t1, t2, t3 = st.tabs([f"Only the mix ({len(lists.only_mix)})", f"Never solved ({len(lists.never_solved)})",
                          f"One configuration ({len(lists.single)})"])
    with t1:
        st.caption(f"The OSCA mix at C = {budget} solves these with probability >= {tau:g}; best pure "
                   f"({ui.text(allocs['best-pure'].text)}) does not.")
        _paged(pd.DataFrame({"question": list(lists.only_mix),
                             "osca_pass": [pm[idx[q]] for q in lists.only_mix],
                             "best_pure_pass": [pp[idx[q]] for q in lists.only_mix]}), "p_mix", hide_index=True)
    with t2:
        st.caption("No configuration produced a correct sample for these questions.")
        _paged(pd.DataFrame({"question": list(lists.never_solved)}), "p_never", hide_index=True)
    with t3:
        st.caption("Exactly one configuration produced a correct sample.")
        _paged(pd.DataFrame({"question": list(lists.single), "configuration": list(lists.single.values())}),
               "p_single", hide_index=True)


def _a_against_b(v: View, keep, which: str) -> None:
    m = v.matrix
    st.subheader("A against B", anchor=False)
    names = list(m.config_names)
    f1, f2 = st.columns(2)
    a = f1.selectbox("Configuration A", names, key="cfg_a", bind="query-params")
    b = f2.selectbox("Configuration B", names, index=min(1, len(names) - 1), key="cfg_b", bind="query-params")
    if a is None or b is None:
        return
    cmp_ = views.compare_configs(m, a, b, keep=keep)
    st.caption(f"Over the {int(keep.sum())} {_SET_WORDS[which]}.")
    g = st.columns(6)
    g[0].metric("mean pass rate A", f"{cmp_.mean_a:.3f}")
    g[1].metric("mean pass rate B", f"{cmp_.mean_b:.3f}")
    g[2].metric("solved by both", cmp_.both)
    g[3].metric("only A", cmp_.only_a)
    g[4].metric("only B", cmp_.only_b)
    g[5].metric("neither", cmp_.neither)
    fig = plots.comparison_figure(cmp_.frame, a, b, presentation=v.presentation, dark=v.dark)
    ui.chart(fig, "a-vs-b", v, key="ab_chart")
    _paged(cmp_.frame.sort_values("diff", key=abs, ascending=False), "p_ab")


_SET_WORDS = {"test": "test questions", "training": "training questions", "all": "questions"}


def _question_set(v: View):
    """The switch "Questions counted" (test by default: where every strategy is scored) and its mask over the view's
    questions, with one line naming the set and the split."""
    train, test = compute.split_masks(v.info.name, v.info.checksum, v.configs, v.setting_key)
    which = st.segmented_control("Questions counted", list(views.QUESTION_SETS), default=views.DEFAULT_SET,
                                 key="qset", bind="query-params", required=True,
                                 help="Per-question views count the test questions of the split (where the "
                                      "strategies are scored) unless you switch to the training questions or "
                                      "all of them.") or views.DEFAULT_SET
    keep = views.question_set_mask(train, test, which)
    split = v.split_text + (", split 1 of the setting" if v.setting.train_fraction is not None else "")
    st.caption(ui.text(views.question_set_label(which, int(keep.sum()), len(keep), split,
                                                in_sample=bool((train == test).all()))))
    return which, keep, train, test


def questions_page(v: View) -> None:
    note = data.missing_note(v.info.name, v.info.checksum)
    if note:
        st.caption(ui.text("Analyses: " + note))
    limit = views.budget_limit(v.full)
    links.guard({"qc": (1, limit, True, 1), "tau": (0.05, 0.95, False, 1), "pass": (0.0, 1.0, False, 2)},
                booleans=("desc", "samples"))
    links.choices("qset", views.QUESTION_SETS, "test, training or all")
    which, keep, train, test = _question_set(v)
    frame = views.question_frame(v.matrix, data.question_table(v.info.name, v.info.checksum))
    attrs = views.attribute_columns(frame)
    frame["split"] = np.where(train & test, "train+test", np.where(train, "train", "test"))
    frame = frame[keep]
    st.subheader("Pass rates", anchor=False)
    shown = _filters(frame, attrs)
    _heatmap(v, frame, shown)
    st.divider()
    st.subheader("One question", anchor=False)
    picked = _one_question(v, shown)
    if picked is None:
        return
    st.divider()
    _histogram(v, picked[0])
    st.divider()
    _who_solves(v, *picked, keep, which)
    st.divider()
    _a_against_b(v, keep, which)


_shell.serve("Question by question", questions_page, __name__)
