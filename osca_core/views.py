"""View models for the dashboard: pure functions that turn outcome matrices, curves and allocations into the
filters, tables, lists, headlines and downloadable plans the app shows. No Streamlit here (the pages only arrange
widgets and render what these functions return); every function is unit-tested on the release logs.

- configuration facets and filters (model, temperature, variant parsed from OSCA-style names);
- budget grids (every integer when few, else a log-spaced grid that keeps the powers of two);
- the compute-savings headline, worded from :func:`osca_core.experiments.savings` (baseline = best pure chosen on
  *training* data at the largest budget B, target = its test pass@B, budget needed = smallest C at which OSCA's
  test pass@C reaches it, ratio = B / C);
- allocation tables and plans (CSV / JSON: counts per configuration, budget, seed, split, dataset checksum);
- per-question views: pass rates, per-question pass@C of an allocation, the lists "solved only by the mix",
  "never solved", "solved by a single configuration", the drill-down on one question and the A-vs-B comparison;
- escaping for text taken from data: ``md_escape`` (Streamlit Markdown) and ``plot_text`` (plotly's HTML-like
  labels), so that a configuration called ``<b>x</b>`` or ``**x**`` is shown literally.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from osca_core.errors import InputError
from osca_core.estimators import fail_probability
from osca_core.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.strategies import Allocation, uniform_expected

NONE_LABEL = "(none)"

# -- escaping ----------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'^@%])")


def md_escape(text: object) -> str:
    """``text`` for Streamlit Markdown, shown literally: every ASCII punctuation character that Markdown, Streamlit's
    directives (``:red[...]``, ``:material/...:``, emoji short codes) or LaTeX (``$``) could act on is
    backslash-escaped (CommonMark: a backslash before ASCII punctuation yields that character), and line breaks
    become spaces so one value stays on one line."""
    s = " ".join(str(text).splitlines())
    return _MD_SPECIAL.sub(r"\\\1", s)


def plot_text(text: object) -> str:
    """``text`` for a plotly label, hover text or tick: plotly.js reads a subset of HTML (``<b>``, ``<br>``,
    ``<a href>``, entities) in every text it draws, so ``&``, ``<`` and ``>`` are turned into entities."""
    return html.escape(str(text), quote=False)


# -- configuration facets and filters ------------------------------------------------------------------------

def temperature_label(t: float | None) -> str:
    """Temperature as the app shows and filters it: ``0.8``; ``(none)`` when the name carries no temperature."""
    if t is None:
        return NONE_LABEL
    return f"{t:g}"


def variant_label(v: str) -> str:
    return v if v else NONE_LABEL


@dataclass(frozen=True)
class ConfigFacets:
    """The distinct models, temperature labels and variant labels of a set of configurations, sorted."""

    models: tuple[str, ...]
    temperatures: tuple[str, ...]
    variants: tuple[str, ...]


def config_facets(configs: Sequence[ConfigInfo]) -> ConfigFacets:
    temps = sorted({k.temperature for k in configs if k.temperature is not None})
    tl = [temperature_label(t) for t in temps]
    if any(k.temperature is None for k in configs):
        tl.append(NONE_LABEL)
    return ConfigFacets(
        models=tuple(sorted({k.model for k in configs})),
        temperatures=tuple(tl),
        variants=tuple(sorted({variant_label(k.variant) for k in configs})),
    )


def filter_configs(
    configs: Sequence[ConfigInfo],
    *,
    models: Sequence[str] | None = None,
    temperatures: Sequence[str] | None = None,
    variants: Sequence[str] | None = None,
) -> list[str]:
    """Names of the configurations whose model, temperature label and variant label are in the given lists
    (``None`` or an empty list means no filter on that attribute), in the matrix's order."""
    ms, ts, vs = (set(x) if x else None for x in (models, temperatures, variants))
    return [
        k.name for k in configs
        if (ms is None or k.model in ms)
        and (ts is None or temperature_label(k.temperature) in ts)
        and (vs is None or variant_label(k.variant) in vs)
    ]


# -- budgets -----------------------------------------------------------------------------------------------------

