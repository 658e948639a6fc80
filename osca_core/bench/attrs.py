"""``osca bench attrs``: question attributes built in linear time (issue 18).

The store keeps question attributes as rows (key_idx, key, q, value); loading a dataset turns them into one tuple
per attribute. The former builder called ``dict.setdefault(key, [None] * q)`` once per row, allocating a list of
Q entries per row: Q^2 work per attribute (about 4 s at 10^5 questions, minutes at 10^6).
:func:`osca_core.data.store.attrs_from_rows` allocates each attribute's list once. This benchmark times it on
generated rows for each size, beside the quadratic builder where that is still affordable (<= ``quadratic_max``
questions), and a full store round trip (save + load_matrix) of a dataset with one question attribute.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from functools import partial

import numpy as np

from osca_core.bench.timing import timed
from osca_core.data.store import Store, attrs_from_rows
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix


@dataclass(frozen=True)
class AttrsBench:
    questions: int
    build_seconds: float
    quadratic_seconds: float | None  # the former builder, when measured
    load_seconds: float  # Store.load_matrix of a dataset with this many questions and one attribute
    same_result: bool

    def as_dict(self) -> dict:
        return asdict(self)


def _quadratic(rows, q: int) -> dict[str, tuple]:
    """The former builder (kept only to measure it)."""
    out: dict[str, list] = {}
    for _, key, qi, value in rows:
        out.setdefault(key, [None] * q)[qi] = json.loads(value)
    return {k: tuple(v) for k, v in out.items()}


def bench_attrs(sizes=(10**3, 10**4, 10**5), *, quadratic_max: int = 10**4) -> list[AttrsBench]:
    out = []
    for q in sizes:
        rows = [(0, "difficulty", i, json.dumps(f"level-{i % 7}")) for i in range(q)]
        build, fast = timed(partial(attrs_from_rows, rows, q))
        quad, same = None, True
        if q <= quadratic_max:
            quad, slow = timed(partial(_quadratic, rows, q))
            same = slow == fast
        m = OutcomeMatrix(name="bench", question_ids=tuple(f"q{i}" for i in range(q)),
                          configs=(ConfigInfo("a", "a", None, ""),), n=np.ones((q, 1), np.int64),
                          c=np.zeros((q, 1), np.int64), train=np.ones(q, bool), test=np.ones(q, bool),
                          question_attrs={"difficulty": fast["difficulty"]})
        with tempfile.TemporaryDirectory(prefix="osca-bench-attrs-") as tmp:
            st = Store.open(tmp)
            st.save_matrix(m)
            load, got = timed(partial(st.load_matrix, "bench"))
        same = same and got.question_attrs["difficulty"] == fast["difficulty"]
        out.append(AttrsBench(q, build, quad, load, same))
    return out
