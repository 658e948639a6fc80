"""Honest ranges beyond n (osca_core.model.spread) and the study behind the plausible set (osca_core.bench.spread):
likelihood intervals that hold the truth, ranges that bracket the point and shrink when the data identify the
spread, and the coverage of the ranges in a simulation with known truth."""

from __future__ import annotations

import numpy as np
import pytest

from osca_core.bench import spread as study
from osca_core.model import spread
from osca_core.model.estimators import pass_at_k
from osca_core.model.extrapolation import DEFAULT_CONCENTRATION, eval_fail, eval_pass, fit_priors
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name


def beta_counts(rng, q: int, n: int, mu: float, kappa: float) -> tuple[np.ndarray, np.ndarray]:
    p = rng.beta(mu * kappa, (1 - mu) * kappa, size=q)
    return np.full(q, n), rng.binomial(n, p)


def matrix(ns, cs, name="sim") -> OutcomeMatrix:
    n, c = np.column_stack(ns), np.column_stack(cs)
    q = n.shape[0]
    ids = tuple(f"q{i}" for i in range(q))
    mask = np.ones(q, bool)
    return OutcomeMatrix(name=name, question_ids=ids, configs=tuple(parse_config_name(f"c{j}_0.{j}") for j in range(n.shape[1])), n=n,
                         c=c, train=mask, test=mask.copy(), source="test", synthetic=True)


@pytest.mark.parametrize("kappa", [0.05, 0.5, 2.5])
def test_the_likelihood_interval_holds_the_true_concentration(kappa):
    rng = np.random.default_rng(3)
    n, c = beta_counts(rng, 400, 10, 0.4, kappa)
    (a,), (b,) = fit_priors(n[:, None], c[:, None])
    lo, hi = spread.kappa_interval(n, c, a / (a + b), a + b)
    assert lo <= a + b <= hi
    assert lo <= kappa <= hi
    assert hi / lo < 3  # 400 questions x 10 samples pin the spread down


def test_bounds_identified_borrowed_and_unidentified():
    rng = np.random.default_rng(4)
    n10, c10 = beta_counts(rng, 300, 10, 0.3, 0.5)
    n1, c1 = beta_counts(rng, 300, 1, 0.6, 0.5)
    lo, hi, known = spread.kappa_bounds(np.column_stack([n10, n1]), np.column_stack([c10, c1]))
    assert known.tolist() == [True, False]
    assert (lo[1], hi[1]) == (lo[0], hi[0])  # the borrowed value's range is the identified one's interval
    lo, hi, known = spread.kappa_bounds(n1[:, None], c1[:, None])
    assert not known[0] and (lo[0], hi[0]) == spread.PLAUSIBLE_KAPPA


def test_value_range_is_the_brute_force_extremes_and_brackets_the_point():
    rng = np.random.default_rng(5)
    n1, c1 = beta_counts(rng, 200, 1, 0.5, 0.3)
    n2, c2 = beta_counts(rng, 200, 1, 0.2, 0.3)
    n, c = np.column_stack([n1, n2]), np.column_stack([c1, c2])
    prior = fit_priors(n, c)
    lo_k, hi_k, _ = spread.kappa_bounds(n, c, prior=prior)
    pri = spread.range_priors(prior, lo_k, hi_k)
    counts = [5, 3]
    low, high = spread.value_range(lambda p: eval_pass(n, c, counts, p)[0], pri)
    point = eval_pass(n, c, counts, prior)[0]
    assert low <= point <= high and high - low > 0.05  # one sample per cell: the spread is wide open
    brute = []  # every configuration's kappa moved together, log-spaced, by hand
    for t in np.linspace(0, 1, spread.RANGE_STEPS):
        k = lo_k ** (1 - t) * hi_k ** t
        mu = prior[0] / (prior[0] + prior[1])
        brute.append(eval_pass(n, c, counts, (mu * k, (1 - mu) * k))[0])
    assert low == pytest.approx(min([*brute, point]), abs=1e-15) and high == pytest.approx(max([*brute, point]))


def test_the_range_shrinks_when_the_data_identify_the_spread():
    rng = np.random.default_rng(6)
    n10, c10 = beta_counts(rng, 300, 10, 0.4, 0.5)
    one = rng.hypergeometric(c10, n10 - c10, 1)
    ones = np.ones_like(one)
    thin, full = matrix([ones], [one]), matrix([n10], [c10])

    def width(m, k):
        prior = fit_priors(m.n, m.c)
        lo, hi, _ = spread.kappa_bounds(m.n, m.c, prior=prior)
        pri = spread.range_priors(prior, lo, hi)
        low, high = spread.value_range(lambda p: eval_pass(m.n, m.c, [k], p)[0], pri)
        return high - low

    assert width(full, 10) is not None and width(full, 10) == 0  # within n: no dependence on the prior
    wide, narrow = width(thin, 40), width(full, 40)
    assert wide > 0.1 and narrow < wide / 4


