"""Honest ranges beyond n: how far an extrapolated number moves over the spreads the data cannot rule out.

Beyond a cell's n (k > n) a term is the Beta-binomial predictive under its configuration's prior Beta(a, b)
(:mod:`osca_core.model.extrapolation`). Write the prior as mean mu = a / (a + b) and concentration
kappa = a + b. The mean is identified by any log; kappa (the spread of the per-question rates across questions,
variance mu (1 - mu) / (kappa + 1)) is identified only by cells with n >= 2: with n <= 1 everywhere the marginal
likelihood P(c = 1) = mu does not depend on kappa at all. Yet every number beyond n depends on it: a small kappa
says "each question is almost always or almost never solved" (more samples add little), a large one "every
question has rate mu" (more samples add a lot).

So each configuration s gets an interval [kappa_lo_s, kappa_hi_s] of concentrations (:func:`kappa_bounds`):

- **identified** (some training cell with n >= 2): the 95% likelihood interval of its own kappa, mu fixed at the
  fit: { kappa : l(mu_hat, kappa) >= l_max - chi2_1(0.95) / 2 } (= 1.92; Wilks; a conditional, not profile,
  likelihood, on a grid of ``GRID_POINTS`` log-spaced values over the fit's range [1e-4, 1e8], widened by one
  grid step on each side);
- **borrowed** (no cell with n >= 2, some other configuration identified; the point value is the median of
  theirs): from the smallest kappa_lo to the largest kappa_hi of the identified configurations: the borrowed
  value is right only if this configuration spreads like one of them, and the range says which;
- **not identified anywhere** (no configuration has a cell with n >= 2; the point value is
  ``extrapolation.DEFAULT_CONCENTRATION`` = 2): the **plausible set** ``PLAUSIBLE_KAPPA``, the range of
  concentrations fitted per configuration on real logs (``osca bench spread``, :mod:`osca_core.bench.spread`;
  docs/methods.md "Honest ranges beyond n").

The range of a number (:func:`value_range`) is the smallest and largest value it takes over ``RANGE_STEPS``
settings of every configuration's kappa moved together, log-spaced from its kappa_lo to its kappa_hi
(kappa_s(t) = kappa_lo_s^(1-t) kappa_hi_s^t, t in [0, 1]), and at the fitted prior itself (so the range always
brackets the point estimate); mu stays the fitted mean. The value need not be monotone in kappa (c = 0 cells
gain with kappa, c = n cells lose), hence the steps rather than the two ends alone. With k <= n everywhere a
number does not depend on the prior and has no range (None).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import betaln

from osca_core.model.extrapolation import DEFAULT_CONCENTRATION, Prior, fit_priors
from osca_core.model.outcomes import OutcomeMatrix

PLAUSIBLE_KAPPA = (0.03, 3.0)  # a + b fitted per configuration on 3 real logs: 0.035 .. 2.38 (bench.spread), rounded out
GRID_POINTS = 241  # log-spaced kappa values of the likelihood interval, 1e-4 .. 1e8 (the fit's bounds)
CHI2_HALF = 1.920729  # chi2_1(0.95) / 2: the likelihood-interval drop (Wilks)
RANGE_STEPS = 5  # kappa settings, log-spaced from every kappa_lo to every kappa_hi, of a value's range
_GRID = np.logspace(-4, 8, GRID_POINTS)


def identified(n: np.ndarray, imputed: np.ndarray | None = None) -> np.ndarray:
    """(S,) whether a configuration's spread is identified: some observed, non-imputed cell with n >= 2."""
    n = np.asarray(n, np.int64)
    if imputed is not None:
        n = np.where(np.asarray(imputed, bool), 0, n)
    return (n >= 2).any(axis=0)


