"""Shared fixtures: the release logs (from $OSCA_RELEASE_MIRROR or ../shared/data/osca-release), their outcome
matrices, and an isolated $OSCA_HOME per test; and how the suite splits across pytest-xdist workers.

The full suite runs in two phases (the README's test command, which ``.ci/run`` runs)::

    pytest -n 2 --dist loadgroup -m "not serial" && pytest -m serial

- phase 1, two workers: every test that is independent of the others. Each worker has its own base temporary
  folder, so ``tmp_path`` and the ``osca_home`` fixture are per test as without xdist; servers bind free ports.
  A test that uses a module-scoped fixture (a streamlit server, a browser, logs written by inspect_ai, a shared
  store) is put in its module's ``xdist_group``, so that fixture is built once, on one worker, not once per worker.
- phase 2, one process: tests marked ``serial``, whose point is a number of seconds (the load test, the browser
  timing test, the benches and the few tests that print a measured time); another test running beside them would
  skew what they report. Nothing asserts a time, so the split changes no verdict, only the numbers printed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# tests/ for the shared test kits (browserkit, lakekit, appkit, ...), and the checkout itself for the dashboard's
# `pages` package, which is not installed (only osca_core is): `python -m pytest` and plain `pytest` then agree.
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from osca_core.model.outcomes import OutcomeMatrix, load_release

# Property tests explore new random inputs on developers' machines; under CI (CI=true) they replay a fixed,
# derandomized set, so a landing is reproducible. A failure found locally is kept as an explicit regression test.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RELEASE = REPO.parent / "shared" / "data" / "osca-release"


def release_dir() -> Path:
    """Folder holding swebench_agentless.json, bcb_results.json and SOURCE.md."""
    env = os.environ.get("OSCA_RELEASE_MIRROR", "")
    if env and not env.startswith(("http://", "https://")) and Path(env).is_dir():
        return Path(env)
    return DEFAULT_RELEASE


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks (its own hook, same call)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses a fixture of module (or class) scope defined in its own module joins the module's
    xdist_group (see the module docstring); session fixtures are cheap here (the release logs) and stay per
    worker."""
    for item in items:
        module = getattr(item, "module", None)
        info = getattr(item, "_fixtureinfo", None)
        if module is None or info is None or item.get_closest_marker("xdist_group"):
            continue
        shared = any(d.scope in ("module", "class") and d.baseid.split("::")[0] == item.nodeid.split("::")[0]
                     for defs in info.name2fixturedefs.values() for d in defs)
        if shared:
            item.add_marker(pytest.mark.xdist_group(module.__name__))


@pytest.fixture(scope="session")
def release() -> Path:
    d = release_dir()
    if not (d / "bcb_results.json").is_file():
        pytest.fail(f"release logs not found in {d}; set OSCA_RELEASE_MIRROR to the osca-release folder")
    return d


@pytest.fixture(scope="session")
def swe_path(release: Path) -> Path:
    return release / "swebench_agentless.json"


@pytest.fixture(scope="session")
def bcb_path(release: Path) -> Path:
    return release / "bcb_results.json"


@pytest.fixture(scope="session")
def swe(swe_path: Path) -> OutcomeMatrix:
    return load_release(swe_path)


@pytest.fixture(scope="session")
def bcb(bcb_path: Path) -> OutcomeMatrix:
    return load_release(bcb_path)


@pytest.fixture()
def osca_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty, isolated store folder for one test ($OSCA_HOME)."""
    home = tmp_path / "osca-home"
    monkeypatch.setenv("OSCA_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def golden(release: Path):
    """The paper's printed numbers and allocations (tests/golden.py parses SOURCE.md)."""
    from golden import load_golden

    return load_golden(release / "SOURCE.md")
