"""SWE-bench harness reports: ``<model>.<run_id>.json`` as written by ``swebench.harness.reporting.make_run_report``
(``submitted_ids``, ``resolved_ids``, ``unresolved_ids``, ``error_ids``, ``empty_patch_ids``, ``completed_ids``,
``incomplete_ids``, counts, ``schema_version``).

- question: the instance id; configuration: ``--config`` or the model, the file name up to its last dot before
  ``.json`` (``gpt-4.1.run2.json``: model ``gpt-4.1``, run ``run2``; the harness writes the model with ``/``
  as ``__``);
- sample: each report is one sample of every instance it submitted; several run ids of one model are several
  samples; correct: in ``resolved_ids``; an instance in ``error_ids`` or ``empty_patch_ids`` is a failed
  sample; an instance not submitted is missing (no sample).
"""

from __future__ import annotations

from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.formats import Format, ReadOptions, Rows, config_names, long_table, number_samples
from osca_core.data.formats.long import reader_kind
from osca_core.model.outcomes import parse_json

ID_LISTS = ("submitted_ids", "resolved_ids", "unresolved_ids", "error_ids", "empty_patch_ids", "completed_ids",
            "incomplete_ids")


def detect(path: Path, head: bytes, where: str) -> bool:
    return (reader_kind(path, head, where) == "json" and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
            and b'"submitted_ids"' in head and b'"resolved_ids"' in head)


def model_and_run(where: str) -> tuple[str, str]:
    stem = Path(where).name.removesuffix(".json")
    model, dot, run = stem.rpartition(".")
    return (model, run) if dot and model else (stem, "")


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


FORMAT = Format("swebench", "SWE-bench harness report (<model>.<run_id>.json)", detect, read,
                frozenset({"config"}))
