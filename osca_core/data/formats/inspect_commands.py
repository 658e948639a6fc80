"""The ``inspect eval`` commands that draw requested samples (``osca next --format inspect``).

A configuration of a log read by the Inspect reader (:mod:`osca_core.data.formats.inspect`; a dataset whose source
starts with ``inspect:``) maps back to an Inspect run through what that reader stores:

- the model: the configuration's model (``ConfigInfo.model``, Inspect's ``provider/model``) -> ``--model``;
- the temperature: ``ConfigInfo.temperature`` -> ``--temperature``;
- the other generation settings on which the logs differed (attributes ``top_p``, ``max_tokens``, ...: fields of
  Inspect's ``GenerateConfig``) -> ``--top-p``, ``--max-tokens``, ... (the field name with ``-`` for ``_``);
- task arguments on which the logs differed (attributes ``task_<arg>``) -> ``-T <arg>=<value>``;
- the task: the configuration's ``task`` attribute, or the question id's ``<task>/`` prefix (logs of several
  tasks), else the ``task`` given by the caller (``--task FILE.py@NAME``; a single-task log does not record which
  file defines its task), with the caller's ``task_args`` (``-T``) as the original runs had them.

The solver plan is not a flag: a configuration that differs by its plan (attribute ``prompt``) is refused, as is a
dataset not read from Inspect logs. Requests of one configuration asking the same number of samples r share one
command: ``inspect eval TASK --model M [--temperature T ...] --epochs r --sample-id id1,id2,...`` (flags of
inspect_ai 0.3.285, ``inspect eval --help``). ``--sample-shuffle false`` is written too: that release's command
line treats an absent ``--sample-shuffle`` as given (Click 8.4 reports its source otherwise) and then refuses
``--sample-id`` ("You cannot specify both sample_id and sample_shuffle"); ``false`` is the documented "no shuffle".
Importing the new logs together with the old ones (``osca import OLD NEW --name X --replace``) adds the epochs as
samples of the same cells.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence

from osca_core.errors import InputError
from osca_core.model.outcomes import ConfigInfo

SOURCE_PREFIX = "inspect:"
_NOT_FLAGS = {"model", "prompt", "prompt_text", "task", "temperature"}


def is_inspect_source(source: str) -> bool:
    return source.startswith(SOURCE_PREFIX)


def _task_of(cfg: ConfigInfo, qid: str, task: str | None, tasks: Sequence[str]) -> tuple[str, str]:
    own = cfg.attrs.get("task")
    for t in ([str(own)] if own else []) + list(tasks):
        if qid.startswith(f"{t}/"):
            return (task or t) if not own else str(own), qid[len(t) + 1:]
    if own:
        return str(own), qid
    if task is None:
        raise InputError(f"--format inspect: the dataset does not record the Inspect task of {cfg.name!r}; "
                         "give it with --task FILE.py@NAME")
    return task, qid


def inspect_commands(dataset: str, source: str, configs: Sequence[ConfigInfo], requests: Sequence[tuple[str, str, int]],
                     *, question_ids: Sequence[str] = (), task: str | None = None,
                     task_args: Mapping[str, str] | None = None, log_dir: str | None = None) -> list[str]:
    """The shell commands (module docstring) for ``requests`` (config, question id, samples)."""
    if not is_inspect_source(source):
        raise InputError(f"--format inspect: dataset {dataset!r} was not imported from Inspect logs "
                         f"(source {source.split(':', 1)[0]!r}); use --json or the table")
    by_name = {k.name: k for k in configs}
    tasks = sorted({q.split("/", 1)[0] for q in question_ids if "/" in q}, key=len, reverse=True)
    groups: dict[tuple, list[str]] = {}
    for cfg_name, qid, r in requests:
        cfg = by_name[cfg_name]
        if "prompt" in cfg.attrs:
            raise InputError(f"--format inspect: configuration {cfg_name!r} differs by its solver plan (prompt "
                             f"{cfg.attrs['prompt']}), which no inspect eval flag sets")
        t, sid = _task_of(cfg, qid, task, tasks)
        groups.setdefault((cfg_name, t, int(r)), []).append(sid)
    out = []
    for (cfg_name, t, r), ids in groups.items():
        cfg = by_name[cfg_name]
        parts = ["inspect", "eval", t]
        for k, v in (task_args or {}).items():
            parts += ["-T", f"{k}={v}"]
        parts += ["--model", cfg.model]
        if cfg.temperature is not None:
            parts += ["--temperature", f"{cfg.temperature:g}"]
        for k, v in cfg.attrs.items():
            if k.startswith("task_"):
                parts += ["-T", f"{k.removeprefix('task_')}={v}"]
            elif k not in _NOT_FLAGS and v is not None:
                parts += [f"--{k.replace('_', '-')}", str(v)]
        parts += ["--epochs", str(r), "--sample-id", ",".join(ids), "--sample-shuffle", "false"]
        if log_dir:
            parts += ["--log-dir", log_dir]
        out.append(shlex.join(parts))
    return out
