"""The study grid (osca_core.analysis.study): its budgets, strategies and rows; the full run is covered by the CLI test in
test_experiments.py (`osca study`)."""

from __future__ import annotations

import csv
import dataclasses
import io

import numpy as np
import pytest

from osca_core.analysis import study as sdy
from osca_core.analysis.experiments import Setting, savings
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.strategies import registry


def small(n: int) -> OutcomeMatrix:
    rng = np.random.default_rng(0)
    c = rng.integers(0, n + 1, size=(12, 3))
    return OutcomeMatrix(name="small", question_ids=tuple(f"q{i}" for i in range(12)),
                         configs=tuple(parse_config_name(x) for x in ("a_0.2", "a_0.8", "b_0.2")),
                         n=np.full((12, 3), n), c=c, train=np.arange(12) < 6, test=np.arange(12) >= 6)


def test_study_budgets_are_every_integer_up_to_32_else_powers_of_two_and_n():
    assert sdy.study_budgets(small(5)) == [1, 2, 3, 4, 5]
    assert sdy.study_budgets(small(300)) == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]


def test_study_strategies_are_registered_allocation_strategies():
    assert all(registry.get(s).kind == "allocation" for s in sdy.STUDY_LINEUP)


def test_study_row_as_dict_is_the_csv_row_in_declared_order():
    row = sdy.StudyRow("d", "c0", 0.5, "all", "none", "osca", 4, 0.5, None, None, 3, 0)
    d = row.as_dict()
    assert list(d) == [f.name for f in dataclasses.fields(sdy.StudyRow)] and d["budget"] == 4
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(d))
    w.writeheader()
    w.writerow(d)
    assert buf.getvalue().splitlines()[1] == "d,c0,0.5,all,none,osca,4,0.5,,,3,0"


def test_summary_reads_the_rows_at_one_budget_and_adds_savings():
    m = small(4)
    rows = tuple(sdy.StudyRow("small", "train_fraction", f, "all", "none", s, b, 0.1 * b, None, None, 1, 0)
                 for f in (0.1, 0.2) for s in ("osca", "best-pure") for b in (1, 4))
    res = sdy.Study("small", (1, 4), rows, (savings(m, [1, 2, 4], Setting()),))
    out = sdy.study_summary(res)
    fr = [r for r in out if r["experiment"] == "train_fraction"]
    assert [r["setting"] for r in fr] == ["F = 0.1"]  # 0.2 is not a summary fraction
    assert fr[0]["osca"] == (pytest.approx(0.4), None, None) and fr[0]["budget"] == 4
    (sv,) = [r for r in out if r["experiment"] == "savings"]
    assert sv["setting"] == "release split" and sv["budget"] == 4
