"""TikTok business comments through the comment pipeline, against the sandbox with real RQ workers: the
sync pages comments by cursor (30 a page) with replies (3 nested, the rest read only when the count
changed), keeps ``liked`` / ``pinned``, counts the calls in the sync's budget; the inbox shows them inert
and only to their client; the reply grant (``comment.list.manage``) is asked through the Business app; a
reply retried after a timeout lands exactly once; errors (``code != 0`` on HTTP 200) are classified;
personal TikTok accounts keep saying TikTok gives no comments."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Comment, CommentReply, Connection
from app.models.history import ContentItem
from app.platforms import get_adapter, tiktok_comments
from app.platforms.errors import InvalidRequest, RateLimited, ScopeMissing, TokenExpired
from app.platforms.tiktok_business import BUSINESS
from app.queueing.queues import get_queue
from app.services import tokens
from app.sync import engine
from tests.support.connect import callback_path
from tests.sync.conftest import drain, runs
from tests.sync.test_tiktok_business_sync import FLAT, connect_business

HOSTILE = '<img src=x onerror="alert(1)"> =HYPERLINK("http://evil") 😍 مرحبا'
LIST = "/business/comment/list/"
REPLIES = "/business/comment/reply/list/"
CREATE = "/business/comment/reply/create/"


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _setup(client: Any, world: Any, app: Any, fillers: int = 31) -> tuple[int, dict[str, Any], str, dict[str, str]]:
    """A business account with one video and ``fillers + 2`` top-level comments (the question has 5
    replies), connected through the Business app; the initial sync drained on a real worker."""
    client.login("creator@example.com")
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [{"published_at": _iso(now - timedelta(days=1)), "caption": "Dance 1", "comment_count": 40}]
    account = world.create_account(
        "tiktok", "tt.biz", 10_000, seed=31, account_type="BUSINESS", daily_changes=FLAT, posts=posts
    )
    video = world.account(account["id"], posts=True)["posts"][0]["id"]
    start = now - timedelta(hours=20)
    ids = {
        "q": world.add_comment(
            account["id"], "How long did this take?", "fan_q", author_name="Quinn", post_id=video, like_count=2,
            liked=True, pinned=True, published_at=_iso(start),
        ),
        "hostile": world.add_comment(
            account["id"], HOSTILE, "fan_h", author_name=HOSTILE[:40], post_id=video, published_at=_iso(start)
        ),
    }  # fmt: skip
    for i in range(fillers):
        ids[f"f{i}"] = world.add_comment(
            account["id"], f"nice {i}", f"fan{i}", post_id=video, published_at=_iso(start + timedelta(minutes=i + 1))
        )
    for k in range(5):
        ids[f"r{k}"] = world.add_comment(
            account["id"], f"me too {k}", f"rfan{k}", parent_id=ids["q"], published_at=_iso(start + timedelta(hours=1))
        )
    resp = connect_business(client, world, account["id"])
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)
    db.session.expire_all()
    conn = db.session.execute(select(Connection).where(Connection.platform == "tiktok")).scalar_one()
    world.clear_calls()
    drain(app)
    return conn.id, account, video, ids


def _rows(conn_id: int) -> dict[str, Comment]:
    db.session.expire_all()
    return {
        c.platform_id: c for c in db.session.execute(select(Comment).where(Comment.connection_id == conn_id)).scalars()
    }


def _due_again() -> None:
    """The video's comments were read yesterday: due again on the aging schedule (daily in week one)."""
    db.session.execute(ContentItem.__table__.update().values(comments_synced_at=datetime.now(UTC) - timedelta(days=1)))
    db.session.commit()


def _paths(world: Any) -> list[str]:
    return [c["path"].split("/open_api/v1.3", 1)[-1] for c in world.calls("tiktok")]


