"""The OSCA allocation optimizer: the whole budget curve in one call, with an upper bound at every budget.

Problem (the OSCA training objective; Zhang et al. 2024, ``calculate_expected_train``). Training pass rates
p (Q x S, plug-in c/n), an allocation k in Z_{>=0}^S of samples per configuration, costs c_s > 0:

    F(k) = (1/Q) sum_q [1 - prod_s (1 - p_qs)^{k_s}],   maximize F(k)  s.t.  sum_s c_s k_s <= C.

With y_q = sum_s k_s log(1 - p_qs) and g(y) = 1 - e^y (concave), F(k) = (1/Q) sum_q g(y_q) over questions with
no p_qs = 1 in the allocation (those score 1). F is monotone and DR-submodular on the integer lattice: the gain
of one more sample of s, rho_s(k) = (1/Q) sum_q p_qs prod_t (1 - p_qt)^{k_t}, only shrinks as k grows. With unit
costs (the paper's setting) the optimum spends the whole budget, sum_s k_s = C.

Algorithm (``optimize_curve``): one sweep over C = 1 .. max(budgets), vectorized over questions (identical rows
of p merged with weights, rows with p = 0 everywhere dropped):

1. beam over budgets: the ``beam`` best distinct allocations of budget C - 1, each extended by every
   affordable sample (nested greedy marginal gains when beam = 1), give the beam of budget C;
2. exchanges on the best of them, best improvement first: move one sample (remove a, add b: the paper's
   hill-climbing move) or two at once (remove {a, a'}, add {b, b'}: mixes of complementary specialists that
   single moves cannot reach), within the budget, until no move raises F by more than 1e-12; the result joins
   the beam, so the next budget restarts from it and from the runners-up;
3. an upper bound at every reported budget (``osca_core.objective.upper_bounds``: concave relaxation and
   submodularity); ``certified`` when it is within 1e-6 of F; ``certify=True`` closes the remaining gaps with
   a proof (``osca_core.certify.certify_budgets``: one branch and bound over the concave relaxation for all
   open budgets at once; the MILP outer approximation ``certify_budget`` for any budget it leaves open).

The beam makes the sweep exact in practice on small instances (tests compare with ``exhaustive``, the brute-force
twin); it is a heuristic, and only ``certify`` proves optimality.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.certify import close_gaps
from osca_core.objective import (  # noqa: F401  (Model, allocations, exhaustive, MAX_SAMPLES: re-exported)
    CERTIFY_TOL,
    IMPROVE_TOL,
    MAX_SAMPLES,
    Model,
    allocations,
    build_model,
    check_work,
    exhaustive,
    upper_bounds,
)
from osca_core.objective import COST_EPS as _EPS
from osca_core.objective import SOLVED_LOG as _SOLVED


@dataclass(frozen=True)
class OptimizeResult:
    """An allocation for one budget: counts per configuration, its objective F(k), an upper bound on the best
    F any allocation within the budget reaches, and whether that bound proves optimality (within 1e-6)."""

    budget: int
    counts: tuple[int, ...]
    objective: float
    upper_bound: float | None
    certified: bool


# -- the search -----------------------------------------------------------------------------------------------

@dataclass
class _Options:
    beam: int | None = None  # allocations carried from budget to budget (None: as many as beam_work allows)
    beam_max: int = 64
    beam_work: float = 1.5e4  # beam * rows * S per budget when ``beam`` is None
    max_move: int = 2  # samples one exchange may move (1: the paper's hill-climbing move)
    full_configs: int = 64  # up to this many configurations (and pair_work) every move is considered
    pair_work: float = 6e6  # ... and rows * S^2 / 2 up to this
    candidates: int = 32  # otherwise: single additions among the best ones and the support
    pair_removals: int = 6  # otherwise: two-sample moves remove two of the cheapest-to-remove configurations
    pair_additions: int = 6  # ... and add two of the best single additions


def _first_index(h: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of each distinct value of ``h``, in sorted order of the values: exactly
    ``np.unique(h, return_index=True)[1]`` (stable argsort), without its per-call overhead."""
    perm = h.argsort(kind="stable")
    aux = h[perm]
    mask = np.empty(aux.shape, dtype=bool)
    mask[:1] = True
    np.not_equal(aux[1:], aux[:-1], out=mask[1:])
    return perm[mask]


