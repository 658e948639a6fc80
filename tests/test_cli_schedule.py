"""Plans beyond a fixed mix on the command line (issue 14): `osca schedule` prints exactly its contract,
`curves --x expected-cost` and the `oracle` / `osca-stop` strategies, `--group-by` on optimize and curves,
`savings --early-stop`; numbers equal the science functions'; bad flags are one line, exit 2."""

from __future__ import annotations

import json

import pytest

from osca_core.cli import main
from osca_core.model.extrapolation import lazy_prior
from osca_core.strategies import groups as grp
from osca_core.strategies import oracle as orc
from osca_core.strategies import registry, stopping_plans

SCHEDULE_ROW = {"strategy", "budget", "allocation", "order", "test_pass", "expected_cost_test", "expected_cost_train",
                "cost_without_stopping", "order_exact"}
GROUP_ROW = {"value", "train_questions", "test_questions", "budget", "allocation"}


def run(capsys, *argv) -> tuple[dict, str]:
    assert main(list(argv)) == 0
    out = capsys.readouterr()
    return json.loads(out.out), out.err


@pytest.fixture()
def grouped(osca_home, tmp_path, capsys) -> str:
    """A stored dataset of 40 questions with attribute difficulty (easy / hard) and three configurations."""
    rows = ["question_id,config,n_samples,n_correct,difficulty"]
    for q in range(40):
        easy = q % 2 == 0
        rows += [f"q{q},a,8,{(6 if easy else 1) + q % 2},{'easy' if easy else 'hard'}",
                 f"q{q},b,8,{(2 if easy else 3) + q % 3},{'easy' if easy else 'hard'}",
                 f"q{q},c,8,{q % 5},{'easy' if easy else 'hard'}"]
    path = tmp_path / "grouped.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["import", str(path), "--name", "grouped"]) == 0
    capsys.readouterr()
    return "grouped"


def stored(name: str):
    from osca_core.data.store import Store

    with Store.open(read_only=True) as st:
        return st.load_matrix(name)


# -- osca schedule -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("log,budgets", [("swe", [4, 16]), ("bcb", [16, 64])])
@pytest.mark.parametrize("strategy", ["osca", "best-pure", "even"])
def test_schedule_json_is_exactly_the_contract_and_the_science(capsys, request, log, budgets, strategy):
    path, m = request.getfixturevalue(f"{log}_path"), request.getfixturevalue(log)
    d, _ = run(capsys, "schedule", "--file", str(path), "--budgets", ",".join(map(str, budgets)), "--strategy",
               strategy, "--json")
    assert set(d) == {"dataset", "results"}
    assert all(set(r) == SCHEDULE_ROW for r in d["results"])
    want = stopping_plans.schedule_document(m, stopping_plans.schedules(m, registry.allocate(m, strategy, budgets)))
    assert d == json.loads(json.dumps(want))
    for r in d["results"]:
        assert len(r["order"]) == r["budget"] == sum(r["allocation"].values())
        assert r["expected_cost_test"] <= r["cost_without_stopping"] == r["budget"]


def test_schedule_osca_stop_budget_is_an_expected_cost_budget(capsys, bcb_path, bcb):
    d, _ = run(capsys, "schedule", "--file", str(bcb_path), "--budgets", "4,8", "--strategy", "osca-stop", "--json")
    assert d == json.loads(json.dumps(stopping_plans.schedule_document(bcb, stopping_plans.osca_stop(bcb, [4, 8]))))
    for r in d["results"]:
        assert r["strategy"] == "osca-stop" and r["expected_cost_train"] <= r["budget"] + 1e-9
        assert len(r["order"]) == sum(r["allocation"].values()) >= r["budget"]  # as many entries as samples


def test_schedule_text_and_costs(capsys, bcb_path, bcb):
    assert main(["schedule", "--file", str(bcb_path), "--budgets", "3", "--cost", "Qwen_1.4=2"]) == 0
    out = capsys.readouterr().out
    assert "expected_cost_test" in out and "×" in out and "strategy osca (budget)" in out


# -- curves --x expected-cost, oracle, osca-stop ---------------------------------------------------------------------

def test_curves_expected_cost_equals_schedules_uniform_and_oracle(capsys, bcb_path, bcb):
    budgets = [1, 2, 5]
    d, _ = run(capsys, "curves", "--file", str(bcb_path), "--budgets", "1,2,5", "--strategies",
               "osca,uniform,oracle,osca-stop", "--x", "expected-cost", "--json")
    got = {s: [r["expected_cost"] for r in d["curves"] if r["strategy"] == s] for s in
           ("osca", "uniform", "oracle", "osca-stop")}
    assert got["osca"] == [x.expected_cost_test for x in stopping_plans.schedules(bcb, registry.allocate(bcb, "osca",
                                                                                                   budgets))]
    n, c = bcb.test_counts()
    assert got["uniform"] == list(stopping_plans.uniform_expected_cost(n, c, budgets, bcb.costs,
                                                                  prior=lazy_prior(bcb))[0])
    oracle = orc.oracle_counts(n, c, budgets, prior=lazy_prior(bcb))
    assert got["oracle"] == list(orc.oracle_expected_costs(n, c, oracle, bcb.costs, prior=lazy_prior(bcb))[0])
    assert got["osca-stop"] == [x.expected_cost_test for x in stopping_plans.osca_stop(bcb, budgets)]
    assert [r["pass"] for r in d["curves"] if r["strategy"] == "oracle"] == list(oracle.values)
    assert all(e <= b + 1e-9 for s in ("osca", "uniform") for e, b in zip(got[s], budgets, strict=True))


