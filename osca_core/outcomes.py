"""The outcome matrix: what a generation log says, per question and sampling configuration.

An :class:`OutcomeMatrix` holds, for Q questions x S configurations, the number of samples drawn ``n`` and the
number judged correct ``c`` (0 <= c <= n), the question ids, the configuration names with their attributes
(model, temperature, variant, cost per sample) and the release split (which questions are training questions,
which are test questions; a question may be both, as in the SWE-bench release whose curves are in-sample).

It also holds the loader for the OSCA release layout (Zhang et al. 2024, arXiv 2410.22480; files published at
github.com/LeiLiLab/OSCA): ``settings`` [{name, runs}], ``training_instances``, ``testing_instances``, and
``train`` / ``test`` objects keyed by configuration index, each a list of correct counts per question.
"""

from __future__ import annotations

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
    """One sampling configuration: name plus the attributes a researcher filters on."""

    name: str
    model: str
    temperature: float | None
    variant: str
    cost: float = 1.0


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
    questions (every number is then a training number; the CLI and the app say so).
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

    def __post_init__(self) -> None:
        q, s = len(self.question_ids), len(self.configs)
        n = np.asarray(self.n, dtype=np.int64)
        c = np.asarray(self.c, dtype=np.int64)
        if n.shape != (q, s) or c.shape != (q, s):
            raise InputError(f"{self.name}: counts have shape {n.shape}/{c.shape}, expected ({q}, {s})")
        if q == 0:
            raise InputError(f"{self.name}: no questions")
        if s == 0:
            raise InputError(f"{self.name}: no configurations")
        if (n <= 0).any():
            raise InputError(f"{self.name}: samples drawn n must be > 0")
        if ((c < 0) | (c > n)).any():
            raise InputError(f"{self.name}: correct counts must lie in 0..n")
        if len(set(self.question_ids)) != q:
            raise InputError(f"{self.name}: duplicate question ids")
        names = [k.name for k in self.configs]
        if len(set(names)) != s:
            raise InputError(f"{self.name}: duplicate configuration names")
        train = np.asarray(self.train, dtype=bool)
        test = np.asarray(self.test, dtype=bool)
        if not train.any() or not test.any():
            raise InputError(f"{self.name}: the split needs at least one training and one test question")
        object.__setattr__(self, "n", _frozen(n))
        object.__setattr__(self, "c", _frozen(c))
        object.__setattr__(self, "train", _frozen(train))
        object.__setattr__(self, "test", _frozen(test))
        if not self.checksum:
            object.__setattr__(self, "checksum", self._content_checksum())

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
        return self._replace(configs=tuple(self.configs[i] for i in idx), n=self.n[:, idx], c=self.c[:, idx])

    def with_split(self, train: np.ndarray, test: np.ndarray) -> OutcomeMatrix:
        """The same counts with another train/test split (used by random-split experiments)."""
        return self._replace(train=train, test=test)

    def with_counts(self, n: np.ndarray, c: np.ndarray) -> OutcomeMatrix:
        return self._replace(n=n, c=c)

    def with_costs(self, costs: Mapping[str, float]) -> OutcomeMatrix:
        self.config_index(list(costs))
        configs = tuple(
            ConfigInfo(k.name, k.model, k.temperature, k.variant, float(costs.get(k.name, k.cost)))
            for k in self.configs
        )
        return self._replace(configs=configs)

    def _replace(self, **kw) -> OutcomeMatrix:
        fields = dict(
            name=self.name, question_ids=self.question_ids, configs=self.configs, n=self.n, c=self.c,
            train=self.train, test=self.test, source=self.source, synthetic=self.synthetic,
            checksum=self.checksum, question_attrs=self.question_attrs,
        )
        fields.update(kw)
        return OutcomeMatrix(**fields)

    # -- parts -----------------------------------------------------------------------------------------------
    def train_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(n, c) restricted to training questions."""
        return self.n[self.train], self.c[self.train]

    def test_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(n, c) restricted to test questions."""
        return self.n[self.test], self.c[self.test]

    def train_rates(self) -> np.ndarray:
        """Plug-in pass rates c/n on training questions, shape (Q_train, S)."""
        n, c = self.train_counts()
        return c / n

    def _content_checksum(self) -> str:
        h = hashlib.sha256()
        h.update("\x1f".join(self.question_ids).encode())
        h.update("\x1e".join(self.config_names).encode())
        for a in (self.n, self.c, self.train, self.test):
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()


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
        source=source,
    )


def parse_json(raw: bytes, where: str):
    """Parse JSON bytes. Not JSON, nesting too deep for the parser, or a string holding a lone UTF-16 surrogate
    escape (not text: it cannot be stored or shown) raise :class:`InputError` naming ``where``."""
    try:
        data = json.loads(raw)
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
    return m._replace(checksum=hashlib.sha256(raw).hexdigest())
