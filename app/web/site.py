"""Files a browser asks for at fixed paths: the icon (no 404 on every page) and the web app manifest."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, send_from_directory

bp = Blueprint("site", __name__)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Browsers that ignore the page's ``<link rel="icon">`` still get the SVG icon."""
    response = send_from_directory(current_app.static_folder or "static", "favicon.svg", mimetype="image/svg+xml")
    response.cache_control.max_age = 86400
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    return send_from_directory(
        current_app.static_folder or "static", "manifest.webmanifest", mimetype="application/manifest+json"
    )
