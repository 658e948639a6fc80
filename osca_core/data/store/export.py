"""Export a stored dataset as a long file (CSV or Parquet, by extension) that imports back to the same dataset.

- aggregated (default): one row per measured (question, configuration) cell: ``question_id, config, n_samples,
  n_correct, model, temperature, variant, cost, split``, then every configuration attribute and every question
  attribute as a column. Missing cells have no row (so they come back missing).
- per-sample (``per_sample=True``, datasets imported from per-sample rows): ``question_id, config, correct``, the
  sample index, tokens and cost under the names the source used, every per-sample column, then ``model,
  temperature, variant, split`` and the attributes.

Rows are written question-major (configurations in stored order within a question), so the importer's order of
first appearance gives back the stored question and configuration order. With missing cells that is not always
possible (question 1 may lack configuration 1 that question 2 has); ``ExportResult.order_kept`` says whether it
is. When it is, importing the export gives the same content checksum (:meth:`OutcomeMatrix.content_checksum`:
question ids, configurations, n, c, split); the stored ``checksum`` of a long import is the file's SHA-256, which
naturally differs between the original file and the export.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.data.store.staging import jsonable

FORMATS = {".csv": "csv", ".parquet": "parquet"}


@dataclass(frozen=True)
class ExportResult:
    path: str
    format: str
    per_sample: bool
    rows: int
    columns: tuple[str, ...]
    order_kept: bool

    def as_dict(self) -> dict:
        d = asdict(self)
        d["columns"] = list(self.columns)
        return d


def _split(m: OutcomeMatrix) -> np.ndarray:
    return np.where(m.train & m.test, "both", np.where(m.train, "train", "test")).astype(object)


def _order_kept(m: OutcomeMatrix) -> bool:
    """True when question-major rows of the measured cells introduce the configurations in stored order."""
    seen = ~m.missing
    first = np.where(seen.any(axis=0), np.argmax(seen, axis=0), -1)  # first question of each configuration
    if (first < 0).any():
        return False
    pos = first * m.shape[1] + np.arange(m.shape[1])  # its position among question-major cells
    return bool(np.all(np.diff(pos) > 0)) and bool(seen.any(axis=1).all())


def _text(v):
    """Attribute values as cells: plain values kept, lists and objects as JSON text."""
    v = jsonable(v)
    if isinstance(v, list | dict):
        import json

        return json.dumps(v)
    return v


def _attr_columns(m: OutcomeMatrix, qi: np.ndarray, si: np.ndarray, taken: set[str]) -> dict[str, list]:
    out: dict[str, list] = {}
    keys = list(dict.fromkeys(k for cfg in m.configs for k in cfg.attrs))
    for key in keys:
        vals = [_text(cfg.attrs.get(key)) for cfg in m.configs]
        out[key] = [vals[s] for s in si]
    for key, col in m.question_attrs.items():
        vals = [_text(v) for v in col]
        out[key] = [vals[q] for q in qi]
    clash = sorted((set(out) & taken) | {k for k in out if k.lower() in {t.lower() for t in taken} and k not in taken})
    if clash:
        raise InputError(f"export: attribute {clash[0]!r} has the name of a column of the export; rename it")
    return out


def _config_columns(m: OutcomeMatrix, si: np.ndarray) -> dict[str, list]:
    return {"model": [m.configs[s].model for s in si],
            "temperature": pa.array([m.configs[s].temperature for s in si], pa.float64()),
            "variant": [m.configs[s].variant for s in si]}


def aggregated_table(m: OutcomeMatrix) -> pa.Table:
    """The aggregated rows of ``m`` (module docstring)."""
    qi, si = np.nonzero(~m.missing)  # question-major
    names = np.asarray(m.config_names, dtype=object)
    cols: dict[str, object] = {
        "question_id": pa.array(np.asarray(m.question_ids, dtype=object)[qi], pa.string()),
        "config": pa.array(names[si], pa.string()),
        "n_samples": pa.array(m.n[qi, si], pa.int64()), "n_correct": pa.array(m.c[qi, si], pa.int64())}
    cols.update(_config_columns(m, si))
    cols["cost"] = pa.array(m.costs[si], pa.float64())
    cols["split"] = pa.array(_split(m)[qi], pa.string())
    cols.update(_attr_columns(m, qi, si, set(cols)))
    return pa.table(cols)


def per_sample_table(m: OutcomeMatrix, rows: pd.DataFrame) -> pa.Table:
    """The per-sample rows (``Store.sample_outcomes``) of ``m`` with the source's column names."""
    role = {v: k for k, v in reversed(list(m.column_roles.items()))}
    qpos = {q: i for i, q in enumerate(m.question_ids)}
    spos = {s: i for i, s in enumerate(m.config_names)}
    qi = np.array([qpos[q] for q in rows["question_id"]], dtype=np.int64)
    si = np.array([spos[s] for s in rows["config"]], dtype=np.int64)
    order = np.lexsort((rows["sample_idx"].to_numpy(), si, qi))
    rows, qi, si = rows.iloc[order].reset_index(drop=True), qi[order], si[order]
    cols: dict[str, object] = {"question_id": pa.array(rows["question_id"].tolist(), pa.string()),
                               "config": pa.array(rows["config"].tolist(), pa.string()),
                               "correct": pa.array(rows["correct"].astype(bool).to_numpy())}
    if "sample_index" in role or not m.column_roles:
        cols[role.get("sample_index", "sample_idx")] = pa.array(rows["sample_idx"].to_numpy(np.int64))
    for canon in ("tokens", "cost"):
        if canon in rows.columns:
            cols[role.get(canon, canon)] = pa.array(rows[canon].to_numpy(float))
    fixed = {"question_id", "config", "sample_idx", "correct", "tokens", "cost"}
    for c in rows.columns:
        if c not in fixed:
            cols[c] = pa.Array.from_pandas(rows[c])
    cols.update(_config_columns(m, si))
    cols["split"] = pa.array(_split(m)[qi], pa.string())
    cols.update(_attr_columns(m, qi, si, set(cols)))
    return pa.table(cols)


def export(store, name: str, path: str | Path, *, per_sample: bool = False, force: bool = False) -> ExportResult:
    """Write dataset ``name`` of ``store`` to ``path`` (.csv or .parquet; see the module docstring) through
    :mod:`osca_core.outfile` (never the store; an existing file only with ``force``; a new temporary file, never
    a planted one, moved into place)."""
    from osca_core import outfile

    outfile.refuse_store(path)
    p = Path(path)
    fmt = FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise InputError(f"--out {p}: use a .csv or .parquet file name")
    p = outfile.check(path, force=force)
    m = store.load_matrix(name)
    if per_sample:
        if not store.has_samples(name):
            raise InputError(f"dataset {name!r} has no per-sample rows (it was imported from counts); export it "
                             f"without --per-sample")
        table = per_sample_table(m, store.sample_outcomes(name))
    else:
        table = aggregated_table(m)
    with outfile.atomic(p, force=force) as fh:
        if fmt == "csv":
            pacsv.write_csv(table, fh)
        else:
            pq.write_table(table, fh)
    return ExportResult(str(p), fmt, per_sample, table.num_rows, tuple(table.column_names), _order_kept(m))
