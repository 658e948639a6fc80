"""Upper bounds and proofs of optimality for the OSCA allocation problem (see ``osca_core.optimize.curve``).

Cheap bounds for every budget (``objective.upper_bounds``, re-exported here): the concave relaxation with a Frank-Wolfe gap, and
submodularity. Proofs for many budgets at once (``certify_budgets``, the default of ``optimize_curve(certify=
True)``): branch and bound over boxes lo <= k <= hi, each bounded by the concave relaxation H (below) through a
Frank-Wolfe gap, which is a valid bound at any point (H concave: H(v) <= H(x) + grad H(x).(v - x)); the boxes of
every budget are processed together in numpy batches, each budget warm-started from its optimizer allocation.
Proofs for one budget (``certify_budget``): complete enumeration over the undominated configurations when that
is small, else the MILP outer approximation below (kept as the fallback and as an independent second proof).

The MILP. With y_q = L_q k (L = log(1 - p), 0 where p = 1), z_q = Z_q k (Z = [p = 1]) and g(y) = 1 - e^y, the objective is
F(k) = (1/Q) sum_q w_q h_q(k) with h_q = g(y_q) when z_q = 0 and h_q = 1 otherwise. g is concave, so every
tangent lies above it: g(y) <= 1 - e^{y0} (1 + y - y0) for all y, y0. Hence the mixed-integer linear program

    maximize (1/Q) sum_q w_q t_q   over integer k >= 0 and 0 <= t_q <= 1, subject to
        t_q <= 1 - e^{y0} (1 + L_q k - y0) + Z_q k    for every cut point y0 in Y_q,
        sum_s c_s k_s <= C    (= C with unit costs, where the optimum spends the whole budget)

has every allocation feasible with t_q = h_q(k) (for z_q >= 1 the tangent, >= g >= 0, plus z_q >= 1 is >= 1),
so its optimum bounds F* from above. Outer approximation (Duran & Grossmann 1986): solve with
``scipy.optimize.milp`` (HiGHS), evaluate the true F at the MILP's allocation (a better one becomes the
incumbent), add tangents at its y_q wherever t_q overestimates h_q, and repeat until upper bound - incumbent
<= tol. Each MILP is a relaxation, so each of its dual bounds is a valid upper bound; the loop terminates since an
allocation whose t_q are all exact cannot be returned again unless it proves the bound. HiGHS accepts rows violated
by up to 1e-6 (``mip_feasibility_tolerance``, not settable through scipy), so 1e-6 is the resolution of a proof:
the bound holds (up to the LP round-off, far below 1e-6) and the allocation returned is within 1e-6 of the optimum.

The model is shrunk first: configurations dominated by another (p no higher on any question, cost no lower) are
fixed at 0 (replacing their samples never lowers F), identical question rows are merged with weights and rows that
no remaining configuration solves are dropped.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.special import comb

from osca_core.model.objective import (  # noqa: F401  (upper_bounds: re-exported, it moved to objective)
    CERTIFY_TOL,
    COST_EPS,
    Model,
    allocations,
    build_model,
    upper_bounds,
)


@dataclass(frozen=True)
class Certificate:
    """Outcome of :func:`certify_budget`: the best allocation found, its F, a proven upper bound on max F."""

    budget: int
    counts: tuple[int, ...]
    objective: float
    upper_bound: float
    certified: bool
    rounds: int
    seconds: float


HEAD_ROWS = 32  # rows of the cheap first pass of :func:`undominated`


def undominated(p: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Mask of configurations not dominated by another (p_t >= p_s on every row and c_t <= c_s; among identical
    columns the first is kept).

    Two passes per column j, the same mask as comparing every pair on every row: the candidates t with
    p_t >= p_j on the first :data:`HEAD_ROWS` rows and c_t <= c_j (a t failing there fails on all rows), then
    those few on every row. On a wide log almost every pair fails in the first pass, so the S^2 Q comparisons
    become about S^2 * HEAD_ROWS + S Q (1024 configurations x 500 training questions: 0.5 s to a few
    hundredths)."""
    p = np.asarray(p)
    s = p.shape[1]
    costs = np.asarray(costs)
    keep = np.ones(s, bool)
    head = p[:HEAD_ROWS]
    order = np.arange(s)
    for j in range(s):
        cand = np.flatnonzero((head >= head[:, [j]]).all(axis=0) & (costs <= costs[j]))
        cand = cand[cand != j]
        if cand.size == 0:
            continue
        sub, pj, cc = p[:, cand], p[:, [j]], costs[cand]
        ge = (sub >= pj).all(axis=0)
        if not ge.any():
            continue
        strict = ge & ((sub > pj).any(axis=0) | (cc < costs[j]))
        same = ge & ~strict & (order[cand] < j)
        if strict.any() or same.any():
            keep[j] = False
    return keep


