"""The app shell: the page registry (``st.navigation`` over the files in ``pages/``, one URL path per page), the
run of one page with the sidebar's :class:`~pages._sidebar.View`, and the address guard.

Pages in ``pages/`` under ``st.navigation``: Streamlit runs a fresh server's (or ``AppTest``'s) request in its
legacy pages-folder mode until ``st.navigation`` has been called, and in that mode a deep link (``/allocation?...``)
executes the page file alone. Every page file therefore ends with :func:`serve`, which draws the page when
:func:`main` is running it and otherwise runs :func:`main` itself: the public ``st.navigation`` switches the
legacy mode off for the process and resolves the same URL path, and :func:`main` runs the page with its sidebar
in the same script run (same URL, same widget values, no rerun, no private Streamlit state touched). In that mode
every ``pages/*.py`` briefly is a page named after its file without leading underscores, so a helper module's
name must differ from every page's (``_access``, not ``_data``; tests/test_app.py checks).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import streamlit as st

from osca_core import serving
from osca_core.errors import InputError
from osca_core.workers import Busy
from pages import _access as data
from pages import _compute as compute
from pages import _links as links
from pages import _render as ui
from pages import _sidebar
from pages._sidebar import View

PAGES = (  # (key = URL path, file, title, icon)
    ("curves", "pages/curves.py", "Curves", ":material/show_chart:"),
    ("allocation", "pages/allocation.py", "Allocation", ":material/stacked_bar_chart:"),
    ("questions", "pages/questions.py", "Questions", ":material/grid_on:"),
    ("experiments", "pages/experiments.py", "Experiments", ":material/science:"),
    ("data", "pages/data.py", "Data", ":material/database:"),
)

_RUN = threading.local()


def navigation():
    """The pages as ``st.Page`` objects (Curves is the landing page) and the selected one."""
    pages = [st.Page(f, title=t, icon=i, url_path=k, default=k == "curves") for k, f, t, i in PAGES]
    return pages, st.navigation(pages)


def address_problem(address: str | None, *, viewer: bool = False, auth: bool = False) -> str | None:
    """Why the dashboard refuses to serve, or None. Unset (Streamlit's default: every interface) happens when
    the ``.streamlit/config.toml`` beside ``app.py`` was not read; an explicit address beyond loopback (e.g.
    0.0.0.0 to share on a network) is served in viewer mode or with sign-in configured
    (``osca_core.serving.serve_problem``)."""
    if address is None or not str(address).strip():
        return ("OSCA Studio serves this machine only, but no server address is set (it would listen on every "
                "interface). Start it with: streamlit run app.py --server.address 127.0.0.1 (or give the "
                "address to share it on, e.g. --server.address 0.0.0.0, with OSCA_VIEWER=1 or sign-in).")
    return serving.serve_problem(address, viewer=viewer, auth=auth)


def main() -> None:
    """What ``app.py`` does: page setup, navigation, the address guard, the first-start bootstrap, the sidebar,
    then the selected page."""
    # An emoji favicon is drawn inline; a ":material/...:" one is fetched from Google's font CDN (a network request
    # and, offline, a console error on every page).
    present = str(st.query_params.get("present", "")).lower() in links.TRUE_WORDS or bool(
        st.session_state.get("present"))
    st.set_page_config(page_title="OSCA Studio", page_icon="📈", layout="wide",
                       initial_sidebar_state="collapsed" if present else "auto")
    pages, page = navigation()
    problem = None if st.get_option("global.appTest") else address_problem(
        st.get_option("server.address"), viewer=data.access().viewer, auth=data.auth_configured())
    if problem:  # (AppTest serves nothing on a network: no address to check)
        st.error(problem)
        st.stop()
    current = next((k for k, *_ in PAGES if k == page.url_path), "curves")
    data.bootstrap()
    compute.warm_optimizer()
    st.sidebar.title("OSCA Studio")
    _run(page, current)


def _run(page, name: str) -> None:
    try:
        side = _sidebar.sidebar(name)
    except InputError as e:  # the store is busy (another process writing) or a dataset vanished meanwhile
        ui.error(e)
        st.button("Try again", key="retry_store", icon=":material/refresh:")
        return
    _RUN.active, _RUN.side = True, side
    try:
        page.run()
    except Busy as e:  # the worker pool's queue is full (pages._queue): say so, no traceback
        st.warning(f"The server is {e}.", icon=":material/hourglass_top:")
        st.button("Try again", key="retry_busy", icon=":material/refresh:")
    finally:
        _RUN.active, _RUN.side = False, None


def serve(title: str, draw: Callable[[View], None] | Callable[[], None], module: str, *,
          view: bool = True) -> None:
    """The last line of every page file: the page's title, then ``draw(view)`` (``draw()`` with ``view=False``)
    when :func:`main` runs this page; else (Streamlit's legacy pages-folder mode, see the module docstring) run
    :func:`main`, which comes back here. ``module``: the page file's ``__name__``; Streamlit runs a page as
    ``__main__``, so a page imported as a module (``from pages import curves`` in the tests) runs nothing, and in
    particular no first start that would fetch the release into the default store."""
    if not getattr(_RUN, "active", False):
        if module != "__main__":
            return
        main()
        return
    st.title(title)
    holder = st.empty()  # the one notice of values dropped from the link, filled after the page read its own
    if not view:
        draw()
    else:
        v = page_view()
        if v is not None:
            draw(v)
    with holder.container():
        links.notice()


def page_view() -> View | None:
    """The :class:`View` of this run with its banners drawn, or None after saying why there is nothing to draw
    (no dataset yet, an unknown dataset in the URL, or no configuration selected)."""
    side: _sidebar.Sidebar = _RUN.side
    if side.unknown is not None:
        st.error(f"No dataset named {ui.text(repr(side.unknown))} in the store (from the link's dataset= "
                 "parameter). Choose a dataset in the sidebar, or import it on the Data page.")
        st.button(f"Open {side.selected} instead", key="unknown_ok", on_click=_sidebar.forget_unknown_dataset)
        return None
    v = side.view
    if v is None:
        st.info("No dataset yet. Fetch the OSCA release or import logs on the Data page.")
        return None
    ui.banners(v)
    if not v.configs:
        st.info("Select at least one configuration in the sidebar.")
        return None
    return v
