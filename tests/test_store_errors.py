"""DuckDB error messages read in one place (osca_core.data.store.errors): one test per pattern it matches, damaged
store files and full disks as one line from every store operation, and a damaged file moved aside (never deleted)
so that the store can be re-created."""

from __future__ import annotations

import errno
import os

import duckdb
import numpy as np
import pytest
from storecheck import snapshot

from osca_core.data import store as store_mod
from osca_core.data.store import DB_FILE, Store, StoreDamagedError, StoreFullError
from osca_core.data.store import errors as dberr
from osca_core.errors import InputError

_TAIL = "; move it aside and run osca fetch / osca import again"


def _real_message(fn) -> str:
    try:
        fn()
    except duckdb.Error as e:
        return str(e)
    raise AssertionError("expected a DuckDB error")


# -- one test per matched pattern, on messages the installed DuckDB produces where possible ----------------------

def _damaged_file(tmp_path, how: str):
    path = tmp_path / f"{how}.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t AS SELECT range AS i, 'x' || range AS s FROM range(200000)")
    con.close()
    size = path.stat().st_size
    if how == "truncated":
        os.truncate(path, size // 2)
    elif how == "overwritten":
        with path.open("r+b") as f:
            f.seek(4096)
            f.write(np.random.default_rng(0).bytes(8192))
    else:
        path.write_bytes(b"not a database" * 100)
    return path


def _open_and_read(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SELECT count(*), sum(length(s)) FROM t").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("how,pattern", [("truncated", "Could not read enough bytes"),
                                         ("overwritten", "Corrupt database file"),
                                         ("junk", "not a valid DuckDB database")])
def test_each_damaged_file_pattern_matches_what_duckdb_says(tmp_path, how, pattern):
    path = _damaged_file(tmp_path, how)
    msg = _real_message(lambda: _open_and_read(path))
    assert pattern in msg and pattern in dberr.DAMAGED_PATTERNS
    assert dberr.kind(duckdb.IOException(msg)) == "damaged"
    err = dberr.translate(path, duckdb.IOException(msg))
    assert isinstance(err, StoreDamagedError) and str(err).startswith(f"store is damaged: {path} (")
    assert str(err).endswith(_TAIL) and "\n" not in str(err)


def test_every_damaged_pattern_is_one_that_duckdb_was_seen_to_produce():
    assert set(dberr.DAMAGED_PATTERNS) == {"Could not read enough bytes", "Corrupt database file",
                                           "not a valid DuckDB database"}  # each tested above on a real file


def test_lock_conflicts_match_and_name_the_holder(tmp_path):
    msg = ('IO Error: Could not set lock on file "/x/osca.duckdb": Conflicting lock is held in /usr/bin/python3.11 '
           '(PID 4242) by user root. See also https://duckdb.org/docs/connect/concurrency')
    assert dberr.kind(duckdb.IOException(msg)) == "lock" and dberr.lock_holder(duckdb.IOException(msg)) == \
        "PID 4242, python3.11"
    path = tmp_path / "a.duckdb"
    keep = duckdb.connect(str(path), read_only=True) if path.exists() else duckdb.connect(str(path))
    try:
        other = _real_message(lambda: duckdb.connect(str(path), read_only=True))
        assert "different configuration" in other and dberr.kind(duckdb.Error(other)) == "lock"
    finally:
        keep.close()


@pytest.mark.parametrize("pattern", dberr.FULL_PATTERNS)
def test_full_disk_patterns_and_enospc_match(pattern, tmp_path):
    assert dberr.kind(duckdb.IOException(f"IO Error: Could not write file \"x\": {pattern}")) == "full"
    assert dberr.kind(OSError(errno.ENOSPC, "No space left on device")) == "full"
    err = dberr.translate(tmp_path / DB_FILE, OSError(errno.ENOSPC, "No space left on device"))
    assert isinstance(err, StoreFullError) and "is full" in str(err) and "osca remove" in str(err)


