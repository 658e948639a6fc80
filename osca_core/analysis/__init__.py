"""Analyses over the strategy registry: experiments on random splits, the paper's studies, bootstrap
intervals over questions and the paired difference OSCA - best pure (savings with intervals).
"""

from osca_core._face import lazy_face

# submodule -> the public names it defines (each imported on first use)
__all__, __getattr__, __dir__ = lazy_face(__name__, {
    "experiments": "run_curves CurveSet savings",
    "savings_result": "Savings",
    "study": "study_summary Study",
    "bootstrap": "strategy_values BootstrapResult DEFAULT_LEVEL",
    "difference": "Difference",
    "paired": "bootstrap_curves bootstrap_savings",
    "pure_curves": "PureCurves all_pure_curves",
    "ranges": "curve_ranges allocation_range gap_ranges",
    "headline": "Headline Reading decide read measured_budget",
    "where_next": "next_samples NextSamples design_sd",
})
