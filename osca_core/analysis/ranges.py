"""The ranges of extrapolated numbers (``extrapolation_low`` / ``extrapolation_high``) for curves, allocations
and savings gaps: each number recomputed under the priors of ``model.spread.range_priors`` (the fitted prior,
and every configuration's concentration moved together across its interval) and the smallest / largest kept.

A point is scored exactly as its curve scored it (the allocation's test pass on the trial's test questions, or
the strategy's exact expectation, at the ends and the middle of the settings only: it is dear), only the prior
beyond n changes, and the curve's own value (the fitted prior) is always among the values; over several trials the values are averaged
per prior setting first, then the extremes taken (the mean curve's range). Points with k <= n everywhere get no
range (None): their numbers do not depend on the prior. Nothing here is computed unless some point extrapolates.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from osca_core.model.extrapolation import Prior, eval_pass_priors, priors, training_key
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Allocation, Curve
from osca_core.model.splits import Setting, trials
from osca_core.model.spread import matrix_bounds, range_priors
from osca_core.strategies import registry

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_BY_COUNTS: dict[bytes, tuple[list[Prior], np.ndarray]] = {}  # ... and by training counts (every strategy of a
_BY_COUNTS_MAX = 256  # held-out view re-splits the log into new matrix objects: one interval fit per split)


def _bounds(matrix: OutcomeMatrix) -> tuple[list[Prior], np.ndarray]:
    hit = _CACHE.get(matrix)
    if hit is None:
        key = training_key(matrix)
        hit = _BY_COUNTS.get(key)
        if hit is None:
            prior = priors(matrix)
            lo, hi, known = matrix_bounds(matrix, prior)
            hit = (range_priors(prior, lo, hi), known)
            if len(_BY_COUNTS) >= _BY_COUNTS_MAX:
                _BY_COUNTS.pop(next(iter(_BY_COUNTS)))
            _BY_COUNTS[key] = hit
        _CACHE[matrix] = hit
    return hit


def prior_settings(matrix: OutcomeMatrix) -> list[Prior]:
    """The priors a range of ``matrix``'s numbers is taken over (``spread.range_priors`` of its fitted prior;
    cached per matrix object)."""
    return _bounds(matrix)[0]


def spread_known(matrix: OutcomeMatrix) -> np.ndarray:
    """(S,) whether each configuration identifies its spread on ``matrix``'s training questions."""
    return _bounds(matrix)[1]


def allocation_values(matrix: OutcomeMatrix, counts: Sequence[int], settings: Sequence[Prior]) -> np.ndarray:
    """(P,) the test pass of ``counts`` on ``matrix``'s test questions under each prior setting."""
    n, c = matrix.test_counts()
    return np.array([v for v, _ in eval_pass_priors(n, c, counts, settings)])


def allocation_range(matrix: OutcomeMatrix, allocation: Allocation) -> tuple[float, float] | None:
    """(low, high) of an allocation's test pass over the plausible spreads; None when it does not extrapolate."""
    if not allocation.extrapolated:
        return None
    v = allocation_values(matrix, allocation.counts, prior_settings(matrix))
    return float(v.min()), float(v.max())


def range_keys(rng: tuple[float, float] | None) -> dict:
    """``{"extrapolation_low": .., "extrapolation_high": ..}`` of a range ({} for None)."""
    return {} if rng is None else {"extrapolation_low": rng[0], "extrapolation_high": rng[1]}


EXPECTATION_STEPS = (0, 2, 4)  # of the RANGE_STEPS settings: an exact expectation is dear, so its ends and middle


def _trial_values(trial_full: OutcomeMatrix, strategy: str, budgets: Sequence[int],
                  allocs: Sequence[Allocation] | None, extra: np.ndarray) -> np.ndarray:
    """(P, B) one trial's values of a curve under the moved prior settings (``prior_settings`` without the
    fitted one, whose values are the curve's own; NaN where the point does not extrapolate). An expectation
    strategy is recomputed at ``EXPECTATION_STEPS`` of them only."""
    moved = prior_settings(trial_full)[1:]
    if allocs is not None:
        out = np.full((len(moved), len(budgets)), np.nan)
        for i, a in enumerate(allocs):
            if extra[i]:
                out[:, i] = allocation_values(trial_full, a.counts, moved)
        return out
    spec = registry.get(strategy)
    n, c = trial_full.test_counts()
    picked = [moved[j] for j in EXPECTATION_STEPS if j < len(moved)]
    out = np.full((len(picked), len(budgets)), np.nan)
    for j, p in enumerate(picked):
        out[j] = np.where(extra, np.asarray(spec.expectation(n, c, list(budgets), prior=p)[0], float), np.nan)
    return out


