"""Logs where they live: Parquet datasets read in place and aggregated without loading them into memory.

Part of the store package (the only code that speaks SQL). A lab's per-sample log is a *dataset*, not a file: a
folder, a glob, a hive-partitioned layout (``.../model=X/temperature=0.8/part-*.parquet``), locally or on object
storage (``s3://bucket/prefix``, any S3-compatible endpoint). The optimizer needs only the question x
configuration counts, so this module reduces the dataset to one row per cell with DuckDB's streaming
``GROUP BY`` (projection of the needed columns only, DuckDB's ``memory_limit`` bounding memory and spilling to a
temporary folder beyond it):

    n_qs = count(*),  c_qs = sum(correct),  cost_s = mean over configuration s's samples of its cost column

Roles of the columns:

- ``question_id`` and ``correct`` (boolean or 0/1) are required; ``config`` names the configuration, and when it
  is absent the configuration is named by its hive partition values joined with ``_`` (``model=gpt/
  temperature=0.8`` -> ``gpt_0.8``, the OSCA naming ``<model>_<temperature>``);
- hive partition columns are configuration attributes (constant per configuration by construction);
- the first of the recognized cost names (``cost``, ``cost_usd``, ``usd``, ``price``), else of the token names,
  gives the configuration's cost per sample; ``split`` (train/test/both), when present, is carried per question;
- every other column stays in the source and is never read.

Local datasets are scanned by DuckDB's own Parquet reader; S3 datasets are opened with pyarrow's S3 filesystem
(credentials from the standard AWS variables, which pyarrow reads itself) and scanned by DuckDB through Arrow, so
DuckDB's httpfs extension is not needed. Before scanning, every file's schema is compared with the first file's
(footers only), so a partition with a different schema is named by its path instead of failing mid-scan.
"""

from __future__ import annotations

import glob as _glob
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.dataset as pads
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from osca_core.errors import InputError
from osca_core.data.store.roles import COST_NAMES, TOKEN_NAMES

MEMORY_LIMIT = "1GB"


@dataclass(frozen=True)
class LakeDataset:
    """A Parquet dataset located but not read: where it is, its files, its schema and its partition columns."""

    uri: str
    files: tuple[str, ...]
    schema: pa.Schema
    partitions: tuple[str, ...]
    filesystem: pafs.FileSystem | None  # None: local files scanned by DuckDB directly
    rows: int

    @property
    def is_remote(self) -> bool:
        return self.filesystem is not None


@dataclass(frozen=True)
class LakeCounts:
    """The dataset reduced to one row per (question, configuration): the aggregated long layout."""

    table: pa.Table  # question_id, config, n_samples, n_correct [, cost][, split][, partition columns]
    rows_read: int
    cost_column: str | None
    seconds: float

    def as_dict(self) -> dict:
        return {"cells": self.table.num_rows, "rows_read": self.rows_read, "cost_column": self.cost_column,
                "seconds": round(self.seconds, 3)}


def s3_filesystem(endpoint: str | None = None) -> pafs.S3FileSystem:
    """pyarrow's S3 filesystem; ``endpoint`` (``http://127.0.0.1:9000``) for any S3-compatible server."""
    if endpoint is None:
        return pafs.S3FileSystem()
    scheme = "http" if endpoint.startswith("http://") else "https"
    host = endpoint.split("://", 1)[-1].rstrip("/")
    return pafs.S3FileSystem(endpoint_override=host, scheme=scheme, region="us-east-1")


def _partition_names(paths: list[str]) -> tuple[str, ...]:
    names: list[str] = []
    for part in Path(paths[0]).parts[:-1]:
        if "=" in part:
            names.append(part.split("=", 1)[0])
    return tuple(names)


def _list_remote(uri: str, fs: pafs.FileSystem) -> list[str]:
    base = uri[len("s3://"):].rstrip("/")
    bucket = base.split("/", 1)[0]
    try:
        if not bucket or fs.get_file_info(bucket).type == pafs.FileType.NotFound:
            raise InputError(f"{uri}: bucket {bucket!r} does not exist or cannot be read")
        info = fs.get_file_info(base)
        if info.type == pafs.FileType.File:
            return [base]
        sel = pafs.FileSelector(base, recursive=True, allow_not_found=True)
        found = fs.get_file_info(sel)
    except OSError as e:
        raise InputError(f"{uri}: cannot read the bucket ({str(e).splitlines()[0]})") from None
    return sorted(f.path for f in found if f.type == pafs.FileType.File and f.path.endswith(".parquet"))


