"""Pruning before optimizing: configurations that no optimal allocation needs, removed with a proof.

The training objective within n is the plug-in F(k) = (1/Q) sum_q [1 - prod_s (1 - p_qs)^{k_s}] with budget
sum_s c_s k_s <= C (``osca_core.model.objective``). Two rules:

**Dominance** (:func:`dominated`; it changes what the optimizer searches). Configuration j is *dominated* by t
when p_qt >= p_qj on every training question q and c_t <= c_j (among identical columns the first is kept;
``certify.undominated``). Proof that some optimal allocation leaves j out: given any allocation k with k_j > 0,
move its k_j samples to t. The cost does not rise (c_t <= c_j), and for every q the factor (1 - p_qj)^{k_j}
becomes (1 - p_qt)^{k_j} <= (1 - p_qj)^{k_j}, so every product prod_s (1 - p_qs)^{k_s} does not rise and F does
not fall. Repeating (t itself undominated, or dominated by an undominated t', by transitivity) gives an
allocation without dominated configurations and F at least as high: the optimum over the undominated ones is the
optimum over all, at every budget. Only the multiplicative plug-in form is used; beyond a cell's n the exact
objective (Beta-binomial, ``optimize.beyond_n``) is not multiplicative in k, so there nothing is pruned.

**Bound** (:func:`bound_pruned`; a statement, reported, nothing re-run). Adding configuration j to any allocation
k' gains mean_q p_qj prod_s (1 - p_qs)^{k'_s} <= mean_q p_qj = F(e_j) (diminishing returns). Any allocation k
with k_j >= 1 at budget C is k' + e_j with k' feasible at budget C - c_j, so
F(k) <= OPT(C - c_j) + F(e_j) <= UB(C - c_j) + F(e_j), UB an upper bound (``objective.upper_bounds``; UB(0) = 0).
When that is below the optimizer's F at C (<= OPT(C)) by more than ``CERTIFY_TOL``, j is in no optimal allocation
at C; it is *pruned by the bound* when that holds at every budget of the grid (unit costs).

Both are tested against exhaustive enumeration (``objective.exhaustive``) on small instances, and the optimizer's
allocations with and without pruning against each other (tests/test_prune.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.model.objective import CERTIFY_TOL, build_model, upper_bounds
from osca_core.optimize.certify import undominated


def dominated(p: np.ndarray, costs: np.ndarray | None = None) -> np.ndarray:
    """(S,) bool: configurations dominated on every training question (module docstring), pass rates p (Q, S)."""
    p = np.asarray(p, float)
    c = np.ones(p.shape[1]) if costs is None else np.asarray(costs, float)
    return ~undominated(p, c)


def expand(counts: Sequence[int], keep: np.ndarray) -> tuple[int, ...]:
    """Counts over the kept configurations back to all of them (0 for the pruned)."""
    out = np.zeros(len(keep), dtype=np.int64)
    out[np.flatnonzero(keep)] = np.asarray(counts, dtype=np.int64)
    return tuple(int(x) for x in out)


def bound_pruned(p: np.ndarray, budgets: Sequence[int], objs: Sequence[float], ubs_below: Sequence[float],
                 keep: np.ndarray) -> np.ndarray:
    """(S,) bool: kept configurations proved absent from every optimal allocation at each budget of ``budgets``
    (unit costs): UB(C - 1) + F(e_j) < F(C) - CERTIFY_TOL, with ``objs`` the optimizer's F(C) and ``ubs_below``
    an upper bound at C - 1 (0 at C = 1), both per budget."""
    f1 = np.asarray(p, float).mean(axis=0)  # F(e_j): training pass@1 (plug-in)
    out = keep.copy()
    for f, ub in zip(objs, ubs_below, strict=True):
        out &= ub + f1 < f - CERTIFY_TOL
    return out


@dataclass(frozen=True)
class PruneReport:
    """What pruning proved for one training matrix and budget grid: configurations ``total``, ``dominated`` (left
    out of the search), ``by_bound`` (searched, proved in no optimal allocation at any budget of the grid), and
    ``applies`` False (with ``reason``) when nothing could be pruned (budgets beyond a cell's n, or costs)."""

    total: int
    dominated: int
    by_bound: int
    applies: bool = True
    reason: str = ""

    @property
    def pruned(self) -> int:
        return self.dominated + self.by_bound

    def note(self) -> str:
        if not self.applies:
            return f"No configuration pruned: {self.reason}."
        return (f"OSCA searched {self.total - self.dominated} of {self.total} configurations: {self.dominated} "
                f"dominated on every training question (another at least as good on each, no costlier) are "
                f"left out, and {self.by_bound} more are proved by the bound to be in no optimal allocation at "
                f"these budgets; the allocations are the same as without pruning.")


def report(p: np.ndarray, budgets: Sequence[int], costs: np.ndarray | None = None) -> PruneReport:
    """Dominance and bound pruning of training rates ``p`` (Q, S) for ``budgets`` (module docstring)."""
    from osca_core.optimize.curve import optimize_curve

    p = np.asarray(p, float)
    s = p.shape[1]
    dom = dominated(p, costs)
    keep = ~dom
    unit = costs is None or bool((np.asarray(costs) == 1.0).all())
    if not unit:
        return PruneReport(s, int(dom.sum()), 0)
    want = sorted({int(b) for b in budgets})
    below = sorted({b - 1 for b in want if b > 1})
    res = optimize_curve(p[:, keep], sorted(set(want) | set(below)))
    by_b = {r.budget: r for r in res}
    m = build_model(p[:, keep])
    ks = np.array([by_b[b].counts for b in below]) if below else np.zeros((0, int(keep.sum())))
    ub = dict(zip(below, upper_bounds(m, below, ks).tolist() if below else [], strict=True))
    objs = [by_b[b].objective for b in want]
    ubs = [0.0 if b == 1 else max(ub[b - 1], by_b[b - 1].objective) for b in want]
    sub = bound_pruned(p[:, keep], want, objs, ubs, np.ones(int(keep.sum()), bool))
    return PruneReport(s, int(dom.sum()), int(sub.sum()))
