"""``osca bench optimizer``: the allocation optimizers against the paper's own algorithm, measured in one run.

Every speed figure is a ratio to the paper's script measured in the same run on the same machine (so a loaded
machine does not move the verdict): :func:`paper_script` is a literal transcription of the paper's ``osca.py``
(``hill_climbing`` -> ``optimize_strategy`` -> ``calculate_expected_train``, pure Python over the release dict,
one random start per budget, then ``calculate_expected_test``), run on BigCodeBench's 20 paper budgets and on
SWE-bench 1..16. On both release logs (``osca_core.settings.release_folder()``; never copied) it then times the
vectorized hill climbing (``allocators.hillclimb_counts``), the default optimizer on the full curve
(BigCodeBench 1..291, SWE-bench 1..16; with the compiled beam step of ``osca_core.optimize.beamstep``, loaded first and
its load time reported, and on its numpy twin, as a one-shot command runs it), ``--certify`` on the paper's
budgets and, for BigCodeBench, on the whole curve 1..291, and lists the training-objective gap osca - hillclimb
per budget. The synthetic scale case
(``synthetic.scale_rates``: float32 training rates of ``--scale-questions`` questions, drawn in chunks with int32
counts; the optimizer's low-memory path ``osca_core.optimize.lowmem``) runs in a child process (``bench.child``) for its
solve time and peak memory.

Times are medians of repeated runs (``solve`` only: data already loaded), taken round by round (one run of each
figure per round, ``bench.timing.interleaved``), so a machine whose speed drifts slows both sides of a ratio.
Goals (reported, never asserted): full BigCodeBench curve >= 300x faster than the paper's script on its 20
budgets (~10 ms); ``--certify`` faster than the paper's script on SWE-bench 1..16 and on the 20 BigCodeBench
budgets, and on BigCodeBench 1..291 too (a few seconds); the scale case 10^5 x 10^3 x 256 within 60 s and 4 GB
peak RSS (issue 16).
"""

from __future__ import annotations

import json
import os
import random
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy

from osca_core.bench.child import peak_rss_mb, process_peak_rss_mb, reset_peak_rss, run_child
from osca_core.bench.timing import interleaved, timed
from osca_core.data.synthetic import scale_rates
from osca_core.errors import InputError
from osca_core.model.estimators import plugin_objective
from osca_core.model.outcomes import load_release
from osca_core.optimize import beamstep
from osca_core.optimize.curve import optimize_curve
from osca_core.settings import release_folder
from osca_core.strategies import allocators

BCB_BUDGETS = (2, 3, 4, 5, 7, 8, 11, 16, 17, 25, 32, 38, 57, 64, 86, 128, 129, 194, 256, 291)
SWE_BUDGETS = tuple(range(1, 17))
GOALS = {"bcb_curve_ratio": 300.0, "certify_ratio": 1.0,  # x the paper's script (higher is faster)
         "scale_seconds": 60.0, "scale_rss_mb": 4096.0}  # 10^5 questions x 10^3 configurations x 256 (issue 16)


# -- the paper's script, transcribed (osca.py of LeiLiLab/OSCA) -------------------------------------------------

def paper_pass_at_k(n: int, c: int, k: int) -> float:
    if n == 0:
        return 0.0
    if n - c < k:
        return 1.0
    return 1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1))


def paper_expected_train(strategy: list[int], data: dict) -> float:
    counter = Counter(strategy)
    settings = data["settings"]
    total = 0
    for p, _ in enumerate(data["training_instances"]):
        fail_prob = 1
        for setting_idx, k in counter.items():
            prob = data["train"][str(setting_idx)][p] / settings[setting_idx]["runs"]
            fail_prob *= (1 - prob) ** k
        total += 1 - fail_prob
    return total / len(data["training_instances"])


def paper_expected_test(strategy: list[int], data: dict) -> float:
    counter = Counter(strategy)
    settings = data["settings"]
    total = 0
    for p, _ in enumerate(data["testing_instances"]):
        fail_prob = 1
        for setting_idx, k in counter.items():
            fail_prob *= 1 - paper_pass_at_k(settings[setting_idx]["runs"], data["test"][str(setting_idx)][p], k)
        total += 1 - fail_prob
    return total / len(data["testing_instances"])


def paper_optimize_strategy(num_samples: int, strategy: list[int], data: dict) -> list[int]:
    improved = True
    while improved:
        improved = False
        for i in range(num_samples):
            best = paper_expected_train(strategy, data)
            for s in range(len(data["settings"])):
                if s != strategy[i]:
                    t = strategy[i]
                    strategy[i] = s
                    new = paper_expected_train(strategy, data)
                    if new <= best:
                        strategy[i] = t
                    else:
                        best, improved = new, True
    return strategy