def budget_grid(lo: int, hi: int, *, max_points: int = 64) -> list[int]:
    """Budgets to evaluate between ``lo`` and ``hi`` (inclusive): every integer when there are at most
    ``max_points`` of them, else about ``max_points`` log-spaced distinct integers that always include ``lo``,
    ``hi`` and every power of two in between (so a log2 axis has a point at each tick)."""
    lo, hi = int(lo), int(hi)
    if lo < 1 or hi < lo:
        raise InputError(f"budget range {lo}..{hi}: need 1 <= low <= high")
    if hi - lo + 1 <= max_points:
        return list(range(lo, hi + 1))
    pts = set(np.unique(np.round(np.geomspace(lo, hi, max_points)).astype(int)).tolist())
    pts |= {lo, hi}
    p = 1
    while p <= hi:
        if p >= lo:
            pts.add(p)
        p *= 2
    return sorted(pts)


def default_budget_range(matrix: OutcomeMatrix, *, cap: int = 512) -> tuple[int, int]:
    """1 up to the smallest number of samples logged per cell (beyond it pass@k is extrapolated), capped."""
    return 1, int(min(int(matrix.n.min()), cap))


def budget_limit(matrix: OutcomeMatrix, *, cap: int = 512) -> int:
    """Largest budget the app offers: four times the largest n (extrapolation is flagged), at most ``cap``."""
    return int(max(4, min(4 * int(matrix.n.max()), cap)))


# -- labels --------------------------------------------------------------------------------------------------

STRATEGY_LABELS = {
    "osca": "OSCA",
    "best-pure": "best pure",
    "uniform": "uniform mix",
    "even": "even split",
    "hillclimb": "hill climbing (paper)",
    "osca-eb": "OSCA (empirical Bayes)",
}


def strategy_label(strategy: str) -> str:
    if strategy.startswith("pure:"):
        return f"pure: {strategy[5:]}"
    return STRATEGY_LABELS.get(strategy, strategy)


def allocation_items(allocation: Mapping[str, int]) -> list[tuple[str, int]]:
    """The (configuration, k) pairs with k > 0, largest k first, ties by name."""
    return sorted(((str(n), int(k)) for n, k in allocation.items() if int(k) > 0), key=lambda t: (-t[1], t[0]))


def allocation_text(allocation: Mapping[str, int], *, sep: str = ", ") -> str:
    """``{config: k}`` as ``"a ×3, b ×1"`` (largest first, then by name); ``"-"`` for an empty allocation."""
    items = allocation_items(allocation)
    return sep.join(f"{n} ×{k}" for n, k in items) if items else "-"


# -- compute savings headline -----------------------------------------------------------------------------------

def savings_headline(s, *, n_logged: int | None = None) -> tuple[str, str]:
    """The page's headline from :class:`osca_core.experiments.Savings`, as (headline, detail), e.g.
    ("OSCA reaches best pure's accuracy at C = 5: 3.2x less compute",
    "best pure: gpt4o_0.8 at C = 16, test pass 0.370"). With several splits the per-split interval of the ratio is
    added to the detail; when OSCA never reaches the target within the budgets, the headline says so.
    ``n_logged``: the smallest number of logged samples per cell; a baseline budget beyond it is flagged as
    extrapolated (k > n)."""
    detail = f"best pure: {s.baseline} at C = {s.baseline_budget}, test pass {s.target_pass:.3f}"
    if n_logged is not None and s.baseline_budget > n_logged:
        detail += f"; extrapolated beyond the n = {n_logged} logged samples (k > n)"
    if s.budget_needed is None or s.ratio is None:
        return f"OSCA does not reach best pure's accuracy within C <= {s.baseline_budget}", detail
    lo, hi = getattr(s, "ratio_ci_low", None), getattr(s, "ratio_ci_high", None)
    if lo is not None and hi is not None:
        detail += f"; 95% interval of the ratio over splits {lo:.1f}x to {hi:.1f}x"
    return f"OSCA reaches best pure's accuracy at C = {s.budget_needed}: {s.ratio:.1f}x less compute", detail


# -- allocation tables and plans -----------------------------------------------------------------------------

def ordered_configs(configs: Sequence[ConfigInfo]) -> list[ConfigInfo]:
    """Configurations grouped by model (models in order of first appearance), then by temperature (no
    temperature last), then variant."""
    first = {m: i for i, m in reversed(list(enumerate(k.model for k in configs)))}
    return sorted(configs, key=lambda k: (first[k.model], k.temperature is None, k.temperature or 0.0, k.variant))


GROUPINGS = ("configuration", "model", "temperature", "model+temperature")


