"""The data commands: `osca fetch`, `import` (`--replace`), `datasets [--json]`, `remove`, `demo`; the golden numbers
reached through `--dataset`; the same JSON from `--dataset` as from `--file`; one-line errors from the real
console script."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys

import pytest
from storecheck import per_sample_frame, write_frame

from osca_core.cli import main
from osca_core.data.store import DB_FILE

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


def _osca(*argv, env):
    exe = shutil.which("osca") or pytest.fail("the osca console script is not installed (pip install -e .)")
    return subprocess.run([exe, *argv], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.slow
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

    from osca_core.data.store import Store

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

    from osca_core.data.store import Store
    from osca_core.data.synthetic import demo_matrix

    rc, out, _ = run(capsys, "demo")
    assert rc == 0 and out.startswith("stored demo-synthetic: 200 questions x 12 configurations (100 train / 100 test), "
                                      "SYNTHETIC data")
    got = Store.open().load_matrix("demo-synthetic")
    assert got.synthetic
    assert_same_matrix(got, dataclasses.replace(demo_matrix(seed=0), name="demo-synthetic"))
    out = run_json(capsys, "demo", "--name", "small", "--seed", "4", "--questions", "20", "--configs", "3", "--json")
    assert {k: out["datasets"][0][k] for k in ("name", "questions", "configs", "synthetic")} == {
        "name": "small", "questions": 20, "configs": 3, "synthetic": True}
    assert_same_matrix(Store.open().load_matrix("small"),
                       dataclasses.replace(demo_matrix(seed=4, questions=20, configs=3), name="small"))
    rc, out, _ = run(capsys, "datasets")
    assert [line.split("  ")[0] for line in out.splitlines()[2:] if " SYNTHETIC " in line] == ["demo-synthetic", "small"]
    rc, _, err = run(capsys, "demo", "--questions", "1")
    assert rc == 2 and err.startswith("osca: error: demo: need questions >= 2") and err.count("\n") == 1


def test_import_under_an_existing_name_needs_replace(osca_home, capsys, tmp_path):
    from storecheck import snapshot

    path = tmp_path / "few.csv"
    path.write_text("question_id,config,correct\nq1,a,1\nq1,b,0\nq2,a,1\nq2,b,1\n")
    assert run(capsys, "import", str(path))[0] == 0
    before = snapshot(osca_home)
    rc, out, err = run(capsys, "import", str(path))  # default name: the file's, "few"
    assert (rc, out) == (2, "")
    assert err == ("osca: error: dataset 'few' already exists; pass --replace to replace it "
                   "(or osca remove few first)\n")
    rc, out, err = run(capsys, "import", str(tmp_path / "nowhere.csv"), "--name", "few")
    assert rc == 2 and "'few' already exists" in err  # refused before the file is even read
    assert snapshot(osca_home) == before
    small = tmp_path / "small.csv"
    small.write_text("question_id,config,correct\nq1,a,0\nq1,b,0\n")
    rc, out, _ = run(capsys, "import", str(small), "--name", "few", "--replace", "--json")
    assert rc == 0 and json.loads(out)["datasets"][0]["name"] == "few"
    assert snapshot(osca_home) != before
    assert [d["name"] for d in run_json(capsys, "datasets", "--json")["datasets"]] == ["few"]


def test_savings_and_study_on_a_dataset_with_a_billion_samples_per_cell(osca_home, capsys, tmp_path):
    path = tmp_path / "big.csv"
    path.write_text("question_id,config,n_samples,n_correct\nq1,a,1000000000,3\nq1,b,1000000000,500000000\n"
                    "q2,a,1000000000,999999999\nq2,b,1000000000,7\n")
    assert run(capsys, "import", str(path))[0] == 0
    rc, out, err = run(capsys, "savings", "--dataset", "big", "--json")
    assert rc == 0 and json.loads(out)["baseline_budget"] == 1024 and "the default stops at 1024" in err
    rc, out, err = run(capsys, "study", "--dataset", "big", "--out", str(tmp_path / "o"))
    assert rc == 2 and err.count("\n") == 1 and "big has n = 1000000000 samples per cell" in err


def test_fetch_into_a_home_that_cannot_hold_downloads_is_one_line(osca_home, release, capsys):
    osca_home.mkdir(parents=True)
    (osca_home / "downloads").write_text("not a folder")
    rc, out, err = run(capsys, "fetch", "--mirror", str(release))
    assert (rc, out) == (2, "")
    assert err == (f"osca: error: {osca_home / 'downloads'}: cannot create the downloads folder (File exists); "
                   "is OSCA_HOME writable?\n")


def _obey_file_modes() -> None:
    """``preexec_fn`` for a child that must meet file modes as an ordinary user does, also when the tests run as
    root (CI does): drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding set, so the ``exec``'d program
    runs without them (root keeps its uid, hence its Python install under /root, but a folder of mode 0555 owned by
    root is read-only to it). prctl(PR_CAPBSET_DROP) needs CAP_SETPCAP, which root has; a plain user has neither
    capability to drop (prctl then fails harmlessly with EPERM, and modes already bind that user)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH (linux/capability.h)
        if libc.prctl(24, cap, 0, 0, 0) != 0 and os.geteuid() == 0:  # 24 = PR_CAPBSET_DROP (linux/prctl.h)
            raise OSError(ctypes.get_errno(), f"prctl(PR_CAPBSET_DROP, {cap}) failed")


