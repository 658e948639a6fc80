"""What the shareable report of one outcome matrix says: curves with bootstrap bands, the paired difference
OSCA - best pure, the allocation (shares of the budget per configuration, and the counts), the compute-savings
headline, the per-question summary and the provenance; laid out by :mod:`osca_core.present.report`.

:func:`compute` runs the science once (``paired.bootstrap_curves`` over the test questions with the
allocations fixed, ``paired.bootstrap_savings`` over budgets 1..max, ``views.question_lists`` on the test
questions) into a :class:`ReportData`; :func:`build` turns it into a :class:`~osca_core.present.report.Report`;
:func:`report_html` does both and renders. The figure builders (:func:`curves_fig`, :func:`allocation_fig`,
:func:`questions_fig`) are the ones ``osca figure`` exports. Every number shown is a number of the result
dataclasses (the same as ``osca curves`` / ``osca savings`` with the same seed), printed beside the allocation
that scores it; points with some k > n are flagged (open markers, an "extrapolated" column); on an in-sample
log (train = test) every number is labelled in-sample. The links back (the reproducing
command, the dashboard URL of the same view) are :mod:`osca_core.present.report`'s ``command`` and ``dashboard_url``.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from osca_core.analysis import headline as headline_rule
from osca_core.analysis import paired, savings_result
from osca_core.analysis.headline import Headline
from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import lazy_prior
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.per_question import question_values
from osca_core.model.results import Allocation
from osca_core.model.splits import Setting
from osca_core.present import plots, uncertainty_plots, views
from osca_core.present.report import DASHBOARD, Report, Section, Table, budget_spec, dashboard_url, render  # noqa: F401
from osca_core.strategies import registry

DEFAULT_RESAMPLES = 1000  # the report's B (the bootstrap module's own default is larger)
REQUIRED = ("best-pure", "osca")  # the report compares these two, so they are always evaluated
MAX_LISTED = 200  # question ids listed per list (the count is always complete)
EVERY_BUDGET_UP_TO = 1024  # savings read every budget 1..max up to here, else the report's budgets
UNIFORM_NOTE = "random: each sample's configuration drawn uniformly (exact expectation)"
Progress = Callable[[str], None]


def version() -> str:
    """The installed osca-studio version (``importlib.metadata``), ``unknown`` when not installed."""
    try:
        return importlib.metadata.version("osca-studio")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def report_strategies(matrix: OutcomeMatrix, strategies: Sequence[str] | None) -> list[str]:
    """The strategies asked for (default: ``registry.default_strategies``), checked, plus best-pure and osca
    when missing (the difference, savings and allocation sections need them)."""
    names = list(strategies) if strategies is not None else registry.default_strategies(matrix)
    registry.check_names(matrix, names)
    return names + [s for s in REQUIRED if s not in names]


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything a report shows, computed once (see :func:`compute`)."""

    matrix: OutcomeMatrix
    budgets: tuple[int, ...]
    strategies: tuple[str, ...]
    curves: paired.CurveBootstrap
    difference: paired.Difference
    savings: savings_result.Savings | None  # None when computed with savings=False (figures)
    lists: views.QuestionLists
    only_mix_rows: tuple[dict, ...]
    n_resamples: int
    seed: int
    level: float
    headline: Headline | None = None  # the one headline rule (analysis.headline), with the savings

    @property
    def top(self) -> int:
        return self.budgets[-1]

    @property
    def in_sample(self) -> bool:
        return self.matrix.in_sample

    @property
    def pass_label(self) -> str:
        return "in-sample pass@C" if self.in_sample else "test pass@C"

    def allocations(self, strategy: str = "osca") -> tuple[Allocation, ...]:
        return self.curves.curve(strategy).allocations


def savings_budgets(budgets: Sequence[int]) -> list[int]:
    """Every budget 1..max (as the dashboard's headline) when max <= EVERY_BUDGET_UP_TO, else the report's
    own."""
    top = max(budgets)
    return savings_result.savings_budgets(None if top <= EVERY_BUDGET_UP_TO else budgets, top=top)


