"""Framework logs as they sit in their folders (issue 23): an Inspect ``logs/`` folder written by inspect_ai
itself (tests/inspectkit.py, offline) with several tasks each with its own scorer, task arguments that differ
only between tasks, an errored run beside its ``eval_retry``, a run that errored before any sample was scored,
two solver plans of one model and ``--epochs``; each imported cell by cell against what ``inspect_ai.log``
reads from the same files. Log layout: inspect_ai 0.3.285 ``inspect_ai/log/_log.py`` (EvalSpec ``task``,
``task_id``, ``task_args``, ``model``, ``model_generate_config``; EvalPlan ``steps``; ``status``) and
``inspect_ai/_eval/eval.py`` (``eval_retry`` keeps ``eval.task_id`` and reuses the completed samples)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from storecheck import snapshot

from osca_core.data.formats import ReadOptions
from osca_core.data.importers import import_files
from osca_core.data.store import Store
from osca_core.errors import InputError

pytestmark = pytest.mark.slow  # the module's logs take ~15 s to write

inspectkit = pytest.importorskip("inspectkit")
from inspect_ai import eval_retry  # noqa: E402
from inspect_ai.log import read_eval_log  # noqa: E402
from inspect_ai.solver import generate, system_message  # noqa: E402

EPOCHS = 3


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inspect-folders")
    k = inspectkit
    k.reset_calls()  # models of their own (gamma, delta): the counts other modules check stay untouched
    with mock.patch.dict(os.environ, {"INSPECT_LOG_DIR": str(root / "default"), "INSPECT_DISPLAY": "none"}):
        # one logs/ folder: two tasks (one scorer each, other task arguments), a flaky run and its retry, a run
        # whose scorer fails on its first sample (nothing scored)
        tasks = root / "tasks"
        k.run([k.arith_one(questions=4), k.arith_includes(questions=3)], ["gamma"], tasks, temperature=0.5,
              epochs=EPOCHS)
        err = k.run(k.arith_one(questions=4), ["flaky"], tasks, temperature=0.5, epochs=2)
        assert [x.status for x in err] == ["error"]
        k.FLAKY["on"] = False
        try:
            retry = eval_retry(err[0].location, log_dir=str(tasks), display="none", max_samples=1,
                               score_display=False)
        finally:
            k.FLAKY["on"] = True
        assert [x.status for x in retry] == ["success"] and retry[0].eval.task_id == err[0].eval.task_id
        dead = k.run(k.arith_error(questions=3, explode="q0"), ["gamma"], tasks, temperature=0.5, epochs=1)
        assert [x.status for x in dead] == ["error"]
        # two solver plans of one model on one task
        plans = root / "plans"
        k.run(k.arith_one(questions=4), ["gamma", "delta"], plans, temperature=0.5, epochs=2, solver=generate())
        k.run(k.arith_one(questions=4), ["gamma", "delta"], plans, temperature=0.5, epochs=2,
              solver=[system_message("Think step by step, then answer."), generate()])
    return {d.name: d for d in root.iterdir() if d.is_dir()}


@pytest.fixture()
def store(osca_home) -> Store:
    return Store.open()


def _logs(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.eval"))


def _framework_counts(paths: list[Path], name, tasks: bool = True) -> dict[tuple[str, str], list[int]]:
    """(configuration, question) -> [n, c] as inspect_ai.log reads the full logs (every scored sample of each
    log's one scorer); ``name(log)`` is the configuration the test expects the log in."""
    out: dict[tuple[str, str], list[int]] = {}
    for p in paths:
        log = read_eval_log(str(p))
        for s in log.samples or []:
            if s.scores and not s.error:
                (value,) = [v.value for v in s.scores.values()]
                cell = out.setdefault((name(log), f"{log.eval.task}/{s.id}" if tasks else str(s.id)), [0, 0])
                cell[0] += 1
                cell[1] += value == "C"
    return out


def _cells(m) -> dict[tuple[str, str], list[int]]:
    return {(k.name, q): [int(m.n[i, j]), int(m.c[i, j])] for i, q in enumerate(m.question_ids)
            for j, k in enumerate(m.configs) if m.n[i, j]}


def test_a_folder_of_several_tasks_retries_and_dead_runs_imports_per_log(store, logs):
    paths = _logs(logs["tasks"])
    heads = {p: read_eval_log(str(p), header_only=True) for p in paths}
    assert len(paths) == 5 and sorted(h.status for h in heads.values()).count("error") == 2
    r = import_files(store, [logs["tasks"]], name="tasks")  # no --scorer: each log has one (match, includes)
    m = store.load_matrix("tasks")
    # the task arguments differ only between tasks (questions=4 / 3): one configuration per model
    assert sorted(m.config_names) == ["oscatest/flaky_0.5", "oscatest/gamma_0.5"]
    original = next(p for p, h in heads.items() if h.status == "error" and h.eval.model == "oscatest/flaky")
    dead = next(p for p, h in heads.items() if h.status == "error" and h.eval.task == "arith_error")
    read_from = [p for p in paths if p not in (original, dead)]
    assert _cells(m) == _framework_counts(read_from, lambda log: f"{log.eval.model}_0.5")
    one = [f"arith_one/q{i}" for i in range(4)]
    assert sorted(m.question_ids) == sorted(one + [f"arith_includes/q{i}" for i in range(3)])
    rows = [m.question_ids.index(q) for q in one]
    flaky = m.config_names.index("oscatest/flaky_0.5")
    assert m.n[rows, flaky].tolist() == [2] * 4  # the retry's samples, once (not the original's again)
    gamma = m.config_names.index("oscatest/gamma_0.5")
    assert (m.n[:, gamma] == EPOCHS).all()
    assert m.c[rows, gamma].tolist() == inspectkit.expected_correct("gamma", 0.5, 4, EPOCHS)
    assert any(n.startswith(f"{original}: status error, retried in ") for n in r.notes)
    assert f"{dead}: no scored sample (status error, no scorer): skipped" in r.notes
    assert "configurations differ in: model (2 configurations)" in r.notes
    assert r.axes == ("model",)


def test_scorer_option_applies_to_the_logs_that_have_it_and_names_the_others(store, logs):
    r = import_files(store, [logs["tasks"]], name="inc", options=ReadOptions(scorer="includes"))
    assert any(n.endswith(": no scorer 'includes'; read with its only scorer 'match'") for n in r.notes)
    assert _cells(store.load_matrix("inc")) == _cells(store.load_matrix("inc")) != {}
    with pytest.raises(InputError, match=r"^--scorer: no scorer 'exact' in any of the 4 logs \(scorers: "
                                         r"(match, includes|includes, match)\)$"):
        import_files(store, [logs["tasks"]], name="x", options=ReadOptions(scorer="exact"))


def test_nothing_scored_anywhere_is_the_only_refusal_and_changes_nothing(store, logs, osca_home):
    dead = next(p for p in _logs(logs["tasks"]) if read_eval_log(str(p), header_only=True).eval.task == "arith_error")
    before = snapshot(osca_home)
    with pytest.raises(InputError, match=rf"^{dead}: no scored samples \(status error, no scorer\)$"):
        import_files(store, [dead], name="dead")
    assert snapshot(osca_home) == before


def test_two_solver_plans_of_one_model_are_two_configurations_with_the_plan_as_attribute(store, logs):
    paths = _logs(logs["plans"])
    r = import_files(store, [logs["plans"]], name="plans")
    m = store.load_matrix("plans")
    assert r.axes == ("model", "prompt") and len(m.configs) == 4

    def name(log):
        plan = json.dumps([{"solver": s.solver, "params": s.params} for s in log.plan.steps], sort_keys=True)
        return next(k.name for k in m.configs if k.model == log.eval.model and k.attrs["prompt_text"] == plan)

    assert _cells(m) == _framework_counts(paths, name, tasks=False)
    labels = sorted({k.attrs["prompt"] for k in m.configs})
    assert [x.split("-")[0] for x in labels] == ["generate", "system_message+generate"]
    assert all(len(x.split("-")[1]) == 7 for x in labels)
    for k in m.configs:
        assert k.variant == f"prompt={k.attrs['prompt']}" and k.name == f"{k.model}_0.5_prompt={k.attrs['prompt']}"
        assert (m.n[:, m.configs.index(k)] == 2).all()
    assert "Think step by step" in next(k.attrs["prompt_text"] for k in m.configs if "system" in k.attrs["prompt"])


def test_a_ban_on_mixing_prompts_keeps_each_allocation_within_one_plan_in_the_cli(store, logs, osca_home):
    store.close()
    env = {**os.environ, "OSCA_HOME": str(osca_home)}
    out = subprocess.run([sys.executable, "-m", "osca_core.cli", "import", str(logs["plans"]), "--name", "plans",
                          "--json"], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "note: configurations differ in: model, prompt (4 configurations)\n" in out.stderr  # the axes found
    assert json.loads(out.stdout)["import"]["axes"] == ["model", "prompt"]

    def allocations(*flags) -> list[dict[str, int]]:
        out = subprocess.run([sys.executable, "-m", "osca_core.cli", "optimize", "--dataset", "plans",
                              "--budgets", "50,100,200,400", "--json", *flags], capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        return [r["allocation"] for r in json.loads(out.stdout)["results"]]

    m = Store.open(osca_home, read_only=True).load_matrix("plans")
    prompt = {k.name: k.attrs["prompt"] for k in m.configs}
    free, banned = allocations(), allocations("--ban", "multi-prompt")  # cost per sample = its tokens
    assert all(a for a in free + banned)
    assert any(len({prompt[c] for c in a}) == 2 for a in free)  # these logs: the best mix uses both plans
    assert all(len({prompt[c] for c in a}) == 1 for a in banned)
    from osca_core.model.splits import ban_groups

    groups = ban_groups(m, ["multi-prompt"])
    assert sorted(len({prompt[m.config_names[j]] for j in g}) for g in groups) == [1, 1] and len(groups) == 2
