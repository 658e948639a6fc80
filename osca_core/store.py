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
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from osca_core.errors import InputError, StoreBusyError
from osca_core.outcomes import ConfigInfo, OutcomeMatrix, parse_config_name

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
        vals += [json.dumps(_jsonable(v)) for v in col]
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


def _jsonable(v):
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if np.isfinite(v) else None
    if isinstance(v, np.generic):
        return _jsonable(v.item())
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return str(v)


def _attrs_from_rows(rows: list[tuple], q: int) -> dict[str, tuple]:
    out: dict[str, list] = {}
    for _, key, qi, value in rows:
        out.setdefault(key, [None] * q)[qi] = json.loads(value)
    return {k: tuple(v) for k, v in out.items()}


# -- long files: read, validated and aggregated in a private in-memory DuckDB -------------------------------------

SAMPLE_COLUMNS = ("question_id", "config", "correct", "sample_idx", "model", "temperature", "variant", "tokens",
                  "cost", "split")
AGGREGATE_COLUMNS = ("question_id", "config", "n_samples", "n_correct", "model", "temperature", "variant", "cost",
                     "split")
_INTS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
         "UHUGEINT"}
_SHIFT = 1 << 40  # position of a row: file index * 2^40 + row index in the file
_STAGING_MEMORY = "1GB"
# column -> (kind, SQL condition on raw text x and normalized value v that marks a bad row, message)
_RULES = {
    "question_id": ("text", "v IS NULL OR trim(v) = ''", "question_id is empty"),
    "config": ("text", "v IS NULL OR trim(v) = ''", "config is empty"),
    "correct": ("bool", "v IS NULL", "correct must be 0/1 or true/false (got {x})"),
    "sample_idx": ("int", "v IS NULL OR v < 0", "sample_idx must be an integer >= 0 (got {x})"),
    "n_samples": ("int", "v IS NULL OR v <= 0", "n_samples must be an integer > 0 (got {x})"),
    "n_correct": ("int", "v IS NULL", "n_correct must be an integer (got {x})"),
    "temperature": ("float", "x IS NOT NULL AND (v IS NULL OR NOT isfinite(v) OR v < 0)",
                    "temperature must be a number >= 0 (got {x})"),
    "tokens": ("float", "x IS NOT NULL AND (v IS NULL OR NOT isfinite(v) OR v < 0)",
               "tokens must be a number >= 0 (got {x})"),
    "cost": ("float", "x IS NOT NULL AND (v IS NULL OR NOT isfinite(v) OR v <= 0)", "cost must be a number > 0 (got {x})"),
    "model": ("text", "FALSE", ""),
    "variant": ("text", "FALSE", ""),
    "split": ("split", "v IS NULL OR v NOT IN ('train', 'test', 'both', 'train+test')",
              "split must be train, test or both (got {x})"),
}
_NULLS = {"text": "VARCHAR", "split": "VARCHAR", "bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE"}


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _is_num(t: str) -> bool:
    return t in _INTS or t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL")


def _text(col: str, t: str) -> str:
    return f"({col} ->> '$')" if t == "JSON" else f"CAST({col} AS VARCHAR)"


def _norm(kind: str, col: str, t: str) -> str:
    """SQL turning raw column ``col`` of type ``t`` into a value of ``kind``; NULL marks an unreadable value."""
    if kind == "text":
        return _text(col, t)
    if kind == "split":
        return f"lower(trim({_text(col, t)}))"
    if kind == "bool":
        if t == "BOOLEAN":
            return col
        if _is_num(t):
            return f"(CASE WHEN {col} = 1 THEN TRUE WHEN {col} = 0 THEN FALSE END)"
        return (f"(CASE lower(trim({_text(col, t)})) WHEN '1' THEN TRUE WHEN 'true' THEN TRUE WHEN '0' THEN FALSE "
                f"WHEN 'false' THEN FALSE END)")
    if t == "BOOLEAN":
        return f"CAST(NULL AS {_NULLS[kind]})"
    if kind == "int":
        if t in _INTS:
            return f"TRY_CAST({col} AS BIGINT)"
        if _is_num(t):
            return f"(CASE WHEN {col} = floor({col}) THEN TRY_CAST({col} AS BIGINT) END)"
        x = f"trim({_text(col, t)})"
        return f"(CASE WHEN regexp_full_match({x}, '[+-]?[0-9]+') THEN TRY_CAST({x} AS BIGINT) END)"
    return f"CAST({col} AS DOUBLE)" if _is_num(t) else f"TRY_CAST(trim({_text(col, t)}) AS DOUBLE)"


