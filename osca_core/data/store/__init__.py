"""The DuckDB store: the one module that speaks SQL (parameterized; identifiers only from our own code or
quoted column headers).

One database file, ``$OSCA_HOME/osca.duckdb`` (``$OSCA_HOME`` defaults to ``./data``), holds every dataset:

- ``datasets``        name, source, synthetic, checksum, created, questions, configs, split, samples
- ``configs``         dataset, idx, name, model, temperature, variant, cost (per sample, default 1)
- ``config_attrs``    dataset, s, key_idx, key, value (JSON text: provider, top_p, ... per configuration)
- ``questions``       dataset, idx, question_id, train, test (the release split)
- ``question_attrs``  dataset, key_idx, key, q, value (JSON text: difficulty, platform, contest_date, ...)
- ``outcomes``        dataset, q, s, n, c: samples drawn and correct, per question x configuration (n = 0: the
                      log has no sample for that cell, a missing cell)
- ``samples``         dataset, q, s, sample_idx, correct, tokens, cost: per-sample rows, when the source has them
- ``sample_extras``   dataset, q, s, sample_idx, data: the other per-sample columns of a row (a JSON object)
- ``dataset_props``   dataset, key, value: missing_cells, cost_column, column_roles, sample_columns (JSON text)

The tables after ``outcomes`` were added without a schema change: older stores simply lack them until their next
write (reads treat an absent table as empty).

Concurrency. DuckDB lets one process open a file read-write, and while it does no other process can open the
file at all. So a :class:`Store` holds no connection between operations: each operation opens one (shared by
the threads of this process, each thread working on its own cursor), runs its query or its single
BEGIN ... COMMIT transaction, and closes it. Opening retries on a lock conflict for ``$OSCA_BUSY_TIMEOUT``
seconds (default 8), then raises :class:`StoreBusyError`. A refused or killed write leaves the file as before.
A damaged file or a full disk is one line (:mod:`osca_core.data.store.errors`); :meth:`Store.move_aside` renames a
damaged file (never deletes it) so that the next write starts a fresh store.

Per-sample and aggregated "long" files (CSV, Parquet, JSON lines) are read by DuckDB's own readers into a private
in-memory database, validated there row by row in SQL, and aggregated to (n, c) with GROUP BY
(:func:`read_long`), so the store file is locked only for the final short write.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from osca_core import settings
from osca_core.data.store import errors as dberr
from osca_core.data.store.errors import StoreDamagedError, StoreFullError
from osca_core.data.store.gate import gate
from osca_core.data.store.longfiles import AGGREGATE_COLUMNS, SAMPLE_COLUMNS, read_long
from osca_core.data.store.roles import ColumnRoles, Overrides
from osca_core.data.store.tables import (
    DDL,
    SCHEMA_VERSION,
    attrs_from_rows,
    delete_dataset,
    empty_store,
    has_table,
    ident,
    info_props,
    insert_dataset,
    matrix_props,
    quote,
    read_props,
)
from osca_core.errors import InputError, StoreBusyError
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


DB_FILE = "osca.duckdb"
_gate = gate  # the process-wide connection of a file (tests inspect it)
_NAME_RE = re.compile(r"^[^\x00-\x1f/\\]{1,100}$")

# how each surface says to replace a dataset: the tail of the refusal of an existing name ({name}: the dataset)
REPLACE_HINTS = {
    "store": " (remove it first: osca remove {name})",
    "cli": "; pass --replace to replace it (or osca remove {name} first)",
    "app": ': tick "Replace an existing dataset" to overwrite it, or choose another name',
}


def refuse_existing(name: str, existing: Collection[str], *, surface: str = "store") -> None:
    """The one refusal of an existing dataset name (``osca import`` without --replace, the Data page without its
    tick, the store's own ``replace=False``): :class:`InputError` ``dataset 'NAME' already exists`` and how
    ``surface`` replaces one (:data:`REPLACE_HINTS`), when ``name`` is in ``existing``."""
    if name in existing:
        raise InputError(f"dataset {name!r} already exists" + REPLACE_HINTS[surface].format(name=name))


def osca_home() -> Path:
    """``$OSCA_HOME`` or ``./data`` (relative to the working directory), created on first use."""
    return _make_home(settings.home_folder())


def _make_home(home: Path) -> Path:
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"OSCA_HOME {home}: cannot create the folder ({e.strerror or e})") from None
    return home


def busy_timeout() -> float:
    """Seconds to wait for another process's lock before :class:`StoreBusyError` ($OSCA_BUSY_TIMEOUT, default 8)."""
    return settings.busy_timeout()


@dataclass(frozen=True)
class DatasetInfo:
    """One row of ``osca datasets``: ``split`` is "in-sample" when train == test, else "70 train / 78 test".

    ``missing_cells``: (question, configuration) cells the log does not cover (n = 0). ``cost_column``: the column
    whose mean is each configuration's cost per sample (None: no such column, costs are 1 unless given).
    ``column_roles``: (column, role) for every column of a long import, in file order (empty for other sources).
    ``samples_source``: where the per-sample rows live when they were not copied into the store (a Parquet
    dataset read in place: its folder, glob or ``s3://`` prefix), else None (:meth:`Store.samples_source`).
    """

    name: str
    questions: int
    configs: int
    source: str
    split: str
    synthetic: bool
    checksum: str
    created: str
    missing_cells: int = 0
    cost_column: str | None = None
    column_roles: tuple[tuple[str, str], ...] = ()
    samples_source: str | None = None

    def as_dict(self) -> dict:
        """The JSON form (``osca datasets --json``): the original keys plus missing_cells, cost_column,
        column_roles (an object column -> role) and samples_source."""
        return {"name": self.name, "questions": self.questions, "configs": self.configs, "source": self.source,
                "split": self.split, "synthetic": self.synthetic, "checksum": self.checksum, "created": self.created,
                "missing_cells": self.missing_cells, "cost_column": self.cost_column,
                "column_roles": dict(self.column_roles), "samples_source": self.samples_source}

    def role_lines(self) -> list[str]:
        """One line per column for ``osca import``'s report ("column 'cost_usd': cost (cost per sample)")."""
        return ColumnRoles(dict(self.column_roles), self.cost_column or "").lines()


# -- the gateway -------------------------------------------------------------------------------------------------

class Store:
    """Gateway to the DuckDB file; views and commands never open a connection themselves."""

    def __init__(self, home: Path, *, read_only: bool) -> None:
        self.home, self.read_only = home, read_only
        self.path = (home / DB_FILE).resolve()
        self._gate = _gate(self.path)

    @classmethod
    def open(cls, home: str | Path | None = None, *, read_only: bool = False) -> Store:
        """A store under ``home`` (default :func:`osca_home`); no connection stays open between operations."""
        return cls(_make_home(Path(home).expanduser().absolute()) if home else osca_home(), read_only=read_only)

    def close(self) -> None:
        """Nothing to release (connections live for one operation); kept for the context-manager protocol."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """DuckDB's (and the OS's) damaged-file and full-disk errors as one line (:mod:`.errors`)."""
        try:
            yield
        except (duckdb.Error, OSError) as e:
            err = dberr.translate(self.path, e)
            if err is None:
                raise
            raise err from None

    @contextmanager
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one read; a missing or still empty store file reads as an empty store."""
        with self._translated():
            cur = None
            if self.path.exists():
                if not self.path.is_file():
                    raise StoreDamagedError(f"store is damaged: {self.path} is not a regular file; move it aside "
                                            f"and run osca fetch / osca import again")
                cur = self._gate.acquire(False, time.monotonic() + busy_timeout())
                try:
                    ver = cur.execute("SELECT max(value) FROM meta WHERE key = 'schema_version'").fetchone()[0]
                except duckdb.CatalogException:  # created by a write that never committed
                    ver = None
                except BaseException:
                    self._gate.release(cur)
                    raise
                if ver is None:
                    self._gate.release(cur)
                    cur = None
                elif int(ver) > int(SCHEMA_VERSION):
                    self._gate.release(cur)
                    raise InputError(f"store {self.path} has schema version {ver}; this OSCA Studio reads "
                                     f"{SCHEMA_VERSION}: upgrade it or set OSCA_HOME to another folder")
            if cur is None:
                con = empty_store()
                try:
                    yield con
                finally:
                    con.close()
                return
            try:
                yield cur
            finally:
                self._gate.release(cur)

    @contextmanager
    def _write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One explicit transaction: COMMIT on success, ROLLBACK on any error."""
        if self.read_only:
            raise InputError(f"store {self.path} was opened read-only")
        deadline = time.monotonic() + busy_timeout()
        if not self._gate.write_lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            raise StoreBusyError(f"store is busy: {self.path} is being written by another thread; try again")
        try:
            with self._translated():
                cur = self._gate.acquire(True, deadline)
                try:
                    cur.execute("BEGIN TRANSACTION")
                    try:
                        for ddl in DDL:
                            cur.execute(ddl)
                        cur.execute("INSERT INTO meta SELECT 'schema_version', ? WHERE NOT EXISTS "
                                    "(SELECT 1 FROM meta WHERE key = 'schema_version')", [SCHEMA_VERSION])
                        yield cur
                        cur.execute("COMMIT")
                    except BaseException:
                        try:
                            cur.execute("ROLLBACK")
                        except duckdb.Error:  # the transaction is gone already; the original error matters
                            pass
                        raise
                finally:
                    self._gate.release(cur)
        finally:
            self._gate.write_lock.release()

    # -- reading ---------------------------------------------------------------------------------------------
    def list_datasets(self) -> list[DatasetInfo]:
        """All datasets, by name."""
        with self._read() as cur:
            rows = cur.execute("SELECT name, questions, configs, source, split, synthetic, checksum, created "
                               "FROM datasets ORDER BY name").fetchall()
            props = read_props(cur, None)
        return [DatasetInfo(r[0], int(r[1]), int(r[2]), r[3], r[4], bool(r[5]), r[6], r[7],
                            **info_props(props.get(r[0], {}))) for r in rows]

    def _require(self, cur: duckdb.DuckDBPyConnection, name: str) -> tuple:
        row = cur.execute("SELECT source, synthetic, checksum, samples FROM datasets WHERE name = ?",
                          [name]).fetchone()
        if row is None:
            known = [r[0] for r in cur.execute("SELECT name FROM datasets ORDER BY name").fetchall()]
            hint = ", ".join(known) if known else "none yet: run osca fetch, osca import or osca demo"
            raise InputError(f"unknown dataset {name!r} (known: {hint})")
        return row

    def load_matrix(self, name: str) -> OutcomeMatrix:
        """The stored dataset as an :class:`OutcomeMatrix`, exactly as saved (orders, counts, split, costs,
        attributes). The matrix may be ragged (``missing_cells`` > 0): analyses call
        :func:`osca_core.model.missing.apply_missing` on it first."""
        with self._read() as cur:
            source, synthetic, checksum, _ = self._require(cur, name)
            cfg = cur.execute("SELECT name, model, temperature, variant, cost FROM configs WHERE dataset = ? "
                              "ORDER BY idx", [name]).fetchall()
            qs = cur.execute("SELECT question_id, train, test FROM questions WHERE dataset = ? ORDER BY idx",
                             [name]).fetchnumpy()
            cells = cur.execute("SELECT q, s, n, c FROM outcomes WHERE dataset = ?", [name]).fetchnumpy()
            attrs = cur.execute("SELECT key_idx, key, q, value FROM question_attrs WHERE dataset = ? "
                                "ORDER BY key_idx, q", [name]).fetchall()
            cattrs = (cur.execute("SELECT s, key, value FROM config_attrs WHERE dataset = ? ORDER BY s, key_idx",
                                  [name]).fetchall() if has_table(cur, "config_attrs") else [])
            props = read_props(cur, name).get(name, {})
        qn, sn = len(qs["question_id"]), len(cfg)
        n, c = np.zeros((qn, sn), dtype=np.int64), np.zeros((qn, sn), dtype=np.int64)
        n[cells["q"], cells["s"]] = cells["n"]
        c[cells["q"], cells["s"]] = cells["c"]
        per_config: list[dict] = [{} for _ in range(sn)]
        for s, key, value in cattrs:
            per_config[s][key] = json.loads(value)
        return OutcomeMatrix(
            name=name, question_ids=tuple(str(x) for x in qs["question_id"]),
            configs=tuple(ConfigInfo(r[0], r[1], r[2], r[3], float(r[4]), per_config[i]) for i, r in enumerate(cfg)),
            n=n, c=c, train=np.asarray(qs["train"], dtype=bool), test=np.asarray(qs["test"], dtype=bool),
            source=source, synthetic=bool(synthetic), checksum=checksum, question_attrs=attrs_from_rows(attrs, qn),
            column_roles=dict(props.get("column_roles", {})), cost_column=props.get("cost_column") or "",
        )

    def question_table(self, name: str) -> pd.DataFrame:
        """question_id, split ("train", "test" or "train+test") and the question attributes, in stored order."""
        with self._read() as cur:
            self._require(cur, name)
            qs = cur.execute("SELECT question_id, CASE WHEN train AND test THEN 'train+test' WHEN train THEN 'train'"
                             " ELSE 'test' END AS split FROM questions WHERE dataset = ? ORDER BY idx", [name]).df()
            attrs = cur.execute("SELECT key_idx, key, q, value FROM question_attrs WHERE dataset = ? "
                                "ORDER BY key_idx, q", [name]).fetchall()
        for key, vals in attrs_from_rows(attrs, len(qs)).items():
            if key not in ("question_id", "split"):
                qs[key] = list(vals)
        return qs

    def has_samples(self, name: str) -> bool:
        """True when the dataset was imported from per-sample rows (kept in ``samples``)."""
        with self._read() as cur:
            return bool(self._require(cur, name)[3])

    def samples_source(self, name: str) -> dict | None:
        """Where dataset ``name``'s per-sample rows live when they were not copied into the store:
        ``{"uri", "s3_endpoint", "rows", "files"}`` (read them back with :func:`osca_core.data.store.lake.read_samples`),
        else None."""
        with self._read() as cur:
            self._require(cur, name)
            src = read_props(cur, name).get(name, {}).get("samples_source")
        return dict(src) if isinstance(src, dict) else None

    def sample_outcomes(self, name: str) -> pd.DataFrame:
        """Per-sample rows: question_id, config, sample_idx, correct (+ tokens, cost when the source had them, then
        the per-sample columns of the source, with their original names and types)."""
        with self._read() as cur:
            self._require(cur, name)
            cols = read_props(cur, name).get(name, {}).get("sample_columns", [])
            extra, join = "", ""
            if cols:
                structure = json.dumps({h: t for h, t in cols})
                join = (f"LEFT JOIN (SELECT q, s, sample_idx, json_transform(data, {quote(structure)}) AS j FROM "
                        f"sample_extras WHERE dataset = ?) sj USING (q, s, sample_idx)")
                extra = ", " + ", ".join(f"sj.j[{quote(h)}] AS {ident(h)}" for h, _ in cols)
            df = cur.execute(
                f"SELECT qq.question_id, cc.name AS config, sm.sample_idx, sm.correct, sm.tokens, sm.cost{extra} "
                f"FROM (SELECT * FROM samples WHERE dataset = ?) sm {join} "
                f"JOIN questions qq ON qq.dataset = sm.dataset AND qq.idx = sm.q "
                f"JOIN configs cc ON cc.dataset = sm.dataset AND cc.idx = sm.s "
                f"ORDER BY sm.q, sm.s, sm.sample_idx", [name, name] if cols else [name]).df()
        return df.drop(columns=[k for k in ("tokens", "cost") if df[k].isna().all()])

    # -- writing ---------------------------------------------------------------------------------------------
    def save_matrix(self, matrix: OutcomeMatrix, *, name: str | None = None, replace: bool = True,
                    samples: pa.Table | None = None, samples_source: dict | None = None) -> DatasetInfo:
        """Store ``matrix`` as dataset ``name`` (default ``matrix.name``) in one transaction, replacing an
        existing dataset of that name when ``replace``. ``samples`` (columns q, s, sample_idx, correct and
        optionally tokens, cost, and ``x:<column>`` per-sample columns; q/s index the matrix) are kept as the
        per-sample rows. Missing cells (n = 0) are stored as such; imputed cells are refused (ValueError).
        ``samples_source`` records where per-sample rows that are not copied live (see :meth:`samples_source`)."""
        if samples_source is not None and samples is not None:
            raise ValueError("save_matrix: give samples or samples_source, not both")
        return self.save_matrices([(matrix, name, samples)], replace=replace,
                                  _sources=None if samples_source is None else [samples_source])[0]

    def save_matrices(self, items: Sequence[tuple[OutcomeMatrix, str | None, pa.Table | None]], *,
                      replace: bool = True, _sources: Sequence[dict | None] | None = None) -> list[DatasetInfo]:
        """Several datasets in one transaction (``osca fetch``): all are stored, or none."""
        sources = list(_sources) if _sources is not None else [None] * len(items)
        names = [m.name if nm is None else nm for m, nm, _ in items]
        for nm in names:
            if not isinstance(nm, str) or not _NAME_RE.match(nm) or nm != nm.strip():
                raise InputError(f"dataset name {nm!r}: use 1-100 printable characters, no slashes")
        if len(set(names)) != len(names):
            raise InputError(f"dataset name {names[0]!r} given twice")
        for m, _, _ in items:
            if m.imputed.any():
                raise ValueError(f"{m.name}: a matrix with imputed cells is an analysis view, not data to store")
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._write() as cur:
            for (m, _, smp), nm, src in zip(items, names, sources, strict=True):
                exists = cur.execute("SELECT count(*) FROM datasets WHERE name = ?", [nm]).fetchone()[0]
                if exists and not replace:
                    refuse_existing(nm, {nm})
                delete_dataset(cur, nm)
                insert_dataset(cur, nm, m, smp, created, src)
        return [DatasetInfo(nm, m.shape[0], m.shape[1], m.source, m.split_label, m.synthetic, m.checksum, created,
                            **info_props(matrix_props(m, smp, src)))
                for (m, _, smp), nm, src in zip(items, names, sources, strict=True)]

    def remove(self, name: str) -> None:
        """Delete dataset ``name`` and all its rows (one transaction). On a full disk the one-line error says how
        to free space (the deletion itself needs a little room for DuckDB's write-ahead log)."""
        with self._write() as cur:
            self._require(cur, name)
            delete_dataset(cur, name)

    def move_aside(self) -> Path | None:
        """Rename a damaged store file (and its write-ahead log) to ``osca.duckdb.damaged-<UTC time>`` beside it,
        never deleting anything, so that the next write creates a fresh store. Returns the new path (None when
        there was no file). Refused while this process has the store open."""
        with self._gate.cond:
            if self._gate.con is not None:
                raise StoreBusyError(f"store is busy: {self.path} is in use by this process; try again")
            if not self.path.exists():
                return None
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            target = self.path.with_name(f"{DB_FILE}.damaged-{stamp}")
            k = 1
            while target.exists():
                target = self.path.with_name(f"{DB_FILE}.damaged-{stamp}-{k}")
                k += 1
            try:
                self.path.rename(target)
                wal = self.path.with_name(DB_FILE + ".wal")
                if wal.exists():
                    wal.rename(target.with_name(target.name + ".wal"))
            except OSError as e:
                raise InputError(f"store {self.path}: cannot move it aside ({e.strerror or e})") from None
            return target


__all__ = ["AGGREGATE_COLUMNS", "DB_FILE", "SAMPLE_COLUMNS", "DatasetInfo", "Overrides", "Store", "StoreDamagedError",
           "StoreFullError", "attrs_from_rows", "osca_home", "read_long"]
