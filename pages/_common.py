"""Streamlit glue shared by the pages (not a page itself): cached access to the store, the first-start bootstrap,
the sidebar whose settings live in the URL, and small rendering helpers.

Data access: the DuckDB store (``osca_core.store``) is opened per operation, read-only for reads, and never held
between reruns (DuckDB allows one read-write process per file; each call gets its own connection, so sessions and
threads never share a cursor). Loaded matrices are cached with ``st.cache_resource`` (an ``OutcomeMatrix`` is
immutable: frozen dataclass, read-only arrays, so sharing one object between sessions is safe and avoids copying
large arrays on every rerun); everything derived is cached with ``st.cache_data`` keyed on dataset name + content
checksum + the settings it depends on.

Every widget that shapes a view has a ``key`` and ``bind="query-params"``: the key is the URL parameter, so a link
reproduces the view (a value equal to its default is left out of the URL). Widgets rendered by ``app.py`` (this
sidebar) persist across page switches; page widgets belong to their page.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from osca_core import experiments as ex
from osca_core import store, views
from osca_core.errors import InputError
from osca_core.outcomes import OutcomeMatrix
from osca_core.store import DatasetInfo
from osca_core.strategies import Allocation, Curve

UPLOAD_LIMIT_MB = 200  # also server.maxUploadSize in .streamlit/config.toml
C0_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200)
STRATEGY_CHOICES = ("best-pure", "uniform", "osca", "even", "hillclimb", "osca-eb")
DEFAULT_STRATEGIES = ["best-pure", "uniform", "osca"]
PAGES_WITH_CONFIGS = ("curves", "allocation", "questions", "experiments")


# -- data access ---------------------------------------------------------------------------------------------------

def mirror() -> str | None:
    """$OSCA_RELEASE_MIRROR (a folder or an http(s) URL), if set."""
    return os.environ.get("OSCA_RELEASE_MIRROR") or None


@st.cache_resource
def _generation() -> dict:
    """A counter bumped by every write from this app (it keys the dataset list cache)."""
    return {"n": 0, "lock": threading.Lock()}


def bump() -> None:
    """Call after the app writes to the store: forget cached lists (matrices are keyed by checksum)."""
    _generation()["n"] += 1
    _list_datasets.clear()


def _location() -> str:
    """Where datasets are read from, with the store file's modification times: keys the list cache, so another
    $OSCA_HOME never sees a stale list and a write by another process (``osca import`` while the dashboard runs)
    shows up at the next rerun."""
    db = store.osca_home() / store.DB_FILE
    stamps = []
    for p in (db, db.with_name(db.name + ".wal")):
        try:
            stamps.append(str(p.stat().st_mtime_ns))
        except OSError:
            stamps.append("-")
    return f"{db}|{'|'.join(stamps)}"


@st.cache_data(ttl=60, max_entries=32, show_spinner=False)
def _list_datasets(location: str, generation: int) -> list[DatasetInfo]:
    with store.Store.open(read_only=True) as s:
        return s.list_datasets()


def datasets() -> list[DatasetInfo]:
    """All datasets, real ones first, then by name."""
    rows = _list_datasets(_location(), _generation()["n"])
    return sorted(rows, key=lambda r: (r.synthetic, r.name))


@st.cache_resource(max_entries=6, show_spinner="Loading the dataset ...")
def load_matrix(name: str, checksum: str) -> OutcomeMatrix:
    """The outcome matrix of a dataset (``checksum`` keys the cache: a re-import under the same name reloads)."""
    with store.Store.open(read_only=True) as s:
        return s.load_matrix(name)


@st.cache_data(max_entries=16, show_spinner=False)
def question_table(name: str, checksum: str) -> pd.DataFrame:
    """Question attributes from the store (difficulty, platform, date, ...)."""
    with store.Store.open(read_only=True) as s:
        return s.question_table(name)


# -- first start ---------------------------------------------------------------------------------------------------

def bootstrap() -> None:
    """First start on a fresh machine: with no dataset stored, fetch the release (``$OSCA_RELEASE_MIRROR`` if
    set); offline, store the synthetic demo and remember why, for the banner. Once per session."""
    if st.session_state.get("_osca_boot"):
        return
    st.session_state["_osca_boot"] = True
    try:
        if datasets():
            return
    except InputError:  # an unreadable or busy store: the sidebar reports it
        return
    gen = _generation()
    with gen["lock"]:
        with store.Store.open(read_only=True) as s:
            if s.list_datasets():
                bump()
                return
        with st.status("First start: fetching the OSCA release logs ...", expanded=True) as status:
            bar = st.progress(0.0)
            try:
                infos = fetch(bar)
                status.update(label=f"Fetched the OSCA release: {len(infos)} datasets", state="complete",
                              expanded=False)
            except InputError as e:
                st.session_state["_osca_offline"] = str(e)
                try:
                    with store.Store.open() as s:
                        save_demo(s)
                    status.update(label="Offline: stored the synthetic demo dataset instead", state="complete",
                                  expanded=False)
                except (ImportError, InputError) as e2:
                    status.update(label="No data: " + str(e2), state="error")
        bump()


def fetch(bar=None) -> list[DatasetInfo]:
    """Fetch the release into the store (``osca_core.release.fetch_release``; mirror from $OSCA_RELEASE_MIRROR),
    moving ``bar`` with its progress reports. Offline: :class:`InputError`."""

    def progress(name: str, done: int, total: int) -> None:
        if bar is not None and total:
            bar.progress(min(1.0, done / total), text=f"{name}: {done // 1024} of {total // 1024} kB")

    from osca_core.release import fetch_release

    with store.Store.open() as s:
        return fetch_release(s, mirror=mirror(), progress=progress)


def save_demo(s) -> None:
    """Store the synthetic demo dataset (labelled synthetic wherever it is shown)."""
    from osca_core.synthetic import demo_matrix

    s.save_matrix(demo_matrix(seed=0))


# -- sidebar: the view's global settings ---------------------------------------------------------------------------

@dataclass(frozen=True)
class View:
    """What the sidebar selected: the dataset, its full matrix, the configurations kept, the training setup and the
    display options. ``matrix`` is the full matrix restricted to ``configs``."""

    info: DatasetInfo
    full: OutcomeMatrix
    matrix: OutcomeMatrix
    configs: tuple[str, ...]
    budgets: tuple[int, int]
    log2: bool
    setting: ex.Setting
    setting_error: str | None
    presentation: bool
    dark: bool
    img_format: str

    @property
    def setting_key(self) -> tuple:
        s = self.setting
        return (s.train_fraction, s.splits, s.seed, s.c0, s.bans)

    @property
    def grid(self) -> list[int]:
        return views.budget_grid(*self.budgets)

    @property
    def split_text(self) -> str:
        if self.setting.train_fraction is None:
            return f"release split ({self.full.split_label})"
        return self.setting.label


def _reset_dataset_widgets() -> None:
    """On a dataset switch, put the widgets whose options depend on the dataset back to the new dataset's defaults.

    Assigned, not deleted: a widget with a key keeps its identity when its options change, and only a value set
    from code reaches the browser, so the browser never sends back the previous dataset's selection."""
    rows = {r.name: r for r in datasets()}
    info = rows.get(st.session_state.get("dataset"))
    if info is not None:
        m = load_matrix(info.name, info.checksum)
        st.session_state["configs"] = list(m.config_names)
        st.session_state["budget"] = views.default_budget_range(m)
    for k in ("model", "temp", "variant", "ban"):
        st.session_state[k] = []
    st.session_state["c0"] = "all"
    for k in ("question", "cfg_a", "cfg_b", "q"):
        st.session_state.pop(k, None)


