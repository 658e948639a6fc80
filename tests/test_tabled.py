"""The exact-objective optimizer for budgets beyond n (osca_core.optimize.beyond_n) against the enumeration of every
allocation, against the fast optimizer where no cell extrapolates, its memory cap and its (absent) certificates."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st_h

from osca_core.errors import InputError
from osca_core.model.extrapolation import fit_priors, train_pass
from osca_core.model.fail_tables import log_tables
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix
from osca_core.optimize import beyond_n
from osca_core.optimize.beyond_n import TABLE_CELLS_MAX, fail_tables, optimize_tabled
from osca_core.optimize.curve import optimize_curve
from osca_core.strategies import allocators as st


def random_counts(rng, q, s, ns=(1, 2, 3, 5)):
    n = rng.choice(ns, size=(1, s)).repeat(q, 0)
    c = rng.binomial(n, rng.beta(0.5, 1.0, size=(q, s)))
    return n, c


def brute(n, c, budget, prior, costs=None):
    """Best train_pass over every allocation: sum k = C (unit costs) or sum cost_s k_s <= C."""
    s = n.shape[1]
    cost = np.ones(s) if costs is None else np.asarray(costs, float)
    top = [int(budget // x) for x in cost]
    best = -1.0
    for k in itertools.product(*[range(t + 1) for t in top]):
        spent = float(cost @ np.array(k))
        if (costs is None and sum(k) != budget) or spent > budget + 1e-9:
            continue
        best = max(best, train_pass(n, c, k, prior))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_tabled_equals_enumeration_on_tiny_instances_with_small_n(seed):
    rng = np.random.default_rng(seed)
    n, c = random_counts(rng, int(rng.integers(2, 7)), int(rng.integers(2, 5)))
    prior = fit_priors(n, c)
    for r in optimize_tabled(n, c, list(range(1, 8)), prior=prior):
        assert sum(r.counts) == r.budget
        assert r.objective == train_pass(n, c, r.counts, prior)
        assert r.objective == pytest.approx(brute(n, c, r.budget, prior), abs=1e-12)
        assert r.upper_bound is None and r.certified is False


@pytest.mark.parametrize("seed", range(6))
def test_tabled_with_costs_equals_enumeration(seed):
    rng = np.random.default_rng(100 + seed)
    n, c = random_counts(rng, 5, 3)
    costs = rng.choice([0.5, 1.0, 2.0, 3.0], size=3)
    prior = fit_priors(n, c)
    for r in optimize_tabled(n, c, [2, 4, 6], prior=prior, costs=costs):
        assert float(costs @ np.array(r.counts)) <= r.budget + 1e-9
        assert r.objective == pytest.approx(brute(n, c, r.budget, prior, costs), abs=1e-12)


def _assert_tabled_matches_fast(rng, *, q: int, s: int, runs: int, beta: tuple[float, float]) -> None:
    """Every cell has n = ``runs`` samples and budgets 1..runs (no extrapolation): the tabled optimizer's training
    objective equals the fast optimizer's at every budget."""
    n = np.full((q, s), runs)
    c = rng.binomial(n, rng.beta(*beta, size=(q, s)))
    budgets = list(range(1, runs + 1))
    fast = optimize_curve(c / n, budgets)
    tab = optimize_tabled(n, c, budgets, prior=fit_priors(n, c))
    for f, t in zip(fast, tab, strict=True):
        assert t.objective == pytest.approx(f.objective, abs=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_with_all_n_at_least_the_budget_tabled_equals_the_fast_optimizer(seed):
    _assert_tabled_matches_fast(np.random.default_rng(200 + seed), q=30, s=5, runs=10, beta=(0.4, 1.2))


def test_tables_are_plug_in_within_n_and_predictive_beyond():
    n, c = np.array([[2, 3]]), np.array([[1, 3]])
    t0, t1 = fail_tables(n, c, [4, 4], (np.array([1.0, 2.0]), np.array([1.0, 0.5])))
    assert t0[0, :3].tolist() == [1.0, 0.5, 0.25]
    # beyond n = 2 under Beta(1 + 1, 1 + 1): E[(1 - t)^k] = 6 / ((k + 2)(k + 3))
    assert t0[0, 3:].tolist() == pytest.approx([6 / 30, 6 / 42], rel=1e-12)
    assert t1[0, 1:4].tolist() == [0.0, 0.0, 0.0] and t1[0, 4] > 0  # c = n: 0 within n, not beyond


def test_table_memory_is_capped_with_one_line_naming_the_limit():
    q = TABLE_CELLS_MAX // (3 * 101) + 1
    n, c = np.ones((q, 3), dtype=np.int64), np.zeros((q, 3), dtype=np.int64)
    with pytest.raises(InputError) as e:
        optimize_tabled(n, c, [100], prior=(np.ones(3), np.ones(3)))
    assert "TABLE_BYTES_MAX" in str(e.value) and "\n" not in str(e.value)


def _matrix(n, c):
    q, s = n.shape
    return OutcomeMatrix("t", tuple(f"q{i}" for i in range(q)), tuple(ConfigInfo(f"c{j}", "m", None, "")
                         for j in range(s)), n, c, np.ones(q, bool), np.ones(q, bool))


def test_osca_keeps_the_fast_certified_path_when_no_training_cell_extrapolates():
    rng = np.random.default_rng(3)
    n = np.full((20, 4), 8)
    c = rng.binomial(n, 0.3)
    m = _matrix(n, c)
    fast = st.solve(m, "osca", [2, 8])
    assert all(x.upper_bound is not None for x in fast)
    slow = st.solve(m, "osca", [2, 9])  # 9 > n = 8: the exact-objective optimizer, no bound
    assert all(x.upper_bound is None for x in slow)
    assert slow[0].counts == fast[0].counts or train_pass(n, c, slow[0].counts, fit_priors(n, c)) == \
        pytest.approx(train_pass(n, c, fast[0].counts, fit_priors(n, c)), abs=1e-12)


def test_many_configurations_use_candidate_pairs_and_still_match_the_fast_optimizer(monkeypatch):
    monkeypatch.setattr(beyond_n, "PAIR_WORK", 1e3)  # force pairs among the best candidates only
    _assert_tabled_matches_fast(np.random.default_rng(11), q=80, s=40, runs=12, beta=(0.2, 2.0))


def test_sweeps_longer_than_max_samples_are_refused_in_one_line():
    from osca_core.optimize.beyond_n import MAX_SAMPLES

    n, c = np.ones((4, 2), dtype=np.int64), np.zeros((4, 2), dtype=np.int64)
    with pytest.raises(InputError) as e:
        optimize_tabled(n, c, [MAX_SAMPLES + 1], prior=(np.ones(2), np.ones(2)))
    assert "MAX_SAMPLES" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(InputError):
        optimize_tabled(n, c, [4], prior=(np.ones(2), np.ones(2)), costs=np.array([1e-300, 1.0]))


@settings(max_examples=80, deadline=None)
@given(m=st_h.integers(1, 3000), s=st_h.integers(1, 30), top=st_h.integers(1, 4), k=st_h.integers(1, 40),
       seed=st_h.integers(0, 2**31 - 1))
def test_lex_smallest_gives_the_first_rows_of_np_unique(m, s, top, k, seed):
    rng = np.random.default_rng(seed)
    rows = np.unique(rng.integers(0, top, (m, s)), axis=0)
    rng.shuffle(rows)
    k = min(k, len(rows))
    assert np.array_equal(rows[beyond_n.lex_smallest(rows, k)], np.unique(rows, axis=0)[:k])


def _plain_best_rows(search, rows, n):
    """The selection before ``best_rows``: every distinct row sorted whole, then a stable sort by fail sum."""
    u = np.unique(rows, axis=0)
    return u[np.argsort(search.fail_sums(u), kind="stable")[:n]]


@pytest.mark.parametrize("seed", range(3))
def test_best_rows_is_the_plain_unique_and_stable_sort_where_fail_sums_tie(seed):
    rng = np.random.default_rng(seed)
    q, s = 6, 150  # a wide binary log: one sample per cell, so fail sums tie in large groups
    n = np.ones((q, s), dtype=np.int64)
    c = rng.binomial(1, 0.3, (q, s))
    rows_, inv, w = np.unique(np.concatenate([n, c], axis=1), axis=0, return_inverse=True, return_counts=True)
    LT = log_tables(rows_[:, :s], rows_[:, s:], 6, fit_priors(n, c), floor=beyond_n.LOG_FLOOR)
    search = beyond_n._Search(LT, np.full(s, 6), w.astype(float), q, np.ones(s))
    for _ in range(5):
        parents = rng.integers(0, 3, (16, s))
        i, j = np.nonzero(np.ones((16, s), bool))
        ext = parents[i].copy()
        ext[np.arange(i.size), j] += 1
        ext = np.concatenate([ext, ext[: 50]])  # duplicates too
        assert np.array_equal(search.best_rows(ext, beyond_n.BEAM), _plain_best_rows(search, ext, beyond_n.BEAM))


def test_a_wide_one_sample_log_gets_the_allocations_of_the_plain_selection(monkeypatch):
    rng = np.random.default_rng(5)
    q, s = 6, 120
    n, c = np.ones((q, s), dtype=np.int64), rng.binomial(1, 0.25, (q, s))
    prior = fit_priors(n, c)
    costs = np.ones(s)
    costs[::7] = 2.0  # per-sample costs: the general search, whose beam selects with best_rows
    fast = optimize_tabled(n, c, range(1, 7), prior=prior, costs=costs)
    monkeypatch.setattr(beyond_n._Search, "best_rows", _plain_best_rows)
    plain = optimize_tabled(n, c, range(1, 7), prior=prior, costs=costs)
    assert [r.counts for r in fast] == [r.counts for r in plain]
    assert [r.objective for r in fast] == [r.objective for r in plain]


@pytest.mark.parametrize("seed", range(8))
def test_the_large_log_settings_of_the_table_beam_still_equal_enumeration(seed, monkeypatch):
    """One exchange start per budget and pure restarts only when the pure allocation wins (the settings above
    ``SMALL_CELLS``, forced here on tiny instances): still the enumeration's optimum."""
    monkeypatch.setattr(beyond_n, "SMALL_CELLS", 0)
    rng = np.random.default_rng(300 + seed)
    n, c = random_counts(rng, int(rng.integers(3, 7)), int(rng.integers(2, 5)), ns=(1, 2, 3))
    prior = fit_priors(n, c)
    for r in optimize_tabled(n, c, list(range(1, 8)), prior=prior):
        assert r.objective == pytest.approx(brute(n, c, r.budget, prior), abs=1e-12)


def test_no_refusal_at_1024_configurations_400_questions_budgets_to_64():
    beyond_n.check_cells(400, np.full(1024, 64))  # 213 MiB of tables: under TABLE_BYTES_MAX
    with pytest.raises(InputError):
        beyond_n.check_cells(400 * 11, np.full(1024, 64))


@settings(max_examples=60, deadline=None)
@given(size=st_h.integers(1, 400), m=st_h.integers(1, 60), seed=st_h.integers(0, 2**31 - 1))
def test_the_partial_stable_order_is_a_prefix_of_the_full_stable_sort(size, m, seed):
    from osca_core.optimize.tabled_beam import _stable_order

    rng = np.random.default_rng(seed)
    flat = rng.integers(0, 6, size).astype(float)  # many ties
    flat[rng.random(size) < 0.1] = np.inf
    full = np.argsort(flat, kind="stable")
    full = full[np.isfinite(flat[full])]
    got = _stable_order(flat, m)
    assert np.array_equal(got, full[: got.size]) and got.size >= min(m, full.size)


@pytest.mark.parametrize("seed", range(3))
def test_lazy_tables_give_the_full_tables_allocations(seed, monkeypatch):
    rng = np.random.default_rng(400 + seed)
    n, c = random_counts(rng, 30, 9, ns=(1, 2, 3, 5))
    prior = fit_priors(n, c)
    full = optimize_tabled(n, c, list(range(1, 13)), prior=prior)
    monkeypatch.setattr(beyond_n, "LAZY_CELLS", 0)  # every instance on LazyLogTables
    monkeypatch.setattr(beyond_n, "SINGLE_CANDIDATES", 4)  # and single additions among the best few
    monkeypatch.setattr(beyond_n, "PAIR_WORK", 1e3)
    lazy = optimize_tabled(n, c, list(range(1, 13)), prior=prior)
    monkeypatch.setattr(beyond_n, "LAZY_CELLS", 2e6)
    cand = optimize_tabled(n, c, list(range(1, 13)), prior=prior)  # full tables, the same candidates
    assert [r.counts for r in lazy] == [r.counts for r in cand]
    for f, z in zip(full, lazy, strict=True):
        assert z.objective == pytest.approx(f.objective, abs=1e-9) or z.objective > f.objective
