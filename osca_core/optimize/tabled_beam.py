"""The beam over budgets on fail tables: budgets beyond n at the cost of budgets within n (unit costs).

Within n the optimizer's beam (``osca_core.optimize.beam``) scores every child "allocation k_b plus one sample of
s" by its fail mass sum_r e_br (1 - p_rs), one product e F1 for the whole beam, because the factor a sample adds
does not depend on how many the configuration already holds. On fail tables T[r, s, k]
(``osca_core.optimize.beyond_n``: plug-in within n, Beta-binomial predictive beyond) the factor of the next sample
is T[r, s, k_s + 1] / T[r, s, k_s], which depends on k_s only where k_s > 0, and an allocation of budget C holds
at most C configurations with k_s > 0. So the same product runs on the first column of the tables,

    fail(b, s) = sum_r e_br T[r, s, 1]                     (one (B, rows) x (rows, S) product, as within n)
               = sum_r e_br T[r, s, k_bs + 1] / T[r, s, k_bs]    (re-done only on the support, k_bs > 0),

with e_br = w_r exp(y_br), y_br = sum_s log T[r, s, k_bs] (the search's floored log tables, so a factor that
leaves an exact 0 is recovered). The children are ordered by (fail, b S + s) (stable), the first of each distinct
allocation hash is kept and the best ``BEAM`` go on; the best of them is improved by the exchanges of
``beyond_n._Search`` (remove one or two samples, add one or two; candidates on wide logs) and rejoins the beam.
Work per budget: the product (B x rows x S, BLAS), B x C gathered columns for the support, and one exchange
evaluation, against the B x S whole-allocation re-evaluations (B x S x rows x S table look-ups) and four local
searches per budget of the general search it replaces for unit costs (``beyond_n._Search.beam_step``, kept for
per-sample costs).

A heuristic like the search within n; ``osca_core.optimize.tabled_bounds`` bounds and certifies its results.
"""

from __future__ import annotations

import numpy as np

from osca_core.optimize.beam import _first_index  # the beam's dedup of states, shared

BEAM = 16  # allocations carried from budget to budget (as the general search)
HEAVY = 4  # the second beam: pure allocations and their greedy growth
PREFIX = 4  # children sorted per kept child (a partition finds them; all are sorted when too few are distinct)
GEMM_CELLS = 2.5e5  # multiply-adds per product block (OpenBLAS's one-thread threshold is 4 x 65536)


