"""Parquet datasets read in place through `osca import` (osca_core.data.lake_import): hive folders, globs and s3://
prefixes (moto's S3 server on 127.0.0.1), counts equal to the generated truth cell by cell, `--keep-samples`
(counts only with `samples_source` recorded and one question read back from the source, or a copy of every
per-sample row), and bad input in one line with exit 2 and the store unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lakekit import moto_server, upload_folder, write_hive

from osca_core.cli import main
from osca_core.data import lake_import
from osca_core.data.store import DB_FILE, Store


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def counts(name: str) -> dict[tuple[str, str], tuple[int, int]]:
    m = Store.open().load_matrix(name)
    return {(q, s): (int(m.n[i, j]), int(m.c[i, j])) for i, q in enumerate(m.question_ids)
            for j, s in enumerate(m.config_names) if m.n[i, j]}


def store_bytes(home: Path) -> bytes | None:
    p = home / DB_FILE
    return p.read_bytes() if p.exists() else None


def test_a_hive_folder_with_keep_samples_no_stores_the_true_counts_and_where_the_samples_live(
        osca_home, tmp_path, capsys):
    root = tmp_path / "logs"
    truth = write_hive(root)
    rc, out, err = run(capsys, "import", str(root), "--keep-samples", "no", "--json")
    assert rc == 0, err
    doc = json.loads(out)
    row = doc["datasets"][0]
    assert row["name"] == "logs" and row["questions"] == 12 and row["configs"] == 3
    assert row["samples_source"] == str(root) and row["missing_cells"] == 0
    assert row["column_roles"] == {"question_id": "question_id", "correct": "correct", "sample_idx": "per_sample",
                                   "cost_usd": "cost", "run_id": "per_sample", "model": "config_attr",
                                   "temperature": "config_attr"}
    assert row["cost_column"] == "cost_usd"
    imp = doc["import"]
    assert imp["samples_copied"] is False and imp["rows_read"] == sum(n for n, _ in truth.values())
    assert counts("logs") == truth
    st = Store.open()
    assert st.has_samples("logs") is False
    assert st.samples_source("logs") == {"uri": str(root), "s3_endpoint": None, "rows": imp["rows_read"],
                                         "files": 3}
    m = st.load_matrix("logs")
    assert {k.name: k.attrs.get("model", k.model) for k in m.configs} == {
        "big_0.0": "big", "small_0.2": "small", "small_0.8": "small"}
    back = lake_import.question_samples(st, "logs", "q003")
    assert set(back.column_names) >= {"question_id", "correct", "cost_usd", "run_id", "model", "temperature"}
    got = back.group_by(["model", "temperature"]).aggregate([("correct", "count"), ("correct", "sum")]).to_pylist()
    assert {(f"{r['model']}_{r['temperature']}"): (r["correct_count"], r["correct_sum"]) for r in got} == {
        s: truth[(q, s)] for q, s in truth if q == "q003"}
    # the datasets listing carries the same row
    rc, out, _ = run(capsys, "datasets", "--json")
    assert json.loads(out)["datasets"][0]["samples_source"] == str(root)


def test_a_small_hive_folder_is_copied_by_default_and_a_large_one_keeps_counts_only(
        osca_home, tmp_path, capsys, monkeypatch):
    root = tmp_path / "logs"
    truth = write_hive(root)
    rc, out, err = run(capsys, "import", str(root), "--name", "small")
    assert rc == 0, err
    assert "column 'run_id': per-sample" in out and "missing cells: 0 of 36" in out
    st = Store.open()
    assert counts("small") == truth and st.has_samples("small") and st.samples_source("small") is None
    smp = st.sample_outcomes("small")
    assert len(smp) == sum(n for n, _ in truth.values()) and "run_id" in smp.columns
    back = lake_import.question_samples(st, "small", "q001")
    assert back.num_rows == sum(n for (q, _), (n, _) in truth.items() if q == "q001")
    monkeypatch.setattr(lake_import, "COPY_ROWS", 100)  # the 10^7 threshold, scaled down
    rc, out, err = run(capsys, "import", str(root), "--name", "large")
    assert rc == 0, err
    assert "aggregated where they live" in err
    assert counts("large") == truth and not st.has_samples("large") and st.samples_source("large")["uri"] == str(root)
    assert Store.open().load_matrix("large").content_checksum() == Store.open().load_matrix("small").content_checksum()


def test_a_glob_and_keep_samples_yes(osca_home, tmp_path, capsys):
    root = tmp_path / "logs"
    truth = write_hive(root, seed=3)
    pattern = str(root / "**" / "*.parquet")
    rc, out, err = run(capsys, "import", pattern, "--name", "g", "--keep-samples", "no")
    assert rc == 0, err
    assert counts("g") == truth and Store.open().samples_source("g")["uri"] == pattern
    rc, _, err = run(capsys, "import", pattern, "--name", "g", "--keep-samples", "yes")
    assert rc == 2 and err == "osca: error: dataset 'g' already exists; pass --replace to replace it (or osca " \
                              "remove g first)\n"
    rc, _, err = run(capsys, "import", pattern, "--name", "g", "--keep-samples", "yes", "--replace")
    assert rc == 0, err
    assert counts("g") == truth and Store.open().has_samples("g") and Store.open().samples_source("g") is None


def test_a_plain_parquet_folder_without_partitions_uses_its_config_column(osca_home, tmp_path, capsys):
    root = tmp_path / "flat"
    root.mkdir()
    for k in range(2):
        pq.write_table(pa.table({"question_id": ["a", "b", "a"], "config": [f"m{k}_0.5"] * 3,
                                 "correct": [True, False, k == 1]}), root / f"part-{k}.parquet")
    rc, out, err = run(capsys, "import", str(root), "--keep-samples", "no", "--json")
    assert rc == 0, err
    assert counts("flat") == {("a", "m0_0.5"): (2, 1), ("b", "m0_0.5"): (1, 0), ("a", "m1_0.5"): (2, 2),
                              ("b", "m1_0.5"): (1, 0)}


def _bad_schema(root: Path) -> None:
    write_hive(root)
    bad = root / "model=small" / "temperature=0.8" / "part-0.parquet"
    t = pq.read_table(bad)
    pq.write_table(t.set_column(t.column_names.index("cost_usd"), "cost_usd", pa.array(["x"] * t.num_rows)), bad)


@pytest.mark.parametrize("case", ["schema", "missing", "bad-row", "not-parquet"])
def test_bad_datasets_are_one_line_exit_2_and_the_store_is_unchanged(osca_home, tmp_path, capsys, case):
    ok = tmp_path / "ok"
    write_hive(ok)
    assert run(capsys, "import", str(ok), "--keep-samples", "no")[0] == 0
    before = store_bytes(osca_home)
    root = tmp_path / "logs"
    if case == "schema":
        _bad_schema(root)
        want = (f"osca: error: {root}/model=small/temperature=0.8/part-0.parquet: schema differs from the dataset's "
                f"first file (column 'cost_usd' is string, not double)\n")
        path = str(root)
    elif case == "missing":
        path, want = str(tmp_path / "nope" / "*.parquet"), None
    elif case == "bad-row":
        write_hive(root, samples={("m", "0.1"): 2})
        f = root / "model=m" / "temperature=0.1" / "part-0.parquet"
        t = pq.read_table(f)
        pq.write_table(t.set_column(t.column_names.index("correct"), "correct",
                                    pa.array([2] + [1] * (t.num_rows - 1))), f)
        path, want = str(root), f"osca: error: {f}: question 'q000': correct must be 0/1 or true/false (got '2')\n"
    else:
        root.mkdir()
        (root / "part-0.parquet").write_bytes(b"not parquet at all")
        path, want = str(root), None
    rc, out, err = run(capsys, "import", path, "--keep-samples", "no", "--name", "bad")
    assert rc == 2 and out == "" and err.startswith("osca: error: ") and err.count("\n") == 1, err
    if want is not None:
        assert err == want
    assert store_bytes(osca_home) == before
    assert [d.name for d in Store.open().list_datasets()] == ["ok"]


def test_keep_samples_and_s3_endpoint_refusals(osca_home, tmp_path, capsys):
    f = tmp_path / "x.csv"
    f.write_text("question_id,config,correct\na,m,1\n")
    assert run(capsys, "import", str(f), "--keep-samples", "no") == (
        2, "", f"osca: error: {f}: --keep-samples no reads Parquet datasets in place (a .parquet file, a folder, a "
               f"glob or an s3:// prefix)\n")
    assert run(capsys, "import", str(f), "--s3-endpoint", "http://127.0.0.1:1") == (
        2, "", "osca: error: --s3-endpoint: only with an s3://bucket/prefix PATH\n")
    root = tmp_path / "logs"
    write_hive(root)
    rc, _, err = run(capsys, "import", str(root), "--format", "inspect")
    assert rc == 2 and "is a Parquet dataset read in place" in err


@pytest.mark.slow
def test_an_s3_prefix_on_a_local_moto_server(osca_home, tmp_path, capsys, monkeypatch):
    for k, v in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_DEFAULT_REGION", "us-east-1"),
                 ("AWS_EC2_METADATA_DISABLED", "true")):
        monkeypatch.setenv(k, v)
    root = tmp_path / "logs"
    truth = write_hive(root, seed=7)
    with moto_server() as endpoint:
        upload_folder(endpoint, "lab", "runs/2026", root)
        uri = "s3://lab/runs/2026"
        rc, out, err = run(capsys, "import", uri, "--s3-endpoint", endpoint, "--keep-samples", "no", "--json")
        assert rc == 0, err
        row = json.loads(out)["datasets"][0]
        assert row["name"] == "2026" and row["samples_source"] == uri
        assert counts("2026") == truth
        st = Store.open()
        assert st.samples_source("2026")["s3_endpoint"] == endpoint
        back = lake_import.question_samples(st, "2026", "q005")
        assert back.num_rows == sum(n for (q, _), (n, _) in truth.items() if q == "q005")
        rc, _, err = run(capsys, "import", uri, "--s3-endpoint", endpoint, "--name", "copy")
        assert rc == 0, err
        assert counts("copy") == truth and st.has_samples("copy")
        before = store_bytes(osca_home)
        for bad, msg in (("s3://lab/nothing-here", "s3://lab/nothing-here: no Parquet files under this prefix"),
                         ("s3://no-such-bucket/x", "s3://no-such-bucket/x: bucket 'no-such-bucket' does not exist")):
            rc, out, err = run(capsys, "import", bad, "--s3-endpoint", endpoint, "--name", "bad")
            assert rc == 2 and out == "" and err.startswith(f"osca: error: {msg}") and err.count("\n") == 1, err
        assert store_bytes(osca_home) == before
