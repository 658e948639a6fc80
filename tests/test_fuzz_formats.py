"""Fuzzing the framework readers (lm-eval, EvalPlus/BigCodeBench, SWE-bench, Inspect): random valid files, then
the same files damaged (truncated, a field removed or retyped, re-encoded as UTF-16 or Latin-1, bytes
overwritten). A valid file imports with the counts an independent oracle computes from the generated data; a
damaged one is refused in one line naming the file, the store unchanged (the harness of
tests/test_fuzz_importers.py checks both), or, where the damage leaves a valid file (a JSON-lines file cut at a
line end, bytes overwritten inside a string), imports into a consistent dataset touching nothing else."""

from __future__ import annotations

import json
import os
import random
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz_importers import FUZZ, SCALE, Harness

from osca_core.data.importers import import_paths
from osca_core.data.store import Store

pytestmark = pytest.mark.slow  # fuzzing: the full suite's, not the fast loop's

DAMAGE = ("none", "none", "truncate", "drop", "retype", "utf16", "latin1", "overwrite")
ID = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8).filter(
    lambda s: s.strip() and s == s.strip())


@pytest.fixture(scope="module")
def harness(tmp_path_factory, bcb_path):
    home = tmp_path_factory.mktemp("fuzz-formats-home")
    st_ = Store.open(home)
    import_paths(st_, [bcb_path], name="keeper")
    src = tmp_path_factory.mktemp("fuzz-formats-src") / "victim.csv"
    src.write_text("question_id,config,correct\nq1,a,1\nq1,a,0\nq2,a,1\n")
    import_paths(st_, [src], name="victim")
    return Harness(home)


def damage(raw: bytes, kind: str, rnd: random.Random, *, drop=None, retype=None) -> tuple[bytes, bool]:
    """(damaged bytes, must it be refused?)."""
    if kind == "truncate":
        return raw[: rnd.randrange(1, max(2, len(raw) - 1))], None  # JSON lines may stay valid: no oracle
    if kind == "utf16":
        return raw.decode().encode("utf-16"), True
    if kind == "latin1":
        return ("\u00e9".join(raw.decode().split('"', 2)[:2]) + '"' + raw.decode().split('"', 2)[2]).encode(
            "latin-1", "replace"), None
    if kind == "overwrite":
        b = bytearray(raw)
        for _ in range(rnd.randint(1, 4)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b), None
    if kind == "drop" and drop is not None:
        return drop(), True
    if kind == "retype" and retype is not None:
        return retype(), True
    return raw, False


def check(h: Harness, label: str, paths: list[Path], want: dict | None, must_refuse: bool | None, fmt=None):
    msg = h.attempt(label, paths, via="api", fmt=fmt)
    if must_refuse:
        assert msg is not None, f"imported a damaged {label} file"
    elif must_refuse is False:
        assert msg is None, msg
        m, _ = h.victim()
        got = {(q, k.name): (int(m.n[i, j]), int(m.c[i, j])) for i, q in enumerate(m.question_ids)
               for j, k in enumerate(m.configs) if m.n[i, j]}
        assert got == want


# == EvalPlus =======================================================================================================

@settings(FUZZ, max_examples=40 * SCALE)
@given(tasks=st.dictionaries(ID, st.lists(st.tuples(st.sampled_from(["pass", "fail", "timeout"]),
                                                    st.sampled_from(["pass", "fail", "timeout"])), min_size=1,
                                          max_size=4), min_size=1, max_size=4), how=st.data())
def test_evalplus_files_import_exactly_or_are_refused_cleanly(harness, tasks, how):
    rnd = random.Random(how.draw(st.integers(0, 2**32)))
    kind = how.draw(st.sampled_from(DAMAGE))
    doc = {"date": "2024-05-01 10:00", "hash": "h", "eval": {
        t: [{"task_id": t, "solution": "x", "base_status": b, "plus_status": p} for b, p in s] for t, s in tasks.items()}}
    t0 = next(iter(tasks))

    def drop():
        d = json.loads(json.dumps(doc))
        del d["eval"][t0][0][rnd.choice(["base_status", "plus_status"])]
        return json.dumps(d).encode()

    def retype():
        d = json.loads(json.dumps(doc))
        d["eval"][t0][0]["base_status"] = rnd.choice([1, True, None, ["pass"], "PASS"])
        return json.dumps(d).encode()

    raw, refuse = damage(json.dumps(doc).encode(), kind, rnd, drop=drop, retype=retype)
    want = {(t, "m_0.8"): (len(s), sum(b == p == "pass" for b, p in s)) for t, s in tasks.items()}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "m_0.8").mkdir()
        path = Path(tmp) / "m_0.8" / "eval_results.json"
        path.write_bytes(raw)
        check(harness, "evalplus", [path], want, refuse, fmt="evalplus" if kind != "none" else None)


