"""Importers: generation logs from files into the store, in the formats of :mod:`osca_core.data.formats` (guessed
from content when not given): ``osca`` (the paper's release layout), ``long`` (CSV, Parquet, JSON lines),
``lcb`` (LiveCodeBench), ``inspect`` (Inspect AI logs), ``lm-eval`` (lm-evaluation-harness samples),
``evalplus`` (EvalPlus / BigCodeBench) and ``swebench`` (SWE-bench harness reports).

Each format's reader turns its files into per-sample rows in the long layout; they go through the one long-file
reader (:func:`osca_core.data.store.read_long`), which validates and aggregates them to (n, c). A folder is searched
recursively (log files by extension; companions such as lm-eval ``results_*.json`` are read with their samples);
several files make one dataset. A dataset without a release split is in-sample: train = test = all questions.
Every refusal is an :class:`InputError` naming the file and the field, row or sample, raised before the store is
touched; the write itself is one transaction. ``bench_ingest`` measures the long importer on generated rows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import re
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from osca_core.data import formats
from osca_core.errors import InputError
from osca_core.data.formats import ReadOptions, Rows
from osca_core.data.formats.long import reader_kind
from osca_core.model.outcomes import OutcomeMatrix, parse_json, release_from_dict
from osca_core.data.store import DatasetInfo, Store, read_long
from osca_core.data.store import longfiles as _longfiles

FORMATS = formats.names()
LOG_SUFFIXES = (".eval", ".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet")
_HEAD = formats.HEAD_BYTES
ROLE_FLAGS = {"question_attr": "--question-attr", "config_attr": "--config-attr",
              "sample_column": "--sample-column", "cost_column": "--cost-column"}  # read_long's role overrides


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_json(path: Path, where: str):
    """Parse a JSON file; a syntax error names ``where`` and the position."""
    return parse_json(path.read_bytes(), where)


def detect(path: Path, where: str, format: str | None = None) -> tuple[str, str]:
    """(format, reader) of one file: format one of :data:`FORMATS`, reader json | csv | parquet | eval."""
    if format is not None:
        formats.get(format)
    h = formats.head(path)
    if not h.strip():
        raise InputError(f"{where}: empty file (no questions)")
    kind = "eval" if h.startswith(b"PK\x03\x04") else reader_kind(path, h, where)
    if format is None:
        if kind is None:
            raise InputError(f"{where}: unknown format (tried {', '.join(FORMATS)}): not a JSON, CSV or Parquet file")
        format = formats.detect(path, where)
    elif kind is None and format not in ("inspect",):
        raise InputError(f"{where}: not a JSON, CSV or Parquet file")
    return format, kind or "eval"


@dataclass(frozen=True)
class ImportResult:
    """What ``osca import`` reports: the stored dataset, the format read, the files, the samples the logs
    announced but hold no score for (``missing_samples``) and one-line notes."""

    info: DatasetInfo
    format: str
    files: tuple[str, ...]
    missing_samples: int = 0
    notes: tuple[str, ...] = ()
    axes: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"format": self.format, "files": list(self.files), "missing_samples": self.missing_samples,
                "notes": list(self.notes), "axes": list(self.axes)}


def _walk(folder: Path) -> list[Path]:
    """Every file under ``folder`` (recursively, sorted); a subfolder that cannot be listed is refused by name
    (``Path.rglob`` skips it without a word, so a configuration would go missing)."""
    import os

    def refuse(e: OSError) -> None:
        raise InputError(f"{e.filename or folder}: cannot read this folder ({e.strerror or e})")

    out = []
    for root, dirs, names in os.walk(folder, onerror=refuse):
        dirs.sort()
        out += [Path(root) / n for n in names]
    return sorted(out)


def readable(path: Path, where: str) -> None:
    """Refuse, naming ``where``, a path that is not a readable regular file (no such file, a folder, a device,
    a FIFO, no permission): one line instead of a traceback."""
    from osca_core.data.store.longfiles import special_file

    err = special_file(path, where)
    if err is not None:
        raise err
    try:
        with path.open("rb"):
            pass
    except OSError as e:
        raise InputError(f"{where}: cannot read ({e.strerror or e})") from None


def expand(paths: Sequence[str | Path], notes: list[str] | None = None) -> list[tuple[Path, str]]:
    """Files to read: a file as given; a folder's log files (by extension, recursively, sorted; hidden files and
    companions left out). One identity per file: its real path (symlinks resolved); the same file reached twice
    (given twice, a symlink to another file given or found) is refused naming both. An lm-eval results file given
    beside its samples files is their metadata (read with them), not a log of its own: left out with a note. In
    a folder, an empty file and a copy of another file found (same name and bytes: a duplicate run; two runs with
    equal outcomes may write equal bytes under other names) are skipped, each with a line in ``notes``; a file
    or subfolder that cannot be read is refused by name."""
    files: list[tuple[Path, str]] = []
    seen: dict[str, str] = {}
    real: dict[Path, str] = {}
    copies: dict[Path, str] = {}  # real path -> the copy of another run skipped there
    notes = notes if notes is not None else []

    def once(f: Path, where: str) -> None:
        key = f.resolve()
        if key in real:
            same = "given twice" if real[key] == where else f"the same file as {real[key]} (symlinks resolved)"
            raise InputError(f"{where}: {same}; give each file once")
        real[key] = where
        files.append((f, where))

    given: list[tuple[Path, str]] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            logs = [f for f in _walk(path) if f.suffix.lower() in LOG_SUFFIXES
                    and not any(part.startswith(".") for part in f.relative_to(path).parts)]
            from osca_core import cost, settings

            cost.files(str(p), len(files) + len(logs), settings.max_import_files())  # before any file is read
            for f in logs:
                readable(f, str(f))
            logs = [f for f in logs if f.is_file()]
            found = [f for f in logs if not _is_companion(f)]
            found = found or logs  # only companions (lm-eval results files): their reader says what is missing
            if not found:
                raise InputError(f"{p}: no log files in this folder (looked for {', '.join(LOG_SUFFIXES)})")
            kept = 0
            for f in found:
                if not formats.head(f).strip():
                    notes.append(f"{f}: empty file: skipped")
                    continue
                digest = f"{f.name}\0{_sha256(f)}"  # a copy: same name, same bytes (two runs may agree)
                if f.resolve() in copies:  # a link to a copy skipped above: skipped with it, never counted
                    notes.append(f"{f}: the same file as {copies[f.resolve()]} (symlinks resolved), a duplicate "
                                 f"run: skipped")
                    continue
                if digest in seen and f.resolve() not in real:
                    notes.append(f"{f}: the same bytes as {seen[digest]} (a duplicate run): skipped")
                    copies[f.resolve()] = str(f)
                    continue
                seen.setdefault(digest, str(f))
                once(f, str(f))
                kept += 1
            if not kept:
                raise InputError(f"{p}: only empty files in this folder ({len(found)} files)")
        else:
            readable(path, str(p))
            given.append((path, str(p)))
    from osca_core import cost, settings

    cost.files(", ".join(str(p) for p in paths[:3]) + (", ..." if len(paths) > 3 else ""), len(files) + len(given),
               settings.max_import_files())
    logs = [(f, w) for f, w in given if not _is_companion(f)]
    for f, w in given:
        if logs and _is_companion(f):
            notes.append(f"{w}: an lm-eval results file: read as the metadata of its samples files, not counted")
        else:
            once(f, w)
    return files


def _is_companion(f: Path) -> bool:
    return any(fmt.companion and fmt.companion(f) for fmt in formats.registry().values())


def import_files(store: Store, paths: Sequence[str | Path], *, format: str | None = None, name: str | None = None,
                 options: ReadOptions | None = None, timings: dict[str, float] | None = None,
                 roles: Mapping[str, object] | None = None) -> ImportResult:
    """Import files and folders into one dataset (``name`` defaults to :func:`default_name` of the first path);
    ``timings`` (when given) receives the long reader's read/validate/aggregate/write seconds. ``roles``: the long
    reader's column-role overrides (keys of :data:`ROLE_FLAGS`: question_attr, config_attr, sample_column,
    cost_column; empty values are not given); given ones apply to long files only (others are refused naming
    the flag)."""
    skipped: list[str] = []
    files = expand(paths, skipped)
    res = _import_result(store, files, format=format, name=name if name is not None else default_name(str(paths[0])),
                         options=options or ReadOptions(), timings=timings, roles=roles)
    return dataclasses.replace(res, notes=(*skipped, *res.notes)) if skipped else res


def import_paths(store: Store, paths: Sequence[str | Path], *, format: str | None = None, name: str | None = None,
                 config: str | None = None, options: ReadOptions | None = None,
                 roles: Mapping[str, object] | None = None) -> DatasetInfo:
    """:func:`import_files` returning the stored dataset only (``config`` is ``options.config``)."""
    if config is not None:
        options = dataclasses.replace(options or ReadOptions(), config=config)
    return import_files(store, paths, format=format, name=name, options=options, roles=roles).info


def import_bytes(store: Store, filename: str, data: bytes, *, format: str | None = None,
                 name: str | None = None, options: ReadOptions | None = None) -> DatasetInfo:
    """Import an uploaded file (the dashboard's upload); messages name ``filename``."""
    return import_uploads(store, [(filename, data)], format=format, name=name, options=options).info


def import_uploads(store: Store, uploads: Sequence[tuple[str, bytes]], *, format: str | None = None,
                   name: str | None = None, options: ReadOptions | None = None) -> ImportResult:
    """Import uploaded files (name, bytes) as one dataset; each file's configuration defaults to its name.
    Companion files (lm-eval ``results_*.json``) are put beside every other upload instead of being imported."""
    named = [(_upload_name(f), data) for f, data in uploads]
    comp = [(b, d) for b, d in named if any(fm.companion and fm.companion(Path(b)) for fm in formats.registry().values())]
    logs = [(b, d) for b, d in named if (b, d) not in comp] or comp
    with tempfile.TemporaryDirectory(prefix="osca-upload-") as tmp:
        files = []
        for k, (base, data) in enumerate(logs):
            folder = _default_name(base)  # an lcb/evalplus upload's configuration is named after the file
            path = Path(tmp) / str(k) / (folder if folder.strip(".") else "upload") / base
            path.parent.mkdir(parents=True)
            path.write_bytes(data)
            for cb, cd in comp if logs is not comp else ():
                (path.parent / cb).write_bytes(cd)
            files.append((path, base))
        return _import_result(store, files, format=format, name=name, options=options or ReadOptions())


def read_release(path: str | Path) -> OutcomeMatrix:
    """``--file``: one release JSON file read by the format registry's ``osca`` reader, named after the file's stem,
    with the sha256 of its bytes as checksum (the matrix ``outcomes.load_release`` gives); errors name the file and
    the field."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    rows = formats.get("osca").read([(p, str(p))], ReadOptions())
    return to_matrix(rows, name=p.stem, source="osca-release", checksum=_sha256(p))[0]


def default_name(where: str) -> str:
    """The dataset name an import takes by default: the first file's (or folder's) name without its suffixes."""
    return _default_name(where)


def _default_name(where: str) -> str:
    stem = Path(where).name
    for suffix in (".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".gz", ".eval"):
        stem = stem.removesuffix(suffix)
    stem = stem.removesuffix("_eval_all")
    return re.sub(r"[\x00-\x1f/\\]", "-", stem).strip()[:100] or "dataset"


def _upload_name(filename: str) -> str:
    """An uploaded file's own name, safe as one path component (the client chooses it): no folders, no control
    characters or lone surrogates, not "." or "..", at most 200 bytes (a longer name keeps only its extension)."""
    base = re.sub(r"[\x00-\x1f]", "-", Path(filename).name).encode("utf-8", "replace").decode().strip()
    if len(base.encode()) > 200:
        base = "upload" + Path(base).suffix[:20]
    return base if base.strip(".") else "upload"


def _given_roles(roles: Mapping[str, object] | None) -> dict[str, object]:
    """The role overrides that are given (non-empty), checked to be :func:`read_long`'s keywords."""
    given = {k: v for k, v in (roles or {}).items() if v}
    unknown = sorted(set(given) - set(ROLE_FLAGS))
    if unknown:
        raise ValueError(f"roles: unknown keys {unknown} (known: {', '.join(ROLE_FLAGS)})")
    return given


