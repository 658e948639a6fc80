"""A self-contained HTML report: one file that opens offline and makes no network request.

:func:`render` turns a :class:`Report` (title, sections of text, tables and plotly figures, and a provenance
block) into one HTML document: plotly.js is embedded once (the copy shipped with the installed plotly, in a
``<script>`` element), every figure is a ``<div>`` drawn by ``Plotly.newPlot`` from its JSON, the CSS is
inline and uses the system font stack only (no web fonts), and every text is HTML-escaped, so names are shown
exactly as typed. The report links back to the dashboard view it came from when a URL is given.

The content (curves, allocation, savings, per-question summary) is assembled by
:mod:`osca_core.present.report_content`; this module lays it out, and says where it came from: :func:`command` (the ``osca`` command line that
reproduces it) and :func:`dashboard_url` (the same view in the dashboard, query parameters of
docs/dashboard.md).
"""

from __future__ import annotations

import html
import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlencode

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from osca_core import checks
from osca_core.errors import InputError
from osca_core.model.budgets import check_budgets
from osca_core.present import views
from osca_core.strategies import registry

DASHBOARD = "http://localhost:8501"  # streamlit run app.py

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;margin:0;
color:#1b1b1b;background:#fff;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:24px 32px 64px}
h1{font-size:1.7rem;margin:.2em 0 .1em}h2{font-size:1.25rem;margin:1.8em 0 .4em;border-bottom:1px solid #ddd}
.sub{color:#555;margin:0 0 1em}.headline{font-size:1.15rem;background:#f3f7fb;border-left:4px solid #0072B2;
padding:.6em .9em;margin:1em 0}.note{color:#555;font-size:.92rem}
table{border-collapse:collapse;font-size:.9rem;margin:.5em 0}th,td{border:1px solid #ddd;padding:3px 8px;
text-align:left;vertical-align:top}th{background:#f6f6f6}td.num{text-align:right;font-variant-numeric:tabular-nums}
.fig{width:100%;min-height:460px}caption{text-align:left;color:#555;padding:2px 0}
details{margin:.5em 0}summary{cursor:pointer;color:#0b5394}
dl.prov{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px}dl.prov dt{color:#555}
dl.prov dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
@media (prefers-color-scheme: dark){body{background:#111;color:#eee}th{background:#222}
th,td{border-color:#444}
.headline{background:#1a2430}}
"""


@dataclass(frozen=True)
class Table:
    """A table: column names and rows of plain values (numbers right-aligned, floats to ``digits``)."""

    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    digits: int = 4
    caption: str | None = None
    collapsed: bool = False  # drawn closed in a <details> element (opened by a click; printed closed)


@dataclass(frozen=True)
class Section:
    """One section: a heading, paragraphs of text, then figures and tables in order."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    figures: tuple[go.Figure, ...] = ()
    tables: tuple[Table, ...] = ()
    headline: str | None = None


@dataclass(frozen=True)
class Report:
    """What a report holds; ``provenance`` is (label, value) pairs shown verbatim."""

    title: str
    subtitle: str
    sections: tuple[Section, ...]
    provenance: tuple[tuple[str, str], ...] = ()
    dashboard_url: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def _web_address(url: str | None) -> bool:
    """Only an http(s) address becomes a link (:func:`osca_core.checks.http_url`); anything else is left out."""
    try:
        return url is not None and bool(checks.http_url(url, "dashboard URL"))
    except InputError:
        return False


def _e(x: object) -> str:
    return html.escape(str(x), quote=True)


def _cell(v: object, digits: int) -> str:
    if isinstance(v, bool) or v is None:
        return f"<td>{'-' if v is None else _e(v)}</td>"
    if isinstance(v, float):
        return f'<td class="num">{v:.{digits}f}</td>'
    if isinstance(v, int):
        return f'<td class="num">{v}</td>'
    return f"<td>{_e(v)}</td>"


def _table(t: Table) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in t.columns)
    body = "".join("<tr>" + "".join(_cell(v, t.digits) for v in row) + "</tr>" for row in t.rows)
    cap = f"<caption>{_e(t.caption)}</caption>" if t.caption and not t.collapsed else ""
    table = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if t.collapsed:
        return f"<details><summary>{_e(t.caption or 'table')} ({len(t.rows)} rows)</summary>{table}</details>"
    return table


def script_json(text: str) -> str:
    """JSON made safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` (which occur only inside JSON
    strings) become ``\\u003c``, ``\\u003e``, ``\\u0026``, so no ``</script>`` or ``<!--`` can end or confuse
    the element, and the parsed value is identical; U+2028/U+2029 are escaped as well (line terminators in
    older JS)."""
    for ch, rep in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, rep)
    return text


def _figure(fig: go.Figure, idx: int) -> str:
    spec = script_json(pio.to_json(fig, validate=False, remove_uids=True))
    conf = json.dumps({"displaylogo": False, "responsive": True})
    return (f'<div class="fig" id="fig{idx}"></div><script>(function(){{var s={spec};'
            f'Plotly.newPlot("fig{idx}",s.data,s.layout,{conf});}})();</script>')


def render(report: Report) -> str:
    """The whole report as one HTML document (see the module docstring for what "self-contained" means)."""
    parts: list[str] = []
    n = 0
    for sec in report.sections:
        parts.append(f"<section><h2>{_e(sec.heading)}</h2>")
        if sec.headline:
            parts.append(f'<p class="headline">{_e(sec.headline)}</p>')
        parts.extend(f"<p>{_e(p)}</p>" for p in sec.paragraphs)
        for fig in sec.figures:
            parts.append(_figure(fig, n))
            n += 1
        parts.extend(_table(t) for t in sec.tables)
        parts.append("</section>")
    prov = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in report.provenance)
    link = (f'<p class="note">Open this view in the dashboard: <a href="{_e(report.dashboard_url)}">'
            f"{_e(report.dashboard_url)}</a></p>") if _web_address(report.dashboard_url) else ""
    notes = "".join(f'<p class="note">{_e(x)}</p>' for x in report.notes)
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{_e(report.title)}</title><style>{_CSS}</style>"
            f"<script>{get_plotlyjs()}</script></head><body><main>"
            f"<h1>{_e(report.title)}</h1><p class=\"sub\">{_e(report.subtitle)}</p>{notes}"
            + "".join(parts)
            + f"<section><h2>Provenance</h2><dl class=\"prov\">{prov}</dl>{link}</section>"
            "</main></body></html>")


def table_from_rows(rows: Sequence[dict], columns: Sequence[str], *, digits: int = 4) -> Table:
    """A :class:`Table` from row dicts (the ``rows()`` / ``as_dict()`` forms of the result dataclasses)."""
    return Table(tuple(columns), tuple(tuple(r.get(c) for c in columns) for r in rows), digits)


# -- where a report came from: the command that reproduces it, the dashboard view it shows ---------------------

def budget_spec(budgets: Sequence[int]) -> str:
    """The canonical SPEC of sorted distinct budgets (the inverse of ``cli.args.parse_budgets``): runs of three or
    more consecutive budgets as ``lo-hi``, the rest one by one, e.g. ``1-16,18,20``."""
    bs = sorted(set(int(b) for b in budgets))
    parts, i = [], 0
    while i < len(bs):
        j = i
        while j + 1 < len(bs) and bs[j + 1] == bs[j] + 1:
            j += 1
        parts += [f"{bs[i]}-{bs[j]}"] if j - i >= 2 else [str(b) for b in bs[i:j + 1]]
        i = j + 1
    return ",".join(parts)


def command(name: str = "report", *, file: str | None = None, dataset: str | None = None, budgets: Sequence[int],
            strategies: str | Sequence[str] | None = None, configs: str | Sequence[str] | None = None,
            n_resamples: int = 1000, seed: int = 0, out: str = "report.html", kind: str | None = None,
            extra: Sequence[str] = ()) -> str:
    """The ``osca report`` / ``osca figure KIND`` command line that reproduces an output, every analysis option
    spelled out (budgets as a SPEC), shell-quoted; lists may be given as sequences or comma-joined text."""
    def join(x: str | Sequence[str]) -> str:
        return x if isinstance(x, str) else ",".join(x)

    cmd = ["osca", name, *([kind] if kind else [])]
    cmd += ["--file", str(file)] if file is not None else ["--dataset", str(dataset)]
    cmd += ["--budgets", budget_spec(budgets)]
    if strategies is not None:
        cmd += ["--strategies", join(strategies)]
    if configs is not None:
        cmd += ["--configs", join(configs)]
    cmd += ["--bootstrap", str(int(n_resamples)), "--seed", str(int(seed)), *extra, "--out", str(out)]
    return shlex.join(cmd)


def dashboard_url(base: str, dataset: str, budgets: Sequence[int], *, seed: int = 0, log2: bool | None = None,
                  strategies: Sequence[str] = (), configs: Sequence[str] | None = None, page: str = "",
                  pures: bool | None = None) -> str:
    """The dashboard's URL of the same view (query parameters of docs/dashboard.md): ``dataset``,
    ``budget`` twice (the range min..max), ``log2``, ``seed``, ``strategies`` (the dashboard's, repeated),
    ``pures`` (the view's own switch when given, else whether any ``pure:`` was asked) and ``configs`` (repeated)
    when a subset was analysed; ``page`` e.g. ``allocation``. ``base`` must be an http(s) address
    (:func:`osca_core.checks.http_url`)."""
    base = checks.http_url(base, "--dashboard")
    b = check_budgets(budgets)
    lo, hi = min(b), max(b)
    q: list[tuple[str, str]] = [("dataset", dataset), ("budget", str(lo)), ("budget", str(hi))]
    q.append(("log2", "true" if (views.log_axis_default(hi) if log2 is None else log2) else "false"))
    q.append(("seed", str(int(seed))))
    offered = set(registry.names(dashboard=True))
    q += [("strategies", s) for s in strategies if s in offered]
    if pures is not None:
        q.append(("pures", "true" if pures else "false"))
    elif strategies:
        q.append(("pures", "true" if any(s.startswith(registry.PURE_PREFIX) for s in strategies) else "false"))
    q += [("configs", c) for c in configs or ()]
    return f"{base.rstrip('/')}/{page.strip('/')}?{urlencode(q)}"
