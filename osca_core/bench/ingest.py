"""``osca bench ingest``: the long importer on generated per-sample rows, timed in a fresh child process.

:func:`write_bench_parquet` writes ``rows`` per-sample rows (question_id, config, sample_idx, correct) as Parquet,
vectorized; :func:`bench_ingest` imports them through the real importer into a temporary store in a child
interpreter (:func:`osca_core.bench.child.run_child`), so that its peak RSS is the import's alone, and checks
that the stored counts sum to the generated rows. Goal (reported, never asserted): 10^7 rows in <= 20 s with a
peak RSS <= 2 GB on 2 cores.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from osca_core.bench.child import process_peak_rss_mb, run_child
from osca_core.bench.timing import timed
from osca_core.data import importers
from osca_core.data.store import Store
from osca_core.errors import InputError


@dataclass(frozen=True)
class IngestBench:
    """What ``osca bench ingest`` reports: the import of ``rows`` per-sample Parquet rows into a fresh store."""

    rows: int
    questions: int
    configs: int
    parquet_bytes: int
    generate_seconds: float
    import_seconds: float
    read_seconds: float
    validate_seconds: float
    aggregate_seconds: float
    write_seconds: float
    peak_rss_mb: float
    counts_match: bool  # the stored matrix sums to the generated rows and correct samples

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        return "\n".join([
            f"ingest {self.rows} per-sample rows ({self.questions} questions x {self.configs} configurations, "
            f"Parquet {self.parquet_bytes} bytes, generated in {self.generate_seconds:.2f} s)",
            f"import {self.import_seconds:.2f} s = read {self.read_seconds:.2f} + validate "
            f"{self.validate_seconds:.2f} + aggregate {self.aggregate_seconds:.2f} + write {self.write_seconds:.2f} "
            f"(+ open); peak RSS {self.peak_rss_mb:.0f} MB; counts match: {'yes' if self.counts_match else 'NO'}",
            "goal: 10^7 rows in <= 20 s with peak RSS <= 2 GB (2 cores)"])


def bench_shape(rows: int) -> tuple[int, int]:
    """Questions x configurations for ``rows`` samples: up to 1000 x 20, at least one sample per cell."""
    if rows < 1:
        raise InputError(f"--rows: must be a positive integer (got {rows})")
    q = min(1000, max(1, rows // 100))
    return q, min(20, max(1, rows // q))


def write_bench_parquet(path: Path, rows: int, *, seed: int = 0) -> tuple[int, int, int]:
    """``rows`` per-sample rows (question_id, config, sample_idx, correct), vectorized; returns (Q, S, correct)."""
    import pyarrow.parquet as pq

    q, s = bench_shape(rows)
    rng = np.random.default_rng(seed)
    i = np.arange(rows, dtype=np.int64)
    cell = i % (q * s)
    qi, si = (cell // s).astype(np.int32), (cell % s).astype(np.int32)
    correct = rng.random(rows) < rng.beta(0.6, 1.2, size=(q, s))[qi, si]
    names = [f"model{k % 5}_{0.2 * (k // 5 + 1):.1f}" for k in range(s)]
    table = pa.table({
        "question_id": pa.DictionaryArray.from_arrays(pa.array(qi), pa.array([f"q{k:05d}" for k in range(q)])),
        "config": pa.DictionaryArray.from_arrays(pa.array(si), pa.array(names)),
        "sample_idx": pa.array(i // (q * s)), "correct": pa.array(correct)})
    pq.write_table(table, path)
    return q, s, int(correct.sum())


def ingest_child(parquet: str, home: str) -> dict:
    """Runs in the child: import ``parquet`` (format long) into a new store at ``home``; timings and sums."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    store = Store.open(home)
    importers.import_files(store, [parquet], format="long", name="bench", timings=timings)
    timings["import_seconds"] = time.perf_counter() - t0
    timings["peak_rss_mb"] = process_peak_rss_mb()
    m = store.load_matrix("bench")
    return {**timings, "n_sum": int(m.n.sum()), "c_sum": int(m.c.sum()), "shape": list(m.shape)}


def bench_ingest(rows: int, *, seed: int = 0) -> IngestBench:
    """Generate ``rows`` per-sample rows as Parquet in a temporary folder and import them through the real
    importer into a temporary store, in a fresh child process so that its peak RSS is the import's alone."""
    with tempfile.TemporaryDirectory(prefix="osca-bench-") as tmp:
        parquet = Path(tmp) / "samples.parquet"
        gen, (q, s, n_correct) = timed(lambda: write_bench_parquet(parquet, rows, seed=seed))
        r = run_child("osca_core.bench.ingest:ingest_child", [str(parquet), str(Path(tmp) / "home")],
                      what="bench ingest")
        size = parquet.stat().st_size
    return IngestBench(
        rows=rows, questions=q, configs=s, parquet_bytes=size, generate_seconds=gen,
        import_seconds=r["import_seconds"], read_seconds=r.get("read_seconds", 0.0),
        validate_seconds=r.get("validate_seconds", 0.0), aggregate_seconds=r.get("aggregate_seconds", 0.0),
        write_seconds=r.get("write_seconds", 0.0), peak_rss_mb=r["peak_rss_mb"],
        counts_match=r["n_sum"] == rows and r["c_sum"] == n_correct and tuple(r["shape"]) == (q, s))