def group_of(config: ConfigInfo, group_by: str) -> str:
    """The group a configuration falls in: its name, model, temperature label or "model @ temperature"."""
    if group_by == "configuration":
        return config.name
    if group_by == "model":
        return config.model
    if group_by == "temperature":
        return temperature_label(config.temperature)
    if group_by == "model+temperature":
        return f"{config.model} @ {temperature_label(config.temperature)}"
    raise InputError(f"unknown grouping {group_by!r} (use {', '.join(GROUPINGS)})")


def allocation_long(allocs: Sequence[Allocation], configs: Sequence[ConfigInfo], *,
                    group_by: str = "configuration") -> pd.DataFrame:
    """Long table (budget, group, count, share) of how each allocation spends its budget.

    ``group_by``: ``configuration``, ``model``, ``temperature`` or ``model+temperature`` (variants merged). Groups
    that never receive a sample are left out; groups are ordered by model, then temperature
    (:func:`ordered_configs`).
    """
    configs = ordered_configs(configs)
    by_name = {k.name: group_of(k, group_by) for k in configs}
    order: list[str] = []
    for k in configs:
        g = by_name[k.name]
        if g not in order:
            order.append(g)
    rows = []
    for a in allocs:
        tot: dict[str, int] = {}
        for name, k in zip(a.config_names, a.counts, strict=True):
            if k > 0:
                tot[by_name[name]] = tot.get(by_name[name], 0) + int(k)
        for g in order:
            if g in tot:
                rows.append({"budget": a.budget, "group": g, "count": tot[g], "share": tot[g] / a.budget})
    df = pd.DataFrame(rows, columns=["budget", "group", "count", "share"])
    used = [g for g in order if g in set(df["group"])]
    df["group"] = pd.Categorical(df["group"], categories=used, ordered=True)
    return df.sort_values(["budget", "group"]).reset_index(drop=True)


def allocation_wide(allocs: Sequence[Allocation]) -> pd.DataFrame:
    """One row per budget: budget, train_pass, test_pass, extrapolated, then the count of every configuration that
    receives a sample at some budget (columns in the matrix's order)."""
    if not allocs:
        return pd.DataFrame(columns=["budget", "train_pass", "test_pass", "extrapolated"])
    names = allocs[0].config_names
    used = [j for j in range(len(names)) if any(a.counts[j] > 0 for a in allocs)]
    rows = []
    for a in allocs:
        r = {"budget": a.budget, "train_pass": a.train_pass, "test_pass": a.test_pass,
             "extrapolated": a.extrapolated}
        r.update({names[j]: int(a.counts[j]) for j in used})
        rows.append(r)
    return pd.DataFrame(rows)


def plan_json(allocs: Sequence[Allocation], *, dataset: str, checksum: str, split: str, seed: int,
              strategy: str, configs: Sequence[str], setting: Mapping | None = None,
              split_index: int = 0) -> dict:
    """The plan as a JSON-able dict: dataset, checksum, split (its description, the training setup and which
    random split), seed, strategy, the configurations allocated over, and per budget the counts per
    configuration with the train/test numbers they score."""
    return {
        "dataset": dataset,
        "checksum": checksum,
        "split": split,
        "split_index": int(split_index),
        "setting": dict(setting) if setting is not None else None,
        "seed": int(seed),
        "strategy": strategy,
        "configs": list(configs),
        "plans": [
            {"budget": a.budget, "counts": {n: int(k) for n, k in zip(a.config_names, a.counts, strict=True) if k},
             "train_pass": a.train_pass, "test_pass": a.test_pass, "extrapolated": a.extrapolated}
            for a in allocs
        ],
    }


PLAN_CSV_FIELDS = ("dataset", "checksum", "split", "seed", "strategy", "budget", "configuration", "count",
                   "train_pass", "test_pass", "extrapolated")


