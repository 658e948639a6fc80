"""Coverage of a (possibly ragged) outcome matrix: per configuration, the questions it was run on (n > 0), their
share of all questions, the samples it holds and the cells it misses; the Data page's coverage table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from osca_core.model.outcomes import OutcomeMatrix

COVERAGE_COLUMNS = ("configuration", "questions", "coverage", "missing_cells", "samples", "min_n", "max_n")


def coverage(matrix: OutcomeMatrix) -> pd.DataFrame:
    """One row per configuration: ``questions`` = #{q: n[q, s] > 0}, ``coverage`` = questions / Q,
    ``missing_cells`` = Q - questions, ``samples`` = sum_q n[q, s], and the smallest and largest n over the
    covered questions (0 when none is covered)."""
    n = np.asarray(matrix.n)
    q = n.shape[0]
    has = n > 0
    covered = has.sum(axis=0)
    big = np.where(has, n, np.iinfo(np.int64).max)
    return pd.DataFrame({
        "configuration": list(matrix.config_names),
        "questions": covered.astype(int),
        "coverage": covered / q if q else np.zeros(len(covered)),
        "missing_cells": (q - covered).astype(int),
        "samples": n.sum(axis=0).astype(int),
        "min_n": np.where(covered > 0, big.min(axis=0, initial=np.iinfo(np.int64).max), 0).astype(int),
        "max_n": n.max(axis=0, initial=0).astype(int),
    }, columns=list(COVERAGE_COLUMNS))
