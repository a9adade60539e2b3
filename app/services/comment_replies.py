"""Replying to comments from the portal: the separate comment grant and the reply outbox.

* **The grant** (``Connection.comments_grant_at``): asked with incremental authorization
  (``POST /api/portal/social/connect/<platform>?feature=comments``, the platform's comment-management scope
  added to the usual ones), recorded when the platform granted that scope, revoked on its own here (the
  portal stops replying and hiding; the read scopes are untouched). Without it the inbox is read-only.
* **A reply** is checked before anything is stored (grant, empty, too long for the platform, a comment
  deleted at the platform, a hidden Instagram comment, YouTube's 50 units left in today's budget), then
  stored as a ``CommentReply`` row whose idempotency key is derived from the comment and the text (or the
  client's ``Idempotency-Key``): the same request twice finds the same row, and the worker sends each row
  once (``app/sync/replies.py``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.models import Comment, CommentReply, Connection, ReplyStatus
from app.models.base import utcnow
from app.models.platforms import PLATFORM_NAMES
from app.platforms import get_adapter
from app.platforms.comments import (
    FB_MANAGE_SCOPE,
    IG_MANAGE_SCOPE,
    LI_MANAGE_SCOPE,
    REPLY_LIMITS,
    TT_MANAGE_SCOPE,
    YT_MANAGE_SCOPE,
    YT_WRITE_UNITS,
)
from app.platforms.registry import business_configured
from app.platforms.tiktok_business import BUSINESS as TIKTOK_BUSINESS
from app.queueing import dispatch
from app.redis_conn import get_redis
from app.services.comments import get_comment

#: TikTok: a business account's (API for Business); a personal account never holds ``comment.list.manage``
MANAGE_SCOPES = {
    "instagram": IG_MANAGE_SCOPE,
    "youtube": YT_MANAGE_SCOPE,
    "facebook": FB_MANAGE_SCOPE,
    "tiktok": TT_MANAGE_SCOPE,
    "linkedin": LI_MANAGE_SCOPE,  # a Company Page's, written as the Page
}
GRANT_FEATURE = "comments"
#: the deployment setting that asks ``w_organization_social`` with the Page scopes
LI_REPLIES_SETTING = "LINKEDIN_PAGE_REPLIES"


class GrantNeeded(Forbidden):
    code = "grant_needed"


def has_grant(conn: Connection) -> bool:
    scope = MANAGE_SCOPES.get(conn.platform)
    return bool(conn.comments_grant_at and scope and scope in (conn.scopes or "").split())


def replies_unavailable(conn: Connection, settings: Any) -> str | None:
    """Why the portal cannot reply on this account at all, said plainly (``None``: it can, once the client
    allows it). Only a LinkedIn Page can lack it: LinkedIn takes a reply as a Page only with
    ``w_organization_social``, asked with the Page scopes when ``LINKEDIN_PAGE_REPLIES`` is on."""
    if conn.platform != "linkedin" or LI_MANAGE_SCOPE in (conn.scopes or "").split():
        return None
    if not settings.get(LI_REPLIES_SETTING):
        return (
            "Replying as the Page is not available: LinkedIn takes replies written as a Page only from apps "
            "granted its w_organization_social permission, which this portal does not ask for. The Page's "
            "comments are still read."
        )
    return (
        "Replying as the Page is not available yet: this Page was connected before the portal asked LinkedIn "
        "for w_organization_social (writing as the Page). Reconnect the Page to reply from here."
    )


def allow_page_replies(client_id: int, connection_id: int) -> Connection:
    """A LinkedIn Page whose grant already holds ``w_organization_social``: the client's own yes, recorded
    as the comment grant (no second sign-in: LinkedIn gave the scope with the Page's)."""
    conn = db.session.execute(
        select(Connection).where(Connection.id == connection_id, Connection.client_id == client_id)
    ).scalar_one_or_none()
    if conn is None or conn.platform != "linkedin" or not conn.is_live:
        raise NotFound("No such LinkedIn Page connection.")
    why = replies_unavailable(conn, current_app.config)
    if why is not None:
        raise Conflict(why)
    if conn.comments_grant_at is None:
        conn.comments_grant_at = utcnow()
    db.session.commit()
    return conn


def grant_adapter(platform: str) -> Any:
    """The platform adapter asking the usual scopes plus the comment-management scope."""
    if platform not in MANAGE_SCOPES or platform == "linkedin":  # LinkedIn: allow_page_replies, no sign-in
        raise NotFound("Replies from the portal work for Instagram, YouTube, Facebook Pages and TikTok business.")
    if platform == "tiktok":  # a business account, through the API for Business app
        if not business_configured(current_app.config):
            raise NotFound("TikTok replies need TikTok's API for Business app, which this server does not have.")
        adapter = get_adapter(platform, current_app.config, kind=TIKTOK_BUSINESS)
        adapter.scopes = (*adapter.scopes, MANAGE_SCOPES[platform])  # type: ignore[attr-defined]
        return adapter
    key = f"{platform.upper()}_SCOPES"
    base = get_adapter(platform, current_app.config).scopes  # type: ignore[attr-defined]
    settings = {**current_app.config, key: " ".join([*base, MANAGE_SCOPES[platform]])}
    return get_adapter(platform, settings)


def apply_grant(conn: Connection, granted: frozenset[str] | set[str], asked: bool) -> None:
    """After a callback: the grant starts when it was asked and the scope came back; it ends when a new
    token lacks the scope (a plain reconnect on Instagram)."""
    scope = MANAGE_SCOPES.get(conn.platform)
    if scope is None:
        return
    if scope not in granted:
        conn.comments_grant_at = None
    elif asked and conn.comments_grant_at is None:
        conn.comments_grant_at = utcnow()


def revoke_grant(client_id: int, connection_id: int) -> Connection:
    conn = db.session.execute(
        select(Connection).where(Connection.id == connection_id, Connection.client_id == client_id)
    ).scalar_one_or_none()
    if conn is None:
        raise NotFound("No such connection.")
    conn.comments_grant_at = None
    db.session.commit()
    return conn


def _connection(comment: Comment) -> Connection:
    conn = db.session.get(Connection, comment.connection_id)
    if conn is None or not conn.is_live:
        raise Conflict("This account is no longer connected.")
    if not has_grant(conn):
        raise GrantNeeded(
            "Replying needs your permission first: use “Let the portal reply to comments” for this account."
        )
    return conn


def check_text(platform: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationFailed("Write a reply first.", field="text")
    text = raw.strip()
    limit = REPLY_LIMITS[platform]
    if len(text) > limit:
        raise ValidationFailed(
            f"That reply is {len(text):,} characters; {PLATFORM_NAMES[platform]} takes at most {limit:,}.", field="text"
        )
    return text


def _youtube_units_left() -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    day = datetime.now(UTC).astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()
    try:
        raw: Any = get_redis().get(f"quota:youtube:default:{day}")
        used = int(raw or 0)
    except Exception:  # noqa: BLE001 - Redis down: the send itself will be refused by the budget
        used = 0
    return int(current_app.config["SYNC_YOUTUBE_DAILY_UNITS"]) - used


def request_reply(
    client_id: int, user_id: int | None, comment_id: int, raw_text: Any, key: str | None = None
) -> CommentReply:
    """Check and queue one reply. :raises NotFound / GrantNeeded / ValidationFailed / Conflict."""
    comment = get_comment(client_id, comment_id)
    if comment.parent_id is not None:  # one level on both platforms: answer under the top-level comment
        comment = get_comment(client_id, comment.parent_id)
    _connection(comment)
    text = check_text(comment.platform, raw_text)
    if comment.deleted_at_platform is not None:
        raise Conflict("This comment was deleted at the platform; there is nothing to reply to.")
    if comment.hidden and comment.platform == "instagram":
        raise Conflict("Instagram does not take replies to hidden comments; unhide it first.")
    if comment.platform == "youtube" and _youtube_units_left() < YT_WRITE_UNITS:
        raise Conflict("YouTube's daily limit is nearly used up (a reply costs 50 units); try again tomorrow.")
    basis = f"{client_id}|{key}|{comment.id}" if key else f"{comment.id}|{text}"
    digest = hashlib.sha256(basis.encode()).hexdigest()
    existing = db.session.execute(select(CommentReply).where(CommentReply.idempotency_key == digest)).scalar()
    if existing is not None:
        return existing
    reply = CommentReply(
        comment_id=comment.id,
        client_id=client_id,
        requested_by=user_id,
        text=text,
        idempotency_key=digest,
        status=ReplyStatus.QUEUED.value,
        attempts=0,
    )
    db.session.add(reply)
    try:
        db.session.commit()
    except IntegrityError:  # the same request raced us: theirs is the one
        db.session.rollback()
        return db.session.execute(select(CommentReply).where(CommentReply.idempotency_key == digest)).scalar_one()
    dispatch.enqueue_comment_reply(reply.id)
    return reply


def bulk_reply(
    client_id: int, user_id: int | None, ids: Sequence[int], raw_text: Any
) -> tuple[int, list[dict[str, Any]]]:
    """One text to several comments; each is checked alone and failures are reported per comment."""
    done, failed = 0, []
    for comment_id in ids:
        try:
            request_reply(client_id, user_id, comment_id, raw_text)
            done += 1
        except NotFound:
            failed.append({"id": comment_id, "reason": "not_found"})
        except (GrantNeeded, ValidationFailed, Conflict) as exc:
            failed.append({"id": comment_id, "reason": exc.message})
    return done, failed


def reply_json(reply: CommentReply) -> dict[str, Any]:
    status = reply.status if reply.status != ReplyStatus.SENDING.value else ReplyStatus.QUEUED.value
    return {"id": reply.id, "status": status, "error": reply.error}
