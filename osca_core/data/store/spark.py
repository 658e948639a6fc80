"""The Spark path: the same (question, configuration) aggregation as :mod:`osca_core.data.store.lake`, as a PySpark job.

For logs larger than one machine: ``osca aggregate --engine spark INPUT... --out COUNTS.parquet [--master URL]``
runs, on any Spark cluster (``local[2]`` by default),

    n_qs = count(*),  c_qs = sum(correct),  cost_s = mean over configuration s's samples of its cost column

with the column roles of the lake module (``question_id``, ``correct``, ``config`` or the hive partition values
joined by ``_``, the first recognized cost or token column, ``split``, partition columns kept as configuration
attributes), and writes the aggregated long layout ``question_id, config, n_samples, n_correct[, cost][, split]
[, partition columns]`` as a Parquet folder that ``osca import`` reads. The output is written to a temporary
folder beside ``--out`` and renamed into place only when the job succeeded, so a failed job leaves nothing.

Submitting to a cluster (the module is its own driver script)::

    spark-submit --master spark://HOST:7077 $(python -c "import osca_core.data.store.spark as m; print(m.__file__)") \\
        hdfs:///logs/run1 --out hdfs:///counts/run1.parquet

Only local, HDFS and whatever filesystems the cluster's Hadoop configuration provides (``s3a://`` with
hadoop-aws) are read; the single-machine DuckDB path (:mod:`osca_core.data.store.lake`) reads ``s3://`` itself.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.store.roles import COST_NAMES, TOKEN_NAMES


@dataclass(frozen=True)
class SparkCounts:
    """What the job wrote: the output folder, the number of cells and rows read, the cost column used."""

    out: str
    cells: int
    rows_read: int
    cost_column: str | None
    seconds: float

    def as_dict(self) -> dict:
        return {"engine": "spark", "out": self.out, "cells": self.cells, "rows_read": self.rows_read,
                "cost_column": self.cost_column, "seconds": round(self.seconds, 3)}


def _session(master: str):
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("--engine spark: pyspark is not installed (pip install pyspark; needs Java 17+)") from None
    builder = (SparkSession.builder.master(master).appName("osca-aggregate")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "8")
               .config("spark.sql.session.timeZone", "UTC"))
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
    try:
        spark = builder.getOrCreate()
        spark.sparkContext.setLogLevel("ERROR")
        return spark
    except Exception as e:  # the JVM did not start: Java missing or the master unreachable
        raise InputError(f"--engine spark: Spark did not start ({str(e).splitlines()[0][:200]})") from None


def _base_path(inputs: list[str]) -> str | None:
    """The folder above the first ``key=value`` part of the first input (Spark's ``basePath``)."""
    parts = Path(inputs[0]).parts
    cut = next((i for i, p in enumerate(parts) if "=" in p), None)
    return str(Path(*parts[:cut])) if cut else None


def aggregate(inputs: list[str], out: str, *, master: str = "local[2]") -> SparkCounts:
    """Run the aggregation as a Spark job and write ``out`` (formula in the module docstring)."""
    from pyspark.sql import functions as F
    from pyspark.sql.utils import AnalysisException

    if not inputs:
        raise InputError("osca aggregate: give at least one input")
    t0 = time.perf_counter()
    spark = _session(master)
    reader = spark.read
    base = _base_path(inputs)
    if base:
        reader = reader.option("basePath", base)
    try:
        df = reader.parquet(*inputs)
    except AnalysisException as e:
        raise InputError(f"{inputs[0]}: {str(e).splitlines()[0][:300]}") from None
    lower = {c.lower(): c for c in df.columns}
    for need in ("question_id", "correct"):
        if need not in lower:
            raise InputError(f"{inputs[0]}: missing column {need!r} (found: {', '.join(df.columns)})")
    data_cols = set(lower)
    keys = set(_partition_names(inputs))
    parts = [c for c in df.columns if c in keys]
    if "config" not in data_cols and not parts:
        raise InputError(f"{inputs[0]}: no column 'config' and no hive partitions to name the configurations")
    cost = next((lower[n] for n in COST_NAMES if n in lower), None) or next(
        (lower[n] for n in TOKEN_NAMES if n in lower), None)
    q = F.col(lower["question_id"]).cast("string")
    corr = F.col(lower["correct"]).cast("boolean")
    cfg = F.col(lower["config"]).cast("string") if "config" in lower else F.concat_ws(
        "_", *[F.col(p).cast("string") for p in parts])
    cst = F.col(cost).cast("double") if cost else F.lit(None).cast("double")
    rows = df.select(q.alias("question_id"), cfg.alias("config"), corr.alias("correct"), cst.alias("cost"),
                     *([F.col(lower["split"]).cast("string").alias("split")] if "split" in lower else []),
                     *[F.col(p).cast("string").alias(p) for p in parts])
    bad = rows.filter(F.col("question_id").isNull() | (F.trim(F.col("question_id")) == "")
                      | F.col("correct").isNull() | (F.col("cost").isNotNull() & (F.col("cost") < 0))).limit(1)
    first_bad = bad.collect()
    if first_bad:
        r = first_bad[0]
        what = "question_id is empty" if not (r["question_id"] or "").strip() else (
            "correct must be 0/1 or true/false" if r["correct"] is None else "cost must be >= 0")
        raise InputError(f"{inputs[0]}: question {r['question_id']!r}, configuration {r['config']!r}: {what}")
    aggs = [F.count(F.lit(1)).alias("n_samples"), F.sum(F.col("correct").cast("long")).alias("n_correct"),
            F.sum("cost").alias("cost_sum"), F.count("cost").alias("cost_n")]
    aggs += [F.first("split", ignorenulls=True).alias("split")] if "split" in lower else []
    aggs += [F.first(p).alias(p) for p in parts]
    cells = rows.groupBy("question_id", "config").agg(*aggs)
    if cost:
        per_cfg = cells.groupBy("config").agg((F.sum("cost_sum") / F.sum("cost_n")).alias("cost"))
        cells = cells.join(per_cfg, "config")
    cells = cells.drop("cost_sum", "cost_n")
    order = ["question_id", "config", "n_samples", "n_correct"] + (["cost"] if cost else []) + (
        ["split"] if "split" in lower else []) + parts
    cells = cells.select(*order).orderBy("config", "question_id")
    tmp = f"{out.rstrip('/')}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        cells.write.mode("error").parquet(tmp)
        counted = spark.read.parquet(tmp).agg(F.count(F.lit(1)), F.sum("n_samples")).collect()[0]
    except Exception as e:
        _remove(tmp)
        raise InputError(f"osca aggregate: the Spark job failed ({str(e).splitlines()[0][:300]})") from None
    _move_into_place(tmp, out)
    return SparkCounts(out, int(counted[0]), int(counted[1] or 0), cost, time.perf_counter() - t0)


def _partition_names(inputs: list[str]) -> list[str]:
    """Hive partition keys (``key=value`` folders) on the path of the first Parquet file under the inputs."""
    first = Path(inputs[0].removeprefix("file://"))
    if first.is_dir():
        first = next(iter(sorted(first.rglob("*.parquet"))), first)
    return [p.split("=", 1)[0] for p in first.parts[:-1] if "=" in p]


def _remove(path: str) -> None:
    p = Path(path.removeprefix("file://"))
    if p.exists():
        shutil.rmtree(p, ignore_errors=True)


def _move_into_place(tmp: str, out: str) -> None:
    """Rename the finished output over ``out`` (local paths; for cluster filesystems the job writes to a
    temporary name and the rename is Hadoop's)."""
    src, dst = Path(tmp.removeprefix("file://")), Path(out.removeprefix("file://"))
    if src.exists():
        if dst.exists():
            old = dst.with_name(dst.name + f".old-{uuid.uuid4().hex[:8]}")
            dst.rename(old)
            src.rename(dst)
            shutil.rmtree(old, ignore_errors=True)
        else:
            src.rename(dst)
        return
    from pyspark.sql import SparkSession  # a cluster filesystem: rename with Hadoop's FileSystem API

    spark = SparkSession.getActiveSession()
    jvm = spark._jvm  # noqa: SLF001 - Hadoop's FileSystem is only reachable through the JVM gateway
    conf = spark._jsc.hadoopConfiguration()  # noqa: SLF001
    path = jvm.org.apache.hadoop.fs.Path(tmp)
    fs = path.getFileSystem(conf)
    target = jvm.org.apache.hadoop.fs.Path(out)
    if fs.exists(target):
        fs.delete(target, True)
    fs.rename(path, target)


def main(argv: list[str] | None = None) -> int:
    """``spark-submit osca_core/data/store/spark.py INPUT... --out OUT``: the driver script for a cluster."""
    ap = argparse.ArgumentParser(prog="osca-aggregate-spark")
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--master", default=None)
    a = ap.parse_args(argv)
    try:
        res = aggregate(a.inputs, a.out, master=a.master or "local[2]")
    except InputError as e:
        print(f"osca: error: {e}", file=sys.stderr)
        return 2
    print(res.as_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
