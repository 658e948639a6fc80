"""``osca bench beyond``: budgets beyond n against the same work within n, measured in one run.

The same pass rates logged twice (Q questions x S configurations of ``synthetic.demo_matrix`` with n = 10 samples
per cell, and the same counts times 10: n = 100, c x 10, so every plug-in rate c/n is the same): budgets
1 .. C_max (default 64) lie beyond n on the thin log (the fail tables of ``osca_core.optimize.beyond_n``,
Beta-binomial terms beyond n) and within n on the thick one (``osca_core.optimize.curve``, the certified fast
optimizer). For each S it times the training optimizer on all Q questions on both logs (medians of ``runs``,
taken round by round: ``bench.timing.interleaved``), reports beyond / within, the tracemalloc peak of one
beyond-n solve and its training objective at C_max beside the within-n one; with ``holdout`` it also times
``analysis.experiments.run_curves`` of ``osca`` over 10 random half splits (``--holdout``) on both logs at the
first S, and the dashboard's held-out view of the thin log (every pure curve plus the default strategies, the
computation ``pages/_compute.py`` caches: ``all_pure_curves``, then ``run_curves`` and the ranges per strategy; the
caches by training counts emptied first: ``held_out_view``). The numba kernel of the within-n beam is
loaded before any timing.

Goals (reported, never asserted; issue 22): beyond / within <= 3 at S = 64, 256, 1024, Q = 400, budgets 1..64,
and for ``--holdout``; no refusal at S = 1024; the dashboard's held-out view of S = 64 within 3 s. With
``certify`` it also proves the thin log's budgets (``osca_core.optimize.certify_beyond``, from the optimizer's
allocations): the fraction of budgets certified (goal >= 90%), the certification seconds, how many budgets the
proof improved and the largest gap left open.
"""

from __future__ import annotations

import dataclasses
import tracemalloc
from dataclasses import asdict, dataclass

from osca_core.bench.timing import interleaved, timed
from osca_core.data.synthetic import demo_matrix
from osca_core.model.extrapolation import fit_priors
from osca_core.optimize import beamstep
from osca_core.optimize.beyond_n import optimize_tabled
from osca_core.optimize.curve import optimize_curve

GOAL_RATIO = 3.0
GOAL_VIEW_SECONDS = 3.0
GOAL_CERTIFIED = 0.9
CERTIFY_SECONDS = 600.0  # the proof's time limit here (a measurement; osca optimize --certify stops at 120 s)
FACTOR = 10  # the thick log: n and c times this
VIEW_STRATEGIES = ("best-pure", "uniform", "even", "osca")  # the default strategies (cli.choices), beside every pure


@dataclass(frozen=True)
class BeyondPoint:
    configs: int
    questions: int
    budget: int
    within_seconds: float
    beyond_seconds: float
    ratio: float
    beyond_peak_mb: float
    within_objective: float
    beyond_objective: float
    certify: dict | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BeyondBench:
    points: tuple[BeyondPoint, ...]
    runs: int
    holdout: dict | None

    def as_dict(self) -> dict:
        return {"points": [p.as_dict() for p in self.points], "runs": self.runs, "holdout": self.holdout,
                "goals": {"ratio": GOAL_RATIO, "view_seconds": GOAL_VIEW_SECONDS, "certified": GOAL_CERTIFIED}}

    def text(self) -> str:
        lines = [f"budgets beyond n (n = 10) vs the same rates within n (n = {10 * FACTOR}); medians of {self.runs} "
                 "runs, solve only",
                 f"{'S':>6} {'Q':>5} {'C':>4} {'within_s':>9} {'beyond_s':>9} {'ratio':>6} {'peak_MB':>8} "
                 f"{'F_within':>10} {'F_beyond':>10}"]
        for p in self.points:
            lines.append(f"{p.configs:>6} {p.questions:>5} {p.budget:>4} {p.within_seconds:>9.3f} "
                         f"{p.beyond_seconds:>9.3f} {p.ratio:>6.2f} {p.beyond_peak_mb:>8.1f} "
                         f"{p.within_objective:>10.6f} {p.beyond_objective:>10.6f}")
        for p in self.points:
            if p.certify:
                k = p.certify
                lines.append(f"--certify at S = {p.configs}: {k['certified']} / {k['budgets']} budgets certified "
                             f"({100 * k['fraction']:.1f}%, goal >= {100 * GOAL_CERTIFIED:g}%) in "
                             f"{k['seconds']:.1f} s ({k['cpu_seconds']:.1f} s CPU, limit {k['time_limit']:g} s); "
                             f"{k['improved']} allocations improved by the proof, largest "
                             f"open gap {k['max_gap']:.2g}")
        if self.holdout:
            h = self.holdout
            lines.append(f"--holdout (osca, 10 half splits) at S = {h['configs']}: within {h['within_seconds']:.3f} s, "
                         f"beyond {h['beyond_seconds']:.3f} s, ratio {h['ratio']:.2f}")
            lines.append(f"dashboard held-out view of the thin log (every pure + {', '.join(h['view_strategies'])}, "
                         f"budgets 1..{h['budget']}, nothing cached): {h['view_seconds']:.3f} s ("
                         + ", ".join(f"{k} {v:.2f}" for k, v in h.get("view_parts", {}).items()) + ")")
        lines.append(f"goals (reported, never asserted): ratio <= {GOAL_RATIO:g} at every S and for --holdout; the "
                     f"held-out view within {GOAL_VIEW_SECONDS:g} s")
        return "\n".join(lines)