def test_comments_and_replies_are_synced_paged_and_counted(
    app: Any, client: Any, creator: Any, factory: Any, world: Any
) -> None:
    conn_id, account, video, ids = _setup(client, world, app)
    run = runs(conn_id)[-1]
    assert run.status in ("succeeded", "partial"), run.error
    paths = _paths(world)
    # 33 top-level comments: pages of 30 and 3; the question has 5 replies, more than the 3 nested: one
    # reply list. Every call is in the sync's count (the TikTok per-minute budget is charged per call).
    assert (paths.count(LIST), paths.count(REPLIES), paths.count(CREATE)) == (2, 1, 0)
    assert run.calls == len(paths)
    assert run.details["comments"]["written"] == 38
    rows = _rows(conn_id)
    assert set(rows) == set(ids.values())
    q = rows[ids["q"]]
    assert (q.author_handle, q.author_name, q.like_count, q.reply_count, q.parent_id) == ("fan_q", "Quinn", 2, 5, None)
    assert (q.liked_by_owner, q.pinned, q.is_question, q.from_owner) == (True, True, True, False)
    assert q.author_url == "https://www.tiktok.com/@fan_q"
    assert q.author_platform_id  # TikTok's unique_identifier
    assert {rows[ids[f"r{k}"]].parent_id for k in range(5)} == {q.id}
    assert (rows[ids["f0"]].liked_by_owner, rows[ids["f0"]].pinned) == (False, False)

    # the next sync: nothing changed, so no reply list (the question's 5 are known)
    _due_again()
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    paths = _paths(world)
    assert (paths.count(LIST), paths.count(REPLIES)) == (2, 0)
    # a sixth reply and an un-pinned question: the reply list is read again, the flag follows
    world.add_comment(account["id"], "me too 5", "rfan5", parent_id=ids["q"])
    world._call("PATCH", f"accounts/{account['id']}/comments/{ids['q']}/flags", json={"pinned": False})
    _due_again()
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    paths = _paths(world)
    assert (paths.count(LIST), paths.count(REPLIES)) == (2, 1)
    rows = _rows(conn_id)
    assert (rows[ids["q"]].reply_count, rows[ids["q"]].pinned, rows[ids["q"]].liked_by_owner) == (6, False, True)
    assert len(rows) == 39

    # the inbox: hostile text inert, the flags shown, TikTok in the platform filter
    listed = client.get("/api/portal/social/comments?platform=tiktok&sort=most_liked").get_json()
    top = listed["comments"][0]
    assert (top["text"], top["liked_by_owner"], top["pinned"], top["reply_count"]) == (
        "How long did this take?",
        True,
        False,
        6,
    )
    page = client.get("/portal/inbox?platform=tiktok").get_data(as_text=True)
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=" in page
    assert 'data-testid="liked"' in page
    assert '<option value="tiktok" selected>' in page
    assert 'data-testid="no-comments-tiktok"' not in page  # a business account's comments are here
    assert 'data-testid="fans"' in client.get("/portal/analytics/tiktok").get_data(as_text=True)

    # the coach's read-only view of the client's inbox: TikTok in its filter, the hearted mark
    client.login("coach@example.com")
    coach_view = client.get(f"/admin/clients/{q.client_id}/comments?platform=tiktok").get_data(as_text=True)
    assert '<option value="tiktok" selected>' in coach_view
    assert "How long did this take?" in coach_view
    assert "♥ by the client" in coach_view
    assert '<img src=x onerror="alert(1)">' not in coach_view

    # another client never sees them
    factory.client(coach=None, email="other@example.com", name="Other")
    db.session.commit()
    client.login("other@example.com")
    assert client.get("/api/portal/social/comments").get_json()["comments"] == []
    assert "How long did this take?" not in client.get("/portal/inbox").get_data(as_text=True)
    assert client.post(f"/api/portal/social/comments/{q.id}/reply", json={"text": "hi"}).status_code == 404


