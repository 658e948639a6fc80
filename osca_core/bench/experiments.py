"""``osca bench experiments``: the Experiments page's training-fraction study on a wide synthetic log, serial
against a thread pool and a process pool (``analysis.study_jobs``), with and without the per-view share.

The log is ``data.synthetic.demo_matrix`` (Q questions x S configurations, n samples per cell, seed 0); the jobs
are those of the page's default study at C = n: ``best-pure``, ``osca`` and ``osca-eb`` at each training fraction,
R random splits each (seed 0). Reported per mode: wall seconds for all jobs, and that every mode gives the same
curves as the serial run without the share (``same``). Goals are reported, never asserted.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from osca_core.analysis import study_jobs
from osca_core.analysis.experiments import run_curves
from osca_core.data.synthetic import demo_matrix

STRATEGIES = ("best-pure", "osca", "osca-eb")


@dataclass(frozen=True)
class ModeTiming:
    mode: str  # serial-unshared | serial | thread | process
    workers: int
    seconds: float
    same: bool


@dataclass(frozen=True)
class ExperimentsBench:
    questions: int
    configs: int
    samples: int
    fractions: tuple[float, ...]
    splits: int
    jobs: int
    modes: tuple[ModeTiming, ...]

    def as_dict(self) -> dict:
        return asdict(self)

    def text(self) -> str:
        head = (f"training-fraction study, {self.questions} x {self.configs}, n = {self.samples}, "
                f"{len(self.fractions)} fractions x {len(STRATEGIES)} strategies x {self.splits} splits "
                f"= {self.jobs} jobs:")
        base = self.modes[0].seconds
        rows = [f"  {m.mode:15s} {m.workers} worker(s)  {m.seconds:8.2f} s  x{base / m.seconds:5.2f}"
                f"{'' if m.same else '  (DIFFERENT curves)'}" for m in self.modes]
        return "\n".join([head, *rows])


def bench_experiments(*, questions: int = 400, configs: int = 512, samples: int = 10,
                      fractions: Sequence[float] = (0.1, 0.5, 0.9), splits: int = 5,
                      pools: Sequence[str] = ("serial", "thread", "process"), workers: int | None = None
                      ) -> ExperimentsBench:
    m = demo_matrix(questions=questions, configs=configs, samples=samples)
    jobs = [(s, (samples,), (float(f), splits, 0, None, ())) for f in fractions for s in STRATEGIES]
    t0 = time.perf_counter()
    want = [run_curves(m, [s], list(b), study_jobs.setting_of(k)).curves[0] for s, b, k in jobs]
    modes = [ModeTiming("serial-unshared", 1, round(time.perf_counter() - t0, 3), True)]
    for i, kind in enumerate(pools):
        key = ("bench", questions, configs, samples, i)  # a fresh share per mode
        pool = study_jobs.make_pool(kind, workers)
        t0 = time.perf_counter()
        if pool is None:
            got = [study_jobs.job_curve(key, m, j) for j in jobs]
        else:
            with pool:
                got = list(pool.map(functools.partial(study_jobs.job_curve, key, m), jobs))
        secs = time.perf_counter() - t0
        same = all(a.values == b.values and a.ci_low == b.ci_low for a, b in zip(want, got, strict=True))
        modes.append(ModeTiming(kind, 1 if pool is None else (workers or study_jobs.default_workers()),
                                round(secs, 3), same))
    return ExperimentsBench(questions, configs, samples, tuple(float(f) for f in fractions), splits, len(jobs),
                            tuple(modes))
