"""The sidebar and the view state it selects: dataset, configurations (with model / temperature / variant
facets), budget range and axis, training setup, presentation mode and chart download format, collected in one
frozen :class:`View` that the pages read.

Every widget that shapes a view has a ``key`` and ``bind="query-params"``: the key is the URL parameter, so a link
reproduces the view (a value equal to its default is left out of the URL). Widgets rendered here persist across
page switches; page widgets belong to their page. A ``dataset`` in the URL that is not stored is reported, never
silently replaced by another dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from osca_core.analysis import experiments as ex
from osca_core.data.store import DatasetInfo
from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.present import views
from pages import _access as data
from pages import _compute as compute
from pages import _links as links
from pages import _render as ui

C0_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200)
PAGES_WITH_CONFIGS = ("curves", "allocation", "questions", "experiments")


@dataclass(frozen=True)
class View:
    """What the sidebar selected: the dataset, its full matrix, the configurations kept, the training setup and the
    display options. ``full`` is the dataset complete over all configurations (``_access.load_matrix``: config
    names, facets, budget limits); ``matrix`` is the stored matrix on ``configs`` made complete on that selection
    (``_compute.view_matrix``), so a question is left out only when a selected configuration misses it."""

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
    selection: str = "all configurations"  # the configuration selection in words (axis filters, preset)

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


@dataclass(frozen=True)
class Sidebar:
    """The sidebar's outcome: the :class:`View`, or None with the reason (``unknown``: a ``dataset`` in the URL
    that is not stored; neither: there is no dataset at all)."""

    view: View | None
    unknown: str | None = None
    selected: str | None = None  # the dataset the sidebar selected


def _reset_dataset_widgets() -> None:
    """On a dataset switch, put the widgets whose options depend on the dataset back to the new dataset's defaults.

    Assigned, not deleted: a widget with a key keeps its identity when its options change, and only a value set
    from code reaches the browser, so the browser never sends back the previous dataset's selection."""
    forget_unknown_dataset()
    st.session_state.pop(links.DROPPED, None)
    rows = {r.name: r for r in data.datasets()}
    info = rows.get(st.session_state.get("dataset"))
    if info is not None:
        m = data.load_matrix(info.name, info.checksum)
        st.session_state["configs"] = []
        st.session_state["budget"] = views.default_budget_range(m)
        st.session_state["log2"] = views.log_axis_default(views.default_budget_range(m)[1])
        st.session_state["split"] = split_default(m)
        st.session_state["splits"] = splits_default(m)
    for k in ("model", "temp", "variant", "ban"):
        st.session_state[k] = []
    from pages import _selection
    _selection.reset()
    st.session_state["c0"] = "all"
    for k in ("question", "cfg_a", "cfg_b", "q"):
        st.session_state.pop(k, None)


UNKNOWN = "_osca_unknown_dataset"


def _unknown_dataset(names: list[str]) -> str | None:
    """The ``dataset`` the URL asked for when no stored dataset has that name (read before the widget, which falls
    back to its first option and drops the parameter). Remembered until the user picks a dataset, so a rerun never
    shows another dataset silently."""
    asked = st.query_params.get("dataset")
    if asked is not None:
        st.session_state[UNKNOWN] = asked if asked not in names else None
    unknown = st.session_state.get(UNKNOWN)
    return unknown if unknown is not None and unknown not in names else None


def forget_unknown_dataset() -> None:
    st.session_state[UNKNOWN] = None


def _configurations(info: DatasetInfo, full: OutcomeMatrix) -> tuple[tuple[str, ...], str]:
    """The configuration selection (``pages._selection``): the names kept, in the matrix's order, and the
    selection in words."""
    from pages import _selection
    return _selection.configurations(info, full)


def _budgets(full: OutcomeMatrix) -> tuple[tuple[int, int], bool]:
    """The budget range slider and the log2 axis toggle (on by default when the range ends above 32)."""
    sb = st.sidebar
    lo_hi = sb.slider("Budget range C", 1, views.budget_limit(full), value=views.default_budget_range(full),
                      key="budget", bind="query-params",
                      help=f"Samples per question. Beyond n = {int(full.n.min())} logged samples, pass@k is "
                           "extrapolated with the Beta-binomial predictive (marked).")
    lo_hi = (int(lo_hi[0]), int(lo_hi[1]))
    log2 = sb.toggle("log2 budget axis", value=views.log_axis_default(views.default_budget_range(full)[1]),
                     key="log2", bind="query-params",
                     help=f"On by default when the budgets reach above {views.LOG_AXIS_ABOVE}.")
    return lo_hi, bool(log2)


SPLIT_MODES = ("release split", "random splits")
HELD_OUT_SPLITS = 10  # a dataset without its own split opens on random splits: fraction 0.5, 10 splits, seeded