def test_coverage_in_a_simulation_with_known_truth():
    """Per-question rates from Beta(mu, kappa) with kappa inside the plausible set, n = 10, cut to one sample:
    the ranges hold the n = 10 truth of pure pass@k nearly always, while the fixed concentration 2 overshoots
    when the true spread is wide (kappa = 0.1)."""
    rng = np.random.default_rng(7)
    ns, cs = [], []
    for mu, kappa in [(0.3, 0.1), (0.5, 0.1), (0.4, 0.5), (0.2, 2.0)]:
        n, c = beta_counts(rng, 300, 10, mu, kappa)
        ns.append(n)
        cs.append(c)
    cov = study.coverage(matrix(ns, cs), seed=0)
    assert cov.configs == 4 and cov.ks == tuple(range(2, 11))
    assert cov.coverage >= 0.85
    assert cov.bias_at_top > 0.05  # the old default: too optimistic on wide spreads


def test_cut_to_one_is_one_hypergeometric_draw():
    n, c = np.full((2000, 1), 10), np.full((2000, 1), 3)
    c1 = study.cut_to_one(n, c, seed=1)
    assert set(np.unique(c1)) <= {0, 1} and abs(c1.mean() - 0.3) < 0.04
    assert (study.cut_to_one(n, c, seed=1) == c1).all()


def test_the_point_at_the_default_concentration_is_the_legacy_extrapolation():
    n, c = np.ones((5, 1)), np.array([[1], [0], [1], [1], [0]])
    prior = fit_priors(n, c)
    assert prior[0][0] + prior[1][0] == pytest.approx(DEFAULT_CONCENTRATION)
    f, over = eval_fail(n, c, np.full(n.shape, 4), prior)
    assert over.all() and (f > 0).all() and (f < 1).all()
    assert pass_at_k(np.array([10]), np.array([3]), 2)[0] == pytest.approx(1 - (7 * 6) / (10 * 9))


def test_bench_spread_fits_the_release_concentrations_inside_the_plausible_set(capsys, bcb_path, swe_path):
    import json

    from osca_core.cli import main

    assert main(["bench", "spread", str(bcb_path), str(swe_path), "--no-coverage", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["configs"]) == 32  # 10 BigCodeBench + 22 SWE-bench configurations, all with n >= 2
    assert d["kappa_min"] == pytest.approx(0.119, abs=0.002) and d["kappa_max"] == pytest.approx(2.38, abs=0.01)
    lo, hi = spread.PLAUSIBLE_KAPPA
    assert lo <= d["kappa_min"] and d["kappa_max"] <= hi
    assert all(r["kappa_lo"] <= r["kappa"] <= r["kappa_hi"] for r in d["configs"])


def test_kappa_interval_on_distinct_cells_is_the_per_cell_likelihood_interval():
    from scipy.special import betaln

    def per_cell(n, c, mu, kappa):  # the interval with every cell's term computed on its own
        seen = n > 0
        n, c = n[seen].astype(float), c[seen].astype(float)
        mu = float(np.clip(mu, 1e-12, 1 - 1e-12))
        a, b = mu * spread._GRID[:, None], (1.0 - mu) * spread._GRID[:, None]
        ll = np.sum(betaln(c[None, :] + a, n[None, :] - c[None, :] + b) - betaln(a, b), axis=1)
        ok = np.flatnonzero(ll >= ll.max() - spread.CHI2_HALF)
        lo = spread._GRID[max(ok[0] - 1, 0)]
        hi = spread._GRID[min(ok[-1] + 1, spread.GRID_POINTS - 1)]
        return min(float(lo), kappa), max(float(hi), kappa)

    rng = np.random.default_rng(3)
    for _ in range(30):
        q = int(rng.integers(2, 200))
        n = rng.choice([0, 1, 2, 5, 10, 40], size=q)
        n[0] = 3
        c = np.floor(rng.random(q) * (n + 1)).astype(int)
        mu, kappa = float(rng.random()), float(np.exp(rng.normal() * 3.0))
        assert spread.kappa_interval(n, c, mu, kappa) == per_cell(n, c, mu, kappa)
