"""Test helpers for datasets read in place: hive-partitioned Parquet folders with known counts, and a local
S3-compatible server (moto's server mode) on 127.0.0.1 for the object-storage tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def write_hive(root: Path, *, questions: int = 12, samples: dict[tuple[str, str], int] | None = None,
               seed: int = 0, extra: bool = True) -> dict[tuple[str, str], tuple[int, int]]:
    """Write ``root/model=M/temperature=T/part-0.parquet`` per configuration and return the true
    ``{(question_id, config): (n, c)}``; n differs per configuration (10 for cheap ones, 1 for an expensive one)."""
    samples = samples or {("small", "0.2"): 10, ("small", "0.8"): 10, ("big", "0.0"): 1}
    rng = np.random.default_rng(seed)
    truth: dict[tuple[str, str], tuple[int, int]] = {}
    for (model, temp), n in samples.items():
        folder = root / f"model={model}" / f"temperature={temp}"
        folder.mkdir(parents=True, exist_ok=True)
        q = np.repeat(np.arange(questions), n)
        p = rng.uniform(0, 1, questions)
        correct = rng.random(q.size) < p[q]
        cols = {"question_id": [f"q{i:03d}" for i in q], "correct": correct}
        if extra:
            cols["sample_idx"] = np.tile(np.arange(n), questions)
            cols["cost_usd"] = rng.uniform(0.001, 0.01, q.size)
            cols["run_id"] = [f"run-{j % 3}" for j in range(q.size)]
        pq.write_table(pa.table(cols), folder / "part-0.parquet")
        for i in range(questions):
            truth[(f"q{i:03d}", f"{model}_{temp}")] = (n, int(correct[q == i].sum()))
    return truth


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def moto_server():
    """A moto S3 server on 127.0.0.1 (a free port) for the duration of the block; yields its endpoint URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("moto server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def upload_folder(endpoint: str, bucket: str, prefix: str, folder: Path) -> None:
    """Put every file under ``folder`` into ``s3://bucket/prefix/...`` (boto3 single-part uploads)."""
    import boto3

    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
                      aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"))
    s3.create_bucket(Bucket=bucket)
    for f in sorted(folder.rglob("*")):
        if f.is_file():
            s3.put_object(Bucket=bucket, Key=f"{prefix}/{f.relative_to(folder).as_posix()}", Body=f.read_bytes())
