"""Facebook Page ``feed`` webhooks (platforms-deep-data.md 2.3): checked and read into typed changes.

``POST /api/platforms/facebook/webhook``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(Facebook app
secret, raw body)>`` is checked (constant time) before the body is read, as for Instagram's (a wrong or
missing signature: 400 ``bad_signature``, as the Instagram receiver answers); a body that is not a JSON
object is 400 ``bad_request``; a delivery seen before (the same body, kept a day in Redis) is
acknowledged and not acted on again. Each ``entry`` names a Page; a Page no live connection holds is
skipped (counted). Each ``changes[].value`` of field ``feed`` becomes a :class:`FeedChange`:

* ``item: comment``, ``verb: add`` / ``edited`` / ``edit`` -> a comment to upsert, ``verb: remove`` -> a
  comment to mark deleted; (reactions on a comment also carry ``comment_id``: only ``item == comment``
  counts as a comment);
* ``item: status|post|photo|video``, ``verb: remove`` -> the post to remove from our store;
* anything else (``hide``, ``block``, ``reaction``, ``share``...) is ignored and counted.

The GET subscription check shares Instagram's verify token (``INSTAGRAM_WEBHOOK_VERIFY_TOKEN``: one
Meta verify token for the deployment's receivers).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.errors import ServiceError
from app.extensions import db
from app.models import Connection
from app.platforms.base import as_mapping
from app.platforms.comments import PlatformComment
from app.services.comment_webhooks import check_signature, first_delivery

log = logging.getLogger(__name__)

COMMENT_UPSERT = frozenset({"add", "edited", "edit"})
POST_ITEMS = frozenset({"status", "post", "photo", "video"})


class BadPayload(ServiceError):
    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class FeedChange:
    """One change to apply: ``upsert`` (``comment`` set), ``remove_comment`` or ``remove_post`` (``target``)."""

    connection_id: int
    action: str
    target: str
    comment: PlatformComment | None = None


@dataclass
class FeedDelivery:
    changes: list[FeedChange] = field(default_factory=list)
    ignored: int = 0  # changes we do not act on (unknown item or verb, malformed value)
    unknown_pages: int = 0  # entries for Pages no live connection holds


def _text(value: Any, limit: int = 128) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return str(value)[:limit]
    return None


def _comment(value: Mapping[str, Any], at: datetime) -> PlatformComment | None:
    cid, post_id, message = _text(value.get("comment_id")), _text(value.get("post_id")), value.get("message")
    if cid is None or post_id is None or not isinstance(message, str):
        return None
    author = as_mapping(value.get("from"))
    parent = _text(value.get("parent_id"))
    stamp = value.get("created_time")
    published = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) and stamp > 0 else at
    name = _text(author.get("name"), 255)
    return PlatformComment(
        platform_id=cid,
        post_id=post_id,
        parent_id=parent if parent and parent != post_id else None,  # parent == post: top level
        text=message,
        author_handle=None,
        author_name=name,
        author_id=_text(author.get("id")),
        author_url=None,
        published_at=published,
        updated_at=at,
        like_count=None,
        reply_count=None,
    )


def _change(conn_id: int, value: Mapping[str, Any], at: datetime) -> FeedChange | None:
    item, verb = value.get("item"), value.get("verb")
    if item == "comment" and verb in COMMENT_UPSERT:
        comment = _comment(value, at)
        return FeedChange(conn_id, "upsert", comment.platform_id, comment) if comment else None
    if item == "comment" and verb == "remove":
        cid = _text(value.get("comment_id"))
        return FeedChange(conn_id, "remove_comment", cid) if cid else None
    if item in POST_ITEMS and verb == "remove":
        pid = _text(value.get("post_id"))
        return FeedChange(conn_id, "remove_post", pid) if pid else None
    return None


def _page_connection(page_id: Any) -> int | None:
    if _text(page_id) is None:
        return None
    found = db.session.execute(
        select(Connection.id).where(
            Connection.platform == "facebook",
            Connection.platform_user_id == str(page_id),
            Connection.disconnected_at.is_(None),
        )
    ).scalar()
    return int(found) if found is not None else None


def parse_delivery(raw_body: bytes, header: str | None) -> FeedDelivery | None:
    """The changes of a signed delivery (``None``: a duplicate). :raises BadSignature, BadPayload."""
    check_signature(raw_body, header, "FACEBOOK_APP_SECRET")
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise BadPayload("The body is not JSON.") from None
    if not isinstance(event, dict) or not isinstance(event.get("entry", []), list):
        raise BadPayload("The body is not a webhook delivery.")
    if not first_delivery(raw_body, "facebook"):
        return None
    out = FeedDelivery()
    if event.get("object") != "page":
        return out
    for entry in event.get("entry") or []:
        if not isinstance(entry, Mapping):
            out.ignored += 1
            continue
        conn_id = _page_connection(entry.get("id"))
        changes = [c for c in entry.get("changes") or [] if isinstance(c, Mapping)]
        if conn_id is None:
            out.unknown_pages += 1
            continue
        stamp = entry.get("time")
        at = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) and stamp > 0 else datetime.now(UTC)
        for change in changes:
            value = change.get("value")
            found = (
                _change(conn_id, value, at) if change.get("field") == "feed" and isinstance(value, Mapping) else None
            )
            if found is None:
                out.ignored += 1
            else:
                out.changes.append(found)
    if out.ignored or out.unknown_pages:
        log.info(
            "facebook feed webhook: some changes not acted on",
            extra={"event": "fb_feed_ignored", "ignored": out.ignored, "unknown_pages": out.unknown_pages},
        )
    return out
