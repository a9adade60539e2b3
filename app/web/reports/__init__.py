"""Reports: the job UI (start, status, view, PDF) for clients and staff, emailed links, share links."""

from __future__ import annotations

import base64
from typing import Any

from flask import Blueprint
from jinja2 import pass_context
from markupsafe import Markup, escape

from app.charts.builders import NONCE_PLACEHOLDER
from app.reports.pdf import pdf_text

bp = Blueprint("reports", __name__)


@bp.app_template_filter("pt")
@pass_context
def _pt(ctx: Any, value: Any) -> Markup:
    """Report text: escaped; in the PDF also routed to a font that has its characters."""
    return pdf_text(value) if ctx.get("pdf") else escape("" if value is None else value)


@bp.app_template_filter("svg_data_uri")
def _svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


@bp.app_template_filter("svg_markup")
def _svg_markup(svg: str) -> Markup:
    """A pygal chart stored in a report (serialised by pygal/lxml, so platform text is escaped)."""
    from app.web.headers import csp_nonce

    return Markup(svg.replace(NONCE_PLACEHOLDER, csp_nonce()))  # noqa: S704 - pygal-serialised SVG


from app.web.reports import routes  # noqa: E402,F401