def test_fetch_into_a_read_only_home_is_one_line(tmp_path, release):
    home = tmp_path / "ro"
    home.mkdir()
    home.chmod(0o555)
    exe = shutil.which("osca") or pytest.fail("the osca console script is not installed (pip install -e .)")
    try:
        r = subprocess.run([exe, "fetch", "--mirror", str(release)], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "OSCA_HOME": str(home)}, preexec_fn=_obey_file_modes)
    finally:
        home.chmod(0o755)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert list(home.iterdir()) == []  # the home really was read-only to the child (root included)


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon", "0"])
def test_a_bad_fetch_timeout_is_one_line_naming_the_variable(osca_home, release, capsys, monkeypatch, value):
    monkeypatch.setenv("OSCA_FETCH_TIMEOUT", value)
    rc, out, err = run(capsys, "fetch", "--mirror", str(release))
    assert (rc, out) == (2, "") and err.startswith("osca: error: OSCA_FETCH_TIMEOUT: expected ")
    assert err.count("\n") == 1 and repr(value) in err
    assert run_json(capsys, "datasets", "--json") == {"datasets": []}


# -- import: column roles, missing cells, reader options, folders, role overrides ----------------------------------

def _real_log():
    from test_longfiles import _log

    return _log()


def test_import_prints_each_columns_role_and_the_missing_cells(osca_home, capsys, tmp_path):
    df = _real_log()
    df = df[~((df["config"] == "llama_0.2") & (df["question_id"] == "HumanEval/2"))]  # one missing cell
    path = write_frame(df, tmp_path / "log.csv")
    rc, out, err = run(capsys, "import", str(path))
    assert rc == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("imported log: 3 questions x 2 configurations (in-sample)")
    assert lines[1:] == [
        "  column 'question_id': question id", "  column 'config': configuration", "  column 'correct': outcome (correct)",
        "  column 'Run_ID': sample index", "  column 'output_tokens': tokens", "  column 'Cost_USD': cost (cost per sample)",
        "  column 'latency_ms': per-sample data", "  column 'duration': per-sample data",
        "  column 'provider': configuration attribute", "  column 'difficulty': question attribute",
        "  column 'top_p': configuration attribute",
        "  missing cells: 1 of 6 (stored as missing, n = 0; analyses take --missing)"]
    row = run_json(capsys, "datasets", "--json")["datasets"][0]
    assert list(row)[:8] == ["name", "questions", "configs", "source", "split", "synthetic", "checksum", "created"]
    assert row["missing_cells"] == 1 and row["cost_column"] == "Cost_USD" and row["samples_source"] is None
    assert row["column_roles"]["difficulty"] == "question_attr"


def test_role_overrides_force_a_role_or_refuse_it_by_name(osca_home, capsys, tmp_path):
    path = write_frame(_real_log(), tmp_path / "log.parquet")
    rc, out, err = run(capsys, "import", str(path), "--config-attr", "difficulty", "--json")
    assert rc == 2 and out == "" and err.count("\n") == 1 and "'difficulty'" in err and "configuration" in err
    rc, out, err = run(capsys, "import", str(path), "--question-attr", "provider", "--cost-column", "output_tokens",
                       "--json")
    assert rc == 2 and "'provider'" in err and err.count("\n") == 1  # varies within a question
    rc, out, err = run(capsys, "import", str(path), "--cost-column", "output_tokens", "--json")
    assert rc == 0, err
    row = json.loads(out)["datasets"][0]
    assert row["cost_column"] == "output_tokens" and row["column_roles"]["output_tokens"] == "cost"
    assert row["column_roles"]["Cost_USD"] == "per_sample"
    assert row["checksum"] == __import__("hashlib").sha256(path.read_bytes()).hexdigest()
    from osca_core.data.store import Store

    m = Store.open().load_matrix("log")
    assert [k.cost for k in m.configs] == pytest.approx([41 + 9, 141 + 9])  # mean output_tokens per configuration


def test_role_overrides_refuse_a_log_that_is_not_long_naming_the_flag_and_store_nothing(osca_home, capsys,
                                                                                        swe_path):
    rc, out, err = run(capsys, "import", str(swe_path), "--question-attr", "difficulty", "--cost-column", "cost")
    assert (rc, out) == (2, "")
    assert err == (f"osca: error: --question-attr: applies to long files (CSV, Parquet, JSON lines); {swe_path} "
                   f"is osca\n")
    assert run_json(capsys, "datasets", "--json")["datasets"] == []


