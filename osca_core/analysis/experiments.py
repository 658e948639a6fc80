"""Experiments on a log: random train/test splits, the estimation budget C0, bans on mixing, compute savings.

A :class:`Setting` says how strategies are trained and scored:

- **Random splits** (``train_fraction`` F, ``splits`` R, ``seed``): the questions of the log (for a release, the
  union of its train and test questions) are shuffled R times; split r puts round(F * Q) of them (at least one,
  at most Q - 1) in training and the rest in test, with ``numpy.random.default_rng([seed, r])``. Without F the
  log's own split is used. Every strategy is optimized or selected on the training part and scored on the test
  part of the same split, so strategies are paired. Over splits we report the mean and a 95% interval: the 2.5th
  and 97.5th percentiles of the per-split values (``numpy.percentile``, linear interpolation; with R <= 40 this
  interval always contains the mean). One split gives no interval (None).
- **Estimation budget** ``c0`` = M: training pass rates come from M samples per question x configuration instead
  of all n. The correct count among the M is drawn hypergeometrically from (n, c) with
  ``default_rng([seed, r, 1])`` (as if M of the n logged samples had been drawn without replacement; with M = n it
  is c exactly). Test scores always use all n samples. M larger than some n is an error.
- **Bans** (``multi-model``, ``multi-temperature``, ``multi-variant``): an allocation may use one model (its
  temperatures may mix), one temperature (models may mix) or one variant. A mixing strategy is run within each
  allowed group of configurations (those sharing the banned attribute(s)) and, per budget, the group with the
  best *training* objective is kept (for ``uniform``: the best expected training pass@C). Single-configuration
  strategies (``pure:``, ``best-pure``) obey every ban already.

:func:`savings` turns curves into the paper's headline ("OSCA reaches the best pure configuration's accuracy with
N x less compute"); ``osca_core.analysis.study`` runs the grids of the paper's Figures 3 to 5 (training fraction, C0, bans).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from osca_core.analysis.savings_result import (  # noqa: F401  (re-exported: the experiment API)
    SAVINGS_NOTE,
    Savings,
    first_reaching,
    savings_budgets,
)
from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import columns, eval_pass, lazy_prior, priors
from osca_core.model.intervals import percentile_interval
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Allocation, Curve, is_certified, score
from osca_core.model.splits import (  # noqa: F401  (re-exported: the experiment API)
    BANS,
    Setting,
    Trial,
    ban_groups,
    obeys_bans,
    split_masks,
    trials,
)
from osca_core.strategies import registry

Progress = Callable[[int, int], None]
DEFAULT_SETTING = Setting()  # the log's own split, all samples, no bans


# -- fitting a strategy on a trial -----------------------------------------------------------------------------

def fit(trial: Trial, strategy: str, budgets: Sequence[int], *, bans: Sequence[str] = (), seed: int = 0,
        certify: bool = False) -> list[Allocation]:
    """Allocations of ``strategy`` trained on ``trial.est`` (within the best allowed group per budget under bans),
    with ``test_pass`` scored on the full counts of the trial's test questions.

    ``train_pass`` is the objective on the training rates the strategy saw (the C0 estimates when C0 is set);
    ``upper_bound`` (when the optimizer gives one) bounds that objective; under bans it is the largest bound
    over the groups.
    """
    est = trial.est
    spec = registry.get(strategy)
    groups = ban_groups(est, bans) if spec.mixes else [tuple(range(len(est.configs)))]

    def run(m: OutcomeMatrix) -> list[Allocation]:
        return registry.allocate(m, strategy, budgets, seed=seed, certify=certify)

    if len(groups) == 1:
        per_group = [(groups[0], run(est))]
    else:
        per_group = [(g, run(est.select_configs([est.config_names[j] for j in g]))) for g in groups]
    n_test, c_test = trial.full.test_counts()
    out = []
    for i in range(len(per_group[0][1])):
        cands = [(g, a[i]) for g, a in per_group]
        g, a = max(cands, key=lambda t: t[1].train_pass)  # first best group on ties
        counts = np.zeros(len(est.configs), dtype=np.int64)
        counts[list(g)] = a.counts
        ubs = [x.upper_bound for _, x in cands]
        ub = None if any(u is None for u in ubs) else max(ubs)
        test, extra = eval_pass(n_test, c_test, counts, lazy_prior(trial.full))
        out.append(Allocation(a.strategy, a.budget, est.config_names, tuple(int(x) for x in counts), a.train_pass,
                              test, extra, ub, is_certified(ub, a.train_pass), float(est.costs @ counts)))
    return out


def expected_values(trial: Trial, strategy: str, budgets: Sequence[int], *, bans: Sequence[str] = ()
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Exact expected test pass@C of an ``expectation`` strategy (``uniform``); under bans (when it mixes), the
    strategy within the group with the best expected *training* pass@C (on the trial's estimation counts) at
    each budget. Returns (values, extrapolated) per budget."""
    spec = registry.get(strategy)
    if spec.kind != "expectation":
        raise ValueError(f"expected_values: {strategy} has allocations; use fit")
    expect = spec.expectation
    groups = ban_groups(trial.est, bans) if spec.mixes else [tuple(range(len(trial.est.configs)))]
    n_te, c_te = trial.full.test_counts()
    if len(groups) == 1:
        return expect(n_te, c_te, budgets, prior=lazy_prior(trial.full))
    n_tr, c_tr = trial.est.train_counts()
    train = np.array([expect(n_tr[:, list(g)], c_tr[:, list(g)], budgets,
                             prior=lambda g=g: columns(priors(trial.est), list(g)))[0] for g in groups])
    test = [expect(n_te[:, list(g)], c_te[:, list(g)], budgets, prior=lambda g=g: columns(priors(trial.full), list(g)))
            for g in groups]
    pick = np.argmax(train, axis=0)
    vals = np.array([test[g][0][i] for i, g in enumerate(pick)])
    extra = np.array([test[g][1][i] for i, g in enumerate(pick)])
    return vals, extra


