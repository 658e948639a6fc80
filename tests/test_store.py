"""The DuckDB store: exact round trips, atomic replace and remove, one-process-at-a-time locking with a bounded
wait, rollback of a failed or killed write, and threads sharing the store."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs
from storecheck import assert_same_matrix, matrix_state, snapshot

from osca_core.data import store as store_mod
from osca_core.data.store import DB_FILE, DatasetInfo, Store
from osca_core.data.store import osca_home as home_folder
from osca_core.errors import InputError, StoreBusyError
from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix


def test_osca_home_is_the_env_folder_created_on_first_use(osca_home):
    assert not osca_home.exists()
    assert home_folder() == osca_home
    assert osca_home.is_dir()


def test_osca_home_defaults_to_data_under_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("OSCA_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert home_folder() == tmp_path / "data" and (tmp_path / "data").is_dir()


def test_release_matrices_round_trip_exactly(osca_home, swe, bcb):
    st = Store.open()
    info = st.save_matrix(swe, name="osca-swebench")
    st.save_matrix(bcb, name="osca-bigcodebench")
    assert info == DatasetInfo("osca-swebench", 300, 22, swe.source, "in-sample", False, swe.checksum, info.created)
    assert_same_matrix(st.load_matrix("osca-swebench"), swe)
    assert_same_matrix(st.load_matrix("osca-bigcodebench"), bcb)
    got = {d.name: (d.questions, d.configs, d.split) for d in st.list_datasets()}
    assert got == {"osca-bigcodebench": (148, 10, "70 train / 78 test"), "osca-swebench": (300, 22, "in-sample")}
    assert st.load_matrix("osca-swebench").name == "osca-swebench"
    assert (osca_home / DB_FILE).is_file()


def test_costs_synthetic_flag_and_question_attributes_round_trip(osca_home, bcb):
    attrs = {"difficulty": tuple(["easy", "hard", None][i % 3] for i in range(148)),
             "score": tuple(i / 7 for i in range(148)), "level": tuple(range(148)),
             "flag": tuple(i % 2 == 0 for i in range(148))}
    m = dataclasses.replace(bcb.with_costs({"Qwen_0.2": 0.37, "Llama_1.4": 2.5}), synthetic=True, question_attrs=attrs)
    st = Store.open()
    st.save_matrix(m, name="x")
    got = st.load_matrix("x")
    assert_same_matrix(got, m)
    assert got.synthetic and got.costs.tolist() == m.costs.tolist()
    table = st.question_table("x")
    assert list(table.columns) == ["question_id", "split", "difficulty", "score", "level", "flag"]
    assert table["split"].tolist() == ["train"] * 70 + ["test"] * 78
    assert table["score"].tolist() == list(attrs["score"]) and table["level"].tolist() == list(attrs["level"])
    assert [None if pd.isna(x) else x for x in table["difficulty"]] == list(attrs["difficulty"])  # missing: NA
    assert not st.has_samples("x") and st.sample_outcomes("x").empty


_ids = hs.text(hs.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8).filter(lambda x: x.strip())
_json = hs.one_of(hs.none(), hs.booleans(), hs.integers(-10**6, 10**6), hs.text(max_size=5),
                  hs.floats(allow_nan=False, allow_infinity=False))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=hs.data())
def test_any_matrix_round_trips_exactly(osca_home, data):
    q = data.draw(hs.integers(2, 12))
    s = data.draw(hs.integers(1, 5))
    qids = data.draw(hs.lists(_ids, min_size=q, max_size=q, unique=True))
    names = data.draw(hs.lists(_ids, min_size=s, max_size=s, unique=True))
    n = np.array(data.draw(hs.lists(hs.integers(0, 400), min_size=q * s, max_size=q * s))).reshape(q, s)
    c = np.array([data.draw(hs.integers(0, int(x))) for x in n.ravel()]).reshape(q, s)
    train = np.array(data.draw(hs.lists(hs.booleans(), min_size=q, max_size=q)))
    train[0], test = True, ~train
    test[-1] = True
    costs = data.draw(hs.lists(hs.floats(1e-6, 1e6), min_size=s, max_size=s))
    temps = data.draw(hs.lists(hs.one_of(hs.none(), hs.floats(0, 2)), min_size=s, max_size=s))
    attrs = [data.draw(hs.dictionaries(hs.sampled_from(["provider", "top_p", "k y"]), _json)) for _ in range(s)]
    configs = tuple(ConfigInfo(nm, nm.upper(), t, "v" if t is None else "", k, a)
                    for nm, t, k, a in zip(names, temps, costs, attrs, strict=True))
    m = OutcomeMatrix("h", tuple(qids), configs, n, c, train, test, source="hyp", synthetic=data.draw(hs.booleans()))
    st = Store.open()
    info = st.save_matrix(m, name="h")
    assert_same_matrix(st.load_matrix("h"), m)  # missing cells (n = 0) and configuration attributes included
    assert info.missing_cells == int((n == 0).sum()) == st.list_datasets()[0].missing_cells


def test_replace_swaps_the_dataset_and_refuses_without_replace(osca_home, swe, bcb):
    st = Store.open()
    st.save_matrix(swe, name="d")
    st.save_matrix(bcb, name="d")
    assert_same_matrix(st.load_matrix("d"), bcb)
    assert [d.name for d in st.list_datasets()] == ["d"]
    with pytest.raises(InputError, match="dataset 'd' already exists"):
        st.save_matrix(swe, name="d", replace=False)
    assert_same_matrix(st.load_matrix("d"), bcb)


def test_remove_deletes_every_row_of_the_dataset_only(osca_home, swe, bcb):
    st = Store.open()
    st.save_matrix(swe, name="a")
    st.save_matrix(bcb, name="b")
    st.remove("a")
    assert [d.name for d in st.list_datasets()] == ["b"]
    assert_same_matrix(st.load_matrix("b"), bcb)
    with pytest.raises(InputError, match=r"unknown dataset 'a' \(known: b\)"):
        st.load_matrix("a")
    with pytest.raises(InputError, match="unknown dataset 'a'"):
        st.remove("a")


def test_unknown_dataset_in_an_empty_store_says_how_to_get_data(osca_home):
    with pytest.raises(InputError, match=r"unknown dataset 'x' \(known: none yet: run osca fetch"):
        Store.open(read_only=True).load_matrix("x")


def test_reading_an_empty_home_creates_no_database(osca_home):
    st = Store.open(read_only=True)
    assert st.list_datasets() == []
    assert not (osca_home / DB_FILE).exists()


@pytest.mark.parametrize("bad", ["", " x", "a/b", "x" * 101, "tab\there"])
def test_bad_dataset_names_are_refused(osca_home, swe, bad):
    with pytest.raises(InputError, match="dataset name"):
        Store.open().save_matrix(swe, name=bad)


def test_read_only_store_refuses_writes(osca_home, swe):
    with pytest.raises(InputError, match="read-only"):
        Store.open(read_only=True).save_matrix(swe, name="x")


def test_a_failed_write_rolls_back_to_the_previous_content(osca_home, swe, bcb, monkeypatch):
    st = Store.open()
    st.save_matrix(swe, name="a")
    before = snapshot(osca_home)

    def boom(cur, name, *a):
        cur.execute("INSERT INTO datasets (name) VALUES ('half-written')")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store_mod, "insert_dataset", boom)
    with pytest.raises(RuntimeError):
        st.save_matrix(bcb, name="a")
    assert snapshot(osca_home) == before


def test_save_matrices_is_all_or_nothing(osca_home, swe, bcb):
    st = Store.open()
    with pytest.raises(InputError, match="given twice"):
        st.save_matrices([(swe, "a", None), (bcb, "a", None)])
    assert st.list_datasets() == []
    infos = st.save_matrices([(swe, "a", None), (bcb, "b", None)])
    assert [d.name for d in infos] == ["a", "b"]


_HOLDER = textwrap.dedent("""
    import sys, time
    from osca_core.data.store import Store
    st = Store.open(sys.argv[1])
    with st._write() as cur:
        cur.execute("DELETE FROM datasets")
        print("holding", flush=True)
        time.sleep(120)
