"""Where to sample next: the N further samples (question x configuration x count) that most reduce the uncertainty
of the decision at a budget C (``osca next``).

The decision. The budget C counts samples (per-sample costs of the log are set aside). At budget C the leading allocations are OSCA's (``strategies.registry.allocate(.., "osca")``, chosen
on the training questions) and the ``leading - 1`` best pure allocations by the training objective (baselines
chosen on training data). Their predicted pass@C, V_i = mean_q [1 - prod_s f_qs(k_is)], is the evaluation rule of
:mod:`osca_core.model.extrapolation` (unbiased within n, Beta-binomial predictive beyond n) over every question of
the log (a thin log has no split; the numbers are in-sample).

The uncertainty. Each cell's pass rate has the Beta-binomial posterior p_qs ~ Beta(a_s + c, b_s + n - c) under the
configuration's prior (``extrapolation.priors``), cells independent. The true pass@C of allocation i is
T_i = 1 - (1/Q) sum_q prod_s (1 - p_qs)^{k_is}, so

    Cov[T_i, T_i'] = (1/Q^2) sum_q (prod_s H_qs,ii' - prod_s G_qs,ii'(m_qs)),

with H and G the exact moments of :mod:`osca_core.model.preposterior` (G after m_qs further samples of the cell;
m = 0 now). The rule minimizes the expected posterior uncertainty

    U(m) = sum_w lambda_w  w' Cov_m[T] w

over contrasts w given by the uncertainty *sources* (:data:`SOURCES`, pluggable):

- ``"allocation"``: w = e_1, the posterior variance of the chosen (OSCA) allocation's pass@C, weight 1;
- ``"gap"``: w = e_1 - e_j for each runner-up j, the variance of the gap between the leading allocations,
  weighted lambda_j = exp(-(gap_j / sd_j)^2 / 2) (a gap many standard deviations wide decides nothing);
- the spread of the prior (the plausible set of concentrations where no configuration identifies it) enters
  through the cell posterior, not as a contrast: ``spread=(kappa, ...)`` makes each such configuration's prior an
  equal mixture of Beta priors with its mean and those concentrations (plus the fitted one), so every variance
  above includes the uncertainty of the spread and a cell's samples are worth more where they decide it;
  ``spread="ranges"`` takes the ends of each configuration's plausible interval of :mod:`osca_core.model.spread`
  (the honest ranges of ``curves``; ``osca next --spread ranges``) for every configuration.

The rule is greedy: ``step`` samples at a time to the cell with the largest expected reduction of U (exact, no
simulation; U is separable over questions, so one pick updates one question's candidates); ties are broken in a
seeded random order. Only cells of configurations in some leading allocation can reduce U, and the cells whose
term is extrapolated (n_qs < k_s: *thin* cells) hold most of the uncertainty. It stops early when no cell reduces
U by more than ``GAIN_TOL`` (the requests sum to at most N).

The bootstrap over questions. ``expected.bootstrap_sd_before`` is the standard error of V_1 over B bootstrap
resamples of the questions (``analysis.bootstrap.bootstrap_means``, seeded); its part due to the cells' own noise
is about Var[T_1], so ``bootstrap_sd_after`` = sqrt(max(se^2 - (Var_before[T_1] - Var_after[T_1]), 0)) (the
between-question part does not shrink with more samples per cell).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from osca_core.model import extrapolation as ex
from osca_core.model import preposterior as pp
from osca_core.model.budgets import check_budgets
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.results import allocation_text

DEFAULT_LEADING = 3  # OSCA's allocation and the two best pure ones
DEFAULT_RESAMPLES = 200
GAIN_TOL = 1e-15


@dataclass(frozen=True)
class Request:
    """Draw ``samples`` more samples of configuration ``config`` on question ``question_id`` (holding n, c now)."""

    config: str
    question_id: str
    samples: int
    n: int = 0
    c: int = 0

    def as_dict(self) -> dict:
        return {"config": self.config, "question_id": self.question_id, "samples": self.samples}


@dataclass(frozen=True)
class Leading:
    """One leading allocation at the budget: its predicted pass@C and its posterior sd now and after the requests;
    for runners-up the gap V_1 - V_i and its sd, and the weight of that gap in U."""

    name: str
    allocation: Mapping[str, int]
    predicted_pass: float
    extrapolated: bool
    sd_before: float
    sd_after: float
    gap: float = 0.0
    gap_sd_before: float = 0.0
    gap_sd_after: float = 0.0
    weight: float = 1.0

    def as_dict(self) -> dict:
        return {"name": self.name, "allocation": dict(self.allocation), "predicted_pass": self.predicted_pass,
                "extrapolated": self.extrapolated, "sd_before": self.sd_before, "sd_after": self.sd_after,
                "gap": self.gap, "gap_sd_before": self.gap_sd_before, "gap_sd_after": self.gap_sd_after,
                "weight": self.weight}


@dataclass(frozen=True)
class NextSamples:
    """The requests and what they are expected to do (module docstring); ``as_dict`` is ``osca next --json``."""

    dataset: str
    samples: int
    budget: int
    requests: tuple[Request, ...]
    leading: tuple[Leading, ...]
    uncertainty_before: float
    uncertainty_after: float
    bootstrap_sd_before: float | None
    bootstrap_sd_after: float | None
    thin_cells: int
    thin_share: float
    questions: int
    sources: tuple[str, ...]
    spread: tuple[float, ...] | str
    seed: int

    @property
    def requested(self) -> int:
        return sum(r.samples for r in self.requests)

    @property
    def chosen(self) -> Leading:
        return self.leading[0]

    def as_dict(self) -> dict:
        ch = self.chosen
        expected = {
            "allocation": dict(ch.allocation), "predicted_pass": ch.predicted_pass, "extrapolated": ch.extrapolated,
            "sd_before": ch.sd_before, "sd_after": ch.sd_after,
            "uncertainty_before": self.uncertainty_before, "uncertainty_after": self.uncertainty_after,
            "bootstrap_sd_before": self.bootstrap_sd_before, "bootstrap_sd_after": self.bootstrap_sd_after,
            "leading": [x.as_dict() for x in self.leading], "requested": self.requested,
            "cells": len(self.requests), "thin_cells": self.thin_cells, "thin_share": self.thin_share,
            "questions": self.questions, "sources": list(self.sources), "spread": self.spread if isinstance(self.spread, str) else list(self.spread),
            "seed": self.seed, "method": "greedy expected reduction of the posterior variance (Beta-binomial "
                                          "preposterior, exact)",
        }
        return {"dataset": self.dataset, "samples": self.samples, "budget": self.budget,
                "requests": [r.as_dict() for r in self.requests], "expected": expected}

    def table(self) -> list[dict]:
        """One row per request with the cell's current counts (the CSV download)."""
        return [{"config": r.config, "question_id": r.question_id, "samples": r.samples, "n": r.n, "correct": r.c}
                for r in self.requests]