def _import_result(store: Store, files: list[tuple[Path, str]], *, format: str | None, name: str | None,
                   options: ReadOptions, timings: dict[str, float] | None = None,
                   roles: Mapping[str, object] | None = None) -> ImportResult:
    if not files:
        raise InputError("import: give at least one file")
    roles = _given_roles(roles)
    kinds = [detect(p, w, format) for p, w in files]
    if roles:
        for (_, w), (f, _) in zip(files, kinds, strict=True):
            if f != "long":
                raise InputError(f"{ROLE_FLAGS[next(iter(roles))]}: applies to long files (CSV, Parquet, JSON "
                                 f"lines); {w} is {f}")
    fmt = kinds[0][0]
    for (_, w), (f, _) in zip(files, kinds, strict=True):
        if f != fmt:
            raise InputError(f"{w}: looks like {f} but {files[0][1]} looks like {fmt}; import them separately "
                             f"or pass --format")
    spec = formats.get(fmt)
    if options.config is not None and "config" not in spec.options:
        raise InputError(f"--config names LiveCodeBench files (format lcb); also inspect, lm-eval, evalplus and "
                         f"swebench logs; {files[0][1]} is {fmt}")
    formats.check_options(spec, options)
    name = name if name is not None else _default_name(files[0][1])
    digests = [_sha256(p) for p, _ in files]
    checksum = digests[0] if len(files) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()
    source = f"{fmt}:{', '.join(Path(w).name for _, w in files)}"
    t = timings if timings is not None else {}
    rows = spec.read(files, options)
    m, samples = to_matrix(rows, name=name, source=source, checksum=checksum, timings=t, roles=roles)
    t0 = time.perf_counter()
    info = store.save_matrix(m, name=name, samples=samples)
    t["write_seconds"] = time.perf_counter() - t0
    notes = rows.notes
    if rows.axes:  # what the readers that compare their logs (inspect, lm-eval) found the configurations differ in
        notes += (f"configurations differ in: {', '.join(rows.axes)} ({info.configs} configurations)",)
    elif len(rows.config_attrs) == 1:
        notes += (f"one configuration ({next(iter(rows.config_attrs))})",)
    return ImportResult(info, fmt, tuple(w for _, w in files), rows.missing, notes, rows.axes)


