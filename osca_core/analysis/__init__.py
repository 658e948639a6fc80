"""Analyses over the strategy registry: experiments on random splits, the paper's studies, bootstrap
intervals over questions and the paired difference OSCA - best pure (savings with intervals).
"""

from osca_core._face import lazy_face

# public name -> the module that defines it (imported on first use)
_EXPORTS = {
    "run_curves": "experiments",
    "CurveSet": "experiments",
    "Savings": "savings_result",
    "savings": "experiments",
    "study_summary": "study",
    "Study": "study",
    "strategy_values": "bootstrap",
    "BootstrapResult": "bootstrap",
    "DEFAULT_LEVEL": "bootstrap",
    "Difference": "difference",
    "bootstrap_curves": "paired",
    "bootstrap_savings": "paired",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
