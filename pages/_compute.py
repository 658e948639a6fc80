"""Cached computations for the pages: strategy curves, compute savings, allocations and split masks, each cached
with ``st.cache_data`` keyed on dataset name + content checksum + the configurations and settings it depends on
(a training setup travels as its hashable key, see ``pages._sidebar.View.setting_key``), and the curves of a
page computed one by one behind a progress bar. On a cache miss the pure computation runs on the process's bounded
worker pool (``pages._queue.run``: a queue, the visitor's place in it, cancel when the session reruns or leaves)."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import streamlit as st

from osca_core.analysis import experiments as ex
from osca_core.analysis import headline as hl
from osca_core.analysis import paired, ranges
from osca_core.errors import InputError
from osca_core.limits import MAX_VIEW_WORK
from osca_core.model import spread
from osca_core.model.missing import MissingReport, apply_missing
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Allocation, Curve
from osca_core.present import views
from osca_core.workers import checkpoint
from pages import _access as data
from pages._queue import run as queued


@st.cache_resource(max_entries=16, show_spinner=False)
def _complete_view(name: str, checksum: str, configs: tuple[str, ...]) -> tuple[OutcomeMatrix, MissingReport]:
    raw = data.raw_matrix(name, checksum)
    try:
        return apply_missing(raw, list(configs), policy="drop-questions")
    except InputError:  # every question misses a selected configuration: fill the holes with the prior means
        return apply_missing(raw, list(configs), policy="prior")


def view_matrix(name: str, checksum: str, configs: Sequence[str]) -> OutcomeMatrix:
    """The dataset's matrix on the selected configurations, complete: ``apply_missing(raw, configs)`` over the
    stored matrix with its missing cells (``_access.raw_matrix``), so only a question missing a *selected*
    configuration is left out (policy drop-questions; prior means when that would leave none)."""
    return _complete_view(name, checksum, tuple(configs))[0]


def view_note(name: str, checksum: str, configs: Sequence[str]) -> str:
    """What :func:`view_matrix` did with missing cells of the selection, in one line ('' when none)."""
    return _complete_view(name, checksum, tuple(configs))[1].note()


def setting(key: tuple) -> ex.Setting:
    """The training setup of a ``setting_key`` (train_fraction, splits, seed, c0, bans)."""
    f, splits, seed, c0, bans = key
    return ex.Setting(train_fraction=f, splits=splits, seed=seed, c0=c0, bans=tuple(bans))


@st.cache_data(max_entries=512, show_spinner=False)
def strategy_curve(name: str, checksum: str, configs: tuple[str, ...], strategy: str, budgets: tuple[int, ...],
                   setting_key: tuple) -> Curve:
    """One strategy's test pass@C over budgets under a training setup (mean and interval over splits)."""
    m = view_matrix(name, checksum, configs)

    def work() -> Curve:  # a cancelled job stops between splits (the progress hook)
        cs = ex.run_curves(m, [strategy], list(budgets), setting(setting_key), progress=lambda *_: checkpoint())
        return ranges.curveset_ranges(m, cs)[0]
    return queued(work)  # extrapolated points carry their range over the plausible spreads


@st.cache_data(max_entries=64, show_spinner=False)
def savings(name: str, checksum: str, configs: tuple[str, ...], top: int, setting_key: tuple) -> ex.Savings:
    """OSCA's compute savings against best pure over budgets 1..top (every integer)."""
    m = view_matrix(name, checksum, configs)
    return queued(ex.savings, m, ex.savings_budgets(None, top=top), setting(setting_key))


@st.cache_data(max_entries=64, show_spinner=False)
def headline(name: str, checksum: str, configs: tuple[str, ...], top: int, setting_key: tuple
             ) -> tuple[ex.Savings, hl.Headline]:
    """The compute-savings headline over budgets 1..top under the one rule (``analysis.headline.read``, as
    ``osca savings`` and the report): on the dataset's own split with a bootstrap interval (B = N_RESAMPLES,
    as the report), on random splits with the percentiles over splits."""
    m = view_matrix(name, checksum, configs)
    s = setting(setting_key)
    budgets = ex.savings_budgets(None, top=top)
    if s.train_fraction is None and s.c0 is None and not s.bans:
        def run(b, **kw):
            return paired.bootstrap_savings(m, b, n_resamples=N_RESAMPLES, seed=s.seed, fit_seed=s.seed, **kw)
    else:
        def run(b, **kw):
            return ex.savings(m, b, s, **kw)
    r = queued(hl.read, m, budgets, s, run)
    return r.savings, r.headline