def products(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """A @ B in blocks of at most ``GEMM_CELLS`` multiply-adds, which OpenBLAS runs on one thread: on a shared
    machine two threads spin-waiting for each other are many times slower (as ``osca_core.optimize.exchange``)."""
    m, k = A.shape
    n = B.shape[1]
    if m * k * n <= GEMM_CELLS:
        return A @ B
    out = np.empty((m, n))
    cols = max(1, int(GEMM_CELLS // max(1, k)))
    rows = max(1, int(GEMM_CELLS // max(1, k * min(n, cols))))
    for i in range(0, m, rows):
        for j in range(0, n, cols):
            out[i : i + rows, j : j + cols] = A[i : i + rows] @ B[:, j : j + cols]
    return out


def _stable_order(flat: np.ndarray, m: int) -> np.ndarray:
    """A prefix of ``np.argsort(flat, kind="stable")`` restricted to the finite values, holding at least the ``m``
    smallest (and every value tied with the m-th): the same indices in the same order as that full sort, from
    a partition and a sort of the few below the cut."""
    if m < flat.size:
        cut = np.partition(flat, m - 1)[m - 1]
        idx = np.flatnonzero(flat <= cut)  # increasing: a stable sort of them keeps the full sort's order
        order = idx[np.argsort(flat[idx], kind="stable")]
    else:
        order = np.argsort(flat, kind="stable")
    return order[np.isfinite(flat[order])]


def _children(tab, K, Y, H, n):
    """The best ``n`` distinct children "k_b plus one sample of s" of the states (K, Y, H), by fail mass (module
    docstring): (K, Y, H, fail) of the kept children, best first."""
    LT, off, kmax, w, s, base, hs = tab
    E = w[None, :] * np.exp(Y)
    fails = products(E, base)
    bi, sj = np.nonzero(K)
    if bi.size:
        col = off[sj] + K[bi, sj]
        top = K[bi, sj] + 1 > kmax[sj]
        colp = np.where(top, col, col + 1)
        fails[bi, sj] = (E[bi] * np.exp(LT[colp] - LT[col])).sum(axis=1)
        fails[bi[top], sj[top]] = np.inf
    flat = fails.ravel()
    hall = (H[:, None] + hs[None, :]).ravel()
    order = _stable_order(flat, PREFIX * n)
    h = hall[order]
    pos = np.sort(_first_index(h))[:n]
    if pos.size < n and order.size < np.count_nonzero(np.isfinite(flat)):  # too few distinct: every child
        order = _stable_order(flat, flat.size)
        h = hall[order]
        pos = np.sort(_first_index(h))[:n]
    i, j = np.divmod(order[pos], s)
    K = K[i].copy()
    col = off[j] + K[np.arange(pos.size), j]
    K[np.arange(pos.size), j] += 1
    return K, Y[i] + (LT[col + 1] - LT[col]), h[pos], flat[order[pos]]


def _best(n, *states):
    """The ``n`` distinct states with the least fail among the concatenated ``states`` ((K, Y, H, fail) each;
    earlier ones first among equals)."""
    K, Y, H, F = (np.concatenate(x) for x in zip(*states, strict=True))
    order = np.argsort(F, kind="stable")
    keep = order[np.sort(_first_index(H[order]))[:n]]
    return K[keep], Y[keep], H[keep], F[keep]


def sweep_unit(search, last: int, jump: np.ndarray, *, beam: int = BEAM, heavy: int = HEAVY,
               improve_starts: int = 1) -> np.ndarray:
    """The allocations of budgets 1 .. ``last`` (rows (last, S)) on the tables of ``search`` (a
    ``beyond_n._Search`` with unit costs), by the beams of the module docstring; the best ``improve_starts``
    allocations of every budget are improved by exchanges. ``jump`` (S,): the first count of each configuration
    beyond the n of some training cell (min_q n_qs + 1), where its greedy chain starts."""
    LT, off, kmax, w, s = search.LT, search.off, search.kmax, search.w, search.s
    rows = LT.shape[1]
    base = np.exp(LT[off + 1]).T.copy()  # (rows, S): T[:, s, 1] (every kmax_s >= 1 with unit costs and C >= 1)
    tab = (LT, off, kmax, w, s, base, search.hs)
    eye = np.eye(s, dtype=np.int64)
    zero = (np.zeros((1, s), np.int64), np.zeros((1, rows)), np.zeros(1, np.uint64), np.array([w.sum()]))
    main, hv = zero, zero
    out = np.zeros((last, s), np.int64)
    for b in range(1, last + 1):
        main = _children(tab, *main[:3], beam)
        if heavy:  # greedy chains from the pure allocations at the first counts beyond n (module docstring)
            if len(hv[0]) and hv[0].sum() > 0:
                hv = _best(heavy, *(_children(tab, *(x[i : i + 1] for x in hv[:3]), 1) for i in range(len(hv[0]))))
            seed = np.flatnonzero((jump == b) & (kmax >= b))
            if seed.size:
                pf = np.exp(LT[off[seed] + b]) @ w
                top = seed[np.argsort(pf, kind="stable")[:heavy]]
                pure = (b * eye[top], LT[off[top] + b], (b * eye[top]).astype(np.uint64) @ search.hs,
                        np.sort(pf, kind="stable")[:heavy])
                hv = _best(heavy, pure) if hv[0].sum() == 0 else _best(heavy, hv, pure)
            if hv[0].sum() > 0 and hv[3][0] < main[3][0]:
                main = _best(beam, hv, main)
        better = []
        for t in range(min(improve_starts, len(main[0]))):
            search.set(main[0][t])
            search.improve(float(b))
            if not np.array_equal(search.k, main[0][t]):
                k = search.k.copy()
                better.append((k[None], search.y[None].copy(), (k.astype(np.uint64) @ search.hs)[None],
                               np.array([search.fail_sum()])))
        if better:
            main = _best(beam, *better, main)
        out[b - 1] = main[0][0]
    return out
