"""Importing a Parquet dataset read in place: folders, globs, hive partitions and ``s3://`` prefixes.

``osca import PATH`` comes here (:func:`plan` decides) when PATH is ``s3://bucket/prefix``, a glob, or a folder
(or, with ``--keep-samples no``, a file) of Parquet files that is hive-partitioned or holds at least
:data:`COPY_ROWS` rows. The dataset is located and checked (:func:`osca_core.data.store.lake.locate`: one schema,
footers only), then

- **counts only** (``--keep-samples no``, or ``auto`` at >= :data:`COPY_ROWS` rows): reduced to (question,
  configuration) counts where it lives (:func:`osca_core.data.store.lake.aggregate`, a streaming GROUP BY with
  bounded memory), the counts (the aggregated long layout, an Arrow table) read by the one long reader
  (:func:`osca_core.data.store.read_long`: the same validation, roles and configuration attributes as any long file),
  and stored in one transaction with ``samples_source`` recording where the per-sample rows live, so the
  drill-down reads one question back from the source (:func:`question_samples`);
- **copy** (``--keep-samples yes``, or ``auto`` below :data:`COPY_ROWS` rows): every per-sample row is read (hive
  partition values as text columns, the configuration named like the counts path names it) and goes through the
  long reader as per-sample rows, kept in the store.

Bad input (an unreadable bucket, a missing prefix, a partition with a different schema, a bad row) is one
:class:`InputError` raised before the store is touched.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from osca_core.errors import InputError
from osca_core.data.importers import LOG_SUFFIXES, default_name
from osca_core.data.store import DatasetInfo, Store, lake, read_long

COPY_ROWS = 10_000_000  # --keep-samples auto copies per-sample rows below this many rows
KEEP_SAMPLES = ("auto", "yes", "no")


@dataclass(frozen=True)
class LakeImport:
    """What ``osca import`` reports for a dataset read in place."""

    info: DatasetInfo
    uri: str
    files: int
    rows_read: int
    cells: int
    samples_copied: bool
    samples_source: dict | None
    seconds: float

    def as_dict(self) -> dict:
        return {"uri": self.uri, "files": self.files, "rows_read": self.rows_read, "cells": self.cells,
                "samples_copied": self.samples_copied, "samples_source": self.samples_source,
                "seconds": round(self.seconds, 3)}


def _is_pattern(path: str) -> bool:
    return any(ch in path for ch in "*?[") and not Path(path).exists()


def _log_files(folder: Path) -> list[Path]:
    return [f for f in sorted(folder.rglob("*")) if f.is_file() and f.suffix.lower() in LOG_SUFFIXES
            and not any(part.startswith(".") for part in f.relative_to(folder).parts)]


def default_lake_name(uri: str) -> str:
    """The dataset name of a dataset read in place: its folder's (or prefix's) last part, without a glob."""
    parts = [x for x in uri.removeprefix("s3://").split("/") if x and not any(ch in x for ch in "*?[")]
    return default_name(parts[-1] if parts else uri)


def plan(paths: Sequence[str | Path], *, keep: str = "auto", s3_endpoint: str | None = None
         ) -> lake.LakeDataset | None:
    """The located dataset when ``paths`` are imported in place (module docstring), else None (the importers'
    ordinary path). Only a folder of Parquet files is located (its footers read) to count its rows."""
    if keep not in KEEP_SAMPLES:
        raise ValueError(f"keep must be one of {KEEP_SAMPLES}")
    texts = [str(p) for p in paths]
    special = [t for t in texts if t.startswith("s3://") or _is_pattern(t)]
    if s3_endpoint and not any(t.startswith("s3://") for t in texts):
        raise InputError("--s3-endpoint: only with an s3://bucket/prefix PATH")
    if special:
        if len(texts) > 1:
            raise InputError(f"{special[0]}: an s3:// prefix or a glob is one dataset; give it as the only PATH")
        return lake.locate(texts[0], s3_endpoint=s3_endpoint)
    if len(texts) != 1:
        if keep == "no":
            raise InputError("--keep-samples no: give one folder, glob or s3:// prefix of Parquet files")
        return None
    p = Path(texts[0])
    if p.is_dir():
        logs = _log_files(p)
        other = [f for f in logs if f.suffix.lower() != ".parquet"]
        if not logs or other:
            if keep == "no":
                what = f"also holds {other[0]}" if other else "holds no Parquet files"
                raise InputError(f"{p}: --keep-samples no reads a folder of Parquet files in place; this folder "
                                 f"{what}")
            return None
    elif not (p.is_file() and p.suffix.lower() == ".parquet" and keep == "no"):
        if keep == "no":
            raise InputError(f"{p}: --keep-samples no reads Parquet datasets in place (a .parquet file, a folder, "
                             f"a glob or an s3:// prefix)")
        return None
    ds = lake.locate(str(p))
    if keep == "no" or ds.partitions or (keep == "auto" and ds.rows >= COPY_ROWS):
        return ds
    return None


def _aggregated(ds: lake.LakeDataset) -> bool:
    low = {n.lower() for n in ds.schema.names}
    return "correct" not in low and {"n_samples", "n_correct"} <= low


def _full_table(ds: lake.LakeDataset) -> pa.Table:
    """Every row of the dataset, hive partition values as text columns and (without a ``config`` column) the
    configuration named by the partition values joined with ``_``, as :func:`lake.aggregate` names it."""
    parts = []
    for f in ds.files:
        try:
            t = pq.read_table(f, filesystem=ds.filesystem)
        except (OSError, pa.ArrowException) as e:
            raise InputError(f"{'s3://' + f if ds.is_remote else f}: not a readable Parquet file "
                             f"({str(e).splitlines()[0]})") from None
        values = dict(x.split("=", 1) for x in Path(f).parts[:-1] if "=" in x)
        for key in ds.partitions:
            if key not in t.column_names:
                t = t.append_column(key, pa.array([values.get(key)] * t.num_rows, pa.string()))
        parts.append(t)
    table = pa.concat_tables(parts, promote_options="permissive")
    low = {n.lower() for n in table.column_names}
    if "config" not in low and ds.partitions:
        cols = [table[k] for k in ds.partitions]
        table = table.append_column("config", pc.binary_join_element_wise(*cols, "_"))
    return table


def _source_roles(m, ds: lake.LakeDataset, cost_column: str | None):
    """The roles of the *source's* columns (the counts' roles for the columns they kept; ``correct``; the cost
    column; every other column per-sample data left in the source)."""
    kept = dict(m.column_roles)
    out = {}
    for col in list(ds.schema.names) + [p for p in ds.partitions if p not in ds.schema.names]:
        low = col.lower()
        out[col] = ("correct" if low == "correct" else "cost" if col == cost_column
                    else kept.get(col, "per_sample"))
    return dataclasses.replace(m, column_roles=out, cost_column=cost_column or "")


def import_lake(store: Store, ds: lake.LakeDataset, *, name: str | None = None, keep: str = "auto",
                replace: bool = False, s3_endpoint: str | None = None,
                roles: dict[str, object] | None = None) -> LakeImport:
    """Import the located dataset ``ds`` as one dataset (counts only or a copy, module docstring) in one
    transaction; ``roles`` are :func:`read_long`'s role overrides (question_attr, config_attr, sample_column,
    cost_column)."""
    if keep not in KEEP_SAMPLES:
        raise ValueError(f"keep must be one of {KEEP_SAMPLES}")
    t0 = time.perf_counter()
    name = name if name is not None else default_lake_name(ds.uri)
    copy = _aggregated(ds) or keep == "yes" or (keep == "auto" and ds.rows < COPY_ROWS)
    roles = {k: v for k, v in (roles or {}).items() if v}
    source = f"lake:{ds.uri}"
    if copy and not _aggregated(ds):
        from osca_core import cost, settings

        cost.rows(ds.uri, ds.rows, settings.max_import_rows())  # from the footers, before any row is read
    if copy:
        table = _full_table(ds)
        rows_read = table.num_rows
        m, samples = read_long([(table, "arrow", ds.uri)], name=name, source=source, checksum="", **roles)
        where = None
    else:
        if roles.get("sample_column"):
            raise InputError("--sample-column: the per-sample rows stay in the source (--keep-samples no, or auto "
                             f"at {COPY_ROWS:,} rows or more); pass --keep-samples yes to copy them")
        counts = lake.aggregate(ds)
        rows_read = counts.rows_read
        m, samples = read_long([(counts.table, "arrow", ds.uri)], name=name, source=source, checksum="", **roles)
        m, samples = _source_roles(m, ds, counts.cost_column), None
        uri = ds.uri if ds.is_remote else str(Path(ds.uri).absolute())  # read back from any working folder
        where = {"uri": uri, "s3_endpoint": s3_endpoint, "rows": ds.rows, "files": len(ds.files)}
    m = dataclasses.replace(m, checksum=m.content_checksum())
    info = store.save_matrix(m, name=name, replace=replace, samples=samples, samples_source=where)
    return LakeImport(info, ds.uri, len(ds.files), rows_read, int((m.n > 0).sum()), samples is not None, where,
                      time.perf_counter() - t0)


def question_samples(store: Store, name: str, question_id: str) -> pa.Table:
    """The per-sample rows of one question of dataset ``name``: read back from the source when the samples were
    not copied (``samples_source``), else from the store."""
    src = store.samples_source(name)
    if src is None:
        df = store.sample_outcomes(name)
        return pa.Table.from_pandas(df[df["question_id"] == question_id], preserve_index=False)
    ds = lake.locate(src["uri"], s3_endpoint=src.get("s3_endpoint"))
    return lake.read_samples(ds, question_id)
