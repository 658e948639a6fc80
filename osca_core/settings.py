"""The one reader of environment variables, and where the paper's release folder is.

Every setting the studio takes from the environment is read here and nowhere else, each with its default and
its validation (a bad value is a user's mistake: :class:`InputError`, one line naming the variable):

| variable | meaning | default |
|---|---|---|
| ``OSCA_HOME`` | folder of the store (``osca.duckdb``) and of downloads | ``./data`` |
| ``OSCA_BUSY_TIMEOUT`` | seconds to wait for another process's lock on the store (0 .. 86400) | 8 |
| ``OSCA_FETCH_TIMEOUT`` | seconds before a silent connection counts as offline (> 0, at most 86400) | 10 |
| ``OSCA_FETCH_DEADLINE`` | seconds a whole download may take, however the bytes drip (> 0, at most 86400) | 300 |
| ``OSCA_MAX_IMPORT_ROWS`` | rows an import may hold after decompression (:mod:`osca_core.cost`) | 20000000 |
| ``OSCA_MAX_IMPORT_FILES`` | files one import may read | 20000 |
| ``OSCA_MAX_SECONDS`` | estimated seconds of work above which a command is refused without ``--allow-long`` | 600 |
| ``OSCA_MAX_BYTES`` | estimated bytes of memory above which a command is refused without ``--allow-long`` | 2e9 |
| ``OSCA_RELEASE_MIRROR`` | folder or http(s) base URL holding the release files | none |
| ``OSCA_VIEWER`` | ``1``: the dashboard is a read-only public demo (``osca dashboard --viewer`` sets it) | 0 |
| ``OSCA_WORKERS`` | threads of the dashboard's worker pool for heavy computations (:mod:`osca_core.workers`) | cores |
| ``OSCA_QUEUE`` | computations that may wait for a worker; beyond, a visitor is told "busy" | 64 |
| ``OSCA_WORKER_STATS`` | file where the dashboard keeps its worker pool's statistics (``osca bench serve``) | none |

:func:`release_folder` is the folder of the release logs for benchmarks and tests: ``$OSCA_RELEASE_MIRROR`` when
it names a folder, else ``../shared/data/osca-release`` beside the *working directory's* checkout (never a path
baked relative to the installed package).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from osca_core.errors import InputError

MAX_SECONDS = 86_400.0  # a day: larger waits overflow timers (socket timeouts, timedelta) and are never meant


def _seconds(var: str, default: float, *, positive: bool) -> float:
    """Seconds from ``var``, range-checked as text (``1e300`` and ``1e400`` are refused before any timer sees
    them: :func:`osca_core.checks.number`)."""
    from osca_core import checks

    raw = os.environ.get(var)
    if raw is None or raw.strip() == "":
        return default
    want = f"{'> 0' if positive else '>= 0'} and at most {MAX_SECONDS:g}"
    try:
        val = float(checks.number(raw, var, lo=0.0, hi=MAX_SECONDS))
    except InputError:
        raise InputError(f"{var}: expected a number of seconds {want} (got {checks.shown(raw)!r})") from None
    if not math.isfinite(val) or (positive and val == 0):
        raise InputError(f"{var}: expected a number of seconds {want} (got {checks.shown(raw)!r})")
    return val


def _count(var: str, default: int, *, hi: int) -> int:
    from osca_core import checks

    raw = os.environ.get(var)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(checks.number(raw, var, lo=1, hi=hi, integer=True))
    except InputError:
        raise InputError(f"{var}: expected a whole number from 1 to {hi} (got {checks.shown(raw)!r})") from None


def home_folder() -> Path:
    """``$OSCA_HOME`` or ``./data`` (relative to the working directory), as an absolute path (not created)."""
    return Path(os.environ.get("OSCA_HOME") or "data").expanduser().absolute()


def busy_timeout() -> float:
    """Seconds to wait for another process's lock before the store gives up ($OSCA_BUSY_TIMEOUT, default 8)."""
    return _seconds("OSCA_BUSY_TIMEOUT", 8.0, positive=False)


def fetch_timeout() -> float:
    """Seconds before a silent connection counts as offline ($OSCA_FETCH_TIMEOUT, default 10; must be > 0)."""
    return _seconds("OSCA_FETCH_TIMEOUT", 10.0, positive=True)


def fetch_deadline() -> float:
    """Seconds a whole download may take ($OSCA_FETCH_DEADLINE, default 300; the per-read timeout alone lets a
    mirror that drips a byte every few seconds run for ever)."""
    return _seconds("OSCA_FETCH_DEADLINE", 300.0, positive=True)


def max_import_rows() -> int:
    """Rows one import may hold after decompression ($OSCA_MAX_IMPORT_ROWS, default 2 x 10^7)."""
    return _count("OSCA_MAX_IMPORT_ROWS", 20_000_000, hi=10**12)


def max_import_files() -> int:
    """Files one import may read ($OSCA_MAX_IMPORT_FILES, default 20000)."""
    return _count("OSCA_MAX_IMPORT_FILES", 20_000, hi=10**7)


def max_seconds() -> float:
    """Estimated seconds above which work is refused unless --allow-long ($OSCA_MAX_SECONDS, default 600)."""
    return _seconds("OSCA_MAX_SECONDS", 600.0, positive=True)


def max_bytes() -> int:
    """Estimated bytes of memory above which work is refused unless --allow-long ($OSCA_MAX_BYTES, default 2e9)."""
    return _count("OSCA_MAX_BYTES", 2_000_000_000, hi=10**15)


def release_mirror() -> str | None:
    """``$OSCA_RELEASE_MIRROR`` (a folder or an http(s) base URL), or None when unset or blank."""
    raw = os.environ.get("OSCA_RELEASE_MIRROR", "").strip()
    return raw or None


def release_folder() -> Path:
    """The folder holding the release logs: ``$OSCA_RELEASE_MIRROR`` if it is a folder, else
    ``../shared/data/osca-release`` relative to the working directory (the layout of a checkout beside
    ``shared/``). The folder may not exist; callers name the missing file."""
    mirror = release_mirror()
    if mirror and Path(mirror).expanduser().is_dir():
        return Path(mirror).expanduser()
    return Path.cwd().parent / "shared" / "data" / "osca-release"


def viewer_mode() -> bool:
    """``$OSCA_VIEWER``: True for 1/true/yes/on, False when unset, blank or 0/false/no/off; else InputError."""
    raw = os.environ.get("OSCA_VIEWER", "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise InputError(f"OSCA_VIEWER: expected 1 or 0 (got {os.environ['OSCA_VIEWER']!r})")


def workers() -> int:
    """Threads of the dashboard's worker pool ($OSCA_WORKERS, 1 .. 256; default the cores this process may use)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return _count("OSCA_WORKERS", max(1, cores), hi=256)


def queue_size() -> int:
    """Computations that may wait for a worker before visitors are told "busy" ($OSCA_QUEUE, 1 .. 100000; 64)."""
    return _count("OSCA_QUEUE", 64, hi=100_000)


def worker_stats_file() -> Path | None:
    """``$OSCA_WORKER_STATS``: where the dashboard writes its worker pool's statistics (JSON), or None."""
    raw = os.environ.get("OSCA_WORKER_STATS", "").strip()
    return Path(raw).expanduser().absolute() if raw else None


def child_environment(**overrides: str) -> dict[str, str]:
    """A copy of the environment for a child interpreter, with ``overrides`` set (benchmarks' children)."""
    env = dict(os.environ)
    env.update(overrides)
    return env
