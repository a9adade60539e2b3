"""The comment step of a sync (docs/sync.md, "Comments"; docs/comments.md).

Which posts: the posts just read by this sync, then stored posts in the aging window (``aging.py``: daily
in a post's first week, every 3 days to a month, weekly to 90 days) whose comments are due, newest first,
at most ``MAX_POSTS`` per sync; posts known to have no comments are skipped. Per post every comment and
reply is read (Instagram: one call per 50 comments; YouTube: one unit per 100 threads, plus one per thread
whose reply count changed and has more replies than the 5 nested; a LinkedIn Page: one call per 100
comments, plus one per comment whose reply count changed).

The step never sinks a sync: a post with comments off is skipped, and a spent budget, a throttle or a
platform outage stops the step with a note in the run's details; the rest of the sync is written.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from app.extensions import db
from app.models import Connection, fan_summary
from app.models.base import utcnow
from app.models.comment import Comment
from app.models.history import ContentItem
from app.platforms.base import ContentItem as PItem
from app.platforms.comments import PlatformComment, fetch_post_comments
from app.platforms.errors import InvalidRequest, PlatformError
from app.platforms.linkedin_comments import READ_SCOPES as LI_READ_SCOPES
from app.platforms.tiktok_comments import READ_SCOPE as TT_READ_SCOPE
from app.services import connection_settings, fan_links
from app.services.comments import has_comments
from app.stats.comments import is_question
from app.sync import aging
from app.sync.aside import Aside
from app.sync.storage import upsert

log = logging.getLogger(__name__)

#: posts whose comments one sync reads at most (the newest due first)
MAX_POSTS = 12
#: posts whose comment pages are read at once (a spent budget stops the step after at most this many)
OVERLAP = 3
TEXT_LIMIT = 10_000


@dataclass
class CommentFetch:
    #: every comment read, by post platform id (a post listed here was read completely)
    by_post: dict[str, list[PlatformComment]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def wanted(conn: Connection) -> bool:
    """Comment sync for the accounts of :func:`has_comments` whose sync settings keep the ``comments``
    switch on (the default; ``app/services/connection_settings.py``); a TikTok business grant without
    ``comment.list`` (connected before the app asked it) is skipped until reconnected."""
    if not has_comments(conn):
        return False
    if conn.platform == "tiktok" and TT_READ_SCOPE not in (conn.scopes or "").split():
        return False
    if conn.platform == "linkedin" and not set(LI_READ_SCOPES) & set((conn.scopes or "").split()):
        return False  # a Page grant without r_organization_social: LinkedIn would refuse every read
    return connection_settings.sync_enabled(conn, "comments")


def due_posts(connection_id: int, today: date, fresh: Sequence[PItem]) -> list[str]:
    """Post platform ids whose comments this sync reads."""
    window = datetime.combine(today - timedelta(days=aging.MAX_AGE_DAYS), datetime.min.time(), tzinfo=UTC)
    rows = db.session.execute(
        select(ContentItem.platform_id, ContentItem.published_at, ContentItem.comments, ContentItem.comments_synced_at)
        .where(ContentItem.connection_id == connection_id, ContentItem.published_at >= window)
        .order_by(ContentItem.published_at.desc())
    ).all()
    ids: list[str] = []
    for item in sorted(fresh, key=lambda i: i.published_at, reverse=True):
        count = item.metrics.get("comments")
        if item.published_at >= window and (count is None or count > 0):
            ids.append(item.platform_id)
    for pid, published, count, synced in rows:
        if pid in ids or count == 0:
            continue
        if aging.is_due(published.date(), synced.date() if synced else None, today):
            ids.append(pid)
    return ids[:MAX_POSTS]


def fetch(adapter: Any, token: str, connection_id: int, today: date, fresh: Sequence[PItem]) -> CommentFetch:
    out = CommentFetch()
    posts = due_posts(connection_id, today, fresh)
    known: dict[str, int] = dict(
        db.session.execute(
            select(Comment.platform_id, Comment.reply_count).where(
                Comment.connection_id == connection_id, Comment.post_platform_id.in_(posts), Comment.parent_id.is_(None)
            )
        )
        .tuples()
        .all()
    )
    # ``OVERLAP`` posts at a time, each in its own thread (``app.sync.aside``): their pages overlap
    for start in range(0, len(posts), OVERLAP):
        wave = [(pid, Aside(_reader(adapter, token, pid, known))) for pid in posts[start : start + OVERLAP]]
        for _, aside in wave:
            aside.wait()
        stopped = False
        for post_id, aside in wave:
            try:
                out.by_post[post_id] = aside.result()
            except InvalidRequest as exc:  # comments off, a post gone: this post only
                out.notes.append(f"comments of {post_id}: {exc.message}"[:200])
            except PlatformError as exc:  # budget, throttle, outage, token: stop here, keep what was read
                if not stopped:
                    out.notes.append(f"comments stopped: {exc.message}"[:200])
                    log.info("comment step stopped: %s", exc, extra={"event": "sync_comments_stopped"})
                stopped = True
        if stopped:
            break
    return out


def _reader(adapter: Any, token: str, post_id: str, known: Mapping[str, int]) -> Callable[[], list[PlatformComment]]:
    return lambda: fetch_post_comments(adapter, token, post_id, known)


def _row(conn: Connection, c: PlatformComment, post_ids: Mapping[str, int], now: datetime) -> dict[str, Any]:
    owner = (
        c.from_owner
        or c.author_id == conn.platform_user_id
        or (conn.username is not None and (c.author_handle or "").lower() == conn.username.lower())
    )
    return {
        "connection_id": conn.id,
        "client_id": conn.client_id,
        "content_item_id": post_ids.get(c.post_id),
        "platform": conn.platform,
        "platform_id": c.platform_id[:128],
        "post_platform_id": c.post_id[:128],
        "author_handle": (c.author_handle or None) and c.author_handle[:255],
        "author_name": (c.author_name or None) and c.author_name[:255],
        "author_platform_id": (c.author_id or None) and c.author_id[:128],
        "author_url": (c.author_url or None) and c.author_url[:2048],
        "from_owner": owner,
        "text": c.text[:TEXT_LIMIT],
        "is_question": is_question(c.text),
        "published_at": c.published_at,
        "updated_at_platform": c.updated_at,
        "like_count": max(0, c.like_count or 0),
        "reply_count": max(0, c.reply_count or 0),
        "hidden": c.hidden,
        "liked_by_owner": c.liked,
        "pinned": c.pinned,
        "first_seen_at": now,
        "last_seen_at": now,
        "deleted_at_platform": None,
    }


def write(conn: Connection, got: CommentFetch, complete: bool = True) -> int:
    """Upsert what was read; link replies; set answered times; mark comments no longer listed (only when
    ``complete``: every comment of those posts was read, which a webhook's single comment is not)."""
    if not got.by_post:
        return 0
    now = utcnow()
    posts = list(got.by_post)
    post_ids: dict[str, int] = dict(
        db.session.execute(
            select(ContentItem.platform_id, ContentItem.id).where(
                ContentItem.connection_id == conn.id, ContentItem.platform_id.in_(posts)
            )
        )
        .tuples()
        .all()
    )
    items = [c for cs in got.by_post.values() for c in cs]
    rows = list({r["platform_id"]: r for r in (_row(conn, c, post_ids, now) for c in items)}.values())
    # a webhook brings one comment without its counts: it refreshes the text only
    partial = ("text", "is_question", "last_seen_at", "deleted_at_platform")
    upsert(
        Comment,
        rows,
        ("connection_id", "platform_id"),
        update_cols=partial
        if not complete
        else (
            "text",
            "is_question",
            "updated_at_platform",
            "like_count",
            "reply_count",
            "hidden",
            "liked_by_owner",
            "pinned",
            "last_seen_at",
            "deleted_at_platform",
            "author_handle",
            "author_name",
            "content_item_id",
        ),
    )
    ids: dict[str, int] = dict(
        db.session.execute(
            select(Comment.platform_id, Comment.id).where(
                Comment.connection_id == conn.id, Comment.post_platform_id.in_(posts)
            )
        )
        .tuples()
        .all()
    )
    link_replies(conn, items, ids)
    fan_links.check_pending(conn.client_id)  # a fan's link code may have just arrived (docs/fans.md)
    if not complete:
        fan_summary.refresh(
            db.session.connection(), conn.id, [str(r["author_platform_id"]) for r in rows if r["author_platform_id"]]
        )
        return len(rows)
    # listed before, not now, and not hidden by us (YouTube does not list held comments): deleted there.
    # Replies only under threads whose replies were all read this time.
    read = Counter(c.parent_id for c in items if c.parent_id is not None)
    full_threads = [
        ids[c.platform_id] for c in items if c.parent_id is None and read[c.platform_id] == (c.reply_count or 0)
    ]
    db.session.execute(
        update(Comment)
        .where(
            Comment.connection_id == conn.id,
            Comment.post_platform_id.in_(posts),
            Comment.last_seen_at < now,
            Comment.deleted_at_platform.is_(None),
            Comment.hidden.is_(False),
            or_(Comment.parent_id.is_(None), Comment.parent_id.in_(full_threads)),
        )
        .values(deleted_at_platform=now)
    )
    # the fans' summaries restate their comments: rebuilt for every author on these posts (docs/fans.md)
    fan_summary.refresh(
        db.session.connection(),
        conn.id,
        db.session.scalars(
            select(Comment.author_platform_id)
            .where(
                Comment.connection_id == conn.id,
                Comment.post_platform_id.in_(posts),
                Comment.author_platform_id.is_not(None),
            )
            .distinct()
        ).all(),
    )
    for pid in posts:
        if pid in post_ids:
            db.session.execute(
                update(ContentItem).where(ContentItem.id == post_ids[pid]).values(comments_synced_at=now)
            )
    return len(rows)


def link_replies(conn: Connection, items: Sequence[PlatformComment], ids: Mapping[str, int]) -> None:
    """Point replies at their parents and stamp a parent's first owner reply as its answer time."""
    first_answer: dict[int, datetime] = {}
    for c in items:
        if c.parent_id is None or c.parent_id not in ids or c.platform_id not in ids:
            continue
        parent = ids[c.parent_id]
        db.session.execute(update(Comment).where(Comment.id == ids[c.platform_id]).values(parent_id=parent))
        owner = (
            c.from_owner
            or c.author_id == conn.platform_user_id
            or (conn.username is not None and (c.author_handle or "").lower() == conn.username.lower())
        )
        if owner and (parent not in first_answer or c.published_at < first_answer[parent]):
            first_answer[parent] = c.published_at
    for parent, at in first_answer.items():
        db.session.execute(
            update(Comment).where(Comment.id == parent, Comment.answered_at.is_(None)).values(answered_at=at)
        )


def ingest_webhook(items: Sequence[Any]) -> int:
    """Store the comments of a webhook delivery (``comment_webhooks.WebhookComment``); returns how many."""
    by_conn: dict[int, list[PlatformComment]] = {}
    for item in items:
        by_conn.setdefault(item.connection_id, []).append(item.comment)
    stored = 0
    for conn_id, comments in by_conn.items():
        conn = db.session.get(Connection, conn_id)
        if conn is None or not wanted(conn):
            continue
        got = CommentFetch()
        for c in comments:
            got.by_post.setdefault(c.post_id, []).append(c)
        stored += write(conn, got, complete=False)
        db.session.commit()
    return stored
