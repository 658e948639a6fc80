"""Column roles in long files: per-sample data (tokens, dollar cost, run ids, durations) kept with the samples,
configuration and question attributes told apart by where they are constant, recognized names case-insensitive,
overrides that refuse a column that cannot take the role, and strict headers and sizes."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from storecheck import write_frame

from osca_core.data.store import Store, read_long
from osca_core.errors import InputError


def _log() -> pd.DataFrame:
    """Two models x 3 questions x 3 runs, with the columns real per-sample logs carry."""
    rows = []
    for qi, q in enumerate(["HumanEval/0", "HumanEval/1", "HumanEval/2"]):
        for s, (cfg, prov, usd) in enumerate([("gpt4o_0.8", "openai", 0.004), ("llama_0.2", "meta", 0.0005)]):
            for run in range(3):
                rows.append({"question_id": q, "config": cfg, "correct": (qi + s + run) % 2, "Run_ID": run,
                             "output_tokens": 40 + 9 * qi + run + 100 * s, "Cost_USD": usd * (1 + run),
                             "latency_ms": 100 + qi + run, "duration": 0.5 * run, "provider": prov,
                             "difficulty": ["easy", "mid", "hard"][qi], "top_p": 0.95 if s == 0 else 0.9})
    return pd.DataFrame(rows)


def _read(path, **kw):
    return read_long([(path, path.suffix.lstrip(".").replace("jsonl", "json"), path.name)], name="t",
                     source="long:t", checksum="x", **kw)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_every_column_gets_its_role_and_per_sample_data_is_kept(tmp_path, osca_home, suffix):
    df = _log()
    m, samples = _read(write_frame(df, tmp_path / f"log{suffix}"))
    assert m.column_roles == {
        "question_id": "question_id", "config": "config", "correct": "correct", "Run_ID": "sample_index",
        "output_tokens": "tokens", "Cost_USD": "cost", "latency_ms": "per_sample", "duration": "per_sample",
        "provider": "config_attr", "difficulty": "question_attr", "top_p": "config_attr"}
    assert m.cost_column == "Cost_USD" and m.n.tolist() == [[3, 3]] * 3
    assert [k.cost for k in m.configs] == pytest.approx([0.008, 0.001])  # mean cost per sample
    assert [k.attrs for k in m.configs] == [{"provider": "openai", "top_p": 0.95}, {"provider": "meta", "top_p": 0.9}]
    assert m.question_attrs == {"difficulty": ("easy", "mid", "hard")}
    st = Store.open()
    info = st.save_matrix(m, samples=samples)
    assert info.cost_column == "Cost_USD" and dict(info.column_roles)["latency_ms"] == "per_sample"
    assert "column 'Cost_USD': cost (cost per sample)" in info.role_lines()
    rows = st.sample_outcomes("t")
    assert list(rows.columns) == ["question_id", "config", "sample_idx", "correct", "tokens", "cost", "latency_ms",
                                  "duration"]
    want = df.sort_values(["question_id", "config", "Run_ID"], kind="stable")
    assert rows["latency_ms"].tolist() == want["latency_ms"].tolist()
    assert rows["duration"].tolist() == pytest.approx(want["duration"].tolist())
    assert rows["tokens"].tolist() == want["output_tokens"].astype(float).tolist()
    got = st.load_matrix("t")
    assert got.configs == m.configs and got.column_roles == m.column_roles and got.cost_column == "Cost_USD"
    assert st.list_datasets()[0].as_dict()["cost_column"] == "Cost_USD"


def test_tokens_are_the_cost_when_there_is_no_cost_column(tmp_path):
    df = _log().drop(columns=["Cost_USD"])
    m, _ = _read(write_frame(df, tmp_path / "t.csv"))
    assert m.cost_column == "output_tokens"
    want = df.groupby("config", sort=False)["output_tokens"].mean().tolist()
    assert [k.cost for k in m.configs] == pytest.approx(want)


def test_one_sample_per_cell_with_a_cost_differing_between_cells_is_per_sample_data(tmp_path):
    df = pd.DataFrame({"question_id": ["a", "a", "b", "b"], "config": ["x", "y", "x", "y"], "correct": [1, 0, 0, 1],
                       "spend": [1.0, 2.0, 3.0, 4.0]})
    m, samples = _read(write_frame(df, tmp_path / "t.csv"))
    rows = sorted(zip(samples.column("q").to_pylist(), samples.column("s").to_pylist(),
                      samples.column("x:spend").to_pylist(), strict=True))
    assert m.column_roles["spend"] == "per_sample" and [r[2] for r in rows] == [1.0, 2.0, 3.0, 4.0]


def test_a_run_column_that_repeats_within_a_cell_is_per_sample_data_not_the_index(tmp_path):
    df = _log().rename(columns={"Run_ID": "seed"})
    df["seed"] = 7  # the same seed for every sample
    m, _ = _read(write_frame(df, tmp_path / "t.csv"))
    assert m.column_roles["seed"] == "per_sample" and m.n.tolist() == [[3, 3]] * 3


def test_overrides_force_a_role_and_refuse_a_column_that_cannot_take_it(tmp_path):
    path = write_frame(_log(), tmp_path / "t.csv")
    m, _ = _read(path, cost_column="output_tokens", config_attr=["provider"])
    assert m.cost_column == "output_tokens" and m.column_roles["Cost_USD"] == "per_sample"
    assert m.column_roles["provider"] == "config_attr"
    with pytest.raises(InputError, match=r"question 'HumanEval/0' has output_tokens .* cannot be a question attribute"):
        _read(path, question_attr=["output_tokens"])
    with pytest.raises(InputError, match=r"row 7: configuration 'gpt4o_0.8' has difficulty 'mid' here but 'easy' at "
                                         r"row 1 \(so 'difficulty' cannot be a configuration attribute\)$"):
        _read(path, config_attr=["difficulty"])
    with pytest.raises(InputError, match=r"no column 'nope' for the role question attribute"):
        _read(path, question_attr=["nope"])
    with pytest.raises(InputError, match=r"column 'correct' is the outcome \(correct\) column; it cannot be a "
                                         r"question attribute"):
        _read(path, question_attr=["correct"])
    with pytest.raises(InputError, match=r"row 1: column 'provider' \(cost\): cost must be a number > 0"):
        _read(path, cost_column="provider")
    with pytest.raises(InputError, match=r"row 2: column 'duration' \(sample_idx\): sample_idx must be an integer "
                                         r">= 0 \(got '0.5'\)"):
        _read(path, sample_column="duration")
    df = _log()
    df["attempt"] = df["Run_ID"] % 2
    with pytest.raises(InputError, match=r"duplicate sample_idx 0 for question 'HumanEval/0' and configuration "
                                         r"'gpt4o_0.8'"):
        _read(write_frame(df, tmp_path / "a.csv"), sample_column="attempt")


def test_duplicate_column_names_are_refused_by_name_also_when_only_the_case_differs(tmp_path):
    for header, needle in (("question_id,config,correct,correct", r"column 'correct' appears twice;"),
                           ("question_id,config,correct,CORRECT", r"column 'CORRECT' appears twice \(also as 'correct'")):
        p = tmp_path / "d.csv"
        p.write_text(header + "\nq1,a,1,0\n")
        with pytest.raises(InputError, match=rf"^d.csv: {needle}"):
            _read(p)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_special_files_are_refused_as_such(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"pipe.csv: is a FIFO \(named pipe\), not a regular file"):
        read_long([(fifo, "csv", "pipe.csv")], name="t", source="s", checksum="x")
    with pytest.raises(InputError, match=r"/dev/zero: is a character device, not a regular file"):
        read_long([("/dev/zero", "csv", "/dev/zero")], name="t", source="s", checksum="x")


@pytest.mark.parametrize(("bad", "late", "row", "says"), [
    ("2.5", "9223372036854775808", 2, r"n_samples must be an integer > 0 \(got '2.5'\)"),
    ("9223372036854775808", "2.5", 2, r"n_samples .* is out of range \(at most 2\^63 - 1\)"),
    ("-1", "1e30", 2, r"n_samples must be an integer > 0 \(got '-1\.0'\)"),  # the column is read as DOUBLE
])
def test_the_first_bad_count_is_named_whether_it_is_too_large_or_not_a_count(tmp_path, bad, late, row, says):
    """A column with a value too large for 64 bits and another that is no count: the error names the earlier row
    (both checks run; the out-of-range check does not jump ahead of an earlier non-integer)."""
    p = tmp_path / "mixed.csv"
    p.write_text(f"question_id,config,n_samples,n_correct\nq1,a,3,1\nq2,a,{bad},1\nq3,a,{late},1\n")
    with pytest.raises(InputError, match=rf"^mixed.csv: row {row}: {says}$"):
        _read(p)


@pytest.mark.parametrize("value", ["1000000000000000000000000000000", "9223372036854775808", "1e30"])
def test_counts_too_large_for_64_bits_are_named_out_of_range(tmp_path, value):
    p = tmp_path / "big.csv"
    p.write_text(f"question_id,config,n_samples,n_correct\nq1,a,3,1\nq2,a,{value},1\n")
    with pytest.raises(InputError, match=r"^big.csv: row 2: n_samples .* is out of range \(at most 2\^63 - 1\)$"):
        _read(p)
    p.write_text("question_id,config,n_samples,n_correct\nq1,a,0,0\n")
    with pytest.raises(InputError, match="n_samples must be an integer > 0"):
        _read(p)


def test_a_parquet_footer_with_invalid_utf8_is_one_line_and_the_store_unchanged(tmp_path, osca_home, capsys):
    """A Parquet file whose footer names a column in bytes that are not UTF-8 (found by the fuzz test: pyarrow's
    footer reader raised UnicodeDecodeError, a traceback): refused in one line naming the file, exit 2."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from storecheck import snapshot

    from osca_core.cli import main

    path = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pandas(_log(), preserve_index=False).replace_schema_metadata(None), path)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"question_id")
    while at >= 0:  # every copy of the column name in the footer (schema and column paths)
        raw[at] = 0xAA  # not a UTF-8 start byte
        at = raw.find(b"question_id", at + 1)
    path.write_bytes(bytes(raw))
    before = snapshot(osca_home)
    assert main(["import", str(path), "--name", "bad"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "Traceback" not in err, err
    assert snapshot(osca_home) == before
