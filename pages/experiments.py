"""Experiments: how much data OSCA needs and where its gains come from (the paper's Figures 3 to 5), on random
splits with 95% intervals: pass@C against the training fraction, against the estimation budget C0, banned against
free mixing, the compute savings with their interval, and the training objective against the test pass."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from osca_core.analysis import study_jobs
from osca_core.analysis.study import STUDY_LINEUP
from osca_core.errors import InputError
from osca_core.present import plots, views
from pages import _access as data
from pages import _compute as compute
from pages import _links as links
from pages import _render as ui
from pages import _shell
from pages._sidebar import View

STUDIES = ("training fraction", "estimation budget C0", "bans", "savings", "train vs test")
FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # the paper's Figure 3 grid
C0_VALUES = (1, 5, 10, 50, None)  # None: all n samples
BAN_SETS = ((), ("multi-model",), ("multi-temperature",), ("multi-variant",))


@dataclass(frozen=True)
class Study:
    """The page's study controls: budget C, number of random splits, training fraction, seed."""

    budget: int
    splits: int
    frac: float
    seed: int


COLUMNS = ["series", "x", "budget", "mean", "ci_low", "ci_high"]
POOL = "process"  # the study jobs' pool (analysis.study_jobs; osca bench experiments measures the kinds)
REDRAW_SECONDS = 0.4  # the partial chart is redrawn at most this often while a study runs


@st.cache_resource
def _study_cache() -> views.StudyCache:
    """Study results shared by every session of this server, keyed by dataset checksum and setting."""
    return views.StudyCache()


@st.cache_resource
def _pool() -> Executor | None:
    """One pool per server, sized by the cores (``study_jobs.default_workers``)."""
    return study_jobs.make_pool(POOL)


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS).astype({"ci_low": float, "ci_high": float})


def _points(v: View, jobs: list[tuple[str, str, object, tuple[int, ...], tuple]], label: str,
            draw: Callable[[pd.DataFrame, bool], None]) -> pd.DataFrame:
    """Run (series, strategy, x, budgets, setting_key) jobs (x None: the budget is the x value) in the server's
    pool (:data:`POOL`, one worker per core), every job of a view on its shared trials
    (``study_jobs.ViewShare``), cached across sessions by dataset checksum and setting; ``draw(frame, final)``
    shows the points finished so far as soon as the first job is done, then at most every
    :data:`REDRAW_SECONDS`, and once at the end."""
    view_key = (v.info.name, v.info.checksum, v.configs)
    keys = [(*view_key, strategy, budgets, key) for _, strategy, _, budgets, key in jobs]
    cache = _study_cache()
    computed = [k for k in keys if cache.get(k) is None]
    one = functools.partial(study_jobs.job_curve, view_key, v.matrix)

    bar = st.empty()
    t0 = time.perf_counter()
    done: dict[int, list[dict]] = {}
    last = None
    for i, cv in views.run_jobs(keys, one, cache, _pool()):
        series, _, x, _, _ = jobs[i]
        done[i] = [{"series": series, "x": x if x is not None else r["budget"], "budget": r["budget"],
                    "mean": r["pass"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]} for r in cv.rows()]
        now = time.perf_counter()
        if len(done) < len(jobs) and (last is None or now - last >= REDRAW_SECONDS):
            if last is None:
                st.session_state["_ex_first_s"] = now - t0
            last = now
            draw(_frame([r for j in sorted(done) for r in done[j]]), False)
            bar.progress(len(done) / len(jobs), text=f"{label}: {len(done)} of {len(jobs)} done")
    bar.empty()
    elapsed = time.perf_counter() - t0
    st.session_state["_ex_total_s"] = elapsed
    st.session_state["_ex_computed"] = len(computed)
    if last is None:
        st.session_state["_ex_first_s"] = elapsed
    df = _frame([r for j in sorted(done) for r in done[j]])
    draw(df, True)
    return df


def _drawer(v: View, name: str, **fig_kw) -> Callable[[pd.DataFrame, bool], None]:
    """Draws the study chart into one placeholder: partial charts without a key, the final one with
    ``study_chart``."""
    holder, note = st.empty(), st.empty()

    def draw(df: pd.DataFrame, final: bool) -> None:
        fig = plots.study_figure(df, presentation=v.presentation, dark=v.dark, **fig_kw)
        with holder.container():
            ui.chart(fig, name, v, key="study_chart" if final else None)
        if final:
            note.empty()
        else:
            note.caption("Partial: more points arrive as their splits finish.")

    return draw


def _fraction(v: View, s: Study) -> None:
    jobs = [(k, k, f, (s.budget,), (f, s.splits, s.seed, None, ())) for k in STUDY_LINEUP for f in FRACTIONS]
    draw = _drawer(v, "study-fraction", x_title="training fraction", y_title=f"test pass@{s.budget}",
                   title=f"{v.info.name}: accuracy against training data (C = {s.budget})")
    _points(v, jobs, "Training fractions", draw)


def _c0(v: View, s: Study) -> None:
    nmin = int(v.matrix.n.min())
    c0s = [c for c in C0_VALUES if c is None or c <= nmin]
    jobs = [(k, k, "all" if c0 is None else str(c0), (s.budget,), (s.frac, s.splits, s.seed, c0, ()))
            for c0 in c0s for k in STUDY_LINEUP]
    draw = _drawer(v, "study-c0", x_title="C0 (samples per cell used to estimate pass rates)",
                   y_title=f"test pass@{s.budget}", categorical_x=True,
                   title=f"{v.info.name}: accuracy against estimation budget (C = {s.budget})")
    _points(v, jobs, "C0 values", draw)


