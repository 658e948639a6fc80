"""Curves (landing page): test pass@C against the budget for every pure configuration, best pure, the uniform mix
and OSCA, with the compute-savings headline; the table has the columns of ``osca curves --json``."""

from __future__ import annotations

import streamlit as st

from osca_core import plots, registry, views
from osca_core.errors import InputError
from pages import _compute as compute
from pages import _render as ui
from pages import _shell
from pages._sidebar import View


def _headline(v: View) -> None:
    try:
        s = compute.savings(v.info.name, v.info.checksum, v.configs, v.budgets[1], v.setting_key)
    except InputError as e:
        ui.error(e)
        return
    head, detail = views.savings_headline(s, n_logged=int(v.matrix.n.min()))
    st.subheader(ui.text(head), anchor=False)
    st.caption(ui.text(detail))
    if v.setting.splits > 1:
        st.caption(ui.text(s.note))


def _table(curves) -> None:
    """The curves as ``osca curves --json`` rows (``Curve.rows``) plus each point's allocation."""
    with st.expander("Table"):
        pures = st.toggle("include pure configurations", key="curves_table_pures")
        rows = []
        for cv in curves:
            if registry.get(cv.strategy).is_pure and not pures:
                continue
            allocs = cv.allocations or (None,) * len(cv.budgets)
            rows += [dict(r, allocation=a.text if a is not None else "")
                     for r, a in zip(cv.rows(), allocs, strict=True)]
        st.dataframe(rows, hide_index=True, width="stretch")


def curves_page(v: View) -> None:
    c1, c2 = st.columns([5, 2])
    strats = c1.multiselect("Strategies", list(registry.names(dashboard=True)),
                            default=list(registry.names(dashboard_default=True)), key="strategies",
                            bind="query-params", format_func=views.strategy_label)
    pures = c2.toggle("Every pure configuration", value=True, key="pures", bind="query-params",
                      help="Draw each configuration alone (muted).")
    if v.full.in_sample and v.setting.train_fraction is None:
        st.warning("In-sample: this dataset's training and test questions are the same, so every number below is "
                   "a training number. Choose random splits in the sidebar's Training setup for held-out numbers.",
                   icon=":material/warning:")
    try:
        curves = compute.curves_with_progress(v, strats, pures=pures)
    except InputError as e:
        ui.error(e)
        return
    if "osca" in strats:
        _headline(v)
    title = f"{v.info.name}: test pass@C ({v.split_text})"
    fig = plots.curves_figure(curves, log2_x=v.log2, presentation=v.presentation, dark=v.dark, title=title,
                              n_min=int(v.full.n.min()))
    ui.chart(fig, "curves", v, key="curves_chart")
    st.caption("Hover a point to see the allocation behind it. Open circles: evaluated by extrapolation (some "
               "configuration asked for more samples than the logs hold, k > n; plug-in estimate). Best pure "
               "picks its configuration on training questions at each budget.")
    _table(curves)


_shell.serve("Accuracy against compute", curves_page)
