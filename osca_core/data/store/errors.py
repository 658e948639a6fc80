"""The one place that reads DuckDB's error messages: lock conflicts, damaged files, full disks.

DuckDB raises the same few exception classes for very different causes, so the store tells them apart by message
text; every pattern it relies on is listed here (and tests/test_store_errors.py has one test per pattern, on a
message produced by the installed DuckDB where one can be produced). A damaged or full store becomes one line:

- damaged: ``store is damaged: <path> (<DuckDB's first line>); move it aside and run osca fetch / osca import
  again`` (:class:`StoreDamagedError`; the Data page offers :meth:`Store.move_aside`, which never deletes);
- full disk: ``store cannot write: the disk holding <path> is full (...); free space ...`` (:class:`StoreFullError`).
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from osca_core.errors import InputError

LOCK_PATTERNS = ("Could not set lock", "Conflicting lock", "different configuration")
DAMAGED_PATTERNS = ("Could not read enough bytes", "Corrupt database file", "not a valid DuckDB database")
FULL_PATTERNS = ("No space left on device", "Disk quota exceeded")  # strerror(ENOSPC), strerror(EDQUOT) in IO errors
_HOLDER = re.compile(r"held in (\S+) \(PID (\d+)\)")


class StoreDamagedError(InputError):
    """The store file is truncated, overwritten or not a DuckDB database."""


class StoreFullError(InputError):
    """The disk holding the store has no space left."""


def first_line(e: BaseException) -> str:
    return next((x.strip() for x in str(e).splitlines() if x.strip()), type(e).__name__)


def kind(e: BaseException) -> str | None:
    """"lock", "damaged", "full" or None for an error DuckDB (or the OS) raised on the store file."""
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return "full"
    msg = str(e)
    if any(p in msg for p in FULL_PATTERNS):
        return "full"
    if any(p in msg for p in DAMAGED_PATTERNS):
        return "damaged"
    if any(p in msg for p in LOCK_PATTERNS):
        return "lock"
    return None


def lock_holder(e: BaseException) -> str:
    """"PID 123, python3" from a lock conflict's message (or its first line)."""
    m = _HOLDER.search(str(e))
    return f"PID {m[2]}, {Path(m[1]).name}" if m else first_line(e)


def damaged(path: Path, e: BaseException) -> StoreDamagedError:
    detail = first_line(e).replace(f'"{path}"', "the file").replace(str(path), "the file")
    detail = re.sub(r"^[A-Za-z ]*Error: ", "", detail)
    return StoreDamagedError(f"store is damaged: {path} ({detail}); move it aside and run osca fetch / osca "
                             f"import again")


def full(path: Path, e: BaseException) -> StoreFullError:
    return StoreFullError(f"store cannot write: the disk holding {path} is full ({first_line(e)}); nothing was "
                          f"changed. Free space on that disk (osca remove NAME needs a little space itself; if it "
                          f"fails, move {path.name} to a disk with space and set OSCA_HOME there)")


def translate(path: Path, e: BaseException) -> InputError | None:
    """The one-line error for a damaged store, a full disk or memory running out, else None (the caller
    re-raises ``e``)."""
    if isinstance(e, MemoryError) or "Out of Memory Error" in str(e):
        return InputError(f"store {path}: out of memory ({first_line(e)[:160]}); nothing was changed. Ask for "
                          f"less at a time, or give the process more memory")
    k = kind(e)
    if k == "damaged":
        return damaged(path, e)
    if k == "full":
        return full(path, e)
    return None