def _reader_error(e: duckdb.Error, kind: str, path: str, where: str) -> InputError:
    text = str(e).replace(path, where)
    lines = [x.strip() for x in text.splitlines() if x.strip()] or [type(e).__name__]
    head = re.sub(r"^[A-Za-z ]*Error: ", "", lines[0])
    m = re.search(r"CSV Error on Line: (\d+)", text)
    if m:
        i = next((k for k, x in enumerate(lines) if x.startswith("Original Line")), len(lines))
        return InputError(f"{where}: line {m[1]}: {lines[i + 1] if i + 1 < len(lines) else head}")
    return InputError(f"{where}: cannot read as {dict(csv='CSV', parquet='Parquet', json='JSON').get(kind, kind)} ({head})")


def _ragged_csv(path: Path, where: str, sep: str) -> InputError:
    import csv

    with path.open(newline="", encoding="utf-8", errors="replace") as f:
        rows = csv.reader(f, delimiter=sep)
        width = len(next(rows, []))
        for line, row in enumerate(rows, start=2):
            if len(row) != width:
                return InputError(f"{where}: row {line - 1}: {len(row)} fields where the header has {width}")
    return InputError(f"{where}: cannot read as CSV (the header has {width} fields but the rows do not parse)")


class _Staging:
    """One import's private in-memory database: raw tables per file, normalized views, index tables."""

    def __init__(self, files: Sequence[tuple[str | Path | pa.Table, str, str]]) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="osca-stage-")
        self.con = duckdb.connect(":memory:", config={"memory_limit": _STAGING_MEMORY, "temp_directory": self.tmp.name})
        self.files, self.wheres = list(files), [w for _, _, w in files]
        self.cols: list[dict[str, tuple[str, str]]] = []  # per file: lower-case name -> (header name, type)

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()

    def loc(self, pos: int) -> str:
        return f"{self.wheres[pos // _SHIFT]}: row {pos % _SHIFT + 1}"

    def load(self, i: int) -> None:
        src, kind, where = self.files[i]
        table, types = f"raw_{i}", {"question_id": "VARCHAR", "config": "VARCHAR"}
        for _ in range(100):
            try:
                if isinstance(src, pa.Table):
                    self.con.register("_osca_in", src)
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM _osca_in")
                    self.con.unregister("_osca_in")
                elif kind == "csv":
                    typed = ", types = ?" if types else ""
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, header = true{typed})",
                                     [str(src), types] if types else [str(src)])
                elif kind == "parquet":
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_parquet(?)", [str(src)])
                else:
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_json(?, format = 'auto', "
                                     f"sample_size = -1)", [str(src)])
                break
            except duckdb.Error as e:
                m = re.search(r'converting column "([^"]+)"', str(e))
                if kind == "csv" and m and types.get(m[1]) != "VARCHAR":
                    types[m[1]] = "VARCHAR"  # a late value that does not fit the sniffed type: validate it ourselves
                    continue
                if kind == "csv" and "do not exist in the CSV" in str(e) and types:
                    types = {}  # a required column is missing: read anyway, the column check names it
                    continue
                raise _reader_error(e, kind, str(src), where) from None
        desc = self.con.execute(f"DESCRIBE {table}").fetchall()
        if kind == "csv" and len(desc) == 1 and (sep := next((d for d in ",;\t|" if d in str(desc[0][0])), None)):
            raise _ragged_csv(Path(src), where, sep)  # the sniffer gave up on the dialect: find the bad line
        self.cols.append({str(r[0]).lower(): (str(r[0]), str(r[1])) for r in desc})

    def first_bad(self, i: int, col: str, t: str, kind: str, bad: str) -> tuple[int, str | None] | None:
        c = _ident(col)
        return self.con.execute(
            f"SELECT r, x FROM (SELECT rowid AS r, {_text(c, t)} AS x, {_norm(kind, c, t)} AS v FROM raw_{i}) "
            f"WHERE {bad} ORDER BY r LIMIT 1").fetchone()

    def conflict(self, key: str, col: str, what: str, label: str) -> None:
        """Refuse rows where ``col`` differs between two rows with the same ``key`` (naming both rows)."""
        row = self.con.execute(
            f"SELECT n.pos, CAST(n.{col} AS VARCHAR), f.pos, CAST(f.val AS VARCHAR), n.{key} FROM norm n JOIN "
            f"(SELECT {key}, arg_min({col}, pos) AS val, min(pos) AS pos FROM norm WHERE {col} IS NOT NULL "
            f"GROUP BY {key}) f USING ({key}) WHERE n.{col} IS NOT NULL AND n.{col} <> f.val ORDER BY n.pos LIMIT 1"
        ).fetchone()
        if row:
            first = self.loc(row[2]) if row[2] // _SHIFT != row[0] // _SHIFT else f"row {row[2] % _SHIFT + 1}"
            raise InputError(f"{self.loc(row[0])}: {what} {row[4]!r} has {label} {row[1]!r} here but {row[3]!r} "
                             f"at {first}")


