"""The Data page under ``AppTest``: several files uploaded at once make one dataset, each framework's format is
imported by upload exactly as ``osca_core.data.importers.import_uploads`` imports it (same checksum and counts), the
reader options reach the reader, the import's missing cells and per-configuration coverage are shown, and a
damaged store file is one ``st.error`` line on every page while the Data page moves it aside (never deleting it)
and starts a new store."""

from __future__ import annotations

from pathlib import Path

import pytest
from appkit import clear_caches
from streamlit.testing.v1 import AppTest
from test_formats_evalplus import PLUS, write_evalplus
from test_formats_lmeval import DATES, write_run
from test_formats_swebench import DATASET, write_report

from osca_core.data.formats import ReadOptions
from osca_core.data.importers import import_files, import_uploads
from osca_core.data.store import Store
from osca_core.present import views

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture(autouse=True)
def fresh(osca_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("OSCA_RELEASE_MIRROR", str(tmp_path / "no-mirror"))  # never fetch: an empty store stays empty
    osca_home.mkdir(parents=True, exist_ok=True)
    clear_caches()
    yield
    clear_caches()


def data_page(store_demo: bool = True) -> AppTest:
    if store_demo:  # something stored, so the first start does not try to fetch
        from osca_core.data.synthetic import demo_matrix

        with Store.open() as s:
            s.save_matrix(demo_matrix(seed=0))
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/data.py").run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, files: list[tuple[str, bytes]], name: str, **widgets) -> AppTest:
    # the uploader has a new key after each import (it starts empty): the one on the page now
    (box,) = [u for u in at.get("file_uploader") if str(u.key).startswith("upload_")]
    box.set_value([(f, b, "application/octet-stream") for f, b in files])
    at.text_input(key="import_name").set_value(name)
    for key, value in widgets.items():
        at.selectbox(key=key).set_value(value) if key in ("import_format", "import_verifier", "import_partial") \
            else at.text_input(key=key).set_value(value)
    at.run()
    at.button(key="import_btn").click().run()
    assert not at.exception, at.exception
    return at


def stored(name: str):
    with Store.open(read_only=True) as s:
        return next(i for i in s.list_datasets() if i.name == name), s.load_matrix(name)


def direct(tmp_path: Path, files, **kw):
    with Store.open(tmp_path / "direct-home") as s:
        r = import_uploads(s, files, **kw)
        return r, s.load_matrix(r.info.name)


RAGGED_A = b"question_id,config,n_samples,n_correct\nq1,a_0.5,4,1\nq2,a_0.5,4,2\nq3,a_0.5,4,3\n"
RAGGED_B = b"question_id,config,n_samples,n_correct\nq1,b_1.0,2,2\n"


def test_two_ragged_files_make_one_dataset_with_its_missing_cells_and_coverage(tmp_path):
    at = upload(data_page(), [("a.csv", RAGGED_A), ("b.csv", RAGGED_B)], "two")
    info, m = stored("two")
    assert (info.questions, info.configs, info.missing_cells) == (3, 2, 2)
    assert m.n.tolist() == [[4, 2], [4, 0], [4, 0]]
    assert any("2 missing cells" in s.value for s in at.success)
    at.selectbox(key="cov_name").set_value("two").run()
    cov = at.dataframe[-1].value.set_index("configuration")
    assert cov.loc["b_1.0", "questions"] == 1 and cov.loc["b_1.0", "coverage"] == pytest.approx(1 / 3)
    assert cov.loc["a_0.5", "coverage"] == 1.0 and cov.loc["a_0.5", "samples"] == 12
    # analyses get the complete matrix: the questions missing b_1.0 are left out, and the page says so
    assert any("2 of 3 questions left out" in c.value for c in at.caption)


@pytest.mark.slow
def test_each_framework_format_imports_by_upload_as_the_importer_does(tmp_path):
    ep = write_evalplus(tmp_path / "ep" / "model-a_0.8" / "eval_results.json", PLUS)
    sw = [write_report(tmp_path / "sw", "org/m", f"run{k}", submitted=DATASET, resolved=DATASET[:k + 1])
          for k in range(2)]
    lm = write_run(tmp_path / "lm", DATES[0], "gsm8k", {0: {"none": {"acc": 1}}, 1: {"none": {"acc": 0}}},
                   model="org/model", gen_kwargs="temperature=0.3")
    lm_files = [(f"results_{DATES[0]}.json", (lm.parent / f"results_{DATES[0]}.json").read_bytes()),
                (lm.name, lm.read_bytes())]
    cases = {"ep": ([(ep.name, ep.read_bytes())], "evalplus"),
             "sw": ([(p.name, p.read_bytes()) for p in sw], "swebench"),
             "lm": (lm_files, "auto")}
    at = data_page()
    for name, (files, fmt) in cases.items():
        at = upload(at, files, name, import_format=fmt)
        assert not at.error, [e.value for e in at.error]
        info, m = stored(name)
        r, want = direct(tmp_path, files, name=name, format=None if fmt == "auto" else fmt)
        assert info.checksum == r.info.checksum and m.n.tolist() == want.n.tolist()
        assert m.c.tolist() == want.c.tolist() and m.config_names == want.config_names
    # a reader option reaches the reader: EvalPlus base verifier counts base_status only
    at = upload(at, cases["ep"][0], "ep-base", import_format="evalplus", import_verifier="base")
    _, base = stored("ep-base")
    _, plus = stored("ep")
    r, want = direct(tmp_path, cases["ep"][0], name="x", format="evalplus", options=ReadOptions(verifier="base"))
    assert base.c.tolist() == want.c.tolist() != plus.c.tolist()


def damage(osca_home: Path, bcb_path: Path) -> Path:
    with Store.open() as s:
        import_files(s, [bcb_path], name="osca-bigcodebench")
    db = osca_home / "osca.duckdb"
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 3])  # truncated: "Could not read enough bytes"
    return db


