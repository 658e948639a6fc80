"""Questions under an allocation: the per-question pass@C of an allocation, the lists "solved only by the mix",
"never solved" and "solved by a single configuration", the drill-down on one question, and the A-vs-B comparison
of two configurations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from osca_core.errors import InputError
from osca_core.model.estimators import fail_probability
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import Allocation, allocation_text
from osca_core.present.views.questions import split_labels
from osca_core.strategies.uniform import uniform_expected

SOLVED_TOL = 1e-9


def per_question_pass(matrix: OutcomeMatrix, counts: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Per question, pass@C of the allocation ``counts``: 1 - prod_s fail(n_qs, c_qs, k_s) with the unbiased
    estimator (plug-in where k_s > n_qs, flagged in the second array). Averaging the first array over the test
    questions gives exactly the allocation's ``test_pass``."""
    k = np.asarray(counts, dtype=np.int64)
    sup = np.flatnonzero(k > 0)
    if sup.size == 0:
        z = np.zeros(len(matrix.question_ids))
        return z, z.astype(bool)
    f, over = fail_probability(matrix.n[:, sup], matrix.c[:, sup], k[sup][None, :])
    return 1.0 - np.prod(f, axis=1), over.any(axis=1)


@dataclass(frozen=True)
class QuestionLists:
    """Questions by who solves them.

    ``only_mix``: the mix's pass@C >= ``threshold`` while the best-pure allocation's pass@C < ``threshold`` (same
    budget; compared with a 1e-9 tolerance, so a probability of exactly 1/2 counts as reaching 1/2);
    ``never_solved``: no configuration has a correct sample; ``single``: exactly one configuration has a correct
    sample ({question: configuration}).
    """

    only_mix: tuple[str, ...]
    never_solved: tuple[str, ...]
    single: dict[str, str]
    threshold: float


def question_lists(matrix: OutcomeMatrix, mix: Allocation, pure: Allocation, *,
                   threshold: float = 0.5, keep: np.ndarray | None = None) -> QuestionLists:
    """The three lists of :class:`QuestionLists` for one budget (``mix`` and ``pure`` at the same budget), over
    the questions of the boolean mask ``keep`` (None: all; the Questions page passes its question set's mask,
    ``views.question_set_mask``)."""
    if mix.budget != pure.budget:
        raise InputError("compare the mix and best pure at the same budget")
    pm, _ = per_question_pass(matrix, mix.counts)
    pp, _ = per_question_pass(matrix, pure.counts)
    ids = np.asarray(matrix.question_ids, dtype=object)
    solved = matrix.c > 0
    nsolv = solved.sum(axis=1)
    k = np.ones(len(ids), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    single = {str(ids[q]): matrix.config_names[int(np.argmax(solved[q]))] for q in np.flatnonzero((nsolv == 1) & k)}
    return QuestionLists(
        only_mix=tuple(ids[(pm >= threshold - SOLVED_TOL) & (pp < threshold - SOLVED_TOL) & k]),
        never_solved=tuple(ids[(nsolv == 0) & k]),
        single=single,
        threshold=threshold,
    )


def question_detail(matrix: OutcomeMatrix, question: str, budget: int,
                    allocations: Mapping[str, Allocation]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drill-down on one question at budget C.

    Returns (per configuration: n, c, c/n and pure pass@C; per strategy: pass@C of its allocation on this question,
    extrapolated flag and the allocation). The uniform mix is added exactly (expected pass@C, no allocation).
    """
    try:
        q = matrix.question_ids.index(question)
    except ValueError:
        raise InputError(f"unknown question {question!r} in dataset {matrix.name!r}") from None
    n, c = matrix.n[q], matrix.c[q]
    f, over = fail_probability(n, c, np.full(n.shape, budget))
    per_cfg = pd.DataFrame({
        "configuration": list(matrix.config_names), "n": n, "c": c, "pass_rate": c / n,
        f"pure_pass@{budget}": 1.0 - f, "extrapolated": over,
    })
    rows = []
    for name, a in allocations.items():
        if a.budget != budget:
            raise InputError(f"allocation {name!r} is for budget {a.budget}, not {budget}")
        k = np.asarray(a.counts)
        ff, oo = fail_probability(n, c, k)
        rows.append({"strategy": name, "pass": float(1.0 - np.prod(ff)), "extrapolated": bool(oo[k > 0].any()),
                     "allocation": allocation_text(a.allocation)})
    uv, ue = uniform_expected(n[None, :], c[None, :], [budget])
    rows.append({"strategy": "uniform", "pass": float(uv[0]), "extrapolated": bool(ue[0]),
                 "allocation": "each sample from a configuration drawn uniformly (expected value)"})
    return per_cfg, pd.DataFrame(rows)


@dataclass(frozen=True)
class Comparison:
    """Configuration A against B, question by question (plug-in pass rates; "solved" = at least one correct)."""

    a: str
    b: str
    frame: pd.DataFrame  # index question: rate_a, rate_b, diff (a - b), split
    both: int
    only_a: int
    only_b: int
    neither: int
    mean_a: float
    mean_b: float


class _Rows:
    """The rows of a matrix that :func:`compare_configs` reads (a question subset may lack a train or test part,
    which an :class:`OutcomeMatrix` refuses)."""

    def __init__(self, m: OutcomeMatrix, keep: np.ndarray) -> None:
        self.n, self.c, self.train, self.test = m.n[keep], m.c[keep], m.train[keep], m.test[keep]
        self.question_ids = tuple(q for q, x in zip(m.question_ids, keep, strict=True) if x)
        self.config_index = m.config_index


def _rows(m: OutcomeMatrix, keep: np.ndarray):
    return _Rows(m, keep)


def compare_configs(matrix: OutcomeMatrix, a: str, b: str, *, keep: np.ndarray | None = None) -> Comparison:
    """A-vs-B comparison of two configurations over the questions of ``matrix`` in the mask ``keep`` (None: all)."""
    if keep is not None:
        k = np.asarray(keep, dtype=bool)
        matrix = matrix.select_questions(k) if k.all() else _rows(matrix, k)
    ia, ib = matrix.config_index([a, b])
    ra = matrix.c[:, ia] / matrix.n[:, ia]
    rb = matrix.c[:, ib] / matrix.n[:, ib]
    sa, sb = matrix.c[:, ia] > 0, matrix.c[:, ib] > 0
    frame = pd.DataFrame({"rate_a": ra, "rate_b": rb, "diff": ra - rb, "split": split_labels(matrix)},
                         index=pd.Index(matrix.question_ids, name="question"))
    return Comparison(a, b, frame, int((sa & sb).sum()), int((sa & ~sb).sum()), int((~sa & sb).sum()),
                      int((~sa & ~sb).sum()), float(ra.mean()), float(rb.mean()))
