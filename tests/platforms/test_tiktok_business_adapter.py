"""The TikTok API for Business adapter against the sandbox: tokens (24 h / 1 y, rotation), the envelope's
non-zero codes, faults, missing fields, and the audience read (hand-computed shares and hours)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import requests

from app.platforms import (
    AccessRevoked,
    BadResponse,
    InvalidRequest,
    PlatformUnavailable,
    RateLimited,
    TokenExpired,
    get_adapter,
)
from app.platforms.tiktok_business import TikTokBusinessAdapter, _shares, classify_business_error
from tests.platforms.conftest import adapter_settings, drive_consent
from tests.support.sandbox import REDIRECT_URI, SandboxControl

BUSINESS_APP = {
    "TIKTOK_BUSINESS_APP_ID": "sandbox-tiktok-business-app",
    "TIKTOK_BUSINESS_SECRET": "sandbox-tiktok-business-secret",
}


@pytest.fixture
def biz(sandbox_url: str, http_session: requests.Session) -> TikTokBusinessAdapter:
    adapter = get_adapter("tiktok", {**adapter_settings(sandbox_url), **BUSINESS_APP}, http_session, kind="business")
    assert isinstance(adapter, TikTokBusinessAdapter)
    return adapter


@pytest.fixture
def account(sandbox: SandboxControl) -> dict[str, Any]:
    acc = sandbox.create_account(
        "tiktok", "tt.biz", 20_000, seed=41, account_type="BUSINESS", daily_changes=[0] * 30, post_every_days=2
    )
    sandbox.patch_account(
        acc["id"],
        audience={
            "gender": {"female": 55, "male": 44, "other": 1},
            "countries": [{"code": "US", "share": 60}, {"code": "MX", "share": 40}],
            "online_hours": {"18": 5, "19": 20},
        },
    )
    return acc


def connect(sandbox: SandboxControl, biz: TikTokBusinessAdapter, account_id: str) -> Any:
    code, _, _ = drive_consent(sandbox, biz, account_id)
    return biz.exchange_code(code, REDIRECT_URI)


def test_tokens_last_a_day_and_a_year_and_rotate(sandbox: SandboxControl, biz: Any, account: Any) -> None:
    tokens = connect(sandbox, biz, account["id"])
    assert tokens.platform_user_id == account["platform_user_id"] == biz.business_id
    assert tokens.expires_at is not None
    assert tokens.refresh_expires_at is not None
    assert round((tokens.expires_at - tokens.issued_at).total_seconds()) == 86_400
    assert round((tokens.refresh_expires_at - tokens.issued_at).total_seconds() / 86_400) == 365
    assert tokens.scopes == frozenset(biz.scopes)
    wrong = TikTokBusinessAdapter(biz.http, app_id=biz.app_id, secret="not-the-secret")
    with pytest.raises(InvalidRequest):  # 40001, a misconfigured app: not a revoked grant
        wrong.refresh(tokens)
    new = biz.refresh(tokens)
    assert new.refresh_token != tokens.refresh_token
    with pytest.raises(AccessRevoked):  # the rotated-away refresh token is dead (code 40100)
        biz.refresh(tokens)
    biz.revoke(new)
    with pytest.raises(TokenExpired):  # 40100 on a data call: the sync refreshes, which then fails
        biz.fetch_profile(new.access_token)


def test_profile_videos_insights_and_audience(sandbox: SandboxControl, biz: Any, account: Any) -> None:
    tokens = connect(sandbox, biz, account["id"])
    profile = biz.fetch_profile(tokens.access_token)
    assert profile.followers == 20_000
    assert profile.account_type == "business"
    assert profile.username == "tt.biz"
    videos = biz.fetch_content(tokens.access_token)
    assert len(videos) == account_posts(sandbox, account)
    assert all("full_watch_pct" in v.metrics and "avg_watch_s" in v.metrics for v in videos)
    again = biz.fetch_content_metrics(tokens.access_token, videos[:3])
    assert set(again) == {v.platform_id for v in videos[:3]}
    today = date.fromisoformat(sandbox.clock()["now"][:10])
    days = biz.fetch_account_insights(tokens.access_token, today - timedelta(days=3), today)
    assert [d.day for d in days] == [today - timedelta(days=i) for i in (3, 2, 1)]  # today is not final
    assert set(days[0].metrics) == {"views", "profile_views", "likes", "comments", "shares"}
    raw = biz.audience(tokens.access_token, today)
    assert raw.breakdowns["gender"] == pytest.approx({"female": 55.0, "male": 44.0, "other": 1.0})
    assert raw.breakdowns["countries"] == pytest.approx({"US": 60.0, "MX": 40.0})
    # 5 % and 20 % of 20,000 followers, every day the same
    assert raw.online_hours["18"] == 1000.0
    assert raw.online_hours["19"] == 4000.0
    assert raw.online_hours["0"] == 0.0


def account_posts(sandbox: SandboxControl, account: Any) -> int:
    return len(sandbox.account(account["id"], posts=True)["posts"])


def test_non_zero_codes_and_faults_are_classified(sandbox: SandboxControl, biz: Any, account: Any) -> None:
    tokens = connect(sandbox, biz, account["id"])
    for kind, error in (
        ("quota_exceeded", RateLimited),  # HTTP 200, code 40105
        ("rate_limited", RateLimited),  # HTTP 429, code 40105
        ("server_error", PlatformUnavailable),
        ("token_expired", TokenExpired),  # HTTP 200, code 40100
        ("malformed", BadResponse),
    ):
        sandbox.add_fault("tiktok", kind, times=1, path_contains="business/get", retry_after=7)
        with pytest.raises(error) as caught:
            biz.fetch_profile(tokens.access_token)
        assert tokens.access_token not in str(caught.value)
        if error is RateLimited:
            assert caught.value.retry_after == 7
    other = TikTokBusinessAdapter(biz.http, app_id=biz.app_id, secret=biz.secret, business_id="someone-else")
    with pytest.raises(InvalidRequest, match="40001"):  # business_id not the token's
        other.fetch_profile(tokens.access_token)
    with pytest.raises(InvalidRequest):  # a used code
        biz.exchange_code("not-a-code", REDIRECT_URI)


def test_a_personal_account_is_refused_at_consent(sandbox: SandboxControl, biz: Any) -> None:
    personal = sandbox.create_account("tiktok", "tt.me", 3_000, seed=42)
    url = biz.authorize_url("st", REDIRECT_URI)
    location = sandbox.consent(url, personal["id"])
    params = sandbox.redirect_params(location)
    assert params["error_reason"] == "not_professional_account"
    assert "code" not in params


def test_small_account_has_no_audience(sandbox: SandboxControl, biz: Any) -> None:
    small = sandbox.create_account("tiktok", "tt.small", 60, seed=43, account_type="BUSINESS")
    tokens = connect(sandbox, biz, small["id"])
    raw = biz.audience(tokens.access_token, date.fromisoformat(sandbox.clock()["now"][:10]))
    assert raw.breakdowns == {}
    assert raw.online_hours == {}


def _response(status: int, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers or {})
    return response


def test_classification_of_the_envelope() -> None:
    assert classify_business_error(_response(200), {"code": 0, "message": "OK", "data": {}}) is None
    assert isinstance(classify_business_error(_response(200), {"code": 40100}), TokenExpired)
    limited = classify_business_error(_response(429, {"Retry-After": "30"}), {"code": 40105})
    assert isinstance(limited, RateLimited)
    assert limited.retry_after == 30
    assert isinstance(classify_business_error(_response(200), {"code": 41234, "message": "?"}), InvalidRequest)
    assert isinstance(classify_business_error(_response(200), {"message": "no code"}), BadResponse)
    assert isinstance(classify_business_error(_response(502), {"code": 12}), PlatformUnavailable)
    assert isinstance(classify_business_error(_response(200), ["not", "an", "object"]), BadResponse)


def test_shares_skip_missing_and_garbled_entries() -> None:
    entries = [
        {"country": "US", "percentage": 0.5},
        {"country": "BR", "percentage": 0.25},
        {"country": "DE"},  # no percentage
        {"percentage": 0.25},  # no name
        {"country": "FR", "percentage": "0.1"},  # a string
        {"country": "IT", "percentage": True},
        {"country": "ES", "percentage": -0.1},
        "junk",
    ]
    assert _shares(entries, "country") == {"US": 50.0, "BR": 25.0}  # fractions scaled to percent
    assert _shares([{"gender": "Female", "percentage": 61.5}, {"gender": "Male", "percentage": 38.5}], "gender") == {
        "Female": 61.5,
        "Male": 38.5,
    }  # already percent: kept
    assert _shares(None, "country") == {}
    assert _shares({"country": "US"}, "country") == {}
