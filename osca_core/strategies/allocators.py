"""Allocation strategies: pure, best-pure, even, hillclimb, osca and osca-eb (and uniform's exact expectation).

A strategy turns a budget C into an allocation {configuration: k} (k samples from each configuration,
sum k = C). Each allocation is scored two ways (OSCA paper, Zhang et al. 2024, ``osca.py``):

- training objective: mean over training questions of 1 - prod_s (1 - c_qs/n_qs)^k_s (plug-in estimate);
- test pass@C: mean over test questions of 1 - prod_s (1 - pass@k_s), unbiased pass@k.

Where k_s > n_qs, on either side, the term is the Beta-binomial posterior predictive under the configuration's
prior fitted on training questions (``osca_core.model.extrapolation``; test terms flagged ``extrapolated``). ``osca``
maximizes that objective: the fast certified optimizer (``osca_core.optimize.curve``) when no training cell can be
asked for more samples than it holds, else the exact-objective optimizer ``osca_core.optimize.beyond_n`` (certified
with ``certify=True`` by the bounds of ``osca_core.optimize.certify_beyond``).

``uniform`` has no fixed allocation: each of the C samples picks its configuration uniformly at random. Its exact
expected pass@C lives in :mod:`osca_core.strategies.uniform` (re-exported here). ``osca-eb`` runs the ``osca`` optimizer on
empirical-Bayes smoothed training rates (:mod:`osca_core.model.smoothing`). Which strategies exist, their labels,
colours and how each is evaluated is the registry's business (:mod:`osca_core.strategies.registry`); this module only holds
the algorithms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from osca_core.model.budgets import check_budgets
from osca_core.model.estimators import log_fail_rates
from osca_core.model.extrapolation import beyond_training_n, fail_grid, lazy_prior, priors
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Allocation, Solution, make_allocation, score  # noqa: F401
from osca_core.model.smoothing import posterior_rates
from osca_core.optimize import prune
from osca_core.optimize.beyond_n import optimize_tabled
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies.uniform import uniform_expected  # noqa: F401

# -- single-configuration strategies ---------------------------------------------------------------------------

def pure(matrix: OutcomeMatrix, config: str, budgets: Sequence[int]) -> list[Allocation]:
    """All C samples from one configuration: test value = mean_q pass@C of that configuration."""
    (j,) = matrix.config_index([config])
    out = []
    for b in check_budgets(budgets):
        k = np.zeros(len(matrix.configs), dtype=np.int64)
        k[j] = b
        out.append(make_allocation(matrix, f"pure:{config}", k))
    return out


def best_pure(matrix: OutcomeMatrix, budgets: Sequence[int]) -> list[Allocation]:
    """At each budget C, the single configuration with the best *training* objective, scored on test.

    Chosen on training questions only (ties broken by configuration order), never by looking at test results.
    A configuration asked for more samples than some training cell holds is judged by the same objective as
    every allocation (``extrapolation.train_pass``: Beta-binomial terms beyond n).
    """
    p = matrix.train_rates()
    n, c = matrix.train_counts()
    nmin = n.min(axis=0)
    budgets = check_budgets(budgets)
    over = [b for b in budgets if b > nmin.min()]
    if over:  # the terms beyond n once per distinct (configuration, n, c): train_pass of each pure, bit for bit
        f, _, idx = fail_grid(n, c, over, lazy_prior(matrix), train=True)
        col = {b: i for i, b in enumerate(over)}
    out = []
    for b in budgets:
        train_vals = np.mean(1.0 - (1.0 - p) ** b, axis=0)
        js = np.flatnonzero(b > nmin)
        if js.size:  # mean_q 1 - T[q, j, b] per row (the mean train_pass takes of that pure allocation)
            train_vals[js] = np.mean(1.0 - f[idx[:, js].T, col[b]], axis=1)
        j = int(np.argmax(train_vals))
        k = np.zeros(len(matrix.configs), dtype=np.int64)
        k[j] = b
        out.append(make_allocation(matrix, "best-pure", k))
    return out


def even_counts(budget: int, train_order: Sequence[int], s: int) -> np.ndarray:
    """C split as evenly as possible over S configurations; the C mod S extra samples go to the configurations
    first in ``train_order`` (best training pass@1 first)."""
    k = np.full(s, budget // s, dtype=np.int64)
    k[list(train_order[: budget % s])] += 1
    return k


def even(matrix: OutcomeMatrix, budgets: Sequence[int]) -> list[Allocation]:
    """C split as evenly as possible over the chosen configurations (remainder to the best on training)."""
    order = np.argsort(-matrix.train_rates().mean(axis=0), kind="stable")
    s = len(matrix.configs)
    return [make_allocation(matrix, "even", even_counts(b, order, s)) for b in check_budgets(budgets)]


# -- the paper's hill climbing -----------------------------------------------------------------------------------

def hillclimb_counts(p: np.ndarray, budget: int, *, seed: int = 0) -> np.ndarray:
    """The paper's hill climbing (``optimize_strategy`` in its osca.py), seeded.

    Start from C configuration picks drawn uniformly at random; sweep over the picks; for pick i try every other
    configuration in order and keep a change only if the training objective strictly improves (by more than
    1e-12, so float rounding cannot make it cycle); repeat sweeps until one changes nothing.
    """
    q, s = p.shape
    rng = np.random.default_rng([seed, budget])
    picks = rng.integers(0, s, size=budget)
    L, Z = log_fail_rates(p)
    counts = np.bincount(picks, minlength=s).astype(float)
    improved = True
    while improved:
        improved = False
        for i in range(budget):
            a = picks[i]
            counts[a] -= 1
            y, z = L @ counts, Z @ counts  # the other C - 1 picks
            ally = y[:, None] + L  # (Q, S): pick i -> b
            allz = z[:, None] + Z
            obj = np.mean(1.0 - np.where(allz > 0, 0.0, np.exp(ally)), axis=0)
            best, choice = obj[a], a
            for b in range(s):  # first improvement, in configuration order, as the paper does
                if b != choice and obj[b] > best + 1e-12:
                    best, choice = obj[b], b
            if choice != a:
                picks[i] = choice
                improved = True
            counts[choice] += 1
    return counts.astype(np.int64)


def solve(matrix: OutcomeMatrix, strategy: str, budgets: Sequence[int], *, seed: int = 0,
          certify: bool = False) -> list[Solution]:
    """Run an optimizing strategy (``osca`` or ``hillclimb``) on the training questions, without scoring.

    Kept apart from :func:`scored` so that ``solve_seconds`` measures optimization alone. ``osca`` dispatches to
    the exact-objective optimizer (``osca_core.optimize.beyond_n``: no upper bound, never certified, ``certify`` ignored)
    when some training cell could be asked for more samples than it holds (``extrapolation.beyond_training_n``).
    """
    budgets = check_budgets(budgets)
    p = matrix.train_rates()
    if strategy == "hillclimb":
        return [Solution(b, tuple(int(x) for x in hillclimb_counts(p, b, seed=seed))) for b in budgets]
    if strategy != "osca":
        raise ValueError(f"unknown optimizing strategy {strategy!r} (use osca or hillclimb)")
    if beyond_training_n(matrix, budgets):
        n, c = matrix.train_counts()
        res = optimize_tabled(n, c, budgets, prior=priors(matrix), costs=matrix.costs)
        if certify:  # proven bounds beyond n (osca_core.optimize.certify_beyond); a better allocation replaces
            from osca_core.optimize.certify_beyond import certify_tabled

            res = certify_tabled(n, c, budgets, np.array([r.counts for r in res]), prior=priors(matrix),
                                 costs=matrix.costs)
            return [Solution(b, r.counts, r.upper_bound) for b, r in zip(budgets, res, strict=True)]
        return [Solution(b, r.counts, None) for b, r in zip(budgets, res, strict=True)]
    # within n: configurations dominated on every training question are left out of the search (prune.dominated:
    # the optimum over the rest is the optimum over all, so the upper bounds and certificates still hold)
    keep = ~prune.dominated(p, matrix.costs) if p.shape[1] > 1 else np.ones(p.shape[1], bool)
    res = optimize_curve(p[:, keep], budgets, costs=matrix.costs[keep], certify=certify)
    return [Solution(b, prune.expand(r.counts, keep), r.upper_bound) for b, r in zip(budgets, res, strict=True)]


def scored(matrix: OutcomeMatrix, strategy: str, solutions: Sequence[Solution]) -> list[Allocation]:
    """Score each solution's counts (training objective and test pass@C) into an :class:`Allocation`."""
    return [make_allocation(matrix, strategy, x.counts, upper_bound=x.upper_bound, budget=x.budget)
            for x in solutions]


