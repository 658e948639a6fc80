"""The DuckDB store: the one module that speaks SQL (parameterized; identifiers only from our own code or
quoted column headers).

One database file, ``$OSCA_HOME/osca.duckdb`` (``$OSCA_HOME`` defaults to ``./data``), holds every dataset:

- ``datasets``        name, source, synthetic, checksum, created, questions, configs, split, samples
- ``configs``         dataset, idx, name, model, temperature, variant, cost (per sample, default 1)
- ``questions``       dataset, idx, question_id, train, test (the release split)
- ``question_attrs``  dataset, key_idx, key, q, value (JSON text: difficulty, platform, contest_date, ...)
- ``outcomes``        dataset, q, s, n, c: samples drawn and correct, per question x configuration
- ``samples``         dataset, q, s, sample_idx, correct, tokens, cost: per-sample rows, when the source has them

Concurrency. DuckDB lets one process open a file read-write, and while it does no other process can open the
file at all. So a :class:`Store` holds no connection between operations: each operation opens one (shared by
the threads of this process, each thread working on its own cursor), runs its query or its single
BEGIN ... COMMIT transaction, and closes it. Opening retries on a lock conflict for ``$OSCA_BUSY_TIMEOUT``
seconds (default 8), then raises :class:`StoreBusyError`. A refused or killed write leaves the file as before.

Per-sample and aggregated "long" files (CSV, Parquet, JSON lines) are read by DuckDB's own readers into a private
in-memory database, validated there row by row in SQL, and aggregated to (n, c) with GROUP BY
(:func:`read_long`), so the store file is locked only for the final short write.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from osca_core.errors import InputError, StoreBusyError
from osca_core.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.store.longfiles import AGGREGATE_COLUMNS, SAMPLE_COLUMNS, jsonable, read_long

DB_FILE = "osca.duckdb"
SCHEMA_VERSION = "1"
_DDL = (
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
)
_DATA_TABLES = ("configs", "questions", "question_attrs", "outcomes", "samples", "datasets")
_NAME_RE = re.compile(r"^[^\x00-\x1f/\\]{1,100}$")


def osca_home() -> Path:
    """``$OSCA_HOME`` or ``./data`` (relative to the working directory), created on first use."""
    return _make_home(Path(os.environ.get("OSCA_HOME") or "data").expanduser().absolute())


def _make_home(home: Path) -> Path:
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"OSCA_HOME {home}: cannot create the folder ({e.strerror or e})") from None
    return home


def busy_timeout() -> float:
    """Seconds to wait for another process's lock before :class:`StoreBusyError` ($OSCA_BUSY_TIMEOUT, default 8)."""
    try:
        return max(0.0, float(os.environ.get("OSCA_BUSY_TIMEOUT", "8")))
    except ValueError:
        raise InputError(f"OSCA_BUSY_TIMEOUT: expected seconds (got {os.environ['OSCA_BUSY_TIMEOUT']!r})") from None


@dataclass(frozen=True)
class DatasetInfo:
    """One row of ``osca datasets``: ``split`` is "in-sample" when train == test, else "70 train / 78 test"."""

    name: str
    questions: int
    configs: int
    source: str
    split: str
    synthetic: bool
    checksum: str
    created: str


# -- connections: one per operation, shared by this process's threads, a cursor per thread -----------------------

def _first_line(e: BaseException) -> str:
    return next((x.strip() for x in str(e).splitlines() if x.strip()), type(e).__name__)


def _connect(path: Path, read_only: bool, deadline: float) -> duckdb.DuckDBPyConnection:
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as e:
            msg = str(e)
            if not any(k in msg for k in ("Could not set lock", "Conflicting lock", "different configuration")):
                raise InputError(f"store {path}: cannot open ({_first_line(e)})") from None
            left = deadline - time.monotonic()
            if left <= 0:
                m = re.search(r"held in (\S+) \(PID (\d+)\)", msg)
                who = f"PID {m[2]}, {Path(m[1]).name}" if m else _first_line(e)
                raise StoreBusyError(f"store is busy: {path} is locked by another process ({who}); try again when "
                                     f"it finishes, or raise OSCA_BUSY_TIMEOUT") from None
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.25)


