"""Staging of long files: one import's private in-memory DuckDB, the files' raw tables, SQL normalizers.

Part of the store package (the only code that speaks SQL). :class:`Staging` reads each file with DuckDB's own reader
(CSV as RFC 4180, Parquet, JSON lines, or an Arrow table handed over by a format reader) into a raw table, checks
its header (a name given twice, also by case, is refused by name) and refuses special files (FIFOs, devices) as
such. :data:`RULES` and :func:`norm_sql` turn a raw column into a normalized value with a row-locating check.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from osca_core.errors import InputError

if TYPE_CHECKING:
    import pyarrow as pa



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
INTS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
         "UHUGEINT"}
SHIFT = 1 << 40  # position of a row: file index * 2^40 + row index in the file
_STAGING_MEMORY = "1GB"
# column -> (kind, SQL condition on raw text x and normalized value v that marks a bad row, message)
RULES = {
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
_CSV_TEXT = ("question_id", "config", "model", "variant", "split", "correct")  # CSV columns read as written, never
# sniffed (DuckDB's sniffer types a column of yes/no, y/n or t/f as BOOLEAN; the rule is 0/1 or true/false)
_FROM_STRINGS = {"DATE", "TIME", "TIME WITH TIME ZONE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S",
                 "TIMESTAMP_MS", "TIMESTAMP_NS", "UUID"}  # types DuckDB's JSON reader infers from strings
NULLS = {"text": "VARCHAR", "split": "VARCHAR", "bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE"}


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def is_num(t: str) -> bool:
    return t in INTS or t in ("FLOAT", "DOUBLE", "REAL") or t.startswith("DECIMAL")


def text_sql(col: str, t: str) -> str:
    return f"({col} ->> '$')" if t == "JSON" else f"CAST({col} AS VARCHAR)"


def norm_sql(kind: str, col: str, t: str) -> str:
    """SQL turning raw column ``col`` of type ``t`` into a value of ``kind``; NULL marks an unreadable value."""
    if kind == "text":
        return text_sql(col, t)
    if kind == "split":
        return f"lower(trim({text_sql(col, t)}))"
    if kind == "bool":
        if t == "BOOLEAN":
            return col
        if is_num(t):
            return f"(CASE WHEN {col} = 1 THEN TRUE WHEN {col} = 0 THEN FALSE END)"
        x = f"lower(trim({text_sql(col, t)}))"
        return (f"(CASE {x} WHEN '1' THEN TRUE WHEN 'true' THEN TRUE WHEN '0' THEN FALSE WHEN 'false' THEN FALSE "
                f"ELSE (CASE WHEN regexp_full_match({x}, '[+]?[0-9]*[.]?[0-9]+(e[+-]?[0-9]+)?') THEN "
                f"(CASE TRY_CAST({x} AS DOUBLE) WHEN 1 THEN TRUE WHEN 0 THEN FALSE END) END) END)")
    if t == "BOOLEAN":
        return f"CAST(NULL AS {NULLS[kind]})"
    if kind == "int":
        if t in INTS:
            return f"TRY_CAST({col} AS BIGINT)"
        if is_num(t):
            return f"(CASE WHEN {col} = floor({col}) THEN TRY_CAST({col} AS BIGINT) END)"
        x = f"trim({text_sql(col, t)})"
        return f"(CASE WHEN regexp_full_match({x}, '[+-]?[0-9]+') THEN TRY_CAST({x} AS BIGINT) END)"
    return f"CAST({col} AS DOUBLE)" if is_num(t) else f"TRY_CAST(trim({text_sql(col, t)}) AS DOUBLE)"


def _reader_error(e: duckdb.Error, kind: str, path: str, where: str) -> InputError:
    text = str(e).replace(path, where)
    lines = [x.strip() for x in text.splitlines() if x.strip()] or [type(e).__name__]
    head = re.sub(r"^[A-Za-z ]*Error: ", "", lines[0])
    if isinstance(e, duckdb.OutOfMemoryException) or "Failed to allocate" in text or "Out of Memory" in text:
        return InputError(f"{where}: out of memory while reading ({head[:160]}); nothing was stored. Import fewer "
                          f"or smaller files at a time, or give the process more memory")
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


def special_file(path: str | Path, where: str) -> InputError | None:
    """The refusal for a path that is not a regular file (a FIFO, a device such as /dev/zero, a socket, a folder),
    naming what it is; None for a regular file. Such files are never opened (a FIFO blocks, /dev/zero never ends)."""
    import stat

    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return InputError(f"{where}: no such file")
    except OSError as e:
        return InputError(f"{where}: cannot read ({e.strerror or e})")
    if stat.S_ISREG(mode):
        return None
    what = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else
            "a character device" if stat.S_ISCHR(mode) else "a block device" if stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    return InputError(f"{where}: is {what}, not a regular file; give a CSV, Parquet or JSON file")


def _refuse_duplicate_headers(headers: Sequence[str], where: str) -> None:
    seen: dict[str, str] = {}
    for h in headers:
        if h.lower() in seen:
            same = "" if seen[h.lower()] == h else f" (also as {seen[h.lower()]!r}: names are case-insensitive)"
            raise InputError(f"{where}: column {h!r} appears twice{same}; rename or remove one")
        seen[h.lower()] = h


SEGMENT_ROWS = 1_000_000  # small files share a table up to this many rows (a larger file keeps its own)
SEG_FILE, SEG_ROW = "__osca_file", "__osca_row"  # a segment's file index and row-in-file columns


@dataclass
class Segment:
    """A staging table holding the rows of consecutive files with one schema: ``file`` and ``row`` are the SQL
    for a row's file index and its row in the file (a single large file: its index and ``rowid``)."""

    table: str
    schema: tuple[tuple[str, str], ...]
    file: str
    row: str
    files: list[int]
    rows: int