# -- uncertainty sources: contrasts over the leading allocations -----------------------------------------------

Contrast = tuple[float, np.ndarray]  # (weight lambda_w, w over the L leading allocations)
Source = Callable[[np.ndarray, np.ndarray], list[Contrast]]  # (values (L,), covariance now (L, L)) -> contrasts


def _allocation_source(values: np.ndarray, cov: np.ndarray) -> list[Contrast]:
    e = np.zeros(len(values))
    e[0] = 1.0
    return [(1.0, e)]


def gap_weight(gap: float, var: float) -> float:
    """exp(-(gap / sd)^2 / 2): 1 for a tie, ~0 for a gap many posterior standard deviations wide."""
    return float(np.exp(-0.5 * gap * gap / var)) if var > 0 else float(gap == 0)


def _gap_source(values: np.ndarray, cov: np.ndarray) -> list[Contrast]:
    out = []
    for j in range(1, len(values)):
        w = np.zeros(len(values))
        w[0], w[j] = 1.0, -1.0
        out.append((gap_weight(values[0] - values[j], float(w @ cov @ w)), w))
    return out


SOURCES: dict[str, Source] = {"allocation": _allocation_source, "gap": _gap_source}


# -- the computation ---------------------------------------------------------------------------------------------

def default_budget(matrix: OutcomeMatrix, cap: int = 64) -> int:
    """The budget ``osca next`` decides at by default: the largest measured n among the configurations (the top of
    the default curve of ``curves`` / ``savings``), at most ``cap``."""
    return max(1, min(ex.largest_measured_n(matrix), cap))


