"""The X blueprint, X API v2's problem envelopes, the OAuth 2.0 error format and injected faults.

``bp`` (``sandbox_x``) carries every X route on both host spellings (``api.x.com`` and the legacy
``api.twitter.com`` that tweepy still calls). API errors are RFC 7807-style problems
(``{"title", "detail", "type", "status"}``, ``type`` a ``https://api.x.com/2/problems/...`` URI or
``about:blank``); the OAuth endpoints answer ``{"error", "error_description"}``. Every API answer, error
or not, carries ``x-rate-limit-limit`` / ``-remaining`` / ``-reset`` (epoch seconds) when a limit applied.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from ..common import json_response, state

bp = Blueprint("sandbox_x", __name__)

PROBLEMS = "https://api.x.com/2/problems/"
OAUTH_BAD_TOKEN = "Value passed for the token was invalid."  # noqa: S105 - an error message


class XProblem(Exception):
    """An X API v2 problem answered with ``status``; ``extra`` adds keys (``period``, ``scope``...)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        type_: str = "about:blank",
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.type_ = status, title, detail, type_
        self.extra = extra or {}
        self.headers = headers or {}


def problem(err: XProblem) -> Response:
    body: dict[str, Any] = {"title": err.title, "detail": err.detail, "type": err.type_}
    if err.type_ == "about:blank":
        body["status"] = err.status
    body.update(err.extra)
    headers = {**dict(getattr(g, "x_rate_headers", {}) or {}), **err.headers}
    resp = json_response(body, err.status, headers)
    resp.mimetype = "application/problem+json"
    return resp


@bp.errorhandler(XProblem)
def _x_problem(err: XProblem) -> Response:
    return problem(err)


def unauthorized() -> XProblem:
    return XProblem(401, "Unauthorized", "Unauthorized")


def invalid_request(detail: str, errors: list[dict[str, Any]] | None = None) -> XProblem:
    return XProblem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        PROBLEMS + "invalid-request",
        {"errors": errors or [{"message": detail}]},
    )


def too_many(reset_epoch: int, limit: int) -> XProblem:
    return XProblem(
        429,
        "Too Many Requests",
        "Too Many Requests",
        headers={
            "x-rate-limit-limit": str(limit),
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset_epoch),
        },
    )


def usage_capped() -> XProblem:
    """The monthly post-read cap: 429 ``usage-capped`` (``period``/``scope`` as X sends them). X names no
    reset time: the billing cycle's start day is the client's to know."""
    return XProblem(
        429,
        "UsageCapExceeded",
        "Usage cap exceeded: Monthly product cap",
        PROBLEMS + "usage-capped",
        {"period": "Monthly", "scope": "Product"},
    )


def oauth_error(error: str, description: str, status: int = 400) -> Response:
    return json_response({"error": error, "error_description": description}, status)


def not_found_path() -> Response:
    return problem(
        XProblem(404, "Not Found Error", "The requested resource was not found.", PROBLEMS + "resource-not-found")
    )


def fault_response(fault: dict[str, Any], path: str) -> Response:
    """An injected fault, in the envelope the path calls for (OAuth or API)."""
    kind = fault["kind"]
    st = state()
    with st.lock:
        now = int(st.now().timestamp())
        reset = now + int(fault["retry_after"] if fault.get("retry_after") is not None else 900)
    if kind == "malformed":
        return Response('{"data":[{"id":"18460000000","text":"half a po', status=200, mimetype="application/json")
    if "/2/oauth2/" in path:
        table = {
            "rate_limited": ("rate_limit_exceeded", "Too Many Requests", 429),
            "quota_exceeded": ("rate_limit_exceeded", "Too Many Requests", 429),
            "server_error": ("server_error", "Internal error", 503),
            "token_expired": ("invalid_request", OAUTH_BAD_TOKEN, 400),
            "token_revoked": ("invalid_request", OAUTH_BAD_TOKEN, 400),
        }
        err, desc, status = table[kind]
        resp = oauth_error(err, desc, status)
        if status == 429:
            resp.headers["x-rate-limit-reset"] = str(reset)
        return resp
    if kind == "rate_limited":
        return problem(too_many(reset, 900))
    if kind == "quota_exceeded":
        return problem(usage_capped())
    if kind == "server_error":
        return problem(XProblem(503, "Service Unavailable", "Service Unavailable"))
    return problem(unauthorized())  # token_expired / token_revoked: X says 401 for both


def next_cycle_start(now: Any, day: int) -> Any:
    """The start (00:00 UTC) of the next monthly billing cycle that begins on ``day`` of the month."""
    from datetime import datetime

    day = max(1, min(day, 28))
    year, month = now.year, now.month
    start = datetime(year, month, day, tzinfo=now.tzinfo)
    if now < start:
        return start
    month += 1
    if month == 13:
        year, month = year + 1, 1
    return datetime(year, month, day, tzinfo=now.tzinfo)


def cycle_start(now: Any, day: int) -> Any:
    """The start of the billing cycle ``now`` falls in."""
    from datetime import datetime

    day = max(1, min(day, 28))
    start = datetime(now.year, now.month, day, tzinfo=now.tzinfo)
    if now >= start:
        return start
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return datetime(year, month, day, tzinfo=now.tzinfo)
