"""The Inspect round trip of ``osca next --format inspect``: logs written by inspect_ai (tests/inspectkit.py, an
offline provider), imported, the ``inspect eval`` commands ``osca next`` prints run as printed (through inspect's
own command line, with the test provider registered first: inspect resolves ``--model`` before it loads the task
file), the new logs imported back beside the old ones, and exactly the requested cells hold the requested further
samples."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from osca_core.cli import main
from osca_core.data.store import Store

pytestmark = pytest.mark.slow  # inspect_ai writes the logs: ~30 s

inspectkit = pytest.importorskip("inspectkit")

TESTS = Path(__file__).parent
RUN_INSPECT = "import sys, inspectkit; from inspect_ai._cli.main import main; sys.argv[0] = 'inspect'; main()"


def _counts(name: str) -> dict[tuple[str, str], tuple[int, int]]:
    with Store.open(read_only=True) as st:
        m = st.load_matrix(name)
    return {(k.name, q): (int(m.n[i, j]), int(m.c[i, j])) for i, q in enumerate(m.question_ids)
            for j, k in enumerate(m.configs)}


def test_the_printed_inspect_commands_fill_exactly_the_requested_cells(osca_home, tmp_path, capsys):
    old, new = tmp_path / "old", tmp_path / "new"
    with mock.patch.dict(os.environ, {"INSPECT_LOG_DIR": str(tmp_path / "default"), "INSPECT_DISPLAY": "none"}):
        inspectkit.run(inspectkit.arith_one(questions=4), ["alpha", "beta"], old, temperature=0.5, epochs=2)
    assert main(["import", str(old), "--name", "rt", "--json"]) == 0
    capsys.readouterr()
    before = _counts("rt")
    assert main(["next", "--dataset", "rt", "--samples", "5", "--budget", "8", "--json"]) == 0
    want = json.loads(capsys.readouterr().out)["requests"]
    assert 0 < sum(r["samples"] for r in want) <= 5
    assert main(["next", "--dataset", "rt", "--samples", "5", "--budget", "8", "--format", "inspect", "--task",
                 f"{TESTS / 'inspectkit.py'}@arith_one", "--task-arg", "questions=4", "--log-dir", str(new)]) == 0
    commands = capsys.readouterr().out.strip().splitlines()
    assert commands and all(c.startswith("inspect eval ") and "--epochs" in c and "--sample-id" in c
                            for c in commands)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
               INSPECT_DISPLAY="none", INSPECT_LOG_DIR=str(tmp_path / "default"))
    for c in commands:
        argv = shlex.split(c)
        assert argv[:2] == ["inspect", "eval"]
        r = subprocess.run([sys.executable, "-c", RUN_INSPECT, *argv[1:]], env=env, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr[-2000:]
    assert len(list(new.glob("*.eval"))) == len(commands)
    assert main(["import", str(old), str(new), "--name", "rt", "--replace", "--json"]) == 0
    capsys.readouterr()
    after = _counts("rt")
    asked = {(r["config"], r["question_id"]): r["samples"] for r in want}
    assert set(after) == set(before)
    assert {cell: after[cell][0] - before[cell][0] for cell in after if after[cell][0] != before[cell][0]} == asked
    assert all(after[cell][1] >= before[cell][1] for cell in after)
