"""One child-process helper for the benchmarks that measure time and peak memory in a fresh interpreter.

``run_child("osca_core.bench.ingest:ingest_child", args)`` runs ``ingest_child(*args)`` in a plain child
interpreter (not ``multiprocessing``, which re-imports whatever ``__main__`` is, e.g. the dashboard's app.py), with
the environment of :func:`osca_core.settings.child_environment` plus ``env``; the function returns a JSON-ready
dict, printed by the child as its last stdout line and returned here. A failing child raises ``RuntimeError``
with its last stderr line; an interrupt (Ctrl-C) kills the child (``subprocess.run``) and propagates.

:func:`peak_rss_mb` and :func:`reset_peak_rss` are the memory probes the child functions use (Linux ``/proc``).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from osca_core.settings import child_environment

_CODE = ("import importlib, json, sys; mod, fn = sys.argv[1].split(':'); "
         "print(json.dumps(getattr(importlib.import_module(mod), fn)(*json.loads(sys.argv[2]))))")


def run_child(target: str, args: Sequence[object] = (), *, env: dict[str, str] | None = None,
              what: str = "benchmark") -> dict:
    """Run ``module:function`` with JSON-serializable ``args`` in a fresh interpreter; return its dict."""
    if target.count(":") != 1:
        raise ValueError("target must be 'module:function'")
    out = subprocess.run([sys.executable, "-c", _CODE, target, json.dumps(list(args))], capture_output=True,
                         text=True, check=False, env=child_environment(**(env or {})))
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"{what}: the child process failed ({last})")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> float | None:
    """This process's peak resident memory since start or the last :func:`reset_peak_rss` (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def process_peak_rss_mb() -> float:
    """The whole process's peak resident memory (``getrusage``), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def reset_peak_rss() -> float | None:
    """Reset the kernel's peak-RSS mark (Linux: write 5 to /proc/self/clear_refs); the current RSS in MB, or None
    when the reset is not available (then only the whole process peak is meaningful)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return peak_rss_mb()
