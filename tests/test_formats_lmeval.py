"""lm-evaluation-harness per-sample logs. Fixtures follow the harness's writers: each line as built in
``lm_eval/evaluator.py`` (``evaluate``: ``doc_id, doc, target, arguments, resps, filtered_resps, filter, metrics,
doc_hash, prompt_hash, target_hash`` + one field per metric), written by ``lm_eval/loggers/evaluation_tracker.py``
(``save_results_samples``: ``<output>/<model_name_sanitized>/samples_<task>_<date_id>.jsonl``, ``arguments``
re-keyed ``gen_args_i``/``arg_j``; ``save_results_aggregated``: ``results_<date_id>.json`` with ``results``,
``configs``, ``config`` (``model``, ``model_args``, ``gen_kwargs``, ...) and the tracker's ``model_name``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from storecheck import snapshot

from osca_core.data import formats
from osca_core.data.formats import ReadOptions
from osca_core.data.importers import detect, import_files
from osca_core.data.store import Store
from osca_core.errors import InputError

DATES = ("2024-05-01T10-00-00.000001", "2024-05-02T11-30-00.123456", "2024-05-03T09-15-00.5")


def write_run(folder: Path, date: str, task: str, verdicts: dict[int, dict[str, dict]], *, model: str,
              gen_kwargs, repeats: int = 1, task_gen: dict | None = None) -> Path:
    """One harness run: samples_<task>_<date>.jsonl (one line per doc and filter) and results_<date>.json."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for doc_id, by_filter in verdicts.items():
        for flt, metrics in by_filter.items():
            lines.append({"doc_id": doc_id, "doc": {"question": f"q{doc_id}", "answer": "4"}, "target": "4",
                          "arguments": {"gen_args_0": {"arg_0": f"Q: q{doc_id}\nA:", "arg_1": {"until": ["\n"]}}},
                          "resps": [[f"answer {k}" for k in range(repeats)]], "filtered_resps": ["4"],
                          "filter": flt, "metrics": list(metrics), "doc_hash": "d", "prompt_hash": "p",
                          "target_hash": "t", **metrics})
    samples = folder / f"samples_{task}_{date}.jsonl"
    samples.write_text("".join(json.dumps(x) + "\n" for x in lines))
    results = {"results": {task: {"alias": task, "exact_match,strict-match": 0.5}},
               "configs": {task: {"task": task, "repeats": repeats, "output_type": "generate_until",
                                  "generation_kwargs": task_gen or {"until": ["\n"], "do_sample": False}}},
               "versions": {task: 3.0}, "n-shot": {task: 5},
               "config": {"model": "vllm", "model_args": f"pretrained={model},dtype=auto", "batch_size": "auto",
                          "device": None, "limit": None, "gen_kwargs": gen_kwargs, "random_seed": 0},
               "model_name": model, "model_name_sanitized": model.replace("/", "__"), "date": 1714557600.0}
    (folder / f"results_{date}.json").write_text(json.dumps(results, indent=2))
    return samples


V = {0: {"strict-match": {"exact_match": 1.0}, "flexible-extract": {"exact_match": 1.0}},
     1: {"strict-match": {"exact_match": 0.0}, "flexible-extract": {"exact_match": 1.0}},
     2: {"strict-match": {"exact_match": 0.0}, "flexible-extract": {"exact_match": 0.0}}}


@pytest.fixture()
def store(osca_home) -> Store:
    return Store.open()


def test_runs_give_configurations_from_the_results_file_and_repeated_runs_are_samples(store, tmp_path):
    a = write_run(tmp_path / "m__a", DATES[0], "gsm8k", V, model="m/a", gen_kwargs="temperature=0.7,top_p=0.95")
    b = write_run(tmp_path / "m__a", DATES[1], "gsm8k", V, model="m/a", gen_kwargs="temperature=0.7,top_p=0.95")
    write_run(tmp_path / "m__b", DATES[2], "gsm8k", {d: {"strict-match": {"exact_match": 1.0}} for d in V},
              model="m/b", gen_kwargs={"temperature": 0.2, "top_p": 0.95})
    assert detect(a, str(a)) == ("lm-eval", "json")
    r = import_files(store, [tmp_path], name="lm", options=ReadOptions(filter="strict-match"))
    assert r.format == "lm-eval" and len(r.files) == 3  # results files are read with their samples, not alone
    m = store.load_matrix("lm")
    assert m.question_ids == ("0", "1", "2") and m.config_names == ("m/a_0.7", "m/b_0.2")
    assert m.n.tolist() == [[2, 1]] * 3 and m.c.tolist() == [[2, 1], [0, 1], [0, 1]]
    assert [(k.model, k.temperature) for k in m.configs] == [("m/a", 0.7), ("m/b", 0.2)]
    rows = formats.get("lm-eval").read([(p, str(p)) for p in (a, b)], ReadOptions(filter="flexible-extract"))
    assert rows.table.to_pydict()["correct"] == [True, True, False] * 2
    assert rows.config_attrs["m/a_0.7"] == {"model": "m/a", "metric": "exact_match", "filter": "flexible-extract"}
    # a results file given alone stands for its run's samples files
    r2 = import_files(store, [tmp_path / "m__b" / f"results_{DATES[2]}.json"], name="solo")
    assert r2.format == "lm-eval" and store.load_matrix("solo").c.tolist() == [[1], [1], [1]]


