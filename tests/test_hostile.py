"""Hostile content. Configuration names, question ids and dataset names carrying HTML (<script>, <img onerror>),
Markdown (**bold**, [link](javascript:...)), quotes, SQL fragments ('; DROP TABLE datasets; --), LIKE wildcards
and template syntax import through every importer and the CLI and come back literally (every query is
parameterized: the tables are all still there afterwards, and a name is never a pattern). In the browser the names
are shown as typed and no script runs. Uploads above the stated limit are refused; nothing in the product
unpickles, evals or execs data; the server binds 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import contextlib
import io
import json
import re
import tomllib
from pathlib import Path
from urllib.parse import quote

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from storecheck import snapshot

from osca_core.cli import main
from osca_core.data.importers import import_bytes, import_paths
from osca_core.data.store import DB_FILE, Store
from osca_core.errors import InputError

REPO = Path(__file__).resolve().parents[1]
PWNED = "window.__osca_pwned"
QUESTIONS = [
    "<script>window.__osca_pwned=1</script>", f'<img src=x onerror="{PWNED}=2">', "**bold** _it_ `code`",
    f"[link](javascript:{PWNED}=3)", "'; DROP TABLE datasets; --", 'Robert"); DROP TABLE outcomes;--',
    "it's \"quoted\"", "$x^2$ :red[red] <b>b</b>", "% _ \\ LIKE wildcards", "{{7*7}} ${7*7} #{7*7}",
    f"<svg onload={PWNED}=4>", "NULL", "1 OR 1=1", "ünï¢ødé 🙂 ‮rtl",
]
CONFIGS = ["<b>bold</b>_0.5", "**md**_1.0", "'; DELETE FROM configs; --", f"<img src=x onerror={PWNED}=5>",
           ":red[x]_0.8", "a\"b'c"]
DATASET = f"<img src=x onerror={PWNED}=6> **ds** '; DROP TABLE datasets; --"
TABLES = {"configs", "datasets", "meta", "outcomes", "question_attrs", "questions", "samples"}  # at least these


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(list(argv))
    return rc, out.getvalue(), err.getvalue()


def _tables(home: Path) -> list[str]:
    con = duckdb.connect(str(home / DB_FILE), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
    finally:
        con.close()


def hostile_counts() -> tuple[list[list[int]], list[list[int]]]:
    n = [[3 + (i + j) % 4 for j in range(len(CONFIGS))] for i in range(len(QUESTIONS))]
    c = [[(i * 7 + j * 3) % (n[i][j] + 1) for j in range(len(CONFIGS))] for i in range(len(QUESTIONS))]
    return n, c


def write_hostile_files(folder: Path) -> dict[str, list[Path]]:
    """The same hostile dataset in every import format."""
    folder.mkdir(parents=True, exist_ok=True)
    n, c = hostile_counts()
    agg = pd.DataFrame([{"question_id": q, "config": k, "n_samples": n[i][j], "n_correct": c[i][j],
                         "note": q, "split": "train" if i % 2 else "test"}
                        for i, q in enumerate(QUESTIONS) for j, k in enumerate(CONFIGS)])
    per = pd.DataFrame([{"question_id": q, "config": k, "correct": s < c[i][j], "note": q}
                        for i, q in enumerate(QUESTIONS) for j, k in enumerate(CONFIGS) for s in range(n[i][j])])
    files = {"csv": [folder / "h.csv"], "parquet": [folder / "h.parquet"], "jsonl": [folder / "h.jsonl"]}
    agg.to_csv(files["csv"][0], index=False)
    per.to_parquet(files["parquet"][0], index=False)
    per.to_json(files["jsonl"][0], orient="records", lines=True, force_ascii=False)
    release = {"settings": [{"name": k, "runs": 6} for k in CONFIGS],
               "training_instances": QUESTIONS[::2], "testing_instances": QUESTIONS[1::2],
               "train": {str(j): [min(c[i][j], 6) for i in range(0, len(QUESTIONS), 2)] for j in range(len(CONFIGS))},
               "test": {str(j): [min(c[i][j], 6) for i in range(1, len(QUESTIONS), 2)] for j in range(len(CONFIGS))}}
    files["osca"] = [folder / "release.json"]
    files["osca"][0].write_text(json.dumps(release, ensure_ascii=False))
    files["lcb"] = []
    for j, k in enumerate(CONFIGS[:3]):
        d = folder / f"lcb{j}"
        d.mkdir(exist_ok=True)
        probs = [{"question_id": q, "graded_list": [s < c[i][j] for s in range(n[i][j])], "difficulty": q,
                  "platform": k} for i, q in enumerate(QUESTIONS)]
        (d / "run_eval_all.json").write_text(json.dumps(probs))
        files["lcb"].append(d / "run_eval_all.json")
    return files


def test_hostile_names_round_trip_literally_through_every_importer_and_the_cli(osca_home, bcb_path, tmp_path):
    import_paths(Store.open(), [bcb_path], name="base")
    base = snapshot(osca_home)["base"]
    tables = _tables(osca_home)
    assert TABLES <= set(tables)
    n, c = hostile_counts()
    for fmt, paths in write_hostile_files(tmp_path / "in").items():
        extra = ["--config=" + ",".join(CONFIGS[:3])] if fmt == "lcb" else []
        rc, out, err = _cli("import", *map(str, paths), "--name", DATASET, "--replace", *extra)
        assert rc == 0 and "Traceback" not in err, err
        assert out.startswith(f"imported {DATASET}: {len(QUESTIONS)} questions")
        m = Store.open(read_only=True).load_matrix(DATASET)
        configs = CONFIGS[:3] if fmt == "lcb" else CONFIGS
        order = QUESTIONS[::2] + QUESTIONS[1::2] if fmt == "osca" else QUESTIONS  # release: training ids first
        assert list(m.question_ids) == order and list(m.config_names) == configs, fmt
        if fmt == "osca":
            rows = list(range(0, len(QUESTIONS), 2)) + list(range(1, len(QUESTIONS), 2))
            assert m.c.tolist() == [[min(x, 6) for x in c[i]] for i in rows] and (m.n == 6).all()
        else:
            assert m.n.tolist() == [r[:len(configs)] for r in n] and m.c.tolist() == [r[:len(configs)] for r in c]
        if fmt != "osca":
            key = "difficulty" if fmt == "lcb" else "note"
            assert list(m.question_attrs[key]) == QUESTIONS  # attributes keep the text too
        rc, out, _ = _cli("datasets", "--json")
        assert [d["name"] for d in json.loads(out)["datasets"]] == sorted(["base", DATASET])
        rc, out, err = _cli("optimize", "--dataset", DATASET, "--budgets", "1-3", "--json")
        assert rc == 0, err
        assert set().union(*(r["allocation"] for r in json.loads(out)["results"])) <= set(configs)
        assert _tables(osca_home) == tables
        assert snapshot(osca_home)["base"] == base
    # names are never patterns: LIKE wildcards and quotes select exactly one dataset
    for name in ("x_1", "x%", "x'1", 'x"1'):
        assert _cli("import", str(tmp_path / "in" / "h.csv"), "--name", name)[0] == 0
    assert _cli("remove", "x%")[0] == 0
    assert _cli("remove", "x'1")[0] == 0
    rc, _, err = _cli("remove", "x_")
    assert rc == 2 and err.startswith("osca: error: unknown dataset 'x_'")
    left = [d.name for d in Store.open(read_only=True).list_datasets()]
    assert left == sorted(["base", DATASET, "x_1", 'x"1'])
    assert _cli("remove", DATASET)[0] == 0
    assert [d.name for d in Store.open(read_only=True).list_datasets()] == sorted(["base", "x_1", 'x"1'])
    assert _tables(osca_home) == tables and snapshot(osca_home)["base"] == base


UPLOAD = b"question_id,config,correct\nq1,a,1\nq1,a,0\nq2,a,1\n"


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filename=st.one_of(st.text(max_size=300), st.sampled_from(["..", ".", "", "a/../..", "../../etc/passwd",
                                                                    "x.csv\x00", "...json", "..csv", "a" * 300])))
def test_any_upload_file_name_imports_or_is_refused_in_one_line(osca_home, filename):
    """The browser (or a hostile client) chooses an upload's file name: folders, "..", NUL, lone surrogates or 300
    characters never escape the upload's temporary folder nor raise anything but a one-line InputError."""
    st_ = Store.open()
    try:
        info = import_bytes(st_, filename, UPLOAD)
    except InputError as e:
        assert "\n" not in str(e)
        return
    m = st_.load_matrix(info.name)
    assert m.n.tolist() == [[2], [1]] and m.c.tolist() == [[1], [1]]
    assert sorted(p.name for p in osca_home.iterdir()) == [DB_FILE]
    st_.remove(info.name)


