"""``osca bench optimizer``: how fast and how good the allocation optimizers are, measured in one run.

On both release logs (read from ``$OSCA_RELEASE_MIRROR`` when it is a folder, else ``../shared/data/osca-release``
next to the repository; never copied): the paper's hill climbing (``strategies.hillclimb_counts``) on its budgets
(BigCodeBench: the 20 budgets of its OSCA table; SWE-bench: 1..16), the default optimizer on the full curve
(BigCodeBench 1..291, SWE-bench 1..16), ``certify`` on the same budgets as hill climbing, and the training-
objective gap osca - hillclimb per budget. Then the synthetic scale case (``synthetic.demo_matrix``: 10^4 training
questions, 200 configurations, budgets 1..1024) in a child process, for its solve time and peak resident memory.
Times are medians of repeated runs (``solve_seconds``: optimizer only, data already loaded). Goals are reported,
never asserted: full BigCodeBench curve <= 40 ms (>= 100x the paper's ~4 s script on its 20 budgets), certify on
the 20 budgets faster than that script, the scale case <= 10 s.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from osca_core.errors import InputError

PAPER_SCRIPT_SECONDS = 4.0  # SOURCE.md: the paper's script, whole process, 20 BigCodeBench budgets, 2 cores
BCB_BUDGETS = (2, 3, 4, 5, 7, 8, 11, 16, 17, 25, 32, 38, 57, 64, 86, 128, 129, 194, 256, 291)
GOALS = {"bcb_curve_seconds": 0.040, "bcb_certify_seconds": PAPER_SCRIPT_SECONDS, "scale_seconds": 10.0}


def release_folder() -> Path:
    """$OSCA_RELEASE_MIRROR if it names a folder, else ../shared/data/osca-release beside the repository."""
    env = os.environ.get("OSCA_RELEASE_MIRROR", "")
    if env and Path(env).is_dir():
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osca-release"


def _median_time(fn, runs: int):
    times, out = [], None
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times)), out


@dataclass
class DatasetBench:
    dataset: str
    train_questions: int
    configs: int
    budgets: list[int]  # hill climbing and certify budgets
    curve_max: int
    hillclimb_seconds: float
    curve_seconds: float  # optimize_curve, 1..curve_max
    strategy_seconds: float  # strategies.osca on 1..curve_max: optimizer plus scoring train and test (the CLI)
    certify_seconds: float  # optimize_curve(certify=True) on ``budgets`` (includes the sweep to max(budgets))
    certified: int
    certified_by_bounds: int  # of the curve's budgets, without the MILP
    runs: int
    certify_runs: int
    gaps: list[dict] = field(default_factory=list)


def bench_dataset(path: Path, budgets: list[int], curve_max: int, *, runs: int, certify_runs: int) -> DatasetBench:
    from osca_core import strategies
    from osca_core.estimators import plugin_objective
    from osca_core.optimize import optimize_curve
    from osca_core.outcomes import load_release

    m = load_release(path)
    p = m.train_rates()
    hc_s, hc = _median_time(lambda: [strategies.hillclimb_counts(p, b, seed=0) for b in budgets], runs)
    curve_s, curve = _median_time(lambda: optimize_curve(p, range(1, curve_max + 1)), runs)
    strat_s, _ = _median_time(lambda: strategies.osca(m, range(1, curve_max + 1)), max(1, runs // 2))
    cert_s, cert = _median_time(lambda: optimize_curve(p, budgets, certify=True), certify_runs)
    gaps = []
    for b, k, c in zip(budgets, hc, cert, strict=True):
        h = float(plugin_objective(p, k))
        o = curve[b - 1]
        gaps.append({"budget": b, "hillclimb": h, "osca": o.objective, "gap": o.objective - h,
                     "upper_bound": c.upper_bound, "certified": c.certified, "certified_objective": c.objective})
    return DatasetBench(m.name, p.shape[0], p.shape[1], list(budgets), curve_max, hc_s, curve_s, strat_s, cert_s,
                        sum(c.certified for c in cert), sum(r.certified for r in curve), runs, certify_runs, gaps)


def _peak_rss_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def _reset_peak_rss() -> float | None:
    """Reset the kernel's peak-RSS mark (Linux: write 5 to /proc/self/clear_refs); the current RSS in MB, or None
    when the reset is not available (then only the whole process peak is reported)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _peak_rss_mb()


