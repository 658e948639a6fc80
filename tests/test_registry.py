"""The strategy registry is the one table every consumer reads: lookups, evaluation, and agreement of the CLI,
experiments, study, plots, views and pages with it.

To add a consumer check: read its strategy names or styles *through the registry* (``registry.names()``,
``registry.get(name)``) and compare; for a page, add its module-level ``*STRATEG*`` constant to ``PAGE_FILES`` (read
from source with ``ast``, the page itself is never imported).
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from osca_core.analysis import experiments as ex
from osca_core.analysis import study
from osca_core.errors import InputError
from osca_core.present import plots
from osca_core.strategies import allocators, registry

REPO = Path(__file__).resolve().parents[1]
PAGE_FILES = sorted((REPO / "pages").glob("*.py")) + [REPO / "app.py"]


# -- the table ---------------------------------------------------------------------------------------------------

def test_every_entry_is_complete_and_unique():
    specs = registry.specs()
    assert [s.name for s in specs] == list(registry.names())
    assert len({s.label for s in specs}) == len(specs) and len({s.color for s in specs}) == len(specs)
    for s in specs:
        assert (s.allocator is not None) == (s.kind == "allocation"), s.name
        assert (s.expectation is not None) == (s.kind == "expectation"), s.name
        assert s.description and s.label and s.color.startswith(("#", "rgb")), s.name
        assert not (s.reference and (s.default or s.dashboard_default)), s.name
        assert not s.dashboard_default or s.dashboard, s.name


def test_names_filter_by_flags_and_refuse_unknown_flags():
    assert registry.names(kind="expectation") == ("uniform", "oracle")
    assert registry.names(reference=True) == ("oracle",) and registry.get("oracle").dash == "dash"
    assert "oracle" not in registry.names(default=True) and "osca-stop" in registry.names(dashboard=True)
    assert registry.names(mixes=False) == ("best-pure",)
    assert set(registry.names(dashboard_default=True)) <= set(registry.names(dashboard=True))
    with pytest.raises(TypeError):
        registry.names(colour="red")


def test_unknown_names_are_one_line_input_errors_listing_the_known_ones():
    with pytest.raises(InputError) as e:
        registry.get("magic")
    msg = str(e.value)
    assert "'magic'" in msg and "pure:<config>" in msg and all(n in msg for n in registry.names())
    with pytest.raises(InputError, match="configuration after 'pure:'"):
        registry.get("pure:")
    assert registry.lookup("magic") is None


def test_pure_specs_are_made_on_the_fly_and_check_the_configuration(bcb):
    spec = registry.get("pure:Llama_0.2")
    assert spec.label == "pure: Llama_0.2" and not spec.mixes and spec.is_pure and spec.color == registry.PURE_COLOR
    with pytest.raises(InputError, match="nobody"):
        registry.check_names(bcb, ["osca", "pure:nobody"])
    with pytest.raises(InputError, match="nobody"):
        registry.allocate(bcb, "pure:nobody", [1])


def test_a_reference_cannot_be_a_default_and_is_drawn_dashed():
    kw = dict(name="x", label="x", color="#000000", mixes=True, kind="expectation", description="d",
              expectation=allocators.uniform_expected)
    with pytest.raises(ValueError):
        registry.StrategySpec(**kw, reference=True, default=True)
    with pytest.raises(ValueError):
        registry.StrategySpec(**{**kw, "kind": "allocation"})  # no allocator
    assert registry.StrategySpec(**kw, reference=True).dash == "dash"


# -- evaluation ------------------------------------------------------------------------------------------------

def test_uniform_has_no_fixed_allocation(bcb):
    with pytest.raises(InputError, match="uniform has no fixed allocation"):
        registry.allocate(bcb, "uniform", [1, 2])
    with pytest.raises(InputError, match="not an optimizing strategy"):
        registry.solve(bcb, "even", [1])


def test_evaluate_equals_each_algorithm(bcb):
    budgets = [1, 4, 17]
    direct = {"best-pure": allocators.best_pure(bcb, budgets), "even": allocators.even(bcb, budgets),
              "hillclimb": allocators.hillclimb(bcb, budgets, seed=2), "osca": allocators.osca(bcb, budgets),
              "osca-eb": allocators.osca_eb(bcb, budgets),
              f"pure:{bcb.config_names[1]}": allocators.pure(bcb, bcb.config_names[1], budgets)}
    for name, allocs in direct.items():
        cv = registry.evaluate(bcb, name, budgets, seed=2)
        assert cv.strategy == name and cv.values == tuple(a.test_pass for a in allocs), name
        assert [a.counts for a in cv.allocations] == [a.counts for a in allocs], name
    cv = registry.evaluate(bcb, "uniform", budgets)
    vals, extra = allocators.uniform_expected(*bcb.test_counts(), budgets)
    assert cv.values == tuple(vals) and cv.extrapolated == tuple(extra) and cv.allocations is None


def test_solve_then_score_equals_allocate(bcb):
    found = registry.solve(bcb, "osca", [3, 9])
    scored = allocators.scored(bcb, "osca", found)
    assert [a.counts for a in scored] == [a.counts for a in registry.allocate(bcb, "osca", [3, 9])]


def test_default_curve_set_is_the_cli_contract(swe):
    assert registry.default_strategies(swe) == [f"pure:{x}" for x in swe.config_names] + [
        "best-pure", "uniform", "even", "osca"]


# -- consumers agree with the registry ------------------------------------------------------------------------------

def test_the_old_strategy_tables_are_gone():
    for old in ("STRATEGIES", "strategy_allocations", "curve", "default_strategies"):
        assert not hasattr(allocators, old), old


def test_plots_take_colours_labels_and_dashes_from_the_registry(bcb, monkeypatch):
    assert plots.STRATEGY_COLORS == {s.name: s.color for s in registry.specs()}
    ref = registry.StrategySpec("oracle-test", "test oracle", "#123456", True, "expectation", "a test-set oracle",
                                reference=True, expectation=allocators.uniform_expected)
    monkeypatch.setattr(registry, "_TABLE", registry.specs() + (ref,))
    monkeypatch.setattr(registry, "_BY_NAME", {s.name: s for s in registry.specs()})
    curves = [registry.evaluate(bcb, n, [1, 2]) for n in registry.names()]
    fig = plots.curves_figure(curves)
    for n in registry.names():
        spec = registry.get(n)
        (tr,) = [t for t in fig.data if t.meta == n and t.mode == "lines+markers"]
        assert tr.name == spec.label and tr.line.color == spec.color and tr.line.dash == spec.dash, n


def test_experiments_apply_bans_exactly_to_the_strategies_that_mix(swe):
    t = ex.trials(swe, ex.Setting())[0]
    bans = ("multi-model",)
    for name in registry.names(kind="allocation"):
        if name in ("osca-eb", "hillclimb"):
            continue  # same code path as osca; slow
        allocs = ex.fit(t, name, [8], bans=bans)
        if registry.get(name).mixes:
            assert all(ex.obeys_bans(swe, a.counts, bans) for a in allocs), name
        else:
            assert all(sum(1 for k in a.counts if k) == 1 for a in allocs), name
    for name in registry.names(kind="expectation"):
        vals, _ = ex.expected_values(t, name, [1, 4], bans=bans)
        assert np.all((0 <= vals) & (vals <= 1)), name


def test_experiment_curves_evaluate_every_kind_like_the_registry(bcb):
    cs = ex.run_curves(bcb, list(registry.names(default=True)), [1, 3])
    for name in registry.names(default=True):
        assert cs.curve(name).values == pytest.approx(registry.evaluate(bcb, name, [1, 3]).values, abs=1e-12)


def test_study_and_views_use_registered_names_and_labels():
    assert set(study.STUDY_LINEUP) <= set(registry.names())
    from osca_core.present import views
    if hasattr(views, "strategy_label"):
        for n in registry.names():
            assert views.strategy_label(n) == registry.label(n)
        assert views.strategy_label("pure:a") == registry.label("pure:a")


def _page_strategy_constants() -> dict[str, list[str]]:
    """Module-level NAME = (string, ...) constants whose NAME mentions STRATEG, per page file."""
    out = {}
    for path in PAGE_FILES:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, (ast.Tuple, ast.List)):
                for tgt in node.targets:
                    if isinstance(tgt, ast.Name) and "STRATEG" in tgt.id:
                        vals = [e.value for e in node.value.elts if isinstance(e, ast.Constant)]
                        out[f"{path.name}:{tgt.id}"] = vals
    return out


def test_every_strategy_named_in_a_page_is_registered():
    for where, vals in _page_strategy_constants().items():
        unknown = [v for v in vals if registry.lookup(v) is None]
        assert unknown == [], f"{where} names unregistered strategies {unknown}"


def test_curve_rows_of_every_kind_carry_the_registered_name(bcb):
    for n in registry.names(default=True):
        rows = registry.evaluate(bcb, n, [2]).rows()
        assert [r["strategy"] for r in rows] == [n]
