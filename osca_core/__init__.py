"""OSCA Studio core: outcome matrices, pass@k estimators, allocation strategies and optimizers, experiments,
the DuckDB store, importers and plot builders. Pure Python + numpy/scipy; no Streamlit import anywhere here.

Layers (enforced by tests/test_import_graph.py): errors/settings/estimators/outcomes at the bottom; results,
objective, smoothing and splits above them; the strategies and other science (optimize, certify, uniform, ...)
above those; ``registry`` (the one table of strategies) above the strategies; experiments and study on top. The
store, importers and formats sit beside the science and are never imported by it.

Paper: Zhang, Zhou, Wang, Wang, Li, "Scaling LLM Inference with Optimized Sample Compute Allocation"
(arXiv 2410.22480).
"""

from osca_core.errors import InputError
from osca_core.outcomes import ConfigInfo, OutcomeMatrix, load_release, parse_config_name

__all__ = ["ConfigInfo", "InputError", "OutcomeMatrix", "load_release", "parse_config_name"]
__version__ = "0.1.0"
