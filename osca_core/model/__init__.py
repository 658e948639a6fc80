"""The outcome model: a generation log as a validated matrix of (n, c) counts, the pass@k estimators, the
training objective, the beyond-n extrapolation (Beta-binomial), missing cells, smoothing, splits and the result
types every strategy returns.

The bottom of the science: imports only the flat modules of ``osca_core`` (errors, settings, limits).
"""

from osca_core._face import lazy_face

# submodule -> the public names it defines (each imported on first use)
__all__, __getattr__, __dir__ = lazy_face(__name__, {
    "outcomes": "OutcomeMatrix ConfigInfo load_release parse_config_name parse_json",
    "estimators": "pass_at_k fail_probability plugin_objective",
    "results": "Allocation Curve Solution score allocation_text",
    "budgets": "Budgets check_budgets",
    "objective": "Model build_model exhaustive upper_bounds",
    "extrapolation": "priors lazy_prior largest_measured_n",
    "fail_tables": "log_tables",
    "spread": "PLAUSIBLE_KAPPA kappa_bounds range_priors value_range",
    "missing": "MissingReport apply_missing",
    "smoothing": "posterior_rates",
    "splits": "Setting Trial trials",
    "per_question": "question_values",
    "intervals": "Interval percentile_interval",
    "axes": "ConfigAxes config_axes",
    "selection": "Selection select",
})
