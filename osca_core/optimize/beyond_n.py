"""The exact-objective optimizer for budgets beyond n: per-cell fail tables, greedy increments and exchanges.

When an allocation may ask a training cell for more samples than it holds (k > n), the training objective is no
longer log-linear in k: with the rule of :mod:`osca_core.model.extrapolation`,

    F(k) = (1/Q) sum_q [1 - prod_s T[q, s, k_s]],
    T[q, s, k] = (1 - c_qs/n_qs)^k                                   (k <= n_qs, plug-in; the paper's)
               = B(a_s + c, b_s + n - c + k) / B(a_s + c, b_s + n - c)  (k > n_qs, Beta-binomial predictive),

with the configuration's prior Beta(a_s, b_s) fitted on the training questions (``extrapolation.priors``). This
module maximizes that F exactly as evaluated (``extrapolation.train_pass``, hence ``results.score``): the tables
T are computed once for k = 0 .. max_s floor(max budget / cost_s) (identical training rows merged, with weights;
``osca_core.model.fail_tables``, in log space), kept as L = max(log T, LOG_FLOOR) (so an exact 0, p = 1 within n,
is e^-300: no overflow and an error below 1e-130). With unit costs the sweep is the beam on table look-ups of
``osca_core.optimize.tabled_beam`` (one product over the first table column per budget, as within n, greedy chains
from the pure allocations at the first count beyond n, exchanges on the best allocation; on tiny logs, below
``SMALL_CELLS``, ``STARTS`` allocations per budget and the pure restart always). With per-sample costs:

1. one sweep over budgets C = 1 .. max(budgets) with a beam (as ``osca_core.optimize.curve``): the ``BEAM`` best
   distinct allocations of the previous budget, each extended by every affordable single sample (unit costs:
   exactly one more, so sum_s k_s = C; with costs: repeatedly while affordable, keeping the unextended ones too,
   since F need not be monotone beyond n), give the beam of budget C (distinct allocations with the least fail
   sums, ties in lexicographic order: ``_Search.best_rows``, which sorts whole rows only where they can be in
   the beam, so a log with hundreds of configurations does not sort thousands of rows per budget); its
   ``STARTS`` best are improved by greedy
   increments (with costs: the best affordable sample while it raises F) and then by
2. exchanges, best improvement first, as ``osca_core.optimize.curve``: remove one or two samples and add one or two
   (sets that share a configuration are left out: they equal a smaller move), within the budget (unit costs:
   as many added as removed; with costs also removals alone, since F need not be monotone beyond n), until no
   move raises F by more than ``IMPROVE_TOL``; every move is one matrix product over (removal sets x rows) @
   (rows x addition sets), vectorized over questions;
3. at each reported budget up to ``PURE_START_MAX`` the same local search from the best single-configuration
   allocation, keeping the better (F need not be monotone beyond n, so the sweep can leave a pure basin
   behind; above that budget the walk from a pure allocation costs O(C) moves per budget and is skipped).

It is a heuristic with no upper bound: results are never certified (``certified=False``, ``upper_bound=None``).
Memory is capped: tables of Q x S x (max_s floor(C_max / cost_s) + 1) float64 values above
``limits.TABLE_BYTES_MAX`` bytes are refused with an :class:`~osca_core.errors.InputError` (S = 1024, Q = 400,
budgets 1..64: 213 MiB), and so is an allocation that could hold more than ``MAX_SAMPLES`` samples (time). The tests compare it with the
enumeration of every allocation on tiny instances, and with ``optimize`` where no cell extrapolates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.errors import InputError
from osca_core.limits import TABLE_BYTES_MAX
from osca_core.model.extrapolation import COST_EPS, PriorLike, max_samples, resolve, train_fail, train_pass
from osca_core.model.fail_tables import LazyLogTables, log_tables
from osca_core.optimize.tabled_beam import products, sweep_unit

TABLE_CELLS_MAX = TABLE_BYTES_MAX // 8  # float64 table values (Q x S x (max_s floor(C_max / cost_s) + 1))
LAZY_CELLS = 2e6  # table values (S (K + 1) R) above which the tables are built lazily (``fail_tables.LazyLogTables``)
MAX_SAMPLES = 1_000  # largest max_s floor(C_max / cost_s): the sweep's length (about 10 s on BigCodeBench)
LOG_FLOOR = -300.0
IMPROVE_TOL = 1e-12  # a move must raise F by more than this (as the fast optimizer's)
PAIR_WORK = 2e6  # (removal sets x rows x addition sets) per move above which pairs use the best candidates only
PAIR_CANDIDATES = 8
SINGLE_CANDIDATES = 64  # ... and above this many configurations single additions too (the best by their gain)
BEAM = 16  # allocations carried from budget to budget
STARTS = 4  # ... of which the best few are improved by exchanges at every budget
PURE_START_MAX = 128  # reported budgets up to this also restart from the best pure allocation
SMALL_CELLS = 1_000  # merged rows x configurations up to which every budget improves STARTS allocations and
# always restarts from the best pure one (the tiny instances the enumeration checks); above: the best one


@dataclass(frozen=True)
class TabledResult:
    """An allocation for one budget and its exact training objective F(k) (``extrapolation.train_pass``); no
    bound is known, so ``upper_bound`` is None and ``certified`` False."""

    budget: int
    counts: tuple[int, ...]
    objective: float
    upper_bound: float | None = None
    certified: bool = False


def fail_tables(n: np.ndarray, c: np.ndarray, kmax: Sequence[int], prior) -> list[np.ndarray]:
    """Per configuration s the (Q, kmax_s + 1) table T[q, s, k], k = 0 .. kmax_s (module docstring)."""
    a, b = resolve(prior)
    return [train_fail(n[:, s : s + 1], c[:, s : s + 1], np.arange(int(kmax[s]) + 1)[None, :], (a[s], b[s]))
            for s in range(n.shape[1])]


def check_cells(questions: int, kmax: np.ndarray) -> None:
    """InputError when the tables (questions x S x (max_s kmax_s + 1) float64 values) would exceed
    ``limits.TABLE_BYTES_MAX`` bytes or an allocation could hold more than ``MAX_SAMPLES`` samples (the sweep's
    length)."""
    most = float(np.max(kmax))
    if most > MAX_SAMPLES:
        raise InputError(f"budgets beyond n: {most:.3g} samples in one allocation, above the limit of {MAX_SAMPLES} "
                         "of the exact-objective optimizer (MAX_SAMPLES; lower --budgets or raise --cost)")
    entries = float(len(kmax)) * (most + 1.0)
    size = float(questions) * entries * 8.0
    if size > TABLE_BYTES_MAX:
        raise InputError(f"budgets beyond n: the fail tables need {questions} training questions x {entries:.3g} "
                         f"(configuration, count) entries x 8 bytes = {size / 2**20:,.0f} MiB, above the limit "
                         f"{TABLE_BYTES_MAX / 2**20:,.0f} MiB (TABLE_BYTES_MAX); use smaller budgets, fewer "
                         "configurations or larger costs")


def _member_costs(mem: np.ndarray, costs: np.ndarray) -> np.ndarray:
    """Cost of each set of members (D, 2) (-1 = none; a configuration twice counts twice)."""
    return np.where(mem >= 0, costs[np.maximum(mem, 0)], 0.0).sum(axis=1)


def lex_smallest(rows: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` lexicographically smallest of the distinct ``rows`` (M, S), in that order: the rows
    ``np.unique(rows, axis=0)[:k]`` gives, without sorting all M rows (on a wide log, hundreds of
    configurations, that sort dominated the search). Column by column, the rows whose value there is below the
    k-th smallest come first (a few, sorted whole), and only the rows at that value go on to the next column."""
    idx, col, head = np.arange(len(rows)), 0, []
    while len(idx) > max(k, 64) and col < rows.shape[1]:
        v = rows[idx, col]
        low = v == v.min()
        if np.count_nonzero(low) >= k:  # the common case: the k smallest all hold the least value here
            idx, col = idx[low], col + 1
            continue
        _, inv, counts = np.unique(v, return_inverse=True, return_counts=True)
        g = int(np.searchsorted(np.cumsum(counts), k))  # the value group that holds the k-th smallest
        first = idx[inv < g]  # fewer than k rows, all taken
        if first.size:
            head.append(first[np.unique(rows[first], axis=0, return_index=True)[1]])
            k -= first.size
        idx, col = idx[inv == g], col + 1
    rest = idx[np.unique(rows[idx], axis=0, return_index=True)[1]][:k]
    return np.concatenate([*head, rest]).astype(np.int64)