def spread_caption(v) -> str:
    """What decides the spread beyond n on the view ('' when every configuration identifies its own or nothing
    extrapolates)."""
    if max(v.grid) <= int(v.matrix.n.min()):
        return ""
    return spread.spread_note(ranges.spread_known(v.matrix))


def with_ranges(v, curve: Curve) -> Curve:
    """``curve`` (re-scored, e.g. certified) with the ranges of its extrapolated points recomputed."""
    import dataclasses

    cv = dataclasses.replace(curve, extrapolation_low=None, extrapolation_high=None)
    return ranges.curve_ranges(v.matrix, [cv])[0]


@st.cache_data(max_entries=128, show_spinner=False)
def allocations(name: str, checksum: str, configs: tuple[str, ...], strategy: str, budgets: tuple[int, ...],
                setting_key: tuple, split: int) -> list[Allocation]:
    """The allocations of ``strategy`` trained on split ``split`` of the setup, scored on its test questions."""
    m = view_matrix(name, checksum, configs)
    s = setting(setting_key)
    trial = ex.trials(m, s)[split]
    return queued(lambda: ex.fit(trial, strategy, list(budgets), bans=s.bans, seed=s.seed))


@st.cache_data(max_entries=32, show_spinner=False)
def pure_curves(name: str, checksum: str, configs: tuple[str, ...], budgets: tuple[int, ...], setting_key: tuple):
    """Every selected configuration's pure curve at once (``analysis.pure_curves``: one vectorized pass per
    trial, arrays rather than hundreds of cached Curve objects)."""
    from osca_core.analysis.pure_curves import all_pure_curves as run
    return queued(run, view_matrix(name, checksum, configs), list(budgets), setting(setting_key))


@st.cache_data(max_entries=64, show_spinner=False)
def split_masks(name: str, checksum: str, configs: tuple[str, ...], setting_key: tuple,
                split: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) question masks of split ``split`` of the setup over the view's questions: the dataset's own
    split, or that random split (the one :func:`allocations` fits on)."""
    m = view_matrix(name, checksum, configs)
    s = setting(setting_key)
    if s.train_fraction is None:
        return np.asarray(m.train), np.asarray(m.test)
    full = ex.trials(m, s)[split].full
    return np.asarray(full.train), np.asarray(full.test)


def curves_with_progress(v, strategies: Sequence[str], *, pures: bool, fitted=None) -> list[Curve]:
    """Curves for the chosen strategies (and every pure configuration) of the view ``v``, cached one by one; a
    progress bar appears when computing takes noticeable time (cache hits return at once). ``fitted``: the
    view's :func:`question_values` on its own split, whose allocations (fitted by the same ``registry.allocate``
    call with the same seed) give an allocation strategy's curve without fitting it twice."""
    grid = tuple(v.grid)
    out: list[Curve] = []
    from osca_core.present import wide
    jobs = list(strategies)
    if pures and (max(grid) <= int(v.matrix.n.min()) or len(v.configs) > wide.BAND_ABOVE):
        # within n, or drawn as a band: every pure curve in one vectorized pass (beyond n the band's hollow points
        # carry no per-configuration range)
        out += pure_curves(v.info.name, v.info.checksum, v.configs, grid, v.setting_key).curves()
    elif pures:  # a few configurations beyond n: one curve each, with the ranges of their extrapolated points
        shared = not view_note(v.info.name, v.info.checksum, v.configs)
        out += [strategy_curve(v.info.name, v.info.checksum, (c,) if shared else v.configs, "pure:" + c, grid,
                               v.setting_key) for c in v.configs]
    holder = st.empty()
    bar = None
    t0 = time.perf_counter()
    for i, s in enumerate(jobs):
        al = fitted.allocations.get(s) if fitted is not None and tuple(fitted.budgets) == grid else None
        if al:
            cv = Curve(s, grid, tuple(a.test_pass for a in al), tuple(a.extrapolated for a in al),
                       allocations=tuple(al))
            out.append(with_ranges(v, cv) if any(cv.extrapolated) else cv)
            continue
        out.append(strategy_curve(v.info.name, v.info.checksum, v.configs, s, grid, v.setting_key))
        if bar is None and time.perf_counter() - t0 > 0.3 and i < len(jobs) - 1:
            bar = holder.progress(0.0)
        if bar is not None:
            bar.progress((i + 1) / len(jobs), text=f"Computing curves: {i + 1} of {len(jobs)} "
                                                   f"({views.strategy_label(s)})")
    holder.empty()
    return out


