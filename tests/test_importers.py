"""Importers: every format round-trips (import, read the matrix back, the same numbers as the file); per-sample
rows are aggregated to (n, c); LiveCodeBench files become one configuration each; the format is guessed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from storecheck import aggregated_frame, assert_same_matrix, per_sample_frame, write_frame

from osca_core.bench.ingest import bench_ingest, bench_shape
from osca_core.data.importers import detect, import_bytes, import_paths
from osca_core.data.store import Store
from osca_core.errors import InputError


@pytest.fixture()
def store(osca_home) -> Store:
    return Store.open()


def test_osca_release_files_import_exactly(store, swe_path, bcb_path, swe, bcb):
    a = import_paths(store, [swe_path], name="osca-swebench")
    b = import_paths(store, [bcb_path])
    assert (a.questions, a.configs, a.split) == (300, 22, "in-sample")
    assert (b.name, b.questions, b.configs, b.split) == ("bcb_results", 148, 10, "70 train / 78 test")
    assert a.checksum == "69e940f0165cfe0b3a66e0e16341fa16557301c1556e03bc01e0501c6172acb0"
    assert_same_matrix(store.load_matrix("osca-swebench"), swe, source=False)
    assert_same_matrix(store.load_matrix("bcb_results"), bcb, source=False)
    assert a.source == "osca:swebench_agentless.json"


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_per_sample_rows_round_trip_the_bigcodebench_release(store, bcb, tmp_path, suffix):
    """444,000 per-sample rows (148 questions x 10 configurations x 300 runs) with the train/test split."""
    path = write_frame(per_sample_frame(bcb), tmp_path / f"bcb_samples{suffix}")
    info = import_paths(store, [path], name="bcb-long")
    assert (info.questions, info.configs, info.split) == (148, 10, "70 train / 78 test")
    got = store.load_matrix("bcb-long")
    assert_same_matrix(got, bcb, checksum=False, source=False)
    assert got.source == f"long:bcb_samples{suffix}" and store.has_samples("bcb-long")


def test_per_sample_rows_are_kept_and_read_back(store, tmp_path):
    df = pd.DataFrame({"question_id": ["q2", "q2", "q1", "q1", "q2", "q1"], "config": ["a", "b", "a", "b", "a", "b"],
                       "correct": [1, 0, 0, 1, 1, 1], "tokens": [10, 20, 30, 40, 50, 60]})
    import_paths(store, [write_frame(df, tmp_path / "s.parquet")], name="s")
    m = store.load_matrix("s")
    assert m.question_ids == ("q2", "q1") and m.config_names == ("a", "b")
    assert m.n.tolist() == [[2, 1], [1, 2]] and m.c.tolist() == [[2, 0], [0, 2]]
    assert m.in_sample and m.split_label == "in-sample"
    rows = store.sample_outcomes("s")
    assert list(rows.columns) == ["question_id", "config", "sample_idx", "correct", "tokens"]
    assert rows.values.tolist() == [["q2", "a", 0, True, 10.0], ["q2", "a", 1, True, 50.0], ["q2", "b", 0, False, 20.0],
                                    ["q1", "a", 0, False, 30.0], ["q1", "b", 0, True, 40.0], ["q1", "b", 1, True, 60.0]]


def test_per_sample_cost_becomes_the_configurations_mean_cost(store, tmp_path):
    df = pd.DataFrame({"question_id": ["q1", "q1", "q2", "q2"], "config": ["a"] * 4, "correct": ["true", "false"] * 2,
                       "cost": [1.0, 3.0, 2.0, 2.0], "model": ["gpt"] * 4, "temperature": [0.7] * 4})
    import_paths(store, [write_frame(df, tmp_path / "c.csv")], name="c")
    k = store.load_matrix("c").configs[0]
    assert (k.name, k.model, k.temperature, k.variant, k.cost) == ("a", "gpt", 0.7, "", 2.0)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_aggregated_rows_round_trip_the_swebench_release(store, swe, tmp_path, suffix):
    m = swe.with_costs({"gpt4o_0.4": 3.25, "qwen_0.8": 0.5})
    path = write_frame(aggregated_frame(m), tmp_path / f"swe_counts{suffix}")
    info = import_paths(store, [path], name="swe-long")
    assert (info.questions, info.configs, info.split) == (300, 22, "in-sample")
    assert_same_matrix(store.load_matrix("swe-long"), m, checksum=False, source=False)
    assert not store.has_samples("swe-long")


def test_question_attributes_ride_along_and_ids_keep_leading_zeros(store, tmp_path):
    (tmp_path / "a.csv").write_text("question_id,config,n_samples,n_correct,difficulty,contest_date,rating\n"
                                    "007,m_0.2,4,1,easy,2024-05-01,1200\n007,m_0.8,4,4,easy,2024-05-01,1200\n"
                                    "010,m_0.2,4,0,hard,2024-06-11,2100.5\n010,m_0.8,4,2,hard,2024-06-11,2100.5\n")
    import_paths(store, [tmp_path / "a.csv"], name="a")
    m = store.load_matrix("a")
    assert m.question_ids == ("007", "010")
    assert [(k.model, k.temperature) for k in m.configs] == [("m", 0.2), ("m", 0.8)]
    assert m.question_attrs == {"difficulty": ("easy", "hard"), "contest_date": ("2024-05-01", "2024-06-11"),
                                "rating": (1200.0, 2100.5)}
    t = store.question_table("a")
    assert t.to_dict("list") == {"question_id": ["007", "010"], "split": ["train+test"] * 2,
                                 "difficulty": ["easy", "hard"], "contest_date": ["2024-05-01", "2024-06-11"],
                                 "rating": [1200.0, 2100.5]}


def test_several_long_files_make_one_dataset(store, bcb, tmp_path):
    df = per_sample_frame(bcb)
    first = df[df["config"].str.startswith("Qwen")]
    second = df[~df["config"].str.startswith("Qwen")].drop(columns=["split"])  # the split comes from one file
    paths = [write_frame(first, tmp_path / "qwen.parquet"), write_frame(second, tmp_path / "llama.csv")]
    info = import_paths(store, paths, name="two")
    assert info.source == "long:qwen.parquet, llama.csv" and info.split == "70 train / 78 test"
    assert_same_matrix(store.load_matrix("two"), bcb, checksum=False, source=False)


def test_missing_sample_idx_is_numbered_in_file_order(store, tmp_path):
    df = pd.DataFrame({"question_id": ["q"] * 3 + ["r"] * 3, "config": ["a"] * 6, "correct": [True, False, True] * 2})
    import_paths(store, [write_frame(df, tmp_path / "x.jsonl")], name="x")
    assert store.sample_outcomes("x")["sample_idx"].tolist() == [0, 1, 2, 0, 1, 2]
    assert store.load_matrix("x").c.tolist() == [[2], [2]]


def _lcb_file(path: Path, graded: dict[str, list[bool]], meta: dict[str, tuple]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    probs = [{"question_title": f"t{q}", "question_content": "x" * 50, "platform": meta[q][0], "question_id": q,
              "contest_id": "c1", "contest_date": meta[q][1], "starter_code": "", "difficulty": meta[q][2],
              "output_list": ["..."] * len(g), "code_list": ["print(1)"] * len(g), "graded_list": g,
              "pass@1": sum(g) / len(g), "metadata": [{}] * len(g)} for q, g in graded.items()]
    path.write_text(json.dumps(probs))
    return path


_META = {"abc301_a": ("atcoder", "2023-06-17T00:00:00", "easy"), "1873_A": ("codeforces", "2023-09-21T00:00:00", "medium"),
         "lc-2800": ("leetcode", "2023-07-30T00:00:00", "hard")}


def test_livecodebench_files_are_one_configuration_each_named_by_their_folder(store, tmp_path):
    a = _lcb_file(tmp_path / "gpt-4o" / "Scenario.codegeneration_10_0.2_eval_all.json",
                  {"abc301_a": [True] * 10, "1873_A": [True, False] * 5, "lc-2800": [False] * 10}, _META)
    b = _lcb_file(tmp_path / "llama3_0.8" / "Scenario.codegeneration_10_0.8_eval_all.json",
                  {"lc-2800": [True] + [False] * 9, "abc301_a": [True] * 9 + [False], "1873_A": [False] * 10}, _META)
    info = import_paths(store, [a, b], name="lcb")
    m = store.load_matrix("lcb")
    assert (info.questions, info.configs, info.split) == (3, 2, "in-sample")
    assert m.question_ids == ("abc301_a", "1873_A", "lc-2800") and m.config_names == ("gpt-4o", "llama3_0.8")
    assert m.n.tolist() == [[10, 10]] * 3 and m.c.tolist() == [[10, 9], [5, 0], [0, 1]]
    assert m.configs[1].model == "llama3" and m.configs[1].temperature == 0.8
    t = store.question_table("lcb")
    assert t["difficulty"].tolist() == ["easy", "medium", "hard"] and t["platform"].tolist() == ["atcoder", "codeforces", "leetcode"]
    assert t["contest_date"].tolist()[0] == "2023-06-17T00:00:00"
    assert store.sample_outcomes("lcb")["correct"].sum() == 25


def test_livecodebench_configuration_names_from_the_config_option(store, tmp_path):
    g = {"q1": [True, False], "q2": [False, False]}
    a = _lcb_file(tmp_path / "run" / "a_eval_all.json", g, {q: ("p", "d", "easy") for q in g})
    b = _lcb_file(tmp_path / "run2" / "b_eval_all.json", g, {q: ("p", "d", "easy") for q in g})
    import_paths(store, [a, b], config="gpt4o_0.2, gpt4o_0.8", name="named")
    assert store.load_matrix("named").config_names == ("gpt4o_0.2", "gpt4o_0.8")
    info = import_paths(store, [a], config="solo")
    assert info.name == "a" and store.load_matrix("a").config_names == ("solo",)


def test_uploaded_bytes_import_like_files(store, bcb_path, bcb, tmp_path):
    info = import_bytes(store, "bcb_results.json", bcb_path.read_bytes(), name="up")
    assert info.checksum == bcb.checksum
    assert_same_matrix(store.load_matrix("up"), bcb, source=False)
    csv = aggregated_frame(bcb).to_csv(index=False).encode()
    assert import_bytes(store, "counts.csv", csv).name == "counts"
    assert_same_matrix(store.load_matrix("counts"), bcb, checksum=False, source=False)
    lcb = _lcb_file(tmp_path / "x" / "gpt4o_0.2_eval_all.json", {"q": [True, False]}, {"q": ("p", "d", "easy")})
    info = import_bytes(store, lcb.name, lcb.read_bytes())
    assert info.name == "gpt4o_0.2" and store.load_matrix("gpt4o_0.2").config_names == ("gpt4o_0.2",)
    with pytest.raises(InputError, match=r"^broken\.csv: row 2: correct must be"):
        import_bytes(store, "broken.csv", b"question_id,config,correct\nq,a,1\nq,a,2\n")


def test_reimport_under_the_same_name_replaces_the_dataset(store, swe_path, bcb_path, bcb):
    import_paths(store, [swe_path], name="d")
    import_paths(store, [bcb_path], name="d")
    assert_same_matrix(store.load_matrix("d"), bcb, source=False)
    assert len(store.list_datasets()) == 1


def test_format_is_guessed_from_content(tmp_path, swe_path, bcb):
    csv = write_frame(aggregated_frame(bcb), tmp_path / "x.txt.csv")
    parquet = tmp_path / "p.data"
    per_sample_frame(bcb).head(50).to_parquet(parquet)
    jl = write_frame(per_sample_frame(bcb).head(5), tmp_path / "x.jsonl")
    lcb = _lcb_file(tmp_path / "m" / "o.json", {"q": [True]}, {"q": ("p", "d", "easy")})
    one_line = tmp_path / "one.json"
    one_line.write_text(json.dumps(json.loads(swe_path.read_text())))
    assert detect(swe_path, "s") == ("osca", "json")
    assert detect(one_line, "s") == ("osca", "json")
    assert detect(csv, "c") == ("long", "csv")
    assert detect(parquet, "p") == ("long", "parquet")
    assert detect(jl, "j") == ("long", "json")
    assert detect(lcb, "l") == ("lcb", "json")
    assert detect(csv, "c", "long") == ("long", "csv")


def test_bench_ingest_counts_every_generated_row(tmp_path):
    assert bench_shape(10**7) == (1000, 20) and bench_shape(50) == (1, 20) and bench_shape(1) == (1, 1)
    r = bench_ingest(3000, seed=1)
    assert r.counts_match and (r.rows, r.questions, r.configs) == (3000, 30, 20)
    assert r.import_seconds > 0 and r.aggregate_seconds > 0 and r.peak_rss_mb > 10
    assert np.isfinite(r.as_dict()["peak_rss_mb"])


# -- the registry of formats -----------------------------------------------------------------------------------------

def test_the_registry_lists_every_format_in_detection_order_and_each_has_a_reader():
    from osca_core.data import formats
    assert formats.names() == ("osca", "inspect", "swebench", "evalplus", "lm-eval", "lcb", "long")
    assert {f.name: sorted(f.options) for f in formats.registry().values()} == {
        "osca": [], "inspect": ["config", "partial", "price", "scorer"], "swebench": ["config"],
        "evalplus": ["config", "verifier"], "lm-eval": ["config", "filter", "metric"], "lcb": ["config"], "long": []}
    with pytest.raises(InputError, match=r"^--format: unknown format 'csv' \(use osca, inspect, swebench, evalplus, "
                                         r"lm-eval, lcb, long\)$"):
        formats.get("csv")


def test_a_file_of_no_known_format_names_the_formats_tried(store, tmp_path):
    bad = tmp_path / "x.bin"
    bad.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"x\.bin: unknown format \(tried osca, inspect, swebench, evalplus, lm-eval, "
                                         r"lcb, long\): not a JSON, CSV or Parquet file$"):
        import_paths(store, [bad])


def test_options_a_format_does_not_take_are_refused_by_name(store, tmp_path):
    from osca_core.data.formats import ReadOptions, parse_price

    csv = tmp_path / "s.csv"
    csv.write_text("question_id,config,correct\nq,a,1\n")
    with pytest.raises(InputError, match=r"^--metric: applies to lm-eval logs, not long$"):
        import_paths(store, [csv], options=ReadOptions(metric="acc"))
    with pytest.raises(InputError, match=r"^--partial: use correct or incorrect \(got 'half'\)$"):
        ReadOptions(partial="half")
    with pytest.raises(InputError, match=r"^--verifier: use plus or base"):
        ReadOptions(verifier="extra")
    assert parse_price(["openai/gpt-4o=2.5", "claude=3"]) == {"openai/gpt-4o": 2.5, "claude": 3.0}
    for bad in ("gpt", "=3", "m=cheap", "m=-1"):
        with pytest.raises(InputError, match=r"^--price: "):
            parse_price([bad])
    assert store.list_datasets() == []


def test_a_folder_is_searched_recursively_and_its_files_make_one_dataset(store, tmp_path):
    a = _lcb_file(tmp_path / "runs" / "gpt4o_0.2" / "x_eval_all.json", {"q1": [True, False], "q2": [True]},
                  {q: ("p", "d", "easy") for q in ("q1", "q2")})
    b = _lcb_file(tmp_path / "runs" / "deep" / "llama_0.8" / "y_eval_all.json", {"q2": [False], "q1": [True]},
                  {q: ("p", "d", "easy") for q in ("q1", "q2")})
    (tmp_path / "runs" / "README.md").write_text("# not a log\n")
    (tmp_path / "runs" / ".hidden.json").write_text("{}")
    from osca_core.data.importers import expand, import_files

    assert [p for p, _ in expand([tmp_path / "runs"])] == [b, a]
    r = import_files(store, [tmp_path / "runs"], name="runs")
    m = store.load_matrix("runs")
    assert r.format == "lcb" and m.config_names == ("llama_0.8", "gpt4o_0.2")
    assert m.n.tolist() == [[1, 1], [1, 2]] and m.c.tolist() == [[0, 1], [1, 1]]
    with pytest.raises(InputError, match=r"empty: no log files in this folder"):
        (tmp_path / "empty").mkdir()
        import_files(store, [tmp_path / "empty"])


def test_several_uploads_make_one_dataset_named_by_their_files(store, tmp_path):
    from osca_core.data.importers import import_uploads

    g = {"q1": [True, False]}
    a = _lcb_file(tmp_path / "a" / "gpt4o_0.2_eval_all.json", g, {"q1": ("p", "d", "easy")})
    b = _lcb_file(tmp_path / "b" / "gpt4o_0.8_eval_all.json", {"q1": [True, True]}, {"q1": ("p", "d", "easy")})
    r = import_uploads(store, [(a.name, a.read_bytes()), (b.name, b.read_bytes())], name="two")
    m = store.load_matrix("two")
    assert r.files == (a.name, b.name) and m.config_names == ("gpt4o_0.2", "gpt4o_0.8") and m.c.tolist() == [[1, 2]]


def test_file_reads_the_release_through_the_format_registry_into_the_matrix_load_release_gives(bcb_path, tmp_path):
    import numpy as np

    from osca_core.data.importers import read_release
    from osca_core.model.outcomes import load_release

    a, b = read_release(bcb_path), load_release(bcb_path)
    assert (a.name, a.checksum, a.source, a.config_names, a.question_ids) == (
        b.name, b.checksum, b.source, b.config_names, b.question_ids)
    assert np.array_equal(a.n, b.n) and np.array_equal(a.c, b.c) and np.array_equal(a.train, b.train)
    assert a.content_checksum() == b.content_checksum()
    with pytest.raises(InputError, match=f"^{tmp_path / 'nope.json'}: no such file$"):
        read_release(tmp_path / "nope.json")


def test_an_unreadable_subfolder_or_file_is_refused_by_name_never_skipped(store, tmp_path, monkeypatch):
    """A configuration's folder that cannot be listed (``Path.rglob`` skipped it without a word, so the import
    succeeded with that configuration missing) and a file that cannot be opened (a PermissionError traceback)
    are one line naming them; nothing is stored. The tests run as root, so the permission errors are injected."""
    import os
    from pathlib import Path as P

    for cfg in ("a", "b"):
        (tmp_path / "logs" / cfg).mkdir(parents=True)
        (tmp_path / "logs" / cfg / "s.csv").write_text(f"question_id,config,correct\nq1,{cfg},1\nq2,{cfg},0\n")
    locked = tmp_path / "logs" / "b"
    real_scandir, real_open = os.scandir, P.open

    def scandir(path="."):
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(InputError) as e:
        import_paths(store, [tmp_path / "logs"], name="x")
    assert str(e.value) == f"{locked}: cannot read this folder (Permission denied)"
    monkeypatch.setattr(os, "scandir", real_scandir)

    def no_read(self, *a, **k):
        if self.name == "s.csv" and self.parent.name == "a":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *a, **k)

    monkeypatch.setattr(P, "open", no_read)
    for given in ([tmp_path / "logs"], [tmp_path / "logs" / "a" / "s.csv"]):
        with pytest.raises(InputError) as e:
            import_paths(store, given, name="x")
        assert str(e.value) == f"{tmp_path / 'logs' / 'a' / 's.csv'}: cannot read (Permission denied)"
    assert store.list_datasets() == []


@pytest.mark.slow  # two child interpreters (about 5 s)
def test_bench_ingest_files_counts_every_small_file_and_the_bomb_is_refused_from_its_footer(monkeypatch):
    from osca_core.bench.ingest import bench_files

    monkeypatch.setenv("OSCA_MAX_IMPORT_ROWS", "500")  # the children inherit it: a 1000-row bomb is above
    r = bench_files(10, bomb_rows=1000)
    assert r.counts_match and r.files == 10 and r.peak_rss_mb > 0
    assert r.bomb_refusal.endswith("bomb.parquet: 1,000 rows after decompression, above the limit of 500 rows "
                                   "(OSCA_MAX_IMPORT_ROWS); import it in place with --keep-samples no (streamed "
                                   "counts), or raise OSCA_MAX_IMPORT_ROWS")
