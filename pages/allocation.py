"""Allocation: how the optimized allocation spends each budget (stacked by configuration, model or temperature),
the table of counts, and the plan as CSV / JSON (counts per configuration, budget, seed, split, checksum)."""

from __future__ import annotations

import json

import streamlit as st

from osca_core import plots, registry, views
from osca_core.errors import InputError
from pages import _compute as compute
from pages import _render as ui
from pages import _shell
from pages._sidebar import View

# the strategies with a fixed allocation per budget, OSCA first (the page opens on it)
STRATEGIES = tuple(sorted(registry.names(dashboard=True, kind="allocation"), key=lambda n: n != "osca"))
GROUPS = views.GROUPINGS


def _downloads(v: View, allocs, strategy: str, split: int, split_text: str) -> None:
    meta = dict(dataset=v.info.name, checksum=v.info.checksum, split=split_text, seed=v.setting.seed,
                strategy=strategy)
    plan = views.plan_json(allocs, configs=v.configs, setting=v.setting.as_dict(), split_index=split, **meta)
    d1, d2, _ = st.columns([1, 1, 4])
    d1.download_button("Plan as CSV", views.plan_csv(allocs, **meta), file_name=f"osca-plan-{strategy}.csv",
                       mime="text/csv", icon=":material/download:", on_click="ignore")
    d2.download_button("Plan as JSON", json.dumps(plan, indent=2), file_name=f"osca-plan-{strategy}.json",
                       mime="application/json", icon=":material/download:", on_click="ignore")


def allocation_page(v: View) -> None:
    c1, c2, c3, c4 = st.columns([2, 3, 2, 2])
    strategy = c1.selectbox("Strategy", STRATEGIES, key="strategy", bind="query-params")
    group = c2.radio("Stack by", GROUPS, key="group", bind="query-params", horizontal=True)
    kind = c3.radio("Chart", ("bar", "area"), key="kind", bind="query-params", horizontal=True)
    split = 0
    if v.setting.splits > 1:
        split = int(c4.number_input(f"Split (0 to {v.setting.splits - 1})", 0, v.setting.splits - 1, 0,
                                    key="split_no", bind="query-params"))
    try:
        allocs = compute.allocations(v.info.name, v.info.checksum, v.configs, strategy, tuple(v.grid),
                                     v.setting_key, split)
    except InputError as e:
        ui.error(e)
        return
    split_text = v.split_text + (f", split {split}" if v.setting.splits > 1 else "")
    if v.full.in_sample and v.setting.train_fraction is None:
        st.caption("In-sample dataset: test pass equals the training numbers on the same questions.")
    frame = views.allocation_long(allocs, v.matrix.configs, group_by=group)
    fig = plots.allocation_figure(frame, kind=kind, log2_x=v.log2, presentation=v.presentation, dark=v.dark,
                                  colors=plots.allocation_colors(v.matrix.configs, group),
                                  title=f"{v.info.name}: {views.strategy_label(strategy)} allocation "
                                        f"({split_text})")
    ui.chart(fig, "allocation", v, key="allocation_chart")
    st.dataframe(views.allocation_wide(allocs), hide_index=True, width="stretch",
                 column_config={"train_pass": st.column_config.NumberColumn(format="%.5f"),
                                "test_pass": st.column_config.NumberColumn(format="%.5f")})
    _downloads(v, allocs, strategy, split, split_text)
    st.caption("Each row's train and test numbers are exactly what its counts score: training objective on the "
               "training questions (plug-in), test pass@C on the test questions (unbiased; plug-in where k > n, "
               "flagged).")


_shell.serve("How the budget is spent", allocation_page)
