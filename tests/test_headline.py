"""The one headline rule (osca_core.analysis.headline) case by case, the thin-log reading (a CRUXEval-shaped log,
n in {1, 2, 3, 10}), and the CLI's JSON keys: the headline block and the ranges of extrapolated points."""

from __future__ import annotations

import html as htmllib
import json

import numpy as np
import pytest

from osca_core.analysis import experiments as ex
from osca_core.analysis import headline
from osca_core.analysis.savings_result import Savings
from osca_core.cli import main
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.model.splits import Setting


def sv(osca, best, *, target=None, need="auto", lo=None, hi=None, glo=None, ghi=None) -> Savings:
    budgets = tuple(range(1, len(osca) + 1))
    big = budgets[-1]
    target = best[-1] if target is None else target
    if need == "auto":
        need = next((b for b, v in zip(budgets, osca, strict=True) if v >= target), None)
    gap = tuple(o - b for o, b in zip(osca, best, strict=True))
    return Savings(dataset="t", baseline="a", baseline_budget=big, target_pass=target, budget_needed=need,
                   ratio=None if need is None else big / need, setting=Setting(), budgets=budgets,
                   osca_pass=tuple(osca), best_pure_pass=tuple(best), baseline_counts={"a": 1},
                   split_targets=(target,), split_budget_needed=(need,), split_ratios=(None,), ratio_ci_low=lo,
                   ratio_ci_high=hi, gap=gap, gap_ci_low=glo, gap_ci_high=ghi)


def test_tied_curves_say_no_saving():
    h = headline.decide(sv([0.5, 0.6, 0.7, 0.8], [0.5, 0.6, 0.7, 0.8]))
    assert h.kind == "tie" and h.text.startswith("No saving")


def test_saturated_best_pure_says_no_saving_never_4x():
    """can-ai-code's case: best pure and OSCA both 1.000 at C = 1, the paper's reading would say 4.0x."""
    s = sv([1.0, 1.0, 1.0, 1.0], [1.0, 0.999, 1.0, 1.0], lo=4.0, hi=4.0)
    assert s.ratio == 4.0
    h = headline.decide(s)
    assert h.kind == "saturated" and h.text.startswith("No saving") and "4.00x" not in h.text


def test_an_unstable_crossing_leads_with_the_gap_and_its_interval():
    g = (0.0, 0.01, 0.02, 0.03)
    s = sv([0.5, 0.62, 0.7, 0.8], [0.5, 0.55, 0.6, 0.7], lo=0.0, hi=9.09, glo=g, ghi=tuple(x + 0.1 for x in g))
    h = headline.decide(s)
    assert h.kind == "unstable"
    assert h.text.startswith("OSCA - best pure at C = 4: +0.1000 (95% interval +0.0300 to +0.1300)")
    assert "0.00x to 9.09x" in h.text


def test_a_stable_saving_gives_the_ratio_with_its_interval():
    h = headline.decide(sv([0.5, 0.62, 0.75, 0.8], [0.5, 0.55, 0.6, 0.7], lo=1.5, hi=2.0))
    assert h.kind == "saving" and "at C = 3: 1.33x less compute (95% interval 1.50x to 2.00x" in h.text
    one = headline.decide(sv([0.5, 0.62, 0.75, 0.8], [0.5, 0.55, 0.6, 0.7]))
    assert one.kind == "saving" and "no interval on one split" in one.text


def test_not_reached_and_reached_only_at_the_top_are_no_saving():
    assert headline.decide(sv([0.5, 0.55, 0.6, 0.65], [0.5, 0.55, 0.6, 0.7])).kind == "not-reached"
    h = headline.decide(sv([0.5, 0.55, 0.6, 0.72], [0.5, 0.55, 0.6, 0.7]))
    assert h.kind == "no-saving" and h.text.startswith("No saving")


def cruxlike(seed: int = 7, q: int = 120) -> OutcomeMatrix:
    """n = 1, 2, 3 and 10 per configuration (CRUXEval-shaped); the n = 10 one is the strongest at C = 1."""
    rng = np.random.default_rng(seed)
    spec = [("one_0.2", 1, 0.35), ("two_0.2", 2, 0.4), ("three_0.2", 3, 0.3), ("ten_0.2", 10, 0.5)]
    n = np.column_stack([np.full(q, k) for _, k, _ in spec])
    p = np.column_stack([rng.beta(mu * 0.6, (1 - mu) * 0.6, size=q) for _, _, mu in spec])
    c = rng.binomial(n, p)
    mask = np.ones(q, bool)
    return OutcomeMatrix(name="crux", question_ids=tuple(f"q{i}" for i in range(q)),
                         configs=tuple(parse_config_name(s) for s, _, _ in spec), n=n, c=c, train=mask,
                         test=mask.copy(), source="test", synthetic=True)


