"""The YouTube blueprint and Google's error formats, including injected faults.

``bp`` (``sandbox_youtube``) carries every Google and YouTube route. It lives here, next to
:class:`GoogleError`, because Flask error handlers are per blueprint: a route answers ``GoogleError`` with
Google's envelope (``{"error": {"code", "message", "errors": [{"message", "domain", "reason",
"location", "locationType"}], "status"}}``) only when it sits on the blueprint that registered the
handler. Also here: the 404 answer for unknown Google paths (an HTML page on the OAuth hosts, the JSON
envelope on the API hosts), the quota and auth errors more than one module raises, and
``fault_response``, which renders a fault injected through the control API as Google would answer it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from ..common import error_page, json_response

bp = Blueprint("sandbox_youtube", __name__)


INVALID_CREDENTIALS = (
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
    "or other valid authentication credential. See "
    "https://developers.google.com/identity/sign-in/web/devconsole-project."
)


class GoogleError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        reason: str,
        domain: str = "global",
        location: str | None = None,
        location_type: str = "parameter",
        status_text: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.reason, self.domain = status, message, reason, domain
        self.location, self.location_type, self.status_text, self.headers = (
            location,
            location_type,
            status_text,
            headers,
        )


def google_error_body(err: GoogleError) -> dict[str, Any]:
    item: dict[str, Any] = {"message": err.message, "domain": err.domain, "reason": err.reason}
    if err.location:
        item["location"] = err.location
        item["locationType"] = err.location_type
    body: dict[str, Any] = {"code": err.status, "message": err.message, "errors": [item]}
    if err.status_text:
        body["status"] = err.status_text
    return {"error": body}


@bp.errorhandler(GoogleError)
def _google_error(err: GoogleError) -> Response:
    return json_response(google_error_body(err), err.status, err.headers)


def not_found_page(status: int) -> Response:
    path = request.path
    if path.startswith(("/accounts.google.com/", "/oauth2.googleapis.com/")):
        return error_page(f"Error {status}", "That's an error. The requested URL was not found on this server.", status)
    err = GoogleError(404, "Method not found.", "notFound", status_text="NOT_FOUND")
    return json_response(google_error_body(err), 404)


def quota_error(bucket: str) -> GoogleError:
    return GoogleError(
        403,
        "The request cannot be completed because you have exceeded your quota.",
        "quotaExceeded",
        "youtube.quota",
    )


def auth_error() -> GoogleError:
    return GoogleError(
        401,
        INVALID_CREDENTIALS,
        "authError",
        location="Authorization",
        location_type="header",
        status_text="UNAUTHENTICATED",
    )


def fault_response(fault: dict[str, Any], path: str) -> Response:
    kind = fault["kind"]
    headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else None
    if kind == "malformed":
        return Response(
            '{"kind": "youtube#channelListResponse", "items": [{"id": "UC',
            status=200,
            mimetype="application/json",
        )
    if path.startswith(("/oauth2.googleapis.com/", "/accounts.google.com/")):
        table = {
            "token_expired": (400, "invalid_grant", "Token has been expired or revoked."),
            "token_revoked": (400, "invalid_grant", "Token has been expired or revoked."),
            "server_error": (500, "internal_failure", "Backend Error"),
            "rate_limited": (429, "rate_limit_exceeded", "Rate limit exceeded"),
            "quota_exceeded": (429, "rate_limit_exceeded", "Rate limit exceeded"),
        }
        status, error, desc = table[kind]
        return json_response({"error": error, "error_description": desc}, status, headers)
    errors = {
        "rate_limited": GoogleError(
            429,
            "The request cannot be completed because you have exceeded the request rate limit.",
            "rateLimitExceeded",
            "youtube.quota",
            status_text="RESOURCE_EXHAUSTED",
        ),
        "quota_exceeded": quota_error("default"),
        "server_error": GoogleError(500, "Internal error encountered.", "backendError", status_text="INTERNAL"),
        "token_expired": auth_error(),
        "token_revoked": auth_error(),
    }
    err = errors[kind]
    return json_response(google_error_body(err), err.status, headers)
