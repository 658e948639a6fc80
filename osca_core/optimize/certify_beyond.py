"""Certificates beyond n: proven upper bounds on the exact training objective where allocations extrapolate.

The objective (``osca_core.optimize.beyond_n``, ``osca_core.model.fail_tables``) is

    F(k) = (1/Q) sum_r w_r [1 - exp(Y_r(k))],   Y_r(k) = sum_s phi_rs(k_s),   phi_rs(k) = log T[r, s, k],

over merged training rows r (weights w_r), maximized over integer k >= 0 with sum_s k_s = C (unit costs) or
sum_s c_s k_s <= C. Each phi_rs is convex on two pieces: linear on 0 .. n_rs (plug-in, k log(1 - c/n)) and convex
on n_rs + 1 .. K (Beta-binomial predictive: log f is a cumulative sum of rising log((b' + j) / (a' + b' + j)));
floored at LOG_FLOOR = -300 (max of convex functions stays convex). Only the jump n_rs -> n_rs + 1 breaks
convexity (c = 0: no gain for n samples, then a gain; c = n: the fail goes up), so the within-n relaxation
(``certify``) does not apply. For each fixed p the predictive is the plug-in of that p averaged over the
posterior, which is why each piece keeps the plug-in's shape; the bound below uses exactly that: convexity on the
pieces, and a convex minorant across the jump.

Bound on a box lo <= k <= hi. For each cell take psi_rs, a convex function on [lo_s, hi_s] with psi_rs <= phi_rs
at every integer there:

- the box holds no jump of the cell (hi_s <= n_rs or lo_s >= n_rs + 1): psi = the piecewise-linear interpolation
  of phi itself (convex on the piece, equal to phi at integers: exact);
- else: the lower convex envelope of phi over 0 .. H (the greatest convex function below phi at the integers
  0 .. H, piecewise linear between its hull vertices), H the smallest precomputed cap (powers of two, and K) with
  H >= hi_s. A convex minorant over 0 .. H is one over the subrange.

Then Psi_r(x) = sum_s psi_rs(x_s) is convex, Psi_r <= Y_r at integer points, and since 1 - e^y decreases,
G(x) = (1/Q) sum_r w_r (1 - e^{Psi_r(x)}) >= F(k) at every allocation k of the box, with G concave (1 - e^y
concave decreasing of a convex function). For any x in the box and a supergradient g of G at x
(g_s = -(1/Q) sum_r w_r e^{Psi_r(x)} d_rs, d_rs a slope of psi_rs at x_s: one-sided slopes are subgradients of
a convex piecewise-linear function), concavity gives G(v) <= G(x) + g.(v - x) for every v in the box, and at a
kink any slope between the left and the right one will do, so (minimax over those choices)

    max_{k in box, feasible} F(k) <= G(x) + max_{v in P} G'(x; v - x) + DELTA,

G'(x; d) = sum_s (g^R_s d_s^+ - g^L_s d_s^-) the one-sided directional derivative (g^R, g^L from the right and
left slopes), P = {lo <= v <= hi, sum v = C} with unit costs (then the maximum is a transport on a line: match
the largest g^R with the smallest g^L, ``_exchange_value``); with costs {c.v <= C} and one supergradient
(fractional knapsack by g / c over g > 0). The relaxation's tables floor phi at log(DELTA), DELTA = 1e-9 (as the
within-n relaxation's delta): a product with a factor below DELTA is below DELTA either way, so F rises by at most
DELTA, added to the bound; without it a cell with p = 1 (phi = -300) would make every fraction of a sample
solve its question. x is improved by Frank-Wolfe steps with a Newton step length; every iterate gives a valid
bound and the least one is kept.

Branch and bound (as ``certify.certify_budgets``, every budget at once, best bound first, in numpy batches): a box
is closed when its bound is within ``PRUNE_TOL`` of its budget's incumbent, or when it holds one allocation
(evaluated exactly). An open box is split at a jump of a configuration whose cells it straddles (the one with the
largest weighted envelope gap at x: k_s <= n or k_s >= n + 1), else at a fractional coordinate of x
(floor / ceil), else at round(x_s). A budget's proven bound is the largest bound of its closed and open boxes
(the open ones' when the node or time limit stops it), so it is valid whether or not it certifies; ``certified``
when bound - objective <= CERTIFY_TOL. A better allocation met on the way (an integral relaxation point or a
leaf) replaces the incumbent.

Budgets where no allocation can hold more samples of a configuration than its least n (every cap_s <= min_q n_qs)
never leave the plug-in objective: they are proven by the within-n certificates (``certify.close_gaps``).

The reported objective is ``extrapolation.train_pass``, whose Beta-binomial terms are differences of ``betaln``:
at large a + b (a configuration whose questions all look alike) they lose up to ~1e-8 against the tables'
cumulative logs. The bound therefore adds a margin per budget: with D_s(k) = (1/Q) sum_r w_r |train_fail -
T_table| computed for every table entry, |train_pass(k) - F_table(k)| <= sum_{s: k_s > 0} D_s(k_s) (products of
numbers in [0, 1] differ by at most the sum of the factors' differences), bounded by sum_s max_{k <= min n} D_s(k)
plus the m largest max_{min n < k <= cap} D_s(k), m the most configurations that can hold more than their least
n within the budget. Tests: the bound is >= the enumeration's maximum on small instances, and certified only
where the incumbent equals it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.model.extrapolation import COST_EPS, PriorLike, max_samples, resolve, train_fail, train_pass
from osca_core.model.fail_tables import log_tables
from osca_core.model.objective import CERTIFY_TOL, build_model, upper_bounds
from osca_core.optimize.certify import close_gaps

LOG_FLOOR = -300.0  # as beyond_n's tables (the exact evaluations)
DELTA = 1e-9  # the relaxation floors log T at log(DELTA) (as certify's delta): F rises by at most DELTA
PRUNE_TOL = 1e-7  # a box is closed when its bound is within this of the incumbent (10x inside CERTIFY_TOL)
MAX_NODES = 200_000  # boxes per call, all budgets together
TIME_LIMIT = 120.0  # seconds per call; what is still open then keeps its (valid) open bound
BATCH_CELLS = 4e6  # boxes x configurations x rows gathered per batch (memory ~ 8 x this x a few bytes)
WITHIN_PROOFS = True  # budgets that cannot leave n: the within-n certificates (else this branch and bound)
ITERATIONS = 3  # Frank-Wolfe steps per box (children start from the parent's point)


@dataclass(frozen=True)
class BeyondCertificate:
    """The best allocation known at one budget, its exact objective, a proven upper bound on max F, and whether
    the bound is within CERTIFY_TOL of it."""

    budget: int
    counts: tuple[int, ...]
    objective: float
    upper_bound: float
    certified: bool
    seconds: float


def convex_minorants(LT: np.ndarray, caps: Sequence[int]) -> np.ndarray:
    """(len(caps), S, K + 1, R): for each cap H the lower convex envelope of LT[s, 0 .. H, r] (LT: (S, K + 1, R),
    as ``fail_tables.log_tables``), evaluated at the integers 0 .. H; beyond H the values are LT's own (unused).
    Monotone chain over all cells at once."""
    s, kk, r = LT.shape
    pts = LT.transpose(0, 2, 1).reshape(s * r, kk)  # (cells, K + 1)
    out = np.empty((len(caps), s, kk, r))
    for ci, cap in enumerate(caps):
        h = int(min(cap, kk - 1))
        cells = pts.shape[0]
        stack = np.zeros((cells, h + 1), np.int64)
        top = np.ones(cells, np.int64)  # stack holds index 0
        idx = np.arange(cells)
        for k in range(1, h + 1):
            while True:  # pop while the last two and k turn the wrong way (middle above the chord)
                can = top >= 2
                if not can.any():
                    break
                i1 = stack[idx, np.maximum(top - 2, 0)]
                i2 = stack[idx, top - 1]
                y1, y2, yk = pts[idx, i1], pts[idx, i2], pts[:, k]
                # middle point i2 lies on or above the chord i1 -> k: pop it
                pop = can & ((y2 - y1) * (k - i1) >= (yk - y1) * (i2 - i1))
                if not pop.any():
                    break
                top = top - pop
            stack[idx, top] = k
            top = top + 1
        vert = np.zeros((cells, h + 1), bool)
        for j in range(h + 1):
            live = j < top
            vert[idx[live], stack[live, j]] = True
        kgrid = np.arange(h + 1)
        prev = np.maximum.accumulate(np.where(vert, kgrid, -1), axis=1)
        nxt = np.minimum.accumulate(np.where(vert, kgrid, h + 1)[:, ::-1], axis=1)[:, ::-1]
        nxt = np.minimum(nxt, h)
        yp, yn = np.take_along_axis(pts, prev, 1), np.take_along_axis(pts, nxt, 1)
        span = np.maximum(nxt - prev, 1)
        env = np.where(nxt == prev, yp, yp + (yn - yp) * (kgrid[None, :] - prev) / span)
        env = np.minimum(env, pts[:, : h + 1])  # rounding: never above phi
        full = pts.copy()
        full[:, : h + 1] = env
        out[ci] = full.reshape(s, r, kk).transpose(0, 2, 1)
    return out


class _Problem:
    """Merged tables, envelopes and jumps of one log (module docstring)."""

    def __init__(self, n, c, kmax, prior, costs):
        q, s = n.shape
        rows, inv, w = np.unique(np.concatenate([n, c], axis=1), axis=0, return_inverse=True, return_counts=True)
        self.nr, self.cr = rows[:, :s], rows[:, s:]
        self.w, self.q, self.s, self.r = w.astype(float), q, s, len(w)
        self.kmax = np.asarray(kmax, np.int64)
        big = int(self.kmax.max())
        self.LT = log_tables(self.nr, self.cr, big, prior, floor=LOG_FLOOR)  # (S, K + 1, R)
        self.caps = sorted({*(2**j for j in range(1, 31) if 2**j < big), big})
        # the relaxation's tables: phi floored at log(DELTA) (module docstring: at most DELTA more in F), then
        # their envelope per cap, as rows ((table, configuration, count), R) for the gathers
        self.LB = np.maximum(self.LT, np.log(DELTA))
        self.ENV = convex_minorants(self.LB, self.caps)  # (caps, S, K + 1, R)
        self.ALL = np.concatenate([self.LB[None], self.ENV]).reshape(-1, self.r)
        self.costs = costs
        self.unit = bool((costs == 1.0).all())
        self.jump = self.nr.T.astype(np.int64)  # (S, R): plug-in up to n, predictive from n + 1
        # does the envelope differ from phi anywhere past the jump (else no branching needed there)
        self.bent = (self.ENV[-1] < self.LB - 1e-12).any(axis=1)  # (S, R)
        big_n = np.iinfo(np.int64).max // 4
        self.jlo = np.where(self.bent, self.jump, big_n).min(axis=1)  # (S,) least / largest n of a bent cell
        self.jhi = np.where(self.bent, self.jump, -1).max(axis=1)
        # what train_pass computes for each table entry (betaln differences at large a + b lose ~1e-8): the
        # weighted discrepancy per (configuration, count), for the margin of ``margins``
        kk = np.arange(big + 1, dtype=float)[None, :, None]
        true = train_fail(self.nr.T[:, None, :], self.cr.T[:, None, :], kk, (prior[0][:, None, None],
                                                                              prior[1][:, None, None]))
        self.D = np.abs(true - np.exp(self.LT)) @ self.w / q  # (S, K + 1)

    def margins(self, budgets: np.ndarray) -> np.ndarray:
        """Per budget an upper bound on |train_pass(k) - F_tables(k)| over its allocations (module docstring):
        sum_s max_{k <= min n} D_s(k) + the sum of the m largest max_{min n < k <= cap} D_s(k), m the most
        configurations that can hold more than their least n at once."""
        nmin = self.nr.min(axis=0)
        out = np.empty(len(budgets))
        for i, b in enumerate(budgets):
            cap = np.minimum(np.floor(b / self.costs + COST_EPS), self.kmax).astype(np.int64)
            low = np.array([self.D[j, : min(cap[j], nmin[j]) + 1].max() for j in range(self.s)])
            high = np.array([self.D[j, nmin[j] + 1 : cap[j] + 1].max() if cap[j] > nmin[j] else 0.0
                             for j in range(self.s)])
            m = int(np.searchsorted(np.cumsum(np.sort(self.costs * (nmin + 1))), b + COST_EPS, side="right"))
            out[i] = low.sum() + np.sort(high)[::-1][:m].sum()
        return out

    def fail_sums(self, K: np.ndarray) -> np.ndarray:
        """sum_r w_r exp(Y_r(k)) for allocations K (B, S) on the floored tables."""
        out = np.empty(len(K))
        step = max(1, int(2e6 // max(1, self.r * self.s)))
        sidx = np.arange(self.s)
        for i in range(0, len(K), step):
            kk = np.minimum(K[i : i + step], self.kmax[None, :])
            out[i : i + step] = np.exp(self.LT[sidx[None, :], kk].sum(axis=1)) @ self.w
        return out

    def values(self, K: np.ndarray) -> np.ndarray:
        return (self.w.sum() - self.fail_sums(K)) / self.q

    def relax(self, lo, hi, x, budgets, iterations):
        """Bounds of the boxes (module docstring) and the last relaxation points; plus per box and configuration
        the weighted envelope gap at x (where the box straddles a jump) and the straddle mask."""
        nb, s = lo.shape
        sidx = np.arange(s)
        # one table per (box, configuration): the envelope where the box may straddle a jump of a bent cell of
        # the configuration (lo <= max n, min n < hi over its bent cells; on the other cells the envelope is a
        # looser minorant, still valid), phi itself elsewhere
        straddle = (lo <= self.jhi[None]) & (self.jlo[None] < hi)
        capi = np.minimum(np.searchsorted(np.asarray(self.caps), hi, side="left"), len(self.caps) - 1)
        width = int(self.kmax.max()) + 1
        base = (np.where(straddle, 1 + capi, 0) * self.s + sidx[None, :]) * width
        ub = np.full(nb, np.inf)
        wsum = self.w.sum()
        room = budgets - lo @ self.costs
        x = _into(x, lo, hi, budgets, self.costs, self.unit)
        for it in range(iterations + 1):
            k0 = np.clip(np.floor(x), lo, np.maximum(hi - 1, lo)).astype(np.int64)
            frac = np.clip(x - k0, 0.0, 1.0)
            a0 = self.ALL[base + k0]
            slope = self.ALL[base + np.minimum(k0 + 1, hi)] - a0  # the right slope (at x_s = hi the left one)
            psi = a0.sum(axis=1) + np.einsum("bs,bsr->br", frac, slope)  # (B, R)
            we = np.exp(psi) * self.w[None, :]
            g = -np.einsum("br,bsr->bs", we, slope) / self.q
            kink = (frac <= 0.0) & (k0 > lo)
            if kink.any():  # at an integer x_s inside the box the left slope differs: both one-sided derivatives
                left = a0 - self.ALL[base + np.maximum(k0 - 1, lo)]
                gl = np.where(kink, -np.einsum("br,bsr->bs", we, left) / self.q, g)
            else:
                gl = g
            gval = (wsum - we.sum(axis=1)) / self.q
            v = self.vertex(g, lo, hi, room)
            if self.unit:
                e = budgets - x.sum(axis=1)  # rounding only (x is kept on sum x = C)
                val, move = _exchange_value(g, gl, hi - x, x - lo, direction=True)
                ub = np.minimum(ub, gval + val + np.abs(e) * np.maximum(np.abs(g), np.abs(gl)).max(axis=1))
            else:
                gc = np.where(x >= hi, gl, g)  # a supergradient: right slopes, left ones where x_s = hi
                vc = self.vertex(gc, lo, hi, room)
                ub = np.minimum(ub, gval + (gc * (vc - x)).sum(axis=1))
            if it == iterations:
                break
            if self.unit:  # steepest ascent along the best move (the transport's), Newton step length
                d = move
                d1 = val
            else:  # Frank-Wolfe towards the knapsack vertex
                d = v - x
                d1 = (g * d).sum(axis=1)
            dy = np.einsum("bs,bsr->br", d, slope)
            d2 = (we * dy**2).sum(axis=1) / self.q
            step = np.clip(d1 / np.maximum(d2, 1e-300), 0.0, 1.0)
            x = np.clip(x + step[:, None] * d, lo, hi)
        # weighted envelope gap per configuration at x (branching)
        gap = np.zeros((nb, s))
        if straddle.any():
            k0 = np.clip(np.floor(x), lo, np.maximum(hi - 1, lo)).astype(np.int64)
            frac = np.clip(x - k0, 0.0, 1.0)
            k1 = np.minimum(k0 + 1, hi)
            exact = (sidx[None, :] * width)
            e0, e1 = self.ALL[base + k0], self.ALL[base + k1]
            x0, x1 = self.ALL[exact + k0], self.ALL[exact + k1]
            diff = (x0 - e0) + frac[:, :, None] * ((x1 - x0) - (e1 - e0))
            gap = np.where(straddle, np.einsum("br,bsr->bs", we, np.maximum(diff, 0.0)), 0.0)
        return ub + DELTA + 1e-12, x, gap, straddle

    def vertex(self, g, lo, hi, room):
        """argmax g.v over P (module docstring) for each box."""
        c = self.costs
        if self.unit:
            order = np.argsort(-g, axis=1, kind="stable")
            cap = np.take_along_axis(hi - lo, order, axis=1).astype(float)
            before = np.cumsum(cap, axis=1) - cap
            spend = np.clip(room[:, None] - before, 0.0, cap)
            v = lo.astype(float).copy()
            np.put_along_axis(v, order, np.take_along_axis(lo, order, axis=1) + spend, axis=1)
            return v
        gp = np.maximum(g, 0.0)
        order = np.argsort(-gp / c, axis=1, kind="stable")
        cap = np.take_along_axis((hi - lo) * c, order, axis=1)
        cap = np.where(np.take_along_axis(gp, order, axis=1) > 0, cap, 0.0)
        before = np.cumsum(cap, axis=1) - cap
        spend = np.clip(room[:, None] - before, 0.0, cap)
        v = lo.astype(float).copy()
        np.put_along_axis(v, order, np.take_along_axis(lo, order, axis=1) + spend / c[order], axis=1)
        return v


def _into(x, lo, hi, budgets, costs, unit):
    """x moved into the box and onto the budget (sum x = C with unit costs, c.x <= C with costs)."""
    x = np.clip(x, lo, hi).astype(float)
    room = budgets - lo @ costs
    over = (x - lo) @ costs
    shrink = over > room
    x = np.where(shrink[:, None], lo + (x - lo) * (room / np.maximum(over, 1e-300))[:, None], x)
    if unit:
        short = budgets - x.sum(axis=1)
        free = (hi - x).sum(axis=1)
        grow = short > 0
        x = np.where(grow[:, None], x + (hi - x) * np.clip(short / np.maximum(free, 1e-300), 0, 1)[:, None], x)
    return np.clip(x, lo, hi)


def _rounded(x, lo, hi, budgets, unit):
    """Allocations near the relaxation points: floor(x), then (unit costs) one more sample on the coordinates
    with the largest fractional parts until sum k = C (a primal heuristic: only ever evaluated)."""
    k = np.clip(np.floor(x + 1e-9), lo, hi).astype(np.int64)
    if not unit:
        return k
    short = np.round(budgets).astype(np.int64) - k.sum(axis=1)
    frac = np.where(k < hi, x - k, -np.inf)
    order = np.argsort(-frac, axis=1, kind="stable")
    take = np.arange(x.shape[1])[None, :] < short[:, None]
    add = np.zeros_like(k)
    np.put_along_axis(add, order, take.astype(np.int64), axis=1)
    return np.minimum(k + add, hi)


def _exchange_value(gr, gl, up, down, *, direction: bool = False):
    """max over d of sum_s gr_s d_s^+ - gl_s d_s^- with sum d = 0, 0 <= d^+ <= up, 0 <= d^- <= down (gl >= gr:
    the one-sided derivatives of a concave function): the best first-order gain of moving samples, by matching
    the largest right derivatives with the smallest left ones (a transport problem on a line, solved greedily)."""
    ob = np.argsort(-gr, axis=1, kind="stable")
    os_ = np.argsort(gl, axis=1, kind="stable")
    rb, cu = np.take_along_axis(gr, ob, 1), np.cumsum(np.take_along_axis(np.maximum(up, 0), ob, 1), axis=1)
    rs, cd = np.take_along_axis(gl, os_, 1), np.cumsum(np.take_along_axis(np.maximum(down, 0), os_, 1), axis=1)
    top = np.minimum(cu[:, -1], cd[:, -1])
    pts = np.minimum(np.sort(np.concatenate([cu, cd], axis=1), axis=1), top[:, None])
    prev = np.concatenate([np.zeros((len(pts), 1)), pts[:, :-1]], axis=1)
    mid = (pts + prev) / 2
    s = gr.shape[1]
    ib = np.minimum((cu[:, None, :] <= mid[:, :, None]).sum(axis=2), s - 1)
    is_ = np.minimum((cd[:, None, :] <= mid[:, :, None]).sum(axis=2), s - 1)
    gain = np.take_along_axis(rb, ib, 1) - np.take_along_axis(rs, is_, 1)
    amount = (pts - prev) * (gain > 0.0)
    if not direction:
        return (amount * gain).sum(axis=1)
    d = np.zeros(gr.shape)  # the maximizing move: each segment's amount from its sold to its bought coordinate
    rows = np.repeat(np.arange(len(d)), pts.shape[1])
    np.add.at(d, (rows, np.take_along_axis(ob, ib, 1).ravel()), amount.ravel())
    np.add.at(d, (rows, np.take_along_axis(os_, is_, 1).ravel()), -amount.ravel())
    return (amount * gain).sum(axis=1), d


def certify_tabled(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], counts: np.ndarray, *, prior: PriorLike,
                   costs: np.ndarray | None = None, max_nodes: int = MAX_NODES, time_limit: float = TIME_LIMIT,
                   iterations: int = ITERATIONS) -> list[BeyondCertificate]:
    """Proven upper bounds (module docstring) at each budget of ``budgets`` for the exact objective with
    Beta-binomial terms beyond n, starting from the allocations ``counts`` (rows, e.g. ``optimize_tabled``'s);
    ``n``, ``c``: (Q, S) training counts (n >= 1), ``prior``: the configurations' Beta(a, b). A better
    allocation found replaces the given one. Results in the order of ``budgets``."""
    t0 = time.perf_counter()
    n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
    want = [int(b) for b in budgets]
    s = n.shape[1]
    cost = np.ones(s) if costs is None else np.asarray(costs, float)
    pr = resolve(prior)
    kmax = max_samples(want, cost)
    prob = _Problem(n, c, kmax, pr, cost)
    bud = np.asarray(want, float)
    inc = np.asarray(counts, np.int64).reshape(len(want), s).copy()
    best = prob.values(inc)
    nt = len(want)
    cap = np.minimum(np.floor(bud[:, None] / cost[None, :] + COST_EPS), kmax[None, :]).astype(np.int64)
    proven = best.copy()
    # budgets where no allocation can ask a cell for more than it holds: the plug-in objective, certified by
    # the within-n proofs (osca_core.optimize.certify); only the others go to the branch and bound below
    within = (cap <= n.min(axis=0)[None, :]).all(axis=1) & WITHIN_PROOFS
    if within.any():
        idx = np.flatnonzero(within)
        m = build_model(c / n, None if prob.unit else cost)
        objs = m.objectives(inc[idx])
        ubs = np.maximum(upper_bounds(m, bud[idx], inc[idx]), objs)
        ks, objs, ubs = close_gaps(m, [want[i] for i in idx], inc[idx], objs, ubs, time_limit=time_limit)
        inc[idx] = ks
        best[idx] = prob.values(inc[idx])
        proven[idx] = np.maximum(ubs + 1e-12, best[idx])
    task = np.flatnonzero(~within)
    lo = np.zeros((task.size, s), np.int64)
    hi = cap[task].copy()
    x = inc[task].astype(float)
    bound = np.full(task.size, np.inf)
    seen = 0
    batch = max(16, int(BATCH_CELLS // max(1, s * prob.r)))
    with np.errstate(under="ignore", over="ignore"):
        while len(task) and seen < max_nodes and time.perf_counter() - t0 < time_limit:
            # best bound first, at most a fair share of the batch per budget (no budget starves the others)
            order = np.argsort(-(bound - best[task]), kind="stable")
            by_task = order[np.argsort(task[order], kind="stable")]
            first = np.searchsorted(task[by_task], task[by_task], side="left")
            rank = np.empty(len(order), np.int64)
            rank[by_task] = np.arange(len(order)) - first
            # ... and the budgets nearest to closed first (their largest open gap), so that a limit stops the
            # search with as many budgets proven as it could
            share = max(4, batch // len(np.unique(task)))
            tgap = np.full(nt, -np.inf)
            np.maximum.at(tgap, task, bound - best[task])
            pick = order[rank[order] < share]
            pick = pick[np.argsort(tgap[task[pick]], kind="stable")]
            cur = pick[:batch]
            left = np.ones(len(order), bool)
            left[cur] = False
            rest = np.flatnonzero(left)
            seen += cur.size
            R = (task[rest], lo[rest], hi[rest], x[rest], bound[rest])
            ct, cl, ch, cx, cb = task[cur], lo[cur], hi[cur], x[cur], bound[cur]
            bb = bud[ct]
            spent_lo = cl @ cost
            feas = spent_lo <= bb + COST_EPS
            if prob.unit:
                feas &= ch.sum(axis=1) >= bb - COST_EPS
            ct, cl, ch, cx, cb, bb = ct[feas], cl[feas], ch[feas], cx[feas], cb[feas], bb[feas]
            if ct.size == 0:
                task, lo, hi, x, bound = R
                continue
            ub, xr, gap, straddle = prob.relax(cl, ch, cx, bb, iterations)
            ub = np.minimum(ub, cb)
            kr = _rounded(xr, cl, ch, bb, prob.unit)  # the relaxation points rounded: candidate allocations
            integral = (kr @ cost <= bb + COST_EPS) & (kr >= cl).all(axis=1) & (kr <= ch).all(axis=1)
            if prob.unit:
                integral &= kr.sum(axis=1) == np.round(bb).astype(np.int64)
            leaf = (ch <= cl).all(axis=1)
            for mask, ks in ((integral, kr), (leaf, cl)):
                if mask.any():
                    vals = prob.values(ks[mask])
                    for t, v, k in zip(ct[mask], vals, ks[mask], strict=True):
                        if v > best[t] + 1e-15:
                            best[t], inc[t] = v, k
            if leaf.any():
                np.maximum.at(proven, ct[leaf], prob.values(cl[leaf]))
            ub = np.where(leaf, -np.inf, ub)
            closed = ub <= best[ct] + PRUNE_TOL
            np.maximum.at(proven, ct[closed & ~leaf], ub[closed & ~leaf])
            op = np.flatnonzero(~closed)
            ct, cl, ch, xr, ub, gap, straddle = ct[op], cl[op], ch[op], xr[op], ub[op], gap[op], straddle[op]
            if ct.size:
                r = np.arange(ct.size)
                frac = np.abs(xr - np.round(xr))
                frac = np.where(ch > cl, frac, -1.0)
                jumpy = gap.max(axis=1) > 1e-15
                jg = np.argmax(gap, axis=1)
                jf = np.argmax(frac, axis=1)
                j = np.where(jumpy, jg, jf)
                # the jump n_rj (lo_j <= n_rj < hi_j, a bent cell) nearest x_j: k_j <= n_rj or k_j >= n_rj + 1
                xj = xr[r, j]
                jr = prob.jump[j]  # (B', R)
                inside = (cl[r, j][:, None] <= jr) & (jr < ch[r, j][:, None]) & prob.bent[j]
                inside[~inside.any(axis=1), 0] = True  # (no bent cell straddled: any cut is valid)
                dist = np.where(inside, np.abs(jr + 0.5 - xj[:, None]), np.inf)
                jmp = jr[r, np.argmin(dist, axis=1)]
                cutf = np.where(frac[r, j] > 1e-7, np.floor(xj), np.round(xj))
                cut = np.where(jumpy, jmp, cutf)
                cut = np.clip(cut, cl[r, j], ch[r, j] - 1).astype(np.int64)
                lhi = ch.copy()
                lhi[r, j] = cut
                rlo = cl.copy()
                rlo[r, j] = cut + 1
                task = np.concatenate([R[0], ct, ct])
                lo = np.concatenate([R[1], cl, rlo])
                hi = np.concatenate([R[2], lhi, ch])
                x = np.concatenate([R[3], np.minimum(xr, lhi), np.maximum(xr, rlo)])
                bound = np.concatenate([R[4], ub, ub])
            else:
                task, lo, hi, x, bound = R
    up = proven.copy()
    if len(task):
        np.maximum.at(up, task, bound)
    up = up + prob.margins(bud) + 1e-12
    dt = time.perf_counter() - t0
    out = []
    for t in range(nt):
        f = train_pass(n, c, inc[t], pr)
        u = max(min(float(up[t]), 1.0), f)  # F <= 1 always
        out.append(BeyondCertificate(want[t], tuple(int(v) for v in inc[t]), f, u, bool(u - f <= CERTIFY_TOL), dt))
    return out
