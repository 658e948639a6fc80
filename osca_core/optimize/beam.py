"""The optimizer's search (``osca_core.optimize.curve``): a beam over budgets plus exchange moves on a compact model.

:class:`BeamSearch` carries the ``n`` best distinct allocations from budget C - 1 to C (each extended by every
affordable sample), improves the best of them by exchanges (remove one or two samples, add one or two; best
improvement first, until no move raises F by more than ``IMPROVE_TOL``), and feeds the result back into the beam.
Allocations are carried as their weighted fail rows (a child's row is its parent's times 1 - p of the added
configuration); with unit costs on small inputs the beam steps run in the compiled kernel of
``osca_core.optimize.beamstep`` (one product and one selection per step, no Python-level work per allocation), on large
ones in numpy with BLAS (there the products, not the overhead, dominate).
:meth:`BeamSearch.sweep` runs budgets 1 .. C; with unit costs on small inputs it runs the beam ahead over blocks of
budgets in one kernel call and clears in one batched check (``greedy.exchange_free``) the budgets where no
exchange can help, so only the others run the exchange search: the same results as budget-by-budget
:meth:`BeamSearch.step`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.model.objective import COST_EPS as _EPS
from osca_core.model.objective import IMPROVE_TOL, Model
from osca_core.model.objective import SOLVED_LOG as _SOLVED
from osca_core.optimize.beamstep import beam_steps
from osca_core.optimize.exchange import exchange_free


@dataclass
class SearchOptions:
    beam: int | None = None  # allocations carried from budget to budget (None: as many as beam_work allows)
    beam_max: int = 64
    beam_work: float = 1.5e4  # beam * rows * S per budget when ``beam`` is None
    max_move: int = 2  # samples one exchange may move (1: the paper's hill-climbing move)
    full_configs: int = 64  # up to this many configurations (and pair_work) every move is considered
    pair_work: float = 6e6  # ... and rows * S^2 / 2 up to this
    candidates: int = 32  # otherwise: single additions among the best ones and the support
    pair_removals: int = 6  # otherwise: two-sample moves remove two of the cheapest-to-remove configurations
    pair_additions: int = 6  # ... and add two of the best single additions
    block_cells: float = 4e6  # beam states (beam * rows) the batched sweep keeps per block of budgets


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
    """Allocations as rows: counts K, weighted fail rows E = w * prod_s (1 - p_s)^K_s (``osca_core.optimize.beamstep``),
    hash K @ hs, fail mass (the row sums of E), cost spent."""

    K: np.ndarray
    E: np.ndarray
    H: np.ndarray
    fail: np.ndarray
    spent: np.ndarray

    def take(self, idx) -> _States:
        return _States(self.K[idx], self.E[idx], self.H[idx], self.fail[idx], self.spent[idx])

    @staticmethod
    def concat(parts: Sequence[_States]) -> _States:
        return _States(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("K", "E", "H", "fail", "spent")))

    @staticmethod
    def of_steps(steps: tuple, t: int, spent: float) -> _States:
        """The beam after step ``t`` of ``beamstep.beam_steps`` (unit costs: every allocation spent ``spent``)."""
        Es, Ks, Hs, Fs, size = steps
        b = int(size[t])
        return _States(Ks[t, :b], Es[t, :b], Hs[t, :b], Fs[t, :b], np.full(b, spent))

    def best(self, n: int) -> _States:
        """The ``n`` distinct allocations with the lowest fail sum (stable: earlier rows first among equals)."""
        order = np.argsort(self.fail, kind="stable")
        first = _first_index(self.H[order])
        return self.take(order[np.sort(first)[:n]])


class BeamSearch:
    """Beam over budgets plus exchange moves (module docstring) on a :class:`Model`."""

    def __init__(self, m: Model, opts: SearchOptions):
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
        self.F1T = np.ascontiguousarray(m.F1.T)
        self._ctx: dict | None = None
        if self.small:
            every = np.arange(s)
            self.moves2, self.moves1 = self._additions(every, every), self._additions(every, None)
        self.k, self.y, self.spent = np.zeros(s, np.int64), np.zeros(r), 0.0
        self.beam = _States(np.zeros((1, s), np.int64), m.w[None].copy(), np.zeros(1, np.int64),
                            np.array([m.w.sum()]), np.zeros(1))

    def step(self, budget: float) -> np.ndarray:
        """Advance the beam to ``budget``, improve its best allocation by exchanges, return that allocation."""
        self._settle(self._expand(self.beam, budget), budget)
        return self.beam.K[0].copy()

    def sweep(self, last: int) -> np.ndarray:
        """The allocations of budgets 1 .. ``last`` (rows), as ``step`` gives them one by one. Unit costs on small
        inputs: the beam runs ahead over blocks of budgets and one batched check (``greedy.exchange_free``)
        clears the budgets where no exchange move can help; only the others run the exchange search, and where
        it changes the allocation the block restarts after that budget (the same results as ``step``)."""
        s = self.m.shape[1]
        out = np.zeros((last, s), np.int64)
        if not (self.unit and self.small):
            for b in range(1, last + 1):
                out[b - 1] = self.step(float(b))
            return out
        cap = max(1, int(self.o.block_cells // max(1, self.n * self.m.shape[0])))
        b, block = 1, 8  # blocks double while no budget changes (a change discards the rest of its block)
        while b <= last:
            st = self.beam
            steps = beam_steps(st.E, st.K, st.H, self.m.F1, self.hs, self.n, min(block, cap, last - b + 1),
                               F1T=self.F1T)
            K = steps[1][:, 0].copy()
            free = exchange_free(K, K @ self.LT, self.LTp, self.m.w, self.m.F1, self.m.qtot, IMPROVE_TOL)
            for i in np.flatnonzero(~free):
                if self._settle(_States.of_steps(steps, i, float(b + i)), float(b + i)):
                    K = K[: i + 1]
                    K[i] = self.beam.K[0]
                    block = 8
                    break
            else:
                self.beam = _States.of_steps(steps, len(K) - 1, float(b + len(K) - 1))
                block = min(2 * block, 32)
            out[b - 1 : b - 1 + len(K)] = K
            b += len(K)
        return out

    def _settle(self, pool: _States, budget: float) -> bool:
        """Improve the best allocation of ``pool`` by exchanges; the beam becomes the pool (with the improved
        allocation first when it changed). True when it changed."""
        self.k, self.spent = pool.K[0].astype(np.int64), float(pool.spent[0])
        self.y = self.k @ self.LT
        self._ctx = None
        self._improve(budget)
        h = int(self.k @ self.hs)
        if h != pool.H[0]:
            self.y = self.k @ self.LT  # fresh: no drift from additions and removals
            e = self.m.w * np.exp(self.y)
            me = _States(self.k[None].copy(), e[None], np.array([h]), np.array([e.sum()]), np.array([self.spent]))
            self.beam = _States.concat([me, pool]).best(self.n)
            return True
        self.beam = pool
        return False

    def _expand(self, st: _States, budget: float) -> _States:
        """Add samples to every allocation while affordable; keep the best ``n`` distinct allocations."""
        m, c, s = self.m, self.m.costs, self.m.shape[1]
        if self.unit:
            return self._expand_unit(st)
        parts, front = [st], st
        while len(front.H):
            afford = c[None] <= (budget - front.spent)[:, None] + _EPS
            if not afford.any():
                break
            fails = np.where(afford, front.E @ m.F1, np.inf).ravel()
            order = np.argsort(fails, kind="stable")
            order = order[np.isfinite(fails[order])]
            i, j = np.divmod(order, s)
            h = front.H[i] + self.hs[j]
            keep = np.sort(_first_index(h))[: self.n]
            i, j = i[keep], j[keep]
            K = front.K[i]
            K[np.arange(len(i)), j] += 1
            front = _States(K, front.E[i] * self.F1T[j], h[keep], fails[order[keep]], front.spent[i] + c[j])
            parts.append(front)
        return _States.concat(parts[::-1]).best(self.n)  # fuller allocations first among equals

    def _expand_unit(self, st: _States) -> _States:
        """:meth:`_expand` with unit costs: one round (every allocation holds budget - 1 samples, every addition
        is affordable). Small inputs: one step of ``beamstep.beam_steps``, as the batched sweep takes them; large
        ones (where a step's products, not its Python overhead, dominate): the same step in numpy with BLAS."""
        if self.small:
            return _States.of_steps(beam_steps(st.E, st.K, st.H, self.m.F1, self.hs, self.n, 1, F1T=self.F1T), 0,
                                    float(st.spent[0]) + 1.0)
        s = self.m.shape[1]
        fails = (st.E @ self.m.F1).ravel()
        order = np.argsort(fails, kind="stable")
        h = (st.H[:, None] + self.hs).ravel()[order]
        pos = np.sort(_first_index(h))[: self.n]
        i, j = np.divmod(order[pos], s)
        K = st.K[i]
        K[np.arange(pos.size), j] += 1
        return _States(K, st.E[i] * self.F1T[j], h[pos], fails[order[pos]], st.spent[i] + 1.0)

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
        m = self.m
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
        return self._take_best(fails, cur, ra, rb, b1, b2)

    def _take_best(self, fails, cur, ra, rb, b1, b2) -> bool:
        """Apply the move of least failure mass ``fails[r, a]`` (remove ``ra[r]``, ``rb[r]``; add ``b1[a]``,
        ``b2[a]``; the index S = the number of configurations stands for none) if it raises F by more than IMPROVE_TOL; whether it did."""
        s = self.m.shape[1]
        j = int(np.argmin(fails))
        if (cur.sum() - fails.flat[j]) / self.m.qtot <= IMPROVE_TOL:
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
        return self._take_best(fails, cur, ra, rb, b1, b2)
