"""Long files (per-sample or aggregated rows in CSV, Parquet or JSON lines) for the store.

Part of the store package (the only code that speaks SQL). Files are read by DuckDB's own readers into a private
in-memory database, validated there row by row in SQL (errors name the file and the row), and aggregated to
(n, c) per question x configuration with GROUP BY, so the store file itself is locked only for the final write.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from osca_core.errors import InputError
from osca_core.outcomes import ConfigInfo, OutcomeMatrix, parse_config_name


def jsonable(v):
    """A value as plain JSON data (NaN -> None, dates -> ISO text, numpy/Decimal -> Python numbers)."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if np.isfinite(v) else None
    if isinstance(v, np.generic):
        return jsonable(v.item())
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return str(v)



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
_CSV_TEXT = ("question_id", "config", "model", "variant", "split")  # CSV columns read as written, never sniffed
_FROM_STRINGS = {"DATE", "TIME", "TIME WITH TIME ZONE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S",
                 "TIMESTAMP_MS", "TIMESTAMP_NS", "UUID"}  # types DuckDB's JSON reader infers from strings
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
        table, types = f"raw_{i}", dict.fromkeys(_CSV_TEXT, "VARCHAR")
        for _ in range(100):
            try:
                if isinstance(src, pa.Table):
                    self.con.register("_osca_in", src)
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM _osca_in")
                    self.con.unregister("_osca_in")
                elif kind == "csv":  # RFC 4180, every line a row: a sniffed ' quote would merge the rows between
                    typed = ", types = ?" if types else ""  # two apostrophes, a sniffed # comment drop rows
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_csv(?, header = true, skip = 0, "
                                     f"quote = '\"', escape = '\"', comment = ''{typed})",
                                     [str(src), types] if types else [str(src)])
                elif kind == "parquet":
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_parquet(?)", [str(src)])
                else:
                    self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_json(?, format = 'auto', "
                                     f"sample_size = -1)", [str(src)])
                    self._json_strings_as_text(table, str(src))
                break
            except duckdb.Error as e:
                m = re.search(r'converting column "([^"]+)"', str(e))
                if kind == "csv" and m and types.get(m[1]) != "VARCHAR":
                    types[m[1]] = "VARCHAR"  # a late value that does not fit the sniffed type: validate it ourselves
                    continue
                if kind == "csv" and "do not exist in the CSV" in str(e) and types:
                    gone = set(re.findall(r'"([^"]+)"', str(e).split("do not exist")[0])) & set(types)
                    types = {k: v for k, v in types.items() if k not in gone} if gone else {}  # absent columns:
                    continue  # read the others as text; a missing required column is named by the column check
                raise _reader_error(e, kind, str(src), where) from None
        desc = self.con.execute(f"DESCRIBE {table}").fetchall()
        if kind == "csv" and len(desc) == 1 and (sep := next((d for d in ",;\t|" if d in str(desc[0][0])), None)):
            raise _ragged_csv(Path(src), where, sep)  # the sniffer gave up on the dialect: find the bad line
        self.cols.append({str(r[0]).lower(): (str(r[0]), str(r[1])) for r in desc})

    def _json_strings_as_text(self, table: str, src: str) -> None:
        """Read again, as the text they are, JSON strings that DuckDB's reader typed as dates, times or UUIDs (an
        id "2024-01-01T00:00:00" or "A0EEBC99-...-6BB9BD380A11" must stay exactly as written)."""
        desc = [(str(r[0]), str(r[1])) for r in self.con.execute(f"DESCRIBE {table}").fetchall()]
        if any(t in _FROM_STRINGS for _, t in desc):
            cols = {h: "VARCHAR" if t in _FROM_STRINGS else t for h, t in desc}
            self.con.execute(f"DROP TABLE {table}")
            self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM read_json(?, format = 'auto', "
                             f"sample_size = -1, columns = ?)", [src, cols])

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
        question_attrs={h: tuple(jsonable(r[k + 1]) for r in rows) for k, h in enumerate(attrs)})
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
