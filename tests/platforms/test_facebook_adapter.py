"""The Facebook Pages adapter against the sandbox over real HTTP: Login, Pages, profile, posts, insights,
faults, revocation, partial and hostile answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from app.platforms import (
    AccessRevoked,
    BadResponse,
    PlatformUnavailable,
    RateLimited,
    ScopeMissing,
    TokenExpired,
    TokenSet,
)
from app.platforms.base import ContentItem
from app.platforms.errors import InvalidRequest, PlatformError
from app.platforms.facebook import DEPRECATED_METRICS, PAGE_METRICS, POST_METRICS, FacebookAdapter
from tests.platforms.conftest import CaptureAll, assert_no_secrets, connect, drive_consent, error_texts
from tests.support.sandbox import REDIRECT_URI, SandboxControl


@pytest.fixture
def fb(make_adapter: Any) -> FacebookAdapter:
    adapter = make_adapter("facebook")
    assert isinstance(adapter, FacebookAdapter)
    return adapter


@pytest.fixture
def pages(sandbox: SandboxControl) -> list[dict[str, Any]]:
    return [
        sandbox.create_account("facebook", "amara.music", 9_870, owner="Amara", seed=31),
        sandbox.create_account("facebook", "amara.tours", 410, owner="Amara", seed=32),
    ]


def page_token(fb: FacebookAdapter, sandbox: SandboxControl, account_id: str, page_id: str) -> TokenSet:
    user = connect(sandbox, fb, account_id)
    chosen = next(p for p in fb.list_pages(user.access_token) if p.page_id == page_id)
    return fb.page_grant(user, chosen)


def test_authorize_url_is_the_login_dialog(fb: FacebookAdapter, sandbox: SandboxControl) -> None:
    url = fb.authorize_url("st", REDIRECT_URI, "ignored-challenge")
    parts = urlsplit(url)
    assert parts.path == "/www.facebook.com/v25.0/dialog/oauth"
    query = parse_qs(parts.query)
    assert query["scope"] == ["pages_show_list,pages_read_engagement,read_insights"]
    assert "code_challenge" not in query
    assert fb.uses_pkce is False


def test_login_gives_a_long_lived_user_grant_and_the_pages(
    fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]
) -> None:
    user = connect(sandbox, fb, pages[0]["id"])
    assert user.expires_at is not None
    assert user.expires_at - datetime.now(UTC) > timedelta(days=50)
    assert user.scopes == {"pages_show_list", "pages_read_engagement", "read_insights"}
    assert not fb.missing_scopes(user)
    found = fb.list_pages(user.access_token)
    assert {p.page_id for p in found} == {p["platform_user_id"] for p in pages}
    assert all(p.can_analyze for p in found)
    assert all(p.access_token not in repr(p) for p in found)
    grant = fb.page_grant(user, found[0])
    assert grant.expires_at is None  # Page tokens from a long-lived user token do not expire
    assert not fb.can_refresh(grant)
    assert fb.refresh(grant) is grant


def test_a_person_without_a_page_has_none_to_list(fb: FacebookAdapter, sandbox: SandboxControl) -> None:
    person = sandbox.create_account("facebook", "no.page", 0, account_type="PERSON", owner="Nobody")
    user = connect(sandbox, fb, person["id"])
    assert fb.list_pages(user.access_token) == []


def test_an_unticked_permission_is_reported_missing(
    fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]
) -> None:
    user = connect(sandbox, fb, pages[0]["id"], scopes=["pages_show_list", "pages_read_engagement"])
    assert fb.missing_scopes(user) == {"read_insights"}
    grant = fb.page_grant(user, fb.list_pages(user.access_token)[0])
    with pytest.raises(ScopeMissing):
        fb.fetch_account_insights(grant.access_token, date(2026, 10, 10), date(2026, 10, 14))


def test_profile_posts_and_insights_match_the_sandbox_truth(
    fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]
) -> None:
    page = pages[0]
    grant = page_token(fb, sandbox, page["id"], page["platform_user_id"])
    profile = fb.fetch_profile(grant.access_token)
    assert (profile.platform_user_id, profile.username, profile.followers) == (
        page["platform_user_id"],
        "amara.music",
        9_870,
    )
    assert profile.account_type == "PAGE"
    assert profile.extras["fan_count"] <= 9_870

    truth = sandbox.account(page["id"], posts=True, history=True)
    items = fb.fetch_content(grant.access_token)
    assert len(items) == len(truth["posts"]) > 100  # more than one page of 100
    assert [i.published_at for i in items] == sorted((i.published_at for i in items), reverse=True)
    by_id = {p["id"]: p for p in truth["posts"]}
    for item in items[:5]:
        want = by_id[item.platform_id]
        assert item.metrics["likes"] == want["like_count"]
        assert item.metrics["comments"] == want["comment_count"]
        assert item.metrics["shares"] == want["share_count"]
        assert item.metrics["views"] == want["view_count"]
        assert item.metrics["reach"] == want["reach"]
    calls = [c for c in sandbox.calls("facebook") if "published_posts" in c["path"]]
    assert len(calls) == 2

    since = datetime(2026, 10, 1, tzinfo=UTC)
    recent = fb.fetch_content(grant.access_token, since)
    assert recent
    assert all(i.published_at >= since for i in recent)

    fresh = fb.fetch_content_metrics(grant.access_token, items[:3])
    assert set(fresh) == {i.platform_id for i in items[:3]}

    today = date.fromisoformat(truth["today"])
    days = fb.fetch_account_insights(grant.access_token, today - timedelta(days=10), today - timedelta(days=1))
    assert [d.day for d in days] == [today - timedelta(days=n) for n in range(10, 0, -1)]
    changes = truth["daily_changes"]
    for d in days:
        index = (d.day - date.fromisoformat(truth["history_start"])).days
        assert d.metrics["followers_gained"] - d.metrics["followers_lost"] == changes[index]
        assert {"views", "reach", "total_interactions"} <= set(d.metrics)


def test_backfill_reads_two_years_in_90_day_windows_and_never_asks_removed_metrics(
    fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]
) -> None:
    grant = page_token(fb, sandbox, pages[0]["id"], pages[0]["platform_user_id"])
    sandbox.clear_calls()
    today = date(2026, 10, 15)
    days = fb.fetch_account_insights(grant.access_token, today - timedelta(days=730), today - timedelta(days=1))
    assert days  # from the Page's history start (365 days of sandbox history)
    calls = [c for c in sandbox.calls("facebook") if c["path"].endswith("/insights")]
    assert len(calls) == 9
    assert all(c["status"] == 200 for c in calls)
    assert not set(PAGE_METRICS + POST_METRICS) & DEPRECATED_METRICS


FAULTS = [
    ("rate_limited", RateLimited),
    ("quota_exceeded", RateLimited),
    ("server_error", PlatformUnavailable),
    ("token_expired", TokenExpired),
    ("token_revoked", AccessRevoked),
    ("malformed", BadResponse),
]


@pytest.mark.parametrize(("kind", "expected"), FAULTS)
def test_faults_map_to_typed_errors(
    fb: FacebookAdapter,
    sandbox: SandboxControl,
    pages: list[dict[str, Any]],
    kind: str,
    expected: type[PlatformError],
    all_logs: CaptureAll,
) -> None:
    grant = page_token(fb, sandbox, pages[0]["id"], pages[0]["platform_user_id"])
    sandbox.add_fault("facebook", kind, path_contains="/published_posts", retry_after=120)
    with pytest.raises(expected) as info:
        fb.fetch_content(grant.access_token)
    assert type(info.value) is expected
    if kind == "quota_exceeded":
        assert isinstance(info.value, RateLimited)
        assert info.value.retry_after == 120.0
    assert_no_secrets(error_texts(info.value) + all_logs.lines, [t["value"] for t in sandbox.tokens(pages[0]["id"])])
    assert fb.fetch_content(grant.access_token, max_items=1)  # one-shot fault


def test_timeout_is_unavailable(
    sandbox: SandboxControl, pages: list[dict[str, Any]], fb: FacebookAdapter, sandbox_url: str
) -> None:
    from app.platforms import get_adapter
    from app.platforms.http import make_session
    from tests.platforms.conftest import adapter_settings

    grant = page_token(fb, sandbox, pages[0]["id"], pages[0]["platform_user_id"])
    quick = get_adapter("facebook", adapter_settings(sandbox_url), make_session(1.0, 0.3))
    sandbox.add_fault("facebook", "timeout", path_contains="/me", seconds=1.0)
    with pytest.raises(PlatformUnavailable) as info:
        quick.fetch_profile(grant.access_token)
    assert grant.access_token not in str(info.value)


def test_code_exchange_failures(fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]) -> None:
    code, _, _ = drive_consent(sandbox, fb, pages[0]["id"])
    with pytest.raises(InvalidRequest):
        fb.exchange_code(code, "http://127.0.0.1:5000/elsewhere")
    assert fb.exchange_code(code, REDIRECT_URI).access_token  # the right redirect_uri still works
    with pytest.raises(InvalidRequest):
        fb.exchange_code(code, REDIRECT_URI)  # used
    for kind, expected in [("server_error", PlatformUnavailable), ("malformed", BadResponse)]:
        code, _, _ = drive_consent(sandbox, fb, pages[0]["id"])
        sandbox.add_fault("facebook", kind, path_contains="/oauth/access_token")
        with pytest.raises(expected) as info:
            fb.exchange_code(code, REDIRECT_URI)
        assert code not in "".join(error_texts(info.value))


def test_token_revoked_between_syncs(fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]) -> None:
    grant = page_token(fb, sandbox, pages[0]["id"], pages[0]["platform_user_id"])
    assert fb.fetch_profile(grant.access_token).followers == 9_870
    sandbox.revoke(pages[0]["id"])  # the person removed the app, or lost the Page role
    with pytest.raises(AccessRevoked):
        fb.fetch_profile(grant.access_token)


def test_partial_and_hostile_answers(fb: FacebookAdapter, sandbox: SandboxControl) -> None:
    hostile = '<script>alert("x")</script> & "quotes" \u202e'
    acc = sandbox.create_account(
        "facebook",
        "hostile.page",
        120,
        owner="Eve",
        display_name=hostile,
        posts=[
            {"published_at": "2026-10-10T10:00:00Z", "caption": hostile + " #launch", "like_count": 3},
            {"published_at": "2026-10-11T10:00:00Z", "caption": "", "like_count": 0, "share_count": 0},
        ],
    )
    grant = page_token(fb, sandbox, acc["id"], acc["platform_user_id"])
    assert fb.fetch_profile(grant.access_token).display_name == hostile  # kept verbatim; pages escape it
    items = fb.fetch_content(grant.access_token)
    quiet = next(i for i in items if i.published_at.day == 11)
    assert quiet.caption is None  # Meta leaves ``message`` out of a post without text
    assert quiet.metrics["shares"] == 0  # ... and ``shares`` when nobody shared
    loud = next(i for i in items if i.published_at.day == 10)
    assert loud.hashtags == ("launch",)


def _post_reads(sandbox: SandboxControl, ids: set[str]) -> list[str]:
    return [c["path"] for c in sandbox.calls("facebook") if c["path"].rsplit("/", 1)[-1] in ids]


def test_due_posts_come_from_the_posts_list_with_the_numbers_a_post_read_gives(
    fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]
) -> None:
    """``posts_and_due``: the new posts and the due posts' numbers from one walk of the list (2 pages here
    for 4 due posts, of which one is past the first 100), no ``GET /{post}``; the numbers equal what a
    ``GET /{post}`` each gives (``fetch_content_metrics``)."""
    grant = page_token(fb, sandbox, pages[0]["id"], pages[0]["platform_user_id"])
    items = fb.fetch_content(grant.access_token)
    assert len(items) > 110
    since = items[2].published_at  # the 3 newest are new
    due = [items[5], items[20], items[60], items[105]]
    sandbox.clear_calls()
    got = fb.posts_and_due(grant.access_token, since, due)
    ids = {i.platform_id for i in items}
    assert [i.platform_id for i in got.content] == [i.platform_id for i in items[:3]]
    assert set(got.metrics) == {i.platform_id for i in due}
    assert (got.unread, got.error) == ([], None)
    assert [c["path"].rsplit("/", 1)[-1] for c in sandbox.calls("facebook")] == ["published_posts"] * 2
    assert _post_reads(sandbox, ids) == []
    assert got.metrics == fb.fetch_content_metrics(grant.access_token, due)
    assert {"likes", "comments", "shares", "views", "reach"} <= set(got.metrics[due[-1].platform_id])


def test_a_walk_never_costs_more_calls_than_the_post_reads_it_replaces(
    fb: FacebookAdapter, sandbox: SandboxControl, pages: list[dict[str, Any]]
) -> None:
    """A lone due post past the first page: another page might not find it, so the walk stops after the
    first (which the new posts needed anyway) and leaves it ``unread`` for a ``GET /{post}``: 1 + 1 calls,
    as before. A due post the walk passed without finding is gone: not unread."""
    grant = page_token(fb, sandbox, pages[0]["id"], pages[0]["platform_user_id"])
    items = fb.fetch_content(grant.access_token)
    since = items[0].published_at
    sandbox.clear_calls()
    got = fb.posts_and_due(grant.access_token, since, [items[150]])
    assert (got.metrics, [i.platform_id for i in got.unread]) == ({}, [items[150].platform_id])
    assert len(sandbox.calls("facebook")) == 1
    gone = ContentItem(
        platform_id=f"{pages[0]['platform_user_id']}_999",
        kind="image",
        published_at=items[3].published_at,
        metrics={"likes": 1},
    )
    got = fb.posts_and_due(grant.access_token, since, [items[4], gone])
    assert set(got.metrics) == {items[4].platform_id}
    assert got.unread == []
