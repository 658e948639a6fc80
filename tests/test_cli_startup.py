"""``osca`` starts light: building the parser imports none of the science (the heavy modules load inside the command
that needs them), and arguments are refused before any data loads. Structural asserts on ``python -X importtime``
(which modules were imported), never timings: the wall-clock numbers go to the notes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from osca_core.cli import main

HEAVY = ("scipy", "pyarrow", "duckdb", "plotly", "numba", "pandas")


def imported(argv: list[str]) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run ``osca ARGV`` under ``-X importtime``; the process and the top-level packages it imported."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "osca_core.cli", *argv], capture_output=True,
                       text=True, timeout=120)
    mods = {line.rsplit("|", 1)[1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert "osca_core.cli" in mods, r.stderr[-2000:]  # importtime saw the CLI, so its absence lists mean something
    return r, {m.split(".")[0] for m in mods} | mods


def user_lines(r: subprocess.CompletedProcess) -> list[str]:
    return [line for line in r.stderr.splitlines() if not line.startswith("import time:")]


def test_help_imports_neither_numpy_nor_any_heavy_package():
    r, mods = imported(["--help"])
    assert r.returncode == 0 and "optimize" in r.stdout and "schedule" in r.stdout
    assert mods.isdisjoint({*HEAVY, "numpy"}), sorted(mods & {*HEAVY, "numpy"})
    # the budgets validator (no numpy) and the lazy model face are all the science a parser needs
    light = {"osca_core.model", "osca_core.model.budgets"}
    assert not any(m.startswith(("osca_core.model", "osca_core.strategies", "osca_core.analysis", "osca_core.data.",
                                 "osca_core.present", "osca_core.optimize", "osca_core.bench")) for m in mods - light)


@pytest.mark.parametrize("command", ["curves", "optimize", "schedule", "savings", "report"])
def test_a_bad_budgets_spec_is_refused_before_the_log_is_read_or_the_science_imported(command, osca_home):
    r, mods = imported([command, "--dataset", "nosuch", "--budgets", "x"])
    assert r.returncode == 2 and r.stdout == ""
    assert user_lines(r) == ["osca: error: --budgets: cannot read 'x' in 'x' (use e.g. 1-16, 2,4,8 or 1-8,16,32)"]
    assert mods.isdisjoint({*HEAVY, "numpy"}), sorted(mods & {*HEAVY, "numpy"})
    assert not osca_home.exists()  # no store was opened (nor created)


def test_datasets_opens_the_store_with_duckdb_alone(osca_home, capsys):
    assert main(["demo", "--questions", "20", "--configs", "3", "--json"]) == 0
    capsys.readouterr()
    r, mods = imported(["datasets"])
    assert r.returncode == 0 and r.stdout.split()[:6] == ["name", "questions", "configs", "split", "data", "source"]
    assert "demo-synthetic" in r.stdout and "duckdb" in mods
    assert mods.isdisjoint({"scipy", "pyarrow", "plotly", "numba", "pandas"}), sorted(mods & set(HEAVY))


def test_the_parser_names_equal_their_sources_of_truth():
    from osca_core.analysis import experiments
    from osca_core.cli import choices as C
    from osca_core.data import formats, lake_import
    from osca_core.present import figures, report_content
    from osca_core.strategies import registry

    assert C.STRATEGY_NAMES == registry.names() and C.DEFAULT_STRATEGY_NAMES == registry.names(default=True)
    assert C.PURE_PREFIX == registry.PURE_PREFIX
    assert C.OPTIMIZERS == tuple(s.name for s in registry.specs() if s.solver is not None)
    assert C.CERTIFIERS == tuple(s.name for s in registry.specs() if s.certifies)
    assert C.BANS == experiments.BANS
    assert C.FORMATS == formats.names()
    assert (C.PARTIAL_CHOICES, C.VERIFIERS) == (formats.PARTIAL_CHOICES, formats.VERIFIERS)
    assert (C.KEEP_SAMPLES, C.COPY_ROWS) == (lake_import.KEEP_SAMPLES, lake_import.COPY_ROWS)
    assert (C.DEFAULT_RESAMPLES, C.DASHBOARD) == (report_content.DEFAULT_RESAMPLES, report_content.DASHBOARD)
    assert C.MAX_PIXELS == figures.MAX_PIXELS
