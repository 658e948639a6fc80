"""``osca bench next``: does following ``osca next`` shrink the error of the predicted pass@C more than the same
number of samples spread at random? A simulation with known truth.

Truth: per configuration s a mean mu_s ~ U(0.02, 0.2) and a spread kappa_s ~ U(0.5, 3); per cell p_qs ~
Beta(mu_s kappa_s, (1 - mu_s) kappa_s). A thin log: n_qs ~ U{1, 2, 3, 10} (a CRUXEval-shaped log: most cells far
below the budget), c_qs ~ Binomial(n_qs, p_qs), every question both training and test (no split, in-sample). The
decision: OSCA's allocation k* at budget C on that log (:func:`osca_core.analysis.where_next.next_samples`);
its true pass@C T = mean_q [1 - prod_s (1 - p_qs)^{k*_s}], its predicted pass@C V the evaluation rule of
:mod:`osca_core.model.extrapolation` (priors refitted after the new samples). Then N further samples, drawn from
the truth, placed

- ``next``: where ``next_samples`` asks;
- ``random``: uniformly at random over every cell of the log (multinomial);
- ``random-support``: uniformly at random over the cells of the configurations of the leading allocations (the
  fairer baseline: it knows which configurations matter).

Reported per seed and as means over seeds: |V - T| before and after each; the figure of merit is the mean absolute
error after ``next`` against after ``random`` (reported, never asserted by timing; tests/test_next_samples.py
checks the ordering on a small seeded case).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from osca_core.model import extrapolation as ex
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name

THIN_N = (1, 2, 3, 10)
ARMS = ("next", "random", "random-support")


@dataclass(frozen=True)
class SeedRun:
    seed: int
    truth: float
    before: float  # |V - T| before the new samples
    after: dict  # arm -> mean |V - T| after (over the draws of the new samples)
    requested: int
    sd_before: float  # posterior sd of the chosen allocation's pass@C now
    sd_after: dict  # arm -> its expected posterior sd after the arm's samples (exact, preposterior)


@dataclass(frozen=True)
class NextBench:
    questions: int
    configs: int
    budget: int
    samples: int
    runs: tuple[SeedRun, ...]

    def mean_before(self) -> float:
        return float(np.mean([r.before for r in self.runs]))

    def mean_after(self, arm: str) -> float:
        return float(np.mean([r.after[arm] for r in self.runs]))

    def mean_sd(self, arm: str | None = None) -> float:
        return float(np.mean([r.sd_before if arm is None else r.sd_after[arm] for r in self.runs]))

    def as_dict(self) -> dict:
        return asdict(self) | {"mean_abs_error": {"before": self.mean_before(),
                                                  **{a: self.mean_after(a) for a in ARMS}},
                               "mean_posterior_sd": {"before": self.mean_sd(), **{a: self.mean_sd(a) for a in ARMS}},
                               "next_wins": sum(r.after["next"] < r.after["random"] for r in self.runs)}

    def text(self) -> str:
        head = (f"osca next vs random: {self.questions} questions x {self.configs} configurations, n in "
                f"{set(THIN_N)}, C = {self.budget}, N = {self.samples} new samples, {len(self.runs)} seeds")
        means = ", ".join(f"{a} {self.mean_after(a):.4f}" for a in ARMS)
        wins = sum(r.after["next"] < r.after["random"] for r in self.runs)
        sds = ", ".join(f"{a} {self.mean_sd(a):.4f}" for a in ARMS)
        return (f"{head}\nmean |predicted - true pass@C|: before {self.mean_before():.4f}; after {means}\n"
                f"mean posterior sd (exact): before {self.mean_sd():.4f}; after {sds}\n"
                f"next beats random on {wins}/{len(self.runs)} seeds")


def truth_matrix(rng: np.random.Generator, questions: int, configs: int) -> tuple[np.ndarray, OutcomeMatrix]:
    """The true rates (Q, S) and a thin log drawn from them (module docstring)."""
    mu = rng.uniform(0.02, 0.2, configs)
    kappa = rng.uniform(0.5, 3.0, configs)
    p = rng.beta(mu * kappa, (1.0 - mu) * kappa, size=(questions, configs))
    n = rng.choice(THIN_N, size=(questions, configs))
    c = rng.binomial(n, p)
    names = [f"m{j}_0.{j % 9 + 1}" for j in range(configs)]
    every = np.ones(questions, bool)
    m = OutcomeMatrix(name="sim", question_ids=tuple(f"q{i}" for i in range(questions)),
                      configs=tuple(parse_config_name(x) for x in names), n=n, c=c, train=every, test=every,
                      synthetic=True)
    return p, m


def true_pass(p: np.ndarray, k: np.ndarray) -> float:
    return float(np.mean(1.0 - np.prod((1.0 - p) ** k[None, :], axis=1)))


def predicted(m: OutcomeMatrix, k: np.ndarray) -> float:
    return ex.eval_pass(m.n, m.c, k, ex.priors(m))[0]


def add_samples(m: OutcomeMatrix, p: np.ndarray, extra: np.ndarray, rng: np.random.Generator) -> OutcomeMatrix:
    """The log with ``extra`` (Q, S) further samples per cell drawn from the truth."""
    return m.with_counts(m.n + extra, m.c + rng.binomial(extra, p))


def spread_at_random(cells: np.ndarray, total: int, rng: np.random.Generator, shape) -> np.ndarray:
    """``total`` samples uniformly at random over the flat cell indices ``cells``."""
    out = np.zeros(int(np.prod(shape)), np.int64)
    np.add.at(out, rng.choice(cells, size=total), 1)
    return out.reshape(shape)


def run_seed(seed: int, *, questions: int, configs: int, budget: int, samples: int, draws: int = 4) -> SeedRun:
    """One simulated log: the requests, the random designs, and each arm's error after (mean over ``draws``
    draws of the new samples, the same streams for every arm) and its expected posterior sd after (exact)."""
    from osca_core.analysis.where_next import design_sd, next_samples

    rng = np.random.default_rng([seed, 22])
    p, m = truth_matrix(rng, questions, configs)
    res = next_samples(m, samples, budget=budget, seed=seed, n_resamples=0)
    k = np.array(_counts(m, res.chosen.allocation), np.int64)
    t = true_pass(p, k)
    before = abs(predicted(m, k) - t)
    design = np.zeros(m.shape, np.int64)
    qi = {q: i for i, q in enumerate(m.question_ids)}
    for r in res.requests:
        design[qi[r.question_id], m.config_names.index(r.config)] += r.samples
    total = int(design.sum())
    sup = np.flatnonzero(np.any([_counts(m, x.allocation) for x in res.leading], axis=0))
    flat = np.arange(m.n.size).reshape(m.shape)
    extras = {"next": design,
              "random": spread_at_random(flat.ravel(), total, rng, m.shape),
              "random-support": spread_at_random(flat[:, sup].ravel(), total, rng, m.shape)}
    after, sd_after = {}, {}
    for arm in ARMS:
        errs = [abs(predicted(add_samples(m, p, extras[arm], np.random.default_rng([seed, 23, d])), k) - t)
                for d in range(draws)]
        after[arm] = float(np.mean(errs))
        sd0, sd_after[arm] = design_sd(m, k, extras[arm])
    return SeedRun(seed, t, before, after, total, sd0, sd_after)


def _counts(m: OutcomeMatrix, alloc) -> list[int]:
    return [int(alloc.get(x, 0)) for x in m.config_names]


def bench_next(*, seeds: Sequence[int] = tuple(range(10)), questions: int = 200, configs: int = 8, budget: int = 16,
               samples: int = 400, draws: int = 4) -> NextBench:
    runs = tuple(run_seed(s, questions=questions, configs=configs, budget=budget, samples=samples, draws=draws)
                 for s in seeds)
    return NextBench(questions, configs, budget, samples, runs)
