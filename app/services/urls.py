"""Absolute links for emails and jobs, built on ``PUBLIC_BASE_URL`` (never the request's Host header)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: object) -> str:
    """``https://portal.example.com/invite/...`` for ``endpoint``; works inside and outside requests."""
    parts = urlsplit(current_app.config["PUBLIC_BASE_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)
