"""The paper's release layout (``settings``, ``training_instances``, ``testing_instances``, ``train``, ``test``),
one JSON file per dataset, validated by :func:`osca_core.model.outcomes.release_from_dict` (read by the importer)."""

from __future__ import annotations

import json
from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.formats import Format, ReadOptions, Rows
from osca_core.data.formats.long import reader_kind
from osca_core.model.outcomes import parse_json


def detect(path: Path, head: bytes, where: str) -> bool:
    if reader_kind(path, head, where) != "json" or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    with path.open("rb") as f:
        first, more = f.readline(1 << 20), f.read(4096).strip()
    try:
        obj = json.loads(first)
    except (ValueError, RecursionError):  # not one JSON document per line (or an absurd one): parse it whole
        obj = None
    if isinstance(obj, dict) and more:  # JSON lines
        return False
    data = parse_json(path.read_bytes(), where) if obj is None else obj
    return isinstance(data, dict) and "settings" in data


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    if len(files) > 1:
        raise InputError(f"osca format: import one release file at a time (got {len(files)} files)")
    path, where = files[0]
    return Rows(release=(parse_json(path.read_bytes(), where), where))


FORMAT = Format("osca", "OSCA release layout (JSON)", detect, read)
