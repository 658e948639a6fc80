"""``osca bench ingest --lake``: aggregate a generated hive-partitioned Parquet folder in place, beside the floor.

Generates ``rows`` per-sample rows as ``root/model=m<i>/temperature=<t>/part-0.parquet`` (Q questions x S
configurations x n samples, question ids dictionary-encoded as a real log's would be, a token count per sample),
then measures, each in a fresh child interpreter so peak RSS is the job's own:

- the floor: a bare DuckDB ``GROUP BY question_id, model, temperature`` over the same files, no validation;
- the studio's path: :func:`osca_core.data.store.lake.locate` (schema check of every footer) and
  :func:`osca_core.data.store.lake.aggregate` (validation counted in the same pass, per-configuration mean cost).

Goal (issue 16): within 2x of the floor, peak RSS under 2 GB, for 10^8 rows on 2 cores.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from osca_core.bench.child import peak_rss_mb, run_child
from osca_core.bench.timing import timed


@dataclass(frozen=True)
class LakeBench:
    rows: int
    files: int
    generate_seconds: float
    floor_seconds: float
    floor_peak_rss_mb: float | None
    osca_seconds: float
    osca_peak_rss_mb: float | None
    cells: int

    @property
    def ratio_to_floor(self) -> float:
        return self.osca_seconds / self.floor_seconds if self.floor_seconds > 0 else float("nan")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["ratio_to_floor"] = round(self.ratio_to_floor, 3)
        d["goal"] = "within 2x of the floor, peak RSS < 2048 MB"
        return d

    def text(self) -> str:
        rss = f"{self.osca_peak_rss_mb:.0f} MB" if self.osca_peak_rss_mb is not None else "n/a"
        return (f"lake ingest: {self.rows:,} rows in {self.files} files -> {self.cells:,} cells\n"
                f"  floor (bare DuckDB GROUP BY): {self.floor_seconds:.2f} s\n"
                f"  osca (schema check + validation + aggregation): {self.osca_seconds:.2f} s, peak RSS {rss}\n"
                f"  ratio to floor: {self.ratio_to_floor:.2f}x (goal <= 2x, RSS < 2 GB)")


def generate(root: Path, rows: int, *, configs: int = 100, samples: int = 100, seed: int = 0) -> int:
    """Write about ``rows`` per-sample rows under ``root`` (hive layout); returns the number of files."""
    questions = max(1, rows // (configs * samples))
    rng = np.random.default_rng(seed)
    ids = pa.array([f"task/{i:06d}" for i in range(questions)])
    q_idx = np.repeat(np.arange(questions, dtype=np.int32), samples)
    for s in range(configs):
        folder = root / f"model=m{s // 4:03d}" / f"temperature={0.2 * (s % 4):.1f}"
        folder.mkdir(parents=True, exist_ok=True)
        p = rng.beta(0.6, 0.9, questions)
        correct = rng.random(q_idx.size) < p[q_idx]
        table = pa.table({"question_id": pa.DictionaryArray.from_arrays(pa.array(q_idx), ids),
                          "sample_idx": np.tile(np.arange(samples, dtype=np.int32), questions),
                          "correct": correct,
                          "tokens": rng.integers(50, 800, q_idx.size, dtype=np.int32)})
        pq.write_table(table, folder / "part-0.parquet", row_group_size=1 << 20)
    return configs


def floor_child(root: str) -> dict:
    """Child: the bare GROUP BY (no validation, no schema check)."""
    import duckdb

    t0 = time.perf_counter()
    con = duckdb.connect(":memory:", config={"memory_limit": "1GB", "preserve_insertion_order": False})
    con.execute("CREATE TEMP TABLE cells AS SELECT question_id, model, temperature, count(*) AS n, "
                "sum(CAST(correct AS INTEGER)) AS c FROM read_parquet(?, hive_partitioning = true) GROUP BY ALL",
                [f"{root}/**/*.parquet"])
    cells = con.execute("SELECT count(*) FROM cells").fetchall()[0][0]
    return {"seconds": time.perf_counter() - t0, "cells": int(cells), "peak_rss_mb": peak_rss_mb()}


def osca_child(root: str) -> dict:
    """Child: the studio's in-place path (locate + aggregate)."""
    from osca_core.data.store import lake

    seconds, counts = timed(lambda: lake.aggregate(lake.locate(root)))
    return {"seconds": seconds, "cells": counts.table.num_rows, "peak_rss_mb": peak_rss_mb()}


def run_lake_bench(*, rows: int = 100_000_000, folder: str | None = None, seed: int = 0) -> LakeBench:
    """Generate the dataset (in ``folder`` or a temporary one), then time the floor and the studio's path."""
    with tempfile.TemporaryDirectory(prefix="osca-lake-bench-", dir=folder) as tmp:
        root = Path(tmp) / "logs"
        gen, files = timed(lambda: generate(root, rows, seed=seed))
        floor = run_child("osca_core.bench.lake:floor_child", [str(root)], what="bench ingest --lake (floor)")
        ours = run_child("osca_core.bench.lake:osca_child", [str(root)], what="bench ingest --lake")
        return LakeBench(rows=rows, files=files, generate_seconds=gen, floor_seconds=floor["seconds"],
                         floor_peak_rss_mb=floor["peak_rss_mb"], osca_seconds=ours["seconds"],
                         osca_peak_rss_mb=ours["peak_rss_mb"], cells=ours["cells"])


if __name__ == "__main__":  # a quick look: python -m osca_core.bench.lake [ROWS]
    res = run_lake_bench(rows=int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000)
    print(json.dumps(res.as_dict(), indent=2))
