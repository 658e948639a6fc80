"""Data in and out: the DuckDB store (the only code that speaks SQL), the registry of log formats and the
importers, the release's fetch, Parquet lakes read in place, and synthetic logs.

Beside the science: imports the model, never the optimizer, the strategies or the shell.
"""

from osca_core._face import lazy_face

# public name -> the module that defines it (imported on first use)
_EXPORTS = {
    "Store": "store",
    "DatasetInfo": "store",
    "Format": "formats",
    "ReadOptions": "formats",
    "import_paths": "importers",
    "import_files": "importers",
    "import_bytes": "importers",
    "import_uploads": "importers",
    "detect": "importers",
    "ImportResult": "importers",
    "fetch_release": "release",
    "demo_matrix": "synthetic",
    "scale_rates": "synthetic",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_face(__name__, _EXPORTS)
