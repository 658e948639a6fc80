"""Per-question test values of a fixed allocation: the terms whose mean over questions is the test pass@C.

For question q and allocation k (OSCA paper, Zhang et al. 2024; estimators in ``osca_core.model.estimators``):

    v_q(k) = 1 - prod_s f_s(k_s),   f_s(k) = C(n_qs - c_qs, k) / C(n_qs, k)   (unbiased; Chen et al. 2021)

with the Beta-binomial predictive under the configuration's training prior where k > n_qs
(``osca_core.model.extrapolation``; flagged ``extrapolated``). Only configurations with k_s > 0 are touched, in the
order of ``estimators.mix_pass``, so ``np.mean`` of the values is exactly ``Allocation.test_pass``. The bootstrap
(``osca_core.analysis.bootstrap``), the registry's per-question hook and the report read these values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from osca_core.model.extrapolation import PriorLike, question_fail
from osca_core.model.results import Allocation


def question_values(n: np.ndarray, c: np.ndarray, counts: Sequence[int], *, prior: PriorLike = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per question, v_q = 1 - prod_s f_s(k_s) of the allocation ``counts`` (module docstring), and per question
    whether some term was extrapolated (k_s > n_qs; ``prior`` as in ``extrapolation.question_fail``). ``np.mean``
    of the values is exactly ``Allocation.test_pass`` (given the matrix's ``extrapolation.priors``)."""
    n, c = np.asarray(n), np.asarray(c)
    k = np.asarray(counts, dtype=np.int64)
    if n.ndim != 2 or n.shape != c.shape or k.shape != (n.shape[1],):
        raise ValueError(f"question_values: n, c must be (Q, S) and counts (S,) (got {n.shape}, {c.shape}, {k.shape})")
    if not (k > 0).any():
        return np.zeros(n.shape[0]), np.zeros(n.shape[0], dtype=bool)
    f, over = question_fail(n, c, k, prior)
    return 1.0 - f, over


def allocation_values(n: np.ndarray, c: np.ndarray, allocations: Sequence[Allocation], *,
                      prior: PriorLike = None) -> tuple[np.ndarray, np.ndarray]:
    """(Q, P) per-question values and (P,) extrapolated flags of P allocations on the questions (n, c)."""
    cols = [question_values(n, c, a.counts, prior=prior) for a in allocations]
    return (np.stack([v for v, _ in cols], axis=1) if cols else np.zeros((n.shape[0], 0)),
            np.array([bool(e.any()) for _, e in cols], dtype=bool))
