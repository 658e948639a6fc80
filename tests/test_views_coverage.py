"""``osca_core.present.views.coverage``: per-configuration coverage of complete and ragged matrices."""

from __future__ import annotations

import numpy as np

from osca_core.model.outcomes import OutcomeMatrix
from osca_core.present import views


def test_coverage_view_counts_questions_with_samples(bcb):
    cov = views.coverage(bcb)
    assert cov["coverage"].eq(1.0).all() and cov["missing_cells"].eq(0).all()
    assert cov["samples"].tolist() == bcb.n.sum(axis=0).tolist()


def test_ragged_matrix_coverage_is_the_share_of_questions_with_samples(bcb):
    n = bcb.n.copy()
    n[: len(n) // 4, 0] = 0  # the first configuration misses a quarter of the questions
    c = np.where(n > 0, bcb.c, 0)
    ragged = OutcomeMatrix(bcb.name, bcb.question_ids, bcb.configs, n, c, bcb.train, bcb.test)
    cov = views.coverage(ragged).set_index("configuration")
    first = bcb.config_names[0]
    q = len(n)
    assert cov.loc[first, "questions"] == q - q // 4
    assert cov.loc[first, "coverage"] == (q - q // 4) / q and cov.loc[first, "missing_cells"] == q // 4
    assert cov.loc[first, "min_n"] == bcb.n[q // 4:, 0].min() and cov.loc[first, "max_n"] == bcb.n[:, 0].max()
    assert (cov.drop(first)["coverage"] == 1.0).all()
