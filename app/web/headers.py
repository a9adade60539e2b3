"""Security headers on every response (W3, W4), and per-request CSP nonces."""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_login import current_user

# Where the connect form's 303 may lead: CSP form-action also governs redirects after a POST.
PLATFORM_AUTHORIZE_ORIGINS = (
    "https://www.instagram.com",
    "https://www.tiktok.com",
    "https://accounts.google.com",
    "https://www.linkedin.com",
)


_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def csp_nonce() -> str:
    """A fresh nonce per request, for the few inline ``<style>`` blocks (e.g. SVG charts).

    An HTMX fragment is swapped into a page whose CSP (and nonce) was fixed when the page loaded, so a
    fragment must carry the *page's* nonce: analytics pages send it back as ``X-Page-Nonce`` (via
    ``hx-headers``) and fragments reuse it. It only ever affects the requester's own response.
    """
    if "csp_nonce" not in g:
        page = request.headers.get("X-Page-Nonce", "") if request.headers.get("HX-Request") else ""
        g.csp_nonce = page if _NONCE_RE.match(page) else secrets.token_urlsafe(16)
    return str(g.csp_nonce)


def _form_action_sources() -> str:
    sources = ["'self'", *PLATFORM_AUTHORIZE_ORIGINS]
    sandbox = current_app.config.get("PLATFORM_SANDBOX_URL")
    if sandbox:
        parts = urlsplit(sandbox)
        sources.append(f"{parts.scheme}://{parts.netloc}")
    return " ".join(sources)


def content_security_policy() -> str:
    nonce = csp_nonce()
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{nonce}'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            f"form-action {_form_action_sources()}",
        ]
    )


#: responses under these paths that set their own ``Cache-Control`` keep it (stored thumbnails: private,
#: long, revalidated by ETag; the brand's logo: public, versioned); every other authenticated response is ``no-store``
OWN_CACHE_POLICY = ("/portal/thumbs/", "/brand/")


def _set_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", content_security_policy())
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if current_app.config.get("APP_ENV") != "development":  # plain-http localhost must not pin HSTS
        h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if response.mimetype == "text/html" or request.headers.get("HX-Request"):
        response.vary.add("HX-Request")
    # ``or`` short-circuits: the live check (/live/) never loads the user, so it runs no database query
    live = request.path.startswith("/live/")
    own_policy = request.path.startswith(OWN_CACHE_POLICY) and "Cache-Control" in h
    if live or (
        not request.path.startswith("/static/")
        and not own_policy
        and (current_user.is_authenticated or request.headers.get("HX-Request"))
    ):
        h["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_set_headers)
