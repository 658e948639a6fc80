"""Lazy public faces for the layer packages (PEP 562 module ``__getattr__``).

Each layer package (``model``, ``optimize``, ``strategies``, ``analysis``, ``data``, ``present``) lists its public
names in ``__all__`` and maps each to the module that defines it. A name is imported on first use, so that
``import osca_core.data`` costs nothing until a name is asked for (``osca --help`` loads no DuckDB, scipy or
pyarrow), and a module inside a package may import a sibling without running the whole package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_face(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a public name to the submodule (relative to
    the package) that defines it."""

    def __getattr__(name: str) -> object:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    def __dir__() -> list[str]:
        return sorted(exports)

    return __getattr__, __dir__