# -- nothing executes data ---------------------------------------------------------------------------------------

DANGEROUS = {
    r"\bpickle\b": "pickle", r"\bcPickle\b|\bdill\b|\bcloudpickle\b": "pickle variants", r"\bmarshal\b": "marshal",
    r"\bshelve\b": "shelve", r"(?<![\w.])eval\(": "eval(", r"(?<![\w.])exec\(": "exec(",
    r"\byaml\.load\(|\byaml\.unsafe_load\(|\bUnsafeLoader\b": "yaml.load", r"allow_pickle\s*=\s*True": "allow_pickle",
    r"\bread_pickle\b|\bto_pickle\b": "pandas pickle", r"\btorch\.load\(": "torch.load",
    r"(?<![\w.])compile\(": "compile(", r"__import__\(": "__import__(", r"\bos\.system\(|shell\s*=\s*True": "a shell",
    r"unsafe_allow_html\s*=\s*True": "unsafe_allow_html",
}


def _product_sources() -> list[Path]:
    return sorted([*(REPO / "osca_core").rglob("*.py"), REPO / "app.py", *(REPO / "pages").glob("*.py")])


def test_no_pickle_eval_or_exec_of_data_anywhere_in_the_product():
    files = _product_sources()
    assert len(files) >= 20 and REPO / "app.py" in files
    hits = []
    for f in files:
        for i, line in enumerate(f.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            hits += [f"{f.relative_to(REPO)}:{i}: {what}: {line.strip()}" for pat, what in DANGEROUS.items()
                     if re.search(pat, code)]
    assert hits == []


def test_the_scan_would_catch_each_pattern():
    lines = ["import pickle", "x = eval(s)", "exec(code)", "yaml.load(f)", "np.load(p, allow_pickle=True)",
             "marshal.loads(b)", "pd.read_pickle(p)", "st.markdown(s, unsafe_allow_html=True)", "__import__(m)",
             "subprocess.run(c, shell=True)"]
    for line in lines:
        assert any(re.search(p, line) for p in DANGEROUS), line
    for line in ["cur.execute(sql, [x])", "m.evaluate(x)", "self.exec_time = 1", "re.compile(r'x')"]:
        assert not any(re.search(p, line) for p in DANGEROUS), line


# -- server configuration -----------------------------------------------------------------------------------------

def test_the_server_binds_127_0_0_1_and_states_its_upload_limit():
    conf = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    server = conf["server"]
    assert server.get("address") == "127.0.0.1"  # reachable from this machine only, unless told otherwise
    assert server.get("enableXsrfProtection", True) is True and server.get("enableCORS", True) is True
    access = (REPO / "pages" / "_access.py").read_text()
    limit = int(re.search(r"^UPLOAD_LIMIT_MB = (\d+)", access, re.M)[1])
    assert server["maxUploadSize"] == limit  # the server refuses what the page says it refuses
    data_page = (REPO / "pages" / "data.py").read_text()
    assert "limit = visitors.MAX_MB if own else data.UPLOAD_LIMIT_MB" in data_page
    assert "Up to {limit} MB per file" in data_page and "max_upload_size=limit" in data_page
    assert conf["client"]["toolbarMode"] == "viewer"  # no Deploy button, no developer menu


@pytest.fixture(scope="module")
def elsewhere_server(tmp_path_factory, release):
    """``streamlit run <checkout>/app.py`` started from an unrelated folder, without --server.address."""
    import browserkit as bk

    home, cwd = tmp_path_factory.mktemp("elsewhere-home"), tmp_path_factory.mktemp("elsewhere-cwd")
    with bk.streamlit_server(home, cwd=cwd, address=None, env={"OSCA_RELEASE_MIRROR": str(release)}) as server:
        yield server
    assert bk.log_errors(server["log"]) == []


@pytest.mark.slow
def test_started_from_another_folder_the_dashboard_listens_on_127_0_0_1_only(elsewhere_server):
    import psutil

    listening = {c.laddr.ip for c in psutil.Process(elsewhere_server["pid"]).net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN}
    assert listening == {"127.0.0.1"}, listening


@pytest.mark.slow
@pytest.mark.browser
def test_started_from_another_folder_the_toolbar_is_the_viewer_one(elsewhere_server):
    import browserkit as bk

    if not bk.chromium_available():
        pytest.skip(f"Chromium not found at {bk.CHROMIUM}")
    with bk.chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(120_000)
        page.goto(f"{elsewhere_server['base']}/data")
        _settle(page, chart=False)
        assert page.locator('[data-testid="stToolbar"]').count() == 1
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
        page.locator('[data-testid="stMainMenu"]').click()
        page.get_by_text("Print").first.wait_for()
        menu = page.locator("body").inner_text()
        assert "Rerun" not in menu and "Clear cache" not in menu  # the developer items


# -- in the browser ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory, release):
    import browserkit as bk

    if not bk.chromium_available():
        pytest.skip(f"Chromium not found at {bk.CHROMIUM}")
    from osca_core.data.release import fetch_release

    home = tmp_path_factory.mktemp("hostile-home")
    st = Store.open(home)
    fetch_release(st, mirror=str(release))
    files = write_hostile_files(tmp_path_factory.mktemp("hostile-in"))
    import_paths(st, files["csv"], name=DATASET)
    with bk.streamlit_server(home, env={"OSCA_RELEASE_MIRROR": str(release)}) as server:
        yield server
    assert bk.log_errors(server["log"]) == []


@pytest.fixture(scope="module")
def hostile_page(hostile_server):
    import browserkit as bk
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=bk.CHROMIUM, headless=True, args=bk.CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1440, "height": 1100})
        page = ctx.new_page()
        page.set_default_timeout(120_000)
        page.dialogs = []
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
        try:
            yield page
        finally:
            browser.close()