def test_matrix(matrix: OutcomeMatrix) -> OutcomeMatrix:
    """The test questions alone (train = test = them), for the per-question lists of held-out questions."""
    return matrix.with_split(matrix.test, matrix.test).select_questions(matrix.test)


def compute(matrix: OutcomeMatrix, budgets: Sequence[int], *, strategies: Sequence[str] | None = None,
            n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0, level: float = paired.DEFAULT_LEVEL,
            savings: bool = True, progress: Progress | None = None) -> ReportData:
    """Fit every strategy on the training questions and bootstrap its test curve (B = ``n_resamples``
    resamples of the test questions, ``seed``, which also seeds hill climbing as in ``osca curves --seed``;
    allocations fixed); the savings of OSCA over best pure on
    budgets 1..max(budgets) (skipped with ``savings=False``); the per-question lists at the largest budget."""
    say = progress or (lambda _msg: None)
    budgets = sorted(set(check_budgets(budgets)))
    names = report_strategies(matrix, strategies)
    say(f"curves: {len(names)} strategies x {len(budgets)} budgets, bootstrap B = {n_resamples}")
    cb = paired.bootstrap_curves(matrix, names, budgets, n_resamples=n_resamples, level=level, seed=seed,
                                 pairs=[("osca", "best-pure")], fit_seed=seed)
    sv = head = None
    if savings:
        say(f"savings: budgets 1..{budgets[-1]}")

        def run(b, **kw):
            return paired.bootstrap_savings(matrix, b, n_resamples=n_resamples, level=level, seed=seed,
                                            fit_seed=seed, **kw)

        reading = headline_rule.read(matrix, savings_budgets(budgets), Setting(seed=seed), run)
        sv, head = reading.savings, reading.headline
    mix, pure = cb.curve("osca").allocations[-1], cb.curve("best-pure").allocations[-1]
    mt = test_matrix(matrix)
    lists = views.question_lists(mt, mix, pure)
    pm, em = views.per_question_pass(mt, mix.counts)
    pp, _ = views.per_question_pass(mt, pure.counts)
    index = {q: i for i, q in enumerate(mt.question_ids)}
    rows = tuple({"question": q, "osca": float(pm[index[q]]), "best_pure": float(pp[index[q]]),
                  "extrapolated": "yes" if em[index[q]] else "no"} for q in lists.only_mix)
    return ReportData(matrix, tuple(budgets), tuple(names), cb, cb.difference("osca", "best-pure"), sv, lists,
                      rows, int(n_resamples), int(seed), float(level), head)


# -- figures -------------------------------------------------------------------------------------------------

def log_axis(budgets: Sequence[int]) -> bool:
    """The budget axis is logarithmic (base 2) when the largest budget is above ``views.LOG_AXIS_ABOVE``."""
    return views.log_axis_default(max(budgets))


def curves_fig(data: ReportData) -> go.Figure:
    """Pass@C curves with their bootstrap bands; open markers where some k > n (plots.curves_figure)."""
    m = data.matrix
    title = f"{m.name}: {data.pass_label}" + ("" if data.in_sample else f" ({m.split_label})")
    if data.n_resamples:
        title += f", {100 * data.level:g}% bootstrap bands over {'the' if data.in_sample else 'test'} questions"
    fig = plots.curves_figure(data.curves.curves, log2_x=log_axis(data.budgets), title=title,
                              n_min=int(m.n.min()))
    return fig.update_layout(yaxis_title=data.pass_label)


def difference_fig(data: ReportData) -> go.Figure:
    """OSCA - best pure with its paired bootstrap band (uncertainty_plots.difference_figure)."""
    method = "bootstrap over " + ("the (in-sample) questions" if data.in_sample else "test questions")
    fig = uncertainty_plots.difference_figure(data.difference, log2_x=log_axis(data.budgets), method=method,
                                               title=f"{data.matrix.name}: OSCA - best pure ({data.pass_label})")
    return fig.update_layout(yaxis_title=f"{data.pass_label} difference (OSCA - best pure)")


