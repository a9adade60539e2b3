"""Files a browser asks for at fixed paths: the icon (no 404 on every page), the web app manifest and
the business's logo (public: emails, the share page and link pages show it)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, send_from_directory

from app.services import brand

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


@bp.get("/brand/logo.png")
def brand_logo() -> Response:
    """The brand's logo: always the PNG we re-encoded (never an upload's bytes, never SVG), with a
    CSP that forbids everything should a browser open it as a document. Cached for a year when the
    request names the current version (``?v=``, changed by every upload)."""
    data = brand.logo_png()
    if data is None:
        abort(404)
    resp = Response(data, mimetype="image/png")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    if request.args.get("v") == brand.current().logo_version:
        resp.cache_control.public = True
        resp.cache_control.max_age = 31536000
        resp.cache_control.immutable = True
    else:
        resp.cache_control.no_cache = True
    return resp
