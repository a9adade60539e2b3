"""Facebook Page ``feed`` webhooks: the Page subscribed on connect, and the deliveries applied.

Subscription (queued when a Page connects, as Instagram's ``story_insights`` is, and tried again by the
daily sync while not done): the app's ``page`` subscription is checked (one call) and made or widened
when it lacks ``feed`` or points elsewhere (Meta verifies ``<PUBLIC_BASE_URL>/api/platforms/facebook/webhook``
with ``INSTAGRAM_WEBHOOK_VERIFY_TOKEN``), then the Page's ``subscribed_apps`` is read and widened. Meta
wants ``pages_manage_metadata`` on the Page token for that; a grant without it is not asked
(``no_scope``: the comment sync alone keeps the inbox then). What Meta reads back is kept in
``connections.webhook_fields``.

Applying (``app.services.page_webhooks`` parsed and checked the delivery): a comment added or edited is
upserted into the comment inbox the comment sync fills (same rows, same upsert key), a removed one is
marked ``deleted_at_platform`` as the sync marks comments it no longer finds, and a removed post leaves
our store through ``storage.remove_content`` with everything hanging off it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import current_app
from sqlalchemy import update

from app.extensions import db
from app.models import Comment, Connection
from app.models.base import utcnow
from app.platforms import facebook_webhooks as hooks
from app.platforms.errors import PlatformError
from app.platforms.facebook import FacebookAdapter
from app.services import tokens
from app.services.page_webhooks import FeedChange
from app.sync import comments as comment_sync
from app.sync import storage
from app.sync.webhook_subscriptions import callback_url, recorded_adapter, store_fields

log = logging.getLogger(__name__)

FIELDS = ("feed",)
WEBHOOK_PATH = "/api/platforms/facebook/webhook"


def needs_subscription(conn: Connection) -> bool:
    """A live Page connection granted ``pages_manage_metadata``, not yet subscribed to ``feed``, on a
    deployment with a webhook receiver."""
    return (
        conn.platform == "facebook"
        and conn.is_live
        and bool(current_app.config.get("INSTAGRAM_WEBHOOK_VERIFY_TOKEN"))
        and hooks.METADATA_SCOPE in conn.scope_set
        and not set(FIELDS) <= set((conn.webhook_fields or "").split(","))
    )


def subscribe_feed(connection_id: int) -> str:
    """Subscribe the app and the Page; the outcome (``subscribed: <fields>``, ``failed: <kind>``,
    ``not_configured``, ``no_scope``, ``skipped``)."""
    conn = db.session.get(Connection, connection_id)
    if conn is None or conn.platform != "facebook" or not conn.is_live or conn.access_token_enc is None:
        return "skipped"
    cfg = current_app.config
    verify_token = cfg.get("INSTAGRAM_WEBHOOK_VERIFY_TOKEN")
    if not verify_token:
        return "not_configured"
    if hooks.METADATA_SCOPE not in conn.scope_set:
        return "no_scope"
    token = tokens.token_set_of(conn).access_token
    page_id = conn.platform_user_id
    adapter = recorded_adapter(conn)
    if not isinstance(adapter, FacebookAdapter):
        return "skipped"
    url = callback_url(WEBHOOK_PATH)
    try:
        current, app_fields = hooks.app_subscription(adapter)
        if current != url or not set(FIELDS) <= set(app_fields):
            hooks.subscribe_app(adapter, url, str(verify_token), FIELDS)
        got = hooks.subscribe_page(adapter, page_id, token, FIELDS)
    except PlatformError as exc:
        log.warning(
            "facebook feed webhook subscription failed",
            extra={"event": "webhook_subscribe_failed", "connection_id": connection_id, "kind": exc.kind},
        )
        return f"failed: {exc.kind}"
    return store_fields(connection_id, got, FIELDS)


def ingest_feed(changes: Sequence[FeedChange]) -> dict[str, int]:
    """Apply a delivery's changes, one connection at a time, each in its own transaction; the counts."""
    counts = {"comments": 0, "comments_removed": 0, "posts_removed": 0}
    by_conn: dict[int, list[FeedChange]] = {}
    for change in changes:
        by_conn.setdefault(change.connection_id, []).append(change)
    for conn_id, items in by_conn.items():
        conn = db.session.get(Connection, conn_id)
        if conn is None or not conn.is_live:
            continue
        posts = [c.target for c in items if c.action == "remove_post"]
        if posts:
            counts["posts_removed"] += storage.remove_content(conn_id, posts)
        gone = [c.target for c in items if c.action == "remove_comment"]
        if gone:
            result = db.session.execute(
                update(Comment)
                .where(
                    Comment.connection_id == conn_id,
                    Comment.platform_id.in_(gone),
                    Comment.deleted_at_platform.is_(None),
                )
                .values(deleted_at_platform=utcnow())
            )
            counts["comments_removed"] += int(getattr(result, "rowcount", 0) or 0)
        upserts = [c.comment for c in items if c.action == "upsert" and c.comment is not None]
        if upserts and comment_sync.wanted(conn):
            got = comment_sync.CommentFetch()
            for comment in upserts:
                got.by_post.setdefault(comment.post_id, []).append(comment)
            counts["comments"] += comment_sync.write(conn, got, complete=False)
        db.session.commit()
    return counts
