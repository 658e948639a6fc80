"""``osca report`` and ``osca figure`` (osca_core.cli.report, osca_core.cli.figure): the report file and its JSON summary, the
command in its provenance reproduces it, bad input is one line and exit 2 with no file written, and the
figures are valid PNG / SVG / PDF files of the asked size (kaleido in the system Chromium)."""

from __future__ import annotations

import json
import re
import shlex
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from osca_core.cli import args as A
from osca_core.cli import main
from osca_core.present.report_content import budget_spec


def run(capsys, argv):
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_report_writes_one_html_file_and_says_what_it_wrote(capsys, tmp_path, bcb_path):
    out = tmp_path / "r.html"
    code, so, _ = run(capsys, ["report", "--file", str(bcb_path), "--out", str(out), "--budgets", "1-8,16",
                               "--bootstrap", "50", "--seed", "3", "--json"])
    assert code == 0
    d = json.loads(so)
    assert d["out"] == str(out) and d["bytes"] == out.stat().st_size and d["budgets"] == [1, 2, 3, 4, 5, 6, 7, 8, 16]
    assert d["bootstrap"] == 50 and d["seed"] == 3 and d["dataset"] == "bcb_results"
    assert "budget=1&budget=16" in d["dashboard_url"] and "seed=3" in d["dashboard_url"]
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary file left behind


def _body(path) -> str:
    return re.sub(r"<dt>generated \(UTC\)</dt><dd>[^<]*</dd>", "", path.read_text())


def test_the_command_in_the_provenance_reproduces_the_report(capsys, tmp_path, swe_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, ["report", "--file", str(swe_path), "--out", "first.html", "--bootstrap", "40",
                                "--seed", "5", "--strategies", "pure:gpt4o_0.8,uniform"])
    assert code == 0 and "in-sample" in err
    cmd = re.search(r"<dt>reproduce with</dt><dd>([^<]*)</dd>", (tmp_path / "first.html").read_text()).group(1)
    argv = shlex.split(cmd.replace("&amp;", "&").replace("&#x27;", "'"))
    assert argv[:2] == ["osca", "report"] and "--budgets" in argv and argv[argv.index("--budgets") + 1] == "1-16"
    argv[argv.index("--out") + 1] = "second.html"
    assert main(argv[1:]) == 0
    assert _body(tmp_path / "first.html").replace("first.html", "X") == _body(tmp_path / "second.html").replace(
        "second.html", "X")