def _bans(v: View, s: Study) -> None:
    jobs = [("osca" + ("" if not b else " (ban " + "+".join(b) + ")"), "osca", None, tuple(v.grid),
             (s.frac, s.splits, s.seed, None, b)) for b in BAN_SETS]
    draw = _drawer(v, "study-bans", x_title="budget C", log_x=v.log2,
                   title=f"{v.info.name}: OSCA free against banned mixing")
    _points(v, jobs, "Bans", draw)


def _savings(v: View, s: Study) -> None:
    with st.spinner("Computing savings over the splits ..."):
        sv, h = compute.headline(v.info.name, v.info.checksum, v.configs, s.budget, (s.frac, s.splits, s.seed, None,
                                                                                     ()))
    st.subheader(ui.text(h.text), anchor=False)  # the one headline rule (analysis.headline), as on Curves
    st.caption(ui.text(h.detail))
    if h.modelled:
        st.caption(ui.text(h.modelled))
    st.caption(ui.text(sv.note))
    df = pd.DataFrame({"series": "OSCA - best pure", "x": list(sv.budgets), "mean": list(sv.gap),
                       "ci_low": list(sv.gap_ci_low) if sv.gap_ci_low else None,
                       "ci_high": list(sv.gap_ci_high) if sv.gap_ci_high else None}).astype(
        {"ci_low": float, "ci_high": float})
    fig = plots.study_figure(df, x_title="budget C", y_title="test pass@C gap (OSCA - best pure)", log_x=v.log2,
                             presentation=v.presentation, dark=v.dark,
                             title=f"{v.info.name}: accuracy gap at fixed budgets")
    ui.chart(fig, "study-savings", v, key="study_chart")
    st.dataframe(pd.DataFrame({"split": range(len(sv.split_ratios)), "target": sv.split_targets,
                               "budget_needed": sv.split_budget_needed, "ratio": sv.split_ratios}),
                 hide_index=True)


def _train_vs_test(v: View) -> None:
    """The training objective and the test pass@C of the same allocations, under the sidebar's training setup
    (budgets, split, C0, bans; one split)."""
    s = v.setting
    st.caption(f"Training setup from the sidebar: {ui.text(v.split_text)}; budgets {v.budgets[0]} to {v.budgets[1]}."
               + (" In-sample dataset: both numbers are measured on the same questions (the training objective "
                  "with the plug-in estimate, the test pass with the unbiased one)."
                  if v.full.in_sample and s.train_fraction is None else ""))
    try:
        curves = [compute.strategy_curve(v.info.name, v.info.checksum, v.configs, name, tuple(v.grid),
                                         (s.train_fraction, 1, s.seed, s.c0, s.bans))
                  for name in ("osca", "hillclimb")]
    except InputError as e:
        ui.error(e)
        return
    fig = plots.train_test_figure(curves, log2_x=v.log2, presentation=v.presentation, dark=v.dark)
    ui.chart(fig, "train-vs-test", v, key="study_chart")
    st.caption("Dashed: the training objective the allocation was chosen for; solid: its test pass@C. "
               "The gap is what choosing on training questions costs on new ones.")


def _controls(v: View) -> Study:
    c1, c2, c3 = st.columns(3)
    limit = views.budget_limit(v.full)
    budget = int(c1.number_input("Budget C", 1, limit, min(v.budgets[1], 64), key="ex_c", bind="query-params"))
    splits = int(c2.number_input("Random splits", 2, 50, 5, key="ex_splits", bind="query-params",
                                 help="Each point is the mean over this many random splits, with a 95% "
                                      "percentile interval."))
    frac = float(c3.slider("Training fraction (for C0, bans, savings)", 0.1, 0.9, 0.5, 0.05, key="ex_train",
                           bind="query-params"))
    st.caption(f"Seed {v.setting.seed} (sidebar). Every strategy is chosen on the training part of a split and "
               f"scored on its test part; strategies are compared on the same splits.")
    return Study(budget, splits, frac, v.setting.seed)


STUDY_VIEWS = {"training fraction": _fraction, "estimation budget C0": _c0, "bans": _bans, "savings": _savings}


def experiments_page(v: View) -> None:
    problem = compute.too_many_configs(v)
    if problem:  # bounded like the other pages: no study starts on a selection this wide
        st.warning(problem, icon=":material/filter_alt:")
        return
    limit = views.budget_limit(v.full)
    links.guard({"ex_c": (1, limit, True, 1), "ex_splits": (2, 50, True, 1), "ex_train": (0.1, 0.9, False, 1)})
    links.choices("study", STUDIES, "no such study")
    note = data.missing_note(v.info.name, v.info.checksum)
    if note:
        st.caption(ui.text("Analyses: " + note))
    study = st.segmented_control("Study", STUDIES, default=STUDIES[0], key="study", bind="query-params",
                                 required=True)
    if study == "train vs test":
        _train_vs_test(v)
        return
    s = _controls(v)
    small = views.small_split_warning(int((v.matrix.train | v.matrix.test).sum()),
                                      FRACTIONS[-1] if study == "training fraction" else s.frac)
    if small:
        st.warning(small, icon=":material/warning:")
    try:
        STUDY_VIEWS[study](v, s)
    except InputError as e:
        ui.error(e)


_shell.serve("Experiments", experiments_page, __name__)
