"""Missing cells: the policies that turn a ragged outcome matrix into a complete one, and per-configuration priors.

A ragged :class:`~osca_core.model.outcomes.OutcomeMatrix` holds n = 0 in the (question, configuration) cells a log does
not cover. Every analysis works on complete matrices, so each analysis entry point calls

    matrix, report = apply_missing(matrix, configs, policy="drop-questions" | "prior")

- ``drop-questions`` (the default): a question missing any selected configuration is left out; the report says
  how many, and which configurations cost the most questions (the number of questions each one misses).
- ``prior``: a missing cell's pass rate is its configuration's empirical-Bayes prior mean a / (a + b), the prior
  Beta(a, b) fitted by maximum marginal likelihood over the configuration's observed *training* cells
  (:func:`osca_core.model.smoothing.fit_beta_binomial`; Casella 1985). Counts are integers, so the rate is stored as
  c = round(mean * n) of n = max(IMPUTED_SAMPLES, the configuration's largest n) pseudo-samples (resolution
  1/n <= 0.001), and the cell is flagged in ``matrix.imputed``.

A complete matrix comes back unchanged (same object restricted to the selected configurations), so the numbers of
complete datasets do not move. :func:`config_priors` fits one Beta(a, b) per configuration over observed cells
(n = 0 cells carry no information), for the Beta-binomial estimator of budgets beyond n
(:func:`osca_core.model.estimators.fail_probability_bb`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.smoothing import fit_beta_binomial, fit_beta_binomial_merged

POLICIES = ("drop-questions", "prior")
IMPUTED_SAMPLES = 1000


@dataclass(frozen=True)
class MissingReport:
    """What :func:`apply_missing` did: ``missing_cells`` of the selection before, questions kept/dropped, cells
    imputed, and per configuration the number of questions it misses (``missing_by_config``, most first)."""

    policy: str
    missing_cells: int
    questions_before: int
    questions_kept: int
    questions_dropped: int
    cells_imputed: int
    missing_by_config: tuple[tuple[str, int], ...]

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["missing_by_config"] = {k: v for k, v in self.missing_by_config}
        return d

    def note(self) -> str:
        """One line for the CLI / dashboard ('' when nothing was missing)."""
        if not self.missing_cells:
            return ""
        worst = ", ".join(f"{k} ({v})" for k, v in self.missing_by_config[:3] if v)
        if self.policy == "drop-questions":
            return (f"missing cells: {self.questions_dropped} of {self.questions_before} questions left out "
                    f"(they miss a selected configuration; most missed by: {worst})")
        return f"missing cells: {self.cells_imputed} cells imputed with their configuration's prior mean"


def config_priors(n: np.ndarray, c: np.ndarray, *, merged: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per configuration (column) the maximum-marginal-likelihood Beta(a, b) over its observed cells (n > 0)
    (``merged``: on distinct cells, ``smoothing.fit_beta_binomial_merged``, as the priors beyond n are fitted).

    Returns arrays (a, b) of length S. A configuration with no observed cell gets the uniform prior Beta(1, 1).
    """
    n, c = np.asarray(n, np.int64), np.asarray(c, np.int64)
    a, b = np.ones(n.shape[1]), np.ones(n.shape[1])
    for s in range(n.shape[1]):
        seen = n[:, s] > 0
        if seen.any():
            p = (fit_beta_binomial_merged if merged else fit_beta_binomial)(n[seen, s], c[seen, s])
            a[s], b[s] = p.alpha, p.beta
    return a, b


def _training_priors(m: OutcomeMatrix) -> tuple[np.ndarray, np.ndarray]:
    return config_priors(m.n[m.train], m.c[m.train])


def apply_missing(matrix: OutcomeMatrix, configs: Sequence[str] | None = None, *,
                  policy: str = "drop-questions") -> tuple[OutcomeMatrix, MissingReport]:
    """The selected configurations (default: all) of ``matrix`` as a complete matrix, and what was done.

    Raises :class:`InputError` when ``drop-questions`` leaves no training or no test question (naming the
    configurations that cost the most questions), ``ValueError`` for an unknown policy.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown missing-cell policy {policy!r} (use {', '.join(POLICIES)})")
    m = matrix if configs is None else matrix.select_configs(list(configs))
    miss = m.missing
    by_config = sorted(((k, int(miss[:, j].sum())) for j, k in enumerate(m.config_names)), key=lambda t: -t[1])
    q = m.shape[0]
    if not miss.any():
        return m, MissingReport(policy, 0, q, q, 0, 0, tuple(by_config))
    if policy == "drop-questions":
        keep = ~miss.any(axis=1)
        worst = ", ".join(f"{k} misses {v}" for k, v in by_config[:3] if v)
        if not (keep & m.train).any() or not (keep & m.test).any():
            part = "training" if not (keep & m.train).any() else "test"
            raise InputError(f"{m.name}: no {part} question has every selected configuration ({worst} of {q} "
                             f"questions); select fewer configurations or use --missing prior")
        out = dataclasses.replace(m.select_questions(keep), checksum="")
        return out, MissingReport(policy, int(miss.sum()), q, int(keep.sum()), int(q - keep.sum()), 0,
                                  tuple(by_config))
    a, b = _training_priors(m)
    mean = a / (a + b)
    size = np.maximum(IMPUTED_SAMPLES, m.n.max(axis=0))
    n = np.where(miss, size[None, :], m.n)
    c = np.where(miss, np.rint(mean * size)[None, :].astype(np.int64), m.c)
    out = dataclasses.replace(m, n=n, c=c, imputed=m.imputed | miss, checksum="")
    return out, MissingReport(policy, int(miss.sum()), q, q, 0, int(miss.sum()), tuple(by_config))
