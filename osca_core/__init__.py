"""OSCA Studio core: the science of optimized sample compute allocation, its data layer and what it shows.

Layers are folders (enforced by ``tests/test_import_graph.py``, which reads them from this tree), bottom first:

- flat modules: ``errors``, ``settings`` (the one reader of environment variables), ``limits``;
- :mod:`osca_core.model`: the outcome matrix, estimators, objective, extrapolation, results;
- :mod:`osca_core.optimize`: the optimizer (beam, exchanges, certificates, beyond n);
- :mod:`osca_core.strategies`: the strategies and their registry (early stopping, oracle, groups);
- :mod:`osca_core.analysis`: experiments, studies, bootstrap and paired intervals;
- :mod:`osca_core.data`: the store (the only code that speaks SQL), formats, importers, release; beside the
  science, which never imports it;
- :mod:`osca_core.present`: figures, views and the report; never the store;
- :mod:`osca_core.bench` and :mod:`osca_core.cli` on top. No module here imports Streamlit.

Each layer package has a short public face (``__all__``), loaded lazily.

Paper: Zhang, Zhou, Wang, Wang, Li, "Scaling LLM Inference with Optimized Sample Compute Allocation"
(arXiv 2410.22480).
"""

from osca_core._face import lazy_face

# submodule -> the public names it defines (each imported on first use)
__all__, __getattr__, __dir__ = lazy_face(__name__, {
    "errors": "InputError",
    "model.outcomes": "ConfigInfo OutcomeMatrix load_release parse_config_name",
})
__version__ = "0.1.0"