# per-sample extras (epoch, run_id) wait for the store's sample_extras insert (struct_pack needs identifiers)
_PER_SAMPLE_EXTRAS = True
_ROLES = "config_attr" in inspect.signature(read_long).parameters  # the long reader takes column roles


def _attr_keys(rows: Rows) -> list[str]:
    """Configuration attributes handed to the long reader as columns (model/temperature/variant are its own)."""
    return [k for k in dict.fromkeys(k for a in rows.config_attrs.values() for k in a)
            if k not in ("model", "temperature", "variant")]


def _long_tables(rows: Rows) -> list[tuple[pa.Table, str, str]]:
    """The reader's tables for the long reader: with the configuration attributes as columns when it takes
    column roles, else only the columns it knows (the attributes are then set on the configurations here)."""
    if not _ROLES:
        known = set(_longfiles.SAMPLE_COLUMNS)
        return [(t.select([c for c in t.column_names if c in known]), "arrow", w) for t, w in rows.tables]
    keys = _attr_keys(rows)
    vals = {k: [a.get(k) for a in rows.config_attrs.values()] for k in keys}
    types = {k: {type(x) for x in v if x is not None} for k, v in vals.items()}
    text = {k for k, ts in types.items() if len(ts) > 1 and not ts <= {int, float}}  # mixed: as text
    known = set(_longfiles.SAMPLE_COLUMNS)
    out = []
    for t, w in rows.tables:
        t = t.select([c for c in t.column_names if c in known or _PER_SAMPLE_EXTRAS])
        cfgs = t["config"].to_pylist()
        for k in keys:
            col = [rows.config_attrs.get(c, {}).get(k) for c in cfgs]
            t = t.append_column(k, pa.array([None if x is None else str(x) for x in col] if k in text else col))
        out.append((t, "arrow", w))
    return out