def sidebar(page: str) -> View | None:
    """Render the global settings; store and return the :class:`View` (None when there is no dataset)."""
    rows = datasets()
    sb = st.sidebar
    if not rows:
        sb.info("No datasets yet: add one on the Data page.")
        return None
    by_name = {r.name: r for r in rows}
    name = sb.selectbox("Dataset", list(by_name), key="dataset", bind="query-params",
                        on_change=_reset_dataset_widgets)
    info = by_name[name]
    sb.caption(text(f"{info.questions} questions, {info.configs} configurations, {info.split}"
                    + (" - synthetic demo data" if info.synthetic else "")))
    full = load_matrix(info.name, info.checksum)
    with_configs = page in PAGES_WITH_CONFIGS
    configs = full.config_names
    lo_hi = views.default_budget_range(full)
    log2 = False
    setting, err = ex.Setting(), None
    if with_configs:
        facets = views.config_facets(full.configs)
        with sb.expander("Configurations", expanded=False):
            chosen = st.multiselect("Configurations", list(full.config_names), default=list(full.config_names),
                                    key="configs", bind="query-params",
                                    help="Sampling configurations the strategies may use.")
            models = st.multiselect("Model", list(facets.models), key="model", bind="query-params",
                                    placeholder="all models")
            temps = st.multiselect("Temperature", list(facets.temperatures), key="temp", bind="query-params",
                                   placeholder="all temperatures")
            variants = st.multiselect("Variant", list(facets.variants), key="variant", bind="query-params",
                                      placeholder="all variants")
        keep = set(views.filter_configs(full.configs, models=models, temperatures=temps, variants=variants))
        configs = tuple(c for c in full.config_names if c in keep and c in set(chosen))
        sb.caption(f"{len(configs)} of {len(full.configs)} configurations")
        limit = views.budget_limit(full)
        lo_hi = sb.slider("Budget range C", 1, limit, value=views.default_budget_range(full), key="budget",
                          bind="query-params",
                          help=f"Samples per question. Beyond n = {int(full.n.min())} logged samples, pass@k is "
                               "extrapolated with the plug-in estimate (marked).")
        log2 = sb.toggle("log2 budget axis", key="log2", bind="query-params")
        setting, err = _training_setup(full)
    sb.divider()
    present = sb.toggle("Presentation mode", key="present", bind="query-params",
                        help="Large fonts and plotly's presentation template, for talks.")
    img = sb.segmented_control("Chart download format", ["png", "svg"], default="png", key="img",
                               bind="query-params", required=True,
                               help="The camera button in each chart's toolbar downloads this format.")
    theme = getattr(st.context, "theme", None)
    dark = bool(theme is not None and getattr(theme, "type", None) == "dark")
    matrix = full.select_configs(configs) if configs else full
    view = View(info, full, matrix, tuple(configs), (int(lo_hi[0]), int(lo_hi[1])), bool(log2), setting, err,
                bool(present), dark, img or "png")
    if present:
        st.html("<style>.stMainBlockContainer p, .stMainBlockContainer li {font-size: 1.25rem;}"
                " .stMainBlockContainer h1 {font-size: 3.2rem;} .stMainBlockContainer h3 {font-size: 2rem;}"
                "</style>")
    return view


