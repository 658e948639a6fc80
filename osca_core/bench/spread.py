"""``osca bench spread``: the study behind the plausible set of spreads (``model.spread.PLAUSIBLE_KAPPA``) and the
coverage of the ranges on a real log cut to one sample per cell.

**Fit.** On each log, every configuration whose spread is identified (a cell with n >= 2) gets its maximum-
marginal-likelihood Beta(a, b) (``extrapolation.fit_priors``, all questions) and the concentration kappa = a + b
with its 95% likelihood interval (``spread.kappa_interval``). The plausible set is the range of the fitted kappas
over every log, rounded outwards.

**Coverage.** On a log whose configurations hold n = N samples per question (the LiveCodeBench leaderboard,
N = 10), draw one of the N samples of every cell without replacement (hypergeometric, ``default_rng(seed)``),
so that no configuration identifies its spread, and predict each configuration's pure pass@k for k = 2..N from
the cut log (the Beta-binomial predictive, kappa = ``DEFAULT_CONCENTRATION``: the point; its range over the
plausible set: ``spread.value_range``). The truth is the unbiased pass@k of the full N samples. Reported: the
share of (configuration, k) whose truth lies in the range (coverage), and the mean error of the point (bias) at
k = N. The logs are read from files; nothing is stored.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from osca_core.model.estimators import pass_at_k
from osca_core.model.extrapolation import eval_fail, fit_priors
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.model.spread import PLAUSIBLE_KAPPA, identified, kappa_interval, range_priors, values_range

COVERAGE_CONFIG_N = 10  # the cut configurations: n = 10 in every cell


@dataclass(frozen=True)
class ConfigSpread:
    """One configuration's fitted concentration and its 95% likelihood interval."""

    dataset: str
    config: str
    n_max: int
    mean: float
    kappa: float
    kappa_lo: float
    kappa_hi: float


@dataclass(frozen=True)
class Coverage:
    """The ranges of pure pass@k predicted from a log cut to n = 1 against the truth of the full log."""

    dataset: str
    configs: int
    questions: int
    ks: tuple[int, ...]
    seed: int
    kappa_range: tuple[float, float]
    coverage: float  # share of (config, k) with the truth inside [low, high]
    coverage_at_top: float  # the same at k = N
    bias_at_top: float  # mean (point - truth) at k = N, the point at DEFAULT_CONCENTRATION
    abs_error_at_top: float
    mean_width_at_top: float  # mean high - low at k = N

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SpreadStudy:
    configs: tuple[ConfigSpread, ...]
    not_identified: dict  # dataset -> configurations with n <= 1 everywhere (no spread to fit)
    coverage: Coverage | None

    @property
    def kappa_min(self) -> float:
        return min(r.kappa for r in self.configs)

    @property
    def kappa_max(self) -> float:
        return max(r.kappa for r in self.configs)

    def quantiles(self) -> dict:
        k = np.array([r.kappa for r in self.configs])
        return {q: float(np.quantile(k, q / 100)) for q in (0, 5, 25, 50, 75, 95, 100)}

    def as_dict(self) -> dict:
        return {"plausible_kappa": list(PLAUSIBLE_KAPPA), "kappa_min": self.kappa_min, "kappa_max": self.kappa_max,
                "quantiles": {str(q): v for q, v in self.quantiles().items()},
                "per_dataset": {d: {"configs": len(rs), "kappa_min": min(r.kappa for r in rs),
                                    "kappa_max": max(r.kappa for r in rs)}
                                for d in dict.fromkeys(r.dataset for r in self.configs)
                                for rs in [[r for r in self.configs if r.dataset == d]]},
                "not_identified": self.not_identified,
                "configs": [asdict(r) for r in self.configs],
                "coverage": None if self.coverage is None else self.coverage.as_dict()}

    def text(self) -> str:
        lines = ["concentration kappa = a + b of the Beta prior, fitted per configuration (n >= 2 cells)"]
        for d, v in self.as_dict()["per_dataset"].items():
            lines.append(f"  {d}: {v['configs']} configurations, kappa {v['kappa_min']:.3g} .. {v['kappa_max']:.3g}")
        for d, k in self.not_identified.items():
            lines.append(f"  {d}: {k} configurations hold one sample per question (spread not identified)")
        q = self.quantiles()
        lines.append(f"  all: {len(self.configs)} configurations, kappa {q[0]:.3g} .. {q[100]:.3g} (5%/50%/95%: "
                     f"{q[5]:.3g} / {q[50]:.3g} / {q[95]:.3g}); plausible set {PLAUSIBLE_KAPPA[0]:g} .. "
                     f"{PLAUSIBLE_KAPPA[1]:g}")
        c = self.coverage
        if c is not None:
            lines.append(f"coverage on {c.dataset} cut to n = 1 (seed {c.seed}; {c.configs} configurations x "
                         f"{c.questions} questions, k = {c.ks[0]}..{c.ks[-1]}, kappa range {c.kappa_range[0]:g} .. "
                         f"{c.kappa_range[1]:g}): {100 * c.coverage:.1f}% of (configuration, k) ranges hold the "
                         f"n = {c.ks[-1]} truth; at k = {c.ks[-1]} {100 * c.coverage_at_top:.1f}%, mean width "
                         f"{c.mean_width_at_top:.3f}; the point (kappa 2) errs by {c.bias_at_top:+.3f} on average "
                         f"(mean |error| {c.abs_error_at_top:.3f})")
        return "\n".join(lines)


