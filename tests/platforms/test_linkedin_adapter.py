"""LinkedIn adapter against the sandbox: OAuth and refresh lifetimes, profile, posts paging, analytics,
organization role, error classification, hostile text and partial answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.platforms import (
    AccessRevoked,
    BadResponse,
    InvalidRequest,
    PlatformUnavailable,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.errors import PlatformError
from app.platforms.linkedin import LinkedInAdapter, next_utc_midnight, restli
from app.platforms.linkedin_org import organization_daily, organization_followers, organizations
from tests.platforms.conftest import CaptureAll, assert_no_secrets, connect, error_texts
from tests.support.sandbox import REDIRECT_URI, SandboxControl

HOSTILE = "<script>alert(1)</script> Ünïcode 🚀 \u202e #Launch " + "x" * 3500


@pytest.fixture
def li(make_adapter: Any) -> LinkedInAdapter:
    adapter = make_adapter("linkedin")
    assert isinstance(adapter, LinkedInAdapter)
    return adapter


@pytest.fixture(autouse=True)
def real_clock(sandbox: SandboxControl) -> None:
    """The adapter's "recent" and "yesterday" are real time: the sandbox clock follows it."""
    sandbox.set_clock(now=datetime.now(UTC).replace(microsecond=0).isoformat())


