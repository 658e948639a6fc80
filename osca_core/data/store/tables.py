"""The store's tables: their DDL, and the rows of one dataset written and read (no connection handling here).

Part of the store package (the only code that speaks SQL). See :mod:`osca_core.data.store` for the table list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from osca_core.data.store.staging import jsonable
from osca_core.model.outcomes import OutcomeMatrix

if TYPE_CHECKING:
    import pyarrow as pa


SCHEMA_VERSION = "1"
DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS datasets (name VARCHAR NOT NULL, source VARCHAR, synthetic BOOLEAN, checksum VARCHAR,"
    " created VARCHAR, questions INTEGER, configs INTEGER, split VARCHAR, samples BIGINT)",
    "CREATE TABLE IF NOT EXISTS configs (dataset VARCHAR NOT NULL, idx INTEGER, name VARCHAR, model VARCHAR,"
    " temperature DOUBLE, variant VARCHAR, cost DOUBLE)",
    "CREATE TABLE IF NOT EXISTS questions (dataset VARCHAR NOT NULL, idx INTEGER, question_id VARCHAR,"
    " train BOOLEAN, test BOOLEAN)",
    "CREATE TABLE IF NOT EXISTS question_attrs (dataset VARCHAR NOT NULL, key_idx INTEGER, key VARCHAR,"
    " q INTEGER, value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS outcomes (dataset VARCHAR NOT NULL, q INTEGER, s INTEGER, n BIGINT, c BIGINT)",
    "CREATE TABLE IF NOT EXISTS samples (dataset VARCHAR NOT NULL, q INTEGER, s INTEGER, sample_idx BIGINT,"
    " correct BOOLEAN, tokens DOUBLE, cost DOUBLE)",
    "CREATE TABLE IF NOT EXISTS config_attrs (dataset VARCHAR NOT NULL, s INTEGER, key_idx INTEGER, key VARCHAR,"
    " value VARCHAR)",
    "CREATE TABLE IF NOT EXISTS sample_extras (dataset VARCHAR NOT NULL, q INTEGER, s INTEGER, sample_idx BIGINT,"
    " data VARCHAR)",
    "CREATE TABLE IF NOT EXISTS dataset_props (dataset VARCHAR NOT NULL, key VARCHAR, value VARCHAR)",
)
DATA_TABLES = ("configs", "config_attrs", "questions", "question_attrs", "outcomes", "samples", "sample_extras",
                "dataset_props", "datasets")
ADDED_TABLES = ("config_attrs", "sample_extras", "dataset_props")
EXTRA_PREFIX = "x:"  # per-sample columns in read_long's sample table


def empty_store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    for ddl in DDL:
        con.execute(ddl)
    return con


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def has_table(cur: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when ``table`` exists (the tables added later are absent from stores not written since)."""
    if table not in ADDED_TABLES:
        return True
    return bool(cur.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()[0])


def read_props(cur: duckdb.DuckDBPyConnection, name: str | None) -> dict[str, dict]:
    """dataset -> {key: parsed JSON value} from ``dataset_props`` (all datasets when ``name`` is None)."""
    if not has_table(cur, "dataset_props"):
        return {}
    sql = "SELECT dataset, key, value FROM dataset_props" + ("" if name is None else " WHERE dataset = ?")
    out: dict[str, dict] = {}
    for ds, key, value in cur.execute(sql, [] if name is None else [name]).fetchall():
        out.setdefault(ds, {})[key] = json.loads(value)
    return out


def info_props(p: dict) -> dict:
    roles = p.get("column_roles", {})
    src = p.get("samples_source")
    return {"missing_cells": int(p.get("missing_cells", 0)), "cost_column": p.get("cost_column") or None,
            "column_roles": tuple((str(k), str(v)) for k, v in roles.items()),
            "samples_source": src.get("uri") if isinstance(src, dict) else None}


def sample_columns(samples: pa.Table | None) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the per-sample columns in read_long's sample table."""
    if samples is None:
        return []
    return [(f.name[len(EXTRA_PREFIX):], duck_type(f.type)) for f in samples.schema
            if f.name.startswith(EXTRA_PREFIX)]


def duck_type(t: pa.DataType) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_integer(t):
        return "BIGINT"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "DOUBLE"
    return "VARCHAR"


def matrix_props(m: OutcomeMatrix, samples: pa.Table | None, samples_source: dict | None = None) -> dict:
    """The ``dataset_props`` of a dataset; ``samples_source`` (``{"uri", "s3_endpoint", "rows", "files"}``)
    records where per-sample rows that were not copied into the store live (a Parquet dataset read in place)."""
    props = {"missing_cells": m.missing_cells, "cost_column": m.cost_column or None,
             "column_roles": dict(m.column_roles), "sample_columns": sample_columns(samples)}
    if samples_source is not None:
        props["samples_source"] = dict(samples_source)
    return props


