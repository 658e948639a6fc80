"""Framework files as their owners leave them (issue 23): detected by content, names kept whole, refusals naming
the format a file most resembles. Fixtures: lm-evaluation-harness files as ``lm_eval/loggers/evaluation_tracker.py``
writes them (tests/test_formats_lmeval.py ``write_run``), then renamed; SWE-bench harness reports as
``swebench/harness/reporting.py`` ``make_run_report`` writes them (tests/test_formats_swebench.py
``write_report``); the SWE-bench experiments repository's ``evaluation/<split>/<date>_<system>/results/results.json``
(``{"no_generation": [...], "no_logs": [...], "resolved": [...]}``, the lists of ``get_model_report``: README of
the experiments repository); EvalPlus sample names from ``evalplus/codegen.py``
(``<model, / as -->_<backend>_temp_<T>``) and BigCodeBench's from ``bigcodebench/generate.py``
(``<model>--[<revision>--]bigcodebench-<subset>-<split>--<backend>-<T>-<n>-sanitized_calibrated``)."""

from __future__ import annotations

import json

import pytest
from storecheck import snapshot
from test_formats_evalplus import PLUS, write_evalplus
from test_formats_lmeval import DATES, V, write_run
from test_formats_swebench import DATASET, write_report

from osca_core.data.formats import ReadOptions
from osca_core.data.importers import detect, import_files
from osca_core.data.store import Store
from osca_core.errors import InputError


@pytest.fixture()
def store(osca_home) -> Store:
    return Store.open()


def test_a_renamed_lm_eval_results_file_is_recognised_and_read_with_its_samples(store, tmp_path):
    s = write_run(tmp_path / "run", DATES[0], "gsm8k", V, model="org/m", gen_kwargs="temperature=0.6")
    res = s.parent / f"results_{DATES[0]}.json"
    renamed = res.rename(s.parent / "org_m_gsm8k_scores.json")
    assert detect(renamed, str(renamed)) == ("lm-eval", "json")
    # the samples find the renamed results file beside them (it names their task): model and settings from it
    r = import_files(store, [tmp_path / "run"], name="lm", options=ReadOptions(filter="strict-match"))
    assert r.files == (str(s),)  # the results file is read with the samples, not as a log of its own
    m = store.load_matrix("lm")
    assert m.config_names == ("org/m_0.6",) and m.c[:, 0].tolist() == [1, 0, 0] and m.n[:, 0].tolist() == [1] * 3
    # given alone, it stands for the samples files of the tasks it names
    r2 = import_files(store, [renamed], name="solo", options=ReadOptions(filter="flexible-extract"))
    assert r2.format == "lm-eval" and store.load_matrix("solo").c[:, 0].tolist() == [1, 1, 0]


def test_a_folder_of_lm_eval_results_files_only_says_the_samples_are_missing(store, tmp_path, osca_home):
    s = write_run(tmp_path / "run", DATES[1], "gsm8k", V, model="m", gen_kwargs=None)
    s.unlink()
    before = snapshot(osca_home)
    with pytest.raises(InputError, match=rf"^{tmp_path}/run/results_{DATES[1]}.json: an lm-evaluation-harness "
                                         rf"results file \(scores per task, no samples\); no samples_<task>_"
                                         rf"{DATES[1]}.jsonl beside it \(run lm_eval with --log_samples\)$"):
        import_files(store, [tmp_path / "run"], name="x")
    assert snapshot(osca_home) == before


def test_filter_asked_for_applies_to_the_files_that_have_it_and_names_the_others(store, tmp_path):
    a = write_run(tmp_path / "a", DATES[0], "gsm8k", V, model="m/a", gen_kwargs="temperature=0.5")
    b = write_run(tmp_path / "b", DATES[1], "arc", {0: {"none": {"acc": 1}}, 1: {"none": {"acc": 0}}},
                  model="m/a", gen_kwargs="temperature=0.5")
    r = import_files(store, [a, b], name="two", options=ReadOptions(filter="strict-match"))
    assert f"{b}: no filter 'strict-match'; read with its only filter 'none'" in r.notes
    m = store.load_matrix("two")
    cells = {q: (int(m.n[i, 0]), int(m.c[i, 0])) for i, q in enumerate(m.question_ids)}
    assert cells == {"gsm8k/0": (1, 1), "gsm8k/1": (1, 0), "gsm8k/2": (1, 0), "arc/0": (1, 1), "arc/1": (1, 0)}
    with pytest.raises(InputError, match=r"^--filter: no filter 'x' in any of the 2 samples files \(filters: "
                                         r"strict-match, flexible-extract, none\)$"):
        import_files(store, [a, b], name="x", options=ReadOptions(filter="x"))


def test_swebench_model_names_with_dots_are_kept_whole(store, tmp_path):
    write_report(tmp_path / "r", "anthropic/claude-3.5-sonnet", "run1", submitted=DATASET, resolved=DATASET[:1])
    write_report(tmp_path / "r", "anthropic/claude-3.5-sonnet", "run2", submitted=DATASET, resolved=DATASET[:3])
    plain = tmp_path / "s" / "claude-3.5-sonnet.json"
    plain.parent.mkdir()
    (tmp_path / "r" / "anthropic__claude-3.5-sonnet.run1.json").rename(plain)
    import_files(store, [tmp_path / "r"], name="runs")
    m = store.load_matrix("runs")
    assert m.config_names == ("anthropic/claude-3.5-sonnet",) and m.configs[0].model == "anthropic/claude-3.5-sonnet"
    assert dict(zip(m.question_ids, m.c[:, 0].tolist(), strict=True)) == {x: int(x in DATASET[:3]) for x in DATASET}
    assert (m.n == 1).all()  # run1 moved away: run2 alone
    import_files(store, [plain], name="plain")
    assert store.load_matrix("plain").config_names == ("claude-3.5-sonnet",)


