"""The outcome matrix and the release loader: names parsed, splits kept, bad files named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from osca_core.errors import InputError
from osca_core.outcomes import load_release, parse_config_name, release_from_dict


@pytest.mark.parametrize("name,model,temp,variant", [
    ("gpt4o_0.8_2-3", "gpt4o", 0.8, "2-3"), ("Qwen_1.4", "Qwen", 1.4, ""), ("deepseek_1.6", "deepseek", 1.6, ""),
    ("my_model_v2_0.7_cot", "my_model_v2", 0.7, "cot"), ("plain", "plain", None, ""),
])
def test_config_names_parse_into_model_temperature_variant(name, model, temp, variant):
    info = parse_config_name(name)
    assert (info.model, info.temperature, info.variant) == (model, temp, variant)


def test_release_loader_keeps_counts_and_split(bcb_path, bcb):
    raw = json.loads(bcb_path.read_text())
    assert bcb.config_names == tuple(s["name"] for s in raw["settings"])
    tr = bcb.question_ids.index(raw["training_instances"][5])
    te = bcb.question_ids.index(raw["testing_instances"][7])
    assert bcb.c[tr, 3] == raw["train"]["3"][5] and bcb.c[te, 9] == raw["test"]["9"][7]
    assert (bcb.n == 300).all() and bcb.train[tr] and not bcb.test[tr] and bcb.test[te]


def test_release_checksum_is_the_file_sha256(swe_path, swe):
    import hashlib

    assert swe.checksum == hashlib.sha256(swe_path.read_bytes()).hexdigest()


def test_matrix_arrays_are_read_only(bcb):
    with pytest.raises(ValueError):
        bcb.c[0, 0] = 1


def _tiny():
    return {"settings": [{"name": "a_0.5", "runs": 4}, {"name": "b_0.5", "runs": 4}],
            "training_instances": ["q1", "q2"], "testing_instances": ["q3"],
            "train": {"0": [1, 2], "1": [0, 4]}, "test": {"0": [3], "1": [1]}}


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d.pop("settings"), "'settings'"),
    (lambda d: d["settings"][1].update(runs=0), "settings[1]"),
    (lambda d: d["settings"][1].update(runs="4"), "'runs'"),
    (lambda d: d["settings"][1].update(name="a_0.5"), "duplicate configuration name"),
    (lambda d: d["train"]["0"].__setitem__(1, 5), "train['0'] (a_0.5)[1]: count 5 outside 0..4"),
    (lambda d: d["train"]["0"].__setitem__(1, -1), "outside"),
    (lambda d: d["train"]["0"].__setitem__(1, 1.5), "not an integer"),
    (lambda d: d["test"].pop("1"), "configuration 1 (b_0.5) has no counts"),
    (lambda d: d["test"].update({"2": [0]}), "unknown configuration index '2'"),
    (lambda d: d["train"]["1"].append(3), "expected a list of 2 counts"),
    (lambda d: d.update(training_instances=["q1", "q1"]), "duplicate question id 'q1'"),
    (lambda d: d.update(training_instances=[], train={"0": [], "1": []}), "training_instances is empty"),
    (lambda d: d.update(testing_instances=["q1"]), "different counts in train and test"),
])
def test_malformed_release_is_refused_naming_the_field(mutate, needle):
    d = _tiny()
    mutate(d)
    with pytest.raises(InputError) as e:
        release_from_dict(d, name="t", where="t.json")
    assert needle in str(e.value) and str(e.value).startswith("t.json")
    assert "\n" not in str(e.value)


def test_question_in_both_splits_with_same_counts_is_one_question():
    d = _tiny()
    d["testing_instances"] = ["q2"]
    d["test"] = {"0": [2], "1": [4]}
    m = release_from_dict(d, name="t", where="t.json")
    assert m.question_ids == ("q1", "q2") and m.train.tolist() == [True, True] and m.test.tolist() == [False, True]


def test_select_configs_keeps_order_and_rejects_unknown(bcb):
    sub = bcb.select_configs(["Llama_1.4", "Qwen_0.2"])
    assert sub.config_names == ("Llama_1.4", "Qwen_0.2")
    assert np.array_equal(sub.c[:, 0], bcb.c[:, 9])
    with pytest.raises(InputError, match="unknown configuration 'x'"):
        bcb.select_configs(["x"])


def test_missing_file_is_named(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_release(tmp_path / "none.json")
