"""Selecting configurations by axis filters and presets (osca_core.model.selection), against brute-force
definitions, and the URL form's round trip."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from osca_core.data.synthetic import demo_matrix
from osca_core.errors import InputError
from osca_core.model import selection as sel
from osca_core.model.axes import config_axes

M = demo_matrix(seed=2, questions=40, configs=36, samples=6)
AX = config_axes(M.configs)


def test_top_k_are_the_k_highest_training_pass1_in_matrix_order():
    p = (M.c[M.train] / M.n[M.train]).mean(axis=0)
    got = sel.select(M, AX, sel.Selection(preset="top", k=5))
    want = sorted(sorted(range(36), key=lambda j: (-p[j], j))[:5])
    assert got == tuple(M.config_names[j] for j in want)


def test_the_pareto_front_is_what_no_other_configuration_dominates_brute_force():
    rng = np.random.default_rng(0)
    m = M.with_costs({n: float(rng.integers(1, 4)) for n in M.config_names})
    p = sel.train_pass1(m)
    got = set(sel.select(m, config_axes(m.configs), sel.Selection(preset="pareto")))
    want = {m.config_names[s] for s in range(36)
            if not any(p[t] >= p[s] and m.costs[t] <= m.costs[s] and (p[t] > p[s] or m.costs[t] < m.costs[s])
                       for t in range(36))}
    assert got == want and len(got) >= 1


def test_one_per_model_keeps_each_models_best_after_the_filters():
    got = sel.select(M, AX, sel.Selection({"temperature": ("0.2", "0.8")}, preset="per-model"))
    p = sel.train_pass1(M)
    models = AX.values["model"]
    assert len(got) == len(set(models))
    for name in got:
        j = M.config_names.index(name)
        assert AX.values["temperature"][j] in ("0.2", "0.8")
        rivals = [t for t in range(36) if models[t] == models[j] and AX.values["temperature"][t] in ("0.2", "0.8")]
        assert p[j] == max(p[t] for t in rivals)


def test_filters_and_picks_intersect():
    s = sel.Selection({"temperature": ("0.2",)}, picked=(M.config_names[0], M.config_names[-1]))
    got = sel.select(M, AX, s)
    assert got == tuple(n for n in (M.config_names[0], M.config_names[-1]) if n.split("_")[1] == "0.2")


@settings(max_examples=40, deadline=None)
@given(hs.dictionaries(hs.sampled_from(AX.names), hs.lists(hs.sampled_from(["0.2", "0.8", "alpha", "cot"]),
                                                          min_size=1, max_size=3, unique=True)),
       hs.sampled_from(sel.PRESETS), hs.integers(1, 50))
def test_the_url_form_round_trips(filters, preset, k):
    s = sel.Selection({a: tuple(v) for a, v in filters.items()}, preset, k if preset == "top" else sel.DEFAULT_K)
    q = sel.to_query(s)
    assert all(isinstance(v, str) or len(v) <= 3 for v in q.values())  # axis values, never a list of names
    assert sel.from_query(q, AX) == s


def test_bad_presets_and_k_are_refused_in_one_line():
    with pytest.raises(InputError, match="preset"):
        sel.Selection(preset="best")
    with pytest.raises(InputError, match="top_k"):
        sel.from_query({"top_k": "x"}, AX)
    assert sel.unknown_values(AX, sel.Selection({"model": ("nope",)})) == ["model=nope"]
