"""Helpers shared by the store, importer, fetch and bad-input tests: exact matrix comparison, a full snapshot of
a store's content (to prove a refused import changed nothing), and writers of the long formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from osca_core.data.store import Store
from osca_core.model.outcomes import OutcomeMatrix


def matrix_state(m: OutcomeMatrix) -> dict:
    """Everything an outcome matrix holds, as plain comparable values."""
    return {
        "question_ids": m.question_ids, "configs": m.configs, "n": m.n.tolist(), "c": m.c.tolist(),
        "train": m.train.tolist(), "test": m.test.tolist(), "source": m.source, "synthetic": m.synthetic,
        "checksum": m.checksum, "question_attrs": {k: tuple(v) for k, v in m.question_attrs.items()},
        "dtypes": (m.n.dtype, m.c.dtype, m.train.dtype, m.test.dtype),
    }


def assert_same_matrix(got: OutcomeMatrix, want: OutcomeMatrix, *, checksum: bool = True, source: bool = True,
                       attrs: bool = True) -> None:
    a, b = matrix_state(got), matrix_state(want)
    for k in ("checksum",) * (not checksum) + ("source",) * (not source) + ("question_attrs",) * (not attrs):
        a.pop(k), b.pop(k)
    for k in a:
        assert a[k] == b[k], f"{k} differs"


def snapshot(home: Path) -> dict:
    """The whole content of the store under ``home`` as seen through its API (datasets, matrices, questions,
    samples), plus the names of the files in the folder."""
    st = Store.open(home, read_only=True)
    out = {"datasets": st.list_datasets()}
    for d in out["datasets"]:
        out[d.name] = (matrix_state(st.load_matrix(d.name)), st.question_table(d.name).to_dict("list"),
                       st.sample_outcomes(d.name).to_dict("list") if st.has_samples(d.name) else None)
    return out


def per_sample_frame(m: OutcomeMatrix, *, split: bool = True, config_columns: bool = True) -> pd.DataFrame:
    """The per-sample rows behind ``m`` (question-major, configurations in order, c correct of n samples)."""
    q, s = m.shape
    n, c = m.n.ravel(), m.c.ravel()
    cell = np.repeat(np.arange(q * s), n)
    k = np.arange(cell.size) - np.repeat(np.cumsum(n) - n, n)
    df = pd.DataFrame({
        "question_id": np.asarray(m.question_ids, dtype=object)[cell // s],
        "config": np.asarray(m.config_names, dtype=object)[cell % s],
        "sample_idx": k, "correct": k < np.repeat(c, n)})
    if config_columns:
        _config_columns(df, m, cell % s)
    if split:
        df["split"] = _split_labels(m)[cell // s]
    for key, vals in m.question_attrs.items():
        df[key] = np.asarray(vals, dtype=object)[cell // s]
    return df


def aggregated_frame(m: OutcomeMatrix, *, split: bool = True) -> pd.DataFrame:
    """One row per question x configuration with n_samples, n_correct and the configuration's attributes."""
    q, s = m.shape
    qi, si = np.repeat(np.arange(q), s), np.tile(np.arange(s), q)
    df = pd.DataFrame({"question_id": np.asarray(m.question_ids, dtype=object)[qi],
                       "config": np.asarray(m.config_names, dtype=object)[si],
                       "n_samples": m.n.ravel(), "n_correct": m.c.ravel()})
    _config_columns(df, m, si)
    if split:
        df["split"] = _split_labels(m)[qi]
    for key, vals in m.question_attrs.items():
        df[key] = np.asarray(vals, dtype=object)[qi]
    return df


def _config_columns(df: pd.DataFrame, m: OutcomeMatrix, si: np.ndarray) -> None:
    df["model"] = np.asarray([k.model for k in m.configs], dtype=object)[si]
    df["temperature"] = np.asarray([k.temperature for k in m.configs], dtype=float)[si]
    df["variant"] = np.asarray([k.variant for k in m.configs], dtype=object)[si]
    df["cost"] = m.costs[si]


def _split_labels(m: OutcomeMatrix) -> np.ndarray:
    return np.where(m.train & m.test, "both", np.where(m.train, "train", "test")).astype(object)


def write_frame(df: pd.DataFrame, path: Path) -> Path:
    """CSV, Parquet or JSON lines by suffix."""
    if path.suffix == ".csv":
        df.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        df.to_parquet(path, index=False)
    else:
        df.to_json(path, orient="records", lines=True, double_precision=15)
    return path