def share_figure(allocs: Sequence[Allocation], matrix: OutcomeMatrix, *, title: str | None = None) -> go.Figure:
    """How each budget is spent, as *shares* of the budget per configuration (stable colours from
    ``plots.allocation_colors``; counts and shares in the hover): stacked bars when the largest budget is at
    most ``views.LOG_AXIS_ABOVE``, else a stacked step area on a log2 budget axis, readable at budgets
    1..300."""
    frame = views.allocation_long(allocs, matrix.configs)
    colors = plots.allocation_colors(matrix.configs, "configuration")
    budgets = [a.budget for a in allocs]
    if log_axis(budgets):
        fig = plots.allocation_figure(frame, kind="area", log2_x=True, colors=colors, title=title)
        fig.update_traces(groupnorm="percent", line_shape="hv", selector=dict(type="scatter"))
    else:
        fig = plots.allocation_figure(frame, kind="bar", colors=colors, title=title)
        fig.update_layout(barnorm="percent")
    fig.update_layout(yaxis=dict(title="share of the budget (%)", range=[0, 100]))
    return fig


def allocation_fig(data: ReportData, strategy: str = "osca") -> go.Figure:
    return share_figure(data.allocations(strategy), data.matrix,
                        title=f"{data.matrix.name}: {registry.label(strategy)} allocation, share of each budget")


def _per_question(data: ReportData, strategy: str, budget: int) -> np.ndarray:
    if budget in data.budgets:
        return data.curves.values.at(strategy, budget)
    a = registry.allocate(data.matrix, strategy, [budget])[0]
    return question_values(*data.matrix.test_counts(), a.counts, prior=lazy_prior(data.matrix))[0]


def questions_fig(data: ReportData) -> go.Figure:
    """Histograms over the test questions of per-question pass@1 and pass@C (largest budget), OSCA and best
    pure."""
    names = ("best-pure", "osca")
    p1 = {s: _per_question(data, s, 1) for s in names}
    pc = {s: _per_question(data, s, data.top) for s in names}
    where = "questions (in-sample)" if data.in_sample else "test questions"
    return uncertainty_plots.question_histogram_figure(p1, pc, budget=data.top,
                                                       title=f"{data.matrix.name}: per-question pass over {where}")


FIGURES = {"curves": curves_fig, "allocation": allocation_fig, "questions": questions_fig,
           "difference": difference_fig}


# -- the report ----------------------------------------------------------------------------------------------

def _yes(flag: bool) -> str:
    return "yes (k > n)" if flag else "no"


def _curve_rows(data: ReportData, *, pure: bool) -> list[dict]:
    rows = []
    for cv in data.curves.curves:
        if registry.get(cv.strategy).is_pure != pure:
            continue
        allocs = cv.allocations or (None,) * len(cv.budgets)
        for r, a in zip(cv.rows(), allocs, strict=True):
            rows.append(dict(r, strategy=registry.label(cv.strategy), extrapolated=_yes(r["extrapolated"]),
                             allocation=UNIFORM_NOTE if a is None else a.text))
    return rows


def savings_headline(sv: savings_result.Savings, level: float) -> str:
    """One line: the budget at which OSCA reaches best pure's accuracy at the largest budget, the compute
    ratio and its bootstrap interval."""
    base = (f"best pure ({sv.baseline}, chosen on training data) reaches {sv.target_pass:.4f} at "
            f"C = {sv.baseline_budget}")
    if sv.budget_needed is None:
        text = f"OSCA does not reach it within C <= {sv.baseline_budget}: {base}"
    else:
        text = f"OSCA needs C = {sv.budget_needed} for what {base}: {sv.ratio:.2f}x less compute"
    if sv.ratio_ci_low is not None:
        text += (f"; {100 * level:g}% bootstrap interval of the ratio {sv.ratio_ci_low:.2f}x to "
                 f"{sv.ratio_ci_high:.2f}x (0 = not reached, in {100 * sv.not_reached:.1f}% of the replicates)")
    else:
        text += " (no interval: bootstrap B = 0)"
    return text


