"""The data commands: `osca fetch`, `import`, `datasets [--json]`, `remove`, `bench ingest`; the golden numbers
reached through `--dataset`; the same JSON from `--dataset` as from `--file`; one-line errors from the real
console script."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from storecheck import per_sample_frame, write_frame

from osca_core.cli import main
from osca_core.store import DB_FILE

DS_KEYS = {"name", "questions", "configs", "source", "split"}


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def run_json(capsys, *argv):
    rc, out, err = run(capsys, *argv)
    assert rc == 0, err
    return json.loads(out)


@pytest.fixture()
def fetched(osca_home, release, capsys):
    rc, out, err = run(capsys, "fetch", "--mirror", str(release))
    assert rc == 0, err
    return out, err


def test_fetch_prints_progress_on_stderr_and_lists_the_datasets(fetched):
    out, err = fetched
    assert out.splitlines() == [
        "imported osca-swebench: 300 questions x 22 configurations (in-sample), source osca-release:swebench_agentless.json",
        "imported osca-bigcodebench: 148 questions x 10 configurations (70 train / 78 test), source "
        "osca-release:bcb_results.json"]
    assert "fetch: swebench_agentless.json 57634/57634 bytes" in err.splitlines()
    assert "fetch: bcb_results.json 9081/9081 bytes" in err.splitlines()
    assert "note: osca-swebench has no separate test questions" in err


def test_datasets_json_contract(fetched, capsys):
    out = run_json(capsys, "datasets", "--json")
    assert list(out) == ["datasets"]
    rows = {d["name"]: d for d in out["datasets"]}
    assert all(DS_KEYS <= set(d) for d in out["datasets"])
    assert {k: rows["osca-swebench"][k] for k in DS_KEYS} == {
        "name": "osca-swebench", "questions": 300, "configs": 22, "source": "osca-release:swebench_agentless.json",
        "split": "in-sample"}
    assert (rows["osca-bigcodebench"]["questions"], rows["osca-bigcodebench"]["split"]) == (148, "70 train / 78 test")
    assert rows["osca-bigcodebench"]["synthetic"] is False


def test_datasets_table_and_empty_store(osca_home, capsys):
    rc, out, err = run(capsys, "datasets")
    assert rc == 0 and out == "" and "no datasets yet" in err
    assert run_json(capsys, "datasets", "--json") == {"datasets": []}
    assert not (osca_home / DB_FILE).exists()


def test_golden_pure_numbers_through_dataset(fetched, capsys, golden):
    for ds, budget, want in (("osca-swebench", 10, golden.swe_pure_at10), ("osca-bigcodebench", 17, golden.bcb_pure_at17)):
        out = run_json(capsys, "curves", "--dataset", ds, "--budgets", str(budget),
                       "--strategies", ",".join(f"pure:{k}" for k in want), "--json")
        got = {r["strategy"][5:]: r["pass"] for r in out["curves"]}
        assert got == pytest.approx(want, abs=1e-12)


def test_golden_osca_numbers_through_a_long_per_sample_import(osca_home, bcb, capsys, golden, tmp_path):
    path = write_frame(per_sample_frame(bcb), tmp_path / "bcb.parquet")
    assert run(capsys, "import", str(path), "--name", "bcb-samples")[0] == 0
    out = run_json(capsys, "optimize", "--dataset", "bcb-samples", "--budgets", "2,17,128", "--json")
    got = {r["budget"]: r["test_pass"] for r in out["results"]}
    assert got == pytest.approx({b: golden.bcb_osca[b] for b in (2, 17, 128)}, abs=5e-6)


def test_dataset_gives_the_same_json_as_file(fetched, capsys, bcb_path):
    a = run_json(capsys, "optimize", "--file", str(bcb_path), "--budgets", "2,8,17", "--json")
    b = run_json(capsys, "optimize", "--dataset", "osca-bigcodebench", "--budgets", "2,8,17", "--json")
    assert (a.pop("dataset"), b.pop("dataset")) == ("bcb_results", "osca-bigcodebench")
    a.pop("solve_seconds"), b.pop("solve_seconds")
    assert a == b


def test_import_remove_and_the_in_sample_note(osca_home, capsys, bcb, tmp_path):
    path = write_frame(per_sample_frame(bcb, split=False).head(3000), tmp_path / "few.csv")
    rc, out, err = run(capsys, "import", str(path), "--json")
    assert rc == 0 and json.loads(out)["datasets"][0]["name"] == "few"
    assert "note: few has no separate test questions: train = test = all 1 questions; every number is in-sample" in err
    rc, out, _ = run(capsys, "remove", "few")
    assert (rc, out) == (0, "removed few\n")
    assert run_json(capsys, "datasets", "--json") == {"datasets": []}
    rc, _, err = run(capsys, "remove", "few")
    assert rc == 2 and err == "osca: error: unknown dataset 'few' (known: none yet: run osca fetch, osca import or osca demo)\n"


def test_unknown_dataset_is_one_line_exit_2(fetched, capsys):
    rc, out, err = run(capsys, "optimize", "--dataset", "nope", "--budgets", "2")
    assert rc == 2 and out == ""
    assert err == "osca: error: unknown dataset 'nope' (known: osca-bigcodebench, osca-swebench)\n"


def test_bench_ingest_json(capsys):
    out = run_json(capsys, "bench", "ingest", "--rows", "2000", "--json")
    assert out["rows"] == 2000 and out["counts_match"] is True
    assert {"import_seconds", "aggregate_seconds", "peak_rss_mb"} <= set(out)
    rc, out, _ = run(capsys, "bench", "ingest", "--rows", "500")
    assert rc == 0 and "counts match: yes" in out and "peak RSS" in out
    rc, _, err = run(capsys, "bench", "ingest", "--rows", "0")
    assert rc == 2 and err == "osca: error: --rows: must be a positive integer (got 0)\n"


def _osca(*argv, env):
    exe = shutil.which("osca") or pytest.fail("the osca console script is not installed (pip install -e .)")
    return subprocess.run([exe, *argv], capture_output=True, text=True, env=env, timeout=120)


def test_the_console_script_refuses_bad_files_and_offline_fetch_in_one_line(osca_home, tmp_path):
    env = {**os.environ, "OSCA_HOME": str(osca_home), "OSCA_RELEASE_MIRROR": ""}
    bad = tmp_path / "bad.csv"
    bad.write_text("question_id,config,correct\nq1,a,1\nq1,a,maybe\n")
    r = _osca("import", str(bad), env=env)
    assert r.returncode == 2 and r.stdout == "" and "Traceback" not in r.stderr
    assert r.stderr == f"osca: error: {bad}: row 2: correct must be 0/1 or true/false (got 'maybe')\n"
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = _osca("fetch", "--mirror", f"http://127.0.0.1:{port}", env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("osca: error: cannot download swebench_agentless.json from http://127.0.0.1:")
    r = _osca("datasets", "--json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == {"datasets": []}


def test_busy_store_is_one_line_exit_2(osca_home, capsys, monkeypatch, swe):
    from test_store import _hold_lock

    from osca_core.store import Store

    Store.open().save_matrix(swe, name="a")
    holder = _hold_lock(osca_home)
    try:
        monkeypatch.setenv("OSCA_BUSY_TIMEOUT", "0.2")
        rc, out, err = run(capsys, "datasets")
    finally:
        holder.kill()
        holder.wait()
    assert rc == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"osca: error: store is busy: {osca_home / DB_FILE} is locked by another process (PID")
    assert sys.executable  # the holder ran under this interpreter


def test_demo_stores_the_seeded_synthetic_matrix_labelled_synthetic(osca_home, capsys):
    from storecheck import assert_same_matrix

    from osca_core.store import Store
    from osca_core.synthetic import demo_matrix

    rc, out, _ = run(capsys, "demo")
    assert rc == 0 and out.startswith("stored demo-synthetic: 200 questions x 12 configurations (100 train / 100 test), "
                                      "SYNTHETIC data")
    got = Store.open().load_matrix("demo-synthetic")
    assert got.synthetic
    assert_same_matrix(got, demo_matrix(seed=0)._replace(name="demo-synthetic"))
    out = run_json(capsys, "demo", "--name", "small", "--seed", "4", "--questions", "20", "--configs", "3", "--json")
    assert {k: out["datasets"][0][k] for k in ("name", "questions", "configs", "synthetic")} == {
        "name": "small", "questions": 20, "configs": 3, "synthetic": True}
    assert_same_matrix(Store.open().load_matrix("small"),
                       demo_matrix(seed=4, questions=20, configs=3)._replace(name="small"))
    rc, out, _ = run(capsys, "datasets")
    assert [line.split("  ")[0] for line in out.splitlines()[2:] if " SYNTHETIC " in line] == ["demo-synthetic", "small"]
    rc, _, err = run(capsys, "demo", "--questions", "1")
    assert rc == 2 and err.startswith("osca: error: demo: need questions >= 2") and err.count("\n") == 1