def _with_attr_keys(roles: dict[str, object], keys: list[str]) -> dict[str, object]:
    """``roles`` with the reader's configuration-attribute columns ``keys`` added to ``config_attr``."""
    if not keys:
        return roles
    forced = roles.get("config_attr") or ()
    forced = [forced] if isinstance(forced, str) else list(forced)
    return {**roles, "config_attr": list(dict.fromkeys([*keys, *forced]))}


def to_matrix(rows: Rows, *, name: str, source: str, checksum: str, timings: dict[str, float] | None = None,
              roles: Mapping[str, object] | None = None):
    """A reader's rows as (outcome matrix, per-sample rows | None), through the long-file reader; ``roles`` as
    :func:`import_files` (not for the release layout, which has no columns to give roles)."""
    t = timings if timings is not None else {}
    roles = _given_roles(roles)
    if rows.release is not None:
        if roles:
            raise ValueError("to_matrix: the release layout takes no column roles")
        data, where = rows.release
        return dataclasses.replace(release_from_dict(data, name=name, where=where, source=source), checksum=checksum), None
    if rows.files is not None:
        return read_long(rows.files, name=name, source=source, checksum=checksum, timings=t, **roles)
    m, samples = read_long(_long_tables(rows), name=name, source=source, checksum=checksum, timings=t,
                           **_with_attr_keys(roles, _attr_keys(rows) if _ROLES else []))
    if rows.config_attrs:
        m = dataclasses.replace(m, configs=tuple(dataclasses.replace(
            k, attrs={**k.attrs, **{a: v for a, v in rows.config_attrs.get(k.name, {}).items()
                                    if a not in ("model", "temperature", "variant")}}) for k in m.configs))
    if rows.question_attrs:
        keys = list(dict.fromkeys(k for a in rows.question_attrs.values() for k in a))
        m = dataclasses.replace(m, question_attrs={k: tuple(rows.question_attrs.get(q, {}).get(k) for q in m.question_ids)
                                       for k in keys})
    return m, samples
