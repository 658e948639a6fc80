"""Importers: generation logs from files into the store, in three formats (guessed from content when not given).

- ``osca``: the paper's release layout (``settings``, ``training_instances``, ``testing_instances``, ``train``,
  ``test``; validated by :func:`osca_core.outcomes.release_from_dict`), one file per dataset.
- ``long``: CSV, Parquet or JSON lines, read by DuckDB's own readers (:func:`osca_core.store.read_long`):
  per-sample rows ``question_id, config, correct`` (+ ``sample_idx, model, temperature, variant, tokens, cost,
  split``) or aggregated rows ``question_id, config, n_samples, n_correct`` (+ ``model, temperature, variant,
  cost, split``); any other column is a question attribute. Several files go into one dataset.
- ``lcb``: LiveCodeBench ``*_eval_all.json`` files (a list of problems with ``question_id``, ``graded_list``,
  ``difficulty``, ``platform``, ``contest_date``, ...), one file per configuration named by ``config`` or by the
  file's parent folder; several files go into one dataset.

A dataset without a release split (no ``split`` column, LiveCodeBench) is in-sample: train = test = all questions.
Every refusal is an :class:`InputError` naming the file and the field or row, raised before the store is touched;
the write itself is one transaction. ``bench_ingest`` measures the long importer on generated per-sample rows.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from osca_core.errors import InputError
from osca_core.outcomes import parse_json, release_from_dict
from osca_core.store import DatasetInfo, Store, read_long

FORMATS = ("osca", "long", "lcb")
LCB_ATTRIBUTES = ("difficulty", "platform", "contest_date")
_HEAD = 1 << 16


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
    """(format, reader) of one file: format osca | long | lcb, reader json | csv | parquet (content decides)."""
    if format is not None and format not in FORMATS:
        raise InputError(f"--format: unknown format {format!r} (use {', '.join(FORMATS)})")
    with path.open("rb") as f:
        head = f.read(_HEAD)
    if not head.strip():
        raise InputError(f"{where}: empty file (no questions)")
    if head.startswith(b"PAR1") or path.suffix.lower() == ".parquet":
        reader = "parquet"
    else:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if b"\x00" in head or not _utf8(head):
            raise InputError(f"{where}: not a JSON, CSV or Parquet file")
        reader = "json" if text[:1] in (b"{", b"[") else "csv"
    if format is not None:
        return format, reader
    if reader != "json":
        return "long", reader
    if text[:1] == b"[":
        lcb = where.endswith("_eval_all.json") or any(k in head for k in (b'"graded_list"', b'"code_list"'))
        return ("lcb" if lcb else "long"), reader
    with path.open("rb") as f:
        first, more = f.readline(1 << 20), f.read(4096).strip()
    try:
        obj = json.loads(first)
    except (ValueError, RecursionError):  # not one JSON document per line (or an absurd one): parse it whole
        obj = None
    if isinstance(obj, dict) and more:  # JSON lines
        return "long", reader
    data = load_json(path, where) if obj is None else obj
    return ("osca" if isinstance(data, dict) and "settings" in data else "long"), reader


def _utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3  # a character cut at the end of the sniffed block
    return True


def _default_name(where: str) -> str:
    stem = Path(where).name
    for suffix in (".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".parquet", ".gz"):
        stem = stem.removesuffix(suffix)
    stem = stem.removesuffix("_eval_all")
    return re.sub(r"[\x00-\x1f/\\]", "-", stem).strip()[:100] or "dataset"


def import_paths(store: Store, paths: Sequence[str | Path], *, format: str | None = None, name: str | None = None,
                 config: str | None = None) -> DatasetInfo:
    """Import files into one dataset (``name`` defaults to the first file's stem); see the module docstring."""
    files = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            raise InputError(f"{p}: is a folder; give the files in it (e.g. {Path(p) / '*.json'})")
        if not path.is_file():
            raise InputError(f"{p}: no such file")
        files.append((path, str(p)))
    return _import(store, files, format=format, name=name, config=config)


def import_bytes(store: Store, filename: str, data: bytes, *, format: str | None = None,
                 name: str | None = None) -> DatasetInfo:
    """Import an uploaded file (the dashboard's upload); messages name ``filename``."""
    base = _upload_name(filename)
    with tempfile.TemporaryDirectory(prefix="osca-upload-") as tmp:
        folder = _default_name(base)  # an lcb upload's configuration is named after the file
        path = Path(tmp) / (folder if folder.strip(".") else "upload") / base
        path.parent.mkdir()
        path.write_bytes(data)
        return _import(store, [(path, base)], format=format, name=name, config=None)


def _upload_name(filename: str) -> str:
    """An uploaded file's own name, safe as one path component (the client chooses it): no folders, no control
    characters or lone surrogates, not "." or "..", at most 200 bytes (a longer name keeps only its extension)."""
    base = re.sub(r"[\x00-\x1f]", "-", Path(filename).name).encode("utf-8", "replace").decode().strip()
    if len(base.encode()) > 200:
        base = "upload" + Path(base).suffix[:20]
    return base if base.strip(".") else "upload"


def _import(store: Store, files: list[tuple[Path, str]], *, format: str | None, name: str | None,
            config: str | None, timings: dict[str, float] | None = None) -> DatasetInfo:
    if not files:
        raise InputError("import: give at least one file")
    kinds = [detect(p, w, format) for p, w in files]
    fmt = kinds[0][0]
    for (_, w), (f, _) in zip(files, kinds, strict=True):
        if f != fmt:
            raise InputError(f"{w}: looks like {f} but {files[0][1]} looks like {fmt}; import them separately "
                             f"or pass --format")
    if config is not None and fmt != "lcb":
        raise InputError(f"--config names LiveCodeBench files (format lcb); {files[0][1]} is {fmt}")
    name = name if name is not None else _default_name(files[0][1])
    digests = [_sha256(p) for p, _ in files]
    checksum = digests[0] if len(files) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()
    source = f"{fmt}:{', '.join(Path(w).name for _, w in files)}"
    t = timings if timings is not None else {}
    if fmt == "osca":
        if len(files) > 1:
            raise InputError(f"osca format: import one release file at a time (got {len(files)} files)")
        path, where = files[0]
        m = release_from_dict(load_json(path, where), name=name, where=where, source=source)
        m, samples = m._replace(checksum=checksum), None
    elif fmt == "long":
        m, samples = read_long([(p, k[1], w) for (p, w), k in zip(files, kinds, strict=True)], name=name,
                               source=source, checksum=checksum, timings=t)
    else:
        m, samples = _import_lcb(files, config, name=name, source=source, checksum=checksum, t=t)
    t0 = time.perf_counter()
    info = store.save_matrix(m, name=name, samples=samples)
    t["write_seconds"] = time.perf_counter() - t0
    return info


# -- LiveCodeBench ------------------------------------------------------------------------------------------------

def _lcb_file(path: Path, where: str) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, dict]]:
    """Question ids, samples per question, the flattened graded_list, and attributes by question id."""
    data = load_json(path, where)
    if not isinstance(data, list):
        raise InputError(f"{where}: expected a JSON list of problems (LiveCodeBench *_eval_all.json)")
    if not data:
        raise InputError(f"{where}: no questions (empty list)")
    ids, lens, flat, attrs, seen = [], [], [], {}, {}
    for j, prob in enumerate(data):
        w = f"{where}: [{j}]"
        if not isinstance(prob, dict):
            raise InputError(f"{w} is not an object")
        for key in ("question_id", "graded_list"):
            if key not in prob:
                raise InputError(f"{w}: missing field {key!r}")
        qid, graded = prob["question_id"], prob["graded_list"]
        if not isinstance(qid, str | int) or isinstance(qid, bool) or str(qid).strip() == "":
            raise InputError(f"{w}.question_id: not a question id ({qid!r})")
        qid = str(qid)
        if qid in seen:
            raise InputError(f"{w}.question_id: duplicate question id {qid!r} (first at [{seen[qid]}])")
        seen[qid] = j
        if not isinstance(graded, list):
            raise InputError(f"{w}.graded_list: expected a list of true/false (got {type(graded).__name__})")
        if not graded:
            raise InputError(f"{w}.graded_list is empty (runs must be > 0)")
        bad = next((k for k, v in enumerate(graded) if not (isinstance(v, bool) or (type(v) is int and v in (0, 1)))),
                   None)
        if bad is not None:
            raise InputError(f"{w}.graded_list[{bad}]: must be true/false (got {graded[bad]!r})")
        ids.append(qid)
        lens.append(len(graded))
        flat.extend(graded)
        attrs[qid] = {k: prob[k] for k in LCB_ATTRIBUTES if k in prob}
        for k, v in attrs[qid].items():
            if isinstance(v, list | dict):  # attributes are shown and filtered on as plain values
                raise InputError(f"{w}.{k}: expected text or a number (got {type(v).__name__})")
    return ids, np.asarray(lens, dtype=np.int64), np.asarray(flat, dtype=bool), attrs


