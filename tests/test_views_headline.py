"""The compute-savings headline (osca_core.present.views.headline) against the paper's SWE-bench curve (SOURCE.md)."""

from __future__ import annotations

import pytest

from osca_core.analysis import experiments
from osca_core.present.views import headline
from osca_core.strategies import allocators


def test_savings_headline_on_swebench_matches_the_paper_curve(swe, golden):
    s = experiments.savings(swe, list(range(1, 17)))
    bp = allocators.best_pure(swe, [16])[0]
    target = bp.test_pass
    # best pure at C = n = 16 solves a question iff one of its 16 samples is correct
    j = bp.counts.index(16)
    assert target == pytest.approx(float((swe.c[:, j] > 0).mean()), abs=1e-12)
    needed = min(c for c, v in golden.swe_osca.items() if v >= target - 5e-6)
    head, detail = headline.savings_headline(s, n_logged=16)
    assert head == f"OSCA reaches best pure's accuracy at C = {needed}: {16 / needed:.1f}x less compute"
    assert detail == f"best pure: {swe.config_names[j]} at C = 16, test pass {target:.3f}"


def test_savings_headline_flags_extrapolation_and_failure():
    class S:  # duck-typed experiments.Savings
        baseline, baseline_budget, target_pass, budget_needed, ratio = "a_1.0", 32, 0.5, None, None

    head, detail = headline.savings_headline(S(), n_logged=16)
    assert head == "OSCA does not reach best pure's accuracy within C <= 32"
    assert "extrapolated beyond the n = 16 logged samples" in detail
