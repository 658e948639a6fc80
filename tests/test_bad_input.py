"""Malformed and inconsistent files are refused: exit code 2, one line on stderr naming the file and the field or
row, no traceback, and the store exactly as before (every dataset, matrix, question table and per-sample row).

Each case imports over an existing dataset (``--name victim --replace``), so a half-done replace would show."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from storecheck import snapshot

from osca_core.cli import main
from osca_core.data.importers import import_paths
from osca_core.data.store import Store

HEAD = "question_id,config,correct\n"
AGG = "question_id,config,n_samples,n_correct\n"


def _csv(tmp: Path, text: str, name: str = "x.csv") -> Path:
    (tmp / name).write_text(text)
    return tmp / name


def _bytes(tmp: Path, data: bytes, name: str) -> Path:
    (tmp / name).write_bytes(data)
    return tmp / name


def _osca(tmp: Path, bcb: dict, change) -> Path:
    d = copy.deepcopy(bcb)
    change(d)
    (tmp / "bcb.json").write_text(json.dumps(d))
    return tmp / "bcb.json"


def _lcb(tmp: Path, folder: str, probs) -> Path:
    (tmp / folder).mkdir(exist_ok=True)
    path = tmp / folder / "run_eval_all.json"
    if isinstance(probs, list):
        probs = [p if isinstance(p, dict) else {"question_id": p[0], "graded_list": p[1], "difficulty": "easy"}
                 for p in probs]
    path.write_text(json.dumps(probs))
    return path


def _set(d: dict, path: tuple, value) -> None:
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


def _samples(n: int, bad_row: int, bad: str) -> str:
    rows = [f"q{i % 50},a,{i % 2}" for i in range(n)]
    rows[bad_row - 1] = f"q0,a,{bad}"
    return HEAD + "\n".join(rows) + "\n"


# id -> builder(tmp, bcb) returning (paths, extra args), the index of the file the message names (None: an
# option), and a regex the message must contain after the file name
CASES = {
    # -- not JSON / CSV / Parquet
    "binary-garbage": (lambda t, b: ([_bytes(t, bytes(range(256)) * 4, "x.bin")], []), 0, r": not a JSON, CSV or Parquet file$"),
    "empty-file": (lambda t, b: ([_csv(t, "", "x.csv")], []), 0, r": empty file \(no questions\)$"),
    "truncated-json": (lambda t, b: ([_csv(t, '{"settings": [{"name": "a", "runs": 3}', "r.json")], []), 0,
                       r": not valid JSON \(JSONDecodeError: "),
    "parquet-that-is-not": (lambda t, b: ([_csv(t, HEAD + "q,a,1\n", "x.parquet")], []), 0,
                            r": cannot read as Parquet \(.*magic bytes"),
    "osca-format-on-csv": (lambda t, b: ([_csv(t, HEAD + "q,a,1\n")], ["--format", "osca"]), 0, r": not valid JSON"),
    "ragged-csv-line": (lambda t, b: ([_csv(t, HEAD + "q1,a,1\nq1,a,1,5\nq2,a,0\n")], []), 0,
                        r": row 2: 4 fields where the header has 3$"),
    # -- wrong types
    "correct-maybe-row-17": (lambda t, b: ([_csv(t, _samples(20, 17, "maybe"))], []), 0,
                             r": row 17: correct must be 0/1 or true/false \(got 'maybe'\)$"),
    "correct-late-beyond-the-sniffer": (lambda t, b: ([_csv(t, _samples(30_005, 30_001, "yes"))], []), 0,
                                        r": row 30001: correct must be 0/1 or true/false \(got 'yes'\)$"),
    "correct-2-in-parquet": (lambda t, b: ([_parquet(t, correct=[1, 0, 1, 1, 2, 0])], []), 0,
                             r": row 5: correct must be 0/1 or true/false \(got '2'\)$"),
    "correct-empty-in-jsonl": (lambda t, b: ([_csv(t, '{"question_id": "q", "config": "a", "correct": true}\n'
                                                    '{"question_id": "q", "config": "a", "correct": null}\n', "x.jsonl")],
                                             []), 0, r": row 2: correct must be 0/1 or true/false \(got nothing\)$"),
    "n-samples-text": (lambda t, b: ([_csv(t, AGG + "q,a,10,1\nq,b,ten,1\n")], []), 0,
                       r": row 2: n_samples must be an integer > 0 \(got 'ten'\)$"),
    "n-samples-fraction": (lambda t, b: ([_csv(t, AGG + "q,a,2.5,1\n")], []), 0,
                           r": row 1: n_samples must be an integer > 0 \(got '2.5'\)$"),
    "temperature-text": (lambda t, b: ([_csv(t, "question_id,config,correct,temperature\nq,a,1,0.2\nq,a,0,hot\n")], []),
                         0, r": row 2: temperature must be a number >= 0 \(got 'hot'\)$"),
    "cost-negative": (lambda t, b: ([_csv(t, "question_id,config,correct,cost\nq,a,1,-1.5\n")], []), 0,
                      r": row 1: cost must be a number > 0 \(got '-1.5'\)$"),
    "question-id-empty": (lambda t, b: ([_csv(t, HEAD + "q,a,1\n,a,0\n")], []), 0, r": row 2: question_id is empty$"),
    "split-unknown": (lambda t, b: ([_csv(t, "question_id,config,correct,split\nq,a,1,dev\n")], []), 0,
                      r": row 1: split must be train, test or both \(got 'dev'\)$"),
    "osca-runs-a-string": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("settings", 1, "runs"), "300"))], []), 0,
                           r": settings\[1\]: field 'runs' has the wrong type \(str\)$"),
    "osca-count-a-fraction": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("test", "0", 5), 1.5))], []), 0,
                              r": test\['0'\] \(Qwen_0.2\)\[5\]: count is not an integer \(1.5\)$"),
    "osca-not-an-object": (lambda t, b: ([_csv(t, "[1, 2]", "r.json")], ["--format", "osca"]), 0,
                           r": expected a JSON object"),
    "lcb-graded-not-bool": (lambda t, b: ([_lcb(t, "m", [("q1", [True, "yes"])])], []), 0,
                            r": \[0\].graded_list\[1\]: must be true/false \(got 'yes'\)$"),
    "lcb-not-a-list": (lambda t, b: ([_lcb(t, "m", {"question_id": "q"})], ["--format", "lcb"]), 0,
                       r": expected a JSON list of problems"),
    "lcb-missing-graded-list": (lambda t, b: ([_lcb(t, "m", [{"question_id": "q"}])], ["--format", "lcb"]), 0,
                                r": \[0\]: missing field 'graded_list'$"),
    # -- counts outside 0..n
    "osca-count-above-runs": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("test", "3", 12), 301))], []), 0,
                              r": test\['3'\] \(Qwen_1.1\)\[12\]: count 301 outside 0..300$"),
    "osca-count-negative": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("train", "0", 0), -1))], []), 0,
                            r": train\['0'\] \(Qwen_0.2\)\[0\]: count -1 outside 0..300$"),
    "n-correct-above-n": (lambda t, b: ([_csv(t, AGG + "q,a,10,1\nq,b,10,3\nr,a,10,0\nr,b,10,12\n")], []), 0,
                          r": row 4: n_correct 12 outside 0..10$"),
    "n-correct-negative": (lambda t, b: ([_csv(t, AGG + "q,a,10,-1\n")], []), 0, r": row 1: n_correct -1 outside 0..10$"),
    # -- runs <= 0
    "osca-runs-zero": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("settings", 2, "runs"), 0))], []), 0,
                       r": settings\[2\]: field 'runs' must be > 0 \(got 0\)$"),
    "n-samples-zero": (lambda t, b: ([_csv(t, AGG + "q,a,10,1\nq,b,0,0\n")], []), 0,
                       r": row 2: n_samples must be an integer > 0 \(got '0'\)$"),
    "lcb-no-samples": (lambda t, b: ([_lcb(t, "m", [("q1", [True]), ("q2", [])])], []), 0,
                       r": \[1\].graded_list is empty \(runs must be > 0\)$"),
    # -- ragged configurations
    "osca-config-without-counts": (lambda t, b: ([_osca(t, b, lambda d: d["test"].pop("5"))], []), 0,
                                   r": test: configuration 5 \(Llama_0.2\) has no counts$"),
    "osca-counts-for-unknown-config": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("test", "10"), d["test"]["0"]))],
                                                     []), 0, r": test: counts for unknown configuration index '10'$"),
    "osca-short-count-list": (lambda t, b: ([_osca(t, b, lambda d: d["train"]["1"].pop())], []), 0,
                              r": train\['1'\] \(Qwen_0.5\): expected a list of 70 counts$"),
    # ragged logs (a question without a row for some configuration) are imported as missing cells: tests/test_ragged.py
    "lcb-file-missing-a-question": (lambda t, b: ([_lcb(t, "m1", [("q1", [True]), ("q2", [False])]),
                                                   _lcb(t, "m2", [("q1", [True])])], []), 1,
                                    r": question 'q2' \(in .*m1/run_eval_all.json\) is missing$"),
    # -- duplicates
    "osca-duplicate-question": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("training_instances", 1),
                                                                           d["training_instances"][0]))], []), 0,
                                r": training_instances: duplicate question id 'BigCodeBench/1042'$"),
    "osca-duplicate-config": (lambda t, b: ([_osca(t, b, lambda d: _set(d, ("settings", 1, "name"), "Qwen_0.2"))], []),
                              0, r": settings: duplicate configuration name 'Qwen_0.2'$"),
    "long-duplicate-row": (lambda t, b: ([_csv(t, AGG + "q1,a,4,1\nq1,b,4,2\nq1,a,4,3\n")], []), 0,
                           r": row 3: duplicate row for question 'q1' and configuration 'a' \(first at row 1\)$"),
    "samples-duplicate-sample-idx": (lambda t, b: ([_csv(t, "question_id,config,sample_idx,correct\n"
                                                             "q,a,0,1\nq,a,1,1\nq,a,1,0\n")], []), 0,
                                     r": row 3: duplicate sample_idx 1 for question 'q' and configuration 'a' "
                                     r"\(also at row 2\)$"),
    "lcb-duplicate-question": (lambda t, b: ([_lcb(t, "m", [("q1", [True]), ("q1", [False])])], []), 0,
                               r": \[1\].question_id: duplicate question id 'q1' \(first at \[0\]\)$"),
    "lcb-duplicate-config": (lambda t, b: ([_lcb(t, "m1", [("q1", [True])]), _lcb(t, "m2", [("q1", [True])])],
                                           ["--config", "a,a"]), 1, r": configuration name 'a' is also used by .*m1"),
    # -- no questions
    "osca-no-questions": (lambda t, b: ([_osca(t, b, lambda d: d.update(training_instances=[], testing_instances=[],
                                                                          train={k: [] for k in d["train"]},
                                                                          test={k: [] for k in d["test"]}))], []),
                          0, r": no questions$"),
    "csv-header-only": (lambda t, b: ([_csv(t, HEAD)], []), 0, r": no questions \(the file has no data rows\)$"),
    "lcb-empty-list": (lambda t, b: ([_lcb(t, "m", [])], ["--format", "lcb"]), 0, r": no questions \(empty list\)$"),
    # -- inconsistent rows and layouts
    "missing-column": (lambda t, b: ([_csv(t, "question_id,correct\nq,1\n")], []), 0,
                       r": missing column 'config' \(found: question_id, correct\)$"),
    "no-outcome-column": (lambda t, b: ([_csv(t, "question_id,config\nq,a\n")], []), 0,
                          r": missing column 'correct' \(per-sample rows\) or 'n_samples' and 'n_correct'"),
    "both-layouts": (lambda t, b: ([_csv(t, "question_id,config,correct,n_samples\nq,a,1,3\n")], []), 0,
                     r": has both 'correct' \(per-sample rows\) and 'n_samples'/'n_correct'"),
    "layouts-mixed-across-files": (lambda t, b: ([_csv(t, HEAD + "q,a,1\n", "a.csv"), _csv(t, AGG + "q,b,2,1\n", "b.csv")],
                                                 []), 1, r": aggregated rows cannot be mixed with the per-sample rows"),
    "split-differs-within-a-question": (lambda t, b: ([_csv(t, "question_id,config,correct,split\nq,a,1,train\n"
                                                               "r,a,1,test\nq,a,0,test\n")], []), 0,
                                        r": row 3: question 'q' has split 'test' here but 'train' at row 1$"),
    "attribute-differs-within-a-question": (lambda t, b: ([_csv(t, "question_id,config,n_samples,n_correct,difficulty\n"
                                                                "q,a,2,1,easy\nq,b,2,1,hard\n")],
                                                         ["--question-attr", "difficulty"]), 0,
                                            r": row 2: question 'q' has difficulty 'hard' here but 'easy' at row 1 "
                                            r"\(so 'difficulty' cannot be a question attribute\)$"),
    "cost-differs-within-a-config": (lambda t, b: ([_csv(t, "question_id,config,n_samples,n_correct,cost\n"
                                                            "q,a,2,1,1.5\nr,a,2,1,2.5\n")], []), 0,
                                     r": row 2: configuration 'a' has cost '2.5' here but '1.5' at row 1$"),
    "no-test-questions": (lambda t, b: ([_csv(t, "question_id,config,correct,split\nq,a,1,train\nr,a,0,train\n")],
                                        []), 0, r": the split needs at least one training and one test question$"),
    "formats-mixed": (lambda t, b: ([_csv(t, HEAD + "q,a,1\n"), _osca(t, b, lambda d: None)], []), 1,
                      r": looks like osca but .*x.csv looks like long"),
    "two-osca-files": (lambda t, b: ([_osca(t, b, lambda d: None), _csv(t, json.dumps(b), "c.json")], []), None,
                       r"^osca format: import one release file at a time \(got 2 files\)$"),
    "config-option-on-long-files": (lambda t, b: ([_csv(t, HEAD + "q,a,1\n")], ["--config", "m"]), None,
                                    r"^--config names LiveCodeBench files \(format lcb\); .*x.csv is long$"),
    "no-such-file": (lambda t, b: ([t / "nowhere.csv"], []), 0, r": no such file$"),
    "character-device": (lambda t, b: ([Path("/dev/zero")], []), 0,
                         r": is a character device, not a regular file; give a CSV, Parquet or JSON file$"),
    # -- one identity per sample (issue 28): nothing counted twice, no later entry silently winning
    "same-file-twice": (lambda t, b: ([_csv(t, HEAD + "q,a,1\n")] * 2, []), 1, r": given twice; give each file once$"),
    "symlink-to-another-file-in-a-folder": (lambda t, b: ([_linked_folder(t)], []), None,
                                            r"/b\.csv: the same file as .*/a\.csv \(symlinks resolved\); give "
                                            r"each file once$"),
    "correct-yes-no-in-csv": (lambda t, b: ([_csv(t, HEAD + "q1,a,yes\nq1,a,no\nq2,a,yes\n")], []), 0,
                              r": row 1: correct must be 0/1 or true/false \(got 'yes'\)$"),
    "correct-t-f-in-csv": (lambda t, b: ([_csv(t, HEAD + "q1,a,t\nq2,a,f\n")], []), 0,
                           r": row 1: correct must be 0/1 or true/false \(got 't'\)$"),
    "osca-config-counts-twice": (lambda t, b: ([_raw_json(t, "bcb.json", json.dumps(b).replace(
        '"train": {"0": ', '"train": {"0": ' + json.dumps(b["train"]["0"]) + ', "0": ', 1))], []), 0,
        r": key '0' appears twice in one object \(a duplicate entry: the later one would silently replace the "
        r"earlier\); give it once$"),
    "evalplus-task-key-twice": (lambda t, b: ([_raw_json(t, "m/eval_results.json", '{"eval": {'
                                                         + _EP_TASK.format(s="pass") + ", " + _EP_TASK.format(s="fail")
                                                         + "}}")], []), 0,
                                r": key 'HumanEval/0' appears twice in one object"),
    "swebench-resolved-and-unresolved": (lambda t, b: ([_raw_json(t, "r.json", json.dumps(
        {"submitted_ids": ["i1", "i2"], "resolved_ids": ["i1"], "unresolved_ids": ["i1", "i2"]}))], []), 0,
        r": resolved_ids: instance 'i1' is also in unresolved_ids \(a contradictory record\)$"),
    "hive-lake-copied-part-files-counts-only": (lambda t, b: ([_hive_twice(t, same_bytes=True)], ["--keep-samples", "no"]),
                                                None, r"part-1\.parquet: the same bytes as .*part-0\.parquet \(every "
                                                r"sample would be counted twice\); remove one copy$"),
    "hive-lake-samples-twice-counts-only": (lambda t, b: ([_hive_twice(t, same_bytes=False)], ["--keep-samples", "no"]),
                                            None, r": duplicate sample_idx 0 for question 'q000' and configuration "
                                            r"'big_0.0' \(a sample counted twice\)$"),
}

_EP_TASK = '"HumanEval/0": [{{"task_id": "HumanEval/0", "base_status": "{s}", "plus_status": "{s}"}}]'


def _raw_json(tmp: Path, name: str, text: str) -> Path:
    (tmp / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp / name).write_text(text)
    return tmp / name


def _linked_folder(tmp: Path) -> Path:
    (tmp / "logs").mkdir()
    (tmp / "logs" / "a.csv").write_text(HEAD + "q1,a,1\nq2,a,0\n")
    (tmp / "logs" / "b.csv").symlink_to(tmp / "logs" / "a.csv")
    return tmp / "logs"


def _hive_twice(tmp: Path, *, same_bytes: bool) -> Path:
    """A hive lake where every sample is there twice: each part file copied (same bytes) or rewritten with the
    same samples and another cost column (other bytes, same sample_idx)."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from lakekit import write_hive

    root = tmp / "lake"
    write_hive(root)
    for part in sorted(root.rglob("part-0.parquet")):
        t = pq.read_table(part)
        if not same_bytes:
            t = t.set_column(t.schema.get_field_index("cost_usd"), "cost_usd", pc.multiply(t["cost_usd"], 2.0))
        pq.write_table(t, part.with_name("part-1.parquet"))
    return root


