"""Test helper for the optimizer and certificate tests: small random success-rate matrices p (Q x S)."""

from __future__ import annotations

import numpy as np


def random_rates(rng: np.random.Generator) -> np.ndarray:
    """Small p (1..7 questions x 1..5 configurations) of one of three kinds: uniform, U-shaped (many near 0 and
    1), or a grid with exact 0, 1/4, ..., 1."""
    q, s = int(rng.integers(1, 8)), int(rng.integers(1, 6))
    kind = int(rng.integers(3))
    if kind == 0:
        return rng.random((q, s))
    if kind == 1:
        return rng.beta(0.3, 0.3, (q, s))
    return rng.integers(0, 5, (q, s)) / 4