@st.cache_data(max_entries=32, show_spinner=False)
def prune_report(name: str, checksum: str, configs: tuple[str, ...], budgets: tuple[int, ...]):
    """What pruning proved on the dataset's own training questions for these budgets (``optimize.prune.report``),
    or None beyond n (there nothing is pruned)."""
    from osca_core.model.extrapolation import beyond_training_n
    from osca_core.optimize import prune
    m = view_matrix(name, checksum, configs)
    if len(configs) < 2 or beyond_training_n(m, list(budgets)):
        return None
    return queued(prune.report, m.train_rates(), list(budgets), m.costs)


# -- bootstrap bands, expected cost, certificates, groups ---------------------------------------------------------

CERTIFY_MAX_BUDGETS = 64  # the dashboard certifies OSCA by default when the grid and the matrix are this small
CERTIFY_MAX_CELLS = 20_000  # questions x configurations
N_RESAMPLES = 1000


def view_work(v) -> int:
    """The real cost of a view: questions x selected configurations x budgets of the grid (each strategy evaluates
    pass@C on every cell once per budget; :data:`osca_core.limits.MAX_VIEW_WORK`)."""
    return int(v.matrix.n.shape[0]) * len(v.configs) * len(v.grid)


def too_many_configs(v) -> str | None:
    """Why a view is too large to compute (more than :data:`MAX_VIEW_WORK` cells x budgets), or None. The number
    of configurations alone is no limit."""
    work = view_work(v)
    if work > MAX_VIEW_WORK:
        q = int(v.matrix.n.shape[0])
        return (f"{q} questions x {len(v.configs)} configurations x {len(v.grid)} budgets = {work:,} cell-budgets: "
                f"the dashboard computes at most {MAX_VIEW_WORK:,} per view. Narrow the budget range or the "
                "selection in the sidebar (Configurations: a preset such as top k, or filters by axis).")
    return None


def not_one_split(v) -> str | None:
    """Why the bootstrap, the certificates and the expected costs are not drawn for this view, or None when they
    are: they fit each strategy on the dataset's own split with all samples and no bans, so they score the very
    allocations drawn only when the view is set up that way."""
    s = v.setting
    if s.train_fraction is not None:
        return "random splits"
    if s.c0 is not None:
        return f"a C0 = {s.c0} subsample"
    if s.bans:
        return "bans on mixing (" + ", ".join(s.bans) + ")"
    return None


def certify_default(v) -> bool:
    """Certify OSCA by default where it stays fast: at most CERTIFY_MAX_BUDGETS budgets and a small matrix."""
    q, s = v.matrix.n.shape
    return len(v.grid) <= CERTIFY_MAX_BUDGETS and q * s <= CERTIFY_MAX_CELLS


@st.cache_data(max_entries=32, show_spinner=False)
def question_values(name: str, checksum: str, configs: tuple[str, ...], strategies: tuple[str, ...],
                    budgets: tuple[int, ...], fit_seed: int):
    """Per-test-question values of the strategies on the dataset's own split (``bootstrap.strategy_values``):
    the expensive part of a bootstrap, cached by dataset checksum and settings."""
    from osca_core.analysis import bootstrap
    m = view_matrix(name, checksum, configs)
    return queued(lambda: bootstrap.strategy_values(m, list(strategies), list(budgets), seed=fit_seed))


