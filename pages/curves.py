"""Curves (landing page): test pass@C against the budget for every pure configuration, best pure, the uniform mix
and OSCA, with the compute-savings headline."""

from __future__ import annotations

import streamlit as st

from osca_core import plots, views
from osca_core.errors import InputError
from pages import _common as ui


def curves_page() -> None:
    st.title("Accuracy against compute")
    v = ui.page_view("curves")
    if v is None:
        return
    c1, c2 = st.columns([5, 2])
    strats = c1.multiselect("Strategies", list(ui.STRATEGY_CHOICES), default=ui.DEFAULT_STRATEGIES,
                            key="strategies", bind="query-params", format_func=views.strategy_label)
    pures = c2.toggle("Every pure configuration", value=True, key="pures", bind="query-params",
                      help="Draw each configuration alone (muted).")
    if v.full.in_sample and v.setting.train_fraction is None:
        st.warning("In-sample: this dataset's training and test questions are the same, so every number below is "
                   "a training number. Choose random splits in the sidebar's Training setup for held-out numbers.",
                   icon=":material/warning:")
    try:
        curves = ui.curves_with_progress(v, strats, pures=pures)
    except InputError as e:
        ui.error(e)
        return
    if "osca" in strats:
        try:
            s = ui.savings(v.info.name, v.info.checksum, v.configs, v.budgets[1], v.setting_key)
            head, detail = views.savings_headline(s, n_logged=int(v.matrix.n.min()))
            st.subheader(ui.text(head), anchor=False)
            st.caption(ui.text(detail))
            if v.setting.splits > 1:
                st.caption(ui.text(s.note))
        except InputError as e:
            ui.error(e)
    title = f"{v.info.name}: test pass@C ({v.split_text})"
    fig = plots.curves_figure(curves, log2_x=v.log2, presentation=v.presentation, dark=v.dark, title=title,
                              n_min=int(v.full.n.min()))
    ui.chart(fig, "curves", v, key="curves_chart")
    st.caption("Hover a point to see the allocation behind it. Open circles: evaluated by extrapolation (some "
               "configuration asked for more samples than the logs hold, k > n; plug-in estimate). Best pure "
               "picks its configuration on training questions at each budget.")
    rows = []
    for cv in curves:
        if cv.strategy.startswith("pure:") and not st.session_state.get("curves_table_pures"):
            continue
        for i, b in enumerate(cv.budgets):
            rows.append({"strategy": cv.strategy, "budget": b, "test_pass": cv.values[i],
                         "ci_low": None if cv.ci_low is None else cv.ci_low[i],
                         "ci_high": None if cv.ci_high is None else cv.ci_high[i],
                         "extrapolated": cv.extrapolated[i],
                         "allocation": views.allocation_text(cv.allocations[i].allocation)
                         if cv.allocations else ""})
    with st.expander("Table"):
        st.toggle("include pure configurations", key="curves_table_pures")
        st.dataframe(rows, hide_index=True, width="stretch")


curves_page()
