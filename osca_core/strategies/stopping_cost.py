"""Expected cost of an ordered plan when sampling stops at the first sample the verifier accepts, and the best
order of a given mix.

An ordered plan s_1 .. s_C samples configuration s_j at step j and stops as soon as a sample passes. With
k_s^{<j} samples of s among the first j - 1 steps, a question's expected cost is

    E[cost] = sum_j cost(s_j) * P(samples 1 .. j-1 all fail),   P = prod_s f_s(k_s^{<j}),

with f_s(k) = C(n - c, k) / C(n, k) on test (drawing the plan's samples of s without replacement from the n
logged ones: the same model as the unbiased pass@k, so pass@C of the plan is 1 - P after all C steps; beyond n
the Beta-binomial predictive under the configuration's training prior, ``prior`` (``osca_core.model.extrapolation``;
without one the legacy plug-in), flagged ``extrapolated``) and f_s(k) = (1 - c/n)^k on training (the plug-in of the OSCA training
objective). Reported numbers are means over questions; pass@C does not depend on the order, E[cost] does.

Best order (``best_order``): minimize the training E[cost] of a multiset {s: k_s}. The cost of step j depends
only on the counts used so far K and the configuration chosen, cost(s) * P(K) with P(K) = mean_q prod_s
(1 - p_qs)^{K_s}, so the problem is a shortest path over the lattice {K : 0 <= K <= k}:
V(K) = min_{s : K_s < k_s} [cost(s) P(K) + V(K + e_s)], V(k) = 0. It is solved exactly when the lattice has at
most ``EXACT_STATES`` = prod_s (k_s + 1) states (level by level, vectorized). Above it a heuristic: the best of
(a) the greedy index policy (at K pick the s with the largest mean_q P_q(K) p_qs / cost(s): Smith's rule on the
current survivors) and (b) blocks sorted by cost(s) / mean_q p_qs, each improved by adjacent swaps; its gap is
reported against the lower bound mean_q min_order E_q, where each question's own optimum is Smith's rule (sort by
cost(s)/p_qs ascending: the classic interchange argument, exact for one question with independent samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.model.estimators import fail_probability
from osca_core.model.extrapolation import PriorLike, columns, eval_fail, resolve

EXACT_STATES = 2_000_000  # largest lattice prod_s (k_s + 1) solved exactly by best_order (about 50 MB of arrays)
_CHUNK = 4_000_000  # questions x states per block when building P(K)


def _check_order(order: Sequence[int], s: int) -> np.ndarray:
    o = np.asarray(order, dtype=np.int64)
    if o.ndim != 1 or o.size == 0:
        raise ValueError("an order is a non-empty sequence of configuration indices")
    if (o < 0).any() or (o >= s).any():
        raise ValueError(f"configuration index out of range 0..{s - 1}")
    return o


def prefix_counts(order: Sequence[int], s: int) -> np.ndarray:
    """(C, S) counts k_s^{<j}: samples of each configuration among the steps before step j (j = 1 .. C)."""
    o = _check_order(order, s)
    onehot = np.zeros((o.size, s), dtype=np.int64)
    onehot[np.arange(o.size), o] = 1
    return np.cumsum(onehot, axis=0) - onehot


def reach_probabilities(n, c, order: Sequence[int], *, estimator: str = "unbiased", prior: PriorLike = None
                        ) -> tuple[np.ndarray, bool]:
    """(Q, C) P(samples 1 .. j-1 all fail) = prod_s f_s(k_s^{<j}) per question and step, and the extrapolated
    flag (some k_s^{<j} > n_qs). ``estimator`` as in ``estimators.fail_probability`` (``"unbiased"`` on test,
    ``"plugin"`` on training); with ``"unbiased"``, terms beyond n use the Beta-binomial predictive under
    ``prior`` (``extrapolation.eval_fail``; legacy plug-in without one)."""
    n, c = np.asarray(n), np.asarray(c)
    o = _check_order(order, n.shape[1])
    pre = prefix_counts(o, n.shape[1])
    out = np.ones((n.shape[0], o.size))
    extra = False
    over_n = estimator == "unbiased" and bool((pre[-1][None, :] > n).any())
    pr = resolve(prior) if over_n else None
    for s in np.unique(o):
        ks = np.arange(int(pre[-1, s]) + 1, dtype=float)
        if estimator == "unbiased":
            f, over = eval_fail(n[:, s : s + 1], c[:, s : s + 1], ks[None, :], columns(pr, slice(s, s + 1)))
        else:
            f, over = fail_probability(n[:, s : s + 1], c[:, s : s + 1], ks[None, :], estimator=estimator)
        out *= f[:, pre[:, s]]
        extra = extra or bool(over.any())
    return out, extra


def expected_costs(n, c, order: Sequence[int], costs=None, *, estimator: str = "unbiased",
                   prior: PriorLike = None) -> tuple[np.ndarray, bool]:
    """Per-question expected cost sum_j cost(s_j) P(samples 1 .. j-1 all fail) (module docstring), and the
    extrapolated flag. ``costs`` per configuration (default 1); ``prior`` as in :func:`reach_probabilities`."""
    n = np.asarray(n)
    cost = np.ones(n.shape[1]) if costs is None else np.asarray(costs, float)
    reach, extra = reach_probabilities(n, c, order, estimator=estimator, prior=prior)
    return reach @ cost[np.asarray(order, dtype=np.int64)], extra


def expected_cost_train(p, order: Sequence[int], costs=None) -> float:
    """Training expected cost: mean_q sum_j cost(s_j) prod_s (1 - p_qs)^{k_s^{<j}} (plug-in rates p = c/n)."""
    p = np.asarray(p, float)
    o = _check_order(order, p.shape[1])
    cost = np.ones(p.shape[1]) if costs is None else np.asarray(costs, float)
    pre = prefix_counts(o, p.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        logf = np.log1p(-np.minimum(p, 1.0))  # -inf where p = 1
        reach = np.exp(np.where(pre[None, :, :] > 0, logf[:, None, :] * pre[None, :, :], 0.0).sum(axis=2))
    return float(np.mean(reach @ cost[o]))


# -- best order --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderResult:
    """The best order found for a mix: configuration indices first to last, its training expected cost, a lower
    bound on the best order's training expected cost, and whether the order is proven optimal (``exact``:
    solved on the whole lattice). ``method`` is ``"lattice-dp"`` or ``"heuristic"``."""

    order: tuple[int, ...]
    expected_cost: float
    lower_bound: float
    exact: bool
    method: str
    states: int

    @property
    def gap(self) -> float:
        """expected_cost - lower_bound (>= 0; the heuristic's distance to the best order is at most this)."""
        return max(0.0, self.expected_cost - self.lower_bound)


def _compact(p: np.ndarray, sup: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of p restricted to the support, with weights (identical questions are merged)."""
    rows, w = np.unique(p[:, sup], axis=0, return_counts=True)
    return rows, w.astype(float) / p.shape[0]


def smith_lower_bound(p, counts: Sequence[int], costs=None) -> float:
    """mean_q min_order E_q: each question's optimal order sorts its blocks by cost(s)/p_qs ascending (Smith's
    rule; p_qs = 0 last); block s then costs cost(s) (1 - (1 - p)^{k_s}) / p (k_s cost(s) when p = 0) times the
    chance that the earlier blocks all failed. A lower bound on the training E[cost] of every order."""
    p = np.asarray(p, float)
    k = np.asarray(counts, dtype=np.int64)
    cost = np.ones(p.shape[1]) if costs is None else np.asarray(costs, float)
    sup = np.flatnonzero(k > 0)
    rows, w = _compact(p, sup)
    ks, cs = k[sup].astype(float), cost[sup]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(rows > 0, cs[None, :] / rows, np.inf)
        block = np.where(rows > 0, cs * (1.0 - (1.0 - rows) ** ks) / rows, cs * ks)
    idx = np.argsort(ratio, axis=1, kind="stable")
    blk = np.take_along_axis(block, idx, axis=1)
    surv = np.take_along_axis((1.0 - rows) ** ks, idx, axis=1)
    before = np.cumprod(np.column_stack([np.ones(len(rows)), surv[:, :-1]]), axis=1)
    return float(w @ (blk * before).sum(axis=1))


def _bernoulli_tables(rows: np.ndarray, ks: np.ndarray) -> list[np.ndarray]:
    """g_i[r, k] = (1 - p_ri)^k, k = 0 .. k_i: the plug-in chance that k samples of configuration i all fail."""
    return [(1.0 - rows[:, i : i + 1]) ** np.arange(int(k) + 1)[None, :] for i, k in enumerate(ks)]


def _lattice_order(g: list[np.ndarray], w: np.ndarray, ks: np.ndarray, cs: np.ndarray) -> tuple[list[int], float]:
    """Exact shortest path over the lattice (module docstring) for all-fail tables g_i (R, k_i + 1) and row
    weights w: P(K) = sum_r w_r prod_i g_i[r, K_i]. Returns support positions and V(0)."""
    dims = ks + 1
    states = int(np.prod(dims))
    prefix = states // int(dims[-1])
    P = np.zeros((prefix, int(dims[-1])))
    step = max(1, _CHUNK // prefix)
    for a in range(0, len(w), step):  # P = sum_q w_q (g_0 x ... x g_{m-2})[q] outer g_{m-1}[q]: one matmul
        t = w[a : a + step, None] * np.ones((1, 1))
        for gi in g[:-1]:
            t = (t[:, :, None] * gi[a : a + step, None, :]).reshape(t.shape[0], -1)
        P += t.T @ g[-1][a : a + step]
    P = P.reshape(-1)
    strides = np.array([int(np.prod(dims[i + 1 :])) for i in range(len(dims))], dtype=np.int64)
    coords = np.unravel_index(np.arange(states), tuple(dims))
    level = np.sum(coords, axis=0)
    by_level = np.argsort(level, kind="stable")  # states sorted by samples used; position 0 is K = 0
    pos = np.empty(states + 1, dtype=np.int64)
    pos[by_level] = np.arange(states)
    pos[states] = states  # sentinel: no successor (V = inf)
    succ = np.stack([np.where(coords[i] < ks[i], np.arange(states) + strides[i], states)[by_level]
                     for i in range(len(dims))])
    succ = pos[succ]  # (m, states): successor positions in the sorted order
    Ps = P[by_level]
    bounds = np.concatenate([[0], np.cumsum(np.bincount(level, minlength=int(ks.sum()) + 1))])
    V = np.zeros(states + 1)
    V[states] = np.inf
    choice = np.zeros(states, dtype=np.int16)
    for lev in range(int(ks.sum()) - 1, -1, -1):  # V(K) = min_s cost_s P(K) + V(K + e_s), level by level
        lo, hi = bounds[lev], bounds[lev + 1]
        cand = cs[:, None] * Ps[None, lo:hi] + V[succ[:, lo:hi]]
        arg = np.argmin(cand, axis=0)
        choice[lo:hi] = arg
        V[lo:hi] = cand[arg, np.arange(hi - lo)]
    at, out = 0, []
    for _ in range(int(ks.sum())):
        i = int(choice[at])
        out.append(i)
        at = int(succ[i, at])
    return out, float(V[0])


def _cost_of(rows, w, cs, seq: np.ndarray) -> float:
    surv = np.ones(len(rows))
    total = 0.0
    for i in seq:
        total += cs[i] * float(w @ surv)
        surv = surv * (1.0 - rows[:, i])
    return total


def _swap_improve(rows, w, cs, seq: list[int], *, passes: int = 50) -> list[int]:
    """Adjacent interchanges: swap steps j, j+1 when that lowers E[cost] (only those two terms change)."""
    seq = list(seq)
    for _ in range(passes):
        surv = np.ones(len(rows))
        changed = False
        for j in range(len(seq) - 1):
            a, b = seq[j], seq[j + 1]
            if a != b:
                base = w * surv
                ab = cs[a] * base.sum() + cs[b] * base @ (1.0 - rows[:, a])
                ba = cs[b] * base.sum() + cs[a] * base @ (1.0 - rows[:, b])
                if ba < ab - 1e-15:
                    seq[j], seq[j + 1] = b, a
                    changed = True
            surv = surv * (1.0 - rows[:, seq[j]])
        if not changed:
            break
    return seq


def _heuristic_order(rows, w, ks, cs, improve: bool = True) -> tuple[list[int], float]:
    left = ks.copy()
    surv = np.ones(len(rows))
    greedy = []
    for _ in range(int(ks.sum())):
        gain = ((w * surv) @ rows) / cs
        gain = np.where(left > 0, gain, -np.inf)
        i = int(np.argmax(gain))
        greedy.append(i)
        left[i] -= 1
        surv = surv * (1.0 - rows[:, i])
    if not improve:
        return greedy, _cost_of(rows, w, cs, np.array(greedy))
    mean_p = w @ rows / w.sum()
    with np.errstate(divide="ignore"):
        blocks = np.argsort(np.where(mean_p > 0, cs / mean_p, np.inf), kind="stable")
    block = [int(i) for i in blocks for _ in range(int(ks[i]))]
    cands = [_swap_improve(rows, w, cs, s) for s in (greedy, block)]
    vals = [_cost_of(rows, w, cs, np.array(s)) for s in cands]
    j = int(np.argmin(vals))
    return cands[j], vals[j]


def best_order(p, counts: Sequence[int], costs=None, *, max_states: int = EXACT_STATES, improve: bool = True
               ) -> OrderResult:
    """The order of the multiset {s: counts[s]} minimizing the training expected cost
    mean_q sum_j cost(s_j) prod_s (1 - p_qs)^{k_s^{<j}} (module docstring: exact lattice shortest path when
    prod_s (k_s + 1) <= ``max_states``, else the bounded heuristic; ``improve=False`` keeps the greedy index order
    alone, without the block order and the swaps). ``p``: (Q, S) training rates c/n."""
    p = np.asarray(p, float)
    k = np.asarray(counts, dtype=np.int64)
    if p.ndim != 2 or k.shape != (p.shape[1],) or (k < 0).any() or k.sum() == 0:
        raise ValueError("counts must be non-negative, one per configuration, and not all zero")
    cost = np.ones(p.shape[1]) if costs is None else np.asarray(costs, float)
    sup = np.flatnonzero(k > 0)
    rows, w = _compact(p, sup)
    ks, cs = k[sup], cost[sup]
    states = float(np.prod((ks + 1).astype(float)))
    lb = smith_lower_bound(p, k, cost)
    if len(sup) == 1:
        seq, val, exact, method = [0] * int(ks[0]), None, True, "lattice-dp"
    elif states <= max_states:
        seq, val = _lattice_order(_bernoulli_tables(rows, ks), w, ks, cs)
        exact, method = True, "lattice-dp"
    else:
        seq, val = _heuristic_order(rows, w, ks, cs, improve)
        exact, method = False, "heuristic"
    order = tuple(int(sup[i]) for i in seq)
    if val is None:
        val = expected_cost_train(p, order, cost)
    return OrderResult(order, float(val), min(lb, float(val)), exact, method, int(min(states, 2**62)))


def best_order_test(n, c, counts: Sequence[int], costs=None, *, max_states: int = 20_000,
                    prior: PriorLike = None) -> OrderResult:
    """The order of {s: counts[s]} minimizing the *test* expected cost mean_q sum_j cost(s_j) prod_s
    f_qs(k_s^{<j}) with f_qs(k) = C(n-c, k)/C(n, k) (beyond n: ``extrapolation.eval_fail`` with ``prior``) for the
    questions (rows) of n, c: the lattice
    shortest path with these tables when prod_s (k_s + 1) <= ``max_states``; else the greedy index order (at K
    pick the s with the largest drop mean_q [P_q(K) - P_q(K + e_s)] / cost(s)). Used for the test-set oracle, which
    knows each question's counts; ``lower_bound`` is V(0) when exact, else min cost (the first sample is always
    paid)."""
    n, c = np.atleast_2d(np.asarray(n)), np.atleast_2d(np.asarray(c))
    k = np.asarray(counts, dtype=np.int64)
    if k.shape != (n.shape[1],) or (k < 0).any() or k.sum() == 0:
        raise ValueError("counts must be non-negative, one per configuration, and not all zero")
    cost = np.ones(n.shape[1]) if costs is None else np.asarray(costs, float)
    sup = np.flatnonzero(k > 0)
    ks, cs = k[sup], cost[sup]
    pr = resolve(prior) if (k[None, :] > n).any() else None
    g = [eval_fail(n[:, s : s + 1], c[:, s : s + 1], np.arange(int(kk) + 1, dtype=float)[None, :],
                   columns(pr, slice(s, s + 1)))[0] for s, kk in zip(sup, ks, strict=True)]
    w = np.full(n.shape[0], 1.0 / n.shape[0])
    states = float(np.prod((ks + 1).astype(float)))
    if len(sup) == 1:
        seq, val, exact = [0] * int(ks[0]), float(cs[0] * (w @ g[0][:, :-1].sum(axis=1))), True
    elif states <= max_states:
        (seq, val), exact = _lattice_order(g, w, ks, cs), True
    else:
        used = np.zeros(len(sup), dtype=np.int64)
        seq, val, exact = [], 0.0, False
        for _ in range(int(ks.sum())):
            cur = np.stack([g[i][:, used[i]] for i in range(len(sup))])  # (m, Q)
            nxt = np.stack([g[i][:, min(used[i] + 1, ks[i])] for i in range(len(sup))])
            now = cur.prod(axis=0)
            after = now[None, :] * np.divide(nxt, cur, out=np.zeros_like(cur), where=cur > 0)  # P(K + e_i)
            drop = np.where(used < ks, (now[None, :] - after) @ w / cs, -np.inf)
            i = int(np.argmax(drop))
            val += cs[i] * float(w @ now)
            seq.append(i)
            used[i] += 1
    order = tuple(int(sup[i]) for i in seq)
    lb = float(val) if exact else float(cs.min())
    return OrderResult(order, float(val), lb, exact, "lattice-dp" if exact else "heuristic", int(min(states, 2**62)))


def nominal_order(counts: Sequence[int]) -> tuple[int, ...]:
    """The plan in configuration order (all samples of the first configuration, then the next, ...): the order
    a plan has before it is optimized, used to report the cost of not ordering."""
    return tuple(int(s) for s, k in enumerate(counts) for _ in range(int(k)))
