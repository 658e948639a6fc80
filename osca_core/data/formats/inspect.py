"""Inspect AI logs (``.eval`` and ``.json``), read with inspect_ai's own reader (:mod:`inspect_ai.log`).

Per log: the header (``read_eval_log(header_only=True)``: task, task arguments, model, generation settings,
solver plan, status, epochs) and the sample summaries (``read_eval_log_sample_summaries``: id, epoch, scores,
model usage, error), never the transcripts, so a large log imports quickly. A folder is read log by log:

- decisions per log, one rule for all: the scorer is ``--scorer`` where the log has it, else the log's only
  scorer (a log without the asked scorer is named in a note; a log with several and no ``--scorer`` is refused);
  a log with no scored sample (errored or cancelled before scoring) is skipped with a note; the import fails
  only when no log has a scored sample. One run read twice (same ``eval.eval_id``) is read once; logs of one task
  run (same ``eval.task_id``: ``inspect eval-retry`` keeps it) keep the successful retry, whose samples include
  those its errored original completed;
- configuration: the tuple of what differs between the logs (``Rows.axes``): the model, the generation settings
  (``eval.model_generate_config`` and ``plan.config``: ``temperature``, ``top_p``, ``max_tokens``, ...), the solver
  plan where it differs within one task (``prompt``: the step names and a 7-digit hash of the steps with their
  parameters, e.g. ``system_message+generate-8bbdb85``; the steps as JSON in ``prompt_text``) and the task
  arguments where they differ within one task (``task_<arg>``); named ``<model>_<temperature>`` then
  ``_<axis>=<value>`` unless ``--config`` names it. Model and temperature are the configuration's model and
  temperature, the other axes its variant (``top_p=0.9,prompt=...``) and its attributes;
- question: the sample id (``<task>/<id>`` when the logs hold several tasks); epochs are the samples;
- correctness: the scorer's value: ``C``/``I`` (and ``N``, no answer: incorrect), booleans, 1/0; partial credit
  (``P``, a fraction) is refused unless ``--partial``;
- tokens: the sample's ``model_usage`` total tokens; cost: tokens x the model's ``--price`` (USD per million
  tokens), else inspect's own ``total_cost`` when every sample has one;
- a sample without a score (an error, a cancelled run) is missing, not failed: ``Rows.missing`` counts the
  samples a log announced (samples x epochs) but holds no score for.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pyarrow as pa

from osca_core.errors import InputError
from osca_core.data.formats import Format, ReadOptions, Rows, config_names, long_table, number_samples, plain
from osca_core.data.formats.long import reader_kind

# GenerateConfig fields that do not change what a model answers (retries, time-outs, caching, batching, ...)
_OPERATIONAL = {"max_retries", "timeout", "attempt_timeout", "stream_idle_timeout", "max_connections",
                "adaptive_connections", "cache_prompt", "cache", "batch", "extra_headers", "extra_body",
                "fallback_models", "internal_tools", "fail_on_refusal", "max_tool_output"}
_CORRECT, _INCORRECT = {"C", "c", "correct", "CORRECT"}, {"I", "i", "incorrect", "INCORRECT", "N"}


def detect(path: Path, head: bytes, where: str) -> bool:
    if head.startswith(b"PK\x03\x04"):
        return path.suffix.lower() == ".eval" or b"header.json" in head or b"_journal/" in head
    if reader_kind(path, head, where) != "json":
        return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text[:1] == b"{" and re.search(rb'^\{\s*"version"\s*:\s*\d+\s*,\s*"status"\s*:', text) is not None


def _read_log(path: Path, where: str):
    try:
        from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries
    except ImportError:
        raise InputError(f"{where}: reading Inspect logs needs inspect_ai (pip install inspect_ai)") from None

    if path.suffix.lower() in (".eval", ".json"):
        fmt = "auto"
    else:  # an upload or a renamed file: the content decides
        with path.open("rb") as f:
            fmt = "eval" if f.read(4) == b"PK\x03\x04" else "json"
    try:
        header = read_eval_log(str(path), header_only=True, format=fmt)
        summaries = read_eval_log_sample_summaries(str(path), format=fmt)
    except Exception as e:  # inspect_ai's reader on a damaged file: zip, zlib, JSON, pydantic errors
        first = (str(e).strip().splitlines() or [""])[0][:200]
        raise InputError(f"{where}: cannot read as an Inspect log ({type(e).__name__}: {first})") from None
    return header, summaries


def _settings(header) -> dict[str, object]:
    cfg = {}
    for src in (getattr(header.plan, "config", None), header.eval.model_generate_config):
        if src is not None:
            cfg |= {k: plain(v) for k, v in src.model_dump(exclude_none=True).items() if k not in _OPERATIONAL}
    return cfg


def _value(v, where: str, partial: str | None):
    """True/False for a score value; None when the value is partial credit and --partial is not given."""
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        if v in _CORRECT:
            return True
        if v in _INCORRECT:
            return False
        if v in ("P", "p", "partial", "PARTIAL"):
            return None if partial is None else partial == "correct"
        raise InputError(f"{where}: score value {v!r} is not correct/incorrect (C, I, P, true/false, 1/0)")
    if isinstance(v, int | float):
        if v == 1:
            return True
        if v == 0:
            return False
        if 0 < v < 1:
            return None if partial is None else partial == "correct"
        raise InputError(f"{where}: score value {v!r} is not correct/incorrect (expected 0..1)")
    raise InputError(f"{where}: score value {json.dumps(v, default=str)[:80]} is not one value "
                     f"(C, I, P, true/false, 1/0)")


def _plan(header) -> tuple[str, str] | None:
    """(label, full text) of a log's solver plan: the step names joined by ``+`` and a hash of the steps with
    their parameters (system prompts, templates), so two plans with the same steps but other prompts differ."""
    plan = getattr(header, "plan", None)
    steps = list(getattr(plan, "steps", None) or [])
    if getattr(plan, "finish", None) is not None:
        steps.append(plan.finish)
    if not steps:
        return None
    full = json.dumps([{"solver": s.solver, "params": s.params} for s in steps], sort_keys=True, default=str)
    label = "+".join(s.solver.rsplit("/", 1)[-1] for s in steps)
    return f"{label}-{hashlib.sha256(full.encode()).hexdigest()[:7]}", full


def _scorers(summaries, header) -> list[str]:
    names = list(dict.fromkeys(k for s in summaries for k in (s.scores or {})))
    for sc in (header.results.scores if header.results is not None else None) or []:
        if sc.name not in names and any(sc.name in (s.scores or {}) for s in summaries):
            names.append(sc.name)
    return names


def _pick_scorer(scorers: list[str], asked: str | None, where: str, notes: list[str]) -> str | None:
    """The log's scorer, by one rule for every log: ``--scorer`` when the log has it, else its only scorer."""
    if asked is not None and asked in scorers:
        return asked
    if len(scorers) > 1:
        raise InputError(f"{where}: several scorers ({', '.join(scorers)}); pick one with --scorer NAME")
    if asked is not None and scorers:
        notes.append(f"{where}: no scorer {asked!r}; read with its only scorer {scorers[0]!r}")
    return scorers[0] if scorers else None