def test_a_thin_log_reads_against_the_measured_baseline_at_c_10():
    m = cruxlike()
    budgets = list(range(1, 17))
    assert headline.measured_budget(m, budgets) == 10 and headline.measured_configs(m, 10) == ["ten_0.2"]

    def run(b, **kw):
        return ex.savings(m, b, Setting(), **kw)

    r = headline.read(m, budgets, Setting(), run)
    s, h = r.savings, r.headline
    assert (s.baseline, s.baseline_budget, h.thin, h.measured_budget) == ("ten_0.2", 10, True, 10)
    assert h.points == "measured" and "1.00x" not in h.text and "C = 10" in h.text
    osca = r.curves.curve("osca")
    if s.budget_needed is not None:
        assert not osca.extrapolated[s.budget_needed - 1]  # the crossing is a measured point
    assert h.modelled.startswith("modelled beyond n") and r.modelled.baseline_budget == 16
    pure = ex.run_curves(m.select_configs(["ten_0.2"]), ["best-pure"], [10]).curves[0]
    assert s.target_pass == pure.values[0]  # the measured baseline's own test pass@10


def test_only_one_sample_per_cell_has_no_measured_saving():
    m = cruxlike()
    m = m.with_counts(np.ones_like(m.n), np.minimum(m.c, 1))

    def run(b, **kw):
        return ex.savings(m, b, Setting(), **kw)

    h = headline.read(m, [1, 2, 3, 4], Setting(), run).headline
    assert h.kind == "unmeasured" and h.text.startswith("No measured saving") and h.modelled


@pytest.fixture()
def crux_dataset(osca_home, tmp_path, capsys) -> str:
    m = cruxlike(q=60)
    rows = ["question_id,config,n_samples,n_correct"]
    for i, qid in enumerate(m.question_ids):
        rows += [f"{qid},{name},{m.n[i, j]},{m.c[i, j]}" for j, name in enumerate(m.config_names)]
    path = tmp_path / "crux.csv"
    path.write_text("\n".join(rows) + "\n")
    assert main(["import", str(path), "--name", "crux"]) == 0
    capsys.readouterr()
    return "crux"


def _json(capsys, *argv) -> dict:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_cli_json_carries_the_headline_and_the_ranges_beyond_n(crux_dataset, capsys):
    d = _json(capsys, "savings", "--dataset", crux_dataset, "--json")
    assert d["baseline_budget"] == 10 and d["baseline"] == "ten_0.2" and d["headline"]["thin"]
    assert set(d["headline"]) == {"kind", "text", "detail", "modelled", "baseline_budget", "measured_budget",
                                  "thin", "points"}
    for g in d["gaps"]:
        assert ("extrapolation_low" in g) == g["extrapolated"]
        if g["extrapolated"]:
            assert g["extrapolation_low"] <= g["gap"] <= g["extrapolation_high"]
            assert g["osca_range"][0] <= g["osca"] <= g["osca_range"][1]
    c = _json(capsys, "curves", "--dataset", crux_dataset, "--budgets", "1-4", "--strategies",
              "osca,uniform,pure:one_0.2", "--json")
    for r in c["curves"]:
        assert ("extrapolation_low" in r) == r["extrapolated"]
        if r["extrapolated"]:
            assert r["extrapolation_low"] <= r["pass"] <= r["extrapolation_high"]
    assert any(r["extrapolated"] for r in c["curves"] if r["strategy"] == "uniform")
    o = _json(capsys, "optimize", "--dataset", crux_dataset, "--budgets", "1,8", "--json")
    (within, beyond) = o["results"]
    assert "extrapolation_low" not in within and not within["extrapolated"]
    assert beyond["extrapolated"] and beyond["extrapolation_low"] <= beyond["test_pass"] <= beyond["extrapolation_high"]


@pytest.mark.slow
def test_the_bootstrap_reading_and_the_report_follow_the_same_rule_on_a_thin_log():
    from osca_core.analysis import paired
    from osca_core.present import report_content

    m = cruxlike(q=60)
    budgets = list(range(1, 13))
    s = paired.bootstrap_savings(m, list(range(1, 11)), n_resamples=50, baseline_configs=["ten_0.2"],
                                 measured_only=True)
    pure = paired.bootstrap_curves(m.select_configs(["ten_0.2"]), ["best-pure"], [10], n_resamples=50, pairs=[])
    assert (s.baseline, s.target_pass) == ("ten_0.2", pure.curve("best-pure").values[0])
    assert s.ratio_ci_low is not None and s.ratio_ci_low <= s.ratio_ci_high

    def run(b, **kw):
        return paired.bootstrap_savings(m, b, n_resamples=50, **kw)

    want = headline.read(m, budgets, Setting(), run).headline
    data = report_content.compute(m, budgets, n_resamples=50)
    assert data.headline == want and want.thin
    html = report_content.render(report_content.build(data))
    assert htmllib.escape(want.text) in html and htmllib.escape("M" + want.modelled[1:]) in html
