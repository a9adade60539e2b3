"""Reports: the job UI (start, status, view, PDF) for clients and staff, emailed links, share links.

The report filters (``pt``, ``svg_data_uri``, ``svg_markup``) are app-wide: ``app/web/templating.py``.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)

from app.web.reports import consent, routes  # noqa: E402,F401