def _superseded(logs, notes: list[str]):
    """One run twice (the same ``eval.eval_id``): read once. Logs of one task run (``eval.task_id``, kept by
    ``inspect eval-retry``) more than once: the successful ones are kept (a retry holds the samples its original
    completed), else the latest; the others are noted."""
    first: dict[str, str] = {}
    same = set()
    for i, (h, _, where, _) in enumerate(logs):  # one run twice (a copy, or its .eval beside its .json)
        if h.eval.eval_id and h.eval.eval_id in first:
            same.add(i)
            notes.append(f"{where}: the same run as {first[h.eval.eval_id]} (eval_id {h.eval.eval_id}): skipped")
        elif h.eval.eval_id:
            first[h.eval.eval_id] = where
    logs = [lg for i, lg in enumerate(logs) if i not in same]
    groups: dict[str, list[int]] = {}
    for i, (h, _, _, _) in enumerate(logs):
        if h.eval.task_id:
            groups.setdefault(h.eval.task_id, []).append(i)
    drop = set()
    for ids in groups.values():
        if len(ids) < 2:
            continue
        ok = [i for i in ids if logs[i][0].status == "success"]
        keep = ok or [max(ids, key=lambda i: str(logs[i][0].eval.created))]
        for i in ids:
            if i not in keep:
                drop.add(i)
                notes.append(f"{logs[i][2]}: status {logs[i][0].status}, retried in {logs[keep[0]][2]}: "
                             f"read from the retry")
    return [lg for i, lg in enumerate(logs) if i not in drop]


