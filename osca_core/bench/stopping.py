"""``osca bench schedule``: the speed of ordering plans for early stopping (issue 14), measured, never asserted.

On the release logs (``settings.release_folder()``): the best order (``earlystop.best_order``, exact lattice
shortest path) of the BigCodeBench C = 300 OSCA plan, and ``osca-stop`` over expected-cost budgets 1..64 on
BigCodeBench (and 1..16 on SWE-bench). Times are medians of ``runs`` repeated runs with the data already loaded
and the OSCA plan already optimized (the order alone is timed for the first number).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from osca_core.bench.timing import median_time
from osca_core.model.outcomes import load_release
from osca_core.settings import release_folder
from osca_core.strategies import allocators as st
from osca_core.strategies.stopping_cost import best_order, expected_cost_train, nominal_order
from osca_core.strategies.stopping_plans import osca_stop


@dataclass(frozen=True)
class ScheduleBench:
    """Timings (seconds) and what was ordered: the BCB C = 300 plan's lattice size, exactness and costs."""

    bcb_order_budget: int
    bcb_order_states: int
    bcb_order_exact: bool
    bcb_order_seconds: float
    bcb_order_expected_cost_train: float
    bcb_nominal_expected_cost_train: float
    bcb_order_lower_bound: float
    bcb_stop_budgets: int
    bcb_stop_seconds: float
    swe_stop_budgets: int
    swe_stop_seconds: float
    runs: int

    def as_dict(self) -> dict:
        d = asdict(self)
        d["goal"] = "reported, never asserted: best order of the BCB C=300 plan and osca-stop over 1..64 in seconds"
        return d

    def text(self) -> str:
        """The benchmark's report for the terminal (``osca bench schedule``)."""
        return (f"best order of the BigCodeBench C = {self.bcb_order_budget} OSCA plan: {self.bcb_order_seconds:.3f} s "
                f"({self.bcb_order_states} lattice states, exact: {self.bcb_order_exact}); expected training cost "
                f"{self.bcb_order_expected_cost_train:.3f} vs {self.bcb_nominal_expected_cost_train:.3f} in nominal "
                f"order (lower bound {self.bcb_order_lower_bound:.3f})\n"
                f"osca-stop over budgets 1..{self.bcb_stop_budgets} on BigCodeBench: {self.bcb_stop_seconds:.3f} s; "
                f"1..{self.swe_stop_budgets} on SWE-bench: {self.swe_stop_seconds:.3f} s (medians of {self.runs} runs)")


def run_schedule_bench(*, folder: Path | None = None, runs: int = 3, order_budget: int = 300,
                       stop_max: int = 64) -> ScheduleBench:
    """Measure the three timings of the module docstring."""
    folder = folder or release_folder()
    bcb = load_release(folder / "bcb_results.json")
    swe = load_release(folder / "swebench_agentless.json")
    plan = st.osca(bcb, [order_budget])[0]
    p = bcb.train_rates()
    t_order, r = median_time(lambda: best_order(p, plan.counts, bcb.costs), runs)
    t_bcb, _ = median_time(lambda: osca_stop(bcb, list(range(1, stop_max + 1))), runs)
    t_swe, _ = median_time(lambda: osca_stop(swe, list(range(1, 17))), runs)
    return ScheduleBench(order_budget, r.states, r.exact, t_order, r.expected_cost,
                         expected_cost_train(p, nominal_order(plan.counts)), r.lower_bound, stop_max, t_bcb, 16, t_swe,
                         runs)
