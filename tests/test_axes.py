"""Configuration axes (osca_core.model.axes): the documented name rule, attributes, the override pattern."""

from __future__ import annotations

import pytest

from osca_core.errors import InputError
from osca_core.model.axes import config_axes, parse_axes
from osca_core.model.outcomes import ConfigInfo, parse_config_name


@pytest.mark.parametrize("name, want", [
    ("gpt4o_0.8_2-3", {"model": "gpt4o", "temperature": "0.8", "variant": "2-3"}),
    ("Claude-2|direct", {"model": "Claude-2", "prompt": "direct"}),
    ("llama_temp0.7|cot", {"model": "llama", "temperature": "0.7", "prompt": "cot"}),
    ("qwen-t1.0", {"model": "qwen-t1.0"}),  # '-t' is not a temperature marker
    ("qwen_t1.0_x", {"model": "qwen_x", "temperature": "1"}),
    ("mistral@0.2", {"model": "mistral", "temperature": "0.2"}),
    ("arcee/eval_chat_AWQ_1745432531", {"family": "arcee", "model": "eval_chat_AWQ_1745432531"}),  # a timestamp
])
def test_names_are_split_into_axes_by_the_documented_rule(name, want):
    assert parse_axes(name) == want


def test_only_axes_the_configurations_differ_in_are_kept_and_model_always():
    cfgs = [parse_config_name(n) for n in ("a_0.2", "a_0.8", "b_0.2")]
    ax = config_axes(cfgs)
    assert ax.names == ("model", "temperature")
    assert ax.values["temperature"] == ("0.2", "0.8", "0.2") and ax.options("model") == ("a", "b")
    one = config_axes([parse_config_name("a_0.2"), parse_config_name("b_0.2")])
    assert one.names == ("model",)


def test_attributes_are_axes_and_replace_parsed_values():
    cfgs = [ConfigInfo("x1", "x1", None, "", attrs={"model": "gpt", "top_p": 0.9, "prompt_text": "p" * 200}),
            ConfigInfo("x2", "x2", None, "", attrs={"model": "gpt", "top_p": 1.0, "prompt_text": "q" * 200})]
    ax = config_axes(cfgs)
    assert ax.names == ("model", "top_p")  # the long prompt text is no axis
    assert ax.values["model"] == ("gpt", "gpt") and ax.values["top_p"] == ("0.9", "1")


def test_the_override_pattern_sets_axes_from_named_groups():
    cfgs = [parse_config_name(n) for n in ("llama-7b-chat", "llama-70b-chat", "qwen-7b-base")]
    ax = config_axes(cfgs, r"^(?P<model>[a-z]+)-(?P<size>\d+b)-(?P<tune>\w+)$")
    assert ax.names == ("model", "size", "tune")
    assert ax.values["size"] == ("7b", "70b", "7b") and ax.values["model"] == ("llama", "llama", "qwen")
    with pytest.raises(InputError, match="named group"):
        config_axes(cfgs, r"\d+b")
    with pytest.raises(InputError, match="not a regular expression"):
        config_axes(cfgs, r"(?P<x>")
