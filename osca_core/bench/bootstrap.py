"""Benchmark of the bootstrap (issue 13's goal: B = 2000 on the full BigCodeBench curve well under a second).

On the BigCodeBench release log (``settings.release_folder()/bcb_results.json``), budgets 1..291, strategies
best-pure, uniform, osca and the 10 pure configurations (13 x 291 = 3783 points, 78 test questions):

- ``fit_seconds``: fitting every strategy on the training questions and its per-question test values, once
  (``bootstrap.strategy_values``; the work ``osca curves`` does anyway);
- ``bootstrap_seconds``: median over ``runs`` of the bootstrap step (``paired.bootstrap_values``: seeded (B, Q)
  indices, ``np.bincount`` counts, W @ V, percentile intervals of every point and the paired differences);
- ``loop_seconds``: the loop-based twin (``bootstrap.bootstrap_means_loop``) once, for comparison.

Times are wall-clock (``time.perf_counter``) with the data loaded; never asserted in tests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from osca_core.analysis import bootstrap as bs
from osca_core.analysis import paired
from osca_core.bench.timing import repeat_times, timed
from osca_core.model.outcomes import load_release
from osca_core.settings import release_folder

BCB_FILE = "bcb_results.json"
CURVE_MAX = 291


@dataclass(frozen=True)
class BootstrapBench:
    dataset: str
    questions: int
    strategies: int
    budgets: int
    points: int
    n_resamples: int
    runs: int
    fit_seconds: float
    bootstrap_seconds: float
    bootstrap_seconds_min: float
    bootstrap_seconds_max: float
    loop_seconds: float | None

    def as_dict(self) -> dict:
        return asdict(self) | {"goal": "bootstrap_seconds well under 1 s for B = 2000 on the full curve"}

    def text(self) -> str:
        """The benchmark's report for the terminal (``osca bench bootstrap``)."""
        loop = "" if self.loop_seconds is None else f"; loop twin {self.loop_seconds:.3f} s"
        return (f"{self.dataset}: {self.strategies} strategies x {self.budgets} budgets = {self.points} points, "
                f"{self.questions} test questions, B = {self.n_resamples}\n"
                f"fit + per-question values once: {self.fit_seconds:.3f} s; bootstrap step: median "
                f"{self.bootstrap_seconds:.4f} s (min {self.bootstrap_seconds_min:.4f}, max "
                f"{self.bootstrap_seconds_max:.4f}, {self.runs} runs){loop}\n"
                "goal: the bootstrap step well under 1 s for B = 2000 on the full curve (reported, never asserted)")


def bench_bootstrap(path: str | Path | None = None, *, n_resamples: int = 2000, runs: int = 5, seed: int = 0,
                    curve_max: int = CURVE_MAX, loop: bool = True) -> BootstrapBench:
    """Time the bootstrap of the full BigCodeBench curve (module docstring); ``path`` defaults to the release
    folder's ``bcb_results.json``."""
    if runs < 1:
        raise ValueError("bench_bootstrap: runs must be >= 1")
    m = load_release(Path(path) if path is not None else release_folder() / BCB_FILE)
    names = ["best-pure", "uniform", "osca"] + [f"pure:{x}" for x in m.config_names]
    budgets = list(range(1, curve_max + 1))
    fit, values = timed(lambda: bs.strategy_values(m, names, budgets, seed=seed))
    times, _ = repeat_times(lambda: paired.bootstrap_values(values, n_resamples=n_resamples, seed=seed,
                                                            in_sample=m.in_sample), runs)
    loop_s = None
    if loop:
        loop_s, _ = timed(lambda: bs.bootstrap_means_loop(values.values, n_resamples=n_resamples, seed=seed))
    times.sort()
    return BootstrapBench(m.name, len(values.question_ids), len(names), len(budgets), len(names) * len(budgets),
                          n_resamples, runs, fit, times[len(times) // 2], times[0], times[-1], loop_s)
