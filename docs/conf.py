"""Sphinx configuration of the OSCA Studio documentation (MyST Markdown pages, furo theme).

Build (warnings are errors, as in CI)::

    python -m sphinx -W -b html docs docs/_build/html

Two local extensions in ``docs/_ext``: ``osca_cli`` renders the command-line reference from
``osca_core.cli.build_parser()``; ``osca_api`` documents each layer package's lazy public face (``__all__``).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))  # the checkout's osca_core, even when another copy is installed

project = "OSCA Studio"
author = "OSCA Studio contributors"
copyright = "OSCA Studio contributors"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "osca_cli",
    "osca_api",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# docstrings are reStructuredText with Sphinx roles; an unresolved cross-reference renders as plain text
nitpicky = False
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"undoc-members": False}
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = "OSCA Studio"
html_static_path: list[str] = []

# option names such as --budgets stay two hyphens (no en dashes, no curly quotes in flags and help texts)
smartquotes = False
