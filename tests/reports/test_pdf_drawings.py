"""A chart's SVG is converted to a drawing once per process (``app/reports/pdf_drawings``), without
pygal's tooltip texts, and the PDF printed from the cached drawing is pixel for pixel the one svglib's
own conversion of the untouched SVG gave."""

from __future__ import annotations

import base64
import shutil

import pytest
from PIL import ImageChops
from xhtml2pdf import xhtml2pdf_reportlab

from app.reports import build, pdf_drawings, service
from tests.reports.test_contents import COMMENT, TODAY
from tests.reports.test_print import pngs
from tests.reports.test_reports import _text

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing")


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count svglib's real conversions behind the cache (the cache stays installed in front of them)."""
    pdf_drawings.install()
    from svglib.svglib import svg2rlg

    calls: list[int] = []

    def convert(source, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return svg2rlg(source, **kwargs)

    monkeypatch.setattr(xhtml2pdf_reportlab, "svg2rlg", pdf_drawings.cached_svg2rlg(convert))
    pdf_drawings.clear()
    return calls


def test_the_programme_chart_is_converted_once_across_layout_passes_and_renders(app, program, monkeypatch):
    calls = _counting(monkeypatch)
    first = service.render_report_pdf(build.program(program, TODAY, COMMENT))
    assert len(calls) == 1  # parsed, then drawn on both passes of "Page n of N": one conversion
    second = service.render_report_pdf(build.program(program, TODAY, COMMENT))  # a new pygal id if rebuilt
    assert len(calls) == 1
    assert first.startswith(b"%PDF")
    assert second.startswith(b"%PDF")


def test_the_cached_drawing_prints_exactly_as_svglib_draws_the_untouched_svg(app, program, monkeypatch, tmp_path):
    from svglib.svglib import svg2rlg

    payload = build.program(program, TODAY, COMMENT)
    pdf_drawings.install()
    pdf_drawings.clear()
    cached = [service.render_report_pdf(payload) for _ in range(2)]  # the second from the cache
    monkeypatch.setattr(xhtml2pdf_reportlab, "svg2rlg", svg2rlg)  # svglib straight, as before the cache
    monkeypatch.setitem(  # and the chart's SVG as pygal wrote it (random id, tooltips)
        app.jinja_env.filters,
        "svg_data_uri",
        lambda svg: "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
    )
    plain = service.render_report_pdf(payload)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "c").mkdir()
    want = pngs(plain, tmp_path / "a", dpi=100)
    for got, sub in zip(cached, ("b", "c"), strict=True):
        assert _text(got) == _text(plain)
        pages = pngs(got, tmp_path / sub, dpi=100)
        assert len(pages) == len(want) == 2
        for a, b in zip(pages, want, strict=True):
            assert ImageChops.difference(a, b).getbbox() is None


def test_print_svg_fixes_pygals_random_id_and_drops_its_tooltips():
    from app.charts.pygal_setup import pygal

    def svg() -> str:
        chart = pygal.Line(js=[], disable_xml_declaration=True)
        chart.add("a", [1, 2, 3])
        return str(chart.render(is_unicode=True))

    one, two = svg(), svg()
    assert one != two
    assert "<desc" in one
    assert pdf_drawings.print_svg(one) == pdf_drawings.print_svg(two)
    assert 'id="chart-print"' in pdf_drawings.print_svg(one)
    assert "<desc" not in pdf_drawings.print_svg(one)
    assert "<text" in pdf_drawings.print_svg(one)
    assert pdf_drawings.print_svg("<svg/>") == "<svg/>"
