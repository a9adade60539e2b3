"""The comment step of a sync against the sandbox: comments, replies, owner answers, deletions, limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Comment
from app.models.history import ContentItem
from app.sync import engine
from tests.sync.conftest import drain, runs


def _iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def _comments(conn_id: int) -> dict[str, Comment]:
    db.session.expire_all()
    rows = db.session.execute(select(Comment).where(Comment.connection_id == conn_id)).scalars()
    return {c.text: c for c in rows}


def test_instagram_comments_replies_answers_and_deletions(app: Any, link: Any, world: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [{"published_at": _iso(now - timedelta(days=2)), "caption": "new post", "comment_count": 5}]
    conn_id, account = link("instagram", posts=posts)
    media = world.account(account["id"], posts=True)["posts"][0]["id"]
    q = world.add_comment(account["id"], "Where did you get that jacket?", "fan_01", post_id=media, like_count=7)
    world.add_comment(account["id"], "<img src=x onerror=alert(1)> 😍 مرحبا", "fan_02", post_id=media)
    world.add_comment(account["id"], "me too!", "fan_03", parent_id=q)
    gone = world.add_comment(account["id"], "spam spam", "spammer", post_id=media)
    drain(app)
    got = _comments(conn_id)
    assert set(got) == {
        "Where did you get that jacket?",
        "<img src=x onerror=alert(1)> 😍 مرحبا",
        "me too!",
        "spam spam",
    }
    top = got["Where did you get that jacket?"]
    assert (top.is_question, top.like_count, top.reply_count, top.parent_id) == (True, 7, 1, None)
    assert top.author_handle is None  # Instagram withholds handles without the comment grant
    assert got["me too!"].parent_id == top.id
    assert top.answered_at is None
    assert got["<img src=x onerror=alert(1)> 😍 مرحبا"].is_question is False
    # the owner answers at the platform; one comment is deleted there; the next sync sees both
    owner_reply(world, account["id"], q, "From a market in Lisbon!")
    requests_delete(world, account["id"], gone)
    db.session.execute(  # a day later on the comment schedule: the post is due again
        ContentItem.__table__.update().values(comments_synced_at=datetime.now(UTC) - timedelta(days=1))
    )
    db.session.commit()
    assert engine.sync(conn_id, "operator").status in ("succeeded", "partial")
    got = _comments(conn_id)
    assert got["From a market in Lisbon!"].from_owner is True
    assert got["Where did you get that jacket?"].answered_at is not None
    assert got["Where did you get that jacket?"].reply_count == 2
    assert got["spam spam"].deleted_at_platform is not None  # marked, not dropped
    assert runs(conn_id)[-1].details["comments"]["written"] == 4


def owner_reply(world: Any, account_id: str, comment_id: str, text: str) -> None:
    """The account owner replies at the platform (in the Instagram app: the same Graph call)."""
    from tests.sandbox.test_comments import IG_ALL, graph, ig_token

    token = ig_token(world, account_id, IG_ALL)
    assert "id" in graph(world, "POST", f"{comment_id}/replies", token, message=text).json()


def requests_delete(world: Any, account_id: str, comment_id: str) -> None:
    """Delete a comment at the platform, as its author would (the owner's token deletes it here)."""
    from tests.sandbox.test_comments import IG_ALL, graph, ig_token

    token = ig_token(world, account_id, IG_ALL)
    assert graph(world, "DELETE", comment_id, token).json() == {"success": True}


def test_youtube_comments_disabled_video_is_skipped(app: Any, link: Any, world: Any) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    posts = [
        {"published_at": _iso(now - timedelta(days=d)), "caption": f"video {d}", "kind": "video", "comment_count": 3}
        for d in (1, 3)
    ]
    conn_id, account = link("youtube", posts=posts)
    videos = sorted(world.account(account["id"], posts=True)["posts"], key=lambda p: p["published_at"])
    world.add_comment(account["id"], "Which lens is this?", "fan01", post_id=videos[0]["id"])
    world.add_comment(account["id"], "first!", "fan02", post_id=videos[1]["id"])
    world.set_comments_enabled(account["id"], videos[1]["id"], False)
    drain(app)
    got = _comments(conn_id)
    assert set(got) == {"Which lens is this?"}
    assert got["Which lens is this?"].author_handle == "fan01"
    assert got["Which lens is this?"].author_name == "@fan01"
    run = runs(conn_id)[-1]
    assert run.status in ("succeeded", "partial")
    assert any("commentsDisabled" in n for n in run.details["comments"]["notes"]), run.details


def test_the_comments_switch_off_skips_the_step(app: Any, link: Any, world: Any) -> None:
    from app.models import Connection

    now = datetime.now(UTC).replace(microsecond=0)
    posts = [{"published_at": _iso(now - timedelta(days=1)), "caption": "v", "kind": "video", "comment_count": 3}]
    conn_id, account = link("youtube", posts=posts)
    conn = db.session.get(Connection, conn_id)
    conn.sync_settings = {"sync": {"posts": True, "comments": False, "audience": True}, "cadence": "daily"}
    db.session.commit()
    world.add_comment(account["id"], "Hello?", "fan01")
    world.clear_calls()
    drain(app)
    assert _comments(conn_id) == {}
    assert not [c for c in world.calls("youtube") if "/comment" in c["path"]]
    assert "comments" not in runs(conn_id)[-1].details