def paper_hill_climbing(data: dict, num_samples: int, rng: random.Random) -> tuple[float, list[int]]:
    start = rng.choices(range(len(data["settings"])), k=num_samples)
    strategy = paper_optimize_strategy(num_samples, start, data)
    return paper_expected_test(strategy, data), strategy


def paper_script(data: dict, budgets, *, seed: int = 0) -> list[list[int]]:
    """The script's main loop (without its prints): one hill climb per budget; the picks per budget."""
    rng = random.Random(seed)
    return [paper_hill_climbing(data, int(k), rng)[1] for k in budgets]


# -- measurements -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """One timed figure: ``seconds`` (median of ``runs``) and ``ratio`` = the paper's script / seconds."""

    dataset: str
    what: str
    budgets: str
    runs: int
    seconds: float
    paper_seconds: float
    paper_budgets: str
    certified: int | None = None
    of: int | None = None

    @property
    def ratio(self) -> float:
        return self.paper_seconds / self.seconds if self.seconds > 0 else float("inf")

    def as_dict(self) -> dict:
        return asdict(self) | {"ratio": self.ratio}


@dataclass
class DatasetBench:
    dataset: str
    train_questions: int
    configs: int
    budgets: list[int]  # the paper's budgets: paper script, hill climbing and certify
    curve_max: int
    paper_script_seconds: float  # the transcribed paper script on ``budgets`` (median of paper_runs)
    paper_runs: int
    hillclimb_seconds: float
    curve_seconds: float  # optimize_curve, 1..curve_max
    strategy_seconds: float  # allocators.osca on 1..curve_max: optimizer plus scoring train and test (the CLI)
    certify_seconds: float  # optimize_curve(certify=True) on ``budgets`` (includes the sweep to max(budgets))
    certified: int
    certified_by_bounds: int  # of the curve's budgets, without a proof search
    certify_curve_seconds: float  # optimize_curve(certify=True) on 1..curve_max
    certified_curve: int
    runs: int
    certify_runs: int
    gaps: list[dict] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["figures"] = [f.as_dict() for f in self.figures]
        return d