@dataclass
class _States:
    """Allocations as rows: counts K, y = K L^T, hash K @ hs, weighted fail sum, cost spent."""

    K: np.ndarray
    Y: np.ndarray
    H: np.ndarray
    fail: np.ndarray
    spent: np.ndarray

    def take(self, idx) -> _States:
        return _States(self.K[idx], self.Y[idx], self.H[idx], self.fail[idx], self.spent[idx])

    @staticmethod
    def concat(parts: Sequence[_States]) -> _States:
        return _States(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("K", "Y", "H", "fail", "spent")))

    def best(self, n: int) -> _States:
        """The ``n`` distinct allocations with the lowest fail sum (stable: earlier rows first among equals)."""
        order = np.argsort(self.fail, kind="stable")
        first = _first_index(self.H[order])
        return self.take(order[np.sort(first)[:n]])


class _Search:
    """Beam over budgets plus exchange moves (module docstring) on a :class:`Model`."""

    def __init__(self, m: Model, opts: _Options):
        self.m, self.o = m, opts
        r, s = m.shape
        self.LTp = np.vstack([np.where(m.Z > 0, _SOLVED, m.L).T, np.zeros(r)])  # row s: "no configuration"
        self.LT = self.LTp[:s]
        self.cp = np.append(m.costs, 0.0)
        self.unit = bool((m.costs == 1.0).all())
        self.cmin = float(m.costs.min())
        self.hs = np.random.default_rng(20241030).integers(1, 2**40, size=s)  # allocation hash K @ hs
        self.n = opts.beam or int(np.clip(opts.beam_work // max(1, r * s), 1, opts.beam_max))
        self.small = s <= opts.full_configs and r * s * (s + 1) / 2 <= opts.pair_work
        self._triu_cache: dict[int, tuple] = {}
        self._rem_cache: dict[tuple, tuple] = {}
        self._rows = np.arange(self.n)
        self._ctx: dict | None = None
        if self.small:
            every = np.arange(s)
            self.moves2, self.moves1 = self._additions(every, every), self._additions(every, None)
        self.k, self.y, self.spent = np.zeros(s, np.int64), np.zeros(r), 0.0
        self.beam = _States(np.zeros((1, s), np.int64), np.zeros((1, r)), np.zeros(1, np.int64),
                            np.array([m.w.sum()]), np.zeros(1))

    def step(self, budget: float) -> np.ndarray:
        """Advance the beam to ``budget``, improve its best allocation by exchanges, return that allocation."""
        pool = self._expand(self.beam, budget)
        self.k, self.y, self.spent = pool.K[0].copy(), pool.Y[0].copy(), float(pool.spent[0])
        self._ctx = None
        self._improve(budget)
        h = int(self.k @ self.hs)
        if h != pool.H[0]:
            self.y = self.k @ self.LT  # fresh: no drift from additions and removals
            me = _States(self.k[None].copy(), self.y[None], np.array([h]),
                         np.array([(self.m.w * np.exp(self.y)).sum()]), np.array([self.spent]))
            pool = _States.concat([me, pool]).best(self.n)
        self.beam = pool
        return pool.K[0].copy()

    def _expand(self, st: _States, budget: float) -> _States:
        """Add samples to every allocation while affordable; keep the best ``n`` distinct allocations."""
        m, c, s = self.m, self.m.costs, self.m.shape[1]
        if self.unit:
            return self._expand_unit(st)
        parts, front = [st], st
        while len(front.H):
            fails = (m.w * np.exp(front.Y)) @ m.F1
            if self.unit:  # every allocation holds budget - 1 samples: one round, every addition affordable
                fails = fails.ravel()
                order = np.argsort(fails, kind="stable")
            else:
                afford = c[None] <= (budget - front.spent)[:, None] + _EPS
                if not afford.any():
                    break
                fails = np.where(afford, fails, np.inf).ravel()
                order = np.argsort(fails, kind="stable")
                order = order[np.isfinite(fails[order])]
            i, j = np.divmod(order, s)
            h = front.H[i] + self.hs[j]
            keep = np.sort(_first_index(h))[: self.n]
            i, j = i[keep], j[keep]
            K = front.K[i]
            K[np.arange(len(i)), j] += 1
            front = _States(K, front.Y[i] + self.LT[j], h[keep], fails[order[keep]], front.spent[i] + c[j])
            if self.unit:
                return front
            parts.append(front)
        return _States.concat(parts[::-1]).best(self.n)  # fuller allocations first among equals

    def _expand_unit(self, st: _States) -> _States:
        """:meth:`_expand` with unit costs: one round (every allocation holds budget - 1 samples, every addition
        is affordable), the same candidates in the same order with fewer array operations."""
        m, s = self.m, self.m.shape[1]
        fails = ((m.w * np.exp(st.Y)) @ m.F1).ravel()
        order = np.argsort(fails, kind="stable")
        h = (st.H[:, None] + self.hs[None]).ravel()[order]
        keep = np.sort(_first_index(h))[: self.n]
        ok = order[keep]
        i, j = np.divmod(ok, s)
        K = st.K[i]
        K[self._rows[: len(i)], j] += 1
        return _States(K, st.Y[i] + self.LT[j], h[keep], fails[ok], st.spent[i] + 1.0)

    def _apply(self, rem: Sequence[int], add: Sequence[int]) -> None:
        self._ctx = None
        for a in rem:
            self.k[a] -= 1
            self.y -= self.LT[a]
        for b in add:
            self.k[b] += 1
            self.y += self.LT[b]
        self.spent = float(self.k @ self.m.costs)

    def _improve(self, budget: float) -> None:
        """Fill, then exchanges (one sample, then two) until no move raises F by more than IMPROVE_TOL."""
        while True:
            if self._fill(budget):
                continue
            if self.small and self.o.max_move >= 2:  # one evaluation covers one- and two-sample moves
                if self._exchange(budget, pairs=True):
                    continue
                return
            if self._exchange(budget, pairs=False):
                continue
            if self.o.max_move >= 2 and self._exchange(budget, pairs=True):
                continue
            return

    def _fill(self, budget: float) -> bool:
        """Add the best affordable sample (F is monotone: adding never hurts)."""
        if budget - self.spent + _EPS < self.cmin:
            return False
        ok = np.flatnonzero(self.m.costs <= budget - self.spent + _EPS)
        fail = (self.m.w * np.exp(self.y)) @ self.m.F1[:, ok]
        self._apply((), (int(ok[np.argmin(fail)]),))
        return True

    def _triu(self, n: int):
        if n not in self._triu_cache:
            iu, ju = np.triu_indices(n)
            self._triu_cache[n] = (iu, ju, iu == ju)
        return self._triu_cache[n]

    def _additions(self, cand: np.ndarray, cand2: np.ndarray | None, f1: np.ndarray | None = None):
        """Addition sets as columns: fail factors (rows x sets), first and second configuration (s = none), cost."""
        s, f1 = self.m.shape[1], self.m.F1 if f1 is None else f1
        if cand2 is None:
            return f1[:, cand], cand, np.full(cand.size, s), self.cp[cand]
        iu, ju, _ = self._triu(cand2.size)
        b1, b2 = np.concatenate([cand, cand2[iu]]), np.concatenate([np.full(cand.size, s), cand2[ju]])
        mat = np.concatenate([f1[:, cand], f1[:, cand2[iu]] * f1[:, cand2[ju]]], axis=1)
        return mat, b1, b2, self.cp[b1] + self.cp[b2]

    def _context(self, sup: np.ndarray) -> dict:
        """Large inputs: the rows that matter for the current allocation (a row whose weighted fail stays below
        1e-16 even after removing any two of its samples changes no move's value by more than that) and the
        additions ranked by gain; cached until the allocation changes."""
        if self._ctx is None:
            bound = np.minimum(self.y - 2.0 * self.LT[sup].min(axis=0), 0.0)
            act = np.flatnonzero(self.m.w * np.exp(bound) > 1e-16)
            if act.size > 0.5 * self.y.size:  # gathering would cost more than it saves
                y, w, lt, f1 = self.y, self.m.w, self.LTp, self.m.F1
            else:
                y, w, lt, f1 = self.y[act], self.m.w[act], self.LTp[:, act], self.m.F1[act]
            cur = w * np.exp(y)
            self._ctx = {"y": y, "w": w, "lt": lt, "f1": f1, "cur": cur, "order": np.argsort(cur @ f1, kind="stable")}
        return self._ctx

    def _removals(self, sup: np.ndarray) -> tuple:
        """Removal sets of the small path: every support configuration alone, then every pair of them (the same
        configuration twice only where it holds two samples), with their gathered log-fail rows and cost; cached
        by support and counts >= 2."""
        key = (sup.tobytes(), (self.k[sup] >= 2).tobytes())
        hit = self._rem_cache.get(key)
        if hit is None:
            s = self.m.shape[1]
            iu, ju, diag = self._triu(sup.size)
            keep = ~diag | (self.k[sup[iu]] >= 2)
            ra = np.concatenate([sup, sup[iu[keep]]])
            rb = np.concatenate([np.full(sup.size, s), sup[ju[keep]]])
            freed = self.cp[ra] + self.cp[rb]
            unit_mask = self.moves2[3][None, :] > (freed + _EPS)[:, None]  # unit costs: nothing else is left
            if len(self._rem_cache) > 4096:
                self._rem_cache.clear()
            hit = self._rem_cache[key] = (ra, rb, self.LTp[ra], self.LTp[rb], freed, unit_mask)
        return hit

    def _exchange_small(self, budget: float, sup: np.ndarray) -> bool:
        """:meth:`_exchange` with pairs on small inputs: every move over all rows, removal sets cached (the same
        arithmetic as the general path, so the same moves)."""
        m, s = self.m, self.m.shape[1]
        ra, rb, la, lb, freed, unit_mask = self._removals(sup)
        y, w = self.y, m.w
        cur = w * np.exp(y)
        wp = w * np.exp(y[None] - la - lb)
        mat, b1, b2, cost = self.moves2
        fails = wp @ mat
        if self.unit and self.spent == budget:
            fails[unit_mask] = np.inf
        else:
            slack = budget - self.spent + freed + _EPS
            fails[cost[None, :] > slack[:, None]] = np.inf
        j = int(np.argmin(fails))
        if (cur.sum() - fails.flat[j]) / m.qtot <= IMPROVE_TOL:
            return False
        r, a = divmod(j, fails.shape[1])
        self._apply([x for x in (int(ra[r]), int(rb[r])) if x < s], [x for x in (int(b1[a]), int(b2[a])) if x < s])
        return True

    def _exchange(self, budget: float, *, pairs: bool) -> bool:
        """Apply the best move "remove R, add A" (|R|, |A| <= 1, or <= 2 with ``pairs``) within the budget if it
        raises F by more than IMPROVE_TOL. Large inputs: only the rows and additions of ``_context``."""
        k, s, m = self.k, self.m.shape[1], self.m
        sup = np.flatnonzero(k)
        if sup.size == 0:
            return False
        if self.small and pairs:
            return self._exchange_small(budget, sup)
        if self.small:
            y, w, lt, f1 = self.y, m.w, self.LTp, m.F1
            cur, ctx = w * np.exp(y), {}
        else:
            ctx = self._context(sup)
            y, w, lt, f1, cur = ctx["y"], ctx["w"], ctx["lt"], ctx["f1"], ctx["cur"]
        ra, rb = sup, np.full(sup.size, s)
        if pairs:
            r2 = sup
            if not self.small and sup.size > self.o.pair_removals:  # the cheapest removals only
                loss = ctx.get("loss")
                if loss is None:
                    loss = (w * np.exp(y[None] - lt[sup])).sum(axis=1)
                r2 = sup[np.sort(np.argsort(loss, kind="stable")[: self.o.pair_removals])]
            iu, ju, diag = self._triu(r2.size)
            keep = ~diag | (k[r2[iu]] >= 2)
            if self.small or not self.unit:
                ra, rb = np.concatenate([ra, r2[iu[keep]]]), np.concatenate([rb, r2[ju[keep]]])
            else:  # unit costs, single moves already tried: two out, two in
                ra, rb = r2[iu[keep]], r2[ju[keep]]
                if ra.size == 0:
                    return False
        wp = w * np.exp(y[None] - lt[ra] - lt[rb])
        if self.small:
            mat, b1, b2, cost = self.moves2 if pairs else self.moves1
        else:
            order = ctx["order"]
            if pairs:
                cand2 = np.sort(order[: self.o.pair_additions])
                cand = order[:0] if self.unit else np.union1d(order[: self.o.candidates], sup)
                mat, b1, b2, cost = self._additions(cand, cand2, f1)
            else:
                ctx["loss"] = wp.sum(axis=1)
                mat, b1, b2, cost = self._additions(np.union1d(order[: self.o.candidates], sup), None, f1)
        fails = wp @ mat
        slack = budget - self.spent + self.cp[ra] + self.cp[rb] + _EPS
        fails[cost[None, :] > slack[:, None]] = np.inf
        j = int(np.argmin(fails))
        if (cur.sum() - fails.flat[j]) / m.qtot <= IMPROVE_TOL:
            return False
        r, a = divmod(j, fails.shape[1])
        self._apply([x for x in (int(ra[r]), int(rb[r])) if x < s], [x for x in (int(b1[a]), int(b2[a])) if x < s])
        return True


# -- the optimizer --------------------------------------------------------------------------------------------

def optimize_curve(
    p: np.ndarray, budgets: Sequence[int], *, costs: np.ndarray | None = None, certify: bool = False,
    beam: int | None = None, max_move: int = 2, bound_iterations: int | None = None,
    certify_time_limit: float | None = None, progress: Callable[[int, int], None] | None = None,
) -> list[OptimizeResult]:
    """Best allocations for every budget in ``budgets`` (one sweep over C = 1 .. max(budgets), module docstring).

    ``p``: (Q, S) plug-in training pass rates in [0, 1] (exact 0 and 1 allowed); ``costs``: cost per sample
    of each configuration (default 1: the budget counts samples and sum_s k_s = C); with costs the budget
    bounds sum_s c_s k_s. ``beam``: allocations carried between budgets (default: up to 64, fewer on large
    inputs); ``max_move``: samples one exchange may move (1 gives single-sample hill climbing).
    ``certify``: prove every requested budget optimal (``certify.certify_budgets``, all budgets in one branch
    and bound; the MILP of ``certify.certify_budget`` for any budget it leaves open, within
    ``certify_time_limit`` seconds each); a better allocation found on the way replaces the heuristic one.
    ``progress(done, total)``: called while certifying (budgets proven so far). Work is bounded by
    :func:`check_work` (``MAX_SAMPLES``). Results follow the order of ``budgets``.
    """
    want = sorted({int(b) for b in budgets})
    if not want or want[0] < 1:
        raise ValueError("budgets must be positive integers")
    m = build_model(p, costs)
    check_work(want, m.costs)
    with np.errstate(under="ignore"):  # exp of very negative y is meant to give 0 (p = 1, solved questions)
        search = _Search(m, _Options(beam=beam, max_move=max_move))
        wanted, found = set(want), {}
        for b in range(1, want[-1] + 1):
            k = search.step(float(b))
            if b in wanted:
                found[b] = k
        ks = np.array([found[b] for b in want])
        objs = m.objectives(ks)
        ubs = np.maximum(upper_bounds(m, want, ks, iterations=bound_iterations), objs)
    if certify:
        ks, objs, ubs = close_gaps(m, want, ks, objs, ubs, time_limit=certify_time_limit, progress=progress)
    out = {b: OptimizeResult(b, tuple(int(v) for v in k), float(f), float(u), bool(u - f <= CERTIFY_TOL))
           for b, k, f, u in zip(want, ks, objs, ubs, strict=True)}
    return [out[int(b)] for b in budgets]
