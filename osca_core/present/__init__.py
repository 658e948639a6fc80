"""What a person sees: plotly figures (pure functions), the view models behind the dashboard's pages,
figure templates and export, and the self-contained HTML report. Never imports the store.
"""

from osca_core._face import lazy_face

# submodule -> the public names it defines (each imported on first use)
__all__, __getattr__, __dir__ = lazy_face(__name__, {
    "plots": "chart_config",
    "figures": "styled",
    "report": "Report render",
})
