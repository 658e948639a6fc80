"""The bench commands: `osca bench ingest` JSON and table, `osca bench optimizer` option checks (one line, exit 2,
before any work). The benchmarks' numbers are reported, never asserted as speed goals."""

from __future__ import annotations

import json

import pytest

from osca_core.cli import main

pytestmark = pytest.mark.serial  # benches time their work: alone (tests/conftest.py)


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_bench_ingest_json_and_table(osca_home, capsys):
    rc, out, err = run(capsys, "bench", "ingest", "--rows", "2000", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["rows"] == 2000 and r["counts_match"] is True
    assert {"import_seconds", "aggregate_seconds", "peak_rss_mb"} <= set(r)
    rc, out, _ = run(capsys, "bench", "ingest", "--rows", "500")
    assert rc == 0 and "counts match: yes" in out and "peak RSS" in out


@pytest.mark.parametrize("argv,err", [
    (["bench", "ingest", "--rows", "0"], "osca: error: --rows: must be a positive integer (got 0)\n"),
    (["bench", "ingest", "--rows", "1000000000"], "osca: error: --rows: 1000000000 is above the limit of 100000000\n"),
    (["bench", "optimizer", "--runs", "0"], "osca: error: --runs: must be a positive integer (got 0)\n"),
    (["bench", "optimizer", "--blas-threads", "-1"], "osca: error: --blas-threads: must be >= 0 (got -1)\n"),
    (["bench", "optimizer", "--scale-budget", "100001"],
     "osca: error: --scale-budget: 100001 is above the limit of 100000\n"),
    (["bench"], "osca: error: osca bench: the following arguments are required: bench_command\n"),
])
def test_bench_options_are_checked_before_any_work(capsys, argv, err):
    assert run(capsys, *argv) == (2, "", err)


def test_bench_attrs_json_and_table(capsys):
    rc, out, err = run(capsys, "bench", "attrs", "--sizes", "50,200", "--quadratic-max", "100", "--json")
    assert rc == 0, err
    rows = json.loads(out)["attrs"]
    assert [r["questions"] for r in rows] == [50, 200] and all(r["same_result"] for r in rows)
    assert rows[0]["quadratic_seconds"] is not None and rows[1]["quadratic_seconds"] is None
    rc, out, _ = run(capsys, "bench", "attrs", "--sizes", "30")
    assert rc == 0 and out.splitlines()[1].split() == ["questions", "build_seconds", "quadratic_seconds",
                                                        "load_seconds", "same_result"]
    assert run(capsys, "bench", "attrs", "--sizes", "10,x")[0] == 2


def test_bench_uniform_on_the_release_log(capsys, bcb_path, monkeypatch):
    rc, out, err = run(capsys, "bench", "uniform", "--file", str(bcb_path), "--budgets", "4,64", "--runs", "1",
                       "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["dataset"] == "bcb_results" and [p["budget"] for p in r["points"]] == [4, 64]
    assert all(p["max_abs_diff"] < 1e-9 for p in r["points"])
    rc, out, _ = run(capsys, "bench", "uniform", "--budgets", "8", "--runs", "1")  # default: the release folder
    assert rc == 0 and out.startswith("bcb_results: exact uniform expectation on 78 test questions")


@pytest.mark.slow
def test_bench_schedule_and_bootstrap_are_registered_by_the_bench_family(capsys):
    rc, out, err = run(capsys, "bench", "schedule", "--runs", "1", "--json")
    assert rc == 0, err
    assert json.loads(out)["bcb_order_budget"] == 300
    rc, out, err = run(capsys, "bench", "bootstrap", "--runs", "1", "--resamples", "50", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["n_resamples"] == 50 and r["runs"] == 1


@pytest.mark.slow
def test_bench_ingest_lake_json(capsys, tmp_path):
    rc, out, err = run(capsys, "bench", "ingest", "--lake", "--rows", "200000", "--folder", str(tmp_path), "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["rows"] == 200000 and r["cells"] == 20 * 100 and r["floor_seconds"] > 0


def test_bench_parsers_hold_every_benchmark_and_check_options_first(capsys, tmp_path):
    from osca_core.cli import build_parser

    bench = build_parser()._subparsers._group_actions[0].choices["bench"]
    names = set(bench._subparsers._group_actions[0].choices)
    assert names == {"ingest", "optimizer", "attrs", "uniform", "bootstrap", "schedule", "spread", "next", "beyond",
                     "cost", "serve", "experiments"}
    assert run(capsys, "bench", "next", "--seeds", "0") == (
        2, "", "osca: error: --seeds: must be a positive integer (got 0)\n")
    nope = tmp_path / "nope.csv"
    assert run(capsys, "bench", "spread", str(nope)) == (
        2, "", f"osca: error: {nope}: no such file (the spread study reads log files; pass them as arguments)\n")
    assert run(capsys, "bench", "optimizer", "--paper-runs", "0") == (
        2, "", "osca: error: --paper-runs: must be a positive integer (got 0)\n")
    assert run(capsys, "bench", "ingest", "--folder", "/tmp") == (2, "", "osca: error: --folder: only with --lake\n")
    for folder, what in ((tmp_path / "nope", "no such folder"), (tmp_path / "a-file", "is not a folder")):
        if what == "is not a folder":
            folder.write_text("x")
        assert run(capsys, "bench", "ingest", "--lake", "--rows", "1000", "--folder", str(folder)) == (
            2, "", f"osca: error: --folder {folder}: {what} (the benchmark generates its files in a new temporary "
            "folder inside it)\n")
    assert not (tmp_path / "nope").exists()
    assert run(capsys, "bench", "bootstrap", "--resamples", "0") == (
        2, "", "osca: error: --resamples: must be a positive integer (got 0)\n")


def test_bench_next_reports_the_error_before_and_after_each_arm_on_a_tiny_simulation(capsys):
    import json

    code, out, err = run(capsys, "bench", "next", "--seeds", "1", "--questions", "20", "--configs", "3", "--budget",
                         "4", "--samples", "20", "--draws", "1", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert set(d["mean_abs_error"]) == {"before", "next", "random", "random-support"}
    (r,) = d["runs"]
    assert 0 < r["requested"] <= 20 and r["sd_after"]["next"] < r["sd_before"]


def test_bench_beyond_times_both_logs_in_one_run_and_reports_ratio_and_memory(capsys):
    rc, out, err = run(capsys, "bench", "beyond", "--configs", "6", "--questions", "30", "--budget", "14",
                       "--runs", "1", "--json")
    assert rc == 0, err
    (p,) = json.loads(out)["points"]
    assert (p["configs"], p["questions"], p["budget"]) == (6, 30, 14)
    assert p["ratio"] == pytest.approx(p["beyond_seconds"] / p["within_seconds"])
    assert p["beyond_peak_mb"] > 0 and 0 < p["within_objective"] <= 1 and 0 < p["beyond_objective"] <= 1
    assert run(capsys, "bench", "beyond", "--configs", "6,0") == (
        2, "", "osca: error: --configs: must be a positive integer (got 0)\n")


def test_bench_beyond_certify_reports_the_fraction_proven_and_the_certify_time(capsys):
    rc, out, err = run(capsys, "bench", "beyond", "--configs", "4", "--questions", "12", "--budget", "12",
                       "--runs", "1", "--certify", "--json")
    assert rc == 0, err
    (p,) = json.loads(out)["points"]
    k = p["certify"]
    assert k["budgets"] == 12 and k["fraction"] == pytest.approx(k["certified"] / 12) and k["seconds"] > 0
    assert k["certified"] + len(k["open"]) == 12 and k["max_gap"] >= 0
    assert p["beyond_objective"] <= 1