def uniform_values(trial: Trial, budgets: Sequence[int], *, bans: Sequence[str] = ()
                   ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`expected_values` of ``uniform``."""
    return expected_values(trial, "uniform", budgets, bans=bans)


def full_train_pass(trial: Trial, allocation: Allocation) -> float:
    """The training objective of ``allocation`` with all n samples (equals ``train_pass`` without C0)."""
    return score(trial.full, allocation.counts)[0]


# -- intervals and curves --------------------------------------------------------------------------------------

def interval(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(mean, 2.5th percentile, 97.5th percentile) over axis 0 (splits); no interval for a single split."""
    v = np.asarray(values, float)
    mean = v.mean(axis=0)
    if v.shape[0] < 2:
        return mean, None, None
    lo, hi = percentile_interval(v, 0.95)
    return mean, lo, hi


def as_tuple(a) -> tuple[float, ...] | None:
    """An array as a tuple of floats (None stays None): the form frozen result objects hold."""
    return None if a is None else tuple(float(x) for x in np.atleast_1d(a))


@dataclass(frozen=True, eq=False)
class CurveSet:
    """Test pass@C of several strategies on the same trials: per-split values and mean/interval curves."""

    dataset: str
    setting: Setting
    budgets: tuple[int, ...]
    curves: tuple[Curve, ...]
    per_split: Mapping[str, np.ndarray] = field(repr=False)  # strategy -> (R, B) test pass
    allocations: Mapping[str, tuple[tuple[Allocation, ...], ...] | None] = field(repr=False)  # strategy -> [r][b]

    def curve(self, strategy: str) -> Curve:
        return next(c for c in self.curves if c.strategy == strategy)

    def difference(self, a: str, b: str) -> Curve:
        """Paired difference a - b (same splits): mean and interval of the per-split differences."""
        d = self.per_split[a] - self.per_split[b]
        mean, lo, hi = interval(d)
        return Curve(f"{a} - {b}", self.budgets, as_tuple(mean), (False,) * len(self.budgets), as_tuple(lo), as_tuple(hi))


def own_split(trial: Trial, setting: Setting) -> bool:
    """Whether ``trial`` is a log's own split as it stands (all samples, no bans): its curve is then
    ``registry.evaluate`` (the one path shared with the bootstrap's fits and the registry)."""
    return setting.train_fraction is None and trial.est is trial.full and not setting.bans


def run_curves(matrix: OutcomeMatrix, strategies: Sequence[str], budgets: Sequence[int],
               setting: Setting = DEFAULT_SETTING, *, progress: Progress | None = None,
               shared: Sequence[Trial] | None = None) -> CurveSet:
    """Every strategy trained and scored on each trial of ``setting``; curves are means over trials with the
    percentile interval (module docstring). With one trial a curve keeps its allocations. A trial on the log's
    own split (:func:`own_split`) is ``registry.evaluate``; others :func:`fit` (bans, C0, random splits) or
    :func:`expected_values`. ``shared``: the trials of ``setting`` on ``matrix`` already built (the per-view
    share of ``analysis.study_jobs``), else they are built here."""
    budgets = check_budgets(budgets)
    ts = trials(matrix, setting) if shared is None else list(shared)
    per, extra, allocs = {}, {}, {}
    total, done = len(ts) * len(strategies), 0
    for s in strategies:
        vals, ext, al = [], [], []
        expectation = registry.get(s).kind == "expectation"
        for t in ts:
            if own_split(t, setting):  # the one path for "the curve on a log's own split"
                cv = registry.evaluate(t.full, s, budgets, seed=setting.seed)
                if cv.allocations is not None:
                    al.append(cv.allocations)
                vals.append(cv.values)
                ext.append(cv.extrapolated)
            elif expectation:
                v, e = expected_values(t, s, budgets, bans=setting.bans)
                vals.append(v)
                ext.append(e)
            else:
                a = fit(t, s, budgets, bans=setting.bans, seed=setting.seed)
                al.append(tuple(a))
                vals.append([x.test_pass for x in a])
                ext.append([x.extrapolated for x in a])
            done += 1
            if progress:
                progress(done, total)
        per[s], extra[s] = np.array(vals, float), np.array(ext, bool)
        allocs[s] = tuple(al) if al else None
    curves = []
    for s in strategies:
        mean, lo, hi = interval(per[s])
        one = allocs[s] is not None and len(ts) == 1
        curves.append(Curve(s, tuple(budgets), as_tuple(mean), tuple(bool(x) for x in extra[s].any(axis=0)),
                            as_tuple(lo), as_tuple(hi), allocs[s][0] if one else None))
    return CurveSet(matrix.name, setting, tuple(budgets), tuple(curves), per, allocs)


# -- optimize over trials --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SplitRun:
    """One trial's optimized allocations; ``train_pass_full`` is each one's training objective with all n."""

    split: int
    allocations: tuple[Allocation, ...]
    train_pass_full: tuple[float, ...]


def optimize_runs(matrix: OutcomeMatrix, budgets: Sequence[int], setting: Setting = DEFAULT_SETTING, *,
                  strategy: str = "osca", certify: bool = False) -> list[SplitRun]:
    """``osca`` (or ``hillclimb``, ``osca-eb``) on each trial of ``setting``, with its bans and C0."""
    budgets = check_budgets(budgets)
    out = []
    for t in trials(matrix, setting):
        a = fit(t, strategy, budgets, bans=setting.bans, seed=setting.seed, certify=certify)
        out.append(SplitRun(t.index, tuple(a), tuple(full_train_pass(t, x) for x in a)))
    return out


# -- compute savings -------------------------------------------------------------------------------------------

def savings(matrix: OutcomeMatrix, budgets: Sequence[int] | None = None, setting: Setting = DEFAULT_SETTING, *,
            progress: Progress | None = None, baseline_configs: Sequence[str] | None = None,
            measured_only: bool = False) -> Savings:
    """Compute savings of OSCA over the best pure configuration (see :class:`Savings`); budgets default to
    1 .. the smallest n among the configurations (``savings_result.savings_budgets``).

    ``baseline_configs``: the baseline (target) is the best pure among these configurations only (the headline
    rule's measured baseline, ``analysis.headline``: those with n >= B); the gaps keep best pure over all.
    ``measured_only``: OSCA's crossing skips its extrapolated points (k > n), so it rests on measured ones."""
    budgets = savings_budgets(budgets, top=int(matrix.n.min()))
    cs = run_curves(matrix, ["best-pure", "osca"], budgets, setting, progress=progress)
    bp, os_ = cs.per_split["best-pure"], cs.per_split["osca"]
    big = budgets[-1]
    base_m, base_cs = matrix, cs
    if baseline_configs is not None:
        base_m = matrix.select_configs(list(baseline_configs))
        base_cs = run_curves(base_m, ["best-pure"], [big], setting)
    names = [a[-1].allocation for a in base_cs.allocations["best-pure"]]
    chosen = [next(iter(x)) for x in names]
    counts = Counter(chosen)
    baseline = max(base_m.config_names, key=lambda nm: (counts.get(nm, 0), -base_m.config_names.index(nm)))
    targets = base_cs.per_split["best-pure"][:, -1]
    cross = os_
    if measured_only:
        cross = np.where(np.asarray(cs.curve("osca").extrapolated, bool)[None, :], -np.inf, os_)
    needed = [first_reaching(budgets, cross[r], targets[r]) for r in range(len(targets))]
    ratios = [None if x is None else big / x for x in needed]
    target = float(targets.mean())
    need = first_reaching(budgets, cross.mean(axis=0), target)
    _, lo, hi = interval(np.array([[0.0 if x is None else x] for x in ratios]))
    gmean, glo, ghi = interval(os_ - bp)
    return Savings(
        dataset=matrix.name, baseline=baseline, baseline_budget=big, target_pass=target, budget_needed=need,
        ratio=None if need is None else big / need, setting=setting, budgets=tuple(budgets),
        osca_pass=as_tuple(os_.mean(axis=0)), best_pure_pass=as_tuple(bp.mean(axis=0)), baseline_counts=dict(counts),
        split_targets=as_tuple(targets), split_budget_needed=tuple(needed), split_ratios=tuple(ratios),
        ratio_ci_low=None if lo is None else float(lo[0]), ratio_ci_high=None if hi is None else float(hi[0]),
        gap=as_tuple(gmean), gap_ci_low=as_tuple(glo), gap_ci_high=as_tuple(ghi),
    )
