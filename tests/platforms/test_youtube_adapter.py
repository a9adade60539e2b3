"""YouTube adapter against the sandbox: Google OAuth (PKCE, offline, granular consent), no rotation,
revoke, channel -> uploads -> videos, Analytics, quota and faults, P1."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

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
    pkce_challenge,
)
from app.platforms.errors import PlatformError
from app.platforms.youtube import SCOPE_ANALYTICS, SCOPE_READONLY, YouTubeAdapter
from tests.platforms.conftest import CaptureAll, assert_no_secrets, connect, drive_consent, error_texts
from tests.support.sandbox import REDIRECT_URI, SandboxControl


@pytest.fixture
def yt(make_adapter: Any) -> YouTubeAdapter:
    adapter = make_adapter("youtube")
    assert isinstance(adapter, YouTubeAdapter)
    return adapter


@pytest.fixture
def account(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_account(
        "youtube", "yt.creator", 15_432, seed=9, post_every_days=2, shorts_every_days=2, history_days=120
    )


def _values(sandbox: SandboxControl, account: dict[str, Any]) -> list[str]:
    return [t["value"] for t in sandbox.tokens(account["id"])]


def test_authorize_url(yt: YouTubeAdapter, sandbox: SandboxControl) -> None:
    assert yt.uses_pkce
    assert not yt.rotates_refresh_token
    challenge = pkce_challenge("v" * 64)
    parts = urlsplit(yt.authorize_url("st-1", REDIRECT_URI, challenge))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == sandbox.url("accounts.google.com/o/oauth2/v2/auth")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "sandbox-google-client",
        "redirect_uri": REDIRECT_URI,
        "scope": f"{SCOPE_READONLY} {SCOPE_ANALYTICS}",
        "state": "st-1",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def test_oauth_dance(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"])
    assert tokens.refresh_token
    assert tokens.access_token.startswith("ya29.")
    assert tokens.scopes == {SCOPE_READONLY, SCOPE_ANALYTICS}
    yt.ensure_scopes(tokens)
    assert tokens.expires_at is not None
    assert timedelta(minutes=59) < tokens.expires_at - datetime.now(UTC) <= timedelta(seconds=3599)
    assert tokens.access_token not in repr(tokens)
    assert tokens.refresh_token not in repr(tokens)


def test_pkce_and_code_reuse(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    code, verifier, _ = drive_consent(sandbox, yt, account["id"])
    with pytest.raises(InvalidRequest) as wrong:
        yt.exchange_code(code, REDIRECT_URI, "w" * 64)
    assert code not in "".join(error_texts(wrong.value))
    code, verifier, _ = drive_consent(sandbox, yt, account["id"])
    yt.exchange_code(code, REDIRECT_URI, verifier)
    with pytest.raises(InvalidRequest):
        yt.exchange_code(code, REDIRECT_URI, verifier)


def test_granular_consent_unticked_scope(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"], scopes=[SCOPE_READONLY])
    assert tokens.scopes == {SCOPE_READONLY}
    assert yt.missing_scopes(tokens) == {SCOPE_ANALYTICS}
    with pytest.raises(ScopeMissing) as info:
        yt.ensure_scopes(tokens)
    assert info.value.missing == {SCOPE_ANALYTICS}
    with pytest.raises(ScopeMissing):
        yt.fetch_account_insights(tokens.access_token, date(2026, 10, 1), date(2026, 10, 5))
    assert yt.fetch_profile(tokens.access_token).username  # the Data API scope still works


def test_refresh_keeps_the_refresh_token(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"])
    renewed = yt.refresh(tokens)
    assert renewed.access_token != tokens.access_token
    assert renewed.refresh_token == tokens.refresh_token  # Google does not rotate: the old one is kept
    assert renewed.scopes == tokens.scopes
    assert yt.fetch_profile(renewed.access_token).platform_user_id == account["platform_user_id"]
    assert yt.refresh(renewed).refresh_token == tokens.refresh_token


def test_testing_mode_refresh_token_dies_after_7_days(
    yt: YouTubeAdapter,
    sandbox: SandboxControl,
    sandbox_app: Any,
    account: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sandbox_app.extensions["sandbox"].cfg, "GOOGLE_TESTING_MODE", True)
    tokens = connect(sandbox, yt, account["id"])
    sandbox.advance_days(8)
    with pytest.raises(AccessRevoked):
        yt.refresh(tokens)


def test_revoke(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"])
    yt.revoke(tokens)
    with pytest.raises(AccessRevoked):
        yt.refresh(tokens)
    with pytest.raises(TokenExpired):
        yt.fetch_profile(tokens.access_token)
    yt.revoke(tokens)  # already revoked: fine
    other = connect(sandbox, yt, account["id"])
    sandbox.revoke(account["id"])  # the user removed the app
    with pytest.raises(AccessRevoked):
        yt.refresh(other)


def test_profile(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"])
    truth = sandbox.account(account["id"])
    profile = yt.fetch_profile(tokens.access_token)
    assert profile.platform_user_id == account["platform_user_id"]
    assert profile.extras["uploads_playlist_id"] == truth["uploads_playlist_id"]
    assert profile.followers == 15_400  # subscriberCount rounded to 3 significant figures, like Google
    assert profile.media_count == truth["posts_count"]
    assert profile.total_views is not None
    assert profile.display_name


def test_content_channel_uploads_videos(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"])
    truth = sandbox.account(account["id"], posts=True)["posts"]
    assert len(truth) > 50
    profile = yt.fetch_profile(tokens.access_token)
    sandbox.clear_calls()
    items = yt.fetch_content(tokens.access_token, profile=profile)
    paths = [c["path"].split("/youtube/v3/")[-1] for c in sandbox.calls("youtube")]
    pages = -(-len(truth) // 50)
    assert paths == ["playlistItems"] * pages + ["videos"] * pages  # never search, no extra channel call
    assert sum(c["quota_units"] for c in sandbox.calls("youtube")) == 2 * pages
    assert [i.platform_id for i in items] == [p["id"] for p in truth]
    by_id = {p["id"]: p for p in truth}
    for item in items:
        assert item.kind == by_id[item.platform_id]["kind"]  # short vs video
        assert item.duration_seconds == by_id[item.platform_id]["duration"]
        assert item.metrics["views"] == by_id[item.platform_id]["view_count"]
        assert item.metrics["likes"] == by_id[item.platform_id]["like_count"]
        assert item.published_at.tzinfo is not None
    assert {i.kind for i in items} == {"short", "video"}


def test_content_stops_at_the_window(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"])
    since = datetime(2026, 10, 15, tzinfo=UTC) - timedelta(days=14)
    sandbox.clear_calls()
    items = yt.fetch_content(tokens.access_token, since=since)
    assert items
    assert all(i.published_at >= since for i in items)
    paths = [c["path"].split("/youtube/v3/")[-1] for c in sandbox.calls("youtube")]
    assert paths == ["channels", "playlistItems", "videos"]  # 3 units for a daily sync
    metrics = yt.fetch_content_metrics(tokens.access_token, items)
    assert set(metrics) == {i.platform_id for i in items}


def test_account_insights(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, yt, account["id"])
    days = yt.fetch_account_insights(tokens.access_token, date(2026, 9, 1), date(2026, 10, 14))
    pacific_today = datetime(2026, 10, 15, 12, tzinfo=UTC).astimezone(ZoneInfo("America/Los_Angeles")).date()
    assert days[0].day == date(2026, 9, 1)
    assert days[-1].day == pacific_today - timedelta(days=3)  # Analytics only has complete days
    for d in days:
        assert {"views", "watch_time", "avg_view_duration", "likes", "followers_gained", "followers_lost"} <= set(
            d.metrics
        )
    assert [c["quota_units"] for c in sandbox.calls("youtube") if "reports" in c["path"]] == [0]


def test_quota_exhaustion_defers_to_pacific_midnight(
    yt: YouTubeAdapter,
    sandbox: SandboxControl,
    sandbox_app: Any,
    account: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = connect(sandbox, yt, account["id"])
    limits = dict(sandbox_app.extensions["sandbox"].cfg["YT_QUOTA_LIMITS"], default=3)
    monkeypatch.setitem(sandbox_app.extensions["sandbox"].cfg, "YT_QUOTA_LIMITS", limits)
    for _ in range(3):
        yt.fetch_profile(tokens.access_token)
    with pytest.raises(QuotaExceeded) as info:
        yt.fetch_profile(tokens.access_token)
    pacific = ZoneInfo("America/Los_Angeles")
    resets = info.value.resets_at.astimezone(pacific)
    assert (resets.hour, resets.minute) == (0, 0)
    assert timedelta(0) < info.value.resets_at - datetime.now(UTC) <= timedelta(hours=25)


FAULTS: list[tuple[str, type[PlatformError]]] = [
    ("rate_limited", RateLimited),
    ("quota_exceeded", QuotaExceeded),
    ("server_error", PlatformUnavailable),
    ("token_expired", TokenExpired),
    ("token_revoked", TokenExpired),  # a 401 on a data call; the refresh then says invalid_grant
    ("malformed", BadResponse),
]


@pytest.mark.parametrize(("kind", "expected"), FAULTS)
def test_data_faults(
    yt: YouTubeAdapter,
    sandbox: SandboxControl,
    account: dict[str, Any],
    kind: str,
    expected: type[PlatformError],
    all_logs: CaptureAll,
) -> None:
    tokens = connect(sandbox, yt, account["id"])
    sandbox.add_fault("youtube", kind, path_contains="/youtube/v3/channels", retry_after=45)
    with pytest.raises(expected) as info:
        yt.fetch_profile(tokens.access_token)
    assert type(info.value) is expected
    if expected is RateLimited:
        assert isinstance(info.value, RateLimited)
        assert info.value.retry_after == 45.0
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
    yt: YouTubeAdapter,
    sandbox: SandboxControl,
    account: dict[str, Any],
    kind: str,
    expected: type[PlatformError],
    all_logs: CaptureAll,
) -> None:
    tokens = connect(sandbox, yt, account["id"])
    sandbox.add_fault("youtube", kind, path_contains="oauth2.googleapis.com/token")
    with pytest.raises(expected) as info:
        yt.refresh(tokens)
    assert type(info.value) is expected
    assert_no_secrets(error_texts(info.value) + all_logs.lines, _values(sandbox, account))
    assert yt.refresh(tokens).refresh_token == tokens.refresh_token


def test_garbage_during_exchange(yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    code, verifier, _ = drive_consent(sandbox, yt, account["id"])
    sandbox.add_fault("youtube", "malformed", path_contains="oauth2.googleapis.com/token")
    with pytest.raises(BadResponse) as info:
        yt.exchange_code(code, REDIRECT_URI, verifier)
    assert code not in "".join(error_texts(info.value))


def test_expired_access_token_then_refresh(
    yt: YouTubeAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    tokens = connect(sandbox, yt, account["id"])
    sandbox.advance_seconds(3600)
    with pytest.raises(TokenExpired):
        yt.fetch_profile(tokens.access_token)
    stale = dataclasses.replace(tokens, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert stale.expires_within(timedelta(minutes=15))
    assert yt.fetch_profile(yt.refresh(stale).access_token).username