def test_unrelated_errors_are_left_alone():
    assert dberr.kind(duckdb.CatalogException("Catalog Error: Table with name x does not exist!")) is None
    assert dberr.translate(DB_FILE, duckdb.Error("Binder Error: nope")) is None


# -- every store operation on a damaged store ----------------------------------------------------------------------

def _populated(home, swe, bcb):
    st = Store.open(home)
    st.save_matrix(swe, name="swe")
    st.save_matrix(bcb, name="bcb")
    return st


_OPS = {
    "list_datasets": lambda st, m: st.list_datasets(),
    "load_matrix": lambda st, m: st.load_matrix("swe"),
    "question_table": lambda st, m: st.question_table("swe"),
    "has_samples": lambda st, m: st.has_samples("swe"),
    "sample_outcomes": lambda st, m: st.sample_outcomes("swe"),
    "save_matrix": lambda st, m: st.save_matrix(m, name="new"),
    "remove": lambda st, m: st.remove("swe"),
}


@pytest.mark.parametrize("how", ["truncated", "overwritten", "junk"])
def test_every_store_operation_reports_a_damaged_store_in_one_line(osca_home, swe, bcb, how):
    st = _populated(osca_home, swe, bcb)
    path = osca_home / DB_FILE
    size = path.stat().st_size
    if how == "truncated":
        os.truncate(path, size // 3)
    elif how == "overwritten":
        with path.open("r+b") as f:
            f.seek(12288)  # after the file's three header blocks: the catalog and the data
            f.write(b"\xff" * (size - 12288))
    else:
        path.write_bytes(b"garbage!" * 4096)
    hits = 0
    for op, call in _OPS.items():
        try:
            call(st, swe)
        except StoreDamagedError as e:
            hits += 1
            assert str(e).startswith(f"store is damaged: {path} (") and str(e).endswith(_TAIL), op
        except InputError as e:  # a read that never touched the damaged blocks may still answer
            pytest.fail(f"{op}: not reported as damaged: {e}")
    assert hits == len(_OPS)


def test_a_damaged_store_is_moved_aside_never_deleted_and_recreated(osca_home, swe, bcb):
    st = _populated(osca_home, swe, bcb)
    path = osca_home / DB_FILE
    os.truncate(path, path.stat().st_size // 3)
    damaged = path.read_bytes()
    with pytest.raises(StoreDamagedError):
        st.list_datasets()
    moved = st.move_aside()
    assert moved.parent == osca_home and moved.name.startswith(f"{DB_FILE}.damaged-") and not path.exists()
    assert moved.read_bytes() == damaged
    assert st.list_datasets() == []
    st.save_matrix(bcb, name="bcb")
    assert [d.name for d in st.list_datasets()] == ["bcb"] and moved.exists()
    assert Store.open(osca_home).move_aside() != moved  # a second move never overwrites the first
    assert moved.exists() and Store.open(osca_home).move_aside() is None


# -- full disk -----------------------------------------------------------------------------------------------------

def test_a_full_disk_during_an_import_is_one_line_and_changes_nothing(osca_home, swe, bcb, monkeypatch):
    st = _populated(osca_home, swe, bcb)
    before = snapshot(osca_home)

    def full(*a, **k):
        raise duckdb.IOException('IO Error: Could not write file "osca.duckdb.wal": No space left on device')

    monkeypatch.setattr(store_mod, "insert_dataset", full)
    with pytest.raises(StoreFullError, match=r"^store cannot write: the disk holding .* is full .*osca remove"):
        st.save_matrix(swe, name="third")
    monkeypatch.setattr(store_mod, "delete_dataset", full)
    with pytest.raises(StoreFullError, match=r"if it fails, move osca.duckdb to a disk with space"):
        st.remove("swe")
    monkeypatch.undo()
    assert snapshot(osca_home) == before
    st.remove("swe")
    assert [d.name for d in st.list_datasets()] == ["bcb"]


def test_a_store_path_that_is_not_a_regular_file_is_named(osca_home):
    (osca_home / DB_FILE).mkdir(parents=True)
    with pytest.raises(StoreDamagedError, match="is not a regular file"):
        Store.open(osca_home).list_datasets()
