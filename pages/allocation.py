"""Allocation: how the optimized allocation spends each budget, as shares of the budget per configuration (or
model / temperature; counts in the hover and the table) on a log budget axis when the budgets reach above 32; the
plan's sampling order at one budget as a strip of coloured cells (stable colour per configuration) with its
expected cost under early stopping beside its nominal cost; per-group plans where the dataset has question
attributes; the table of counts, and the plan as CSV / JSON (counts per configuration, budget, seed, split,
checksum)."""

from __future__ import annotations

import json

import streamlit as st

from osca_core.errors import InputError
from osca_core.present import plots, stopping_plots, views, wide
from osca_core.strategies import registry
from pages import _compute as compute
from pages import _render as ui
from pages import _shell
from pages._next_panel import next_panel
from pages._sidebar import View

# the strategies with a fixed allocation per budget, OSCA first (the page opens on it)
STRATEGIES = tuple(sorted(registry.names(dashboard=True, kind="allocation"), key=lambda n: n != "osca"))
GROUPS = views.GROUPINGS
NO_GROUPS = "(none)"


def _downloads(v: View, allocs, strategy: str, split: int, split_text: str) -> None:
    meta = dict(dataset=v.info.name, checksum=v.info.checksum, split=split_text, seed=v.setting.seed,
                strategy=strategy)
    plan = views.plan_json(allocs, configs=v.configs, setting=v.setting.as_dict(), split_index=split, **meta)
    d1, d2, _ = st.columns([1, 1, 4])
    d1.download_button("Plan as CSV", views.plan_csv(allocs, **meta), file_name=f"osca-plan-{strategy}.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore")
    d2.download_button("Plan as JSON", json.dumps(plan, indent=2), file_name=f"osca-plan-{strategy}.json",
                       mime="application/json", icon=":material/download:", on_click="ignore")


def share_chart(v: View, allocs, group: str, kind: str, shares: bool, title: str):
    """Stacked shares (percent of each budget; ``shares=False``: samples) per group, counts in the hover; step
    areas on a log2 axis when the sidebar's axis is logarithmic."""
    from pages import _selection
    axis = group.removeprefix("axis: ") if group.startswith("axis: ") else None
    frame = views.allocation_long(allocs, v.matrix.configs, group_by="configuration" if axis else group)
    colors = plots.allocation_colors(v.matrix.configs, group) if not axis else None
    if axis:
        ax = _selection.config_axes(v.info.name, v.info.checksum, st.session_state.get(_selection.PATTERN_KEY, ""))
        frame = wide.regroup(frame, dict(zip(ax.configs, ax.values[axis], strict=True)))
    elif frame["group"].nunique() > wide.REST_ABOVE:
        frame = wide.regroup(frame)
    if any(str(g).startswith(wide.REST) for g in frame["group"].cat.categories):
        title = f"{title}; the {wide.REST_ABOVE} largest groups, the others as one rest share"
    fig = plots.allocation_figure(frame, kind=kind, log2_x=v.log2, presentation=v.presentation, dark=v.dark,
                                  colors=colors, title=title)
    if shares:
        if kind == "area":
            fig.update_traces(groupnorm="percent", line_shape="hv", selector=dict(type="scatter"))
        else:
            fig.update_layout(barnorm="percent")
        fig.update_layout(yaxis=dict(title="share of the budget (%)", range=[0, 100]))
    return fig


def ui_prune_note(v: View, strategy: str) -> None:
    """How many configurations OSCA's search left out, with the proof's name (``_compute.prune_report``)."""
    if strategy != "osca" or compute.not_one_split(v) is not None:
        return
    rep = compute.prune_report(v.info.name, v.info.checksum, v.configs, tuple(v.grid))
    if rep is not None:
        st.caption(rep.note())


def _stack_options(v: View) -> list[str]:
    """The groupings, then the configuration axes beyond model and temperature (``axis: prompt``, ...)."""
    from pages import _selection
    ax = _selection.config_axes(v.info.name, v.info.checksum, st.session_state.get(_selection.PATTERN_KEY, ""))
    return list(GROUPS) + [f"axis: {a}" for a in ax.names if a not in ("model", "temperature")]


def _order(v: View, allocs, strategy: str, split: int) -> int:
    """The plan's sampling order at one budget as a strip, its expected cost beside its nominal cost."""
    budgets = [a.budget for a in allocs]
    st.subheader("Sampling order", anchor=False)
    if st.session_state.get("order_budget") not in budgets:  # another budget range: back to the default
        st.session_state.pop("order_budget", None)
    b = st.select_slider("Budget C", budgets, value=max((x for x in budgets if x <= 64), default=budgets[0]),
                         key="order_budget", bind="query-params",
                         help="The plan at this budget, sampled first to last until a sample passes.")
    alloc = next(a for a in allocs if a.budget == b)
    (plan,) = compute.schedules(v.info.name, v.info.checksum, v.configs, v.setting_key, split, (alloc,))
    colors = plots.allocation_colors(v.matrix.configs, "configuration")
    fig = stopping_plots.order_strip_figure(plan.order_names, colors, presentation=v.presentation, dark=v.dark,
                                   title=f"{views.strategy_label(strategy)} at C = {b}: sampling order")
    ui.chart(fig, "order", v, key="order_chart")
    m1, m2, m3 = st.columns(3)
    m1.metric("expected cost per question (stop when the verifier accepts)", f"{plan.expected_cost_test:.3f}")
    m2.metric("nominal cost (all C samples)", f"{plan.cost_without_stopping:g}")
    m3.metric("test pass@C", f"{plan.test_pass:.4f}")
    st.caption(("Order exact (shortest path over the counts lattice)." if plan.order_exact else
                f"Order by the bounded heuristic (lattice too large); training expected cost "
                f"{plan.expected_cost_train:.3f}, lower bound {plan.lower_bound:.3f}.")
               + " Expected cost on the test questions; the order is chosen on training. "
                 "Pass@C does not depend on the order.")
    return int(b)


