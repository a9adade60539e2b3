"""Subscribing a connected Instagram account to the ``story_insights`` webhook (docs/sync.md, "Stories").

Queued when an Instagram account connects, and tried again by the 4-hourly story sync while it is not
done: the app's ``instagram`` subscription is checked (one call) and made or widened when it lacks the
field or points elsewhere (Meta verifies the callback ``<PUBLIC_BASE_URL>/api/platforms/instagram/webhook``
with ``INSTAGRAM_WEBHOOK_VERIFY_TOKEN``), then the account's ``subscribed_apps`` is read and widened
(2-3 calls). What Meta reads back is kept in ``connections.webhook_fields``. Without a verify token the
deployment has no webhook receiver: nothing is called (``not_configured``); the story sync alone keeps
stories then.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from flask import current_app

from app.extensions import db
from app.models import Connection
from app.platforms import get_adapter
from app.platforms import instagram_webhooks as hooks
from app.platforms.errors import PlatformError
from app.platforms.http import shared_session
from app.platforms.instagram import InstagramAdapter
from app.redis_conn import get_redis
from app.services import connection_settings, tokens
from app.sync.quotas import Budgets
from app.sync.recorder import RecordingSession

log = logging.getLogger(__name__)

FIELDS = ("story_insights",)
WEBHOOK_PATH = "/api/platforms/instagram/webhook"


def callback_url(path: str = WEBHOOK_PATH) -> str:
    """Where Meta delivers: ``PUBLIC_BASE_URL`` + the receiver's path (Instagram's by default)."""
    return str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/") + path


def needs_subscription(conn: Connection) -> bool:
    """A live Instagram connection with stories on, not (yet) subscribed to every field, on a deployment
    with a webhook receiver."""
    return (
        conn.platform == "instagram"
        and conn.is_live
        and bool(current_app.config.get("INSTAGRAM_WEBHOOK_VERIFY_TOKEN"))
        and not set(FIELDS) <= set((conn.webhook_fields or "").split(","))
        and connection_settings.sync_enabled(conn, "stories")
    )


def subscribe_story_webhooks(connection_id: int) -> str:
    """Subscribe the app and the account; returns the outcome (``subscribed: <fields>``, ``failed: <kind>``,
    ``not_configured``, ``off``, ``skipped``)."""
    conn = db.session.get(Connection, connection_id)
    if conn is None or conn.platform != "instagram" or not conn.is_live or conn.access_token_enc is None:
        return "skipped"
    cfg = current_app.config
    verify_token = cfg.get("INSTAGRAM_WEBHOOK_VERIFY_TOKEN")
    if not verify_token:
        return "not_configured"
    if not connection_settings.sync_enabled(conn, "stories"):
        return "off"
    token = tokens.token_set_of(conn).access_token
    adapter = recorded_adapter(conn)
    if not isinstance(adapter, InstagramAdapter):
        return "skipped"
    url = callback_url()
    try:
        current, app_fields = hooks.app_subscription(adapter)
        if current != url or not set(FIELDS) <= set(app_fields):
            hooks.subscribe_app(adapter, url, str(verify_token), FIELDS)
        got = hooks.subscribe_account(adapter, token, FIELDS)
    except PlatformError as exc:
        log.warning(
            "instagram webhook subscription failed",
            extra={"event": "webhook_subscribe_failed", "connection_id": connection_id, "kind": exc.kind},
        )
        return f"failed: {exc.kind}"
    return store_fields(connection_id, got, FIELDS)


def recorded_adapter(conn: Connection) -> Any:
    """The connection's adapter on a recording session (its calls counted in the platform's budgets, raw
    answers not kept); the session's transaction is committed first, so none is held over the calls."""
    cfg = current_app.config
    session = shared_session(
        float(cfg["PLATFORM_CONNECT_TIMEOUT_SECONDS"]), float(cfg["PLATFORM_READ_TIMEOUT_SECONDS"])
    )
    recorder = RecordingSession(session, conn.platform, Budgets(get_redis(), cfg), keep_raw=False)
    adapter = get_adapter(conn.platform, cfg, session=recorder)
    db.session.commit()  # no transaction held over the platform calls
    return adapter


def store_fields(connection_id: int, got: Sequence[str], fields: Sequence[str]) -> str:
    """Keep the fields Meta read back on the connection; the outcome (``subscribed: <fields>``, or
    ``failed: not read back (...)`` when one of ``fields`` is missing, or ``skipped`` for a connection
    deleted meanwhile)."""
    conn = db.session.get(Connection, connection_id)
    if conn is None:
        return "skipped"
    conn.webhook_fields = ",".join(got)[:200] or None
    db.session.commit()
    log.info(
        "webhooks subscribed",
        extra={"event": "webhook_subscribed", "connection_id": connection_id, "fields": conn.webhook_fields},
    )
    missing = [f for f in fields if f not in got]
    return f"failed: not read back ({', '.join(missing)})" if missing else f"subscribed: {conn.webhook_fields}"