@dataclass(frozen=True)
class FilesBench:
    """``osca bench ingest --files N``: a folder of N small per-sample CSV files (5 rows each) imported, and the
    decompression bomb (a small Parquet file whose footer counts ``bomb_rows`` rows) refused."""

    files: int
    import_seconds: float
    peak_rss_mb: float
    counts_match: bool
    bomb_rows: int
    bomb_bytes: int
    bomb_seconds: float
    bomb_peak_rss_mb: float
    bomb_refusal: str

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        return "\n".join([
            f"import a folder of {self.files} small CSV files: {self.import_seconds:.1f} s, peak RSS "
            f"{self.peak_rss_mb:.0f} MB; counts match: {'yes' if self.counts_match else 'NO'} (goal: 10^4 files "
            f"under 1 GB)",
            f"decompression bomb ({self.bomb_bytes / 1e6:.1f} MB of Parquet, {self.bomb_rows:,} rows): refused in "
            f"{self.bomb_seconds:.2f} s, peak RSS {self.bomb_peak_rss_mb:.0f} MB: {self.bomb_refusal}"])


def write_small_files(folder: Path, files: int) -> int:
    """``files`` CSV files of 5 per-sample rows (configuration ``c{i % 50}``); returns the correct samples."""
    folder.mkdir(parents=True, exist_ok=True)
    correct = 0
    for i in range(files):
        rows = [(j, (i + j) % 2) for j in range(5)]
        correct += sum(r for _, r in rows)
        (folder / f"c{i:05d}.csv").write_text("question_id,config,correct\n" + "".join(
            f"q{j},c{i % 50},{r}\n" for j, r in rows))
    return correct


def write_bomb(path: Path, rows: int) -> None:
    """A Parquet file of ``rows`` constant rows in row groups of 10^7 (a few MB: run-length encoded)."""
    import pyarrow.parquet as pq

    chunk = min(rows, 10_000_000)
    table = pa.table({"question_id": pa.array(np.zeros(chunk, dtype=np.int32)).dictionary_encode(),
                      "config": pa.array(np.zeros(chunk, dtype=np.int32)).dictionary_encode(),
                      "correct": pa.array(np.zeros(chunk, dtype=bool))})
    with pq.ParquetWriter(path, table.schema, compression="zstd") as w:
        left = rows
        while left > 0:
            w.write_table(table.slice(0, min(chunk, left)))
            left -= chunk


def files_child(folder: str, home: str) -> dict:
    """Runs in the child: import every file of ``folder`` into a new store; seconds, peak RSS and sums."""
    t0 = time.perf_counter()
    store = Store.open(home)
    importers.import_files(store, [folder], name="bench")
    m = store.load_matrix("bench")
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": process_peak_rss_mb(), "n_sum": int(m.n.sum()),
            "c_sum": int(m.c.sum())}


def bomb_child(path: str, home: str) -> dict:
    """Runs in the child: the bomb's import, refused by the row limit; seconds, peak RSS and the refusal."""
    t0 = time.perf_counter()
    try:
        importers.import_files(Store.open(home), [path], name="bomb")
        msg = "NOT REFUSED"
    except InputError as e:
        msg = str(e)
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": process_peak_rss_mb(), "refusal": msg}


def bench_files(files: int, *, bomb_rows: int = 300_000_000) -> FilesBench:
    """Generate the folder and the bomb in a temporary folder; import each in a fresh child process."""
    with tempfile.TemporaryDirectory(prefix="osca-bench-") as tmp:
        t = Path(tmp)
        correct = write_small_files(t / "logs", files)
        r = run_child("osca_core.bench.ingest:files_child", [str(t / "logs"), str(t / "home")],
                      env={"OSCA_MAX_IMPORT_FILES": str(max(files, 20_000))}, what="bench ingest --files")
        write_bomb(t / "bomb.parquet", bomb_rows)
        b = run_child("osca_core.bench.ingest:bomb_child", [str(t / "bomb.parquet"), str(t / "home2")],
                      what="bench ingest --files (bomb)")
        size = (t / "bomb.parquet").stat().st_size
    return FilesBench(files=files, import_seconds=r["seconds"], peak_rss_mb=r["peak_rss_mb"],
                      counts_match=r["n_sum"] == 5 * files and r["c_sum"] == correct, bomb_rows=bomb_rows,
                      bomb_bytes=size, bomb_seconds=b["seconds"], bomb_peak_rss_mb=b["peak_rss_mb"],
                      bomb_refusal=b["refusal"])
