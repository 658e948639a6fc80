"""Helpers shared by the view-model tests (tests/test_views_*.py): the paper's allocations scored on a matrix, small
random matrices, and the brute-force pass@C of a mix (enumerating the sample subsets of each configuration)."""

from __future__ import annotations

import numpy as np

from osca_core.model.estimators import pass_at_k_bruteforce
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.strategies import allocators


def paper_allocation(m: OutcomeMatrix, counts: dict[str, int]) -> allocators.Allocation:
    k = np.zeros(len(m.configs), dtype=np.int64)
    for name, x in counts.items():
        k[m.config_index([name])[0]] = x
    return allocators.make_allocation(m, "osca", k)


def small_matrix(seed: int, q: int = 6, s: int = 3, nmax: int = 5) -> OutcomeMatrix:
    rng = np.random.default_rng(seed)
    n = rng.integers(1, nmax + 1, size=(q, s))
    c = rng.integers(0, n + 1)
    return OutcomeMatrix(name="small", question_ids=tuple(f"q{i}" for i in range(q)),
                         configs=tuple(parse_config_name(f"m{j % 2}_{0.2 * (j + 1):.1f}") for j in range(s)),
                         n=n, c=c, train=np.ones(q, bool), test=np.ones(q, bool))


def bruteforce_mix(n_row, c_row, k) -> float:
    """1 - prod_s P(all k_s drawn samples of s wrong), each by enumerating the k_s-subsets."""
    fail = 1.0
    for n, c, kk in zip(n_row, c_row, k, strict=True):
        if kk:
            outcomes = [True] * int(c) + [False] * int(n - c)
            fail *= 1.0 - pass_at_k_bruteforce(outcomes, int(kk))
    return 1.0 - fail
