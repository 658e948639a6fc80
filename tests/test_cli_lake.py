"""`osca aggregate INPUT... --out COUNTS.parquet`: the DuckDB engine's JSON and table line, counts equal to the
generated truth, the output importable by `osca import`, and refusals in one line (the Spark engine's counts are
checked against DuckDB's in tests/test_spark.py)."""

from __future__ import annotations

import json
import shutil

import pyarrow.parquet as pq
import pytest
from lakekit import write_hive

from osca_core.cli import main
from osca_core.data.store import Store


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_duckdb_aggregate_json_counts_and_reimport(osca_home, capsys, tmp_path):
    root = tmp_path / "logs"
    truth = write_hive(root)
    out_file = tmp_path / "counts.parquet"
    rc, out, err = run(capsys, "aggregate", str(root), "--out", str(out_file), "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["engine"] == "duckdb" and doc["out"] == str(out_file) and doc["cells"] == len(truth)
    assert doc["rows_read"] == sum(n for n, _ in truth.values()) and doc["cost_column"] == "cost_usd"
    t = pq.read_table(out_file).to_pylist()
    assert {(r["question_id"], r["config"]): (r["n_samples"], r["n_correct"]) for r in t} == truth
    rc, _, err = run(capsys, "import", str(out_file), "--name", "counts")
    assert rc == 0, err
    m = Store.open().load_matrix("counts")
    assert {(q, s): (int(m.n[i, j]), int(m.c[i, j])) for i, q in enumerate(m.question_ids)
            for j, s in enumerate(m.config_names)} == truth
    assert run(capsys, "aggregate", str(root), "--out", str(out_file)) == (
        2, "", f"osca: error: --out {out_file}: the file exists; pass --force to replace it\n")
    rc, out, _ = run(capsys, "aggregate", str(root), "--out", str(out_file), "--force")
    assert rc == 0 and out.startswith(f"duckdb: {doc['rows_read']:,} per-sample rows -> {len(truth)} cells in ")


def test_aggregate_refusals_are_one_line(capsys, tmp_path):
    root = tmp_path / "logs"
    write_hive(root)
    for argv, want in (
            (["aggregate", str(root), str(root), "--out", str(tmp_path / "c.parquet")],
             "osca: error: osca aggregate --engine duckdb: give one folder, glob or s3:// prefix\n"),
            (["aggregate", str(root), "--out", str(tmp_path / "c.parquet"), "--master", "local[1]"],
             "osca: error: --master: only with --engine spark\n"),
            (["aggregate", str(root), "--out", str(tmp_path)],
             f"osca: error: --out {tmp_path}: is a folder; give a file name\n"),
            (["aggregate", str(tmp_path / "none"), "--out", str(tmp_path / "c.parquet")],
             f"osca: error: {tmp_path / 'none'}: no such file or folder\n")):
        assert run(capsys, *argv) == (2, "", want)
    assert not (tmp_path / "c.parquet").exists()


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_spark_engine_through_the_cli_equals_the_truth(capsys, tmp_path):
    root = tmp_path / "logs"
    truth = write_hive(root, questions=5)
    out_dir = tmp_path / "spark-counts"
    rc, out, err = run(capsys, "aggregate", str(root), "--out", str(out_dir), "--engine", "spark", "--json")
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["engine"] == "spark" and doc["cells"] == len(truth)
    t = pq.read_table(out_dir).to_pylist()
    assert {(r["question_id"], r["config"]): (r["n_samples"], r["n_correct"]) for r in t} == truth
