"""What the ``osca`` commands print: stable JSON on stdout, plain tables, and notes/progress on stderr.

JSON is written with ``allow_nan=False`` (a NaN would be a bug, never silently printed) and is a contract
documented in docs/json.md: keys are only ever added. Rows come from the result dataclasses' own forms
(``Allocation.as_dict``, ``Curve.rows``, ``Savings.as_dict``); this module only lays them out.

Progress: :class:`Progress` prints ``osca: <what>: i/n`` lines on stderr for long work (nothing for work that
ends within its quiet period, so short commands stay silent); :func:`heartbeat` covers work that reports no
steps with a line every few seconds.
"""

from __future__ import annotations

import csv
import json
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from osca_core.model.outcomes import OutcomeMatrix


def emit_json(obj) -> None:
    """``obj`` as indented JSON on stdout (NaN/inf refused: they are bugs, not values)."""
    json.dump(obj, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def fmt(v) -> str:
    """A table cell: floats with 5 decimals, None as ``-``."""
    if isinstance(v, float):
        return f"{v:.5f}"
    if v is None:
        return "-"
    return str(v)


def print_table(header: Sequence[str], rows: Sequence[Sequence]) -> None:
    """Left-aligned columns under a header and a rule of dashes."""
    cells = [[str(h) for h in header]] + [[fmt(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    for j, r in enumerate(cells):
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
        if j == 0:
            print("  ".join("-" * w for w in widths))


def write_csv(path: Path | None, rows: Sequence[dict], fieldnames: Sequence[str]) -> str:
    """``rows`` as CSV to ``path`` (stdout when None); returns the path written ("-" for stdout)."""
    if path is None:
        w = csv.DictWriter(sys.stdout, fieldnames=list(fieldnames))
        w.writeheader()
        w.writerows(rows)
        return "-"
    with Path(path).open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(fieldnames))
        w.writeheader()
        w.writerows(rows)
    return str(path)


def study_cell(v) -> str:
    """A cell of the study summary: (mean, lo, hi) as ``mean [lo, hi]``, (lo, hi) as ``[lo, hi]``."""
    if v is None:
        return "-"
    if isinstance(v, tuple) and len(v) == 3:
        mean, lo, hi = v
        return f"{mean:.3f}" if lo is None else f"{mean:.3f} [{lo:.3f}, {hi:.3f}]"
    if isinstance(v, tuple):
        return "-" if v[0] is None else f"[{v[0]:.2f}, {v[1]:.2f}]"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def alloc_cell(allocation: dict[str, int]) -> str:
    """An allocation in a table: ``a ×3, b ×1`` (the one text form, ``results.allocation_text``)."""
    from osca_core.model.results import allocation_text

    return allocation_text(allocation)


def note(message: str) -> None:
    """One line on stderr (``note: ...`` / ``warning: ...`` are the caller's prefix)."""
    print(message, file=sys.stderr, flush=True)


def split_note(m: OutcomeMatrix) -> None:
    if m.in_sample:
        note(f"note: {m.name}: train and test are the same questions; every number is in-sample")


class Progress:
    """``progress(done, total)`` callback printing ``osca: <what>: done/total`` on stderr, at most every
    ``every`` seconds and only once ``quiet`` seconds have passed (short work prints nothing)."""

    def __init__(self, what: str, *, quiet: float = 2.0, every: float = 2.0) -> None:
        self.what, self.quiet, self.every = what, quiet, every
        self.start = time.monotonic()
        self.last = self.start

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self.start >= self.quiet and (now - self.last >= self.every or done == total):
            self.last = now
            note(f"osca: {self.what}: {done}/{total} ({now - self.start:.0f} s; Ctrl-C stops)")

    def message(self, text: str) -> None:
        """A named step (``osca study``): always printed."""
        note(f"{self.what}: {text}")


@contextmanager
def heartbeat(what: str, *, quiet: float = 5.0, every: float = 10.0) -> Iterator[None]:
    """While the block runs, print ``osca: <what>: still working (N s; Ctrl-C stops)`` on stderr after ``quiet``
    seconds and then every ``every`` seconds (for work that reports no steps, e.g. one optimizer call)."""
    done = threading.Event()
    start = time.monotonic()

    def beat() -> None:
        wait = quiet
        while not done.wait(wait):
            note(f"osca: {what}: still working ({time.monotonic() - start:.0f} s; Ctrl-C stops)")
            wait = every

    t = threading.Thread(target=beat, daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