def _settle(page, chart: bool) -> None:
    import browserkit as bk

    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_timeout(300)
    page.wait_for_function(bk.IDLE)
    if chart:
        page.wait_for_function("() => !!document.querySelector('[data-testid=\"stMain\"] .js-plotly-plot')")
    page.wait_for_timeout(300)
    page.wait_for_function(bk.IDLE)


def _nothing_ran(page) -> None:
    """No dialog, no payload executed, no element our names could have smuggled in."""
    import browserkit as bk

    assert page.dialogs == []
    assert page.evaluate(f"() => typeof {PWNED}") == "undefined"
    assert page.locator('img[src="x"]').count() == 0
    assert page.locator('a[href^="javascript:" i]').count() == 0
    assert page.evaluate("() => [...document.scripts].filter(s => s.textContent.includes('osca_pwned')).length") == 0
    assert page.evaluate("() => [...document.querySelectorAll('svg')].filter(s => s.getAttribute('onload')).length"
                         ) == 0
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("strong, b, em").filter(has_text=re.compile(r"^(bold|md|ds|it|b)$")).count() == 0
    assert page.locator(bk.EXCEPTION).count() == 0


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.parametrize("path", ["", "allocation", "questions", "experiments", "data"])
def test_hostile_names_are_shown_as_typed_and_no_script_runs(hostile_server, hostile_page, path):
    import browserkit as bk

    page = hostile_page
    extra = "&ex_splits=2&ex_c=3" if path == "experiments" else ""
    page.goto(f"{hostile_server['base']}/{path}?dataset={quote(DATASET, safe='')}{extra}")
    _settle(page, chart=path != "data")
    _nothing_ran(page)
    side = page.locator('[data-testid="stSidebar"]')
    assert side.get_by_role("combobox", name="Dataset").input_value() == DATASET  # shown as typed
    if path == "questions":  # heatmap: every tick drawn is an id or a configuration exactly as typed
        ticks = page.evaluate("() => [...document.querySelector('[data-testid=\"stMain\"] .js-plotly-plot')"
                              ".querySelectorAll('.xtick text, .ytick text')].map(t => t.textContent)"
                              ".filter(t => isNaN(Number(t.replace('\u2212', '-'))))")  # not the colour scale
        assert set(ticks) <= {*QUESTIONS, *CONFIGS} and set(CONFIGS) <= set(ticks), ticks
        assert len(set(ticks) & set(QUESTIONS)) >= len(QUESTIONS) // 2, ticks  # plotly may thin the row labels
    if path == "data":
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Dataset to remove").first.click()
        # the upload-name test above leaves many datasets, and the dropdown renders only the options in view:
        # filter by typing the name's start, as a user would
        page.keyboard.type(DATASET[:10])
        from playwright.sync_api import expect  # waits for the dropdown to open (a busy machine is slow)

        expect(page.get_by_role("option", name=DATASET, exact=True)).to_have_count(1, timeout=30_000)
        page.keyboard.press("Escape")
    if path == "":  # the chart's title carries the dataset name, as typed
        assert f"{DATASET}: test pass@C" in page.evaluate(bk.CHART_TITLE)
    _nothing_ran(page)