def test_reply_grant_and_a_reply_after_a_timeout_lands_exactly_once(
    app: Any, client: Any, creator: Any, world: Any
) -> None:
    conn_id, account, video, ids = _setup(client, world, app, fillers=1)
    question = db.session.execute(select(Comment).where(Comment.platform_id == ids["q"])).scalar_one()
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert "read-only" in page
    assert "TikTok’s “manage comments” (comment.list.manage)" in page.replace("'", "’")
    refused = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "hi"})
    assert refused.status_code == 403
    # the grant, through the Business app, asked with the comment-management scope
    resp = client.post("/api/portal/social/connect/tiktok?feature=comments")
    assert resp.status_code == 303
    location = resp.headers["Location"]
    assert "client_key=sandbox-tiktok-business-app" in location
    assert "comment.list.manage" in location
    back = client.get(callback_path(world.consent(location, account["id"])))
    assert back.status_code == 303
    db.session.expire_all()
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    assert conn.comments_grant_at is not None
    assert (conn.status, conn.account_type) == ("connected", BUSINESS)
    too_long = client.post(f"/api/portal/social/comments/{question.id}/reply", json={"text": "x" * 151})
    assert too_long.status_code == 422
    assert "TikTok takes at most 150" in too_long.get_data(as_text=True)

    # the send times out at our end, but TikTok takes the reply
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 1.0
    world.add_fault("tiktok", "timeout", path_contains="comment/reply/create", seconds=2.0)
    world.clear_calls()
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
    at_tiktok = [c for c in world.comments(account["id"]) if c["from_owner"] and c["text"] == text]
    assert len(at_tiktok) == 1  # exactly once
    assert row.platform_reply_id == at_tiktok[0]["id"]
    paths = _paths(world)
    assert paths.count(CREATE) == 1  # sent once; the retry read the replies and found it
    assert paths.count(REPLIES) >= 1
    db.session.expire_all()
    question = db.session.get(Comment, question.id)
    assert question is not None
    assert question.answered_at is not None
    app.config["PLATFORM_READ_TIMEOUT_SECONDS"] = 6.0
    # the next sync reads our reply as the owner's, without a second row
    _due_again()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    mine = [c for c in _rows(conn_id).values() if c.from_owner]
    assert [(c.platform_id, c.text, c.parent_id) for c in mine] == [(at_tiktok[0]["id"], text, question.id)]
    # hiding is not offered on TikTok: said per comment
    hidden = client.post("/api/portal/social/comments/bulk", json={"ids": [question.id], "action": "hide"})
    assert hidden.get_json() == {
        "done": 0,
        "failed": [{"id": question.id, "reason": "TikTok comments cannot be hidden from the portal."}],
    }


def test_errors_are_classified_and_stop_the_step_with_a_note(app: Any, client: Any, creator: Any, world: Any) -> None:
    conn_id, account, video, _ = _setup(client, world, app, fillers=1)
    conn = db.session.get(Connection, conn_id)
    assert conn is not None
    adapter = get_adapter("tiktok", app.config, kind=BUSINESS, account=conn.platform_user_id)
    token = tokens.token_set_of(conn).access_token
    assert len(tiktok_comments.post_comments(adapter, token, video, {})) == 8  # 3 comments and 5 replies
    with pytest.raises(TokenExpired):  # code 40100 on HTTP 200
        tiktok_comments.post_comments(adapter, "not-a-token", video, {})
    with pytest.raises(InvalidRequest):  # 40001: a video that is not the account's
        tiktok_comments.post_comments(adapter, token, "7000000000000000001", {})
    with pytest.raises(ScopeMissing):  # 40102: the reply scope was never granted
        tiktok_comments.reply(adapter, token, video, "1", "hi")
    world.add_fault("tiktok", "rate_limited", path_contains="comment/list", retry_after=7)
    with pytest.raises(RateLimited) as limited:  # 40105 with HTTP 429 and Retry-After
        tiktok_comments.post_comments(adapter, token, video, {})
    assert limited.value.retry_after == 7
    # a spent quota (40105 on HTTP 200) stops the comment step, not the sync
    world.add_fault("tiktok", "quota_exceeded", path_contains="comment/list")
    _due_again()
    result = engine.sync(conn_id, "operator")
    assert result.status in ("succeeded", "partial")
    notes = runs(conn_id)[-1].details["comments"]["notes"]
    assert notes == ["comments stopped: TikTok Business error 40105: The daily quota of this API is used up."]
    # a grant from before the app asked comment.list: no comment call, and the inbox says to reconnect
    conn.scopes = " ".join(s for s in (conn.scopes or "").split() if s != "comment.list")
    db.session.commit()
    _due_again()
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert [p for p in _paths(world) if "/comment/" in p] == []
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert "was connected before the portal asked to read its comments" in page


def test_personal_tiktok_accounts_say_tiktok_gives_no_comments(app: Any, client: Any, link: Any, world: Any) -> None:
    conn_id, account = link("tiktok")
    world.add_comment(account["id"], "a comment the Display API never shows", "fan")
    world.clear_calls()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    assert all(c["path"].startswith("/open.tiktokapis.com/") for c in world.calls("tiktok"))
    assert "comments" not in (runs(conn_id)[-1].details or {})
    page = client.get("/portal/inbox").get_data(as_text=True)
    assert 'data-testid="no-comments-tiktok"' in page
    assert "TikTok gives no comments to apps for personal accounts" in page
    assert "read-only" not in page  # no grant card for a personal account
    analytics = client.get("/portal/analytics/tiktok").get_data(as_text=True)
    assert 'data-testid="fans"' not in analytics  # no fans section where no comment can be read