def test_role_overrides_reach_every_file_of_a_folder_import(osca_home, capsys, tmp_path):
    df = _real_log()
    folder = tmp_path / "logs"
    folder.mkdir()
    configs = sorted(df["config"].unique())
    for i, cfg in enumerate(configs):
        write_frame(df[df["config"] == cfg], folder / f"part{i}.csv")
    rc, out, err = run(capsys, "import", str(folder), "--cost-column", "output_tokens", "--json")
    assert rc == 0, err
    got = json.loads(out)
    row = got["datasets"][0]
    assert row["cost_column"] == "output_tokens" and row["column_roles"]["Cost_USD"] == "per_sample"
    assert got["import"]["format"] == "long" and len(got["import"]["files"]) == len(configs) == 2
    from osca_core.data.store import Store

    m = Store.open().load_matrix("logs")
    assert [k.cost for k in m.configs] == pytest.approx([41 + 9, 141 + 9])  # as the one-file import above


def test_reader_options_reach_the_readers_and_are_checked(osca_home, capsys, tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("question_id,config,correct\nq1,a,1\nq2,a,0\n")
    rc, out, err = run(capsys, "import", str(path), "--scorer", "match")
    assert (rc, out) == (2, "") and err.startswith("osca: error: --scorer: applies to inspect") and err.count("\n") == 1
    rc, _, err = run(capsys, "import", str(path), "--price", "gpt=abc")
    assert rc == 2 and err == "osca: error: --price: expected MODEL=USD_PER_MILLION_TOKENS (got 'gpt=abc')\n"
    rc, _, err = run(capsys, "import", str(path), "--partial", "half")
    assert rc == 2 and "--partial" in err and "invalid choice" in err
    rc, _, err = run(capsys, "import", str(path), "--format", "nope")
    assert rc == 2 and "lm-eval" in err and "swebench" in err  # the choices are formats.names()


def test_a_folder_is_one_dataset_with_the_format_guessed_per_file(osca_home, capsys, tmp_path):
    root = tmp_path / "runs"
    (root / "a" / "deep").mkdir(parents=True)
    (root / "a" / "deep" / "one.csv").write_text("question_id,config,correct\nq1,m_0.2,1\nq2,m_0.2,0\n")
    (root / "two.jsonl").write_text('{"question_id": "q1", "config": "n_0.8", "correct": 0}\n'
                                    '{"question_id": "q3", "config": "n_0.8", "correct": 1}\n')
    rc, out, err = run(capsys, "import", str(root), "--json")
    assert rc == 0, err
    doc = json.loads(out)
    row = doc["datasets"][0]
    assert (row["name"], row["questions"], row["configs"], row["missing_cells"]) == ("runs", 3, 2, 2)
    assert doc["import"]["files"] == [str(root / "a" / "deep" / "one.csv"), str(root / "two.jsonl")]


# -- damaged stores and full disks ------------------------------------------------------------------------------------

def _damage(home, how: str) -> None:
    path = home / DB_FILE
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 3])
    else:
        path.write_bytes(data[:4096] + b"\xde\xad\xbe\xef" * 4096 + data[4096 + 16384:])


@pytest.mark.parametrize("how", ["truncated", "overwritten"])
def test_every_command_on_a_damaged_store_is_its_one_line_exit_2(osca_home, capsys, tmp_path, how):
    path = tmp_path / "few.csv"
    path.write_text("question_id,config,correct\nq1,a,1\nq1,b,0\nq2,a,1\nq2,b,1\n")
    assert run(capsys, "import", str(path))[0] == 0
    _damage(osca_home, how)
    damaged = (osca_home / DB_FILE).read_bytes()
    for argv in (["datasets"], ["datasets", "--json"], ["import", str(path), "--name", "x"], ["remove", "few"],
                 ["optimize", "--dataset", "few", "--budgets", "2"], ["export", "--dataset", "few", "--out",
                 str(tmp_path / "out.csv")], ["demo", "--questions", "3", "--configs", "2"]):
        rc, out, err = run(capsys, *argv)
        assert (rc, out) == (2, ""), (argv, out)
        assert err.startswith(f"osca: error: store is damaged: {(osca_home / DB_FILE).resolve()} (") and err.endswith(
            "); move it aside and run osca fetch / osca import again\n") and err.count("\n") == 1, (argv, err)
    assert (osca_home / DB_FILE).read_bytes() == damaged  # nothing was written over it


def test_remove_on_a_full_disk_says_how_to_free_space(osca_home, capsys, tmp_path, monkeypatch):
    import duckdb

    from osca_core.data import store as store_mod
    path = tmp_path / "few.csv"
    path.write_text("question_id,config,correct\nq1,a,1\nq2,a,0\n")
    assert run(capsys, "import", str(path))[0] == 0

    def full(*a, **k):
        raise duckdb.IOException('IO Error: Could not write file "x.wal": No space left on device')

    with monkeypatch.context() as mp:
        mp.setattr(store_mod, "delete_dataset", full)
        rc, out, err = run(capsys, "remove", "few")
    assert (rc, out) == (2, "") and err.count("\n") == 1
    assert err.startswith(f"osca: error: store cannot write: the disk holding {(osca_home / DB_FILE).resolve()} is full")
    assert "osca remove NAME needs a little space itself" in err and "set OSCA_HOME there" in err
    assert [d["name"] for d in run_json(capsys, "datasets", "--json")["datasets"]] == ["few"]
