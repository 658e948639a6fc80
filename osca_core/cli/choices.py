"""The names the ``osca`` parser offers as choices and in help text, spelled here so that building the parser imports
none of the science (numpy, scipy, pyarrow, duckdb, plotly): ``osca --help`` and a mistyped flag answer at once, and
arguments are parsed before any module loads data.

Each name has one source of truth elsewhere, given beside it; ``tests/test_cli_args.py`` checks that every one here
equals its source, so a new strategy, format or ban shows up as a failing test until it is added here too.
"""

from __future__ import annotations

# osca_core.strategies.registry: names(), names(default=True), PURE_PREFIX; the solvers (`osca optimize
# --strategy`) and the certifiers (--certify, --cost)
STRATEGY_NAMES = ("best-pure", "uniform", "even", "hillclimb", "osca", "osca-eb", "osca-stop", "oracle")
DEFAULT_STRATEGY_NAMES = ("best-pure", "uniform", "even", "osca")
PURE_PREFIX = "pure:"
OPTIMIZERS = ("hillclimb", "osca")
CERTIFIERS = ("osca",)

BANS = ("multi-model", "multi-temperature", "multi-variant")  # osca_core.analysis.experiments.BANS

# osca_core.data.formats: names() (auto-detection order), PARTIAL_CHOICES, VERIFIERS
FORMATS = ("osca", "inspect", "swebench", "evalplus", "lm-eval", "lcb", "long")
PARTIAL_CHOICES = ("correct", "incorrect")
VERIFIERS = ("plus", "base")

KEEP_SAMPLES = ("auto", "yes", "no")  # osca_core.data.lake_import.KEEP_SAMPLES
COPY_ROWS = 10_000_000  # osca_core.data.lake_import.COPY_ROWS

DEFAULT_RESAMPLES = 1000  # osca_core.present.report_content.DEFAULT_RESAMPLES
DASHBOARD = "http://localhost:8501"  # osca_core.present.report_content.DASHBOARD
MAX_PIXELS = 8000  # osca_core.present.figures.MAX_PIXELS
