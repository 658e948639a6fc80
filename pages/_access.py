"""Data access for the pages: the store (``osca_core.data.store``, the single gateway to the data; no page speaks SQL
or imports DuckDB) opened per operation, read-only for reads, never held between reruns (DuckDB allows one
read-write process per file; each call gets its own connection, so sessions and threads never share a cursor).

Loaded matrices are cached with ``st.cache_resource`` (an ``OutcomeMatrix`` is immutable: frozen dataclass,
read-only arrays, so sharing one object between sessions is safe and avoids copying large arrays on every rerun);
lists and tables with ``st.cache_data``, keyed on the store's location and modification times (another process's
``osca import`` shows up at the next rerun) or on dataset name + content checksum. Writes (upload, fetch, demo,
remove) bump a counter that forgets the cached lists. The first start on a fresh machine fetches the release.

Analyses get complete matrices: :func:`load_matrix` applies ``osca_core.model.missing.apply_missing`` (drop the
questions that miss a configuration; when that leaves no question, the configurations' prior means) and
:func:`missing_note` says what it did; :func:`raw_matrix` is the stored, possibly ragged matrix (coverage on the
Data page). A damaged store file is reported on every page (:func:`report_damage`, one ``st.error`` line) instead
of raising, and the Data page offers :func:`move_store_aside`.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from osca_core import serving, settings
from osca_core.data import store
from osca_core.data.store import DatasetInfo, StoreDamagedError
from osca_core.errors import InputError
from osca_core.model.missing import MissingReport, apply_missing
from osca_core.model.outcomes import OutcomeMatrix
from osca_core.present.views.text import md_escape
from pages import _visitors as visitors

if TYPE_CHECKING:
    from osca_core.data.formats import ReadOptions
    from osca_core.data.importers import ImportResult

UPLOAD_LIMIT_MB = 200  # also server.maxUploadSize in .streamlit/config.toml
LOG = logging.getLogger("osca.writes")


@dataclass(frozen=True)
class Access:
    """What this session may do: ``user`` writes to the shared store (None: nobody here does); ``viewer``: the
    public demo; ``sign_in``: sign-in is configured, so a visitor can sign in to edit."""

    user: str | None
    viewer: bool = False
    sign_in: bool = False

    @property
    def can_write(self) -> bool:
        return self.user is not None


def secrets() -> dict:
    """The app's secrets (``.streamlit/secrets.toml``) as a dict; {} without any."""
    try:
        return st.secrets.to_dict()
    except Exception:  # noqa: BLE001 - no secrets file (Streamlit raises its own not-found error), or a bad one
        return {}


def auth_configured() -> bool:
    return bool(serving.auth_providers(secrets()))


def access() -> Access:
    """This session's :class:`Access` (see ``osca_core.serving`` for the policy)."""
    if settings.viewer_mode():
        return Access(None, viewer=True)
    if st.get_option("global.appTest") or serving.is_loopback(st.get_option("server.address")):
        return Access(serving.LOCAL_USER)
    sec = secrets()
    if not serving.auth_providers(sec):
        return Access(None)  # (the address guard refuses to serve before any page runs)
    user = st.user
    if user.is_logged_in and serving.may_edit(user.get("email"), serving.allow_list(sec)):
        return Access(str(user.get("email")), sign_in=True)
    return Access(None, sign_in=True)


def _writer() -> str:
    """Who writes now; InputError when this session may not write to the shared store."""
    a = access()
    if not a.can_write:
        raise InputError("this dashboard is read-only here: the shared store takes no writes"
                         + (" (sign in as an editor to write)" if a.sign_in else " (viewer mode)"))
    return a.user


def _logged(user: str, action: str, dataset: str | None) -> None:
    serving.record_write(store.osca_home(), user, action, dataset)
    LOG.info("write by %s: %s %s", user, action, dataset or "")


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


def damage() -> str | None:
    """The store's one-line "store is damaged: ..." message, or None when it opens (or is merely busy)."""
    try:
        _list_datasets(_location(), _generation()["n"])
    except StoreDamagedError as e:
        return str(e)
    except InputError:
        return None
    return None


def report_damage() -> bool:
    """On a damaged store, show its one line in ``st.error`` (with a "Try again" button) and return True."""
    msg = damage()
    if msg is None:
        return False
    st.error(md_escape(msg))
    st.button("Try again", key="retry_store", icon=":material/refresh:")
    return True


def move_store_aside():
    """Rename the damaged store file beside itself (never deleted; ``Store.move_aside``); the new path."""
    user = _writer()
    with store.Store.open() as s:
        moved = s.move_aside()
    bump()
    _logged(user, "move-aside", None)
    return moved


def datasets() -> list[DatasetInfo]:
    """All datasets, real ones first, then by name (none when the store is damaged: :func:`report_damage`)."""
    try:
        rows = _list_datasets(_location(), _generation()["n"])
    except StoreDamagedError:
        rows = []
    shared = {r.name for r in rows}
    mine = [r for r in visitors.datasets() if r.name not in shared]
    return sorted(rows, key=lambda r: (r.synthetic, r.name)) + sorted(mine, key=lambda r: r.name)


def own_datasets() -> list[DatasetInfo]:
    """This session's own datasets (its temporary store: viewer mode and visitors)."""
    return visitors.datasets()


def _home(name: str, checksum: str):
    """The store folder holding dataset (name, checksum): a visitor's temporary store, else the shared one."""
    return visitors.home_of(name, checksum)


