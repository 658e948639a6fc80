"""lm-evaluation-harness per-sample logs (``--log_samples``): ``samples_<task>_<date>.jsonl`` with the run's
``results_<date>.json`` beside it (found by content when renamed: ``results`` with ``configs``/``versions``/
``config``, naming the task) (``lm_eval/loggers/evaluation_tracker.py``: ``save_results_samples``,
``save_results_aggregated``; lines built in ``lm_eval/evaluator.py``).

Each line is one document under one filter: ``doc_id``, ``doc``, ``target``, ``arguments``, ``resps``,
``filtered_resps``, ``filter``, ``metrics`` (the metric names) and one field per metric (``exact_match``,
``acc``, ...). With ``repeats: K`` in the task's config a document's request is sent K times (``resps`` holds the
K answers) but the filter combines them (``take_first``, ``majority_vote``) before the metric: the file has one
metric value per document and filter, so a line is one sample (``repeats`` is kept as a configuration attribute).

- question: ``doc_id`` (``<task>/<doc_id>`` when several tasks are imported);
- correctness: ``--metric`` (default: the task's first metric whose values are all 0/1 or true/false; a
  refusal lists the candidates) under ``--filter`` (default: the only filter in the file);
- configuration: from the results file: the model (``model_name``, else ``pretrained=``/``model=`` in
  ``config.model_args``), the generation settings (``config.gen_kwargs`` over the task's
  ``configs.<task>.generation_kwargs``; ``temperature`` and those that differ between runs); named
  ``<model>_<temperature>`` unless ``--config``; several runs of one configuration are several samples. Without
  a results file, the folder names the configuration.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.formats import (
    Format,
    ReadOptions,
    Rows,
    config_names,
    folder_name,
    long_table,
    number_samples,
    plain,
)
from osca_core.data.formats.long import reader_kind
from osca_core.model.outcomes import parse_json

SAMPLES_RE = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.jsonl$")
RESULTS_RE = re.compile(r"^results_(?P<date>\d{4}-\d{2}-\d{2}T[0-9.\-]+)\.json$")
_BOOK = {"doc_id", "doc", "target", "arguments", "resps", "filtered_resps", "filter", "metrics", "doc_hash",
         "prompt_hash", "target_hash"}


_RESULTS_KEYS = (b'"configs"', b'"versions"', b'"n-shot"', b'"higher_is_better"', b'"config"')


def results_like(head: bytes) -> bool:
    """The harness's aggregated results file by content (any name): an object with ``results`` and the keys
    ``save_results_aggregated`` writes beside it (``configs``, ``versions``, ``n-shot``, ``config``, ...)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return (text[:1] == b"{" and re.search(rb'"results"\s*:\s*\{', text) is not None
            and sum(k in text for k in _RESULTS_KEYS) >= 2 and b'"doc_id"' not in text[:4096])


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(1 << 16)


def detect(path: Path, head: bytes, where: str) -> bool:
    if reader_kind(path, head, where) != "json" or head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] != b"{":
        return False
    name = Path(where).name
    if RESULTS_RE.match(name) or results_like(head):
        return results_like(head) or b'"results"' in head
    line = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0]
    try:
        first = json.loads(line)
    except (ValueError, RecursionError):
        return bool(SAMPLES_RE.match(name)) and b'"doc_id"' in head
    return isinstance(first, dict) and "doc_id" in first and ("filtered_resps" in first or "resps" in first)


def companion(path: Path) -> bool:
    """A results file (by name or, renamed, by content) is read with its samples files, not on its own
    (skipped when a folder is imported)."""
    if RESULTS_RE.match(path.name) is not None:
        return True
    try:
        return path.suffix.lower() == ".json" and results_like(_head(path))
    except OSError:
        return False


def _tasks_of(results: Path) -> set[str]:
    try:
        data = json.loads(results.read_bytes())
    except (ValueError, OSError, RecursionError):
        return set()
    return {str(k) for k in (data.get("results") or {})} | {str(k) for k in (data.get("configs") or {})} \
        if isinstance(data, dict) else set()


def _results_for(path: Path, date: str | None, task: str) -> Path | None:
    """The run's results file: ``results_<date>.json``, else the only results file of the folder (by name or,
    renamed, by content) that names the task."""
    if date and (path.parent / f"results_{date}.json").is_file():
        return path.parent / f"results_{date}.json"
    found = sorted(p for p in path.parent.glob("*.json") if p.is_file() and companion(p))
    named = [p for p in found if RESULTS_RE.match(p.name)]
    if len(named) == 1 and not date:
        return named[0]
    mine = [p for p in found if task in _tasks_of(p)]
    return mine[0] if len(mine) == 1 else (named[0] if len(named) == 1 and not mine else None)


