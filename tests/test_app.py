"""The dashboard under ``streamlit.testing.v1.AppTest``: every page runs without an exception on the release
datasets (fetched into an empty $OSCA_HOME from $OSCA_RELEASE_MIRROR, as on a fresh machine), widget changes change
the numbers shown, URL query parameters reproduce a view, a bad upload leaves the store as it was, and hostile
names are shown literally."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from appkit import APP, TIMEOUT, figures, fresh_app, run_app, store_release  # noqa: F401  (fresh_app: autouse)
from streamlit.testing.v1 import AppTest

from osca_core.analysis import experiments
from osca_core.data.importers import import_bytes
from osca_core.data.store import Store
from osca_core.errors import InputError
from osca_core.model.outcomes import OutcomeMatrix, parse_config_name
from osca_core.present import views
from osca_core.strategies import allocators, registry


def traces(fig: dict, **match) -> list[dict]:
    return [t for t in fig["data"] if all(t.get(k) == v for k, v in match.items())]


def main_line(fig: dict, strategy: str) -> dict:
    (t,) = [t for t in fig["data"] if t.get("meta") == strategy and t.get("mode") == "lines+markers"]
    return t


def stored() -> dict[str, str]:
    with Store.open(read_only=True) as s:
        return {i.name: i.checksum for i in s.list_datasets()}


# -- curves ----------------------------------------------------------------------------------------------------

def test_first_start_fetches_the_release_and_opens_on_real_curves(golden):
    at = run_app()
    assert set(stored()) == {"osca-bigcodebench", "osca-swebench"}
    assert at.selectbox(key="dataset").value == "osca-bigcodebench"
    with Store.open(read_only=True) as s:
        bcb = s.load_matrix("osca-bigcodebench")
    from osca_core.analysis import headline, paired

    want = headline.read(bcb, list(range(1, 301)), experiments.Setting(),  # the one rule, as osca savings
                         lambda b, **kw: paired.bootstrap_savings(bcb, b, n_resamples=1000, **kw)).headline
    assert at.subheader[0].value == views.md_escape(want.text)
    assert "less compute" in want.text and "interval" in want.text and want.detail.startswith("baseline: best pure")
    osca = main_line(figures(at)[0], "osca")
    ys = dict(zip(osca["x"], osca["y"], strict=True))
    common = sorted(set(ys) & set(golden.bcb_osca))
    assert len(common) >= 8
    assert all(abs(ys[c] - golden.bcb_osca[c]) <= 5e-6 for c in common)
    assert not at.warning  # real data, held-out split: no synthetic or in-sample banner


def test_offline_first_start_stores_the_synthetic_demo_and_says_so(tmp_path, monkeypatch):
    pytest.importorskip("osca_core.data.synthetic")
    empty = tmp_path / "no-release"
    empty.mkdir()
    monkeypatch.setenv("OSCA_RELEASE_MIRROR", str(empty))
    at = run_app()
    with Store.open(read_only=True) as s:
        infos = s.list_datasets()
    assert len(infos) == 1 and infos[0].synthetic
    assert any("Synthetic demo data" in w.value for w in at.warning)
    assert figures(at)


@pytest.mark.slow
def test_curves_widgets_change_the_results(golden):
    at = run_app()
    at.selectbox(key="dataset").set_value("osca-swebench").run()
    assert not at.exception
    assert at.radio(key="split").value == "random splits"  # in-sample data opens held out
    at.radio(key="split").set_value("release split").run()  # the golden values are the release split's
    assert any("In-sample" in w.value for w in at.warning)
    fig = figures(at)[0]
    osca = main_line(fig, "osca")
    assert osca["x"] == list(range(1, 17))
    assert np.allclose(osca["y"], [golden.swe_osca[c] for c in range(1, 17)], atol=5e-6)
    assert len([t for t in fig["data"] if str(t.get("meta", "")).startswith("pure:")]) == 22
    head_all = at.subheader[0].value
    needed = min(c for c, v in golden.swe_osca.items() if v >= 0.38 - 5e-6)  # best pure at 16: 114/300
    from osca_core.analysis import headline, paired

    swe_m = stored_matrix("osca-swebench")
    want = headline.read(swe_m, list(range(1, 17)), experiments.Setting(),  # the one rule, bootstrap interval
                         lambda b, **kw: paired.bootstrap_savings(swe_m, b, n_resamples=1000, **kw)).headline
    assert head_all == views.md_escape(want.text)
    assert f"at C = {needed}" in want.text and f"{16 / needed:.2f}x less compute" in want.text

    at.multiselect(key="model").set_value(["gpt4o"]).run()
    assert not at.exception
    assert "8 of 22 configurations" in [c.value for c in at.sidebar.caption]
    fig = figures(at)[0]
    pures = {t["meta"] for t in fig["data"] if str(t.get("meta", "")).startswith("pure:")}
    swe = stored_matrix("osca-swebench")
    assert pures == {f"pure:{c}" for c in swe.config_names if c.startswith("gpt4o_")} and len(pures) == 8
    gpt_only = main_line(fig, "osca")["y"]
    assert gpt_only != osca["y"]

    at.slider(key="budget").set_value((1, 32)).run()
    fig = figures(at)[0]
    assert max(main_line(fig, "best-pure")["x"]) == 32
    assert traces(fig, name="extrapolated (k > n)")

    at.multiselect(key="strategies").set_value(["best-pure", "even"]).run()
    at.toggle(key="pures").set_value(False).run()
    at.toggle(key="log2").set_value(True).run()
    assert not at.exception
    fig = figures(at)[0]
    assert {t["meta"] for t in fig["data"] if t.get("mode") == "lines+markers"} == {"best-pure", "even"}
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert not at.subheader  # no OSCA, no headline


def test_url_query_parameters_reproduce_a_view():
    at = run_app(dataset="osca-swebench", budget=["2", "8"], model=["qwen", "deepseek"], log2="true",
                 present="true")
    assert at.selectbox(key="dataset").value == "osca-swebench"
    assert at.slider(key="budget").value == (2, 8)
    assert "14 of 22 configurations" in [c.value for c in at.sidebar.caption]
    fig = figures(at)[0]
    assert main_line(fig, "osca")["x"] == list(range(2, 9))
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert fig["layout"]["font"]["size"] == 20  # presentation mode
    assert all(not str(t.get("meta", "")).startswith("pure:gpt4o") for t in fig["data"])


@pytest.mark.slow
def test_random_splits_draw_bands_and_the_seed_matters():
    at = run_app(dataset="osca-swebench", split="random splits", splits="3", budget=["1", "8"])
    assert not at.exception
    fig = figures(at)[0]
    assert any(str(t.get("meta", "")).startswith("band:") for t in fig["data"])
    before = main_line(fig, "osca")["y"]
    assert "95% interval" in main_line(fig, "osca")["hovertext"][0]
    at.number_input(key="seed").set_value(3).run()
    assert main_line(figures(at)[0], "osca")["y"] != before
    at.number_input(key="splits").set_value(1).run()
    assert not any(str(t.get("meta", "")).startswith("band:") for t in figures(at)[0]["data"])


# -- allocation ------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_allocation_page_table_and_widgets(golden):
    at = run_app("allocation", dataset="osca-swebench", split="release split")
    table = at.dataframe[0].value
    assert list(table["budget"]) == list(range(1, 17))
    for pa in golden.swe_allocations:
        row = table[table["budget"] == pa.budget].iloc[0]
        counts = {c: int(row[c]) for c in table.columns[4:] if row[c] > 0}
        allocs = allocators.osca(stored_matrix("osca-swebench"), [pa.budget])[0].allocation
        assert counts == allocs
        assert row["test_pass"] == pytest.approx(golden.swe_osca[pa.budget], abs=5e-6)
    labels = [b.proto.label for b in at.get("download_button")]
    assert len(labels) == 5, labels  # plan CSV and JSON + the figure downloads of the charts
    at.radio(key="group").set_value("model").run()
    assert [t["name"] for t in figures(at)[0]["data"]] == ["gpt4o", "deepseek", "qwen"]
    at.selectbox(key="strategy").set_value("even").run()
    assert not at.exception
    even = allocators.even(stored_matrix("osca-swebench"), list(range(1, 17)))
    assert list(at.dataframe[0].value["test_pass"]) == pytest.approx([a.test_pass for a in even], abs=1e-12)
    at.radio(key="kind").set_value("area").run()
    assert all(t.get("stackgroup") == "one" for t in figures(at)[0]["data"])


def stored_matrix(name: str) -> OutcomeMatrix:
    with Store.open(read_only=True) as s:
        return s.load_matrix(name)


# -- questions -------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_questions_page_filters_drill_down_and_comparison():
    at = run_app("questions", qset="all")  # every question, not the split's test part
    shown = lambda: next(c.value for c in at.caption if " of 148 questions" in c.value)  # noqa: E731
    m = stored_matrix("osca-bigcodebench")
    assert shown().startswith("148 of 148 questions")
    needle = m.question_ids[3][:-1]
    at.text_input(key="q").set_value(needle).run()
    want = sum(needle.lower() in q.lower() for q in m.question_ids)
    assert shown().startswith(f"{want} of 148 questions")
    at.text_input(key="q").set_value("").run()
    at.slider(key="pass").set_value((0.5, 1.0)).run()
    rates = (m.c / m.n).mean(axis=1)
    assert shown().startswith(f"{int((rates >= 0.5).sum())} of 148 questions")
    heat = figures(at)[0]["data"][0]
    assert len(heat["y"]) == int((rates >= 0.5).sum())

    q = at.selectbox(key="question").options[2]
    at.selectbox(key="question").set_value(q).run()
    per_strat = at.dataframe[1].value
    i = m.question_ids.index(q)
    uni, _ = allocators.uniform_expected(m.n[i:i + 1], m.c[i:i + 1], [300])
    assert per_strat.set_index("strategy").loc["uniform", "pass"] == pytest.approx(uni[0], abs=1e-12)

    tabs_before = [t.label for t in at.tabs]
    at.slider(key="tau").set_value(0.95).run()
    assert [t.label for t in at.tabs] != tabs_before

    at.selectbox(key="cfg_a").set_value("Qwen_1.4").run()
    at.selectbox(key="cfg_b").set_value("Llama_1.4").run()
    cmp_ = views.compare_configs(m, "Qwen_1.4", "Llama_1.4")
    metrics = {x.label: x.value for x in at.metric}
    assert metrics["only A"] == str(cmp_.only_a) and metrics["solved by both"] == str(cmp_.both)
    assert not at.exception


# -- experiments -----------------------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("study", ["training fraction", "estimation budget C0", "bans", "savings",
                                   "train vs test"])
def test_experiments_page_every_study(study):
    at = run_app("experiments", dataset="osca-swebench", ex_c="4", ex_splits="2", budget=["1", "4"])
    at.segmented_control(key="study").set_value(study).run()
    assert not at.exception and not at.error
    (fig,) = figures(at)
    names = {t.get("name") for t in fig["data"] if t.get("mode") == "lines+markers"}
    if study == "training fraction":
        assert names == {"best pure", "OSCA", "OSCA (empirical Bayes)"}
        osca = [t for t in fig["data"] if t.get("name") == "OSCA"][0]
        assert osca["x"] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    if study == "savings":
        assert at.subheader[0].value.startswith((views.md_escape("OSCA "), views.md_escape("No saving")))


# -- data ------------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_bad_upload_shows_the_importer_error_and_changes_nothing(tmp_path, bcb_path):
    at = run_app("data")
    before = stored()
    bad = b'{"settings": [{"name": "a_0.5", "runs": 0}], "training_instances": [], "testing_instances": []}'
    with pytest.raises(InputError) as want:
        with Store.open(tmp_path / "other-home") as s:
            import_bytes(s, "broken.json", bad)
    at.file_uploader(key="upload_0").set_value(("broken.json", bad, "application/json")).run()
    at.button(key="import_btn").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [views.md_escape(str(want.value))]
    assert stored() == before
    # the session goes on: a good file under a new name is imported
    at.file_uploader(key="upload_0").set_value(("bcb.json", bcb_path.read_bytes(), "application/json")).run()
    at.text_input(key="import_name").set_value("my-bcb").run()
    at.button(key="import_btn").click().run()
    assert not at.exception and not at.error
    assert set(stored()) == set(before) | {"my-bcb"}
    assert "my-bcb" in at.selectbox(key="dataset").options
    # the next upload starts empty (the old file stayed and mixed with the next one's format), and the import
    # offers to open the new dataset
    fresh = at.file_uploader(key="upload_1")
    assert fresh.value in (None, []), fresh.value
    links = [e for e in at.get("page_link") if "Open my-bcb in Curves" in str(e.proto.label)]
    assert len(links) == 1 and "dataset=my-bcb" in str(links[0].proto.query_string), links
    at.selectbox(key="remove_name").set_value("my-bcb").run()
    at.checkbox(key="remove_sure").check().run()
    at.button(key="remove_btn").click().run()
    assert not at.exception and stored() == before


# -- hostile names ---------------------------------------------------------------------------------------------

HOSTILE_CONFIGS = ["<b>bold</b>_0.5", "**md**_1.0", 'q"uote_0.2', ":red[x]_0.8"]
HOSTILE_QUESTIONS = ("<script>alert(1)</script>", "[link](http://x)", "x<br>y", "$e=mc^2$")


@pytest.mark.parametrize("page", [None, "allocation", "questions", "experiments", "data"])
def test_hostile_names_are_shown_literally(page):
    name = '<img src=x onerror=alert(1)> **ds** "q"'
    m = OutcomeMatrix(name=name, question_ids=HOSTILE_QUESTIONS,
                      configs=tuple(parse_config_name(x) for x in HOSTILE_CONFIGS),
                      n=np.full((4, 4), 8), c=np.array([[1, 0, 2, 8], [0, 0, 1, 0], [3, 1, 0, 2], [8, 8, 8, 8]]),
                      train=np.ones(4, bool), test=np.ones(4, bool))
    with Store.open() as s:
        s.save_matrix(m)
    at = run_app(page, ex_c="2", ex_splits="2")
    assert not at.exception
    assert at.selectbox(key="dataset").value == name
    md = [x.value for kind in ("markdown", "caption", "subheader", "warning", "error", "info")
          for x in at.get(kind)]
    for raw in [name, *HOSTILE_CONFIGS, *HOSTILE_QUESTIONS]:
        assert not any(raw in x for x in md), f"{raw!r} reached Markdown unescaped"
    for fig in figures(at):  # everything plotly draws (``meta`` is data for code, never drawn)
        text = json.dumps([{k: v for k, v in t.items() if k != "meta"} for t in fig["data"]] + [fig["layout"]])
        assert "<b>bold</b>" not in text and "<script>" not in text and "<img" not in text


def test_question_attributes_from_the_store_filter_the_heatmap():
    rows = ["question_id,config,n_samples,n_correct,difficulty"]
    for i in range(9):
        level = ("easy", "medium", "hard")[i % 3]
        rows += [f"p{i},m_0.2,10,{9 - i},{level}", f"p{i},m_0.8,10,{i},{level}"]
    with Store.open() as s:
        import_bytes(s, "attrs.csv", "\n".join(rows).encode(), name="with-attrs")
    at = run_app("questions", dataset="with-attrs", qset="all")  # all 9 questions, not a split's test part
    ms = at.multiselect(key="attr0_difficulty")
    assert ms.options == ["easy", "hard", "medium"]
    ms.set_value(["hard"]).run()
    assert not at.exception
    assert any(c.value.startswith("3 of 9 questions") for c in at.caption), [c.value for c in at.caption]
    assert figures(at)[0]["data"][0]["y"] == ["p2", "p5", "p8"]
    at.selectbox(key="sort").set_value("mean_pass").run()
    at.toggle(key="desc").set_value(True).run()
    assert not at.exception


def test_an_unreadable_store_is_reported_not_raised(osca_home: Path):
    osca_home.mkdir(parents=True, exist_ok=True)
    (osca_home / "osca.duckdb").write_bytes(b"this is not a DuckDB file" * 100)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert at.error and "osca.duckdb" in at.error[0].value.replace("\\", "")
    assert at.button(key="retry_store")


# -- links, uploads, axes, the shell -------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("page", [None, "allocation", "questions", "experiments"])
def test_an_unknown_dataset_in_the_url_is_an_error_not_another_dataset(page):
    store_release()  # what the first start stores (test_first_start_... checks that start)
    at = run_app(page, dataset="nope")
    assert [e.value for e in at.error] == [
        "No dataset named " + views.md_escape("'nope'") + " in the store (from the link's dataset= parameter). "
        "Choose a dataset in the sidebar, or import it on the Data page."]
    assert not figures(at) and not at.subheader  # nothing of another dataset is shown
    at.run()  # a rerun (any click) does not replace it silently either
    assert len(at.error) == 1 and not figures(at)
    at.selectbox(key="dataset").set_value("osca-swebench").run()  # choosing one shows it
    assert not at.exception and not at.error and figures(at)
    at = run_app(page, dataset="nope")
    at.button(key="unknown_ok").click().run()  # or going on with the one the sidebar selected
    assert not at.exception and not at.error and figures(at)


@pytest.mark.slow
def test_an_upload_under_an_existing_name_needs_replace(bcb_path, swe_path):
    at = run_app("data")
    before = stored()
    swe_bytes = swe_path.read_bytes()
    at.file_uploader(key="upload_0").set_value(("swe.json", swe_bytes, "application/json")).run()
    at.text_input(key="import_name").set_value("osca-bigcodebench").run()
    at.button(key="import_btn").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [views.md_escape(
        "dataset 'osca-bigcodebench' already exists: tick \"Replace an existing dataset\" to overwrite it, or "
        "choose another name")]
    assert stored() == before  # nothing replaced
    at.checkbox(key="import_replace").check().run()
    at.button(key="import_btn").click().run()
    assert not at.exception and not at.error
    after = stored()
    assert set(after) == set(before) and after["osca-bigcodebench"] != before["osca-bigcodebench"]
    assert after["osca-swebench"] == before["osca-swebench"]
    assert at.checkbox(key="import_replace").value is False  # the next upload asks again


@pytest.mark.slow
def test_budget_axis_is_logarithmic_by_default_above_32():
    at = run_app()  # BigCodeBench: budgets 1..300
    assert at.toggle(key="log2").value is True and figures(at)[0]["layout"]["xaxis"]["type"] == "log"
    at.toggle(key="log2").set_value(False).run()  # the toggle stays
    assert figures(at)[0]["layout"]["xaxis"].get("type") != "log"
    at.selectbox(key="dataset").set_value("osca-swebench").run()  # budgets 1..16: linear
    assert at.toggle(key="log2").value is False and figures(at)[0]["layout"]["xaxis"].get("type") != "log"
    at = run_app(dataset="osca-bigcodebench", log2="false")  # a link keeps its axis
    assert figures(at)[0]["layout"]["xaxis"].get("type") != "log"


def test_curves_table_has_the_columns_of_osca_curves_json():
    at = run_app(dataset="osca-swebench", strategies=["osca", "uniform"], split="release split")
    (table,) = [d.value for d in at.dataframe]
    assert list(table.columns) == ["strategy", "budget", "pass", "ci_low", "ci_high", "extrapolated", "allocation",
                                   "certified"]  # OSCA is certified by default on this small view
    swe = stored_matrix("osca-swebench")
    osca = registry.evaluate(swe, "osca", list(range(1, 17)))
    rows = table[table["strategy"] == "osca"]
    assert np.allclose(rows["pass"], osca.values, atol=1e-12)
    assert list(rows["allocation"]) == [a.text for a in osca.allocations]
    assert set(table[table["strategy"] == "uniform"]["allocation"]) == {""}
    assert set(table[table["strategy"] == "uniform"]["certified"]) == {False}  # only OSCA carries certificates


def test_the_dashboard_refuses_to_serve_every_interface_unless_told(monkeypatch):
    monkeypatch.syspath_prepend(str(Path(APP).parent))  # where streamlit run app.py finds pages/
    from pages import _shell

    assert _shell.address_problem(None) and _shell.address_problem("") and _shell.address_problem("  ")
    assert "--server.address 127.0.0.1" in _shell.address_problem(None)
    for explicit in ("127.0.0.1", "localhost"):
        assert _shell.address_problem(explicit) is None
    for network in ("0.0.0.0", "::"):  # beyond loopback: viewer mode or sign-in (tests/test_serving.py)
        assert "--viewer" in _shell.address_problem(network)
        assert _shell.address_problem(network, viewer=True) is None
        assert _shell.address_problem(network, auth=True) is None


def test_no_page_touches_streamlit_private_state():
    root = Path(APP).parent
    for f in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        src = f.read_text()
        assert "streamlit.runtime" not in src and "PagesManager" not in src and "import duckdb" not in src, f
        assert "os.environ" not in src, f


def test_every_file_in_pages_has_its_own_url_path_in_streamlits_folder_mode():
    """Streamlit's pages-folder mode (first request of a fresh server, every AppTest run) makes a page of every
    pages/*.py, named without leading underscores; two files with one name would be a duplicate-URL error."""
    from streamlit.source_util import page_icon_and_name

    names = [page_icon_and_name(f)[1].lower() for f in sorted((Path(APP).parent / "pages").glob("*.py"))]
    assert len(names) == len(set(names)), names