def key_budgets(budgets: Sequence[int]) -> list[int]:
    """The budgets of the compact tables: the first, every power of two, and the last."""
    bs = sorted(budgets)
    return [b for b in bs if b == bs[0] or b == bs[-1] or b & (b - 1) == 0]


def _cell(v: float, lo: float | None, hi: float | None) -> str:
    return f"{v:.4f}" if lo is None else f"{v:.4f} [{lo:.4f}, {hi:.4f}]"


def _summary(data: ReportData) -> Table:
    """Rows = key budgets, columns = strategies (not pure): pass [interval], * where extrapolated."""
    cvs = [cv for cv in data.curves.curves if not registry.get(cv.strategy).is_pure]
    rows = []
    for b in key_budgets(data.budgets):
        row: list = [b]
        for cv in cvs:
            i = cv.budgets.index(b)
            lo = None if cv.ci_low is None else cv.ci_low[i]
            hi = None if cv.ci_high is None else cv.ci_high[i]
            row.append(_cell(cv.values[i], lo, hi) + (" *" if cv.extrapolated[i] else ""))
        rows.append(tuple(row))
    cap = f"{data.pass_label} [{100 * data.level:g}% interval] at the key budgets; * = extrapolated (k > n)"
    return Table(("budget", *(registry.label(cv.strategy) for cv in cvs)), tuple(rows), caption=cap)


def _rows_table(rows: Sequence[dict], columns: Sequence[str], caption: str, *, digits: int = 5,
                collapsed: bool = True) -> Table:
    return Table(tuple(columns), tuple(tuple(_plain(r.get(c)) for c in columns) for r in rows), digits,
                 caption=caption, collapsed=collapsed)


def _listing(items: Sequence[str], limit: int) -> str:
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _curves_section(data: ReportData, ins: str) -> Section:
    m = data.matrix
    extra = [f"{registry.label(cv.strategy)} at C = {b}" for cv in data.curves.curves
             for b, e in zip(cv.budgets, cv.extrapolated, strict=True) if e]
    where = ("the questions (in-sample)" if data.in_sample
             else f"the {data.curves.test_questions} test questions")
    boot = "No bands: bootstrap B = 0."
    if data.n_resamples:
        boot = (f"Bands: {100 * data.level:g}% percentile intervals of a bootstrap over {where} "
                f"(B = {data.n_resamples}, seed {data.seed}), each strategy's allocation fixed as learned on the "
                "training questions.")
    ext = f"No point is extrapolated (every budget is within the n = {int(m.n.min())} logged samples)."
    if extra:
        ext = ("Extrapolated points (some configuration asked for more samples than logged, k > n; plug-in "
               f"estimate), drawn as open circles and marked * or 'yes (k > n)': {len(extra)} "
               f"({_listing(extra, 12)}).")
    rows_note = ("In the tables below each row's pass is the mean over questions of the allocation shown in the "
                 "same row.")
    cols = ("strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated", "allocation")
    tables = (_summary(data),
              _rows_table(_curve_rows(data, pure=False), cols, "every point of every strategy, with its allocation"),
              _rows_table(_curve_rows(data, pure=True), cols, "every pure configuration"))
    return Section(f"{data.pass_label} against the budget{ins}", (boot, ext, rows_note), (curves_fig(data),),
                   tables)


