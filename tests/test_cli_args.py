"""`osca_core.cli.args`: budget SPECs, lists, costs and counts are parsed strictly (ASCII digits, no empty items,
finite costs in range), and every refusal reaches the user as one line naming the flag, exit 2."""

from __future__ import annotations

import warnings

import pytest

from osca_core.cli import args as A
from osca_core.cli import build_parser, main
from osca_core.errors import InputError


def one_line_error(capsys, argv, needle: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a numpy RuntimeWarning would be printed to the user
        rc = main(argv)
    out = capsys.readouterr()
    assert rc == 2 and out.out == "", out
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("osca: error:") and needle in lines[0], out.err
    return lines[0]


@pytest.mark.parametrize("spec,want", [
    ("1-4", [1, 2, 3, 4]), ("2,4,8", [2, 4, 8]), ("1-3,16,32", [1, 2, 3, 16, 32]), (" 5 , 1-2", [1, 2, 5]),
    ("3 - 5", [3, 4, 5]), ("7,7,1-2", [1, 2, 7]), ("100000", [100_000]),
])
def test_budget_spec_accepts_ranges_lists_and_mixtures(spec, want):
    assert A.parse_budgets(spec) == want


@pytest.mark.parametrize("spec", ["", "0", "a-3", "4-2", "1,,2", "-3", "1-x", ",", "1,", "0-3"])
def test_budget_spec_refuses_nonsense(spec):
    with pytest.raises(InputError, match="--budgets"):
        A.parse_budgets(spec)


@pytest.mark.parametrize("spec", ["١-٣", "+5", "٥", "1_000", "²", "1e3", "0x10", "５", "1--3", "1-2-3"])
def test_budget_spec_takes_ascii_digits_only(spec):
    assert int("+5") == int("٥") == int("５") == 5 and int("1_000") == 1000  # what int() alone would accept
    with pytest.raises(InputError, match=r"--budgets: cannot read"):
        A.parse_budgets(spec)


def test_budget_spec_names_the_limit():
    assert A.parse_budgets(f"{A.MAX_BUDGET - 1}-{A.MAX_BUDGET}") == [A.MAX_BUDGET - 1, A.MAX_BUDGET]
    with pytest.raises(InputError, match=rf"--budgets: budget {A.MAX_BUDGET + 1} is above the limit of "
                                         rf"{A.MAX_BUDGET}"):
        A.parse_budgets(f"1-{A.MAX_BUDGET + 1}")
    with pytest.raises(InputError, match="above the limit"):
        A.parse_budgets("9" * 40)  # no giant range is ever built


def test_budget_spec_of_the_wrong_type_is_a_programmer_error():
    with pytest.raises(TypeError):
        A.parse_budgets(16)


def test_default_budgets_stop_at_the_cap():
    assert A.default_budgets(16) == list(range(1, 17))
    assert A.default_budgets(10**9) == list(range(1, A.DEFAULT_BUDGET_CAP + 1))
    assert A.default_budgets(2**63 - 1)[-1] == A.DEFAULT_BUDGET_CAP


@pytest.mark.parametrize("text,want", [("a", ["a"]), ("a, b ,c", ["a", "b", "c"]), (None, None)])
def test_names_lists(text, want):
    assert A.parse_names(text, "--configs") == want


@pytest.mark.parametrize("text,needle", [("", "empty list"), (" ", "empty list"), (",", "empty list"),
                                         ("a,", "empty item 2 in 'a,'"), (",a", "empty item 1"),
                                         ("a,,b", "empty item 2")])
def test_names_lists_refuse_empty_items(text, needle):
    with pytest.raises(InputError, match=f"--strategies: {needle}"):
        A.parse_names(text, "--strategies")


@pytest.mark.parametrize("item,needle", [
    ("Qwen_0.2=inf", "--cost Qwen_0.2: VALUE must be a finite number > 0 (got 'inf')"),
    ("Qwen_0.2=nan", "(got 'nan')"), ("Qwen_0.2=-inf", "(got '-inf')"), ("Qwen_0.2=0", "(got '0')"),
    ("Qwen_0.2=-1", "(got '-1')"), ("Qwen_0.2=", "(got '')"), ("Qwen_0.2=1_0", "(got '1_0')"),
    ("Qwen_0.2=٣", "(got '٣')"), ("Qwen_0.2=1e999", "(got '1e999')"),
    ("Qwen_0.2=1e308", "--cost Qwen_0.2: VALUE 1e308 is above the limit of 1e+12"),
    ("Qwen_0.2", "expected CONFIG=VALUE"), ("=2", "expected CONFIG=VALUE"),
])
def test_costs_refuse_non_finite_out_of_range_and_malformed_values_by_name(item, needle):
    with pytest.raises(InputError) as e:
        A.parse_costs([item])
    assert needle in str(e.value)


def test_costs_parse_and_refuse_duplicates():
    assert A.parse_costs(["a=2", " b = 0.5 ", "c=1e-3"]) == {"a": 2.0, "b": 0.5, "c": 0.001}
    with pytest.raises(InputError, match="--cost: a given twice"):
        A.parse_costs(["a=2", "a=3"])


def test_work_check_bounds_budget_over_smallest_cost_and_certified_budgets():
    A.check_work([4], [1.0, 0.5])
    with pytest.raises(InputError, match=r"--cost: budget 4 / smallest cost 1e-07 allows 4e\+07 samples, above "
                                         r"the limit of 100000"):
        A.check_work([4], [1.0, 1e-7])
    with pytest.raises(InputError, match="--cost: budget 4 / smallest cost 1e-300"):
        A.check_work([4], [1e-300])
    A.check_work(list(range(1, A.MAX_CERTIFY_BUDGETS + 1)), [1.0], certify=True)
    with pytest.raises(InputError, match=rf"--certify: {A.MAX_CERTIFY_BUDGETS + 1} budgets, above the limit"):
        A.check_work(list(range(1, A.MAX_CERTIFY_BUDGETS + 2)), [1.0], certify=True)


@pytest.mark.parametrize("text,needle", [("-1", "--seed: must be >= 0 (got -1)"), ("+5", "ASCII digits"),
                                         ("٣", "ASCII digits"), ("1.5", "ASCII digits"), ("", "ASCII digits")])
def test_counts_are_ascii_whole_numbers(text, needle):
    with pytest.raises(A.FlagError, match=needle.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        A.count("--seed", minimum=0)(text)


def test_count_limits_name_the_flag():
    parse = A.count("--splits", maximum=A.MAX_SPLITS)
    assert parse(" 12 ") == 12 and parse(str(A.MAX_SPLITS)) == A.MAX_SPLITS
    with pytest.raises(A.FlagError, match=f"--splits: 99999999999 is above the limit of {A.MAX_SPLITS}"):
        parse("99999999999")
    with pytest.raises(A.FlagError, match=r"--splits: must be a positive integer \(got 0\)"):
        parse("0")


@pytest.mark.parametrize("text", ["0", "1", "nan", "inf", "-0.5", "1.5", "0,5", "٠.٥"])
def test_train_fraction_lies_strictly_between_0_and_1(text):
    with pytest.raises(A.FlagError, match="--train-fraction must lie strictly between 0 and 1"):
        A.fraction(text)
    assert A.fraction("0.25") == 0.25


@pytest.mark.parametrize("argv,needle", [
    (["curves", "--file", "{bcb}", "--budgets", "١-٣"], "--budgets: cannot read '١-٣'"),
    (["curves", "--file", "{bcb}", "--budgets", "+5"], "--budgets: cannot read '+5'"),
    (["curves", "--file", "{bcb}", "--budgets", "2", "--configs", ""], "--configs: empty list"),
    (["curves", "--file", "{bcb}", "--budgets", "2", "--configs", "Qwen_0.2,"], "--configs: empty item 2"),
    (["curves", "--file", "{bcb}", "--budgets", "2", "--strategies", ","], "--strategies: empty list"),
    (["optimize", "--file", "{bcb}", "--budgets", "2", "--cost", "Qwen_0.2=inf"], "--cost Qwen_0.2: VALUE"),
    (["optimize", "--file", "{bcb}", "--budgets", "2", "--cost", "Qwen_0.2=nan"], "--cost Qwen_0.2: VALUE"),
    (["optimize", "--file", "{bcb}", "--budgets", "2", "--cost", "Qwen_0.2=1e308"], "above the limit of 1e+12"),
    (["optimize", "--file", "{bcb}", "--budgets", "4", "--cost", "Qwen_0.2=1e-7"], "smallest cost 1e-07"),
    (["optimize", "--file", "{bcb}", "--budgets", "4", "--cost", "Qwen_0.2=1e-300"], "smallest cost 1e-300"),
    (["optimize", "--file", "{bcb}", "--budgets", "3", "--strategy", "hillclimb", "--seed", "-1"],
     "--seed: must be >= 0 (got -1)"),
    (["optimize", "--file", "{bcb}", "--budgets", "2", "--train-fraction", "0.5", "--splits", "99999999999"],
     "--splits: 99999999999 is above the limit of 1000"),
    (["curves", "--file", "{bcb}", "--budgets", "2", "--train-fraction", "0.5", "--splits", "99999999999"],
     "--splits: 99999999999 is above the limit of 1000"),
    (["study", "--splits", "99999999999"], "--splits: 99999999999 is above the limit of 1000"),
    (["optimize", "--file", "{bcb}", "--budgets", "1-5000", "--certify"], "--certify: 5000 budgets, above the limit"),
    (["demo", "--questions", "100000", "--configs", "1000"], "demo: --questions 100000 x --configs 1000 cells"),
    (["bench", "optimizer", "--runs", "0"], "--runs: must be a positive integer (got 0)"),
    # numbers too long for int() (Python refuses more than 4300 digits with a ValueError): refused by digits
    (["optimize", "--file", "{bcb}", "--budgets", "9" * 5000],
     "--budgets: budget 99999999999999999999... (5000 characters) is above the limit of 100000"),
    (["optimize", "--file", "{bcb}", "--budgets", "1-" + "9" * 5000],
     "--budgets: budget 99999999999999999999... (5000 characters) is above the limit of 100000"),
    (["optimize", "--file", "{bcb}", "--budgets", "2", "--seed", "9" * 5000],
     "--seed: 99999999999999999999... (5000 characters) is above the limit of"),
    (["study", "--splits", "9" * 5000], "--splits: 99999999999999999999... (5000 characters) is above the limit of 1000"),
    (["report", "--file", "{bcb}", "--dashboard", "javascript:alert(1337)//x"],
     "--dashboard: expected an http:// or https:// address with a host (got 'javascript:alert(1337)//x')"),
])
def test_refusals_reach_the_user_as_one_line_naming_the_flag(capsys, bcb_path, osca_home, argv, needle):
    one_line_error(capsys, [a.replace("{bcb}", str(bcb_path)) for a in argv], needle)


def test_every_subcommand_is_registered_by_its_family_module_named_in_commands():
    import importlib

    from osca_core.cli import COMMANDS

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert set(sub.choices) == {"optimize", "curves", "savings", "study", "schedule", "fetch", "import", "datasets",
                                "remove", "demo", "export", "aggregate", "report", "figure", "bench", "next", "dashboard"}
    data = {"fetch", "import", "datasets", "remove", "demo"}
    for name, parser in sub.choices.items():  # a command is found by its name: cli/<name>.py (data: cli/data.py)
        family = "data" if name in data else name
        assert family in COMMANDS, name
        if name != "bench":  # bench has subcommands
            assert parser.get_default("func").__module__ == f"osca_core.cli.{family}", name
    bench = next(a for a in sub.choices["bench"]._actions if a.dest == "bench_command").choices
    assert {p.get_default("func").__module__ for p in bench.values()} == {"osca_core.cli.bench"}
    for family in COMMANDS:  # one registration mechanism: register(sub) adds exactly the family's own commands
        module = importlib.import_module(f"osca_core.cli.{family}")
        assert callable(module.register), family
    helpers = {"args", "loading", "output", "plans", "uncertainty"}
    for helper in helpers:  # helpers add options to the commands that take them, never commands
        assert not hasattr(importlib.import_module(f"osca_core.cli.{helper}"), "register"), helper


def test_the_cli_package_keeps_its_shape_and_reads_no_environment():
    import ast
    from pathlib import Path

    import osca_core.cli
    import osca_core.data.release

    files = sorted(Path(osca_core.cli.__file__).parent.glob("*.py")) + [Path(osca_core.data.release.__file__)]
    assert {f.name for f in files} >= {"__init__.py", "args.py", "output.py", "optimize.py", "curves.py", "savings.py",
                                       "study.py", "schedule.py", "data.py", "bench.py", "report.py", "figure.py"}
    for f in files:
        text = f.read_text()
        assert len(text.splitlines()) <= 400, f
        assert "os.environ" not in text and "getenv" not in text, f
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef):
                assert node.end_lineno - node.lineno + 1 <= 60, f"{f.name}:{node.name}"


def test_the_work_limits_live_in_one_module_shared_with_the_dashboard():
    from osca_core import limits
    from osca_core.model.missing import POLICIES

    for name in ("MAX_BUDGET", "DEFAULT_BUDGET_CAP", "MAX_SPLITS", "MAX_CERTIFY_BUDGETS", "MAX_COST", "MAX_BOOTSTRAP",
                 "MIN_SPLIT_QUESTIONS"):
        assert getattr(A, name) is getattr(limits, name)
    assert limits.MAX_CERTIFY_BUDGETS == 4096 and limits.MAX_BOOTSTRAP == 100_000
    assert A.MISSING_POLICIES == POLICIES


@pytest.mark.parametrize("text", ["0", "1", "nan", "inf", "-0.5", "1.5", "0,95", "٠.٩"])
def test_level_lies_strictly_between_0_and_1(text):
    with pytest.raises(A.FlagError, match="--level must lie strictly between 0 and 1"):
        A.level(text)
    assert A.level("0.9") == 0.9


def test_every_analysis_command_takes_missing_and_the_new_flags():
    p = build_parser()
    sub = next(a for a in p._actions if a.dest == "command").choices
    need = {"optimize": ["--file", "x", "--budgets", "1"], "curves": ["--file", "x", "--budgets", "1"],
            "schedule": ["--file", "x", "--budgets", "1"], "savings": ["--file", "x"], "study": []}
    for cmd, base in need.items():
        assert sub[cmd].parse_args([*base, "--missing", "prior"]).missing == "prior", cmd
    for cmd in ("optimize", "curves", "savings"):
        ns = sub[cmd].parse_args([*need[cmd], "--bootstrap", "5", "--level", "0.8", "--bootstrap-refit", "--holdout"])
        assert (ns.bootstrap, ns.level, ns.bootstrap_refit, ns.holdout) == (5, 0.8, True, True), cmd
    bench = next(a for a in sub["bench"]._actions if a.dest == "bench_command").choices
    assert {"bootstrap", "schedule"} <= set(bench)