@pytest.mark.parametrize("argv, message", [
    (["report", "--strategies", "osca,nope"], "--strategies: unknown strategy 'nope'"),
    (["report", "--strategies", "pure:nope"], "unknown configuration 'nope'"),
    (["report", "--out", "{tmp}/missing/r.html"], "folder {tmp}/missing does not exist"),
    (["report", "--out", "{tmp}"], "is a folder; give a file name"),
    (["report", "--out", "{tmp}/r.pdf"], "expected a .html or .htm file"),
    (["report", "--bootstrap", "-1"], "--bootstrap: must be >= 0"),
    (["report", "--bootstrap", "many"], "--bootstrap: expected a whole number"),
    (["report", "--bootstrap", "20000"], "--bootstrap: 20000 is above the limit of 10000"),
    (["report", "--budgets", "0-4"], "--budgets: budgets must be positive integers"),
    (["report", "--configs", "Qwen_0.2,nope"], "unknown configuration 'nope'"),
    (["figure", "curves", "--format", "gif", "--out", "{tmp}/f.gif"], "--format: unknown format 'gif'"),
    (["figure", "curves", "--out", "{tmp}/f.jpg"], "--format: not given and --out"),
    (["figure", "curves", "--out", "{tmp}/nowhere/f.png"], "folder {tmp}/nowhere does not exist"),
    (["figure", "curves", "--out", "{tmp}/f.png", "--template", "poster"], "--template: unknown template 'poster'"),
    (["figure", "curves", "--out", "{tmp}/f.png", "--width", "10"], "--width: must be at least 50"),
    (["figure", "curves", "--out", "{tmp}/f.png", "--scale", "9"], "--scale: must be a number from 0.1 to 4"),
    (["figure", "pie", "--out", "{tmp}/f.png"], "invalid choice: 'pie'"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(capsys, tmp_path, bcb_path, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    if not any(a.startswith("--out") for a in argv):
        argv += ["--out", str(tmp_path / "r.html")]
    code, so, err = run(capsys, [*argv[:2 if argv[0] == "figure" else 1], "--file", str(bcb_path),
                                 *argv[2 if argv[0] == "figure" else 1:]])
    assert code == 2 and so == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("osca: error: ") and "Traceback" not in err
    assert message.replace("{tmp}", str(tmp_path)) in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_missing_dataset_is_one_line(capsys, tmp_path, osca_home):
    code, _, err = run(capsys, ["report", "--dataset", "nope", "--out", str(tmp_path / "r.html")])
    assert code == 2 and len(err.strip().splitlines()) == 1 and "nope" in err


@given(hs.sets(hs.integers(1, 300), min_size=1, max_size=40))
def test_budget_spec_is_the_inverse_of_parse_budgets(budgets):
    spec = budget_spec(budgets)
    assert A.parse_budgets(spec) == sorted(budgets)
    assert len(spec) <= len(",".join(map(str, sorted(budgets))))


def test_budget_spec_writes_runs_as_ranges():
    assert budget_spec([1, 2, 3, 4, 8, 9, 16, 17, 18]) == "1-4,8,9,16-18"


# -- figures (kaleido in the system Chromium) ----------------------------------------------------------------

def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
@pytest.mark.browser
def test_figures_are_valid_png_svg_pdf_of_the_asked_size(capsys, tmp_path, bcb_path, swe_path):
    base = ["--budgets", "1-8,16,32,64", "--bootstrap", "30"]
    png, svg, pdf = tmp_path / "c.png", tmp_path / "a.svg", tmp_path / "q.pdf"
    code, so, _ = run(capsys, ["figure", "curves", "--file", str(bcb_path), *base, "--out", str(png), "--width",
                               "640", "--height", "400", "--scale", "2", "--json"])
    assert code == 0 and json.loads(so)["bytes"] == png.stat().st_size
    assert _png_size(png.read_bytes()) == (1280, 800)
    code, _, _ = run(capsys, ["figure", "allocation", "--file", str(bcb_path), *base, "--out", str(svg),
                              "--template", "paper", "--width", "700", "--height", "450"])
    text = svg.read_text()
    assert code == 0 and text.lstrip().startswith("<svg")
    assert re.search(r'<svg[^>]*width="700"', text) and re.search(r'<svg[^>]*height="450"', text)
    assert "pattern" in text  # paper: hatch patterns tell the stacked areas apart in greyscale
    code, _, _ = run(capsys, ["figure", "questions", "--file", str(swe_path), "--out", str(pdf), "--bootstrap", "0",
                              "--template", "slides"])
    raw = pdf.read_bytes()
    assert code == 0 and raw.startswith(b"%PDF-") and raw.rstrip().endswith(b"%%EOF")
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", raw)
    assert box and abs(float(box[1]) / float(box[2]) - 1600 / 900) < 0.02  # slides default 1600 x 900


@pytest.mark.slow
@pytest.mark.browser
def test_paper_curves_svg_uses_distinct_dash_patterns_per_strategy(capsys, tmp_path, swe_path):
    svg = tmp_path / "c.svg"
    code, _, _ = run(capsys, ["figure", "curves", "--file", str(swe_path), "--out", str(svg), "--template", "paper",
                              "--bootstrap", "20", "--strategies", "best-pure,uniform,even,osca"])
    text = svg.read_text()
    assert code == 0 and "Times New Roman" in text
    dashes = set(re.findall(r"stroke-dasharray: ?([0-9.px, ]+)", text))
    assert len(dashes) >= 3  # best pure solid, then dash, dot, dash-dot: distinguishable in black and white