def _groups(v: View, budget: int) -> None:
    """A separate OSCA mix per value of a question attribute, at the order strip's budget."""
    attrs = sorted(v.full.question_attrs)
    if not attrs:
        return
    st.subheader("Per question group", anchor=False)
    c1, c2 = st.columns([3, 2])
    attr = c1.selectbox("Group by (question attribute)", [NO_GROUPS, *attrs], key="group_by",
                        bind="query-params", help="A separate OSCA mix per group, learned on that group's "
                                                  "training questions (groups under 10 use the global mix).")
    realloc = c2.toggle("Reallocate budgets between groups", key="reallocate", bind="query-params",
                        help="C is the average per question; groups get different budgets (exact knapsack).")
    if attr == NO_GROUPS:
        return
    why = compute.not_one_split(v)
    if why:
        st.caption(f"Per-group plans use the dataset's own split with all samples and no bans (this view uses "
                   f"{why}).")
    try:
        (plan,) = compute.group_plans(v.info.name, v.info.checksum, v.configs, attr, (budget,), bool(realloc))
    except InputError as e:
        ui.error(e)
        return
    rows = [dict(group=g.value, train_questions=g.train_questions, test_questions=g.test_questions,
                 budget=g.budget, train_pass=g.train_pass, test_pass=g.test_pass, own_mix=g.own_mix,
                 allocation=", ".join(f"{k} x{n}" for k, n in g.allocation.items())) for g in plan.groups]
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={"train_pass": st.column_config.NumberColumn(format="%.5f"),
                                "test_pass": st.column_config.NumberColumn(format="%.5f")})
    st.caption(ui.text(f"Grouped by {attr} at C = {budget}: overall test pass@C {plan.test_pass:.5f} "
                       f"(mean budget {plan.mean_budget_test:.2f} per test question)"
                       + (", some terms extrapolated (k > n)" if plan.extrapolated else "")))


def allocation_page(v: View) -> None:
    problem = compute.too_many_configs(v)
    if problem:
        st.warning(problem, icon=":material/filter_alt:")
        return
    top = v.grid[-1]
    c1, c2, c3, c4, c5 = st.columns([2, 3, 2, 2, 2])
    strategy = c1.selectbox("Strategy", STRATEGIES, key="strategy", bind="query-params")
    group = c2.radio("Stack by", _stack_options(v), key="group", bind="query-params", horizontal=True,
                     help="A grouping of the configurations, or one of their axes (sidebar: Configurations); "
                              f"above {wide.REST_ABOVE} groups the smallest are summed into one rest share.")
    kind = c3.radio("Chart", ("bar", "area"), index=1 if views.log_axis_default(top) else 0, key="kind",
                    bind="query-params", horizontal=True,
                    help="Areas (steps) by default when the budgets reach above 32: bars get hair-thin.")
    shares = c4.radio("Show", ("shares", "counts"), key="alloc_y", bind="query-params", horizontal=True,
                      help="Shares of each budget (counts in the hover and the table), or samples.") == "shares"
    split = 0
    if v.setting.splits > 1:
        split = int(c5.number_input(f"Split (0 to {v.setting.splits - 1})", 0, v.setting.splits - 1, 0,
                                    key="split_no", bind="query-params"))
    try:
        allocs = compute.allocations(v.info.name, v.info.checksum, v.configs, strategy, tuple(v.grid),
                                     v.setting_key, split)
    except InputError as e:
        ui.error(e)
        return
    split_text = v.split_text + (f", split {split}" if v.setting.splits > 1 else "")
    ui_prune_note(v, strategy)
    if v.full.in_sample and v.setting.train_fraction is None:
        st.caption("In-sample dataset: test pass equals the training numbers on the same questions.")
    fig = share_chart(v, allocs, group, kind, shares, f"{v.info.name}: {views.strategy_label(strategy)} "
                                                      f"allocation ({split_text})")
    ui.chart(fig, "allocation", v, key="allocation_chart")
    ui.figure_downloads(fig, "allocation", v, key="dl_allocation")
    st.dataframe(views.allocation_wide(allocs), hide_index=True, width="stretch",
                 column_config={"train_pass": st.column_config.NumberColumn(format="%.5f"),
                                "test_pass": st.column_config.NumberColumn(format="%.5f")})
    _downloads(v, allocs, strategy, split, split_text)
    st.caption("Each row's train and test numbers are exactly what its counts score: training objective on the "
               "training questions (plug-in), test pass@C on the test questions (unbiased; plug-in where k > n, "
               "flagged).")
    try:
        budget = _order(v, allocs, strategy, split)
    except InputError as e:
        ui.error(e)
        return
    _groups(v, budget)
    next_panel(v)


_shell.serve("How the budget is spent", allocation_page, __name__)
