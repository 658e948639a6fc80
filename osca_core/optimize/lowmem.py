"""The optimizer's low-memory path for very large inputs (10^5 questions x 10^3 configurations): float32 search,
float64 results by chunks of questions.

``optimize.optimize_curve`` takes this path when the training rates come as float32 (e.g.
``synthetic.scale_rates``) and the costs are unit. No (Q, S) float64 array and no dense (Q, S, C) array is built:
the rates p (float32, the caller's array) and two transposed float32 copies, PT = p^T and the log-fail rows
LT = log(1 - p)^T (-800 where p = 1), are the only (Q, S)-sized arrays (10^5 x 10^3: 3 x 400 MB; measured peak
RSS 1.3 GB with the generator's input).

Search (:func:`compact_sweep`), one allocation carried from budget to budget (the beam of ``optimize`` holds one
allocation at this size anyway): with cur_q = prod_s (1 - p_qs)^{k_s} (float32), the gains rho_s = cur . p_s pick
the greedy addition, lazily (the gains of the last full pass bound the current ones while samples are only added:
DR-submodularity); then exchanges "remove one, add one" and "remove two, add two" among the ``candidates``
configurations with the largest (refreshed) gains and the support, on the rows whose fail can still matter (as
``optimize``'s large-input path), applied while one raises F by more than the float32 resolution
(``FLOAT32_TOL`` x fail sum) and a float64 recomputation on those rows confirms the gain. A heuristic like the
default path (tests: close to it on demo rates, never below hill climbing).

Results in float64 (:func:`objectives`, :func:`upper_bounds`): F(k) and the iteration-0 bounds of
``objective.upper_bounds`` (submodularity and the Frank-Wolfe gap of the concave relaxation at x = k, the same
formulas) computed chunk by chunk over questions from the float32 rates taken as exact, so the bounds are valid
for those rates and ``certified`` keeps its meaning.
"""

from __future__ import annotations

import numpy as np

from osca_core.model.objective import IMPROVE_TOL, SOLVED_LOG

FLOAT32_TOL = 1e-6  # relative resolution of a float32 fail sum over 10^5 rows: smaller changes are noise
CHUNK_CELLS = 4e6  # rows x configurations per chunk of the float64 passes


