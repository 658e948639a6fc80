"""The outcome matrix and the release loader: names parsed, splits kept, bad files named."""

from __future__ import annotations

import json

import numpy as np
import pytest

from osca_core.errors import InputError
from osca_core.model.outcomes import load_release, parse_config_name, release_from_dict


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


@pytest.mark.parametrize("bad", ["", "  ", "\t", "\u3000"])
@pytest.mark.parametrize("key", ["training_instances", "testing_instances"])
def test_release_with_a_blank_question_id_is_refused_naming_the_file_and_the_field(bad, key):
    d = _tiny()
    d[key][0] = bad
    with pytest.raises(InputError) as e:
        release_from_dict(d, name="t", where="t.json")
    msg = str(e.value)
    assert msg.startswith("t.json: question_id of question ") and "is blank" in msg and "\n" not in msg


def test_blank_ids_are_refused_by_the_matrix_itself_for_every_source():
    from osca_core.model.outcomes import ConfigInfo, OutcomeMatrix

    with pytest.raises(InputError, match=r"^f.csv: question_id of question 2 is blank \(' '\)$"):
        OutcomeMatrix("m", ("q1", " "), (ConfigInfo("a", "a", None, ""),), np.ones((2, 1), int),
                      np.zeros((2, 1), int), np.ones(2, bool), np.ones(2, bool), where="f.csv")


def test_dataclasses_replace_derives_a_validated_matrix_keeping_every_field(bcb):
    import dataclasses

    assert not hasattr(bcb, "_replace")
    m = dataclasses.replace(bcb, name="other", synthetic=True)
    assert (m.name, m.synthetic, m.checksum, m.config_names) == ("other", True, bcb.checksum, bcb.config_names)
    n = bcb.n.copy()
    n[0, 0] = -1
    with pytest.raises(InputError, match="n must be >= 0"):
        dataclasses.replace(bcb, n=n)
    k = dataclasses.replace(bcb.configs[0], attrs={"provider": "x"})
    assert bcb.with_costs({}).configs == bcb.configs and hash(k) == hash(bcb.configs[0])
    assert dataclasses.replace(bcb, configs=(k,) + bcb.configs[1:]).with_costs({"Qwen_0.2": 2.0}).configs[0].attrs == \
        {"provider": "x"}


def test_content_checksum_ignores_how_the_data_was_stored(bcb_path, bcb):
    import hashlib

    assert bcb.checksum == hashlib.sha256(bcb_path.read_bytes()).hexdigest() != bcb.content_checksum()
    sub = bcb.select_configs(list(bcb.config_names))
    assert sub.content_checksum() == bcb.content_checksum()
    assert bcb.select_configs(list(reversed(bcb.config_names))).content_checksum() != bcb.content_checksum()
