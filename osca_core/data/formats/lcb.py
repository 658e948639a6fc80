"""LiveCodeBench ``*_eval_all.json`` files: a list of problems with ``question_id``, ``graded_list`` (one
true/false per generated program), ``difficulty``, ``platform``, ``contest_date``, ...; one file per
configuration, named by ``--config`` or by the file's parent folder; several files go into one dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from osca_core.errors import InputError
from osca_core.data.formats import Format, ReadOptions, Rows, distinct_config_names, folder_name
from osca_core.data.formats.long import reader_kind
from osca_core.model.outcomes import parse_json

LCB_ATTRIBUTES = ("difficulty", "platform", "contest_date")


def detect(path: Path, head: bytes, where: str) -> bool:
    if reader_kind(path, head, where) != "json":
        return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text[:1] == b"[" and (where.endswith("_eval_all.json") or b'"graded_list"' in head
                                 or b'"code_list"' in head)


def _lcb_file(path: Path, where: str) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, dict]]:
    """Question ids, samples per question, the flattened graded_list, and attributes by question id."""
    data = parse_json(path.read_bytes(), where)
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


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    names = distinct_config_names(options.config, files, [folder_name(p, w) for p, w in files])
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
            "correct": pa.array(flat)}), where))
    keys = [k for k in LCB_ATTRIBUTES if any(k in a for a in attrs.values())]
    return Rows(tables=tables, question_attrs={q: {k: a.get(k) for k in keys} for q, a in attrs.items()})


FORMAT = Format("lcb", "LiveCodeBench *_eval_all.json", detect, read, frozenset({"config"}))
