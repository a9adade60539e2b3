"""X adapter against the sandbox: PKCE dance, rotation, revoke, profile, timeline paging, owner metrics
inside 30 days, lookup, error classification (every fault kind, the monthly cap, protected and suspended
accounts), malformed and hostile answers, and no token in any error or log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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
    pkce_challenge,
)
from app.platforms.errors import AccountSuspended, QuotaExceeded, ScopeMissing
from app.platforms.x import XAdapter, cycle_start, is_post_read, next_cycle_start
from tests.platforms.conftest import CaptureAll, assert_no_secrets, connect, drive_consent, error_texts
from tests.support.sandbox import REDIRECT_URI, SandboxControl


@pytest.fixture
def xa(make_adapter: Any) -> XAdapter:
    adapter = make_adapter("x")
    assert isinstance(adapter, XAdapter)
    return adapter


@pytest.fixture
def account(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_account("x", "x.creator", 8_765, seed=21, post_every_days=1, history_days=150)


def test_authorize_url_requires_pkce(xa: XAdapter, sandbox: SandboxControl) -> None:
    assert xa.uses_pkce
    assert xa.rotates_refresh_token
    challenge = pkce_challenge("v" * 64)
    parts = urlsplit(xa.authorize_url("st-1", REDIRECT_URI, challenge))
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == sandbox.url("x.com/i/oauth2/authorize")
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "sandbox-x-client",
        "redirect_uri": REDIRECT_URI,
        "scope": "tweet.read users.read offline.access",
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    with pytest.raises(ValueError, match="PKCE"):
        xa.authorize_url("st-1", REDIRECT_URI, None)


def test_oauth_dance_rotation_and_revoke(xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, xa, account["id"])
    xa.ensure_scopes(tokens)
    assert tokens.expires_at is not None
    assert timedelta(hours=1, minutes=59) < tokens.expires_at - datetime.now(UTC) <= timedelta(hours=2)
    assert tokens.refresh_token
    assert tokens.access_token not in repr(tokens)
    rotated = xa.refresh(tokens)
    assert rotated.refresh_token
    assert rotated.refresh_token != tokens.refresh_token
    with pytest.raises(AccessRevoked):
        xa.refresh(tokens)  # the old refresh token was single use
    assert xa.fetch_profile(rotated.access_token).platform_user_id == account["platform_user_id"]
    xa.revoke(rotated)
    with pytest.raises(TokenExpired):
        xa.fetch_profile(rotated.access_token)
    with pytest.raises(AccessRevoked):
        xa.refresh(rotated)
    xa.revoke(rotated)  # revoking a dead grant is not an error


def test_a_used_or_wrong_code_is_an_invalid_request(
    xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    code, verifier, _ = drive_consent(sandbox, xa, account["id"])
    with pytest.raises(InvalidRequest):
        xa.exchange_code(code, REDIRECT_URI, "a-wrong-verifier-" + "z" * 40)
    code, verifier, _ = drive_consent(sandbox, xa, account["id"])
    xa.exchange_code(code, REDIRECT_URI, verifier)
    with pytest.raises(InvalidRequest):
        xa.exchange_code(code, REDIRECT_URI, verifier)


def test_profile_content_and_owner_metrics(xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, xa, account["id"])
    profile = xa.fetch_profile(tokens.access_token)
    truth = sandbox.account(account["id"], posts=True)
    assert profile.followers == 8_765
    assert profile.username == "x.creator"
    assert profile.media_count == truth["posts_count"]
    assert profile.extras["protected"] is False
    items = xa.fetch_content(tokens.access_token, None, profile=profile)
    assert [i.platform_id for i in items] == [p["id"] for p in truth["posts"]]
    assert len(items) > 100  # more than one page
    newest, oldest = items[0], items[-1]
    assert newest.kind == "post"
    assert newest.permalink == f"https://x.com/x.creator/status/{newest.platform_id}"
    assert newest.metrics["views"] == truth["posts"][0]["view_count"]
    assert newest.metrics["likes"] == truth["posts"][0]["like_count"]
    assert newest.metrics["comments"] == truth["posts"][0]["comment_count"]
    assert "profile_visits" in newest.metrics  # owner metrics inside 30 days
    assert newest.extras["owner_metrics"] is True
    assert "profile_visits" not in oldest.metrics
    assert oldest.extras["owner_metrics"] is False
    since = datetime(2026, 10, 1, tzinfo=UTC)
    recent = xa.fetch_content(tokens.access_token, since, profile=profile)
    assert recent
    assert all(i.published_at >= since for i in recent)
    assert len(xa.fetch_content(tokens.access_token, None, max_items=7, profile=profile)) == 7
    fresh = xa.fetch_content_metrics(tokens.access_token, [*items[:3], *items[-2:]])
    assert set(fresh) == {i.platform_id for i in [*items[:3], *items[-2:]]}
    assert xa.fetch_account_insights(tokens.access_token, since.date(), since.date()) == []


def test_post_reads_are_counted_and_the_monthly_cap_defers(
    xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    tokens = connect(sandbox, xa, account["id"])
    profile = xa.fetch_profile(tokens.access_token)
    sandbox.x_usage(post_reads=3_000_000)
    with pytest.raises(QuotaExceeded) as caught:
        xa.fetch_content(tokens.access_token, None, profile=profile)
    assert caught.value.resets_at == next_cycle_start(datetime.now(UTC), 1)
    assert "monthly" in str(caught.value)
    assert xa.fetch_profile(tokens.access_token).followers == 8_765  # user reads still work


def test_protected_account_syncs_its_own_posts(xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    sandbox.x_state(account["id"], protected=True)
    tokens = connect(sandbox, xa, account["id"])
    profile = xa.fetch_profile(tokens.access_token)
    assert profile.extras["protected"] is True
    assert profile.account_type == "protected"
    assert xa.fetch_content(tokens.access_token, None, max_items=5, profile=profile)


def test_suspended_account_is_classified(xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, xa, account["id"])
    sandbox.x_state(account["id"], suspended=True)
    with pytest.raises(AccountSuspended) as caught:
        xa.fetch_profile(tokens.access_token)
    assert isinstance(caught.value, AccessRevoked)


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("rate_limited", RateLimited),
        ("quota_exceeded", QuotaExceeded),
        ("server_error", PlatformUnavailable),
        ("token_expired", TokenExpired),
        ("token_revoked", TokenExpired),
        ("malformed", BadResponse),
        ("timeout", PlatformUnavailable),
    ],
)
def test_every_fault_kind_is_classified(
    xa: XAdapter,
    sandbox: SandboxControl,
    account: dict[str, Any],
    kind: str,
    error: type[Exception],
    all_logs: CaptureAll,
    sandbox_url: str,
) -> None:
    from app.platforms import get_adapter
    from app.platforms.http import make_session
    from tests.platforms.conftest import adapter_settings

    tokens = connect(sandbox, xa, account["id"])
    quick = get_adapter("x", adapter_settings(sandbox_url), make_session(1.0, 0.3))
    sandbox.add_fault("x", kind, path_contains="/2/users/", retry_after=120, seconds=1.0 if kind == "timeout" else None)
    with pytest.raises(error) as caught:
        quick.fetch_profile(tokens.access_token)
    if kind == "rate_limited":
        assert isinstance(caught.value, RateLimited)
        assert caught.value.retry_after is not None
    assert_no_secrets([*error_texts(caught.value), *all_logs.lines], [tokens.access_token, tokens.refresh_token or ""])


def test_refresh_faults(xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]) -> None:
    tokens = connect(sandbox, xa, account["id"])
    sandbox.add_fault("x", "token_revoked", path_contains="/2/oauth2/token")
    with pytest.raises(AccessRevoked):
        xa.refresh(tokens)
    sandbox.add_fault("x", "server_error", path_contains="/2/oauth2/token")
    with pytest.raises(PlatformUnavailable):
        xa.refresh(tokens)
    sandbox.add_fault("x", "rate_limited", path_contains="/2/oauth2/token")
    with pytest.raises(RateLimited):
        xa.refresh(tokens)
    assert xa.refresh(tokens).access_token  # the faults did not use the refresh token


def test_hostile_names_and_text_are_data(xa: XAdapter, sandbox: SandboxControl) -> None:
    hostile = '<script>alert("x")</script> \u202e\u0000 #tag 🎉 &amp; {{ 7*7 }}'
    acc = sandbox.create_account(
        "x",
        "evil_name",
        10,
        seed=23,
        display_name='"><img src=x onerror=alert(1)>',
        posts=[{"published_at": "2026-10-14T10:00:00Z", "caption": hostile, "like_count": 3}],
    )
    tokens = connect(sandbox, xa, acc["id"])
    profile = xa.fetch_profile(tokens.access_token)
    assert profile.display_name == '"><img src=x onerror=alert(1)>'
    (item,) = xa.fetch_content(tokens.access_token, None, profile=profile)
    assert item.caption == hostile
    assert item.hashtags == ("tag",)


def test_cycle_helpers() -> None:
    now = datetime(2026, 12, 15, 8, tzinfo=UTC)
    assert next_cycle_start(now, 1) == datetime(2027, 1, 1, tzinfo=UTC)
    assert next_cycle_start(now, 20) == datetime(2026, 12, 20, tzinfo=UTC)
    assert cycle_start(now, 20) == datetime(2026, 11, 20, tzinfo=UTC)
    assert cycle_start(datetime(2026, 1, 5, tzinfo=UTC), 10) == datetime(2025, 12, 10, tzinfo=UTC)
    assert is_post_read("https://api.x.com/2/users/123/tweets?max_results=100")
    assert is_post_read("http://127.0.0.1:1/api.x.com/2/tweets?ids=1,2")
    assert not is_post_read("https://api.x.com/2/users/me")
    assert not is_post_read("https://api.x.com/2/oauth2/token")


def test_scope_missing_when_users_read_was_not_granted(
    xa: XAdapter, sandbox: SandboxControl, account: dict[str, Any]
) -> None:
    import requests

    from app.platforms import TokenSet
    from tests.support.sandbox import CLIENTS, pkce_pair

    location = sandbox.consent(sandbox.authorize_url("x", scope="tweet.read offline.access"), account["id"])
    answer = requests.post(
        sandbox.url("api.x.com/2/oauth2/token"),
        auth=CLIENTS["x"],
        data={
            "grant_type": "authorization_code",
            "code": sandbox.redirect_params(location)["code"],
            "redirect_uri": REDIRECT_URI,
            "code_verifier": pkce_pair()[0],
        },
        timeout=10,
    ).json()
    narrow = TokenSet(access_token=answer["access_token"], scopes=xa.granted_scopes(answer["scope"]))
    assert xa.missing_scopes(narrow) == {"users.read"}
    with pytest.raises(ScopeMissing):
        xa.ensure_scopes(narrow)
    with pytest.raises(ScopeMissing):
        xa.fetch_profile(narrow.access_token)


def test_v2_167_field_names_are_read_too(http_session: Any) -> None:
    """X's newer spec renames tweet_count/retweet_count to post_count/repost_count: both are parsed."""
    from app.platforms import get_adapter
    from app.sandbox import create_app
    from tests.platforms.conftest import adapter_settings
    from tests.support.live import serve_wsgi
    from tests.support.sandbox import SANDBOX_TEST_CONFIG

    app = create_app({**SANDBOX_TEST_CONFIG, "X_POST_FIELD_NAMES": True})
    with serve_wsgi(app) as url:
        control = SandboxControl(url)
        account = control.create_account("x", "new.names", 700, seed=31, post_every_days=1, history_days=20)
        adapter = get_adapter("x", adapter_settings(url), http_session)
        tokens = connect(control, adapter, account["id"])
        profile = adapter.fetch_profile(tokens.access_token)
        truth = control.account(account["id"], posts=True)
        assert profile.media_count == truth["posts_count"]
        items = adapter.fetch_content(tokens.access_token, None, profile=profile)
        assert items[0].metrics["shares"] >= truth["posts"][0]["share_count"]  # reposts + quotes
        control.http.close()
