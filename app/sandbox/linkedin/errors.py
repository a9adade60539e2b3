"""The LinkedIn blueprint, its error envelopes, and the gate every REST call passes.

``bp`` (``sandbox_linkedin``) carries every LinkedIn route (``www.linkedin.com`` OAuth and
``api.linkedin.com`` REST). API errors use LinkedIn's envelope
``{"status", "serviceErrorCode", "code", "message"}``; the OAuth endpoints answer
``{"error", "error_description"}``. :func:`gate` checks, in LinkedIn's order, the versioned headers
(``LinkedIn-Version`` missing: 400 ``VERSION_MISSING``; unknown or sunset: 426
``NONEXISTENT_VERSION``; ``X-Restli-Protocol-Version: 2.0.0``), the bearer token (401 65600/65601),
the scopes (403 ``ACCESS_DENIED``) and the daily per-app and per-member limits of the endpoint (429,
no rate-limit headers, reset at 00:00 UTC).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, request

from ..common import json_response, state
from ..state import Token
from ..world import Account

bp = Blueprint("sandbox_linkedin", __name__)

API = "/api.linkedin.com"


class LinkedInError(Exception):
    """An API error answered in LinkedIn's envelope."""

    def __init__(self, status: int, code: str, message: str, service_code: int | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.service_code = status, code, message, service_code


def api_error(status: int, code: str, message: str, service_code: int | None = None) -> Response:
    body: dict[str, Any] = {"status": status}
    if service_code is not None:
        body["serviceErrorCode"] = service_code
    body.update({"code": code, "message": message})
    return json_response(body, status)


@bp.errorhandler(LinkedInError)
def _linkedin_error(err: LinkedInError) -> Response:
    return api_error(err.status, err.code, err.message, err.service_code)


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def unknown_path(status: int) -> Response:
    if status == 405:
        return api_error(405, "METHOD_NOT_ALLOWED", f"{request.method} is not supported on this resource")
    return api_error(404, "NOT_FOUND", "Not Found")


def denied(resource: str) -> LinkedInError:
    version = request.headers.get("LinkedIn-Version") or "NO_VERSION"
    return LinkedInError(403, "ACCESS_DENIED", f"Not enough permissions to access: {resource}.GET.{version}", 100)


def illegal(message: str) -> LinkedInError:
    return LinkedInError(400, "ILLEGAL_ARGUMENT", message)


def version_live(version: str, today: date, months: int) -> bool:
    """``YYYYMM`` is served from the first of its month until the 16th of the month ``months`` later."""
    if len(version) != 6 or not version.isdigit():
        return False
    year, month = int(version[:4]), int(version[4:])
    if not 1 <= month <= 12:
        return False
    start = date(year, month, 1)
    end_index = year * 12 + month - 1 + months
    sunset = date(end_index // 12, end_index % 12 + 1, 16)
    return start <= today < sunset


def _check_headers() -> None:
    st = state()
    version = request.headers.get("LinkedIn-Version")
    if not version:
        raise LinkedInError(
            400,
            "VERSION_MISSING",
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        )
    if not version_live(version.strip(), st.today(), int(st.cfg["LI_VERSION_MONTHS"])):
        raise LinkedInError(426, "NONEXISTENT_VERSION", f"Requested version {version} is not active")
    if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
        raise illegal("This API requires the Rest.li 2.0.0 protocol: send X-Restli-Protocol-Version: 2.0.0")


def _token() -> Token:
    st = state()
    header = request.headers.get("Authorization", "")
    value = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not value:
        raise LinkedInError(401, "EMPTY_ACCESS_TOKEN", "Empty oauth2 access token", 65604)
    tok = st.tokens.get(value)
    if tok is None or tok.platform != "linkedin" or tok.kind != "access":
        raise LinkedInError(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
    status = st.token_status(tok)
    if status == "revoked":
        raise LinkedInError(
            401, "REVOKED_ACCESS_TOKEN", "The token used in the request has been revoked by the user", 65601
        )
    if status == "expired":
        raise LinkedInError(401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65600)
    if status != "ok":
        raise LinkedInError(401, "INVALID_ACCESS_TOKEN", "Invalid access token", 65600)
    return tok


def _charge(tok: Token, resource: str) -> None:
    """Count the call against the endpoint's daily app and member limits (UTC day); 429 past either."""
    st = state()
    day = st.today().isoformat()
    app_key = f"linkedin|app|{tok.client_id}|{resource}|{day}"
    member_key = f"linkedin|member|{tok.grant_id}|{resource}|{day}"
    for key, limit, who in (
        (app_key, int(st.cfg["LI_APP_DAILY_LIMIT"]), "APPLICATION"),
        (member_key, int(st.cfg["LI_MEMBER_DAILY_LIMIT"]), "MEMBER"),
    ):
        if st.quota.get(key, 0) >= limit:
            raise LinkedInError(
                429,
                "TOO_MANY_REQUESTS",
                f"Resource level throttle {who} DAY limit for calls to this resource is reached.",
                101,
            )
    st.quota[app_key] = st.quota.get(app_key, 0) + 1
    st.quota[member_key] = st.quota.get(member_key, 0) + 1


def gate(resource: str, scopes: tuple[str, ...], *, versioned: bool = True) -> tuple[Token, Account]:
    """Check one API call; returns the token and its member account. Raises :class:`LinkedInError`.

    ``scopes``: any one of them grants the call (LinkedIn accepts the old and the ``*_feed`` names).
    Call with the state lock held.
    """
    st = state()
    if versioned:
        _check_headers()
    tok = _token()
    if scopes and not set(scopes) & set(tok.scopes):
        raise denied(resource)
    acc = st.accounts[tok.account_id]
    _charge(tok, resource)
    return tok, acc


def fault_response(fault: dict[str, Any], path: str) -> Response:
    """An injected fault in LinkedIn's format (no rate-limit or Retry-After headers: LinkedIn sends none)."""
    kind = fault["kind"]
    if kind == "malformed":
        return Response('{"elements":[{"memberFollowersCount":12', status=200, mimetype="application/json")
    if path.startswith("/www.linkedin.com/oauth/"):
        if kind in ("token_expired", "token_revoked"):
            return oauth_error(
                "invalid_request", "The provided authorization grant or refresh token is invalid, expired or revoked."
            )
        if kind == "server_error":
            return oauth_error("server_error", "Internal server error", 500)
        return oauth_error("temporarily_unavailable", "Too many requests", 429)
    table: dict[str, tuple[int, str, str, int | None]] = {
        "rate_limited": (429, "TOO_MANY_REQUESTS", "Too many requests. Please retry later.", None),
        "quota_exceeded": (
            429,
            "TOO_MANY_REQUESTS",
            "Resource level throttle MEMBER DAY limit for calls to this resource is reached.",
            101,
        ),
        "server_error": (500, "INTERNAL_SERVER_ERROR", "Internal Server Error", None),
        "token_expired": (401, "EXPIRED_ACCESS_TOKEN", "The token used in the request has expired", 65600),
        "token_revoked": (
            401,
            "REVOKED_ACCESS_TOKEN",
            "The token used in the request has been revoked by the user",
            65601,
        ),
    }
    status, code, message, service = table[kind]
    return api_error(status, code, message, service)
