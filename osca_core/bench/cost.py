"""``osca bench cost``: the cost model's estimates (:mod:`osca_core.cost`) against measured times and memory.

On a grid of sizes (questions Q x configurations S x budgets C x splits x resamples) of synthetic logs
(:func:`osca_core.data.synthetic.demo_matrix`), each case runs the real work the command would run (a strategy's
curves over random splits as ``curves`` does, the report's fit and bootstrap, ``osca next``'s greedy picks) and
reports

    ratio = estimate / measured

for the time, and the measured peak resident memory above the case's start (Linux ``VmHWM`` reset per case) beside
the estimated bytes. The limits mean what they say when the ratio stays within about 3x either way, or above 1
(the estimate conservative: a refusal comes early, never late). Cases whose estimate is above ``max_case_seconds``
are skipped (printed as such), so the grid stays a few minutes on 2 cores. Nothing is asserted; the table is in
docs/benchmarks.md and docs/reliability.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from osca_core import cost
from osca_core.bench.child import peak_rss_mb, reset_peak_rss
from osca_core.errors import InputError

# (kind, strategy or label, questions, configs, top budget, splits, resamples[, log]): synthetic logs of Q x S
# (n = max(20, C / 2)), or a release log by name ("bcb": BigCodeBench, 148 x 10, n = 300; its own Q and S)
GRID: tuple[tuple, ...] = (
    ("curves", "osca", 100, 8, 16, 1, 0),
    ("curves", "osca", 200, 12, 64, 1, 0),
    ("curves", "osca", 200, 12, 64, 4, 0),
    ("curves", "osca", 400, 16, 128, 1, 0),
    ("curves", "osca-eb", 200, 12, 64, 1, 0),
    ("curves", "hillclimb", 100, 8, 16, 1, 0),
    ("curves", "hillclimb", 200, 12, 64, 1, 0),
    ("curves", "best-pure", 200, 12, 64, 4, 0),
    ("curves", "best-pure", 1000, 32, 256, 1, 0),
    ("curves", "uniform", 200, 12, 64, 1, 0),
    ("curves", "osca-stop", 100, 8, 16, 1, 0),
    ("curves", "osca-stop", 200, 12, 32, 1, 0),
    ("report", "report", 200, 12, 32, 1, 200),
    ("report", "report", 200, 12, 32, 1, 1000),
    ("next", "next", 200, 12, 16, 1, 200),
    ("next", "next", 400, 16, 32, 1, 2000),
    ("curves", "osca", 148, 10, 300, 1, 0, "bcb"),
    ("curves", "osca", 148, 10, 300, 4, 0, "bcb"),
    ("curves", "osca-stop", 148, 10, 32, 1, 0, "bcb"),
    ("curves", "osca-stop", 148, 10, 64, 1, 0, "bcb"),
    ("curves", "osca-stop", 300, 22, 64, 1, 0, "swebench"),
    ("curves", "hillclimb", 148, 10, 300, 1, 0, "bcb"),
    ("report", "report", 148, 10, 300, 1, 1000, "bcb"),
    ("next", "next", 148, 10, 64, 1, 1000, "bcb"),
)


@dataclass(frozen=True)
class CostCase:
    """One grid point: the estimate, the measured time and peak memory, and their ratios."""

    kind: str
    strategy: str
    log: str
    questions: int
    configs: int
    budget: int
    splits: int
    resamples: int
    estimate_seconds: float
    measured_seconds: float | None  # None: skipped (estimate above the case limit)
    estimate_mb: float
    peak_mb: float | None

    @property
    def ratio(self) -> float | None:
        return None if not self.measured_seconds else self.estimate_seconds / self.measured_seconds

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio}


@dataclass(frozen=True)
class CostBench:
    cases: tuple[CostCase, ...]

    def as_dict(self) -> dict:
        r = [c.ratio for c in self.cases if c.ratio is not None]
        return {"cases": [c.as_dict() for c in self.cases], "min_ratio": min(r, default=None),
                "max_ratio": max(r, default=None)}

    def rows(self) -> list[list[str]]:
        def f(x, fmt):
            return "skipped" if x is None else format(x, fmt)

        return [[c.kind, c.strategy, c.log, str(c.questions), str(c.configs), str(c.budget), str(c.splits),
                 str(c.resamples), f"{c.estimate_seconds:.3g}", f(c.measured_seconds, ".3g"), f(c.ratio, ".2f"),
                 f"{c.estimate_mb:.3g}", f(c.peak_mb, ".0f")] for c in self.cases]


HEADER = ["kind", "strategy", "log", "Q", "S", "C", "splits", "B", "estimate s", "measured s", "ratio", "estimate MB",
          "peak MB"]


def matrix(log: str, q: int, s: int, c: int):
    """The case's log: a release log by name, else a synthetic one of ``q`` x ``s`` (n = max(20, c / 2))."""
    if log == "synthetic":
        from osca_core.data.synthetic import demo_matrix

        return demo_matrix(questions=q, configs=s, samples=max(20, c // 2))
    from osca_core import settings
    from osca_core.data.importers import read_release

    name = {"bcb": "bcb_results.json", "swebench": "swebench_agentless.json"}[log]
    return read_release(settings.release_folder() / name)


def estimate(m, kind: str, strategy: str, q: int, s: int, c: int, splits: int, b: int) -> cost.Estimate:
    """The estimate the command's check computes for this case."""
    budgets = list(range(1, c + 1))
    if kind == "curves":
        return cost.analysis("curves", questions=q, configs=s, budgets=budgets, strategies=[strategy], splits=splits,
                             n=int(m.n.max()))
    if kind == "report":
        from osca_core.present.report_content import report_strategies

        names = report_strategies(m, None) + ["osca", "best-pure"]  # as cli/report.py: and the savings curves
        return cost.analysis("report", questions=q, configs=s, budgets=budgets, strategies=names, resamples=b,
                             n=int(m.n.max()))
    return cost.next_samples("next", questions=q, configs=s, budget=c, samples=b, leading=3)


def work(m, kind: str, strategy: str, q: int, s: int, c: int, splits: int, b: int) -> Callable[[], object]:
    """The work the command runs for this case."""
    budgets = list(range(1, c + 1))
    if kind == "curves":
        from osca_core.analysis import experiments as ex

        return lambda: ex.run_curves(m, [strategy], budgets, ex.Setting(0.5, splits, 0))
    if kind == "report":
        from osca_core.present import report_content as rc

        return lambda: rc.compute(m, budgets, n_resamples=b, seed=0)
    from osca_core.analysis.where_next import next_samples

    return lambda: next_samples(m, b, budget=c, seed=0)


def bench_cost(*, max_case_seconds: float = 60.0, grid=GRID, say: Callable[[str], None] | None = None) -> CostBench:
    out = []
    for case in grid:
        case, log = tuple(case[:7]), (case[7] if len(case) > 7 else "synthetic")
        try:
            m = matrix(log, *case[2:5])
        except (OSError, InputError):
            continue  # the release logs are not here (OSCA_RELEASE_MIRROR)
        case = (case[0], case[1], int(m.shape[0]), int(m.shape[1]), *case[4:])
        est = estimate(m, *case)
        measured = peak = None
        if est.seconds <= max_case_seconds:
            fn = work(m, *case)
            base = reset_peak_rss()
            t0 = time.perf_counter()
            fn()
            measured = time.perf_counter() - t0
            top = peak_rss_mb()
            peak = None if base is None or top is None else max(top - base, 0.0)
        out.append(CostCase(case[0], case[1], log, *case[2:], estimate_seconds=est.seconds, measured_seconds=measured,
                            estimate_mb=est.bytes / 1e6, peak_mb=peak))
        if say is not None:
            say(f"{case[0]} {case[1]} Q={case[2]} S={case[3]} C={case[4]}: estimate {est.seconds:.3g} s, "
                f"measured {'skipped' if measured is None else format(measured, '.3g')} s")
    return CostBench(tuple(out))
