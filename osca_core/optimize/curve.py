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
3. an upper bound at every reported budget (``osca_core.model.objective.upper_bounds``: concave relaxation and
   submodularity); ``certified`` when it is within 1e-6 of F; ``certify=True`` closes the remaining gaps with
   a proof (``osca_core.optimize.certify.certify_budgets``: one branch and bound over the concave relaxation for all
   open budgets at once; the MILP outer approximation ``certify_budget`` for any budget it leaves open).

Steps 1-2 live in ``osca_core.optimize.beam`` (``BeamSearch``); with unit costs on small inputs the beam runs ahead over
blocks of budgets in the compiled kernel of ``osca_core.optimize.beamstep`` (bit for bit its numpy twin) and one batched
check (``osca_core.optimize.exchange.exchange_free``) clears the budgets where no exchange
can help, with the same results as budget by budget. float32 rates take the low-memory path of
``osca_core.optimize.lowmem`` (10^5 questions x 10^3 configurations: float32 search, float64 objectives and bounds).

The beam makes the sweep exact in practice on small instances (tests compare with ``exhaustive``, the brute-force
twin); it is a heuristic, and only ``certify`` proves optimality.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.model.objective import (  # noqa: F401  (allocations, exhaustive, MAX_SAMPLES: re-exported)
    CERTIFY_TOL,
    MAX_SAMPLES,
    allocations,
    build_model,
    check_work,
    exhaustive,
    upper_bounds,
)
from osca_core.optimize import lowmem
from osca_core.optimize.beam import BeamSearch, SearchOptions
from osca_core.optimize.certify import close_gaps


@dataclass(frozen=True)
class OptimizeResult:
    """An allocation for one budget: counts per configuration, its objective F(k), an upper bound on the best
    F any allocation within the budget reaches, and whether that bound proves optimality (within 1e-6)."""

    budget: int
    counts: tuple[int, ...]
    objective: float
    upper_bound: float | None
    certified: bool




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
    :func:`check_work` (``MAX_SAMPLES``). Results follow the order of ``budgets``. float32 ``p`` with the
    default options (unit costs, no certify): the low-memory path of :mod:`osca_core.optimize.lowmem` for very large
    inputs (float32 search, float64 objectives and bounds for those rates).
    """
    want = sorted({int(b) for b in budgets})
    if not want or want[0] < 1:
        raise ValueError("budgets must be positive integers")
    if getattr(p, "dtype", None) == np.float32 and costs is None and not certify and beam is None \
            and max_move == 2:
        return _compact_curve(p, want, budgets)
    m = build_model(p, costs)
    check_work(want, m.costs)
    with np.errstate(under="ignore"):  # exp of very negative y is meant to give 0 (p = 1, solved questions)
        search = BeamSearch(m, SearchOptions(beam=beam, max_move=max_move))
        ks = search.sweep(want[-1])[np.array(want) - 1]
        objs = m.objectives(ks)
        ubs = np.maximum(upper_bounds(m, want, ks, iterations=bound_iterations), objs)
    if certify:
        ks, objs, ubs = close_gaps(m, want, ks, objs, ubs, time_limit=certify_time_limit, progress=progress)
    out = {b: OptimizeResult(b, tuple(k), f, u, u - f <= CERTIFY_TOL)
           for b, k, f, u in zip(want, np.asarray(ks).tolist(), np.asarray(objs, float).tolist(),
                                         np.asarray(ubs, float).tolist(), strict=True)}
    return [out[int(b)] for b in budgets]


def _compact_curve(p: np.ndarray, want: list[int], budgets: Sequence[int]) -> list[OptimizeResult]:
    """float32 rates, unit costs: the low-memory path of ``osca_core.optimize.lowmem`` (float32 search, float64 results)."""
    if p.ndim != 2 or 0 in p.shape:
        raise ValueError("p must be a non-empty (questions, configurations) array")
    check_work(want, None)
    with np.errstate(under="ignore"):
        ks = lowmem.compact_sweep(*lowmem.transposed_rows(p), want[-1])[np.array(want) - 1]
    objs = lowmem.objectives(p, ks)
    ubs = np.maximum(lowmem.upper_bounds(p, want, ks), objs)
    out = {b: OptimizeResult(b, tuple(k), f, u, u - f <= CERTIFY_TOL)
           for b, k, f, u in zip(want, ks.tolist(), objs.tolist(), ubs.tolist(), strict=True)}
    return [out[int(b)] for b in budgets]
