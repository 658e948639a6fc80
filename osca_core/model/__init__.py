"""The outcome model: a generation log as a validated matrix of (n, c) counts, the pass@k estimators, the
training objective, the beyond-n extrapolation (Beta-binomial), missing cells, smoothing, splits and the result
types every strategy returns.

The bottom of the science: imports only the flat modules of ``osca_core`` (errors, settings, limits).
"""

from osca_core._face import lazy_face

# public name -> the module that defines it (imported on first use)
_EXPORTS = {
    "OutcomeMatrix": "outcomes",
    "ConfigInfo": "outcomes",
    "load_release": "outcomes",
    "parse_config_name": "outcomes",
    "parse_json": "outcomes",
    "pass_at_k": "estimators",
    "fail_probability": "estimators",
    "plugin_objective": "estimators",
    "Allocation": "results",
    "Curve": "results",
    "Solution": "results",
    "Budgets": "budgets",
    "check_budgets": "budgets",
    "score": "results",
    "allocation_text": "results",
    "Model": "objective",
    "build_model": "objective",
    "exhaustive": "objective",
    "upper_bounds": "objective",
    "priors": "extrapolation",
    "lazy_prior": "extrapolation",
    "largest_measured_n": "extrapolation",
    "MissingReport": "missing",
    "apply_missing": "missing",
    "posterior_rates": "smoothing",
    "Setting": "splits",
    "Trial": "splits",
    "trials": "splits",
    "question_values": "per_question",
    "Interval": "intervals",
    "percentile_interval": "intervals",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
