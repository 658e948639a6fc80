"""The OSCA allocation optimizer (first version: greedy marginal gains + single-sample exchanges).

Maximizes the training objective F(k) = mean_q [1 - prod_s (1 - p_qs)^k_s] over integer k >= 0, sum k = C.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.estimators import log_fail_rates


@dataclass(frozen=True)
class OptimizeResult:
    """An allocation for one budget: counts per configuration, its objective, an upper bound, certified."""

    budget: int
    counts: tuple[int, ...]
    objective: float
    upper_bound: float | None
    certified: bool


def _objective(L, Z, k):
    y, z = L @ k, Z @ k
    return float(np.mean(1.0 - np.where(z > 0, 0.0, np.exp(y))))


def optimize_curve(p: np.ndarray, budgets: Sequence[int], *, costs=None, certify: bool = False) -> list[OptimizeResult]:
    """Greedy nested allocations, polished at each budget by single-sample exchanges until none improves."""
    L, Z = log_fail_rates(p)
    q, s = p.shape
    k = np.zeros(s)
    out = {}
    want = set(int(b) for b in budgets)
    for b in range(1, max(want) + 1):
        y, z = L @ k, Z @ k
        P = np.where(z > 0, 0.0, np.exp(y))
        k[int(np.argmax(P @ p))] += 1
        improved = True
        while improved:
            improved = False
            cur = _objective(L, Z, k)
            for a in np.flatnonzero(k):
                for c in range(s):
                    if c == a:
                        continue
                    k2 = k.copy()
                    k2[a] -= 1
                    k2[c] += 1
                    v = _objective(L, Z, k2)
                    if v > cur + 1e-12:
                        k, cur, improved = k2, v, True
        if b in want:
            out[b] = OptimizeResult(b, tuple(int(x) for x in k), _objective(L, Z, k), None, False)
    return [out[int(b)] for b in budgets]
