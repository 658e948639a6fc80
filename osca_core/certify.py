"""Upper bounds and proofs of optimality for the OSCA allocation problem (see ``osca_core.optimize``).

Cheap bounds for every budget (``upper_bounds``): the concave relaxation with a Frank-Wolfe gap, and
submodularity. Proofs for one budget (``certify_budget``): complete enumeration over the undominated
configurations when that is small, else the MILP outer approximation below.

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

from osca_core.optimize import CERTIFY_TOL, Model, allocations, build_model


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


def upper_bounds(m: Model, budgets: Sequence[float], counts: np.ndarray, *, iterations: int | None = None,
                 work: float = 2e6, delta: float = 1e-9) -> np.ndarray:
    """Upper bounds on max F over {k integer >= 0, c k <= C} at each budget C, given allocations ``counts`` (B, S).

    The smaller of (i) the submodular bound F(k) + C max_s rho_s(k) / c_s (F(k*) <= F(k v k*) <= F(k) +
    sum_s k*_s rho_s(k), diminishing returns) and (ii) the Frank-Wolfe bound of the concave relaxation
    H(x) = (1/Q) sum_q w_q (1 - exp(L'_q x)), L' = log(1 - p) with p = 1 replaced by 1 - ``delta`` (so
    F(k) <= H(k) + delta on integer k): F* <= H(x) + C max_s G_s / c_s - G x + delta for any x >= 0 with
    c x <= C and G = grad H(x), taken at x = k and at ``iterations`` pairwise Frank-Wolfe iterates (Newton step
    along the pair; default: as many as ``work`` / (B * rows * S) allows, at most 12).
    """
    budgets = np.asarray(budgets, float)
    counts = np.asarray(counts, float)
    if iterations is None:
        iterations = int(min(12, work // max(1, counts.size * m.shape[0])))
    step = max(1, int(1e6 // m.shape[0]))  # budgets per chunk: bounded memory
    with np.errstate(under="ignore"):
        return np.concatenate([_upper_bounds(m, budgets[i : i + step], counts[i : i + step], iterations, delta)
                               for i in range(0, len(budgets), step)])


def _upper_bounds(m: Model, budgets: np.ndarray, counts: np.ndarray, iterations: int, delta: float) -> np.ndarray:
    """The computation of :func:`upper_bounds` on one chunk of budgets."""
    x = counts.copy()
    nb, s = x.shape
    c, w, q = m.costs, m.w, m.qtot
    P = m.fail(x)
    rho = ((P * w) @ (1.0 - m.F1)) / q
    ub = (w.sum() - P @ w) / q + budgets * (rho / c).max(axis=1)
    lc = np.where(m.Z > 0, np.log(delta), m.L)
    corr = delta * float(w[m.Z.any(axis=1)].sum()) / q
    rows = np.arange(nb)
    for it in range(iterations + 1):
        we = np.exp(x @ lc.T) * w
        grad = (we @ -lc) / q
        ratio = grad / c
        fw = np.argmax(ratio, axis=1)
        val = (w.sum() - we.sum(axis=1)) / q
        ub = np.minimum(ub, val + budgets * ratio[rows, fw] - (grad * x).sum(axis=1) + corr)
        if it == iterations:
            break
        # pairwise step: move cost mass from the support configuration with the lowest G/c to the best one
        away = np.argmin(np.where(x > 0, ratio, np.inf), axis=1)
        d = np.zeros_like(x)
        d[rows, fw] += 1.0 / c[fw]
        d[rows, away] -= 1.0 / c[away]
        dmax = x[rows, away] * c[away]
        d1 = (grad * d).sum(axis=1)
        d2 = (we * (d @ lc.T) ** 2).sum(axis=1) / q
        step = np.clip(np.where(fw == away, 0.0, d1 / np.maximum(d2, 1e-300)), 0.0, dmax)
        x = np.maximum(x + step[:, None] * d, 0.0)
    return ub


def undominated(p: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Mask of configurations not dominated by another (p_t >= p_s on every row and c_t <= c_s; among identical
    columns the first is kept)."""
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

    ``m``: a :class:`~osca_core.optimize.Model` or the pass rates p (Q, S) (then ``costs`` applies).
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