def _difference_section(data: ReportData, ins: str, keys: set[int]) -> Section:
    d = data.difference
    excl = [str(b) for b, e in zip(d.budgets, d.excludes_zero, strict=True) if e]
    text = "No interval (B = 0)."
    if d.ci_low is not None:
        text = (f"The {100 * d.level:g}% interval excludes 0 at {len(excl)} of {len(d.budgets)} budgets"
                + (f" ({_listing(excl, 20)})." if excl else "."))
    paired_note = ("Paired: both strategies are scored on the same resampled questions, so the interval of the "
                   "difference is narrower than the two bands suggest. Filled markers: the interval excludes 0.")
    rows, cols = d.rows(), ("budget", "diff", "ci_low", "ci_high")
    tables = (_rows_table([r for r in rows if r["budget"] in keys], cols, "OSCA - best pure at the key budgets",
                          collapsed=False),
              _rows_table(rows, cols, "OSCA - best pure at every budget"))
    return Section(f"OSCA - best pure, paired{ins}", (paired_note, text), (difference_fig(data),), tables,
                   headline=("In-sample. " if data.in_sample else "") + d.headline(data.top))


def _allocation_section(data: ReportData, keys: set[int]) -> Section:
    wide = views.allocation_wide(data.allocations("osca"))
    wide["extrapolated"] = [_yes(bool(x)) for x in wide["extrapolated"]]
    if data.in_sample:
        wide = wide.rename(columns={"test_pass": "pass (in-sample)"})
    rows = [dict(zip(wide.columns, r, strict=True)) for r in wide.itertuples(index=False)]
    text = ("Shares of each budget per configuration (hover for the counts); the tables give the counts k per "
            f"configuration, the training objective they reach and the {data.pass_label} they score (= the OSCA "
            "curve).")
    tables = (_rows_table([r for r in rows if r["budget"] in keys], wide.columns,
                          "counts per configuration at the key budgets", collapsed=False),
              _rows_table(rows, wide.columns, "counts per configuration at every budget"))
    return Section("OSCA's allocation", (text,), (allocation_fig(data),), tables)


def _sentence(text: str) -> str:
    """``text`` with its first letter upper-cased and a full stop (names and "OSCA" keep their case)."""
    return text[:1].upper() + text[1:] + "."


def _savings_section(data: ReportData, ins: str, keys: set[int]) -> Section:
    sv = data.savings
    gaps, cols = sv.as_dict()["gaps"], ("budget", "osca", "best_pure", "gap", "ci_low", "ci_high")
    text = (f"Savings on budgets {_span(sv.gaps.budgets)}: the baseline is the best pure configuration chosen on "
            f"training data at C = {sv.baseline_budget}; the budget needed is the first C at which OSCA's curve reaches its "
            f"{data.pass_label}.")
    tables = (_rows_table([r for r in gaps if r["budget"] in keys], cols,
                          "accuracy gap OSCA - best pure at the key budgets (the stable comparison)", collapsed=False),
              _rows_table(gaps, cols, f"accuracy gap at every budget {_span(sv.gaps.budgets)}"))
    h = data.headline
    if h is None:
        return Section(f"Compute savings{ins}", (text, f"Note: {sv.note}."), (), tables,
                       headline=("In-sample. " if data.in_sample else "") + savings_headline(sv, data.level))
    paras = (text, f"The reading: {savings_headline(sv, data.level)}.", _sentence(h.detail),
             *((_sentence(h.modelled),) if h.modelled else ()), f"Note: {sv.note}.")
    return Section(f"Compute savings{ins}", paras, (), tables,
                   headline=("In-sample. " if data.in_sample else "") + h.text)


def _questions_section(data: ReportData, ins: str) -> Section:
    ql, top = data.lists, data.top
    nq = len(test_matrix(data.matrix).question_ids)
    never, shown = list(ql.never_solved), list(data.only_mix_rows[:MAX_LISTED])
    over = "questions (in-sample)" if data.in_sample else "test questions"
    text = (f"Over {nq} {over}: {len(ql.only_mix)} solved only by the mix (OSCA's pass@{top} >= "
            f"{ql.threshold:g} while best pure's < {ql.threshold:g}), {len(never)} never solved (no correct sample "
            f"in any configuration), {len(ql.single)} solved by a single configuration.")
    never_text = "Never solved: " + (_listing(never, MAX_LISTED) if never else "none")
    cap = f"solved only by the mix: pass@{top} per question"
    if len(ql.only_mix) > MAX_LISTED:
        cap += f" (first {MAX_LISTED})"
    table = _rows_table(shown, ("question", "osca", "best_pure", "extrapolated"), cap, digits=4,
                        collapsed=len(shown) > 20)
    return Section(f"Questions at C = {top}{ins}", (text, never_text), (questions_fig(data),), (table,))


