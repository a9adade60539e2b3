"""The comment inbox end to end: sandbox -> sync (real worker) -> JSON API and page; the comment grant;
replies sent exactly once (a reply retried after a platform timeout lands once)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Comment, CommentReply, Connection
from app.queueing.queues import get_queue
from tests.support.connect import callback_path
from tests.sync.conftest import drain, runs
from tests.sync.test_comments_sync import requests_delete

HOSTILE = '<img src=x onerror="alert(1)"> =HYPERLINK("http://evil") 😍 مرحبا'


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _setup(link: Any, world: Any, app: Any, platform: str) -> tuple[int, dict[str, Any], str, dict[str, str]]:
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [
        {
            "published_at": _iso(now - timedelta(days=1)),
            "caption": "A post",
            "comment_count": 4,
            "kind": "video" if platform == "youtube" else "image",
        }
    ]
    conn_id, account = link(platform, posts=posts)
    media = world.account(account["id"], posts=True)["posts"][0]["id"]
    ids = {
        "q": world.add_comment(
            account["id"],
            "How long did this take?",
            "fan_q",
            post_id=media,
            like_count=2,
            published_at=_iso(now - timedelta(hours=5)),
        ),
        "hostile": world.add_comment(
            account["id"], HOSTILE, "fan_h", post_id=media, like_count=9, published_at=_iso(now - timedelta(hours=4))
        ),
        "plain": world.add_comment(
            account["id"], "nice", "fan_p", post_id=media, like_count=0, published_at=_iso(now - timedelta(hours=3))
        ),
    }
    drain(app)
    return conn_id, account, media, ids


def _grant(client: Any, world: Any, platform: str, account_id: str) -> Any:
    resp = client.post(f"/api/portal/social/connect/{platform}?feature=comments")
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert (
        ("instagram_business_manage_comments" in location)
        if platform == "instagram"
        else ("youtube.force-ssl" in location)
    )
    back = world.consent(location, account_id)
    return client.get(callback_path(back))


def test_inbox_api_filters_sort_search_bulk_and_bounds(
    app: Any, client: Any, link: Any, world: Any, factory: Any
) -> None:
    conn_id, account, media, ids = _setup(link, world, app, "instagram")
    body = client.get("/api/portal/social/comments").get_json()
    texts = [c["text"] for c in body["comments"]]
    assert texts == ["nice", HOSTILE, "How long did this take?"]  # newest first
    assert body["counts"] == {"unanswered": 3, "unread": 3}
    first = body["comments"][2]
    assert first["is_question"] is True
    assert first["platform"] == "instagram"
    assert first["post"]["caption"] == "A post"
    assert first["author"]["is_owner"] is False
    liked = client.get("/api/portal/social/comments?sort=most_liked").get_json()["comments"]
    assert [c["like_count"] for c in liked] == [9, 2, 0]
    assert [c["text"] for c in client.get("/api/portal/social/comments?q=LONG").get_json()["comments"]] == [
        "How long did this take?"
    ]
    assert client.get("/api/portal/social/comments?q=%25").get_json()["comments"] == []  # % is literal
    paged = client.get("/api/portal/social/comments?limit=2").get_json()
    assert len(paged["comments"]) == 2
    assert paged["next_cursor"]
    rest = client.get(f"/api/portal/social/comments?limit=2&cursor={paged['next_cursor']}").get_json()
    assert [c["text"] for c in rest["comments"]] == ["How long did this take?"]
    assert rest["next_cursor"] is None
    assert client.get("/api/portal/social/comments?sort=best").status_code == 422
    assert client.get("/api/portal/social/comments?cursor=zzz").status_code == 422
    # bulk: read and archive; 500 ids is a clear 400 and changes nothing
    all_ids = [c["id"] for c in body["comments"]]
    resp = client.post("/api/portal/social/comments/bulk", json={"ids": all_ids[:2], "action": "read"})
    assert resp.get_json() == {"done": 2, "failed": []}
    assert client.get("/api/portal/social/comments").get_json()["counts"]["unread"] == 1
    too_many = client.post("/api/portal/social/comments/bulk", json={"ids": list(range(1, 501)), "action": "archive"})
    assert too_many.status_code == 400
    assert too_many.get_json()["error"] == {
        "code": "too_many_ids",
        "message": "At most 100 comments per request (500 sent); nothing was changed.",
    }
    assert (
        client.post("/api/portal/social/comments/bulk", json={"ids": [all_ids[0]], "action": "archive"}).get_json()[
            "done"
        ]
        == 1
    )
    assert len(client.get("/api/portal/social/comments").get_json()["comments"]) == 2  # "all" leaves archived out
    assert len(client.get("/api/portal/social/comments?state=archived").get_json()["comments"]) == 1
    # another client's comment: 404 for a reply, not_found in bulk
    other = factory.client(coach=None, email="other@example.com", name="Other")
    db.session.commit()
    client.login("other@example.com")
    assert client.get("/api/portal/social/comments").get_json()["comments"] == []
    assert client.post(f"/api/portal/social/comments/{all_ids[0]}/reply", json={"text": "hi"}).status_code == 404
    assert client.post("/api/portal/social/comments/bulk", json={"ids": [all_ids[1]], "action": "read"}).get_json() == {
        "done": 0,
        "failed": [{"id": all_ids[1], "reason": "not_found"}],
    }
    assert other is not None


def test_inbox_page_is_read_only_without_grant_and_hostile_text_is_inert(
    app: Any, client: Any, link: Any, world: Any
) -> None:
    _setup(link, world, app, "instagram")
    html = client.get("/portal/inbox").get_data(as_text=True)
    assert "Why read-only" in html
    assert "Let the portal reply to comments" in html
    assert '<img src=x onerror="alert(1)">' not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    assert 'dir="auto"' in html
    assert "مرحبا" in html
    assert "Question" in html
    csv_text = client.get("/api/portal/social/comments/export?format=csv").get_data(as_text=True)
    assert "'=HYPERLINK" not in csv_text  # the cell starts with "<img", so no formula prefix is needed
    assert '"<img src=x onerror=""alert(1)""> =HYPERLINK(' in csv_text  # quoted, as text
    reply = client.post("/api/portal/social/comments/1/reply", json={"text": "thanks"})
    assert reply.status_code == 403
    assert reply.get_json()["error"]["code"] == "grant_needed"


def test_youtube_reply_after_platform_timeout_lands_exactly_once(app: Any, client: Any, link: Any, world: Any) -> None:
    conn_id, account, media, ids = _setup(link, world, app, "youtube")
    assert _grant(client, world, "youtube", account["id"]).status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Connection, conn_id).comments_grant_at is not None
    drain(app)
    question = db.session.execute(select(Comment).where(Comment.platform_id == ids["q"])).scalar_one()
    # validation before anything is stored
    assert client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "   "}).status_code == 422
    too_long = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "x" * 10_001})
    assert too_long.status_code == 422
    assert "at most 10,000" in too_long.get_json()["error"]["message"]
    # the send times out at our end, but the platform takes the reply
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 1.0
    world.add_fault("youtube", "timeout", path_contains="/youtube/v3/comments", seconds=2.0)
    text = "About 3 weeks! ⏳ شكراً"
    resp = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": text})
    assert resp.status_code == 202
    assert resp.get_json()["reply"]["status"] == "queued"
    again = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": text})
    assert again.get_json()["reply"]["id"] == resp.get_json()["reply"]["id"]  # the same request, the same row
    drain(app)
    row = db.session.execute(select(CommentReply)).scalar_one()
    assert (row.status, row.attempts) == ("queued", 1)  # timed out: a retry is scheduled
    time.sleep(2.5)  # the sandbox finishes the timed-out request: the reply is there
    queue = get_queue("default")
    for job_id in queue.scheduled_job_registry.get_job_ids():
        queue.scheduled_job_registry.remove(job_id)
        queue.enqueue_job(queue.fetch_job(job_id))
    drain(app)
    row = db.session.execute(select(CommentReply)).scalar_one()
    assert (row.status, row.attempts) == ("sent", 2)
    at_platform = [c for c in world.comments(account["id"]) if c["from_owner"] and c["text"] == text]
    assert len(at_platform) == 1  # exactly once
    assert row.platform_reply_id == at_platform[0]["id"]
    inserts = [
        c for c in world.calls("youtube") if c["method"] == "POST" and c["path"].endswith("/youtube/v3/comments")
    ]
    assert len(inserts) == 1
    answered = client.get("/api/portal/social/comments?state=answered").get_json()["comments"]
    assert [c["text"] for c in answered] == ["How long did this take?"]
    assert [r["text"] for r in answered[0]["replies"]] == [text]
    # hide on YouTube = hold for review (50 units); the next sync does not take the held comment for deleted
    plain = db.session.execute(select(Comment).where(Comment.platform_id == ids["plain"])).scalar_one()
    world.clear_calls()
    hidden = client.post("/api/portal/social/comments/bulk", json={"ids": [plain.id], "action": "hide"})
    assert hidden.get_json() == {"done": 1, "failed": []}
    assert [c["moderation"] for c in world.comments(account["id"]) if c["id"] == ids["plain"]] == ["heldForReview"]
    assert [c["quota_units"] for c in world.calls("youtube") if "setModerationStatus" in c["path"]] == [50]
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 6.0
    from app.models.history import ContentItem
    from app.sync import engine

    db.session.execute(  # a day later on the comment schedule: the post is due again
        ContentItem.__table__.update().values(comments_synced_at=datetime.now(UTC) - timedelta(days=1))
    )
    db.session.commit()

    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert runs(conn_id)[-1].details["comments"]["written"] >= 2  # the post's comments were read again
    db.session.expire_all()
    plain = db.session.get(Comment, plain.id)
    assert plain.hidden is True
    assert plain.deleted_at_platform is None
    # comments turned off on the video after the request: the reply fails with a plain reason
    world.set_comments_enabled(account["id"], media, False)
    assert client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "One more"}).status_code == 202
    drain(app)
    listed = {c["id"]: c for c in client.get("/api/portal/social/comments").get_json()["comments"]}
    assert listed[question.id]["reply_status"] == {"status": "failed", "error": "Replies are turned off for this post."}
    # revoked on its own: the inbox is read-only again, the connection keeps syncing
    assert client.delete(f"/api/portal/social/connections/{conn_id}/comments-grant").status_code == 200
    blocked = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "more"})
    assert blocked.status_code == 403
    db.session.expire_all()
    assert db.session.get(Connection, conn_id).status == "connected"


def test_bulk_reply_reports_failures_per_comment_and_hide(app: Any, client: Any, link: Any, world: Any) -> None:
    conn_id, account, media, ids = _setup(link, world, app, "instagram")
    assert _grant(client, world, "instagram", account["id"]).status_code in (302, 303)
    drain(app)
    rows = {c.platform_id: c.id for c in db.session.execute(select(Comment)).scalars()}
    hostile, plain = rows[ids["hostile"]], rows[ids["plain"]]
    hide = client.post("/api/portal/social/comments/bulk", json={"ids": [hostile], "action": "hide"}).get_json()
    assert hide == {"done": 1, "failed": []}
    assert [c["hidden"] for c in world.comments(account["id"]) if c["id"] == ids["hostile"]] == [True]
    resp = client.post(
        "/api/portal/social/comments/bulk",
        json={"ids": [plain, hostile, 999999], "action": "reply", "text": "Thank you! 🙏"},
    )
    body = resp.get_json()
    assert body["done"] == 1
    assert body["failed"] == [
        {"id": hostile, "reason": "Instagram does not take replies to hidden comments; unhide it first."},
        {"id": 999999, "reason": "not_found"},
    ]
    listed = {c["id"]: c for c in client.get("/api/portal/social/comments").get_json()["comments"]}
    assert listed[plain]["reply_status"] == {"status": "queued", "error": None}
    drain(app)
    owner = [c for c in world.comments(account["id"]) if c["from_owner"]]
    assert [(c["parent_id"], c["text"]) for c in owner] == [(ids["plain"], "Thank you! 🙏")]
    listed = {c["id"]: c for c in client.get("/api/portal/social/comments").get_json()["comments"]}
    assert "reply_status" not in listed[plain]  # sent: it is a reply now
    assert [r["text"] for r in listed[plain]["replies"]] == ["Thank you! 🙏"]
    # the comment is deleted at the platform between the request and the send: failed, with the reason shown
    question = rows[ids["q"]]
    assert client.post(f"/api/portal/social/comments/{question}/reply", json={"text": "Two weeks"}).status_code == 202
    requests_delete(world, account["id"], ids["q"])
    drain(app)
    listed = {c["id"]: c for c in client.get("/api/portal/social/comments").get_json()["comments"]}
    assert listed[question]["reply_status"] == {"status": "failed", "error": "The comment was deleted at the platform."}
    assert "Reply not sent" in client.get("/portal/inbox").get_data(as_text=True)