@pytest.mark.slow
def test_a_truncated_store_is_one_error_line_and_the_data_page_moves_it_aside(osca_home, bcb_path):
    db = damage(osca_home, bcb_path)
    damaged_bytes = db.read_bytes()
    for page in ("curves", "questions", "experiments"):
        at = AppTest.from_file(APP, default_timeout=180).run()
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, (page, at.exception)
        assert at.error[0].value.replace("\\", "").startswith("store is damaged: ")
        assert "move it aside" in at.error[0].value and "\n" not in at.error[0].value
    at = data_page(store_demo=False)
    assert at.error[0].value.replace("\\", "").startswith("store is damaged: ")
    at.button(key="move_aside_btn").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (moved,) = osca_home.glob("osca.duckdb.damaged-*")
    assert moved.read_bytes() == damaged_bytes  # renamed, not deleted or changed
    assert any("Moved the damaged store" in s.value for s in at.success)
    at.session_state["import_replace"] = True  # the demo button follows the imports' replace rule (issue 28)
    at.button(key="demo_btn").click().run()  # a new store works
    assert not at.exception and not at.error, [e.value for e in at.error]
    with Store.open(read_only=True) as s:
        assert [i.name for i in s.list_datasets()] == ["demo-synthetic"]


PER_SAMPLE_A = b"question_id,config,sample_idx,correct,cost_usd\nq1,a_0.5,0,1,0.01\nq1,a_0.5,1,0,0.02\nq2,a_0.5,0,1,0.03\n"
PER_SAMPLE_B = b"question_id,config,sample_idx,correct,cost_usd\nq1,b_1.0,0,1,0.5\n"


def test_per_sample_upload_shows_the_column_roles_and_the_cost_column():
    at = upload(data_page(), [("a.csv", PER_SAMPLE_A), ("b.csv", PER_SAMPLE_B)], "ps")
    info, m = stored("ps")
    (code,) = [c.value for c in at.code]
    assert code.splitlines() == info.role_lines()
    assert "column 'cost_usd': cost (cost per sample)" in code
    assert any("1 missing cells" in s.value for s in at.success)
    at.selectbox(key="cov_name").set_value("ps").run()
    assert any(views.md_escape("Cost per sample from column cost_usd.") in c.value for c in at.caption)
    assert m.n.tolist() == [[2, 1], [1, 0]]


@pytest.mark.slow
def test_inspect_logs_upload_asks_for_the_scorer_and_imports_with_it(tmp_path, monkeypatch):
    inspectkit = pytest.importorskip("inspectkit")
    monkeypatch.setenv("INSPECT_LOG_DIR", str(tmp_path / "default"))
    monkeypatch.setenv("INSPECT_DISPLAY", "none")
    inspectkit.run(inspectkit.arith(questions=4), ["alpha", "beta"], tmp_path / "logs", temperature=0.5, epochs=2)
    files = [(p.name, p.read_bytes()) for p in sorted((tmp_path / "logs").rglob("*.eval"))]
    assert len(files) == 2
    at = upload(data_page(), files, "insp")
    assert len(at.error) == 1 and "several scorers (match, includes)" in at.error[0].value.replace("\\", "")
    with Store.open(read_only=True) as s:
        assert "insp" not in {i.name for i in s.list_datasets()}  # the refusal stored nothing
    at = upload(at, files, "insp", import_scorer="match")
    assert not at.error, [e.value for e in at.error]
    info, m = stored("insp")
    r, want = direct(tmp_path, files, name="insp", options=ReadOptions(scorer="match"))
    assert m.config_names == want.config_names and len(m.config_names) == 2
    assert m.n.tolist() == want.n.tolist() and m.c.tolist() == want.c.tolist() and m.n.max() == 2


@pytest.mark.slow  # an AppTest run (about 5 s)
def test_the_demo_button_keeps_a_real_dataset_of_its_name_unless_replace_is_ticked(tmp_path):
    """Issue 28: the Data page's "Generate the synthetic demo" replaced an existing real dataset. Now it is the
    rule of ``osca demo``: one error line naming the dataset, nothing changed, until "Replace" is ticked."""
    (tmp_path / "real.csv").write_text("question_id,config,correct\nq1,a,1\nq2,a,0\n")
    with Store.open() as s:
        import_files(s, [tmp_path / "real.csv"], name="demo-synthetic")
        before = s.load_matrix("demo-synthetic").checksum
    at = data_page(store_demo=False)
    at.button(key="demo_btn").click().run()
    assert not at.exception and len(at.error) == 1, [e.value for e in at.error]
    assert "dataset 'demo-synthetic' already exists" in at.error[0].value.replace("\\", "")
    with Store.open(read_only=True) as s:
        m = s.load_matrix("demo-synthetic")
        assert m.checksum == before and not m.synthetic
    at.session_state["import_replace"] = True
    at.button(key="demo_btn").click().run()
    assert not at.exception and not at.error
    with Store.open(read_only=True) as s:
        assert s.load_matrix("demo-synthetic").synthetic