def plan_csv(allocs: Sequence[Allocation], *, dataset: str, checksum: str, split: str, seed: int,
             strategy: str) -> str:
    """The plan as CSV, one row per (budget, configuration with k > 0)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PLAN_CSV_FIELDS)
    for a in allocs:
        for n, k in zip(a.config_names, a.counts, strict=True):
            if k > 0:
                w.writerow([dataset, checksum, split, int(seed), strategy, a.budget, n, int(k),
                            repr(a.train_pass), repr(a.test_pass), a.extrapolated])
    return buf.getvalue()


# -- per-question views ------------------------------------------------------------------------------------------

def split_labels(matrix: OutcomeMatrix) -> np.ndarray:
    """Per question: ``train``, ``test`` or ``train+test`` (in-sample releases put every question in both)."""
    tr, te = matrix.train, matrix.test
    return np.where(tr & te, "train+test", np.where(tr, "train", "test"))


def pass_rates(matrix: OutcomeMatrix) -> pd.DataFrame:
    """Questions x configurations plug-in pass rates c/n (index: question id, columns: configuration names)."""
    return pd.DataFrame(matrix.c / matrix.n, index=pd.Index(matrix.question_ids, name="question"),
                        columns=list(matrix.config_names))


def question_frame(matrix: OutcomeMatrix, attrs: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per question: split, mean pass rate over configurations, number of configurations with at least
    one correct sample, best configuration and its rate, plus the attributes in ``attrs`` (indexed by question id,
    or with a ``question_id``/``question``/``id`` column)."""
    rates = matrix.c / matrix.n
    best = np.argmax(rates, axis=1)
    df = pd.DataFrame({
        "split": split_labels(matrix),
        "mean_pass": rates.mean(axis=1),
        "solved_by": (matrix.c > 0).sum(axis=1),
        "best_config": [matrix.config_names[j] for j in best],
        "best_pass": rates[np.arange(len(best)), best],
    }, index=pd.Index(matrix.question_ids, name="question"))
    if attrs is not None and len(attrs):
        a = attrs.copy()
        for col in ("question_id", "question", "id"):
            if col in a.columns:
                a = a.set_index(col)
                break
        a.index = a.index.astype(str)
        a = a.drop(columns=[c for c in a.columns if c in df.columns or c in ("split", "train", "test")],
                   errors="ignore")
        df = df.join(a, how="left")
    return df


def attribute_columns(frame: pd.DataFrame, *, max_levels: int = 50) -> list[str]:
    """Columns of a question frame a user can filter by value: non-numeric, with 2..max_levels distinct values."""
    out = []
    for col in frame.columns:
        if col in ("mean_pass", "solved_by", "best_pass", "best_config"):
            continue
        s = frame[col]
        if pd.api.types.is_numeric_dtype(s) and col != "split":
            continue
        nun = s.astype(str).nunique()
        if 2 <= nun <= max_levels:
            out.append(col)
    return out


def filter_questions(
    frame: pd.DataFrame,
    *,
    search: str = "",
    pass_range: tuple[float, float] = (0.0, 1.0),
    attributes: Mapping[str, Sequence[str]] | None = None,
    sort_by: str = "question",
    descending: bool = False,
) -> pd.DataFrame:
    """Rows of ``frame`` whose id contains ``search`` (case-insensitive, literal), whose mean pass rate lies in
    ``pass_range`` and whose attribute values (compared as strings) are in ``attributes[col]`` (empty: no filter);
    sorted by ``sort_by`` (``question`` or a column), ties by question id."""
    keep = np.ones(len(frame), dtype=bool)
    if search:
        keep &= np.asarray(frame.index.astype(str).str.contains(search, case=False, regex=False), dtype=bool)
    lo, hi = pass_range
    keep &= ((frame["mean_pass"] >= lo - 1e-12) & (frame["mean_pass"] <= hi + 1e-12)).to_numpy()
    for col, vals in (attributes or {}).items():
        if vals:
            keep &= frame[col].astype(str).isin([str(v) for v in vals]).to_numpy()
    out = frame[keep]
    if sort_by == "question":
        return out.sort_index(ascending=not descending, kind="stable")
    if sort_by not in out.columns:
        raise InputError(f"cannot sort questions by {sort_by!r}")
    tmp = out.reset_index()
    tmp = tmp.sort_values([sort_by, "question"], ascending=[not descending, True], kind="stable")
    return tmp.set_index("question")


