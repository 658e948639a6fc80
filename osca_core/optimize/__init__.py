"""The OSCA allocation optimizer: the whole budget curve in one call (``optimize_curve``), its beam over
budgets and the compiled beam step, batched exchange checks, certificates of optimality, the low-memory path for
very large inputs and the exact-objective optimizer for budgets beyond n.

Imports the model; never the strategies above it.
"""

from osca_core._face import lazy_face

# public name -> the module that defines it (imported on first use)
_EXPORTS = {
    "optimize_curve": "curve",
    "BeamSearch": "beam",
    "SearchOptions": "beam",
    "certify_budgets": "certify",
    "optimize_tabled": "beyond_n",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
