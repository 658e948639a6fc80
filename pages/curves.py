"""Curves (landing page): test pass@C against the budget for every pure configuration, best pure, the uniform mix
and OSCA (and, when chosen, the test-set oracle drawn dashed and osca-stop), with the compute-savings headline.

Bands by default (switch ``bands``): on one split (the dataset's own split, all samples, no bans) a bootstrap over test questions with
the allocations fixed (B = 1000, ``paired.bootstrap_values`` over cached per-question values), with the paired
difference OSCA - best pure in a small chart and its headline interval; on random splits the percentiles over
splits, as before. OSCA is certified by default where that stays fast (``_compute.certify_default``). The switch
``stop`` ("stop when the verifier accepts") puts the expected cost per question on the x axis. The table has the
columns of ``osca curves --json``; the report and every chart download from here."""

from __future__ import annotations

import dataclasses

import streamlit as st

from osca_core.errors import InputError
from osca_core.model.results import Curve
from osca_core.present import plots, report, stopping_plots, uncertainty_plots, views
from osca_core.strategies import registry
from pages import _compute as compute
from pages import _links as links
from pages import _render as ui
from pages import _shell
from pages._sidebar import View

PAIR = ("osca", "best-pure")
# The options are the registry names with no format_func: Streamlit writes a bound multiselect's formatted
# values into the URL, so the URL holds the names (``strategies=osca``, as docs/dashboard.md and report.dashboard_url say).
_STRATEGY_HELP = ("Registry names: " + ", ".join(f"{n} = {views.strategy_label(n)}"
                                                 for n in registry.names(dashboard=True))
                  + ". The test-set oracle is a ceiling (it knows each test question's counts), drawn dashed, "
                    "never a baseline; osca-stop plans for early stopping.")


def _headline(v: View) -> None:
    """The one headline rule (``analysis.headline``, as ``osca savings`` and the report): measured points only,
    the ratio with its interval, "No saving" said plainly, the modelled reading beside it, labelled."""
    try:
        with st.spinner("Compute savings (bootstrap over test questions) ..."):
            s, h = compute.headline(v.info.name, v.info.checksum, v.configs, v.budgets[1], v.setting_key)
    except InputError as e:
        ui.error(e)
        return
    st.subheader(ui.text(h.text), anchor=False)
    # presentation mode: the headline alone above the chart (it must fit under it at 1280x720), the rest folded
    box = st.expander("Headline details") if v.presentation else st.container()
    box.caption(ui.text(h.detail))
    if h.modelled:
        box.caption(ui.text(h.modelled))
    if v.setting.splits > 1 or h.kind == "unstable":
        box.caption(ui.text(s.note))


def _own_split(v: View) -> bool:
    """The view is scored on the dataset's own split with all samples and no bans (``_compute.not_one_split``)."""
    return compute.not_one_split(v) is None


def _bootstrappable(strategy: str) -> bool:
    return registry.has_question_values(strategy)


def _boot_names(strats: list[str]) -> tuple[str, ...]:
    """The strategies of the bootstrap: the chosen ones that have per-question values, plus OSCA and best pure."""
    names = [s for s in strats if _bootstrappable(s)]
    return tuple(names + [s for s in PAIR if s not in names])


def _bootstrap(v: View, strats: list[str]):
    """The bootstrap over test questions of the chosen strategies plus OSCA and best pure (for the difference)."""
    names = _boot_names(strats)
    return compute.curve_bootstrap(v.info.name, v.info.checksum, v.configs, names, tuple(v.grid),
                                   v.setting.seed, compute.N_RESAMPLES, v.setting.seed)


def _with_bands(curves: list[Curve], boot) -> list[Curve]:
    out = []
    for cv in curves:
        if boot is not None and cv.strategy in boot.strategies:
            b = boot.curve(cv.strategy)
            cv = dataclasses.replace(cv, ci_low=b.ci_low, ci_high=b.ci_high)
        out.append(cv)
    return out