class Staging:
    """One import's private in-memory database: raw tables per file, normalized views, index tables."""

    def __init__(self, files: Sequence[tuple[str | Path | pa.Table, str, str]]) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="osca-stage-")
        self.con = duckdb.connect(":memory:", config={"memory_limit": _STAGING_MEMORY, "temp_directory": self.tmp.name})
        self.files, self.wheres = list(files), [w for _, _, w in files]
        self.cols: list[dict[str, tuple[str, str]]] = []  # per file: lower-case name -> (header name, type)
        self.rows = 0  # rows counted so far (the import's row limit)
        self.file_rows: list[int] = []  # per file: its data rows
        self.segments: list[Segment] = []  # the tables holding the files' rows (see Segment)
        self.seg_of: list[Segment] = []  # per file: its segment

    def close(self) -> None:
        self.con.close()
        self.tmp.cleanup()

    def row(self, i: int) -> str:
        """SQL for the row index within file ``i`` in ``raw_{i}`` (a table's rowid, or a segment's row column)."""
        return self.seg_of[i].row if self.seg_of else "rowid"

    def loc(self, pos: int) -> str:
        return f"{self.wheres[pos // SHIFT]}: row {pos % SHIFT + 1}"

    def load(self, i: int) -> None:
        import pyarrow as pa

        src, kind, where = self.files[i]
        table, types = "raw_load", dict.fromkeys(_CSV_TEXT, "VARCHAR")
        if not isinstance(src, pa.Table) and (err := special_file(src, where)) is not None:
            raise err
        self._bounded(src, kind, where)
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
        n = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if kind in ("csv", "json") and not isinstance(src, pa.Table):
            from osca_core import cost, settings

            self.rows += n
            cost.rows(where, self.rows, settings.max_import_rows())
        desc = self.con.execute(f"DESCRIBE {table}").fetchall()
        if kind == "csv" and len(desc) == 1 and (sep := next((d for d in ",;\t|" if d in str(desc[0][0])), None)):
            raise _ragged_csv(Path(src), where, sep)  # the sniffer gave up on the dialect: find the bad line
        _refuse_duplicate_headers(self._headers(src, kind, [str(r[0]) for r in desc]), where)
        self.cols.append({str(r[0]).lower(): (str(r[0]), str(r[1])) for r in desc})
        self.file_rows.append(int(n))
        self._place(i, tuple((str(r[0]), str(r[1])) for r in desc), int(n))

    def _place(self, i: int, schema: tuple[tuple[str, str], ...], n: int) -> None:
        """Move file ``i``'s freshly read rows (table ``raw_load``) to their segment and name them ``raw_{i}``: a
        large file keeps its own table; small files with the schema of the segment before them are appended to it
        (with their file and row index) and ``raw_{i}`` is a view of their rows. One DuckDB table per small file
        would cost a block per column each (about 100 kB per file: 10^4 files, 1 GB); a segment costs it once."""
        last = self.segments[-1] if self.segments else None
        if n > SEGMENT_ROWS or any(h.lower() in (SEG_FILE, SEG_ROW) for h, _ in schema):
            self.con.execute(f"ALTER TABLE raw_load RENAME TO raw_{i}")
            seg = Segment(f"raw_{i}", schema, str(i), "rowid", [i], n)
        elif last is not None and last.row != "rowid" and last.schema == schema and last.rows + n <= SEGMENT_ROWS:
            self.con.execute(f"INSERT INTO {last.table} SELECT CAST({i} AS BIGINT), rowid, * FROM raw_load")
            self.con.execute("DROP TABLE raw_load")
            seg = last
            seg.files.append(i)
            seg.rows += n
        else:
            seg = Segment(f"seg_{len(self.segments)}", schema, SEG_FILE, SEG_ROW, [i], n)
            self.con.execute(f"CREATE TEMP TABLE {seg.table} AS SELECT CAST({i} AS BIGINT) AS {SEG_FILE}, rowid AS "
                             f"{SEG_ROW}, * FROM raw_load")
            self.con.execute("DROP TABLE raw_load")
        if seg.row != "rowid":
            self.con.execute(f"CREATE TEMP VIEW raw_{i} AS SELECT * EXCLUDE ({SEG_FILE}) FROM {seg.table} "
                             f"WHERE {SEG_FILE} = {i}")
        if not self.segments or self.segments[-1] is not seg:
            self.segments.append(seg)
        self.seg_of.append(seg)

    def _bounded(self, src, kind: str, where: str) -> None:
        """Refuse, before reading it, a file whose rows (with the files before it) are above the import's row
        limit: Parquet's footer counts the rows after decompression (a 4 MB file can hold 3e8 rows), an Arrow
        table knows its length. CSV and JSON are counted as read (DuckDB's memory limit bounds the read)."""
        import pyarrow as pa

        from osca_core import cost, settings

        n = None
        if isinstance(src, pa.Table):
            n = src.num_rows
        elif kind == "parquet":
            try:
                import pyarrow.parquet as pq

                n = pq.ParquetFile(str(src)).metadata.num_rows
            except (OSError, pa.ArrowException, UnicodeDecodeError):  # a damaged footer can hold invalid UTF-8
                n = None  # DuckDB's reader names what is wrong with the file
        if n is not None:
            self.rows += n
            cost.rows(where, self.rows, settings.max_import_rows())

    def _headers(self, src, kind: str, described: list[str]) -> list[str]:
        """The column names as the file writes them (DuckDB's readers rename a repeated name to name_1)."""
        import pyarrow as pa

        if isinstance(src, pa.Table):
            return list(src.column_names)
        try:
            if kind == "csv":
                row = self.con.execute("SELECT * FROM read_csv(?, header = false, skip = 0, quote = '\"', "
                                       "escape = '\"', comment = '', all_varchar = true) LIMIT 1", [str(src)]).fetchone()
                if row is not None and len(row) == len(described):
                    return [str(x) for x in row]
            elif kind == "parquet":
                import pyarrow.parquet as pq

                return list(pq.read_schema(str(src)).names)
        except (duckdb.Error, OSError, pa.ArrowException, UnicodeDecodeError):
            pass
        return described

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
        c = ident(col)
        return self.con.execute(
            f"SELECT r, x FROM (SELECT {self.row(i)} AS r, {text_sql(c, t)} AS x, {norm_sql(kind, c, t)} AS v FROM raw_{i}) "
            f"WHERE {bad} ORDER BY r LIMIT 1").fetchone()

    def conflict(self, key: str, col: str, what: str, label: str) -> None:
        """Refuse rows where ``col`` differs between two rows with the same ``key`` (naming both rows)."""
        row = self.con.execute(
            f"SELECT n.pos, CAST(n.{col} AS VARCHAR), f.pos, CAST(f.val AS VARCHAR), n.{key} FROM norm n JOIN "
            f"(SELECT {key}, arg_min({col}, pos) AS val, min(pos) AS pos FROM norm WHERE {col} IS NOT NULL "
            f"GROUP BY {key}) f USING ({key}) WHERE n.{col} IS NOT NULL AND n.{col} <> f.val ORDER BY n.pos LIMIT 1"
        ).fetchone()
        if row:
            first = self.loc(row[2]) if row[2] // SHIFT != row[0] // SHIFT else f"row {row[2] % SHIFT + 1}"
            raise InputError(f"{self.loc(row[0])}: {what} {row[4]!r} has {label} {row[1]!r} here but {row[3]!r} "
                             f"at {first}")