def _list_local(uri: str) -> list[str]:
    p = Path(uri)
    if p.is_dir():
        return sorted(str(x) for x in p.rglob("*.parquet") if x.is_file())
    if any(ch in uri for ch in "*?["):
        return sorted(x for x in _glob.glob(uri, recursive=True) if Path(x).is_file())
    if p.is_file():
        return [str(p)]
    raise InputError(f"{uri}: no such file or folder")


def locate(uri: str, *, s3_endpoint: str | None = None) -> LakeDataset:
    """Find the Parquet files of ``uri`` and check that they share one schema (reading footers only).

    A missing prefix, an unreadable bucket, a folder with no Parquet file, or a file whose schema differs from
    the first file's raise :class:`InputError` naming the path.
    """
    fs = s3_filesystem(s3_endpoint) if uri.startswith("s3://") else None
    files = _list_remote(uri, fs) if fs is not None else _list_local(uri)
    if not files:
        what = "prefix" if fs is not None else "folder or pattern"
        raise InputError(f"{uri}: no Parquet files under this {what}")
    first = None
    rows = 0
    for f in files:
        try:
            meta = pads.dataset(f, format="parquet", filesystem=fs) if fs is not None else None
            fragment = next(meta.get_fragments()) if meta is not None else None
            schema = fragment.physical_schema if fragment is not None else pq.read_schema(f)
            nrows = (fragment.metadata.num_rows if fragment is not None
                     else pq.ParquetFile(f).metadata.num_rows)
        except (OSError, pa.ArrowException, UnicodeDecodeError) as e:  # a damaged footer: invalid UTF-8 too
            where = f"s3://{f}" if fs is not None else f
            raise InputError(f"{where}: not a readable Parquet file ({str(e).splitlines()[0]})") from None
        rows += nrows
        if first is None:
            first = schema
        elif not schema.equals(first):
            diff = _schema_difference(first, schema)
            where = f"s3://{f}" if fs is not None else f
            raise InputError(f"{where}: schema differs from the dataset's first file ({diff})")
    return LakeDataset(uri, tuple(files), first, _partition_names(files), fs, rows)


def _schema_difference(a: pa.Schema, b: pa.Schema) -> str:
    for field in a:
        if field.name not in b.names:
            return f"column {field.name!r} is missing"
        other = b.field(field.name)
        if other.type != field.type:
            return f"column {field.name!r} is {other.type}, not {field.type}"
    extra = [n for n in b.names if n not in a.names]
    return f"extra column {extra[0]!r}" if extra else "different column order"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _connect(memory_limit: str) -> tuple[duckdb.DuckDBPyConnection, tempfile.TemporaryDirectory]:
    tmp = tempfile.TemporaryDirectory(prefix="osca-lake-")
    con = duckdb.connect(":memory:", config={"memory_limit": memory_limit, "temp_directory": tmp.name,
                                              "preserve_insertion_order": False})
    return con, tmp


def _source_sql(con: duckdb.DuckDBPyConnection, ds: LakeDataset) -> str:
    if ds.is_remote:
        dataset = pads.dataset(list(ds.files), format="parquet", filesystem=ds.filesystem,
                               partitioning=pads.partitioning(flavor="hive") if ds.partitions else None,
                               partition_base_dir=_common_base(ds.files) if ds.partitions else None)
        con.register("lake_src", dataset)
        return "lake_src"
    files = ", ".join("'" + f.replace("'", "''") + "'" for f in ds.files)
    return f"read_parquet([{files}], hive_partitioning = {str(bool(ds.partitions)).lower()})"


def _common_base(files: tuple[str, ...]) -> str:
    parts = Path(files[0]).parts
    base = [p for p in parts[:-1] if "=" not in p]
    cut = next((i for i, p in enumerate(parts) if "=" in p), len(parts) - 1)
    return str(Path(*parts[:cut])) if cut else str(Path(*base))


def roles(ds: LakeDataset) -> dict[str, str | None]:
    """The columns this dataset's aggregation reads: question, correct, config (None: from partitions), cost,
    split. Missing required columns raise :class:`InputError` naming them."""
    lower = {n.lower(): n for n in list(ds.schema.names) + list(ds.partitions)}
    for need in ("question_id", "correct"):
        if need not in lower:
            raise InputError(f"{ds.uri}: missing column {need!r} (found: {', '.join(ds.schema.names)})")
    if "config" not in lower and not ds.partitions:
        raise InputError(f"{ds.uri}: no column 'config' and no hive partitions (model=.../temperature=...) to name "
                         "the configurations")
    cost = next((lower[n] for n in COST_NAMES if n in lower), None)
    cost = cost or next((lower[n] for n in TOKEN_NAMES if n in lower), None)
    return {"question_id": lower["question_id"], "correct": lower["correct"], "config": lower.get("config"),
            "cost": cost, "split": lower.get("split")}


