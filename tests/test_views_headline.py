"""The compute-savings headline (osca_core.present.views.headline) against the paper's SWE-bench curve (SOURCE.md)."""

from __future__ import annotations

import pytest

from osca_core.analysis import experiments
from osca_core.analysis.headline import decide
from osca_core.analysis.savings_result import Savings
from osca_core.model.splits import Setting
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
    assert head == decide(s, points="all").text  # the one headline rule's words
    assert f"at C = {needed}: {16 / needed:.2f}x less compute (no interval on one split" in head
    assert detail == f"baseline: best pure at C = 16 chosen on training data ({swe.config_names[j]}, test pass {target:.4f})"


def test_savings_headline_flags_extrapolation_and_failure():
    b = tuple(range(1, 33))  # OSCA never reaches best pure's C = 32 accuracy
    s = Savings(dataset="t", baseline="a_1.0", baseline_budget=32, target_pass=0.5, budget_needed=None, ratio=None,
                setting=Setting(), budgets=b, osca_pass=(0.1,) * 31 + (0.4,), best_pure_pass=(0.1,) * 31 + (0.5,),
                baseline_counts={"a_1.0": 1}, split_targets=(0.5,), split_budget_needed=(None,),
                split_ratios=(None,), ratio_ci_low=None, ratio_ci_high=None, gap=(0.0,) * 31 + (-0.1,),
                gap_ci_low=None, gap_ci_high=None)
    head, detail = headline.savings_headline(s, n_logged=16)
    assert head == "No saving: OSCA does not reach best pure's C = 32 accuracy (0.5000) within C <= 32"
    assert "extrapolated beyond the n = 16 logged samples" in detail