def read_long(files: Sequence[tuple[str | Path | pa.Table, str, str]], *, name: str, source: str, checksum: str,
              timings: dict[str, float] | None = None) -> tuple[OutcomeMatrix, pa.Table | None]:
    """Read long files into an outcome matrix, aggregating per-sample rows to (n, c) with GROUP BY in DuckDB.

    ``files``: (path or Arrow table, reader kind "csv" | "parquet" | "json", name shown in messages). Per-sample
    rows carry ``question_id, config, correct`` (+ ``sample_idx, model, temperature, variant, tokens, cost,
    split``); aggregated rows carry ``question_id, config, n_samples, n_correct`` (+ ``model, temperature,
    variant, cost, split``). Other columns are question attributes. Question and configuration order is the order
    of first appearance. Returns the matrix and, for per-sample rows, the rows as an Arrow table (q, s,
    sample_idx, correct[, tokens][, cost]) indexing the matrix. Every refusal names the file and the row.
    """
    t = timings if timings is not None else {}
    st = _Staging(files)
    try:
        t0 = time.perf_counter()
        for i in range(len(files)):
            st.load(i)
        t["read_seconds"] = time.perf_counter() - t0
        out = _build(st, name=name, source=source, checksum=checksum, t=t)
        t["total_seconds"] = time.perf_counter() - t0
        return out
    finally:
        st.close()


