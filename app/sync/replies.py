"""Sending comment replies exactly once, and hiding / unhiding comments (docs/comments.md).

A reply is a ``CommentReply`` row (``app/services/comment_replies.py`` creates it). ``deliver(id)``:

1. claims the row: ``queued -> sending`` in one UPDATE (a second worker finds nothing to claim);
2. on a later attempt (an earlier one timed out or met a 5xx, so the reply may have landed anyway) first
   reads the replies under the comment and, when the owner's reply with the same text is there, records
   it as sent without sending again;
3. sends; success stores the platform's id, the reply as a comment and the parent's answered time;
4. a timeout, 5xx or throttle puts the row back to ``queued`` with a retry scheduled (backoff, at most
   ``MAX_ATTEMPTS``); any other platform answer (comment deleted, hidden, comments off, grant gone, quota)
   fails the row with a plain reason.

Calls go through the sync's recording session, so YouTube's 50 units per write are reserved from the
shared daily budget (``app/sync/quotas.py``) before the call is made.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Comment, CommentReply, Connection, ReplyStatus
from app.models.base import utcnow
from app.platforms import get_adapter
from app.platforms.comments import fetch_replies, hide_comment, reply_to_comment
from app.platforms.errors import (
    AccessRevoked,
    PlatformError,
    PlatformUnavailable,
    QuotaExceeded,
    RateLimited,
    ScopeMissing,
    TokenExpired,
)
from app.platforms.http import shared_session
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services import comment_replies, live, tokens
from app.services import comments as inbox
from app.stats.comments import is_question
from app.sync.quotas import Budgets
from app.sync.recorder import RecordingSession

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_SECONDS = (5, 30, 120, 600)


@dataclass(frozen=True)
class Delivery:
    outcome: str  # sent | already_sent | retry | failed | skipped
    reason: str = ""


def _adapter(conn: Connection) -> tuple[Any, str]:
    result = tokens.refresh_tokens(conn.id)
    if result.outcome in ("revoked", "expired", "insufficient_scope", "decrypt_error"):
        raise AccessRevoked("the connection's grant is gone", platform=conn.platform)
    db.session.refresh(conn)
    token = tokens.token_set_of(conn).access_token
    cfg = current_app.config
    session = RecordingSession(
        shared_session(float(cfg["PLATFORM_CONNECT_TIMEOUT_SECONDS"]), float(cfg["PLATFORM_READ_TIMEOUT_SECONDS"])),
        conn.platform,
        Budgets(get_redis(), cfg),
        keep_raw=False,
    )
    adapter = get_adapter(conn.platform, cfg, session=session, kind=conn.account_type, account=conn.platform_user_id)
    return adapter, token


def plain_reason(exc: PlatformError) -> str:
    """What the client reads when a reply or a hide failed."""
    if isinstance(exc, QuotaExceeded):
        return "YouTube's daily limit is used up; try again after midnight Pacific time."
    if isinstance(exc, AccessRevoked | TokenExpired):
        return "The connection needs to be reconnected."
    if isinstance(exc, ScopeMissing):
        return "The permission to reply to comments was not granted or was removed."
    text = exc.message
    if (
        "commentNotFound" in text
        or "does not exist" in text
        or "not found" in text
        or "processingFailure" in text
        or "is invalid" in text
    ):
        return "The comment was deleted at the platform."
    if "hidden" in text:
        return "The comment is hidden; unhide it before replying."
    if "operationNotSupported" in text or "disabled" in text:
        return "Replies are turned off for this post."
    if "TooLong" in text or "maximum length" in text or "characters" in text:
        return "The reply is too long for the platform."
    return "The platform refused the reply."


def _landed(adapter: Any, token: str, reply: CommentReply, parent: Comment, conn: Connection) -> str | None:
    """The platform id of our reply if an earlier attempt landed after all."""
    for r in fetch_replies(adapter, token, parent.platform_id, parent.post_platform_id):
        mine = r.author_id == conn.platform_user_id or (r.author_handle or "").lower() == (conn.username or "").lower()
        if mine and r.text.strip() == reply.text.strip() and r.published_at >= reply.created_at - timedelta(minutes=5):
            return r.platform_id
    return None


def _record_sent(reply: CommentReply, parent: Comment, conn: Connection, platform_id: str) -> None:
    now = utcnow()
    reply.status = ReplyStatus.SENT.value
    reply.platform_reply_id = platform_id[:128]
    reply.sent_at = now
    reply.error = None
    exists = db.session.execute(
        select(Comment.id).where(Comment.connection_id == conn.id, Comment.platform_id == platform_id)
    ).scalar()
    if exists is None and platform_id:
        db.session.add(
            Comment(
                connection_id=conn.id,
                client_id=conn.client_id,
                content_item_id=parent.content_item_id,
                platform=parent.platform,
                platform_id=platform_id[:128],
                post_platform_id=parent.post_platform_id,
                parent_id=parent.id,
                author_handle=conn.username,
                author_name=conn.display_name,
                author_platform_id=conn.platform_user_id,
                from_owner=True,
                text=reply.text,
                is_question=is_question(reply.text),
                published_at=now,
                like_count=0,
                reply_count=0,
            )
        )
        parent.reply_count = (parent.reply_count or 0) + 1
    if parent.answered_at is None:
        parent.answered_at = now
    parent.read_at = parent.read_at or now


def deliver(reply_id: int) -> Delivery:  # noqa: C901 - the states of one send
    claimed = db.session.execute(
        update(CommentReply)
        .where(CommentReply.id == reply_id, CommentReply.status == ReplyStatus.QUEUED.value)
        .values(status=ReplyStatus.SENDING.value, attempts=CommentReply.attempts + 1)
    ).rowcount  # type: ignore[attr-defined]
    db.session.commit()
    if not claimed:
        return Delivery("skipped")
    reply = db.session.get(CommentReply, reply_id)
    assert reply is not None
    parent = db.session.get(Comment, reply.comment_id)
    conn = db.session.get(Connection, parent.connection_id) if parent else None
    if parent is None or conn is None or not conn.is_live or conn.comments_grant_at is None:
        return _fail(reply, "The permission to reply to comments was not granted or was removed.")
    try:
        adapter, token = _adapter(conn)
        if reply.attempts > 1:
            landed = _landed(adapter, token, reply, parent, conn)
            if landed is not None:
                _record_sent(reply, parent, conn, landed)
                db.session.commit()
                live.bump([conn.client_id])
                log.info("reply had landed", extra={"event": "reply_already_landed", "reply_id": reply_id})
                return Delivery("already_sent")
        platform_id = reply_to_comment(adapter, token, parent.platform_id, reply.text, parent.post_platform_id)
    except (PlatformUnavailable, RateLimited) as exc:
        return _retry(reply, exc)
    except PlatformError as exc:
        return _fail(reply, plain_reason(exc))
    _record_sent(reply, parent, conn, platform_id)
    db.session.commit()
    live.bump([conn.client_id])
    return Delivery("sent")


def _retry(reply: CommentReply, exc: PlatformError) -> Delivery:
    if reply.attempts >= MAX_ATTEMPTS:
        return _fail(reply, "The platform did not answer; the reply was not sent.")
    reply.status = ReplyStatus.QUEUED.value
    reply.error = "The platform did not answer; trying again."
    db.session.commit()
    wait = RETRY_SECONDS[min(reply.attempts - 1, len(RETRY_SECONDS) - 1)]
    dispatch.enqueue_comment_reply(reply.id, reply.attempts, wait)
    log.info("reply will be retried: %s", exc, extra={"event": "reply_retry", "reply_id": reply.id})
    return Delivery("retry", exc.message)


def _fail(reply: CommentReply, reason: str) -> Delivery:
    reply.status = ReplyStatus.FAILED.value
    reply.error = reason[:500]
    db.session.commit()
    return Delivery("failed", reason)


def moderate(conn: Connection, comments: Sequence[Comment], hide: bool) -> dict[int, str]:
    """Hide or unhide comments of one connection at the platform; returns ``{comment id: reason}`` for
    those that failed (the rest are updated here)."""
    failed: dict[int, str] = {}
    try:
        adapter, token = _adapter(conn)
    except PlatformError as exc:
        return {c.id: plain_reason(exc) for c in comments}
    for c in comments:
        if c.from_owner:
            failed[c.id] = "Your own comments cannot be hidden."
            continue
        try:
            hide_comment(adapter, token, c.platform_id, hide)
        except PlatformError as exc:
            failed[c.id] = plain_reason(exc)
            continue
        c.hidden = hide
    db.session.commit()
    return failed


def sweep(now: Any = None) -> int:
    """Rows ``queued`` for over a minute get a job again; rows ``sending`` for over 10 minutes (a killed
    worker) go back to ``queued`` and are checked for landing before any resend (attempts > 1)."""
    now = now or utcnow()
    db.session.execute(
        update(CommentReply)
        .where(CommentReply.status == ReplyStatus.SENDING.value, CommentReply.created_at < now - timedelta(minutes=10))
        .values(status=ReplyStatus.QUEUED.value)
    )
    db.session.commit()
    rows = db.session.execute(
        select(CommentReply.id, CommentReply.attempts).where(
            CommentReply.status == ReplyStatus.QUEUED.value, CommentReply.created_at < now - timedelta(minutes=1)
        )
    ).all()
    for reply_id, attempts in rows:
        dispatch.enqueue_comment_reply(reply_id, attempts, 0)
    return len(rows)


def moderate_ids(client_id: int, ids: Sequence[int], hide: bool) -> tuple[int, list[dict[str, object]]]:
    """Hide / unhide the client's comments, grouped by connection; failures reported per comment."""
    found = {c.id: c for c in inbox.comments_by_id(client_id, ids)}
    failed: list[dict[str, object]] = [{"id": i, "reason": "not_found"} for i in ids if i not in found]
    by_conn: dict[int, list[Comment]] = {}
    for c in found.values():
        by_conn.setdefault(c.connection_id, []).append(c)
    done = 0
    for conn_id, group in by_conn.items():
        conn = db.session.get(Connection, conn_id)
        if conn is None or not conn.is_live or not comment_replies.has_grant(conn):
            failed += [{"id": c.id, "reason": "The permission to hide comments was not granted."} for c in group]
            continue
        if conn.platform == "tiktok":  # business/comment/hide/ is unconfirmed: not offered
            failed += [{"id": c.id, "reason": "TikTok comments cannot be hidden from the portal."} for c in group]
            continue
        if conn.platform == "linkedin":  # LinkedIn's Comments API has no hide (delete only)
            failed += [{"id": c.id, "reason": "LinkedIn comments cannot be hidden from the portal."} for c in group]
            continue
        errors = moderate(conn, group, hide)
        failed += [{"id": i, "reason": r} for i, r in errors.items()]
        done += len(group) - len(errors)
    live.bump([client_id])
    return done, failed
