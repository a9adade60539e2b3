"""J8: table-driven classification of each platform's error envelope into typed errors.

These are unit tests of the pure classifiers (status + headers + body -> error type); the adapters'
behaviour against the platforms is tested over HTTP against the sandbox in the other modules.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from app.platforms.errors import (
    AccessRevoked,
    BadResponse,
    InvalidMetric,
    InvalidRequest,
    PlatformError,
    PlatformUnavailable,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.meta import classify_meta_error, meta_retry_after, usage_percent
from app.platforms.tiktok import classify_tiktok_error
from app.platforms.youtube import classify_google_error, next_pacific_midnight


def _response(status: int, body: Any = None, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if body is not None else b""
    response.headers.update(headers or {})
    return response


def _meta(code: int, subcode: int | None = None, message: str = "x", status: int = 400) -> tuple[int, Any]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "A"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return status, {"error": error}


META_TABLE: list[tuple[tuple[int, Any], type[PlatformError] | None]] = [
    ((200, {"data": []}), None),
    (_meta(190, 463, "Error validating access token: Session has expired"), TokenExpired),
    (_meta(190, 458), AccessRevoked),
    (_meta(190, 460), AccessRevoked),
    (_meta(190, 467), AccessRevoked),
    (_meta(190), AccessRevoked),
    (_meta(4), RateLimited),
    (_meta(17), RateLimited),
    (_meta(32), RateLimited),
    (_meta(613), RateLimited),
    (_meta(80001), RateLimited),
    (_meta(80002), RateLimited),
    (_meta(10, message="(#10) Application does not have permission for this action"), ScopeMissing),
    (_meta(200), ScopeMissing),
    (_meta(299), ScopeMissing),
    (_meta(1, status=500), PlatformUnavailable),
    (_meta(2, status=500), PlatformUnavailable),
    (_meta(100, message="(#100) Tried accessing nonexisting field (x)"), InvalidRequest),
    (_meta(2500, message="Unknown path components"), InvalidRequest),
    ((500, None), PlatformUnavailable),
    ((503, {"oops": 1}), PlatformUnavailable),
    ((429, {}), RateLimited),
    ((404, {"no": "envelope"}), BadResponse),
]


@pytest.mark.parametrize(("answer", "expected"), META_TABLE)
def test_meta_classification(answer: tuple[int, Any], expected: type[PlatformError] | None) -> None:
    status, body = answer
    error = classify_meta_error(_response(status, body), body, platform="instagram")
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected


def test_meta_status_is_not_what_decides() -> None:
    """Graph returns throttling with HTTP 400 (never 429): the code decides."""
    status, body = _meta(4, status=400)
    assert isinstance(classify_meta_error(_response(status, body), body, platform="instagram"), RateLimited)
    status, body = _meta(190, 463, status=200)
    assert isinstance(classify_meta_error(_response(status, body), body, platform="instagram"), TokenExpired)


def test_meta_invalid_metric_names_the_culprit() -> None:
    requested = ("views", "reach", "bogus")
    status, body = _meta(100, message="(#100) metric[2] must be one of the following values: views, reach, likes")
    error = classify_meta_error(_response(status, body), body, platform="instagram", requested_metrics=requested)
    assert isinstance(error, InvalidMetric)
    assert error.metrics == {"bogus"}
    status, body = _meta(100, message="(#100) the impressions metric is no longer supported. Use views instead.")
    error = classify_meta_error(
        _response(status, body), body, platform="instagram", requested_metrics=("impressions", "views")
    )
    assert isinstance(error, InvalidMetric)
    assert error.metrics == frozenset()
    error = classify_meta_error(
        _response(status, body), body, platform="instagram", requested_metrics=("impressions", "reach")
    )
    assert isinstance(error, InvalidMetric)
    assert error.metrics == {"impressions"}


def test_meta_rate_limit_headers() -> None:
    buc = {
        "178414": [
            {
                "type": "instagram",
                "call_count": 100,
                "total_cputime": 40,
                "total_time": 60,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    response = _response(
        400,
        None,
        {
            "X-Business-Use-Case-Usage": json.dumps(buc),
            "X-App-Usage": json.dumps({"call_count": 28, "total_time": 25}),
        },
    )
    assert meta_retry_after(response) == 420.0
    assert usage_percent(response) == 100.0
    status, body = _meta(80002)
    error = classify_meta_error(
        _response(status, body, {"X-Business-Use-Case-Usage": json.dumps(buc)}), body, platform="instagram"
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after == 420.0
    assert meta_retry_after(_response(400, None, {"Retry-After": "30"})) == 30.0
    assert meta_retry_after(_response(400, None, {"X-Business-Use-Case-Usage": "not json"})) is None


def _tt(code: str, status: int) -> tuple[int, Any]:
    return status, {"data": {}, "error": {"code": code, "message": "m", "log_id": "L"}}


TIKTOK_TABLE: list[tuple[tuple[int, Any], type[PlatformError] | None]] = [
    (_tt("ok", 200), None),
    (_tt("access_token_invalid", 401), TokenExpired),
    (_tt("scope_not_authorized", 401), ScopeMissing),
    (_tt("scope_permission_missed", 401), ScopeMissing),
    (_tt("rate_limit_exceeded", 429), RateLimited),
    (_tt("internal_error", 500), PlatformUnavailable),
    (_tt("invalid_params", 400), InvalidRequest),
    (_tt("something_new", 503), PlatformUnavailable),
    (_tt("something_new", 429), RateLimited),
    ((200, {"access_token": "a"}), None),
    ((400, {"error": "invalid_grant", "error_description": "Refresh token is invalid"}), AccessRevoked),
    ((200, {"error": "invalid_grant", "error_description": "x"}), AccessRevoked),
    ((401, {"error": "invalid_client"}), InvalidRequest),
    ((400, {"error": "weird_new_error"}), InvalidRequest),
    ((502, None), PlatformUnavailable),
]


@pytest.mark.parametrize(("answer", "expected"), TIKTOK_TABLE)
def test_tiktok_classification(answer: tuple[int, Any], expected: type[PlatformError] | None) -> None:
    status, body = answer
    error = classify_tiktok_error(_response(status, body), body)
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected


def test_tiktok_retry_after() -> None:
    status, body = _tt("rate_limit_exceeded", 429)
    error = classify_tiktok_error(_response(status, body, {"Retry-After": "12"}), body)
    assert isinstance(error, RateLimited)
    assert error.retry_after == 12.0


def _g(status: int, reason: str, api_status: str = "") -> tuple[int, Any]:
    return status, {
        "error": {
            "code": status,
            "message": "m",
            "status": api_status,
            "errors": [{"message": "m", "domain": "youtube.quota", "reason": reason}],
        }
    }


GOOGLE_TABLE: list[tuple[tuple[int, Any], type[PlatformError] | None]] = [
    ((200, {"items": []}), None),
    (_g(403, "quotaExceeded"), QuotaExceeded),
    (_g(403, "dailyLimitExceeded"), QuotaExceeded),
    (_g(403, "rateLimitExceeded"), RateLimited),
    (_g(429, "rateLimitExceeded"), RateLimited),
    (_g(401, "authError", "UNAUTHENTICATED"), TokenExpired),
    (_g(403, "insufficientPermissions", "PERMISSION_DENIED"), ScopeMissing),
    (_g(403, "forbidden"), ScopeMissing),
    (_g(500, "backendError"), PlatformUnavailable),
    (_g(503, "backendError"), PlatformUnavailable),
    (_g(404, "videoNotFound"), InvalidRequest),
    (_g(400, "badRequest"), InvalidRequest),
    (
        (400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
        AccessRevoked,
    ),
    ((401, {"error": "invalid_client", "error_description": "Unauthorized"}), InvalidRequest),
    ((400, {"error": "invalid_scope"}), ScopeMissing),
]


@pytest.mark.parametrize(("answer", "expected"), GOOGLE_TABLE)
def test_google_classification(answer: tuple[int, Any], expected: type[PlatformError] | None) -> None:
    status, body = answer
    error = classify_google_error(_response(status, body), body)
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected


def test_quota_resets_at_next_pacific_midnight() -> None:
    pacific = ZoneInfo("America/Los_Angeles")
    at_3pm = datetime(2026, 10, 1, 15, 0, tzinfo=pacific)
    reset = next_pacific_midnight(at_3pm)
    assert reset.tzinfo is not None
    assert reset.utcoffset() is not None
    assert reset.astimezone(pacific) == datetime(2026, 10, 2, 0, 0, tzinfo=pacific)
    assert reset == datetime(2026, 10, 2, 7, 0, tzinfo=UTC)  # PDT
    winter = next_pacific_midnight(datetime(2026, 12, 1, 23, 59, tzinfo=pacific))
    assert winter == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # PST
    just_after = next_pacific_midnight(datetime(2026, 10, 2, 0, 0, 1, tzinfo=pacific))
    assert just_after.astimezone(pacific).date().isoformat() == "2026-10-03"
    status, body = _g(403, "quotaExceeded")
    error = classify_google_error(_response(status, body), body)
    assert isinstance(error, QuotaExceeded)
    assert error.resets_at > datetime.now(UTC)