# == SWE-bench ======================================================================================================

@settings(FUZZ, max_examples=40 * SCALE)
@given(runs=st.lists(st.dictionaries(ID, st.sampled_from(["resolved", "unresolved", "error", "empty"]), min_size=1,
                                     max_size=5), min_size=1, max_size=3), how=st.data())
def test_swebench_reports_import_exactly_or_are_refused_cleanly(harness, runs, how):
    rnd = random.Random(how.draw(st.integers(0, 2**32)))
    kind = how.draw(st.sampled_from(DAMAGE))
    reports = [{"submitted_ids": sorted(r), "resolved_ids": sorted(k for k, v in r.items() if v == "resolved"),
                "unresolved_ids": sorted(k for k, v in r.items() if v == "unresolved"),
                "error_ids": sorted(k for k, v in r.items() if v == "error"),
                "empty_patch_ids": sorted(k for k, v in r.items() if v == "empty"), "schema_version": 2}
               for r in runs]
    want: dict = {}
    for r in runs:
        for q, v in r.items():
            n, c = want.get((q, "gpt-4.1"), (0, 0))
            want[q, "gpt-4.1"] = (n + 1, c + (v == "resolved"))

    def drop():
        return json.dumps({k: v for k, v in reports[0].items() if k != "submitted_ids"}).encode()

    def retype():
        return json.dumps(reports[0] | {"submitted_ids": rnd.choice(["all", 3, {"a": 1}, [None], [""]])}).encode()

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for k, rep in enumerate(reports):
            paths.append(Path(tmp) / f"gpt-4.1.run{k}.json")
            paths[-1].write_text(json.dumps(rep))
        raw, refuse = damage(paths[0].read_bytes(), kind, rnd, drop=drop, retype=retype)
        paths[0].write_bytes(raw)
        check(harness, "swebench", paths, want, refuse, fmt="swebench" if kind != "none" else None)


# == lm-evaluation-harness ==========================================================================================

@settings(FUZZ, max_examples=40 * SCALE)
@given(docs=st.lists(st.sampled_from([0, 1, True, False, 0.0, 1.0]), min_size=1, max_size=6), how=st.data())
def test_lm_eval_samples_import_exactly_or_are_refused_cleanly(harness, docs, how):
    rnd = random.Random(how.draw(st.integers(0, 2**32)))
    kind = how.draw(st.sampled_from(DAMAGE))
    lines = [{"doc_id": i, "doc": {"q": "x"}, "target": "4", "arguments": {}, "resps": [["4"]],
              "filtered_resps": ["4"], "filter": "none", "metrics": ["exact_match"], "exact_match": v}
             for i, v in enumerate(docs)]
    results = {"results": {}, "configs": {"gsm8k": {"repeats": 1}},
               "config": {"model": "hf", "model_args": "pretrained=m", "gen_kwargs": "temperature=0.5"}}
    body = "".join(json.dumps(x) + "\n" for x in lines).encode()

    def drop():
        bad = [dict(x) for x in lines]
        del bad[rnd.randrange(len(bad))][rnd.choice(["doc_id", "exact_match"])]
        return "".join(json.dumps(x) + "\n" for x in bad).encode()

    def retype():
        bad = [dict(x) for x in lines]
        bad[rnd.randrange(len(bad))]["exact_match"] = rnd.choice(["yes", 0.5, None, [1], 2])
        return "".join(json.dumps(x) + "\n" for x in bad).encode()

    raw, refuse = damage(body, kind, rnd, drop=drop, retype=retype)
    want = {(str(i), "m_0.5"): (1, int(bool(v))) for i, v in enumerate(docs)}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "results_2024-05-01T10-00-00.1.json").write_text(json.dumps(results))
        path = Path(tmp) / "samples_gsm8k_2024-05-01T10-00-00.1.jsonl"
        path.write_bytes(raw)
        check(harness, "lm-eval", [path], want, refuse, fmt="lm-eval" if kind != "none" else None)


# == Inspect AI =====================================================================================================

@pytest.fixture(scope="module")
def inspect_log(tmp_path_factory) -> tuple[Path, dict]:
    inspectkit = pytest.importorskip("inspectkit")
    from inspect_ai.log import read_eval_log

    root = tmp_path_factory.mktemp("fuzz-inspect")
    with mock.patch.dict(os.environ, {"INSPECT_LOG_DIR": str(root)}):
        inspectkit.run(inspectkit.arith_one(questions=3), ["alpha"], root / "eval", temperature=0.5, epochs=2)
        inspectkit.run(inspectkit.arith_one(questions=3), ["alpha"], root / "json", temperature=0.5, epochs=2,
                       log_format="json")
    out = {}
    for fmt in ("eval", "json"):
        path = next((root / fmt).iterdir())
        log = read_eval_log(str(path))
        want: dict = {}
        for s in log.samples:
            n, c = want.get((str(s.id), "oscatest/alpha_0.5"), (0, 0))
            want[str(s.id), "oscatest/alpha_0.5"] = (n + 1, c + (s.scores["match"].value == "C"))
        out[fmt] = (path, want)
    return out


