"""LinkedIn Company Pages end to end: the member's OAuth with the organization scopes, the Page picker,
then real RQ workers syncing the Page against the sandbox (followers, posts with their share
statistics, daily follower gains and share statistics backfilled), and the bad cases: a member
without the role, several Pages, the role removed before the choice and between syncs, malformed
statistics, a hostile Page name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.models import Connection, OutboxEmail
from app.models.history import AccountInsight, ContentItem
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services.quota_counters import linkedin_day_key
from tests.support.connect import connect, query, start
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain, runs

HOSTILE = "<img src=x onerror=alert(1)> Acme & Co"


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    from tests.support.connect import portal_app

    app = portal_app(make_app, sandbox_url, LINKEDIN_ORGANIZATIONS=True, **FAST)
    with app.app_context():
        yield app


def _posts() -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return [
        {
            "published_at": (now - timedelta(days=d)).isoformat(),
            "caption": f"<script>alert('post')</script> Launch #Hiring {d}",
            "like_count": 40 + d,
            "view_count": 2_000 + 10 * d,
            "comment_count": 5,
            "share_count": 2,
        }
        for d in (2, 5, 9, 14, 40)
    ]


def _member(world: SandboxControl, pages: list[dict[str, Any]] | None) -> dict[str, Any]:
    acc = world.create_account("linkedin", "li.admin", 4_200, seed=21, posts=_posts(), daily_changes=[4] * 120)
    if pages is not None:
        world.linkedin_organizations(acc["id"], pages)
    return acc


def _pick(client: Any, world: SandboxControl, account_id: str) -> str:
    resp = connect(client, world, "linkedin", account_id)
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert resp.headers["Location"].startswith("/portal/settings/connections/linkedin/pages?pick=")
    return str(resp.headers["Location"])


def _connections() -> list[Connection]:
    db.session.expire_all()
    return list(db.session.execute(select(Connection)).scalars())


def _linkedin_calls_today() -> int:
    return int(get_redis().get(linkedin_day_key()) or 0)


def test_authorize_asks_the_organization_scopes_when_enabled(app: Any, client: Any, creator: Any) -> None:
    client.login("creator@example.com")
    scopes = query(start(client, "linkedin"))["scope"].split()
    assert {"r_organization_social", "rw_organization_admin", "r_member_postAnalytics"} <= set(scopes)


def test_member_without_the_role_gets_the_member_connection_and_is_told(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    acc = world.create_account("linkedin", "li.member", 4_200, seed=21)  # MEMBER: no Page
    client.login("creator@example.com")
    resp = connect(client, world, "linkedin", acc["id"])
    assert resp.status_code == 303
    [conn] = _connections()
    assert (conn.account_type, conn.platform_user_id) == ("member", acc["platform_user_id"])
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "You are not an administrator of a LinkedIn Company Page" in page


def test_several_pages_pick_one_and_its_numbers_sync(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    acc = _member(
        world,
        [
            {"name": HOSTILE, "id": "555001", "vanity": "acme", "followers_percent": 50},
            {"name": "Second Page", "id": "555002", "followers_percent": 10},
            {"name": "Only an analyst here", "id": "555003", "role": "ANALYST"},
        ],
    )
    client.login("creator@example.com")
    before = _linkedin_calls_today()
    picker = _pick(client, world, acc["id"])
    assert _connections() == []  # nothing stored before the choice
    html = client.get(picker).get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt; Acme &amp; Co" in html
    assert "<img src=x" not in html
    assert "Second Page" in html
    assert "Only an analyst here" not in html  # not an ADMINISTRATOR of it
    assert "My own profile" in html
    assert "AQV" not in html
    assert "Bearer" not in html
    pick = query(picker)["pick"]
    resp = client.post(picker.split("?")[0], data={"pick": pick, "page": "urn:li:organization:555001"})
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith("/connected")
    again = client.post(picker.split("?")[0], data={"pick": pick, "page": "urn:li:organization:555002"})
    assert again.status_code == 400  # single use
    [conn] = _connections()
    assert (conn.platform, conn.platform_user_id) == ("linkedin", "urn:li:organization:555001")
    assert (conn.account_type, conn.display_name, conn.username) == ("organization", HOSTILE, None)
    assert conn.profile_stats["followers"] == 2_100  # 50 % of the member's 4,200
    # acls + a lookup per Page (2) in the callback, again for the picker, again for the choice, then
    # organizations + networkSizes for the connection: 3 + 3 + 3 + 2 (counted in the daily budget)
    assert _linkedin_calls_today() - before == 11

    drain(app)  # the initial sync, by a real worker
    run = runs(conn.id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message, run.details)
    # networkSizes (the Page's name was read when connecting), posts, share statistics of the posts,
    # follower + share + page statistics per day, the first audience read: lifetime follower statistics +
    # geo names + industry names, and the comments of the 5 posts (one socialActions/{urn}/comments call
    # each: none has comments yet)
    assert run.calls == 14
    assert _linkedin_calls_today() - before == 11 + 14
    items = {
        i.published_at.date(): i
        for i in db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn.id)).scalars()
    }
    assert len(items) == 5
    today = datetime.now(UTC).date()
    for d in (2, 5, 9, 14, 40):
        item = items[today - timedelta(days=d)]
        assert (item.views, item.likes, item.comments, item.shares) == (2_000 + 10 * d, 40 + d, 5, 2)
    insights = {
        (r.day, r.metric): r
        for r in db.session.execute(select(AccountInsight).where(AccountInsight.connection_id == conn.id)).scalars()
    }
    days = {d for d, _ in insights}
    assert min(days) == today - timedelta(days=365)
    assert max(days) == today - timedelta(days=1)
    assert all(r.provenance == "backfilled" for r in insights.values())
    # 4 a day for the member -> 2 a day for a Page with half the followers (4,200 * 50 % vs 4,196 * 50 %)
    assert insights[(today - timedelta(days=1), "new_followers")].value == 2
    # the Page's daily impressions add up to its posts' impressions before today (each post's truth
    # grows over its life: the last day's share is today's, not yet in a daily row)
    daily_views = sum(r.value for (d, m), r in insights.items() if m == "views")
    assert 0 < daily_views <= sum(2_000 + 10 * d for d in (2, 5, 9, 14, 40))

    # a second sync the same day: no new post and none due on the aging schedule, so no per-post
    # statistics call, and the audience is not due for a week: networkSizes + posts + follower, share and
    # page statistics by day
    dispatch.enqueue_sync(conn.id, "manual")
    drain(app)
    daily = runs(conn.id)[-1]
    assert daily.status == "succeeded", (daily.status, daily.error_message)
    assert daily.calls == 5
    assert _linkedin_calls_today() - before == 11 + 14 + 5

    # downstream: LinkedIn everywhere, labelled with the Page's name, escaped
    cards = client.get("/portal/settings/connections").get_data(as_text=True)
    assert 'id="conn-linkedin"' in cards
    assert "&lt;img src=x onerror=alert(1)&gt; Acme &amp; Co" in cards
    assert "Company Page" in cards
    for url in ("/portal", "/portal/analytics/linkedin"):
        text = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in text, url
        assert "<script>alert('post')" not in text, url
    metrics = client.get("/api/portal/social/linkedin/metrics?range=30d").get_json()
    assert metrics["followers"]["end"] == 2_100
    [listed] = client.get("/api/portal/social/connections").get_json()["connections"]
    assert (listed["platform"], listed["account_type"], listed["display_name"]) == ("linkedin", "organization", HOSTILE)
    settings = client.get(f"/api/portal/social/connections/{conn.id}/settings").get_json()
    assert settings["available"] == ["audience", "comments", "posts"]
    # 4 + 2 + 3 + 1: what a Page's daily sync costs with its comments (not a member's 21)
    assert settings["cost_per_day"]["calls"] == 10
    for kind in ("weekly", "monthly"):
        report = client.get(f"/api/portal/social/report/{kind}")
        assert report.status_code == 200, kind
    client.logout()
    client.login("coach@example.com")
    portfolio = client.get("/admin/portfolio?platform=linkedin")
    assert portfolio.status_code == 200
    assert "<img src=x" not in portfolio.get_data(as_text=True)
    assert client.get(f"/api/admin/social/clients/{conn.client_id}/export?format=csv").status_code == 200
    leaders = client.get("/api/admin/social/leaderboard?platform=linkedin").get_json()
    assert leaders["platform"] == "linkedin"
    admin_json = client.get(f"/api/admin/social/clients/{conn.client_id}").get_json()
    assert any(p["platform"] == "linkedin" for p in admin_json["platforms"])


def test_role_removed_between_syncs_breaks_the_connection_and_tells_the_client(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    acc = _member(world, [{"name": "Acme", "id": "555001"}])
    client.login("creator@example.com")
    picker = _pick(client, world, acc["id"])
    client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "urn:li:organization:555001"})
    [conn] = _connections()
    drain(app)
    assert runs(conn.id)[-1].status == "succeeded"
    world.linkedin_organization(acc["id"], "555001", state="REVOKED")
    dispatch.enqueue_sync(conn.id, "manual")
    drain(app)
    run = runs(conn.id)[-1]
    assert run.status == "failed"
    [conn] = _connections()
    assert conn.status == "revoked"
    assert conn.access_token_enc is None
    assert "no longer an administrator" in (run.error_message or "")
    assert conn.last_error == "Access was removed at the platform. Reconnect to continue."
    assert [m.kind for m in db.session.execute(select(OutboxEmail)).scalars()] == ["connection_revoked"]
    assert "Reconnect" in client.get("/portal/settings/connections").get_data(as_text=True)


def test_role_removed_before_the_choice_connects_nothing(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    acc = _member(world, [{"name": "Acme", "id": "555001"}, {"name": "Beta", "id": "555002"}])
    client.login("creator@example.com")
    picker = _pick(client, world, acc["id"])
    world.linkedin_organization(acc["id"], "555001", role="ANALYST")
    resp = client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "urn:li:organization:555001"})
    assert resp.status_code == 303
    assert _connections() == []
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "not an administrator of this LinkedIn Page" in page


def test_the_picker_also_connects_the_member_profile(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    acc = _member(world, [{"name": "Acme", "id": "555001"}])
    client.login("creator@example.com")
    picker = _pick(client, world, acc["id"])
    resp = client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "member"})
    assert resp.status_code == 303
    [conn] = _connections()
    assert (conn.account_type, conn.platform_user_id) == ("member", acc["platform_user_id"])


def test_malformed_share_statistics_drop_the_step_not_the_sync(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    acc = _member(world, [{"name": "Acme", "id": "555001"}])
    client.login("creator@example.com")
    picker = _pick(client, world, acc["id"])
    client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "urn:li:organization:555001"})
    [conn] = _connections()
    world.add_fault("linkedin", "malformed", times=2, path_contains="organizationalEntityShareStatistics")
    drain(app)
    run = runs(conn.id)[-1]
    assert run.status == "partial", (run.status, run.error_message)
    assert run.details["notes"]
    [conn] = _connections()
    assert conn.status == "connected"
    assert conn.profile_stats["followers"] == 1_400  # a third of 4,200
    items = db.session.execute(
        select(func.count()).select_from(ContentItem).where(ContentItem.connection_id == conn.id)
    )
    assert items.scalar() == 5  # the posts themselves are kept


def test_hand_computed_follower_gains(app: Any, client: Any, creator: Any, world: SandboxControl) -> None:
    """Day by day: the Page's gains are the day-over-day change of a third of the member's followers."""
    acc = world.create_account("linkedin", "li.admin", 3_000, seed=5, daily_changes=[3, 0, 6, 1, 2] * 20)
    world.linkedin_organizations(acc["id"], [{"name": "Acme", "id": "555001"}])
    client.login("creator@example.com")
    picker = _pick(client, world, acc["id"])
    client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "urn:li:organization:555001"})
    [conn] = _connections()
    drain(app)
    assert runs(conn.id)[-1].status == "succeeded"
    today = datetime.now(UTC).date()
    # the member had 3,000 today; the changes end with ..., 3, 0, 6, 1, 2 (today's is the last)
    member = {today: 3_000}
    changes = [3, 0, 6, 1, 2] * 20
    for back in range(1, 6):
        member[today - timedelta(days=back)] = member[today - timedelta(days=back - 1)] - changes[-back]
    expected = {
        today - timedelta(days=b): member[today - timedelta(days=b)] // 3 - member[today - timedelta(days=b + 1)] // 3
        for b in range(1, 5)
    }
    got: dict[date, float] = {
        r.day: r.value
        for r in db.session.execute(
            select(AccountInsight).where(
                AccountInsight.connection_id == conn.id, AccountInsight.metric == "new_followers"
            )
        ).scalars()
    }
    assert {d: got[d] for d in expected} == expected


def _page_connection(app: Any, client: Any, world: SandboxControl) -> Connection:
    acc = _member(world, [{"name": "Acme", "id": "555001"}])
    client.login("creator@example.com")
    picker = _pick(client, world, acc["id"])
    client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "urn:li:organization:555001"})
    [conn] = _connections()
    drain(app)
    assert runs(conn.id)[-1].status == "succeeded"
    return conn


@pytest.mark.parametrize(
    ("kind", "status", "error_class", "conn_status"),
    [
        ("rate_limited", "deferred", "rate_limited", "connected"),
        ("quota_exceeded", "deferred", "quota_exceeded", "connected"),
        ("server_error", "failed", "unavailable", "connected"),
        ("timeout", "failed", "unavailable", "connected"),
        ("token_expired", "succeeded", None, "connected"),
        ("token_revoked", "failed", "access_revoked", "revoked"),
        ("malformed", "failed", "bad_response", "connected"),
    ],
)
def test_the_seven_faults_on_a_page_sync(
    app: Any,
    client: Any,
    creator: Any,
    world: SandboxControl,
    kind: str,
    status: str,
    error_class: str | None,
    conn_status: str,
) -> None:
    conn = _page_connection(app, client, world)
    extra = {"seconds": 8} if kind == "timeout" else {}
    world.add_fault("linkedin", kind, times=1, path_contains="/networkSizes", **extra)
    dispatch.enqueue_sync(conn.id, "operator")
    drain(app)
    run = runs(conn.id)[-1]
    assert run.status == status, (run.status, run.error_class, run.error_message)
    if error_class is not None:
        assert run.error_class == error_class
    [conn] = _connections()
    assert conn.status == conn_status
    if kind == "quota_exceeded":  # a 429 naming a DAY limit: LinkedIn's limits reset at 00:00 UTC
        from app.platforms.linkedin import next_utc_midnight

        assert run.deferred_until >= next_utc_midnight() - timedelta(seconds=5)
    assert (
        db.session.execute(
            select(func.count()).select_from(ContentItem).where(ContentItem.connection_id == conn.id)
        ).scalar()
        == 5
    )  # nothing lost


def test_an_expired_or_foreign_pick_is_refused(app: Any, client: Any, creator: Any, world: SandboxControl) -> None:
    from sqlalchemy import update

    from app.models import OAuthState
    from app.models.base import utcnow

    acc = _member(world, [{"name": "Acme", "id": "555001"}])
    client.login("creator@example.com")
    assert client.get("/portal/settings/connections/linkedin/pages?pick=nonsense").status_code == 400
    picker = _pick(client, world, acc["id"])
    other = app.test_client()
    other.login("creator@example.com")
    stolen = other.post(
        picker.split("?")[0], data={"pick": query(picker)["pick"], "page": "urn:li:organization:555001"}
    )
    assert stolen.status_code == 400
    assert "another session" in stolen.get_data(as_text=True)
    db.session.execute(update(OAuthState).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    expired = client.get(picker)
    assert expired.status_code == 400
    assert "expired" in expired.get_data(as_text=True)
    assert _connections() == []


def test_a_page_connection_keeps_and_refreshes_the_member_grant(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    from app.jobs.connections import refresh_connection
    from app.models.base import utcnow
    from app.services import tokens as svc

    conn = _page_connection(app, client, world)
    before = svc.token_set_of(conn)
    assert before.refresh_token  # the held grant kept its refresh token across the picker
    assert conn.refresh_expires_at is not None
    assert conn.access_expires_at is not None
    conn.access_expires_at = utcnow() + timedelta(days=3)  # inside the 7-day refresh-ahead window
    db.session.commit()
    assert refresh_connection(conn.id) == "refreshed"
    [after] = _connections()
    assert svc.token_set_of(after).access_token != before.access_token
    assert after.status == "connected"
    dispatch.enqueue_sync(after.id, "manual")  # the new token reads the Page
    drain(app)
    assert runs(after.id)[-1].status == "succeeded"