def split_default(m: OutcomeMatrix) -> str:
    """Held out by default: a dataset without its own split (in-sample) opens on random splits."""
    return SPLIT_MODES[1] if m.in_sample else SPLIT_MODES[0]


def splits_default(m: OutcomeMatrix) -> int:
    return HELD_OUT_SPLITS if m.in_sample else 5


def _training_setup(full: OutcomeMatrix) -> tuple[ex.Setting, str | None]:
    nmin = int(full.n.min())
    links.choices("split", SPLIT_MODES, "release split or random splits")
    links.choices("c0", ["all"] + [str(x) for x in C0_CHOICES if x < nmin], f"C0 below n = {nmin}")
    links.choices("ban", ex.BANS, "no such ban")
    with st.sidebar.expander("Training setup", expanded=full.in_sample):
        mode = st.radio("Train / test questions", list(SPLIT_MODES), index=SPLIT_MODES.index(split_default(full)),
                        key="split", bind="query-params", horizontal=True,
                        help="Random splits shuffle all questions into a training and a test part; every "
                             "strategy is chosen on training questions and scored on test questions. "
                             + ("This dataset has no split of its own: release split means in-sample "
                                "(training numbers); it opens on random splits." if full.in_sample else ""))
        rnd = mode == "random splits"
        frac = st.slider("Training fraction", 0.1, 0.9, 0.5, 0.05, key="train", bind="query-params",
                         disabled=not rnd)
        c0_opts = ["all"] + [str(x) for x in C0_CHOICES if x < nmin]
        c0 = st.selectbox("Estimation budget C0 (samples per cell used for training)", c0_opts, key="c0",
                          bind="query-params")
        splits = st.number_input("Random splits", 1, 50, splits_default(full), key="splits", bind="query-params",
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


def _display() -> tuple[bool, bool, str]:
    """Presentation mode, the theme's darkness and the chart download format."""
    sb = st.sidebar
    sb.divider()
    links.choices("img", ("png", "svg"), "png or svg")
    present = sb.toggle("Presentation mode", key="present", bind="query-params",
                        help="Large fonts and plotly's presentation template, for talks.")
    img = sb.segmented_control("Chart download format", ["png", "svg"], default="png", key="img",
                               bind="query-params", required=True,
                               help="The camera button in each chart's toolbar downloads this format.")
    theme = getattr(st.context, "theme", None)
    dark = bool(theme is not None and getattr(theme, "type", None) == "dark")
    ui.narrow_style()
    if present:
        ui.presentation_style()
    return bool(present), dark, img or "png"


def sidebar(page: str) -> Sidebar:
    """Render the global settings for ``page`` and return what they select."""
    rows = data.datasets()
    sb = st.sidebar
    if not rows:
        sb.info("No datasets yet: add one on the Data page.")
        return Sidebar(None)
    by_name = {r.name: r for r in rows}
    unknown = _unknown_dataset(list(by_name))
    links.land(list(by_name))  # a link without dataset= gets the landing dataset written into it
    # no default option (index None): the chosen dataset is never "the default", so it stays in the URL
    name = sb.selectbox("Dataset", list(by_name), index=None, key="dataset", bind="query-params",
                        on_change=_reset_dataset_widgets)
    if name not in by_name:
        name = links.landing_dataset(list(by_name))
    links.remember_opened(name)
    info = by_name[name]
    sb.caption(ui.text(f"{info.questions} questions, {info.configs} configurations, {info.split}"
                       + (" - synthetic demo data" if info.synthetic else "")))
    full = data.load_matrix(info.name, info.checksum)
    links.guard({"budget": (1, views.budget_limit(full), True, 2), "train": (0.1, 0.9, False, 1),
                 "splits": (1, 50, True, 1), "seed": (0, 2**31 - 1, True, 1)},
                booleans=("log2", "present"))
    configs, lo_hi, log2 = full.config_names, views.default_budget_range(full), False
    chosen_text = "all configurations"
    setting, err = ex.Setting(), None
    if page in PAGES_WITH_CONFIGS:
        configs, chosen_text = _configurations(info, full)
        lo_hi, log2 = _budgets(full)
        setting, err = _training_setup(full)
    present, dark, img = _display()
    if configs:  # ragged logs: complete on the selection (only questions missing a selected configuration go)
        matrix = compute.view_matrix(info.name, info.checksum, configs)
        note = compute.view_note(info.name, info.checksum, configs)
    else:
        matrix, note = full, data.missing_note(info.name, info.checksum)
    if note:
        sb.caption(ui.text(note))
    view = View(info, full, matrix, tuple(configs), lo_hi, log2, setting, err, present, dark, img, chosen_text)
    return Sidebar(None if unknown is not None else view, unknown, info.name)