def _import_lcb(files: list[tuple[Path, str]], config: str | None, *, name: str, source: str, checksum: str,
                t: dict[str, float]):
    if config is not None:
        names = [x.strip() for x in config.split(",")]
        if len(names) != len(files) or not all(names):
            raise InputError(f"--config: give one configuration name per file ({len(files)} files, got {config!r})")
    else:
        names = [p.resolve().parent.name or _default_name(w) for p, w in files]
    for i, nm in enumerate(names):
        if nm in names[:i]:
            raise InputError(f"{files[i][1]}: configuration name {nm!r} is also used by "
                             f"{files[names.index(nm)][1]}; name them with --config A,B,...")
    tables, attrs, first = [], {}, None
    for (path, where), cfg in zip(files, names, strict=True):
        ids, lens, flat, at = _lcb_file(path, where)
        if first is None:
            first = (set(ids), where)
        else:
            missing = [q for q in first[0] if q not in at]
            extra = [q for q in ids if q not in first[0]]
            if missing:
                raise InputError(f"{where}: question {sorted(missing)[0]!r} (in {first[1]}) is missing")
            if extra:
                raise InputError(f"{where}: question {extra[0]!r} is not in {first[1]}")
        for q, a in at.items():
            attrs.setdefault(q, a)
        starts = np.repeat(np.cumsum(lens) - lens, lens)
        tables.append((pa.table({
            "question_id": pa.DictionaryArray.from_arrays(pa.array(np.repeat(np.arange(len(ids), dtype=np.int32), lens)),
                                                          pa.array(ids, pa.string())),
            "config": pa.DictionaryArray.from_arrays(pa.array(np.zeros(flat.size, dtype=np.int32)), pa.array([cfg])),
            "sample_idx": pa.array(np.arange(flat.size, dtype=np.int64) - starts),
            "correct": pa.array(flat)}), "arrow", where))
    m, samples = read_long(tables, name=name, source=source, checksum=checksum, timings=t)
    keys = [k for k in LCB_ATTRIBUTES if any(k in a for a in attrs.values())]
    qattrs = {k: tuple(attrs[q].get(k) for q in m.question_ids) for k in keys}
    return m._replace(question_attrs=qattrs), samples


