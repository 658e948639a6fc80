"""Parquet datasets read in place (osca_core.data.store.lake): counts equal the truth the generator wrote, cell by
cell, for folders, globs, hive partitions and a local S3-compatible server; bad datasets are refused in one line
naming the path."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lakekit import moto_server, upload_folder, write_hive

from osca_core.data.store import lake
from osca_core.errors import InputError


def _cells(table: pa.Table) -> dict[tuple[str, str], tuple[int, int]]:
    d = table.to_pydict()
    return {(q, c): (n, k) for q, c, n, k in zip(d["question_id"], d["config"], d["n_samples"], d["n_correct"],
                                                strict=True)}


def test_hive_folder_counts_equal_the_generated_truth(tmp_path):
    truth = write_hive(tmp_path / "logs")
    ds = lake.locate(str(tmp_path / "logs"))
    assert ds.partitions == ("model", "temperature")
    assert ds.rows == sum(n for n, _ in truth.values())
    counts = lake.aggregate(ds)
    assert _cells(counts.table) == truth
    assert counts.rows_read == ds.rows
    assert counts.cost_column == "cost_usd"


def test_partition_columns_become_constant_configuration_attributes(tmp_path):
    write_hive(tmp_path / "logs")
    t = lake.aggregate(lake.locate(str(tmp_path / "logs"))).table.to_pandas()
    per_cfg = t.groupby("config")[["model", "temperature", "cost"]].nunique()
    assert (per_cfg == 1).all().all()
    assert set(t["config"]) == {"small_0.2", "small_0.8", "big_0.0"}
    big = t[t["config"] == "big_0.0"].iloc[0]
    assert (big["model"], big["temperature"]) == ("big", "0.0")


def test_cost_is_the_configuration_mean_of_the_cost_column(tmp_path):
    write_hive(tmp_path / "logs")
    raw = pq.read_table(tmp_path / "logs" / "model=small" / "temperature=0.2").to_pandas()
    t = lake.aggregate(lake.locate(str(tmp_path / "logs"))).table.to_pandas()
    got = t[t["config"] == "small_0.2"]["cost"].iloc[0]
    assert got == pytest.approx(raw["cost_usd"].mean(), rel=1e-12)


def test_glob_selects_a_subset_of_partitions(tmp_path):
    truth = write_hive(tmp_path / "logs")
    ds = lake.locate(str(tmp_path / "logs" / "model=small" / "**" / "*.parquet"))
    got = _cells(lake.aggregate(ds).table)
    assert got == {k: v for k, v in truth.items() if k[1].startswith("small_")}


def test_config_column_wins_over_partition_names(tmp_path):
    pq.write_table(pa.table({"question_id": ["a", "a", "b"], "config": ["x", "y", "x"],
                             "correct": [1, 0, 1]}), tmp_path / "one.parquet")
    got = _cells(lake.aggregate(lake.locate(str(tmp_path))).table)
    assert got == {("a", "x"): (1, 1), ("a", "y"): (1, 0), ("b", "x"): (1, 1)}


def test_read_samples_reads_one_question_back_from_the_source(tmp_path):
    truth = write_hive(tmp_path / "logs")
    ds = lake.locate(str(tmp_path / "logs"))
    rows = lake.read_samples(ds, "q003").to_pandas()
    assert set(rows["question_id"]) == {"q003"}
    assert len(rows) == sum(n for (q, _), (n, _) in truth.items() if q == "q003")
    assert {"run_id", "cost_usd", "model", "temperature"} <= set(rows.columns)


def test_partition_with_a_different_schema_is_named(tmp_path):
    write_hive(tmp_path / "logs")
    odd = tmp_path / "logs" / "model=odd" / "temperature=1.0"
    odd.mkdir(parents=True)
    pq.write_table(pa.table({"question_id": ["q000"], "correct": ["yes"]}), odd / "part-0.parquet")
    with pytest.raises(InputError, match=r"model=odd/temperature=1.0/part-0.parquet: schema differs"):
        lake.locate(str(tmp_path / "logs"))


def test_bad_correct_value_is_named_with_its_file(tmp_path):
    pq.write_table(pa.table({"question_id": ["a", "b"], "config": ["x", "x"], "correct": [1, 7]}),
                   tmp_path / "bad.parquet")
    with pytest.raises(InputError, match=r"bad.parquet: question 'b': correct must be 0/1"):
        lake.aggregate(lake.locate(str(tmp_path)))


def test_missing_folder_empty_folder_and_missing_columns_are_one_line(tmp_path):
    with pytest.raises(InputError, match="no such file or folder"):
        lake.locate(str(tmp_path / "nope"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no Parquet files under this folder"):
        lake.locate(str(tmp_path / "empty"))
    pq.write_table(pa.table({"question_id": ["a"], "config": ["x"]}), tmp_path / "nocorrect.parquet")
    with pytest.raises(InputError, match="missing column 'correct'"):
        lake.aggregate(lake.locate(str(tmp_path / "nocorrect.parquet")))


@pytest.mark.slow
def test_s3_dataset_on_a_local_server_counts_equal_the_truth(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    truth = write_hive(tmp_path / "logs")
    with moto_server() as endpoint:
        upload_folder(endpoint, "lab-logs", "runs/2026", tmp_path / "logs")
        ds = lake.locate("s3://lab-logs/runs/2026", s3_endpoint=endpoint)
        assert ds.is_remote and ds.partitions == ("model", "temperature")
        counts = lake.aggregate(ds)
        assert _cells(counts.table) == truth
        assert len(lake.read_samples(ds, "q000")) == sum(n for (q, _), (n, _) in truth.items() if q == "q000")
        with pytest.raises(InputError, match="bucket 'no-such-bucket' does not exist"):
            lake.locate("s3://no-such-bucket/x", s3_endpoint=endpoint)
        with pytest.raises(InputError, match="no Parquet files under this prefix"):
            lake.locate("s3://lab-logs/missing/prefix", s3_endpoint=endpoint)
