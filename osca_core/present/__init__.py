"""What a person sees: plotly figures (pure functions), the view models behind the dashboard's pages,
figure templates and export, and the self-contained HTML report. Never imports the store.
"""

from osca_core._face import lazy_face

# public name -> the module that defines it (imported on first use)
_EXPORTS = {
    "chart_config": "plots",
    "styled": "figures",
    "Report": "report",
    "render": "report",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
