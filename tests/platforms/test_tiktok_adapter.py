"""TikTok adapter against the sandbox: PKCE dance, rotation, revoke, scopes, paging, faults, P1."""

from __future__ import annotations

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
    ScopeMissing,
    TokenExpired,
    pkce_challenge,
)
from app.platforms.errors import PlatformError
from app.platforms.tiktok import TikTokAdapter
from tests.platforms.conftest import CaptureAll, assert_no_secrets, connect, drive_consent, error_texts
from tests.support.sandbox import REDIRECT_URI, SandboxControl


@pytest.fixture
def tt(make_adapter: Any) -> TikTokAdapter:
    adapter = make_adapter("tiktok")
    assert isinstance(adapter, TikTokAdapter)
    return adapter


@pytest.fixture
def account(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_account("tiktok", "tt.creator", 10_234, seed=8, post_every_days=1, history_days=90)


def _values(sandbox: SandboxControl, account: dict[str, Any]) -> list[str]:
    return [t["value"] for t in sandbox.tokens(account["id"])]


def test_authorize_url_with_pkce(tt: TikTokAdapter, sandbox: SandboxControl) -> None:
    assert tt.uses_pkce
    assert tt.rotates_refresh_token
    challenge = pkce_challenge("v" * 64)
    parts = urlsplit(tt.authorize_url("st-1", REDIRECT_URI, challenge))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == sandbox.url("www.tiktok.com/v2/auth/authorize/")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "client_key": "sandbox-tiktok-key",
        "response_type": "code",
        "scope": "user.info.basic,user.info.profile,user.info.stats,video.list",
        "redirect_uri": REDIRECT_URI,
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with pytest.raises(ValueError, match="PKCE: pass a code_challenge"):
        tt.authorize_url("st-1", REDIRECT_URI, None)


def test_oauth_dance(tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, tt, account["id"])
    assert tokens.platform_user_id == account["platform_user_id"]
    assert tokens.scopes == tt.required_scopes
    tt.ensure_scopes(tokens)
    now = datetime.now(UTC)
    assert tokens.expires_at is not None
    assert timedelta(hours=1, minutes=59) < tokens.expires_at - now <= timedelta(hours=2)
    assert tokens.refresh_expires_at is not None
    assert timedelta(days=179) < tokens.refresh_expires_at - now <= timedelta(days=180)
    assert tokens.access_token.startswith("act.")
    assert tokens.refresh_token
    assert tokens.refresh_token.startswith("rft.")
    assert tokens.access_token not in repr(tokens)
    assert tokens.refresh_token not in repr(tokens)


def test_pkce_verifier_is_checked(tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    code, verifier, _ = drive_consent(sandbox, tt, account["id"])
    assert verifier is not None
    with pytest.raises(InvalidRequest) as info:
        tt.exchange_code(code, REDIRECT_URI, "w" * 64)  # another flow's verifier
    assert code not in "".join(error_texts(info.value))
    with pytest.raises(ValueError, match="PKCE: pass the code_verifier"):
        tt.exchange_code(code, REDIRECT_URI, None)


def test_refresh_rotates_and_the_old_token_dies(
    tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    first = connect(sandbox, tt, account["id"])
    assert tt.can_refresh(first)
    second = tt.refresh(first)
    assert second.refresh_token
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert second.platform_user_id == first.platform_user_id
    assert second.scopes == first.scopes
    assert tt.fetch_profile(second.access_token).username == "tt.creator"
    with pytest.raises(AccessRevoked):  # presenting the rotated-away refresh token again
        tt.refresh(first)
    third = tt.refresh(second)  # the newest one keeps working
    assert third.refresh_token not in (first.refresh_token, second.refresh_token)


def test_revoke(tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, tt, account["id"])
    tt.revoke(tokens)
    assert {t["status"] for t in sandbox.tokens(account["id"]) if t["kind"] in ("access", "refresh")} == {"revoked"}
    with pytest.raises(TokenExpired):  # TikTok says access_token_invalid...
        tt.fetch_profile(tokens.access_token)
    with pytest.raises(AccessRevoked):  # ...and the refresh tells it is gone for good
        tt.refresh(tokens)
    tt.revoke(tokens)  # revoking twice is harmless


def test_user_revocation(tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, tt, account["id"])
    sandbox.revoke(account["id"])
    with pytest.raises(TokenExpired):
        tt.fetch_content(tokens.access_token)
    with pytest.raises(AccessRevoked):
        tt.refresh(tokens)


def test_scopes_deselected(
    make_adapter: Any, tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    narrow = make_adapter("tiktok", TIKTOK_SCOPES="user.info.basic,video.list")
    tokens = connect(sandbox, narrow, account["id"])
    assert tokens.scopes == {"user.info.basic", "video.list"}
    assert tt.missing_scopes(tokens) == {"user.info.profile", "user.info.stats"}
    with pytest.raises(ScopeMissing) as info:
        tt.ensure_scopes(tokens)
    assert info.value.missing == {"user.info.profile", "user.info.stats"}
    with pytest.raises(ScopeMissing):
        tt.fetch_profile(tokens.access_token)  # stats fields without user.info.stats
    assert tt.fetch_content(tokens.access_token, max_items=3)


def test_profile(tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, tt, account["id"])
    truth = sandbox.account(account["id"])
    profile = tt.fetch_profile(tokens.access_token)
    assert profile.platform_user_id == account["platform_user_id"]
    assert (profile.username, profile.followers, profile.following) == ("tt.creator", 10_234, truth["following"])
    assert profile.media_count == truth["posts_count"]
    assert profile.total_likes == truth["totals"]["like_count"]
    assert profile.extras["union_id"] == truth["union_id"]


@pytest.mark.parametrize("short_pages", [False, True])
def test_content_pages_to_the_end(
    tt: TikTokAdapter,
    sandbox: SandboxControl,
    sandbox_app: Any,
    account: dict[str, Any],
    short_pages: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sandbox_app.extensions["sandbox"].cfg, "TIKTOK_SHORT_PAGES", short_pages)
    tokens = connect(sandbox, tt, account["id"])
    truth = sandbox.account(account["id"], posts=True)["posts"]
    assert len(truth) > 40
    sandbox.clear_calls()
    items = tt.fetch_content(tokens.access_token)
    assert [i.platform_id for i in items] == [p["id"] for p in truth]
    calls = [c for c in sandbox.calls("tiktok") if c["path"].endswith("/video/list/")]
    assert len(calls) >= -(-len(truth) // 20)
    by_id = {p["id"]: p for p in truth}
    for item in items:
        assert item.kind == "video"
        assert item.published_at.tzinfo is not None
        assert item.metrics == {
            "views": by_id[item.platform_id]["view_count"],
            "likes": by_id[item.platform_id]["like_count"],
            "comments": by_id[item.platform_id]["comment_count"],
            "shares": by_id[item.platform_id]["share_count"],
        }
        assert item.duration_seconds == by_id[item.platform_id]["duration"]
        assert item.permalink
        assert item.permalink.endswith(item.platform_id)


def test_content_stops_at_the_window(tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, tt, account["id"])
    since = datetime(2026, 10, 15, tzinfo=UTC) - timedelta(days=10)
    sandbox.clear_calls()
    items = tt.fetch_content(tokens.access_token, since=since)
    assert items
    assert all(i.published_at >= since for i in items)
    assert len(sandbox.calls("tiktok")) == 1
    assert len(tt.fetch_content(tokens.access_token, max_items=25)) == 25


def test_content_metrics_in_batches_of_20(tt: TikTokAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, tt, account["id"])
    items = tt.fetch_content(tokens.access_token, max_items=25)
    sandbox.clear_calls()
    metrics = tt.fetch_content_metrics(tokens.access_token, items)
    assert [c["path"] for c in sandbox.calls("tiktok")] == ["/open.tiktokapis.com/v2/video/query/"] * 2
    assert metrics == {i.platform_id: dict(i.metrics) for i in items}
    assert tt.fetch_account_insights(tokens.access_token, date(2026, 10, 1), date(2026, 10, 14)) == []


FAULTS: list[tuple[str, type[PlatformError]]] = [
    ("rate_limited", RateLimited),
    ("quota_exceeded", RateLimited),
    ("server_error", PlatformUnavailable),
    ("token_expired", TokenExpired),
    ("token_revoked", TokenExpired),  # TikTok cannot tell them apart; the refresh then can
    ("malformed", BadResponse),
]


@pytest.mark.parametrize(("kind", "expected"), FAULTS)
def test_data_faults(
    tt: TikTokAdapter,
    sandbox: SandboxControl,
    account: dict[str, Any],
    kind: str,
    expected: type[PlatformError],
    all_logs: CaptureAll,
) -> None:
    tokens = connect(sandbox, tt, account["id"])
    sandbox.add_fault("tiktok", kind, path_contains="/video/list/", retry_after=30)
    with pytest.raises(expected) as info:
        tt.fetch_content(tokens.access_token)
    assert type(info.value) is expected
    if expected is RateLimited:
        assert isinstance(info.value, RateLimited)
        assert info.value.retry_after == 30.0
    assert_no_secrets(error_texts(info.value) + all_logs.lines, _values(sandbox, account))


TOKEN_FAULTS: list[tuple[str, type[PlatformError]]] = [
    ("rate_limited", RateLimited),
    ("server_error", PlatformUnavailable),
    ("token_expired", AccessRevoked),
    ("token_revoked", AccessRevoked),
    ("malformed", BadResponse),
]


@pytest.mark.parametrize(("kind", "expected"), TOKEN_FAULTS)
def test_refresh_faults(
    tt: TikTokAdapter,
    sandbox: SandboxControl,
    account: dict[str, Any],
    kind: str,
    expected: type[PlatformError],
    all_logs: CaptureAll,
) -> None:
    tokens = connect(sandbox, tt, account["id"])
    sandbox.add_fault("tiktok", kind, path_contains="/oauth/token/")
    with pytest.raises(expected) as info:
        tt.refresh(tokens)
    assert type(info.value) is expected
    assert_no_secrets(error_texts(info.value) + all_logs.lines, _values(sandbox, account))
    assert tt.refresh(tokens).refresh_token  # nothing rotated while the fault answered


def test_timeout(sandbox: SandboxControl, account: dict[str, Any], sandbox_url: str, tt: TikTokAdapter) -> None:
    from app.platforms import get_adapter
    from app.platforms.http import make_session
    from tests.platforms.conftest import adapter_settings

    tokens = connect(sandbox, tt, account["id"])
    quick = get_adapter("tiktok", adapter_settings(sandbox_url), make_session(1.0, 0.3))
    sandbox.add_fault("tiktok", "timeout", path_contains="/user/info/", seconds=1.0)
    with pytest.raises(PlatformUnavailable):
        quick.fetch_profile(tokens.access_token)