def _build(st: _Staging, *, name: str, source: str, checksum: str, t: dict[str, float]):
    t0 = time.perf_counter()
    per_sample, attrs = _check_files(st)
    _norm_view(st, per_sample, attrs)
    _check_consistency(st, per_sample, attrs)
    t["validate_seconds"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    qids, cfgs, n, c = _cells(st, per_sample)
    samples = None
    if per_sample:
        extra = "".join(f", {k}" for k in ("tokens", "cost") if any(k in cols for cols in st.cols))
        rel = st.con.sql(f"SELECT q, s, sample_idx, correct{extra} FROM smp")
        samples = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()
    t["aggregate_seconds"] = time.perf_counter() - t0
    configs = _config_infos(st, cfgs, per_sample)
    rows = st.con.execute(f"SELECT any_value(split){''.join(f', any_value(a{k})' for k in range(len(attrs)))} FROM "
                          f"norm JOIN qidx qi USING (question_id) GROUP BY qi.i ORDER BY qi.i").fetchall()
    split = [r[0] for r in rows]
    m = OutcomeMatrix(
        name=", ".join(dict.fromkeys(st.wheres)), question_ids=tuple(qids), configs=configs, n=n, c=c,
        train=np.array([x in (None, "train", "both", "train+test") for x in split]),
        test=np.array([x in (None, "test", "both", "train+test") for x in split]), source=source, checksum=checksum,
        question_attrs={h: tuple(_jsonable(r[k + 1]) for r in rows) for k, h in enumerate(attrs)})
    return m._replace(name=name), samples


def _check_files(st: _Staging) -> tuple[bool, dict[str, set[str]]]:
    """Columns and row values of each file; returns (per-sample layout?, attribute column -> types seen)."""
    per_sample, attrs = None, {}
    for i, cols in enumerate(st.cols):
        where, found = st.wheres[i], ", ".join(h for h, _ in cols.values())
        agg = {"n_samples", "n_correct"} & set(cols)
        if "correct" in cols and agg:
            raise InputError(f"{where}: has both 'correct' (per-sample rows) and 'n_samples'/'n_correct' "
                             f"(aggregated rows); use one layout")
        if "correct" not in cols and not agg:
            raise InputError(f"{where}: missing column 'correct' (per-sample rows) or 'n_samples' and 'n_correct' "
                             f"(aggregated rows); found: {found}")
        layout = "correct" in cols
        if per_sample is not None and layout != per_sample:
            raise InputError(f"{where}: {'per-sample' if layout else 'aggregated'} rows cannot be mixed with the "
                             f"{'per-sample' if per_sample else 'aggregated'} rows of {st.wheres[0]}")
        per_sample = layout
        for need in ("question_id", "config") + (() if layout else ("n_samples", "n_correct")):
            if need not in cols:
                raise InputError(f"{where}: missing column {need!r} (found: {found})")
        if not st.con.execute(f"SELECT count(*) FROM raw_{i}").fetchone()[0]:
            raise InputError(f"{where}: no questions (the file has no data rows)")
        for col, (head, typ) in cols.items():
            if col not in (SAMPLE_COLUMNS if layout else AGGREGATE_COLUMNS):
                attrs.setdefault(head, set()).add(typ)
                continue
            kind, bad, msg = _RULES[col]
            hit = st.first_bad(i, head, typ, kind, bad)
            if hit:
                raise InputError(f"{where}: row {hit[0] + 1}: "
                                 f"{msg.format(x='nothing' if hit[1] is None else repr(hit[1]))}")
    if per_sample and len({"sample_idx" in c for c in st.cols}) > 1:
        raise InputError(f"{', '.join(st.wheres)}: give sample_idx in every file or in none")
    return bool(per_sample), attrs


def _norm_view(st: _Staging, per_sample: bool, attrs: dict[str, set[str]]) -> None:
    """View ``norm``: every file's rows with normalized columns, a position ``pos`` and attributes a0, a1, ..."""
    selects = []
    for i, cols in enumerate(st.cols):
        items = [f"CAST({i} AS BIGINT) * {_SHIFT} + rowid AS pos"]
        for col in SAMPLE_COLUMNS if per_sample else AGGREGATE_COLUMNS:
            kind = _RULES[col][0]
            items.append(f"{_norm(kind, _ident(cols[col][0]), cols[col][1])} AS {col}" if col in cols
                         else f"CAST(NULL AS {_NULLS[kind]}) AS {col}")
        for k, (head, types) in enumerate(attrs.items()):
            h, typ = cols.get(head.lower(), (None, None))
            same = len(types) == 1 and typ != "JSON"
            items.append("NULL" if h is None else _ident(h) if same else _text(_ident(h), typ))
            items[-1] += f" AS a{k}"
        selects.append(f"SELECT {', '.join(items)} FROM raw_{i}")
    st.con.execute("CREATE TEMP VIEW norm AS " + " UNION ALL ".join(selects))


def _check_consistency(st: _Staging, per_sample: bool, attrs: dict[str, set[str]]) -> None:
    """Counts within 0..n; one model/temperature/variant (and cost per sample) per configuration; one split and
    one value of each attribute per question."""
    if not per_sample:
        hit = st.con.execute("SELECT pos, n_correct, n_samples FROM norm WHERE n_correct < 0 OR "
                             "n_correct > n_samples ORDER BY pos LIMIT 1").fetchone()
        if hit:
            raise InputError(f"{st.loc(hit[0])}: n_correct {hit[1]} outside 0..{hit[2]}")
    present = {c for cols in st.cols for c in cols}
    for col in ("model", "temperature", "variant") + (() if per_sample else ("cost",)):
        if col in present:
            st.conflict("config", col, "configuration", col)
    if "split" in present:
        st.conflict("question_id", "split", "question", "split")
    for k, head in enumerate(attrs):
        st.conflict("question_id", f"a{k}", "question", head)


def _cells(st: _Staging, per_sample: bool) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Question and configuration order (first appearance) and the (n, c) matrices, aggregated by GROUP BY."""
    con = st.con
    for key, idx in (("question_id", "qidx"), ("config", "cidx")):
        con.execute(f"CREATE TEMP TABLE {idx} AS SELECT {key}, CAST(row_number() OVER (ORDER BY first) - 1 AS "
                    f"INTEGER) AS i FROM (SELECT {key}, min(pos) AS first FROM norm GROUP BY {key})")
    qids = [r[0] for r in con.execute("SELECT question_id FROM qidx ORDER BY i").fetchall()]
    cfgs = [r[0] for r in con.execute("SELECT config FROM cidx ORDER BY i").fetchall()]
    if per_sample:
        given = "sample_idx" in st.cols[0]
        sidx = "n.sample_idx" if given else "row_number() OVER (PARTITION BY qi.i, ci.i ORDER BY n.pos) - 1"
        con.execute(f"CREATE TEMP TABLE smp AS SELECT qi.i AS q, ci.i AS s, n.pos, CAST({sidx} AS BIGINT) AS "
                    f"sample_idx, n.correct, n.tokens, n.cost FROM norm n JOIN qidx qi USING (question_id) "
                    f"JOIN cidx ci USING (config)")
        cells = con.execute(f"SELECT q, s, count(*) AS n, sum(CAST(correct AS BIGINT)) AS c, "
                            f"{'count(DISTINCT sample_idx)' if given else 'count(*)'} AS d FROM smp GROUP BY q, s"
                            ).fetchnumpy()
        if (cells["d"] < cells["n"]).any():
            r = con.execute("SELECT q, s, sample_idx, min(pos), max(pos) FROM smp GROUP BY q, s, sample_idx "
                            "HAVING count(*) > 1 ORDER BY max(pos) LIMIT 1").fetchone()
            raise InputError(f"{st.loc(r[4])}: duplicate sample_idx {r[2]} for question {qids[r[0]]!r} and "
                             f"configuration {cfgs[r[1]]!r} (also at row {r[3] % _SHIFT + 1})")
    else:
        cells = con.execute("SELECT qi.i AS q, ci.i AS s, any_value(n.n_samples) AS n, any_value(n.n_correct) AS c, "
                            "count(*) AS k, min(n.pos) AS p1, max(n.pos) AS p2 FROM norm n JOIN qidx qi "
                            "USING (question_id) JOIN cidx ci USING (config) GROUP BY qi.i, ci.i").fetchnumpy()
        dup = np.flatnonzero(cells["k"] > 1)
        if dup.size:
            j = dup[np.argmin(cells["p2"][dup])]
            raise InputError(f"{st.loc(int(cells['p2'][j]))}: duplicate row for question {qids[cells['q'][j]]!r} "
                             f"and configuration {cfgs[cells['s'][j]]!r} (first at row {cells['p1'][j] % _SHIFT + 1})")
    n, c = np.zeros((len(qids), len(cfgs)), dtype=np.int64), np.zeros((len(qids), len(cfgs)), dtype=np.int64)
    n[cells["q"], cells["s"]] = cells["n"]
    c[cells["q"], cells["s"]] = cells["c"]
    if (n == 0).any():
        qi, si = np.argwhere(n == 0)[0]
        raise InputError(f"{', '.join(dict.fromkeys(st.wheres))}: question {qids[qi]!r} has no "
                         f"{'samples' if per_sample else 'row'} for configuration {cfgs[si]!r}")
    return qids, cfgs, n, c


def _config_infos(st: _Staging, cfgs: list[str], per_sample: bool) -> tuple[ConfigInfo, ...]:
    """Attributes given in the file, else parsed from the name; cost: mean cost per sample (default 1)."""
    cost = "CASE WHEN min(cost) = max(cost) THEN min(cost) ELSE avg(cost) END" if per_sample else "min(cost)"
    rows = st.con.execute(f"SELECT any_value(model), any_value(temperature), any_value(variant), {cost} FROM norm "
                          f"JOIN cidx ci USING (config) GROUP BY ci.i ORDER BY ci.i").fetchall()
    out = []
    for nm, (model, temp, variant, cst) in zip(cfgs, rows, strict=True):
        base = parse_config_name(nm)
        out.append(ConfigInfo(nm, base.model if model is None else model,
                              base.temperature if temp is None else float(temp),
                              base.variant if variant is None else variant, 1.0 if cst is None else float(cst)))
    return tuple(out)