def _training_setup(full: OutcomeMatrix) -> tuple[ex.Setting, str | None]:
    nmin = int(full.n.min())
    with st.sidebar.expander("Training setup", expanded=False):
        mode = st.radio("Train / test questions", ["release split", "random splits"], key="split",
                        bind="query-params", horizontal=True,
                        help="Random splits shuffle all questions into a training and a test part; every "
                             "strategy is chosen on training questions and scored on test questions.")
        rnd = mode == "random splits"
        frac = st.slider("Training fraction", 0.1, 0.9, 0.5, 0.05, key="train", bind="query-params",
                         disabled=not rnd)
        c0_opts = ["all"] + [str(x) for x in C0_CHOICES if x < nmin]
        c0 = st.selectbox("Estimation budget C0 (samples per cell used for training)", c0_opts, key="c0",
                          bind="query-params")
        splits = st.number_input("Random splits", 1, 50, 5, key="splits", bind="query-params",
                                 disabled=not (rnd or c0 != "all"),
                                 help="Repeated splits (or C0 subsamples) give mean curves with 95% bands.")
        seed = st.number_input("Seed", 0, 2**31 - 1, 0, key="seed", bind="query-params")
        bans = st.multiselect("Ban mixing", list(ex.BANS), key="ban", bind="query-params",
                              placeholder="no bans")
    try:
        s = ex.Setting(train_fraction=float(frac) if rnd else None,
                       splits=int(splits) if (rnd or c0 != "all") else 1, seed=int(seed),
                       c0=None if c0 == "all" else int(c0), bans=tuple(bans))
        return s, None
    except InputError as e:
        return ex.Setting(seed=int(seed)), str(e)


_RUN = threading.local()


def run_page(page, name: str) -> None:
    """Called by ``app.py``: draw the sidebar, then run ``page`` with the resulting view available to it."""
    try:
        v = sidebar(name)
    except InputError as e:  # the store is busy (another process writing) or a dataset vanished meanwhile
        error(e)
        st.button("Try again", key="retry_store", icon=":material/refresh:")
        return
    _RUN.active, _RUN.view = True, v
    try:
        page.run()
    finally:
        _RUN.active, _RUN.view = False, None