def _undominated_all_pairs(p: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """:func:`undominated` by comparing every pair on every row (the definition; its tests' twin)."""
    s = p.shape[1]
    keep = np.ones(s, bool)
    for j in range(s):
        ge = (p >= p[:, [j]]).all(axis=0) & (costs <= costs[j])
        strict = ge & ((p > p[:, [j]]).any(axis=0) | (costs < costs[j]))
        same = ge & ~strict & (np.arange(s) < j)
        if strict.any() or same.any():
            keep[j] = False
    return keep


def certify_budget(m: Model | np.ndarray, budget: int, incumbent: np.ndarray | None = None, *,
                   costs: np.ndarray | None = None, tol: float = CERTIFY_TOL, max_rounds: int = 60,
                   time_limit: float | None = None, enumerate_limit: int = 30_000) -> Certificate:
    """Prove (or improve, then prove) the best allocation at one budget.

    ``m``: a :class:`~osca_core.model.objective.Model` or the pass rates p (Q, S) (then ``costs`` applies).
    ``incumbent``: a feasible allocation to start from (default: all samples on the best single configuration).
    When at most ``enumerate_limit`` allocations of the undominated configurations exist, they are all
    evaluated (the bound is then exact); otherwise the outer-approximation MILP runs (at most ``max_rounds``
    solves, ``time_limit`` seconds). Returns the best allocation seen, its objective, the smallest upper bound
    proven; ``certified`` is upper_bound - objective <= tol.
    """
    with np.errstate(under="ignore"):  # exp of very negative y is meant to give 0
        return _certify_budget(m, budget, incumbent, costs=costs, tol=tol, max_rounds=max_rounds,
                               time_limit=time_limit, enumerate_limit=enumerate_limit)


def _certify_budget(m, budget, incumbent, *, costs, tol, max_rounds, time_limit, enumerate_limit) -> Certificate:
    t0 = time.perf_counter()
    if not isinstance(m, Model):
        m = build_model(m, costs)
    rows_p = 1.0 - m.F1
    s, c = m.shape[1], m.costs
    unit = bool((c == 1.0).all())
    cap = np.floor(budget / c + 1e-9)
    if incumbent is None:
        incumbent = np.zeros(s, np.int64)
        afford = np.flatnonzero(cap >= 1)
        if afford.size:
            j = afford[np.argmax(m.objective(np.eye(s)[afford] * cap[afford, None]))]
            incumbent[j] = cap[j]
    best_k = np.asarray(incumbent, np.int64).copy()
    best_f = float(m.objective(best_k))
    # shrink: drop dominated configurations, merge rows on the rest, drop rows nobody solves
    cols = np.flatnonzero(undominated(rows_p, c) & (cap >= 1))
    sub = rows_p[:, cols]
    live = sub.any(axis=1)
    if cols.size == 0 or not live.any():
        return Certificate(budget, tuple(int(v) for v in best_k), best_f, best_f, True, 0, time.perf_counter() - t0)
    n = cols.size
    most = comb(budget + n - 1, n - 1) if unit else comb(int(budget / c[cols].min() + 1e-9) + n, n)
    if most <= enumerate_limit:
        grid = allocations(n, budget, None if unit else c[cols])
        ks = np.zeros((len(grid), s), np.int64)
        ks[:, cols] = grid
        step = max(1, int(1e6 // m.shape[0]))
        vals = np.concatenate([m.objective(ks[i : i + step]) for i in range(0, len(ks), step)])
        j = int(np.argmax(vals))
        if vals[j] > best_f:
            best_k, best_f = ks[j], float(vals[j])
        return Certificate(budget, tuple(int(v) for v in best_k), best_f, best_f, True, 0, time.perf_counter() - t0)
    uniq, inv = np.unique(sub[live], axis=0, return_inverse=True)
    w = np.bincount(inv.ravel(), weights=m.w[live])
    L = np.log1p(-np.minimum(uniq, 1.0), where=uniq < 1.0, out=np.zeros_like(uniq))
    Z = (uniq >= 1.0).astype(float)
    r = len(w)
    cuts: list[np.ndarray] = []  # (row, y0) pairs

    def add_cuts(k_cols: np.ndarray, t: np.ndarray | None) -> None:
        y, z = L @ k_cols, Z @ k_cols
        h = np.where(z > 0.5, 1.0, -np.expm1(y))
        need = np.ones(r, bool) if t is None else (t > h + 1e-10) & (z < 0.5)
        cuts.append(np.column_stack([np.flatnonzero(need), y[need]]))

    add_cuts(best_k[cols].astype(float), None)
    add_cuts(np.zeros(n), None)  # y0 = 0: t_q <= -L_q k + Z_q k
    scale = 1e4  # HiGHS also stops at an absolute gap of 1e-6 in objective units: 1e-10 in F
    obj = np.concatenate([np.zeros(n), -w * (scale / m.qtot)])
    integrality = np.concatenate([np.ones(n), np.zeros(r)])
    bounds = Bounds(np.zeros(n + r), np.concatenate([cap[cols], np.ones(r)]))
    budget_row = LinearConstraint(np.concatenate([c[cols], np.zeros(r)])[None], budget if unit else 0, budget)
    opts = {"mip_rel_gap": 1e-7}  # <= 1e-7 in F: well inside the 1e-6 certificate
    ub, rounds = np.inf, 0
    while rounds < max_rounds:
        if time_limit is not None:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0:
                break
            opts["time_limit"] = left
        cut = np.concatenate(cuts)
        q, y0 = cut[:, 0].astype(int), cut[:, 1]
        e0 = np.exp(y0)
        a = sparse.hstack([sparse.csr_array(e0[:, None] * L[q] - Z[q]),
                           sparse.csr_array((np.ones(len(q)), (np.arange(len(q)), q)), shape=(len(q), r))])
        res = milp(obj, integrality=integrality, bounds=bounds,
                   constraints=[budget_row, LinearConstraint(a.tocsr(), -np.inf, 1.0 - e0 * (1.0 - y0))],
                   options=opts)
        rounds += 1
        if res.x is None:
            break
        bound = -(res.mip_dual_bound if res.mip_dual_bound is not None else res.fun) / scale
        ub = min(ub, bound + 1e-12)
        k_cols = np.round(res.x[:n])
        k = np.zeros(s, np.int64)
        k[cols] = k_cols.astype(np.int64)
        if k @ c <= budget + 1e-9:
            f = float(m.objective(k))
            if f > best_f + 1e-15:
                best_k, best_f = k, f
                add_cuts(k_cols, None)
        if ub - best_f <= tol or res.status != 0:
            break
        before = sum(len(x) for x in cuts)
        add_cuts(k_cols, res.x[n:])
        if sum(len(x) for x in cuts) == before:
            break
    ub = max(ub, best_f)
    return Certificate(budget, tuple(int(v) for v in best_k), best_f, float(ub), bool(ub - best_f <= tol), rounds,
                       time.perf_counter() - t0)


# -- branch and bound over the concave relaxation, all budgets at once ----------------------------------------

PRUNE_TOL = 1e-7  # a node is closed when its proven bound is within this of the incumbent (10x inside CERTIFY_TOL)


@dataclass
class _Nodes:
    """Open boxes lo <= k <= hi (integer) of the budgets' problems, with a relaxation point x and a bound."""

    task: np.ndarray  # (N,) index into the budgets being certified
    lo: np.ndarray  # (N, n)
    hi: np.ndarray
    x: np.ndarray
    bound: np.ndarray  # (N,) parent's bound (best first)

    def take(self, i) -> _Nodes:
        return _Nodes(self.task[i], self.lo[i], self.hi[i], self.x[i], self.bound[i])

    @staticmethod
    def concat(parts) -> _Nodes:
        return _Nodes(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("task", "lo", "hi", "x", "bound")))


def _knapsack_vertex(g: np.ndarray, lo: np.ndarray, hi: np.ndarray, c: np.ndarray, room: np.ndarray) -> np.ndarray:
    """argmax g.v over lo <= v <= hi, c.v <= c.lo + room (g >= 0): fill by g/c, best first (fractional knapsack)."""
    order = np.argsort(-g / c, axis=1, kind="stable")
    cap = np.take_along_axis((hi - lo) * c, order, axis=1)
    before = np.cumsum(cap, axis=1) - cap
    spend = np.clip(room[:, None] - before, 0.0, cap)
    v = lo.copy()
    np.put_along_axis(v, order, np.take_along_axis(lo, order, axis=1) + spend / c[order], axis=1)
    return v


def _relax(lc, w, q, c, budgets, lo, hi, x, iterations, corr):
    """Upper bounds on max H(x) (concave relaxation, module docstring) over each box, by pairwise Frank-Wolfe with
    Newton steps: every iterate x gives the valid bound H(x) + max_v grad.(v - x) + corr (concavity); returns
    the smallest bound seen and the last iterate."""
    nb = len(x)
    rows = np.arange(nb)
    ub = np.full(nb, np.inf)
    room = budgets - lo @ c
    over = (x - lo) @ c
    x = lo + (x - lo) * np.clip(room / np.maximum(over, 1e-300), 0.0, 1.0)[:, None]  # within the budget
    wsum = w.sum()
    for it in range(iterations + 1):
        we = np.exp(x @ lc.T) * w
        g = np.maximum((we @ -lc) / q, 0.0)
        v = _knapsack_vertex(g, lo, hi, c, room)
        ub = np.minimum(ub, (wsum - we.sum(axis=1)) / q + (g * (v - x)).sum(axis=1) + corr)
        if it == iterations:
            break
        slack = budgets - x @ c
        ratio = g / c
        away = np.argmin(np.where(x > lo + 1e-12, ratio, np.inf), axis=1)
        to = np.argmax(np.where(x < hi - 1e-12, ratio, -np.inf), axis=1)
        pair = (slack <= 1e-9) & np.isfinite(ratio[rows, away])
        d = np.where(pair[:, None], 0.0, v - x)
        d[rows[pair], to[pair]] += 1.0 / c[to[pair]]
        d[rows[pair], away[pair]] -= 1.0 / c[away[pair]]
        dmax = np.where(pair, np.minimum((x[rows, away] - lo[rows, away]) * c[away],
                                         (hi[rows, to] - x[rows, to]) * c[to]), 1.0)
        d1 = (g * d).sum(axis=1)
        d2 = (we * (d @ lc.T) ** 2).sum(axis=1) / q
        step = np.clip(d1 / np.maximum(d2, 1e-300), 0.0, dmax)
        x = np.clip(x + step[:, None] * d, lo, hi)
    return ub, x


def certify_budgets(m: Model, budgets: Sequence[int], incumbents: np.ndarray, *, tol: float = CERTIFY_TOL,
                    max_nodes: int = 200_000, iterations: int = 8, batch: int = 4096, delta: float = 1e-9,
                    progress=None) -> list[Certificate]:
    """Proofs for many budgets at once: branch and bound over boxes of allocations, bounded by the concave
    relaxation (module docstring).

    Every budget starts from its ``incumbents`` row (feasible allocations, e.g. the optimizer's) with one root
    box. A box lo <= k <= hi is closed when its relaxation bound is within ``PRUNE_TOL`` of its budget's
    incumbent, or when it holds one allocation (then evaluated); otherwise it is split at a fractional
    coordinate of its relaxation point x (k_s <= floor(x_s) or k_s >= ceil(x_s)), or at round(x_s) when x is
    integral. Boxes of all budgets are processed together, best bound first, ``batch`` at a time (numpy over
    boxes, no Python loop per box). An integral relaxation point is evaluated and may improve the incumbent.
    A budget's proven upper bound is the largest bound of its closed and open boxes, so the certificate is a
    proof: certified when that bound is within ``tol`` of the incumbent. Stops after ``max_nodes`` boxes
    (then the open boxes' bounds are reported: valid, maybe not certified). ``progress(done, total)`` is
    called after every batch with the number of budgets closed.
    """
    t0 = time.perf_counter()
    budgets = np.asarray(budgets, float)
    inc = np.asarray(incumbents, np.int64).copy()
    nt, s = inc.shape
    best = m.objectives(inc)
    c = m.costs
    lc_full = np.where(m.Z > 0, np.log(delta), m.L)
    corr = delta * float(m.w[m.Z.any(axis=1)].sum()) / m.qtot
    cap = np.floor(budgets[:, None] / c[None] + COST_EPS) * undominated(1.0 - m.F1, c)[None]
    nodes = _Nodes(np.arange(nt), np.zeros((nt, s)), cap.astype(float), inc.astype(float), np.full(nt, np.inf))
    proven = best.copy()  # largest bound of a closed box, per budget
    seen = 0
    with np.errstate(under="ignore"):
        while len(nodes.task) and seen < max_nodes:
            order = np.argsort(-(nodes.bound - best[nodes.task]), kind="stable")
            cur, rest = nodes.take(order[:batch]), nodes.take(order[batch:])
            seen += len(cur.task)
            bud = budgets[cur.task]
            feas = cur.lo @ c <= bud + COST_EPS
            cur = cur.take(np.flatnonzero(feas))
            bud = bud[feas]
            ub, x = _relax(lc_full, m.w, m.qtot, c, bud, cur.lo, cur.hi, cur.x, iterations, corr)
            ub = np.minimum(ub, cur.bound)
            # integral relaxation points are allocations: evaluate them
            xr = np.round(x)
            integral = (np.abs(x - xr) <= 1e-7).all(axis=1) & (xr @ c <= bud + COST_EPS)
            if integral.any():
                vals = m.objectives(xr[integral])
                for t, v, k in zip(cur.task[integral], vals, xr[integral].astype(np.int64), strict=True):
                    if v > best[t] + 1e-15:
                        best[t], inc[t] = v, k
            leaf = (cur.hi - cur.lo <= 0.5).all(axis=1)
            if leaf.any():
                vals = m.objectives(cur.lo[leaf])
                for t, v, k in zip(cur.task[leaf], vals, cur.lo[leaf].astype(np.int64), strict=True):
                    if v > best[t] + 1e-15:
                        best[t], inc[t] = v, k
                ub = np.where(leaf, -np.inf, ub)
                np.maximum.at(proven, cur.task[leaf], vals)
            closed = ub <= best[cur.task] + PRUNE_TOL
            np.maximum.at(proven, cur.task[closed & ~leaf], ub[closed & ~leaf])
            open_ = np.flatnonzero(~closed)
            cur, x, ub = cur.take(open_), x[open_], ub[open_]
            if len(cur.task):
                frac = np.abs(x - np.round(x))
                frac = np.where(cur.hi - cur.lo > 0.5, frac, -1.0)
                j = np.argmax(frac, axis=1)
                r = np.arange(len(j))
                xj = x[r, j]
                cut = np.where(frac[r, j] > 1e-7, np.floor(xj), np.round(xj))
                cut = np.clip(cut, cur.lo[r, j], cur.hi[r, j] - 1)  # both children non-empty
                left_hi = cur.hi.copy()
                left_hi[r, j] = cut
                right_lo = cur.lo.copy()
                right_lo[r, j] = cut + 1
                kids = [_Nodes(cur.task, cur.lo, left_hi, np.minimum(x, left_hi), ub),
                        _Nodes(cur.task, right_lo, cur.hi, np.maximum(x, right_lo), ub)]
                rest = _Nodes.concat([rest, *kids])
            nodes = rest
            if progress is not None:
                progress(int(nt - len(np.unique(nodes.task))), int(nt))
    for t in range(nt):  # an improved allocation with budget left: fill it (F is monotone)
        inc[t] = _fill(m, inc[t], budgets[t])
    best = m.objectives(inc)
    bound = proven.copy()
    if len(nodes.task):
        np.maximum.at(bound, nodes.task, nodes.bound)
    bound = np.maximum(bound, best)
    dt = time.perf_counter() - t0
    return [Certificate(int(b), tuple(int(v) for v in k), float(f), float(u), bool(u - f <= tol), 0, dt)
            for b, k, f, u in zip(budgets, inc, best, bound, strict=True)]


def _fill(m: Model, k: np.ndarray, budget: float) -> np.ndarray:
    """Add the best affordable sample while one is affordable (never lowers F)."""
    k = k.copy()
    while (ok := np.flatnonzero(m.costs <= budget - k @ m.costs + COST_EPS)).size:
        trial = np.repeat(k[None], ok.size, axis=0)
        trial[np.arange(ok.size), ok] += 1
        k = trial[int(np.argmax(m.objectives(trial)))]
    return k


def close_gaps(m: Model, want: Sequence[int], ks: np.ndarray, objs: np.ndarray, ubs: np.ndarray, *,
               time_limit: float | None = None, progress=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Prove the budgets ``want`` whose gap ``ubs - objs`` exceeds CERTIFY_TOL, given allocations ``ks`` with
    objectives ``objs`` and bounds ``ubs``: enumeration where small, then one :func:`certify_budgets` over all
    the others, then the MILP (``time_limit`` seconds each) for any it leaves open. Returns the new (ks, objs,
    ubs); a better allocation found replaces the given one. ``progress(done, total)``: budgets proven so far."""
    ks, objs, ubs = ks.copy(), objs.astype(float), ubs.astype(float)

    def apply(i: int, cert) -> None:
        if cert.objective > objs[i]:
            ks[i], objs[i] = cert.counts, cert.objective
        ubs[i] = min(ubs[i], cert.upper_bound)

    def open_() -> np.ndarray:
        return np.flatnonzero(ubs - objs > CERTIFY_TOL)

    total = int(open_().size)
    report = progress if progress is not None else (lambda done, total: None)
    report(0, total)
    with np.errstate(under="ignore"):
        for i in open_():  # small instances: complete enumeration (exact bound); max_rounds=0: no MILP here
            apply(i, certify_budget(m, want[i], ks[i], max_rounds=0))
        todo = open_()
        closed = total - int(todo.size)
        report(closed, total)
        if todo.size:
            certs = certify_budgets(m, [want[i] for i in todo], ks[todo],
                                    progress=lambda done, _: report(closed + done, total))
            for i, cert in zip(todo, certs, strict=True):
                apply(i, cert)
        for i in open_():  # what the branch and bound left open (its node limit): the MILP
            apply(i, certify_budget(m, want[i], ks[i], time_limit=time_limit))
        report(total - int(open_().size), total)
    return ks, objs, ubs
