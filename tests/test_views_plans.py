"""Allocation tables and plans (osca_core.present.views.plans): the paper's allocations (SOURCE.md) grouped, tabulated and
round-tripped through the JSON and CSV plans."""

from __future__ import annotations

import csv
import io
import json

import pytest
from viewkit import paper_allocation

from osca_core.errors import InputError
from osca_core.present.views import plans


def test_allocation_long_groups_the_paper_allocation(swe, golden):
    pa = golden.swe_allocations[-1]  # C = 16
    a = paper_allocation(swe, pa.counts)
    by_model = plans.allocation_long([a], swe.configs, group_by="model")
    want: dict[str, int] = {}
    for name, k in pa.counts.items():
        want[name.split("_")[0]] = want.get(name.split("_")[0], 0) + k
    assert dict(zip(by_model["group"].astype(str), by_model["count"], strict=True)) == want
    assert by_model["share"].sum() == pytest.approx(1.0)
    by_cfg = plans.allocation_long([a], swe.configs, group_by="configuration")
    assert dict(zip(by_cfg["group"].astype(str), by_cfg["count"], strict=True)) == pa.counts
    by_mt = plans.allocation_long([a], swe.configs, group_by="model+temperature")
    assert by_mt["count"].sum() == 16 and "gpt4o @ 0.8" in set(by_mt["group"].astype(str))
    with pytest.raises(InputError):
        plans.allocation_long([a], swe.configs, group_by="colour")


def test_allocation_wide_rows_score_what_their_counts_score(swe, golden):
    allocs = [paper_allocation(swe, pa.counts) for pa in golden.swe_allocations]
    wide = plans.allocation_wide(allocs)
    assert list(wide["budget"]) == list(range(1, 17))
    for pa, (_, row) in zip(golden.swe_allocations, wide.iterrows(), strict=True):
        assert row["test_pass"] == pytest.approx(pa.test, abs=5e-7)
        assert row["train_pass"] == pytest.approx(pa.train, abs=5e-7)
        counts = {c: int(row[c]) for c in wide.columns[4:] if row[c] > 0}
        assert counts == pa.counts


def test_plan_json_and_csv_round_trip(bcb, golden):
    allocs = [paper_allocation(bcb, pa.counts) for pa in golden.bcb_allocations]
    meta = dict(dataset="osca-bigcodebench", checksum=bcb.checksum, split="70 train / 78 test", seed=7,
                strategy="osca")
    plan = json.loads(json.dumps(plans.plan_json(allocs, configs=bcb.config_names, **meta)))
    assert plan["checksum"] == bcb.checksum and plan["seed"] == 7 and plan["split"] == "70 train / 78 test"
    assert [p["budget"] for p in plan["plans"]] == [pa.budget for pa in golden.bcb_allocations]
    assert [p["counts"] for p in plan["plans"]] == [pa.counts for pa in golden.bcb_allocations]
    assert [p["test_pass"] for p in plan["plans"]] == [a.test_pass for a in allocs]
    rows = list(csv.DictReader(io.StringIO(plans.plan_csv(allocs, **meta))))
    assert tuple(rows[0]) == plans.PLAN_CSV_FIELDS
    back: dict[int, dict[str, int]] = {}
    for r in rows:
        back.setdefault(int(r["budget"]), {})[r["configuration"]] = int(r["count"])
        assert r["checksum"] == bcb.checksum and r["seed"] == "7"
    assert back == {pa.budget: pa.counts for pa in golden.bcb_allocations}
    assert {float(r["test_pass"]) for r in rows if r["budget"] == "291"} == {allocs[-1].test_pass}