def view(name: str) -> View | None:
    """The :class:`View` for page ``name`` in this run, from the sidebar ``app.py`` drew before running the page.

    When Streamlit ran the page file on its own: a fresh server process serves its first request through the
    pages-folder compatibility path when that request is a deep link (``/allocation?...``), which skips
    ``app.py``. ``st.navigation`` switches that path off for the process once it has run; we do the same and rerun,
    so the request is served by ``app.py`` with its navigation and sidebar (same URL, same settings)."""
    if getattr(_RUN, "active", False):
        return _RUN.view
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # another Streamlit layout: draw the sidebar here instead
        bootstrap()
        return sidebar(name)
    PagesManager.uses_pages_directory = False
    st.rerun()


def page_view(name: str) -> View | None:
    """The :class:`View` of page ``name`` with its banners drawn, or None after saying why there is nothing to
    draw (no dataset yet, or no configuration selected)."""
    v = view(name)
    if v is None:
        st.info("No dataset yet. Fetch the OSCA release or import logs on the Data page.")
        return None
    banners(v)
    if not v.configs:
        st.info("Select at least one configuration in the sidebar.")
        return None
    return v


def banners(v: View) -> None:
    """Synthetic / offline / in-sample notes and a bad training setup, shown on top of the data pages."""
    note = st.session_state.get("_osca_offline")
    if v.info.synthetic:
        msg = ("Synthetic demo data: generated by a seeded model, not measured results. Fetch the OSCA release "
               "or import your own logs on the Data page.")
        if note:
            msg += " (The release could not be fetched: " + views.md_escape(note) + ")"
        st.warning(msg, icon=":material/science:")
    if v.setting_error:
        st.error("Training setup: " + views.md_escape(v.setting_error) + " (using the release split instead)")


def error(msg: object) -> None:
    """An error message from data or the core, shown literally."""
    st.error(views.md_escape(msg))


def text(s: object) -> str:
    return views.md_escape(s)


def chart(fig, name: str, v: View, *, key: str | None = None) -> None:
    """A plotly figure with the modebar download in the chosen format (PNG or SVG)."""
    from osca_core.plots import chart_config

    st.plotly_chart(fig, config=chart_config(f"osca-{v.info.name}-{name}", fmt=v.img_format),
                    theme=None if v.presentation else "streamlit", key=key)


# -- cached computations -------------------------------------------------------------------------------------------

def _setting(key: tuple) -> ex.Setting:
    f, splits, seed, c0, bans = key
    return ex.Setting(train_fraction=f, splits=splits, seed=seed, c0=c0, bans=tuple(bans))


@st.cache_data(max_entries=512, show_spinner=False)
def strategy_curve(name: str, checksum: str, configs: tuple[str, ...], strategy: str, budgets: tuple[int, ...],
                   setting_key: tuple) -> Curve:
    """One strategy's test pass@C over budgets under a training setup (mean and interval over splits)."""
    m = load_matrix(name, checksum).select_configs(list(configs))
    cs = ex.run_curves(m, [strategy], list(budgets), _setting(setting_key))
    return cs.curves[0]


@st.cache_data(max_entries=64, show_spinner=False)
def savings(name: str, checksum: str, configs: tuple[str, ...], top: int, setting_key: tuple) -> ex.Savings:
    """OSCA's compute savings against best pure over budgets 1..top (every integer)."""
    m = load_matrix(name, checksum).select_configs(list(configs))
    return ex.savings(m, list(range(1, top + 1)), _setting(setting_key))


@st.cache_data(max_entries=128, show_spinner=False)
def allocations(name: str, checksum: str, configs: tuple[str, ...], strategy: str, budgets: tuple[int, ...],
                setting_key: tuple, split: int) -> list[Allocation]:
    """The allocations of ``strategy`` trained on split ``split`` of the setup, scored on its test questions."""
    m = load_matrix(name, checksum).select_configs(list(configs))
    s = _setting(setting_key)
    trial = ex.trials(m, s)[split]
    return ex.fit(trial, strategy, list(budgets), bans=s.bans, seed=s.seed)


@st.cache_data(max_entries=64, show_spinner=False)
def trial_masks(name: str, checksum: str, setting_key: tuple, split: int) -> tuple:
    """(train, test) question masks of split ``split``."""
    m = load_matrix(name, checksum)
    t = ex.trials(m, _setting(setting_key))[split]
    return t.full.train.copy(), t.full.test.copy()


def curves_with_progress(v: View, strategies: Sequence[str], *, pures: bool) -> list[Curve]:
    """Curves for the chosen strategies (and every pure configuration), cached one by one; a progress bar appears
    when computing takes noticeable time (cache hits return at once)."""
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
