"""The `osca optimize` / `osca curves` contracts: stable JSON keys, numbers that match the core, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from osca_core import strategies as S
from osca_core.cli import main, parse_budgets
from osca_core.errors import InputError

OPT_KEYS = {"budget", "allocation", "train_pass", "test_pass", "upper_bound", "certified", "extrapolated"}


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("spec,want", [
    ("1-4", [1, 2, 3, 4]), ("2,4,8", [2, 4, 8]), ("1-3,16,32", [1, 2, 3, 16, 32]), (" 5 , 1-2", [1, 2, 5]),
])
def test_budget_spec_accepts_ranges_lists_and_mixtures(spec, want):
    assert parse_budgets(spec) == want


@pytest.mark.parametrize("spec", ["", "0", "a-3", "4-2", "1,,2", "-3", "1-x"])
def test_budget_spec_refuses_nonsense(spec):
    with pytest.raises(InputError):
        parse_budgets(spec)


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
        assert sum(r["allocation"].values()) == r["budget"]


def test_optimize_hillclimb_with_configs_subset(capsys, swe_path):
    out = run_json(capsys, "optimize", "--file", str(swe_path), "--budgets", "1-3", "--strategy", "hillclimb",
                   "--configs", "gpt4o_0.4,qwen_0.8", "--seed", "1", "--json")
    for r in out["results"]:
        assert set(r["allocation"]) <= {"gpt4o_0.4", "qwen_0.8"}


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
    r = subprocess.run([sys.executable, "-m", "osca_core.cli", "optimize", "--file", str(tmp_path / "x.json"),
                        "--budgets", "1"], capture_output=True, text=True)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