def _kwargs(v, where: str) -> dict[str, object]:
    """gen_kwargs / model_args as a dict: a dict, or the harness's ``k=v,k=v`` text (values parsed as JSON
    numbers/booleans when they are)."""
    if v is None or v == "":
        return {}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if not isinstance(v, str):
        raise InputError(f"{where}: expected key=value,... or an object (got {type(v).__name__})")
    out = {}
    for part in v.split(","):
        k, eq, x = part.partition("=")
        if not eq or not k.strip():
            raise InputError(f"{where}: expected key=value,... (got {v!r})")
        x = x.strip()
        try:
            out[k.strip()] = plain(json.loads(x.lower() if x.lower() in ("true", "false") else x))
        except ValueError:
            out[k.strip()] = x
    return out


def _run_config(results: dict | None, task: str, where: str, path: Path) -> tuple[str, dict[str, object]]:
    """(model, settings) of one run."""
    if results is None:
        return folder_name(path, where), {}
    cfg = results.get("config")
    if not isinstance(cfg, dict):
        raise InputError(f"{where}: missing field 'config' (the run's settings)")
    margs = _kwargs(cfg.get("model_args"), f"{where}: config.model_args")
    model = results.get("model_name") or margs.get("pretrained") or margs.get("model") or cfg.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InputError(f"{where}: config.model: no model name")
    tcfg = (results.get("configs") or {}).get(task) or {}
    if not isinstance(tcfg, dict):
        raise InputError(f"{where}: configs[{task!r}]: expected an object")
    settings = _kwargs(tcfg.get("generation_kwargs"), f"{where}: configs[{task!r}].generation_kwargs")
    settings |= _kwargs(cfg.get("gen_kwargs"), f"{where}: config.gen_kwargs")
    settings = {k: v for k, v in settings.items() if k not in ("until",)}
    if tcfg.get("repeats") not in (None, 1):
        settings["repeats"] = plain(tcfg["repeats"])
    return model, settings


def _lines(path: Path, where: str) -> list[dict]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{where}: not UTF-8 text (byte {e.start})") from None
    out = []
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        obj = parse_json(line.encode(), f"{where}: line {i}")
        if not isinstance(obj, dict):
            raise InputError(f"{where}: line {i}: expected a JSON object")
        obj["_line"] = i
        out.append(obj)
    if not out:
        raise InputError(f"{where}: no samples (no lines)")
    return out


