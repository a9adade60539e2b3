"""Facebook Page comments through the comment pipeline: the sync reads comments and replies (Page-scoped
commenters with a name, no handle), the inbox shows them inert, the reply grant is asked with Facebook
Login, a reply retried after a timeout lands exactly once, hide works, a comment deleted there is marked."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Comment, CommentReply, Connection
from app.models.history import ContentItem
from app.queueing.queues import get_queue
from app.sync import engine
from tests.support.connect import callback_path
from tests.sync.conftest import drain, runs

HOSTILE = '<img src=x onerror="alert(1)"> =HYPERLINK("http://evil") 😍 مرحبا'


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _setup(link: Any, world: Any, app: Any) -> tuple[int, dict[str, Any], str, dict[str, str]]:
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [{"published_at": _iso(now - timedelta(days=1)), "caption": "A post", "comment_count": 4}]
    conn_id, account = link("facebook", posts=posts)
    post = world.account(account["id"], posts=True)["posts"][0]["id"]
    ids = {
        "q": world.add_comment(
            account["id"], "How long did this take?", "fan_q", author_name="Quinn", post_id=post, like_count=2
        ),
        "hostile": world.add_comment(account["id"], HOSTILE, "fan_h", author_name=HOSTILE[:40], post_id=post),
        "plain": world.add_comment(account["id"], "nice", "fan_p", author_name="Pat", post_id=post),
    }
    ids["reply"] = world.add_comment(account["id"], "me too", "fan_r", author_name="Robin", parent_id=ids["q"])
    drain(app)
    return conn_id, account, post, ids


def _rows(conn_id: int) -> dict[str, Comment]:
    db.session.expire_all()
    return {
        c.platform_id: c for c in db.session.execute(select(Comment).where(Comment.connection_id == conn_id)).scalars()
    }


def test_page_comments_are_synced_with_replies_and_names(app: Any, client: Any, link: Any, world: Any) -> None:
    conn_id, account, post, ids = _setup(link, world, app)
    rows = _rows(conn_id)
    assert set(rows) == set(ids.values())
    q = rows[ids["q"]]
    assert (q.author_name, q.author_handle, q.like_count, q.reply_count, q.parent_id) == ("Quinn", None, 2, 1, None)
    assert q.author_platform_id  # a Page-scoped id
    assert rows[ids["reply"]].parent_id == q.id
    assert runs(conn_id)[-1].details["comments"]["written"] == 4
    listed = client.get("/api/portal/social/comments?platform=facebook")
    assert listed.status_code == 200
    assert {c["text"] for c in listed.get_json()["comments"]} >= {"How long did this take?", HOSTILE}
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in page
    # the comment is deleted at Facebook: the next sync marks it, keeps it
    world.clear_calls()
    from tests.sandbox.test_facebook import fb_login

    token = fb_login(
        world, account["id"], scopes=["pages_show_list", "pages_read_engagement", "pages_manage_engagement"]
    )
    import requests

    accounts = requests.get(
        world.url("graph.facebook.com/v25.0/me/accounts"), params={"access_token": token}, timeout=10
    )
    page_token = accounts.json()["data"][0]["access_token"]
    gone = requests.delete(
        world.url(f"graph.facebook.com/v25.0/{ids['plain']}"), params={"access_token": page_token}, timeout=10
    )
    assert gone.json() == {"success": True}
    db.session.execute(ContentItem.__table__.update().values(comments_synced_at=datetime.now(UTC) - timedelta(days=1)))
    db.session.commit()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert _rows(conn_id)[ids["plain"]].deleted_at_platform is not None


def test_reply_grant_and_a_reply_after_a_timeout_lands_exactly_once(
    app: Any, client: Any, link: Any, world: Any
) -> None:
    conn_id, account, post, ids = _setup(link, world, app)
    question = db.session.execute(select(Comment).where(Comment.platform_id == ids["q"])).scalar_one()
    assert client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "hi"}).status_code == 403
    resp = client.post("/api/portal/social/connect/facebook?feature=comments")
    assert resp.status_code == 303
    assert "pages_manage_engagement" in resp.headers["Location"]
    back = client.get(callback_path(world.consent(resp.headers["Location"], account["id"])))
    assert back.status_code == 303
    db.session.expire_all()
    conn = db.session.get(Connection, conn_id)
    assert conn.comments_grant_at is not None
    assert conn.status == "connected"
    too_long = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "x" * 8001})
    assert too_long.status_code == 422
    # the send times out at our end, but Facebook takes the reply
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 1.0
    world.add_fault("facebook", "timeout", path_contains=f"{ids['q']}/comments", seconds=2.0)
    text = "About 3 weeks! ⏳ شكراً"
    sent = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": text})
    assert sent.status_code == 202
    drain(app)
    row = db.session.execute(select(CommentReply)).scalar_one()
    assert (row.status, row.attempts) == ("queued", 1)
    time.sleep(2.5)
    queue = get_queue("default")
    for job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.remove(job_id)
        queue.enqueue_job(queue.fetch_job(job_id))
    drain(app)
    row = db.session.execute(select(CommentReply)).scalar_one()
    assert (row.status, row.attempts) == ("sent", 2)
    at_facebook = [c for c in world.comments(account["id"]) if c["from_owner"] and c["text"] == text]
    assert len(at_facebook) == 1  # exactly once
    assert row.platform_reply_id == at_facebook[0]["id"]
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 6.0
    # hide at Facebook through the bulk action
    plain = db.session.execute(select(Comment).where(Comment.platform_id == ids["plain"])).scalar_one()
    hidden = client.post("/api/portal/social/comments/bulk", json={"ids": [plain.id], "action": "hide"})
    assert hidden.get_json() == {"done": 1, "failed": []}
    assert [c["hidden"] for c in world.comments(account["id"]) if c["id"] == ids["plain"]] == [True]
