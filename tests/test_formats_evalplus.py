"""EvalPlus / BigCodeBench ``eval_results.json``. Fixtures follow ``evalplus/evaluate.py`` (``results = {"date",
"hash", "eval": {}}``; ``results["eval"][task_id]`` a list, sorted by completion id, of ``{"task_id",
"solution", "base_status", "plus_status", "base_fail_tests", "plus_fail_tests"}``, statuses ``pass``/``fail``/
``timeout`` from ``evalplus/eval/__init__.py``; ``plus_status`` None under ``--base-only``; pass@k for
``<dataset>+`` counts ``base_status == plus_status == "pass"``) and ``bigcodebench/evaluate.py``
(``{"task_id", "solution", "status", "details"}``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from storecheck import snapshot

from osca_core.data.formats import ReadOptions
from osca_core.data.importers import detect, import_files
from osca_core.data.store import Store
from osca_core.errors import InputError


def write_evalplus(path: Path, statuses: dict[str, list[tuple[str, str | None]]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    ev = {t: [{"task_id": t, "solution": "def f():\n    return 1\n", "base_status": b, "plus_status": p,
               "base_fail_tests": [] if b == "pass" else [[1]], "plus_fail_tests": [] if p == "pass" else [[2]]}
              for b, p in s] for t, s in statuses.items()}
    path.write_text(json.dumps({"date": "2024-05-01 10:00", "hash": "abc", "eval": ev,
                                "pass_at_k": {"base": {"pass@1": 0.5}}}))
    return path


PLUS = {"HumanEval/0": [("pass", "pass"), ("pass", "fail"), ("fail", "fail")],
        "HumanEval/1": [("pass", "pass"), ("timeout", "pass"), ("pass", "timeout")]}


@pytest.fixture()
def store(osca_home) -> Store:
    return Store.open()


def test_plus_verifier_needs_base_and_plus_to_pass_and_base_reads_base_only(store, tmp_path):
    a = write_evalplus(tmp_path / "gpt4o_0.8" / "eval_results.json", PLUS)
    b = write_evalplus(tmp_path / "llama3_0.2" / "eval_results.json", {k: v[:2] for k, v in reversed(PLUS.items())})
    assert detect(a, str(a)) == ("evalplus", "json")
    info = import_files(store, [tmp_path], name="plus").info
    m = store.load_matrix("plus")
    assert (info.questions, info.configs) == (2, 2)
    assert m.question_ids == ("HumanEval/0", "HumanEval/1") and m.config_names == ("gpt4o_0.8", "llama3_0.2")
    assert m.n.tolist() == [[3, 2], [3, 2]] and m.c.tolist() == [[1, 1], [1, 1]]
    assert [(k.model, k.temperature) for k in m.configs] == [("gpt4o", 0.8), ("llama3", 0.2)]
    import_files(store, [a, b], name="base", options=ReadOptions(verifier="base"))
    assert store.load_matrix("base").c.tolist() == [[2, 2], [2, 1]]
    import_files(store, [a, b], name="named", options=ReadOptions(config="x,y"))
    assert store.load_matrix("named").config_names == ("x", "y")


def test_bigcodebench_status_and_file_names_give_the_configuration(store, tmp_path):
    path = tmp_path / "out" / "gpt-4o--bigcodebench-hard-complete--openai-0-1-sanitized_calibrated_eval_results.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"date": "2024-06-01 00:00", "eval": {
        "BigCodeBench/13": [{"task_id": "BigCodeBench/13", "solution": "x", "status": "pass", "details": {}}],
        "BigCodeBench/15": [{"task_id": "BigCodeBench/15", "solution": "x", "status": "fail",
                             "details": {"test_x": "AssertionError"}}]}}))
    import_files(store, [path], name="bcb")
    m = store.load_matrix("bcb")
    assert m.config_names == ("gpt-4o--bigcodebench-hard-complete--openai-0-1-sanitized_calibrated",)
    assert m.c.tolist() == [[1], [0]]


def test_base_only_runs_and_bad_statuses_are_refused_by_field(store, tmp_path, osca_home):
    base_only = write_evalplus(tmp_path / "m" / "eval_results.json", {"Mbpp/2": [("pass", None)]})
    with pytest.raises(InputError, match=r": eval\['Mbpp/2'\]\[0\]\.plus_status: missing \(a --base-only run\?\); "
                                         r"use --verifier base$"):
        import_files(store, [base_only], name="x")
    bad = write_evalplus(tmp_path / "n" / "eval_results.json", {"Mbpp/2": [("pass", "pass"), ("ok", "pass")]})
    with pytest.raises(InputError, match=r": eval\['Mbpp/2'\]\[1\]\.base_status: expected pass, fail or timeout "
                                         r"\(got 'ok'\)$"):
        import_files(store, [bad], name="x")
    with pytest.raises(InputError, match=r"^--scorer: applies to inspect logs, not evalplus$"):
        import_files(store, [bad], name="x", options=ReadOptions(scorer="match"))
    assert snapshot(osca_home) == {"datasets": []}
    import_files(store, [base_only], name="b", options=ReadOptions(verifier="base"))
    assert store.load_matrix("b").c.tolist() == [[1]]
