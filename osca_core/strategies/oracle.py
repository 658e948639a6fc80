"""The test-set oracle: for each test question, the best allocation of its C samples knowing its own test counts.

For question q with test counts (n_qs, c_qs) and f_qs(k) = C(n - c, k) / C(n, k) (the unbiased all-fail
probability; beyond n the Beta-binomial predictive under the configuration's prior fitted on *training*
questions, ``extrapolation.priors(matrix)``, or the legacy plug-in without a prior; flagged ``extrapolated``), the
oracle allocation solves

    max_k  1 - prod_s f_qs(k_s)   s.t.  sum_s k_s = C,  k_s >= 0 integers,

exactly, by dynamic programming over configurations: D_0(m) = f_q0(m), D_s(m) = min_{0 <= k <= m}
D_{s-1}(m - k) f_qs(k), and the oracle's pass is 1 - D_{S-1}(C) (O(S C^2) per question, vectorized over
questions; one sweep gives every budget up to max C). The oracle pass@C is the mean over test questions.

It uses the test outcomes it is scored on, so it is the ceiling of any question-adaptive policy over these
configurations (Damani et al. 2024 allocate per question; Snell et al. 2024 per difficulty bin): a reference
drawn dashed and labelled "test-set oracle", never a baseline for savings. Under early stopping
(``oracle_expected_costs``) each question samples its oracle allocation in its own best order; the allocation
maximizes pass only (among pass-tied allocations the DP keeps the first found), so that cost is not a minimum. ``oracle_bruteforce`` enumerates all
allocations of C for one question (the tests' twin).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

import numpy as np

from osca_core.model.budgets import check_budgets
from osca_core.model.extrapolation import PriorLike, columns, eval_fail, lazy_prior, resolve
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Curve
from osca_core.strategies.stopping_cost import best_order_test

ORACLE = "oracle"
ORACLE_LABEL = "test-set oracle (per-question best allocation; a ceiling, not a baseline)"


@dataclass(frozen=True, eq=False)
class OracleResult:
    """Oracle pass@C per budget over test questions; ``counts[b]`` is the (Q_test, S) per-question allocation at
    budgets[b]; ``extrapolated[b]`` when some chosen k_qs exceeds n_qs (plug-in term)."""

    budgets: tuple[int, ...]
    values: tuple[float, ...]
    extrapolated: tuple[bool, ...]
    counts: tuple[np.ndarray, ...]

    def curve(self) -> Curve:
        return Curve(ORACLE, self.budgets, self.values, self.extrapolated)


def oracle_counts(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *, prior: PriorLike = None
                  ) -> OracleResult:
    """Exact per-question best allocations (module docstring) for every budget in ``budgets``; ``prior`` for the
    terms beyond n."""
    budgets = check_budgets(budgets)
    n, c = np.asarray(n), np.asarray(c)
    q, s = n.shape
    cmax = max(budgets)
    ks = np.arange(cmax + 1, dtype=float)
    f = np.empty((s, q, cmax + 1))
    pr = resolve(prior) if cmax > n.min() else None
    for j in range(s):
        f[j], _ = eval_fail(n[:, j : j + 1], c[:, j : j + 1], ks[None, :], columns(pr, slice(j, j + 1)))
    D = f[0].copy()  # (Q, cmax + 1)
    arg = np.zeros((s, q, cmax + 1), dtype=np.int32)  # samples given to configuration j at m samples left
    arg[0] = np.arange(cmax + 1)[None, :]
    for j in range(1, s):
        new = np.empty_like(D)
        for m in range(cmax + 1):
            cand = D[:, m::-1] * f[j][:, : m + 1]  # k = 0 .. m to configuration j
            a = np.argmin(cand, axis=1)
            arg[j, :, m] = a
            new[:, m] = cand[np.arange(q), a]
        D = new
    values, extra, counts = [], [], []
    rows = np.arange(q)
    for b in budgets:
        k = np.zeros((q, s), dtype=np.int64)
        left = np.full(q, b)
        for j in range(s - 1, -1, -1):
            k[:, j] = arg[j, rows, left]
            left = left - k[:, j]
        counts.append(k)
        values.append(float(np.mean(1.0 - D[:, b])))
        extra.append(bool((k > n).any()))
    return OracleResult(tuple(budgets), tuple(values), tuple(extra), tuple(counts))


def oracle(matrix: OutcomeMatrix, budgets: Sequence[int]) -> OracleResult:
    """The test-set oracle on ``matrix``'s test questions (module docstring)."""
    return oracle_counts(*matrix.test_counts(), budgets, prior=lazy_prior(matrix))


def oracle_expected_costs(n: np.ndarray, c: np.ndarray, result: OracleResult, costs=None, *,
                          max_states: int = 20_000, prior: PriorLike = None
                          ) -> tuple[tuple[float, ...], tuple[bool, ...]]:
    """The oracle under early stopping: per test question, its oracle allocation in the order minimizing that
    question's own test expected cost (``earlystop.best_order_test``: it knows the counts, as the oracle does);
    mean over questions per budget, and whether every question's order was exact (lattice within
    ``max_states``). Identical (n, c, allocation) rows are solved once."""
    n, c = np.asarray(n), np.asarray(c)
    pr = resolve(prior) if any((k > n).any() for k in result.counts) else None
    values, exact = [], []
    cache: dict[bytes, tuple[float, bool]] = {}
    for k in result.counts:
        tot, ok = 0.0, True
        for q in range(n.shape[0]):
            key = np.concatenate([n[q], c[q], k[q]]).tobytes()
            if key not in cache:
                r = best_order_test(n[q : q + 1], c[q : q + 1], k[q], costs, max_states=max_states, prior=pr)
                cache[key] = (r.expected_cost, r.exact)
            e, x = cache[key]
            tot += e
            ok = ok and x
        values.append(tot / n.shape[0])
        exact.append(ok)
    return tuple(values), tuple(exact)


def oracle_expectation(n: np.ndarray, c: np.ndarray, budgets: Sequence[int], *, prior: PriorLike = None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(values, extrapolated) per budget for test counts (n, c): the registry's ``expectation`` form."""
    r = oracle_counts(n, c, budgets, prior=prior)
    return np.array(r.values), np.array(r.extrapolated)


def oracle_bruteforce(n: Sequence[int], c: Sequence[int], budget: int, *, prior: PriorLike = None
                      ) -> tuple[float, tuple[int, ...]]:
    """Reference for one question: the best 1 - prod_s f_s(k_s) over every allocation with sum k = budget."""
    n, c = np.asarray(n), np.asarray(c)
    pr = resolve(prior)
    best, arg = -1.0, ()
    for k in product(range(budget + 1), repeat=len(n)):
        if sum(k) != budget:
            continue
        f, _ = eval_fail(n, c, np.array(k), pr)
        v = 1.0 - float(np.prod(f))
        if v > best + 1e-15:
            best, arg = v, k
    return best, arg