""")


def _hold_lock(home: Path) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", _HOLDER, str(home)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "holding"
    return p


def test_another_process_holding_the_lock_gives_store_busy_then_a_killed_write_changes_nothing(
        osca_home, swe, monkeypatch):
    Store.open().save_matrix(swe, name="a")
    before = snapshot(osca_home)
    holder = _hold_lock(osca_home)
    try:
        monkeypatch.setenv("OSCA_BUSY_TIMEOUT", "0.3")
        with pytest.raises(StoreBusyError, match=rf"store is busy: {osca_home / DB_FILE} is locked by another process "
                                                 rf"\(PID {holder.pid}"):
            Store.open(read_only=True).list_datasets()
        with pytest.raises(StoreBusyError):
            Store.open().remove("a")
    finally:
        holder.kill()
        holder.wait()
    assert snapshot(osca_home) == before


def test_a_reader_waits_for_a_short_write_to_finish(osca_home, swe, monkeypatch):
    Store.open().save_matrix(swe, name="a")
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER.replace("120", "0.6"), str(osca_home)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "holding"
    monkeypatch.setenv("OSCA_BUSY_TIMEOUT", "20")
    assert [d.name for d in Store.open(read_only=True).list_datasets()] == []  # the holder's commit removed it
    holder.wait()


def test_no_connection_is_held_between_operations(osca_home, swe):
    st = Store.open()
    st.save_matrix(swe, name="a")
    out = subprocess.run([sys.executable, "-c", "from osca_core.data.store import Store; import sys; "
                          "print(Store.open(sys.argv[1]).load_matrix('a').shape)", str(osca_home)],
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "(300, 22)", out.stderr


def test_threads_share_the_store_with_a_cursor_each(osca_home, swe, bcb):
    st, errors = Store.open(), []
    st.save_matrix(swe, name="swe")
    want = matrix_state(swe)

    def reader():
        try:
            ro = Store.open(read_only=True)
            for _ in range(15):
                got = matrix_state(ro.load_matrix("swe"))
                assert got == want
                assert {d.name for d in ro.list_datasets()} >= {"swe"}
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    def writer(k):
        try:
            for i in range(5):
                st.save_matrix(bcb, name=f"w{k}")
                if i % 2:
                    st.remove(f"w{k}")
        except Exception as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=reader) for _ in range(4)] + [threading.Thread(target=writer, args=(k,))
                                                                     for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert {d.name for d in st.list_datasets()} == {"swe", "w0", "w1"}
    assert_same_matrix(st.load_matrix("w1"), bcb)
    assert store_mod._gate(st.path).con is None  # the last operation closed the connection


def test_a_waiting_writer_is_not_starved_by_new_readers(osca_home, swe):
    import time

    st = Store.open()
    st.save_matrix(swe, name="a")
    gate, deadline = store_mod._gate(st.path), time.monotonic() + 20
    first = gate.acquire(False, deadline)
    assert not gate.writable
    got = {}
    writer = threading.Thread(target=lambda: got.setdefault("w", gate.acquire(True, deadline)))
    writer.start()
    while gate.writers == 0:
        time.sleep(0.01)
    reader = threading.Thread(target=lambda: got.setdefault("r", (gate.acquire(False, deadline), gate.writable)))
    reader.start()
    time.sleep(0.2)
    assert got == {}  # both wait: the writer for the read-only connection to drain, the reader behind the writer
    gate.release(first)
    writer.join(10)
    reader.join(10)
    assert got["r"][1] is True  # the reader shares the writer's read-write connection
    gate.release(got["w"])
    gate.release(got["r"][0])
    assert gate.con is None and gate.users == 0


def test_a_file_that_is_not_a_duckdb_database_is_one_clear_error(osca_home, swe):
    osca_home.mkdir(parents=True)
    (osca_home / DB_FILE).write_bytes(b"not a database" * 100)
    for call in (lambda: Store.open(read_only=True).list_datasets(), lambda: Store.open().save_matrix(swe, name="a")):
        with pytest.raises(InputError, match=rf"^store is damaged: {osca_home / DB_FILE} \(.*not a valid DuckDB.*\); "
                                             r"move it aside and run osca fetch / osca import again$"):
            call()


def test_an_unusable_home_folder_is_one_clear_error(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("OSCA_HOME", str(tmp_path / "file" / "home"))
    with pytest.raises(InputError, match=r"^OSCA_HOME .*/file/home: cannot create the folder"):
        Store.open()


def test_a_store_written_before_the_added_tables_still_reads(osca_home, bcb):
    import duckdb

    st = Store.open()
    st.save_matrix(bcb, name="bcb")
    con = duckdb.connect(str(osca_home / DB_FILE))
    for table in ("config_attrs", "sample_extras", "dataset_props"):
        con.execute(f"DROP TABLE {table}")
    con.close()
    ro = Store.open(read_only=True)
    assert_same_matrix(ro.load_matrix("bcb"), bcb)
    assert ro.list_datasets()[0].missing_cells == 0 and ro.sample_outcomes("bcb").empty
    st.save_matrix(bcb, name="again")  # the next write adds the tables
    assert [d.name for d in ro.list_datasets()] == ["again", "bcb"]


def test_question_attributes_are_built_in_linear_time_with_the_same_result():
    from osca_core.bench.attrs import bench_attrs
    from osca_core.data.store import attrs_from_rows

    rows = [(0, "a", 2, '"x"'), (0, "a", 0, "1"), (1, "b", 1, "null")]
    assert attrs_from_rows(rows, 3) == {"a": (1, None, "x"), "b": (None, None, None)}
    res = bench_attrs((50, 400), quadratic_max=400)
    assert [r.questions for r in res] == [50, 400] and all(r.same_result for r in res)


def test_imputed_matrices_are_analysis_views_and_never_stored(osca_home, bcb):
    imp = np.zeros(bcb.shape, bool)
    imp[0, 0] = True
    with pytest.raises(ValueError, match="imputed"):
        Store.open().save_matrix(dataclasses.replace(bcb, imputed=imp), name="x")
    assert not (osca_home / DB_FILE).exists() or Store.open().list_datasets() == []


def test_an_existing_name_is_refused_by_one_function_with_each_surfaces_own_hint():
    from pathlib import Path

    import osca_core
    from osca_core.data.store import refuse_existing

    refuse_existing("new", {"old"}, surface="cli")  # an unknown name passes
    for surface, tail in (("store", " (remove it first: osca remove o{x})"),
                          ("cli", "; pass --replace to replace it (or osca remove o{x} first)"),
                          ("app", ': tick "Replace an existing dataset" to overwrite it, or choose another name')):
        with pytest.raises(InputError) as e:
            refuse_existing("o{x}", ["o{x}"], surface=surface)
        assert str(e.value) == "dataset 'o{x}' already exists" + tail
    root = Path(osca_core.__file__).parent
    said = [p for p in [*root.rglob("*.py"), *(root.parent / "pages").glob("*.py")] if "already exists" in p.read_text()]
    assert [p.relative_to(root.parent).as_posix() for p in said] == ["osca_core/data/store/__init__.py"]
