"""Work refused up front by its cost: time and memory estimated from the problem's size before any work starts.

A strategy's curve over budgets ``1..C`` on ``Q`` questions and ``S`` configurations takes about

    t(strategy) = a_strategy * Q^alpha * S^beta * C^gamma  seconds,

a power law fitted to measured times on this project's reference machine (``osca bench cost`` prints the
estimate beside the measured time on a grid of sizes, and their ratio, so the limits mean what they say). A
request multiplies it:

    seconds = sum over strategies of t(strategy) * splits * (resamples if re-fitted, else 1)
              + resamples * strategies * budgets * Q * 2e-9           (bootstrap scoring)
    bytes   = 8 * (resamples * Q  +  resamples * strategies * budgets  +  splits * Q * S * 4)

An import is bounded by the rows it holds after decompression (``OSCA_MAX_IMPORT_ROWS``, read from Parquet
footers before any row is) and the files it reads (``OSCA_MAX_IMPORT_FILES``).

:func:`check` refuses an estimate above :data:`MAX_SECONDS` (``OSCA_MAX_SECONDS``, default 600 s) or
:data:`MAX_BYTES` (``OSCA_MAX_BYTES``, default 2 GB) in one line naming the estimate, the sizes behind it and the
flag that lowers it; ``--allow-long`` runs it anyway (progress lines and Ctrl-C as always). References: the
limits of :mod:`osca_core.limits`; issue 28 (work refused up front by its cost).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from osca_core.errors import InputError

# strategy -> (a, alpha, beta, gamma): fitted on the reference machine (docs/benchmarks.md, `osca bench cost`)
COEFFICIENTS: dict[str, tuple[float, float, float, float]] = {
    # osca and osca-eb: refitted on a grid of Q 100..1000 x S 8..1024 x C 16..3000, n 10 and 64 (issue 24's wide
    # logs): exponents held at 0.5 / 0.5 / 1 (a curve is one step per budget; a step grows with Q and S) and a
    # raised until no point was under-estimated (estimate / measured 1.0 .. 22, median 5). The earlier fit on
    # S <= 22 (S^3.2) put OSCA on 1000 x 1024 at 11 days; it takes 0.3 s
    "osca": (0.22, 0.5, 0.5, 1.0),
    "osca-eb": (0.49, 0.5, 0.5, 1.0),
    "osca-stop": (1.95e-5, 0.75, 2.55, 1.9),  # beyond n the stopping plans grow faster (BigCodeBench C = 1000: 148 s)
    "hillclimb": (3.8e-4, 0.48, 1.15, 2.09),
    "uniform": (2.2e-2, 0.28, 1.4, 0.91),
    "best-pure": (2.1e-3, 0.39, 1.56, 1.18),
    "pure": (2.1e-3, 0.39, 0.56, 1.18),
    "even": (1.4e-4, 0.77, 1.05, 1.24),
    "oracle": (1.4e-4, 1.0, 1.05, 1.24),
}
WITHIN_N_STOP = 5.7e-5  # osca-stop's within-n term (strategy_seconds), fitted on BigCodeBench C = 16..64
WITHIN_N_TERMS = {"osca-stop": WITHIN_N_STOP}  # strategies whose plans add a within-n term, and its coefficient
OVERHEAD = 0.02  # seconds per strategy curve and split whatever its size (setup, scoring)
CERTIFY_FACTOR = 3.0  # --certify: the proof's nodes, measured as about 3x the search itself


@dataclass(frozen=True)
class Estimate:
    """What a request will cost: ``seconds`` and ``bytes``, the sizes it was computed from (``size``, shown in a
    refusal) and the flag that lowers it."""

    what: str
    seconds: float
    bytes: float
    size: str
    flag: str

    def as_dict(self) -> dict:
        return {"what": self.what, "seconds": self.seconds, "bytes": self.bytes, "size": self.size,
                "flag": self.flag}


def strategy_seconds(strategy: str, questions: int, configs: int, budget: int, n: int | None = None) -> float:
    """``t(strategy)`` of the module docstring (a ``pure:<config>`` strategy counts as ``pure``), plus
    :data:`OVERHEAD` per curve. osca-stop adds its within-n term ``WITHIN_N_STOP * Q^0.75 * S^2.55 *
    min(C, n)^2.2`` (``n``: the log's largest n, default C): its plans are costliest where every budget is
    measured (BigCodeBench, n = 300: 8 s at C = 64, against 1.5 s on SWE-bench at n = 16)."""
    key = "pure" if strategy.startswith("pure:") else strategy
    a, al, be, ga = COEFFICIENTS.get(key, COEFFICIENTS["osca"])
    q, s, c = max(questions, 1), max(configs, 1), max(budget, 1)
    t = a * q ** al * s ** be * c ** ga / 1000.0
    t += WITHIN_N_TERMS.get(key, 0.0) * q ** al * s ** be * min(c, max(n or c, 1)) ** 2.2 / 1000.0
    return t + OVERHEAD


def analysis(what: str, *, questions: int, configs: int, budgets: Sequence[int], strategies: Sequence[str],
             splits: int = 1, resamples: int = 0, refit: bool = False, certify: bool = False,
             n: int | None = None) -> Estimate:
    """The cost of curves / optimize / report work (module docstring); ``flag``: the factor that dominates;
    ``n``: the log's largest n (osca-stop's within-n term)."""
    c = max(budgets) if len(budgets) else 1
    per = {s: strategy_seconds(s, questions, configs, c, n) * (CERTIFY_FACTOR if certify else 1.0)
           for s in strategies}
    reps = max(resamples, 1) if refit else 1
    seconds = sum(per.values()) * splits * reps + resamples * len(strategies) * len(budgets) * questions * 2e-9
    mem = 8.0 * (resamples * questions + resamples * len(strategies) * len(budgets) + splits * questions * configs * 4)
    size = (f"{questions} questions x {configs} configurations x budgets up to {c} ({len(budgets)} budgets) x "
            f"{len(strategies)} strategies" + (f" x {splits} splits" if splits > 1 else "")
            + (f" x {resamples} re-fitted resamples" if refit and resamples else
               f", {resamples} resamples" if resamples else "") + (", certified" if certify else ""))
    factors = [("--bootstrap", reps), ("--splits", splits), ("--budgets", c), ("--configs", configs)]
    flag = max(factors, key=lambda f: f[1] if f[0] != "--configs" else f[1] ** 2.5 / 100)[0]
    if splits > 1 and flag in ("--splits", "--budgets"):
        flag = "--splits or --budgets"
    if refit and resamples > 1:
        flag = "--bootstrap (or drop --bootstrap-refit)"
    return Estimate(what, seconds, mem, size, flag)


def study(what: str, *, questions: int, configs: int, budgets: Sequence[int], splits: int, grid_runs: int,
          ban_runs: int, strategies: Sequence[str] = ("best-pure", "osca", "osca-eb")) -> Estimate:
    """``osca study``: ``grid_runs`` settings (training fractions, C0 values) x ``strategies`` and ``ban_runs``
    settings x osca, each over ``splits`` random splits, then savings (osca and best-pure) on the log's split and
    on ``splits`` random splits."""
    c = max(budgets) if len(budgets) else 1

    def t(names: Sequence[str]) -> float:
        return sum(strategy_seconds(s, questions, configs, c) for s in names)

    seconds = (grid_runs * splits * t(strategies) + ban_runs * splits * t(["osca"])
               + (1 + splits) * t(["osca", "best-pure"]))
    mem = 8.0 * splits * questions * configs * 4 * len(strategies)
    size = (f"{questions} questions x {configs} configurations x budgets up to {c} ({len(budgets)} budgets) x "
            f"{grid_runs + ban_runs + 1} settings x {splits} splits")
    return Estimate(what, seconds, mem, size, "--splits or --budgets")


def next_samples(what: str, *, questions: int, configs: int, budget: int, samples: int, leading: int) -> Estimate:
    """``osca next``: the leading allocations at ``budget`` (osca and ``leading - 1`` pure ones), then a greedy
    pick per sample over the cells of the leading configurations (``leading^2`` moments per candidate cell, one
    question's candidates updated per pick)."""
    base = strategy_seconds("osca", questions, configs, budget) + strategy_seconds("best-pure", questions, configs,
                                                                                  budget)
    cells = questions * min(configs, leading * 4)
    seconds = base + cells * leading ** 2 * 2e-6 + samples * (min(configs, leading * 4) * leading ** 2 * 2e-5 + 2e-4)
    mem = 8.0 * cells * leading ** 2 * 8
    size = (f"{questions} questions x {configs} configurations at budget {budget}, {samples} samples, "
            f"{leading} leading allocations")
    return Estimate(what, seconds, mem, size, "--samples or --budget")


def rows(where: str, n_rows: int, limit: int) -> None:
    """Refuse an import of more than ``limit`` rows (counted after decompression: Parquet footers, before any
    row is read; a 4 MB file can expand to 10^8 rows)."""
    if n_rows > limit:
        raise InputError(f"{where}: {n_rows:,} rows after decompression, above the limit of {limit:,} rows "
                         f"(OSCA_MAX_IMPORT_ROWS); import it in place with --keep-samples no (streamed counts), "
                         f"or raise OSCA_MAX_IMPORT_ROWS")


def files(where: str, n_files: int, limit: int) -> None:
    """Refuse an import of more than ``limit`` files."""
    if n_files > limit:
        raise InputError(f"{where}: {n_files:,} files, above the limit of {limit:,} files per import "
                         f"(OSCA_MAX_IMPORT_FILES); aggregate them first (osca aggregate) or import fewer at a time")


def human_seconds(s: float) -> str:
    if not math.isfinite(s) or s > 3.15e9:
        return "longer than a century"
    for unit, k in (("days", 86400), ("h", 3600), ("min", 60)):
        if s >= 2 * k:
            return f"{s / k:.3g} {unit}"
    return f"{s:.3g} s"


def human_bytes(b: float) -> str:
    for unit, k in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if b >= k:
            return f"{b / k:.3g} {unit}"
    return f"{b / 1e3:.3g} kB"


def check(est: Estimate, *, allow_long: bool, max_seconds: float, max_bytes: float) -> None:
    """Refuse ``est`` above the limits (module docstring) unless ``allow_long``."""
    if allow_long:
        return
    over = []
    if est.seconds > max_seconds:
        over.append(f"about {human_seconds(est.seconds)}, above the limit of {human_seconds(max_seconds)} "
                    f"(OSCA_MAX_SECONDS)")
    if est.bytes > max_bytes:
        over.append(f"about {human_bytes(est.bytes)} of memory, above the limit of {human_bytes(max_bytes)} "
                    f"(OSCA_MAX_BYTES)")
    if over:
        raise InputError(f"{est.what}: estimated {' and '.join(over)} for {est.size}; lower {est.flag}, or pass "
                         f"--allow-long to run it anyway")
