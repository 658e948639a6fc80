"""The OSCA allocation optimizer: the whole budget curve in one call (``optimize_curve``), its beam over
budgets and the compiled beam step, batched exchange checks, certificates of optimality, the low-memory path for
very large inputs and the exact-objective optimizer for budgets beyond n.

Imports the model; never the strategies above it.
"""

from osca_core._face import lazy_face

# submodule -> the public names it defines (each imported on first use)
__all__, __getattr__, __dir__ = lazy_face(__name__, {
    "curve": "optimize_curve",
    "beam": "BeamSearch SearchOptions",
    "certify": "certify_budgets",
    "beyond_n": "optimize_tabled",
    "tabled_beam": "sweep_unit",
})