def hillclimb(matrix: OutcomeMatrix, budgets: Sequence[int], *, seed: int = 0) -> list[Allocation]:
    """Hill climbing at each budget independently (seeded per budget: ``default_rng([seed, C])``)."""
    return scored(matrix, "hillclimb", solve(matrix, "hillclimb", budgets, seed=seed))


def osca(matrix: OutcomeMatrix, budgets: Sequence[int], *, certify: bool = False) -> list[Allocation]:
    """The project's best optimizer of the training objective (see ``osca_core.optimize.curve``; ``osca_core.optimize.beyond_n``
    when budgets go beyond a training cell's n); with per-sample costs the budget bounds sum_s cost_s k_s."""
    return scored(matrix, "osca", solve(matrix, "osca", budgets, certify=certify))


def osca_eb(matrix: OutcomeMatrix, budgets: Sequence[int]) -> list[Allocation]:
    """``osca-eb``: the OSCA optimizer run on posterior-mean training rates p_qs = (c_qs + a_s)/(n_qs + a_s + b_s),
    Beta(a_s, b_s) fitted per configuration on the training counts (:func:`osca_core.model.smoothing.posterior_rates`).

    The reported ``train_pass`` is, as for every strategy, the plug-in objective of the counts on the raw training
    rates c/n; no upper bound is reported (the optimizer bounds the smoothed objective, not that one).
    """
    budgets = check_budgets(budgets)
    p = posterior_rates(*matrix.train_counts())
    results = optimize_curve(p, budgets, costs=matrix.costs)
    return [make_allocation(matrix, "osca-eb", r.counts) for r in results]
