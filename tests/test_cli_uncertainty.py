"""`--bootstrap B` on `osca curves`, `optimize` and `savings`: the JSON keys of the contracts (issue 13) on both
release logs, numbers equal to `osca_core.analysis.paired` / `osca_core.analysis.bootstrap` for the same seed, the headline, and
one-line refusals."""

from __future__ import annotations

import json

import pytest

from osca_core.analysis import bootstrap as bs
from osca_core.analysis import paired
from osca_core.cli import main
from osca_core.strategies import allocators as S

CURVE_ROW = {"strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated"}
DIFF_ROW = {"a", "b", "budget", "diff", "ci_low", "ci_high"}
NAMES = ["best-pure", "uniform", "osca"]


def run(capsys, *argv) -> tuple[dict, str]:
    assert main(list(argv)) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


@pytest.mark.parametrize("log", ["swe", "bcb"])
def test_curves_bootstrap_keys_and_numbers_equal_paired_bootstrap_curves(capsys, request, log):
    path, m = request.getfixturevalue(f"{log}_path"), request.getfixturevalue(log)
    d, _ = run(capsys, "curves", "--file", str(path), "--budgets", "1,4,16", "--strategies", ",".join(NAMES),
               "--bootstrap", "300", "--seed", "3", "--json")
    assert set(d) == {"dataset", "curves", "differences", "setting"}
    cb = paired.bootstrap_curves(m, NAMES, [1, 4, 16], n_resamples=300, seed=3, fit_seed=3)
    assert d["curves"] == [r for cv in cb.curves for r in cv.rows()]
    assert all(set(r) == CURVE_ROW and r["ci_low"] <= r["pass"] <= r["ci_high"] for r in d["curves"])
    assert d["differences"] == cb.difference_rows()
    assert all(set(r) == DIFF_ROW for r in d["differences"])
    assert {(r["a"], r["b"]) for r in d["differences"]} == {("osca", "best-pure"), ("osca", "uniform")}
    assert d["setting"]["method"] == "bootstrap" and d["setting"]["n_resamples"] == 300
    assert d["setting"]["in_sample"] is m.in_sample


def test_curves_text_prints_the_headline_with_its_verdict(capsys, bcb_path, bcb):
    assert main(["curves", "--file", str(bcb_path), "--budgets", "16", "--strategies", "osca,best-pure",
                 "--bootstrap", "200", "--level", "0.9"]) == 0
    out = capsys.readouterr().out
    cb = paired.bootstrap_curves(bcb, ["osca", "best-pure"], [16], n_resamples=200, level=0.9)
    line = cb.differences[0].headline(16)
    assert line in out and ("excludes 0" in line or "includes 0" in line) and "90% interval" in line


def test_random_splits_say_method_splits(capsys, bcb_path):
    d, _ = run(capsys, "curves", "--file", str(bcb_path), "--budgets", "2", "--strategies", "osca",
               "--train-fraction", "0.5", "--splits", "3", "--json")
    assert d["setting"]["method"] == "splits" and "differences" not in d


def test_optimize_bootstrap_adds_intervals_equal_to_bootstrap_allocations(capsys, bcb_path, bcb):
    d, _ = run(capsys, "optimize", "--file", str(bcb_path), "--budgets", "2,8", "--bootstrap", "400", "--seed",
               "1", "--json")
    assert set(d) == {"dataset", "solve_seconds", "results", "setting"}
    allocs = S.osca(bcb, [2, 8])
    r = bs.bootstrap_allocations(bcb, allocs, n_resamples=400, seed=1)
    assert [x["ci_low"] for x in d["results"]] == list(r.ci_low)
    assert [x["ci_high"] for x in d["results"]] == list(r.ci_high)
    assert [x["test_pass"] for x in d["results"]] == [a.test_pass for a in allocs]
    assert d["setting"]["method"] == "bootstrap" and d["setting"]["test_questions"] == 78


