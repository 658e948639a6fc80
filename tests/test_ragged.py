"""Ragged logs: a configuration run on a third of the questions, a question run by one configuration only, and
configurations with n = 1, 3 and 10 in one dataset, stored with missing cells as n = 0 (never invented), reported,
and made complete only by an explicit missing-cell policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from storecheck import write_frame

from osca_core.data.importers import import_paths
from osca_core.data.store import Store, read_long
from osca_core.model.missing import apply_missing


def _ragged_log(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """12 questions; 'cheap' n = 10 everywhere, 'mid' n = 3, 'big' n = 1 on every third question; q11 by 'cheap'
    only. Returns the per-sample rows and the true (n, c)."""
    rng = np.random.default_rng(seed)
    q = 12
    n = np.tile([10, 3, 1], (q, 1))
    n[np.arange(q) % 3 != 0, 2] = 0
    n[11, 1:] = 0
    c = np.zeros_like(n)
    rows = []
    for i in range(q):
        for s, cfg in enumerate(["cheap_0.8", "mid_0.6", "big_0.2"]):
            for k in range(n[i, s]):
                ok = bool(rng.random() < 0.3 + 0.2 * s)
                c[i, s] += ok
                rows.append({"question_id": f"t{i:02d}", "config": cfg, "correct": ok, "epoch": k,
                             "completion_tokens": 10 * (s + 1) + k})
    return pd.DataFrame(rows), n, c


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_missing_cells_are_stored_as_missing_and_reported(osca_home, tmp_path, suffix):
    df, n, c = _ragged_log()
    st = Store.open()
    res = import_paths(st, [write_frame(df, tmp_path / f"r{suffix}")], name="r")
    info = getattr(res, "info", res)  # the import result carries the DatasetInfo
    assert info.missing_cells == int((n == 0).sum()) == 9
    m = st.load_matrix("r")
    assert m.n.tolist() == n.tolist() and m.c.tolist() == c.tolist() and m.missing_cells == 9
    assert m.column_roles["epoch"] == "sample_index" and m.cost_column == "completion_tokens"
    assert st.list_datasets()[0].as_dict()["missing_cells"] == 9
    with pytest.raises(ValueError, match="apply_missing"):
        m.train_rates()


def test_unequal_n_per_configuration_is_kept_exactly(tmp_path):
    df, n, _ = _ragged_log(seed=3)
    m, samples = read_long([(write_frame(df, tmp_path / "r.csv"), "csv", "r.csv")], name="r", source="s",
                           checksum="x")
    assert sorted({int(x) for x in m.n[m.n > 0]}) == [1, 3, 10]
    assert samples.num_rows == int(n.sum())
    counts = pd.DataFrame({"s": samples.column("s").to_numpy()}).value_counts().sort_index().tolist()
    assert counts == n.sum(axis=0).tolist()


def test_policies_on_a_ragged_import(tmp_path):
    df, n, c = _ragged_log(seed=1)
    m, _ = read_long([(write_frame(df, tmp_path / "r.csv"), "csv", "r.csv")], name="r", source="s", checksum="x")
    full, rep = apply_missing(m, policy="drop-questions")
    assert full.question_ids == ("t00", "t03", "t06", "t09") and rep.questions_dropped == 8
    assert rep.missing_by_config[0] == ("big_0.2", 8)
    two, rep2 = apply_missing(m, ["cheap_0.8", "mid_0.6"])
    assert len(two.question_ids) == 11 and rep2.questions_dropped == 1  # only t11 lacks 'mid'
    alone, rep3 = apply_missing(m, ["cheap_0.8"])
    assert alone.shape == (12, 1) and rep3.missing_cells == 0
    imp, rep4 = apply_missing(m, policy="prior")
    assert imp.shape == m.shape and rep4.cells_imputed == 9 and imp.imputed.sum() == 9


def test_an_aggregated_ragged_file_keeps_its_missing_cells(tmp_path):
    df = pd.DataFrame({"question_id": ["a", "a", "b", "c"], "config": ["x", "y", "x", "y"],
                       "n_samples": [10, 1, 10, 3], "n_correct": [4, 1, 0, 2]})
    m, _ = read_long([(write_frame(df, tmp_path / "g.csv"), "csv", "g.csv")], name="g", source="s", checksum="x")
    assert m.n.tolist() == [[10, 1], [10, 0], [0, 3]] and m.c.tolist() == [[4, 1], [0, 0], [0, 2]]
