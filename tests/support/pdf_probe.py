"""An RQ job for tests/reports/test_pdf_warm.py: renders a report PDF in whatever worker process runs it and
says what that render had to load (TrueType files parsed, report templates compiled) and what the
process's warm-up was. Counted by wrapping ReportLab's font-file parser for the render only."""

from __future__ import annotations

import os
from typing import Any

from flask import current_app


def render_and_count(payload: dict[str, Any]) -> dict[str, Any]:
    from reportlab.pdfbase import ttfonts

    from app.reports import service, warm

    env = current_app.jinja_env
    compiled = env.cache is not None and any(key[1] == "reports/pdf.html" for key in env.cache)
    parsed: list[str] = []
    original = ttfonts.TTFontFile.__init__

    def counting(self: Any, file: Any, *args: Any, **kwargs: Any) -> None:
        parsed.append(str(getattr(file, "name", file)))
        original(self, file, *args, **kwargs)

    ttfonts.TTFontFile.__init__ = counting  # type: ignore[method-assign]
    try:
        pdf = service.render_report_pdf(payload)
    finally:
        ttfonts.TTFontFile.__init__ = original  # type: ignore[method-assign]
    return {
        "pid": os.getpid(),
        "warm": warm.state().as_json(),
        "fonts_parsed": parsed,
        "template_was_compiled": compiled,
        "is_pdf": pdf.startswith(b"%PDF"),
    }
