"""``osca bench uniform``: the exact expectation of the ``uniform`` strategy at large budgets (issue 18).

For each budget C asked, times :func:`osca_core.strategies.uniform.uniform_expected` on one matrix's test counts (one budget
at a time, median of ``runs``) and reports which exact method answered (dense dynamic program, windowed dynamic
program or closed form; see :mod:`osca_core.strategies.uniform`), the tail bound that licenses the closed form, and the value.
When the dense program is affordable (C <= ``check_dense_max``) the value is checked against it (``max_abs_diff``).

Goal: ``osca curves --budgets N --strategies uniform`` near-linear in N: before, O(S C^2 Q) (1.6 s at N = 1000,
more than 120 s at N = 10^5 on the release logs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import partial

from osca_core.bench.timing import median_time
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.strategies import uniform as U

DEFAULT_BUDGETS = (64, 256, 1000, 10_000, 100_000)


@dataclass(frozen=True)
class UniformPoint:
    budget: int
    method: str  # dense | windowed | closed
    seconds: float
    value: float
    tail_bound: float
    max_abs_diff: float | None  # against the dense program, when it was run


@dataclass(frozen=True)
class UniformBench:
    dataset: str
    questions: int
    configs: int
    runs: int
    points: tuple[UniformPoint, ...]

    def as_dict(self) -> dict:
        return asdict(self)


def method_for(n, budget: int) -> str:
    """Which exact evaluation :func:`osca_core.strategies.uniform.uniform_fail` uses at ``budget``."""
    if budget <= U.DENSE_MAX:
        return "dense"
    return "closed" if U.tail_bound(n, budget) <= U.TAIL_TOL else "windowed"


def bench_uniform(matrix: OutcomeMatrix, budgets: Sequence[int] = DEFAULT_BUDGETS, *, runs: int = 3,
                  check_dense_max: int = 1000) -> UniformBench:
    """Time the exact uniform expectation at each budget on ``matrix``'s test questions (see module docstring)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    n, c = matrix.test_counts()
    points = []
    for b in budgets:
        b = int(b)
        seconds, (vals, _) = median_time(partial(U.uniform_expected, n, c, [b]), runs)
        value = float(vals[0])
        diff = None
        if b <= check_dense_max:
            ref = 1.0 - U.uniform_fail_dense(n, c, b)[:, b].mean()
            diff = abs(float(ref) - value)
        points.append(UniformPoint(b, method_for(n, b), seconds, value, U.tail_bound(n, b), diff))
    return UniformBench(matrix.name, n.shape[0], n.shape[1], runs, tuple(points))