@pytest.mark.parametrize("log", ["swe", "bcb"])
def test_savings_bootstrap_is_paired_bootstrap_savings(capsys, request, log):
    path, m = request.getfixturevalue(f"{log}_path"), request.getfixturevalue(log)
    d, _ = run(capsys, "savings", "--file", str(path), "--budgets", "1-12", "--bootstrap", "250", "--json")
    want = paired.bootstrap_savings(m, list(range(1, 13)), n_resamples=250, seed=0).as_dict()
    for g in d["gaps"]:
        assert g.pop("extrapolated") is False
    assert {k: d[k] for k in want} == want
    assert set(d) - set(want) == {"extrapolated_budgets", "headline_points", "headline"}
    assert d["setting"]["method"] == "bootstrap" and d["ratio_ci_low"] <= d["ratio_ci_high"]


def test_savings_bootstrap_text_shows_gaps_intervals_and_the_note(capsys, bcb_path):
    assert main(["savings", "--file", str(bcb_path), "--budgets", "1-16", "--bootstrap", "200"]) == 0
    out = capsys.readouterr().out
    assert "bootstrap: 200 resamples of 78 test questions" in out and "osca - best-pure at C = 16:" in out
    assert "note: budget_needed is where OSCA's test curve first crosses" in out and "ci_low" in out


def test_refit_equals_paired_refit_curves(capsys, bcb_path, bcb):
    d, _ = run(capsys, "curves", "--file", str(bcb_path), "--budgets", "1-3", "--strategies", "osca,best-pure",
               "--bootstrap", "8", "--bootstrap-refit", "--json")
    cb = paired.refit_curves(bcb, ["osca", "best-pure"], [1, 2, 3], n_resamples=8)
    assert d["curves"] == [r for cv in cb.curves for r in cv.rows()] and d["setting"]["refit"] is True


@pytest.mark.parametrize("argv,needle", [
    (["curves", "--budgets", "2", "--bootstrap", "10", "--train-fraction", "0.5"],
     "--bootstrap works on one split (random splits give intervals over splits); it cannot be combined with "
     "--train-fraction"),
    (["curves", "--budgets", "2", "--bootstrap", "10", "--splits", "2"], "combined with --splits"),
    (["optimize", "--budgets", "2", "--bootstrap", "10", "--c0", "2"], "combined with --c0"),
    (["optimize", "--budgets", "2", "--bootstrap", "10", "--ban", "multi-model"], "combined with --ban"),
    (["savings", "--bootstrap", "10", "--holdout"], "combined with --holdout"),
    (["curves", "--budgets", "2", "--level", "1"], "--level must lie strictly between 0 and 1 (got '1')"),
    (["curves", "--budgets", "2", "--level", "0"], "--level must lie strictly between 0 and 1"),
    (["savings", "--level", "nan"], "--level must lie strictly between 0 and 1"),
    (["curves", "--budgets", "2", "--bootstrap", "100001"], "--bootstrap: 100001 is above the limit of 100000"),
    (["curves", "--budgets", "2", "--bootstrap", "-1"], "--bootstrap: must be >= 0"),
    (["curves", "--budgets", "2", "--bootstrap-refit"], "--bootstrap-refit needs --bootstrap B"),
    (["curves", "--budgets", "2", "--level", "0.9"], "--level needs --bootstrap B"),
    (["curves", "--budgets", "2", "--strategies", "oracle", "--bootstrap", "5"], "no per-question values"),
])
def test_bad_bootstrap_flags_are_one_line_exit_2(capsys, bcb_path, argv, needle):
    assert main([argv[0], "--file", str(bcb_path), *argv[1:]]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert out.out == "" and len(lines) == 1 and lines[0].startswith("osca: error:") and needle in lines[0], out.err


@pytest.mark.slow
def test_bench_bootstrap_json(capsys):
    d, _ = run(capsys, "bench", "bootstrap", "--runs", "1", "--resamples", "200", "--json")
    assert d["n_resamples"] == 200 and d["points"] == d["strategies"] * d["budgets"] and d["bootstrap_seconds"] > 0