def test_curves_without_x_carry_no_expected_cost(capsys, swe_path):
    d, _ = run(capsys, "curves", "--file", str(swe_path), "--budgets", "2", "--strategies", "osca,oracle",
               "--json")
    assert set(d) == {"dataset", "curves"} and all("expected_cost" not in r for r in d["curves"])


# -- --group-by ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("reallocate", [False, True])
def test_optimize_group_by_adds_groups_equal_to_group_plans(capsys, grouped, reallocate):
    d, _ = run(capsys, "optimize", "--dataset", grouped, "--budgets", "2,6", "--group-by", "difficulty",
               "--min-group", "5", *(["--reallocate"] if reallocate else []), "--json")
    plans = grp.group_plans(stored(grouped), "difficulty", [2, 6], min_group=5, reallocate=reallocate)
    for r, p in zip(d["results"], plans, strict=True):
        assert r["groups"] == p.groups_as_dicts() and all(set(g) == GROUP_ROW for g in r["groups"])
        assert [g["value"] for g in r["groups"]] == ["easy", "hard"]
        assert r["group_plan"]["test_pass"] == p.test_pass and r["group_plan"]["reallocated"] is reallocate
    if reallocate:  # the budget is an average over the 40 (in-sample) questions
        assert all(sum(g["budget"] * g["train_questions"] for g in r["groups"]) <= r["budget"] * 40
                   for r in d["results"])


def test_curves_group_by_decorates_the_osca_rows(capsys, grouped):
    d, _ = run(capsys, "curves", "--dataset", grouped, "--budgets", "3", "--strategies", "osca,best-pure",
               "--group-by", "difficulty", "--json")
    rows = {r["strategy"]: r for r in d["curves"]}
    assert "groups" in rows["osca"] and "groups" not in rows["best-pure"]
    assert rows["osca"]["groups"] == grp.group_plans(stored(grouped), "difficulty", [3])[0].groups_as_dicts()


# -- savings --early-stop --------------------------------------------------------------------------------------------

def test_savings_early_stop_equals_stopplans(capsys, swe_path, swe):
    d, _ = run(capsys, "savings", "--file", str(swe_path), "--budgets", "1-8", "--early-stop", "--json")
    b = list(range(1, 9))
    want = stopping_plans.early_stop_savings(swe, registry.allocate(swe, "best-pure", b), registry.allocate(swe, "osca", b),
                                        stopping_plans.osca_stop(swe, b)).as_dict()
    assert d["early_stop"] == want and d["early_stop"]["in_sample"] is True
    assert main(["savings", "--file", str(swe_path), "--budgets", "1-8", "--early-stop"]) == 0
    assert "with early stopping (in-sample)" in capsys.readouterr().out


# -- refusals --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv,needle", [
    (["curves", "--budgets", "2", "--x", "cost"], "argument --x: invalid choice: 'cost'"),
    (["curves", "--budgets", "2", "--x", "expected-cost", "--holdout"],
     "--x expected-cost works on the log's own split; it cannot be combined with --holdout"),
    (["optimize", "--budgets", "2", "--group-by", "topic"], "has no question attribute 'topic' (known: none)"),
    (["optimize", "--budgets", "2", "--reallocate"], "--reallocate needs --group-by ATTR"),
    (["curves", "--budgets", "2", "--min-group", "3"], "--min-group needs --group-by ATTR"),
    (["optimize", "--budgets", "2", "--group-by", "x", "--min-group", "0"], "--min-group: must be a positive"),
    (["optimize", "--budgets", "2", "--group-by", "x", "--strategy", "hillclimb"], "use --strategy osca"),
    (["curves", "--budgets", "2", "--strategies", "best-pure", "--group-by", "x"], "include osca in --strategies"),
    (["savings", "--early-stop", "--train-fraction", "0.5"], "--early-stop works on the log's own split"),
    (["schedule", "--budgets", "2", "--strategy", "uniform"], "argument --strategy: invalid choice: 'uniform'"),
    (["schedule", "--budgets", "0"], "--budgets: budgets must be positive integers"),
])
def test_bad_plan_flags_are_one_line_exit_2(capsys, bcb_path, argv, needle):
    assert main([argv[0], "--file", str(bcb_path), *argv[1:]]) == 2
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert out.out == "" and len(lines) == 1 and lines[0].startswith("osca: error:") and needle in lines[0], out.err


def test_group_by_on_a_stored_dataset_names_the_known_attributes(capsys, grouped):
    assert main(["optimize", "--dataset", grouped, "--budgets", "2", "--group-by", "topic"]) == 2
    assert "(known: difficulty)" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_schedule_json(capsys):
    d, _ = run(capsys, "bench", "schedule", "--runs", "1", "--json")
    assert d["bcb_order_budget"] == 300 and d["bcb_stop_budgets"] == 64 and d["bcb_order_seconds"] > 0
