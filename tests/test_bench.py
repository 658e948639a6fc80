"""osca_core.bench: the transcribed paper script scores exactly what the studio's objective and SOURCE.md say and
stops only in single-move local optima, the child-process helper round-trips and reports failures in one line, the
ingest bench counts every row, and ``osca bench optimizer`` reports every figure as a ratio to the paper's script."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from osca_core import cli
from osca_core.bench import optimizer as bo
from osca_core.bench.child import run_child
from osca_core.bench.ingest import bench_ingest, bench_shape
from osca_core.bench.timing import interleaved
from osca_core.model.estimators import plugin_objective

TOL = 1e-12


def _picks(m, counts: dict[str, int]) -> list[int]:
    return [m.config_index([name])[0] for name, v in counts.items() for _ in range(v)]


def test_paper_objectives_equal_the_studio_objective_and_the_golden_values(bcb, bcb_path, golden):
    data = json.loads(bcb_path.read_text())
    p = bcb.train_rates()
    for a in golden.bcb_allocations[:8]:
        picks = _picks(bcb, a.counts)
        k = np.bincount(picks, minlength=p.shape[1])
        assert bo.paper_expected_train(picks, data) == pytest.approx(float(plugin_objective(p, k)), abs=TOL)
        assert bo.paper_expected_train(picks, data) == pytest.approx(a.train, abs=5e-7)
        assert bo.paper_expected_test(picks, data) == pytest.approx(a.test, abs=5e-7)


def test_paper_hill_climbing_stops_in_a_single_move_local_optimum(swe_path, swe):
    data = json.loads(swe_path.read_text())
    p = swe.train_rates()
    for budget in (1, 3, 5):
        _, picks = bo.paper_hill_climbing(data, budget, random.Random(budget))
        assert len(picks) == budget
        base = bo.paper_expected_train(picks, data)
        for i in range(budget):
            for s in range(p.shape[1]):
                trial = list(picks)
                trial[i] = s
                assert bo.paper_expected_train(trial, data) <= base + 1e-12


def test_run_child_round_trips_a_dict_and_reports_a_failure_in_one_line():
    r = run_child("osca_core.bench.optimizer:scale_child", [40, 4, 6], env={"OPENBLAS_NUM_THREADS": "1"})
    assert r["train_questions"] == 40 and r["configs"] == 4 and r["budget_max"] == 6 and r["peak_rss_mb"] > 0
    with pytest.raises(RuntimeError, match=r"the child process failed \(.*Error"):
        run_child("osca_core.bench.ingest:bench_shape", [0])  # InputError in the child
    with pytest.raises(ValueError):
        run_child("no-colon", [])


def test_ingest_bench_counts_every_generated_row():
    assert bench_shape(10**7) == (1000, 20) and bench_shape(50) == (1, 20) and bench_shape(1) == (1, 1)
    r = bench_ingest(3000, seed=1)
    assert r.counts_match and r.rows == 3000 and (r.questions, r.configs) == (30, 20)
    assert "3000 per-sample rows" in r.text() and r.as_dict()["rows"] == 3000


def test_interleaved_times_one_call_of_each_per_round_and_keeps_the_last_result():
    order: list[str] = []
    r = interleaved({"a": (lambda: order.append("a") or len(order), 3), "b": (lambda: order.append("b") or -1, 1),
                     "c": (lambda: order.append("c") or 0, 0)})
    assert order == ["a", "b", "c", "a", "a"]  # round 1: a b c; rounds 2-3: a only (0 runs count as 1)
    assert r["a"][1] == 5 and r["b"][1] == -1 and r["c"][1] == 0
    assert all(sec >= 0 for sec, _ in r.values())


def test_figure_ratio_is_the_paper_time_over_the_time():
    f = bo.Figure("d", "osca --certify", "1-16", 3, 0.5, 2.0, "1-16", 16, 16)
    assert f.ratio == 4.0 and f.as_dict()["ratio"] == 4.0


@pytest.mark.slow
@pytest.mark.serial  # it times the optimizers: alone (tests/conftest.py)
def test_bench_optimizer_reports_ratios_to_the_paper_script_and_proves_every_budget():
    r = bo.bench_optimizer(runs=1, certify_runs=1, paper_runs=1, scale_questions=100, scale_configs=8,
                           scale_budget=16)
    d = r.as_dict()
    bcb, swe = r.datasets
    assert bcb.budgets == list(bo.BCB_BUDGETS) and swe.budgets == list(range(1, 17))
    assert bcb.certified == 20 and bcb.certified_curve == 291 and swe.certified == 16
    whats = {(f.dataset, f.what, f.budgets) for f in r.figures}
    assert ("bcb_results", "osca --certify", "1-291") in whats and ("swebench_agentless", "osca --certify", "1-16") in whats
    assert ("bcb_results", "osca default curve, numpy beam step", "1-291") in whats
    assert d["machine"]["beam_kernel"]["compiled"] and d["machine"]["beam_kernel"]["load_seconds"] >= 0
    for f in r.figures:
        assert f.ratio == pytest.approx(f.paper_seconds / f.seconds) and f.paper_seconds > 0
    for ds in (bcb, swe):
        assert all(g["gap"] >= -TOL and g["certified"] and g["upper_bound"] >= g["osca"] - TOL for g in ds.gaps)
    assert d["synthetic"]["train_questions"] == 100 and json.dumps(d)
    assert "x vs 20 budgets" in r.text()


@pytest.mark.slow
@pytest.mark.serial  # it times the optimizers: alone (tests/conftest.py)
def test_cli_bench_optimizer_small_run(capsys):
    args = ["bench", "optimizer", "--json", "--runs", "1", "--certify-runs", "1", "--scale-questions", "100",
            "--scale-configs", "8", "--scale-budget", "16"]
    assert cli.main(args) == 0
    out = json.loads(capsys.readouterr().out)
    bcb, swe = out["datasets"]
    assert bcb["budgets"] == [2, 3, 4, 5, 7, 8, 11, 16, 17, 25, 32, 38, 57, 64, 86, 128, 129, 194, 256, 291]
    assert bcb["curve_max"] == 291 and swe["curve_max"] == 16
    for d in (bcb, swe):
        assert d["certified"] == len(d["budgets"])
        assert all(g["gap"] >= -TOL and g["certified"] for g in d["gaps"])
        assert all(g["upper_bound"] >= g["osca"] - TOL for g in d["gaps"])
    assert out["synthetic"]["train_questions"] == 100 and out["synthetic"]["configs"] == 8
    assert out["synthetic"]["peak_rss_mb"] > 0 and out["synthetic"]["blas_threads"] == "1"
    assert cli.main(["bench", "optimizer", "--runs", "0"]) == 2
    assert cli.main(["bench", "optimizer", "--blas-threads", "-1"]) == 2
