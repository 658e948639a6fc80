"""Configuration facets, filters and grouping order (osca_core.present.views.facets) on the SWE-bench release names."""

from __future__ import annotations

import pytest

from osca_core.present.views import facets


def test_facets_of_the_swebench_release(swe):
    f = facets.config_facets(swe.configs)
    assert f.models == ("deepseek", "gpt4o", "qwen")
    assert f.temperatures == ("0.4", "0.8", "1.2", "1.6")
    assert f.variants == ("(none)", "2-3")


@pytest.mark.parametrize("models,temps,variants", [
    (["gpt4o"], None, ["2-3"]), (["deepseek"], None, None), (None, ["0.4"], None),
    (["qwen", "deepseek"], ["1.2", "1.6"], ["(none)"]), (None, None, None),
])
def test_filter_configs_matches_parsing_each_name(swe, models, temps, variants):
    got = facets.filter_configs(swe.configs, models=models, temperatures=temps, variants=variants)
    want = []
    for name in swe.config_names:
        model, t, *rest = name.split("_")
        var = rest[0] if rest else "(none)"
        if (not models or model in models) and (not temps or t in temps) and (not variants or var in variants):
            want.append(name)
    assert got == want
    if models == ["deepseek"]:
        assert len(got) == 6  # the two grid points absent from the 24 (SOURCE.md) are both deepseek


def test_ordered_configs_group_models_then_temperature(swe):
    order = [k.name for k in facets.ordered_configs(swe.configs)]
    assert order[:4] == ["gpt4o_0.4", "gpt4o_0.4_2-3", "gpt4o_0.8", "gpt4o_0.8_2-3"]
    assert sorted(order) == sorted(swe.config_names)