@pytest.fixture
def account(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_account("linkedin", "li.creator", 4_200, seed=21, post_every_days=1, history_days=120)


def test_restli_encoding() -> None:
    assert restli({"share": "urn:li:share:1"}) == "(share:urn%3Ali%3Ashare%3A1)"
    assert restli(["urn:li:share:1", "a b"]) == "List(urn%3Ali%3Ashare%3A1,a%20b)"
    assert restli({"start": {"year": 2026, "month": 9, "day": 1}}) == "(start:(year:2026,month:9,day:1))"


def test_connect_lifetimes_refresh_keeps_the_365_day_end_and_revoke(
    li: LinkedInAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    assert not li.uses_pkce
    assert not li.rotates_refresh_token
    tokens = connect(sandbox, li, account["id"])
    now = datetime.now(UTC)
    assert tokens.expires_at is not None
    assert abs((tokens.expires_at - now) - timedelta(days=60)) < timedelta(minutes=1)
    assert tokens.refresh_expires_at is not None
    assert abs((tokens.refresh_expires_at - now) - timedelta(days=365)) < timedelta(minutes=1)
    assert li.missing_scopes(tokens) == frozenset()
    sandbox.advance_days(59)
    renewed = li.refresh(tokens)
    assert renewed.access_token != tokens.access_token
    assert renewed.refresh_token == tokens.refresh_token
    # the sandbox's clock moved 59 days: the refresh token has 306 days left, not a new 365
    assert renewed.refresh_expires_at is not None
    assert abs((renewed.refresh_expires_at - now) - timedelta(days=306)) < timedelta(minutes=1)
    assert li.introspect(renewed.access_token) == "active"
    li.revoke(renewed)
    assert li.introspect(renewed.access_token) == "revoked"
    with pytest.raises(AccessRevoked):
        li.fetch_profile(renewed.access_token)
    with pytest.raises(AccessRevoked):
        li.refresh(renewed)


def test_used_code_is_an_invalid_request(li: LinkedInAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    from tests.platforms.conftest import drive_consent

    code, _, _ = drive_consent(sandbox, li, account["id"])
    li.exchange_code(code, REDIRECT_URI)
    with pytest.raises(InvalidRequest):
        li.exchange_code(code, REDIRECT_URI)


def test_profile_posts_metrics_and_daily_analytics(
    li: LinkedInAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    tokens = connect(sandbox, li, account["id"])
    profile = li.fetch_profile(tokens.access_token)
    assert profile.platform_user_id == account["platform_user_id"]
    assert profile.followers == 4_200
    assert profile.extras["person_urn"] == f"urn:li:person:{account['platform_user_id']}"
    items = li.fetch_content(tokens.access_token, profile=profile)
    view = sandbox.account(account["id"])
    assert len(items) == view["posts_count"] > 100  # more than one page of 100
    assert items == sorted(items, key=lambda i: i.published_at, reverse=True)
    assert len({i.platform_id for i in items}) == len(items)
    pages = [c for c in sandbox.calls("linkedin") if c["path"].endswith("/rest/posts")]
    assert len(pages) == 2
    recent = li.fetch_content(tokens.access_token, datetime.now(UTC) - timedelta(days=10), profile=profile)
    metrics = li.fetch_content_metrics(tokens.access_token, recent)
    assert set(metrics) == {i.platform_id for i in recent[:20]}
    assert all(set(m) == {"views", "likes", "comments", "shares"} for m in metrics.values())
    today = datetime.now(UTC).date()
    insights = li.fetch_account_insights(tokens.access_token, today - timedelta(days=30), today - timedelta(days=1))
    assert len(insights) == 30
    assert set(insights[0].metrics) == {"views", "likes", "comments", "shares", "new_followers"}
    assert insights[0].day == today - timedelta(days=30)


def test_organization_statistics_need_the_role(make_adapter: Any, sandbox: SandboxControl) -> None:
    li = make_adapter("linkedin", LINKEDIN_SCOPES="openid profile r_member_profileAnalytics rw_organization_admin")
    admin = sandbox.create_account("linkedin", "li.admin", 9_000, seed=22, account_type="ADMINISTRATOR")
    plain = sandbox.create_account("linkedin", "li.plain", 900, seed=23)
    admin_tokens = connect(sandbox, li, admin["id"])
    orgs = organizations(li, admin_tokens.access_token)
    assert orgs == [sandbox.account(admin["id"])["organization_urn"]]
    assert organization_followers(li, admin_tokens.access_token, orgs[0]) == 3_000
    today = datetime.now(UTC).date()
    days = organization_daily(
        li, admin_tokens.access_token, orgs[0], today - timedelta(days=7), today - timedelta(days=1)
    )
    assert [d.day for d in days] == [today - timedelta(days=i) for i in range(7, 0, -1)]
    assert {"new_followers", "views", "likes"} <= set(days[0].metrics)
    plain_tokens = connect(sandbox, li, plain["id"])
    assert organizations(li, plain_tokens.access_token) == []
    with pytest.raises(ScopeMissing, match="not an ADMINISTRATOR"):
        organization_daily(li, plain_tokens.access_token, orgs[0], today - timedelta(days=2), today)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("rate_limited", RateLimited),
        ("quota_exceeded", QuotaExceeded),
        ("server_error", PlatformUnavailable),
        ("token_expired", TokenExpired),
        ("token_revoked", AccessRevoked),
        ("malformed", BadResponse),
    ],
)
def test_faults_are_classified(
    li: LinkedInAdapter, sandbox: SandboxControl, account: dict[str, Any], kind: str, error: type[PlatformError]
) -> None:
    tokens = connect(sandbox, li, account["id"])
    sandbox.add_fault("linkedin", kind, path_contains="/memberFollowersCount")
    with pytest.raises(error) as caught:
        li.fetch_profile(tokens.access_token)
    if isinstance(caught.value, QuotaExceeded):
        assert caught.value.resets_at == next_utc_midnight()
    if isinstance(caught.value, RateLimited):
        assert caught.value.retry_after is None  # LinkedIn sends no Retry-After
    assert_no_secrets(error_texts(caught.value), [tokens.access_token, tokens.refresh_token or ""])


def test_old_version_and_missing_scope(make_adapter: Any, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    old = make_adapter("linkedin", LINKEDIN_API_VERSION="202406")
    tokens = connect(sandbox, old, account["id"])
    with pytest.raises(InvalidRequest, match="NONEXISTENT_VERSION"):
        old.fetch_profile(tokens.access_token)
    narrow = make_adapter("linkedin", LINKEDIN_SCOPES="openid profile r_member_profileAnalytics r_member_postAnalytics")
    tokens = connect(sandbox, narrow, account["id"])
    sandbox.clear_calls()
    assert narrow.fetch_content(tokens.access_token) == []  # no Community Management access: no posts call
    assert sandbox.calls("linkedin") == []
    li = make_adapter("linkedin")
    with pytest.raises(ScopeMissing):  # a grant without r_member_social used where it is needed: 403
        li.fetch_content(tokens.access_token)


def test_hostile_text_and_partial_posts(li: LinkedInAdapter, sandbox: SandboxControl, all_logs: CaptureAll) -> None:
    acc = sandbox.create_account(
        "linkedin",
        "li.hostile",
        300,
        seed=24,
        display_name="<img src=x onerror=alert(1)> Robert'); DROP TABLE--",
        posts=[
            {"published_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(), "caption": HOSTILE, "like_count": 3}
        ],
    )
    tokens = connect(sandbox, li, acc["id"])
    profile = li.fetch_profile(tokens.access_token)
    assert profile.display_name is not None
    assert profile.display_name.startswith("<img")
    [item] = li.fetch_content(tokens.access_token, profile=profile)
    assert item.caption is not None
    assert len(item.caption) == 3000
    assert item.hashtags == ("launch",)
    assert li._post_item({"id": "urn:li:share:1"}) is None  # no publishedAt: skipped, not guessed
    assert li._post_item({"id": 5, "publishedAt": 1}) is None
    assert li._post_item({"id": "urn:li:share:2", "publishedAt": 1_790_000_000_000, "lifecycleState": "DRAFT"}) is None
    assert_no_secrets(all_logs.lines, [tokens.access_token, tokens.refresh_token or ""])


def test_since_window_and_empty_range(li: LinkedInAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, li, account["id"])
    assert li.fetch_account_insights(tokens.access_token, date(2026, 1, 2), date(2026, 1, 1)) == []