def transposed_rows(p: np.ndarray, *, block: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(PT, LT), both (S, Q) float32 and contiguous, built ``block`` questions at a time (a block and its
    transpose stay in cache): PT = p transposed and LT = log(1 - p) transposed with SOLVED_LOG where p = 1 (exp
    underflows to exactly 0). ``ValueError`` when a rate is not a number in [0, 1]."""
    q, s = p.shape
    PT, LT = np.empty((s, q), np.float32), np.empty((s, q), np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        for lo in range(0, q, block):
            x = p[lo : lo + block]
            if not (x.min() >= 0.0 and x.max() <= 1.0):  # (NaN fails both)
                raise ValueError("pass rates must lie in [0, 1]")
            PT[:, lo : lo + block] = x.T
            LT[:, lo : lo + block] = np.where(x >= 1.0, np.float32(SOLVED_LOG), np.log1p(-x)).T
    return PT, LT


def compact_sweep(PT: np.ndarray, LT: np.ndarray, last: int, *, candidates: int = 32, pair_removals: int = 6,
                  pair_additions: int = 6, max_moves: int = 64, lazy: int = 16) -> np.ndarray:
    """Allocations (last, S) for the unit-cost budgets 1 .. ``last`` (module docstring); ``PT``, ``LT`` from
    :func:`transposed_rows`. Greedy additions are lazy (Minoux): the gains of the last full pass bound the
    current ones from above while samples are only added (DR-submodularity), so only the ``lazy`` best bounds
    are recomputed, and a full pass runs when the best of them falls below the next bound or after an exchange."""
    s, q = PT.shape
    k = np.zeros(s, np.int64)
    y = np.zeros(q, np.float32)
    out = np.zeros((last, s), np.int64)
    bound, order = None, None
    for b in range(last):
        cur = np.exp(y)
        j = -1
        if bound is not None:
            top = order[:lazy]
            g = PT[top] @ cur
            i = int(np.argmax(g))
            if g[i] >= bound[order[lazy]] if lazy < s else True:
                j = int(top[i])
                bound[top] = g
                order = np.argsort(-bound, kind="stable")
        if j < 0:
            bound = PT @ cur
            order = np.argsort(-bound, kind="stable")
            j = int(order[0])
        k[j] += 1
        y += LT[j]
        top = order[: max(candidates, pair_additions)]  # exchange candidates ranked by their current gains
        bound[top] = PT[top] @ np.exp(y)
        order = np.argsort(-bound, kind="stable")
        moved = False
        for _ in range(max_moves):
            move = _best_move(PT, LT, k, y, order, candidates, pair_removals, pair_additions)
            if move is None:
                break
            moved = True
            for a in move[0]:
                k[a] -= 1
                y -= LT[a]
            for a in move[1]:
                k[a] += 1
                y += LT[a]
        if moved:
            sup = np.flatnonzero(k)
            y = (k[sup].astype(np.float32) @ LT[sup]).astype(np.float32)  # fresh: no drift
            bound = None  # a removal may raise gains: the bounds no longer hold
        out[b] = k
    return out


def _best_move(PT, LT, k, y, order, candidates, pair_removals, pair_additions):
    """The best improving exchange (removed, added) among the candidates, or None."""
    sup = np.flatnonzero(k)
    low = np.minimum(y - 2.0 * LT[sup].min(axis=0), 0.0)
    act = np.flatnonzero(np.exp(low) > 1e-16)
    if act.size == 0:
        return None
    every = act.size > 0.5 * y.size  # gathering would cost more than it saves
    if every:
        act = np.arange(y.size)
    ya = y if every else y[act]

    def rows(M, idx):
        return M[idx] if every else M[idx][:, act]

    cur = np.exp(ya)
    total = float(cur.sum(dtype=np.float64))
    thr = total - max(FLOAT32_TOL * total, IMPROVE_TOL * y.size)
    cand = np.union1d(order[:candidates], sup)
    lsup = rows(LT, sup)
    best, move = thr, None
    wp = np.exp(ya[None] - lsup)  # one out: (|sup|, rows)
    fails = wp @ (1.0 - rows(PT, cand)).T  # ... one in
    i, a = np.unravel_index(int(np.argmin(fails)), fails.shape)
    if fails[i, a] < best:
        best, move = float(fails[i, a]), ((int(sup[i]),), (int(cand[a]),))
    # two out, two in: the cheapest removals, the best additions
    r2 = np.argsort(wp.sum(axis=1), kind="stable")[:pair_removals]
    iu, ju = np.triu_indices(r2.size)
    keep = (iu != ju) | (k[sup[r2[iu]]] >= 2)
    ra, rb = r2[iu[keep]], r2[ju[keep]]
    if ra.size:
        c2 = np.sort(order[:pair_additions])
        bu, bv = np.triu_indices(c2.size)
        g = 1.0 - rows(PT, c2)
        fails2 = np.exp(ya[None] - lsup[ra] - lsup[rb]) @ (g[bu] * g[bv]).T
        i, a = np.unravel_index(int(np.argmin(fails2)), fails2.shape)
        if fails2[i, a] < best:
            move = ((int(sup[ra[i]]), int(sup[rb[i]])), (int(c2[bu[a]]), int(c2[bv[a]])))
    if move is None:
        return None
    # float32 sums over many rows carry noise: apply the move only if float64 agrees that it improves
    y64 = ya.astype(float)
    new = y64 - sum(rows(LT, [r])[0].astype(float) for r in move[0]) \
        + sum(rows(LT, [r])[0].astype(float) for r in move[1])
    gain = float(np.exp(y64).sum() - np.exp(new).sum())
    return move if gain > max(IMPROVE_TOL * y.size, 1e-9 * total) else None


def _chunks(q: int, s: int):
    step = max(1, int(CHUNK_CELLS // max(1, s)))
    return range(0, q, step), step


def objectives(p: np.ndarray, ks: np.ndarray) -> np.ndarray:
    """F(k) in float64 for allocations ks (B, S) on the float32 rates p, by chunks of questions."""
    ks = np.asarray(ks, float)
    q, s = p.shape
    sup = np.flatnonzero(ks.any(axis=0))
    fail = np.zeros(len(ks))
    starts, step = _chunks(q, sup.size)
    for lo in starts:
        x = p[lo : lo + step][:, sup].astype(float)
        z = x >= 1.0
        with np.errstate(divide="ignore"):
            L = np.where(z, 0.0, np.log1p(-np.minimum(x, 1.0)))
        with np.errstate(under="ignore"):
            fail += (np.exp(ks[:, sup] @ L.T) * ((ks[:, sup] @ z.T) < 0.5)).sum(axis=1)
    return (q - fail) / q


def upper_bounds(p: np.ndarray, budgets, ks: np.ndarray, *, delta: float = 1e-9) -> np.ndarray:
    """The iteration-0 bounds of ``objective.upper_bounds`` (the smaller of the submodular bound F(k) + C max_s
    rho_s(k) and the Frank-Wolfe bound H(k) + C max_s G_s - G.k + delta of the concave relaxation), float64, by
    chunks of questions; unit costs."""
    budgets = np.asarray(budgets, float)
    x = np.asarray(ks, float)
    q, s = p.shape
    nb = len(x)
    fail, rho, wsum, grad = np.zeros(nb), np.zeros((nb, s)), np.zeros(nb), np.zeros((nb, s))
    solved = 0.0
    starts, step = _chunks(q, s)
    ld = np.log(delta)
    sup = np.flatnonzero(x.any(axis=0))
    xs = x[:, sup]
    for lo in starts:
        c = p[lo : lo + step].astype(float)
        z = c >= 1.0
        with np.errstate(divide="ignore"):
            lc = np.where(z, ld, np.log1p(-np.minimum(c, 1.0)))
        zs, ls = z[:, sup], lc[:, sup]
        with np.errstate(under="ignore"):
            P = np.exp(xs @ np.where(zs, 0.0, ls).T) * ((xs @ zs.T) < 0.5)
            we = np.exp(xs @ ls.T)
        fail += P.sum(axis=1)
        rho += P @ c
        wsum += we.sum(axis=1)
        grad -= we @ lc
        solved += float(z.any(axis=1).sum())
    ub = (q - fail) / q + budgets * (rho / q).max(axis=1)
    g = grad / q
    fw = (q - wsum) / q + budgets * g.max(axis=1) - (g * x).sum(axis=1) + delta * solved / q
    return np.minimum(ub, fw)
