"""The one headline rule ("OSCA reaches best pure's accuracy with N x less compute"), shared by ``osca savings``,
the dashboard's Curves page and the HTML report.

**Measured points only.** Let B be the largest budget asked for at which some configuration is *measured*:
min_q n_qs >= B (:func:`measured_budget`). The baseline is the best pure configuration among those measured at
B (chosen on training data, :func:`measured_configs`), its test pass@B the target, and the crossing is the first
budget at which OSCA's test curve reaches the target among OSCA's measured points (no term with k > n). So on a
thin log (a CRUXEval-shaped one with n in {1, 2, 3, 10}) B = 10 against the n = 10 configurations, never
"1.00x at C = 1" because the best configuration holds one sample. The reading on every budget (extrapolated
points included: the Beta-binomial predictive) stands beside it, labelled *modelled*, worded by the same rule. ``--allow-extrapolation``
puts the modelled reading in front instead.

**The words** (:func:`decide`, first match; eps = 1e-9):

1. *unmeasured*: no budget above the first is measured (every configuration holds n < 2): "No measured saving";
2. *tie*: |OSCA - best pure| <= eps at every budget up to B: "No saving: the curves tie";
3. *saturated*: best pure (a measured point) already reaches the target at a budget below B, and OSCA does not
   reach it earlier: "No saving: best pure already reaches it at C = ..." (its curve saturates, or a configuration
   measured only at smaller budgets is stronger than the measured baseline);
4. *not reached* / *no saving*: OSCA does not reach the target below B;
5. *unstable* ("the gap leads"): the ratio's interval reaches 1 or below (some splits / replicates show no saving)
   or spans more than a factor 2: the stable accuracy gap OSCA - best pure at C = B with its interval leads, the
   ratio follows with its interval;
6. *saving*: the ratio B / C with its interval; on one split without a bootstrap the text says there is none.

The ratio is always printed with its interval where one exists (random splits: percentiles over splits; one
split: the bootstrap's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.analysis.savings_result import Savings
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.splits import Setting

EPS = 1e-9
UNSTABLE_FACTOR = 2.0  # a ratio interval wider than this factor: the crossing is unstable, the gap leads
MODELLED = "modelled beyond n (Beta-binomial, extrapolated points), by the same rule: "
KINDS = ("saving", "unstable", "no-saving", "not-reached", "saturated", "tie", "unmeasured")
Runner = Callable[..., Savings]  # run(budgets, baseline_configs=None, measured_only=False) -> Savings


def cell_n(matrix: OutcomeMatrix) -> np.ndarray:
    """(S,) the smallest n of each configuration over its measured (non-imputed, n > 0) cells."""
    n = np.where(matrix.imputed | (matrix.n == 0), np.iinfo(np.int64).max, matrix.n)
    out = n.min(axis=0)
    return np.where(out == np.iinfo(np.int64).max, 0, out)


def measured_budget(matrix: OutcomeMatrix, budgets: Sequence[int]) -> int | None:
    """The largest budget of ``budgets`` at which some configuration is measured (its smallest n >= it)."""
    top = int(cell_n(matrix).max())
    ok = [int(b) for b in budgets if b <= top]
    return max(ok) if ok else None


def measured_configs(matrix: OutcomeMatrix, budget: int) -> list[str]:
    """The configurations whose every cell holds at least ``budget`` samples."""
    n = cell_n(matrix)
    return [name for name, k in zip(matrix.config_names, n, strict=True) if k >= budget]


@dataclass(frozen=True)
class Headline:
    """The headline of a savings reading: its kind (``KINDS``), the one line, a detail line and the modelled
    reading (None when no point is extrapolated)."""

    kind: str
    text: str
    detail: str
    baseline_budget: int
    measured_budget: int | None
    thin: bool  # the baseline was restricted to the configurations measured at the baseline budget
    points: str  # "measured" or "all"
    modelled: str | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text, "detail": self.detail, "modelled": self.modelled,
                "baseline_budget": self.baseline_budget, "measured_budget": self.measured_budget,
                "thin": self.thin, "points": self.points}


def _pct(level: float) -> str:
    return f"{100 * level:g}%"


def ratio_text(sv: Savings) -> str:
    """ "3.20x less compute (95% interval 1.10x to 9.09x)" , the interval (or its absence) always said."""
    head = f"{sv.ratio:.2f}x less compute"
    if sv.ratio_ci_low is None:
        return head + " (no interval on one split: --bootstrap B or random splits give one)"
    return head + f" ({_pct(sv.level)} interval {sv.ratio_ci_low:.2f}x to {sv.ratio_ci_high:.2f}x; 0 = not reached)"


def gap_text(sv: Savings, budget: int) -> str:
    i = sv.budgets.index(budget)
    g = f"OSCA - best pure at C = {budget}: {sv.gap[i]:+.4f}"
    if sv.gap_ci_low is None:
        return g
    return g + f" ({_pct(sv.level)} interval {sv.gap_ci_low[i]:+.4f} to {sv.gap_ci_high[i]:+.4f})"


def _reading_text(sv: Savings) -> str:
    if sv.budget_needed is None:
        return f"OSCA does not reach best pure's C = {sv.baseline_budget} accuracy ({sv.target_pass:.4f})"
    return (f"OSCA reaches best pure's C = {sv.baseline_budget} accuracy ({sv.target_pass:.4f}) at "
            f"C = {sv.budget_needed}: {ratio_text(sv)}")


def decide(sv: Savings, *, extrapolated: Sequence[int] = (), first_budget: int | None = None, thin: bool = False,
           measured: int | None = None, modelled: Savings | None = None, points: str = "measured") -> Headline:
    """The headline of ``sv`` (module docstring). ``extrapolated``: budgets whose OSCA or best-pure point is
    extrapolated (excluded from the saturation check); ``first_budget``: the smallest budget asked for (rule 1);
    ``modelled``: the reading on every budget, worded beside."""
    B, target = sv.baseline_budget, sv.target_pass
    xs = set(int(b) for b in extrapolated)
    same = modelled is not None and (modelled.baseline_budget, modelled.target_pass, modelled.budget_needed) == (
        B, target, sv.budget_needed)
    mod = None if modelled is None or same else MODELLED + decide(modelled, points="all").text
    base = (f"baseline: best pure at C = {B} chosen on training data ({sv.baseline}, test pass {target:.4f})"
            + (f", among the configurations measured at C = {B} (n >= {B}), the largest budget with one"
               if thin else ""))

    def out(kind: str, text: str) -> Headline:
        return Headline(kind, text, base, B, measured, thin, points, mod)

    first = first_budget if first_budget is not None else sv.budgets[0]
    if points == "measured" and modelled is not None and B <= first:
        return out("unmeasured", f"No measured saving: no budget above C = {B} has a measured best pure (every "
                                 f"configuration holds fewer samples per question); see the modelled reading")
    upto = [i for i, b in enumerate(sv.budgets) if b <= B]
    if all(abs(sv.gap[i]) <= EPS for i in upto):
        return out("tie", f"No saving: OSCA and best pure tie at every budget up to C = {B} "
                          f"(test pass {target:.4f} at C = {B})")
    sat = next((b for i, b in enumerate(sv.budgets) if b < B and b not in xs
                and sv.best_pure_pass[i] >= target - EPS), None)
    need = sv.budget_needed
    if sat is not None and (need is None or need >= sat):
        i = sv.budgets.index(sat)
        return out("saturated", f"No saving: best pure already reaches the C = {B} accuracy ({target:.4f}) at "
                                f"C = {sat} (a measured point: {sv.best_pure_pass[i]:.4f}; saturated, or a stronger "
                                f"configuration), " + ("OSCA never" if need is None else f"OSCA at C = {need}"))
    if need is None:
        return out("not-reached", f"No saving: OSCA does not reach best pure's C = {B} accuracy "
                                  f"({target:.4f}) within C <= {B}")
    if need >= B:
        return out("no-saving", f"No saving: OSCA first reaches best pure's C = {B} accuracy ({target:.4f}) at "
                                f"C = {need}; {gap_text(sv, B)}")
    lo, hi = sv.ratio_ci_low, sv.ratio_ci_high
    if lo is not None and (lo <= 1.0 or hi > UNSTABLE_FACTOR * lo):
        return out("unstable", f"{gap_text(sv, B)}; the crossing is unstable: OSCA reaches best pure's accuracy "
                               f"at C = {need}, {ratio_text(sv)}")
    return out("saving", _reading_text(sv))


@dataclass(frozen=True, eq=False)
class Reading:
    """A savings reading under the rule: the headline savings (measured points), the modelled one (every budget,
    None when nothing extrapolates), the budgets whose OSCA or best-pure point is extrapolated, the curves of
    best pure and OSCA over every budget (``experiments.CurveSet``, None when nothing can extrapolate), and the
    headline."""

    savings: Savings
    modelled: Savings | None
    extrapolated: tuple[int, ...]
    curves: object | None
    headline: Headline


def read(matrix: OutcomeMatrix, budgets: Sequence[int], setting: Setting, run: Runner, *,
         allow_extrapolation: bool = False) -> Reading:
    """The savings reading of ``matrix`` over ``budgets`` under the rule (module docstring); ``run(budgets,
    baseline_configs=..., measured_only=...)`` computes one :class:`Savings` (``experiments.savings`` over the
    setting's splits, or ``paired.bootstrap_savings`` on one split)."""
    from osca_core.analysis import experiments as ex

    budgets = sorted(set(int(b) for b in budgets))
    cs, extra = None, []
    if max(budgets) > int(np.where(matrix.imputed, np.iinfo(np.int64).max, matrix.n).min()):
        cs = ex.run_curves(matrix, ["best-pure", "osca"], budgets, setting)
        flags = [any(cv.extrapolated[i] for cv in cs.curves) for i in range(len(budgets))]
        extra = [b for b, f in zip(budgets, flags, strict=True) if f]
    if not extra or allow_extrapolation:
        sv = run(budgets)
        h = decide(sv, extrapolated=(), points="all" if extra else "measured", first_budget=budgets[0])
        return Reading(sv, sv if extra else None, tuple(extra), cs, h)
    full = run(budgets)
    top = measured_budget(matrix, budgets)
    if top is None:
        h = decide(full, extrapolated=extra, points="all", first_budget=budgets[0])
        h = Headline("unmeasured", "No measured saving: no budget asked for is measured (every budget exceeds "
                     "every configuration's n); see the modelled reading", h.detail, h.baseline_budget, None, False,
                     "all", MODELLED + decide(full, points="all").text)
        return Reading(full, full, tuple(extra), cs, h)
    cfgs = measured_configs(matrix, top)
    thin = len(cfgs) < len(matrix.configs)
    sub = [b for b in budgets if b <= top]
    sv = run(sub, baseline_configs=cfgs if thin else None, measured_only=True)
    h = decide(sv, extrapolated=[b for b in extra if b <= top], first_budget=budgets[0], thin=thin, measured=top,
               modelled=full)
    return Reading(sv, full, tuple(extra), cs, h)