def curve_values(matrix: OutcomeMatrix, curve: Curve, setting: Setting | None = None,
                 allocations: Sequence[Sequence[Allocation]] | None = None) -> np.ndarray | None:
    """(P, B) the curve's mean over trials under each prior setting (NaN within n), the last row the curve's own
    values (the fitted prior), or None when no point extrapolates or the values cannot be recomputed (an
    expectation strategy under bans or C0)."""
    extra = np.asarray(curve.extrapolated, bool)
    if not extra.any():
        return None
    setting = setting or Setting()
    spec = registry.get(curve.strategy)
    ts = trials(matrix, setting)
    if spec.kind == "expectation":
        if setting.bans or setting.c0 is not None:
            return None
        per = [_trial_values(t.full, curve.strategy, curve.budgets, None, extra) for t in ts]
    else:
        allocs = allocations if allocations is not None else (
            [curve.allocations] if curve.allocations is not None and len(ts) == 1 else None)
        if allocs is None or len(allocs) != len(ts):
            return None
        per = [_trial_values(t.full, curve.strategy, curve.budgets, a, extra) for t, a in zip(ts, allocs, strict=True)]
    own = np.where(extra, np.asarray(curve.values, float), np.nan)
    return np.vstack([np.mean(per, axis=0), own[None, :]])


def with_range(curve: Curve, values: np.ndarray | None) -> Curve:
    """``curve`` with ``extrapolation_low/high`` from its (P, B) values (None within n)."""
    if values is None:
        return curve
    lo, hi = np.min(values, axis=0), np.max(values, axis=0)
    return replace(curve, extrapolation_low=tuple(None if np.isnan(x) else float(x) for x in lo),
                   extrapolation_high=tuple(None if np.isnan(x) else float(x) for x in hi))


def curve_ranges(matrix: OutcomeMatrix, curves: Sequence[Curve], setting: Setting | None = None,
                 allocations: dict | None = None) -> list[Curve]:
    """Every curve with the ranges of its extrapolated points (module docstring); ``allocations`` maps a
    strategy to its per-trial allocations (``CurveSet.allocations``) when there are several trials."""
    allocations = allocations or {}
    return [with_range(cv, curve_values(matrix, cv, setting, allocations.get(cv.strategy))) for cv in curves]


def curveset_ranges(matrix: OutcomeMatrix, cs) -> list[Curve]:
    """:func:`curve_ranges` of an ``experiments.CurveSet``."""
    return curve_ranges(matrix, cs.curves, cs.setting, dict(cs.allocations))


def gap_ranges(matrix: OutcomeMatrix, cs, a: str = "osca", b: str = "best-pure") -> dict[int, dict]:
    """Per extrapolated budget of an ``experiments.CurveSet`` holding ``a`` and ``b``: the ranges of a, b and of
    the gap a - b (both under the same prior setting), as the keys of a savings ``gaps`` row."""
    va = curve_values(matrix, cs.curve(a), cs.setting, cs.allocations.get(a))
    vb = curve_values(matrix, cs.curve(b), cs.setting, cs.allocations.get(b))
    if va is None and vb is None:
        return {}
    point = {s: np.asarray(cs.curve(s).values, float) for s in (a, b)}
    P = (va if va is not None else vb).shape[0]
    va = np.where(np.isnan(va), point[a], va) if va is not None else np.tile(point[a], (P, 1))
    vb = np.where(np.isnan(vb), point[b], vb) if vb is not None else np.tile(point[b], (P, 1))
    ex = np.asarray(cs.curve(a).extrapolated) | np.asarray(cs.curve(b).extrapolated)
    g = va - vb
    key_a, key_b = a.replace("-", "_"), b.replace("-", "_")
    return {int(bud): {"extrapolation_low": float(g[:, i].min()), "extrapolation_high": float(g[:, i].max()),
                       f"{key_a}_range": [float(va[:, i].min()), float(va[:, i].max())],
                       f"{key_b}_range": [float(vb[:, i].min()), float(vb[:, i].max())]}
            for i, bud in enumerate(cs.budgets) if ex[i]}
