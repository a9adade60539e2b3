"""Errors answer in the caller's language: JSON for the API, a toast for HTMX, a page otherwise.

Never a stack trace, never internal detail: unexpected errors are logged with the request id, which
the page shows so a user can quote it.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from htmx_flask import make_response
from werkzeug.exceptions import HTTPException, InternalServerError

from app.errors import ServiceError
from app.web.access import is_api_request
from app.web.htmx import toast

log = logging.getLogger(__name__)

MESSAGES = {
    400: "The request could not be understood.",
    401: "Please log in.",
    403: "You do not have access to this page.",
    404: "We could not find that page.",
    405: "That action is not allowed here.",
    410: "This link is no longer valid.",
    413: "That upload is too large.",
    422: "Some of the input is not valid.",
    429: "Too many requests. Please wait a moment.",
    500: "Something went wrong on our side. It has been logged.",
    503: "A service we depend on is unavailable. Please try again shortly.",
}


def error_response(status: int, code: str, message: str) -> Response:
    """Build the error answer fitting the request (JSON / HTMX toast / HTML page)."""
    if is_api_request() or request.accept_mimetypes.best == "application/json":
        resp = jsonify(error={"code": code, "message": message})
        resp.status_code = status
        return resp
    if request.headers.get("HX-Request"):
        return make_response("", status, trigger=toast(message, "error"))
    html = render_template("errors/error.html", status=status, message=message, request_id=g.get("request_id"))
    return make_response(html, status)


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> Response:
        log.warning("csrf rejected", extra={"event": "csrf_rejected", "reason": exc.description})
        return error_response(
            400, "csrf_failed", "Your form expired or came from elsewhere. Reload the page and try again."
        )

    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        return error_response(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        if exc.response is not None:  # abort(response): already built (e.g. HX-Redirect)
            return exc.response
        status = exc.code or 500
        if status in (403,):
            log.warning("forbidden", extra={"event": "authz_denied"})
        message = MESSAGES.get(status, exc.description or "Error")
        resp = error_response(status, (exc.name or "error").lower().replace(" ", "_"), message)
        if status == 405 and exc.get_headers():
            for key, value in exc.get_headers():
                if key.lower() == "allow":
                    resp.headers["Allow"] = value
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return _http(exc)
        log.error("unhandled error", exc_info=exc, extra={"event": "unhandled_error"})
        return error_response(500, "internal_error", MESSAGES[500])

    app.register_error_handler(InternalServerError, lambda e: error_response(500, "internal_error", MESSAGES[500]))