def leading_allocations(matrix: OutcomeMatrix, budget: int, leading: int = DEFAULT_LEADING, *, seed: int = 0
                        ) -> list[tuple[str, np.ndarray]]:
    """OSCA's allocation at ``budget`` and the best ``leading - 1`` other pure ones by the training objective."""
    from osca_core.strategies import registry

    (osca,) = registry.allocate(matrix, "osca", [budget], seed=seed)
    out = [("osca", np.asarray(osca.counts, np.int64))]
    n, c = matrix.train_counts()
    prior = ex.lazy_prior(matrix)
    s = len(matrix.configs)
    pures = []
    for j in range(s):
        k = np.zeros(s, np.int64)
        k[j] = budget
        pures.append((ex.train_pass(n, c, k, prior), -j, k))
    for _, j, k in sorted(pures, key=lambda t: (t[0], t[1]), reverse=True):
        if len(out) >= leading:
            break
        if not any(np.array_equal(k, o) for _, o in out):
            out.append((f"pure:{matrix.configs[-j].name}", k))
    return out


def spread_components(a: np.ndarray, b: np.ndarray, identified: np.ndarray, spread: Sequence[float]
                      ) -> tuple[np.ndarray, np.ndarray]:
    """(J, S) prior components: the fitted (a_s, b_s) and, for configurations whose spread is not ``identified``,
    the same mean at each concentration of ``spread`` (identified ones repeat the fitted prior)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    mu = a / (a + b)
    ca, cb = [a], [b]
    for kappa in spread:
        ca.append(np.where(identified, a, mu * float(kappa)))
        cb.append(np.where(identified, b, (1.0 - mu) * float(kappa)))
    return np.stack(ca), np.stack(cb)


class _Greedy:
    """The greedy design over the cells of the support configurations (module docstring)."""

    def __init__(self, n, c, counts, prior_a, prior_b, lam, step: int, rng):
        self.step = step
        self.lam = lam
        al, be, lw = pp.posterior_components(n, c, prior_a.T[None], prior_b.T[None])  # (Q, S, J)
        self.post = (al, be, lw)
        exps = np.broadcast_to(counts.T[None], (*n.shape, counts.shape[0]))  # (Q, S, L)
        self.exps = exps
        self.H = pp.second_moments(al, be, lw, exps)
        mean = pp.fail_moment(al, be, lw, exps)
        self.G = mean[..., :, None] * mean[..., None, :]
        self.Gn = pp.preposterior_moments(al, be, lw, exps, step)
        self.m = np.zeros(n.shape, np.int64)
        self.perm = rng.permutation(n.size)
        self.gain = np.zeros(n.shape)
        for q in range(n.shape[0]):
            self._row(q)

    def _row(self, q: int) -> None:
        g, gn = self.G[q], self.Gn[q]
        now = np.prod(g, axis=0)
        for s in range(g.shape[0]):
            rest = np.prod(np.delete(g, s, axis=0), axis=0)
            self.gain[q, s] = float(np.sum(self.lam * (rest * gn[s] - now)))

    def run(self, samples: int) -> np.ndarray:
        left = samples
        while left >= self.step:
            flat = self.gain.ravel()[self.perm]
            i = int(np.argmax(flat))
            if flat[i] <= GAIN_TOL:
                break
            q, s = np.unravel_index(self.perm[i], self.gain.shape)
            self.m[q, s] += self.step
            self.G[q, s] = self.Gn[q, s]
            al, be, lw = (x[q, s] for x in self.post)
            self.Gn[q, s] = pp.preposterior_moments(al, be, lw, self.exps[q, s], int(self.m[q, s]) + self.step)
            self._row(q)
            left -= self.step
        return self.m

    def apply(self, design: np.ndarray) -> None:
        """Set the design to ``design`` (Q, S) further samples per cell (its moments; no greedy)."""
        for q, s in zip(*np.nonzero(design), strict=True):
            al, be, lw = (x[q, s] for x in self.post)
            self.m[q, s] = design[q, s]
            self.G[q, s] = pp.preposterior_moments(al, be, lw, self.exps[q, s], int(design[q, s]))

    def covariance(self) -> np.ndarray:
        """Cov[T] (L, L) expected after the design so far."""
        q = self.H.shape[0]
        return np.sum(np.prod(self.H, axis=1) - np.prod(self.G, axis=1), axis=0) / (q * q)


def prior_components(matrix: OutcomeMatrix, spread: Sequence[float] | str = ()) -> tuple[np.ndarray, np.ndarray]:
    """(J, S) prior components of the cell posteriors: the fitted prior alone; with ``spread`` a sequence of
    concentrations, :func:`spread_components`; with ``spread="ranges"`` the fitted prior and the two ends of each
    configuration's plausible concentration interval (``model.spread.matrix_bounds``: its likelihood interval,
    borrowed or the plausible set, the mean held at its fit), as the honest ranges of ``curves`` take them."""
    prior = ex.priors(matrix)
    if isinstance(spread, str):
        if spread != "ranges":
            raise ValueError(f"unknown spread {spread!r} (use 'ranges' or concentrations)")
        from osca_core.model import spread as sp

        lo, hi, _ = sp.matrix_bounds(matrix, prior)
        comps = sp.range_priors(prior, lo, hi, steps=2)
        return np.stack([np.asarray(a, float) for a, _ in comps]), np.stack([np.asarray(b, float) for _, b in comps])
    known = (matrix.n[matrix.train] >= 2).any(axis=0)
    return spread_components(prior[0], prior[1], known, spread)


def _design(matrix: OutcomeMatrix, counts: np.ndarray, spread, step: int, seed: int) -> _Greedy:
    """The greedy design over the cells of the configurations some allocation of ``counts`` (L, S) uses."""
    sup = np.flatnonzero(counts.any(axis=0))
    pa, pb = prior_components(matrix, spread)
    lam = np.zeros((counts.shape[0],) * 2)
    return _Greedy(matrix.n[:, sup], matrix.c[:, sup], counts[:, sup], pa[:, sup], pb[:, sup], lam, step,
                   np.random.default_rng(seed))


def design_sd(matrix: OutcomeMatrix, counts: Sequence[int], design: np.ndarray, *, spread: Sequence[float] = ()
              ) -> tuple[float, float]:
    """The posterior sd of the pass@C of the allocation ``counts`` (S,) now and expected after ``design`` (Q, S)
    further samples per cell (any design: ``osca next``'s, or samples spread at random, to compare them exactly)."""
    k = np.asarray(counts, np.int64)[None, :]
    unit = _design(matrix, k, spread, 1, 0)
    before = unit.covariance()[0, 0]
    unit.apply(np.asarray(design, np.int64)[:, k[0] > 0])
    return _sd(before), _sd(unit.covariance()[0, 0])


def next_samples(matrix: OutcomeMatrix, samples: int, *, budget: int | None = None, leading: int = DEFAULT_LEADING,
                 sources: Sequence[str] = ("allocation", "gap"), spread: Sequence[float] | str = (), step: int = 1,
                 n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> NextSamples:
    """The ``samples`` further samples that most reduce the decision's uncertainty at ``budget`` (module docstring;
    default budget :func:`default_budget`). ``matrix`` must be complete (``missing.apply_missing``)."""
    if samples < 0 or step < 1:
        raise ValueError("next_samples needs samples >= 0 and step >= 1")
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ValueError(f"unknown uncertainty source {unknown[0]!r} (use {', '.join(SOURCES)})")
    if (matrix.costs != 1.0).any():  # the budget counts samples (module docstring)
        matrix = matrix.with_costs({k.name: 1.0 for k in matrix.configs})
    budget = default_budget(matrix) if budget is None else check_budgets([budget])[0]
    lead = leading_allocations(matrix, budget, max(1, leading), seed=seed)
    counts = np.stack([k for _, k in lead])  # (L, S)
    sup = np.flatnonzero(counts.any(axis=0))
    n, c = matrix.n, matrix.c
    prior = ex.priors(matrix)
    vals, flags, qvals = [], [], None
    for _, k in lead:
        f, over = ex.question_fail(n, c, k, prior)
        vals.append(float(np.mean(1.0 - f)))
        flags.append(bool(over.any()))
        qvals = 1.0 - f if qvals is None else qvals
    vals = np.asarray(vals)
    k_sup = counts[:, sup]
    unit = _design(matrix, counts, spread, step, seed)
    cov0 = unit.covariance()
    contrasts = [x for name in sources for x in SOURCES[name](vals, cov0)]
    lam = sum(w * np.outer(v, v) for w, v in contrasts) if contrasts else np.zeros_like(cov0)
    unit.lam = lam
    for q in range(n.shape[0]):
        unit._row(q)
    design = unit.run(int(samples))
    cov1 = unit.covariance()
    ids, names = matrix.question_ids, matrix.config_names
    reqs = tuple(Request(names[sup[s]], ids[q], int(design[q, s]), int(n[q, sup[s]]), int(c[q, sup[s]]))
                 for q, s in zip(*np.nonzero(design), strict=True))
    thin = n[:, sup] < k_sup.max(axis=0)[None, :]
    requested = int(design.sum())
    boot = _bootstrap_sd(qvals, n_resamples, seed)
    after = None if boot is None else float(np.sqrt(max(boot ** 2 - (cov0[0, 0] - cov1[0, 0]), 0.0)))
    board = []
    for i, (name, k) in enumerate(lead):
        alloc = dict(sorted(((names[j], int(k[j])) for j in np.flatnonzero(k)), key=lambda t: -t[1]))
        row = dict(name=name, allocation=alloc, predicted_pass=float(vals[i]), extrapolated=flags[i],
                   sd_before=_sd(cov0[i, i]), sd_after=_sd(cov1[i, i]))
        if i:
            w = np.zeros(len(lead))
            w[0], w[i] = 1.0, -1.0
            row |= dict(gap=float(vals[0] - vals[i]), gap_sd_before=_sd(w @ cov0 @ w), gap_sd_after=_sd(w @ cov1 @ w),
                        weight=gap_weight(vals[0] - vals[i], float(w @ cov0 @ w)))
        board.append(Leading(**row))
    return NextSamples(
        dataset=matrix.name, samples=int(samples), budget=budget, requests=reqs, leading=tuple(board),
        uncertainty_before=float(np.sum(lam * cov0)), uncertainty_after=float(np.sum(lam * cov1)),
        bootstrap_sd_before=boot, bootstrap_sd_after=after, thin_cells=int(thin.sum()),
        thin_share=float((design * thin).sum() / requested) if requested else 0.0, questions=int(n.shape[0]),
        sources=tuple(sources), spread=spread if isinstance(spread, str) else tuple(float(x) for x in spread),
        seed=int(seed))


def _sd(v) -> float:
    return float(np.sqrt(max(float(v), 0.0)))


def _bootstrap_sd(qvals: np.ndarray, n_resamples: int, seed: int) -> float | None:
    from osca_core.analysis.bootstrap import bootstrap_means

    if n_resamples < 2 or len(qvals) < 2:
        return None
    return float(bootstrap_means(qvals, n_resamples=n_resamples, seed=seed).standard_error)


def describe(result: NextSamples) -> str:
    """One line: what the requests buy (the text output's headline)."""
    ch = result.chosen
    return (f"{result.requested} samples on {len(result.requests)} cells at C = {result.budget}, over all "
            f"{result.questions} questions (in-sample): the pass@C of "
            f"{allocation_text(ch.allocation)} ({ch.predicted_pass:.4f}) has posterior sd {ch.sd_before:.4f} now, "
            f"{ch.sd_after:.4f} expected after")
