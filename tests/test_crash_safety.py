"""Crash safety: ``osca import`` of a large generated per-sample file killed with SIGKILL at many moments (while it
reads, while the single write transaction grows the database file, while the commit sits in the WAL, while DuckDB
checkpoints) leaves a store that opens, with every earlier dataset exactly as it was and the killed import either
absent or complete and exact, never half there. Half of the kills hit an import that replaces an existing dataset,
which must then be exactly the old one or exactly the new one. Afterwards the store still takes writes.

Kill moments: the import's process is watched (its database file and WAL, polled every few milliseconds); two kills
in three land at a random delay (0-120 ms) after the write began to change the file, the others while the file is
still being read (0.2-1.5 s after the start). Where each kill landed is counted and printed."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
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
KILLS = 12


def _counts(parquet: Path) -> tuple[np.ndarray, np.ndarray]:
    """n and c per question x configuration, counted from the file with numpy (not through DuckDB)."""
    t = pq.read_table(parquet).combine_chunks()
    q, s = t["question_id"].combine_chunks(), t["config"].combine_chunks()
    n = np.zeros((len(q.dictionary), len(s.dictionary)), dtype=np.int64)
    c = np.zeros_like(n)
    idx = (q.indices.to_numpy(), s.indices.to_numpy())
    np.add.at(n, idx, 1)
    np.add.at(c, idx, t["correct"].to_numpy(zero_copy_only=False).astype(np.int64))
    return n, c


def _files(home: Path) -> dict[str, int]:
    """Name -> size of the store's files now; a file the running import removes between the listing and its stat
    (DuckDB folds its WAL into the database at a checkpoint) is simply gone."""
    out = {}
    for p in home.iterdir():
        try:
            if p.is_file():
                out[p.name] = p.stat().st_size
        except FileNotFoundError:
            continue
    return out


def _run_and_kill(home: Path, argv: list[str], wait_for_write: bool, delay: float) -> str:
    """Start ``osca import`` and kill it with SIGKILL ``delay`` seconds after its write began to change the store's
    files (``wait_for_write``) or after its start; returns where the kill landed."""
    start = _files(home)
    proc = subprocess.Popen([*CLI, *argv], env=dict(os.environ, OSCA_HOME=str(home)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    t0, wrote_at = time.monotonic(), None
    stage = "reading"
    while proc.poll() is None:
        now = _files(home)
        if wrote_at is None and now != start:
            wrote_at = time.monotonic()
        if wrote_at is not None:
            stage = "commit in WAL" if now.get(DB_FILE + ".wal") else "writing"
        if (wrote_at is not None and time.monotonic() - wrote_at >= delay) or \
                (not wait_for_write and time.monotonic() - t0 >= delay):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.003)
    rc = proc.wait(timeout=120)
    return stage if rc == -signal.SIGKILL else "finished before the kill"


@pytest.fixture()
def big(tmp_path):
    path = tmp_path / "big.parquet"
    write_bench_parquet(path, 2_000_000, seed=11)
    return path, *_counts(path)


def test_imports_killed_midway_leave_every_earlier_dataset_intact_and_exact(osca_home, bcb_path, tmp_path, big,
                                                                           capsys):
    st = Store.open()
    import_paths(st, [bcb_path], name="base")
    (tmp_path / "s.csv").write_text("question_id,config,correct,split\nq1,a,1,train\nq1,b,0,train\nq2,a,1,test\n"
                                    "q2,b,1,test\n")
    import_paths(st, [tmp_path / "s.csv"], name="samples-before")
    path, n, c = big
    rnd, landed, outcomes = random.Random(7), Counter(), Counter()
    old_base = snapshot(osca_home)["base"]
    for k in range(KILLS):
        target = "base" if k % 2 else "big"  # odd kills hit a replace of an existing dataset
        during_write = k % 3 != 0  # two kills in three aim at the single write transaction, one at the reading
        delay = rnd.uniform(0.0, 0.12) if during_write else rnd.uniform(0.2, 1.5)
        before = snapshot(osca_home)
        landed[_run_and_kill(osca_home, ["import", str(path), "--name", target, "--replace"], during_write, delay)] += 1
        after = snapshot(osca_home)  # opens and reads everything: the store is readable
        assert after["samples-before"] == before["samples-before"]
        if target == "big":
            assert after["base"] == before["base"]
        names = [d.name for d in after["datasets"]]
        m = Store.open(read_only=True).load_matrix(target) if target in names else None
        if m is not None and m.source.startswith("long:"):  # the import committed before the kill: all of it
            assert m.n.tolist() == n.tolist() and m.c.tolist() == c.tolist()
            assert len(Store.open(read_only=True).sample_outcomes(target)) == int(n.sum())
            outcomes["complete"] += 1
            if target == "big":
                Store.open().remove("big")  # each round starts without it
            else:
                import_paths(Store.open(), [bcb_path], name="base")  # the replace went through: restore the release
        elif target == "base":
            assert after["base"] == old_base  # the old dataset, exactly
            outcomes["as before"] += 1
        else:
            assert m is None
            outcomes["absent"] += 1
        reset = snapshot(osca_home)
        assert {k: v for k, v in reset.items() if k != "datasets"} == {k: v for k, v in before.items() if k != "datasets"}
    # the store still takes writes and reads them back
    import_paths(Store.open(), [tmp_path / "s.csv"], name="after-the-crashes")
    assert snapshot(osca_home)["after-the-crashes"][0]["n"] == [[1, 1], [1, 1]]
    with capsys.disabled():
        print(f"\ncrash safety: {KILLS} SIGKILLs injected ({dict(landed)}); store readable every time; outcomes "
              f"{dict(outcomes)}; earlier datasets lost or changed: 0")
    assert sum(landed.values()) == KILLS
