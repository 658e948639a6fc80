"""Data access for the pages: the store (``osca_core.store``, the single gateway to the data; no page speaks SQL
or imports DuckDB) opened per operation, read-only for reads, never held between reruns (DuckDB allows one
read-write process per file; each call gets its own connection, so sessions and threads never share a cursor).

Loaded matrices are cached with ``st.cache_resource`` (an ``OutcomeMatrix`` is immutable: frozen dataclass,
read-only arrays, so sharing one object between sessions is safe and avoids copying large arrays on every rerun);
lists and tables with ``st.cache_data``, keyed on the store's location and modification times (another process's
``osca import`` shows up at the next rerun) or on dataset name + content checksum. Writes (upload, fetch, demo,
remove) bump a counter that forgets the cached lists. The first start on a fresh machine fetches the release.
"""

from __future__ import annotations

import threading

import pandas as pd
import streamlit as st

from osca_core import settings, store
from osca_core.errors import InputError
from osca_core.outcomes import OutcomeMatrix
from osca_core.store import DatasetInfo

UPLOAD_LIMIT_MB = 200  # also server.maxUploadSize in .streamlit/config.toml


def mirror() -> str | None:
    """Where the release is fetched from (``osca_core.settings.release_mirror``), if set."""
    return settings.release_mirror()


@st.cache_resource
def _generation() -> dict:
    """A counter bumped by every write from this app (it keys the dataset list cache)."""
    return {"n": 0, "lock": threading.Lock()}


def bump() -> None:
    """Call after the app writes to the store: forget cached lists (matrices are keyed by checksum)."""
    _generation()["n"] += 1
    _list_datasets.clear()


def _location() -> str:
    """Where datasets are read from, with the store file's modification times: keys the list cache, so another
    $OSCA_HOME never sees a stale list and a write by another process shows up at the next rerun."""
    db = store.osca_home() / store.DB_FILE
    stamps = []
    for p in (db, db.with_name(db.name + ".wal")):
        try:
            stamps.append(str(p.stat().st_mtime_ns))
        except OSError:
            stamps.append("-")
    return f"{db}|{'|'.join(stamps)}"


@st.cache_data(ttl=60, max_entries=32, show_spinner=False)
def _list_datasets(location: str, generation: int) -> list[DatasetInfo]:
    with store.Store.open(read_only=True) as s:
        return s.list_datasets()


def datasets() -> list[DatasetInfo]:
    """All datasets, real ones first, then by name."""
    rows = _list_datasets(_location(), _generation()["n"])
    return sorted(rows, key=lambda r: (r.synthetic, r.name))


@st.cache_resource(max_entries=6, show_spinner="Loading the dataset ...")
def load_matrix(name: str, checksum: str) -> OutcomeMatrix:
    """The outcome matrix of a dataset (``checksum`` keys the cache: a re-import under the same name reloads)."""
    with store.Store.open(read_only=True) as s:
        return s.load_matrix(name)


@st.cache_data(max_entries=16, show_spinner=False)
def question_table(name: str, checksum: str) -> pd.DataFrame:
    """Question attributes from the store (difficulty, platform, date, ...)."""
    with store.Store.open(read_only=True) as s:
        return s.question_table(name)


# -- writes ----------------------------------------------------------------------------------------------------

class _RefuseReplace:
    """A store that refuses to overwrite a dataset: the importer parses and validates the whole file first, so a
    refusal here stores nothing (the store's own ``replace=False`` check repeats it inside the transaction)."""

    def __init__(self, s: store.Store, existing: set[str]) -> None:
        self._s, self._existing = s, existing

    def __getattr__(self, attr: str):
        return getattr(self._s, attr)

    def save_matrix(self, matrix: OutcomeMatrix, *, name: str | None = None, replace: bool = True, **kw):
        self._check(matrix.name if name is None else name)
        return self._s.save_matrix(matrix, name=name, replace=False, **kw)

    def save_matrices(self, items, *, replace: bool = True):
        for matrix, name, _ in items:
            self._check(matrix.name if name is None else name)
        return self._s.save_matrices(items, replace=False)

    def _check(self, target: str) -> None:
        if target in self._existing:
            raise InputError(f"dataset {target!r} already exists: tick \"Replace an existing dataset\" to "
                             f"overwrite it, or choose another name")


def import_upload(filename: str, data: bytes, *, format: str | None, name: str | None,
                  replace: bool) -> DatasetInfo:
    """Import an uploaded file (``osca_core.importers.import_bytes``); without ``replace``, a dataset of the same
    name is an :class:`InputError` naming it and nothing is stored."""
    from osca_core.importers import import_bytes

    with store.Store.open() as s:
        target = s if replace else _RefuseReplace(s, {d.name for d in s.list_datasets()})
        return import_bytes(target, filename, data, format=format, name=name)


def remove_dataset(name: str) -> None:
    with store.Store.open() as s:
        s.remove(name)


def fetch(bar=None) -> list[DatasetInfo]:
    """Fetch the release into the store (``osca_core.release.fetch_release`` from :func:`mirror`), moving ``bar``
    with its progress reports. Offline: :class:`InputError`."""

    def progress(name: str, done: int, total: int) -> None:
        if bar is not None and total:
            bar.progress(min(1.0, done / total), text=f"{name}: {done // 1024} of {total // 1024} kB")

    from osca_core.release import fetch_release

    with store.Store.open() as s:
        return fetch_release(s, mirror=mirror(), progress=progress)


def save_demo() -> None:
    """Store the synthetic demo dataset (labelled synthetic wherever it is shown)."""
    from osca_core.synthetic import demo_matrix

    with store.Store.open() as s:
        s.save_matrix(demo_matrix(seed=0))


def bootstrap() -> None:
    """First start on a fresh machine: with no dataset stored, fetch the release (from :func:`mirror` if set);
    offline, store the synthetic demo and remember why, for the banner. Once per session."""
    if st.session_state.get("_osca_boot"):
        return
    st.session_state["_osca_boot"] = True
    try:
        if datasets():
            return
    except InputError:  # an unreadable or busy store: the sidebar reports it
        return
    gen = _generation()
    with gen["lock"]:
        with store.Store.open(read_only=True) as s:
            if s.list_datasets():
                bump()
                return
        with st.status("First start: fetching the OSCA release logs ...", expanded=True) as status:
            _first_fetch(status)
        bump()


def _first_fetch(status) -> None:
    bar = st.progress(0.0)
    try:
        infos = fetch(bar)
        status.update(label=f"Fetched the OSCA release: {len(infos)} datasets", state="complete", expanded=False)
    except InputError as e:
        st.session_state["_osca_offline"] = str(e)
        try:
            save_demo()
            status.update(label="Offline: stored the synthetic demo dataset instead", state="complete",
                          expanded=False)
        except (ImportError, InputError) as e2:
            status.update(label="No data: " + str(e2), state="error")