def _is01(v) -> bool:
    return isinstance(v, bool) or (isinstance(v, int | float) and v in (0, 1))


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    expanded: list[tuple[Path, str]] = []
    for path, where in files:
        m = RESULTS_RE.match(path.name)
        if m or companion(path):
            if m:
                mine = sorted(p for p in path.parent.glob(f"samples_*_{m['date']}.jsonl"))
            else:  # renamed: the samples files of the tasks it names
                tasks = _tasks_of(path)
                mine = sorted(p for p in path.parent.glob("samples_*.jsonl")
                              if (sm := SAMPLES_RE.match(p.name)) and sm["task"] in tasks)
            if not mine:
                raise InputError(f"{where}: an lm-evaluation-harness results file (scores per task, no samples); "
                                 f"no samples_<task>_{m['date'] if m else '<date>'}.jsonl beside it (run lm_eval "
                                 f"with --log_samples)")
            expanded += [(p, str(Path(where).parent / p.name)) for p in mine if (p, str(p)) not in expanded]
        else:
            expanded.append((path, where))
    runs = []
    for path, where in expanded:
        m = SAMPLES_RE.match(path.name)
        task = m["task"] if m else path.stem.removeprefix("samples_")
        res_path = _results_for(path, m["date"] if m else None, task)
        results = None
        if res_path is not None:
            results = parse_json(res_path.read_bytes(), str(res_path))
            if not isinstance(results, dict):
                raise InputError(f"{res_path}: expected a JSON object (an lm-evaluation-harness results file)")
        model, settings = _run_config(results, task, str(res_path) if res_path else where, path)
        runs.append((path, where, task, model, settings, _lines(path, where)))
    tasks = list(dict.fromkeys(r[2] for r in runs))
    varies = [k for k in dict.fromkeys(k for r in runs for k in r[4])
              if k != "temperature" and len({json.dumps(r[4].get(k)) for r in runs}) > 1]
    defaults = ["_".join([r[3]] + ([str(r[4]["temperature"])] if r[4].get("temperature") is not None else [])
                         + [f"{k}={r[4][k]}" for k in varies if r[4].get(k) is not None]) for r in runs]
    names = config_names(options.config, expanded, defaults)
    tables, attrs, notes, keys = [], {}, [], []
    per_filters = [list(dict.fromkeys(str(x.get("filter", "none")) for x in r[5])) for r in runs]
    if options.filter is not None and not any(options.filter in f for f in per_filters):
        at = runs[0][1] if len(runs) == 1 else f"any of the {len(runs)} samples files"
        every = list(dict.fromkeys(x for f in per_filters for x in f))
        raise InputError(f"--filter: no filter {options.filter!r} in {at} (filters: {', '.join(every)})")
    metric_found = False
    for (_, where, task, model, settings, lines), cfg, filters in zip(runs, names, per_filters, strict=True):
        # one rule for every file: the asked filter where the file has it, else its only filter
        if options.filter is not None and options.filter in filters:
            flt = options.filter
        elif len(filters) > 1:
            raise InputError(f"{where}: several filters ({', '.join(filters)}); pick one with --filter NAME")
        else:
            flt = filters[0]
            if options.filter is not None:
                notes.append(f"{where}: no filter {options.filter!r}; read with its only filter {flt!r}")
        mine = [x for x in lines if str(x.get("filter", "none")) == flt]
        named = list(dict.fromkeys(k for x in mine for k in (x.get("metrics") or [])
                                   if isinstance(x.get("metrics"), list) and isinstance(k, str)))
        named = named or [k for k in dict.fromkeys(k for x in mine for k in x) if k not in _BOOK and k != "_line"]
        ok01 = [k for k in named if all(k in x and _is01(x[k]) for x in mine)]
        if options.metric is not None and options.metric in ok01:
            metric, metric_found = options.metric, True
        elif options.metric is not None and (len(runs) == 1 or options.metric in named):
            why = "not 0/1 in every line" if options.metric in named else "not in the file"
            raise InputError(f"--metric: {options.metric!r} is {why} of {where} (0/1 metrics: "
                             f"{', '.join(ok01) or 'none'})")
        elif not ok01:
            raise InputError(f"{where}: no metric is 0/1 in every line (metrics: {', '.join(named) or 'none'}); "
                             f"this task's scores are not pass/fail")
        else:
            metric = ok01[0]
            if options.metric is not None:
                notes.append(f"{where}: no metric {options.metric!r}; read with its first 0/1 metric {metric!r}")
        seen: dict[str, int] = {}
        q, ok = [], []
        for x in mine:
            d = x.get("doc_id")
            if not (isinstance(d, int | str) and not isinstance(d, bool)) or str(d).strip() == "":
                raise InputError(f"{where}: line {x['_line']}: doc_id is not an id ({d!r})")
            qid = f"{task}/{d}" if len(tasks) > 1 else str(d)
            if qid in seen:
                raise InputError(f"{where}: line {x['_line']}: duplicate doc_id {d!r} for filter {flt!r} "
                                 f"(also at line {seen[qid]})")
            seen[qid] = x["_line"]
            q.append(qid)
            ok.append(bool(x[metric]))
        reps = max((len(x["resps"][0]) for x in mine if isinstance(x.get("resps"), list) and x["resps"]
                    and isinstance(x["resps"][0], list)), default=1)
        if reps > 1:
            notes.append(f"{where}: {reps} responses per document combined by filter {flt!r}: one sample each")
        attrs[cfg] = {"model": model, **{k: settings[k] for k in varies if settings.get(k) is not None},
                      "metric": metric, "filter": flt}
        variant = ",".join(f"{k}={settings[k]}" for k in varies if settings.get(k) is not None)
        keys += [(qq, cfg) for qq in q]
        tables.append((q, ok, cfg, model, settings.get("temperature"), variant, where))
    if options.metric is not None and not metric_found:
        raise InputError(f"--metric: {options.metric!r} is not in any of the {len(runs)} samples files")
    order = number_samples(keys)
    out, k = [], 0
    for q, ok, cfg, model, temp, variant, where in tables:
        temp = temp if isinstance(temp, int | float) and not isinstance(temp, bool) else None
        out.append((long_table(q, [cfg] * len(q), ok, order[k:k + len(q)], model=[model] * len(q),
                               temperature=[temp] * len(q), variant=[variant] * len(q)), where))
        k += len(q)
    axes = (["model"] * (len({r[3] for r in runs}) > 1)
            + ["temperature"] * (len({json.dumps(r[4].get("temperature")) for r in runs}) > 1) + varies)
    return Rows(tables=out, config_attrs=attrs, notes=tuple(notes), axes=tuple(axes))


FORMAT = Format("lm-eval", "lm-evaluation-harness samples_<task>_<date>.jsonl", detect, read,
                frozenset({"config", "metric", "filter"}), companion)
