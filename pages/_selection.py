"""The sidebar's configuration selection on wide logs: a preset (all, top k by training pass@1, the Pareto front of
pass@1 vs cost, one per model), one filter per configuration axis (``osca_core.model.axes``: parsed from the names
by a documented rule, from configuration attributes, or from an override pattern), and an optional pick by name.

Everything is bound to the URL as axis filters (``osca_core.model.selection``: ``preset=top&top_k=20&temp=0.2``),
never as a list of hundreds of names; ``configs`` (the pick by name) is empty, meaning all, by default.
"""

from __future__ import annotations

import streamlit as st

from osca_core.data.store import DatasetInfo
from osca_core.errors import InputError
from osca_core.model import axes as ax
from osca_core.model import selection as sel
from osca_core.model.outcomes import OutcomeMatrix
from pages import _access as data
from pages import _links as links

PATTERN_KEY = "axes_re"
_PRESET_HELP = ("all: every configuration the filters keep; top: the k with the highest training pass@1; "
                "pareto: the Pareto front of training pass@1 against cost per sample; per-model: the best "
                "training pass@1 of each model. Ranked on the dataset's training questions, never on test numbers.")
_PATTERN_HELP = ("Override of the axes parsed from the names: a regular expression with named groups, e.g. "
                 "(?P<model>[^_]+)_(?P<size>\\d+b). Names are split on '/' (family), '|' (prompt), a temperature "
                 "(_temp0.7, _t0.7, @0.7 or model_0.7[_variant], 0..5); configuration attributes are axes too.")


@st.cache_data(max_entries=32, show_spinner=False)
def config_axes(name: str, checksum: str, pattern: str) -> ax.ConfigAxes:
    """The axes of the dataset's configurations (cached by dataset checksum and override pattern)."""
    return ax.config_axes(data.raw_matrix(name, checksum).configs, pattern or None)


@st.cache_data(max_entries=64, show_spinner=False)
def _selected(name: str, checksum: str, pattern: str, filters: tuple, preset: str, k: int,
              picked: tuple[str, ...]) -> tuple[str, ...]:
    m = data.raw_matrix(name, checksum)
    return sel.select(m, config_axes(name, checksum, pattern), sel.Selection(dict(filters), preset, k, picked))


def reset() -> None:
    """On a dataset switch: no axis filter, preset all, no override (the widgets' defaults)."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith("ax_"):
            st.session_state[key] = []
    st.session_state["preset"] = "all"
    st.session_state[PATTERN_KEY] = ""
    st.session_state.pop("top_k", None)  # its range is the new dataset's number of configurations


def configurations(info: DatasetInfo, full: OutcomeMatrix) -> tuple[tuple[str, ...], str]:
    """Render the selection widgets; the configurations kept (matrix order) and the selection in words."""
    sb = st.sidebar
    with sb.expander("Configurations", expanded=False):
        pattern = st.text_input("Axis pattern (override)", key=PATTERN_KEY, bind="query-params",
                                placeholder="parsed from names and attributes", help=_PATTERN_HELP)
        try:
            axes = config_axes(info.name, info.checksum, pattern)
        except InputError as e:
            st.error(str(e))
            pattern, axes = "", config_axes(info.name, info.checksum, "")
        preset = st.selectbox("Preset", list(sel.PRESETS), key="preset", bind="query-params", help=_PRESET_HELP)
        total = len(full.config_names)
        k = st.number_input("k (top k)", 1, max(1, total), min(sel.DEFAULT_K, total), key="top_k",
                            bind="query-params", disabled=preset != "top")
        filters = []
        for a in axes.names:
            opts = list(axes.options(a))
            if len(opts) < 2:
                continue
            chosen = st.multiselect(a.capitalize(), opts, key=sel.url_key(a), bind="query-params",
                                    placeholder=f"all {len(opts)} values")
            if chosen:
                filters.append((a, tuple(chosen)))
        links.choices("configs", full.config_names, f"no configuration of that name in {full.name}")
        picked = st.multiselect("Configurations (by name)", list(full.config_names), default=[], key="configs",
                                bind="query-params", placeholder="all the filters keep", select_all=False,
                                help="Optional: only these configurations (empty: every configuration the "
                                     "preset and the filters keep).")
    s = sel.Selection(dict(filters), str(preset), int(k), tuple(picked))
    configs = _selected(info.name, info.checksum, pattern, tuple(filters), s.preset, s.k, s.picked)
    sb.caption(f"{len(configs)} of {total} configurations")
    sb.caption(f"Selection: {s.describe()}; axes: {', '.join(axes.names)}")
    return configs, s.describe()
