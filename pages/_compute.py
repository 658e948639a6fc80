"""Cached computations for the pages: strategy curves, compute savings, allocations and split masks, each cached
with ``st.cache_data`` keyed on dataset name + content checksum + the configurations and settings it depends on
(a training setup travels as its hashable key, see ``pages._sidebar.View.setting_key``), and the curves of a
page computed one by one behind a progress bar."""

from __future__ import annotations

import time
from collections.abc import Sequence

import streamlit as st

from osca_core import experiments as ex
from osca_core import views
from osca_core.results import Allocation, Curve
from pages import _access as data


def setting(key: tuple) -> ex.Setting:
    """The training setup of a ``setting_key`` (train_fraction, splits, seed, c0, bans)."""
    f, splits, seed, c0, bans = key
    return ex.Setting(train_fraction=f, splits=splits, seed=seed, c0=c0, bans=tuple(bans))


@st.cache_data(max_entries=512, show_spinner=False)
def strategy_curve(name: str, checksum: str, configs: tuple[str, ...], strategy: str, budgets: tuple[int, ...],
                   setting_key: tuple) -> Curve:
    """One strategy's test pass@C over budgets under a training setup (mean and interval over splits)."""
    m = data.load_matrix(name, checksum).select_configs(list(configs))
    cs = ex.run_curves(m, [strategy], list(budgets), setting(setting_key))
    return cs.curves[0]


@st.cache_data(max_entries=64, show_spinner=False)
def savings(name: str, checksum: str, configs: tuple[str, ...], top: int, setting_key: tuple) -> ex.Savings:
    """OSCA's compute savings against best pure over budgets 1..top (every integer)."""
    m = data.load_matrix(name, checksum).select_configs(list(configs))
    return ex.savings(m, list(range(1, top + 1)), setting(setting_key))


@st.cache_data(max_entries=128, show_spinner=False)
def allocations(name: str, checksum: str, configs: tuple[str, ...], strategy: str, budgets: tuple[int, ...],
                setting_key: tuple, split: int) -> list[Allocation]:
    """The allocations of ``strategy`` trained on split ``split`` of the setup, scored on its test questions."""
    m = data.load_matrix(name, checksum).select_configs(list(configs))
    s = setting(setting_key)
    trial = ex.trials(m, s)[split]
    return ex.fit(trial, strategy, list(budgets), bans=s.bans, seed=s.seed)


@st.cache_data(max_entries=64, show_spinner=False)
def trial_masks(name: str, checksum: str, setting_key: tuple, split: int) -> tuple:
    """(train, test) question masks of split ``split``."""
    m = data.load_matrix(name, checksum)
    t = ex.trials(m, setting(setting_key))[split]
    return t.full.train.copy(), t.full.test.copy()


def curves_with_progress(v, strategies: Sequence[str], *, pures: bool) -> list[Curve]:
    """Curves for the chosen strategies (and every pure configuration) of the view ``v``, cached one by one; a
    progress bar appears when computing takes noticeable time (cache hits return at once)."""
    grid = tuple(v.grid)
    jobs = [(("pure:" + c), (c,)) for c in v.configs] if pures else []
    jobs += [(s, v.configs) for s in strategies]
    out: list[Curve] = []
    holder = st.empty()
    bar = None
    t0 = time.perf_counter()
    for i, (s, cfgs) in enumerate(jobs):
        out.append(strategy_curve(v.info.name, v.info.checksum, cfgs, s, grid, v.setting_key))
        if bar is None and time.perf_counter() - t0 > 0.3 and i < len(jobs) - 1:
            bar = holder.progress(0.0)
        if bar is not None:
            bar.progress((i + 1) / len(jobs), text=f"Computing curves: {i + 1} of {len(jobs)} "
                                                   f"({views.strategy_label(s)})")
    holder.empty()
    return out
