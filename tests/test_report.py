"""The report renderer (osca_core.present.report): one self-contained HTML document — plotly.js embedded exactly once,
no external resource (no src/href to http(s) except the dashboard link, no web fonts, no CSS imports), every
text HTML-escaped so hostile names (``<script>``, ``--``, ``->``, ``<=``) are shown as typed, figure JSON safe
inside its ``<script>`` element."""

from __future__ import annotations

import html as htmllib
import json
import re

import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as hs
from plotly.offline import get_plotlyjs

from osca_core.present import report

HOSTILE = ("<script>alert(1)</script>", "a--b", "x->y", "<=", "</script><!--", "\"quoted' & <b>bold</b>",
           "\u2028line")
DASHBOARD = "http://localhost:8501/?dataset=%3Cx%3E&budget=1&budget=16"


def hostile_report(figures: int = 2) -> report.Report:
    figs = tuple(go.Figure(go.Scatter(x=[1, 2], y=[0.1, 0.2], name=name, meta=name, hovertext=[name, name]))
                 for name in HOSTILE[:figures])
    table = report.Table(("name", "value", "flag", "none"), tuple((n, 0.123456789, True, None) for n in HOSTILE))
    sec = report.Section(HOSTILE[0], tuple(HOSTILE), figs, (table, report.Table(("c",), ((HOSTILE[1],),),
                                                                               caption=HOSTILE[2], collapsed=True)),
                         headline=HOSTILE[3])
    return report.Report(HOSTILE[0], HOSTILE[1], (sec,), tuple((n, n) for n in HOSTILE), DASHBOARD, (HOSTILE[2],))


def outside_bundle(doc: str) -> str:
    """The document without the embedded plotly.js (whose code mentions URLs it never loads here)."""
    js = get_plotlyjs()
    assert doc.count(js) == 1
    return doc.replace(js, "")


def test_plotlyjs_is_embedded_exactly_once_and_nothing_is_loaded_from_elsewhere():
    doc = report.render(hostile_report(figures=3))
    rest = outside_bundle(doc)
    assert rest.count("<script>") == 1 + 3  # the bundle's element and one per figure
    assert not re.search(r"<script[^>]*\bsrc\s*=", doc)
    assert "<link" not in rest and "@import" not in rest and "url(" not in rest and "@font-face" not in rest
    refs = re.findall(r"""(?:src|href)\s*=\s*["']?([^"' >]+)""", rest)
    assert refs == [htmllib.escape(DASHBOARD)]  # the one link: back to the dashboard
    assert len(doc) - len(get_plotlyjs()) < 60_000  # the page around the bundle is small


def test_hostile_names_are_escaped_everywhere_and_shown_as_typed():
    doc = report.render(hostile_report())
    rest = outside_bundle(doc)
    assert "<script>alert(1)" not in rest and "<b>bold</b>" not in rest
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rest
    assert f"<title>{htmllib.escape(HOSTILE[0])}</title>" in rest
    assert "<td>a--b</td>" in rest and "<td>x-&gt;y</td>" in rest and "<td>&lt;=</td>" in rest
    assert "\u2014" not in rest and "\u2192" not in rest and "\u2264" not in rest  # no em dash, arrow, <= sign
    assert "<!--" not in rest  # the hostile "<!--" became text (and \\u003c inside the figure JSON)
    assert f'<p class="headline">{htmllib.escape(HOSTILE[3])}</p>' in rest


def test_table_cells_format_numbers_none_and_flags_and_collapse_in_details():
    t = report.Table(("a", "b", "c", "d"), ((0.123456789, 7, None, False),), digits=3, caption="cap")
    doc = report.render(report.Report("t", "s", (report.Section("h", tables=(t,)),)))
    assert '<td class="num">0.123</td><td class="num">7</td><td>-</td><td>False</td>' in doc
    assert "<caption>cap</caption>" in doc
    folded = report.Table(("a",), ((1,), (2,)), caption="all rows", collapsed=True)
    doc = report.render(report.Report("t", "s", (report.Section("h", tables=(folded,)),)))
    assert "<details><summary>all rows (2 rows)</summary><table><thead>" in doc


def test_every_figure_is_one_div_and_one_newplot_with_its_data():
    doc = report.render(hostile_report(figures=2))
    for i in range(2):
        assert doc.count(f'<div class="fig" id="fig{i}"></div>') == 1
        assert doc.count(f'Plotly.newPlot("fig{i}"') == 1
    spec = re.search(r'var s=(\{.*?\});Plotly.newPlot\("fig0"', doc).group(1)
    assert json.loads(spec)["data"][0]["name"] == HOSTILE[0]  # the JSON parses back to the name as typed


@given(hs.text())
def test_script_json_parses_back_identically_and_cannot_close_or_comment_the_script(text):
    raw = json.dumps({"name": text, "list": [text, "</script>", "<!--"]})
    safe = report.script_json(raw)
    assert json.loads(safe) == json.loads(raw)
    assert "<" not in safe and ">" not in safe and "\u2028" not in safe and "\u2029" not in safe


def test_table_from_rows_takes_columns_in_order_and_missing_keys_as_none():
    t = report.table_from_rows([{"b": 2, "a": 1}, {"a": 3}], ["a", "b"], digits=2)
    assert t.columns == ("a", "b") and t.rows == ((1, 2), (3, None)) and t.digits == 2


@pytest.mark.parametrize("url", [None, DASHBOARD])
def test_dashboard_link_only_when_given(url):
    doc = outside_bundle(report.render(report.Report("t", "s", (), dashboard_url=url)))
    assert ("Open this view in the dashboard" in doc) == (url is not None)