def _sections(data: ReportData) -> list[Section]:
    ins = " (in-sample: train = test)" if data.in_sample else ""
    keys = set(key_budgets(data.budgets))
    return [_curves_section(data, ins), _difference_section(data, ins, keys), _allocation_section(data, keys),
            _savings_section(data, ins, keys), _questions_section(data, ins)]


def _span(budgets: Sequence[int]) -> str:
    bs = list(budgets)
    return f"{bs[0]}..{bs[-1]}" if bs == list(range(bs[0], bs[-1] + 1)) else ", ".join(map(str, bs))


def _plain(v):
    if isinstance(v, np.bool_ | bool):
        return _yes(bool(v))
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def provenance(data: ReportData, *, source: str, command: str | None, url: str | None) -> tuple[tuple[str, str], ...]:
    """(label, value) pairs: dataset, checksums, split, strategies, budgets, B, seed, versions, command,
    URL."""
    m = data.matrix
    rows = [("dataset", m.name), ("source", source), ("content checksum (SHA-256)", m.content_checksum()),
            ("questions x configurations", f"{m.shape[0]} x {m.shape[1]}: {', '.join(m.config_names)}"),
            ("split", m.split_label + (" (train = test: every number is in-sample)" if data.in_sample else "")),
            ("budgets", ", ".join(map(str, data.budgets))), ("strategies", ", ".join(data.strategies)),
            ("bootstrap", f"B = {data.n_resamples}, {100 * data.level:g}% percentile intervals, resampling "
             + ("the questions (in-sample)" if data.in_sample else "test questions") + ", allocations fixed"),
            ("seed", str(data.seed)), ("osca-studio version", version()),
            ("plotly version", importlib.metadata.version("plotly")),
            ("generated (UTC)", _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S"))]
    if m.checksum and m.checksum != m.content_checksum():
        rows.insert(3, ("stored checksum", m.checksum))
    if command:
        rows.append(("reproduce with", command))
    if url:
        rows.append(("dashboard view", url))
    return tuple(rows)


def build(data: ReportData, *, source: str = "", command: str | None = None, url: str | None = None) -> Report:
    """The :class:`~osca_core.present.report.Report` of ``data`` (computed with savings)."""
    if data.savings is None:
        raise ValueError("build: the report needs data computed with savings=True")
    m = data.matrix
    sub = (f"{m.shape[0]} questions x {m.shape[1]} configurations, {m.split_label}; budgets {data.budgets[0]}.."
           f"{data.top}; bootstrap B = {data.n_resamples}, seed {data.seed}; osca-studio {version()}")
    notes = ()
    if data.in_sample:
        notes = ("In-sample: this log's training and test questions are the same, so every number below is a "
                 "training number (in-sample), not a held-out one.",)
    if m.synthetic:
        notes += ("Synthetic demo data: generated by a seeded model, not measured results.",)
    return Report(f"OSCA report: {m.name}", sub, tuple(_sections(data)),
                  provenance(data, source=source, command=command, url=url), url, notes)


def report_html(matrix: OutcomeMatrix, budgets: Sequence[int], *, strategies: Sequence[str] | None = None,
                n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0, source: str = "", command: str | None = None,
                url: str | None = None, progress: Progress | None = None) -> str:
    """The whole report as one self-contained HTML document (``compute`` + ``build`` + ``report.render``)."""
    data = compute(matrix, budgets, strategies=strategies, n_resamples=n_resamples, seed=seed, progress=progress)
    return render(build(data, source=source, command=command, url=url))
