"""Golden values: the numbers the paper's own notebooks and script print, read from the release's SOURCE.md
(../shared/data/osca-release/SOURCE.md, "Numbers the paper's own notebooks print" and "Allocations behind the
paper's OSCA numbers"). Parsed rather than retyped, so a typo here cannot make a test pass."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PaperAllocation:
    budget: int
    counts: dict[str, int]
    train: float
    test: float


@dataclass(frozen=True)
class Golden:
    swe_pure_at10: dict[str, float]
    bcb_pure_at17: dict[str, float]
    swe_osca: dict[int, float]
    swe_uniform_mc: dict[int, float]
    bcb_osca: dict[int, float]
    swe_allocations: list[PaperAllocation]
    bcb_allocations: list[PaperAllocation]


def _pairs(line: str) -> dict[str, float]:
    return {m[1]: float(m[2]) for m in re.finditer(r"([A-Za-z0-9.\-]+_[0-9.]+(?:_[0-9\-]+)?) (0\.\d+)", line)}


def _floats(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"\d\.\d+", text)]


def _allocs(block: str) -> list[PaperAllocation]:
    out = []
    for m in re.finditer(r"- C=(\d+): (.+?) \(train ([0-9.]+), test ([0-9.]+)\)", block):
        counts = {a: int(k) for a, k in re.findall(r"(\S+) x(\d+)", m[2])}
        out.append(PaperAllocation(int(m[1]), counts, float(m[3]), float(m[4])))
    return out


def _bullet(text: str, prefix: str) -> str:
    """The whole bullet that starts with ``prefix`` (bullets wrap over several lines)."""
    i = text.index(prefix)
    ends = [j for j in (text.find("\n- ", i + 1), text.find("\n\n", i + 1)) if j > 0]
    return text[i: min(ends)].replace("\n", " ")


def load_golden(source_md: Path) -> Golden:
    text = source_md.read_text()
    swe_osca = _floats(_bullet(text, "- SWE-bench, OSCA pass@C").split(":", 1)[1])
    uni = _floats(_bullet(text, "- SWE-bench, uniform mix").split("for C = 1..16:", 1)[1])
    head, vals = _bullet(text, "- BigCodeBench, OSCA pass@C").split(":", 1)
    budgets = [int(x) for x in re.findall(r"\d+", head.split("C =", 1)[1])]
    pure17 = _bullet(text, "- BigCodeBench, pure pass@17").split("(The notebook")[0]
    g = Golden(
        swe_pure_at10=_pairs(_bullet(text, "- SWE-bench, pure pass@10")),
        bcb_pure_at17=_pairs(pure17),
        swe_osca=dict(zip(range(1, 17), swe_osca, strict=True)),
        swe_uniform_mc=dict(zip(range(1, 17), uni, strict=True)),
        bcb_osca=dict(zip(budgets, _floats(vals), strict=True)),
        swe_allocations=_allocs(text[text.index("SWE-bench (budget"): text.index("BigCodeBench (budget")]),
        bcb_allocations=_allocs(text[text.index("BigCodeBench (budget"):]),
    )
    assert len(g.swe_pure_at10) == 4 and len(g.bcb_pure_at17) == 4
    assert len(g.swe_allocations) == 16 and len(g.bcb_allocations) == 20 and len(g.bcb_osca) == 20
    return g
