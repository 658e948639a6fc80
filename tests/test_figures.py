"""Figures for papers and slides (osca_core.present.figures): valid PNG/SVG/PDF files of the asked size from kaleido in
the system Chromium, and a ``paper`` template that is vector, serif and greyscale-distinguishable."""

from __future__ import annotations

import re
import struct

import plotly.graph_objects as go
import pytest

from osca_core.errors import InputError
from osca_core.present import figures


def _fig(n: int = 4) -> go.Figure:
    fig = go.Figure([go.Scatter(x=[1, 2, 4, 8], y=[0.1 * i, 0.2 + 0.1 * i, 0.3, 0.5], name=f"s{i}",
                                mode="lines+markers", line=dict(color="#0072B2")) for i in range(n)])
    fig.add_trace(go.Scatter(x=[1, 8, 8, 1], y=[0, 0, 0.1, 0.1], fill="toself", name="band"))
    return fig


def test_paper_template_gives_every_line_its_own_dash_and_symbol_in_grey_serif():
    out = figures.styled(_fig(6), "paper")
    lines = [t for t in out.data if t.fill in (None, "none")]
    assert len({t.line.dash for t in lines}) == len(lines) == 6
    assert len({t.marker.symbol for t in lines}) == 6
    for t in lines:  # greyscale: r == g == b
        r, g, b = (int(t.line.color[i:i + 2], 16) for i in (1, 3, 5))
        assert r == g == b
    assert "serif" in out.layout.font.family
    band = [t for t in out.data if t.fill == "toself"][0]
    assert band.fillcolor.startswith("rgba(0,0,0")


def test_slides_template_enlarges_fonts_and_lines():
    out = figures.styled(_fig(), "slides")
    assert out.layout.font.size >= 20
    assert all(t.line.width >= 4 for t in out.data if t.fill in (None, "none"))


def test_styled_leaves_the_original_figure_untouched():
    fig = _fig()
    before = fig.to_json()
    figures.styled(fig, "paper")
    assert fig.to_json() == before


def test_bad_template_format_and_size_are_one_line():
    with pytest.raises(InputError, match="--template: unknown template 'poster'"):
        figures.styled(_fig(), "poster")
    with pytest.raises(InputError, match="--format: unknown format 'gif'"):
        figures.export(_fig(), "gif")
    with pytest.raises(InputError, match="--width"):
        figures.FigureSize(width=10)
    with pytest.raises(InputError, match="--scale"):
        figures.FigureSize(scale=9)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    return w, h


@pytest.mark.slow
@pytest.mark.browser
def test_png_svg_pdf_are_valid_files_of_the_asked_size():
    fig = figures.styled(_fig(), "paper")
    png = figures.export(fig, "png", figures.FigureSize(width=640, height=400, scale=2))
    assert _png_size(png) == (1280, 800)
    svg = figures.export(fig, "svg", figures.FigureSize(width=640, height=400)).decode()
    assert svg.lstrip().startswith("<svg")
    assert re.search(r'width="640"', svg) and re.search(r'height="400"', svg)
    assert len(set(re.findall(r"stroke-dasharray: ?([0-9.px, ]+)", svg))) >= 3  # distinct dash patterns drawn
    pdf = figures.export(fig, "pdf", figures.FigureSize(width=640, height=400))
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    box = re.search(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf)
    assert box and abs(float(box[1]) / float(box[2]) - 640 / 400) < 0.02
    assert b"/Image" not in pdf.split(b"stream")[0] or b"/Subtype /Image" not in pdf  # vector, not a bitmap
