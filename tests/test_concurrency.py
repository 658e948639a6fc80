"""Several processes on one store: two ``osca import`` processes, ``osca datasets --json`` processes in a loop and a
pool of reader threads in this process, all at once. Nothing is lost (both imports present afterwards with exactly
the counts of their files, the earlier dataset untouched), nothing is corrupted (every table readable, sums right),
and no reader ever sees a half-written dataset (whatever a reader sees is complete and exact).

A writer that cannot take the database (another process holds it on purpose) waits ``$OSCA_BUSY_TIMEOUT`` seconds
and then fails with one "store is busy" line, exit 2; it succeeds when the holder lets go in time. (That the app
keeps serving pages while an import runs is shown in tests/test_load.py, in a real browser.)"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from storecheck import snapshot

from osca_core.bench.ingest import write_bench_parquet
from osca_core.data.importers import import_paths
from osca_core.data.store import DB_FILE, Store

pytestmark = pytest.mark.slow  # fuzzing, crash safety and concurrency: the full suite's, not the fast loop's

CLI = [sys.executable, "-m", "osca_core.cli"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, OSCA_HOME=str(home), **extra)


def _expected(parquet: Path) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Question ids, configurations (first appearance) and n, c counted from the file with numpy, not DuckDB."""
    t = pq.read_table(parquet).combine_chunks()
    q = t["question_id"].combine_chunks()
    s = t["config"].combine_chunks()
    qi, si = q.indices.to_numpy(), s.indices.to_numpy()
    qids, cfgs = q.dictionary.to_pylist(), s.dictionary.to_pylist()
    correct = t["correct"].to_numpy(zero_copy_only=False)
    n = np.zeros((len(qids), len(cfgs)), dtype=np.int64)
    c = np.zeros_like(n)
    np.add.at(n, (qi, si), 1)
    np.add.at(c, (qi, si), correct.astype(np.int64))
    return qids, cfgs, n, c


@pytest.fixture()
def two_files(tmp_path):
    files = {}
    for name, rows, seed in (("alpha", 500_000, 1), ("beta", 1_000_000, 2)):
        path = tmp_path / f"{name}.parquet"
        write_bench_parquet(path, rows, seed=seed)
        files[name] = (path, _expected(path))
    return files


def test_two_imports_and_many_readers_at_once_lose_nothing_and_show_nothing_half_written(
        osca_home, bcb_path, bcb, two_files, capsys):
    import_paths(Store.open(), [bcb_path], name="base")
    base_before = snapshot(osca_home)["base"]
    want = {"base": (list(bcb.question_ids), list(bcb.config_names), bcb.n, bcb.c)}
    want |= {name: exp for name, (_, exp) in two_files.items()}
    stop, seen, problems = threading.Event(), {"cli": 0, "thread": 0, "states": set()}, []
    lock = threading.Lock()

    def check(name, qids, cfgs, n=None, c=None, *, counts=None):
        wq, wc, wn, wcc = want[name]
        if counts is not None:  # osca datasets --json: the sizes of a complete dataset
            ok = counts == (len(wq), len(wc))
        else:
            ok = list(qids) == wq and list(cfgs) == wc and np.array_equal(n, wn) and np.array_equal(c, wcc)
        if not ok:
            problems.append(f"{name} seen half-written or wrong")

    def cli_reader():
        while not stop.is_set():
            r = subprocess.run([*CLI, "datasets", "--json"], env=_env(osca_home, OSCA_BUSY_TIMEOUT="60"),
                               capture_output=True, text=True, timeout=120)
            if r.returncode != 0:
                problems.append(f"osca datasets failed: {r.stderr.strip()}")
                continue
            listed = json.loads(r.stdout)["datasets"]
            for d in listed:
                check(d["name"], None, None, counts=(d["questions"], d["configs"]))
            with lock:
                seen["cli"] += 1
                seen["states"].add(tuple(d["name"] for d in listed))

    def thread_reader(k):
        rnd = random.Random(k)
        st = Store.open(read_only=True)
        while not stop.is_set():
            listed = st.list_datasets()
            for d in listed:
                m = st.load_matrix(d.name)
                check(d.name, m.question_ids, m.config_names, m.n, m.c)
            with lock:
                seen["thread"] += 1
                seen["states"].add(tuple(d.name for d in listed))
            time.sleep(rnd.uniform(0.05, 0.3))  # a dashboard reads on clicks, not in a tight loop

    with ThreadPoolExecutor(7) as pool:
        readers = [pool.submit(cli_reader) for _ in range(3)] + [pool.submit(thread_reader, k) for k in range(4)]
        time.sleep(0.5)
        writers = {}
        for name, (path, _) in two_files.items():  # overlapping: beta starts while alpha is reading its file
            writers[name] = subprocess.Popen([*CLI, "import", str(path), "--name", name, "--json"],
                                             env=_env(osca_home, OSCA_BUSY_TIMEOUT="120"), stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE, text=True)
            time.sleep(0.3)
        results = {name: (p.wait(timeout=300), *p.communicate()) for name, p in writers.items()}
        time.sleep(0.5)  # readers see the final state too
        stop.set()
        for f in readers:
            f.result(timeout=300)
    for name, (rc, out, err) in results.items():
        assert rc == 0, err
        assert json.loads(out)["datasets"][0]["name"] == name
        assert "Traceback" not in err
    assert problems == []
    assert seen["cli"] >= 2 and seen["thread"] >= 4
    with capsys.disabled():
        print(f"\nconcurrency: 2 import processes, {seen['cli']} `osca datasets` processes and {seen['thread']} "
              f"in-process reads, all consistent; stores seen: {sorted(seen['states'], key=len)}")
    # nothing lost, nothing corrupted: exact matrices, per-sample rows all there, the earlier dataset untouched
    st = Store.open(read_only=True)
    assert [d.name for d in st.list_datasets()] == ["alpha", "base", "beta"]
    for name in ("alpha", "beta"):
        m = st.load_matrix(name)
        check(name, m.question_ids, m.config_names, m.n, m.c)
        assert len(st.sample_outcomes(name)) == int(want[name][2].sum())
    assert problems == []
    assert snapshot(osca_home)["base"] == base_before


