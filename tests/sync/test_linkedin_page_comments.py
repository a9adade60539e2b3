"""LinkedIn Company Page comments through the comment pipeline, against the sandbox with real RQ workers:
the Page's sync reads its posts' comments (``socialActions/{urn}/comments``, the versioned header) with
replies, stores the author as LinkedIn gives it (a member's app-scoped URN with no name, another Page's
URN), knows the Page's own replies as answers, keeps hostile text as data; a malformed answer drops the
comment step, not the sync; the inbox lists and filters them, and says LinkedIn *member* comments are not
read only to a client who has a member connection."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from app.extensions import db
from app.models import Comment, CommentReply, Connection
from app.models.history import ContentItem
from app.queueing import dispatch
from app.queueing.queues import get_queue
from tests.support.connect import connect, query
from tests.support.sandbox import SandboxControl
from tests.sync.conftest import FAST, drain, runs

ORG = "urn:li:organization:557001"
OTHER_ORG = "urn:li:organization:990001"
HOSTILE = '<img src=x onerror="alert(1)"> =HYPERLINK("http://evil") 😍 مرحبا'
NOTE = "LinkedIn gives the comments on your own profile&#39;s posts only"


@pytest.fixture
def app(make_app: Any, sandbox_url: str, world: SandboxControl) -> Iterator[Flask]:
    from tests.support.connect import portal_app

    app = portal_app(make_app, sandbox_url, LINKEDIN_ORGANIZATIONS=True, **FAST)
    with app.app_context():
        yield app


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _page_with_comments(world: SandboxControl) -> tuple[dict[str, Any], dict[str, str]]:
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [
        {"published_at": _iso(now - timedelta(days=d)), "caption": f"Hiring {d}", "comment_count": 3, "view_count": 500}
        for d in (1, 4)
    ]
    acc = world.create_account("linkedin", "li.pageadmin", 4_000, seed=23, posts=posts)
    world.linkedin_organizations(acc["id"], [{"name": "Acme", "id": "557001"}])
    newest = max(world.account(acc["id"], posts=True)["posts"], key=lambda p: p["published_at"])["id"]
    at = now - timedelta(hours=10)
    ids = {
        "q": world.add_comment(
            acc["id"], "Is the role remote?", "fan_q", post_id=newest, like_count=3, published_at=_iso(at)
        )
    }
    ids["hostile"] = world.add_comment(acc["id"], HOSTILE, "fan_h", post_id=newest, published_at=_iso(at))
    ids["page_reply"] = world.add_comment(
        acc["id"],
        "Yes, fully remote.",
        "acme",
        parent_id=ids["q"],
        author_id=ORG,
        published_at=_iso(at + timedelta(hours=1)),
    )
    ids["other_page"] = world.add_comment(
        acc["id"], "Congrats from a partner!", "partner", post_id=newest, author_id=OTHER_ORG, published_at=_iso(at)
    )
    return acc, ids


def _connect_page(client: Any, world: SandboxControl, account_id: str) -> Connection:
    client.login("creator@example.com")
    resp = connect(client, world, "linkedin", account_id)
    picker = resp.headers["Location"]
    done = client.post(picker.split("?")[0], data={"pick": query(picker)["pick"], "page": ORG})
    assert done.status_code == 303, done.get_data(as_text=True)
    db.session.expire_all()
    return db.session.execute(select(Connection).where(Connection.platform_user_id == ORG)).scalar_one()


def _comments(conn_id: int) -> dict[str, Comment]:
    db.session.expire_all()
    rows = db.session.execute(select(Comment).where(Comment.connection_id == conn_id)).scalars()
    return {c.platform_id: c for c in rows}


def test_page_comments_sync_store_and_show(app: Any, client: Any, creator: Any, world: SandboxControl) -> None:
    acc, ids = _page_with_comments(world)
    conn = _connect_page(client, world, acc["id"])
    world.clear_calls()
    drain(app)  # the initial sync, by a real worker
    run = runs(conn.id)[-1]
    assert run.status == "succeeded", (run.status, run.error_message, run.details)
    assert run.details["comments"]["written"] == 4
    assert run.details["comments"]["notes"] == []
    calls = [c for c in world.calls("linkedin") if "/socialActions/" in c["path"]]
    # one list call per post, one reply list for the comment with a reply; every one versioned
    assert len(calls) == 3
    stored = _comments(conn.id)
    assert set(stored) == set(ids.values())
    q, hostile, reply, other = (stored[ids[k]] for k in ("q", "hostile", "page_reply", "other_page"))
    assert q.platform == "linkedin"
    assert q.author_platform_id.startswith("urn:li:person:")
    assert (q.author_name, q.author_handle, q.author_url) == (None, None, None)  # LinkedIn gives no name
    assert (q.like_count, q.reply_count, q.is_question) == (3, 1, True)
    assert reply.parent_id == q.id
    assert reply.from_owner
    assert reply.author_platform_id == ORG
    assert q.answered_at is not None
    assert hostile.text == HOSTILE  # data, stored as given
    assert other.author_platform_id == OTHER_ORG
    assert not other.from_owner
    assert other.author_url == "https://www.linkedin.com/company/990001/"
    assert q.content_item_id is not None

    page = client.get("/portal/inbox").get_data(as_text=True)
    assert "Is the role remote?" in page
    assert "LinkedIn member" in page
    assert "LinkedIn Page" in page
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page
    assert '<option value="linkedin"' in page
    assert NOTE not in page  # this client's LinkedIn connection is a Page: no "not shown" note
    assert 'data-testid="linkedin-comments-note"' not in page
    assert "Replying as the Page is not available" in page  # the deployment does not ask w_organization_social
    only = client.get("/api/portal/social/comments?platform=linkedin").get_json()
    assert {c["platform"] for c in only["comments"]} == {"linkedin"}
    assert len(only["comments"]) == 3
    assert only["comments"][0]["author"]["platform_user_id"].startswith("urn:li:")
    settings = client.get(f"/api/portal/social/connections/{conn.id}/settings").get_json()
    assert "comments" in settings["available"]

    # a deleted comment is marked at the next read; a malformed answer drops the comment step, not the sync
    world.add_fault("linkedin", "malformed", path_contains="socialActions")
    db.session.execute(update(ContentItem).where(ContentItem.connection_id == conn.id).values(comments_synced_at=None))
    db.session.commit()  # the posts' comments due again (the aging schedule reads them daily in week one)
    dispatch.enqueue_sync(conn.id, "manual")
    drain(app)
    bad = runs(conn.id)[-1]
    assert bad.status == "succeeded", (bad.status, bad.error_message)
    assert any("comments" in n for n in bad.details["comments"]["notes"]), bad.details
    assert set(_comments(conn.id)) == set(ids.values())


def test_member_note_only_for_clients_with_a_linkedin_member(
    app: Any, client: Any, creator: Any, factory: Any, world: SandboxControl
) -> None:
    acc = world.create_account("linkedin", "li.memberonly", 1_000, seed=24)  # no Page: a member connection
    client.login("creator@example.com")
    assert NOTE not in client.get("/portal/inbox").get_data(as_text=True)  # no LinkedIn at all: no note
    resp = connect(client, world, "linkedin", acc["id"])
    assert resp.status_code == 303
    db.session.expire_all()
    [conn] = db.session.execute(select(Connection)).scalars()
    assert conn.account_type == "member"
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert NOTE in page
    assert "r_member_social" in page
    assert 'data-testid="no-comments-linkedin"' in page
    assert '<option value="linkedin"' in page  # the filter still offers LinkedIn (a Page may come later)
    client.logout()
    factory.client(coach=creator.coach, email="other@example.com", name="Other")
    client.login("other@example.com")
    assert NOTE not in client.get("/portal/inbox").get_data(as_text=True)


def test_reply_as_the_page_after_a_timeout_lands_exactly_once(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    app.config["LINKEDIN_PAGE_REPLIES"] = True  # the deployment asks w_organization_social with the Page scopes
    acc, ids = _page_with_comments(world)
    conn = _connect_page(client, world, acc["id"])
    assert "w_organization_social" in (conn.scopes or "").split()
    assert conn.status == "connected"
    drain(app)
    question = _comments(conn.id)[ids["hostile"]]
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert "Let the portal reply as the Page" in page
    assert "Replying as the Page is not available" not in page
    refused = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "hi"})
    assert refused.status_code == 403  # the client has not allowed it yet
    assert client.post(f"/portal/inbox/grants/{conn.id}/allow").status_code == 303
    db.session.expire_all()
    assert db.session.get(Connection, conn.id).comments_grant_at is not None
    too_long = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "x" * 1251})
    assert too_long.status_code == 422
    assert "LinkedIn takes at most 1,250" in too_long.get_data(as_text=True)
    hide = client.post("/api/portal/social/comments/bulk", json={"ids": [question.id], "action": "hide"})
    assert "cannot be hidden" in hide.get_data(as_text=True)

    # the send times out at our end, but LinkedIn takes the reply
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 1.0
    world.add_fault("linkedin", "timeout", path_contains="socialActions", seconds=2.0)
    world.clear_calls()
    text = "Thanks for asking! שלום"
    sent = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": text})
    assert sent.status_code == 202
    assert client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": text}).status_code == 202
    drain(app)
    row = db.session.execute(select(CommentReply)).scalar_one()  # the same request twice: one row
    assert (row.status, row.attempts) == ("queued", 1)
    time.sleep(2.5)
    queue = get_queue("default")
    for job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.remove(job_id)
        queue.enqueue_job(queue.fetch_job(job_id))
    drain(app)
    row = db.session.execute(select(CommentReply)).scalar_one()
    assert (row.status, row.attempts) == ("sent", 2)
    at_linkedin = [c for c in world.comments(acc["id"]) if c["from_owner"] and c["text"] == text]
    assert len(at_linkedin) == 1  # exactly once
    assert at_linkedin[0]["author_id"] == ORG
    assert at_linkedin[0]["parent_id"] == ids["hostile"]
    assert row.platform_reply_id == at_linkedin[0]["id"]
    posts = [c for c in world.calls("linkedin") if c["method"] == "POST" and "/socialActions/" in c["path"]]
    assert len(posts) == 1  # sent once; the retry read the replies and found it
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 6.0
    # the next sync reads our reply as the Page's, without a second row
    db.session.execute(update(ContentItem).where(ContentItem.connection_id == conn.id).values(comments_synced_at=None))
    db.session.commit()
    dispatch.enqueue_sync(conn.id, "manual")
    drain(app)
    mine = [c for c in _comments(conn.id).values() if c.from_owner and c.text == text]
    assert [(c.platform_id, c.parent_id) for c in mine] == [(at_linkedin[0]["id"], question.id)]
    assert _comments(conn.id)[ids["hostile"]].answered_at is not None


def test_allowing_replies_without_linkedins_permission_is_refused(
    app: Any, client: Any, creator: Any, world: SandboxControl
) -> None:
    acc, _ = _page_with_comments(world)
    conn = _connect_page(client, world, acc["id"])  # LINKEDIN_PAGE_REPLIES off: no w_organization_social
    resp = client.post(f"/portal/inbox/grants/{conn.id}/allow")
    assert resp.status_code == 409
    db.session.expire_all()
    assert db.session.get(Connection, conn.id).comments_grant_at is None
    assert client.post("/api/portal/social/connect/linkedin?feature=comments").status_code == 404
