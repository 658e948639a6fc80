"""The OSCA training objective in compact form, its tolerances and the small exhaustive enumerations.

Shared by the optimizer (``osca_core.optimize.curve``) and the certificates (``osca_core.optimize.certify``), which both import
this module and never each other.

Problem (the OSCA training objective; Zhang et al. 2024, ``calculate_expected_train``). Training pass rates
p (Q x S, plug-in c/n), an allocation k in Z_{>=0}^S of samples per configuration, costs c_s > 0:

    F(k) = (1/Q) sum_q [1 - prod_s (1 - p_qs)^{k_s}],   maximize F(k)  s.t.  sum_s c_s k_s <= C.

:func:`upper_bounds` gives cheap upper bounds at every budget (concave relaxation, submodularity);
:func:`check_work` bounds the optimizer's work (``MAX_SAMPLES``); :func:`allocations` and :func:`exhaustive` are
the brute-force twin every faster method is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from osca_core.errors import InputError
from osca_core.model.estimators import log_fail_rates, plugin_objective

IMPROVE_TOL = 1e-12  # a move must raise F by more than this (no cycling on rounding noise)
CERTIFY_TOL = 1e-6  # certified when upper_bound - objective <= CERTIFY_TOL (the MILP's feasibility resolution)
COST_EPS = 1e-9  # slack on cost comparisons (sum_s c_s k_s <= C + COST_EPS)
SOLVED_LOG = -800.0  # log(1 - p) for p = 1 inside searches: exp(y) underflows to exactly 0


@dataclass(frozen=True)
class Model:
    """The objective in compact form: distinct rows of p that some configuration solves, with weights w.

    L = log(1 - p) with 0 where p = 1, Z = [p = 1], F1 = 1 - p; F(k) = (1/qtot) sum_r w_r (1 - P_r(k)) with
    P_r(k) = exp(L_r k) [Z_r k = 0].
    """

    w: np.ndarray
    L: np.ndarray
    Z: np.ndarray
    F1: np.ndarray
    qtot: int
    costs: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.L.shape  # type: ignore[return-value]

    @property
    def unit(self) -> bool:
        """True when every configuration costs 1 (the budget counts samples)."""
        return bool((self.costs == 1.0).all())

    def fail(self, k: np.ndarray) -> np.ndarray:
        """P_r(k) = prod_s (1 - p_rs)^k_s for one allocation (S,) or many (B, S)."""
        k = np.asarray(k, float)
        return np.exp(k @ self.L.T) * ((k @ self.Z.T) < 0.5)

    def objective(self, k: np.ndarray) -> np.ndarray:
        """F(k) for one allocation (S,) or many (B, S)."""
        return (self.w.sum() - self.fail(k) @ self.w) / self.qtot

    def objectives(self, ks: np.ndarray, *, chunk_cells: float = 1e6) -> np.ndarray:
        """F(k) for many allocations (B, S), evaluated in chunks of about ``chunk_cells`` (B x rows) cells."""
        ks = np.asarray(ks)
        step = max(1, int(chunk_cells // max(1, self.shape[0])))
        if len(ks) == 0:
            return np.zeros(0)
        return np.concatenate([self.objective(ks[i : i + step]) for i in range(0, len(ks), step)])


def build_model(p: np.ndarray, costs: np.ndarray | None = None) -> Model:
    """Merge identical rows of p (weights), drop rows that are 0 everywhere (they always score 0)."""
    p = np.asarray(p, float)
    if p.ndim != 2 or p.shape[1] == 0 or p.shape[0] == 0:
        raise ValueError("p must be a non-empty (questions, configurations) array")
    if not np.isfinite(p).all() or ((p < 0) | (p > 1)).any():
        raise ValueError("pass rates must lie in [0, 1]")
    qtot, s = p.shape
    c = np.ones(s) if costs is None else np.asarray(costs, float)
    if c.shape != (s,) or not np.isfinite(c).all() or not (c > 0).all():
        raise ValueError("costs must be positive, one per configuration")
    rows = p[p.any(axis=1)]
    if len(rows):
        rows, w = np.unique(rows, axis=0, return_counts=True)
    else:
        rows, w = np.zeros((1, s)), np.zeros(1, dtype=np.int64)
    L, Z = log_fail_rates(rows)
    return Model(w.astype(float), L, Z, 1.0 - rows, qtot, c)


# -- work limits and cheap bounds ------------------------------------------------------------------------------

MAX_SAMPLES = 100_000  # largest budget / smallest cost: samples one allocation may hold (the sweep's length)


def check_work(budgets: Sequence[int], costs: np.ndarray | None) -> None:
    """Refuse requests whose sweep would not end in reasonable time. The sweep runs over C = 1 .. max(budgets)
    and an allocation holds up to max(budgets) / min(costs) samples, each added one at a time, so that ratio
    is capped at ``MAX_SAMPLES`` (10^5, also the CLI's ``--budgets`` limit; measured on BigCodeBench: 2 x 10^4
    unit-cost budgets in 13 s, budget 4 with a cost of 4e-5 in 8 s, both linear in the ratio). Over the limit:
    one :class:`InputError` line naming the limit and the flags (``--budgets``, ``--cost``)."""
    cmin = 1.0 if costs is None else float(np.min(costs))
    most = max(budgets) / cmin
    if most > MAX_SAMPLES:
        what = f"budget {max(budgets)}" if cmin == 1.0 else f"budget {max(budgets)} / smallest cost {cmin:g}"
        raise InputError(f"{what} = {most:.3g} samples in one allocation, above the limit of {MAX_SAMPLES} "
                         "(lower --budgets or raise --cost)")


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


# -- brute-force twin -----------------------------------------------------------------------------------------

def allocations(s: int, budget: int, costs: np.ndarray | None = None) -> np.ndarray:
    """Every allocation of S configurations: all k >= 0 with sum k = C (unit costs, stars and bars), or with
    sum_s c_s k_s <= C (given costs)."""
    if costs is None:
        if s == 1:
            return np.array([[budget]], dtype=np.int64)
        bars = np.array(list(combinations(range(budget + s - 1), s - 1)), dtype=np.int64)
        edges = np.column_stack([np.full(len(bars), -1), bars, np.full(len(bars), budget + s - 1)])
        return np.diff(edges, axis=1) - 1
    c = np.asarray(costs, float)
    grid = np.zeros((1, 0), dtype=np.int64)
    for j in range(s):
        spent = grid @ c[:j]
        parts = [np.column_stack([grid[ok], np.full(int(ok.sum()), v)])
                 for v in range(int(budget / c[j] + COST_EPS) + 1)
                 if (ok := spent + v * c[j] <= budget + COST_EPS).any()]
        grid = np.concatenate(parts).astype(np.int64)
    return grid


def exhaustive(p: np.ndarray, budget: int, *, costs: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """Brute force: the allocation with the largest F (``estimators.plugin_objective``) among ``allocations``
    (the first one on ties) and its F."""
    ks = allocations(np.asarray(p).shape[1], int(budget), costs)
    vals = np.concatenate([plugin_objective(p, ks[i : i + 4096]) for i in range(0, len(ks), 4096)])
    j = int(np.argmax(vals))
    return ks[j], float(vals[j])