def _without_bands(curves: list[Curve]) -> list[Curve]:
    return [dataclasses.replace(cv, ci_low=None, ci_high=None) for cv in curves]


def _certified(v: View, curves: list[Curve]) -> tuple[list[Curve], int | None]:
    """OSCA's curve with MILP certificates where the view is small enough; (curves, certified points or None)."""
    if not _own_split(v) or not compute.certify_default(v) or not any(c.strategy == "osca" for c in curves):
        return curves, None
    allocs = compute.certified_osca(v.info.name, v.info.checksum, v.configs, tuple(v.grid))
    out = []
    for cv in curves:
        if cv.strategy == "osca":
            cv = compute.with_ranges(v, dataclasses.replace(
                cv, values=tuple(a.test_pass for a in allocs), extrapolated=tuple(a.extrapolated for a in allocs),
                allocations=tuple(allocs)))
        out.append(cv)
    return out, sum(bool(a.certified) for a in allocs)


def _difference(v: View, boot) -> None:
    """The paired difference OSCA - best pure with its band, and its headline at the largest budget."""
    d = boot.difference(*PAIR)
    top = max(d.budgets)
    i = d.budgets.index(top)
    ins = " (in-sample: training and test questions are the same)" if boot.in_sample else ""
    verdict = "excludes 0" if d.excludes_zero[i] else "includes 0"
    st.markdown(f"**OSCA - best pure at C = {top}: {d.diff[i]:+.4f}**, {100 * d.level:g}% interval "
                f"{d.ci_low[i]:+.4f} to {d.ci_high[i]:+.4f} ({verdict}; paired bootstrap over "
                f"{boot.test_questions} test questions, B = {boot.n_resamples}){ins}")
    method = "bootstrap over " + ("the (in-sample) questions" if boot.in_sample else "test questions")
    fig = uncertainty_plots.difference_figure(d, log2_x=v.log2, presentation=v.presentation, dark=v.dark,
                                              method=method, title="OSCA - best pure (paired)")
    fig.update_layout(height=360 if v.presentation else 300)
    ui.chart(fig, "difference", v, key="difference_chart")
    ui.figure_downloads(fig, "difference", v, key="dl_difference")


def _stop_figure(v: View, curves: list[Curve]):
    costs = {cv.strategy: compute.expected_costs(v.info.name, v.info.checksum, v.configs, cv.strategy,
                                                 tuple(cv.budgets), v.setting.seed)[0] for cv in curves}
    title = f"{v.info.name}: test pass@C against expected cost ({v.split_text})"
    return stopping_plots.expected_cost_figure(curves, costs, log2_x=v.log2, presentation=v.presentation, dark=v.dark,
                                      title=title)


def _stop_costs_line(v: View, curves: list[Curve]) -> None:
    """Under early stopping, what OSCA and best pure spend at the top budget (expected samples per test question),
    the stop view's own headline beside the nominal one."""
    top = max(v.grid)
    parts = []
    for cv in curves:
        if cv.strategy in PAIR and top in cv.budgets:
            cost = compute.expected_costs(v.info.name, v.info.checksum, v.configs, cv.strategy, tuple(cv.budgets),
                                          v.setting.seed)[0][list(cv.budgets).index(top)]
            parts.append(f"{views.strategy_label(cv.strategy)} {float(cost):.2f}")
    if parts:
        st.markdown(ui.text(f"Stopping at the first accepted sample, at C = {top}: expected samples per test "
                            "question " + ", ".join(parts) + "."))