def per_question_pass(matrix: OutcomeMatrix, counts: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per question, pass@C of the allocation ``counts``: 1 - prod_s fail(n_qs, c_qs, k_s) with the unbiased
    estimator (plug-in where k_s > n_qs, flagged in the second array). Averaging the first array over the test
    questions gives exactly the allocation's ``test_pass``."""
    k = np.asarray(counts, dtype=np.int64)
    sup = np.flatnonzero(k > 0)
    if sup.size == 0:
        z = np.zeros(len(matrix.question_ids))
        return z, z.astype(bool)
    f, over = fail_probability(matrix.n[:, sup], matrix.c[:, sup], k[sup][None, :])
    return 1.0 - np.prod(f, axis=1), over.any(axis=1)


SOLVED_TOL = 1e-9


@dataclass(frozen=True)
class QuestionLists:
    """Questions by who solves them.

    ``only_mix``: the mix's pass@C >= ``threshold`` while the best-pure allocation's pass@C < ``threshold`` (same
    budget; compared with a 1e-9 tolerance, so a probability of exactly 1/2 counts as reaching 1/2); ``never_solved``: no configuration has a correct sample; ``single``: exactly one configuration has a
    correct sample ({question: configuration}).
    """

    only_mix: tuple[str, ...]
    never_solved: tuple[str, ...]
    single: dict[str, str]
    threshold: float


def question_lists(matrix: OutcomeMatrix, mix: Allocation, pure: Allocation, *,
                   threshold: float = 0.5) -> QuestionLists:
    """The three lists of :class:`QuestionLists` for one budget (``mix`` and ``pure`` at the same budget)."""
    if mix.budget != pure.budget:
        raise InputError("compare the mix and best pure at the same budget")
    pm, _ = per_question_pass(matrix, mix.counts)
    pp, _ = per_question_pass(matrix, pure.counts)
    ids = np.asarray(matrix.question_ids, dtype=object)
    solved = matrix.c > 0
    nsolv = solved.sum(axis=1)
    single = {str(ids[q]): matrix.config_names[int(np.argmax(solved[q]))] for q in np.flatnonzero(nsolv == 1)}
    return QuestionLists(
        only_mix=tuple(ids[(pm >= threshold - SOLVED_TOL) & (pp < threshold - SOLVED_TOL)]),
        never_solved=tuple(ids[nsolv == 0]),
        single=single,
        threshold=threshold,
    )


def question_detail(matrix: OutcomeMatrix, question: str, budget: int,
                    allocations: Mapping[str, Allocation]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drill-down on one question at budget C.

    Returns (per configuration: n, c, c/n and pure pass@C; per strategy: pass@C of its allocation on this question,
    extrapolated flag and the allocation). The uniform mix is added exactly (expected pass@C, no allocation).
    """
    try:
        q = matrix.question_ids.index(question)
    except ValueError:
        raise InputError(f"unknown question {question!r} in dataset {matrix.name!r}") from None
    n, c = matrix.n[q], matrix.c[q]
    f, over = fail_probability(n, c, np.full(n.shape, budget))
    per_cfg = pd.DataFrame({
        "configuration": list(matrix.config_names), "n": n, "c": c, "pass_rate": c / n,
        f"pure_pass@{budget}": 1.0 - f, "extrapolated": over,
    })
    rows = []
    for name, a in allocations.items():
        if a.budget != budget:
            raise InputError(f"allocation {name!r} is for budget {a.budget}, not {budget}")
        k = np.asarray(a.counts)
        ff, oo = fail_probability(n, c, k)
        rows.append({"strategy": name, "pass": float(1.0 - np.prod(ff)), "extrapolated": bool(oo[k > 0].any()),
                     "allocation": allocation_text(a.allocation)})
    uv, ue = uniform_expected(n[None, :], c[None, :], [budget])
    rows.append({"strategy": "uniform", "pass": float(uv[0]), "extrapolated": bool(ue[0]),
                 "allocation": "each sample from a configuration drawn uniformly (expected value)"})
    return per_cfg, pd.DataFrame(rows)


@dataclass(frozen=True)
class Comparison:
    """Configuration A against B, question by question (plug-in pass rates; "solved" = at least one correct)."""

    a: str
    b: str
    frame: pd.DataFrame  # index question: rate_a, rate_b, diff (a - b), split
    both: int
    only_a: int
    only_b: int
    neither: int
    mean_a: float
    mean_b: float


def compare_configs(matrix: OutcomeMatrix, a: str, b: str) -> Comparison:
    """A-vs-B comparison of two configurations over all questions of ``matrix``."""
    ia, ib = matrix.config_index([a, b])
    ra = matrix.c[:, ia] / matrix.n[:, ia]
    rb = matrix.c[:, ib] / matrix.n[:, ib]
    sa, sb = matrix.c[:, ia] > 0, matrix.c[:, ib] > 0
    frame = pd.DataFrame({"rate_a": ra, "rate_b": rb, "diff": ra - rb, "split": split_labels(matrix)},
                         index=pd.Index(matrix.question_ids, name="question"))
    return Comparison(a, b, frame, int((sa & sb).sum()), int((sa & ~sb).sum()), int((~sa & sb).sum()),
                      int((~sa & ~sb).sum()), float(ra.mean()), float(rb.mean()))