_HOLD = textwrap.dedent("""
    import sys, time, duckdb
    con = duckdb.connect(sys.argv[1])          # read-write: DuckDB lets no other process open the file now
    con.execute("BEGIN TRANSACTION")
    con.execute("DELETE FROM outcomes")         # an uncommitted change nobody must ever see
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
    con.execute("ROLLBACK")
    con.close()
    print("released", flush=True)
""")


def _holder(home: Path, seconds: float) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", _HOLD, str(home / DB_FILE), str(seconds)], stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def test_a_writer_facing_a_held_store_waits_then_fails_with_one_busy_line(osca_home, bcb_path, tmp_path):
    import_paths(Store.open(), [bcb_path], name="base")
    before = snapshot(osca_home)
    (tmp_path / "x.csv").write_text("question_id,config,correct\nq1,a,1\nq2,a,0\n")
    holder = _holder(osca_home, 600)
    try:
        for argv in (["import", str(tmp_path / "x.csv"), "--name", "x"], ["remove", "base"], ["datasets", "--json"],
                     ["demo", "--questions", "5", "--configs", "2"]):
            t0 = time.monotonic()
            r = subprocess.run([*CLI, *argv], env=_env(osca_home, OSCA_BUSY_TIMEOUT="1"), capture_output=True,
                               text=True, timeout=120)
            waited = time.monotonic() - t0
            assert r.returncode == 2 and r.stdout == "", (argv, r.stdout, r.stderr)
            assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
            assert r.stderr.startswith(f"osca: error: store is busy: {osca_home / DB_FILE} is locked by another "
                                       f"process (PID {holder.pid}"), r.stderr
            assert waited >= 1.0, f"{argv[0]} gave up after {waited:.2f} s without waiting OSCA_BUSY_TIMEOUT=1"
    finally:
        holder.kill()
        holder.wait()
    assert snapshot(osca_home) == before  # the killed holder's uncommitted DELETE is gone, nothing else changed


def test_a_writer_waits_for_a_short_hold_and_then_succeeds(osca_home, bcb_path, tmp_path):
    import_paths(Store.open(), [bcb_path], name="base")
    (tmp_path / "x.csv").write_text("question_id,config,correct\nq1,a,1\nq2,a,0\n")
    holder = _holder(osca_home, 1.5)
    r = subprocess.run([*CLI, "import", str(tmp_path / "x.csv"), "--name", "x"],
                       env=_env(osca_home, OSCA_BUSY_TIMEOUT="60"), capture_output=True, text=True, timeout=120)
    assert holder.stdout.readline().strip() == "released"
    holder.wait(timeout=30)
    assert r.returncode == 0, r.stderr
    st = Store.open(read_only=True)
    assert [d.name for d in st.list_datasets()] == ["base", "x"]
    m = st.load_matrix("x")
    assert m.n.tolist() == [[1], [1]] and m.c.tolist() == [[1], [0]]
    assert int(st.load_matrix("base").n.sum()) == 148 * 10 * 300  # the holder's DELETE was rolled back