def _samples(h, summaries, where: str, scorer: str | None, options: ReadOptions, usd: float | None):
    """The scored samples of one log: (sample id, correct, tokens, cost, epoch) lists."""
    q, correct, tokens, cost, epoch = [], [], [], [], []
    ids: set[tuple[str, object]] = set()
    for smp in summaries:
        sw = f"{where}: sample {smp.id!r} epoch {smp.epoch}"
        if (str(smp.id), smp.epoch) in ids:
            raise InputError(f"{sw}: appears twice in this log (a sample id and epoch identify one sample)")
        ids.add((str(smp.id), smp.epoch))
        score = (smp.scores or {}).get(scorer) if scorer else None
        if score is None or smp.error:
            continue
        ok = _value(score.value, sw, options.partial)
        if ok is None:
            raise InputError(f"{sw}: partial credit ({score.value!r}); count it with --partial correct|incorrect")
        q.append(str(smp.id))
        correct.append(ok)
        epoch.append(smp.epoch)
        usage = list((smp.model_usage or {}).values())
        tok = sum(u.total_tokens or (u.input_tokens + u.output_tokens) for u in usage) if usage else None
        tokens.append(tok)
        own = [u.total_cost for u in usage if u.total_cost is not None]
        if usd is not None:
            if tok is None:
                raise InputError(f"{sw}: no token usage (model_usage) to price with --price")
            cost.append(tok * usd / 1e6)
        else:
            cost.append(sum(own) if usage and len(own) == len(usage) else None)
    if any(c is None for c in cost):
        cost = [None] * len(cost)  # inspect's own cost only when every sample has one
    return q, correct, tokens, cost, epoch


def _announced(h, summaries) -> int:
    expected = (h.results.total_samples if h.results is not None and h.results.total_samples else
                (len(h.eval.dataset.sample_ids or []) or h.eval.dataset.samples or 0) * (h.eval.config.epochs or 1))
    return max(expected, len(summaries))


def _differs(values: list) -> bool:
    return len({json.dumps(v, sort_keys=True, default=str) for v in values}) > 1


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    notes: list[str] = []
    logs = _superseded([(*_read_log(p, w), w, i) for i, (p, w) in enumerate(files)], notes)
    present = [_scorers(ss, h) for h, ss, _, _ in logs]
    if options.scorer is not None and not any(options.scorer in s for s in present):
        every = list(dict.fromkeys(x for s in present for x in s))
        at = logs[0][2] if len(logs) == 1 else f"any of the {len(logs)} logs"
        raise InputError(f"--scorer: no scorer {options.scorer!r} in {at} (scorers: {', '.join(every) or 'none'})")
    price = dict(options.price or {})
    kept, missing = [], 0
    for (h, summaries, where, i), sc in zip(logs, present, strict=True):
        scorer = _pick_scorer(sc, options.scorer, where, notes)
        model = h.eval.model
        usd = price.get(model, price.get(model.split("/", 1)[-1]))
        data = _samples(h, summaries, where, scorer, options, usd)
        announced = _announced(h, summaries)
        gone = max(announced - len(data[0]), 0)
        missing += gone
        if not data[0]:
            notes.append(f"{where}: no scored sample (status {h.status}"
                         f"{', scorer ' + repr(scorer) if scorer else ', no scorer'}): skipped")
            continue
        if gone:
            notes.append(f"{where}: {gone} of {announced} samples missing (status {h.status})")
        kept.append((h, where, data, i))
    if not kept:
        if len(logs) == 1:
            raise InputError(notes[-1].removesuffix(": skipped").replace("no scored sample (", "no scored samples ("))
        raise InputError(f"{logs[0][2]}: no scored samples in any of the {len(logs)} logs (all errored, "
                         f"cancelled or unscored)")
    return _rows(kept, files, options, notes, missing)


