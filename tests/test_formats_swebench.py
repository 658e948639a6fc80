"""SWE-bench harness reports. Fixtures follow ``swebench/harness/reporting.py`` (``make_run_report``: the report
``{total_instances, submitted_instances, completed_instances, resolved_instances, unresolved_instances,
empty_patch_instances, error_instances, completed_ids, incomplete_ids, empty_patch_ids, submitted_ids,
resolved_ids, unresolved_ids, error_ids, schema_version: 2}`` written to
``<model with / as __>.<run_id>.json``; an empty patch is submitted but never run, an instance without a report
is an error)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from storecheck import snapshot

from osca_core.data import formats
from osca_core.data.formats import ReadOptions
from osca_core.data.importers import detect, import_files
from osca_core.data.store import Store
from osca_core.errors import InputError

DATASET = ["astropy__astropy-12907", "django__django-11099", "sympy__sympy-20590", "psf__requests-2317"]


def write_report(folder: Path, model: str, run_id: str, *, submitted: list[str], resolved: list[str],
                 error: list[str] = (), empty: list[str] = ()) -> Path:
    """A report as make_run_report writes it (completed = submitted minus empty patches and errors)."""
    completed = [x for x in submitted if x not in empty and x not in error]
    unresolved = [x for x in completed if x not in resolved]
    rep = {"total_instances": len(DATASET), "submitted_instances": len(submitted),
           "completed_instances": len(completed), "resolved_instances": len(resolved),
           "unresolved_instances": len(unresolved), "empty_patch_instances": len(empty),
           "error_instances": len(error), "completed_ids": sorted(completed),
           "incomplete_ids": sorted(x for x in DATASET if x not in submitted), "empty_patch_ids": sorted(empty),
           "submitted_ids": sorted(submitted), "resolved_ids": sorted(resolved), "unresolved_ids": sorted(unresolved),
           "error_ids": sorted(error), "schema_version": 2}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{model.replace('/', '__')}.{run_id}.json"
    path.write_text(json.dumps(rep, indent=4))
    return path


@pytest.fixture()
def store(osca_home) -> Store:
    return Store.open()


def test_each_report_is_one_sample_per_submitted_instance_and_runs_are_samples(store, tmp_path):
    a1 = write_report(tmp_path, "openai/gpt-4.1", "run1", submitted=DATASET, resolved=DATASET[:2],
                      error=[DATASET[3]])
    write_report(tmp_path, "openai/gpt-4.1", "run2", submitted=DATASET, resolved=DATASET[1:2], empty=[DATASET[2]])
    write_report(tmp_path, "agentless", "2024-06-01", submitted=DATASET, resolved=DATASET[2:])
    assert detect(a1, str(a1)) == ("swebench", "json")
    import_files(store, [tmp_path], name="swe")
    m = store.load_matrix("swe")
    assert m.config_names == ("agentless", "openai/gpt-4.1") and m.question_ids == tuple(sorted(DATASET))
    by_q = dict(zip(m.question_ids, range(4), strict=True))
    assert [m.n[by_q[q]].tolist() for q in DATASET] == [[1, 2]] * 4
    assert [m.c[by_q[q]].tolist() for q in DATASET] == [[0, 1], [0, 2], [1, 0], [1, 0]]
    assert m.configs[1].model == "openai/gpt-4.1"
    samples = store.sample_outcomes("swe")
    assert sorted(samples[samples["config"] == "openai/gpt-4.1"]["sample_idx"].unique().tolist()) == [0, 1]


def test_instances_not_submitted_are_missing_not_failed(tmp_path):
    """A ragged table: the reader leaves the unsubmitted instance out (no row), it does not invent a failure."""
    a = write_report(tmp_path, "m", "r1", submitted=DATASET, resolved=DATASET[:1])
    b = write_report(tmp_path, "m", "r2", submitted=DATASET[:3], resolved=DATASET[:1])
    c = write_report(tmp_path, "n", "r1", submitted=DATASET[1:], resolved=[])
    rows = formats.get("swebench").read([(p, str(p)) for p in (a, b, c)], ReadOptions())
    t = rows.table.to_pydict()
    cells = {}
    for q, cfg, ok in zip(t["question_id"], t["config"], t["correct"], strict=True):
        cells.setdefault((q, cfg), []).append(ok)
    assert cells[DATASET[3], "m"] == [False] and cells[DATASET[0], "m"] == [True, True]
    assert (DATASET[0], "n") not in cells and len(t["correct"]) == 4 + 3 + 3


def test_ragged_reports_import_with_a_missing_cell(store, tmp_path):
    """End to end on a ragged pair of reports: the long reader stores the missing cell as n = 0 (issue 11)."""
    write_report(tmp_path, "m", "r1", submitted=DATASET, resolved=DATASET[:1])
    write_report(tmp_path, "n", "r1", submitted=DATASET[1:], resolved=DATASET[1:2])
    import_files(store, [tmp_path], name="ragged")
    m = store.load_matrix("ragged")
    q = m.question_ids.index(DATASET[0])
    assert m.n[q].tolist() == [1, 0] and int(m.n.sum()) == 7 and int(m.c.sum()) == 2


def test_inconsistent_reports_are_refused_by_field(store, tmp_path, osca_home):
    p = write_report(tmp_path / "a", "m", "r1", submitted=DATASET[:2], resolved=DATASET[:1])
    rep = json.loads(p.read_text())
    for change, pattern in (
            ({"resolved_ids": [DATASET[3]]}, r": resolved_ids: instance 'psf__requests-2317' is not in submitted_ids$"),
            ({"submitted_ids": "all"}, r": submitted_ids: expected a list of instance ids \(got str\)$"),
            ({"submitted_ids": [DATASET[0], DATASET[0]]}, r": submitted_ids: duplicate instance id"),
            ({"submitted_ids": [DATASET[0], 7]}, r": submitted_ids\[1\]: not an instance id \(7\)$"),
            ({"error_ids": [DATASET[0]]}, r": resolved_ids: instance 'astropy__astropy-12907' is also in error_ids")):
        p.write_text(json.dumps(rep | change))
        with pytest.raises(InputError, match=rf"^{p}" + pattern):
            import_files(store, [p], name="x")
    p.write_text(json.dumps({k: v for k, v in rep.items() if k != "submitted_ids"}))
    with pytest.raises(InputError, match=r"missing field 'submitted_ids'"):
        import_files(store, [p], name="x", format="swebench")
    assert snapshot(osca_home) == {"datasets": []}
