"""The compute-savings headline, worded from :func:`osca_core.analysis.experiments.savings`: baseline = best pure chosen
on *training* data at the largest budget B, target = its test pass@B, budget needed = smallest C at which OSCA's
test pass@C reaches it, ratio = B / C."""

from __future__ import annotations


def savings_headline(s, *, n_logged: int | None = None) -> tuple[str, str]:
    """The page's headline from :class:`osca_core.analysis.experiments.Savings`, as (headline, detail), e.g.
    ("OSCA reaches best pure's accuracy at C = 5: 3.2x less compute",
    "best pure: gpt4o_0.8 at C = 16, test pass 0.370"). With several splits the per-split interval of the ratio is
    added to the detail; when OSCA never reaches the target within the budgets, the headline says so.
    ``n_logged``: the smallest number of logged samples per cell; a baseline budget beyond it is flagged as
    extrapolated (k > n)."""
    detail = f"best pure: {s.baseline} at C = {s.baseline_budget}, test pass {s.target_pass:.3f}"
    if n_logged is not None and s.baseline_budget > n_logged:
        detail += f"; extrapolated beyond the n = {n_logged} logged samples (k > n)"
    if s.budget_needed is None or s.ratio is None:
        return f"OSCA does not reach best pure's accuracy within C <= {s.baseline_budget}", detail
    lo, hi = getattr(s, "ratio_ci_low", None), getattr(s, "ratio_ci_high", None)
    if lo is not None and hi is not None:
        detail += f"; 95% interval of the ratio over splits {lo:.1f}x to {hi:.1f}x"
    return f"OSCA reaches best pure's accuracy at C = {s.budget_needed}: {s.ratio:.1f}x less compute", detail