def config_spreads(matrix: OutcomeMatrix) -> tuple[list[ConfigSpread], int]:
    """The fitted concentration of every configuration of ``matrix`` that identifies it (all questions, imputed
    cells excluded), and how many do not."""
    n = np.where(matrix.imputed, 0, matrix.n)
    c = np.where(n > 0, matrix.c, 0)
    a, b = fit_priors(n, c)
    known = identified(n)
    rows = []
    for s in np.flatnonzero(known):
        k = float(a[s] + b[s])
        lo, hi = kappa_interval(n[:, s], c[:, s], float(a[s]) / k, k)
        rows.append(ConfigSpread(matrix.name, matrix.config_names[s], int(n[:, s].max()), float(a[s]) / k, k, lo, hi))
    return rows, int((~known).sum())


def cut_to_one(n: np.ndarray, c: np.ndarray, seed: int) -> np.ndarray:
    """c of one sample drawn without replacement from each cell's (n, c) (hypergeometric), ``default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    return rng.hypergeometric(np.asarray(c, np.int64), np.asarray(n - c, np.int64), 1).astype(np.int64)


def coverage(matrix: OutcomeMatrix, *, seed: int = 0, kappa_range: tuple[float, float] = PLAUSIBLE_KAPPA,
             n_full: int = COVERAGE_CONFIG_N) -> Coverage:
    """:class:`Coverage` on the configurations of ``matrix`` with n = ``n_full`` in every cell (module docstring)."""
    full = (matrix.n == n_full).all(axis=0) & ~matrix.imputed.any(axis=0)
    cols = np.flatnonzero(full)
    if cols.size == 0:
        raise ValueError(f"{matrix.name}: no configuration holds n = {n_full} in every cell")
    n, c = matrix.n[:, cols].astype(np.int64), matrix.c[:, cols].astype(np.int64)
    c1 = cut_to_one(n, c, seed)
    n1 = np.ones_like(c1)
    prior = fit_priors(n1, c1)  # no cell with n >= 2: DEFAULT_CONCENTRATION
    s = cols.size
    lo_k, hi_k = np.full(s, kappa_range[0]), np.full(s, kappa_range[1])
    pri = range_priors(prior, lo_k, hi_k)
    ks = tuple(range(2, n_full + 1))
    hits, tops = [], {}
    for k in ks:
        truth = pass_at_k(n, c, k).mean(axis=0)

        def pure(p, k=k):
            return 1.0 - eval_fail(n1, c1, np.full(n1.shape, k), (p[0][None, :], p[1][None, :]))[0].mean(axis=0)

        point = pure(prior)
        low, high = values_range(pure, pri)
        hits.append((truth >= low - 1e-12) & (truth <= high + 1e-12))
        tops = {"truth": truth, "point": point, "low": low, "high": high}
    hit = np.array(hits)
    err = tops["point"] - tops["truth"]
    return Coverage(matrix.name, int(s), int(n.shape[0]), ks, seed, tuple(map(float, kappa_range)),
                    float(hit.mean()), float(hit[-1].mean()), float(err.mean()), float(np.abs(err).mean()),
                    float((tops["high"] - tops["low"]).mean()))


def read_log(path: str | Path, name: str) -> OutcomeMatrix:
    """A log file read through the importers into a throw-away store (nothing is kept)."""
    from osca_core.data.importers import import_paths, read_release
    from osca_core.data.store import Store

    p = Path(path)
    if p.suffix == ".json":
        return read_release(p)
    with tempfile.TemporaryDirectory(prefix="osca-spread-") as tmp:
        store = Store.open(tmp)
        import_paths(store, [p], name=name)
        return store.load_matrix(name)


PUBLIC_LOGS = ("lcb_codeexecution_agg.csv", "canaicode_senior_long.csv")
RELEASE_LOGS = ("bcb_results.json", "swebench_agentless.json")


def default_logs(release: Path) -> list[Path]:
    """The release's two logs and the public logs in ``public-logs`` beside the release folder (those present)."""
    public = release.parent / "public-logs"
    found = [release / f for f in RELEASE_LOGS] + [public / f for f in PUBLIC_LOGS]
    return [p for p in found if p.is_file()] or [release / f for f in RELEASE_LOGS]


def default_coverage_log(release: Path) -> Path:
    """public-logs/lcb_codeexecution_agg.csv beside the release folder."""
    return release.parent / "public-logs" / PUBLIC_LOGS[0]


def spread_study(logs: Sequence[OutcomeMatrix], coverage_log: OutcomeMatrix | None = None, *, seed: int = 0
                 ) -> SpreadStudy:
    """The fits on ``logs`` and the coverage on ``coverage_log`` (module docstring)."""
    rows: list[ConfigSpread] = []
    missing = {}
    for m in logs:
        r, k = config_spreads(m)
        rows += r
        if k:
            missing[m.name] = k
    cov = None if coverage_log is None else coverage(coverage_log, seed=seed)
    return SpreadStudy(tuple(rows), missing, cov)
