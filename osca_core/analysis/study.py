"""The experiment study behind ``osca study``: the grids of the OSCA paper's Figures 3 to 5 on one log.

For random splits (``osca_core.analysis.experiments``): test pass@C against the training fraction (0.1 .. 0.9), against the
estimation budget C0 in {1, 5, 10, 50, all} (values above n skipped), and with each ban on mixing, for
``best-pure``, ``osca`` and ``osca-eb``, with mean, 95% percentile interval and paired differences per budget; then
compute savings on the log's own split and on random splits (on ``--budgets`` when given, else every budget
1..n). Rows are plain frozen dataclasses, written to CSV by the CLI; :func:`study_summary` makes the short table
printed by ``osca study`` and shown in docs/experiments.md.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from osca_core.analysis.experiments import Setting, as_tuple, interval, run_curves, savings
from osca_core.analysis.savings_result import Savings, savings_budgets
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Curve

STUDY_FRACTIONS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
STUDY_C0 = (1, 5, 10, 50, None)  # None: all n samples
STUDY_BANS = ((), ("multi-model",), ("multi-temperature",), ("multi-variant",))
STUDY_LINEUP = ("best-pure", "osca", "osca-eb")


@dataclass(frozen=True)
class StudyRow:
    """One point of a study curve (or of a paired difference ``a - b``), as written to CSV."""

    dataset: str
    study: str  # train_fraction | c0 | ban
    train_fraction: float
    c0: str  # an integer or "all"
    ban: str  # "none" or e.g. "multi-model"
    strategy: str
    budget: int
    mean: float
    ci_low: float | None
    ci_high: float | None
    splits: int
    seed: int

    def as_dict(self) -> dict:
        """The CSV row of ``osca study`` (field order as declared)."""
        return asdict(self)


def study_budgets(matrix: OutcomeMatrix) -> list[int]:
    """1..n when the smallest n is at most 32, else powers of two up to n, and n."""
    n = int(matrix.n.min())
    if n <= 32:
        return list(range(1, n + 1))
    return sorted({2**i for i in range(n.bit_length()) if 2**i <= n} | {n})


@dataclass(frozen=True)
class Study:
    """A study of one log: curve rows (see :class:`StudyRow`) and savings on the log's split and on random splits."""

    dataset: str
    budgets: tuple[int, ...]
    rows: tuple[StudyRow, ...]
    savings: tuple[Savings, ...]


def study(matrix: OutcomeMatrix, *, budgets: Sequence[int] | None = None, splits: int = 10, seed: int = 0,
          base_fraction: float = 0.5, progress: Callable[[str], None] | None = None) -> Study:
    """The three studies on random splits: training fraction (0.1..0.9, all samples), C0 in {1, 5, 10, 50, all}
    (skipping values above n) at ``base_fraction``, and each ban at ``base_fraction`` (osca, banned vs free);
    rows hold mean and interval per strategy and budget, plus paired differences (same splits). Then savings on
    the log's own split and on ``splits`` random splits at ``base_fraction``, on ``budgets`` when given, else on
    every budget 1..n (``savings_result.savings_budgets``: the given budgets, sorted and distinct)."""
    given = list(budgets) if budgets else None
    budgets = given or study_budgets(matrix)
    nmin = int(matrix.n.min())
    rows: list[StudyRow] = []

    def say(msg: str) -> None:
        if progress:
            progress(f"{matrix.name}: {msg}")

    def add(kind: str, s: Setting, curves: Sequence[Curve]) -> None:
        for cv in curves:
            for i, b in enumerate(cv.budgets):
                rows.append(StudyRow(
                    matrix.name, kind, float(s.train_fraction), "all" if s.c0 is None else str(s.c0),
                    "+".join(s.bans) or "none", cv.strategy, int(b), cv.values[i],
                    None if cv.ci_low is None else cv.ci_low[i], None if cv.ci_high is None else cv.ci_high[i],
                    s.splits, s.seed))

    pairs = (("osca", "best-pure"), ("osca-eb", "osca"))
    for f in STUDY_FRACTIONS:
        say(f"train fraction {f:g}")
        s = Setting(f, splits, seed)
        cs = run_curves(matrix, STUDY_LINEUP, budgets, s)
        add("train_fraction", s, list(cs.curves) + [cs.difference(a, b) for a, b in pairs])
    for c0 in STUDY_C0:
        if c0 is not None and c0 > nmin:
            continue
        say(f"C0 {c0 or 'all'}")
        s = Setting(base_fraction, splits, seed, c0)
        cs = run_curves(matrix, STUDY_LINEUP, budgets, s)
        add("c0", s, list(cs.curves) + [cs.difference(a, b) for a, b in pairs])
    free = None
    for bans in STUDY_BANS:
        say(f"ban {'+'.join(bans) or 'none'}")
        s = Setting(base_fraction, splits, seed, None, bans)
        cs = run_curves(matrix, ["osca"], budgets, s)
        curves = list(cs.curves)
        if free is None:
            free = cs
        else:  # paired with the free run: same seed and fraction, hence the same splits
            mean, lo, hi = interval(cs.per_split["osca"] - free.per_split["osca"])
            curves.append(Curve("osca(banned) - osca(free)", cs.budgets, as_tuple(mean),
                                (False,) * len(budgets), as_tuple(lo), as_tuple(hi)))
        add("ban", s, curves)
    say("savings")
    sv_budgets = savings_budgets(given, top=nmin)
    sv = (savings(matrix, sv_budgets), savings(matrix, sv_budgets, setting=Setting(base_fraction, splits, seed)))
    return Study(matrix.name, tuple(budgets), tuple(rows), sv)


SUMMARY_FRACTIONS = (0.1, 0.3, 0.5, 0.7, 0.9)


def study_summary(result: Study, *, budget: int | None = None) -> list[dict]:
    """A short table of a study at one budget (default: the largest): per setting the mean and interval of
    best-pure, osca and osca-eb (osca alone for bans), then the savings rows."""
    b = budget or max(result.budgets)
    pick: dict[tuple, dict] = {}
    for r in result.rows:
        if r.budget != b:
            continue
        if r.study == "train_fraction" and not any(abs(r.train_fraction - f) < 1e-9 for f in SUMMARY_FRACTIONS):
            continue
        setting = {"train_fraction": f"F = {r.train_fraction:g}", "c0": f"C0 = {r.c0} (F = {r.train_fraction:g})",
                   "ban": f"ban {r.ban} (F = {r.train_fraction:g})"}[r.study]
        row = pick.setdefault((r.study, setting), {"dataset": result.dataset, "experiment": r.study,
                                                   "setting": setting, "budget": b})
        row[r.strategy] = (r.mean, r.ci_low, r.ci_high)
    out = list(pick.values())
    for sv in result.savings:
        lab = "release split" if sv.setting.train_fraction is None else (
            f"F = {sv.setting.train_fraction:g}, {sv.setting.splits} splits")
        out.append({"dataset": result.dataset, "experiment": "savings", "setting": lab,
                    "budget": sv.baseline_budget, "baseline": sv.baseline, "target_pass": sv.target_pass,
                    "budget_needed": sv.budget_needed, "ratio": sv.ratio,
                    "ratio_ci": (sv.ratio_ci_low, sv.ratio_ci_high)})
    return out
