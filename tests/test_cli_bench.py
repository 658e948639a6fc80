"""The bench commands: `osca bench ingest` JSON and table, `osca bench optimizer` option checks (one line, exit 2,
before any work). The benchmarks' numbers are reported, never asserted as speed goals."""

from __future__ import annotations

import json

import pytest

from osca_core.cli import main


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
