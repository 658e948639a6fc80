"""The outcome matrix: what a generation log says, per question and sampling configuration.

An :class:`OutcomeMatrix` holds, for Q questions x S configurations, the number of samples drawn ``n`` and the
number judged correct ``c`` (0 <= c <= n), the question ids, the configuration names with their attributes
(model, temperature, variant, cost per sample, and any other attribute a log gives per configuration) and the
release split (which questions are training questions, which are test questions; a question may be both, as in the
SWE-bench release whose curves are in-sample).

Missing cells. A log in which not every configuration ran on every question is *ragged*: a missing
(question, configuration) cell has n = 0 (and c = 0), never an invented count; ``missing`` is the mask and
``missing_cells`` the count. Code that computes pass rates needs a complete matrix, so ``train_counts``,
``test_counts`` and ``train_rates`` raise ``ValueError`` on a ragged one: every analysis first makes it complete
with :func:`osca_core.model.missing.apply_missing` (drop the questions, or impute the configuration's prior mean; imputed
cells are flagged in ``imputed``).

This module is the one validator of question ids (non-empty text that is not only whitespace): every importer
builds its matrix here, and a refusal names ``where`` (the file) when the caller gives it. The matrix is a frozen
dataclass: derive variants with ``dataclasses.replace(m, ...)``, which runs the same validation.

It also holds the loader for the OSCA release layout (Zhang et al. 2024, arXiv 2410.22480; files published at
github.com/LeiLiLab/OSCA): ``settings`` [{name, runs}], ``training_instances``, ``testing_instances``, and
``train`` / ``test`` objects keyed by configuration index, each a list of correct counts per question.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from osca_core.errors import InputError

_NAME_RE = re.compile(r"^(?P<model>.+?)_(?P<temp>\d+(?:\.\d+)?)(?:_(?P<variant>.+))?$")
_MAX_COUNT = 2**63 - 1  # counts are stored as 64-bit integers
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class ConfigInfo:
    """One sampling configuration: name plus the attributes a researcher filters on.

    ``attrs`` holds any further attribute a log gives per configuration (provider, top_p, ...), as plain JSON
    values keyed by column name; it does not take part in hashing.
    """

    name: str
    model: str
    temperature: float | None
    variant: str
    cost: float = 1.0
    attrs: Mapping[str, object] = field(default_factory=dict, hash=False)


def parse_config_name(name: str) -> ConfigInfo:
    """Parse an OSCA-style name ``<model>_<temperature>[_<variant>]``.

    ``gpt4o_0.8_2-3`` -> model ``gpt4o``, temperature 0.8, variant ``2-3``. A name that does not follow the
    pattern keeps the whole name as model, no temperature and an empty variant.
    """
    m = _NAME_RE.match(name)
    if not m:
        return ConfigInfo(name=name, model=name, temperature=None, variant="")
    return ConfigInfo(name=name, model=m["model"], temperature=float(m["temp"]), variant=m["variant"] or "")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class OutcomeMatrix:
    """Questions x configurations with samples drawn ``n`` and correct ``c``.

    ``train`` and ``test`` are boolean masks over questions. ``in_sample`` is true when they select the same
    questions (every number is then a training number; the CLI and the app say so). A cell with n = 0 is missing
    (see the module docstring). ``imputed`` (Q, S) flags cells whose counts stand for a prior mean rather than
    samples (set by ``apply_missing(policy="prior")``). ``column_roles`` (column -> role) and ``cost_column`` record
    how a long file's columns were read (empty for other sources). ``where`` names the file in refusals.
    """

    name: str
    question_ids: tuple[str, ...]
    configs: tuple[ConfigInfo, ...]
    n: np.ndarray  # (Q, S) int64
    c: np.ndarray  # (Q, S) int64
    train: np.ndarray  # (Q,) bool
    test: np.ndarray  # (Q,) bool
    source: str = ""
    synthetic: bool = False
    checksum: str = ""
    question_attrs: Mapping[str, tuple] = field(default_factory=dict)
    imputed: np.ndarray | None = None  # (Q, S) bool; None = nothing imputed
    column_roles: Mapping[str, str] = field(default_factory=dict)
    cost_column: str = ""
    where: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        w = self.where or self.name
        q, s = len(self.question_ids), len(self.configs)
        n = np.asarray(self.n, dtype=np.int64)
        c = np.asarray(self.c, dtype=np.int64)
        if n.shape != (q, s) or c.shape != (q, s):
            raise InputError(f"{w}: counts have shape {n.shape}/{c.shape}, expected ({q}, {s})")
        if q == 0:
            raise InputError(f"{w}: no questions")
        if s == 0:
            raise InputError(f"{w}: no configurations")
        _check_question_ids(self.question_ids, w)
        if (n < 0).any():
            raise InputError(f"{w}: samples drawn n must be >= 0 (0 marks a missing cell)")
        if ((c < 0) | (c > n)).any():
            raise InputError(f"{w}: correct counts must lie in 0..n")
        names = [k.name for k in self.configs]
        if len(set(names)) != s:
            raise InputError(f"{w}: duplicate configuration names")
        train = np.asarray(self.train, dtype=bool)
        test = np.asarray(self.test, dtype=bool)
        if train.shape != (q,) or test.shape != (q,):
            raise InputError(f"{w}: split masks have shape {train.shape}/{test.shape}, expected ({q},)")
        if not train.any() or not test.any():
            raise InputError(f"{w}: the split needs at least one training and one test question")
        imp = np.zeros((q, s), dtype=bool) if self.imputed is None else np.asarray(self.imputed, dtype=bool)
        if imp.shape != (q, s):
            raise InputError(f"{w}: imputed mask has shape {imp.shape}, expected ({q}, {s})")
        for key, col in self.question_attrs.items():
            if len(col) != q:
                raise InputError(f"{w}: attribute {key!r} has {len(col)} values for {q} questions")
        object.__setattr__(self, "n", _frozen(n))
        object.__setattr__(self, "c", _frozen(c))
        object.__setattr__(self, "train", _frozen(train))
        object.__setattr__(self, "test", _frozen(test))
        object.__setattr__(self, "imputed", _frozen(imp))
        if not self.checksum:
            object.__setattr__(self, "checksum", self.content_checksum())

    # -- shape and names -------------------------------------------------------------------------------------
    @property
    def config_names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.configs)

    @property
    def costs(self) -> np.ndarray:
        return np.array([k.cost for k in self.configs], dtype=float)

    @property
    def shape(self) -> tuple[int, int]:
        return self.n.shape  # type: ignore[return-value]

    @property
    def missing(self) -> np.ndarray:
        """(Q, S) bool: cells with no samples (n = 0)."""
        return self.n == 0

    @property
    def missing_cells(self) -> int:
        return int(np.count_nonzero(self.n == 0))

    @property
    def ragged(self) -> bool:
        """True when some cell is missing: make the matrix complete with ``apply_missing`` before analysing it."""
        return bool((self.n == 0).any())

    def require_complete(self, what: str = "this analysis") -> None:
        """Raise ``ValueError`` on a ragged matrix (a programmer's mistake: apply_missing was not called)."""
        if self.ragged:
            raise ValueError(f"{self.name}: {self.missing_cells} missing cells; {what} needs a complete matrix "
                             f"(call osca_core.model.missing.apply_missing first)")

    @property
    def in_sample(self) -> bool:
        """True when training and test questions are the same (numbers are then in-sample)."""
        return bool(np.array_equal(self.train, self.test))

    @property
    def split_label(self) -> str:
        if self.in_sample:
            return "in-sample"
        return f"{int(self.train.sum())} train / {int(self.test.sum())} test"

    def config_index(self, names: Sequence[str]) -> list[int]:
        """Column indices of ``names``; unknown names raise :class:`InputError` naming them."""
        lookup = {k.name: i for i, k in enumerate(self.configs)}
        unknown = [x for x in names if x not in lookup]
        if unknown:
            raise InputError(
                f"unknown configuration {unknown[0]!r} in dataset {self.name!r} "
                f"(known: {', '.join(self.config_names)})"
            )
        return [lookup[x] for x in names]

    def select_configs(self, names: Sequence[str]) -> OutcomeMatrix:
        """The same data restricted to configurations ``names`` (in that order)."""
        idx = self.config_index(list(names))
        if not idx:
            raise InputError(f"{self.name}: select at least one configuration")
        return dataclasses.replace(self, configs=tuple(self.configs[i] for i in idx), n=self.n[:, idx],
                                   c=self.c[:, idx], imputed=self.imputed[:, idx])

    def select_questions(self, keep: np.ndarray) -> OutcomeMatrix:
        """The same data restricted to the questions where the boolean mask ``keep`` (Q,) is true."""
        keep = np.asarray(keep, dtype=bool)
        ids = tuple(q for q, k in zip(self.question_ids, keep, strict=True) if k)
        attrs = {key: tuple(v for v, k in zip(col, keep, strict=True) if k) for key, col in self.question_attrs.items()}
        return dataclasses.replace(self, question_ids=ids, n=self.n[keep], c=self.c[keep], train=self.train[keep],
                                   test=self.test[keep], imputed=self.imputed[keep], question_attrs=attrs)

    def with_split(self, train: np.ndarray, test: np.ndarray) -> OutcomeMatrix:
        """The same counts with another train/test split (used by random-split experiments)."""
        return dataclasses.replace(self, train=train, test=test)

    def with_counts(self, n: np.ndarray, c: np.ndarray) -> OutcomeMatrix:
        return dataclasses.replace(self, n=n, c=c)

    def with_costs(self, costs: Mapping[str, float]) -> OutcomeMatrix:
        self.config_index(list(costs))
        configs = tuple(dataclasses.replace(k, cost=float(costs.get(k.name, k.cost))) for k in self.configs)
        return dataclasses.replace(self, configs=configs)

    # -- parts -----------------------------------------------------------------------------------------------
    def train_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(n, c) restricted to training questions; ``ValueError`` on a ragged matrix."""
        self.require_complete("train_counts")
        return self.n[self.train], self.c[self.train]

    def test_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(n, c) restricted to test questions; ``ValueError`` on a ragged matrix."""
        self.require_complete("test_counts")
        return self.n[self.test], self.c[self.test]

    def train_rates(self) -> np.ndarray:
        """Plug-in pass rates c/n on training questions, shape (Q_train, S); ``ValueError`` on a ragged matrix."""
        n, c = self.train_counts()
        return c / n

    def content_checksum(self) -> str:
        """SHA-256 of question ids, configuration names, n, c and the split: the same for the same data, however
        it was stored (a long file's export re-imported gives the same content checksum)."""
        h = hashlib.sha256()
        h.update("\x1f".join(self.question_ids).encode())
        h.update("\x1e".join(self.config_names).encode())
        for a in (self.n, self.c, self.train, self.test):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()


def _check_question_ids(ids: Sequence[str], where: str) -> None:
    """The one rule for question ids: text, not empty or only whitespace, unique."""
    for i, qid in enumerate(ids):
        if not isinstance(qid, str):
            raise InputError(f"{where}: question_id of question {i + 1} is not text ({qid!r})")
        if not qid.strip():
            raise InputError(f"{where}: question_id of question {i + 1} is blank ({qid!r})")
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(x for x in ids if x in seen or seen.add(x))
        raise InputError(f"{where}: duplicate question id {dup!r}")


# -- the release layout --------------------------------------------------------------------------------------

def _need(obj: Mapping, key: str, kind: type | tuple, where: str):
    if key not in obj:
        raise InputError(f"{where}: missing field {key!r}")
    val = obj[key]
    if not isinstance(val, kind) or isinstance(val, bool):
        raise InputError(f"{where}: field {key!r} has the wrong type ({type(val).__name__})")
    return val


def release_from_dict(data: object, *, name: str, where: str, source: str = "osca-release") -> OutcomeMatrix:
    """Build an :class:`OutcomeMatrix` from the parsed release JSON (layout in the module docstring).

    Every inconsistency raises :class:`InputError` naming ``where`` and the offending field.
    """
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a JSON object with fields settings, training_instances, ...")
    settings = _need(data, "settings", list, where)
    if not settings:
        raise InputError(f"{where}: field 'settings' is empty")
    names, runs = [], []
    for i, st in enumerate(settings):
        w = f"{where}: settings[{i}]"
        if not isinstance(st, dict):
            raise InputError(f"{w} is not an object")
        nm = _need(st, "name", str, w)
        r = _need(st, "runs", int, w)
        if r <= 0:
            raise InputError(f"{w}: field 'runs' must be > 0 (got {r})")
        if r > _MAX_COUNT:
            raise InputError(f"{w}: field 'runs' is too large (got {r}; at most {_MAX_COUNT})")
        names.append(nm)
        runs.append(r)
    dup = sorted({x for x in names if names.count(x) > 1})
    if dup:
        raise InputError(f"{where}: settings: duplicate configuration name {dup[0]!r}")
    parts = {}
    for split, key in (("train", "training_instances"), ("test", "testing_instances")):
        ids = _need(data, key, list, where)
        for j, q in enumerate(ids):
            if not isinstance(q, str | int) or isinstance(q, bool):
                raise InputError(f"{where}: {key}[{j}] is not a question id")
        ids = [str(q) for q in ids]
        if len(set(ids)) != len(ids):
            d = next(x for x in ids if ids.count(x) > 1)
            raise InputError(f"{where}: {key}: duplicate question id {d!r}")
        counts = _need(data, split, dict, where)
        extra = sorted(set(counts) - {str(i) for i in range(len(names))})
        if extra:
            raise InputError(f"{where}: {split}: counts for unknown configuration index {extra[0]!r}")
        mat = np.zeros((len(ids), len(names)), dtype=np.int64)
        for s in range(len(names)):
            col = counts.get(str(s))
            w = f"{where}: {split}[{str(s)!r}] ({names[s]})"
            if col is None:
                raise InputError(f"{where}: {split}: configuration {s} ({names[s]}) has no counts")
            if not isinstance(col, list) or len(col) != len(ids):
                raise InputError(f"{w}: expected a list of {len(ids)} counts")
            for j, v in enumerate(col):
                if not isinstance(v, int) or isinstance(v, bool):
                    raise InputError(f"{w}[{j}]: count is not an integer ({v!r})")
                if v < 0 or v > runs[s]:
                    raise InputError(f"{w}[{j}]: count {v} outside 0..{runs[s]}")
            mat[:, s] = col
        parts[split] = (ids, mat)
    tr_ids, tr = parts["train"]
    te_ids, te = parts["test"]
    if not tr_ids and not te_ids:
        raise InputError(f"{where}: no questions")
    if not tr_ids or not te_ids:
        raise InputError(f"{where}: {'training' if not tr_ids else 'testing'}_instances is empty")
    order: dict[str, int] = {}
    rows: list[np.ndarray] = []
    for ids, mat in ((tr_ids, tr), (te_ids, te)):
        for j, q in enumerate(ids):
            if q in order:
                if not np.array_equal(rows[order[q]], mat[j]):
                    raise InputError(f"{where}: question {q!r} has different counts in train and test")
                continue
            order[q] = len(rows)
            rows.append(mat[j])
    qids = tuple(order)
    train_set, test_set = set(tr_ids), set(te_ids)
    c = np.vstack(rows)
    n = np.broadcast_to(np.asarray(runs, dtype=np.int64), c.shape).copy()
    configs = tuple(parse_config_name(x) for x in names)
    return OutcomeMatrix(
        name=name, question_ids=qids, configs=configs, n=n, c=c,
        train=np.array([q in train_set for q in qids]), test=np.array([q in test_set for q in qids]),
        source=source, where=where,
    )


class _DuplicateKey(Exception):
    pass


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return d


def parse_json(raw: bytes, where: str):
    """Parse JSON bytes. Not JSON, a key given twice in one object (JSON keeps the later one without a word: a
    task, a configuration's counts counted once, the other lost), nesting too deep for the parser, or a string holding a lone UTF-16 surrogate
    escape (not text: it cannot be stored or shown) raise :class:`InputError` naming ``where``."""
    try:
        data = json.loads(raw, object_pairs_hook=_unique_keys)
    except _DuplicateKey as e:
        raise InputError(f"{where}: key {e.args[0]!r} appears twice in one object (a duplicate entry: the later "
                         f"one would silently replace the earlier); give it once") from None
    except ValueError as e:  # JSONDecodeError, UnicodeDecodeError, an integer of more than 4300 digits
        raise InputError(f"{where}: not valid JSON ({e.__class__.__name__}: {str(e).splitlines()[0]})") from None
    except RecursionError:
        raise InputError(f"{where}: not valid JSON (nested too deeply)") from None
    if _SURROGATE.search(raw):  # rare: only then check that every string is real text
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, RecursionError):
            raise InputError(f"{where}: not valid JSON (a string holds a lone UTF-16 surrogate escape)") from None
    return data


def load_release(path: str | Path, *, name: str | None = None) -> OutcomeMatrix:
    """Load a release JSON file (the OSCA layout); errors name the file and the field."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file")
    raw = p.read_bytes()
    m = release_from_dict(parse_json(raw, str(p)), name=name or p.stem, where=str(p))
    return dataclasses.replace(m, checksum=hashlib.sha256(raw).hexdigest())
