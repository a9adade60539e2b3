"""The TikTok blueprint and TikTok's two error formats, including injected faults.

``bp`` (``sandbox_tiktok``) carries every TikTok route. It lives here, next to :class:`TikTokError`,
because Flask error handlers are per blueprint: a route answers ``TikTokError`` with the Display API
envelope only when it sits on the blueprint that registered the handler. The two formats:
``api_error`` for the Display API (``{"data": {}, "error": {"code", "message", "log_id"}}``, HTTP status
from ``HTTP``) and ``oauth_error`` for Login Kit (``{"error", "error_description", "log_id"}``).
``fault_response`` renders a fault injected through the control API in whichever the path calls for.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from ..common import json_response, state

bp = Blueprint("sandbox_tiktok", __name__)


HTTP = {
    "ok": 200,
    "access_token_invalid": 401,
    "scope_not_authorized": 401,
    "scope_permission_missed": 401,
    "invalid_params": 400,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
    "not_found": 404,
}
INVALID_TOKEN = "The access token is invalid or not found in the request."  # noqa: S105 - an error message


class TikTokError(Exception):
    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status or HTTP.get(code, 400)


def api_error(code: str, message: str, status: int | None = None, headers: dict[str, str] | None = None) -> Response:
    st = state()
    with st.lock:
        log_id = st.trace_id("tiktok")
    return json_response(
        {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}},
        status or HTTP.get(code, 400),
        headers,
    )


@bp.errorhandler(TikTokError)
def _tiktok_error(err: TikTokError) -> Response:
    return api_error(err.code, err.message, err.status)


def oauth_error(error: str, description: str, status: int = 400, headers: dict[str, str] | None = None) -> Response:
    st = state()
    with st.lock:
        log_id = st.trace_id("tiktok")
    return json_response({"error": error, "error_description": description, "log_id": log_id}, status, headers)


def fault_response(fault: dict[str, Any], path: str) -> Response:
    kind = fault["kind"]
    headers = {"Retry-After": str(fault["retry_after"])} if fault.get("retry_after") is not None else None
    if kind == "malformed":
        return Response('{"data":{"videos":[{"id":"73', status=200, mimetype="application/json")
    if path.startswith("/open.tiktokapis.com/v2/oauth/"):
        table = {
            "rate_limited": ("rate_limit_exceeded", "Too many requests.", 429),
            "quota_exceeded": ("rate_limit_exceeded", "Too many requests.", 429),
            "server_error": ("server_error", "Internal error, please retry.", 500),
            "token_expired": ("invalid_grant", "Refresh token is invalid or expired.", 400),
            "token_revoked": ("invalid_grant", "Refresh token is invalid or expired.", 400),
        }
        err, desc, status = table[kind]
        return oauth_error(err, desc, status, headers)
    table2 = {
        "rate_limited": (
            "rate_limit_exceeded",
            "You have exceeded the rate limit of this API. Please retry later.",
        ),
        "quota_exceeded": ("rate_limit_exceeded", "You have exceeded the daily quota of this API."),
        "server_error": ("internal_error", "Something went wrong. Please try again later."),
        "token_expired": ("access_token_invalid", INVALID_TOKEN),
        "token_revoked": ("access_token_invalid", INVALID_TOKEN),
    }
    code, message = table2[kind]
    return api_error(code, message, headers=headers)
