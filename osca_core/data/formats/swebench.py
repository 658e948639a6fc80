"""SWE-bench harness reports: ``<model>.<run_id>.json`` as written by ``swebench.harness.reporting.make_run_report``
(``submitted_ids``, ``resolved_ids``, ``unresolved_ids``, ``error_ids``, ``empty_patch_ids``, ``completed_ids``,
``incomplete_ids``, counts, ``schema_version``).

- question: the instance id; configuration: ``--config`` or the model, the file name up to its last dot before
  ``.json`` that is not between two digits (``gpt-4.1.run2.json``: model ``gpt-4.1``, run ``run2``;
  ``claude-3.5-sonnet.json``: the whole name; the harness writes the model with ``/`` as ``__``);
- sample: each report is one sample of every instance it submitted; several run ids of one model are several
  samples; correct: in ``resolved_ids``; an instance in ``error_ids`` or ``empty_patch_ids`` is a failed
  sample; an instance not submitted is missing (no sample).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.formats import Format, ReadOptions, Rows, config_names, distinct_config_names, long_table, number_samples
from osca_core.data.formats.long import reader_kind
from osca_core.model.outcomes import parse_json

EXPERIMENT_LISTS = ("resolved", "no_generation", "no_logs", "generated", "with_logs", "install_fail", "reset_failed",
                    "no_apply", "applied", "test_errored", "test_timeout")
ID_LISTS = ("submitted_ids", "resolved_ids", "unresolved_ids", "error_ids", "empty_patch_ids", "completed_ids",
            "incomplete_ids")


def detect(path: Path, head: bytes, where: str) -> bool:
    if reader_kind(path, head, where) != "json" or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    return (b'"submitted_ids"' in head and b'"resolved_ids"' in head) or is_experiments(path, head)


def is_experiments(path: Path, head: bytes) -> bool:
    """An experiments-repository results.json: an object of instance-id lists, ``resolved`` among them."""
    if re.search(rb'"resolved"\s*:\s*\[', head) is None or path.stat().st_size > (16 << 20):
        return False
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return False
    return (isinstance(data, dict) and "resolved" in data and set(data) <= set(EXPERIMENT_LISTS)
            and all(isinstance(v, list) for v in data.values()))


def experiments_name(path: Path, where: str) -> str:
    """The submission folder (``<date>_<system>``) of ``.../<date>_<system>/results/results.json``."""
    folder = path.resolve().parent
    return (folder.parent.name if folder.name == "results" and folder.parent.name else folder.name) or "config"


def model_and_run(where: str) -> tuple[str, str]:
    """(model, run id) of ``<model>.<run_id>.json``, split at the last dot that is not between two digits (the
    report holds neither field): ``gpt-4.1.run2`` -> (gpt-4.1, run2), ``claude-3.5-sonnet`` -> (claude-3.5-sonnet,
    no run id)."""
    stem = Path(where).name.removesuffix(".json")
    for i in range(len(stem) - 2, 0, -1):
        if stem[i] == "." and not (stem[i - 1].isdigit() and stem[i + 1].isdigit()):
            return stem[:i], stem[i + 1:]
    return stem, ""


def _ids(data: dict, key: str, where: str, need: bool) -> list[str]:
    if key not in data:
        if need:
            raise InputError(f"{where}: missing field {key!r} (a SWE-bench harness report)")
        return []
    v = data[key]
    if not isinstance(v, list):
        raise InputError(f"{where}: {key}: expected a list of instance ids (got {type(v).__name__})")
    for j, x in enumerate(v):
        if not isinstance(x, str) or not x.strip():
            raise InputError(f"{where}: {key}[{j}]: not an instance id ({x!r})")
    return v


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    kinds = [is_experiments(p, b"") or _experiments_head(p) for p, _ in files]
    if any(kinds):
        if not all(kinds):
            w = files[kinds.index(False)][1]
            raise InputError(f"{w}: a SWE-bench harness report beside experiments results.json files "
                             f"({files[kinds.index(True)][1]}); import them separately")
        return _read_experiments(files, options)
    names = config_names(options.config, files, [model_and_run(w)[0].replace("__", "/") for _, w in files])
    runs: dict[tuple[str, str], str] = {}
    tables = []
    for (path, where), cfg in zip(files, names, strict=True):
        data = parse_json(path.read_bytes(), where)
        if not isinstance(data, dict):
            raise InputError(f"{where}: expected a JSON object (a SWE-bench harness report)")
        lists = {k: _ids(data, k, where, k in ("submitted_ids", "resolved_ids")) for k in ID_LISTS}
        sub = lists["submitted_ids"]
        if not sub:
            raise InputError(f"{where}: submitted_ids is empty (no instances)")
        seen = set()
        for x in sub:
            if x in seen:
                raise InputError(f"{where}: submitted_ids: duplicate instance id {x!r}")
            seen.add(x)
        for key in ("resolved_ids", "error_ids", "empty_patch_ids", "unresolved_ids"):
            bad = next((x for x in lists[key] if x not in seen), None)
            if bad is not None:
                raise InputError(f"{where}: {key}: instance {bad!r} is not in submitted_ids")
        both = set(lists["resolved_ids"]) & (set(lists["error_ids"]) | set(lists["empty_patch_ids"]))
        if both:
            raise InputError(f"{where}: resolved_ids: instance {sorted(both)[0]!r} is also in error_ids or "
                             f"empty_patch_ids")
        both = set(lists["resolved_ids"]) & set(lists["unresolved_ids"])
        if both:
            raise InputError(f"{where}: resolved_ids: instance {sorted(both)[0]!r} is also in unresolved_ids "
                             f"(a contradictory record)")
        for key in ("resolved_ids", "unresolved_ids"):
            dup = next((x for j, x in enumerate(lists[key]) if x in lists[key][:j]), None) \
                if len(set(lists[key])) < len(lists[key]) else None
            if dup is not None:
                raise InputError(f"{where}: {key}: duplicate instance id {dup!r}")
        run = model_and_run(where)[1]
        if (cfg, run) in runs and run:
            raise InputError(f"{where}: run {run!r} of {cfg!r} is also in {runs[cfg, run]}")
        runs[cfg, run] = where
        resolved = set(lists["resolved_ids"])
        model = model_and_run(where)[0].replace("__", "/")
        tables.append((sub, [x in resolved for x in sub], cfg, model, run, where))
    order = number_samples([(q, cfg) for sub, _, cfg, _, _, _ in tables for q in sub])
    out, k = [], 0
    for sub, ok, cfg, model, run, where in tables:
        out.append((long_table(sub, [cfg] * len(sub), ok, order[k:k + len(sub)], model=[model] * len(sub),
                               run_id=[run or None] * len(sub)), where))
        k += len(sub)
    return Rows(tables=out, config_attrs={cfg: {"model": model} for _, _, cfg, model, _, _ in tables})


def _experiments_head(path: Path) -> bool:
    with path.open("rb") as f:
        return is_experiments(path, f.read(1 << 16))


def _read_experiments(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    names = distinct_config_names(options.config, files, [experiments_name(p, w) for p, w in files])
    tables, notes = [], []
    for (path, where), cfg in zip(files, names, strict=True):
        data = parse_json(path.read_bytes(), where)
        lists = {k: _ids(data, k, where, k == "resolved") for k in EXPERIMENT_LISTS}
        named = list(dict.fromkeys(x for k in EXPERIMENT_LISTS for x in lists[k]))
        if not named:
            raise InputError(f"{where}: resolved is empty and no other list names an instance (no instances)")
        resolved = set(lists["resolved"])
        tables.append((long_table(named, [cfg] * len(named), [x in resolved for x in named], [0] * len(named),
                                  model=[cfg] * len(named)), where))
        notes.append(f"{where}: SWE-bench experiments results.json lists resolved instances only: "
                     f"{len(resolved)} resolved, {len(named) - len(resolved)} named as failed; unresolved "
                     f"instances it does not name are not in the data")
    return Rows(tables=tables, config_attrs={cfg: {"model": cfg} for cfg in names}, notes=tuple(notes))


FORMAT = Format("swebench", "SWE-bench harness report (<model>.<run_id>.json) or experiments results.json", detect, read,
                frozenset({"config"}))