# -- bench ingest -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IngestBench:
    """What ``osca bench ingest`` reports: the import of ``rows`` per-sample Parquet rows into a fresh store."""

    rows: int
    questions: int
    configs: int
    parquet_bytes: int
    generate_seconds: float
    import_seconds: float
    read_seconds: float
    validate_seconds: float
    aggregate_seconds: float
    write_seconds: float
    peak_rss_mb: float
    counts_match: bool  # the stored matrix sums to the generated rows and correct samples

    def as_dict(self) -> dict:
        return asdict(self)


def bench_shape(rows: int) -> tuple[int, int]:
    """Questions x configurations for ``rows`` samples: up to 1000 x 20, at least one sample per cell."""
    if rows < 1:
        raise InputError(f"--rows: must be a positive integer (got {rows})")
    q = min(1000, max(1, rows // 100))
    return q, min(20, max(1, rows // q))


def write_bench_parquet(path: Path, rows: int, *, seed: int = 0) -> tuple[int, int, int]:
    """``rows`` per-sample rows (question_id, config, sample_idx, correct), vectorized; returns (Q, S, correct)."""
    q, s = bench_shape(rows)
    rng = np.random.default_rng(seed)
    i = np.arange(rows, dtype=np.int64)
    cell = i % (q * s)
    qi, si = (cell // s).astype(np.int32), (cell % s).astype(np.int32)
    correct = rng.random(rows) < rng.beta(0.6, 1.2, size=(q, s))[qi, si]
    names = [f"model{k % 5}_{0.2 * (k // 5 + 1):.1f}" for k in range(s)]
    table = pa.table({
        "question_id": pa.DictionaryArray.from_arrays(pa.array(qi), pa.array([f"q{k:05d}" for k in range(q)])),
        "config": pa.DictionaryArray.from_arrays(pa.array(si), pa.array(names)),
        "sample_idx": pa.array(i // (q * s)), "correct": pa.array(correct)})
    import pyarrow.parquet as pq

    pq.write_table(table, path)
    return q, s, int(correct.sum())


def _bench_child(parquet: str, home: str) -> dict:
    import resource

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    store = Store.open(home)
    _import(store, [(Path(parquet), Path(parquet).name)], format="long", name="bench", config=None, timings=timings)
    timings["import_seconds"] = time.perf_counter() - t0
    timings["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    m = store.load_matrix("bench")
    return {**timings, "n_sum": int(m.n.sum()), "c_sum": int(m.c.sum()), "shape": m.shape}


def bench_ingest(rows: int, *, seed: int = 0) -> IngestBench:
    """Generate ``rows`` per-sample rows as Parquet in a temporary folder and import them through the real
    importer into a temporary store, in a fresh child process so that its peak RSS is the import's alone."""
    import subprocess
    import sys

    with tempfile.TemporaryDirectory(prefix="osca-bench-") as tmp:
        parquet = Path(tmp) / "samples.parquet"
        t0 = time.perf_counter()
        q, s, n_correct = write_bench_parquet(parquet, rows, seed=seed)
        gen = time.perf_counter() - t0
        # a plain child interpreter (not multiprocessing, which re-imports whatever __main__ is, e.g. app.py)
        code = ("import json, sys; from osca_core.importers import _bench_child; "
                "print(json.dumps(_bench_child(sys.argv[1], sys.argv[2])))")
        out = subprocess.run([sys.executable, "-c", code, str(parquet), str(Path(tmp) / "home")],
                             capture_output=True, text=True, check=False)
        if out.returncode != 0:
            last = (out.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"bench ingest: the import child failed ({last})")
        r = json.loads(out.stdout.strip().splitlines()[-1])
        size = parquet.stat().st_size
    return IngestBench(
        rows=rows, questions=q, configs=s, parquet_bytes=size, generate_seconds=gen,
        import_seconds=r["import_seconds"], read_seconds=r.get("read_seconds", 0.0),
        validate_seconds=r.get("validate_seconds", 0.0), aggregate_seconds=r.get("aggregate_seconds", 0.0),
        write_seconds=r.get("write_seconds", 0.0), peak_rss_mb=r["peak_rss_mb"],
        counts_match=r["n_sum"] == rows and r["c_sum"] == n_correct and tuple(r["shape"]) == (q, s))