def aggregate(ds: LakeDataset, *, memory_limit: str = MEMORY_LIMIT) -> LakeCounts:
    """Reduce the dataset to (question, configuration) counts in one streaming pass (formula in the module
    docstring). The pass groups by the raw key columns and computes only plain aggregates (counts, sums, a
    minimum); the checks run on the small aggregated table: a null or blank question id, a ``correct`` that is not
    boolean or 0/1 (null after the strict cast), a negative or non-finite cost. If any fails, a second query
    names the first offending row and its file."""
    t0 = time.perf_counter()
    r = roles(ds)
    con, tmp = _connect(memory_limit)
    try:
        src = _source_sql(con, ds)
        q, ok = _ident(r["question_id"]), _ident(r["correct"])
        parts = [_ident(p) for p in ds.partitions]
        keys = [q] + ([_ident(r["config"])] if r["config"] else parts)
        corr = _correct_sql(ok, ds.schema.field(r["correct"]).type if r["correct"] in ds.schema.names else None)
        cost = f"TRY_CAST({_ident(r['cost'])} AS DOUBLE)" if r["cost"] else "NULL::DOUBLE"
        split = f", any_value(CAST({_ident(r['split'])} AS VARCHAR)) AS split" if r["split"] else ""
        keep = "".join(f", any_value({p}) AS {p}" for p in parts if p not in keys)
        con.execute(f"CREATE TEMP TABLE raw_cells AS SELECT {', '.join(keys)}, count(*) AS n_samples, "
                    f"count_if({corr}) AS n_correct, count({corr}) AS n_valid, sum({cost}) AS cost_sum, "
                    f"count({cost}) AS cost_n, min({cost}) AS cost_min{split}{keep} FROM {src} "
                    f"GROUP BY {', '.join(keys)}")
        cfg = _ident(r["config"]) if r["config"] else "concat_ws('_', " + ", ".join(
            f"CAST({p} AS VARCHAR)" for p in parts) + ")"
        _refuse_repeated_samples(con, ds, src, keys, lower_names(ds).get("sample_idx"))
        nbad, rows = con.execute(
            f"SELECT count(*) FILTER (WHERE {q} IS NULL OR trim(CAST({q} AS VARCHAR)) = '' OR n_valid < n_samples "
            f"OR cost_min < 0 OR NOT isfinite(cost_sum)), sum(n_samples) FROM raw_cells").fetchall()[0]
        if nbad:
            _name_first_bad(con, ds, src, q, ok, corr, cost)
        cols = f"CAST({q} AS VARCHAR) AS question_id, {cfg} AS config, n_samples, n_correct"
        if r["cost"]:
            cols += f", sum(cost_sum) OVER (PARTITION BY {cfg}) / sum(cost_n) OVER (PARTITION BY {cfg}) AS cost"
        cols += ", split" if r["split"] else ""
        cols += "".join(f", CAST({p} AS VARCHAR) AS {p}" for p in parts)
        rel = con.sql(f"SELECT {cols} FROM raw_cells ORDER BY config, question_id")
        table = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
    except duckdb.Error as e:
        raise InputError(f"{ds.uri}: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
        tmp.cleanup()
    return LakeCounts(table, int(rows or 0), r["cost"], time.perf_counter() - t0)


def lower_names(ds: LakeDataset) -> dict[str, str]:
    return {n.lower(): n for n in list(ds.schema.names) + list(ds.partitions)}


def _refuse_repeated_samples(con, ds: LakeDataset, src: str, keys: list[str], sidx: str | None) -> None:
    """One identity per sample in a dataset read in place: two local files with the same bytes (a copied part
    file), or a ``sample_idx`` given twice within a (question, configuration), are refused by name (the counts
    would count every such sample twice)."""
    if not ds.is_remote:
        import hashlib
        import os

        by_size: dict[int, list[str]] = {}
        for f in ds.files:
            by_size.setdefault(os.path.getsize(f), []).append(f)
        for same in (v for v in by_size.values() if len(v) > 1):
            first: dict[str, str] = {}
            for f in same:
                h = hashlib.sha256()
                with open(f, "rb") as fh:
                    for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        h.update(block)
                if h.hexdigest() in first:
                    raise InputError(f"{f}: the same bytes as {first[h.hexdigest()]} (every sample would be counted "
                                     f"twice); remove one copy")
                first[h.hexdigest()] = f
    if sidx is None:
        return
    s = _ident(sidx)
    row = con.execute(f"SELECT {', '.join(f'CAST({k} AS VARCHAR)' for k in keys)}, CAST({s} AS VARCHAR) FROM {src} "
                      f"GROUP BY {', '.join(keys)}, {s} HAVING count(*) > 1 ORDER BY {', '.join(keys)}, {s} LIMIT 1"
                      ).fetchone()
    if row:
        raise InputError(f"{ds.uri}: duplicate {sidx} {row[-1]} for question {row[0]!r} and configuration "
                         f"{'_'.join(str(x) for x in row[1:-1])!r} (a sample counted twice)")


def _name_first_bad(con, ds: LakeDataset, src: str, q: str, ok: str, corr: str, cost: str) -> None:
    where = (f"{q} IS NULL OR trim(CAST({q} AS VARCHAR)) = '' OR {corr} IS NULL OR ({cost} IS NOT NULL AND "
             f"(NOT isfinite({cost}) OR {cost} < 0))")
    fname = "filename" if not ds.is_remote else "NULL"
    extra = ", filename = true" if not ds.is_remote else ""
    if not ds.is_remote:
        files = ", ".join("'" + f.replace("'", "''") + "'" for f in ds.files)
        src = f"read_parquet([{files}], hive_partitioning = {str(bool(ds.partitions)).lower()}{extra})"
    row = con.execute(f"SELECT {fname}, CAST({q} AS VARCHAR), CAST({ok} AS VARCHAR), CAST({cost} AS VARCHAR) "
                      f"FROM {src} WHERE {where} LIMIT 1").fetchall()
    row = row[0] if row else None
    if row is None:
        return
    f, qid, val, cst = row
    where_txt = f if f else ds.uri
    if qid is None or not str(qid).strip():
        raise InputError(f"{where_txt}: question_id is empty")
    if val is None or not _boolish(val):
        raise InputError(f"{where_txt}: question {qid!r}: correct must be 0/1 or true/false (got {val!r})")
    raise InputError(f"{where_txt}: question {qid!r}: cost must be a finite number >= 0 (got {cst!r})")


def _correct_sql(col: str, typ: pa.DataType | None) -> str:
    """``correct`` as a strict boolean: booleans as they are, numbers only 0/1, text only 0/1/true/false;
    anything else NULL (counted as a bad row)."""
    if typ is not None and pa.types.is_boolean(typ):
        return col
    if typ is not None and (pa.types.is_integer(typ) or pa.types.is_floating(typ)):
        return f"CASE WHEN {col} = 1 THEN TRUE WHEN {col} = 0 THEN FALSE END"
    return (f"CASE lower(trim(CAST({col} AS VARCHAR))) WHEN '1' THEN TRUE WHEN 'true' THEN TRUE "
            f"WHEN '0' THEN FALSE WHEN 'false' THEN FALSE END")


def _boolish(v: str) -> bool:
    return v.strip().lower() in {"0", "1", "true", "false"}


def read_samples(ds: LakeDataset, question_id: str, *, memory_limit: str = MEMORY_LIMIT) -> pa.Table:
    """The per-sample rows of one question read back from the source (the drill-down of a dataset whose samples
    were not copied into the store): every column of the source, partition columns included."""
    r = roles(ds)
    con, tmp = _connect(memory_limit)
    try:
        src = _source_sql(con, ds)
        rel = con.sql(f"SELECT * FROM {src} WHERE CAST({_ident(r['question_id'])} AS VARCHAR) = $q",
                      params={"q": question_id})
        return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
    except duckdb.Error as e:
        raise InputError(f"{ds.uri}: {str(e).splitlines()[0]}") from None
    finally:
        con.close()
        tmp.cleanup()


def write_counts(counts: LakeCounts, out: str, *, force: bool = False) -> None:
    """Write the aggregated counts as one Parquet file at ``out`` (:mod:`osca_core.outfile`: never the store, an
    existing file only with ``force``, a new temporary file then an atomic move, so a failed write leaves
    nothing)."""
    from osca_core import outfile

    dest = outfile.check(out, force=force)
    with outfile.atomic(dest, force=force) as fh:
        pq.write_table(counts.table, fh)
