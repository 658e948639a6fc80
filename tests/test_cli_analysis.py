"""The analysis commands (`osca optimize`, `curves`, `savings`, `study`): stable JSON keys, numbers that match the
core, one-line errors, bounded work (default budgets capped, huge n, Ctrl-C) and warnings on tiny splits."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from osca_core.cli import args as A
from osca_core.cli import main
from osca_core.cli.output import Progress, heartbeat
from osca_core.strategies import allocators as S

OPT_KEYS = {"budget", "allocation", "train_pass", "test_pass", "upper_bound", "certified", "extrapolated"}
CLI = [sys.executable, "-m", "osca_core.cli"]


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def big_n_release(bcb_path: Path, folder: Path, n: int) -> Path:
    """The BigCodeBench release with every configuration claiming n samples (counts unchanged, so valid)."""
    d = json.loads(bcb_path.read_text())
    for s in d["settings"]:
        s["runs"] = n
    path = folder / f"bcb_n{n}.json"
    path.write_text(json.dumps(d))
    return path


def limited(argv: list[str], *, mem_bytes: int = 2 << 30, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    """Run the CLI in a child limited to ``mem_bytes`` of address space, so a regression fails, not the machine."""
    import resource

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem_bytes, mem_bytes))

    return subprocess.run([*CLI, *argv], capture_output=True, text=True, timeout=timeout, preexec_fn=cap, **kw)


# -- optimize ------------------------------------------------------------------------------------------------------

def test_optimize_json_contract_and_numbers(capsys, bcb_path, bcb):
    out = run_json(capsys, "optimize", "--file", str(bcb_path), "--budgets", "2,17", "--json")
    assert set(out) == {"dataset", "solve_seconds", "results"}
    assert out["dataset"] == "bcb_results" and out["solve_seconds"] >= 0
    assert [r["budget"] for r in out["results"]] == [2, 17]
    for r in out["results"]:
        assert OPT_KEYS <= set(r)  # keys may be added, never renamed
        counts = [r["allocation"].get(x, 0) for x in bcb.config_names]
        train, test, extra = S.score(bcb, counts)
        assert r["train_pass"] == pytest.approx(train, abs=1e-12)
        assert r["test_pass"] == pytest.approx(test, abs=1e-12)
        assert r["extrapolated"] is extra is False
        assert sum(r["allocation"].values()) == r["budget"] == r["cost"]


def test_optimize_hillclimb_with_configs_subset(capsys, swe_path):
    out = run_json(capsys, "optimize", "--file", str(swe_path), "--budgets", "1-3", "--strategy", "hillclimb",
                   "--configs", "gpt4o_0.4,qwen_0.8", "--seed", "1", "--json")
    for r in out["results"]:
        assert set(r["allocation"]) <= {"gpt4o_0.4", "qwen_0.8"}


def test_optimize_table_shows_allocations_and_the_cost_column(capsys, bcb_path):
    assert main(["optimize", "--file", str(bcb_path), "--budgets", "3", "--cost", "Qwen_1.4=2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("dataset bcb_results (70 train / 78 test), strategy osca, solved in ")
    assert out[1].split()[:3] == ["budget", "cost", "train_pass"] and "×" in out[3]


def test_optimize_with_splits_adds_split_rows_and_a_summary(capsys, bcb_path):
    out = run_json(capsys, "optimize", "--file", str(bcb_path), "--budgets", "2,4", "--train-fraction", "0.5",
                   "--splits", "3", "--json")
    assert {"dataset", "solve_seconds", "results", "setting", "summary"} <= set(out)
    assert [(r["split"], r["budget"]) for r in out["results"]] == [(s, b) for s in range(3) for b in (2, 4)]
    for i, b in enumerate((2, 4)):
        tests = [r["test_pass"] for r in out["results"] if r["budget"] == b]
        assert out["summary"][i]["test_pass"] == pytest.approx(sum(tests) / 3, abs=1e-12)
        assert out["summary"][i]["ci_low"] <= out["summary"][i]["test_pass"] <= out["summary"][i]["ci_high"]


# -- curves --------------------------------------------------------------------------------------------------------

def test_curves_json_has_every_default_strategy_and_the_paper_pure_values(capsys, swe_path, swe, golden):
    out = run_json(capsys, "curves", "--file", str(swe_path), "--budgets", "10", "--json")
    assert set(out) == {"dataset", "curves"}
    strategies = {r["strategy"] for r in out["curves"]}
    assert strategies == {f"pure:{x}" for x in swe.config_names} | {"best-pure", "uniform", "even", "osca"}
    for r in out["curves"]:
        assert {"strategy", "budget", "pass", "ci_low", "ci_high"} <= set(r)
        assert r["ci_low"] is None and r["ci_high"] is None
    got = {r["strategy"][5:]: r["pass"] for r in out["curves"] if r["strategy"].startswith("pure:")}
    for name, want in golden.swe_pure_at10.items():
        assert got[name] == pytest.approx(want, abs=1e-9)


def test_curves_says_in_sample_on_stderr(capsys, swe_path, bcb_path):
    main(["curves", "--file", str(swe_path), "--budgets", "1", "--strategies", "osca", "--json"])
    assert "in-sample" in capsys.readouterr().err
    main(["curves", "--file", str(bcb_path), "--budgets", "1", "--strategies", "osca", "--json"])
    assert "in-sample" not in capsys.readouterr().err


def test_curves_csv_and_table(capsys, bcb_path):
    assert main(["curves", "--file", str(bcb_path), "--budgets", "1-2", "--strategies", "uniform,best-pure", "--csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("strategy,budget,pass,ci_low,ci_high") and len(lines) == 5
    assert main(["curves", "--file", str(bcb_path), "--budgets", "1-2", "--strategies", "uniform"]) == 0
    assert "uniform" in capsys.readouterr().out


@pytest.mark.parametrize("argv,needle", [
    (["optimize", "--file", "nope.json", "--budgets", "1"], "nope.json"),
    (["optimize", "--file", "{bcb}", "--budgets", "x"], "--budgets"),
    (["optimize", "--file", "{bcb}", "--budgets", "1", "--configs", "Qwen_0.2,GPT9"], "GPT9"),
    (["curves", "--file", "{bcb}", "--budgets", "1", "--strategies", "magic"], "magic"),
    (["curves", "--file", "{bcb}", "--budgets", "1", "--strategies", "pure:nobody"], "nobody"),
    (["optimize", "--budgets", "1"], "--file"),
    (["optimize", "--file", "{bcb}", "--budgets", "2", "--strategy", "hillclimb", "--certify"], "--certify needs"),
])
def test_user_mistakes_give_one_line_and_exit_2(capsys, bcb_path, argv, needle):
    argv = [a.replace("{bcb}", str(bcb_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("osca: error:") and needle in err[0]


def test_not_json_file_names_the_file(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["optimize", "--file", str(bad), "--budgets", "1"]) == 2
    err = capsys.readouterr().err
    assert "bad.json" in err and "JSON" in err


def test_console_script_exits_2_without_traceback(tmp_path):
    r = subprocess.run([*CLI, "optimize", "--file", str(tmp_path / "x.json"), "--budgets", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


# -- tiny splits, progress ---------------------------------------------------------------------------------------

def test_a_split_with_fewer_than_10_test_questions_is_warned_about(capsys, bcb_path):
    base = ["curves", "--file", str(bcb_path), "--budgets", "2", "--strategies", "osca", "--json"]
    assert main([*base, "--train-fraction", "0.999999"]) == 0
    out, err = capsys.readouterr()
    assert [r["budget"] for r in json.loads(out)["curves"]] == [2]
    assert ("warning: --train-fraction 0.999999 on 148 questions leaves 147 training and 1 test questions per "
            "split (fewer than 10") in err
    assert main([*base, "--train-fraction", "0.5"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert main(["optimize", "--file", str(bcb_path), "--budgets", "2", "--train-fraction", "0.05", "--json"]) == 0
    assert "leaves 7 training and 141 test questions" in capsys.readouterr().err


def test_progress_is_silent_for_short_work_and_counts_long_work(capsys):
    quick = Progress("curves")
    quick(1, 2)
    quick(2, 2)
    assert capsys.readouterr().err == ""
    slow = Progress("curves", quiet=0.0, every=0.0)
    slow(1, 3)
    assert capsys.readouterr().err.startswith("osca: curves: 1/3 (")
    with heartbeat("optimize", quiet=0.05, every=10):
        time.sleep(0.3)
    assert capsys.readouterr().err.startswith("osca: optimize: still working (")


@pytest.mark.slow
def test_ctrl_c_ends_long_work_in_one_line_exit_130(bcb_path):
    # the child gets SIGINT's default action back: a pytest started in the background (or an xdist worker)
    # ignores SIGINT, and an ignored signal stays ignored across exec, so Ctrl-C would never reach the CLI
    p = subprocess.Popen([*CLI, "optimize", "--file", str(bcb_path), "--budgets", "1-4000", "--strategy",
                          "hillclimb", "--allow-long", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert "still working" in p.stderr.readline()  # the heartbeat: the work has started
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 130 and out == ""
    assert "Traceback" not in err and err.strip().splitlines()[-1] == "osca: interrupted"
    assert all(line.startswith("osca: ") for line in err.strip().splitlines())


# -- savings and study: default budgets capped, huge n -----------------------------------------------------------

def test_savings_json_from_the_dataclass(capsys, bcb_path):
    out = run_json(capsys, "savings", "--file", str(bcb_path), "--budgets", "1-32", "--json")
    assert {"dataset", "baseline", "baseline_budget", "target_pass", "budget_needed", "ratio", "gaps"} <= set(out)
    assert out["baseline_budget"] == 32 and [g["budget"] for g in out["gaps"]] == list(range(1, 33))


def test_savings_default_budgets_stop_at_the_cap_for_huge_n(capsys, bcb_path, tmp_path):
    path = big_n_release(bcb_path, tmp_path, 10**9)
    assert main(["savings", "--file", str(path), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["baseline_budget"] == A.DEFAULT_BUDGET_CAP == len(json.loads(out)["gaps"])
    assert "note: budgets 1-1024: the default stops at 1024 although the largest n is 1000000000" in err


def test_study_refuses_a_log_whose_savings_would_run_past_the_cap(capsys, bcb_path, tmp_path):
    path = big_n_release(bcb_path, tmp_path, 10**9)
    assert main(["study", "--file", str(path), "--out", str(tmp_path / "out"), "--splits", "2"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bcb_n1000000000 has n = 1000000000 samples per cell" in err
    assert "above the limit of 1024" in err and not (tmp_path / "out").exists()


@pytest.mark.slow
@pytest.mark.parametrize("n", [10**9, 2**63 - 1])
def test_savings_and_study_on_huge_n_end_within_60_s_and_2_gb(bcb_path, tmp_path, n):
    path = big_n_release(bcb_path, tmp_path, n)
    r = limited(["savings", "--file", str(path), "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["baseline_budget"] == A.DEFAULT_BUDGET_CAP
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr
    r = limited(["study", "--file", str(path), "--out", str(tmp_path / "o"), "--splits", "2"])
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "above the limit of 1024" in r.stderr


@pytest.mark.slow
@pytest.mark.parametrize("argv", [
    ["optimize", "--budgets", "4", "--cost", "Qwen_0.2=1e-7"],
    ["optimize", "--budgets", "4", "--cost", "Qwen_0.2=1e-300"],
    ["optimize", "--budgets", "2", "--train-fraction", "0.5", "--splits", "99999999999"],
    ["curves", "--budgets", "2", "--train-fraction", "0.5", "--splits", "99999999999"],
    ["optimize", "--budgets", "1-5000", "--certify"],
])
def test_unbounded_requests_end_in_one_line_under_a_memory_limit(bcb_path, argv):
    r = limited([argv[0], "--file", str(bcb_path), *argv[1:]], timeout=30)
    assert r.returncode == 2 and r.stdout == "" and r.stderr.count("\n") == 1 and "limit" in r.stderr, r.stderr


# -- --certify progress, deprecated names -----------------------------------------------------------------------

def test_certify_passes_a_progress_callback_when_the_solver_takes_one(capsys, bcb_path, monkeypatch):
    from osca_core.cli import optimize
    from osca_core.strategies import registry

    assert optimize.solve_kwargs(False) == {}
    seen = {}
    real = registry.solve

    def solve(m, name, budgets, *, seed=0, certify=False, progress=None):
        seen["progress"] = progress
        return real(m, name, budgets, seed=seed, certify=certify)

    monkeypatch.setattr(registry, "solve", solve)
    assert main(["optimize", "--file", str(bcb_path), "--budgets", "2", "--certify", "--json"]) == 0
    assert isinstance(seen["progress"], Progress)
    assert main(["optimize", "--file", str(bcb_path), "--budgets", "2", "--json"]) == 0
    assert seen["progress"] is None


def test_the_analysis_commands_use_the_registry_not_the_deprecated_names():
    from pathlib import Path

    import osca_core.cli

    for f in Path(osca_core.cli.__file__).parent.glob("*.py"):
        text = f.read_text()
        for old in ("STRATEGIES", "strategy_allocations", "strategies.curve", "strategies.default_strategies",
                    "S.curve", "st.curve"):
            assert old not in text.replace("SCHEDULE_STRATEGIES", ""), (f.name, old)