def _table(curves, *, certified: bool = False) -> None:
    """The curves as ``osca curves --json`` rows (``Curve.rows``) plus each point's allocation (and, when OSCA
    was certified, whether each point is certified optimal on training)."""
    with st.expander("Table"):
        pures = st.toggle("include pure configurations", key="curves_table_pures")
        rows = []
        for cv in curves:
            if registry.get(cv.strategy).is_pure and not pures:
                continue
            allocs = cv.allocations or (None,) * len(cv.budgets)
            rows += [dict(r, allocation=a.text if a is not None else "",
                          **({"certified": bool(a is not None and a.certified)} if certified else {}))
                     for r, a in zip(cv.rows(), allocs, strict=True)]
        st.dataframe(rows, hide_index=True, width="stretch")


def _report_button(v: View, strats: list[str], *, pures: bool) -> None:
    """ "Download report (HTML)": the self-contained report of this view (dataset's own split), made on click; its
    link back is this server's own address (``_links.server_base``) with the view's state (``pures`` included)."""
    budgets = tuple(v.grid)
    names = tuple(dict.fromkeys([s for s in strats if s in registry.names(dashboard=True)] + ["best-pure", "osca"]))
    subset = None if len(v.configs) == len(v.full.configs) else list(v.configs)
    cmd = report.command(dataset=v.info.name, budgets=budgets, strategies=names, configs=subset,
                         n_resamples=compute.N_RESAMPLES, seed=v.setting.seed)
    url = report.dashboard_url(links.server_base(), v.info.name, budgets, seed=v.setting.seed, log2=v.log2,
                               strategies=names, configs=subset, pures=pures)

    def make() -> str:
        try:
            return compute.report(v.info.name, v.info.checksum, v.configs, budgets, names, v.setting.seed, cmd, url)
        except InputError as e:
            st.session_state[ui.EXPORT_ERROR] = str(e)
            return str(e)

    st.download_button("Download report (HTML)", make, file_name=f"osca-report-{v.info.name}.html",
                       mime="text/html", icon=":material/description:", on_click="ignore", key="report_download",
                       help="One self-contained HTML file (opens offline): curves with bands, allocation, "
                            "savings with its interval, questions, provenance. On the dataset's own split.")


