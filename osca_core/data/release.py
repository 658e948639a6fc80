"""The OSCA release: the two generation logs published with the paper, fetched, checked and imported.

``RELEASE_FILES`` lists each file's public address (github.com/LeiLiLab/OSCA at commit d8556172...), sha256, size
and the dataset it becomes (``osca-swebench``, ``osca-bigcodebench``), as in the release's SOURCE.md.
:func:`fetch_release` downloads them (or reads them from a mirror: a folder, or an http(s) base URL; default
``$OSCA_RELEASE_MIRROR``, read by ``osca_core.settings``) into ``$OSCA_HOME/downloads``, refuses any file whose sha256 differs, and only then
imports both datasets in one transaction, so a refused fetch leaves the store as it was.
"""

from __future__ import annotations

import dataclasses
import hashlib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from osca_core.errors import InputError
from osca_core.data.importers import load_json
from osca_core.model.outcomes import release_from_dict
from osca_core.settings import fetch_deadline, fetch_timeout, release_mirror
from osca_core.data.store import DatasetInfo, Store

_BASE = "https://raw.githubusercontent.com/LeiLiLab/OSCA/d85561726721aa01fc438f200781ef0396e195f4"
RELEASE_FILES: dict[str, tuple[str, str, int, str]] = {
    "swebench_agentless.json": (
        f"{_BASE}/swebench_agentless.json",
        "69e940f0165cfe0b3a66e0e16341fa16557301c1556e03bc01e0501c6172acb0", 57634, "osca-swebench"),
    "bcb_results.json": (
        f"{_BASE}/bcb_results.json",
        "82cdc59038d9c1e3b6ffbc1df4b86aed3c4359b163f83092c6017cb8edf86d02", 9081, "osca-bigcodebench"),
}
_CHUNK = 1 << 14


def _location(name: str, url: str, mirror: str | None) -> str:
    if not mirror:
        return url
    if mirror.startswith(("http://", "https://")):
        return mirror.rstrip("/") + "/" + name
    folder = Path(mirror).expanduser()
    if not folder.is_dir():
        raise InputError(f"--mirror: {mirror} is neither a folder nor an http(s) URL")
    return str(folder / name)


def _download(name: str, where: str, size: int, dest: Path, progress, mirror: str | None, timeout: float,
              deadline: float | None = None) -> None:
    """Copy ``where`` (URL or path) to ``dest`` in chunks, reporting (name, done, total). ``timeout``: seconds one
    read may wait; ``deadline``: seconds the whole copy may take (``OSCA_FETCH_DEADLINE``; reads return what has
    arrived, so a mirror that drips bytes is stopped at the deadline, not after a read of 16 KiB byte by byte).
    ``dest`` is created new (O_EXCL, no symlink followed)."""
    import os
    import time

    start = time.monotonic()
    end = start + (deadline if deadline is not None else fetch_deadline())
    try:
        if where.startswith(("http://", "https://")):
            src = urllib.request.urlopen(where, timeout=timeout)
            total = int(src.headers.get("Content-Length") or size)
        else:
            if not Path(where).is_file():
                raise InputError(f"{where}: no such file in the mirror")
            src, total = open(where, "rb"), Path(where).stat().st_size
        done = 0
        try:
            dest.unlink(missing_ok=True)
            out = os.fdopen(os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                                    0o644), "wb")
        except OSError as e:
            src.close()
            raise InputError(f"{dest.parent}: cannot write the download ({e.strerror}); is OSCA_HOME writable?") from None
        with src, out:
            read = getattr(src, "read1", src.read)
            while block := read(_CHUNK):
                if time.monotonic() > end:
                    raise InputError(f"cannot download {name} from {where}: not done after {end - start:g} s "
                                     f"(OSCA_FETCH_DEADLINE; {done} bytes so far); is the mirror up?")
                out.write(block)
                done += len(block)
                if done > 2 * size + _CHUNK:
                    raise InputError(f"{where}: more than the {size} bytes of the released {name}; refusing it")
                if progress:
                    progress(name, done, total)
    except urllib.error.HTTPError as e:
        raise InputError(f"cannot download {name} from {where}: HTTP {e.code} {e.reason}") from None
    except OSError as e:  # URLError, timeouts, refused connections, unreadable files
        reason = getattr(e, "reason", None) or e
        hint = ("is the mirror up?" if mirror else
                "offline? use --mirror DIR_OR_URL or set OSCA_RELEASE_MIRROR")
        raise InputError(f"cannot download {name} from {where} ({reason}); {hint}") from None


def fetch_release(store: Store, *, mirror: str | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> list[DatasetInfo]:
    """Download (or copy from ``mirror``), verify sha256, and import both release files; returns their datasets."""
    mirror = mirror if mirror is not None else release_mirror()
    timeout = fetch_timeout()  # validated before any work: a bad OSCA_FETCH_TIMEOUT is one line
    deadline = fetch_deadline()
    downloads = store.home / "downloads"
    try:
        downloads.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{downloads}: cannot create the downloads folder ({e.strerror}); is OSCA_HOME "
                         "writable?") from None
    matrices = []
    for name, (url, sha, size, dataset) in RELEASE_FILES.items():
        where = _location(name, url, mirror)
        dest, part = downloads / name, downloads / f"{name}.part"
        try:
            _download(name, where, size, part, progress, mirror, timeout, deadline)
            got = hashlib.sha256(part.read_bytes()).hexdigest()
            if got != sha:
                raise InputError(f"{where}: sha256 mismatch (expected {sha}, got {got}); refusing to import it")
            _move(part, dest)
        finally:
            part.unlink(missing_ok=True)
        m = release_from_dict(load_json(dest, where), name=dataset, where=where, source=f"osca-release:{name}")
        matrices.append((dataclasses.replace(m, checksum=sha), dataset, None))
    return store.save_matrices(matrices)


def _move(part: Path, dest: Path) -> None:
    try:
        part.replace(dest)
    except OSError as e:
        raise InputError(f"{dest}: cannot write the download ({e.strerror}); is OSCA_HOME writable?") from None
