"""Former home of ``osca bench optimizer``; now :mod:`osca_core.bench.optimizer` (thin alias until the CLI
imports the new module)."""

from osca_core.bench.optimizer import (  # noqa: F401
    BCB_BUDGETS,
    bench_dataset,
    bench_optimizer,
    bench_scale,
    run_optimizer_bench,
    scale_child,
)

# the old text output's goal lines (the new result states its goals as ratios: bench.optimizer.GOALS)
GOALS = {"bcb_curve_seconds": 0.010, "bcb_certify_seconds": 4.0, "scale_seconds": 10.0}
