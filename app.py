"""OSCA Studio, the dashboard: ``streamlit run app.py`` (from any folder: the ``.streamlit/config.toml`` beside this
file is read, so it listens on 127.0.0.1 and shows the viewer toolbar; ``--server.address 0.0.0.0`` shares it on
a network, ``--client.toolbarMode developer`` brings back Streamlit's developer menu).

``pages._shell.main`` sets the page up, registers the pages (``st.navigation`` over the files in ``pages/``),
performs the first-start bootstrap (fetch the release, or store the synthetic demo when offline), draws the
sidebar whose settings live in the URL, and runs the selected page. The pages only arrange widgets and call
``osca_core``; figures come from ``osca_core.present.plots``.
"""

from __future__ import annotations

from pages import _shell

_shell.main()
