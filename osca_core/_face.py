"""Lazy public faces for the layer packages (PEP 562 module ``__getattr__``).

Each layer package (``model``, ``optimize``, ``strategies``, ``analysis``, ``data``, ``present``) lists its public
names in ``__all__`` and maps each to the module that defines it. A name is imported on first use, so that
``import osca_core.data`` costs nothing until a name is asked for (``osca --help`` loads no DuckDB, scipy or
pyarrow), and a module inside a package may import a sibling without running the whole package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_face(package: str, names_by_module: Mapping[str, str]
              ) -> tuple[list[str], Callable[[str], object], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package``: ``names_by_module`` maps a submodule (relative to the
    package) to the space-separated public names it defines."""
    exports = {name: module for module, names in names_by_module.items() for name in names.split()}

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return sorted(exports), __getattr__, __dir__
