"""A visitor's own logs in viewer mode: a temporary store per browser session, never the shared one.

Each session that uploads gets a folder of its own (``tempfile.mkdtemp``, a store of its own inside) from
``st.cache_resource(scope="session", on_release=...)``: Streamlit clears a session's session-scoped caches when the
session disconnects or shuts down (``AppSession.clear_session_caches``, which calls the ``on_release`` hook), and
the hook deletes the folder. Nothing of it is listed to another session (its datasets are only in its own
session's listing).

Bounds: at most :data:`MAX_DATASETS` datasets and :data:`MAX_MB` MB of uploaded files per session, and at most
:data:`MAX_STORES` temporary stores alive in the process at once (another visitor is asked to come back later).

The analyses' caches are keyed on dataset name + content checksum (``pages._access``): :func:`home_of` tells the
loaders which folder holds a (name, checksum) of a temporary store; everything else reads the shared store.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from osca_core import limits
from osca_core.data import store
from osca_core.data.store import DatasetInfo
from osca_core.errors import InputError

MAX_DATASETS = limits.VISITOR_MAX_DATASETS
MAX_MB = limits.VISITOR_MAX_MB
MAX_STORES = limits.VISITOR_MAX_STORES
PREFIX = "osca-visitor-"

_LOCK = threading.Lock()
_HOMES: dict[tuple[str, str], Path] = {}  # (name, checksum) of a temporary store's dataset -> its folder
_LIVE: set[Path] = set()  # the temporary stores alive in this process
_USED = "_osca_visitor_store"  # session_state: this session has a temporary store


@dataclass
class VisitorStore:
    """One session's temporary store: its folder and the bytes uploaded into it so far."""

    home: Path
    uploaded: int = 0
    keys: set = field(default_factory=set)

    def infos(self) -> list[DatasetInfo]:
        if not (self.home / store.DB_FILE).exists():
            return []
        with store.Store.open(self.home, read_only=True) as s:
            rows = s.list_datasets()
        with _LOCK:
            for r in rows:
                _HOMES[(r.name, r.checksum)] = self.home
                self.keys.add((r.name, r.checksum))
        return rows

    def release(self) -> None:
        """Forget and delete the folder (the session ended)."""
        with _LOCK:
            for k in self.keys:
                _HOMES.pop(k, None)
            _LIVE.discard(self.home)
        shutil.rmtree(self.home, ignore_errors=True)


def _release(vs: VisitorStore) -> None:
    vs.release()


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _session_store() -> VisitorStore:
    with _LOCK:
        if len(_LIVE) >= MAX_STORES:
            raise InputError(f"{MAX_STORES} visitors are trying their own logs right now; please try again later")
        home = Path(tempfile.mkdtemp(prefix=PREFIX))
        _LIVE.add(home)
    return VisitorStore(home)


def session_store(create: bool = False) -> VisitorStore | None:
    """This session's temporary store; None when it has none (and ``create`` is False)."""
    if not create and not st.session_state.get(_USED):
        return None
    vs = _session_store()
    st.session_state[_USED] = True
    return vs


def datasets() -> list[DatasetInfo]:
    """The datasets of this session's temporary store (none without one)."""
    vs = session_store()
    return vs.infos() if vs is not None else []


def home_of(name: str, checksum: str) -> Path | None:
    """The temporary store holding dataset (name, checksum), or None (the shared store)."""
    with _LOCK:
        return _HOMES.get((name, checksum))


def live_stores() -> int:
    """How many temporary stores are alive in this process (tests, the load bench)."""
    with _LOCK:
        return len(_LIVE)


def check_upload(files: list[tuple[str, bytes]], name: str | None, shared: set[str]) -> VisitorStore:
    """This session's store, after checking the bounds for an upload of ``files`` (InputError naming the bound)."""
    vs = session_store(create=True)
    size = sum(len(b) for _, b in files)
    if vs.uploaded + size > MAX_MB * 1024 * 1024:
        raise InputError(f"upload: a visitor may try at most {MAX_MB} MB of logs per session "
                         f"({(vs.uploaded + size) / 2**20:.1f} MB with these files)")
    mine = {r.name for r in vs.infos()}
    if name is not None and name in shared:
        raise InputError(f"dataset name {name!r} is taken by a shared dataset; choose another name")
    if len(mine) >= MAX_DATASETS and (name is None or name not in mine):
        raise InputError(f"upload: a visitor may keep at most {MAX_DATASETS} datasets per session; remove one first")
    return vs


def remove(name: str) -> None:
    """Remove one of this session's own datasets (never a shared one)."""
    vs = session_store()
    if vs is None or name not in {r.name for r in vs.infos()}:
        raise InputError(f"no dataset named {name!r} among your uploads")
    with store.Store.open(vs.home) as s:
        s.remove(name)