def thin_and_thick(configs: int, questions: int, *, seed: int = 0):
    """The two logs of the module docstring (OutcomeMatrix each): n = 10, and n = 100 with c x 10."""
    thin = demo_matrix(seed=seed, questions=questions, configs=configs, samples=10, name="bench-thin")
    thick = dataclasses.replace(thin, n=thin.n * FACTOR, c=thin.c * FACTOR, name="bench-thick")
    return thin, thick


def _peak_mb(fn) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def certify_thin(n, c, budgets, prior, found, *, time_limit: float | None = None) -> dict:
    """Prove the thin log's budgets from the optimizer's allocations ``found``: certified count and fraction,
    seconds, budgets whose allocation the proof improved, the largest gap left."""
    import time

    from osca_core.optimize.certify_beyond import certify_tabled

    cpu = time.process_time()
    seconds, certs = timed(lambda: certify_tabled(n, c, budgets, [r.counts for r in found], prior=prior,
                                                  time_limit=CERTIFY_SECONDS if time_limit is None else time_limit))
    cpu = time.process_time() - cpu
    done = sum(x.certified for x in certs)
    return {"budgets": len(certs), "certified": done, "fraction": done / len(certs), "seconds": seconds,
            "cpu_seconds": cpu, "time_limit": CERTIFY_SECONDS if time_limit is None else time_limit,
            "improved": sum(x.objective > r.objective + 1e-12 for x, r in zip(certs, found, strict=True)),
            "max_gap": max(x.upper_bound - x.objective for x in certs),
            "open": [x.budget for x in certs if not x.certified]}


def bench_point(configs: int, questions: int, budget: int, runs: int, *, certify: bool = False,
                time_limit: float | None = None) -> BeyondPoint:
    thin, thick = thin_and_thick(configs, questions)
    budgets = list(range(1, budget + 1))
    n, c = thin.n, thin.c
    p = thick.c / thick.n
    prior = fit_priors(n, c)
    res = interleaved({"within": (lambda: optimize_curve(p, budgets), runs),
                       "beyond": (lambda: optimize_tabled(n, c, budgets, prior=prior), runs)})
    (tw, rw), (tb, rb) = res["within"], res["beyond"]
    peak = _peak_mb(lambda: optimize_tabled(n, c, budgets, prior=prior))
    cert = certify_thin(n, c, budgets, prior, rb, time_limit=time_limit) if certify else None
    return BeyondPoint(configs, questions, budget, tw, tb, tb / tw, peak, float(rw[-1].objective),
                       float(rb[-1].objective), cert)


def bench_holdout(configs: int, questions: int, budget: int) -> dict:
    from osca_core.analysis import experiments as ex
    thin, thick = thin_and_thick(configs, questions)
    budgets = list(range(1, budget + 1))
    setting = ex.Setting(train_fraction=0.5, splits=10, seed=0)
    res = interleaved({"within": (lambda: ex.run_curves(thick, ["osca"], budgets, setting), 1),
                       "beyond": (lambda: ex.run_curves(thin, ["osca"], budgets, setting), 1)})
    view = list(VIEW_STRATEGIES)
    forget_fits()
    seconds, parts = timed(lambda: held_out_view(thin, budgets, setting, view))
    tw, tb = res["within"][0], res["beyond"][0]
    return {"configs": configs, "questions": questions, "budget": budget, "within_seconds": tw,
            "beyond_seconds": tb, "ratio": tb / tw, "view_seconds": seconds, "view_strategies": list(view),
            "view_jobs": len(thin.config_names) + len(view), "view_parts": parts}


def forget_fits() -> None:
    """Empty the caches by training counts (priors, spread intervals, distinct cells): a cold view fits again."""
    from osca_core.analysis import ranges
    from osca_core.model import extrapolation

    extrapolation._BY_COUNTS.clear()
    extrapolation._CELLS.clear()
    ranges._BY_COUNTS.clear()


def held_out_view(matrix, budgets, setting, strategies) -> dict:
    """The computation of the dashboard's Curves page on ``matrix`` (``pages/_compute.py``, nothing cached):
    every pure curve at once (``pure_curves.all_pure_curves``, as drawn for more than ``wide.BAND_ABOVE``
    configurations), then per strategy ``run_curves`` and the ranges of its extrapolated points
    (``strategy_curve``). Returns the seconds of each part."""
    import time

    from osca_core.analysis import experiments as ex
    from osca_core.analysis import ranges
    from osca_core.analysis.pure_curves import all_pure_curves

    parts = {}
    t = time.perf_counter()
    all_pure_curves(matrix, budgets, setting)
    parts["pure"] = time.perf_counter() - t
    for s in strategies:
        t = time.perf_counter()
        ranges.curveset_ranges(matrix, ex.run_curves(matrix, [s], budgets, setting))
        parts[s] = time.perf_counter() - t
    return parts


def bench_beyond(configs=(64, 256, 1024), *, questions: int = 400, budget: int = 64, runs: int = 3,
                 holdout: bool = False, certify: bool = False, time_limit: float | None = None) -> BeyondBench:
    beamstep.warm()  # the compiled kernel of the within-n beam, loaded (and compiled) before any timing
    pts = tuple(bench_point(s, questions, budget, runs, certify=certify, time_limit=time_limit) for s in configs)
    return BeyondBench(pts, runs, bench_holdout(configs[0], questions, budget) if holdout else None)
