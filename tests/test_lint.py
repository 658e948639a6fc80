"""The code base is `ruff check` clean (part of the README's single test command)."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean():
    ruff = shutil.which("ruff")
    cmd = [ruff, "check", "."] if ruff else [sys.executable, "-m", "ruff", "check", "."]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_no_streamlit_import_in_the_core():
    """Every module of osca_core, subpackages included (tests/test_import_graph.py checks the parsed imports)."""
    offenders = [str(p.relative_to(REPO)) for p in (REPO / "osca_core").rglob("*.py")
                 if "import streamlit" in p.read_text() or "from streamlit" in p.read_text()]
    assert offenders == []
