"""Export then import gives back the same dataset (content checksum, configurations with their attributes and
costs, question attributes, per-sample columns), for aggregated and per-sample exports, CSV and Parquet."""

from __future__ import annotations

import dataclasses

import pyarrow.csv as pacsv
import pytest
from storecheck import write_frame
from test_longfiles import _log
from test_ragged import _ragged_log

from osca_core.data.importers import import_paths
from osca_core.data.store import Store
from osca_core.data.store.export import export
from osca_core.errors import InputError


def _same(a, b) -> None:
    assert a.content_checksum() == b.content_checksum()
    assert a.configs == b.configs and a.question_attrs == b.question_attrs
    assert a.n.tolist() == b.n.tolist() and a.c.tolist() == b.c.tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("per_sample", [False, True])
def test_a_per_sample_log_round_trips_through_its_export(osca_home, tmp_path, suffix, per_sample):
    st = Store.open()
    import_paths(st, [write_frame(_log(), tmp_path / "log.csv")], name="a")
    res = export(st, "a", tmp_path / f"out{suffix}", per_sample=per_sample)
    assert res.order_kept and res.rows == (18 if per_sample else 6)
    import_paths(st, [res.path], name="b")
    _same(st.load_matrix("a"), st.load_matrix("b"))
    if per_sample:
        assert st.sample_outcomes("a").equals(st.sample_outcomes("b"))
        assert {"Run_ID", "output_tokens", "Cost_USD", "latency_ms"} <= set(res.columns)
        assert st.load_matrix("b").cost_column == "Cost_USD"


@pytest.mark.parametrize("per_sample", [False, True])
def test_a_ragged_log_round_trips_with_its_missing_cells(osca_home, tmp_path, per_sample):
    st = Store.open()
    df, n, _ = _ragged_log()
    import_paths(st, [write_frame(df, tmp_path / "r.parquet")], name="r")
    res = export(st, "r", tmp_path / "r-out.csv", per_sample=per_sample)
    import_paths(st, [res.path], name="r2")
    a, b = st.load_matrix("r"), st.load_matrix("r2")
    _same(a, b)
    assert b.missing_cells == 9


def test_the_bigcodebench_release_round_trips_through_an_aggregated_export(osca_home, tmp_path, bcb):
    st = Store.open()
    m = dataclasses.replace(bcb.with_costs({"Qwen_0.2": 0.25}), question_attrs={"i": tuple(range(148))})
    st.save_matrix(m, name="bcb")
    res = export(st, "bcb", tmp_path / "bcb.csv")
    table = pacsv.read_csv(res.path)
    assert table.column_names[:9] == ["question_id", "config", "n_samples", "n_correct", "model", "temperature",
                                      "variant", "cost", "split"]
    import_paths(st, [res.path], name="back")
    got = st.load_matrix("back")
    _same(m, got)
    assert got.content_checksum() == bcb.content_checksum() and got.split_label == "70 train / 78 test"


def test_export_refusals_are_one_line(osca_home, tmp_path, bcb):
    st = Store.open()
    st.save_matrix(bcb, name="bcb")
    with pytest.raises(InputError, match=r"use a .csv or .parquet file name"):
        export(st, "bcb", tmp_path / "x.xlsx")
    with pytest.raises(InputError, match=r"has no per-sample rows .* without --per-sample"):
        export(st, "bcb", tmp_path / "x.csv", per_sample=True)
    with pytest.raises(InputError, match=r"unknown dataset 'nope'"):
        export(st, "nope", tmp_path / "x.csv")
    assert not (tmp_path / "x.csv").exists()