@st.cache_resource(max_entries=6, show_spinner="Loading the dataset ...")
def raw_matrix(name: str, checksum: str) -> OutcomeMatrix:
    """The stored outcome matrix of a dataset, missing cells (n = 0) included (``checksum`` keys the cache: a
    re-import under the same name reloads)."""
    with store.Store.open(_home(name, checksum), read_only=True) as s:
        return s.load_matrix(name)


@st.cache_resource(max_entries=6, show_spinner=False)
def _complete(name: str, checksum: str) -> tuple[OutcomeMatrix, MissingReport]:
    m = raw_matrix(name, checksum)
    try:
        return apply_missing(m, policy="drop-questions")
    except InputError:  # every question misses some configuration: fill the holes with the prior means
        return apply_missing(m, policy="prior")


def load_matrix(name: str, checksum: str) -> OutcomeMatrix:
    """The complete outcome matrix the analyses use: :func:`raw_matrix` through ``apply_missing`` (a complete
    dataset comes back unchanged)."""
    return _complete(name, checksum)[0]


def missing_note(name: str, checksum: str) -> str:
    """What :func:`load_matrix` did with missing cells, in one line ('' when nothing was missing)."""
    return _complete(name, checksum)[1].note()


def coverage(name: str, checksum: str) -> pd.DataFrame:
    """Per configuration of the stored matrix: questions with n > 0, their share, samples (``views.coverage``)."""
    from osca_core.present.views.coverage import coverage as _coverage

    return _coverage(raw_matrix(name, checksum))


@st.cache_data(max_entries=16, show_spinner=False)
def question_table(name: str, checksum: str) -> pd.DataFrame:
    """Question attributes from the store (difficulty, platform, date, ...)."""
    with store.Store.open(_home(name, checksum), read_only=True) as s:
        return s.question_table(name)


@st.cache_data(max_entries=32, show_spinner="Reading the samples ...")
def question_samples(name: str, checksum: str, question_id: str) -> pd.DataFrame | None:
    """One question's per-sample rows (``osca_core.data.lake_import.question_samples``: read back from the source when
    the dataset kept counts only, else from the store); None when the dataset holds no per-sample rows."""
    from osca_core.data.lake_import import question_samples as _samples

    with store.Store.open(_home(name, checksum), read_only=True) as s:
        if s.samples_source(name) is None and not s.has_samples(name):
            return None
        return _samples(s, name, question_id).to_pandas()


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
        store.refuse_existing(target, self._existing, surface="app")


def import_uploads(files: list[tuple[str, bytes]], *, format: str | None, name: str | None, replace: bool,
                   options: ReadOptions | None = None) -> ImportResult:
    """Import uploaded files as one dataset (``osca_core.data.importers.import_uploads``) with the reader options;
    without ``replace``, a dataset of the same name is an :class:`InputError` naming it and nothing is stored."""
    from osca_core.data.importers import import_uploads as _import

    user = _writer()
    with store.Store.open() as s:
        target = s if replace else _RefuseReplace(s, {d.name for d in s.list_datasets()})
        res = _import(target, files, format=format, name=name, options=options)
    _logged(user, "import" + (" --replace" if replace else ""), res.info.name)
    return res


def import_own(files: list[tuple[str, bytes]], *, format: str | None, name: str | None, replace: bool,
               options: ReadOptions | None = None) -> ImportResult:
    """A visitor's upload into this session's temporary store (``pages._visitors``, bounded): never under a
    shared dataset's name, and under one of the session's own names only with ``replace``."""
    from osca_core.data.importers import import_uploads as _import

    shared = {r.name for r in _list_datasets(_location(), _generation()["n"])} if damage() is None else set()
    vs = visitors.check_upload(files, name, shared)
    with store.Store.open(vs.home) as s:
        refuse = shared | (set() if replace else {d.name for d in s.list_datasets()})
        res = _import(_RefuseReplace(s, refuse), files, format=format, name=name, options=options)
    vs.uploaded += sum(len(b) for _, b in files)
    return res


def remove_dataset(name: str) -> None:
    user = _writer()
    with store.Store.open() as s:
        s.remove(name)
    _logged(user, "remove", name)


def fetch(bar=None) -> list[DatasetInfo]:
    """Fetch the release into the store (``osca_core.data.release.fetch_release`` from :func:`mirror`), moving ``bar``
    with its progress reports. Offline: :class:`InputError`."""

    def progress(name: str, done: int, total: int) -> None:
        if bar is not None and total:
            bar.progress(min(1.0, done / total), text=f"{name}: {done // 1024} of {total // 1024} kB")

    from osca_core.data.release import fetch_release

    user = _writer()
    with store.Store.open() as s:
        infos = fetch_release(s, mirror=mirror(), progress=progress)
    _logged(user, "fetch", ", ".join(i.name for i in infos))
    return infos


def save_demo(*, replace: bool = True) -> None:
    """Store the synthetic demo dataset (labelled synthetic wherever it is shown); an existing dataset of its name
    is replaced only with ``replace``, the rule of `osca demo` (``synthetic.store_demo``)."""
    from osca_core.data.synthetic import store_demo

    user = _writer()
    with store.Store.open() as s:
        info = store_demo(s, replace=replace, surface="app")
    _logged(user, "demo", info.name)


def bootstrap() -> None:
    """First start on a fresh machine: with no dataset stored, fetch the release (from :func:`mirror` if set);
    offline, store the synthetic demo and remember why, for the banner. Once per session."""
    if report_damage():  # every run, before the sidebar: the one line on every page
        return
    if st.session_state.get("_osca_boot"):
        return
    st.session_state["_osca_boot"] = True
    if not access().can_write:  # viewer mode, or not signed in: the shared store is never written
        return
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