@pytest.mark.slow
@settings(FUZZ, max_examples=25 * SCALE)
@given(fmt=st.sampled_from(["eval", "json"]), how=st.data())
def test_inspect_logs_import_exactly_or_are_refused_cleanly(harness, inspect_log, fmt, how):
    rnd = random.Random(how.draw(st.integers(0, 2**32)))
    kind = how.draw(st.sampled_from(("none", "truncate", "overwrite", "drop", "retype", "utf16")))
    path, want = inspect_log[fmt]
    raw = path.read_bytes()
    if fmt == "eval":
        if kind in ("drop", "retype", "utf16"):
            kind = "truncate"
        bad, refuse = damage(raw, kind, rnd)
        refuse = True if kind == "truncate" else refuse
    else:
        doc = json.loads(raw)

        def drop():
            d = dict(doc)
            del d[rnd.choice(["eval", "version"])]
            return json.dumps(d).encode()

        def retype():
            d = json.loads(raw)
            d["eval"]["model"] = rnd.choice([None, 5, ["x"]])
            return json.dumps(d).encode()

        bad, refuse = damage(raw, kind, rnd, drop=drop, retype=retype)
        if kind == "truncate":
            refuse = True
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / path.name
        p.write_bytes(bad)
        check(harness, "inspect", [p], want, refuse, fmt="inspect" if kind != "none" else None)


# == folders: mixed formats, an empty log, a duplicate run ==========================================================

@settings(FUZZ, max_examples=30 * SCALE)
@given(runs=st.lists(st.dictionaries(ID, st.booleans(), min_size=1, max_size=5), min_size=1, max_size=3),
       extras=st.lists(st.sampled_from(["empty", "blank", "duplicate", "mixed"]), unique=True, max_size=3))
def test_folders_import_their_runs_once_skip_empty_files_and_refuse_mixed_formats(runs, extras):
    from storecheck import snapshot

    from osca_core.data.importers import import_files
    from osca_core.errors import InputError

    want: dict = {}
    for r in runs:
        for q, ok in r.items():
            n, c = want.get((q, "gpt-4.1"), (0, 0))
            want[q, "gpt-4.1"] = (n + 1, c + ok)
    with tempfile.TemporaryDirectory() as tmp:
        home, logs = Path(tmp) / "home", Path(tmp) / "logs"
        (logs / "backup").mkdir(parents=True)
        for k, r in enumerate(runs):
            (logs / f"gpt-4.1.run{k}.json").write_text(json.dumps(
                {"submitted_ids": sorted(r), "resolved_ids": sorted(q for q, ok in r.items() if ok),
                 "unresolved_ids": sorted(q for q, ok in r.items() if not ok), "error_ids": [],
                 "empty_patch_ids": [], "schema_version": 2}))
        if "empty" in extras:
            (logs / "empty.json").write_bytes(b"")
        if "blank" in extras:
            (logs / "backup" / "blank.jsonl").write_text("\n  \n")
        if "duplicate" in extras:  # the same run copied into a backup folder
            (logs / "backup" / "gpt-4.1.run0.json").write_bytes((logs / "gpt-4.1.run0.json").read_bytes())
        if "mixed" in extras:
            (logs / "zz_evalplus" / "m_0.8").mkdir(parents=True)
            (logs / "zz_evalplus" / "m_0.8" / "eval_results.json").write_text(json.dumps(
                {"date": "d", "hash": "h", "eval": {"T/0": [{"task_id": "T/0", "solution": "",
                                                              "base_status": "pass", "plus_status": "pass"}]}}))
        store = Store.open(home)
        before = snapshot(home)
        try:
            r = import_files(store, [logs], name="folder")
        except InputError as e:
            msg = str(e)
            assert "mixed" in extras, msg
            assert "\n" not in msg and msg.startswith(str(logs / "zz_evalplus" / "m_0.8" / "eval_results.json")
                                                      + ": looks like evalplus but "), msg
            store.close()
            assert snapshot(home) == before
            return
        assert "mixed" not in extras
        m = store.load_matrix("folder")
        got = {(q, k.name): (int(m.n[i, j]), int(m.c[i, j])) for i, q in enumerate(m.question_ids)
               for j, k in enumerate(m.configs) if m.n[i, j]}
        assert got == want
        where = {"empty": "empty.json", "blank": "backup/blank.jsonl", "duplicate": "gpt-4.1.run0.json"}  # backup/ sorts first
        skipped = sorted(n.split(": ", 1)[0] for n in r.notes if n.endswith(": skipped"))
        assert skipped == sorted(str(logs / where[x]) for x in extras)
        store.close()
