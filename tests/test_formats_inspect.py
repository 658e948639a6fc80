"""Inspect AI logs: real logs written by inspect_ai itself during the tests (tests/inspectkit.py: an offline,
deterministic model provider registered with ``inspect_ai.model.modelapi``), imported through the registry and
compared cell by cell with what ``inspect_ai.log`` reads from the same files (and with the provider's known
answers). Log layout: inspect_ai 0.3.285 ``inspect_ai/log/_log.py`` (EvalLog, EvalSpec, EvalSampleSummary) and
``inspect_ai/log/_file.py`` (read_eval_log, read_eval_log_sample_summaries)."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from unittest import mock

import pytest
from storecheck import snapshot

from osca_core.data import formats
from osca_core.data.formats import ReadOptions
from osca_core.data.importers import detect, import_bytes, import_files
from osca_core.data.store import Store
from osca_core.errors import InputError

pytestmark = pytest.mark.slow  # the module's logs take ~15 s to write

inspectkit = pytest.importorskip("inspectkit")
from inspect_ai.log import read_eval_log  # noqa: E402

Q, EPOCHS = 5, 3


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inspect-logs")
    k = inspectkit
    k.reset_calls()  # the grid's answers are checked against expected_correct: no calls left from other modules
    with mock.patch.dict(os.environ, {"INSPECT_LOG_DIR": str(root / "default"), "INSPECT_DISPLAY": "none"}):
        for temp in (0.5, 1.0):
            k.run(k.arith(questions=Q), ["alpha", "beta"], root / "grid", temperature=temp, epochs=EPOCHS)
        k.run(k.arith(questions=Q), ["alpha"], root / "rerun", temperature=0.5, epochs=2, log_format="json")
        err = k.run(k.arith(questions=4), ["flaky"], root / "error", temperature=0.5, epochs=2)
        assert [x.status for x in err] == ["error"]
        k.run(k.arith_partial(questions=4), ["alpha"], root / "partial", temperature=0.5, epochs=2)
        k.run(k.arith(questions=Q), ["alpha"], root / "topp", temperature=0.5, epochs=EPOCHS, top_p=0.9)
        k.run(k.arith_one(questions=2), ["beta"], root / "other_task", temperature=0.5, epochs=1)
    return {d.name: d for d in root.iterdir() if d.is_dir()}


@pytest.fixture()
def store(osca_home) -> Store:
    return Store.open()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".eval", ".json"))


def _inspect_counts(paths: list[Path], scorer: str) -> dict[tuple[str, str], list[int]]:
    """(config name, sample id) -> [n, c] straight from inspect_ai.log (full logs, every sample)."""
    out: dict[tuple[str, str], list[int]] = {}
    for p in paths:
        log = read_eval_log(str(p))
        cfg = f"{log.eval.model}_{log.eval.model_generate_config.temperature}"
        for s in log.samples:
            if s.scores and scorer in s.scores and not s.error:
                cell = out.setdefault((cfg, str(s.id)), [0, 0])
                cell[0] += 1
                cell[1] += s.scores[scorer].value == "C"
    return out


def test_imported_counts_equal_what_inspect_ai_log_says_cell_by_cell(store, logs):
    paths = _files(logs["grid"])
    assert len(paths) == 4 and all(detect(p, str(p)) == ("inspect", "eval") for p in paths)
    r = import_files(store, [logs["grid"]], name="grid", options=ReadOptions(scorer="match"))
    assert r.format == "inspect" and r.missing_samples == 0 and r.info.questions == Q and r.info.configs == 4
    m = store.load_matrix("grid")
    want = _inspect_counts(paths, "match")
    got = {(k.name, q): [int(m.n[i, j]), int(m.c[i, j])] for i, q in enumerate(m.question_ids)
           for j, k in enumerate(m.configs)}
    assert got == want
    assert sorted(m.config_names) == ["oscatest/alpha_0.5", "oscatest/alpha_1.0", "oscatest/beta_0.5",
                                      "oscatest/beta_1.0"]
    for j, k in enumerate(m.configs):  # the provider's known answers (independent of inspect's reader)
        model, temp = k.name.split("/")[1].split("_")
        assert (k.model, k.temperature) == (f"oscatest/{model}", float(temp))
        assert m.c[:, j].tolist() == inspectkit.expected_correct(model, float(temp), Q, EPOCHS)
        assert (m.n[:, j] == EPOCHS).all()


def test_several_scorers_need_the_scorer_option_and_the_refusal_lists_them(store, logs):
    with pytest.raises(InputError, match=r"several scorers \(match, includes\); pick one with --scorer NAME$"):
        import_files(store, [logs["grid"]], name="x")
    with pytest.raises(InputError, match=r"^--scorer: no scorer 'exact' in .* \(scorers: match, includes\)$"):
        import_files(store, [logs["grid"]], name="x", options=ReadOptions(scorer="exact"))
    assert store.list_datasets() == []
    # includes() finds the target inside the answer: the same verdicts here, read from the other scorer
    import_files(store, [logs["grid"]], name="inc", options=ReadOptions(scorer="includes"))
    want = _inspect_counts(_files(logs["grid"]), "includes")
    m = store.load_matrix("inc")
    assert {(k.name, q): [int(m.n[i, j]), int(m.c[i, j])] for i, q in enumerate(m.question_ids)
            for j, k in enumerate(m.configs)} == want


def test_tokens_come_from_model_usage_and_cost_from_the_price(store, logs):
    paths = _files(logs["grid"])
    rows = formats.get("inspect").read([(p, str(p)) for p in paths],
                                       ReadOptions(scorer="match", price={"oscatest/alpha": 2.0, "beta": 0.5}))
    t = rows.table.to_pydict()
    tokens = Counter()
    for p in paths:
        log = read_eval_log(str(p))
        for s in log.samples:
            tokens[log.eval.model] += sum(u.total_tokens for u in s.model_usage.values())
    got = Counter()
    for cfg, tok in zip(t["config"], t["tokens"], strict=True):
        got[cfg.split("_")[0]] += tok
    assert got == tokens and min(t["tokens"]) > 0
    for cfg, tok, cost in zip(t["config"], t["tokens"], t["cost"], strict=True):
        assert cost == pytest.approx(tok * (2.0 if "alpha" in cfg else 0.5) / 1e6)
    import_files(store, [logs["grid"]], name="priced",
                 options=ReadOptions(scorer="match", price={"oscatest/alpha": 2.0, "beta": 0.5}))
    k = {c.name: c for c in store.load_matrix("priced").configs}
    per = [c for cfg, c in zip(t["config"], t["cost"], strict=True) if cfg == "oscatest/beta_1.0"]
    assert k["oscatest/beta_1.0"].cost == pytest.approx(sum(per) / len(per))


def test_a_log_with_status_error_imports_its_scored_samples_and_counts_the_missing(store, logs):
    path = _files(logs["error"])[0]
    log = read_eval_log(str(path))
    assert log.status == "error"
    scored = [s for s in log.samples if s.scores and not s.error]
    r = import_files(store, [path], name="err", options=ReadOptions(scorer="match"))
    assert r.missing_samples == 4 * 2 - len(scored) > 0
    assert r.notes and "missing (status error)" in r.notes[0]
    m = store.load_matrix("err")
    assert int(m.n.sum()) == len(scored)
    assert int(m.c.sum()) == sum(s.scores["match"].value == "C" for s in scored)


def test_partial_credit_is_refused_unless_partial_says_how_it_counts(store, logs):
    path = _files(logs["partial"])[0]
    log = read_eval_log(str(path))
    values = Counter(s.scores["half_credit"].value for s in log.samples)
    assert values["P"] > 0
    first_p = next(s for s in log.samples if s.scores["half_credit"].value == "P")
    with pytest.raises(InputError, match=rf": sample '{first_p.id}' epoch {first_p.epoch}: partial credit \('P'\); "
                                          r"count it with --partial correct\|incorrect$"):
        import_files(store, [path], name="p")
    import_files(store, [path], name="pc", options=ReadOptions(partial="correct"))
    import_files(store, [path], name="pi", options=ReadOptions(partial="incorrect"))
    assert int(store.load_matrix("pc").c.sum()) == values["C"] + values["P"]
    assert int(store.load_matrix("pi").c.sum()) == values["C"]


def test_json_and_eval_logs_of_one_configuration_are_more_samples_of_it(store, logs):
    grid_alpha = next(p for p in _files(logs["grid"]) if read_eval_log(str(p), header_only=True).eval.model
                      == "oscatest/alpha" and read_eval_log(str(p), header_only=True).eval.model_generate_config
                      .temperature == 0.5)
    rerun = _files(logs["rerun"])[0]
    assert rerun.suffix == ".json" and detect(rerun, str(rerun)) == ("inspect", "json")
    import_files(store, [grid_alpha, rerun], name="both", options=ReadOptions(scorer="match"))
    m = store.load_matrix("both")
    assert m.config_names == ("oscatest/alpha_0.5",) and (m.n == EPOCHS + 2).all()
    want = _inspect_counts([grid_alpha, rerun], "match")
    assert [int(x) for x in m.c[:, 0]] == [want["oscatest/alpha_0.5", q][1] for q in m.question_ids]
    idx = store.sample_outcomes("both").groupby("question_id")["sample_idx"].apply(sorted).tolist()
    assert idx == [list(range(EPOCHS + 2))] * Q


def test_settings_that_differ_between_logs_name_the_configuration_and_become_attributes(logs):
    grid = [p for p in _files(logs["grid"]) if "alpha" in read_eval_log(str(p), header_only=True).eval.model]
    files = [(p, str(p)) for p in grid + _files(logs["topp"])]
    rows = formats.get("inspect").read(files, ReadOptions(scorer="match"))
    assert sorted(rows.config_attrs) == ["oscatest/alpha_0.5", "oscatest/alpha_0.5_top_p=0.9", "oscatest/alpha_1.0"]
    assert rows.config_attrs["oscatest/alpha_0.5_top_p=0.9"] == {"model": "oscatest/alpha", "top_p": 0.9}
    assert rows.config_attrs["oscatest/alpha_0.5"] == {"model": "oscatest/alpha"}
    t = rows.table.to_pydict()
    assert {(c, v, tp) for c, v, tp in zip(t["config"], t["variant"], t["temperature"], strict=True)} == {
        ("oscatest/alpha_0.5_top_p=0.9", "top_p=0.9", 0.5), ("oscatest/alpha_0.5", "", 0.5),
        ("oscatest/alpha_1.0", "", 1.0)}
    named = formats.get("inspect").read(files, ReadOptions(scorer="match", config="a05,a10,p09"))
    assert sorted(named.config_attrs) == ["a05", "a10", "p09"]
    with pytest.raises(InputError, match=r"configuration name 'x' is given to logs of two configurations"):
        formats.get("inspect").read(files, ReadOptions(scorer="match", config="x"))


def test_logs_of_several_tasks_prefix_question_ids_with_the_task(store, logs):
    one = _files(logs["other_task"])[0]  # beta at 0.5, task arith_one (questions=2)
    heads = {p: read_eval_log(str(p), header_only=True) for p in _files(logs["grid"])}
    alpha, beta = (next(p for p, h in heads.items() if h.eval.model == f"oscatest/{m}"
                        and h.eval.model_generate_config.temperature == 0.5) for m in ("alpha", "beta"))
    r = import_files(store, [alpha, one], name="tasks", options=ReadOptions(scorer="match"))
    m = store.load_matrix("tasks")
    assert r.info.questions == Q + 2 and m.question_ids[:Q] == tuple(f"arith/q{i}" for i in range(Q))
    assert m.question_ids[Q:] == ("arith_one/q0", "arith_one/q1")
    assert int(m.n.sum()) == EPOCHS * Q + 2 and int((m.n == 0).sum()) == Q + 2  # missing cells, not failures
    # one model on two tasks whose arguments differ (questions=5 / 2): one configuration, no missing cell
    import_files(store, [beta, one], name="beta", options=ReadOptions(scorer="match"))
    b = store.load_matrix("beta")
    assert b.config_names == ("oscatest/beta_0.5",) and b.n[:, 0].tolist() == [EPOCHS] * Q + [1, 1]


def test_an_uploaded_log_imports_like_the_file_and_a_damaged_one_changes_nothing(store, logs, osca_home):
    path = _files(logs["error"])[0]
    info = import_bytes(store, path.name, path.read_bytes(), name="up", options=ReadOptions(scorer="match"))
    assert info.questions == 4
    before = snapshot(osca_home)
    raw = path.read_bytes()
    for bad in (raw[: len(raw) // 2], raw[:100], b"PK\x03\x04" + b"\x00" * 50):
        with pytest.raises(InputError, match=rf"^{path.name}: cannot read as an Inspect log \(") as e:
            import_bytes(store, path.name, bad, name="up", options=ReadOptions(scorer="match"))
        assert "\n" not in str(e.value)
    assert snapshot(osca_home) == before


def test_configuration_attributes_reach_the_stored_dataset(store, logs):
    grid = [p for p in _files(logs["grid"]) if "alpha" in read_eval_log(str(p), header_only=True).eval.model]
    import_files(store, grid + _files(logs["topp"]), name="attrs", options=ReadOptions(scorer="match"))
    k = {c.name: c for c in store.load_matrix("attrs").configs}
    assert k["oscatest/alpha_0.5_top_p=0.9"].attrs.get("top_p") == 0.9
    assert k["oscatest/alpha_0.5_top_p=0.9"].variant == "top_p=0.9"
    assert k["oscatest/alpha_1.0"].attrs.get("top_p") is None and k["oscatest/alpha_1.0"].temperature == 1.0


def test_a_sample_id_and_epoch_twice_in_one_log_is_refused_and_one_log_twice_is_read_once(store, logs, tmp_path):
    """One identity per Inspect sample: (sample id, epoch) within a log, the log's ``eval_id`` across logs. A log
    holding one sample twice is refused naming it; the same file given twice is refused; a copy of one run
    under another name (the same eval_id) is read once, with a note."""
    import json

    log = _files(logs["rerun"])[0]
    assert log.suffix == ".json"
    data = json.loads(log.read_text())
    data["samples"].append(data["samples"][0])
    bad = tmp_path / "dup.json"
    bad.write_text(json.dumps(data))
    first = data["samples"][0]
    with pytest.raises(InputError) as e:
        import_files(store, [bad], name="x", options=ReadOptions(scorer="match"))
    assert str(e.value) == (f"{bad}: sample {first['id']!r} epoch {first['epoch']}: appears twice in this log (a "
                            f"sample id and epoch identify one sample)")
    with pytest.raises(InputError, match=r": given twice; give each file once$"):
        import_files(store, [log, log], name="x", options=ReadOptions(scorer="match"))
    copy = tmp_path / "copy.json"
    copy.write_bytes(log.read_bytes())
    r = import_files(store, [log, copy], name="once", options=ReadOptions(scorer="match"))
    alone = import_files(store, [log], name="alone", options=ReadOptions(scorer="match"))
    assert any("the same run as" in n and "skipped" in n for n in r.notes)
    assert store.load_matrix("once").n.tolist() == store.load_matrix("alone").n.tolist()
    assert alone.info.questions == r.info.questions


@pytest.mark.slow  # a child interpreter under an address-space limit (about 5 s)
@pytest.mark.parametrize("limit_gb", [2.5])
def test_an_inspect_import_under_an_address_space_limit_imports_or_is_one_line(logs, osca_home, tmp_path, limit_gb):
    """Issue 28: under a 2.5 GB address-space limit an Inspect import died in a DuckDB out-of-memory traceback.
    Now it imports, or ends in one line saying memory ran out, and nothing is stored. (A 1 GB limit was checked
    too; with the packages of 2026-12 the child then sometimes printed its line and crashed at exit (SIGSEGV) or
    hung inside inspect_ai's reader: not a stable check, so only the issue's case stays.)"""
    import resource
    import subprocess
    import sys

    cap = int(limit_gb * 2**30)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    before = snapshot(osca_home)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1]), "OSCA_HOME": str(osca_home)}
    r = subprocess.run([sys.executable, "-m", "osca_core.cli", "import", str(logs["grid"]), "--name", "grid",
                        "--scorer", "match"],
                       capture_output=True, text=True, timeout=120, preexec_fn=limit, env=env)
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    if r.returncode == 0:
        assert Store.open(osca_home, read_only=True).load_matrix("grid").shape == (Q, 4)
    else:
        assert r.returncode == 2 and r.stderr.count("osca: error: ") == 1, r.stderr
        assert "out of memory" in r.stderr and snapshot(osca_home) == before, r.stderr
