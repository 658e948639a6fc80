"""EvalPlus and BigCodeBench ``eval_results.json`` (``evalplus/evaluate.py``, ``bigcodebench/evaluate.py``):
``{"date", "hash", "eval": {task_id: [sample, ...]}}``, each sample with ``task_id``, ``solution`` and, for
EvalPlus, ``base_status`` and ``plus_status`` (``pass``/``fail``/``timeout``; ``plus_status`` is null in a
``--base-only`` run), for BigCodeBench ``status``.

- question: the task id; configuration: ``--config`` or the file's folder (a file named other than
  ``eval_results.json``: its name without ``_eval_results.json``); sample: each entry of ``eval[task_id]``, in
  order (EvalPlus sorts them by completion id);
- model and temperature: the file holds neither, so they come from the name the framework gave the samples,
  kept whole: EvalPlus ``<model, / as -->_<backend>_temp_<T>`` (``evalplus/codegen.py``), BigCodeBench
  ``<model, / as -->[--<revision>]--bigcodebench-<subset/split>--<backend>-<T>-<n_samples>...``
  (``bigcodebench/generate.py``); the backend (and BigCodeBench's task) become configuration attributes; any
  other name is read as ``<model>_<temperature>[_<variant>]`` (else the whole name is the model);
- correct: ``--verifier plus`` (default): base and plus tests pass (``base_status == plus_status == "pass"``,
  EvalPlus's own pass@k for ``<dataset>+``); ``--verifier base``: ``base_status == "pass"``; BigCodeBench:
  ``status == "pass"``.
"""

from __future__ import annotations

import re
from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.formats import Format, ReadOptions, Rows, distinct_config_names, folder_name, long_table
from osca_core.data.formats.long import reader_kind
from osca_core.model.outcomes import parse_config_name, parse_json

STATUSES = ("pass", "fail", "timeout")
EVALPLUS_NAME = re.compile(r"^(?P<model>.+)_(?P<backend>[A-Za-z0-9]+)_temp_(?P<temp>\d+(?:\.\d+)?)$")
BCB_NAME = re.compile(r"^(?P<model>.+?)--bigcodebench-(?P<task>.+?)--(?P<backend>[A-Za-z0-9_]+)-"
                      r"(?P<temp>\d+(?:\.\d+)?)-(?P<n>\d+)(?:[-_].*)?$")


def detect(path: Path, head: bytes, where: str) -> bool:
    return (reader_kind(path, head, where) == "json" and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
            and re.search(rb'"eval"\s*:\s*\{', head) is not None and b'"task_id"' in head
            and (b'"base_status"' in head or b'"status"' in head))


def default_name(path: Path, where: str) -> str:
    name = Path(where).name
    if name == "eval_results.json":
        return folder_name(path, where)
    return re.sub(r"[_-]?eval_results\.json$", "", name).removesuffix(".json") or folder_name(path, where)


def identity(name: str) -> tuple[str, float | None, dict[str, object]] | None:
    """(model, temperature, attributes) from a name EvalPlus or BigCodeBench gave the samples, else None."""
    m = EVALPLUS_NAME.match(name)
    if m:
        return m["model"].replace("--", "/"), float(m["temp"]), {"backend": m["backend"]}
    m = BCB_NAME.match(name)
    if m:
        model = re.sub(r"--(main|[0-9a-f]{7,40})$", "", m["model"])  # the model revision, when given
        return model.replace("--", "/"), float(m["temp"]), {"backend": m["backend"], "task": m["task"]}
    return None


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    names = distinct_config_names(options.config, files, [default_name(p, w) for p, w in files])
    verifier = options.verifier or "plus"
    tables, attrs = [], {}
    for (path, where), cfg in zip(files, names, strict=True):
        data = parse_json(path.read_bytes(), where)
        if not isinstance(data, dict) or "eval" not in data:
            raise InputError(f"{where}: missing field 'eval' (an EvalPlus/BigCodeBench eval_results.json)")
        ev = data["eval"]
        if not isinstance(ev, dict) or not ev:
            raise InputError(f"{where}: eval: expected an object of task id -> samples"
                             f"{' (it is empty)' if isinstance(ev, dict) else ''}")
        q, ok, idx = [], [], []
        for task, samples in ev.items():
            w = f"{where}: eval[{task!r}]"
            if not task.strip():
                raise InputError(f"{w}: empty task id")
            if not isinstance(samples, list) or not samples:
                raise InputError(f"{w}: expected a non-empty list of samples")
            for j, s in enumerate(samples):
                ok.append(_correct(s, f"{w}[{j}]", task, verifier))
                q.append(task)
                idx.append(j)
        ident = identity(default_name(path, where))
        if ident is None:
            base = parse_config_name(cfg)
            model, temp, extra = base.model, base.temperature, {}
        else:
            model, temp, extra = ident
        attrs[cfg] = {"model": model, **extra}
        tables.append((long_table(q, [cfg] * len(q), ok, idx, model=[model] * len(q),
                                  temperature=[temp] * len(q)), where))
    return Rows(tables=tables, config_attrs=attrs)


def _correct(s, w: str, task: str, verifier: str) -> bool:
    if not isinstance(s, dict):
        raise InputError(f"{w}: not an object")
    if "task_id" in s and s["task_id"] != task:
        raise InputError(f"{w}.task_id: {s['task_id']!r} under task {task!r}")
    if "base_status" not in s and "status" in s:  # BigCodeBench
        return _status(s, "status", w) == "pass"
    base = _status(s, "base_status", w)
    if verifier == "base":
        return base == "pass"
    if s.get("plus_status") is None:
        raise InputError(f"{w}.plus_status: missing (a --base-only run?); use --verifier base")
    return base == "pass" and _status(s, "plus_status", w) == "pass"


def _status(s: dict, key: str, w: str) -> str:
    if key not in s:
        raise InputError(f"{w}: missing field {key!r}")
    v = s[key]
    if v not in STATUSES:
        raise InputError(f"{w}.{key}: expected pass, fail or timeout (got {v!r})")
    return v


FORMAT = Format("evalplus", "EvalPlus / BigCodeBench eval_results.json", detect, read,
                frozenset({"config", "verifier"}))