class _Gate:
    """The process-wide connection to one database file: opened by the first operation, closed by the last."""

    def __init__(self, path: Path) -> None:
        self.path, self.cond, self.write_lock = path, threading.Condition(), threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.writable, self.users, self.writers = False, 0, 0

    def acquire(self, write: bool, deadline: float) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared connection. A writer waits for an open read-only connection to drain, and
        while a writer waits, new readers wait for its read-write connection (so readers cannot starve it)."""
        with self.cond:
            self.writers += write
            try:
                while not self.writable and (self.con is not None if write else self.writers > 0):
                    if not self.cond.wait(max(0.0, deadline - time.monotonic())):
                        raise StoreBusyError(f"store is busy: {self.path} is in use by this process; try again")
                if self.con is None:
                    self.con, self.writable = _connect(self.path, not write, deadline), write
                self.users += 1
                return self.con.cursor()
            finally:
                self.writers -= write
                if write:
                    self.cond.notify_all()

    def release(self, cur: duckdb.DuckDBPyConnection) -> None:
        cur.close()
        with self.cond:
            self.users -= 1
            if self.users == 0 and self.con is not None:
                self.con.close()
                self.con, self.writable = None, False
                self.cond.notify_all()


_GATES: dict[Path, _Gate] = {}
_GATES_LOCK = threading.Lock()


def _gate(path: Path) -> _Gate:
    with _GATES_LOCK:
        return _GATES.setdefault(path, _Gate(path))


def _empty_store() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    for ddl in _DDL:
        con.execute(ddl)
    return con


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
    def _read(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor for one read; a missing or still empty store file reads as an empty store."""
        cur = None
        if self.path.exists():
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
            con = _empty_store()
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
            cur = self._gate.acquire(True, deadline)
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    for ddl in _DDL:
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
        return [DatasetInfo(r[0], int(r[1]), int(r[2]), r[3], r[4], bool(r[5]), r[6], r[7]) for r in rows]

    def _require(self, cur: duckdb.DuckDBPyConnection, name: str) -> tuple:
        row = cur.execute("SELECT source, synthetic, checksum, samples FROM datasets WHERE name = ?",
                          [name]).fetchone()
        if row is None:
            known = [r[0] for r in cur.execute("SELECT name FROM datasets ORDER BY name").fetchall()]
            hint = ", ".join(known) if known else "none yet: run osca fetch, osca import or osca demo"
            raise InputError(f"unknown dataset {name!r} (known: {hint})")
        return row

    def load_matrix(self, name: str) -> OutcomeMatrix:
        """The stored dataset as an :class:`OutcomeMatrix`, exactly as saved (orders, counts, split, costs)."""
        with self._read() as cur:
            source, synthetic, checksum, _ = self._require(cur, name)
            cfg = cur.execute("SELECT name, model, temperature, variant, cost FROM configs WHERE dataset = ? "
                              "ORDER BY idx", [name]).fetchall()
            qs = cur.execute("SELECT question_id, train, test FROM questions WHERE dataset = ? ORDER BY idx",
                             [name]).fetchnumpy()
            cells = cur.execute("SELECT q, s, n, c FROM outcomes WHERE dataset = ?", [name]).fetchnumpy()
            attrs = cur.execute("SELECT key_idx, key, q, value FROM question_attrs WHERE dataset = ? "
                                "ORDER BY key_idx, q", [name]).fetchall()
        qn, sn = len(qs["question_id"]), len(cfg)
        n, c = np.zeros((qn, sn), dtype=np.int64), np.zeros((qn, sn), dtype=np.int64)
        n[cells["q"], cells["s"]] = cells["n"]
        c[cells["q"], cells["s"]] = cells["c"]
        return OutcomeMatrix(
            name=name, question_ids=tuple(str(x) for x in qs["question_id"]),
            configs=tuple(ConfigInfo(r[0], r[1], r[2], r[3], float(r[4])) for r in cfg),
            n=n, c=c, train=np.asarray(qs["train"], dtype=bool), test=np.asarray(qs["test"], dtype=bool),
            source=source, synthetic=bool(synthetic), checksum=checksum, question_attrs=_attrs_from_rows(attrs, qn),
        )

    def question_table(self, name: str) -> pd.DataFrame:
        """question_id, split ("train", "test" or "train+test") and the question attributes, in stored order."""
        with self._read() as cur:
            self._require(cur, name)
            qs = cur.execute("SELECT question_id, CASE WHEN train AND test THEN 'train+test' WHEN train THEN 'train'"
                             " ELSE 'test' END AS split FROM questions WHERE dataset = ? ORDER BY idx", [name]).df()
            attrs = cur.execute("SELECT key_idx, key, q, value FROM question_attrs WHERE dataset = ? "
                                "ORDER BY key_idx, q", [name]).fetchall()
        for key, vals in _attrs_from_rows(attrs, len(qs)).items():
            if key not in ("question_id", "split"):
                qs[key] = list(vals)
        return qs

    def has_samples(self, name: str) -> bool:
        """True when the dataset was imported from per-sample rows (kept in ``samples``)."""
        with self._read() as cur:
            return bool(self._require(cur, name)[3])

    def sample_outcomes(self, name: str) -> pd.DataFrame:
        """Per-sample rows: question_id, config, sample_idx, correct (+ tokens, cost when the source had them)."""
        with self._read() as cur:
            self._require(cur, name)
            df = cur.execute(
                "SELECT qq.question_id, cc.name AS config, sm.sample_idx, sm.correct, sm.tokens, sm.cost "
                "FROM samples sm JOIN questions qq ON qq.dataset = sm.dataset AND qq.idx = sm.q "
                "JOIN configs cc ON cc.dataset = sm.dataset AND cc.idx = sm.s "
                "WHERE sm.dataset = ? ORDER BY sm.q, sm.s, sm.sample_idx", [name]).df()
        return df.drop(columns=[k for k in ("tokens", "cost") if df[k].isna().all()])

    # -- writing ---------------------------------------------------------------------------------------------
    def save_matrix(self, matrix: OutcomeMatrix, *, name: str | None = None, replace: bool = True,
                    samples: pa.Table | None = None) -> DatasetInfo:
        """Store ``matrix`` as dataset ``name`` (default ``matrix.name``) in one transaction, replacing an
        existing dataset of that name when ``replace``. ``samples`` (columns q, s, sample_idx, correct and
        optionally tokens, cost; q/s index the matrix) are kept as the per-sample rows."""
        return self.save_matrices([(matrix, name, samples)], replace=replace)[0]

    def save_matrices(self, items: Sequence[tuple[OutcomeMatrix, str | None, pa.Table | None]], *,
                      replace: bool = True) -> list[DatasetInfo]:
        """Several datasets in one transaction (``osca fetch``): all are stored, or none."""
        names = [m.name if nm is None else nm for m, nm, _ in items]
        for nm in names:
            if not isinstance(nm, str) or not _NAME_RE.match(nm) or nm != nm.strip():
                raise InputError(f"dataset name {nm!r}: use 1-100 printable characters, no slashes")
        if len(set(names)) != len(names):
            raise InputError(f"dataset name {names[0]!r} given twice")
        created = datetime.now(UTC).isoformat(timespec="seconds")
        with self._write() as cur:
            for (m, _, smp), nm in zip(items, names, strict=True):
                exists = cur.execute("SELECT count(*) FROM datasets WHERE name = ?", [nm]).fetchone()[0]
                if exists and not replace:
                    raise InputError(f"dataset {nm!r} already exists (remove it first: osca remove {nm})")
                _delete(cur, nm)
                _insert(cur, nm, m, smp, created)
        return [DatasetInfo(nm, m.shape[0], m.shape[1], m.source, m.split_label, m.synthetic, m.checksum, created)
                for (m, _, _), nm in zip(items, names, strict=True)]

    def remove(self, name: str) -> None:
        """Delete dataset ``name`` and all its rows (one transaction)."""
        with self._write() as cur:
            self._require(cur, name)
            _delete(cur, name)


