"""Output files that cannot hurt: the one rule for every file a command writes (``--out`` of ``report``,
``figure``, ``export``, ``aggregate``).

:func:`check` is called before any work:

- the target is never the store: not ``$OSCA_HOME/osca.duckdb`` nor its ``.wal`` nor any DuckDB file beside
  them (compared by real path, symlinks resolved, and by inode: a hard link is the same file);
- its folder exists and is writable; it is not a folder, a device, a FIFO or a socket;
- an existing file is replaced only with ``--force``; the refusal names it.

:func:`atomic` then writes: a temporary file is created *in the target's folder* with ``O_CREAT | O_EXCL |
O_NOFOLLOW`` and a random name (a pre-planted file or symlink such as ``out.csv.part`` is never opened or
followed), written, flushed to disk, and moved into place in one step: ``os.replace`` with ``--force``, else
``os.link`` (which fails if a file appeared meanwhile, so nothing is replaced even under a race). On any error
the temporary file is removed and nothing else changed. Refusals are :class:`InputError` lines.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from osca_core import settings
from osca_core.errors import InputError

STORE_FILE = "osca.duckdb"
_STORE_SUFFIXES = (".duckdb", ".duckdb.wal", ".duckdb.tmp", ".wal")


def _is_store_file(p: Path) -> bool:
    """A DuckDB file of the store folder ($OSCA_HOME): by real path or by inode (hard links)."""
    home = settings.home_folder()
    real = p.resolve()
    if real.parent == home.resolve() and (real.name.startswith(STORE_FILE) or real.name.endswith(_STORE_SUFFIXES)):
        return True
    try:
        st = os.stat(real)
    except OSError:
        return False
    for f in (home / STORE_FILE, home / f"{STORE_FILE}.wal"):
        try:
            o = os.stat(f)
        except OSError:
            continue
        if (o.st_dev, o.st_ino) == (st.st_dev, st.st_ino):
            return True
    return False


def refuse_store(text: str | os.PathLike, *, flag: str = "--out") -> None:
    """Refuse an output path that is the store or one of its files (module docstring)."""
    if _is_store_file(Path(text).expanduser()):
        raise InputError(f"{flag} {text}: is the studio's store ({settings.home_folder() / STORE_FILE}); "
                         f"give another file")


def check(text: str | os.PathLike, *, flag: str = "--out", suffixes: tuple[str, ...] = (),
          force: bool = False) -> Path:
    """The output path ``text`` after the checks of the module docstring (before any work); raises
    :class:`InputError` naming ``flag`` and the path."""
    p = Path(text).expanduser()
    refuse_store(text, flag=flag)
    try:
        mode = os.lstat(p).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as e:
        raise InputError(f"{flag} {text}: cannot check ({e.strerror or e})") from None
    if mode is not None and stat.S_ISLNK(mode):
        try:
            mode = os.stat(p).st_mode
        except OSError:
            mode = None  # a dangling symlink: replaced by the file (never written through)
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"{flag} {text}: is a folder; give a file name")
    if mode is not None and not stat.S_ISREG(mode):
        raise InputError(f"{flag} {text}: is not a regular file (a device, FIFO or socket); give a file name")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{flag} {text}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{flag} {text}: folder {folder} is not writable")
    if suffixes and p.suffix.lower() not in suffixes:
        raise InputError(f"{flag} {text}: expected a {' or '.join(suffixes)} file")
    if (mode is not None or os.path.lexists(p)) and not force:
        raise InputError(f"{flag} {text}: the file exists; pass --force to replace it")
    return p


@contextmanager
def atomic(path: Path, *, force: bool = False, flag: str = "--out") -> Iterator[BinaryIO]:
    """A binary file object whose content lands at ``path`` when the block ends without error (module
    docstring); ``path`` should have passed :func:`check`."""
    path = Path(path)
    if _is_store_file(path):
        raise InputError(f"{flag} {path}: is the studio's store; give another file")
    folder = path.parent if str(path.parent) else Path(".")
    tmp = folder / f".{path.name[:150]}.{secrets.token_hex(8)}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(tmp, flags, 0o644)
    except OSError as e:
        raise InputError(f"{flag} {path}: cannot write ({e.strerror or e})") from None
    done = False
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path, follow_symlinks=False)
            except FileExistsError:
                raise InputError(f"{flag} {path}: the file exists; pass --force to replace it") from None
            except OSError:  # no hard links here (some network or FAT file systems): checked, then renamed
                if os.path.lexists(path):
                    raise InputError(f"{flag} {path}: the file exists; pass --force to replace it") from None
                os.replace(tmp, path)
        done = True
    except OSError as e:
        raise InputError(f"{flag} {path}: cannot write ({e.strerror or e})") from None
    finally:
        if not done or os.path.lexists(tmp):
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass


def write_bytes(path: Path, data: bytes, *, force: bool = False, flag: str = "--out") -> None:
    """``data`` at ``path`` through :func:`atomic`."""
    with atomic(path, force=force, flag=flag) as fh:
        fh.write(data)