def test_swebench_experiments_results_json_reads_the_resolved_list_with_its_caveat(store, tmp_path):
    sub = tmp_path / "evaluation" / "verified" / "20240620_sweagent_claude3.5sonnet" / "results"
    sub.mkdir(parents=True)
    f = sub / "results.json"
    f.write_text(json.dumps({"no_generation": [DATASET[3]], "no_logs": [DATASET[2]], "resolved": DATASET[:2]},
                            indent=2))
    assert detect(f, str(f)) == ("swebench", "json")
    r = import_files(store, [f], name="exp")
    m = store.load_matrix("exp")
    assert m.config_names == ("20240620_sweagent_claude3.5sonnet",)
    assert dict(zip(m.question_ids, m.c[:, 0].tolist(), strict=True)) == {
        DATASET[0]: 1, DATASET[1]: 1, DATASET[2]: 0, DATASET[3]: 0}
    assert (m.n == 1).all()
    assert r.notes[0] == (f"{f}: SWE-bench experiments results.json lists resolved instances only: 2 resolved, 2 "
                          f"named as failed; unresolved instances it does not name are not in the data")


@pytest.mark.parametrize(("name", "model", "temp", "attrs"), [
    ("meta-llama--Meta-Llama-3.1-8B-Instruct_vllm_temp_0.8", "meta-llama/Meta-Llama-3.1-8B-Instruct", 0.8,
     {"backend": "vllm"}),
    ("Qwen--Qwen2.5-Coder-7B--main--bigcodebench-hard-complete--vllm-0-1-sanitized_calibrated",
     "Qwen/Qwen2.5-Coder-7B", 0.0, {"backend": "vllm", "task": "hard-complete"}),
])
def test_evalplus_model_and_temperature_come_whole_from_the_frameworks_own_names(store, tmp_path, name, model,
                                                                                 temp, attrs):
    write_evalplus(tmp_path / "humaneval" / name / "eval_results.json", PLUS)
    import_files(store, [tmp_path / "humaneval"], name="ep")
    (k,) = store.load_matrix("ep").configs
    assert (k.name, k.model, k.temperature) == (name, model, temp)
    assert {a: k.attrs.get(a) for a in attrs} == attrs


@pytest.mark.parametrize(("doc", "fmt", "key"), [
    ({"version": 2, "eval": {"task": "t"}, "plan": {}, "results": {}}, "inspect", "status"),
    ({"submitted_ids": ["a"], "unresolved_ids": [], "schema_version": 2}, "swebench", "resolved_ids"),
    ({"results": {"gsm8k": {}}, "model_name": "m", "date": 1.0}, "lm-eval", "configs"),
    ({"date": "2024", "hash": "h", "evaluation": {}}, "evalplus", "eval"),
    ({"training_instances": [], "testing_instances": [], "train": {}}, "osca", "settings"),
])
def test_an_unknown_json_object_names_the_format_it_resembles_and_the_missing_key(store, tmp_path, osca_home,
                                                                                  doc, fmt, key):
    f = tmp_path / "mystery.json"
    f.write_text(json.dumps(doc, indent=1))
    before = snapshot(osca_home)
    with pytest.raises(InputError, match=rf"^{f}: unknown format: looks most like {fmt} \(.*\) but has no key "
                                         rf"'{key}'$") as e:
        import_files(store, [f], name="x")
    assert "\n" not in str(e.value) and snapshot(osca_home) == before


def test_an_object_like_no_format_lists_its_keys(store, tmp_path):
    f = tmp_path / "other.json"
    f.write_text(json.dumps({"alpha": 1, "beta": [2]}))
    with pytest.raises(InputError, match=rf"^{f}: unknown format: one JSON object with keys alpha, beta, not the "
                                         r"layout of any format the studio reads \(osca, inspect, swebench, "
                                         r"evalplus, lm-eval, lcb, long\)$"):
        import_files(store, [f], name="x")


def test_long_json_lines_are_still_long(store, tmp_path):
    f = tmp_path / "rows.jsonl"
    f.write_text("".join(json.dumps({"question_id": f"q{i % 2}", "config": "m_0.5", "correct": i % 3 == 0}) + "\n"
                         for i in range(6)))
    assert detect(f, str(f))[0] == "long"
    m = (import_files(store, [f], name="rows"), store.load_matrix("rows"))[1]
    assert m.n[:, 0].tolist() == [3, 3] and m.c[:, 0].tolist() == [1, 1]


def test_a_long_file_of_one_row_is_still_long(store, tmp_path):
    f = tmp_path / "one.jsonl"
    f.write_text(json.dumps({"question_id": "0", "config": "0", "correct": False}) + "\n")
    assert detect(f, str(f))[0] == "long"
    import_files(store, [f], name="one")
    assert store.load_matrix("one").n.tolist() == [[1]]