def test_filter_and_metric_are_asked_for_and_the_refusal_lists_the_candidates(store, tmp_path, osca_home):
    p = write_run(tmp_path / "x", DATES[0], "gsm8k",
                  {d: {"none": {"exact_match": v, "bleu": 12.5, "f1": 0.5}} for d, v in ((0, 1.0), (1, 0.0))},
                  model="m", gen_kwargs=None)
    q = write_run(tmp_path / "y", DATES[0], "gsm8k", V, model="m", gen_kwargs=None)
    with pytest.raises(InputError, match=r"several filters \(strict-match, flexible-extract\); pick one with --filter"):
        import_files(store, [q], name="x")
    with pytest.raises(InputError, match=r"^--filter: no filter 'x' in .* \(filters: strict-match, flexible-extract\)"):
        import_files(store, [q], name="x", options=ReadOptions(filter="x"))
    with pytest.raises(InputError, match=r"^--metric: 'bleu' is not 0/1 in every line of .* \(0/1 metrics: "
                                         r"exact_match\)$"):
        import_files(store, [p], name="x", options=ReadOptions(metric="bleu"))
    assert snapshot(osca_home) == {"datasets": []}
    import_files(store, [p], name="ok")  # default: the task's first 0/1 metric
    assert store.load_matrix("ok").c.tolist() == [[1], [0]] and store.load_matrix("ok").config_names == ("m",)


def test_repeats_are_one_sample_per_document_and_a_configuration_attribute(tmp_path):
    p = write_run(tmp_path / "r", DATES[0], "gsm8k_cot_self_consistency",
                  {0: {"maj@8": {"exact_match": 1}}, 1: {"maj@8": {"exact_match": 0}}}, model="m", gen_kwargs=None,
                  repeats=8, task_gen={"do_sample": True, "temperature": 0.8, "until": ["Q:"]})
    rows = formats.get("lm-eval").read([(p, str(p))], ReadOptions())
    assert rows.table.num_rows == 2 and rows.table.to_pydict()["temperature"] == [0.8, 0.8]
    assert list(rows.config_attrs) == ["m_0.8"]
    assert "8 responses per document combined by filter 'maj@8': one sample each" in rows.notes[0]


def test_several_tasks_prefix_question_ids_and_damaged_lines_are_named(store, tmp_path):
    a = write_run(tmp_path / "m", DATES[0], "arc_easy", {0: {"none": {"acc": 1}}}, model="m", gen_kwargs=None)
    b = write_run(tmp_path / "m", DATES[0], "arc_challenge", {0: {"none": {"acc": 0}}}, model="m", gen_kwargs=None)
    rows = formats.get("lm-eval").read([(a, str(a)), (b, str(b))], ReadOptions())
    assert rows.table.to_pydict()["question_id"] == ["arc_easy/0", "arc_challenge/0"]
    a.write_text(a.read_text() + '{"doc_id": 0, "filter": "none", "acc": 1, "resps": []}\n')
    with pytest.raises(InputError, match=r"samples_arc_easy_.*: line 2: duplicate doc_id 0 for filter 'none' "
                                         r"\(also at line 1\)$"):
        import_files(store, [a], name="x")
    a.write_text('{"doc_id": 0, "filter": "none", "acc": 1, "resps": []}\n{"doc_id": 1, "filt')
    with pytest.raises(InputError, match=r"samples_arc_easy_.*: line 2: not valid JSON"):
        import_files(store, [a], name="x", format="lm-eval")


def test_an_upload_of_samples_and_results_files_reads_them_together(store, tmp_path):
    from osca_core.data.importers import import_uploads

    s = write_run(tmp_path / "up", DATES[0], "gsm8k", {0: {"none": {"acc": 1}}, 1: {"none": {"acc": 0}}},
                  model="org/model", gen_kwargs="temperature=0.3")
    res = s.parent / f"results_{DATES[0]}.json"
    r = import_uploads(store, [(res.name, res.read_bytes()), (s.name, s.read_bytes())], name="up")
    m = store.load_matrix("up")
    assert r.files == (s.name,) and m.config_names == ("org/model_0.3",) and m.c.tolist() == [[1], [0]]


def test_a_results_file_given_beside_its_samples_is_metadata_not_counted(store, tmp_path):
    """``osca import run/*`` names the results file and the samples file of one run: each sample once, the
    results file's configuration still read, and a note says so."""
    samples = write_run(tmp_path / "run", DATES[0], "gsm8k", V, model="m/a", gen_kwargs="temperature=0.7")
    results = tmp_path / "run" / f"results_{DATES[0]}.json"
    r = import_files(store, [results, samples], name="lm", options=ReadOptions(filter="strict-match"))
    m = store.load_matrix("lm")
    assert m.config_names == ("m/a_0.7",) and m.n.tolist() == [[1], [1], [1]] and m.c.tolist() == [[1], [0], [0]]
    assert r.files == (str(samples),)
    assert f"{results}: an lm-eval results file: read as the metadata of its samples files, not counted" in r.notes