def _rows(kept, files, options: ReadOptions, notes: list[str], missing: int) -> Rows:
    """Configurations (the axes on which the kept logs differ) and the per-sample tables."""
    heads = [h for h, _, _, _ in kept]
    tasks = list(dict.fromkeys(h.eval.task for h in heads))
    settings = [_settings(h) for h in heads]
    args = [{k: plain(v) for k, v in (h.eval.task_args or {}).items()} for h in heads]
    plans = [_plan(h) for h in heads]
    varies = [k for k in dict.fromkeys(k for s in settings for k in s)
              if k != "temperature" and _differs([s.get(k) for s in settings])]
    by_task: dict[str, list[int]] = {}
    for i, h in enumerate(heads):
        by_task.setdefault(h.eval.task, []).append(i)
    # task arguments only where they differ within one task; the plan where it differs within one task
    avaries = {t: [k for k in dict.fromkeys(k for i in ids for k in args[i]) if _differs([args[i].get(k) for i in ids])]
               for t, ids in by_task.items()}
    prompts = any(_differs([plans[i][0] if plans[i] else None for i in ids]) for ids in by_task.values())
    defaults, own = [], []
    for h, s, a, pl in zip(heads, settings, args, plans, strict=True):
        at: dict[str, object] = {k: s[k] for k in varies if s.get(k) is not None}
        if prompts and pl is not None:
            at["prompt"] = pl[0]
        at |= {f"task_{k}": a[k] for k in avaries[h.eval.task] if a.get(k) is not None}
        parts = [h.eval.model] + ([str(s["temperature"])] if s.get("temperature") is not None else [])
        parts += [f"{k.removeprefix('task_')}={v}" for k, v in at.items()]
        defaults.append("_".join(parts))
        own.append(at)
    given = config_names(options.config, files, []) if options.config is not None else None
    names = [given[i] if given else d for d, (_, _, _, i) in zip(defaults, kept, strict=True)]
    keys: dict[str, str] = {}
    for nm, d, (_, w, _, _) in zip(names, defaults, kept, strict=True):
        if keys.setdefault(nm, d) != d:
            raise InputError(f"{w}: configuration name {nm!r} is given to logs of two configurations "
                             f"({keys[nm]} and {d}); name them with --config A,B,...")
    cfg_tasks: dict[str, set] = {}
    for nm, h in zip(names, heads, strict=True):
        cfg_tasks.setdefault(nm, set()).add(h.eval.task)
    tables, attrs = [], {}
    for (h, where, (q, correct, tokens, cost, epoch), _), cfg, s, at, pl in zip(kept, names, settings, own, plans,
                                                                              strict=True):
        model = h.eval.model
        attrs[cfg] = {"model": model, **at, **({"prompt_text": pl[1]} if "prompt" in at else {}),
                      **({"task": h.eval.task} if len(tasks) > 1 and len(cfg_tasks[cfg]) == 1 else {})}
        variant = ",".join(f"{k}={v}" for k, v in at.items())
        q = [f"{h.eval.task}/{x}" for x in q] if len(tasks) > 1 else q
        tables.append((long_table(q, [cfg] * len(q), correct, [0] * len(q), model=[model] * len(q),
                                  temperature=[s.get("temperature")] * len(q), variant=[variant] * len(q),
                                  tokens=tokens, cost=cost, epoch=epoch), where))
    axes = (["model"] * _differs([h.eval.model for h in heads])
            + ["temperature"] * _differs([s.get("temperature") for s in settings]) + varies
            + ["prompt"] * prompts + list(dict.fromkeys(f"task_{k}" for ks in avaries.values() for k in ks)))
    # samples are numbered across the logs of one configuration (two runs of 3 epochs: samples 0..5)
    order = number_samples([(qq, cc) for t, _ in tables for qq, cc in zip(t["question_id"].to_pylist(),
                                                                          t["config"].to_pylist(), strict=True)])
    out, k = [], 0
    for t, where in tables:
        out.append((t.set_column(t.schema.get_field_index("sample_idx"), "sample_idx",
                                 pa.array(order[k:k + t.num_rows], "int64")), where))
        k += t.num_rows
    return Rows(tables=out, config_attrs=attrs, missing=missing, notes=tuple(notes), axes=tuple(axes))


FORMAT = Format("inspect", "Inspect AI log (.eval, .json)", detect, read,
                frozenset({"config", "scorer", "partial", "price"}))
