"""Data in and out: the DuckDB store (the only code that speaks SQL), the registry of log formats and the
importers, the release's fetch, Parquet lakes read in place, and synthetic logs.

Beside the science: imports the model, never the optimizer, the strategies or the shell.
"""

from osca_core._face import lazy_face

# submodule -> the public names it defines (each imported on first use)
__all__, __getattr__, __dir__ = lazy_face(__name__, {
    "store": "Store DatasetInfo",
    "formats": "Format ReadOptions",
    "importers": "import_paths import_files import_bytes import_uploads detect ImportResult",
    "release": "fetch_release",
    "synthetic": "demo_matrix scale_rates",
    "formats.inspect_commands": "inspect_commands",
})
