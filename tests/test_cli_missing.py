"""`--missing`, default budgets to the largest n, the measured-points headline of `osca savings` and `--holdout` on a
ragged long CSV (a configuration run on a third of the questions; n = 1, 3 and 10 in one dataset)."""

from __future__ import annotations

import json

import pytest

from osca_core.analysis import experiments as ex
from osca_core.analysis import headline
from osca_core.cli import main
from osca_core.model.missing import apply_missing
from osca_core.strategies import registry

QUESTIONS = 30


def write_ragged(folder) -> str:
    """cheap (n = 10) and mid (n = 3) on every question, big (n = 1) on every third; attribute difficulty."""
    rows = ["question_id,config,n_samples,n_correct,difficulty"]
    for q in range(QUESTIONS):
        d = "easy" if q % 2 else "hard"
        rows.append(f"q{q},cheap,10,{q % 11},{d}")
        rows.append(f"q{q},mid,3,{q % 4},{d}")
        if q % 3 == 0:
            rows.append(f"q{q},big,1,{(q // 3) % 2},{d}")
    path = folder / "ragged.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


@pytest.fixture()
def ragged(osca_home, tmp_path, capsys) -> str:
    assert main(["import", write_ragged(tmp_path), "--name", "ragged"]) == 0
    capsys.readouterr()
    return "ragged"


def stored(name: str, policy: str):
    from osca_core.data.store import Store

    with Store.open(read_only=True) as st:
        return apply_missing(st.load_matrix(name), policy=policy)


def run(capsys, *argv) -> tuple[dict, str]:
    assert main(list(argv)) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


def test_drop_questions_is_the_default_and_says_how_many_were_left_out(ragged, capsys):
    d, err = run(capsys, "curves", "--dataset", ragged, "--budgets", "1-10", "--strategies", "pure:big,osca",
                 "--json")
    assert "20 of 30 questions left out" in err and "big (20)" in err
    assert d["missing"]["policy"] == "drop-questions" and d["missing"]["questions_kept"] == 10
    m, _ = stored(ragged, "drop-questions")
    want = registry.evaluate(m, "pure:big", list(range(1, 11)))
    rows = [r for r in d["curves"] if r["strategy"] == "pure:big"]
    assert [r["pass"] for r in rows] == list(want.values)
    assert [r["extrapolated"] for r in rows] == [False] + [True] * 9  # n = 1: every budget above 1 extrapolated


def test_prior_keeps_every_question_and_flags_the_imputed_cells(ragged, capsys):
    d, err = run(capsys, "curves", "--dataset", ragged, "--budgets", "1-10", "--strategies", "pure:big,pure:cheap",
                 "--missing", "prior", "--json")
    assert "20 cells imputed" in err
    assert d["missing"]["cells_imputed"] == 20 and d["missing"]["questions_kept"] == QUESTIONS
    m, _ = stored(ragged, "prior")
    for s in ("pure:big", "pure:cheap"):
        want = registry.evaluate(m, s, list(range(1, 11)))
        assert [r["pass"] for r in d["curves"] if r["strategy"] == s] == list(want.values)
    assert not any(r["extrapolated"] for r in d["curves"] if r["strategy"] == "pure:cheap")  # n = 10 everywhere


@pytest.mark.parametrize("policy", ["drop-questions", "prior"])
def test_savings_runs_to_the_largest_n_with_the_headline_on_measured_points(ragged, capsys, policy):
    d, _ = run(capsys, "savings", "--dataset", ragged, "--missing", policy, "--json")
    assert [g["budget"] for g in d["gaps"]] == list(range(1, 11))  # to the largest n (10), not the smallest (1)
    m, _ = stored(ragged, policy)
    flags = {cv.strategy: cv.extrapolated for cv in ex.run_curves(m, ["best-pure", "osca"], range(1, 11)).curves}
    extra = [b for b in range(1, 11) if flags["best-pure"][b - 1] or flags["osca"][b - 1]]
    assert d["extrapolated_budgets"] == extra and extra
    assert [g["extrapolated"] for g in d["gaps"]] == [b in extra for b in range(1, 11)]
    # the one headline rule (analysis.headline): the baseline among the configurations measured at the largest
    # budget one holds (n >= 10: cheap), the crossing on OSCA's measured points only
    top = headline.measured_budget(m, range(1, 11))
    cfgs = headline.measured_configs(m, top)
    assert top == 10 and cfgs == ["cheap"]
    head = ex.savings(m, list(range(1, top + 1)), baseline_configs=cfgs, measured_only=True).as_dict()
    assert d["headline_points"] == "measured" and d["headline"]["thin"] and d["headline"]["measured_budget"] == 10
    for k in ("baseline", "baseline_budget", "target_pass", "budget_needed", "ratio"):
        assert d[k] == head[k], k
    assert d["budget_needed"] is None or d["budget_needed"] not in extra  # never an extrapolated crossing
    full = ex.savings(m, list(range(1, 11))).as_dict()
    assert [g["gap"] for g in d["gaps"]] == [g["gap"] for g in full["gaps"]]
    a, _ = run(capsys, "savings", "--dataset", ragged, "--missing", policy, "--allow-extrapolation", "--json")
    assert a["headline_points"] == "all" and a["baseline_budget"] == 10 == full["baseline_budget"]
    assert (a["target_pass"], a["budget_needed"]) == (full["target_pass"], full["budget_needed"])


def test_savings_text_says_the_headline_is_on_measured_points(ragged, capsys):
    assert main(["savings", "--dataset", ragged]) == 0
    out = capsys.readouterr().out
    assert "note: headline on measured points only" in out and "--allow-extrapolation includes them" in out


def test_complete_logs_have_no_missing_key_and_no_extrapolated_budgets(capsys, bcb_path):
    d, err = run(capsys, "savings", "--file", str(bcb_path), "--budgets", "1-8", "--json")
    assert "missing" not in d and d["extrapolated_budgets"] == [] and "missing cells" not in err
    assert d["setting"]["method"] == "none"


def test_holdout_is_train_fraction_half_with_ten_splits(capsys, bcb_path):
    base = ["curves", "--file", str(bcb_path), "--budgets", "2", "--strategies", "osca,best-pure", "--json"]
    h, _ = run(capsys, *base, "--holdout")
    e, _ = run(capsys, *base, "--train-fraction", "0.5", "--splits", "10")
    assert h == e and h["setting"]["splits"] == 10 and h["setting"]["method"] == "splits"


@pytest.mark.parametrize("argv,needle", [
    (["curves", "--budgets", "2", "--holdout", "--splits", "3"], "--holdout is --train-fraction 0.5 --splits 10"),
    (["savings", "--holdout", "--train-fraction", "0.3"], "do not combine it with --train-fraction"),
    (["curves", "--budgets", "2", "--missing", "guess"], "argument --missing: invalid choice: 'guess'"),
])
def test_bad_missing_and_holdout_flags_are_one_line(capsys, bcb_path, argv, needle):
    assert main([argv[0], "--file", str(bcb_path), *argv[1:]]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert out.out == "" and len(lines) == 1 and needle in lines[0], out.err


def test_no_question_with_every_configuration_is_one_line(osca_home, tmp_path, capsys):
    path = tmp_path / "apart.csv"
    path.write_text("question_id,config,n_samples,n_correct\nq1,a,2,1\nq2,b,2,1\n")
    assert main(["import", str(path), "--name", "apart"]) == 0
    capsys.readouterr()
    assert main(["curves", "--dataset", "apart", "--budgets", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--missing prior" in err[0]
