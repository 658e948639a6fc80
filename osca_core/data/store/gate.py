"""Connections to the store file: one per operation, shared by this process's threads, a cursor per thread.

Part of the store package. DuckDB lets one process open a file read-write, and while it does no other process can
open it at all, so :class:`Gate` opens the process-wide connection for the first operation and closes it after the
last; opening retries on a lock conflict until a deadline, then raises :class:`StoreBusyError`. Damaged files and
full disks met while opening become one line (:mod:`osca_core.data.store.errors`).
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb

from osca_core.errors import InputError, StoreBusyError
from osca_core.data.store import errors as dberr


def _connect(path: Path, read_only: bool, deadline: float) -> duckdb.DuckDBPyConnection:
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.Error, OSError) as e:
            kind = dberr.kind(e)
            if kind in ("damaged", "full"):
                raise dberr.translate(path, e) from None
            if kind != "lock":
                raise InputError(f"store {path}: cannot open ({dberr.first_line(e)})") from None
            left = deadline - time.monotonic()
            if left <= 0:
                raise StoreBusyError(f"store is busy: {path} is locked by another process ({dberr.lock_holder(e)}); "
                                     f"try again when it finishes, or raise OSCA_BUSY_TIMEOUT") from None
            time.sleep(min(delay, left))
            delay = min(delay * 2, 0.25)


class Gate:
    """The process-wide connection to one database file: opened by the first operation, closed by the last."""

    def __init__(self, path: Path) -> None:
        self.path, self.cond, self.write_lock = path, threading.Condition(), threading.Lock()
        self.con: duckdb.DuckDBPyConnection | None = None
        self.writable, self.users, self.writers = False, 0, 0

    def acquire(self, write: bool, deadline: float) -> duckdb.DuckDBPyConnection:
        """A new cursor on the shared connection. A writer waits for an open read-only connection to drain, and
        while a writer waits, new readers wait for its read-write connection (so readers cannot starve it)."""
        with self.cond:
            self.writers += write
            try:
                while not self.writable and (self.con is not None if write else self.writers > 0):
                    if not self.cond.wait(max(0.0, deadline - time.monotonic())):
                        raise StoreBusyError(f"store is busy: {self.path} is in use by this process; try again")
                if self.con is None:
                    self.con, self.writable = _connect(self.path, not write, deadline), write
                self.users += 1
                return self.con.cursor()
            finally:
                self.writers -= write
                if write:
                    self.cond.notify_all()

    def release(self, cur: duckdb.DuckDBPyConnection) -> None:
        cur.close()
        with self.cond:
            self.users -= 1
            if self.users == 0 and self.con is not None:
                self.con.close()
                self.con, self.writable = None, False
                self.cond.notify_all()


_GATES: dict[Path, Gate] = {}
_GATES_LOCK = threading.Lock()


def gate(path: Path) -> Gate:
    with _GATES_LOCK:
        return _GATES.setdefault(path, Gate(path))
