"""The documentation site builds with every warning an error (``sphinx -W``), and its generated references are
complete: the CLI page has a section for every subcommand of ``osca_core.cli.build_parser()`` (nested ``bench``
subcommands included) with each of its options, and the API page documents every public name of each layer
package's ``__all__``. One build per module (about 20 s), so the module is marked ``slow``."""

from __future__ import annotations

import argparse
import html
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from osca_core.cli import build_parser

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("model", "optimize", "strategies", "analysis", "data", "present")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("docs-html")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    r = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", str(out)],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-5000:]
    return out


def _commands(parser: argparse.ArgumentParser, prefix: str = "osca") -> dict[str, argparse.ArgumentParser]:
    """'osca optimize' -> its parser, for every subcommand at any depth."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                found[f"{prefix} {name}"] = child
                found.update(_commands(child, f"{prefix} {name}"))
    return found


def _section(page: str, command: str) -> str:
    """The text of the CLI page's section of ``command`` up to the next command's section."""
    anchor = 'id="cli-' + command.replace(" ", "-") + '"'
    start = page.index(anchor)
    nxt = page.find('id="cli-osca-', start + len(anchor))
    return html.unescape(re.sub(r"<[^>]+>", "", page[start:nxt if nxt > 0 else len(page)]))


def test_cli_reference_has_a_section_for_every_subcommand_with_all_its_options(site: Path):
    page = (site / "cli.html").read_text(encoding="utf-8")
    commands = _commands(build_parser())
    assert {"osca optimize", "osca import", "osca bench optimizer", "osca bench schedule"} <= set(commands)
    for command, parser in commands.items():
        assert f'id="cli-{command.replace(" ", "-")}"' in page, command
        text = _section(page, command)
        for action in parser._actions:
            if action.option_strings and action.help != argparse.SUPPRESS and action.dest != "help":
                assert action.option_strings[-1] in text, (command, action.option_strings)


def test_cli_reference_shows_certify_under_optimize_with_its_help(site: Path):
    text = _section((site / "cli.html").read_text(encoding="utf-8"), "osca optimize")
    assert "--certify" in text and "prove optimality at each budget" in text
    # the usage line is argparse's own (without its "usage: " prefix)
    assert "osca optimize [-h] (--file FILE | --dataset DATASET) --budgets BUDGETS" in text


def test_api_page_documents_every_public_name_of_every_layer_face(site: Path):
    page = (site / "api.html").read_text(encoding="utf-8")
    for layer in LAYERS:
        package = f"osca_core.{layer}"
        names = importlib.import_module(package).__all__
        assert names, package
        missing = [n for n in names if f'id="{package}.{n}"' not in page]
        assert missing == [], (package, missing)


def test_readme_is_short_and_points_at_the_docs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    assert "docs/index.md" in readme and "<!-- test-command -->" in readme


# keys whose children are data (configuration names, machine facts), not layout
DATA_KEYS = {"allocation", "missing_by_config", "baseline_counts", "machine", "goals"}


def _layout_keys(doc: object, out: set[str]) -> set[str]:
    if isinstance(doc, dict):
        for key, value in doc.items():
            out.add(key)
            if key not in DATA_KEYS:
                _layout_keys(value, out)
    elif isinstance(doc, list):
        for value in doc:
            _layout_keys(value, out)
    return out


@pytest.mark.parametrize("argv", [
    ["optimize", "--budgets", "16", "--certify"],
    ["optimize", "--budgets", "16", "--holdout"],
    ["optimize", "--budgets", "2", "--bootstrap", "20"],
    ["curves", "--budgets", "1-4", "--strategies", "best-pure,osca,uniform", "--bootstrap", "20",
     "--x", "expected-cost"],
    ["curves", "--budgets", "1-4", "--strategies", "best-pure,osca", "--train-fraction", "0.5", "--splits", "2",
     "--c0", "5", "--ban", "multi-model"],
    ["schedule", "--budgets", "4", "--strategy", "osca-stop"],
    ["savings", "--budgets", "1-16", "--early-stop"],
    ["savings", "--budgets", "1-8", "--bootstrap", "20"],
    ["next", "--samples", "20", "--budget", "16"],
], ids=lambda a: " ".join(a[:1] + [x for x in a[1:] if x.startswith("--") and x != "--budgets"]))
def test_json_contracts_page_names_every_key_the_cli_prints(bcb_path: Path, argv: list[str]):
    """The JSON layouts are documented by hand (docs/json.md): every key a command prints on the BigCodeBench
    release must be named there, as `key` or "key"."""
    r = subprocess.run([sys.executable, "-m", "osca_core.cli", *argv, "--file", str(bcb_path), "--json"],
                       cwd=REPO, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    page = (REPO / "docs" / "json.md").read_text(encoding="utf-8")
    keys = _layout_keys(json.loads(r.stdout), set())
    assert {"dataset"} < keys
    assert sorted(k for k in keys if f"`{k}`" not in page and f'"{k}"' not in page) == []