@st.cache_data(max_entries=32, show_spinner=False)
def curve_bootstrap(name: str, checksum: str, configs: tuple[str, ...], strategies: tuple[str, ...],
                    budgets: tuple[int, ...], fit_seed: int, n_resamples: int, seed: int):
    """Bootstrap over test questions (allocations fixed) of the strategies' curves and the paired differences
    (``paired.bootstrap_values`` over the cached :func:`question_values`)."""
    from osca_core.analysis import paired
    vals = question_values(name, checksum, configs, strategies, budgets, fit_seed)
    m = data.raw_matrix(name, checksum)
    return queued(lambda: paired.bootstrap_values(vals, n_resamples=n_resamples, seed=seed,
                                                  in_sample=bool(m.in_sample)))


@st.cache_data(max_entries=64, show_spinner=False)
def expected_costs(name: str, checksum: str, configs: tuple[str, ...], strategy: str,
                   budgets: tuple[int, ...], fit_seed: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(expected cost per test question under early stopping, nominal cost) per budget of one strategy on the
    dataset's own split (``registry.expected_costs``: a plan's best order, a pure configuration as a
    one-configuration plan; uniform and the oracle by their expected-cost hooks)."""
    from osca_core.strategies import registry
    m = view_matrix(name, checksum, configs)
    return queued(lambda: registry.expected_costs(m, strategy, list(budgets), seed=fit_seed))


@st.cache_data(max_entries=64, show_spinner=False)
def schedules(name: str, checksum: str, configs: tuple[str, ...], setting_key: tuple, split: int,
              allocs: tuple) -> list:
    """The allocations as ordered plans (``stopping_plans.schedules``) on the split they were trained on (the
    dataset's own split, or split ``split`` of a random-splits setup)."""
    from osca_core.strategies import stopping_plans
    m = view_matrix(name, checksum, configs)
    s = setting(setting_key)
    if s.train_fraction is not None:
        m = ex.trials(m, s)[split].full
    return queued(stopping_plans.schedules, m, list(allocs))


@st.cache_data(max_entries=32, show_spinner=False)
def certified_osca(name: str, checksum: str, configs: tuple[str, ...], budgets: tuple[int, ...]) -> list:
    """OSCA's allocations on the dataset's own split with MILP certificates (``certify=True``)."""
    from osca_core.strategies import registry
    m = view_matrix(name, checksum, configs)
    return queued(lambda: registry.allocate(m, "osca", list(budgets), certify=True))


@st.cache_data(max_entries=32, show_spinner=False)
def group_plans(name: str, checksum: str, configs: tuple[str, ...], attr: str, budgets: tuple[int, ...],
                reallocate: bool) -> list:
    """Per-group OSCA plans (``groups.group_plans``) on the dataset's own split."""
    from osca_core.strategies import groups
    m = view_matrix(name, checksum, configs)
    return queued(lambda: groups.group_plans(m, attr, list(budgets), reallocate=reallocate))


@st.cache_resource(show_spinner=False)
def warm_optimizer() -> threading.Thread:
    """Load the optimizer's compiled beam step once per server process, in the background (``beamstep.warm``:
    about 0.4 s); until it is ready the optimizer runs its numpy twin, with the same results."""
    from osca_core.optimize import beamstep
    thread = threading.Thread(target=beamstep.warm, name="osca-warm-beamstep", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def warm_figures() -> bool:
    """Start kaleido's browser once per process (``figures.warm``); False when it cannot start."""
    from osca_core.present import figures
    try:
        figures.warm()
        return True
    except Exception:  # noqa: BLE001 - no Chromium (or kaleido): each download reports it at export
        return False


@st.cache_data(max_entries=16, show_spinner=False)
def report(name: str, checksum: str, configs: tuple[str, ...], budgets: tuple[int, ...],
           strategies: tuple[str, ...], seed: int, command: str, url: str) -> str:
    """The HTML report of the view (``report_content.report_html``; dataset's own split)."""
    from osca_core.present import report_content
    m = view_matrix(name, checksum, configs)
    return queued(lambda: report_content.report_html(
        m, list(budgets), strategies=list(strategies), n_resamples=N_RESAMPLES, seed=seed,
        source=f"dataset {name} (checksum {checksum})", command=command, url=url))
