"""Instagram adapter against the sandbox: OAuth dance, exchange shapes, refresh, data, faults, P1."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.platforms import (
    AccessRevoked,
    BadResponse,
    InvalidRequest,
    PlatformUnavailable,
    RateLimited,
    TokenExpired,
)
from app.platforms.errors import PlatformError
from app.platforms.instagram import DEPRECATED_METRICS, MEDIA_METRICS, InstagramAdapter
from tests.platforms.conftest import CaptureAll, assert_no_secrets, connect, drive_consent, error_texts
from tests.support.sandbox import REDIRECT_URI, SandboxControl


@pytest.fixture
def ig(make_adapter: Any) -> InstagramAdapter:
    adapter = make_adapter("instagram")
    assert isinstance(adapter, InstagramAdapter)
    return adapter


@pytest.fixture
def account(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_account(
        "instagram", "ig.creator", 15_234, seed=7, account_type="MEDIA_CREATOR", post_every_days=1, history_days=130
    )


def _backdate(tokens: Any, hours: float) -> Any:
    return dataclasses.replace(tokens, issued_at=tokens.issued_at - timedelta(hours=hours))


def test_authorize_url(ig: InstagramAdapter, sandbox: SandboxControl) -> None:
    url = ig.authorize_url("st-1", REDIRECT_URI, code_challenge="ignored")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == sandbox.base_url
    assert parts.path == "/www.instagram.com/oauth/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "sandbox-ig-app",
        "redirect_uri": REDIRECT_URI,
        "scope": "instagram_business_basic,instagram_business_manage_insights",
        "state": "st-1",
    }
    assert not ig.uses_pkce


@pytest.mark.parametrize("shape", ["flat", "wrapped"])
def test_oauth_dance_to_long_lived_token(
    ig: InstagramAdapter,
    sandbox: SandboxControl,
    sandbox_app: Any,
    account: dict[str, Any],
    shape: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sandbox_app.extensions["sandbox"].cfg, "IG_TOKEN_RESPONSE_SHAPE", shape)
    code, verifier, _ = drive_consent(sandbox, ig, account["id"])
    assert verifier is None
    tokens = ig.exchange_code(code + "#_", REDIRECT_URI)  # the trailing #_ Instagram appends is stripped
    issued = {t["value"]: t for t in sandbox.tokens(account["id"])}
    assert issued[tokens.access_token]["kind"] == "ig_long"
    assert tokens.refresh_token is None
    assert tokens.platform_user_id == account["platform_user_id"]
    assert tokens.scopes == {"instagram_business_basic", "instagram_business_manage_insights"}
    assert ig.missing_scopes(tokens) == frozenset()
    assert tokens.expires_at is not None
    assert timedelta(days=59) < tokens.expires_at - datetime.now(UTC) <= timedelta(days=60)
    assert tokens.access_token not in repr(tokens)


def test_exchange_rejects_used_and_unknown_codes(
    ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    code, _, _ = drive_consent(sandbox, ig, account["id"])
    ig.exchange_code(code, REDIRECT_URI)
    with pytest.raises(InvalidRequest) as used:
        ig.exchange_code(code, REDIRECT_URI)
    assert code not in "".join(error_texts(used.value))
    with pytest.raises(InvalidRequest):
        ig.exchange_code("AQnot-a-code", REDIRECT_URI)
    code2, _, _ = drive_consent(sandbox, ig, account["id"])
    with pytest.raises(InvalidRequest):  # redirect_uri must be byte-identical
        ig.exchange_code(code2, REDIRECT_URI + "x")


def test_refresh_waits_24h_then_renews(ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, ig, account["id"])
    assert not ig.can_refresh(tokens)
    sandbox.clear_calls()
    assert ig.refresh(tokens) is tokens  # younger than 24 h: no call at all
    assert sandbox.calls("instagram") == []

    sandbox.advance_days(2)
    old = _backdate(tokens, 48)
    assert ig.can_refresh(old)
    renewed = ig.refresh(old)
    assert renewed.access_token != tokens.access_token
    assert renewed.scopes == tokens.scopes
    assert renewed.platform_user_id == tokens.platform_user_id
    assert renewed.expires_at is not None
    assert renewed.expires_at - datetime.now(UTC) > timedelta(days=59)
    assert [c["path"] for c in sandbox.calls("instagram")] == ["/graph.instagram.com/refresh_access_token"]
    assert ig.fetch_profile(renewed.access_token).username == "ig.creator"


def test_expired_token_cannot_be_refreshed(
    ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    tokens = connect(sandbox, ig, account["id"])
    sandbox.advance_days(61)
    with pytest.raises(TokenExpired):
        ig.refresh(_backdate(tokens, 61 * 24))
    with pytest.raises(TokenExpired):
        ig.fetch_profile(tokens.access_token)


def test_profile(ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, ig, account["id"])
    truth = sandbox.account(account["id"])
    profile = ig.fetch_profile(tokens.access_token)
    assert profile.platform_user_id == account["platform_user_id"]
    assert profile.username == "ig.creator"
    assert profile.followers == truth["followers"] == 15_234
    assert profile.following == truth["following"]
    assert profile.media_count == truth["posts_count"]
    assert profile.account_type == "MEDIA_CREATOR"
    assert profile.extras["app_scoped_id"] == truth["app_scoped_id"]


def test_content_pages_to_the_end_and_to_the_window(
    ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    tokens = connect(sandbox, ig, account["id"])
    truth = sandbox.account(account["id"], posts=True)["posts"]
    assert len(truth) > 100  # more than two pages of 50
    sandbox.clear_calls()
    items = ig.fetch_content(tokens.access_token)
    media_calls = [c for c in sandbox.calls("instagram") if c["path"].endswith("/me/media")]
    assert len(media_calls) == -(-len(truth) // 50)
    assert [i.platform_id for i in items] == [p["id"] for p in truth]
    assert len({i.platform_id for i in items}) == len(items)
    assert all(i.published_at.tzinfo is not None for i in items)
    assert items == sorted(items, key=lambda i: i.published_at, reverse=True)
    by_id = {p["id"]: p for p in truth}
    for item in items[:10]:
        assert item.metrics["likes"] == by_id[item.platform_id]["like_count"]
        assert item.metrics["comments"] == by_id[item.platform_id]["comment_count"]
        assert item.kind in ("image", "carousel", "reel")
        assert item.hashtags == tuple(item.hashtags)

    since = datetime(2026, 10, 15, tzinfo=UTC) - timedelta(days=20)
    sandbox.clear_calls()
    recent = ig.fetch_content(tokens.access_token, since=since)
    assert recent
    assert all(i.published_at >= since for i in recent)
    assert {i.platform_id for i in recent} == {
        p["id"] for p in truth if p["published_at"] >= since.strftime("%Y-%m-%dT%H:%M:%SZ")
    }
    assert len(sandbox.calls("instagram")) == 1  # stopped at the window: one page
    assert len(ig.fetch_content(tokens.access_token, max_items=7)) == 7


def test_media_insights_by_product_type(ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, ig, account["id"])
    items = ig.fetch_content(tokens.access_token, max_items=12)
    kinds = {i.kind for i in items}
    assert "reel" in kinds
    assert kinds & {"image", "carousel"}
    sandbox.clear_calls()
    metrics = ig.fetch_content_metrics(tokens.access_token, items)
    assert set(metrics) == {i.platform_id for i in items}
    assert len(sandbox.calls("instagram")) == len(items)  # one call each, no invalid-metric retries
    truth = {p["id"]: p for p in sandbox.account(account["id"], posts=True)["posts"]}
    for item in items:
        got = metrics[item.platform_id]
        assert got["likes"] == truth[item.platform_id]["like_count"]
        assert got["saves"] == truth[item.platform_id]["save_count"]
        assert got["reach"] == truth[item.platform_id]["reach"]
        assert {"views", "shares", "total_interactions"} <= set(got)
        if item.kind == "reel":
            assert got["watch_time"] > 0
            assert got["avg_view_duration"] > 0
    for metric_list in MEDIA_METRICS.values():
        assert not set(metric_list) & DEPRECATED_METRICS


def test_account_insights_days(ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, ig, account["id"])
    days = ig.fetch_account_insights(tokens.access_token, date(2026, 10, 10), date(2026, 10, 14))
    assert [d.day for d in days] == [date(2026, 10, 10) + timedelta(days=i) for i in range(5)]
    for d in days:
        assert {"reach", "new_followers", "views", "likes", "comments", "total_interactions"} <= set(d.metrics)
    # today (2026-10-15) is not complete yet; a range over 30 days is split into several calls
    sandbox.clear_calls()
    long = ig.fetch_account_insights(tokens.access_token, date(2026, 8, 1), date(2026, 10, 15))
    assert long[-1].day == date(2026, 10, 14)
    assert long[0].day == date(2026, 8, 1)
    series_calls = len(sandbox.calls("instagram")) - len(long)
    assert series_calls == 3


FAULTS: list[tuple[str, type[PlatformError]]] = [
    ("rate_limited", RateLimited),
    ("quota_exceeded", RateLimited),
    ("server_error", PlatformUnavailable),
    ("token_expired", TokenExpired),
    ("token_revoked", AccessRevoked),
    ("malformed", BadResponse),
]


@pytest.mark.parametrize(("kind", "expected"), FAULTS)
def test_faults_map_to_typed_errors(
    ig: InstagramAdapter,
    sandbox: SandboxControl,
    account: dict[str, Any],
    kind: str,
    expected: type[PlatformError],
    all_logs: CaptureAll,
) -> None:
    tokens = connect(sandbox, ig, account["id"])
    sandbox.add_fault("instagram", kind, path_contains="/me/media", retry_after=120)
    with pytest.raises(expected) as info:
        ig.fetch_content(tokens.access_token)
    assert type(info.value) is expected
    if kind in ("rate_limited", "quota_exceeded"):
        assert isinstance(info.value, RateLimited)
        assert info.value.retry_after == 120.0
    assert_no_secrets(error_texts(info.value) + all_logs.lines, [t["value"] for t in sandbox.tokens(account["id"])])
    assert ig.fetch_content(tokens.access_token, max_items=1)  # one-shot fault: the next call works


def test_timeout_is_unavailable(
    sandbox: SandboxControl, account: dict[str, Any], make_adapter: Any, sandbox_url: str
) -> None:
    from app.platforms import get_adapter
    from app.platforms.http import make_session
    from tests.platforms.conftest import adapter_settings

    ig = make_adapter("instagram")
    tokens = connect(sandbox, ig, account["id"])
    quick = get_adapter("instagram", adapter_settings(sandbox_url), make_session(1.0, 0.3))
    sandbox.add_fault("instagram", "timeout", path_contains="/me", seconds=1.0)
    with pytest.raises(PlatformUnavailable) as info:
        quick.fetch_profile(tokens.access_token)
    assert "timeout" in str(info.value)
    assert tokens.access_token not in str(info.value)


def test_faults_on_the_token_endpoints(ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    for kind, expected in [
        ("server_error", PlatformUnavailable),
        ("rate_limited", RateLimited),
        ("malformed", BadResponse),
        ("token_revoked", InvalidRequest),
    ]:
        code, _, _ = drive_consent(sandbox, ig, account["id"])
        sandbox.add_fault("instagram", kind, path_contains="/oauth/access_token")
        with pytest.raises(expected) as info:
            ig.exchange_code(code, REDIRECT_URI)
        assert code not in "".join(error_texts(info.value))
    tokens = connect(sandbox, ig, account["id"])
    sandbox.advance_days(2)
    sandbox.add_fault("instagram", "token_revoked", path_contains="/refresh_access_token")
    with pytest.raises(AccessRevoked) as info:
        ig.refresh(_backdate(tokens, 48))
    assert tokens.access_token not in "".join(error_texts(info.value))


def test_revocation_by_the_user(ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, ig, account["id"])
    ig.revoke(tokens)  # no endpoint for Instagram Login: a no-op, the token still works
    assert ig.fetch_profile(tokens.access_token).username == "ig.creator"
    sandbox.revoke(account["id"])
    with pytest.raises(AccessRevoked):
        ig.fetch_profile(tokens.access_token)


def test_no_token_in_logs_or_errors_over_a_whole_session(
    ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any], all_logs: CaptureAll
) -> None:
    """P1: refresh puts the token in the query string; neither logs nor errors may show it."""
    tokens = connect(sandbox, ig, account["id"])
    sandbox.advance_days(2)
    renewed = ig.refresh(_backdate(tokens, 48))
    ig.fetch_content(renewed.access_token, max_items=60)
    sandbox.add_fault("instagram", "server_error", path_contains="/refresh_access_token")
    with pytest.raises(PlatformUnavailable) as info:
        ig.refresh(_backdate(renewed, 48))
    assert any("refresh_access_token" in line for line in all_logs.lines)  # urllib3 logged the URL...
    secrets_ = [t["value"] for t in sandbox.tokens(account["id"])]
    assert len(secrets_) >= 4  # code, short, long, refreshed
    assert_no_secrets(all_logs.lines + error_texts(info.value), secrets_)  # ...scrubbed


def test_invalid_metrics_are_dropped_and_retried(
    ig: InstagramAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    """Meta code 100 on a metric: the adapter drops that metric and asks again (never loops)."""
    tokens = connect(sandbox, ig, account["id"])
    image = next(i for i in ig.fetch_content(tokens.access_token, max_items=20) if i.kind != "reel")
    sandbox.clear_calls()
    entries = ig._insights(image.platform_id, tokens.access_token, ["views", "no_such_metric", "reach"])
    assert {e["name"] for e in entries} == {"views", "reach"}
    assert [c["status"] for c in sandbox.calls("instagram")] == [400, 200]
    sandbox.clear_calls()
    entries = ig._insights(image.platform_id, tokens.access_token, ["facebook_views", "likes"])
    assert {e["name"] for e in entries} == {"likes"}
    assert [c["status"] for c in sandbox.calls("instagram")] == [400, 200]
    assert ig._insights(image.platform_id, tokens.access_token, ["impressions", "plays"]) == []  # never sent
