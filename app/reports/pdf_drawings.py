"""Each chart's SVG converted to a ReportLab drawing once per process, not once per use (issue 17's speed line).

xhtml2pdf hands an ``<img>`` of SVG to svglib's ``svg2rlg`` each time it needs the drawing: once when
the tag is parsed (for its size), then again each time the page is drawn, and "Page n of N" makes it lay
the document out twice. A programme report's chart (about 950 shapes from pygal) took ~1.2 s per
conversion on the shared 2-core box, three times per render: half the render. Here the conversion is
memoised per (SVG bytes' SHA-256, options) in a small per-process LRU; each call gets a shallow copy of
the cached drawing, because xhtml2pdf sizes the drawing it receives with ``Drawing.scale`` (which
replaces the copy's ``transform`` and leaves the shared shapes alone; nothing downstream mutates them).
The PDF is the same vector drawing as before: only the repeated parsing is gone.

Not kept in Redis: a drawing is a tree of Python objects that would need pickle to cross processes, and
nothing read back from Redis is unpickled. A worker process renders many reports, so charts whose data
did not change since the last render (the same SVG) are converted once per worker.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

#: drawings kept per process (a programme chart is about 950 shapes; old ones are dropped first)
MAX_DRAWINGS = 16

_lock = threading.Lock()
_drawings: OrderedDict[tuple[str, tuple[tuple[str, Any], ...]], Any] = OrderedDict()
_installed = False
#: pygal's tooltip texts: escaped text only, never nested elements
_DESC = re.compile(r"<desc\b[^>]*>[^<]*</desc>|<desc\b[^>]*/>")
#: pygal gives every rendering a random ``chart-<uuid>`` id (and scopes its CSS by it)
_CHART_ID = re.compile(r"chart-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def print_svg(svg: str) -> str:
    """``svg`` as the PDF needs it: pygal's random chart id replaced by a fixed one, so the same chart
    drawn again (a programme chart is rebuilt per report: its range is not cached) is the same bytes and
    hits the cache (each chart is its own SVG document inside the PDF, so the id needs no uniqueness
    there); and without pygal's ``<desc>`` tooltip texts (about 1,000 on a programme chart), which SVG
    never draws but which svglib still walks: half its conversion time. What is drawn is unchanged
    (tests/reports/test_pdf_drawings.py compares the printed pages pixel for pixel)."""
    found = _CHART_ID.search(svg)
    if found is not None:
        svg = svg.replace(found[1], "print")
    return _DESC.sub("", svg)


def cached_svg2rlg(convert: Callable[..., Any]) -> Callable[..., Any]:
    """``convert`` (svglib's ``svg2rlg``) memoised per SVG content; takes a path or a binary file."""

    def svg2rlg(source: Any, **kwargs: Any) -> Any:
        if not hasattr(source, "read"):  # a path: not what xhtml2pdf passes, left to svglib as it was
            return convert(source, **kwargs)
        data = source.read()
        key = (hashlib.sha256(data).hexdigest(), tuple(sorted(kwargs.items())))
        with _lock:
            drawing = _drawings.get(key)
            if drawing is not None:
                _drawings.move_to_end(key)
        if drawing is None:
            drawing = convert(io.BytesIO(data), **kwargs)
            if drawing is None:
                return None
            with _lock:
                _drawings[key] = drawing
                while len(_drawings) > MAX_DRAWINGS:
                    _drawings.popitem(last=False)
        return copy.copy(drawing)

    return svg2rlg


def install() -> None:
    """Route xhtml2pdf's SVG conversion through the cache (once per process; no-op without svglib)."""
    global _installed
    if _installed:
        return
    from xhtml2pdf import xhtml2pdf_reportlab

    convert = getattr(xhtml2pdf_reportlab, "svg2rlg", None)
    if convert is not None:
        xhtml2pdf_reportlab.svg2rlg = cached_svg2rlg(convert)
    _installed = True


def clear() -> None:
    """Forget every cached drawing (tests)."""
    with _lock:
        _drawings.clear()