def scale_child(questions: int, configs: int, budget: int) -> dict:
    """Runs in a fresh process: generate, optimize 1..budget, report times and peak resident memory."""
    from osca_core.optimize import optimize_curve
    from osca_core.synthetic import demo_matrix

    t0 = time.perf_counter()
    m = demo_matrix(seed=0, questions=2 * questions, configs=configs)
    p = m.train_rates()
    gen = time.perf_counter() - t0
    del m
    before = _reset_peak_rss()
    t0 = time.perf_counter()
    res = optimize_curve(p, range(1, budget + 1))
    solve = time.perf_counter() - t0
    solve_peak = _peak_rss_mb() if before is not None else None
    gaps = np.array([r.upper_bound - r.objective for r in res])
    pick = sorted({b for b in (1, 2, 8, 64, 256, budget) if b <= budget})
    return {"train_questions": int(p.shape[0]), "configs": int(p.shape[1]), "budget_max": budget,
            "generate_seconds": gen, "solve_seconds": solve,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "solve_peak_rss_mb": solve_peak, "rss_before_solve_mb": before,
            "objective": {str(b): res[b - 1].objective for b in pick},
            "upper_bound_gap_median": float(np.median(gaps)), "upper_bound_gap_max": float(gaps.max()),
            "certified_by_bounds": int(sum(r.certified for r in res)),
            "support_at_max": int(sum(1 for v in res[-1].counts if v))}


def bench_scale(questions: int, configs: int, budget: int, *, blas_threads: int = 1) -> dict:
    """The scale case in a child process. ``blas_threads`` > 0 sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS there
    (default 1: on 2 shared cores, multi-threaded OpenBLAS spin-waits whenever another job runs, 64 s instead of
    9 s measured; on an idle machine two threads gain ~15%); 0 inherits the environment."""
    code = ("import json, sys; from osca_core.bench_optimizer import scale_child; "
            f"print(json.dumps(scale_child({int(questions)}, {int(configs)}, {int(budget)})))")
    env = dict(os.environ)
    if blas_threads > 0:
        env.update(OPENBLAS_NUM_THREADS=str(blas_threads), OMP_NUM_THREADS=str(blas_threads))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"scale benchmark failed: {out.stderr.strip().splitlines()[-1:]}")
    res = json.loads(out.stdout.strip().splitlines()[-1])
    res["blas_threads"] = env.get("OPENBLAS_NUM_THREADS", "default")
    return res


def run_optimizer_bench(*, runs: int = 5, certify_runs: int = 3, scale_questions: int = 10_000,
                        scale_configs: int = 200, scale_budget: int = 1024, scale: bool = True,
                        blas_threads: int = 1) -> dict:
    """Everything ``osca bench optimizer`` reports, as a JSON-ready dict (layout in the README)."""
    import scipy

    folder = release_folder()
    files = {"bcb": folder / "bcb_results.json", "swe": folder / "swebench_agentless.json"}
    for f in files.values():
        if not f.is_file():
            raise InputError(f"{f}: no such file (set OSCA_RELEASE_MIRROR to the osca-release folder)")
    load = os.getloadavg()
    bcb = bench_dataset(files["bcb"], list(BCB_BUDGETS), 291, runs=runs, certify_runs=certify_runs)
    swe = bench_dataset(files["swe"], list(range(1, 17)), 16, runs=runs, certify_runs=1)  # slow: one run
    out = {
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in load],
                    "python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__},
        "paper_script_seconds": PAPER_SCRIPT_SECONDS,
        "goals": GOALS,
        "datasets": [asdict(bcb), asdict(swe)],
        "speedup_vs_paper_script": {
            "bcb_full_curve": PAPER_SCRIPT_SECONDS / bcb.curve_seconds,
            "bcb_certify": PAPER_SCRIPT_SECONDS / bcb.certify_seconds,
            "bcb_hillclimb": PAPER_SCRIPT_SECONDS / bcb.hillclimb_seconds,
        },
        "synthetic": (bench_scale(scale_questions, scale_configs, scale_budget, blas_threads=blas_threads)
                      if scale else None),
    }
    return out
