"""Long files: per-sample or aggregated rows in CSV, Parquet or JSON lines, read by DuckDB's own readers
(:func:`osca_core.data.store.read_long`) as they are. Detected last: any CSV, Parquet or JSON file is tried as long."""

from __future__ import annotations

from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.formats import Format, ReadOptions, Rows


def reader_kind(path: Path, head: bytes, where: str) -> str | None:
    """json | csv | parquet by content (None: not text and not Parquet)."""
    if head.startswith(b"PAR1") or path.suffix.lower() == ".parquet":
        return "parquet"
    if b"\x00" in head or not _utf8(head):
        return None
    return "json" if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[") else "csv"


def _utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3  # a character cut at the end of the sniffed block
    return True


def detect(path: Path, head: bytes, where: str) -> bool:
    return reader_kind(path, head, where) is not None


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    out = []
    for path, where in files:
        with path.open("rb") as f:
            kind = reader_kind(path, f.read(1 << 16), where)
        if kind is None:
            raise InputError(f"{where}: not a JSON, CSV or Parquet file")
        out.append((path, kind, where))
    return Rows(files=out)


FORMAT = Format("long", "per-sample or aggregated rows (CSV, Parquet, JSON lines)", detect, read)