def _parquet(tmp: Path, correct: list[int]) -> Path:
    pd.DataFrame({"question_id": ["q"] * len(correct), "config": ["a"] * len(correct),
                  "correct": correct}).to_parquet(tmp / "x.parquet")
    return tmp / "x.parquet"


@pytest.fixture()
def populated(osca_home, bcb_path, tmp_path_factory) -> Path:
    st = Store.open()
    import_paths(st, [bcb_path], name="victim")
    d = tmp_path_factory.mktemp("samples")
    (d / "s.csv").write_text("question_id,config,correct,split,difficulty\nq1,a,1,train,easy\nq1,b,0,train,easy\n"
                             "q2,a,1,test,hard\nq2,b,1,test,hard\n")
    import_paths(st, [d / "s.csv"], name="victim-samples")
    return osca_home


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_in_one_line_and_changes_nothing(case, populated, bcb_path, tmp_path, capsys):
    build, named, pattern = CASES[case]
    (tmp_path / "in").mkdir()
    paths, extra = build(tmp_path / "in", json.loads(bcb_path.read_text()))
    before = snapshot(populated)
    rc = main(["import", *map(str, paths), "--name", "victim", "--replace", *extra])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err.endswith("\n") and err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("osca: error: ")
    msg = err[len("osca: error: "):-1]
    if named is not None:
        assert msg.startswith(f"{paths[named]}: ") or msg.startswith(f"{paths[named]}, "), msg
        msg = msg[len(str(paths[named])):]
    assert re.search(pattern, msg), msg
    assert snapshot(populated) == before


def test_bad_dataset_name_is_refused_before_anything_is_written(populated, tmp_path, capsys):
    before = snapshot(populated)
    path = _csv(tmp_path, HEAD + "q,a,1\n")
    assert main(["import", str(path), "--name", "a/b"]) == 2
    assert capsys.readouterr().err == "osca: error: dataset name 'a/b': use 1-100 printable characters, no slashes\n"
    assert snapshot(populated) == before
