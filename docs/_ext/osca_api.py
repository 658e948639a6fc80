"""Sphinx directive ``osca-face``: the API of one layer package, from its lazy public face.

The layer packages of ``osca_core`` resolve their public names on first use (PEP 562 ``__getattr__``, see
:mod:`osca_core._face`), so ``automodule`` with ``:members:`` would see none of them. This directive reads the
package's ``__all__``, resolves each name, and writes the package docstring followed by one ``autoclass``,
``autofunction`` or ``autodata`` per public name, under its public path (``osca_core.model.OutcomeMatrix``).

Usage (reStructuredText)::

    .. osca-face:: osca_core.model
"""

from __future__ import annotations

import importlib
import inspect

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

__version__ = "1"


def face_lines(package: str) -> list[str]:
    """reStructuredText documenting ``package``'s docstring and each name of its ``__all__``."""
    module = importlib.import_module(package)
    lines = [f".. automodule:: {package}", "   :no-members:", ""]
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj):
            lines += [f".. autoclass:: {package}.{name}", "   :members:", ""]
        elif callable(obj):
            lines += [f".. autofunction:: {package}.{name}", ""]
        else:
            lines += [f".. autodata:: {package}.{name}", "   :no-value:", ""]
    return lines


class OscaFaceDirective(SphinxDirective):
    """Document one layer package's public face (see the module docstring)."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        package = self.arguments[0]
        self.env.note_dependency(importlib.import_module(package).__file__)
        content = StringList(face_lines(package), source=f"<osca-face {package}>")
        holder = nodes.section()
        holder.document = self.state.document
        nested_parse_with_titles(self.state, content, holder)
        return holder.children


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("osca-face", OscaFaceDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
