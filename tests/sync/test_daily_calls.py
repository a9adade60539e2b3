"""The daily plan's cuts (issues 14 and 21), each counted from the sandbox's call log and each with its data
still written: a LinkedIn member's sync reads no ``userinfo``, a LinkedIn Page's no ``organizations/{id}``
(the sync writes neither's fields), and a Facebook Page's due posts come from the posts list instead of a
``GET /{post}`` each. Real sandbox, real RQ worker, real DB and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from app.models.history import ContentItem, ContentMetricSnapshot, DailySnapshot
from app.queueing import dispatch
from tests.support.connect import connect, query
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain, runs


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    """LinkedIn Company Pages offered (a member without one still connects as a member)."""
    from tests.support.connect import portal_app

    app = portal_app(make_app, sandbox_url, LINKEDIN_ORGANIZATIONS=True, **FAST)
    with app.app_context():
        yield app


def _days_ago(now: datetime, days: float) -> str:
    return (now - timedelta(days=days)).isoformat()


def _paths(world: SandboxControl, platform: str) -> list[str]:
    return [c["path"] for c in world.calls(platform)]


def _followers_today(conn_id: int) -> int | None:
    db.session.expire_all()
    return db.session.execute(
        select(DailySnapshot.followers)
        .where(DailySnapshot.connection_id == conn_id, DailySnapshot.provenance == "measured")
        .order_by(DailySnapshot.day.desc())
        .limit(1)
    ).scalar_one_or_none()


def test_a_linkedin_member_sync_reads_no_userinfo_and_still_writes_followers_and_posts(
    app: Flask, link: Any, world: SandboxControl
) -> None:
    now = datetime.now(UTC)
    conn_id, account = link(
        "linkedin", posts=[{"published_at": _days_ago(now, d), "caption": f"p{d}"} for d in (5, 40)]
    )
    drain(app)  # the initial sync
    assert runs(conn_id)[-1].status == "succeeded"
    world.patch_account(
        account["id"],
        followers=4_321,
        posts=[{"published_at": _days_ago(now, 1 / 24), "caption": "Fresh #news", "like_count": 7}],
    )
    world.clear_calls()
    dispatch.enqueue_sync(conn_id, "manual")
    drain(app)
    run = runs(conn_id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message, run.details)
    paths = _paths(world, "linkedin")
    assert not [p for p in paths if p.endswith("/v2/userinfo")]
    assert len(paths) == run.calls
    # the followers (memberFollowersCount?q=me and ?q=dateRange), the posts, 4 analytics calls for the
    # new post, the account's 4 DAILY analytics: 1 + 1 + 1 + 4 + 4
    assert sum(p.endswith("/rest/memberFollowersCount") for p in paths) == 2
    assert run.calls == 11
    assert _followers_today(conn_id) == 4_321
    fresh = db.session.execute(
        select(ContentItem).where(ContentItem.connection_id == conn_id, ContentItem.caption == "Fresh #news")
    ).scalar_one()
    truth = next(p for p in world.account(account["id"], posts=True)["posts"] if p["caption"] == "Fresh #news")
    assert fresh.platform_id == truth["id"]  # read as the connection's member (the stored id)
    assert (fresh.views, fresh.likes) == (truth["view_count"], truth["like_count"])
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.display_name  # the name read when connecting stays


def test_a_linkedin_page_sync_reads_no_organization_lookup_and_still_writes_its_followers(
    app: Flask, client: Any, creator: Any, world: SandboxControl
) -> None:
    now = datetime.now(UTC)
    old = [{"published_at": _days_ago(now, d), "caption": f"p{d}"} for d in (5, 40)]  # none new or due tomorrow
    acc = world.create_account("linkedin", "li.admin", 4_200, seed=21, posts=old)
    world.linkedin_organizations(acc["id"], [{"name": "Acme Pages", "id": "555001", "followers_percent": 50}])
    client.login("creator@example.com")
    resp = connect(client, world, "linkedin", acc["id"])
    picker = str(resp.headers["Location"])
    pick = query(picker)["pick"]
    client.post(picker.split("?")[0], data={"pick": pick, "page": "urn:li:organization:555001"})
    drain(app)  # the initial sync
    db.session.expire_all()
    conn = db.session.execute(select(Connection)).scalar_one()
    assert runs(conn.id)[-1].status == "succeeded"
    world.patch_account(acc["id"], followers=5_000)  # the Page: 50 % of them
    world.clear_calls()
    dispatch.enqueue_sync(conn.id, "manual")
    drain(app)
    run = runs(conn.id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message, run.details)
    paths = _paths(world, "linkedin")
    assert not [p for p in paths if "/rest/organizations/" in p]
    assert sum("/rest/networkSizes/" in p for p in paths) == 1
    # networkSizes, posts, follower + share + page statistics by day (no post new or due the same day)
    assert run.calls == len(paths) == 5
    assert _followers_today(conn.id) == 2_500
    db.session.expire_all()
    page = db.session.get(Connection, conn.id)
    assert page is not None
    assert (page.display_name, page.profile_stats["followers"]) == ("Acme Pages", 2_500)


def test_a_facebook_page_reads_its_due_posts_from_the_posts_list_with_the_same_numbers(
    app: Flask, link: Any, world: SandboxControl
) -> None:
    now = datetime.now(UTC)
    ages = (1.5, 3, 5, 12, 40)  # on the next day: 2.5, 4 and 6 days old are due (daily), 13 and 41 not
    posts = [
        {"published_at": _days_ago(now, d), "caption": f"post {d}", "like_count": 50, "comment_count": 0} for d in ages
    ]
    conn_id, account = link("facebook", posts=posts)
    drain(app)  # the initial sync measures every post today
    assert runs(conn_id)[-1].status == "succeeded"
    world.advance_days(1)
    new = {"published_at": _days_ago(now, -1 + 1 / 24), "caption": "new", "like_count": 3, "comment_count": 0}
    world.patch_account(account["id"], posts=[new])
    world.clear_calls()
    tomorrow = now + timedelta(days=1)
    with time_machine.travel(tomorrow, tick=True):
        assert dispatch.enqueue_sync(conn_id, "daily", job_id=f"sync-{conn_id}-next-day")
        drain(app)
    run = runs(conn_id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message, run.details)
    truth = {p["caption"]: p for p in world.account(account["id"], posts=True)["posts"]}
    ids = {p["id"] for p in truth.values()}
    paths = _paths(world, "facebook")
    # before: a GET /{post} for each of the 3 due posts; now none, and still one list call
    assert not [p for p in paths if p.rsplit("/", 1)[-1] in ids]
    assert sum(p.endswith("/me/published_posts") for p in paths) == 1
    # the Page, the list, the Page insights (the new post has no comments: no comment call)
    assert run.calls == len(paths) == 3
    db.session.expire_all()
    items = {
        i.caption: i
        for i in db.session.execute(select(ContentItem).where(ContentItem.connection_id == conn_id)).scalars()
    }
    assert "new" in items
    day = tomorrow.date()
    snaps = {
        s.content_item_id: s
        for s in db.session.execute(select(ContentMetricSnapshot).where(ContentMetricSnapshot.day == day)).scalars()
    }
    for caption in ("post 1.5", "post 3", "post 5", "new"):  # due, and the new one: measured today
        item, want = items[caption], truth[caption]
        snap = snaps[item.id]
        assert (snap.views, snap.reach, snap.likes, snap.shares) == (
            want["view_count"],
            want["reach"],
            want["like_count"],
            want["share_count"],
        ), caption
        assert (item.views, item.likes) == (want["view_count"], want["like_count"])
    for caption in ("post 12", "post 40"):  # not due: no snapshot today
        assert items[caption].id not in snaps
