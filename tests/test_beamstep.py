"""osca_core.optimize.beamstep: the compiled beam step gives the numpy twin's beams bit for bit (allocations, hashes, fail
rows and masses, ties included), keeps every distinct allocation when the beam is wide enough (so its best is the
brute-force optimum), carries fail rows equal to w * prod (1 - p)^k, continues across calls, and the dispatcher
rents the twin until loading the kernel pays; the optimizer's curves on both release logs are the same whichever
runs."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from osca_core.model.estimators import plugin_objective
from osca_core.model.objective import build_model, exhaustive
from osca_core.optimize import beamstep
from osca_core.optimize.beamstep import beam_steps, beam_steps_compiled, beam_steps_reference
from osca_core.optimize.curve import optimize_curve


def _start(m, seed: int = 0):
    """The empty allocation as a beam of one, with the search's kind of configuration hashes."""
    s = m.shape[1]
    hs = np.random.default_rng(seed).integers(1, 2**40, size=s)
    return m.w[None].copy(), np.zeros((1, s), np.int64), np.zeros(1, np.int64), hs


def _same(a, b) -> None:
    for x, y in zip(a, b, strict=True):
        assert x.dtype == y.dtype and np.array_equal(x, y)


@settings(max_examples=60, deadline=None)
@given(q=st.integers(1, 30), s=st.integers(1, 9), n=st.integers(1, 30), steps=st.integers(1, 25),
       grid=st.booleans(), twins=st.booleans(), seed=st.integers(0, 2**31 - 1))
def test_kernel_gives_the_twins_beams_bit_for_bit(q, s, n, steps, grid, twins, seed):
    rng = np.random.default_rng(seed)
    # grid rates and duplicated configurations make children tie exactly: the order among them must agree too
    p = rng.integers(0, 5, (q, s)) / 4 if grid else rng.beta(0.5, 1.5, (q, s))
    if twins and s > 1:
        p[:, -1] = p[:, 0]
    m = build_model(p)
    E, K, H, hs = _start(m, seed)
    _same(beam_steps_compiled(E, K, H, m.F1, hs, n, steps), beam_steps_reference(E, K, H, m.F1, hs, n, steps))


@pytest.mark.parametrize("s", [1, 2, 3, 4])
def test_a_beam_wider_than_every_allocation_keeps_them_all_and_its_best_is_the_exhaustive_optimum(s):
    rng = np.random.default_rng(s)
    p = rng.beta(0.4, 0.8, (9, s))
    m = build_model(p)
    E, K, H, hs = _start(m)
    steps = 7
    Es, Ks, Hs, Fs, size = beam_steps_compiled(E, K, H, m.F1, hs, 200, steps)
    for t in range(steps):
        c = t + 1
        assert size[t] == comb(c + s - 1, s - 1)  # every allocation of c samples, once
        rows = Ks[t, : size[t]]
        assert len({tuple(r) for r in rows.tolist()}) == size[t] and (rows.sum(axis=1) == c).all()
        assert (np.diff(Fs[t, : size[t]]) >= 0).all()  # in order of fail mass
        np.testing.assert_allclose(Fs[t, : size[t]], m.fail(rows) @ m.w, rtol=1e-12)
        _, best = exhaustive(p, c)
        assert float(plugin_objective(p, rows[0])) == pytest.approx(best, abs=1e-12)


def test_fail_rows_are_w_times_the_products_of_one_minus_p_and_solved_rows_are_exactly_zero():
    p = np.array([[1.0, 0.2, 0.0], [0.5, 0.5, 0.1], [0.0, 0.3, 0.9], [0.0, 0.3, 0.9]])
    m = build_model(p)
    E, K, H, hs = _start(m)
    Es, Ks, Hs, Fs, size = beam_steps_compiled(E, K, H, m.F1, hs, 5, 6)
    for t in range(6):
        for u in range(size[t]):
            k = Ks[t, u]
            want = m.w * np.prod(m.F1**k, axis=1)
            np.testing.assert_allclose(Es[t, u], want, rtol=1e-13)
            assert ((Es[t, u] == 0) == (want == 0)).all()  # p = 1 in the allocation: exactly solved
            assert Fs[t, u] == pytest.approx(Es[t, u].sum(), rel=1e-13)
            assert Hs[t, u] == k @ hs


def test_steps_continue_where_a_previous_call_ended():
    rng = np.random.default_rng(7)
    m = build_model(rng.beta(0.5, 1.0, (25, 6)))
    E, K, H, hs = _start(m)
    whole = beam_steps_compiled(E, K, H, m.F1, hs, 9, 10)
    first = beam_steps_compiled(E, K, H, m.F1, hs, 9, 4)
    b = first[4][-1]
    rest = beam_steps_compiled(first[0][-1, :b], first[1][-1, :b], first[2][-1, :b], m.F1, hs, 9, 6)
    _same(whole, [np.concatenate([x, y]) for x, y in zip(first, rest, strict=True)])


def test_the_dispatcher_rents_the_twin_until_loading_the_kernel_would_have_paid(monkeypatch):
    m = build_model(np.random.default_rng(3).beta(0.5, 1.0, (30, 5)))
    E, K, H, hs = _start(m)
    monkeypatch.setattr(beamstep, "_compiled", None)
    monkeypatch.setattr(beamstep, "_rent", 0.0)
    monkeypatch.setattr(beamstep, "_LOAD_SECONDS", 3600.0)
    want = beam_steps_reference(E, K, H, m.F1, hs, 8, 12)
    _same(beam_steps(E, K, H, m.F1, hs, 8, 12), want)
    assert beamstep._compiled is None and 0 < beamstep._rent < 3600  # rented: the kernel is not loaded
    monkeypatch.setattr(beamstep, "_LOAD_SECONDS", beamstep._rent)  # what was spent now equals loading's cost
    _same(beam_steps(E, K, H, m.F1, hs, 8, 12), want)
    assert beamstep._compiled is not None  # bought
    rent = beamstep._rent
    with beamstep.reference_only():
        _same(beam_steps(E, K, H, m.F1, hs, 8, 12), want)
    assert beamstep._rent == rent  # forced runs are not rent
    _same(beam_steps(E, K, H, m.F1, hs, 8, 12), want)
    assert beamstep._rent == rent  # the kernel ran


@pytest.mark.slow
def test_release_curves_are_the_same_bits_with_the_numpy_twin(bcb, swe):
    beamstep.warm()
    for om, top in ((bcb, 291), (swe, 64)):
        p = om.train_rates()
        compiled = optimize_curve(p, range(1, top + 1))
        with beamstep.reference_only():
            twin = optimize_curve(p, range(1, top + 1))
        assert [r.counts for r in compiled] == [r.counts for r in twin]
        assert [r.objective for r in compiled] == [r.objective for r in twin]
        assert [r.upper_bound for r in compiled] == [r.upper_bound for r in twin]
