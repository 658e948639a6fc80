"""`osca export --dataset NAME --out FILE [--per-sample] [--json]`: CSV or Parquet by extension; importing the
export gives back the same content checksum, for aggregated and per-sample exports; refusals in one line."""

from __future__ import annotations

import json

import pytest
from storecheck import per_sample_frame, write_frame
from test_longfiles import _log

from osca_core.cli import main
from osca_core.data.store import Store


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("per_sample", [False, True])
def test_export_then_import_gives_the_same_content_checksum(osca_home, capsys, tmp_path, suffix, per_sample):
    assert run(capsys, "import", str(write_frame(_log(), tmp_path / "log.csv")), "--name", "a")[0] == 0
    out_file = tmp_path / f"export{suffix}"
    argv = ["export", "--dataset", "a", "--out", str(out_file), "--json"] + ["--per-sample"] * per_sample
    rc, out, err = run(capsys, *argv)
    assert rc == 0, err
    doc = json.loads(out)
    assert doc["dataset"] == "a" and doc["per_sample"] is per_sample and doc["rows"] == (18 if per_sample else 6)
    assert doc["format"] == suffix[1:] and doc["order_kept"] is True and out_file.is_file()
    rc, _, err = run(capsys, "import", str(out_file), "--name", "b")
    assert rc == 0, err
    st = Store.open()
    a, b = st.load_matrix("a"), st.load_matrix("b")
    assert a.content_checksum() == b.content_checksum()
    assert a.configs == b.configs and a.question_attrs == b.question_attrs
    assert st.has_samples("b") is per_sample


def test_the_release_log_round_trips_and_the_table_line(osca_home, capsys, tmp_path, bcb):
    path = write_frame(per_sample_frame(bcb), tmp_path / "bcb.parquet")
    assert run(capsys, "import", str(path), "--name", "bcb")[0] == 0
    rc, out, err = run(capsys, "export", "--dataset", "bcb", "--out", str(tmp_path / "agg.csv"))
    assert rc == 0, err
    assert out.startswith(f"exported bcb: {148 * 10} aggregated rows, ") and out.endswith(
        f" -> {tmp_path / 'agg.csv'} (csv)\n")
    assert run(capsys, "import", str(tmp_path / "agg.csv"), "--name", "back")[0] == 0
    assert Store.open().load_matrix("back").content_checksum() == bcb.content_checksum()


def test_export_refusals_are_one_line(osca_home, capsys, tmp_path):
    f = tmp_path / "agg.csv"
    f.write_text("question_id,config,n_samples,n_correct\nq1,a,3,1\nq2,a,3,2\n")
    assert run(capsys, "import", str(f))[0] == 0
    for argv, want in (
            (["--dataset", "agg", "--out", str(tmp_path / "x.txt")],
             f"osca: error: --out {tmp_path / 'x.txt'}: use a .csv or .parquet file name\n"),
            (["--dataset", "agg", "--out", str(tmp_path / "x.csv"), "--per-sample"],
             "osca: error: dataset 'agg' has no per-sample rows (it was imported from counts); export it without "
             "--per-sample\n"),
            (["--dataset", "nope", "--out", str(tmp_path / "x.csv")], None)):
        rc, out, err = run(capsys, "export", *argv)
        assert (rc, out) == (2, "") and err.count("\n") == 1
        assert err == want if want else err.startswith("osca: error: unknown dataset 'nope'")
    assert not (tmp_path / "x.csv").exists()