def bench_dataset(path: Path, budgets: list[int], curve_max: int, *, runs: int, certify_runs: int,
                  paper_runs: int) -> DatasetBench:
    """Every figure of one release log (module docstring)."""
    data = json.loads(path.read_text())
    m = load_release(path)
    p = m.train_rates()
    full = list(range(1, curve_max + 1))

    def twin():
        with beamstep.reference_only():
            return optimize_curve(p, full)

    calls = {"paper": (lambda: paper_script(data, budgets), paper_runs),
             "hillclimb": (lambda: [allocators.hillclimb_counts(p, b, seed=0) for b in budgets], runs),
             "curve": (lambda: optimize_curve(p, full), runs), "twin": (twin, runs),
             "strategy": (lambda: allocators.osca(m, full), max(1, runs // 2)),
             "certify": (lambda: optimize_curve(p, budgets, certify=True), certify_runs)}
    if full != list(budgets):
        calls["certify_curve"] = (lambda: optimize_curve(p, full, certify=True), certify_runs)
    t = interleaved(calls)  # round by round: a drifting machine slows the paper's script and ours alike
    (paper_s, _), (hc_s, hc), (curve_s, curve), (twin_s, _), (strat_s, _), (cert_s, cert) = (
        t[k] for k in ("paper", "hillclimb", "curve", "twin", "strategy", "certify"))
    cc_s, cc = t.get("certify_curve", (cert_s, cert))
    gaps = []
    for b, k, c in zip(budgets, hc, cert, strict=True):
        h = float(plugin_objective(p, k))
        o = curve[b - 1]
        gaps.append({"budget": b, "hillclimb": h, "osca": o.objective, "gap": o.objective - h,
                     "upper_bound": c.upper_bound, "certified": c.certified, "certified_objective": c.objective})
    name, pb, nb = m.name, _label(budgets), len(budgets)
    figures = [
        Figure(name, "paper script (transcribed osca.py)", pb, paper_runs, paper_s, paper_s, pb),
        Figure(name, "hillclimb (vectorized)", pb, runs, hc_s, paper_s, pb),
        Figure(name, "osca default curve", f"1-{curve_max}", runs, curve_s, paper_s, pb,
               sum(r.certified for r in curve), curve_max),
        Figure(name, "osca default curve, numpy beam step", f"1-{curve_max}", runs, twin_s, paper_s, pb),
        Figure(name, "osca --certify", pb, certify_runs, cert_s, paper_s, pb, sum(c.certified for c in cert), nb),
    ]
    if full != list(budgets):
        figures.append(Figure(name, "osca --certify", f"1-{curve_max}", certify_runs, cc_s, paper_s, pb,
                              sum(c.certified for c in cc), curve_max))
    return DatasetBench(name, p.shape[0], p.shape[1], list(budgets), curve_max, paper_s, paper_runs, hc_s, curve_s,
                        strat_s, cert_s, sum(c.certified for c in cert), sum(r.certified for r in curve), cc_s,
                        sum(c.certified for c in cc), runs, certify_runs, gaps, figures)


def _label(budgets) -> str:
    b = list(budgets)
    return f"{b[0]}-{b[-1]}" if b == list(range(b[0], b[-1] + 1)) else f"{len(b)} budgets"


def scale_child(questions: int, configs: int, budget: int) -> dict:
    """Runs in a fresh process: generate, optimize 1..budget, report times and peak resident memory."""
    gen, p = timed(lambda: scale_rates(seed=0, questions=questions, configs=configs))  # float32: low-memory path
    before = reset_peak_rss()
    solve, res = timed(lambda: optimize_curve(p, range(1, budget + 1)))
    solve_peak = peak_rss_mb() if before is not None else None
    gaps = np.array([r.upper_bound - r.objective for r in res])
    pick = sorted({b for b in (1, 2, 8, 64, 256, budget) if b <= budget})
    return {"train_questions": int(p.shape[0]), "configs": int(p.shape[1]), "budget_max": budget,
            "generate_seconds": gen, "solve_seconds": solve, "peak_rss_mb": process_peak_rss_mb(),
            "solve_peak_rss_mb": solve_peak, "rss_before_solve_mb": before,
            "objective": {str(b): res[b - 1].objective for b in pick},
            "upper_bound_gap_median": float(np.median(gaps)), "upper_bound_gap_max": float(gaps.max()),
            "certified_by_bounds": int(sum(r.certified for r in res)),
            "support_at_max": int(sum(1 for v in res[-1].counts if v))}


def bench_scale(questions: int, configs: int, budget: int, *, blas_threads: int = 1) -> dict:
    """The scale case in a child process. ``blas_threads`` > 0 sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS there
    (default 1: on 2 shared cores, multi-threaded OpenBLAS spin-waits whenever another job runs, 64 s instead of
    9 s measured; on an idle machine two threads gain ~15%); 0 inherits the environment."""
    env = {"OPENBLAS_NUM_THREADS": str(blas_threads), "OMP_NUM_THREADS": str(blas_threads)} if blas_threads > 0 \
        else {}
    res = run_child("osca_core.bench.optimizer:scale_child", [int(questions), int(configs), int(budget)], env=env,
                    what="scale benchmark")
    res["blas_threads"] = env.get("OPENBLAS_NUM_THREADS", "default")
    return res


# -- the result -------------------------------------------------------------------------------------------------

@dataclass
class OptimizerBench:
    """Everything ``osca bench optimizer`` reports; ``as_dict()`` is its JSON form, ``text()`` its table."""

    machine: dict
    datasets: list[DatasetBench]
    synthetic: dict | None
    goals: dict = field(default_factory=lambda: dict(GOALS))

    @property
    def figures(self) -> list[Figure]:
        return [f for d in self.datasets for f in d.figures]

    def as_dict(self) -> dict:
        bcb = self.datasets[0]
        return {"machine": self.machine, "paper_script_seconds": bcb.paper_script_seconds, "goals": self.goals,
                "datasets": [d.as_dict() for d in self.datasets],
                "figures": [f.as_dict() for f in self.figures],
                "speedup_vs_paper_script": {
                    "bcb_full_curve": bcb.paper_script_seconds / bcb.curve_seconds,
                    "bcb_certify": bcb.paper_script_seconds / bcb.certify_seconds,
                    "bcb_certify_full_curve": bcb.paper_script_seconds / bcb.certify_curve_seconds,
                    "bcb_hillclimb": bcb.paper_script_seconds / bcb.hillclimb_seconds,
                    **{f"{d.dataset}_certify": d.paper_script_seconds / d.certify_seconds for d in self.datasets[1:]},
                },
                "synthetic": self.synthetic}

    def text(self) -> str:
        mach = self.machine
        kern = mach["beam_kernel"]
        lines = [f"machine: {mach['cpus']} cpus, load {mach['load_average_at_start']}, numpy {mach['numpy']}, "
                 f"scipy {mach['scipy']}; medians of repeated runs; ratio = the paper's script (transcribed, "
                 "same run) / seconds",
                 f"beam step kernel: {'compiled' if kern['compiled'] else 'numba missing: numpy twin'}, loaded in "
                 f"{kern['load_seconds']:.2f} s once per process (before the runs below; a process that has not "
                 "loaded it runs the numpy twin, same results)"]
        for d in self.datasets:
            lines += ["", f"{d.dataset}: {d.train_questions} training questions x {d.configs} configurations"]
            rows = [[f.what, f.budgets, str(f.runs), f"{f.seconds:.4f}", f"{f.ratio:.1f}x vs {f.paper_budgets}",
                     "" if f.certified is None else f"{f.certified}/{f.of}"] for f in d.figures]
            lines += _table(["what", "budgets", "runs", "seconds", "ratio", "certified"], rows)
            lines += _table(["budget", "hillclimb", "osca", "gap", "upper_bound", "certified"],
                            [[str(g["budget"]), f"{g['hillclimb']:.6f}", f"{g['osca']:.6f}", f"{g['gap']:+.2e}",
                              f"{g['upper_bound']:.6f}", str(g["certified"])] for g in d.gaps])
        sc = self.synthetic
        if sc:
            lines += ["", f"synthetic: {sc['train_questions']} training questions x {sc['configs']} configurations, "
                      f"budgets 1-{sc['budget_max']}: {sc['solve_seconds']:.2f} s (generated in "
                      f"{sc['generate_seconds']:.2f} s; BLAS threads {sc['blas_threads']}); peak RSS "
                      f"{sc['peak_rss_mb']:.0f} MB" + (f" ({sc['solve_peak_rss_mb']:.0f} MB while optimizing)"
                                                       if sc["solve_peak_rss_mb"] else "")
                      + f"; bound gap median {sc['upper_bound_gap_median']:.1e}, max {sc['upper_bound_gap_max']:.1e}"]
        lines += ["", f"goals: default BigCodeBench curve >= {GOALS['bcb_curve_ratio']:.0f}x the paper's script; "
                  f"--certify >= {GOALS['certify_ratio']:.0f}x (faster than the paper's script) on SWE-bench 1-16, "
                  "the 20 BigCodeBench budgets and BigCodeBench 1-291; scale case (--scale-questions 100000 "
                  f"--scale-configs 1000 --scale-budget 256) <= {GOALS['scale_seconds']:.0f} s and "
                  f"{GOALS['scale_rss_mb']:.0f} MB peak RSS"]
        return "\n".join(lines)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    return ["  ".join(x.ljust(w) for x, w in zip(r, widths, strict=True)).rstrip() for r in [head, *rows]]


def bench_optimizer(*, runs: int = 5, certify_runs: int = 3, paper_runs: int = 3, scale_questions: int = 10_000,
                    scale_configs: int = 200, scale_budget: int = 1024, scale: bool = True,
                    blas_threads: int = 1) -> OptimizerBench:
    """Run every measurement of the module docstring; the release folder is ``settings.release_folder()``."""
    for name, v in (("runs", runs), ("certify_runs", certify_runs), ("paper_runs", paper_runs)):
        if v < 1:
            raise ValueError(f"{name} must be >= 1")
    folder = release_folder()
    files = {"bcb": folder / "bcb_results.json", "swe": folder / "swebench_agentless.json"}
    for f in files.values():
        if not f.is_file():
            raise InputError(f"{f}: no such file (set OSCA_RELEASE_MIRROR to the osca-release folder)")
    load = os.getloadavg()
    kernel_s, compiled = timed(beamstep.warm)  # before any solve: loading is reported, never inside a median
    machine = {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in load],
               "python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
               "beam_kernel": {"compiled": compiled, "load_seconds": kernel_s}}
    bcb = bench_dataset(files["bcb"], list(BCB_BUDGETS), 291, runs=runs, certify_runs=certify_runs,
                        paper_runs=paper_runs)
    swe = bench_dataset(files["swe"], list(SWE_BUDGETS), 16, runs=runs, certify_runs=certify_runs,
                        paper_runs=paper_runs)
    synthetic = bench_scale(scale_questions, scale_configs, scale_budget, blas_threads=blas_threads) \
        if scale else None
    return OptimizerBench(machine, [bcb, swe], synthetic)