def curves_page(v: View) -> None:
    problem = compute.too_many_configs(v)
    if problem:
        st.warning(problem, icon=":material/filter_alt:")
        return
    links.guard(booleans=("pures", "bands", "stop"))
    links.choices("strategies", registry.names(dashboard=True), "no such strategy on the dashboard")
    box = st.expander("Chart controls") if v.presentation else st.container()  # fewer controls on a projector
    c1, c2, c3, c4 = box.columns([5, 2, 2, 2])
    strats = c1.multiselect("Strategies", list(registry.names(dashboard=True)),
                            default=list(registry.names(dashboard_default=True)), key="strategies",
                            bind="query-params", help=_STRATEGY_HELP)
    pures = c2.toggle("Every pure configuration", value=True, key="pures", bind="query-params",
                      help="Draw each configuration alone (muted).")
    bands = c3.toggle("Bands", value=True, key="bands", bind="query-params",
                      help="95% intervals: a bootstrap over test questions (B = 1000, allocations fixed) on one "
                           "split; the percentiles over splits on random splits.")
    stop = c4.toggle("Stop when the verifier accepts", value=False, key="stop", bind="query-params",
                     help="x axis: expected cost per question when sampling stops at the first passing sample "
                          "(each plan in its best order on training).")
    if v.full.in_sample and v.setting.train_fraction is None:
        st.warning("In-sample: this dataset's training and test questions are the same, so every number below is "
                   "a training number. Choose random splits in the sidebar's Training setup for held-out numbers.",
                   icon=":material/warning:")
    try:
        why = compute.not_one_split(v)  # None: the view is scored on the dataset's own split, as is
        one_split = why is None
        fitted = None
        if bands and one_split:  # the bootstrap's per-question values carry the fitted allocations: fit once
            with st.spinner("Fitting the strategies on the training questions ..."):
                names = _boot_names(strats)
                fitted = compute.question_values(v.info.name, v.info.checksum, v.configs, names, tuple(v.grid),
                                                 v.setting.seed)
        curves = compute.curves_with_progress(v, strats, pures=pures, fitted=fitted)
        with st.spinner("Bootstrap over test questions (B = 1000) ..."):
            boot = _bootstrap(v, strats) if bands and one_split else None
        curves = _with_bands(curves, boot) if bands else _without_bands(curves)
        curves, n_cert = _certified(v, curves)
    except InputError as e:
        ui.error(e)
        return
    if "osca" in strats:
        _headline(v)
        if stop:
            st.caption("The headline counts nominal samples C (drawn without stopping); the chart below puts "
                       "the expected cost under early stopping on its x axis.")
    if stop and not one_split:
        st.info(f"Expected cost under early stopping is computed on the dataset's own split with all samples and "
                f"no bans; this view uses {why}. Change it in the sidebar's Training setup.",
                icon=":material/info:")
    if stop and one_split:
        try:
            with st.spinner("Expected costs under early stopping (best order of every plan) ..."):
                fig = _stop_figure(v, curves)
        except InputError as e:
            ui.error(e)
            return
        _stop_costs_line(v, curves)
        ui.chart(fig, "expected-cost", v, key="curves_chart")
        ui.figure_downloads(fig, "expected-cost", v, key="dl_curves")
        st.caption("Each point: a plan at budget C, sampled in its best order (on training) until one sample "
                   "passes; x is its expected cost per test question, y its test pass@C (order does not change "
                   "pass@C). Open circles: extrapolated (k > n).")
    else:
        title = f"{v.info.name}: test pass@C ({v.split_text})"
        method = plots.BAND_BOOTSTRAP if boot is not None else plots.BAND_SPLITS
        fig = plots.curves_figure(curves, log2_x=v.log2, presentation=v.presentation, dark=v.dark, title=title,
                                  n_min=int(v.full.n.min()), method=method)
        if v.presentation:
            fig.update_layout(height=ui.PRESENTATION_CHART_HEIGHT)
        ui.chart(fig, "curves", v, key="curves_chart")
        ui.figure_downloads(fig, "curves", v, key="dl_curves")
        band_text = ""
        if bands and boot is not None:
            band_text = " Bands: 95% bootstrap over test questions (B = 1000, allocations fixed)."
        elif bands and any(cv.ci_low is not None for cv in curves):
            band_text = " Bands: 95% percentiles over the random splits (or C0 subsamples)."
        elif bands:
            band_text = (f" No bands: the bootstrap runs on the dataset's own split with all samples and no bans "
                         f"(this view uses {why}); repeated splits or subsamples give bands.")
        st.caption("Hover a point to see the allocation behind it. Open circles: evaluated by extrapolation (some "
                   "configuration asked for more samples than the logs hold, k > n; Beta-binomial predictive), with an "
                   "error bar: the value over the plausible spreads of the pass rates. Best pure "
                   "picks its configuration on training questions at each budget." + band_text)
        note = compute.spread_caption(v)
        if note:
            st.caption(ui.text("Spread not identified: " + note + "."))
    if n_cert is not None:
        st.caption(f"OSCA certified optimal on training (proved by bounds) at {n_cert} of {len(v.grid)} budgets "
                   "(hover and table say which).")
    if "osca" in strats and one_split:
        rep = compute.prune_report(v.info.name, v.info.checksum, v.configs, tuple(v.grid))
        if rep is not None:
            st.caption(rep.note())
    if boot is not None:
        _difference(v, boot)
    elif bands and not one_split:
        st.caption("No paired-difference chart in this view: the paired bootstrap of OSCA - best pure needs the "
                   f"dataset's own split with all samples and no bans (this view uses {why}). The Experiments "
                   "page's savings study shows the gap over random splits.")
    if not v.presentation:
        _table(curves, certified=n_cert is not None)
        _report_button(v, strats, pures=bool(pures))


_shell.serve("Accuracy against compute", curves_page, __name__)