def _delete(cur: duckdb.DuckDBPyConnection, name: str) -> None:
    for table in _DATA_TABLES:
        col = "name" if table == "datasets" else "dataset"
        cur.execute(f"DELETE FROM {table} WHERE {col} = ?", [name])


def _insert_arrow(cur: duckdb.DuckDBPyConnection, table: str, name: str, data: pa.Table) -> None:
    cur.register("_osca_rows", data)
    try:
        cur.execute(f"INSERT INTO {table} SELECT ?, * FROM _osca_rows", [name])
    finally:
        cur.unregister("_osca_rows")


def _insert(cur: duckdb.DuckDBPyConnection, name: str, m: OutcomeMatrix, samples: pa.Table | None,
            created: str) -> None:
    q, s = m.shape
    cur.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [name, m.source, m.synthetic, m.checksum, created, q, s, m.split_label,
                 0 if samples is None else samples.num_rows])
    _insert_arrow(cur, "configs", name, pa.table({
        "idx": pa.array(range(s), pa.int32()), "name": [k.name for k in m.configs],
        "model": [k.model for k in m.configs], "temperature": pa.array([k.temperature for k in m.configs], pa.float64()),
        "variant": [k.variant for k in m.configs], "cost": pa.array([float(k.cost) for k in m.configs], pa.float64())}))
    _insert_arrow(cur, "questions", name, pa.table({
        "idx": pa.array(np.arange(q, dtype=np.int32)), "question_id": pa.array(list(m.question_ids), pa.string()),
        "train": pa.array(m.train), "test": pa.array(m.test)}))
    keys, qi, vals = [], [], []
    for k, (key, col) in enumerate(m.question_attrs.items()):
        if len(col) != q:
            raise InputError(f"{name}: attribute {key!r} has {len(col)} values for {q} questions")
        keys += [(k, str(key))] * q
        qi += range(q)
        vals += [json.dumps(jsonable(v)) for v in col]
    _insert_arrow(cur, "question_attrs", name, pa.table({
        "key_idx": pa.array([k for k, _ in keys], pa.int32()), "key": pa.array([x for _, x in keys], pa.string()),
        "q": pa.array(qi, pa.int32()), "value": pa.array(vals, pa.string())}))
    _insert_arrow(cur, "outcomes", name, pa.table({
        "q": pa.array(np.repeat(np.arange(q, dtype=np.int32), s)), "s": pa.array(np.tile(np.arange(s, dtype=np.int32), q)),
        "n": pa.array(m.n.ravel()), "c": pa.array(m.c.ravel())}))
    if samples is not None and samples.num_rows:
        cur.register("_osca_samples", samples)
        try:
            have = set(samples.column_names)
            extra = ", ".join(f"{k}" if k in have else f"CAST(NULL AS DOUBLE) AS {k}" for k in ("tokens", "cost"))
            cur.execute(f"INSERT INTO samples SELECT ?, q, s, sample_idx, correct, {extra} FROM _osca_samples", [name])
        finally:
            cur.unregister("_osca_samples")


def _attrs_from_rows(rows: list[tuple], q: int) -> dict[str, tuple]:
    out: dict[str, list] = {}
    for _, key, qi, value in rows:
        out.setdefault(key, [None] * q)[qi] = json.loads(value)
    return {k: tuple(v) for k, v in out.items()}


__all__ = ["AGGREGATE_COLUMNS", "DB_FILE", "SAMPLE_COLUMNS", "DatasetInfo", "Store", "osca_home", "read_long"]
