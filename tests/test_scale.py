"""osca_core.optimize.lowmem: the float32 low-memory path of ``optimize_curve`` reports float64 objectives equal to the plug-in
objective of its allocations, bounds that hold against brute force and equal ``objective.upper_bounds`` at its
iteration 0, and on demo matrices the same objectives as the default float64 path."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.data.synthetic import demo_matrix, scale_rates
from osca_core.model.estimators import plugin_objective
from osca_core.model.objective import build_model, exhaustive, upper_bounds
from osca_core.optimize import lowmem
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies.allocators import hillclimb_counts

TOL = 1e-12


@pytest.mark.parametrize("seed", range(4))
def test_float32_path_objectives_are_exact_and_bounds_hold_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    for _ in range(10):
        q, s = int(rng.integers(2, 9)), int(rng.integers(1, 5))
        p32 = (rng.integers(0, 9, (q, s)) / 8).astype(np.float32)
        p = p32.astype(float)
        for r in optimize_curve(p32, range(1, 6)):
            k = np.array(r.counts)
            _, best = exhaustive(p, r.budget)
            assert k.sum() == r.budget
            assert r.objective == pytest.approx(float(plugin_objective(p, k)), abs=TOL)
            assert r.upper_bound >= best - TOL
            assert r.objective <= best + TOL
            assert r.certified == (r.upper_bound - r.objective <= 1e-6)


def test_chunked_bounds_equal_the_iteration_zero_bounds_of_the_model():
    p = demo_matrix(seed=5, questions=300, configs=9).train_rates().astype(np.float32)
    ks = np.array([r.counts for r in optimize_curve(p.astype(float), range(1, 21))])
    ref = upper_bounds(build_model(p.astype(float)), range(1, 21), ks, iterations=0)
    old = lowmem.CHUNK_CELLS
    try:
        lowmem.CHUNK_CELLS = 90.0  # 10 rows per chunk: the chunked sums must add up to the same bound
        got = lowmem.upper_bounds(p, range(1, 21), ks)
        obj = lowmem.objectives(p, ks)
    finally:
        lowmem.CHUNK_CELLS = old
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)
    np.testing.assert_allclose(obj, plugin_objective(p.astype(float), ks), rtol=0, atol=1e-12)


@pytest.mark.parametrize(("seed", "configs"), [(0, 40), (1, 40), (0, 80), (1, 80)])
def test_float32_path_is_close_to_the_default_path_and_beats_hill_climbing_on_demo_rates(seed, configs):
    """Both are heuristics (the float32 path ranks exchange candidates as the default's large-input path does, not
    every move): close on every budget, not worse on average, and never below the paper's hill climbing."""
    p32 = scale_rates(seed=seed, questions=600, configs=configs)
    fast = optimize_curve(p32, range(1, 33))
    full = optimize_curve(p32.astype(float), range(1, 33))
    diff = np.array([a.objective - b.objective for a, b in zip(fast, full, strict=True)])
    assert diff.mean() > -1e-4 and diff.min() > -5e-3
    for a, b in zip(fast, full, strict=True):
        assert a.upper_bound >= b.objective - TOL and b.upper_bound >= a.objective - TOL
    for b in (2, 8, 32):
        hc = float(plugin_objective(p32.astype(float), hillclimb_counts(p32.astype(float), b, seed=0)))
        assert fast[b - 1].objective >= hc - TOL


def test_float32_path_refuses_bad_rates():
    with pytest.raises(ValueError):
        optimize_curve(np.array([[1.5]], np.float32), [1])
    with pytest.raises(ValueError):
        optimize_curve(np.array([[np.nan, 0.2]], np.float32), [1])