def kappa_interval(n: np.ndarray, c: np.ndarray, mu: float, kappa: float) -> tuple[float, float]:
    """The 95% likelihood interval of the concentration of one configuration's cells (n, c) (observed cells
    only), the mean fixed at ``mu``: the grid values whose log-likelihood is within ``CHI2_HALF`` of the best,
    widened to contain the fitted ``kappa``."""
    n, c = np.asarray(n, float).ravel(), np.asarray(c, float).ravel()
    seen = n > 0
    n, c = n[seen], c[seen]
    mu = float(np.clip(mu, 1e-12, 1 - 1e-12))
    a, b = mu * _GRID[:, None], (1.0 - mu) * _GRID[:, None]
    (nu, cu), inv = np.unique(np.stack([n, c]), axis=1, return_inverse=True)  # the terms once per distinct cell,
    terms = betaln(cu[None, :] + a, nu[None, :] - cu[None, :] + b) - betaln(a, b)  # gathered back per cell: the
    ll = np.sum(terms[:, inv.ravel()], axis=1)  # same (grid, cell) floats summed in the same order
    ok = np.flatnonzero(ll >= ll.max() - CHI2_HALF)
    lo, hi = _GRID[max(ok[0] - 1, 0)], _GRID[min(ok[-1] + 1, GRID_POINTS - 1)]  # one grid step outwards
    return min(float(lo), kappa), max(float(hi), kappa)


def kappa_bounds(n: np.ndarray, c: np.ndarray, imputed: np.ndarray | None = None, prior: Prior | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kappa_lo, kappa_hi, identified), arrays of length S, for the training counts (n, c) (module docstring);
    ``prior`` = the fitted (a, b) (``extrapolation.fit_priors`` of the same counts when not given)."""
    n = np.asarray(n, np.int64)
    if imputed is not None:
        n = np.where(np.asarray(imputed, bool), 0, n)
    c = np.where(n > 0, np.asarray(c, np.int64), 0)
    a, b = prior if prior is not None else fit_priors(n, c)
    kappa = np.asarray(a, float) + np.asarray(b, float)
    known = identified(n)
    lo, hi = np.empty(len(kappa)), np.empty(len(kappa))
    for s in np.flatnonzero(known):
        lo[s], hi[s] = kappa_interval(n[:, s], c[:, s], float(a[s] / kappa[s]), float(kappa[s]))
    if known.any():
        blo, bhi = float(lo[known].min()), float(hi[known].max())
    else:
        blo, bhi = PLAUSIBLE_KAPPA
    lo[~known] = np.minimum(blo, kappa[~known])
    hi[~known] = np.maximum(bhi, kappa[~known])
    return lo, hi, known


def matrix_bounds(matrix: OutcomeMatrix, prior: Prior) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`kappa_bounds` on ``matrix``'s training questions (imputed cells excluded), as its prior is fitted."""
    tr = matrix.train
    return kappa_bounds(matrix.n[tr], matrix.c[tr], matrix.imputed[tr], prior)


def range_priors(prior: Prior, kappa_lo: np.ndarray, kappa_hi: np.ndarray, steps: int = RANGE_STEPS
                 ) -> list[Prior]:
    """The priors a range is taken over: ``prior`` itself, then ``steps`` settings kappa_s(t) =
    kappa_lo_s^(1-t) kappa_hi_s^t (t = 0 .. 1), each with the fitted mean mu_s."""
    a, b = (np.asarray(x, float) for x in prior)
    mu = a / (a + b)
    out = [(a, b)]
    for t in np.linspace(0.0, 1.0, steps):
        k = np.exp((1.0 - t) * np.log(kappa_lo) + t * np.log(kappa_hi))
        out.append((mu * k, (1.0 - mu) * k))
    return out


def value_range(value: Callable[[Prior], float], priors: Sequence[Prior]) -> tuple[float, float]:
    """(smallest, largest) of ``value(prior)`` over ``priors`` (:func:`range_priors`)."""
    vals = [float(value(p)) for p in priors]
    return min(vals), max(vals)


def values_range(values: Callable[[Prior], np.ndarray], priors: Sequence[Prior]) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise (smallest, largest) of the arrays ``values(prior)`` over ``priors``."""
    v = np.array([np.asarray(values(p), float) for p in priors])
    return v.min(axis=0), v.max(axis=0)


def spread_note(known: np.ndarray) -> str:
    """One line saying what decides the spread beyond n ('' when every configuration identifies its own)."""
    known = np.asarray(known, bool)
    if known.all():
        return ""
    if not known.any():
        return (f"no configuration has a cell with n >= 2, so the spread of the pass rates across questions is not "
                f"identified: values beyond n use concentration {DEFAULT_CONCENTRATION:g}, and their ranges cover "
                f"the plausible set {PLAUSIBLE_KAPPA[0]:g} .. {PLAUSIBLE_KAPPA[1]:g} fitted on real logs")
    return (f"{int((~known).sum())} of {known.size} configurations hold one sample per question, so their spread is "
            "borrowed from the others (median); their ranges cover the others' fitted spreads")
