"""The registry of log formats: each format is a name, a detector and a reader (one module per format).

A reader turns a framework's files into per-sample rows in the studio's long layout, an Arrow table with
``question_id, config, correct, sample_idx`` (+ ``model, temperature, variant, tokens, cost`` and configuration
attributes), returned as :class:`Rows`; :mod:`osca_core.data.importers` hands them to the long-file reader
(:func:`osca_core.data.store.read_long`), so that validation and aggregation happen in one place. The release layout
(``osca``) and long files (``long``) are read as they are (``Rows.matrix`` / ``Rows.files``).

Formats, in the order auto-detection tries them: ``osca`` (the paper's release layout), ``inspect`` (Inspect AI
``.eval``/``.json`` logs), ``swebench`` (SWE-bench harness reports), ``evalplus`` (EvalPlus / BigCodeBench
``eval_results.json``), ``lm-eval`` (lm-evaluation-harness ``samples_<task>_<date>.jsonl``), ``lcb``
(LiveCodeBench ``*_eval_all.json``), ``long`` (CSV, Parquet, JSON lines: anything else that parses).

A fifth framework is one new module defining ``FORMAT = Format(...)`` and one line in ``_MODULES``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from osca_core.errors import InputError

HEAD_BYTES = 1 << 16
PARTIAL_CHOICES = ("correct", "incorrect")
VERIFIERS = ("plus", "base")


@dataclass(frozen=True, kw_only=True)
class ReadOptions:
    """What the user may tell a reader (``osca import`` flags). Each format names the options it accepts.

    - ``config``: configuration names, comma-separated, one per file (or one for all files of one configuration);
    - ``scorer``: the Inspect scorer whose value is correctness (needed when a log has several);
    - ``partial``: ``correct`` | ``incorrect``: how partial credit (Inspect ``P``, fractions) counts (default: refused);
    - ``price``: model -> US dollars per million tokens (cost = tokens x price / 1e6);
    - ``metric`` / ``filter``: the lm-evaluation-harness metric (0/1 per document) and filter to read;
    - ``verifier``: ``plus`` (EvalPlus base and plus tests pass, the default) or ``base``.
    """

    config: str | None = None
    scorer: str | None = None
    partial: str | None = None
    price: Mapping[str, float] | None = None
    metric: str | None = None
    filter: str | None = None
    verifier: str | None = None

    def __post_init__(self) -> None:
        if self.partial is not None and self.partial not in PARTIAL_CHOICES:
            raise InputError(f"--partial: use correct or incorrect (got {self.partial!r})")
        if self.verifier is not None and self.verifier not in VERIFIERS:
            raise InputError(f"--verifier: use plus or base (got {self.verifier!r})")
        for model, usd in (self.price or {}).items():
            if not isinstance(usd, int | float) or isinstance(usd, bool) or not usd >= 0 or usd == float("inf"):
                raise InputError(f"--price: {model}: US dollars per million tokens must be a number >= 0 (got {usd!r})")

    def given(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def parse_price(specs: Sequence[str]) -> dict[str, float]:
    """``["MODEL=USD_PER_MTOK", ...]`` (the repeatable ``--price`` flag) as a dict."""
    out: dict[str, float] = {}
    for spec in specs:
        model, eq, usd = spec.rpartition("=")
        try:
            value = float(usd)
        except ValueError:
            value = None
        if not eq or not model.strip() or value is None:
            raise InputError(f"--price: expected MODEL=USD_PER_MILLION_TOKENS (got {spec!r})")
        out[model.strip()] = value
    ReadOptions(price=out)
    return out


@dataclass(frozen=True)
class Rows:
    """What a reader gives back: per-sample rows (or, for ``osca``/``long``, the release or the files as they are).

    ``tables``: (long-layout Arrow table, file it came from) pairs, see the module docstring; ``question_attrs``:
    question id -> attributes; ``config_attrs``: configuration -> attributes beyond model/temperature/variant
    (top_p, task arguments, repeats, ...); ``missing``: samples a log announced but holds no score for (unscored,
    errored, an interrupted run); ``notes``: one-line remarks for the user (what was read, what was left out);
    ``axes``: the configuration attributes the logs differ in (``osca import`` prints them).
    """

    tables: list[tuple[pa.Table, str]] | None = None
    files: list[tuple[Path, str, str]] | None = None  # (path, reader kind, where) for the long reader
    release: tuple[object, str] | None = None  # (parsed JSON, where) of the release layout
    question_attrs: dict[str, dict[str, object]] = field(default_factory=dict)
    config_attrs: dict[str, dict[str, object]] = field(default_factory=dict)
    missing: int = 0
    notes: tuple[str, ...] = ()
    axes: tuple[str, ...] = ()  # what the configurations differ in (model, temperature, prompt, top_p, ...)

    @property
    def table(self) -> pa.Table:
        """All rows in one table (for tests and inspection)."""
        return pa.concat_tables([t for t, _ in self.tables], promote_options="permissive")


@dataclass(frozen=True)
class Format:
    """One log format: ``detect(path, head, where)`` says whether a file is of this format (``head`` = its first
    64 KiB); ``read(files, options)`` reads (path, where) pairs into :class:`Rows`."""

    name: str
    title: str
    detect: Callable[[Path, bytes, str], bool]
    read: Callable[[list[tuple[Path, str]], ReadOptions], Rows]
    options: frozenset[str] = frozenset()
    companion: Callable[[Path], bool] | None = None  # files read alongside others, skipped in folders


_MODULES = ("osca", "inspect", "swebench", "evalplus", "lmeval", "lcb", "long")
_REGISTRY: dict[str, Format] = {}


def registry() -> dict[str, Format]:
    """Every format by name, in detection order."""
    if not _REGISTRY:
        for mod in _MODULES:
            fmt = importlib.import_module(f"osca_core.data.formats.{mod}").FORMAT
            _REGISTRY[fmt.name] = fmt
    return _REGISTRY


def names() -> tuple[str, ...]:
    return tuple(registry())


def get(name: str) -> Format:
    reg = registry()
    if name not in reg:
        raise InputError(f"--format: unknown format {name!r} (use {', '.join(reg)})")
    return reg[name]


def head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(HEAD_BYTES)


# the keys each framework's files hold (top level, or per record), the required ones first: what an unknown JSON
# object is compared with to say which format it most resembles and which key it lacks
SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "osca": (("settings", "train", "test"), ("training_instances", "testing_instances")),
    "inspect": (("version", "status", "eval"), ("plan", "results", "stats", "samples", "reductions", "error")),
    "swebench": (("submitted_ids", "resolved_ids"), ("unresolved_ids", "error_ids", "empty_patch_ids",
                                                     "completed_ids", "incomplete_ids", "schema_version",
                                                     "total_instances", "resolved", "no_generation", "no_logs")),
    "evalplus": (("eval",), ("date", "hash", "task_id", "base_status", "plus_status", "solution")),
    "lm-eval": (("results", "configs"), ("versions", "n-shot", "config", "higher_is_better", "model_name",
                                         "doc_id", "resps", "filtered_resps", "target")),
    "lcb": (("question_id", "graded_list"), ("code_list", "difficulty", "platform", "contest_date")),
}


def resemblance(keys: Sequence[str]) -> tuple[str, str] | None:
    """(format, first required key missing) of the framework format whose keys ``keys`` shares most (at least
    two, or one required key), else None."""
    have = set(keys)
    best = None
    for name, (required, other) in SIGNATURES.items():
        score = 2 * len(have & set(required)) + len(have & set(other))
        missing = [k for k in required if k not in have]
        if missing and score >= 2 and (best is None or score > best[0]):
            best = (score, name, missing[0])
    return None if best is None else (best[1], best[2])


def _one_object_keys(path: Path, h: bytes) -> list[str] | None:
    """The top-level keys of a file holding one JSON object with nested values (not JSON lines, not one flat
    row of a long file), else None."""
    text = h.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] != b"{":
        return None
    import json

    first = text.split(b"\n", 1)[0]
    try:
        obj = json.loads(first)
        if isinstance(obj, dict) and text[len(first):].strip():
            return None  # JSON lines
    except (ValueError, RecursionError):
        if path.stat().st_size > (64 << 20):
            return None
        try:
            obj = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (ValueError, RecursionError):
            return None
    if not isinstance(obj, dict) or all(not isinstance(v, dict | list) for v in obj.values()):
        return None  # flat: one row of a long file
    return [str(k) for k in obj]


def detect(path: Path, where: str) -> str:
    """The format of one file (the first whose detector accepts it); an empty or unknown file is refused naming
    the formats tried. A file holding one JSON object that no framework's reader accepts is refused naming the
    format it most resembles and the key it lacks (a long file's one row is flat; framework files nest)."""
    h = head(path)
    if not h.strip():
        raise InputError(f"{where}: empty file (no questions)")
    for fmt in registry().values():
        if fmt.name == "long":
            keys = _one_object_keys(path, h)
            if keys is not None:
                near = resemblance(keys)
                if near is not None:
                    raise InputError(f"{where}: unknown format: looks most like {near[0]} "
                                     f"({registry()[near[0]].title}) but has no key {near[1]!r}")
                raise InputError(f"{where}: unknown format: one JSON object with keys "
                                 f"{', '.join(keys[:6]) or 'none'}{', ...' if len(keys) > 6 else ''}, not the layout "
                                 f"of any format the studio reads ({', '.join(registry())})")
        if fmt.detect(path, h, where):
            return fmt.name
    raise InputError(f"{where}: not a log format the studio reads (tried {', '.join(registry())})")


def check_options(fmt: Format, options: ReadOptions) -> None:
    """Refuse an option the format does not take (``--metric`` on an Inspect log, ...)."""
    for key in options.given():
        if key not in fmt.options:
            takes = [f.name for f in registry().values() if key in f.options]
            raise InputError(f"--{key}: applies to {', '.join(takes) or 'no'} logs, not {fmt.name}")


def config_names(option: str | None, files: list[tuple[Path, str]], default: list[str]) -> list[str]:
    """One configuration name per file: ``--config A,B,...`` (one per file, or one for every file) else the
    readers' defaults."""
    if option is None:
        return default
    names_ = [x.strip() for x in option.split(",")]
    if not all(names_) or len(names_) not in (1, len(files)):
        raise InputError(f"--config: give one configuration name per file ({len(files)} files, got {option!r})")
    return names_ * len(files) if len(names_) == 1 else names_


def distinct_config_names(option: str | None, files: list[tuple[Path, str]], default: list[str]) -> list[str]:
    """:func:`config_names` for readers where each file is its own configuration: a name given to two files is
    refused at the second, naming the first."""
    names_ = config_names(option, files, default)
    first: dict[str, str] = {}
    for (_, where), name in zip(files, names_, strict=True):
        if name in first:
            raise InputError(f"{where}: configuration name {name!r} is also used by {first[name]}; name them with "
                             f"--config A,B,...")
        first[name] = where
    return names_


def folder_name(path: Path, where: str) -> str:
    """A file's parent folder name (a configuration's default name), else its stem."""
    return path.resolve().parent.name or re.sub(r"\.[^.]*$", "", Path(where).name) or "config"


def long_table(question_id: Sequence[str], config: Sequence[str], correct: Sequence[bool],
               sample_idx: Sequence[int], **columns: Sequence) -> pa.Table:
    """Per-sample rows as an Arrow table (dictionary-encoded ids; a column of only None is left out)."""
    cols = {"question_id": pa.array(list(question_id), pa.string()).dictionary_encode(),
            "config": pa.array(list(config), pa.string()).dictionary_encode(),
            "sample_idx": pa.array(list(sample_idx), pa.int64()), "correct": pa.array(list(correct), pa.bool_())}
    for key, vals in columns.items():
        vals = list(vals)
        if any(v is not None for v in vals):
            cols[key] = pa.array(vals)
    return pa.table(cols)


def number_samples(keys: Sequence[tuple[str, str]]) -> list[int]:
    """0, 1, 2, ... within each (question, configuration), in row order."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for k in keys:
        out.append(seen.get(k, 0))
        seen[k] = out[-1] + 1
    return out


def plain(v) -> object:
    """A configuration attribute as a plain scalar (lists and objects as canonical JSON text)."""
    import json

    if v is None or isinstance(v, bool | int | float | str):
        return v
    return json.dumps(v, sort_keys=True, default=str)
