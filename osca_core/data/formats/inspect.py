"""Inspect AI logs (``.eval`` and ``.json``), read with inspect_ai's own reader (:mod:`inspect_ai.log`).

Per log: the header (``read_eval_log(header_only=True)``: task, task arguments, model, generation settings,
status, epochs) and the sample summaries (``read_eval_log_sample_summaries``: id, epoch, scores, model usage,
error), never the transcripts, so a large log imports quickly.

- configuration: the model plus the generation settings that differ between the logs (``temperature``,
  ``top_p``, ``reasoning_effort``, ...; from ``eval.model_generate_config``) and, when they differ, the task
  arguments (``eval.task_args``); named ``<model>_<temperature>`` (then ``_<setting>=<value>`` for the other
  settings that differ) unless ``--config`` names it. Model and temperature are the configuration's model and
  temperature, the other settings its variant (``top_p=0.9,...``) and its attributes;
- question: the sample id (``<task>/<id>`` when the logs hold several tasks); epochs are the samples;
- correctness: the scorer's value: ``C``/``I`` (and ``N``, no answer: incorrect), booleans, 1/0; ``--scorer``
  picks one when a log has several; partial credit (``P``, a fraction) is refused unless ``--partial``;
- tokens: the sample's ``model_usage`` total tokens; cost: tokens x the model's ``--price`` (USD per million
  tokens), else inspect's own ``total_cost`` when every sample has one;
- a sample without a score (an error, a cancelled run) is missing, not failed: ``Rows.missing`` counts the
  samples a log announced (samples x epochs) but holds no score for.
"""

from __future__ import annotations

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


def read(files: list[tuple[Path, str]], options: ReadOptions) -> Rows:
    logs = [(*_read_log(p, w), w) for p, w in files]
    tasks = list(dict.fromkeys(h.eval.task for h, _, _ in logs))
    settings = [_settings(h) for h, _, _ in logs]
    args = [{k: plain(v) for k, v in (h.eval.task_args or {}).items()} for h, _, _ in logs]
    varies = [k for k in dict.fromkeys(k for s in settings for k in s) if len({json.dumps(s.get(k)) for s in settings}) > 1
              and k != "temperature"]
    avaries = [k for k in dict.fromkeys(k for a in args for k in a) if len({json.dumps(a.get(k)) for a in args}) > 1]
    scorers = list(dict.fromkeys(k for _, ss, _ in logs for s in ss for k in (s.scores or {})))
    if options.scorer is not None and options.scorer not in scorers:
        raise InputError(f"--scorer: no scorer {options.scorer!r} in {logs[0][2]} (scorers: "
                         f"{', '.join(scorers) or 'none'})")
    if options.scorer is None and len(scorers) > 1:
        raise InputError(f"{logs[0][2]}: several scorers ({', '.join(scorers)}); pick one with --scorer NAME")
    scorer = options.scorer or (scorers[0] if scorers else None)
    defaults = []
    for (h, _, _), s, a in zip(logs, settings, args, strict=True):
        parts = [h.eval.model] + ([str(s["temperature"])] if s.get("temperature") is not None else [])
        parts += [f"{k}={s[k]}" for k in varies if s.get(k) is not None]
        parts += [f"{k}={a[k]}" for k in avaries if a.get(k) is not None]
        defaults.append("_".join(parts))
    names = config_names(options.config, files, defaults)
    keys = {}
    for nm, d, w in zip(names, defaults, files, strict=True):
        if keys.setdefault(nm, d) != d:
            raise InputError(f"{w[1]}: configuration name {nm!r} is given to logs of two configurations "
                             f"({keys[nm]} and {d}); name them with --config A,B,...")
    tables, attrs, missing, notes = [], {}, 0, []
    price = dict(options.price or {})
    for (h, summaries, where), cfg, s, a in zip(logs, names, settings, args, strict=True):
        model = h.eval.model
        usd = price.get(model, price.get(model.split("/", 1)[-1]))
        attrs[cfg] = {"model": model, **{k: s[k] for k in varies if s.get(k) is not None},
                      **{f"task_{k}": a[k] for k in avaries if a.get(k) is not None},
                      **({"task": h.eval.task} if len(tasks) > 1 else {})}
        q, correct, tokens, cost, epoch = [], [], [], [], []
        scored = 0
        for smp in summaries:
            sw = f"{where}: sample {smp.id!r} epoch {smp.epoch}"
            score = (smp.scores or {}).get(scorer) if scorer else None
            if score is None or smp.error:
                continue
            ok = _value(score.value, sw, options.partial)
            if ok is None:
                raise InputError(f"{sw}: partial credit ({score.value!r}); count it with --partial correct|incorrect")
            qid = str(smp.id)
            q.append(f"{h.eval.task}/{qid}" if len(tasks) > 1 else qid)
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
            scored += 1
        if not q:
            raise InputError(f"{where}: no scored samples (status {h.status}"
                             f"{', scorer ' + repr(scorer) if scorer else ', no scorer'})")
        expected = (h.results.total_samples if h.results is not None and h.results.total_samples else
                    (len(h.eval.dataset.sample_ids or []) or h.eval.dataset.samples or 0) * (h.eval.config.epochs or 1))
        gone = max(expected - scored, len(summaries) - scored, 0)
        missing += gone
        if gone:
            notes.append(f"{where}: {gone} of {max(expected, len(summaries))} samples missing (status {h.status})")
        if any(c is None for c in cost):
            cost = [None] * len(cost)  # inspect's own cost only when every sample has one
        variant = ",".join(f"{k}={v}" for k, v in attrs[cfg].items() if k != "model" and k != "task")
        tables.append((long_table(q, [cfg] * len(q), correct, [0] * len(q), model=[model] * len(q),
                                  temperature=[s.get("temperature")] * len(q), variant=[variant] * len(q),
                                  tokens=tokens, cost=cost, epoch=epoch), where))
    # samples are numbered across the logs of one configuration (two runs of 3 epochs: samples 0..5)
    order = number_samples([(qq, cc) for t, _ in tables for qq, cc in zip(t["question_id"].to_pylist(),
                                                                          t["config"].to_pylist(), strict=True)])
    out, k = [], 0
    for t, where in tables:
        out.append((t.set_column(t.schema.get_field_index("sample_idx"), "sample_idx",
                                 pa.array(order[k:k + t.num_rows], "int64")), where))
        k += t.num_rows
    return Rows(tables=out, config_attrs=attrs, missing=missing, notes=tuple(notes))


FORMAT = Format("inspect", "Inspect AI log (.eval, .json)", detect, read,
                frozenset({"config", "scorer", "partial", "price"}))
