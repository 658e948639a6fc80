"""Experiments: how much data OSCA needs and where its gains come from (the paper's Figures 3 to 5), on random
splits with 95% intervals: pass@C against the training fraction, against the estimation budget C0, banned against
free mixing, the compute savings with their interval, and the training objective against the test pass."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from osca_core import plots, views
from osca_core.errors import InputError
from pages import _compute as compute
from pages import _render as ui
from pages import _shell
from pages._sidebar import View

STUDIES = ("training fraction", "estimation budget C0", "bans", "savings", "train vs test")
STUDY_STRATEGIES = ("best-pure", "osca", "osca-eb")
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


def _points(v: View, jobs: list[tuple[str, str, object, tuple[int, ...], tuple]], label: str
            ) -> pd.DataFrame:
    """Run (series, strategy, x, budgets, setting_key) jobs through the cached curve function, with a progress
    bar; x None means the budget is the x value."""
    bar = st.progress(0.0, text=label)
    rows = []
    for i, (series, strategy, x, budgets, key) in enumerate(jobs):
        cv = compute.strategy_curve(v.info.name, v.info.checksum, v.configs, strategy, budgets, key)
        rows += [{"series": series, "x": x if x is not None else r["budget"], "budget": r["budget"],
                  "mean": r["pass"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]} for r in cv.rows()]
        bar.progress((i + 1) / len(jobs), text=f"{label} {i + 1} of {len(jobs)}")
    bar.empty()
    return pd.DataFrame(rows, columns=["series", "x", "budget", "mean", "ci_low", "ci_high"]).astype(
        {"ci_low": float, "ci_high": float})


def _fraction(v: View, s: Study) -> None:
    jobs = [(k, k, f, (s.budget,), (f, s.splits, s.seed, None, ())) for f in FRACTIONS for k in STUDY_STRATEGIES]
    df = _points(v, jobs, "Training fractions")
    fig = plots.study_figure(df, x_title="training fraction", y_title=f"test pass@{s.budget}",
                             presentation=v.presentation, dark=v.dark,
                             title=f"{v.info.name}: accuracy against training data (C = {s.budget})")
    ui.chart(fig, "study-fraction", v, key="study_chart")


def _c0(v: View, s: Study) -> None:
    nmin = int(v.matrix.n.min())
    c0s = [c for c in C0_VALUES if c is None or c <= nmin]
    jobs = [(k, k, "all" if c0 is None else str(c0), (s.budget,), (s.frac, s.splits, s.seed, c0, ()))
            for c0 in c0s for k in STUDY_STRATEGIES]
    df = _points(v, jobs, "C0 values")
    fig = plots.study_figure(df, x_title="C0 (samples per cell used to estimate pass rates)",
                             y_title=f"test pass@{s.budget}", categorical_x=True, presentation=v.presentation,
                             dark=v.dark, title=f"{v.info.name}: accuracy against estimation budget (C = {s.budget})")
    ui.chart(fig, "study-c0", v, key="study_chart")


def _bans(v: View, s: Study) -> None:
    jobs = [("osca" + ("" if not b else " (ban " + "+".join(b) + ")"), "osca", None, tuple(v.grid),
             (s.frac, s.splits, s.seed, None, b)) for b in BAN_SETS]
    df = _points(v, jobs, "Bans")
    fig = plots.study_figure(df, x_title="budget C", log_x=v.log2, presentation=v.presentation, dark=v.dark,
                             title=f"{v.info.name}: OSCA free against banned mixing")
    ui.chart(fig, "study-bans", v, key="study_chart")


def _savings(v: View, s: Study) -> None:
    with st.spinner("Computing savings over the splits ..."):
        sv = compute.savings(v.info.name, v.info.checksum, v.configs, s.budget, (s.frac, s.splits, s.seed, None, ()))
    head, detail = views.savings_headline(sv, n_logged=int(v.matrix.n.min()))
    st.subheader(ui.text(head), anchor=False)
    st.caption(ui.text(detail))
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
    study = st.segmented_control("Study", STUDIES, default=STUDIES[0], key="study", bind="query-params",
                                 required=True)
    if study == "train vs test":
        _train_vs_test(v)
        return
    s = _controls(v)
    try:
        STUDY_VIEWS[study](v, s)
    except InputError as e:
        ui.error(e)


_shell.serve("Experiments", experiments_page)