@pytest.mark.slow
@pytest.mark.browser
def test_markdown_text_shows_a_name_with_a_double_hyphen_as_typed(hostile_server, hostile_page):
    """Streamlit's Markdown turns a standalone --, ->, <-, >=, <= or ~= into a symbol (its own remark plugin, after
    escapes); views.md_escape puts an invisible U+2060 word joiner between the two characters, so the reader sees
    what was typed (the joiner is the only character added)."""
    page = hostile_page
    # budgets to the smallest n (3): best pure is the configuration whose name holds the "--"
    page.goto(f"{hostile_server['base']}/?dataset={quote(DATASET, safe='')}&budget=1&budget=3")
    _settle(page, chart=True)
    headline = page.locator('[data-testid="stMain"]').get_by_text(re.compile(r"^baseline: best pure at C = ")).first
    headline = headline.inner_text()
    assert "\u2014" not in headline  # no em dash
    assert f"({CONFIGS[2]}, test pass " in headline.replace("\u2060", ""), headline



SYMBOL_TEXTS = ["a -> b", "x <= y", "p -- q", "m >= n", "u <- v", "w <-> z", "k ~= j", "--",
                f"best pure: {CONFIGS[2]} at C = 3"]


@pytest.mark.slow
@pytest.mark.browser
def test_streamlit_markdown_shows_every_symbol_token_as_typed(tmp_path, hostile_page):
    """Each token Streamlit's Markdown would turn into an arrow, dash or comparison sign, through views.md_escape
    into st.markdown and st.caption in a real Streamlit and Chromium: the text shown is the text typed (plus the
    invisible word joiner), no symbol appears. (It opens a tab in the module's browser: a second sync Playwright
    in the same thread would find the first one's event loop running.)"""
    import browserkit as bk

    script = tmp_path / "symbols.py"
    script.write_text("import streamlit as st\nfrom osca_core.present.views import md_escape\n"
                      f"for s in {SYMBOL_TEXTS!r}:\n    st.markdown(md_escape(s))\n")
    with bk.streamlit_server(tmp_path / "home", cwd=tmp_path, script=script,
                             env={"PYTHONPATH": str(REPO)}) as server:
        page = hostile_page.context.new_page()
        try:
            page.goto(server["base"])
            page.wait_for_function(f"() => document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')"
                                   f".length >= {len(SYMBOL_TEXTS)}")
            shown = page.locator('[data-testid="stMarkdownContainer"]').all_inner_texts()
        finally:
            page.close()
    assert [t.replace("\u2060", "") for t in shown] == SYMBOL_TEXTS
    assert not set("\u2192\u2190\u2194\u2014\u2265\u2264\u2248") & set("".join(shown))


