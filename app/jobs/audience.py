"""Story sync (queue ``sync``): every few hours, each live Instagram connection's stories are read while
they live (24 h) and kept for good (``app/sync/audience.py``)."""

from __future__ import annotations

import logging

from flask import current_app

from app.extensions import db
from app.models import Connection
from app.redis_conn import get_redis
from app.services.connections import syncable_connection_ids
from app.sync import budgets, page_webhooks
from app.sync.audience import sync_stories
from app.sync.webhook_subscriptions import subscribe_story_webhooks

log = logging.getLogger(__name__)


def sync_all_stories() -> dict[str, int]:
    """One story read per live Instagram connection; a failing one does not stop the others.

    Stories are read as often as the budget allows: every 4 hours, and not at all while an Instagram
    limit is past the warning threshold (the run is given up, like twice-daily syncs, so the daily
    syncs keep their share; the next run reads every story still live)."""
    counts = {"connections": 0, "failed": 0, "skipped_near_limit": 0}
    if budgets.near_limit(current_app.config, get_redis(), "instagram"):
        log.warning("story sync skipped: Instagram budget near its limit", extra={"event": "story_sync_skipped"})
        counts["skipped_near_limit"] = 1
        return counts
    for connection_id in syncable_connection_ids():
        conn = db.session.get(Connection, connection_id)
        if conn is None or conn.platform != "instagram":
            continue
        counts["connections"] += 1
        try:
            outcome = sync_stories(connection_id)
        except Exception:  # one connection's surprise must not stop the others; logged with its stack
            db.session.rollback()
            log.exception("story sync failed", extra={"event": "story_sync_failed", "connection_id": connection_id})
            counts["failed"] += 1
            continue
        if outcome.startswith("failed"):
            counts["failed"] += 1
    return counts


def subscribe_webhooks(connection_id: int) -> str:
    """Subscribe a connected Instagram account (and the app) to ``story_insights``; returns the outcome."""
    outcome = subscribe_story_webhooks(connection_id)
    if outcome == "skipped":  # not an Instagram account: a Facebook Page subscribes to ``feed``
        outcome = page_webhooks.subscribe_feed(connection_id)
    extra = {"event": "webhook_subscription", "connection_id": connection_id, "outcome": outcome}
    log.info("webhook subscription", extra=extra)
    return outcome
