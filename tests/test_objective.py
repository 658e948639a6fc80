"""osca_core.model.objective: the compact model evaluates exactly the plug-in objective, the enumerations list every
allocation once, and neither optimize nor certify import each other (the cycle this module cut)."""

from __future__ import annotations

import ast
from math import comb
from pathlib import Path

import numpy as np
import pytest

import osca_core
from osca_core.model.estimators import plugin_objective
from osca_core.model.objective import allocations, build_model, exhaustive


def test_model_objective_equals_the_plugin_objective_with_merged_rows_and_exact_zeros_and_ones():
    rng = np.random.default_rng(0)
    p = rng.integers(0, 5, (30, 4)) / 4  # many identical rows, exact 0 and 1
    p[:5] = 0.0
    m = build_model(p)
    assert m.shape[0] < 30 and m.w.sum() == (p.any(axis=1)).sum() and m.qtot == 30
    ks = allocations(4, 5)
    np.testing.assert_allclose(m.objectives(ks, chunk_cells=50), plugin_objective(p, ks), rtol=0, atol=1e-14)


@pytest.mark.parametrize(("s", "c"), [(1, 4), (3, 5), (4, 6)])
def test_unit_cost_allocations_are_every_composition_once(s, c):
    ks = allocations(s, c)
    assert len(ks) == comb(c + s - 1, s - 1) and (ks.sum(axis=1) == c).all() and (ks >= 0).all()
    assert len({tuple(k) for k in ks}) == len(ks)


def test_costed_allocations_are_every_affordable_vector_once():
    costs = np.array([0.5, 1.5, 2.0])
    ks = allocations(3, 4, costs)
    brute = [(a, b, d) for a in range(9) for b in range(3) for d in range(3) if a * 0.5 + b * 1.5 + d * 2 <= 4]
    assert sorted(map(tuple, ks.tolist())) == sorted(brute)


def test_exhaustive_returns_the_best_allocation_and_its_value():
    p = np.array([[0.9, 0.0], [0.0, 0.9], [0.5, 0.5]])
    k, v = exhaustive(p, 2)
    assert k.tolist() == [1, 1] and v == pytest.approx((0.9 + 0.9 + 0.75) / 3)


@pytest.mark.parametrize("bad", [np.zeros((0, 2)), np.array([[1.5]]), np.array([[np.nan]])])
def test_build_model_refuses_bad_rates(bad):
    with pytest.raises(ValueError):
        build_model(bad)


def _imports(path: Path) -> set[str]:
    """Every osca_core module a file imports, at top level or inside functions."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {x for x in out if x.startswith("osca_core")}


def test_certify_and_optimize_do_not_import_each_other():
    root = Path(osca_core.__file__).parent
    assert "osca_core.optimize.curve" not in _imports(root / "optimize" / "certify.py")
    assert "osca_core.optimize.certify" not in _imports(root / "model" / "objective.py")
    assert "osca_core.optimize.curve" not in _imports(root / "model" / "objective.py")
