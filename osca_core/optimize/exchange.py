"""Batched pieces of the optimizer's sweep (``osca_core.optimize.curve``): exchange checks for many budgets at once.

The sweep's exchange phase (remove one or two samples, add one or two) almost never finds an improving move once
the beam has found a budget's allocation (BigCodeBench 1..291: one budget of 291), yet checking costs as much as
the beam step itself. :func:`exchange_free` proves, for the best allocations k_1 .. k_B of many budgets in one
batched computation, that no move raises F by more than the sweep's threshold; only the budgets it cannot clear
run the sequential exchange search. It is exact: a budget is cleared only when the sequential search would find
no move either, so the sweep's results do not change.

With fail(k) = sum_r w_r prod_s (1 - p_rs)^{k_s} (so F(k) = (W - fail(k)) / Q) and unit costs at a full budget
(sum k = C), the moves of the exchange search are dominated by two kinds (adding never raises fail):

- one out, one in: fail(k - a + b), computed exactly for every a in the support and every b;
- two out, two in: for R = k - a - a', DR-submodularity of F gives fail(R + b + b') >= fail(R + b) + fail(R + b')
  - fail(R) >= 2 min_b fail(R + b) - fail(R), a lower bound for every pair b, b' (and for two out, one or none in).

A budget is cleared when every such value is at least the threshold fail(k) - Q * tol plus a rounding margin
((rows + S) 4 eps W, far above the float64 round-off of either computation).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# products of at most this many multiply-adds: OpenBLAS runs them on one thread (its threshold is 4 x 65536), which
# on a shared machine is many times faster than two threads spin-waiting for each other (SWE-bench: 2 ms vs 35 ms)
_GEMM_CELLS = 2.5e5


@lru_cache(maxsize=64)
def _triu(s: int) -> tuple[np.ndarray, np.ndarray]:
    return np.triu_indices(s)


def removal_sets(K: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every removal set of the exchange search for allocations K (B, S): each support configuration alone (second
    index S: none), then each pair a <= a' of the support (a = a' only where k_a >= 2). Returns (budget row, a, a')."""
    nb, s = K.shape
    rows, a = np.nonzero(K)
    iu, ju = _triu(s)
    ok = (K[:, iu] >= 1) & (K[:, ju] >= 1) & ((iu != ju)[None] | (K[:, iu] >= 2))
    pr, pc = np.nonzero(ok)
    return (np.concatenate([rows, pr]), np.concatenate([a, iu[pc]]), np.concatenate([np.full(a.size, s), ju[pc]]))


def exchange_free(K: np.ndarray, Y: np.ndarray, LTp: np.ndarray, w: np.ndarray, F1: np.ndarray, qtot: int,
                  tol: float, *, chunk_cells: float = 2e4) -> np.ndarray:
    """Mask over the B allocations K (B, S) with y-rows Y (B, rows) (Y = K LT, LT the search's log-fail rows) of
    those where no exchange move lowers fail by more than ``qtot * tol`` (module docstring); unit costs, full
    budgets. ``LTp``: (S + 1, rows) log-fail rows with a zero row S ("none"); ``F1``: (rows, S) = 1 - p."""
    nb, s = K.shape
    r = Y.shape[1]
    W = float(w.sum())
    margin = 4.0 * (r + s) * np.finfo(float).eps * max(W, 1.0)
    cur = np.exp(Y) @ w  # fail(k) per budget
    thr = cur - qtot * tol + margin
    bi, ra, rb = removal_sets(K)
    single = rb == s
    free = np.ones(nb, bool)
    pairs = None
    step = max(1, int(min(chunk_cells, _GEMM_CELLS / s) // max(1, r)))
    for i in range(0, bi.size, step):
        sl = slice(i, i + step)
        b_, a_, a2_ = bi[sl], ra[sl], rb[sl]
        E = w * np.exp(Y[b_] - LTp[a_] - LTp[a2_])
        fr = E @ F1
        n = np.arange(b_.size)
        pair = ~single[sl]
        fx = fr.copy()  # two in: configurations other than the two taken out (else it is a one-for-one move)
        fx[n[pair], a_[pair]] = np.inf
        fx[n[pair], a2_[pair]] = np.inf
        low = fr.min(axis=1)
        val = np.where(single[sl], low, 2.0 * fx.min(axis=1) - E.sum(axis=1))
        bad = val < thr[b_]
        redo = bad & pair  # the bound is not enough: every pair b <= b' exactly
        if redo.any():
            if pairs is None:
                iu, ju = _triu(s)
                pairs = F1[:, iu] * F1[:, ju]
            idx = np.flatnonzero(redo)
            sub = max(1, int(_GEMM_CELLS // (r * pairs.shape[1])))
            for j in range(0, idx.size, sub):
                t = idx[j : j + sub]
                bad[t] = (E[t] @ pairs).min(axis=1) < thr[b_[t]]
        free[b_[bad]] = False
    return free
