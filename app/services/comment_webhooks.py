"""Instagram comment webhooks (platforms-deep-data.md section 1.5): new comments between syncs.

* ``GET`` verification: ``hub.mode=subscribe`` with our ``INSTAGRAM_WEBHOOK_VERIFY_TOKEN`` echoes
  ``hub.challenge``; anything else is refused.
* ``POST``: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(Instagram app secret, raw body)>`` is checked
  (constant time) before the body is read; a delivery seen before (the same body, kept a day in Redis) is
  acknowledged and not acted on again. Each ``comments`` change becomes a :class:`PlatformComment` for the
  live connection of the account named by the entry's ``id``; the sync layer stores it (an upsert by
  platform id, so a comment the next sync reads again is not doubled).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models import Connection
from app.platforms.base import as_mapping
from app.platforms.comments import PlatformComment
from app.redis_conn import get_redis
from app.services.platform_events import BadSignature

log = logging.getLogger(__name__)

DEDUP_SECONDS = 24 * 3600


@dataclass(frozen=True)
class WebhookComment:
    connection_id: int
    comment: PlatformComment


def verify_subscription(args: Mapping[str, str]) -> str:
    """The challenge to echo. :raises BadSignature: wrong mode or token, or no token configured."""
    expected = current_app.config.get("INSTAGRAM_WEBHOOK_VERIFY_TOKEN") or ""
    given = args.get("hub.verify_token") or ""
    if args.get("hub.mode") != "subscribe" or not expected or not hmac.compare_digest(given, expected):
        raise BadSignature("Subscription not verified.")
    return str(args.get("hub.challenge") or "")[:200]


def check_signature(
    raw_body: bytes,
    header: str | None,
    secret_setting: str = "INSTAGRAM_CLIENT_SECRET",  # noqa: S107 - the name of a setting, not a secret
) -> None:
    """Meta's ``X-Hub-Signature-256``: HMAC-SHA256 of the raw body with the app secret ``secret_setting``
    names (Instagram's app, or the Facebook app for Page deliveries). :raises BadSignature:"""
    secret = current_app.config.get(secret_setting) or ""
    sig = (header or "").removeprefix("sha256=").strip().lower()
    if not secret or not sig:
        raise BadSignature("Missing signature.")
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig):
        raise BadSignature("Invalid signature.")


def first_delivery(raw_body: bytes, source: str = "instagram") -> bool:
    """False for a body already seen from ``source`` within a day (Meta retries deliveries); True when
    Redis cannot say: what a delivery does is an upsert or a removal, so acting twice doubles nothing."""
    digest = hashlib.sha256(raw_body).hexdigest()
    try:
        return bool(get_redis().set(f"webhook:{source}:{digest}", "1", nx=True, ex=DEDUP_SECONDS))
    except (redis.RedisError, OSError):
        return True


def _comment(value: Mapping[str, Any], at: datetime) -> PlatformComment | None:
    author = as_mapping(value.get("from"))
    media = as_mapping(value.get("media"))
    text = value.get("text")
    if value.get("id") is None or not isinstance(text, str) or media.get("id") is None:
        return None
    handle = author.get("username")
    return PlatformComment(
        platform_id=str(value["id"])[:128],
        post_id=str(media["id"])[:128],
        parent_id=str(value["parent_id"])[:128] if value.get("parent_id") else None,
        text=text,
        author_handle=str(handle)[:255] if handle else None,
        author_name=None,
        author_id=str(author["id"])[:128] if author.get("id") is not None else None,
        author_url=f"https://www.instagram.com/{handle}/" if handle else None,
        published_at=at,
        updated_at=None,
        like_count=0,
        reply_count=None,
    )


def parse_delivery(raw_body: bytes, header: str | None) -> list[WebhookComment] | None:
    """The comments of a signed delivery (``None``: a duplicate). :raises BadSignature."""
    check_signature(raw_body, header)
    try:
        event = json.loads(raw_body)
    except ValueError:
        raise BadSignature("Unreadable body.") from None
    if not first_delivery(raw_body):
        return None
    out: list[WebhookComment] = []
    if not isinstance(event, dict) or event.get("object") != "instagram":
        return out
    for entry in event.get("entry") or []:
        if not isinstance(entry, Mapping):
            continue
        conn_id = db.session.execute(
            select(Connection.id).where(
                Connection.platform == "instagram",
                Connection.platform_user_id == str(entry.get("id")),
                Connection.disconnected_at.is_(None),
            )
        ).scalar()
        if conn_id is None:
            continue
        stamp = entry.get("time")
        at = datetime.fromtimestamp(stamp, UTC) if isinstance(stamp, int) else datetime.now(UTC)
        for change in entry.get("changes") or []:
            if (
                isinstance(change, Mapping)
                and change.get("field") == "comments"
                and isinstance(change.get("value"), Mapping)
            ):
                comment = _comment(change["value"], at)
                if comment is not None:
                    out.append(WebhookComment(conn_id, comment))
    return out