def delete_dataset(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    for table in DATA_TABLES:
        col = "name" if table == "datasets" else "dataset"
        cur.execute(f"DELETE FROM {table} WHERE {col} = ?", [name])


def insert_arrow(cur: duckdb.DuckDBPyConnection, table: str, name: str, data: pa.Table) -> None:
    cur.register("_osca_rows", data)
    try:
        cur.execute(f"INSERT INTO {table} SELECT ?, * FROM _osca_rows", [name])
    finally:
        cur.unregister("_osca_rows")


def insert_dataset(cur: duckdb.DuckDBPyConnection, name: str, m: OutcomeMatrix, samples: pa.Table | None,
                   created: str, samples_source: dict | None = None) -> None:
    import pyarrow as pa

    q, s = m.shape
    cur.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, m.source, m.synthetic, m.checksum, created, q, s, m.split_label,
                 0 if samples is None else samples.num_rows])
    insert_arrow(cur, "configs", name, pa.table({
        "idx": pa.array(range(s), pa.int32()), "name": [k.name for k in m.configs],
        "model": [k.model for k in m.configs], "temperature": pa.array([k.temperature for k in m.configs], pa.float64()),
        "variant": [k.variant for k in m.configs], "cost": pa.array([float(k.cost) for k in m.configs], pa.float64())}))
    ca = [(j, i, str(key), json.dumps(jsonable(v))) for j, k in enumerate(m.configs)
          for i, (key, v) in enumerate(k.attrs.items())]
    if ca:
        insert_arrow(cur, "config_attrs", name, pa.table({
            "s": pa.array([r[0] for r in ca], pa.int32()), "key_idx": pa.array([r[1] for r in ca], pa.int32()),
            "key": pa.array([r[2] for r in ca], pa.string()), "value": pa.array([r[3] for r in ca], pa.string())}))
    insert_arrow(cur, "questions", name, pa.table({
        "idx": pa.array(np.arange(q, dtype=np.int32)), "question_id": pa.array(list(m.question_ids), pa.string()),
        "train": pa.array(m.train), "test": pa.array(m.test)}))
    keys, qi, vals = [], [], []
    for k, (key, col) in enumerate(m.question_attrs.items()):
        keys += [(k, str(key))] * q
        qi += range(q)
        vals += [json.dumps(jsonable(v)) for v in col]
    insert_arrow(cur, "question_attrs", name, pa.table({
        "key_idx": pa.array([k for k, _ in keys], pa.int32()), "key": pa.array([x for _, x in keys], pa.string()),
        "q": pa.array(qi, pa.int32()), "value": pa.array(vals, pa.string())}))
    insert_arrow(cur, "outcomes", name, pa.table({
        "q": pa.array(np.repeat(np.arange(q, dtype=np.int32), s)), "s": pa.array(np.tile(np.arange(s, dtype=np.int32), q)),
        "n": pa.array(m.n.ravel()), "c": pa.array(m.c.ravel())}))
    props = matrix_props(m, samples, samples_source)
    insert_arrow(cur, "dataset_props", name, pa.table({
        "key": pa.array(list(props), pa.string()), "value": pa.array([json.dumps(v) for v in props.values()])}))
    if samples is not None and samples.num_rows:
        cur.register("_osca_samples", samples)
        try:
            have = set(samples.column_names)
            extra = ", ".join(f"{k}" if k in have else f"CAST(NULL AS DOUBLE) AS {k}" for k in ("tokens", "cost"))
            cur.execute(f"INSERT INTO samples SELECT ?, q, s, sample_idx, correct, {extra} FROM _osca_samples", [name])
            cols = [f.name for f in samples.schema if f.name.startswith(EXTRA_PREFIX)]
            if cols:
                pack = ", ".join(f"{quote(c[len(EXTRA_PREFIX):])}: {ident(c)}" for c in cols)
                cur.execute(f"INSERT INTO sample_extras SELECT ?, q, s, sample_idx, CAST(to_json({{{pack}}})"
                            f" AS VARCHAR) FROM _osca_samples", [name])
        finally:
            cur.unregister("_osca_samples")


def attrs_from_rows(rows: Sequence[tuple], q: int) -> dict[str, tuple]:
    """Question attributes from rows (key_idx, key, q, value JSON) in one pass: linear in the number of rows
    (the rows of one key are grouped; each value lands in its question's slot)."""
    out: dict[str, list] = {}
    for _, key, qi, value in rows:
        col = out.get(key)
        if col is None:
            col = out[key] = [None] * q
        col[qi] = json.loads(value)
    return {k: tuple(v) for k, v in out.items()}
