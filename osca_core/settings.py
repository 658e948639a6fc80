"""The one reader of environment variables, and where the paper's release folder is.

Every setting the studio takes from the environment is read here and nowhere else, each with its default and
its validation (a bad value is a user's mistake: :class:`InputError`, one line naming the variable):

| variable | meaning | default |
|---|---|---|
| ``OSCA_HOME`` | folder of the store (``osca.duckdb``) and of downloads | ``./data`` |
| ``OSCA_BUSY_TIMEOUT`` | seconds to wait for another process's lock on the store | 8 |
| ``OSCA_FETCH_TIMEOUT`` | seconds before a silent connection counts as offline | 10 |
| ``OSCA_RELEASE_MIRROR`` | folder or http(s) base URL holding the release files | none |

:func:`release_folder` is the folder of the release logs for benchmarks and tests: ``$OSCA_RELEASE_MIRROR`` when
it names a folder, else ``../shared/data/osca-release`` beside the *working directory's* checkout (never a path
baked relative to the installed package).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from osca_core.errors import InputError


def _seconds(var: str, default: float, *, positive: bool) -> float:
    raw = os.environ.get(var)
    if raw is None or raw.strip() == "":
        return default
    try:
        val = float(raw)
    except ValueError:
        raise InputError(f"{var}: expected seconds (got {raw!r})") from None
    if not math.isfinite(val) or val < 0 or (positive and val == 0):
        want = "a finite number of seconds > 0" if positive else "a finite number of seconds >= 0"
        raise InputError(f"{var}: expected {want} (got {raw!r})")
    return val


def home_folder() -> Path:
    """``$OSCA_HOME`` or ``./data`` (relative to the working directory), as an absolute path (not created)."""
    return Path(os.environ.get("OSCA_HOME") or "data").expanduser().absolute()


def busy_timeout() -> float:
    """Seconds to wait for another process's lock before the store gives up ($OSCA_BUSY_TIMEOUT, default 8)."""
    return _seconds("OSCA_BUSY_TIMEOUT", 8.0, positive=False)


def fetch_timeout() -> float:
    """Seconds before a silent connection counts as offline ($OSCA_FETCH_TIMEOUT, default 10; must be > 0)."""
    return _seconds("OSCA_FETCH_TIMEOUT", 10.0, positive=True)


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


def child_environment(**overrides: str) -> dict[str, str]:
    """A copy of the environment for a child interpreter, with ``overrides`` set (benchmarks' children)."""
    env = dict(os.environ)
    env.update(overrides)
    return env
