"""Allocation tables and downloadable plans: how each allocation spends its budget (long form, grouped by
configuration, model or temperature, for the stacked chart; wide form, one row per budget, for the table), and the
plan as CSV / JSON (counts per configuration, budget, seed, split, dataset checksum)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

import pandas as pd

from osca_core.model.outcomes import ConfigInfo
from osca_core.model.results import Allocation
from osca_core.present.views.facets import group_of, ordered_configs

PLAN_CSV_FIELDS = ("dataset", "checksum", "split", "seed", "strategy", "budget", "configuration", "count",
                   "train_pass", "test_pass", "extrapolated")


def allocation_long(allocs: Sequence[Allocation], configs: Sequence[ConfigInfo], *,
                    group_by: str = "configuration") -> pd.DataFrame:
    """Long table (budget, group, count, share) of how each allocation spends its budget.

    ``group_by``: ``configuration``, ``model``, ``temperature`` or ``model+temperature`` (variants merged). Groups
    that never receive a sample are left out; groups are ordered by model, then temperature
    (:func:`osca_core.present.views.facets.ordered_configs`).
    """
    configs = ordered_configs(configs)
    by_name = {k.name: group_of(k, group_by) for k in configs}
    order = list(dict.fromkeys(by_name[k.name] for k in configs))
    rows = []
    for a in allocs:
        tot: dict[str, int] = {}
        for name, k in zip(a.config_names, a.counts, strict=True):
            if k > 0:
                tot[by_name[name]] = tot.get(by_name[name], 0) + int(k)
        rows += [{"budget": a.budget, "group": g, "count": tot[g], "share": tot[g] / a.budget}
                 for g in order if g in tot]
    df = pd.DataFrame(rows, columns=["budget", "group", "count", "share"])
    used = [g for g in order if g in set(df["group"])]
    df["group"] = pd.Categorical(df["group"], categories=used, ordered=True)
    return df.sort_values(["budget", "group"]).reset_index(drop=True)


def allocation_wide(allocs: Sequence[Allocation]) -> pd.DataFrame:
    """One row per budget: budget, train_pass, test_pass, extrapolated, then the count of every configuration that
    receives a sample at some budget (columns in the matrix's order)."""
    if not allocs:
        return pd.DataFrame(columns=["budget", "train_pass", "test_pass", "extrapolated"])
    names = allocs[0].config_names
    used = [j for j in range(len(names)) if any(a.counts[j] > 0 for a in allocs)]
    rows = []
    for a in allocs:
        r = {"budget": a.budget, "train_pass": a.train_pass, "test_pass": a.test_pass,
             "extrapolated": a.extrapolated}
        r.update({names[j]: int(a.counts[j]) for j in used})
        rows.append(r)
    return pd.DataFrame(rows)


def plan_json(allocs: Sequence[Allocation], *, dataset: str, checksum: str, split: str, seed: int,
              strategy: str, configs: Sequence[str], setting: Mapping | None = None,
              split_index: int = 0) -> dict:
    """The plan as a JSON-able dict: dataset, checksum, split (its description, the training setup and which
    random split), seed, strategy, the configurations allocated over, and per budget the counts per
    configuration with the train/test numbers they score."""
    return {
        "dataset": dataset,
        "checksum": checksum,
        "split": split,
        "split_index": int(split_index),
        "setting": dict(setting) if setting is not None else None,
        "seed": int(seed),
        "strategy": strategy,
        "configs": list(configs),
        "plans": [
            {"budget": a.budget, "counts": {n: int(k) for n, k in zip(a.config_names, a.counts, strict=True) if k},
             "train_pass": a.train_pass, "test_pass": a.test_pass, "extrapolated": a.extrapolated}
            for a in allocs
        ],
    }


def plan_csv(allocs: Sequence[Allocation], *, dataset: str, checksum: str, split: str, seed: int,
             strategy: str) -> str:
    """The plan as CSV, one row per (budget, configuration with k > 0)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PLAN_CSV_FIELDS)
    for a in allocs:
        for n, k in zip(a.config_names, a.counts, strict=True):
            if k > 0:
                w.writerow([dataset, checksum, split, int(seed), strategy, a.budget, n, int(k),
                            repr(a.train_pass), repr(a.test_pass), a.extrapolated])
    return buf.getvalue()