class _Search:
    """State and moves on the merged log tables (module docstring)."""

    def __init__(self, LT: np.ndarray | LazyLogTables, kmax: np.ndarray, w: np.ndarray, qtot: int,
                 costs: np.ndarray):
        self.kmax = np.asarray(kmax, np.int64)
        if isinstance(LT, LazyLogTables):  # rows (S (K + 1), R) built as the search asks for them
            width, self.s, self.LT = LT.width, LT.shape[0] // LT.width, LT
        else:
            self.s, width = LT.shape[0], LT.shape[1]
            self.LT = LT.reshape(self.s * width, LT.shape[2])  # (S (K + 1), R): one row per (configuration, count)
        self.off = (np.arange(self.s) * width).astype(np.int64)
        self.w, self.qtot, self.costs = w, qtot, costs
        self.unit = bool((costs == 1.0).all())
        iu, ju = np.triu_indices(self.s)
        self.pairs = (iu, ju)
        self.k = np.zeros(self.s, dtype=np.int64)
        self.y = np.zeros(len(w))
        self.hs = np.random.default_rng(20241030).integers(0, 2**64, size=self.s, dtype=np.uint64)  # row hashes

    def col(self, s, k) -> np.ndarray:
        """log T[:, s, k] (rows x len(s)) for arrays of (s, k) (k clipped into the table; callers mask the invalid
        ones)."""
        return self.LT[self.off[s] + np.clip(k, 0, self.kmax[s])].T

    def set(self, k: np.ndarray) -> None:
        self.k = np.asarray(k, dtype=np.int64).copy()
        self.y = self.col(np.arange(self.s), self.k).sum(axis=1)

    def pure_fails(self, ks: np.ndarray) -> np.ndarray:
        """(S,) the fail sum of each pure allocation "ks_s samples of s" (ks within the tables)."""
        if isinstance(self.LT, LazyLogTables):  # per distinct cell: no S x R gather (equal up to rounding)
            return self.LT.pure_fails(np.minimum(ks, self.kmax), self.w)
        return self.w @ np.exp(self.col(np.arange(self.s), ks))

    def fail_sum(self) -> float:
        return float(self.w @ np.exp(self.y))

    def _additions(self, cand2: np.ndarray | None, cand1: np.ndarray | None = None):
        """Addition sets: singles over ``cand1`` (every configuration when None), pairs over ``cand2`` (all when
        None; a subset of ``cand1``), and with costs the empty set. Returns exp(delta) (R, A), members (A, 2)
        (-1 = none; the same twice: two samples) and whether each fits the tables."""
        k = self.k
        every = np.arange(self.s) if cand1 is None else np.asarray(cand1)
        one_s = self.col(every, k[every] + 1) - self.col(every, k[every])
        ok1_s = k[every] + 1 <= self.kmax[every]
        mats, mem = [one_s], [np.column_stack([every, np.full(every.size, -1)])]
        valid = [ok1_s]
        c2 = every if cand2 is None else np.asarray(cand2)
        at = np.searchsorted(every, c2)  # cand2's columns among the singles
        one, ok1 = one_s[:, at], ok1_s[at]
        iu, ju = np.triu_indices(c2.size)
        b1, b2 = c2[iu], c2[ju]
        same = b1 == b2
        two = np.where(same[None, :], self.col(b1, k[b1] + 2) - self.col(b1, k[b1]),
                       one[:, iu] + one[:, ju])
        mats.append(two)
        mem.append(np.column_stack([b1, b2]))
        valid.append(np.where(same, k[b1] + 2 <= self.kmax[b1], ok1[iu] & ok1[ju]))
        if not self.unit:
            mats.append(np.zeros((len(self.w), 1)))
            mem.append(np.array([[-1, -1]]))
            valid.append(np.array([True]))
        return np.exp(np.concatenate(mats, axis=1)), np.concatenate(mem), np.concatenate(valid)

    def _removals(self, pair_from: np.ndarray | None):
        """Removal sets from the support: singles, pairs (over ``pair_from``; the same configuration twice where it
        holds two samples). Returns delta log (Q_rows, D) and members (D, 2) (-1 = none)."""
        k = self.k
        sup = np.flatnonzero(k > 0)
        one = self.col(sup, k[sup] - 1) - self.col(sup, k[sup])
        dl, mem = [one], [np.column_stack([sup, np.full(sup.size, -1)])]
        p = sup if pair_from is None else np.asarray(pair_from)
        iu, ju = np.triu_indices(p.size)
        keep = (iu != ju) | (k[p[iu]] >= 2)
        a1, a2 = p[iu[keep]], p[ju[keep]]
        pos = {int(x): i for i, x in enumerate(sup)}
        i1, i2 = np.array([pos[int(x)] for x in a1], dtype=np.int64), np.array([pos[int(x)] for x in a2],
                                                                                 dtype=np.int64)
        same = a1 == a2
        two = np.where(same[None, :], self.col(a1, k[a1] - 2) - self.col(a1, k[a1]),
                       one[:, i1] + one[:, i2]) if a1.size else np.zeros((len(self.w), 0))
        dl.append(two)
        mem.append(np.column_stack([a1, a2]))
        return np.concatenate(dl, axis=1), np.concatenate(mem)

    def fill(self, budget: float) -> bool:
        """Add the best affordable single sample (unit costs: while sum k < C; with costs: if it raises F)."""
        spent = float(self.costs @ self.k)
        ok = (self.costs <= budget - spent + COST_EPS) & (self.k + 1 <= self.kmax)
        if not ok.any():
            return False
        idx = np.flatnonzero(ok)
        delta = self.col(idx, self.k[idx] + 1) - self.col(idx, self.k[idx])
        fails = (self.w * np.exp(self.y)) @ np.exp(delta)
        j = int(np.argmin(fails))
        if not self.unit and (self.fail_sum() - fails[j]) / self.qtot <= IMPROVE_TOL:
            return False
        k = self.k.copy()
        k[idx[j]] += 1
        self.set(k)
        return True

    def exchange(self, budget: float) -> bool:
        """Apply the best exchange (module docstring, 2) if it raises F by more than IMPROVE_TOL."""
        sup = np.flatnonzero(self.k > 0)
        if sup.size == 0:
            return False
        cur = self.w * np.exp(self.y)
        rows = len(self.w)
        n_rem = sup.size * (sup.size + 3) / 2
        n_add = self.s * (self.s + 3) / 2
        cand2 = pair_from = cand1 = None
        if n_rem * n_add * max(rows, 64) > PAIR_WORK:
            single = cur @ np.exp(self.col(np.arange(self.s), self.k + 1) - self.col(np.arange(self.s), self.k))
            rank = np.argsort(single, kind="stable")
            cand2 = np.sort(rank[:PAIR_CANDIDATES])
            if self.s > SINGLE_CANDIDATES:  # wide logs: single additions among the best ones only
                cand1 = np.sort(rank[: max(SINGLE_CANDIDATES, PAIR_CANDIDATES)])  # holding the pairs' ones
            if sup.size > PAIR_CANDIDATES:
                drop = self.col(sup, self.k[sup] - 1) - self.col(sup, self.k[sup])
                loss = self.w @ np.exp(np.minimum(self.y[:, None] + drop, 0.0))
                pair_from = np.sort(sup[np.argsort(loss, kind="stable")[:PAIR_CANDIDATES]])
        E, amem, avalid = self._additions(cand2, cand1)
        D, rmem = self._removals(pair_from)
        base = self.w[:, None] * np.exp(np.minimum(self.y[:, None] + D, 0.0))  # (R, D)
        fails = products(np.ascontiguousarray(base.T), E)  # (D, A)
        spent = float(self.costs @ self.k)
        cost = spent - _member_costs(rmem, self.costs)
        bad = ~avalid[None, :] | ((cost[:, None] + _member_costs(amem, self.costs)[None, :]) > budget + COST_EPS)
        if self.unit:
            bad |= (rmem >= 0).sum(axis=1)[:, None] != (amem >= 0).sum(axis=1)[None, :]
        shared = (rmem[:, None, :, None] == amem[None, :, None, :]) & (rmem[:, None, :, None] >= 0)
        bad |= shared.any(axis=(2, 3))  # a configuration both removed and added: a smaller move
        fails[bad] = np.inf
        j = int(np.argmin(fails))
        if not np.isfinite(fails.flat[j]) or (cur.sum() - fails.flat[j]) / self.qtot <= IMPROVE_TOL:
            return False
        r, a = divmod(j, fails.shape[1])
        k = self.k.copy()
        np.subtract.at(k, rmem[r][rmem[r] >= 0], 1)
        np.add.at(k, amem[a][amem[a] >= 0], 1)
        self.set(k)
        return True

    def fail_sums(self, K: np.ndarray) -> np.ndarray:
        """sum_r w_r prod_s T[r, s, K_bs] for many allocations K (B, S), in chunks."""
        out = np.empty(len(K))
        step = max(1, int(2e6 // max(1, len(self.w) * self.s)))
        for i in range(0, len(K), step):
            idx = self.off[None, :] + np.minimum(K[i : i + step], self.kmax[None, :])
            out[i : i + step] = np.exp(self.LT[idx].sum(axis=1)) @ self.w
        return out

    def best_rows(self, rows: np.ndarray, n: int) -> np.ndarray:
        """The ``n`` distinct allocations among ``rows`` with the least fail sum, ties in lexicographic order:
        ``u = np.unique(rows, axis=0); u[np.argsort(self.fail_sums(u), kind="stable")[:n]]``, with the
        lexicographic sort (slow on wide logs: hundreds of configurations) run only on the rows that can be
        among the ``n`` (distinct rows are told apart first by a random 64-bit hash)."""
        _, first = np.unique(rows.astype(np.uint64) @ self.hs, return_index=True)
        u = rows[np.sort(first)]
        f = self.fail_sums(u)
        if len(u) > n:  # the rows below the n-th fail sum, and the lexicographically first of those at it
            cut = np.partition(f, n - 1)[n - 1]
            less, tie = np.flatnonzero(f < cut), np.flatnonzero(f == cut)
            keep = np.concatenate([less, tie[lex_smallest(u[tie], n - less.size)]])
            u, f = u[keep], f[keep]
        u, idx = np.unique(u, axis=0, return_index=True)
        return u[np.argsort(f[idx], kind="stable")[:n]]

    def beam_step(self, beam: np.ndarray, budget: float) -> np.ndarray:
        """The beam of ``budget`` from the previous one (module docstring, 1), best first."""
        pool, front = ([] if self.unit else [beam]), beam
        for _ in range(int(np.ceil(1.0 / self.costs.min())) + 1):
            left = budget - front @ self.costs + COST_EPS
            ok = (self.costs[None, :] <= left[:, None]) & (front < self.kmax[None, :])
            i, j = np.nonzero(ok)
            if i.size == 0:
                break
            ext = front[i].copy()
            ext[np.arange(i.size), j] += 1
            if self.unit:
                return self.best_rows(ext, BEAM)
            front = self.best_rows(ext, BEAM)
            pool.append(ext)
        if not pool:
            return beam
        return self.best_rows(np.concatenate(pool), BEAM)

    def improve(self, budget: float, *, max_moves: int = 100_000) -> None:
        for _ in range(max_moves):
            if self.fill(budget):
                continue
            if not self.exchange(budget):
                return


def optimize_tabled(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *, prior: PriorLike,
                    costs: np.ndarray | None = None) -> list[TabledResult]:
    """Best allocations of the exact training objective with Beta-binomial terms beyond n (module docstring) for
    every budget in ``budgets``, in their order. ``n``, ``c``: (Q, S) training counts (complete, n >= 1);
    ``prior``: the configurations' Beta(a, b) (``extrapolation.priors(matrix)`` or a callable); ``costs``:
    per-sample costs (default 1: the budget counts samples and sum_s k_s = C)."""
    n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
    if n.ndim != 2 or n.shape != c.shape or n.size == 0 or (n < 1).any():
        raise ValueError("optimize_tabled needs complete (Q, S) training counts with n >= 1")
    want = [int(b) for b in budgets]
    if not want or min(want) < 1:
        raise ValueError("budgets must be positive integers")
    q, s = n.shape
    cost = np.ones(s) if costs is None else np.asarray(costs, float)
    kmax = max_samples(want, cost)
    check_cells(q, kmax)
    pr = resolve(prior)
    rows, inv, w = np.unique(np.concatenate([n, c], axis=1), axis=0, return_inverse=True, return_counts=True)
    nr, cr = rows[:, :s], rows[:, s:]
    cells = float(s) * (float(kmax.max()) + 1.0) * len(w)
    LT = (log_tables if cells <= LAZY_CELLS else LazyLogTables)(nr, cr, int(kmax.max()), pr, floor=LOG_FLOOR)
    search = _Search(LT, kmax, w.astype(float), q, cost)
    wanted, found = set(want), {}
    with np.errstate(under="ignore"):
        if search.unit:  # the beam on table look-ups (osca_core.optimize.tabled_beam)
            small = search.s * len(w) <= SMALL_CELLS
            ks = sweep_unit(search, max(want), n.min(axis=0) + 1, improve_starts=STARTS if small else 1)
            found = {b: ks[b - 1].copy() for b in wanted}
        else:
            beam = np.zeros((1, s), dtype=np.int64)
            for b in range(1, max(want) + 1):
                beam = search.beam_step(beam, float(b))
                better = []
                for start in beam[:STARTS]:
                    search.set(start)
                    search.improve(float(b))
                    better.append(search.k.copy())
                beam = search.best_rows(np.vstack([*better, beam]), BEAM)
                if b in wanted:
                    found[b] = beam[0].copy()
        for b in sorted(x for x in wanted if x <= PURE_START_MAX):
            found[b] = _best_start(search, found[b], float(b), n, c, cost, pr,
                                   always=not search.unit or search.s * len(w) <= SMALL_CELLS)
    out = {b: TabledResult(b, tuple(int(x) for x in k), train_pass(n, c, k, pr)) for b, k in found.items()}
    return [out[b] for b in want]


def _best_start(search: _Search, k: np.ndarray, budget: float, n, c, cost, pr, *, always: bool = True
                ) -> np.ndarray:
    """The better of ``k`` and the local search from the best single-configuration allocation at ``budget``
    (by the merged tables' fail sum); with ``always=False`` (large unit-cost logs) the local search runs only when
    that pure allocation beats ``k`` outright (the walk from a pure allocation costs O(C) moves)."""
    ks = np.minimum(np.floor(budget / cost + COST_EPS).astype(np.int64), search.kmax)
    if not (ks > 0).any():
        return k
    fails = np.where(ks > 0, search.pure_fails(ks), np.inf)
    pure = np.zeros(search.s, dtype=np.int64)
    j = int(np.argmin(fails))
    pure[j] = ks[j]
    if not always:
        search.set(k)
        if fails[j] >= search.fail_sum():
            return k
    search.set(pure)
    search.improve(budget)
    if train_pass(n, c, search.k, pr) > train_pass(n, c, k, pr) + IMPROVE_TOL:
        return search.k.copy()
    return k