@pytest.mark.slow
@pytest.mark.browser
def test_an_upload_above_the_stated_limit_is_refused(hostile_server, hostile_page, tmp_path):
    import browserkit as bk

    page = hostile_page
    page.goto(f"{hostile_server['base']}/data")
    _settle(page, chart=False)
    main = page.locator('[data-testid="stMain"]')
    limit = int(re.search(r"Up to (\d+) MB per file", main.inner_text())[1])
    with Store.open(hostile_server["home"], read_only=True) as s:
        before = [(d.name, d.checksum) for d in s.list_datasets()]
    big = tmp_path / "too-big.csv"
    with big.open("wb") as f:  # sparse: one byte over the limit costs no disk and is never read by the page
        f.write(b"question_id,config,correct\n")
        f.truncate(limit * 1024 * 1024 + 1)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(big))
    uploader = main.locator('[data-testid="stFileUploader"]')
    uploader.get_by_text(f"File must be {limit}.0MB or smaller.").wait_for()  # refused before a byte is sent
    assert uploader.locator('[data-testid="stFileChipIconError"]').count() == 1
    page.wait_for_function(bk.IDLE)
    assert page.get_by_role("button", name="Import", exact=True).is_disabled()
    with Store.open(hostile_server["home"], read_only=True) as s:
        assert [(d.name, d.checksum) for d in s.list_datasets()] == before
    _nothing_ran(page)
