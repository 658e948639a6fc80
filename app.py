"""OSCA Studio, the dashboard: ``streamlit run app.py``.

``run()`` sets the page up, registers the pages (``st.navigation`` over the files in ``pages/``), performs the
first-start bootstrap (fetch the release, or store the synthetic demo when offline), draws the sidebar whose
settings live in the URL, and runs the selected page. The pages only arrange widgets and call ``osca_core``;
figures come from ``osca_core.plots``.
"""

from __future__ import annotations

import streamlit as st

from pages import _common as ui

PAGES = {
    "curves": st.Page("pages/curves.py", title="Curves", icon=":material/show_chart:", url_path="curves",
                      default=True),
    "allocation": st.Page("pages/allocation.py", title="Allocation", icon=":material/stacked_bar_chart:",
                          url_path="allocation"),
    "questions": st.Page("pages/questions.py", title="Questions", icon=":material/grid_on:",
                         url_path="questions"),
    "experiments": st.Page("pages/experiments.py", title="Experiments", icon=":material/science:",
                           url_path="experiments"),
    "data": st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
}


def run() -> None:
    """Build the navigation, bootstrap the data on a fresh machine, draw the sidebar, run the page."""
    st.set_page_config(page_title="OSCA Studio", page_icon=":material/insights:", layout="wide")
    page = st.navigation(list(PAGES.values()))
    current = next((k for k, p in PAGES.items() if p.url_path == page.url_path), "curves")
    ui.bootstrap()
    st.sidebar.title("OSCA Studio")
    ui.run_page(page, current)


if __name__ == "__main__":
    run()
